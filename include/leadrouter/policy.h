/*
 * policy.h - the routing policy of SPEC §3: every number a tenant can tune.
 *
 * Pure data plus defaults and validation; config.c fills it from the YAML
 * file (policy.* for the defaults, tenants.<id>.* per tenant).
 */
#ifndef LEADROUTER_POLICY_H
#define LEADROUTER_POLICY_H

#include <stddef.h>

#define LR_METRIC_CNT 5
#define LR_MAX_TIERS 9

typedef enum lr_metric_e {
        LR_METRIC_CONVERSION = 0,
        LR_METRIC_WIN_RATE,
        LR_METRIC_DEAL_SIZE,
        LR_METRIC_CYCLE_DAYS,
        LR_METRIC_SPEED_TO_LEAD,
} lr_metric_t;

/* "conversion", "win_rate", "deal_size", "cycle_days", "speed_to_lead" */
const char *lr_metric_name(lr_metric_t m);

typedef struct lr_policy_s {
        char strategy[32];                  /* "ranked" | baselines (issue 3) */
        double weights[LR_METRIC_CNT];      /* sum to 1 */
        int window_days;                    /* 90 */
        int conversion_maturity_days;       /* 30 */
        double shrinkage;                   /* prior strength, in samples: 10 */
        int tiers;                          /* 3 */
        int ramp_min_leads;                 /* 20 */
        double promote_ratio;               /* 1.20 */
        double demote_ratio;                /* 0.80 */
        char evaluation[16];                /* "daily" | "monthly" */
        int max_open_leads;                 /* 25 */
        int max_leads_per_day;              /* 0 = no daily cap; else leads per
                                             * rep per day of its timezone */
        int lead_tier_scores[LR_MAX_TIERS]; /* score >= [0] -> tier 1, >= [1]
                                             * -> tier 2 ... : {80, 50} */
        int max_wait_seconds;               /* 300 */
        int sla_first_touch_seconds;        /* 900 */
        int owner_first;                    /* 0 */
        int region_match;                   /* 0 */
        int sla_max_attempts;               /* 3: assignments of a lead by SLA
                                             * reassignment at most; 0 = no limit */
        int tier_weights[LR_MAX_TIERS];     /* weighted_round_robin: weight of
                                             * reps of tier T is [T-1]; cnt 0 =
                                             * default tiers - T + 1 */
        int tier_weights_cnt;
        int max_untouched_leads; /* 1: a rep holding a routed lead not yet
                                  * called (within the first-touch SLA) is
                                  * not available for another; 0 = off */
        char tier_share[16];     /* "best" (the best candidate of the tier)
                                  * | "weighted" (in proportion to
                                  * composite) */
        int min_leads_per_week;  /* a rep below gets the next lead of its
                                  * tier (or the one below) first; 0 = off */
} lr_policy_t;

void lr_policy_defaults(lr_policy_t *p);

/* 0 if valid; else -1 with errstr naming the offending key, e.g.
 * "policy.weights: weights sum to 1.10, not 1". `prefix` is the config path
 * the policy came from ("policy" or "tenants.acme"). */
int lr_policy_validate(const lr_policy_t *p, const char *prefix, char *errstr,
                       size_t errstr_size);

/* Lead tier: explicit tier (1..tiers) wins, else from score. */
int lr_policy_lead_tier(const lr_policy_t *p, int explicit_tier, int score);

/* The weighted_round_robin weight of reps of tier T (1..tiers). */
int lr_policy_tier_weight(const lr_policy_t *p, int tier);

/* A short stable digest of the policy, published as policy_version. */
void lr_policy_version(const lr_policy_t *p, char *buf, size_t size);

#endif
