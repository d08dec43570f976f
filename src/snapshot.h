/*
 * snapshot.h - the tenant's daily ranking: read the window's buckets from
 * Redis, rank (rank.c), evaluate tiers on evaluation days, install it
 * atomically. Routing on day D uses the ranking as of D (buckets of the
 * window before D), so every decision of a day sees one stable rank and a
 * replay of the same events recomputes the same one. The scorecard shows the
 * same computation.
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

/* Makes sure the tenant has a ranking installed for `day`. When this call
 * installs it, the tier changes it made are returned (malloc()ed array,
 * freed with lr_snapshot_changes_free): they are in the tenant's outbox,
 * for the caller to publish and lr_store_ack(). */
int lr_snapshot_ensure(lr_store_t *st, const char *tenant, int32_t day,
                       const lr_policy_t *p, lr_tier_changed_t **changes,
                       size_t *changes_cnt, char *errstr, size_t errstr_size);
void lr_snapshot_changes_free(lr_tier_changed_t *changes, size_t cnt);

/* Moves tc[0..cnt) (malloc()ed, as lr_snapshot_ensure returns it) to the
 * end of *all, which owns them from then on. */
void lr_snapshot_changes_append(lr_tier_changed_t **all, size_t *all_cnt,
                                lr_tier_changed_t *tc, size_t cnt);

#endif
