/*
 * policy.c - defaults, validation, lead tiers and the version digest of the
 * routing policy (SPEC §3).
 *
 * Validation is the one place that knows every field's legal range, so the
 * config loader (policy.* and tenants.<id>.*) and anything else building a
 * policy share the same messages, each naming the config key at fault.
 * The version is an FNV-1a 64 digest of a canonical text of the fields that
 * affect decisions: equal policies give equal versions on any machine.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "leadrouter/policy.h"

static const char *lr_metric_names[LR_METRIC_CNT] = {
    "conversion", "win_rate", "deal_size", "cycle_days", "speed_to_lead"};

static const char *lr_strategies[] = {"ranked", "round_robin",
                                      "weighted_round_robin", "least_loaded",
                                      "territory"};

/* Upper bounds that catch unit mix-ups (ms for s, cents for ratios). */
#define LR_POLICY_MAX_DAYS 3650
#define LR_POLICY_MAX_SECONDS (30 * 86400)
#define LR_POLICY_MAX_LEADS 1000000

const char *lr_metric_name(lr_metric_t m) {
        if ((int)m < 0 || m >= LR_METRIC_CNT)
                return "unknown";
        return lr_metric_names[m];
}

void lr_policy_defaults(lr_policy_t *p) {
        static const double w[LR_METRIC_CNT] = {0.30, 0.25, 0.20, 0.15, 0.10};

        memset(p, 0, sizeof(*p));
        snprintf(p->strategy, sizeof(p->strategy), "ranked");
        memcpy(p->weights, w, sizeof(w));
        p->window_days              = 90;
        p->conversion_maturity_days = 30;
        p->shrinkage                = 10;
        p->tiers                    = 3;
        p->ramp_min_leads           = 20;
        p->promote_ratio            = 1.20;
        p->demote_ratio             = 0.80;
        snprintf(p->evaluation, sizeof(p->evaluation), "daily");
        p->max_open_leads          = 25;
        p->lead_tier_scores[0]     = 80;
        p->lead_tier_scores[1]     = 50;
        p->max_wait_seconds        = 300;
        p->sla_first_touch_seconds = 900;
        p->owner_first             = 0;
        p->region_match            = 0;
        p->sla_max_attempts        = 3;
        p->tier_weights_cnt        = 0;
        p->max_untouched_leads     = 1;
        snprintf(p->tier_share, sizeof(p->tier_share), "best");
        p->min_leads_per_week = 0;
}

int lr_policy_tier_weight(const lr_policy_t *p, int tier) {
        if (p->tier_weights_cnt && tier >= 1 && tier <= p->tier_weights_cnt)
                return p->tier_weights[tier - 1];
        return tier >= 1 && tier <= p->tiers ? p->tiers - tier + 1 : 1;
}

static int lr_policy_fail(char *errstr, size_t errstr_size, const char *prefix,
                          const char *key, const char *fmt, ...) {
        va_list ap;
        int n;

        n = snprintf(errstr, errstr_size, "%s.%s: ", prefix, key);
        if (n >= 0 && (size_t)n < errstr_size) {
                va_start(ap, fmt);
                vsnprintf(errstr + n, errstr_size - (size_t)n, fmt, ap);
                va_end(ap);
        }
        return -1;
}

#define LR_FAIL(key, ...)                                                      \
        lr_policy_fail(errstr, errstr_size, prefix, key, __VA_ARGS__)

static int lr_int_range(int v, int lo, int hi, const char *prefix,
                        const char *key, char *errstr, size_t errstr_size) {
        if (v < lo)
                return LR_FAIL(key, "%d must be >= %d", v, lo);
        if (v > hi)
                return LR_FAIL(key, "%d must be <= %d", v, hi);
        return 0;
}

int lr_policy_validate(const lr_policy_t *p, const char *prefix, char *errstr,
                       size_t errstr_size) {
        double sum = 0;
        size_t i;
        int k, known = 0;

        if (!prefix)
                prefix = "policy";

        for (i = 0; i < sizeof(lr_strategies) / sizeof(*lr_strategies); i++)
                if (!strcmp(p->strategy, lr_strategies[i]))
                        known = 1;
        if (!known)
                return LR_FAIL("strategy",
                               "unknown strategy \"%s\" (ranked, round_robin, "
                               "weighted_round_robin, least_loaded, territory)",
                               p->strategy);

        for (k = 0; k < LR_METRIC_CNT; k++) {
                if (!isfinite(p->weights[k]) || p->weights[k] < 0)
                        return LR_FAIL("weights", "%s weight %g must be >= 0",
                                       lr_metric_name((lr_metric_t)k),
                                       p->weights[k]);
                sum += p->weights[k];
        }
        if (fabs(sum - 1.0) > 1e-6)
                return LR_FAIL("weights", "weights sum to %.*f, not 1",
                               fabs(sum - 1.0) < 0.005 ? 7 : 2, sum);

        if (lr_int_range(p->window_days, 1, LR_POLICY_MAX_DAYS, prefix,
                         "window_days", errstr, errstr_size))
                return -1;
        /* A cohort must be able to mature inside the window, else age never
         * resolves a lead and conversion depends on terminal outcomes only. */
        if (lr_int_range(p->conversion_maturity_days, 0, p->window_days - 1,
                         prefix, "conversion_maturity_days", errstr,
                         errstr_size))
                return -1;
        if (!isfinite(p->shrinkage) || p->shrinkage < 0)
                return LR_FAIL("shrinkage", "%g must be >= 0", p->shrinkage);
        if (p->shrinkage > LR_POLICY_MAX_LEADS)
                return LR_FAIL("shrinkage", "%g must be <= %d", p->shrinkage,
                               LR_POLICY_MAX_LEADS);
        if (lr_int_range(p->tiers, 1, LR_MAX_TIERS, prefix, "tiers", errstr,
                         errstr_size))
                return -1;
        if (lr_int_range(p->ramp_min_leads, 0, LR_POLICY_MAX_LEADS, prefix,
                         "ramp_min_leads", errstr, errstr_size))
                return -1;
        if (!isfinite(p->promote_ratio) || p->promote_ratio <= 1)
                return LR_FAIL("promote_ratio", "%g must be > 1",
                               p->promote_ratio);
        if (p->promote_ratio > 100)
                return LR_FAIL("promote_ratio", "%g must be <= 100",
                               p->promote_ratio);
        if (!isfinite(p->demote_ratio) || p->demote_ratio < 0 ||
            p->demote_ratio >= 1)
                return LR_FAIL("demote_ratio", "%g must be >= 0 and < 1",
                               p->demote_ratio);
        if (strcmp(p->evaluation, "daily") && strcmp(p->evaluation, "monthly"))
                return LR_FAIL("evaluation",
                               "unknown evaluation \"%s\" (daily, monthly)",
                               p->evaluation);
        if (lr_int_range(p->max_open_leads, 1, LR_POLICY_MAX_LEADS, prefix,
                         "max_open_leads", errstr, errstr_size))
                return -1;
        if (lr_int_range(p->max_leads_per_day, 0, LR_POLICY_MAX_LEADS, prefix,
                         "max_leads_per_day", errstr, errstr_size))
                return -1;
        for (k = 0; k < p->tiers - 1; k++) {
                int s = p->lead_tier_scores[k];
                if (s < 0 || s > 100)
                        return LR_FAIL("lead_tier_scores",
                                       "score %d (tier %d) must be 0..100", s,
                                       k + 1);
                if (k > 0 && s >= p->lead_tier_scores[k - 1])
                        return LR_FAIL("lead_tier_scores",
                                       "must be strictly decreasing, but %d "
                                       "follows %d",
                                       s, p->lead_tier_scores[k - 1]);
        }
        if (lr_int_range(p->max_wait_seconds, 0, LR_POLICY_MAX_SECONDS, prefix,
                         "max_wait_seconds", errstr, errstr_size))
                return -1;
        if (lr_int_range(p->sla_first_touch_seconds, 0, LR_POLICY_MAX_SECONDS,
                         prefix, "sla_first_touch_seconds", errstr,
                         errstr_size))
                return -1;
        if (lr_int_range(p->owner_first, 0, 1, prefix, "owner_first", errstr,
                         errstr_size))
                return -1;
        if (lr_int_range(p->region_match, 0, 1, prefix, "region_match", errstr,
                         errstr_size))
                return -1;
        if (lr_int_range(p->sla_max_attempts, 0, 1000, prefix,
                         "sla_max_attempts", errstr, errstr_size))
                return -1;
        if (lr_int_range(p->max_untouched_leads, 0, LR_POLICY_MAX_LEADS, prefix,
                         "max_untouched_leads", errstr, errstr_size))
                return -1;
        if (strcmp(p->tier_share, "best") && strcmp(p->tier_share, "weighted"))
                return LR_FAIL("tier_share",
                               "unknown tier_share \"%s\" (best, weighted)",
                               p->tier_share);
        if (lr_int_range(p->min_leads_per_week, 0, LR_POLICY_MAX_LEADS, prefix,
                         "min_leads_per_week", errstr, errstr_size))
                return -1;
        if (p->tier_weights_cnt) {
                if (p->tier_weights_cnt != p->tiers)
                        return LR_FAIL("tier_weights",
                                       "%d weights for %d tiers: give one per "
                                       "tier",
                                       p->tier_weights_cnt, p->tiers);
                for (k = 0; k < p->tier_weights_cnt; k++)
                        if (p->tier_weights[k] < 1 || p->tier_weights[k] > 1000)
                                return LR_FAIL("tier_weights",
                                               "weight %d (tier %d) must be "
                                               "1..1000",
                                               p->tier_weights[k], k + 1);
        }
        return 0;
}

int lr_policy_lead_tier(const lr_policy_t *p, int explicit_tier, int score) {
        int k;

        if (explicit_tier >= 1)
                return explicit_tier < p->tiers ? explicit_tier : p->tiers;
        for (k = 0; k < p->tiers - 1; k++)
                if (score >= p->lead_tier_scores[k])
                        return k + 1;
        return p->tiers;
}

/* Feeds one formatted line of the canonical text to an FNV-1a 64 hash. */
static void lr_policy_hash(uint64_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void lr_policy_hash(uint64_t *h, const char *fmt, ...) {
        char line[128];
        va_list ap;
        int n, i;

        va_start(ap, fmt);
        n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (n > (int)sizeof(line) - 1)
                n = (int)sizeof(line) - 1;
        for (i = 0; i < n; i++) {
                *h ^= (unsigned char)line[i];
                *h *= 0x100000001b3ULL;
        }
}

void lr_policy_version(const lr_policy_t *p, char *buf, size_t size) {
        uint64_t h = 0xcbf29ce484222325ULL;
        int k;

        /* Canonical text: fixed key order, %.17g round-trips doubles, only
         * the lead tier thresholds in use. */
        lr_policy_hash(&h, "strategy=%s\n", p->strategy);
        for (k = 0; k < LR_METRIC_CNT; k++)
                lr_policy_hash(&h, "weights.%s=%.17g\n",
                               lr_metric_name((lr_metric_t)k), p->weights[k]);
        lr_policy_hash(&h, "window_days=%d\n", p->window_days);
        lr_policy_hash(&h, "conversion_maturity_days=%d\n",
                       p->conversion_maturity_days);
        lr_policy_hash(&h, "shrinkage=%.17g\n", p->shrinkage);
        lr_policy_hash(&h, "tiers=%d\n", p->tiers);
        lr_policy_hash(&h, "ramp_min_leads=%d\n", p->ramp_min_leads);
        lr_policy_hash(&h, "promote_ratio=%.17g\n", p->promote_ratio);
        lr_policy_hash(&h, "demote_ratio=%.17g\n", p->demote_ratio);
        lr_policy_hash(&h, "evaluation=%s\n", p->evaluation);
        lr_policy_hash(&h, "max_open_leads=%d\n", p->max_open_leads);
        if (p->max_leads_per_day) /* absent: same version as before it */
                lr_policy_hash(&h, "max_leads_per_day=%d\n",
                               p->max_leads_per_day);
        lr_policy_hash(&h, "lead_tier_scores=");
        for (k = 0; k < p->tiers - 1 && k < LR_MAX_TIERS; k++)
                lr_policy_hash(&h, "%s%d", k ? "," : "",
                               p->lead_tier_scores[k]);
        lr_policy_hash(&h, "\nmax_wait_seconds=%d\n", p->max_wait_seconds);
        lr_policy_hash(&h, "sla_first_touch_seconds=%d\n",
                       p->sla_first_touch_seconds);
        lr_policy_hash(&h, "owner_first=%d\n", p->owner_first);
        lr_policy_hash(&h, "region_match=%d\n", p->region_match);
        lr_policy_hash(&h, "sla_max_attempts=%d\n", p->sla_max_attempts);
        lr_policy_hash(&h, "tier_weights=");
        for (k = 1; k <= p->tiers && k <= LR_MAX_TIERS; k++)
                lr_policy_hash(&h, "%s%d", k > 1 ? "," : "",
                               lr_policy_tier_weight(p, k));
        lr_policy_hash(&h, "\n");
        lr_policy_hash(&h, "max_untouched_leads=%d\n", p->max_untouched_leads);
        lr_policy_hash(&h, "tier_share=%s\n", p->tier_share);
        lr_policy_hash(&h, "min_leads_per_week=%d\n", p->min_leads_per_week);

        snprintf(buf, size, "p-%016llx", (unsigned long long)h);
}
