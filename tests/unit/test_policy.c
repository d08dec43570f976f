/*
 * test_policy.c - defaults, validation messages (each names its key), lead
 * tiers and the policy version digest.
 */
#include <ctype.h>
#include <string.h>

#include "check.h"
#include "leadrouter/policy.h"

static char err[256];

/* Validates p under prefix; returns errstr ("" when valid). */
static const char *verdict(const lr_policy_t *p, const char *prefix) {
        err[0] = '\0';
        if (lr_policy_validate(p, prefix, err, sizeof(err)) == 0)
                CHECK_STR(err, "");
        else
                CHECK(err[0] != '\0');
        return err;
}

static void test_defaults(void) {
        lr_policy_t p;

        lr_policy_defaults(&p);
        CHECK_STR(p.strategy, "ranked");
        CHECK_NEAR(p.weights[LR_METRIC_CONVERSION], 0.30, 0);
        CHECK_NEAR(p.weights[LR_METRIC_WIN_RATE], 0.25, 0);
        CHECK_NEAR(p.weights[LR_METRIC_DEAL_SIZE], 0.20, 0);
        CHECK_NEAR(p.weights[LR_METRIC_CYCLE_DAYS], 0.15, 0);
        CHECK_NEAR(p.weights[LR_METRIC_SPEED_TO_LEAD], 0.10, 0);
        CHECK_INT(p.window_days, 90);
        CHECK_INT(p.conversion_maturity_days, 30);
        CHECK_NEAR(p.shrinkage, 10, 0);
        CHECK_INT(p.tiers, 3);
        CHECK_INT(p.ramp_min_leads, 20);
        CHECK_NEAR(p.promote_ratio, 1.20, 0);
        CHECK_NEAR(p.demote_ratio, 0.80, 0);
        CHECK_STR(p.evaluation, "daily");
        CHECK_INT(p.max_open_leads, 25);
        CHECK_INT(p.lead_tier_scores[0], 80);
        CHECK_INT(p.lead_tier_scores[1], 50);
        CHECK_INT(p.max_wait_seconds, 300);
        CHECK_INT(p.sla_first_touch_seconds, 900);
        CHECK_INT(p.owner_first, 0);
        CHECK_INT(p.region_match, 0);
        CHECK_STR(verdict(&p, "policy"), "");

        CHECK_STR(lr_metric_name(LR_METRIC_CONVERSION), "conversion");
        CHECK_STR(lr_metric_name(LR_METRIC_WIN_RATE), "win_rate");
        CHECK_STR(lr_metric_name(LR_METRIC_DEAL_SIZE), "deal_size");
        CHECK_STR(lr_metric_name(LR_METRIC_CYCLE_DAYS), "cycle_days");
        CHECK_STR(lr_metric_name(LR_METRIC_SPEED_TO_LEAD), "speed_to_lead");
}

static void test_validate(void) {
        lr_policy_t p;

#define BAD(stmt, prefix, want)                                                \
        do {                                                                   \
                lr_policy_defaults(&p);                                        \
                stmt;                                                          \
                CHECK_STR(verdict(&p, prefix), want);                          \
        } while (0)
#define GOOD(stmt)                                                             \
        do {                                                                   \
                lr_policy_defaults(&p);                                        \
                stmt;                                                          \
                CHECK_STR(verdict(&p, "policy"), "");                          \
        } while (0)

        BAD(p.weights[0] = 0.40, "tenants.acme",
            "tenants.acme.weights: weights sum to 1.10, not 1");
        BAD(p.weights[1] = -0.05, "policy",
            "policy.weights: win_rate weight -0.05 must be >= 0");
        BAD(p.weights[0] = 0.300002, "policy",
            "policy.weights: weights sum to 1.0000020, not 1");
        GOOD(p.weights[0] = 0.3000005);
        GOOD((p.weights[0] = 1,
              p.weights[1] = p.weights[2] = p.weights[3] = p.weights[4] = 0));
        BAD(p.promote_ratio = 0.9, "policy",
            "policy.promote_ratio: 0.9 must be > 1");
        BAD(p.promote_ratio = 1.0, "policy",
            "policy.promote_ratio: 1 must be > 1");
        BAD(p.demote_ratio = 1.0, "tenants.t1",
            "tenants.t1.demote_ratio: 1 must be >= 0 and < 1");
        BAD(p.demote_ratio = -0.1, "policy",
            "policy.demote_ratio: -0.1 must be >= 0 and < 1");
        BAD(p.window_days = 0, "policy", "policy.window_days: 0 must be >= 1");
        BAD(p.conversion_maturity_days = 90, "policy",
            "policy.conversion_maturity_days: 90 must be <= 89");
        BAD(p.conversion_maturity_days = -1, "policy",
            "policy.conversion_maturity_days: -1 must be >= 0");
        BAD(p.shrinkage = -1, "policy", "policy.shrinkage: -1 must be >= 0");
        GOOD(p.shrinkage = 0);
        BAD(p.tiers = 0, "policy", "policy.tiers: 0 must be >= 1");
        BAD(p.tiers = 10, "policy", "policy.tiers: 10 must be <= 9");
        BAD(p.ramp_min_leads = -1, "policy",
            "policy.ramp_min_leads: -1 must be >= 0");
        BAD(snprintf(p.evaluation, sizeof(p.evaluation), "weekly"), "policy",
            "policy.evaluation: unknown evaluation \"weekly\" (daily, "
            "monthly)");
        GOOD(snprintf(p.evaluation, sizeof(p.evaluation), "monthly"));
        BAD(snprintf(p.strategy, sizeof(p.strategy), "random"), "policy",
            "policy.strategy: unknown strategy \"random\" (ranked, "
            "round_robin, weighted_round_robin, least_loaded, territory)");
        GOOD(snprintf(p.strategy, sizeof(p.strategy), "territory"));
        BAD(p.max_open_leads = 0, "policy",
            "policy.max_open_leads: 0 must be >= 1");
        BAD(p.max_leads_per_day = -1, "policy",
            "policy.max_leads_per_day: -1 must be >= 0");
        GOOD(p.max_leads_per_day = 40);
        BAD((p.lead_tier_scores[0] = 50, p.lead_tier_scores[1] = 80), "policy",
            "policy.lead_tier_scores: must be strictly decreasing, but 80 "
            "follows 50");
        BAD(p.lead_tier_scores[1] = 80, "policy",
            "policy.lead_tier_scores: must be strictly decreasing, but 80 "
            "follows 80");
        BAD(p.lead_tier_scores[0] = 101, "policy",
            "policy.lead_tier_scores: score 101 (tier 1) must be 0..100");
        BAD(p.sla_max_attempts = -1, "policy",
            "policy.sla_max_attempts: -1 must be >= 0");
        GOOD(p.sla_max_attempts = 0);
        BAD((p.tier_weights_cnt = 2, p.tier_weights[0] = 3,
             p.tier_weights[1] = 1),
            "tenants.acme",
            "tenants.acme.tier_weights: 2 weights for 3 tiers: give one per "
            "tier");
        BAD((p.tier_weights_cnt = 3, p.tier_weights[0] = 3,
             p.tier_weights[1] = 0, p.tier_weights[2] = 1),
            "policy", "policy.tier_weights: weight 0 (tier 2) must be 1..1000");
        GOOD((p.tier_weights_cnt = 3, p.tier_weights[0] = 5,
              p.tier_weights[1] = 2, p.tier_weights[2] = 1));
        /* Only tiers-1 thresholds are used: with 2 tiers [1] is ignored. */
        GOOD((p.tiers = 2, p.lead_tier_scores[1] = 99));
        BAD((p.tiers = 4, p.lead_tier_scores[2] = 50), "policy",
            "policy.lead_tier_scores: must be strictly decreasing, but 50 "
            "follows 50");
        GOOD((p.tiers = 4, p.lead_tier_scores[2] = 20));
        BAD(p.max_wait_seconds = -1, "policy",
            "policy.max_wait_seconds: -1 must be >= 0");
        BAD(p.sla_first_touch_seconds = 900000000, "policy",
            "policy.sla_first_touch_seconds: 900000000 must be <= 2592000");
        BAD(p.owner_first = 2, "policy", "policy.owner_first: 2 must be <= 1");
        BAD(p.region_match = -1, "policy",
            "policy.region_match: -1 must be >= 0");
#undef BAD
#undef GOOD

        /* A tiny errstr is truncated, never overrun. */
        {
                char small[8];
                lr_policy_defaults(&p);
                p.tiers = 0;
                CHECK_INT(
                    lr_policy_validate(&p, "policy", small, sizeof(small)), -1);
                CHECK_STR(small, "policy.");
        }
}

static void test_lead_tier(void) {
        lr_policy_t p;

        lr_policy_defaults(&p);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 100), 1);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 80), 1);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 79), 2);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 50), 2);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 49), 3);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 0), 3);
        CHECK_INT(lr_policy_lead_tier(&p, 3, 99), 3); /* explicit wins */
        CHECK_INT(lr_policy_lead_tier(&p, 1, 0), 1);
        CHECK_INT(lr_policy_lead_tier(&p, 7, 0), 3); /* clamped */

        p.tiers               = 5;
        p.lead_tier_scores[0] = 90;
        p.lead_tier_scores[1] = 70;
        p.lead_tier_scores[2] = 50;
        p.lead_tier_scores[3] = 30;
        CHECK_INT(lr_policy_lead_tier(&p, 0, 95), 1);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 70), 2);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 69), 3);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 30), 4);
        CHECK_INT(lr_policy_lead_tier(&p, 0, 29), 5);

        p.tiers = 1;
        CHECK_INT(lr_policy_lead_tier(&p, 0, 100), 1);
}

static void test_version(void) {
        lr_policy_t a, b;
        char va[32], vb[32];
        size_t i;

        lr_policy_defaults(&a);
        lr_policy_defaults(&b);
        lr_policy_version(&a, va, sizeof(va));
        lr_policy_version(&b, vb, sizeof(vb));
        CHECK_STR(va, vb);
        CHECK_INT(strlen(va), 18);
        CHECK(!strncmp(va, "p-", 2));
        for (i = 2; i < strlen(va); i++)
                CHECK(isxdigit((unsigned char)va[i]) &&
                      !isupper((unsigned char)va[i]));

                /* Every field that matters changes the version. */
#define DIFFERS(stmt)                                                          \
        do {                                                                   \
                lr_policy_defaults(&b);                                        \
                stmt;                                                          \
                lr_policy_version(&b, vb, sizeof(vb));                         \
                CHECK(strcmp(va, vb) != 0);                                    \
        } while (0)
        DIFFERS(b.weights[4] = 0.1000001);
        DIFFERS(b.window_days = 91);
        DIFFERS(b.conversion_maturity_days = 29);
        DIFFERS(b.shrinkage = 11);
        DIFFERS(b.tiers = 4);
        DIFFERS(b.ramp_min_leads = 21);
        DIFFERS(b.promote_ratio = 1.25);
        DIFFERS(b.demote_ratio = 0.75);
        DIFFERS(snprintf(b.evaluation, sizeof(b.evaluation), "monthly"));
        DIFFERS(snprintf(b.strategy, sizeof(b.strategy), "round_robin"));
        DIFFERS(b.max_open_leads = 26);
        DIFFERS(b.max_leads_per_day = 30);
        DIFFERS(b.lead_tier_scores[1] = 51);
        DIFFERS(b.max_wait_seconds = 301);
        DIFFERS(b.sla_first_touch_seconds = 901);
        DIFFERS(b.owner_first = 1);
        DIFFERS(b.region_match = 1);
        DIFFERS(b.sla_max_attempts = 4);
        DIFFERS((b.tier_weights_cnt = 3, b.tier_weights[0] = 4,
                 b.tier_weights[1] = 2, b.tier_weights[2] = 1));
        /* the default weights written out are the same policy */
        lr_policy_defaults(&b);
        b.tier_weights_cnt = 3;
        b.tier_weights[0]  = 3;
        b.tier_weights[1]  = 2;
        b.tier_weights[2]  = 1;
        lr_policy_version(&b, vb, sizeof(vb));
        CHECK_STR(va, vb);
        CHECK_INT(lr_policy_tier_weight(&a, 1), 3);
        CHECK_INT(lr_policy_tier_weight(&a, 3), 1);
#undef DIFFERS

        /* An unused threshold (beyond tiers-1) does not. */
        lr_policy_defaults(&b);
        b.lead_tier_scores[5] = 12;
        lr_policy_version(&b, vb, sizeof(vb));
        CHECK_STR(va, vb);
}

int main(void) {
        test_defaults();
        test_validate();
        test_lead_tier();
        test_version();
        CHECK_DONE();
}
