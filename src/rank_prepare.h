/*
 * rank_prepare.h - turns the reps the store read into ranking inputs.
 *
 * The one bridge from store types to rank.h, shared by the worker's daily
 * ranking and the scorecard so both rank from the same window tallies.
 * Typical use:
 *   lr_rank_prepare(reps, cnt, day, p, out);
 *   lr_rank_compute(out, cnt, p);
 *   lr_rank_evaluate_tiers(out, cnt, p);   (new_tier, tier_mean)
 */
#ifndef LR_RANK_PREPARE_H
#define LR_RANK_PREPARE_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/policy.h"
#include "leadrouter/rank.h"
#include "store.h"

/* Fills out[i] (zeroed first) from reps[i]: rep_id (borrowed from reps[i],
 * which must outlive out), tier, handled, active, and the tally of the
 * buckets inside the window of as_of_day. */
void lr_rank_prepare(const lr_store_rep_t *reps, size_t cnt, int32_t as_of_day,
                     const lr_policy_t *p, lr_rep_rank_t *out);

#endif
