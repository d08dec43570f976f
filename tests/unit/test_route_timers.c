/*
 * test_route_timers.c - the routing core's waiting leads and timers: the
 * queue and its drain, contact_after, queue escalation, first-touch SLA
 * reassignment, timers driven by a wall-clock tick and by the event clock,
 * and the outbox of what timers and ranking installs decide.
 */
#include "route_fixture.h"
#include "tenant.h"

/* ---- the queue ----------------------------------------------------------- */

static void test_queue_and_drain(void) {
        lr_tenant_t *t = tenant_new("t");
        lr_route_result_t r;
        int64_t a_off;

        fixture_init();
        install_day(t, D);
        status_max_open(t, "r1", at(D, 8, 0), 2);
        status(t, "r1", at(D, 8, 1), LR_PRESENCE_OFFLINE, 0);
        a_off = g_offset;
        CHECK_INT(lead(t, "A", at(D, 10, 0), 2, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lead(t, "B", at(D, 9, 50), 3, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lead(t, "C", at(D, 10, 5), 2, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 3);

        /* Better lead tier first, then oldest; capacity 2. Delivered
         * again, the status names the same decisions. */
        {
                lr_event_t ev = ev_status("back", "t", "r1", at(D, 10, 30),
                                          LR_PRESENCE_AVAILABLE, 0);
                lr_route_result_t again;
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK_INT(apply(t, &ev, 0, &again), LR_ROUTE_DUPLICATE);
                CHECK_INT(again.decisions_cnt, 0);
                CHECK_STR(refs(&again), "A#1,C#1");
                lr_route_result_clear(&again);
        }
        CHECK_INT(r.decisions_cnt, 2);
        if (r.decisions_cnt == 2) {
                CHECK_STR(r.decisions[0].lead_id, "A");
                CHECK_STR(r.decisions[0].event_id, "ev-A#1");
                CHECK_STR(r.decisions[0].reason, "QUEUED");
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 30));
                CHECK_INT(r.decisions[0].wait_ms, 30 * 60000);
                CHECK_INT(r.decisions[0].lead_tier, 2);
                CHECK_INT(r.decisions[0].rep_tier, 3);
                /* where the lead was read from, not the status */
                CHECK_STR(r.decisions[0].source_topic, TOPIC);
                CHECK_INT(r.decisions[0].source_offset, a_off);
                CHECK_STR(r.decisions[1].lead_id, "C");
                CHECK_INT(r.decisions[1].wait_ms, 25 * 60000);
        }
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 1);

        /* Closing A frees a seat: B goes in the outcome's decisions. */
        call_outcome(t, "r1", "A", at(D, 11, 0), LR_OUTCOME_CLOSED_WON, 1000,
                     &r);
        CHECK_INT(r.decisions_cnt, 1);
        if (r.decisions_cnt == 1) {
                CHECK_STR(r.decisions[0].lead_id, "B");
                CHECK_STR(r.decisions[0].reason, "QUEUED");
                CHECK_INT(r.decisions[0].wait_ms, 70 * 60000);
        }
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 0);
        CHECK_INT(rep_field(t, "r1", REP_OPEN), 2);
        lr_tenant_free(t);
}

/* ---- timers -------------------------------------------------------------- */

static void test_contact_after(void) {
        const char *ids[] = {"r1", "r2"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        g_pol.sla_first_touch_seconds = 0; /* SLA off: contact_after alone */
        t                             = tenant_new("t");
        setup(t, D, 2, ids, NULL);
        CHECK_INT(lr_tenant_next_due(t), INT64_MAX);
        CHECK_STR(
            lead_x(t, "C1", at(D, 10, 0), 3, NULL, NULL, at(D, 12, 0), &r), "");
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 0);
        CHECK_INT(lr_tenant_next_due(t), at(D, 12, 0));
        tick(t, at(D, 11, 59), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        /* r1 is in a meeting when the time comes */
        status(t, "r1", at(D, 11, 0), LR_PRESENCE_IN_MEETING, 0);
        tick(t, at(D, 12, 5), &r);
        CHECK_STR(decs(&r), "C1>r2:RANKED#1");
        CHECK_INT(r.timer_cnt, 1);
        if (r.decisions_cnt == 1) {
                CHECK_INT(r.decisions[0].decided_at, at(D, 12, 0));
                CHECK_INT(r.decisions[0].wait_ms, 0);
                CHECK_STR(r.decisions[0].event_id, "ev-C1#1");
                check_skipped(&r.decisions[0], "r1:IN_MEETING");
        }
        lr_route_result_clear(&r);
        /* Fired once: the next tick has nothing; the decision waits in the
         * outbox until acked. */
        tick(t, at(D, 12, 6), &r);
        CHECK_INT(r.decisions_cnt, 0);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        ack(t);
        CHECK_INT(lr_tenant_outbox_len(t), 0);
        /* A contact_after in the past routes at once. */
        CHECK_STR(
            lead_x(t, "C2", at(D, 13, 0), 3, NULL, NULL, at(D, 12, 0), &r),
            "C2>r2:RANKED#1");
        lr_route_result_clear(&r);
        /* Nobody free when it comes: queued from contact_after on. */
        CHECK_STR(
            lead_x(t, "C3", at(D, 13, 1), 3, NULL, NULL, at(D, 14, 0), &r), "");
        lr_route_result_clear(&r);
        status(t, "r2", at(D, 13, 30), LR_PRESENCE_OFFLINE, 0);
        tick(t, at(D, 14, 0), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 1);
        {
                lr_event_t ev = ev_status("r2-back", "t", "r2", at(D, 14, 2),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK_STR(decs(&r), "C3>r2:QUEUED#1");
                if (r.decisions_cnt == 1)
                        CHECK_INT(r.decisions[0].wait_ms, 2 * 60000);
                CHECK_INT(r.timer_cnt, 0);
                lr_route_result_clear(&r);
        }
        lr_tenant_free(t);
}

static void test_queue_escalation(void) {
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        g_pol.sla_first_touch_seconds = 0; /* the queue alone */
        t                             = tenant_new("t");
        setup(t, D, 4, ids, NULL);
        /* r2 carries two leads, r1 one; then nobody is free. */
        status(t, "r3", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        status(t, "r4", at(D, 8, 0), LR_PRESENCE_OUT_OF_OFFICE, 0);
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(t, "P1", at(D, 8, 1)), "P1>r2:RANKED#1");
        CHECK_STR(route(t, "P2", at(D, 8, 2)), "P2>r2:RANKED#1");
        status(t, "r1", at(D, 8, 3), LR_PRESENCE_AVAILABLE, 0);
        CHECK_STR(route(t, "P3", at(D, 8, 4)), "P3>r1:RANKED#1");
        status(t, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, 0);
        status(t, "r2", at(D, 9, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(t, "Q1", at(D, 10, 0)), "");
        CHECK_STR(route(t, "Q2", at(D, 10, 1)), "");
        CHECK_INT(lr_tenant_queue_len(t), 2);

        tick(t, at(D, 10, 4) + 59999, &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        /* max_wait 5 min: to the least-loaded rep at work (r1: 1 open, in a
         * meeting; r2 busy with 2; r3 offline and r4 out of office, with
         * none, are not at work); Q2 a minute later: r1 and r2 both have 2
         * open and 2 leads today, so rep_id decides */
        tick(t, at(D, 10, 6), &r);
        CHECK_STR(decs(&r), "Q1>r1:ESCALATED#1 Q2>r1:ESCALATED#1");
        if (r.decisions_cnt == 2) {
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 5));
                CHECK_INT(r.decisions[0].wait_ms, 5 * 60000);
                CHECK_INT(r.decisions[1].decided_at, at(D, 10, 6));
                check_skipped(&r.decisions[0], "");
        }
        ack(t);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 0);

        /* Nobody at work: the lead keeps waiting for the first free rep. */
        status(t, "r1", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        status(t, "r2", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(t, "Q3", at(D, 11, 1)), "");
        tick(t, at(D, 11, 30), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 1);
        {
                lr_event_t ev = ev_status("r4-back", "t", "r4", at(D, 12, 0),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK_STR(decs(&r), "Q3>r4:QUEUED#1");
                lr_route_result_clear(&r);
        }
        /* max_wait_seconds 0: no escalation */
        g_pol.max_wait_seconds = 0;
        status(t, "r4", at(D, 12, 1), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(t, "Q4", at(D, 12, 2)), "");
        tick(t, at(D, 13, 0), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

static void test_sla_reassignment(void) {
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        t = tenant_new("t");
        setup(t, D, 4, ids, NULL);
        status(t, "r4", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(t, "S1", at(D, 10, 0)), "S1>r1:RANKED#1");
        CHECK_STR(route(t, "T1", at(D, 10, 1)), "T1>r1:RANKED#1");
        /* T1 is called in time: no reassignment */
        call_outcome(t, "r1", "T1", at(D, 10, 10), LR_OUTCOME_NO_ANSWER, -1,
                     &r);
        lr_route_result_clear(&r);
        tick(t, at(D, 10, 14), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        /* S1: no call from r1 by 10:15 -> the next best rep, attempt 2 */
        tick(t, at(D, 10, 16), &r);
        CHECK_STR(decs(&r), "S1>r2:SLA_REASSIGNED#2");
        if (r.decisions_cnt == 1) {
                CHECK_STR(r.decisions[0].event_id, "ev-S1#2");
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 15));
                check_skipped(&r.decisions[0], "r1:PREVIOUS_ASSIGNEE");
        }
        ack(t);
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "r1", REP_OPEN), 1); /* T1 only */
        CHECK_INT(rep_field(t, "r2", REP_OPEN), 1);
        /* r2 misses it too: r3, never back to r1 though r1 is best */
        tick(t, at(D, 10, 30), &r);
        CHECK_STR(decs(&r), "S1>r3:SLA_REASSIGNED#3");
        if (r.decisions_cnt == 1)
                check_skipped(&r.decisions[0],
                              "r1:PREVIOUS_ASSIGNEE,r2:PREVIOUS_ASSIGNEE");
        ack(t);
        lr_route_result_clear(&r);
        /* sla_max_attempts 3: it stays with r3, whose miss still counts */
        tick(t, at(D, 11, 0), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        /* every missed SLA is a 15-minute speed-to-lead sample */
        {
                const char *who[] = {"r1", "r2", "r3"};
                int k;
                for (k = 0; k < 3; k++) {
                        const lr_bucket_t *b = find_bucket(t, who[k], D);
                        CHECK(b != NULL);
                        if (!b)
                                continue;
                        /* r1 also called T1 after 9 minutes */
                        CHECK_INT(b->stl_n, k == 0 ? 2 : 1);
                        CHECK_NEAR(b->stl_minutes_sum, k == 0 ? 24 : 15, 1e-9);
                }
        }

        /* Nobody else free: the lead waits (its rep is out), and goes to
         * the first rep who frees up that never had it. */
        CHECK_STR(route(t, "S2", at(D, 12, 0)), "S2>r1:RANKED#1");
        status(t, "r2", at(D, 12, 1), LR_PRESENCE_OFFLINE, 0);
        status(t, "r3", at(D, 12, 1), LR_PRESENCE_OFFLINE, 0);
        tick(t, at(D, 12, 15), &r);
        CHECK_STR(decs(&r), "");
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(t), 1);
        /* r1 is free and takes a new lead; S2 is not given back to it */
        CHECK_STR(route(t, "S3", at(D, 12, 20)), "S3>r1:RANKED#1");
        {
                lr_event_t ev = ev_status("r4-in", "t", "r4", at(D, 12, 30),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK_STR(decs(&r), "S2>r4:SLA_REASSIGNED#2");
                if (r.decisions_cnt == 1) {
                        CHECK_INT(r.decisions[0].wait_ms, 15 * 60000);
                        check_skipped(&r.decisions[0],
                                      "r1:PREVIOUS_ASSIGNEE,r2:OFFLINE,"
                                      "r3:OFFLINE");
                }
                lr_route_result_clear(&r);
        }
        lr_tenant_free(t);
}

/* The same story under both clocks gives the same decisions. */
static void timers_story(lr_tenant_t *t, int event_clock, char *out,
                         size_t size) {
        const char *ids[] = {"r1", "r2"};
        lr_route_result_t r;
        size_t len = 0;
        int i;

        setup(t, D, 2, ids, NULL);
        /* L1 at 10:00 to r1 (SLA 10:15), L2 held until 10:20 */
        CHECK_STR(lead_x(t, "L1", at(D, 10, 0), 3, NULL, NULL, 0, &r),
                  "L1>r1:RANKED#1");
        lr_route_result_clear(&r);
        lead_x(t, "L2", at(D, 10, 5), 3, NULL, NULL, at(D, 10, 20), &r);
        lr_route_result_clear(&r);
        out[0] = '\0';
        for (i = 0; i < 2; i++) {
                if (event_clock) {
                        /* the watermark moves with the next events */
                        lr_event_t ev = ev_status(i ? "w2" : "w1", "t", "r2",
                                                  at(D, 10, i ? 25 : 16),
                                                  LR_PRESENCE_AVAILABLE, 0);
                        CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                } else {
                        tick(t, at(D, 10, i ? 25 : 16), &r);
                }
                CHECK_INT(r.timer_cnt, r.decisions_cnt);
                CHECK_INT(lr_tenant_outbox_len(t), r.decisions_cnt);
                len += (size_t)snprintf(out + len, size - len, "%s[%s]",
                                        i ? " " : "", decs(&r));
                if (r.decisions_cnt)
                        len += (size_t)snprintf(
                            out + len, size - len, "@%lld",
                            (long long)(r.decisions[0].decided_at -
                                        at(D, 0, 0)) /
                                60000);
                ack(t);
                lr_route_result_clear(&r);
        }
}

static void test_timer_clocks(void) {
        lr_tenant_t *wt, *et;
        lr_route_result_t r;
        char wall[512], event[512];

        policy_reset();
        wt = tenant_new("t");
        timers_story(wt, 0, wall, sizeof(wall));
        g_fire = 1;
        et     = tenant_new("t");
        g_fire = 0;
        timers_story(et, 1, event, sizeof(event));
        CHECK_STR(wall, "[L1>r2:SLA_REASSIGNED#2]@615 "
                        "[L2>r1:RANKED#1]@620");
        CHECK_STR(event, wall);
        /* and both are left with the same timers pending */
        CHECK_INT(lr_tenant_next_due(wt), lr_tenant_next_due(et));

        /* Event clock: a redelivered event does not fire anything again. */
        {
                lr_event_t ev = ev_status("w2", "t", "r2", at(D, 10, 25),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(et, &ev, 0, &r), LR_ROUTE_DUPLICATE);
                CHECK_INT(r.decisions_cnt, 0);
                lr_route_result_clear(&r);
        }
        lr_tenant_free(wt);
        lr_tenant_free(et);
}

/* ---- the outbox ---------------------------------------------------------- */

static void test_outbox(void) {
        const char *ids[] = {"r1", "r2"};
        lr_tenant_t *t;
        lr_route_result_t r;
        const lr_assigned_t *d;
        const lr_tier_changed_t *tc;
        uint64_t mark;

        policy_reset();
        g_pol.sla_max_attempts = 2;
        t                      = tenant_new("t");
        setup(t, D, 2, ids, NULL);
        /* The outbox: a timer decision stays there, same event_id, until
         * its delivery is acked (after a crash, the next owner loads and
         * publishes it: test_store). */
        CHECK_STR(route(t, "L3", at(D, 11, 0)), "L3>r1:RANKED#1");
        tick(t, at(D, 11, 15), &r);
        CHECK_STR(decs(&r), "L3>r2:SLA_REASSIGNED#2");
        lr_route_result_clear(&r); /* published, then crashed: no ack */
        mark = lr_tenant_outbox_mark(t);
        tick(t, at(D, 11, 16), &r);
        CHECK_INT(r.decisions_cnt, 0); /* not decided again */
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        if (lr_tenant_outbox_len(t) == 1) {
                lr_tenant_outbox_get(t, 0, &d, &tc);
                CHECK(d != NULL && tc == NULL);
                if (d) {
                        CHECK_STR(d->event_id, "ev-L3#2");
                        CHECK_STR(d->rep_id, "r2");
                        CHECK_STR(d->reason, "SLA_REASSIGNED");
                }
        }
        /* acked up to a mark: what came later stays */
        CHECK_STR(route(t, "L4", at(D, 23, 50)), "L4>r1:RANKED#1");
        lr_tenant_outbox_ack(t, mark);
        CHECK_INT(lr_tenant_outbox_len(t), 0);

        /* A timer due on a day without a ranking (L4's SLA at 00:05): the
         * day's ranking is installed first, then the timer fires. */
        CHECK_INT(lr_tenant_next_due(t), at(D, 11, 30)); /* L3#2's SLA */
        tick(t, at(D + 1, 0, 10), &r);
        CHECK_INT(lr_tenant_rank_day(t), D + 1);
        CHECK_STR(decs(&r), "L4>r2:SLA_REASSIGNED#2");
        CHECK_INT(r.timer_cnt, 1);
        lr_route_result_clear(&r);
        mark = lr_tenant_outbox_mark(t);
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        lr_tenant_outbox_ack(t, mark);
        CHECK_INT(lr_tenant_outbox_len(t), 0);
        /* nothing due by then any more (L4#2's own SLA later) */
        CHECK(lr_tenant_next_due(t) > at(D + 1, 0, 10));
        lr_tenant_free(t);
}

/* An evaluation puts its tier changes in the outbox in the same step as
 * the ranking install: an owner that dies before publishing them leaves
 * them to the next one. */
static void test_tier_change_outbox(void) {
        const char *ids[] = {"r1", "r2"};
        lr_tenant_t *t;
        lr_route_result_t r;
        const lr_assigned_t *d;
        const lr_tier_changed_t *tc;
        char day[16], id[64];

        policy_reset();
        g_pol.ramp_min_leads = 0; /* both judged from the start */
        t                    = tenant_new("t");
        setup(t, D, 2, ids, NULL);
        /* r1 wins a deal, r2 loses one: r1 far above the tier's mean */
        call_outcome(t, "r1", "X1", at(D, 10, 0), LR_OUTCOME_CLOSED_WON, 90000,
                     &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r2", "X2", at(D, 10, 0), LR_OUTCOME_CLOSED_LOST, -1,
                     &r);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_outbox_len(t), 0);
        /* The first event of D+1 installs D+1's ranking, evaluated. */
        {
                lr_event_t ev = ev_status("n1", "t", "r2", at(D + 1, 8, 0),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
        }
        CHECK_INT(lr_tenant_rank_day(t), D + 1);
        lr_day_format(D + 1, day, sizeof(day));
        snprintf(id, sizeof(id), "t/r1/tier/%s", day);
        CHECK_INT(r.tier_changes_cnt, 1);
        if (r.tier_changes_cnt == 1) {
                CHECK_STR(r.tier_changes[0].event_id, id);
                CHECK_STR(r.tier_changes[0].rep_id, "r1");
                CHECK_INT(r.tier_changes[0].from_tier, 3);
                CHECK_INT(r.tier_changes[0].to_tier, 2);
                CHECK(r.tier_changes[0].composite >=
                      1.2 * r.tier_changes[0].tier_mean);
                CHECK_INT(r.tier_changes[0].decided_at,
                          (int64_t)(D + 1) * 86400000);
                CHECK(strstr(r.tier_changes[0].reason, "promoted") != NULL);
        }
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "r1", REP_TIER), 2);
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        /* Installed again (same day): nothing more. */
        lr_tenant_ensure_day(t, D + 1, &r);
        CHECK_INT(r.tier_changes_cnt, 0);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        /* Not acked: still there for the next publish, then gone. */
        if (lr_tenant_outbox_len(t) == 1) {
                lr_tenant_outbox_get(t, 0, &d, &tc);
                CHECK(d == NULL && tc != NULL);
                if (tc) {
                        CHECK_STR(tc->event_id, id);
                        CHECK_STR(tc->rep_id, "r1");
                        CHECK_INT(tc->from_tier, 3);
                        CHECK_INT(tc->to_tier, 2);
                }
        }
        ack(t);
        CHECK_INT(lr_tenant_outbox_len(t), 0);
        lr_tenant_free(t);
}

int main(void) {
        fixture_init();

        test_queue_and_drain();
        test_contact_after();
        test_queue_escalation();
        test_sla_reassignment();
        test_timer_clocks();
        test_outbox();
        test_tier_change_outbox();

        CHECK_DONE();
}
