/*
 * store.h - Redis as the shared, durable copy of the routing state (hiredis
 * and a small Functions library, src/store.lua, embedded at build time).
 *
 * The routing is computed in the worker (src/route/); the store keeps what
 * it decided, per tenant, under keys hash-tagged by tenant (persist.h has
 * the layout), so one tenant's write is atomic on a single Redis and on a
 * Redis Cluster alike.
 *
 * Ownership: a worker that is assigned partitions takes a new epoch
 * (lr_store_new_epoch) and claims the tenants of those partitions with it
 * (lr_store_claim: refused when a newer epoch claimed them), loading their
 * state. Every write carries the epoch and the tenant's version: it is
 * refused (FENCED) when another worker claimed the tenant since, so a
 * worker that lost its partitions without noticing (a zombie) can neither
 * change state nor re-decide a lead. A write that was applied but whose
 * reply was lost is recognised by its version and reported as done, so a
 * batch is simply written again after a connection error.
 *
 * Failure policy: an I/O error, or an error reply, fails the call with -1
 * and drops the connection (the next call reconnects and reloads the
 * library); nothing here is ever about a bad event.
 */
#ifndef LR_STORE_H
#define LR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/policy.h"
#include "leadrouter/rank.h"
#include "persist.h"
#include "route.h"

typedef struct lr_store_s lr_store_t;

/* url: redis://[[user]:password@]host:port[/db] (password also from the
 * environment variable LEADROUTER_REDIS_PASSWORD). ns: key prefix. */
lr_store_t *lr_store_new(const char *url, const char *ns, char *errstr,
                         size_t errstr_size);
void lr_store_free(lr_store_t *st);

/* Timeouts of connecting and of each command (defaults 2000 and 10000 ms):
 * a call that waits longer fails like a lost connection. */
void lr_store_set_timeouts(lr_store_t *st, int connect_ms, int command_ms);

/* (Re)connects if needed and makes sure the Functions library of this build
 * is loaded. 0 or -1 with errstr. Cheap when already connected. */
int lr_store_connect(lr_store_t *st, char *errstr, size_t errstr_size);

/* The version of the Redis server (INFO server), connecting if needed but
 * loading nothing: for `leadrouter --version`. 0 or -1 with errstr. */
int lr_store_server_version(lr_store_t *st, char *buf, size_t size,
                            char *errstr, size_t errstr_size);

/* ---- ownership ------------------------------------------------------------
 */

/* A new epoch, greater than every epoch taken before in the namespace. */
int lr_store_new_epoch(lr_store_t *st, int64_t *epoch, char *errstr,
                       size_t errstr_size);

/* The tenants whose events were seen on input partition p of topics of
 * nparts partitions (malloc()ed strings; free with lr_store_strings_free).
 * Filed by partition count: once partitions are added, tenants move, and each
 * is filed again at its first event. */
int lr_store_partition_tenants(lr_store_t *st, int32_t nparts, int32_t p,
                               char ***tenants, size_t *cnt, char *errstr,
                               size_t errstr_size);
/* Files tenants[i] under partition p[i], all in one round trip. */
int lr_store_partition_add(lr_store_t *st, int32_t nparts, const int32_t *p,
                           const char *const *tenants, size_t n, char *errstr,
                           size_t errstr_size);
void lr_store_strings_free(char **s, size_t cnt);

/* How a loaded tenant routes. */
typedef struct lr_store_tenant_opts_s {
        const lr_policy_t *policy;
        const char *policy_version;
        int clock_event;
        int dedup_ttl_days, lead_retention_days, ranking_retention_days;
} lr_store_tenant_opts_t;

/* One tenant to claim and load. */
typedef struct lr_store_load_s {
        const char *tenant_id;
        lr_store_tenant_opts_t opts;
        /* out */
        lr_tenant_t *tenant; /* NULL when fenced */
        int64_t version;     /* of the stored state */
        int fenced;          /* another worker holds a newer epoch */
} lr_store_load_t;

/* Claims loads[i].tenant_id for `epoch` and loads its state (epoch 0: a
 * read without claiming, e.g. for the scorecard or an export). Pipelined.
 * 0, or -1 with errstr (nothing is kept then). */
int lr_store_claim(lr_store_t *st, int64_t epoch, lr_store_load_t *loads,
                   size_t n, char *errstr, size_t errstr_size);

/* ---- writes ----------------------------------------------------------------
 */

typedef enum lr_store_write_status_e {
        LR_STORE_WRITTEN = 0,
        LR_STORE_FENCED, /* another worker claimed the tenant: drop it */
} lr_store_write_status_t;

/* One tenant's write (persist.h's operations). */
typedef struct lr_store_write_s {
        const char *tenant_id;
        lr_args_t ops;
        int64_t version; /* the state it was made on; the new one after */
        lr_store_write_status_t status;
} lr_store_write_t;

/* Writes w[0..n) in one pipeline, each atomic. 0, or -1 with errstr on a
 * connection or server error: call again with the same writes (those
 * already applied answer done). */
int lr_store_commit(lr_store_t *st, int64_t epoch, lr_store_write_t *w,
                    size_t n, char *errstr, size_t errstr_size);

/* lr_store_commit in two halves, so that the caller works while Redis
 * does: send the writes (w must stay as it is until the answer is read),
 * then read the answer (0, or -1 with errstr: lr_store_commit the same
 * writes again). Any other call on the store in between reads the answer
 * first and keeps it for lr_store_commit_recv. */
int lr_store_commit_send(lr_store_t *st, int64_t epoch, lr_store_write_t *w,
                         size_t n, char *errstr, size_t errstr_size);
int lr_store_commit_recv(lr_store_t *st, char *errstr, size_t errstr_size);

/* ---- reads ------------------------------------------------------------------
 */

/* A tenant read without claiming it, with the default policy (for readers
 * that only look at what is stored). lr_tenant_free() it. */
int lr_store_read_tenant(lr_store_t *st, const char *tenant, lr_tenant_t **t,
                         char *errstr, size_t errstr_size);

/* The recorded decisions refs[0..n) of a tenant, for re-publishing; a
 * decision no longer stored is skipped. *out malloc()ed (lr_assigned_clear
 * each, then free). */
int lr_store_read_decisions(lr_store_t *st, const char *tenant,
                            const lr_route_ref_t *refs, size_t n,
                            lr_assigned_t **out, size_t *cnt, char *errstr,
                            size_t errstr_size);

/* A rep as read for the scorecard. */
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
 * ranking history, kept for redis.ranking_retention_days). *out is
 * malloc()ed: free each with lr_ranking_clear(), then the array. */
int lr_store_read_rankings(lr_store_t *st, const char *tenant, int32_t from_day,
                           int32_t to_day, lr_ranking_t **out, size_t *cnt,
                           char *errstr, size_t errstr_size);

/* ---- export and import ------------------------------------------------------
 */

/* One key of a tenant as stored: its suffix under the tenant's prefix
 * ("reps", "m:<rep>", ...) and its field/value pairs (a ZSET: member/score
 * pairs). */
typedef struct lr_store_raw_key_s {
        char *suffix;
        int zset;
        lr_args_t items;
} lr_store_raw_key_t;

/* Every key of a tenant (state export). */
int lr_store_raw_read(lr_store_t *st, const char *tenant,
                      lr_store_raw_key_t **keys, size_t *cnt, char *errstr,
                      size_t errstr_size);
/* Writes keys as a tenant's state in one MULTI/EXEC (state import). A
 * tenant that has state already is refused unless replace (then its keys
 * are deleted first). The claim of the exporting deployment is not
 * carried over. */
int lr_store_raw_write(lr_store_t *st, const char *tenant,
                       const lr_store_raw_key_t *keys, size_t cnt, int replace,
                       char *errstr, size_t errstr_size);
void lr_store_raw_free(lr_store_raw_key_t *keys, size_t cnt);

/* Deletes every key of the namespace (tests, simulate). */
int lr_store_flush_namespace(lr_store_t *st, char *errstr, size_t errstr_size);

#endif
