/*
 * route.h - the routing method of SPEC §3 as a pure C core: one tenant's
 * routing state in memory and the functions that apply an input event, or
 * the timers due at a time, at its event time and yield the effects:
 * decisions, tier changes, and the state changes to persist (marked dirty
 * on the state, turned into a store write by persist.h).
 *
 * One implementation serves `run` (the worker, Redis as the durable copy),
 * `simulate` (in memory) and `replay` (in memory, the event clock). Nothing
 * here does I/O or reads a clock: every decision depends only on the events
 * applied, in their order, and the times passed in, so the same events in
 * the same order reproduce the same decisions. (Time zone rules are read
 * from the system zoneinfo once per zone, like any other constant.)
 *
 * Order of work inside one event: an event applied before (its input
 * position, or its event_id) only names what it decided; otherwise, with
 * the event clock, the timers due by the event time fire first, each at
 * its own due time and on the ranking of its own day; then the event's
 * day gets its ranking if it opens a new day (tier changes at an
 * evaluation), the event is applied and the tenant's waiting leads are
 * drained.
 */
#ifndef LR_ROUTE_H
#define LR_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/policy.h"
#include "leadrouter/rank.h"

typedef struct lr_tenant_s lr_tenant_t;

/* A tenant with no state. policy and policy_version are borrowed and must
 * outlive it. clock_event: timers are fired by the event clock (each event
 * fires those due by its time first: replay, simulation, worker.clock:
 * event); otherwise only lr_tenant_fire() fires them (the wall clock). */
lr_tenant_t *lr_tenant_new(const char *tenant_id, const lr_policy_t *policy,
                           const char *policy_version, int clock_event);
void lr_tenant_free(lr_tenant_t *t);

const char *lr_tenant_id(const lr_tenant_t *t);
/* Swaps the policy (a config reload, a what-if): rankings already installed
 * stay as they are. */
void lr_tenant_set_policy(lr_tenant_t *t, const lr_policy_t *policy,
                          const char *policy_version);

typedef enum lr_route_status_e {
        LR_ROUTE_APPLIED   = 0, /* state changed (decisions may be empty) */
        LR_ROUTE_DUPLICATE = 1, /* seen before: refs name what it decided */
        LR_ROUTE_REJECTED  = 2, /* invalid for the state: errstr; nothing
                                 * changed; the event is dead-lettered */
} lr_route_status_t;

/* A decision of the past, named for re-publishing: "<lead_id>#<attempt>",
 * its record kept by the store. */
typedef struct lr_route_ref_s {
        char *lead_id;
        int attempt;
} lr_route_ref_t;

/* What one call decided. Every string is owned (lr_route_result_clear). */
typedef struct lr_route_result_s {
        lr_route_status_t status;
        char errstr[256];
        /* New decisions in the order made; decisions[0..timer_cnt) were
         * made by timers (before the event, event clock) and also wait in
         * the tenant's outbox until acked (lr_tenant_outbox_ack). */
        lr_assigned_t *decisions;
        size_t decisions_cnt, decisions_size;
        size_t timer_cnt;
        /* Tier changes of a ranking installed by this call (outbox too). */
        lr_tier_changed_t *tier_changes;
        size_t tier_changes_cnt, tier_changes_size;
        /* DUPLICATE: the decisions the event made the first time. */
        lr_route_ref_t *refs;
        size_t refs_cnt;
} lr_route_result_t;

void lr_route_result_clear(lr_route_result_t *r);

/* Where an input event was read from (copied into its decisions). */
typedef struct lr_route_source_s {
        const char *topic;
        int32_t partition;
        int64_t offset;
} lr_route_source_t;

/* The wall-clock time of the calls that follow (a live worker on the wall
 * clock; 0, the default: none, as in replay and simulation). Decisions
 * record it (routed_at), and the first-touch SLA and queue escalation
 * deadlines count from it: a lead read from a backlog gets its full SLA
 * from when its rep was told, not from its event time. */
void lr_tenant_set_wall(lr_tenant_t *t, int64_t wall_ms);

/* Applies one input event (of this tenant). 0, or -1 on an internal error
 * (a bug: errstr; the state may be inconsistent, drop the tenant).
 * A bad event is not an internal error: status REJECTED. */
int lr_tenant_apply(lr_tenant_t *t, const lr_event_t *ev,
                    const lr_route_source_t *src, lr_route_result_t *out);

/* Fires the timers due at or before `now` (wall clock), each at its due
 * time. Its decisions are all timer decisions (outbox). */
void lr_tenant_fire(lr_tenant_t *t, int64_t now, lr_route_result_t *out);

/* As lr_tenant_fire, at most max timers (the earliest): a worker that
 * comes back to thousands of due timers decides them a round at a time. */
void lr_tenant_fire_some(lr_tenant_t *t, int64_t now, size_t max,
                         lr_route_result_t *out);

/* Due time of the earliest pending timer, INT64_MAX when none. */
int64_t lr_tenant_next_due(const lr_tenant_t *t);

/* Installs the ranking of `day` from the reps' buckets if the installed
 * one is older (what an event of a new day does first); tier changes (at
 * an evaluation) go to out and to the outbox. */
void lr_tenant_ensure_day(lr_tenant_t *t, int32_t day, lr_route_result_t *out);

/* Day of the installed ranking, -1 when none. */
int32_t lr_tenant_rank_day(const lr_tenant_t *t);

/* The installed ranking, as the router uses it (rank order, then reps
 * new since, by rep_id): borrowed, valid until the next call that changes
 * the tenant. NULL when none was installed. */
const lr_ranking_t *lr_tenant_ranking(const lr_tenant_t *t);

/* Installs a ranking given as is (tests, imports): reps ids[i] with
 * composite comps[i], rank i + 1 and tier tiers[i], for `day`. Reps not
 * known yet are created. */
void lr_tenant_set_ranking(lr_tenant_t *t, int32_t day, size_t n,
                           const char *const *ids, const double *comps,
                           const int *tiers);

/* A rep's routing state, for tests and the scorecard. */
typedef struct lr_route_rep_s {
        const char *rep_id;
        int active, tier;
        int64_t handled;
        int open_leads;
        const char *status; /* presence symbol, "" when never given */
        const char *display_name, *team;
} lr_route_rep_t;

/* 1 and *out when rep_id is known, else 0. */
int lr_tenant_rep(const lr_tenant_t *t, const char *rep_id,
                  lr_route_rep_t *out);
size_t lr_tenant_rep_cnt(const lr_tenant_t *t);
/* The i-th rep by rep_id (0 <= i < lr_tenant_rep_cnt). */
void lr_tenant_rep_at(const lr_tenant_t *t, size_t i, lr_route_rep_t *out);

/* The buckets of a rep for days [from_day, to_day] (borrowed), for the
 * scorecard and the tests. */
const lr_bucket_t *lr_tenant_rep_buckets(const lr_tenant_t *t,
                                         const char *rep_id, size_t *cnt);

/* Leads waiting in the queue, and the lead_id of the i-th (best first). */
size_t lr_tenant_queue_len(const lr_tenant_t *t);
const char *lr_tenant_queue_at(const lr_tenant_t *t, size_t i);

/* Retention of what the state remembers, in days of event time: event ids
 * for dedup (redis.dedup_ttl_days, default 30), closed leads
 * (redis.lead_retention_days, default 90) and the daily rankings kept as
 * history (redis.ranking_retention_days, default 730). */
void lr_tenant_set_retention(lr_tenant_t *t, int dedup_ttl_days,
                             int lead_retention_days,
                             int ranking_retention_days);

/* The outbox: timer decisions and tier changes recorded but not yet acked
 * as delivered. After a restart or a move to another worker they are
 * published again (same event_id). lr_tenant_outbox_mark() is the newest
 * entry now; lr_tenant_outbox_ack(t, mark) removes the entries up to it,
 * once what they hold is delivered. */
size_t lr_tenant_outbox_len(const lr_tenant_t *t);
void lr_tenant_outbox_get(const lr_tenant_t *t, size_t i,
                          const lr_assigned_t **decision,
                          const lr_tier_changed_t **tier_change);
uint64_t lr_tenant_outbox_mark(const lr_tenant_t *t);
void lr_tenant_outbox_ack(lr_tenant_t *t, uint64_t upto);

#endif
