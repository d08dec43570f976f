/*
 * rank.h - performance stack ranking (SPEC §3), pure logic, no I/O.
 *
 * Input: each rep's day buckets of raw tallies for the window, read from
 * Redis by the store. Output: per-rep metric values, normalised scores,
 * composite, rank and (at an evaluation) the new tier.
 *
 * Day numbers are days since 1970-01-01 UTC (event time).
 * A ranking "as of day D" uses buckets D-window_days .. D-1.
 */
#ifndef LEADROUTER_RANK_H
#define LEADROUTER_RANK_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/policy.h"

/* Lead tier classes: 0 = unknown tier (history imported from outcomes),
 * 1..LR_MAX_TIERS. */
#define LR_TIER_CLASSES (LR_MAX_TIERS + 1)

/* One rep-day bucket as stored in Redis. Conversion counters are kept in the
 * bucket of the day the lead was assigned (its cohort); all others in the
 * bucket of the day the outcome happened. */
typedef struct lr_bucket_s {
        int32_t day;
        int64_t n[LR_TIER_CLASSES]; /* leads assigned (cohort) */
        int64_t c[LR_TIER_CLASSES]; /* of those, converted (opp. or won) */
        int64_t x[LR_TIER_CLASSES]; /* of those, closed without converting */
        int64_t calls;
        int64_t won, lost;
        int64_t won_value_cents;
        double cycle_days_sum;
        int64_t cycle_n;
        double stl_minutes_sum; /* speed to lead */
        int64_t stl_n;
} lr_bucket_t;

/* Window tallies of one rep, summed from its buckets. */
typedef struct lr_tally_s {
        double assigned;
        double resolved[LR_TIER_CLASSES];
        double converted[LR_TIER_CLASSES];
        double calls, won, lost, won_value_cents;
        double cycle_days_sum, cycle_n;
        double stl_minutes_sum, stl_n;
} lr_tally_t;

/* Adds bucket b to t if b->day is inside the window of as_of_day; a cohort
 * counts as resolved in full once older than conversion_maturity_days. */
void lr_tally_add(lr_tally_t *t, const lr_bucket_t *b, int32_t as_of_day,
                  const lr_policy_t *p);

typedef struct lr_rep_rank_s {
        /* in */
        const char *rep_id;
        int tier;        /* current tier, 1 = best */
        int64_t handled; /* leads handled ever (for the ramp) */
        int active;      /* 0 = departed: not ranked */
        lr_tally_t tally;
        /* out */
        double value[LR_METRIC_CNT]; /* raw (conversion: quality-adjusted) */
        double score[LR_METRIC_CNT]; /* normalised 0..1 */
        double composite;
        int rank;         /* 1 = best; 0 for inactive reps */
        int new_tier;     /* tier after evaluation (== tier when unchanged) */
        double tier_mean; /* mean composite of the tier it was compared with */
} lr_rep_rank_t;

/* A tenant's ranking of one day as the router installed and used it
 * (ranks[i].tier is the tier before that day's evaluation, new_tier the one
 * routed with): kept as history for the scorecard. Owns ranks[] and every
 * ranks[i].rep_id; lr_ranking_clear() frees them. */
typedef struct lr_ranking_s {
        int32_t day;
        int evaluated; /* tiers were evaluated on this day */
        lr_rep_rank_t *ranks;
        size_t cnt;
} lr_ranking_t;

void lr_ranking_clear(lr_ranking_t *r);

/* 1 for the metrics where lower is better (cycle_days, speed_to_lead). */
int lr_metric_lower_is_better(lr_metric_t m);

/* Sample size behind a rep's metric value: resolved leads (conversion),
 * won + lost (win_rate), won (deal_size), closed deals with a cycle
 * (cycle_days), first calls (speed_to_lead). 0 = no data. */
double lr_rank_samples(const lr_tally_t *t, lr_metric_t m);

/* Computes value, score, composite and rank for every active rep.
 * Ties in composite rank by rep_id. Inactive reps are no peers: they get
 * their raw value[] only, score 0, composite 0, rank 0. */
void lr_rank_compute(lr_rep_rank_t *reps, int cnt, const lr_policy_t *p);

/* A what-if for the scorecard's distance to the next tier: rep `rep`'s raw
 * value of `metric` taken as `value`, everything else as it was (its sample
 * count, and for conversion the expected conversions of the leads it got).
 * No effect on a metric without samples. */
typedef struct lr_rank_override_s {
        int rep; /* index into reps[] */
        lr_metric_t metric;
        double value;
} lr_rank_override_t;

/* lr_rank_compute() with the what-if ov applied (NULL: none). */
void lr_rank_compute_override(lr_rep_rank_t *reps, int cnt,
                              const lr_policy_t *p,
                              const lr_rank_override_t *ov);

/* Tier evaluation (after lr_rank_compute): fills new_tier and tier_mean.
 * Ramping reps (handled < ramp_min_leads) stay in the bottom tier; others
 * move at most one step: up at >= promote_ratio x tier mean, down at
 * <= demote_ratio x tier mean. */
void lr_rank_evaluate_tiers(lr_rep_rank_t *reps, int cnt, const lr_policy_t *p);

/* 1 while a rep is ramping (handled < ramp_min_leads): bottom tier, not
 * evaluated. */
int lr_rank_is_ramping(const lr_rep_rank_t *r, const lr_policy_t *p);

/* The composite reps[i] would need to be promoted at an evaluation, given
 * that its own composite is part of its tier's mean: the c solving
 * c = promote_ratio * (others' sum + c) / peers. -1 when it cannot be
 * promoted (inactive, ramping, tier 1, or too few peers in its tier). */
double lr_rank_promotion_target(const lr_rep_rank_t *reps, int cnt, int i,
                                const lr_policy_t *p);

/* 1 if day is an evaluation day under the policy (daily: always; monthly:
 * the first day of a month). */
int lr_rank_is_evaluation_day(int32_t day, const lr_policy_t *p);

#endif
