/*
 * timers.h - what drives the routing timers (contact_after, queue
 * escalation, first-touch SLA: functions.lua keeps them, one ZSET of due
 * timers per tenant) in the worker, and the delivery of what they decide.
 *
 * worker.clock: wall (live, the default): lr_timers_run() ticks every
 * tenant that has a timer due on the wall clock, at most every
 * LR_TIMERS_INTERVAL_MS, in one pipeline. The worker calls it only when it
 * has caught up with its partitions (the last poll drained the queue): a
 * backlog being consumed may still hold the call that meets an SLA.
 * worker.clock: event (replay, simulation): each event fires the timers due
 * by its own event time first, in the same atomic call
 * (lr_store_op_t.fire_timers), so a replay decides exactly what the live
 * run decided; lr_timers_run() then only re-delivers the outbox.
 *
 * Delivery: a timer has no input event whose redelivery would re-publish
 * its decisions, so they wait in the tenant's outbox until acked after
 * they were delivered (lr_timers_ack() for the event clock, inside
 * lr_timers_run() for ticks). A worker that dies in between leaves them
 * leased; once the lease expires (LR_STORE_OUTBOX_LEASE_MS) the next tick
 * of any worker hands them out again, with the same event_id and rep: a
 * consumer may see a timer decision twice, never two different ones. The
 * tier changes of a ranking install wait in the same outbox, the same way.
 */
#ifndef LR_TIMERS_H
#define LR_TIMERS_H

#include <stddef.h>

#include "apply.h"
#include "config.h"
#include "store.h"

#define LR_TIMERS_INTERVAL_MS 250
#define LR_TIMERS_TENANTS_MAX 1000 /* tenants ticked per run */

typedef struct lr_timers_hooks_s {
        /* Publishes every decision and tier change of results[0..n) and
         * waits until they are delivered: 0, or -1 when they were not (they
         * stay in the outbox). */
        int (*publish)(void *opaque, lr_store_result_t *results, size_t n);
} lr_timers_hooks_t;

typedef struct lr_timers_s lr_timers_t;

/* A timer due on a day without a ranking has it installed through ap (its
 * tier changes go to ap's hook). */
lr_timers_t *lr_timers_new(lr_store_t *st, lr_apply_t *ap,
                           const lr_config_t *cfg,
                           const lr_timers_hooks_t *hooks, void *opaque);
void lr_timers_free(lr_timers_t *tm);

/* Ticks the tenants due now (see above). Redis errors are logged and
 * retried at the next run. */
void lr_timers_run(lr_timers_t *tm);

/* Acks the outbox entries (decisions[0..outbox_cnt), tier_changes) of
 * delivered results[0..n). */
void lr_timers_ack(lr_timers_t *tm, const lr_store_result_t *results, size_t n);

#endif
