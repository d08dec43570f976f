/*
 * test_route_baselines.c - the routing core's baseline strategies (round
 * robin, weighted round robin, least loaded, territory) and the policy
 * constraints on any strategy: the account owner first, region match (also
 * for a queue escalation).
 */
#include "route_fixture.h"
#include "tenant.h"

/* ---- baselines ----------------------------------------------------------- */

static void test_round_robin(void) {
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "round_robin");
        t = tenant_new("t");
        setup(t, D, 4, ids, NULL);
        status(t, "r3", at(D, 9, 0), LR_PRESENCE_IN_MEETING, 0);
        CHECK_STR(route(t, "L1", at(D, 10, 0)), "L1>r1:BASELINE#1");
        CHECK_STR(route(t, "L2", at(D, 10, 1)), "L2>r2:BASELINE#1");
        /* r3 is passed over; skipped lists it (not r1, r2: available) */
        CHECK_STR(lead_x(t, "L3", at(D, 10, 2), 3, NULL, NULL, 0, &r),
                  "L3>r4:BASELINE#1");
        CHECK_STR(r.decisions[0].strategy, "round_robin");
        CHECK_INT(r.decisions[0].rep_rank, 4);
        check_skipped(&r.decisions[0], "r3:IN_MEETING");
        lr_route_result_clear(&r);
        CHECK_STR(route(t, "L4", at(D, 10, 3)), "L4>r1:BASELINE#1");
        status(t, "r3", at(D, 10, 30), LR_PRESENCE_AVAILABLE, 0);
        CHECK_STR(route(t, "L5", at(D, 10, 31)), "L5>r2:BASELINE#1");
        CHECK_STR(route(t, "L6", at(D, 10, 32)), "L6>r3:BASELINE#1");
        /* The cursor is tenant state (persisted with it: test_store). */
        CHECK_STR(t->rr, "r3");
        lr_tenant_free(t);
}

static void test_weighted_round_robin(void) {
        const char *ids[] = {"a", "b"};
        const int tiers[] = {1, 3};
        lr_tenant_t *t;
        char got[512] = "", id[16];
        int i, na = 0;

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy),
                 "weighted_round_robin");
        t = tenant_new("t");
        setup(t, D, 2, ids, tiers);
        /* Default weights: tier 1 -> 3, tier 3 -> 1 (tiers - T + 1). */
        for (i = 0; i < 8; i++) {
                snprintf(id, sizeof(id), "W%d", i);
                const char *d = route(t, id, at(D, 10, i));
                char *gt      = strchr(d, '>');
                size_t len    = strlen(got);
                snprintf(got + len, sizeof(got) - len, "%c", gt ? gt[1] : '?');
                na += gt && gt[1] == 'a';
        }
        CHECK_STR(got, "abaaabaa");
        CHECK_INT(na, 6);
        lr_tenant_free(t);

        /* Configured weights 1,1,1: plain alternation. */
        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy),
                 "weighted_round_robin");
        g_pol.tier_weights_cnt = 3;
        g_pol.tier_weights[0] = g_pol.tier_weights[1] = 1;
        g_pol.tier_weights[2]                         = 1;
        t                                             = tenant_new("t");
        setup(t, D, 2, ids, tiers);
        got[0] = '\0';
        for (i = 0; i < 6; i++) {
                snprintf(id, sizeof(id), "V%d", i);
                const char *d = route(t, id, at(D, 10, i));
                char *gt      = strchr(d, '>');
                size_t len    = strlen(got);
                snprintf(got + len, sizeof(got) - len, "%c", gt ? gt[1] : '?');
        }
        CHECK_STR(got, "ababab");
        lr_tenant_free(t);
}

static void test_least_loaded(void) {
        const char *ids[] = {"r1", "r2", "r3"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        t = tenant_new("t");
        setup(t, D, 3, ids, NULL);
        /* Ranked first, to load r1 with two leads and r2 with one. */
        status(t, "r3", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(t, "P1", at(D, 8, 1)), "P1>r1:RANKED#1");
        CHECK_STR(route(t, "P2", at(D, 8, 2)), "P2>r1:RANKED#1");
        status(t, "r1", at(D, 8, 3), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(t, "P3", at(D, 8, 4)), "P3>r2:RANKED#1");
        status(t, "r1", at(D, 8, 5), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r3", at(D, 8, 6), LR_PRESENCE_AVAILABLE, 0);

        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "least_loaded");
        CHECK_STR(route(t, "L1", at(D, 9, 0)), "L1>r3:BASELINE#1");
        /* r2 and r3: 1 open, 1 today each: rep_id */
        CHECK_STR(route(t, "L2", at(D, 9, 1)), "L2>r2:BASELINE#1");
        CHECK_STR(route(t, "L3", at(D, 9, 2)), "L3>r3:BASELINE#1");
        /* r1 closes one: 1 open, the least. */
        call_outcome(t, "r1", "P1", at(D, 9, 3), LR_OUTCOME_CLOSED_LOST, -1,
                     &r);
        lr_route_result_clear(&r);
        CHECK_STR(route(t, "L4", at(D, 9, 4)), "L4>r1:BASELINE#1");
        lr_tenant_free(t);
}

static void test_territory(void) {
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "territory");
        t = tenant_new("t");
        setup(t, D, 4, ids, NULL);
        profile(t, "r1", at(D, 8, 0), "EMEA", NULL, NULL);
        profile(t, "r2", at(D, 8, 0), "NA-East", NULL, NULL);
        profile(t, "r3", at(D, 8, 0), "NA-East,EMEA", NULL, NULL);
        /* r4 has no region */
#define T(id, m, region, want)                                                 \
        do {                                                                   \
                CHECK_STR(lead_x(t, id, at(D, 10, m), 3, NULL, region, 0, &r), \
                          want);                                               \
                lr_route_result_clear(&r);                                     \
        } while (0)
        T("N1", 0, "NA-East", "N1>r2:BASELINE#1");
        T("N2", 1, "NA-East", "N2>r3:BASELINE#1");
        T("N3", 2, "NA-East", "N3>r2:BASELINE#1");
        /* EMEA has its own cursor */
        T("E1", 3, "EMEA", "E1>r1:BASELINE#1");
        T("E2", 4, "EMEA", "E2>r3:BASELINE#1");
        T("E3", 5, "EMEA", "E3>r1:BASELINE#1");
        /* nobody covers APAC, and a lead without region: everyone */
        T("A1", 6, "APAC", "A1>r1:BASELINE#1");
        T("A2", 7, NULL, "A2>r2:BASELINE#1");
        T("A3", 8, "APAC", "A3>r3:BASELINE#1");
        T("A4", 9, "APAC", "A4>r4:BASELINE#1");
        /* the territory's reps unavailable: anyone available */
        status(t, "r2", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        status(t, "r3", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        T("N4", 61, "NA-East", "N4>r1:BASELINE#1");
#undef T
        lr_tenant_free(t);
}

/* ---- constraints --------------------------------------------------------- */

static void test_owner_first(void) {
        const char *ids[] = {"r1", "r2", "r3"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        g_pol.owner_first = 1;
        t                 = tenant_new("t");
        setup(t, D, 3, ids, NULL);
        status(t, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 10, 0));
        CHECK_STR(lead_x(t, "A1", at(D, 9, 30), 3, "acct-9", NULL, 0, &r),
                  "A1>r2:RANKED#1");
        lr_route_result_clear(&r);
        /* r1, best ranked, is back: acct-9's lead still goes to r2 */
        CHECK_STR(lead_x(t, "A2", at(D, 10, 30), 3, "acct-9", NULL, 0, &r),
                  "A2>r2:OWNER#1");
        CHECK_INT(r.decisions[0].rep_rank, 2);
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "B1", at(D, 10, 31), 3, "acct-1", NULL, 0, &r),
                  "B1>r1:RANKED#1");
        lr_route_result_clear(&r);
        /* the owner unavailable: routed as usual */
        status(t, "r2", at(D, 11, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(lead_x(t, "A3", at(D, 11, 1), 3, "acct-9", NULL, 0, &r),
                  "A3>r1:RANKED#1");
        lr_route_result_clear(&r);
        /* A3 now belongs to r1 (latest lead), and an outcome of r3 on it
         * (manual reassignment) makes r3 the owner. */
        call_outcome(t, "r3", "A3", at(D, 11, 2), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "A4", at(D, 11, 3), 3, "acct-9", NULL, 0, &r),
                  "A4>r3:OWNER#1");
        lr_route_result_clear(&r);
        /* owner_first off: rank decides */
        g_pol.owner_first = 0;
        CHECK_STR(lead_x(t, "A5", at(D, 11, 4), 3, "acct-9", NULL, 0, &r),
                  "A5>r1:RANKED#1");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

static void test_region_match(void) {
        const char *ids[] = {"r1", "r2", "r3"};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        g_pol.region_match            = 1;
        g_pol.sla_first_touch_seconds = 0;
        t                             = tenant_new("t");
        setup(t, D, 3, ids, NULL);
        profile(t, "r1", at(D, 8, 0), "EMEA", NULL, NULL);
        profile(t, "r2", at(D, 8, 0), "NA-East", NULL, NULL);
        profile(t, "r3", at(D, 8, 0), "NA-East", NULL, NULL);
        CHECK_STR(lead_x(t, "N1", at(D, 10, 0), 3, NULL, "NA-East", 0, &r),
                  "N1>r2:RANKED#1");
        check_skipped(&r.decisions[0], "r1:REGION");
        lr_route_result_clear(&r);
        /* no rep of the region free: falls back to every rep */
        status(t, "r2", at(D, 10, 1), LR_PRESENCE_BUSY, 0);
        status(t, "r3", at(D, 10, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(lead_x(t, "N2", at(D, 10, 2), 3, NULL, "NA-East", 0, &r),
                  "N2>r1:RANKED#1");
        check_skipped(&r.decisions[0], "");
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "X1", at(D, 10, 3), 3, NULL, "APAC", 0, &r),
                  "X1>r1:RANKED#1");
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "X2", at(D, 10, 4), 3, NULL, NULL, 0, &r),
                  "X2>r1:RANKED#1");
        lr_route_result_clear(&r);
        /* off: rank alone */
        status(t, "r3", at(D, 10, 5), LR_PRESENCE_AVAILABLE, 0);
        g_pol.region_match = 0;
        CHECK_STR(lead_x(t, "N3", at(D, 10, 6), 3, NULL, "NA-East", 0, &r),
                  "N3>r1:RANKED#1");
        lr_route_result_clear(&r);
        /* and with a baseline: region first, then the strategy */
        g_pol.region_match = 1;
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "least_loaded");
        CHECK_STR(lead_x(t, "N4", at(D, 10, 7), 3, NULL, "NA-East", 0, &r),
                  "N4>r3:BASELINE#1");
        lr_route_result_clear(&r);
        /* escalation: the least-loaded rep at work of the lead's region
         * first (r1, 4 open, over r2 and r3 with 1 each) */
        status(t, "r1", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        status(t, "r2", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        status(t, "r3", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        CHECK_STR(lead_x(t, "E5", at(D, 10, 11), 3, NULL, "EMEA", 0, &r), "");
        lr_route_result_clear(&r);
        tick(t, at(D, 10, 16), &r);
        CHECK_STR(decs(&r), "E5>r1:ESCALATED#1");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

int main(void) {
        fixture_init();

        test_round_robin();
        test_weighted_round_robin();
        test_least_loaded();
        test_territory();
        test_owner_first();
        test_region_match();

        CHECK_DONE();
}
