/*
 * rank_prepare.c - store reps to ranking inputs (see rank_prepare.h). Kept
 * out of rank.c so that the ranking math stays free of store types.
 */
#include <string.h>

#include "rank_prepare.h"

void lr_rank_prepare(const lr_store_rep_t *reps, size_t cnt, int32_t as_of_day,
                     const lr_policy_t *p, lr_rep_rank_t *out) {
        size_t i, j;

        for (i = 0; i < cnt; i++) {
                lr_rep_rank_t *r = &out[i];
                memset(r, 0, sizeof(*r));
                r->rep_id   = reps[i].rep_id;
                r->tier     = reps[i].tier;
                r->handled  = reps[i].handled;
                r->active   = reps[i].active;
                r->new_tier = reps[i].tier;
                for (j = 0; j < reps[i].buckets_cnt; j++)
                        lr_tally_add(&r->tally, &reps[i].buckets[j], as_of_day,
                                     p);
        }
}
