/*
 * persist.h - a tenant's routing state as the store keeps it, both ways:
 * the changes since the last write as one list of store operations, and a
 * tenant rebuilt from what the store read. Pure (no I/O): the store sends
 * and reads, this file says what.
 *
 * Keys, each under the tenant's prefix "<ns>:{<tenant>}:" (one hash slot):
 *   meta        HASH  v (layout), epoch and version (the store's), rankday,
 *                     rr (round robin cursor), c:<region> (territory
 *                     cursors), vt (weighted round robin virtual time),
 *                     p:<topic>:<partition> (next input offset), oseq,
 *                     inst (rankings installed since the last decision,
 *                     as text: the next decision carries them)
 *   reps        HASH  rep_id -> rep record (state, presence history,
 *                     profile, ranking position), packed
 *   m:<rep_id>  HASH  day -> the rep's day bucket, packed; a day leaves by
 *                     HDEL when it leaves the window
 *   leads       HASH  lead_id -> lead record, packed; removed a retention
 *                     after the lead closed
 *   dec         HASH  "<lead_id>#<attempt>" -> the decision (LeadAssigned
 *                     as JSON: what other services read, and what a
 *                     redelivered event re-publishes)
 *   acct        HASH  account_id -> rep_id of its latest lead
 *   ev:<day>    HASH  event_id -> "<lead#attempt,...>": the events
 *                     applied on that day (dedup) and what they decided;
 *                     the day goes whole when it leaves the dedup window
 *   timers      ZSET  "<kind>|<attempt>|<lead_id>" by due time
 *   outbox      HASH  seq -> "d"+decision JSON | "t"+tier change JSON:
 *                     outputs without an input, until delivered
 *   hist        HASH  day -> the ranking installed that day, packed (the
 *                     scorecard's history)
 */
#ifndef LR_PERSIST_H
#define LR_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/rank.h"
#include "route.h"

#define LR_PERSIST_LAYOUT "2"

/* A list of owned strings (binary-safe). */
typedef struct lr_args_s {
        char **v;
        size_t *len;
        size_t cnt, size;
} lr_args_t;

void lr_args_add(lr_args_t *a, const char *s, size_t len);
void lr_args_addf(lr_args_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lr_args_free(lr_args_t *a);

/* The changes since the last call as store operations, appended to ops:
 * groups of an op name, a key suffix, a count n, then n items:
 *   H key n field value ...  (HSET)      HDEL key n field ...
 *   Z key n score member ... (ZADD)      ZREM key n member ...
 *   DEL key 0                (DEL)
 * Returns the number of groups (0: nothing to write) and forgets the
 * changes (the caller writes them, or drops the tenant). outbox_acked: the
 * outbox entries up to this mark were delivered (0: none). */
size_t lr_persist_changes(lr_tenant_t *t, lr_args_t *ops);

/* One hash (or a ZSET as member -> score) as read from the store. */
typedef struct lr_pairs_s {
        size_t cnt;
        const char **k, **v;
        size_t *klen, *vlen;
} lr_pairs_t;

/* Everything the store read of a tenant. */
typedef struct lr_stored_s {
        lr_pairs_t meta, reps, leads, accounts, outbox, timers;
        /* the events applied: seen[i] holds those of day seen_day[i] */
        lr_pairs_t *seen;
        int32_t *seen_day;
        size_t seen_cnt;
        const char *ranking; /* hist[rankday], NULL when none */
        size_t ranking_len;
        /* buckets[i] are the buckets of reps.k[i] */
        lr_pairs_t *buckets;
} lr_stored_t;

/* A tenant rebuilt from what the store read (an empty read: a new
 * tenant). 0, or -1 with errstr when a record cannot be read. */
int lr_persist_load(lr_tenant_t *t, const lr_stored_t *s, char *errstr,
                    size_t errstr_size);

/* Decisions and tier changes as JSON text (malloc()ed) and back. */
char *lr_persist_decision_json(const lr_assigned_t *d);
int lr_persist_decision_parse(const char *json, size_t len, lr_assigned_t *d);
char *lr_persist_tier_change_json(const lr_tier_changed_t *tc);
int lr_persist_tier_change_parse(const char *json, size_t len,
                                 lr_tier_changed_t *tc);

/* A ranking of the history, packed and back. */
void lr_persist_ranking_pack(const lr_ranking_t *k, char **out, size_t *len);
int lr_persist_ranking_unpack(const char *p, size_t len, int32_t day,
                              lr_ranking_t *k);

/* A rep's day bucket, packed and back (the scorecard reads them). */
void lr_persist_bucket_pack(const lr_bucket_t *b, char **out, size_t *len);
int lr_persist_bucket_unpack(const char *p, size_t len, int32_t day,
                             lr_bucket_t *b);

#endif
