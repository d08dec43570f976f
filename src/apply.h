/*
 * apply.h - applying input events to the store in event-time order, with
 * each tenant's daily ranking installed before its first event of a new
 * day. This is the one path from decoded events to routing decisions:
 * `run` (worker.c) and `simulate` (simulate.c) both go through it, so the
 * simulator exercises exactly the routing the worker does.
 */
#ifndef LR_APPLY_H
#define LR_APPLY_H

#include <stddef.h>

#include "leadrouter/event.h"
#include "store.h"

typedef struct lr_apply_hooks_s {
        /* Redis failed (errstr): return 0 to retry the same step (after
         * waiting for Redis to come back), -1 to give up. */
        int (*retry)(void *opaque, const char *errstr);
        /* The tier changes of a ranking this applier installed: in the
         * tenant's outbox, to publish, then lr_store_ack(). The hook owns
         * tc (lr_snapshot_changes_free). May be NULL. */
        void (*tier_changes)(void *opaque, lr_tier_changed_t *tc, size_t cnt);
} lr_apply_hooks_t;

typedef struct lr_apply_s lr_apply_t;

/* The applier keeps a per-tenant cache of the installed ranking's day; st
 * must outlive it. */
lr_apply_t *lr_apply_new(lr_store_t *st, const lr_apply_hooks_t *hooks,
                         void *opaque);
void lr_apply_free(lr_apply_t *ap);

/* Applies ops[0..n) (results[i] answers ops[i]) in pipelined segments split
 * where a tenant enters a new event-time day: that day's ranking (from
 * ops[i].policy) is installed first, after the events before it. Like
 * lr_store_apply, results[] is overwritten: clear it with
 * lr_store_result_clear afterwards, also after a failure. Returns 0, or -1
 * when the retry hook gave up (later segments were not applied). */
int lr_apply_ops(lr_apply_t *ap, const lr_store_op_t *ops, size_t n,
                 lr_store_result_t *results);

/* Makes sure the tenant's ranking of `day` is installed (from policy p), as
 * lr_apply_ops does before an event of that day: for what is decided
 * outside an event, e.g. a timer tick at a time of `day`. 0, or -1 when the
 * retry hook gave up. */
int lr_apply_ensure_day(lr_apply_t *ap, const char *tenant,
                        const lr_policy_t *p, int32_t day);

/* Installs the tenant's ranking of `day` whatever the cache says: after an
 * answer NEED_RANK (need_day), e.g. to a timer tick. 0, or -1 when the
 * retry hook gave up. */
int lr_apply_install(lr_apply_t *ap, const char *tenant, const lr_policy_t *p,
                     int32_t day);

#endif
