/*
 * replay_order.h - the order in which `replay` applies the inputs, per
 * tenant (tenants are independent: only the order of a tenant's own inputs
 * matters).
 *
 * By event time: the streams are merged by (event time, topic, stream,
 * place in the stream), each stream through a bounded reordering window so
 * that inputs stored out of event-time order within a partition or file are
 * put back in order too (up to the window).
 *
 * In the worker's order: when the recorded decisions of a tenant carry the
 * input positions the worker had applied (inputs_applied), the replay
 * applies, before the input that made decision D, exactly the inputs
 * below D's positions on every stream, each stream in its own order:
 * between two decisions, the inputs in between go by event time, the one
 * that made the decision (the trigger) last. The same holds for the points
 * where the worker installed a day's ranking (recorded with the next
 * decision): the inputs of earlier days it had not yet applied then come
 * after, as they did live. A tenant waits for its inputs
 * of a stream that is behind, holding those of the others: memory grows
 * only with how far apart the worker applied inputs of different topics.
 */
#ifndef LR_REPLAY_ORDER_H
#define LR_REPLAY_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "replay_compare.h"
#include "replay_input.h"

/* Decisions the worker made after applying the same inputs; or (install)
 * none: the point where it installed the ranking of install_day, whose
 * positions the next decision recorded. */
typedef struct lr_rp_group_s {
        lr_rp_rec_t **recs;
        size_t cnt;
        const lr_rp_pos_t *pos; /* recs[0]'s, or the install's */
        size_t pos_cnt;
        int install;
        int32_t install_day;
} lr_rp_group_t;

/* One tenant's place in the worker's order. */
typedef struct lr_rp_sched_s {
        lr_rp_group_t *groups;
        size_t cnt, cur;
        struct lr_rp_pend_s *pend; /* held inputs, per stream */
        size_t pend_cnt, held;
        void *tenant; /* the take callback's tag */
        int listed;   /* known to the order (lr_rp_order_t) */
        int waiting;  /* for a stream that is behind */
} lr_rp_sched_t;

/* groups from the tenant's recorded decisions in the worker's order
 * (lr_rp_recorded_tenant); those without positions are left out. */
void lr_rp_sched_init(lr_rp_sched_t *s, lr_rp_rec_t *const *recs, size_t n);
void lr_rp_sched_clear(lr_rp_sched_t *s);

typedef struct lr_rp_order_ops_s {
        void *opaque;
        /* An item as it leaves its stream (every item, in the stream's
         * order): its tenant (stored in it->tag) and that tenant's
         * schedule, or NULL to drop the item. */
        lr_rp_sched_t *(*take)(void *opaque, size_t stream, lr_rp_item_t *it);
        /* Applies an item (its event is the callee's). trigger: it is the
         * input that made group g's decisions. */
        void (*apply)(void *opaque, size_t stream, lr_rp_item_t *it,
                      const lr_rp_group_t *g, int trigger);
        /* Every input before group g's decisions (or install) is applied
         * (after its trigger, whose event time is trigger_time, INT64_MIN if
         * none). */
        void (*reached)(void *opaque, void *tenant, const lr_rp_group_t *g,
                        int64_t trigger_time);
} lr_rp_order_ops_t;

typedef struct lr_rp_order_s lr_rp_order_t;

/* window: items held per stream to reorder by event time (1: none; the
 * worker's order needs 1). */
lr_rp_order_t *lr_rp_order_new(lr_rp_input_t *in, size_t window,
                               const lr_rp_order_ops_t *ops);
void lr_rp_order_free(lr_rp_order_t *o);

/* Applies the next input (or more, when it releases held ones): 1, or 0
 * when every stream has ended and everything held is applied. */
int lr_rp_order_step(lr_rp_order_t *o);

#endif
