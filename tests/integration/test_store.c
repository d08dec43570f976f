/*
 * test_store.c - the store (store.c + functions.lua) against a real
 * redis-server: idempotency, need_rank, presence at event time, capacity,
 * tiers and their fallback order, tie-breaks, skipped reasons, the queue,
 * outcome attribution and metric buckets, DEPARTED, ranking installs and
 * reloading the Functions library.
 *
 * Uses LR_TEST_REDIS_URL when set, else starts its own redis-server on a
 * free loopback port and shuts it down at the end. Each test works in its
 * own namespace and flushes it afterwards.
 */
#include "store_fixture.h"

/* ---- tests --------------------------------------------------------------- */

static void test_need_rank_and_idempotency(void) {
        const char *ns = "lrtest-store-idem", *tn = "acme";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r, r2, r3;
        lr_event_t ev  = ev_lead("e-l1", tn, "L1", at(D, 10, 0));
        lr_event_t ev2 = ev_lead("e-l1-again", tn, "L1", at(D, 10, 1));
        lr_event_t evn = ev_lead("e-l9", tn, "L9", at(D + 1, 0, 0));
        int32_t day    = 0;
        char err[256], key[64];

        CHECK(lr_store_rank_day(st, tn, &day, err, sizeof(err)) == 0);
        CHECK_INT(day, -1);
        CHECK_INT(apply(st, &ev, 3, &r), LR_STORE_NEED_RANK);
        CHECK_INT(r.need_day, D);
        lr_store_result_clear(&r);
        CHECK_INT(hget_int(ns, tn, "lead:L1", "created_at"), -1);

        CHECK_INT(install_empty(st, tn, D), 1);
        CHECK_INT(install_empty(st, tn, D), 0);
        CHECK_INT(install_empty(st, tn, D - 1), 0);
        CHECK(lr_store_rank_day(st, tn, &day, err, sizeof(err)) == 0);
        CHECK_INT(day, D);

        status(st, tn, "r1", at(D, 9, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(apply(st, &ev, 3, &r), LR_STORE_APPLIED);
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
                CHECK_INT(d->source_partition, 2);
                CHECK_INT(d->source_offset, 1234567890123LL);
                CHECK(d->explanation == NULL && d->policy_version == NULL);
        }
        /* The same event again, and another event for the same lead. */
        CHECK_INT(apply(st, &ev, 3, &r2), LR_STORE_DUPLICATE);
        CHECK_INT(r2.decisions_cnt, 1);
        CHECK_INT(apply(st, &ev2, 3, &r3), LR_STORE_DUPLICATE);
        CHECK_INT(r3.decisions_cnt, 1);
        if (r.decisions_cnt == 1 && r2.decisions_cnt == 1 &&
            r3.decisions_cnt == 1) {
                check_same_decision(&r.decisions[0], &r2.decisions[0]);
                check_same_decision(&r.decisions[0], &r3.decisions[0]);
        }
        lr_store_result_clear(&r);
        lr_store_result_clear(&r2);
        lr_store_result_clear(&r3);
        CHECK_INT(rep_field(st, tn, "r1", REP_OPEN), 1);
        CHECK_INT(rep_field(st, tn, "r1", REP_HANDLED), 1);
        snprintf(key, sizeof(key), "%d:n3", D);
        CHECK_INT(hget_int(ns, tn, "m:r1", key), 1);

        /* The next day needs its ranking first. */
        CHECK_INT(apply(st, &evn, 3, &r), LR_STORE_NEED_RANK);
        CHECK_INT(r.need_day, D + 1);
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_presence_at_event_time(void) {
        const char *ns = "lrtest-store-presence";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r;

        /* In a meeting until 10:30: a lead at 10:00 waits. */
        install_empty(st, "a", D);
        status(st, "a", "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING,
               at(D, 10, 30));
        CHECK_INT(lead(st, "a", "L1", at(D, 10, 0), 3, &r), 0);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, "a", "queue"), 1);

        /* The meeting ended at 09:30: the lead at 10:00 is r1's. */
        install_empty(st, "b", D);
        status(st, "b", "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING,
               at(D, 9, 30));
        CHECK_INT(lead(st, "b", "L1", at(D, 10, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_store_result_clear(&r);

        /* Out of order: r1 is AVAILABLE from 10:05, which is processed
         * before the lead of 10:00: at 10:00 r1 was still in the meeting.
         * The lead of 10:10 first drains the waiting one. */
        install_empty(st, "c", D);
        status(st, "c", "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING,
               at(D, 10, 30));
        status(st, "c", "r1", at(D, 10, 5), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(st, "c", "L1", at(D, 10, 0), 3, &r), 0);
        lr_store_result_clear(&r);
        CHECK_INT(lead(st, "c", "L2", at(D, 10, 10), 3, &r), 2);
        if (r.decisions_cnt == 2) {
                CHECK_STR(r.decisions[0].lead_id, "L1");
                CHECK_STR(r.decisions[0].reason, "QUEUED");
                CHECK_INT(r.decisions[0].wait_ms, 10 * 60000);
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 10));
                CHECK_STR(r.decisions[0].event_id, "ev-L1#1");
                CHECK_STR(r.decisions[1].lead_id, "L2");
                CHECK_STR(r.decisions[1].reason, "RANKED");
        }
        lr_store_result_clear(&r);

        /* A rep never given a status is OFFLINE. */
        install_empty(st, "d", D);
        call_outcome(st, "d", "r1", "X1", at(D, 8, 0), LR_OUTCOME_CONNECTED, -1,
                     &r);
        lr_store_result_clear(&r);
        CHECK_INT(lead(st, "d", "L1", at(D, 10, 0), 3, &r), 0);
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_capacity(void) {
        const char *ns = "lrtest-store-capacity", *tn = "t";
        const char *ids[]    = {"r1", "r2"};
        const double comps[] = {0.9, 0.5};
        const int tiers[]    = {3, 3};
        lr_store_t *st       = store_open(ns);
        lr_store_result_t r;

        install_empty(st, tn, D);
        status_max_open(st, tn, "r1", at(D, 9, 0), 1);
        status(st, tn, "r2", at(D, 9, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(install(st, tn, D + 1, 2, ids, comps, tiers), 1);
        CHECK_INT(lead(st, tn, "L1", at(D + 1, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        CHECK_INT(r.decisions[0].rep_rank, 1);
        CHECK_NEAR(r.decisions[0].rep_score, 0.9, 0);
        lr_store_result_clear(&r);
        CHECK_INT(lead(st, tn, "L2", at(D + 1, 9, 1), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r2");
        CHECK_INT(r.decisions[0].rep_rank, 2);
        check_skipped(&r.decisions[0], "r1:AT_CAPACITY");
        lr_store_result_clear(&r);
        call_outcome(st, tn, "r1", "L1", at(D + 1, 9, 30),
                     LR_OUTCOME_CLOSED_LOST, -1, &r);
        CHECK_INT(r.decisions_cnt, 0);
        lr_store_result_clear(&r);
        CHECK_INT(rep_field(st, tn, "r1", REP_OPEN), 0);
        CHECK_INT(lead(st, tn, "L3", at(D + 1, 9, 40), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_tiers_and_fallback(void) {
        const char *ns = "lrtest-store-tiers", *tn = "t";
        const char *ids[]    = {"c", "a", "b"};
        const double comps[] = {0.9, 0.8, 0.7};
        const int tiers[]    = {3, 1, 2};
        int32_t d            = D + 1;
        lr_store_t *st       = store_open(ns);
        lr_store_result_t r;

        install_empty(st, tn, D);
        status(st, tn, "a", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "b", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "c", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(install(st, tn, d, 3, ids, comps, tiers), 1);
        CHECK_INT(rep_field(st, tn, "a", REP_TIER), 1);

        CHECK_INT(lead(st, tn, "L1", at(d, 9, 0), 2, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "RANKED");
        CHECK_INT(r.decisions[0].rep_tier, 2);
        CHECK_INT(r.decisions[0].rep_rank, 3);
        check_skipped(&r.decisions[0], "c:TIER,a:TIER");
        lr_store_result_clear(&r);

        /* Lead tier 2, no tier-2 rep: tier 1 before tier 3. */
        status(st, tn, "b", at(d, 9, 1), LR_PRESENCE_BUSY, at(d, 12, 0));
        CHECK_INT(lead(st, tn, "L2", at(d, 9, 2), 2, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "a");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        CHECK_INT(r.decisions[0].lead_tier, 2);
        CHECK_INT(r.decisions[0].rep_tier, 1);
        check_skipped(&r.decisions[0], "c:TIER");
        lr_store_result_clear(&r);

        /* Lead tier 3 finds its tier. */
        CHECK_INT(lead(st, tn, "L3", at(d, 9, 3), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "c");
        CHECK_STR(r.decisions[0].reason, "RANKED");
        CHECK_INT(r.decisions[0].skipped_cnt, 0);
        lr_store_result_clear(&r);

        /* Lead tier 3 without tier 3: tier 2 before tier 1. */
        status(st, tn, "b", at(d, 9, 4), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "c", at(d, 9, 4), LR_PRESENCE_OUT_OF_OFFICE, 0);
        CHECK_INT(lead(st, tn, "L4", at(d, 9, 5), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        check_skipped(&r.decisions[0], "c:OUT_OF_OFFICE,a:TIER");
        lr_store_result_clear(&r);

        /* Lead tier 1 without tier 1: tier 2 before tier 3. */
        status(st, tn, "c", at(d, 9, 6), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "a", at(d, 9, 6), LR_PRESENCE_IN_MEETING, 0);
        CHECK_INT(lead(st, tn, "L5", at(d, 9, 7), 1, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "b");
        CHECK_STR(r.decisions[0].reason, "FALLBACK_TIER");
        check_skipped(&r.decisions[0], "c:TIER,a:IN_MEETING");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_tie_break(void) {
        const char *ns = "lrtest-store-tie", *tn = "t";
        const char *ids[]    = {"rb", "ra"};
        const double comps[] = {0.5, 0.5};
        const int tiers[]    = {3, 3};
        lr_store_t *st       = store_open(ns);
        lr_store_result_t r;
        const char *expect[] = {"ra", "rb", "ra"};
        char id[8];
        int i;

        install_empty(st, tn, D);
        status(st, tn, "rb", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "ra", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(install(st, tn, D + 1, 2, ids, comps, tiers), 1);
        /* Equal composites: fewer leads today, then rep_id. */
        for (i = 0; i < 3; i++) {
                snprintf(id, sizeof(id), "L%d", i);
                CHECK_INT(lead(st, tn, id, at(D + 1, 9, i), 3, &r), 1);
                CHECK_STR(r.decisions[0].rep_id, expect[i]);
                CHECK_INT(r.decisions[0].skipped_cnt, 0);
                lr_store_result_clear(&r);
        }
        /* A new day: ra (2 yesterday) and rb (1) both have 0 today. */
        CHECK_INT(install(st, tn, D + 2, 2, ids, comps, tiers), 1);
        CHECK_INT(lead(st, tn, "L9", at(D + 2, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "ra");
        lr_store_result_clear(&r);

        /* Reps new since the ranking follow it, by rep_id, composite 0. */
        status(st, tn, "n2", at(D + 2, 9, 1), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "n1", at(D + 2, 9, 1), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "ra", at(D + 2, 9, 1), LR_PRESENCE_OFFLINE, 0);
        status(st, tn, "rb", at(D + 2, 9, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_INT(lead(st, tn, "L10", at(D + 2, 9, 2), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "n1");
        CHECK_INT(r.decisions[0].rep_rank, 3);
        CHECK_NEAR(r.decisions[0].rep_score, 0, 0);
        check_skipped(&r.decisions[0], "rb:OFFLINE,ra:OFFLINE");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_skipped_reasons(void) {
        const char *ns = "lrtest-store-skipped", *tn = "t";
        const char *ids[]    = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"};
        const double comps[] = {0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2};
        const int tiers[]    = {3, 3, 3, 3, 2, 3, 3, 3};
        int32_t d            = D + 1;
        lr_store_t *st       = store_open(ns);
        lr_store_result_t r;
        int i;

        install_empty(st, tn, D);
        for (i = 0; i < 8; i++)
                if (i != 2)
                        status(st, tn, ids[i], at(D, 8, 0),
                               LR_PRESENCE_AVAILABLE, 0);
        call_outcome(st, tn, "r2", "X", at(D, 8, 0), LR_OUTCOME_NO_ANSWER, -1,
                     &r);
        lr_store_result_clear(&r);
        status_max_open(st, tn, "r3", at(D, 8, 1), 0);
        CHECK_INT(install(st, tn, d, 8, ids, comps, tiers), 1);
        status(st, tn, "r0", at(d, 8, 0), LR_PRESENCE_DEPARTED, 0);
        status(st, tn, "r1", at(d, 8, 0), LR_PRESENCE_IN_MEETING, at(d, 11, 0));
        status(st, tn, "r5", at(d, 8, 0), LR_PRESENCE_BUSY, at(d, 11, 0));
        status(st, tn, "r6", at(d, 8, 0), LR_PRESENCE_OUT_OF_OFFICE, 0);
        CHECK_INT(lead(st, tn, "L1", at(d, 9, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r7");
        CHECK_INT(r.decisions[0].rep_rank, 8);
        check_skipped(&r.decisions[0], "r1:IN_MEETING,r2:OFFLINE,"
                                       "r3:AT_CAPACITY,r4:TIER,r5:BUSY,"
                                       "r6:OUT_OF_OFFICE");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_queue_and_drain(void) {
        const char *ns = "lrtest-store-queue", *tn = "t";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r;

        install_empty(st, tn, D);
        status_max_open(st, tn, "r1", at(D, 8, 0), 2);
        status(st, tn, "r1", at(D, 8, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_INT(lead(st, tn, "A", at(D, 10, 0), 2, &r), 0);
        lr_store_result_clear(&r);
        CHECK_INT(lead(st, tn, "B", at(D, 9, 50), 3, &r), 0);
        lr_store_result_clear(&r);
        CHECK_INT(lead(st, tn, "C", at(D, 10, 5), 2, &r), 0);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 3);

        /* Better lead tier first, then oldest; capacity 2. Delivered
         * again, the status re-publishes the same decisions. */
        {
                lr_event_t ev = ev_status("back", tn, "r1", at(D, 10, 30),
                                          LR_PRESENCE_AVAILABLE, 0);
                lr_store_result_t again;
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_APPLIED);
                CHECK_INT(apply(st, &ev, 0, &again), LR_STORE_DUPLICATE);
                CHECK_INT(again.decisions_cnt, r.decisions_cnt);
                if (again.decisions_cnt == 2 && r.decisions_cnt == 2) {
                        check_same_decision(&r.decisions[0],
                                            &again.decisions[0]);
                        check_same_decision(&r.decisions[1],
                                            &again.decisions[1]);
                }
                lr_store_result_clear(&again);
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
                CHECK_STR(r.decisions[0].source_topic, TOPIC);
                CHECK_INT(r.decisions[0].source_offset, 1234567890123LL);
                CHECK_STR(r.decisions[1].lead_id, "C");
                CHECK_INT(r.decisions[1].wait_ms, 25 * 60000);
        }
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 1);

        /* Closing A frees a seat: B goes in the outcome's decisions. */
        call_outcome(st, tn, "r1", "A", at(D, 11, 0), LR_OUTCOME_CLOSED_WON,
                     1000, &r);
        CHECK_INT(r.decisions_cnt, 1);
        if (r.decisions_cnt == 1) {
                CHECK_STR(r.decisions[0].lead_id, "B");
                CHECK_STR(r.decisions[0].reason, "QUEUED");
                CHECK_INT(r.decisions[0].wait_ms, 70 * 60000);
        }
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 0);
        CHECK_INT(rep_field(st, tn, "r1", REP_OPEN), 2);
        store_close(st);
}

static void test_outcomes_and_buckets(void) {
        const char *ns = "lrtest-store-outcomes", *tn = "t";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r;
        lr_store_rep_t *reps = NULL;
        size_t cnt           = 0;
        const lr_store_rep_t *r1, *r2;
        const lr_bucket_t *b;
        char err[256];

        install_empty(st, tn, D + 2);
        status(st, tn, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(st, tn, "L1", at(D, 9, 0), 3, &r), 1);
        lr_store_result_clear(&r);
        /* First call 30 minutes after assignment: speed to lead. Delivered
         * twice, counted once. */
        call_outcome(st, tn, "r1", "L1", at(D, 9, 30), LR_OUTCOME_NO_ANSWER, -1,
                     &r);
        lr_store_result_clear(&r);
        {
                lr_event_t ev = ev_call("call-r1-L1-again", tn, "r1", "L1",
                                        at(D, 9, 30), LR_OUTCOME_NO_ANSWER, -1);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_APPLIED);
                lr_store_result_clear(&r);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_DUPLICATE);
                CHECK_INT(r.decisions_cnt, 0);
                lr_store_result_clear(&r);
        }
        call_outcome(st, tn, "r1", "L1", at(D + 1, 10, 0),
                     LR_OUTCOME_OPPORTUNITY_CREATED, -1, &r);
        lr_store_result_clear(&r);
        call_outcome(st, tn, "r1", "L1", at(D + 2, 9, 0), LR_OUTCOME_CLOSED_WON,
                     500000, &r);
        lr_store_result_clear(&r);
        /* After close only the call counts. */
        call_outcome(st, tn, "r1", "L1", at(D + 2, 10, 0),
                     LR_OUTCOME_CLOSED_LOST, -1, &r);
        lr_store_result_clear(&r);

        /* An unknown lead's outcome attributes it (history import). */
        call_outcome(st, tn, "r2", "U1", at(D + 1, 12, 0), LR_OUTCOME_CONNECTED,
                     -1, &r);
        lr_store_result_clear(&r);
        CHECK_INT(rep_field(st, tn, "r2", REP_OPEN), 1);
        call_outcome(st, tn, "r2", "U1", at(D + 2, 12, 0),
                     LR_OUTCOME_DISQUALIFIED, -1, &r);
        lr_store_result_clear(&r);

        /* A lead of r1's, closed by r2: moved to r2 from then on. */
        CHECK_INT(lead(st, tn, "L2", at(D + 2, 8, 0), 3, &r), 1);
        CHECK_STR(r.decisions[0].rep_id, "r1");
        lr_store_result_clear(&r);
        CHECK_INT(rep_field(st, tn, "r1", REP_OPEN), 1);
        call_outcome(st, tn, "r2", "L2", at(D + 2, 14, 0),
                     LR_OUTCOME_CLOSED_LOST, -1, &r);
        lr_store_result_clear(&r);

        CHECK(lr_store_read_reps(st, tn, D, D + 2, &reps, &cnt, err,
                                 sizeof(err)) == 0);
        CHECK_INT(cnt, 2);
        r1 = find_rep(reps, cnt, "r1");
        r2 = find_rep(reps, cnt, "r2");
        CHECK(r1 && r2 && r1 < r2); /* sorted by rep_id */
        if (r1 && r2) {
                CHECK_INT(r1->tier, 3);
                CHECK_INT(r1->active, 1);
                CHECK_STR(r1->status, "AVAILABLE");
                CHECK_INT(r1->handled, 2);
                CHECK_INT(r1->open_leads, 0);
                CHECK_INT(r1->buckets_cnt, 3);
                b = find_bucket(r1, D);
                CHECK(b != NULL);
                if (b) {
                        CHECK_INT(b->n[3], 1);
                        CHECK_INT(b->c[3], 1); /* cohort of assignment */
                        CHECK_INT(b->x[3], 0);
                        CHECK_INT(b->calls, 2);
                        CHECK_NEAR(b->stl_minutes_sum, 30, 1e-9);
                        CHECK_INT(b->stl_n, 1);
                }
                b = find_bucket(r1, D + 1);
                CHECK(b && b->calls == 1 && b->c[3] == 0 && b->stl_n == 0);
                b = find_bucket(r1, D + 2);
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

                CHECK_STR(r2->status, "OFFLINE");
                CHECK_INT(r2->handled, 2);
                CHECK_INT(r2->open_leads, 0);
                b = find_bucket(r2, D + 1);
                CHECK(b != NULL);
                if (b) {
                        CHECK_INT(b->n[0], 1); /* U1: unknown lead tier */
                        CHECK_INT(b->x[0], 1);
                        CHECK_INT(b->calls, 1);
                        CHECK_INT(b->stl_n, 0);
                }
                b = find_bucket(r2, D + 2);
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
        }
        lr_store_reps_free(reps, cnt);
        reps = NULL;

        /* The window is honoured. */
        CHECK(lr_store_read_reps(st, tn, D + 1, D + 1, &reps, &cnt, err,
                                 sizeof(err)) == 0);
        r1 = find_rep(reps, cnt, "r1");
        CHECK(r1 && r1->buckets_cnt == 1 && r1->buckets[0].day == D + 1);
        lr_store_reps_free(reps, cnt);
        store_close(st);
}

static void test_departed(void) {
        const char *ns = "lrtest-store-departed", *tn = "t";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r;
        lr_store_rep_t *reps = NULL;
        size_t cnt           = 0;
        char err[256];

        install_empty(st, tn, D);
        status(st, tn, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "r1", at(D, 9, 0), LR_PRESENCE_DEPARTED, 0);
        status(st, tn, "r1", at(D, 10, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(st, tn, "L1", at(D, 11, 0), 3, &r), 0);
        lr_store_result_clear(&r);
        CHECK(lr_store_read_reps(st, tn, D, D, &reps, &cnt, err, sizeof(err)) ==
              0);
        CHECK_INT(cnt, 1);
        if (cnt == 1) {
                CHECK_INT(reps[0].active, 0);
                CHECK_STR(reps[0].status, "DEPARTED");
        }
        lr_store_reps_free(reps, cnt);
        CHECK_INT(zcard(ns, tn, "pres:r1"), 3);
        CHECK_INT(zcard(ns, tn, "unranked"), 0);
        store_close(st);
}

static void test_rank_install(void) {
        const char *ns = "lrtest-store-rank", *tn = "t";
        const char *ids[]    = {"r1"};
        const double comps[] = {0.25};
        const int tiers[]    = {1};
        lr_store_t *st       = store_open(ns);
        lr_store_result_t r;
        char key[128];
        redisReply *rep;
        lr_rep_rank_t rr;
        int installed = -1;
        char err[256];

        g_pol.window_days = 90;
        install_empty(st, tn, D);
        /* History from long ago, then a ranking that prunes it. */
        call_outcome(st, tn, "r1", "old", at(D - 100, 9, 0),
                     LR_OUTCOME_CONNECTED, -1, &r);
        lr_store_result_clear(&r);
        call_outcome(st, tn, "r1", "new", at(D - 10, 9, 0),
                     LR_OUTCOME_CONNECTED, -1, &r);
        lr_store_result_clear(&r);
        snprintf(key, sizeof(key), "%d:calls", D - 100);
        CHECK_INT(hget_int(ns, tn, "m:r1", key), 1);
        CHECK_INT(install(st, tn, D + 1, 1, ids, comps, tiers), 1);
        CHECK_INT(hget_int(ns, tn, "m:r1", key), -1);
        snprintf(key, sizeof(key), "%d:calls", D - 10);
        CHECK_INT(hget_int(ns, tn, "m:r1", key), 1);
        CHECK_INT(rep_field(st, tn, "r1", REP_TIER), 1);
        status(st, tn, "r1", at(D + 1, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(st, tn, "L1", at(D + 1, 9, 0), 1, &r), 1);
        CHECK_INT(r.decisions[0].rep_rank, 1);
        CHECK_INT(r.decisions[0].rep_tier, 1);
        CHECK_NEAR(r.decisions[0].rep_score, 0.25, 0);
        lr_store_result_clear(&r);

        /* Older or equal days are not installed; evaluate 0 keeps tiers. */
        CHECK_INT(install(st, tn, D + 1, 1, ids, comps, (int[]){2}), 0);
        CHECK_INT(rep_field(st, tn, "r1", REP_TIER), 1);
        memset(&rr, 0, sizeof(rr));
        rr.rep_id   = "r1";
        rr.rank     = 1;
        rr.tier     = 1;
        rr.new_tier = 3;
        CHECK(lr_store_install_rank(st, tn, D + 2, &rr, 1, 0, &g_pol, NULL, 0,
                                    &installed, err, sizeof(err)) == 0);
        CHECK_INT(installed, 1);
        CHECK_INT(rep_field(st, tn, "r1", REP_TIER), 1);
        snprintf(key, sizeof(key), "%s:{%s}:order", ns, tn);
        rep = raw("ZRANGE %s 0 -1 WITHSCORES", key, NULL);
        CHECK(rep->elements == 2 && !strcmp(rep->element[0]->str, "r1") &&
              !strcmp(rep->element[1]->str, "1"));
        freeReplyObject(rep);
        store_close(st);
}

static void test_batch_and_rejects(void) {
        const char *ns = "lrtest-store-batch", *tn = "t";
        lr_store_t *st = store_open(ns);
        lr_event_t ev[5];
        lr_store_op_t ops[5];
        lr_store_result_t res[5];
        char key[128], err[256];
        redisReply *rep;
        int i;

        install_empty(st, tn, D);
        snprintf(key, sizeof(key), "%s:{%s}:pres:broken", ns, tn);
        rep = raw("SET %s x", key, NULL);
        freeReplyObject(rep);
        ev[0] =
            ev_status("b0", tn, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        ev[1]      = ev_status("b1", tn, "broken", at(D, 8, 0),
                               LR_PRESENCE_AVAILABLE, 0);
        ev[2]      = ev_lead("b2", tn, "L1", at(D, 9, 0));
        ev[3]      = ev_lead("b3", tn, "L2", at(D, 9, 0));
        ev[4]      = ev_lead("b4", tn, "L3", at(D, 9, 0));
        ev[4].kind = LR_EV_LEAD_ASSIGNED;
        for (i = 0; i < 5; i++)
                ops[i] = op_of(&ev[i], 3);
        ops[3].lead_tier = 7; /* beyond the policy's 3 tiers */
        CHECK(lr_store_apply(st, ops, 5, res, err, sizeof(err)) == 0);
        CHECK_INT(res[0].status, LR_STORE_APPLIED);
        CHECK_INT(res[1].status, LR_STORE_REJECTED);
        CHECK(strstr(res[1].errstr, "WRONGTYPE") != NULL);
        CHECK_INT(res[2].status, LR_STORE_APPLIED);
        CHECK_INT(res[2].decisions_cnt, 1);
        CHECK_INT(res[3].status, LR_STORE_REJECTED);
        CHECK_INT(res[4].status, LR_STORE_REJECTED);
        for (i = 0; i < 5; i++)
                lr_store_result_clear(&res[i]);
        store_close(st);
}

static void test_library_reload(void) {
        const char *ns = "lrtest-store-reload", *tn = "t";
        const lr_embedded_t *code = lr_embedded_find("functions.lua");
        lr_store_t *st            = store_open(ns), *st2;
        lr_event_t ev =
            ev_status("s1", tn, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        lr_store_op_t op = op_of(&ev, 3);
        lr_store_result_t r;
        redisReply *rep;
        char err[256];

        install_empty(st, tn, D);
        rep =
            raw(g_own_server ? "FUNCTION FLUSH" : "FUNCTION DELETE leadrouter",
                NULL, NULL);
        freeReplyObject(rep);
        CHECK(lr_store_apply(st, &op, 1, &r, err, sizeof(err)) == -1);
        CHECK(strstr(err, "Function not found") != NULL);
        CHECK(lr_store_connect(st, err, sizeof(err)) == 0);
        CHECK(lr_store_apply(st, &op, 1, &r, err, sizeof(err)) == 0);
        CHECK_INT(r.status, LR_STORE_APPLIED);
        lr_store_result_clear(&r);
        rep = raw("FUNCTION LIST LIBRARYNAME leadrouter WITHCODE", NULL, NULL);
        CHECK(rep->type == REDIS_REPLY_ARRAY && rep->elements == 1);
        freeReplyObject(rep);

        /* Another version loaded under our name is replaced on connect. */
        if (g_own_server) {
                rep = raw("FUNCTION LOAD REPLACE %s",
                          "#!lua name=leadrouter\n"
                          "redis.register_function('lr_status', "
                          "function() return 'old' end)",
                          NULL);
                freeReplyObject(rep);
                st2 = store_open(ns);
                rep = raw("FUNCTION LIST LIBRARYNAME leadrouter WITHCODE", NULL,
                          NULL);
                CHECK(rep->type == REDIS_REPLY_ARRAY && rep->elements == 1);
                if (rep->elements == 1 && rep->element[0]->elements >= 8) {
                        const redisReply *c = rep->element[0]->element[7];
                        CHECK(code && c->len == code->len &&
                              !memcmp(c->str, code->data, c->len));
                }
                freeReplyObject(rep);
                CHECK(lr_store_apply(st2, &op, 1, &r, err, sizeof(err)) == 0);
                CHECK_INT(r.status, LR_STORE_DUPLICATE);
                lr_store_result_clear(&r);
                lr_store_free(st2);
        }
        store_close(st);
}

static void test_url(void) {
        char err[256];
        lr_store_t *st;
        CHECK(lr_store_new("http://x", "ns", err, sizeof(err)) == NULL);
        CHECK(strstr(err, "redis://") != NULL);
        CHECK(lr_store_new("redis://h:99999", "ns", err, sizeof(err)) == NULL);
        CHECK(lr_store_new("redis://h:1/x", "ns", err, sizeof(err)) == NULL);
        st = lr_store_new("redis://:p%40ss@127.0.0.1:1/3", "ns", err,
                          sizeof(err));
        CHECK(st != NULL);
        /* Nothing listens on port 1: connecting fails, cleanly. */
        CHECK(st && lr_store_connect(st, err, sizeof(err)) == -1);
        lr_store_free(st);
}

int main(void) {
        server_start();

        test_url();
        test_need_rank_and_idempotency();
        test_presence_at_event_time();
        test_capacity();
        test_tiers_and_fallback();
        test_tie_break();
        test_skipped_reasons();
        test_queue_and_drain();
        test_outcomes_and_buckets();
        test_departed();
        test_rank_install();
        test_batch_and_rejects();
        test_library_reload();

        redisFree(g_raw);
        server_stop();
        CHECK_DONE();
}
