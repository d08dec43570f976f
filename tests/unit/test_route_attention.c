/*
 * test_route_attention.c - the rules of issue 11 in the routing core:
 * availability includes attention (max_untouched_leads, skipped as
 * AWAITING_FIRST_TOUCH), sharing a tier's leads by composite (tier_share
 * weighted), the weekly floor of leads (min_leads_per_week), and on the
 * wall clock the first-touch SLA counted from the decision (routed_at), with
 * the input positions each decision records.
 */
#include "route_fixture.h"

/* Skipped list of r's first decision, "rep:WHY,...". */
static const char *skipped_of(const lr_route_result_t *r) {
        static char got[512];
        size_t i;
        got[0] = '\0';
        for (i = 0; r->decisions_cnt && i < r->decisions[0].skipped_cnt; i++) {
                size_t l = strlen(got);
                snprintf(got + l, sizeof(got) - l, "%s%s:%s", i ? "," : "",
                         r->decisions[0].skipped[i].rep_id,
                         r->decisions[0].skipped[i].why);
        }
        return got;
}

static void test_attention(void) {
        const char *ids[] = {"r1", "r2"};
        lr_tenant_t *t;
        lr_route_result_t r;
        int32_t d = D + 1;

        policy_reset();
        g_pol.max_untouched_leads     = 1;
        g_pol.sla_first_touch_seconds = 900;
        t                             = tenant_new("t");
        setup(t, d, 2, ids, NULL);

        CHECK_STR(lead_x(t, "L1", at(d, 9, 0), 3, NULL, NULL, 0, &r),
                  "L1>r1:RANKED#1");
        lr_route_result_clear(&r);
        /* r1 has not called L1 yet: not available for another lead */
        CHECK_STR(lead_x(t, "L2", at(d, 9, 1), 3, NULL, NULL, 0, &r),
                  "L2>r2:RANKED#1");
        CHECK_STR(skipped_of(&r), "r1:AWAITING_FIRST_TOUCH");
        CHECK(strstr(r.decisions[0].explanation, "still to call") != NULL);
        lr_route_result_clear(&r);
        /* every candidate awaits a first touch: the best one, as before */
        CHECK_STR(lead_x(t, "L3", at(d, 9, 2), 3, NULL, NULL, 0, &r),
                  "L3>r1:RANKED#1");
        CHECK_STR(skipped_of(&r), "");
        lr_route_result_clear(&r);
        /* r1 calls both of its leads: available again */
        call_outcome(t, "r1", "L1", at(d, 9, 5), LR_OUTCOME_NO_ANSWER, -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L3", at(d, 9, 5), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_STR(route(t, "L4", at(d, 9, 6)), "L4>r1:RANKED#1");
        /* past the SLA an uncalled lead no longer holds the rep: r2's L2
         * (9:01) does not count at 9:20, r1's L4 (9:06) does */
        CHECK_STR(lead_x(t, "L5", at(d, 9, 20), 3, NULL, NULL, 0, &r),
                  "L5>r2:RANKED#1");
        CHECK_STR(skipped_of(&r), "r1:AWAITING_FIRST_TOUCH");
        lr_route_result_clear(&r);
        lr_tenant_free(t);

        /* 0 turns it off: the best rep gets every lead */
        policy_reset();
        t = tenant_new("t0");
        setup(t, d, 2, ids, NULL);
        CHECK_STR(route(t, "L1", at(d, 9, 0)), "L1>r1:RANKED#1");
        CHECK_STR(route(t, "L2", at(d, 9, 1)), "L2>r1:RANKED#1");
        lr_tenant_free(t);
}

/* With every rep of the lead's tier awaiting a first touch, a free rep of
 * the nearest tier takes it (the customer does not wait, nobody gets a
 * second uncalled lead); only when nobody is free anywhere does the best of
 * the lead's tier get a second one. A rep whose lead the SLA took away is
 * held for one more SLA. */
static void test_attention_spill(void) {
        const char *ids[] = {"r1", "r2"};
        const int tiers[] = {3, 2};
        lr_tenant_t *t;
        lr_route_result_t r;
        int32_t d = D + 1;

        policy_reset();
        g_pol.max_untouched_leads     = 1;
        g_pol.sla_first_touch_seconds = 900;
        t                             = tenant_new("t");
        setup(t, d, 2, ids, tiers);
        CHECK_STR(route(t, "L1", at(d, 9, 0)), "L1>r1:RANKED#1");
        CHECK_STR(route(t, "L2", at(d, 9, 1)), "L2>r2:FALLBACK_TIER#1");
        /* both awaiting: the best of the lead's tier */
        CHECK_STR(route(t, "L3", at(d, 9, 2)), "L3>r1:RANKED#1");
        /* r1 calls its leads; L2's SLA passes without a call: the lead goes
         * to r1, and r2 is held until 9:31 though it holds nothing */
        call_outcome(t, "r1", "L1", at(d, 9, 10), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L3", at(d, 9, 10), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        lr_tenant_fire(t, at(d, 9, 16), &r);
        CHECK_STR(decs(&r), "L2>r1:SLA_REASSIGNED#2");
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L2", at(d, 9, 17), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "L4", at(d, 9, 20), 2, NULL, NULL, 0, &r),
                  "L4>r1:FALLBACK_TIER#1");
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "L4", at(d, 9, 21), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "L5", at(d, 9, 32), 2, NULL, NULL, 0, &r),
                  "L5>r2:RANKED#1");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

static void test_tier_share_weighted(void) {
        const char *ids[]    = {"ra", "rb", "rc", "rd"};
        const double comps[] = {0.6, 0.3, 0.1, 0.9};
        const int tiers[]    = {3, 3, 3, 2};
        int got[3]           = {0, 0, 0};
        lr_tenant_t *t;
        lr_route_result_t r;
        char id[16];
        int i;

        policy_reset();
        snprintf(g_pol.tier_share, sizeof(g_pol.tier_share), "weighted");
        t = tenant_new("t");
        install_day(t, D);
        for (i = 0; i < 4; i++)
                status(t, ids[i], at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, D + 1, 4, ids, comps, tiers);
        for (i = 0; i < 100; i++) {
                snprintf(id, sizeof(id), "L%d", i);
                CHECK_INT(lead(t, id, at(D + 1, 9, 0) + i * 1000, 3, &r), 1);
                got[r.decisions[0].rep_id[1] - 'a']++;
                /* the tier-2 rep is never given a tier-3 lead */
                CHECK_STR(r.decisions[0].reason, "RANKED");
                lr_route_result_clear(&r);
        }
        /* in proportion to composite: 60 / 30 / 10 (stride: within 1) */
        CHECK(got[0] >= 59 && got[0] <= 61);
        CHECK(got[1] >= 29 && got[1] <= 31);
        CHECK(got[2] >= 9 && got[2] <= 11);
        lr_tenant_free(t);
}

static void test_floor(void) {
        const char *ids[]    = {"r1", "r2", "r3"};
        const double comps[] = {0.9, 0.2, 0.8};
        const int tiers[]    = {3, 3, 1};
        lr_tenant_t *t;
        lr_route_result_t r;

        policy_reset();
        g_pol.min_leads_per_week = 2;
        t                        = tenant_new("t");
        install_day(t, D);
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r2", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r3", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, D + 1, 3, ids, comps, tiers);
        /* r1 and r2 have no lead this week: below the floor, the better
         * composite first; then r2, the better-ranked r1 passed over */
        CHECK_STR(lead_x(t, "L1", at(D + 1, 9, 0), 3, NULL, NULL, 0, &r),
                  "L1>r1:RANKED#1");
        lr_route_result_clear(&r);
        CHECK_STR(lead_x(t, "L2", at(D + 1, 9, 1), 3, NULL, NULL, 0, &r),
                  "L2>r2:RANKED#1");
        CHECK_STR(skipped_of(&r), "r1:FLOOR");
        lr_route_result_clear(&r);
        /* one each, both still below: the better composite first */
        CHECK_STR(route(t, "L3", at(D + 1, 9, 2)), "L3>r1:RANKED#1");
        CHECK_STR(route(t, "L4", at(D + 1, 9, 3)), "L4>r2:RANKED#1");
        /* a tier-2 lead goes to the tier-1 rep below the floor (its tier
         * below) */
        CHECK_STR(lead_x(t, "L5", at(D + 1, 9, 4), 2, NULL, NULL, 0, &r),
                  "L5>r3:FALLBACK_TIER#1");
        lr_route_result_clear(&r);
        /* both tier-3 reps at the floor: the best again */
        CHECK_STR(route(t, "L6", at(D + 1, 9, 5)), "L6>r1:RANKED#1");
        CHECK_STR(route(t, "L7", at(D + 1, 9, 6)), "L7>r1:RANKED#1");
        /* a week later the counts start again */
        install(t, D + 9, 3, ids, comps, tiers);
        CHECK_STR(route(t, "L8", at(D + 9, 9, 0)), "L8>r1:RANKED#1");
        CHECK_STR(route(t, "L9", at(D + 9, 9, 1)), "L9>r2:RANKED#1");
        lr_tenant_free(t);
}

static void test_wall_clock_sla(void) {
        const char *ids[] = {"r1", "r2"};
        int64_t wall      = at(D + 1, 12, 0);
        lr_tenant_t *t;
        lr_route_result_t r;
        size_t k;
        int found = 0;

        policy_reset();
        g_pol.sla_first_touch_seconds = 900;
        t                             = tenant_new("t");
        setup(t, D + 1, 2, ids, NULL);
        /* a lead read an hour after it was created (a backlog) */
        lr_tenant_set_wall(t, wall);
        CHECK_STR(lead_x(t, "L1", at(D + 1, 11, 0), 3, NULL, NULL, 0, &r),
                  "L1>r1:RANKED#1");
        CHECK_INT(r.decisions[0].decided_at, at(D + 1, 11, 0));
        CHECK_INT(r.decisions[0].has_routed_at, 1);
        CHECK_INT(r.decisions[0].routed_at, wall);
        /* the decision records the input positions applied with it */
        for (k = 0; k < r.decisions[0].inputs_cnt; k++)
                if (!strcmp(r.decisions[0].inputs[k].key, "lead-created:2"))
                        found = r.decisions[0].inputs[k].next == g_offset;
        CHECK(found);
        lr_route_result_clear(&r);
        /* the SLA runs from the decision's wall time, not the event time */
        CHECK_INT(lr_tenant_next_due(t), wall + 900 * 1000);
        tick(t, wall + 899 * 1000, &r);
        CHECK_INT(r.decisions_cnt, 0);
        lr_route_result_clear(&r);
        tick(t, wall + 900 * 1000, &r);
        CHECK_STR(decs(&r), "L1>r2:SLA_REASSIGNED#2");
        lr_route_result_clear(&r);
        lr_tenant_free(t);
}

int main(void) {
        fixture_init();
        test_attention();
        test_attention_spill();
        test_tier_share_weighted();
        test_floor();
        test_wall_clock_sla();
        CHECK_DONE();
}
