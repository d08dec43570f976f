/*
 * store.h - the Redis state of leadrouter (hiredis + the Redis Functions
 * library in src/functions.lua, embedded at build time).
 *
 * Every state change is one FCALL that is idempotent per input event_id:
 * a redelivered event changes nothing and returns the decisions it produced
 * the first time, so they can be re-published as they were. Batches are
 * pipelined. A connection error fails the whole batch with -1; because each
 * call is idempotent the caller simply retries the batch after reconnecting.
 */
#ifndef LR_STORE_H
#define LR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/policy.h"
#include "leadrouter/rank.h"

typedef struct lr_store_s lr_store_t;

/* url: redis://[:password@]host:port[/db] (password also from the
 * environment variable LEADROUTER_REDIS_PASSWORD). ns: key prefix. */
lr_store_t *lr_store_new(const char *url, const char *ns, char *errstr,
                         size_t errstr_size);
void lr_store_free(lr_store_t *st);

/* Timeouts of connecting and of each command (defaults 2000 and 10000 ms):
 * a call that waits longer fails like a lost connection. The worker keeps
 * them well inside max.poll.interval.ms. */
void lr_store_set_timeouts(lr_store_t *st, int connect_ms, int command_ms);

/* (Re)connects if needed and makes sure the Functions library of this build
 * is loaded (FUNCTION LOAD REPLACE only when the loaded version differs).
 * 0 or -1 with errstr. Cheap when already connected. */
int lr_store_connect(lr_store_t *st, char *errstr, size_t errstr_size);

/* One input event to apply. */
typedef struct lr_store_op_s {
        const lr_event_t *ev;
        const lr_policy_t *policy;
        int lead_tier; /* LeadCreated: from lr_policy_lead_tier() */
        const char *source_topic;
        int32_t source_partition;
        int64_t source_offset;
        /* worker.clock: event (replay, simulation): first fire the tenant's
         * timers due at or before the event time, in the same atomic call;
         * their decisions come first in the result (outbox_cnt). */
        int fire_timers;
} lr_store_op_t;

typedef enum lr_store_status_e {
        LR_STORE_APPLIED = 0, /* state changed (decisions may be empty) */
        LR_STORE_DUPLICATE =
            1, /* seen before: decisions are the recorded ones */
        LR_STORE_NEED_RANK = 2, /* tenant has no ranking for need_day yet:
                                 * nothing was applied; install one, retry */
        LR_STORE_REJECTED = 3,  /* the event is invalid for the state (e.g. an
                                 * outcome for a departed rep's ...): reason in
                                 * errstr, goes to the dead-letter topic */
} lr_store_status_t;

typedef struct lr_store_result_s {
        lr_store_status_t status;
        int32_t need_day;
        char errstr[256];
        /* Decisions to publish, in order. explanation and policy_version are
         * left NULL: the worker fills them. */
        lr_assigned_t *decisions;
        size_t decisions_cnt;
        /* decisions[0..outbox_cnt) were made by timers: publish them like
         * the others, then lr_store_ack() them (until then they stay in the
         * tenant's outbox and are handed out again once their lease ends). */
        size_t outbox_cnt;
        /* Tier changes handed out again from the outbox (ticks only):
         * publish them, then lr_store_ack() them. */
        lr_tier_changed_t *tier_changes;
        size_t tier_changes_cnt;
} lr_store_result_t;

void lr_store_result_clear(lr_store_result_t *r);

/* Applies ops[0..n) in one pipeline; results[i] answers ops[i].
 * Returns 0, or -1 on a connection/protocol error (errstr), in which case
 * the caller reconnects and retries the same batch. */
int lr_store_apply(lr_store_t *st, const lr_store_op_t *ops, size_t n,
                   lr_store_result_t *results, char *errstr,
                   size_t errstr_size);

/* Timers: contact_after, queue escalation after max_wait and the
 * first-touch SLA, kept per tenant in Redis (functions.lua). A tick fires
 * those due at `now`, each decided at its due time, and hands out the
 * tenant's outbox (timer decisions not yet acked whose lease expired). */
#define LR_STORE_NO_TIMERS INT64_MIN /* tick now: outbox only */
#define LR_STORE_OUTBOX_LEASE_MS 30000

typedef struct lr_store_tick_s {
        const char *tenant_id;
        const lr_policy_t *policy;
        int64_t now; /* fire timers due at or before; LR_STORE_NO_TIMERS */
} lr_store_tick_t;

/* Ticks ticks[0..n) in one pipeline; results[i] answers ticks[i]: APPLIED,
 * or NEED_RANK when a due timer is on a day without a ranking (need_day;
 * the decisions made before it are in the result: publish them, install
 * the ranking, tick again). Every decision is an outbox one. 0 or -1 like
 * lr_store_apply. */
int lr_store_tick(lr_store_t *st, const lr_store_tick_t *ticks, size_t n,
                  lr_store_result_t *results, char *errstr, size_t errstr_size);

/* The tenants with a timer due at `now` (when timers) or an outbox lease
 * expired at wall-clock `wall`: a malloc()ed array of strings (free with
 * lr_store_tenants_free), at most `max`. */
int lr_store_due_tenants(lr_store_t *st, int64_t now, int timers, int64_t wall,
                         size_t max, char ***tenants, size_t *cnt, char *errstr,
                         size_t errstr_size);
void lr_store_tenants_free(char **tenants, size_t cnt);

/* Removes delivered timer decisions and tier changes from their tenants'
 * outboxes. */
int lr_store_ack(lr_store_t *st, const lr_assigned_t *decisions, size_t nd,
                 const lr_tier_changed_t *tier_changes, size_t ntc,
                 char *errstr, size_t errstr_size);

/* A rep as read for ranking and the scorecard. */
typedef struct lr_store_rep_s {
        char *rep_id;
        int tier;
        int64_t handled;
        int active;
        char status[16];           /* current presence symbol */
        char *display_name, *team; /* profile, NULL when never given */
        int64_t open_leads;
        lr_bucket_t *buckets;
        size_t buckets_cnt;
} lr_store_rep_t;

/* All reps of a tenant (sorted by rep_id) with their buckets of days
 * [from_day, to_day]. */
int lr_store_read_reps(lr_store_t *st, const char *tenant, int32_t from_day,
                       int32_t to_day, lr_store_rep_t **reps, size_t *cnt,
                       char *errstr, size_t errstr_size);
void lr_store_reps_free(lr_store_rep_t *reps, size_t cnt);

/* The tenant's installed rankings of days [from_day, to_day], by day (the
 * ranking history: one per day the tenant had events, kept for
 * store.ranking_retention_days). *out is malloc()ed: free each with
 * lr_ranking_clear(), then the array. */
int lr_store_read_rankings(lr_store_t *st, const char *tenant, int32_t from_day,
                           int32_t to_day, lr_ranking_t **out, size_t *cnt,
                           char *errstr, size_t errstr_size);

/* TEMPORARY (issue 12 shim, goes with the new store): the policy the shim
 * of lr_store_read_rankings ranks with. */
#define LR_STORE_RANKINGS_SHIM 1
void lr_store_tmp_policy_set(lr_store_t *st, const lr_policy_t *p);

/* Day of the tenant's installed ranking, or -1 when none. */
int lr_store_rank_day(lr_store_t *st, const char *tenant, int32_t *day,
                      char *errstr, size_t errstr_size);

/* Installs the ranking for `day` (composite and rank per rep, and new_tier
 * when evaluate_tiers) atomically, only if the tenant's installed ranking is
 * older. *installed = 1 when this call installed it, 0 if another worker
 * got there first. With it, in the same step, the tier changes go to the
 * tenant's outbox (leased for LR_STORE_OUTBOX_LEASE_MS): the installer
 * publishes and acks them, or a tick hands them out again after the lease.
 * Also prunes bucket fields older than day - window_days. */
int lr_store_install_rank(lr_store_t *st, const char *tenant, int32_t day,
                          const lr_rep_rank_t *reps, int cnt,
                          int evaluate_tiers, const lr_policy_t *p,
                          const lr_tier_changed_t *changes, size_t changes_cnt,
                          int *installed, char *errstr, size_t errstr_size);

/* Deletes every key of the namespace (tests, simulate). */
int lr_store_flush_namespace(lr_store_t *st, char *errstr, size_t errstr_size);

#endif
