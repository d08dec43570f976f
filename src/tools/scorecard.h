/*
 * scorecard.h - the transparent scorecard of SPEC §1/§5: every rep's rank,
 * tier, metrics and what it takes to reach the next tier, as a table, JSON
 * (contract), CSV or a small HTML page.
 */
#ifndef LR_SCORECARD_H
#define LR_SCORECARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "leadrouter/policy.h"
#include "leadrouter/rank.h"
#include "store.h"

/* Writes the scorecard of `tenant` as of `as_of_day` to out. ranks[i]
 * belongs to reps[i] and has been through lr_rank_prepare(),
 * lr_rank_compute() and lr_rank_evaluate_tiers(). Reps are listed by rank,
 * inactive ones last. format: "table", "json", "csv" or "html".
 * 0, or -1 with errstr (unknown format, write error). */
int lr_scorecard_render(FILE *out, const char *format, const char *tenant,
                        int32_t as_of_day, const lr_store_rep_t *reps,
                        const lr_rep_rank_t *ranks, int cnt,
                        const lr_policy_t *p, char *errstr, size_t errstr_size);

#endif
