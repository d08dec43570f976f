/*
 * test_route_choice.c - who gets a lead in the routing core (src/route/):
 * the day's ranking installed by the day's first event, dedup of events,
 * presence at event time, working hours across time zones and a DST
 * change, capacity (open leads and leads per day), tiers and their fallback
 * order, tie-breaks, skipped reasons, outcome attribution and metric
 * buckets, DEPARTED, ranking installs and bad events.
 */
#include "route_fixture.h"
#include "tenant.h"

/* ---- the day's ranking and dedup ---------------------------------------- */

static void test_day_ranking_and_idempotency(void) {
        const char *tn = "acme";
        lr_tenant_t *t = tenant_new(tn);
        lr_route_result_t r, r2, r3;
        lr_event_t ev  = ev_lead("e-l1", tn, "L1", at(D, 10, 0));
        lr_event_t ev2 = ev_lead("e-l1-again", tn, "L1", at(D, 10, 1));
        lr_event_t evn = ev_lead("e-l9", tn, "L9", at(D + 1, 0, 0));
        int64_t off    = 0;
        lr_route_source_t src;

        /* No ranking before the first event; the first event of a day
         * installs the day's ranking, an older or equal day is kept. */
        CHECK_INT(lr_tenant_rank_day(t), -1);
        status(t, "r1", at(D, 9, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lr_tenant_rank_day(t), D);
        CHECK_INT(install_day(t, D), 0);
        CHECK_INT(install_day(t, D - 1), 0);
        CHECK_INT(lr_tenant_rank_day(t), D);

        off = g_offset;
        CHECK_INT(apply(t, &ev, 3, &r), LR_ROUTE_APPLIED);
        CHECK_INT(r.decisions_cnt, 1);
        if (r.decisions_cnt == 1) {
                const lr_assigned_t *d = &r.decisions[0];
                CHECK_STR(d->event_id, "e-l1#1");
                CHECK_STR(d->tenant_id, tn);
                CHECK_STR(d->lead_id, "L1");
                CHECK_STR(d->rep_id, "r1");
                CHECK_STR(d->reason, "RANKED");
                CHECK_STR(d->strategy, "ranked");
                CHECK_INT(d->decided_at, at(D, 10, 0));
                CHECK_INT(d->attempt, 1);
                CHECK_INT(d->lead_tier, 3);
                CHECK_INT(d->rep_tier, 3);
                CHECK_INT(d->rep_rank, 1);
                CHECK_NEAR(d->rep_score, 0, 0);
                CHECK_INT(d->wait_ms, 0);
                CHECK_INT(d->skipped_cnt, 0);
                CHECK_STR(d->source_topic, TOPIC);
                CHECK_INT(d->source_partition, PARTITION);
                CHECK_INT(d->source_offset, off);
                /* the core writes the sentence and the policy version */
                CHECK(d->explanation != NULL && *d->explanation);
                CHECK_STR(d->policy_version, "v1");
        }
        CHECK_INT(r.timer_cnt, 0);
        /* The same event again, and another event for the same lead: what
         * was decided (the decisions are re-read from the store). */
        CHECK_INT(apply(t, &ev, 3, &r2), LR_ROUTE_DUPLICATE);
        CHECK_INT(r2.decisions_cnt, 0);
        CHECK_STR(refs(&r2), "L1#1");
        CHECK_INT(apply(t, &ev2, 3, &r3), LR_ROUTE_DUPLICATE);
        CHECK_INT(r3.decisions_cnt, 0);
        CHECK_STR(refs(&r3), "L1#1");
        lr_route_result_clear(&r);
        lr_route_result_clear(&r2);
        lr_route_result_clear(&r3);
        CHECK_INT(rep_field(t, "r1", REP_OPEN), 1);
        CHECK_INT(rep_field(t, "r1", REP_HANDLED), 1);
        CHECK(find_bucket(t, "r1", D) && find_bucket(t, "r1", D)->n[3] == 1);
        /* Redelivered at the same offset (the position of the partition):
         * applied already, whatever its event_id. */
        src.topic     = TOPIC;
        src.partition = PARTITION;
        src.offset    = off;
        {
                lr_event_t other  = ev_lead("e-l5", tn, "L5", at(D, 10, 2));
                other.u.lead.tier = 3;
                CHECK(lr_tenant_apply(t, &other, &src, &r) == 0);
                CHECK_INT(r.status, LR_ROUTE_DUPLICATE);
                CHECK_INT(r.decisions_cnt, 0);
                lr_route_result_clear(&r);
                /* another partition has a position of its own */
                src.partition = PARTITION + 1;
                CHECK(lr_tenant_apply(t, &other, &src, &r) == 0);
                CHECK_INT(r.status, LR_ROUTE_APPLIED);
                CHECK_STR(decs(&r), "L5>r1:RANKED#1");
                lr_route_result_clear(&r);
        }
        CHECK_INT(rep_field(t, "r1", REP_HANDLED), 2);

        /* The next day's first event installs its ranking first. */
        CHECK_INT(apply(t, &evn, 3, &r), LR_ROUTE_APPLIED);
        CHECK_INT(lr_tenant_rank_day(t), D + 1);
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

/* ---- presence ------------------------------------------------------------ */

static void test_presence_at_event_time(void) {
        lr_tenant_t *a = tenant_new("a"), *b = tenant_new("b");
        lr_tenant_t *c = tenant_new("c"), *d = tenant_new("d");
        lr_tenant_t *e = tenant_new("e");
        lr_route_result_t r;

        /* In a meeting until 10:30: a lead at 10:00 waits. */
        install_day(a, D);
        status(a, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 10, 30));
        CHECK_INT(lead(a, "L1", at(D, 10, 0), 3, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_queue_len(a), 1);

        /* The meeting ended at 09:30: the lead at 10:00 is r1's. */
        install_day(b, D);
        status(b, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 9, 30));
        CHECK_INT(lead(b, "L1", at(D, 10, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_route_result_clear(&r);

        /* Out of order: r1 is AVAILABLE from 10:05, which is processed
         * before the lead of 10:00: at 10:00 r1 was still in the meeting.
         * The lead of 10:10 first drains the waiting one. */
        install_day(c, D);
        status(c, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 10, 30));
        status(c, "r1", at(D, 10, 5), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(c, "L1", at(D, 10, 0), 3, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lead(c, "L2", at(D, 10, 10), 3, &r), 2);
        if (r.decisions_cnt == 2) {
                CHECK_STR(r.decisions[0].lead_id, "L1");
                CHECK_STR(r.decisions[0].reason, "QUEUED");
                CHECK_INT(r.decisions[0].wait_ms, 10 * 60000);
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 10));
                CHECK_STR(r.decisions[0].event_id, "ev-L1#1");
                CHECK_STR(r.decisions[1].lead_id, "L2");
                CHECK_STR(r.decisions[1].reason, "RANKED");
        }
        lr_route_result_clear(&r);

        /* A rep never given a status is OFFLINE. */
        install_day(d, D);
        call_outcome(d, "r1", "X1", at(D, 8, 0), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_INT(lead(d, "L1", at(D, 10, 0), 3, &r), 0);
        lr_route_result_clear(&r);

        /* A status read late, older than a waiting lead (another topic):
         * the lead is routed as of when it began to wait, not back in
         * time before it existed. */
        install_day(e, D);
        CHECK_INT(lead(e, "Q1", at(D, 10, 0), 3, &r), 0);
        lr_route_result_clear(&r);
        {
                lr_event_t ev = ev_status("e-late", "e", "r1", at(D, 9, 50),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(e, &ev, 3, &r), LR_ROUTE_APPLIED);
                CHECK_STR(decs(&r), "Q1>r1:QUEUED#1");
                if (r.decisions_cnt == 1) {
                        CHECK_INT(r.decisions[0].decided_at, at(D, 10, 0));
                        CHECK_INT(r.decisions[0].wait_ms, 0);
                }
                lr_route_result_clear(&r);
        }
        lr_tenant_free(e);
        lr_tenant_free(a);
        lr_tenant_free(b);
        lr_tenant_free(c);
        lr_tenant_free(d);
}

/* ---- working hours ------------------------------------------------------- */

static void test_working_hours_dst(void) {
        const char *ids[] = {"ny", "sg", "any"};
        lr_tenant_t *t    = NULL;
        lr_route_result_t r;
        int64_t fri;
        int32_t F;

        CHECK(lr_iso8601_parse("2026-03-06", &fri) == 0); /* Friday */
        F = lr_day_of(fri);
        policy_reset();
        t = tenant_new("t");
        setup(t, F, 3, ids, NULL);
        profile(t, "ny", at(F, 0, 1), NULL, "America/New_York",
                "Mon-Fri 09:00-17:00");
        profile(t, "sg", at(F, 0, 1), NULL, "Asia/Singapore",
                "Mon-Fri 09:00-17:00");
        /* Friday, EST (UTC-5): 13:59 UTC is 08:59 in New York, 21:59 in
         * Singapore */
        CHECK_STR(lead_x(t, "F1", at(F, 13, 59), 3, NULL, NULL, 0, &r),
                  "F1>any:RANKED#1");
        check_skipped(&r.decisions[0], "ny:OFF_HOURS,sg:OFF_HOURS");
        lr_route_result_clear(&r);
        CHECK_STR(route(t, "F2", at(F, 14, 0)), "F2>ny:RANKED#1");
        CHECK_STR(route(t, "F3", at(F, 21, 59)), "F3>ny:RANKED#1");
        CHECK_STR(route(t, "F4", at(F, 22, 0)), "F4>any:RANKED#1");
        /* Saturday 02:00 UTC: Saturday in Singapore too. (Monday is
         * 2026-03-09: New York is on EDT since Sunday 07:00 UTC.) */
        install(t, F + 3, 3, ids, (double[]){0.9, 0.8, 0.7}, (int[]){3, 3, 3});
        CHECK_INT(lr_tenant_rank_day(t), F + 3);
        CHECK_STR(route(t, "S1", at(F + 1, 2, 0)), "S1>any:RANKED#1");
        /* Monday 01:00 UTC = 09:00 in Singapore, Sunday 21:00 in NY */
        CHECK_STR(lead_x(t, "M0", at(F + 3, 1, 0), 3, NULL, NULL, 0, &r),
                  "M0>sg:RANKED#1");
        check_skipped(&r.decisions[0], "ny:OFF_HOURS");
        lr_route_result_clear(&r);
        /* Monday, EDT (UTC-4) since Sunday: 13:00 UTC is 09:00 in New York
         * (on Friday the same 13:00 UTC was 08:00) */
        CHECK_STR(lead_x(t, "M1", at(F + 3, 12, 59), 3, NULL, NULL, 0, &r),
                  "M1>any:RANKED#1"); /* 20:59 in Singapore */
        check_skipped(&r.decisions[0], "ny:OFF_HOURS,sg:OFF_HOURS");
        lr_route_result_clear(&r);
        CHECK_STR(route(t, "M2", at(F + 3, 13, 0)), "M2>ny:RANKED#1");
        CHECK_STR(route(t, "M3", at(F + 3, 20, 59)), "M3>ny:RANKED#1");
        CHECK_STR(route(t, "M4", at(F + 3, 21, 0)), "M4>any:RANKED#1");
        /* and the Friday check again with DST in mind: 13:00 UTC Friday */
        CHECK_STR(route(t, "F0", at(F, 13, 0)), "F0>any:RANKED#1");

        /* Hours off: "always" clears them. */
        profile(t, "ny", at(F + 3, 21, 30), NULL, NULL, "always");
        CHECK_STR(route(t, "M5", at(F + 3, 21, 31)), "M5>ny:RANKED#1");

        /* A bad value is a bad event (dead letter), named; nothing
         * changes. */
        CHECK_INT(status_x(t, "ny", at(F + 3, 22, 0), LR_PRESENCE_AVAILABLE,
                           NULL, NULL, "9 to 5", &r),
                  LR_ROUTE_REJECTED);
        CHECK(strstr(r.errstr, "working_hours") != NULL);
        lr_route_result_clear(&r);
        CHECK_INT(status_x(t, "ny", at(F + 3, 22, 0), LR_PRESENCE_AVAILABLE,
                           NULL, "Mars/Base", NULL, &r),
                  LR_ROUTE_REJECTED);
        CHECK(strstr(r.errstr, "unknown timezone") != NULL);
        lr_route_result_clear(&r);
        CHECK_INT(status_x(t, "new", at(F + 3, 22, 0), LR_PRESENCE_AVAILABLE,
                           NULL, "Mars/Base", NULL, &r),
                  LR_ROUTE_REJECTED);
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "new", REP_ACTIVE), -1);
        lr_tenant_free(t);
}

/* ---- capacity ------------------------------------------------------------ */

static void test_capacity(void) {
        const char *ids[]    = {"r1", "r2"};
        const double comps[] = {0.9, 0.5};
        const int tiers[]    = {3, 3};
        lr_tenant_t *t       = NULL;
        lr_route_result_t r;

        t = tenant_new("t");
        install_day(t, D);
        status_max_open(t, "r1", at(D, 9, 0), 1);
        status(t, "r2", at(D, 9, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, D + 1, 2, ids, comps, tiers);
        CHECK_INT(lead(t, "L1", at(D + 1, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        CHECK_INT(r.decisions[0].rep_rank, 1);
        CHECK_NEAR(r.decisions[0].rep_score, 0.9, 0);
        lr_route_result_clear(&r);
        CHECK_INT(lead(t, "L2", at(D + 1, 9, 1), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r2");
        CHECK_INT(r.decisions[0].rep_rank, 2);
        check_skipped(&r.decisions[0], "r1:AT_CAPACITY");
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L1", at(D + 1, 9, 30), LR_OUTCOME_CLOSED_LOST,
                     -1, &r);
        CHECK_INT(r.decisions_cnt, 0);
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "r1", REP_OPEN), 0);
        CHECK_INT(lead(t, "L3", at(D + 1, 9, 40), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

/* max_leads_per_day: counted per day of the rep's own timezone. */
static void test_daily_capacity(void) {
        const char *ids[] = {"r1", "r2"};
        lr_tenant_t *t    = NULL;

        policy_reset();
        g_pol.max_leads_per_day = 2;
        t                       = tenant_new("t");
        setup(t, D, 2, ids, NULL);
        profile(t, "r1", at(D, 8, 0), NULL, "America/Los_Angeles", NULL);
        CHECK_STR(route(t, "L1", at(D, 16, 0)), "L1>r1:RANKED#1");
        CHECK_STR(route(t, "L2", at(D, 16, 1)), "L2>r1:RANKED#1");
        CHECK_STR(route(t, "L3", at(D, 16, 2)), "L3>r2:RANKED#1");
        CHECK_STR(route(t, "L4", at(D, 23, 30)), "L4>r2:RANKED#1");
        /* 00:30 UTC: a new day for r2 (UTC), still 16:30 of the same day
         * for r1 in Los Angeles. */
        install(t, D + 1, 2, ids, (double[]){0.9, 0.8}, (int[]){3, 3});
        CHECK_STR(route(t, "L5", at(D + 1, 0, 30)), "L5>r2:RANKED#1");
        /* 09:00 UTC = 01:00 in Los Angeles: r1's new day. */
        CHECK_STR(route(t, "L6", at(D + 1, 9, 0)), "L6>r1:RANKED#1");
        g_pol.max_leads_per_day = 0;
        CHECK_STR(route(t, "L7", at(D + 1, 9, 1)), "L7>r1:RANKED#1");
        CHECK_STR(route(t, "L8", at(D + 1, 9, 2)), "L8>r1:RANKED#1");
        lr_tenant_free(t);
}

/* ---- tiers, ties, skipped ------------------------------------------------ */

static void test_tiers_and_fallback(void) {
        const char *ids[]    = {"c", "a", "b"};
        const double comps[] = {0.9, 0.8, 0.7};
        const int tiers[]    = {3, 1, 2};
        int32_t d            = D + 1;
        lr_tenant_t *t       = NULL;
        lr_route_result_t r;

        t = tenant_new("t");
        install_day(t, D);
        status(t, "a", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "b", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "c", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, d, 3, ids, comps, tiers);
        CHECK_INT(rep_field(t, "a", REP_TIER), 1);

        CHECK_INT(lead(t, "L1", at(d, 9, 0), 2, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "RANKED");
        CHECK_INT(r.decisions[0].rep_tier, 2);
        CHECK_INT(r.decisions[0].rep_rank, 3);
        check_skipped(&r.decisions[0], "c:TIER,a:TIER");
        lr_route_result_clear(&r);

        /* Lead tier 2, no tier-2 rep: tier 1 before tier 3. */
        status(t, "b", at(d, 9, 1), LR_PRESENCE_BUSY, at(d, 12, 0));
        CHECK_INT(lead(t, "L2", at(d, 9, 2), 2, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "a");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        CHECK_INT(r.decisions[0].lead_tier, 2);
        CHECK_INT(r.decisions[0].rep_tier, 1);
        check_skipped(&r.decisions[0], "c:TIER");
        lr_route_result_clear(&r);

        /* Lead tier 3 finds its tier. */
        CHECK_INT(lead(t, "L3", at(d, 9, 3), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "c");
        CHECK_STR(r.decisions[0].reason, "RANKED");
        CHECK_INT(r.decisions[0].skipped_cnt, 0);
        lr_route_result_clear(&r);

        /* Lead tier 3 without tier 3: tier 2 before tier 1. */
        status(t, "b", at(d, 9, 4), LR_PRESENCE_AVAILABLE, 0);
        status(t, "c", at(d, 9, 4), LR_PRESENCE_OUT_OF_OFFICE, 0);
        CHECK_INT(lead(t, "L4", at(d, 9, 5), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        check_skipped(&r.decisions[0], "c:OUT_OF_OFFICE,a:TIER");
        lr_route_result_clear(&r);

        /* Lead tier 1 without tier 1: tier 2 before tier 3. */
        status(t, "c", at(d, 9, 6), LR_PRESENCE_AVAILABLE, 0);
        status(t, "a", at(d, 9, 6), LR_PRESENCE_IN_MEETING, 0);
        CHECK_INT(lead(t, "L5", at(d, 9, 7), 1, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        check_skipped(&r.decisions[0], "c:TIER,a:IN_MEETING");
        lr_route_result_clear(&r);

        /* The lead tier comes from the event: an explicit tier wins over
         * the score, clamped to the policy's tiers; else the score. */
        {
                lr_event_t ev   = ev_lead("ev-L6", "t", "L6", at(d, 9, 8));
                ev.u.lead.score = 95;
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK_INT(r.decisions_cnt, 1);
                if (r.decisions_cnt == 1) {
                        CHECK_INT(r.decisions[0].lead_tier, 1);
                        CHECK_STR(r.decisions[0].rep_id, "b");
                }
                lr_route_result_clear(&r);
                ev              = ev_lead("ev-L7", "t", "L7", at(d, 9, 9));
                ev.u.lead.score = 95;
                CHECK_INT(apply(t, &ev, 7, &r), LR_ROUTE_APPLIED);
                CHECK_INT(r.decisions_cnt, 1);
                if (r.decisions_cnt == 1) {
                        CHECK_INT(r.decisions[0].lead_tier, 3);
                        CHECK_STR(r.decisions[0].rep_id, "c");
                }
                lr_route_result_clear(&r);
        }
        lr_tenant_free(t);
}

static void test_tie_break(void) {
        const char *ids[]    = {"rb", "ra"};
        const double comps[] = {0.5, 0.5};
        const int tiers[]    = {3, 3};
        const char *expect[] = {"ra", "rb", "ra"};
        lr_tenant_t *t       = tenant_new("t");
        lr_route_result_t r;
        char id[8];
        int i;

        install_day(t, D);
        status(t, "rb", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "ra", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, D + 1, 2, ids, comps, tiers);
        /* Equal composites: fewer leads today, then rep_id. */
        for (i = 0; i < 3; i++) {
                snprintf(id, sizeof(id), "L%d", i);
                CHECK_INT(lead(t, id, at(D + 1, 9, i), 3, &r), 1);
                CHECK_STR(r.decisions[0].rep_id, expect[i]);
                CHECK_INT(r.decisions[0].skipped_cnt, 0);
                lr_route_result_clear(&r);
        }
        /* A new day: ra (2 yesterday) and rb (1) both have 0 today. */
        install(t, D + 2, 2, ids, comps, tiers);
        CHECK_INT(lead(t, "L9", at(D + 2, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "ra");
        lr_route_result_clear(&r);

        /* Reps new since the ranking follow it, by rep_id, composite 0. */
        status(t, "n2", at(D + 2, 9, 1), LR_PRESENCE_AVAILABLE, 0);
        status(t, "n1", at(D + 2, 9, 1), LR_PRESENCE_AVAILABLE, 0);
        status(t, "ra", at(D + 2, 9, 1), LR_PRESENCE_OFFLINE, 0);
        status(t, "rb", at(D + 2, 9, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_INT(lead(t, "L10", at(D + 2, 9, 2), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "n1");
        CHECK_INT(r.decisions[0].rep_rank, 3);
        CHECK_NEAR(r.decisions[0].rep_score, 0, 0);
        check_skipped(&r.decisions[0], "rb:OFFLINE,ra:OFFLINE");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

static void test_skipped_reasons(void) {
        const char *ids[]    = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
        const double comps[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
        const int tiers[]    = {3, 3, 3, 3, 2, 3, 3, 3};
        int32_t d            = D + 1;
        lr_tenant_t *t       = tenant_new("t");
        lr_route_result_t r;
        int i;

        install_day(t, D);
        for (i = 0; i < 8; i++)
                if (i != 2)
                        status(t, ids[i], at(D, 8, 0), LR_PRESENCE_AVAILABLE,
                               0);
        call_outcome(t, "r2", "X", at(D, 8, 0), LR_OUTCOME_NO_ANSWER, -1, &r);
        lr_route_result_clear(&r);
        status_max_open(t, "r3", at(D, 8, 1), 0);
        install(t, d, 8, ids, comps, tiers);
        status(t, "r0", at(d, 8, 0), LR_PRESENCE_DEPARTED, 0);
        status(t, "r1", at(d, 8, 0), LR_PRESENCE_IN_MEETING, at(d, 11, 0));
        status(t, "r5", at(d, 8, 0), LR_PRESENCE_BUSY, at(d, 11, 0));
        status(t, "r6", at(d, 8, 0), LR_PRESENCE_OUT_OF_OFFICE, 0);
        CHECK_INT(lead(t, "L1", at(d, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r7");
        CHECK_INT(r.decisions[0].rep_rank, 8);
        check_skipped(&r.decisions[0], "r1:IN_MEETING,r2:OFFLINE,"
                                       "r3:AT_CAPACITY,r4:TIER,r5:BUSY,"
                                       "r6:OUT_OF_OFFICE");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

/* ---- outcomes ------------------------------------------------------------ */

static void test_outcomes_and_buckets(void) {
        lr_tenant_t *t = tenant_new("t");
        lr_route_result_t r;
        lr_route_rep_t r1, r2;
        const lr_bucket_t *b;
        size_t cnt = 0, i, n;

        install_day(t, D + 2);
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        /* First call 30 minutes after assignment: speed to lead. Delivered
         * twice, counted once. */
        call_outcome(t, "r1", "L1", at(D, 9, 30), LR_OUTCOME_NO_ANSWER, -1, &r);
        lr_route_result_clear(&r);
        {
                lr_event_t ev = ev_call("call-r1-L1-again", "t", "r1", "L1",
                                        at(D, 9, 30), LR_OUTCOME_NO_ANSWER, -1);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                lr_route_result_clear(&r);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_DUPLICATE);
                CHECK_INT(r.decisions_cnt, 0);
                CHECK_INT(r.refs_cnt, 0);
                lr_route_result_clear(&r);
        }
        call_outcome(t, "r1", "L1", at(D + 1, 10, 0),
                     LR_OUTCOME_OPPORTUNITY_CREATED, -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L1", at(D + 2, 9, 0), LR_OUTCOME_CLOSED_WON,
                     500000, &r);
        lr_route_result_clear(&r);
        /* After close only the call counts. */
        call_outcome(t, "r1", "L1", at(D + 2, 10, 0), LR_OUTCOME_CLOSED_LOST,
                     -1, &r);
        lr_route_result_clear(&r);

        /* An unknown lead's outcome attributes it (history import). */
        call_outcome(t, "r2", "U1", at(D + 1, 12, 0), LR_OUTCOME_CONNECTED, -1,
                     &r);
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "r2", REP_OPEN), 1);
        call_outcome(t, "r2", "U1", at(D + 2, 12, 0), LR_OUTCOME_DISQUALIFIED,
                     -1, &r);
        lr_route_result_clear(&r);

        /* A lead of r1's, closed by r2: moved to r2 from then on. */
        CHECK_INT(lead(t, "L2", at(D + 2, 8, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_route_result_clear(&r);
        CHECK_INT(rep_field(t, "r1", REP_OPEN), 1);
        call_outcome(t, "r2", "L2", at(D + 2, 14, 0), LR_OUTCOME_CLOSED_LOST,
                     -1, &r);
        lr_route_result_clear(&r);

        n = lr_tenant_rep_cnt(t);
        CHECK_INT(n, 2);
        if (n == 2) { /* by rep_id */
                lr_tenant_rep_at(t, 0, &r1);
                lr_tenant_rep_at(t, 1, &r2);
                CHECK_STR(r1.rep_id, "r1");
                CHECK_STR(r2.rep_id, "r2");
        }
        CHECK(lr_tenant_rep(t, "r1", &r1) && lr_tenant_rep(t, "r2", &r2));
        CHECK_INT(r1.tier, 3);
        CHECK_INT(r1.active, 1);
        CHECK_STR(r1.status, "AVAILABLE");
        CHECK_INT(r1.handled, 2);
        CHECK_INT(r1.open_leads, 0);
        lr_tenant_rep_buckets(t, "r1", &cnt);
        CHECK_INT(cnt, 3);
        b = find_bucket(t, "r1", D);
        CHECK(b != NULL);
        if (b) {
                CHECK_INT(b->n[3], 1);
                CHECK_INT(b->c[3], 1); /* cohort of assignment */
                CHECK_INT(b->x[3], 0);
                CHECK_INT(b->calls, 2);
                CHECK_NEAR(b->stl_minutes_sum, 30, 1e-9);
                CHECK_INT(b->stl_n, 1);
        }
        b = find_bucket(t, "r1", D + 1);
        CHECK(b && b->calls == 1 && b->c[3] == 0 && b->stl_n == 0);
        b = find_bucket(t, "r1", D + 2);
        CHECK(b != NULL);
        if (b) {
                CHECK_INT(b->n[3], 1); /* L2 */
                CHECK_INT(b->calls, 2);
                CHECK_INT(b->won, 1);
                CHECK_INT(b->lost, 0);
                CHECK_INT(b->won_value_cents, 500000);
                CHECK_NEAR(b->cycle_days_sum, 2.0, 1e-9);
                CHECK_INT(b->cycle_n, 1);
        }

        /* r2 never gave a status: OFFLINE */
        CHECK_STR(r2.status, "OFFLINE");
        CHECK_INT(r2.handled, 2);
        CHECK_INT(r2.open_leads, 0);
        b = find_bucket(t, "r2", D + 1);
        CHECK(b != NULL);
        if (b) {
                CHECK_INT(b->n[0], 1); /* U1: unknown lead tier */
                CHECK_INT(b->x[0], 1);
                CHECK_INT(b->calls, 1);
                CHECK_INT(b->stl_n, 0);
        }
        b = find_bucket(t, "r2", D + 2);
        CHECK(b != NULL);
        if (b) {
                CHECK_INT(b->n[3], 1); /* L2, attributed */
                CHECK_INT(b->x[3], 1);
                CHECK_INT(b->lost, 1);
                CHECK_INT(b->cycle_n, 1); /* L2 lost, from 14:00 */
                CHECK_NEAR(b->cycle_days_sum, 0, 1e-9);
                CHECK_INT(b->calls, 2);
                CHECK_INT(b->stl_n, 1); /* L2's first touch */
                CHECK_NEAR(b->stl_minutes_sum, 360, 1e-9);
        }
        /* Every bucket is of a day of the story. */
        {
                const lr_bucket_t *all = lr_tenant_rep_buckets(t, "r2", &cnt);
                for (i = 0; i < cnt; i++)
                        CHECK(all[i].day >= D + 1 && all[i].day <= D + 2);
        }
        lr_tenant_free(t);
}

static void test_departed(void) {
        lr_tenant_t *t = tenant_new("t");
        lr_route_result_t r;
        lr_route_rep_t rep;

        install_day(t, D);
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r1", at(D, 9, 0), LR_PRESENCE_DEPARTED, 0);
        status(t, "r1", at(D, 10, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D, 11, 0), 3, &r), 0);
        lr_route_result_clear(&r);
        CHECK_INT(lr_tenant_rep_cnt(t), 1);
        CHECK(lr_tenant_rep(t, "r1", &rep));
        CHECK_INT(rep.active, 0);
        CHECK_STR(rep.status, "DEPARTED");
        /* its presence history is kept; it is out of the routing order */
        CHECK_INT(lr_rep_get(t, "r1")->hist_cnt, 3);
        CHECK_INT(t->unranked_cnt, 0);
        lr_tenant_free(t);
}

/* ---- ranking installs ---------------------------------------------------- */

static void test_rank_install(void) {
        const char *ids[]    = {"r1"};
        const double comps[] = {0.25};
        const int tiers[]    = {1};
        lr_tenant_t *t       = NULL;
        lr_route_result_t r;
        const lr_ranking_t *k;

        g_pol.window_days = 90;
        t                 = tenant_new("t");
        install_day(t, D);
        /* History from long ago, then a ranking that prunes it. */
        call_outcome(t, "r1", "old", at(D - 100, 9, 0), LR_OUTCOME_CONNECTED,
                     -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "new", at(D - 10, 9, 0), LR_OUTCOME_CONNECTED, -1,
                     &r);
        lr_route_result_clear(&r);
        CHECK(find_bucket(t, "r1", D - 100) &&
              find_bucket(t, "r1", D - 100)->calls == 1);
        CHECK_INT(install_day(t, D + 1), 1);
        CHECK(find_bucket(t, "r1", D - 100) == NULL);
        CHECK(find_bucket(t, "r1", D - 10) &&
              find_bucket(t, "r1", D - 10)->calls == 1);
        /* A ranking given as is, for the same day. */
        install(t, D + 1, 1, ids, comps, tiers);
        CHECK_INT(rep_field(t, "r1", REP_TIER), 1);
        status(t, "r1", at(D + 1, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D + 1, 9, 0), 1, &r), 1);
        CHECK_INT(r.decisions[0].rep_rank, 1);
        CHECK_INT(r.decisions[0].rep_tier, 1);
        CHECK_NEAR(r.decisions[0].rep_score, 0.25, 0);
        lr_route_result_clear(&r);

        /* Older or equal days are not installed again. */
        CHECK_INT(install_day(t, D + 1), 0);
        CHECK_INT(install_day(t, D), 0);
        CHECK_INT(rep_field(t, "r1", REP_TIER), 1);
        /* Not an evaluation day (monthly, and D+2 is not the 1st): tiers
         * are kept, though r1, still ramping, would go to the bottom tier
         * at an evaluation. */
        snprintf(g_pol.evaluation, sizeof(g_pol.evaluation), "monthly");
        CHECK_INT(install_day(t, D + 2), 1);
        CHECK_INT(rep_field(t, "r1", REP_TIER), 1);
        k = lr_tenant_ranking(t);
        CHECK(k && k->day == D + 2 && k->cnt == 1 && !k->evaluated);
        if (k && k->cnt == 1) {
                CHECK_STR(k->ranks[0].rep_id, "r1");
                CHECK_INT(k->ranks[0].rank, 1);
        }
        CHECK_INT(lr_tenant_outbox_len(t), 0);
        /* An evaluation day: it is. */
        snprintf(g_pol.evaluation, sizeof(g_pol.evaluation), "daily");
        lr_tenant_ensure_day(t, D + 3, &r);
        CHECK_INT(rep_field(t, "r1", REP_TIER), 3);
        CHECK_INT(r.tier_changes_cnt, 1);
        if (r.tier_changes_cnt == 1) {
                CHECK_INT(r.tier_changes[0].from_tier, 1);
                CHECK_INT(r.tier_changes[0].to_tier, 3);
        }
        CHECK_INT(lr_tenant_outbox_len(t), 1);
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

/* ---- bad events ---------------------------------------------------------- */

static void test_rejects(void) {
        lr_tenant_t *t = tenant_new("t");
        lr_event_t ev[4];
        lr_route_result_t res;
        int i;

        install_day(t, D);
        ev[0] =
            ev_status("b0", "t", "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        ev[1]         = ev_lead("b2", "t", "L1", at(D, 9, 0));
        ev[2]         = ev_lead("b3", "t", "L2", at(D, 9, 0));
        ev[2].lead_id = NULL;
        ev[3]         = ev_lead("b4", "t", "L3", at(D, 9, 0));
        ev[3].kind    = LR_EV_LEAD_ASSIGNED;
        {
                static const lr_route_status_t want[] = {
                    LR_ROUTE_APPLIED, LR_ROUTE_APPLIED, LR_ROUTE_REJECTED,
                    LR_ROUTE_REJECTED};
                static const size_t ndec[] = {0, 1, 0, 0};
                for (i = 0; i < 4; i++) {
                        CHECK_INT(apply(t, &ev[i], 3, &res), want[i]);
                        CHECK_INT(res.decisions_cnt, ndec[i]);
                        if (want[i] == LR_ROUTE_REJECTED)
                                CHECK(res.errstr[0] != '\0');
                        lr_route_result_clear(&res);
                }
        }
        /* a rejected event is not recorded: fixed, it applies */
        CHECK(lr_lead_get(t, "L3") == NULL);
        ev[3].kind = LR_EV_LEAD_CREATED;
        CHECK_INT(apply(t, &ev[3], 3, &res), LR_ROUTE_APPLIED);
        CHECK_STR(decs(&res), "L3>r1:RANKED#1");
        lr_route_result_clear(&res);
        /* an event of another tenant is a bug of the caller */
        {
                lr_event_t other = ev_lead("b5", "u", "L5", at(D, 9, 1));
                CHECK(lr_tenant_apply(t, &other, NULL, &res) == -1);
                lr_route_result_clear(&res);
        }
        lr_tenant_free(t);
}

/* Each test starts from the default policy. */
#define RUN(test)                                                              \
        do {                                                                   \
                fixture_init();                                                \
                test();                                                        \
        } while (0)

int main(void) {
        RUN(test_day_ranking_and_idempotency);
        RUN(test_presence_at_event_time);
        RUN(test_working_hours_dst);
        RUN(test_capacity);
        RUN(test_daily_capacity);
        RUN(test_tiers_and_fallback);
        RUN(test_tie_break);
        RUN(test_skipped_reasons);
        RUN(test_outcomes_and_buckets);
        RUN(test_departed);
        RUN(test_rank_install);
        RUN(test_rejects);

        CHECK_DONE();
}
