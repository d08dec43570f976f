/*
 * tier_distance.h - what it takes a rep to reach the next tier through one
 * metric alone: the raw value of that metric (conversion, win rate, ...)
 * at which the next evaluation would promote the rep, everything else as
 * it is. Pure logic over a ranking, for the scorecard.
 *
 * Normalisation and shrinkage depend on the peers (a rep who becomes the
 * best closer also stretches the scale everybody is scored on, and moves
 * its tier's mean), so there is no closed form: the value is found by
 * bisection, re-running the ranking of rank.c with that one value changed
 * (lr_rank_compute_override) and the tier evaluation at each step.
 */
#ifndef LR_TIER_DISTANCE_H
#define LR_TIER_DISTANCE_H

#include "leadrouter/policy.h"
#include "leadrouter/rank.h"

typedef enum lr_tier_distance_e {
        LR_TIER_DISTANCE_REACHED = 0, /* *value is the value needed */
        LR_TIER_DISTANCE_NO_NEXT,     /* tier 1, ramping, inactive, or too
                                       * few peers for a promotion */
        LR_TIER_DISTANCE_NO_SAMPLES,  /* the metric has no data: its value
                                       * cannot move the rank */
        LR_TIER_DISTANCE_UNREACHABLE, /* not within the metric's range */
} lr_tier_distance_t;

/* The value of metric m that would promote reps[i] at an evaluation, given
 * reps[] as lr_rank_compute() left them, with each rep's `tier` its
 * current tier. The search range: up to twice the best active rep's value
 * for the metrics where higher is better (win rate at most 1, conversion
 * at most every resolved lead converted), down to 0 for cycle time and
 * speed to lead. The value returned promotes; a value a hair less good
 * does not (within 1e-9 relative). When the rep would be promoted as it
 * is, *value is its current value. */
lr_tier_distance_t lr_tier_distance_metric(const lr_rep_rank_t *reps, int cnt,
                                           int i, lr_metric_t m,
                                           const lr_policy_t *p, double *value);

/* 1 if reps[i] would be promoted at an evaluation with its metric m at
 * `value` (the ranking recomputed with it), else 0. */
int lr_tier_distance_promotes(const lr_rep_rank_t *reps, int cnt, int i,
                              lr_metric_t m, double value,
                              const lr_policy_t *p);

#endif
