/*
 * snapshot.h - a tenant's ranking as of a day computed from the buckets
 * stored in Redis (rank.c), as the scorecard shows it. The router installs
 * its own daily ranking in memory (src/route/ranking.c) from the same
 * buckets with the same functions.
 */
#ifndef LR_SNAPSHOT_H
#define LR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/rank.h"
#include "store.h"

typedef struct lr_snapshot_s {
        char *tenant_id;
        int32_t day;
        lr_store_rep_t *reps;
        lr_rep_rank_t *ranks; /* ranks[i] is reps[i] */
        size_t cnt;
} lr_snapshot_t;

/* Reads and ranks a tenant as of `day` (tiers evaluated when
 * evaluate_tiers). */
int lr_snapshot_compute(lr_store_t *st, const char *tenant, int32_t day,
                        const lr_policy_t *p, int evaluate_tiers,
                        lr_snapshot_t *snap, char *errstr, size_t errstr_size);
void lr_snapshot_clear(lr_snapshot_t *snap);

#endif
