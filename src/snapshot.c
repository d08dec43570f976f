/*
 * snapshot.c - see snapshot.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rank_prepare.h"
#include "snapshot.h"
#include "timeutil.h"

void lr_snapshot_clear(lr_snapshot_t *snap) {
        lr_store_reps_free(snap->reps, snap->cnt);
        free(snap->ranks);
        free(snap->tenant_id);
        memset(snap, 0, sizeof(*snap));
}

int lr_snapshot_compute(lr_store_t *st, const char *tenant, int32_t day,
                        const lr_policy_t *p, int evaluate_tiers,
                        lr_snapshot_t *snap, char *errstr, size_t errstr_size) {
        memset(snap, 0, sizeof(*snap));
        if (lr_store_read_reps(st, tenant, day - p->window_days, day - 1,
                               &snap->reps, &snap->cnt, errstr, errstr_size))
                return -1;
        snap->tenant_id = strdup(tenant);
        snap->day       = day;
        snap->ranks = calloc(snap->cnt ? snap->cnt : 1, sizeof(*snap->ranks));
        lr_rank_prepare(snap->reps, snap->cnt, day, p, snap->ranks);
        lr_rank_compute(snap->ranks, (int)snap->cnt, p);
        if (evaluate_tiers)
                lr_rank_evaluate_tiers(snap->ranks, (int)snap->cnt, p);
        return 0;
}
