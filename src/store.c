/*
 * store.c - see store.h: the connection, the Functions library
 * (src/store.lua, embedded), claims, pipelined tenant writes, and the reads
 * of tenants, decisions and rankings. What the keys hold is persist.c's
 * business; this file only moves it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "embedded.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_STORE_LIBRARY "leadrouter"
#define LR_STORE_CONNECT_TIMEOUT_MS 2000
#define LR_STORE_COMMAND_TIMEOUT_MS 10000
#define LR_STORE_SCAN_COUNT "1000"

struct lr_store_s {
        char *host;
        int port;
        int db;
        char *user;     /* ACL user, NULL for the default user */
        char *password; /* NULL when none */
        char *ns;
        redisContext *rc; /* NULL when not connected */
        int library_ok;   /* library verified on this connection */
        int connect_timeout_ms, command_timeout_ms;
        /* A write sent and not yet answered (lr_store_commit_send), and
         * its outcome once read (any other call reads it first). */
        lr_store_write_t *pend;
        size_t pend_n;
        int pend_read, pend_rc;
        char pend_err[512];
};

/* "<ns>:{<tenant>}": every key of a tenant shares its hash slot. */
static char *store_prefix(const lr_store_t *st, const char *tenant) {
        size_t size = strlen(st->ns) + strlen(tenant) + 4;
        char *p     = lr_xcalloc(1, size);
        snprintf(p, size, "%s:{%s}", st->ns, tenant);
        return p;
}

static void store_drop(lr_store_t *st) {
        if (st->rc)
                redisFree(st->rc);
        st->rc         = NULL;
        st->library_ok = 0;
}

/* Percent-decodes s[0..len) into a new string. */
static char *store_url_decode(const char *s, size_t len) {
        char *d = lr_xcalloc(1, len + 1), *o = d;
        size_t i;
        for (i = 0; i < len; i++) {
                if (s[i] == '%' && i + 2 < len &&
                    isxdigit((unsigned char)s[i + 1]) &&
                    isxdigit((unsigned char)s[i + 2])) {
                        char hex[3] = {s[i + 1], s[i + 2], 0};
                        *o++        = (char)strtol(hex, NULL, 16);
                        i += 2;
                } else {
                        *o++ = s[i];
                }
        }
        return d;
}

static int store_parse_url(lr_store_t *st, const char *url, char *errstr,
                           size_t errstr_size) {
        const char *p, *at, *host, *hostend, *slash, *colon;
        char *end;
        long v;

        if (strncmp(url, "redis://", 8)) {
                snprintf(errstr, errstr_size,
                         "redis url \"%s\": expected redis://[:password@]"
                         "host:port[/db]",
                         url);
                return -1;
        }
        p     = url + 8;
        slash = strchr(p, '/');
        at    = NULL;
        for (host = p; *host && (!slash || host < slash); host++)
                if (*host == '@')
                        at = host;
        host = p;
        if (at) {
                colon = memchr(p, ':', (size_t)(at - p));
                if (colon) {
                        if (colon > p)
                                st->user =
                                    store_url_decode(p, (size_t)(colon - p));
                        st->password = store_url_decode(
                            colon + 1, (size_t)(at - colon - 1));
                } else {
                        st->password = store_url_decode(p, (size_t)(at - p));
                }
                host = at + 1;
        }
        hostend  = slash ? slash : host + strlen(host);
        st->port = 6379;
        if (*host == '[') {
                const char *rb = memchr(host, ']', (size_t)(hostend - host));
                if (!rb)
                        goto bad;
                st->host = store_url_decode(host + 1, (size_t)(rb - host - 1));
                colon    = rb + 1 < hostend && rb[1] == ':' ? rb + 1 : NULL;
        } else {
                colon    = memchr(host, ':', (size_t)(hostend - host));
                st->host = store_url_decode(
                    host, (size_t)((colon ? colon : hostend) - host));
        }
        if (!*st->host)
                goto bad;
        if (colon) {
                v = strtol(colon + 1, &end, 10);
                if (end != hostend || v < 1 || v > 65535)
                        goto bad;
                st->port = (int)v;
        }
        if (slash && slash[1]) {
                v = strtol(slash + 1, &end, 10);
                if (*end || v < 0 || v > 100000)
                        goto bad;
                st->db = (int)v;
        }
        if (!st->password || !*st->password) {
                const char *env = getenv("LEADROUTER_REDIS_PASSWORD");
                free(st->password);
                st->password = env && *env ? lr_xstrdup(env) : NULL;
        }
        return 0;
bad:
        snprintf(errstr, errstr_size, "redis url \"%s\": bad host, port or db",
                 url);
        return -1;
}

/* Runs one command. Returns the reply, or NULL with errstr: on an I/O error
 * (the connection is dropped) or an error reply. */
static redisReply *store_cmd(lr_store_t *st, int argc, const char **argv,
                             const size_t *len, char *errstr,
                             size_t errstr_size) {
        redisReply *r;
        if (!st->rc) {
                snprintf(errstr, errstr_size, "redis: not connected");
                return NULL;
        }
        r = redisCommandArgv(st->rc, argc, argv, len);
        if (!r) {
                snprintf(
                    errstr, errstr_size, "redis %s:%d: %s", st->host, st->port,
                    st->rc->errstr[0] ? st->rc->errstr : "connection lost");
                store_drop(st);
                return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis %s: %s", argv[0], r->str);
                if (strstr(r->str, "Function not found"))
                        store_drop(st); /* reconnecting reloads it */
                freeReplyObject(r);
                return NULL;
        }
        return r;
}

/* The strings of a variadic call (at most 8) as argv/len. */
static void store_vargs(int argc, va_list ap, const char **argv, size_t *len) {
        int i;
        for (i = 0; i < argc && i < 8; i++) {
                argv[i] = va_arg(ap, const char *);
                len[i]  = strlen(argv[i]);
        }
}

static redisReply *store_cmdv(lr_store_t *st, char *errstr, size_t errstr_size,
                              int argc, ...) {
        const char *argv[8];
        size_t len[8];
        va_list ap;
        va_start(ap, argc);
        store_vargs(argc, ap, argv, len);
        va_end(ap);
        return store_cmd(st, argc, argv, len, errstr, errstr_size);
}

static int store_open(lr_store_t *st, char *errstr, size_t errstr_size) {
        struct timeval ct = {st->connect_timeout_ms / 1000,
                             (st->connect_timeout_ms % 1000) * 1000};
        struct timeval ot = {st->command_timeout_ms / 1000,
                             (st->command_timeout_ms % 1000) * 1000};
        redisReply *r;
        char db[16];

        st->rc = redisConnectWithTimeout(st->host, st->port, ct);
        if (!st->rc || st->rc->err) {
                snprintf(errstr, errstr_size, "redis %s:%d: %s", st->host,
                         st->port,
                         st->rc ? st->rc->errstr : "cannot allocate context");
                store_drop(st);
                return -1;
        }
        redisSetTimeout(st->rc, ot);
        redisEnableKeepAlive(st->rc);
        if (st->password) {
                r = st->user ? store_cmdv(st, errstr, errstr_size, 3, "AUTH",
                                          st->user, st->password)
                             : store_cmdv(st, errstr, errstr_size, 2, "AUTH",
                                          st->password);
                if (!r)
                        goto fail;
                freeReplyObject(r);
        }
        if (st->db) {
                snprintf(db, sizeof(db), "%d", st->db);
                r = store_cmdv(st, errstr, errstr_size, 2, "SELECT", db);
                if (!r)
                        goto fail;
                freeReplyObject(r);
        }
        return 0;
fail:
        store_drop(st);
        return -1;
}

/* 1 if the FUNCTION LIST reply holds our library with exactly `code`. */
static int store_library_matches(const redisReply *list,
                                 const lr_embedded_t *code) {
        size_t i, j;
        for (i = 0; list->type == REDIS_REPLY_ARRAY && i < list->elements;
             i++) {
                const redisReply *lib = list->element[i];
                int named = 0, same = 0;
                for (j = 0;
                     lib->type == REDIS_REPLY_ARRAY && j + 1 < lib->elements;
                     j += 2) {
                        const redisReply *k = lib->element[j];
                        const redisReply *v = lib->element[j + 1];
                        if (k->type != REDIS_REPLY_STRING ||
                            v->type != REDIS_REPLY_STRING)
                                continue;
                        if (!strcmp(k->str, "library_name"))
                                named = !strcmp(v->str, LR_STORE_LIBRARY);
                        else if (!strcmp(k->str, "library_code"))
                                same = v->len == code->len &&
                                       !memcmp(v->str, code->data, v->len);
                }
                if (named)
                        return same;
        }
        return 0;
}

static int store_load_library(lr_store_t *st, char *errstr,
                              size_t errstr_size) {
        const lr_embedded_t *code = lr_embedded_find("store.lua");
        const char *load[4]       = {"FUNCTION", "LOAD", "REPLACE", NULL};
        size_t len[4]             = {8, 4, 7, 0};
        redisReply *r;
        int same;

        if (!code) {
                snprintf(errstr, errstr_size,
                         "store.lua is not embedded in this build");
                return -1;
        }
        r = store_cmdv(st, errstr, errstr_size, 5, "FUNCTION", "LIST",
                       "LIBRARYNAME", LR_STORE_LIBRARY, "WITHCODE");
        if (!r)
                return -1;
        same = store_library_matches(r, code);
        freeReplyObject(r);
        if (!same) {
                load[3] = code->data;
                len[3]  = code->len;
                r       = store_cmd(st, 4, load, len, errstr, errstr_size);
                if (!r)
                        return -1;
                freeReplyObject(r);
                lr_info("store", "loaded Functions library %s (%zu bytes)",
                        LR_STORE_LIBRARY, code->len);
        }
        st->library_ok = 1;
        return 0;
}

static void store_settle(lr_store_t *st);

int lr_store_connect(lr_store_t *st, char *errstr, size_t errstr_size) {
        store_settle(st);
        if (!st->rc && store_open(st, errstr, errstr_size))
                return -1;
        if (!st->library_ok && store_load_library(st, errstr, errstr_size))
                return -1;
        return 0;
}

lr_store_t *lr_store_new(const char *url, const char *ns, char *errstr,
                         size_t errstr_size) {
        lr_store_t *st         = lr_xcalloc(1, sizeof(*st));
        st->ns                 = lr_xstrdup(ns);
        st->connect_timeout_ms = LR_STORE_CONNECT_TIMEOUT_MS;
        st->command_timeout_ms = LR_STORE_COMMAND_TIMEOUT_MS;
        /* Connecting is left to lr_store_connect(), which the caller retries
         * while Redis is unreachable. */
        if (store_parse_url(st, url, errstr, errstr_size)) {
                lr_store_free(st);
                return NULL;
        }
        return st;
}

void lr_store_set_timeouts(lr_store_t *st, int connect_ms, int command_ms) {
        st->connect_timeout_ms = connect_ms > 0 ? connect_ms : 1;
        st->command_timeout_ms = command_ms > 0 ? command_ms : 1;
        store_drop(st); /* the next call reconnects with them */
}

void lr_store_free(lr_store_t *st) {
        if (!st)
                return;
        store_drop(st);
        free(st->host);
        free(st->user);
        free(st->password);
        free(st->ns);
        free(st);
}

int lr_store_server_version(lr_store_t *st, char *buf, size_t size,
                            char *errstr, size_t errstr_size) {
        redisReply *r;
        const char *v;

        if (!st->rc && store_open(st, errstr, errstr_size))
                return -1;
        if (!(r = store_cmdv(st, errstr, errstr_size, 2, "INFO", "server")))
                return -1;
        v = r->type == REDIS_REPLY_STRING ? strstr(r->str, "redis_version:")
                                          : NULL;
        if (!v) {
                snprintf(errstr, errstr_size, "no redis_version in INFO");
                freeReplyObject(r);
                return -1;
        }
        v += strlen("redis_version:");
        snprintf(buf, size, "%.*s", (int)strcspn(v, "\r\n"), v);
        freeReplyObject(r);
        return 0;
}

/* ---- pipelines ------------------------------------------------------------
 */

static int store_append(lr_store_t *st, int argc, const char **argv,
                        const size_t *len) {
        return redisAppendCommandArgv(st->rc, argc, argv, len) == REDIS_OK ? 0
                                                                           : -1;
}

static int store_appendv(lr_store_t *st, int argc, ...) {
        const char *argv[8];
        size_t len[8];
        va_list ap;
        va_start(ap, argc);
        store_vargs(argc, ap, argv, len);
        va_end(ap);
        return store_append(st, argc, argv, len);
}

/* The next reply of the pipeline; NULL with errstr on an I/O error or an
 * error reply (then the connection is dropped: replies may be pending). */
static redisReply *store_reply(lr_store_t *st, char *errstr,
                               size_t errstr_size) {
        void *p = NULL;
        redisReply *r;
        if (redisGetReply(st->rc, &p) != REDIS_OK || !p) {
                snprintf(
                    errstr, errstr_size, "redis %s:%d: %s", st->host, st->port,
                    st->rc->errstr[0] ? st->rc->errstr : "connection lost");
                store_drop(st);
                return NULL;
        }
        r = p;
        if (r->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis: %s", r->str);
                freeReplyObject(r);
                store_drop(st);
                return NULL;
        }
        return r;
}

static int store_append_failed(lr_store_t *st, char *errstr,
                               size_t errstr_size) {
        snprintf(errstr, errstr_size, "redis %s:%d: %s", st->host, st->port,
                 st->rc && st->rc->errstr[0] ? st->rc->errstr
                                             : "cannot queue command");
        store_drop(st);
        return -1;
}

/* ---- ownership ------------------------------------------------------------
 */

int lr_store_new_epoch(lr_store_t *st, int64_t *epoch, char *errstr,
                       size_t errstr_size) {
        char key[512];
        redisReply *r;
        snprintf(key, sizeof(key), "%s:epoch", st->ns);
        if (lr_store_connect(st, errstr, errstr_size) ||
            !(r = store_cmdv(st, errstr, errstr_size, 2, "INCR", key)))
                return -1;
        *epoch = r->integer;
        freeReplyObject(r);
        return 0;
}

void lr_store_strings_free(char **s, size_t cnt) {
        size_t i;
        for (i = 0; s && i < cnt; i++)
                free(s[i]);
        free(s);
}

int lr_store_partition_tenants(lr_store_t *st, int32_t nparts, int32_t p,
                               char ***tenants, size_t *cnt, char *errstr,
                               size_t errstr_size) {
        char key[512];
        redisReply *r;
        size_t i;
        *tenants = NULL;
        *cnt     = 0;
        snprintf(key, sizeof(key), "%s:pt:%d:%d", st->ns, (int)nparts, (int)p);
        if (lr_store_connect(st, errstr, errstr_size) ||
            !(r = store_cmdv(st, errstr, errstr_size, 2, "SMEMBERS", key)))
                return -1;
        *tenants = lr_xcalloc(r->elements + 1, sizeof(**tenants));
        for (i = 0; i < r->elements; i++)
                if (r->element[i]->type == REDIS_REPLY_STRING)
                        (*tenants)[(*cnt)++] = lr_xstrdup(r->element[i]->str);
        freeReplyObject(r);
        return 0;
}

int lr_store_partition_add(lr_store_t *st, int32_t nparts, const int32_t *p,
                           const char *const *tenants, size_t n, char *errstr,
                           size_t errstr_size) {
        char key[512];
        redisReply *r;
        size_t i;
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        for (i = 0; i < n; i++) {
                snprintf(key, sizeof(key), "%s:pt:%d:%d", st->ns, (int)nparts,
                         (int)p[i]);
                if (store_appendv(st, 3, "SADD", key, tenants[i]))
                        return store_append_failed(st, errstr, errstr_size);
        }
        for (i = 0; i < n; i++) {
                if (!(r = store_reply(st, errstr, errstr_size)))
                        return -1;
                freeReplyObject(r);
        }
        return 0;
}

/* A hash (or a ZSET read WITHSCORES) reply as pairs borrowing its strings. */
static void store_pairs(const redisReply *r, lr_pairs_t *p) {
        size_t i, n = r && r->type == REDIS_REPLY_ARRAY ? r->elements / 2 : 0;
        memset(p, 0, sizeof(*p));
        p->k    = lr_xcalloc(n + 1, sizeof(*p->k));
        p->v    = lr_xcalloc(n + 1, sizeof(*p->v));
        p->klen = lr_xcalloc(n + 1, sizeof(*p->klen));
        p->vlen = lr_xcalloc(n + 1, sizeof(*p->vlen));
        for (i = 0; i < n; i++) {
                const redisReply *k = r->element[2 * i];
                const redisReply *v = r->element[2 * i + 1];
                if (k->type != REDIS_REPLY_STRING ||
                    v->type != REDIS_REPLY_STRING)
                        continue;
                p->k[p->cnt]    = k->str;
                p->klen[p->cnt] = k->len;
                p->v[p->cnt]    = v->str;
                p->vlen[p->cnt] = v->len;
                p->cnt++;
        }
}

static void store_pairs_free(lr_pairs_t *p) {
        free(p->k);
        free(p->v);
        free(p->klen);
        free(p->vlen);
}

/* The hashes of a tenant read in one pipeline round. */
enum { R_META, R_REPS, R_LEADS, R_ACCT, R_OUTBOX, R_TIMERS, R_CNT };

static const char *store_read_what[R_CNT] = {"meta", "reps",   "leads",
                                             "acct", "outbox", "timers"};

static int store_append_reads(lr_store_t *st, const char *prefix) {
        char key[1024];
        int i;
        for (i = 0; i < R_CNT; i++) {
                snprintf(key, sizeof(key), "%s:%s", prefix, store_read_what[i]);
                if (i == R_TIMERS ? store_appendv(st, 5, "ZRANGE", key, "0",
                                                  "-1", "WITHSCORES")
                                  : store_appendv(st, 2, "HGETALL", key))
                        return -1;
        }
        return 0;
}

/* Round 2 of a load: the buckets of every rep, the installed ranking, and
 * the events applied in the dedup window before it. */
static int store_load_one(lr_store_t *st, lr_store_load_t *ld, redisReply **rr,
                          char *errstr, size_t errstr_size) {
        lr_stored_t s;
        lr_pairs_t pairs[R_CNT];
        redisReply **bk = NULL, *hist = NULL, **ev = NULL;
        int32_t first_day = 0, nev = 0, d;
        char *prefix        = store_prefix(st, ld->tenant_id), key[1024];
        const char *rankday = NULL;
        size_t i, nreps;
        int rc = -1;

        memset(&s, 0, sizeof(s));
        for (i = 0; i < R_CNT; i++)
                store_pairs(rr[i], &pairs[i]);
        for (i = 0; i < pairs[R_META].cnt; i++) {
                if (pairs[R_META].klen[i] == 7 &&
                    !memcmp(pairs[R_META].k[i], "rankday", 7))
                        rankday = pairs[R_META].v[i];
                if (pairs[R_META].klen[i] == 7 &&
                    !memcmp(pairs[R_META].k[i], "version", 7) && !ld->version)
                        ld->version = strtoll(pairs[R_META].v[i], NULL, 10);
        }
        nreps = pairs[R_REPS].cnt;
        for (i = 0; i < nreps; i++) {
                snprintf(key, sizeof(key), "%s:m:%.*s", prefix,
                         (int)pairs[R_REPS].klen[i], pairs[R_REPS].k[i]);
                if (store_appendv(st, 2, "HGETALL", key))
                        goto append_failed;
        }
        snprintf(key, sizeof(key), "%s:hist", prefix);
        if (rankday && store_appendv(st, 3, "HGET", key, rankday))
                goto append_failed;
        if (rankday) {
                first_day = (int32_t)strtol(rankday, NULL, 10) -
                            ld->opts.dedup_ttl_days - 1;
                nev = ld->opts.dedup_ttl_days + 3;
        }
        for (d = 0; d < nev; d++) {
                snprintf(key, sizeof(key), "%s:ev:%d", prefix,
                         (int)(first_day + d));
                if (store_appendv(st, 2, "HGETALL", key))
                        goto append_failed;
        }
        bk = lr_xcalloc(nreps + 1, sizeof(*bk));
        for (i = 0; i < nreps; i++)
                if (!(bk[i] = store_reply(st, errstr, errstr_size)))
                        goto done;
        if (rankday && !(hist = store_reply(st, errstr, errstr_size)))
                goto done;
        ev = lr_xcalloc((size_t)nev + 1, sizeof(*ev));
        for (d = 0; d < nev; d++)
                if (!(ev[d] = store_reply(st, errstr, errstr_size)))
                        goto done;

        s.meta     = pairs[R_META];
        s.reps     = pairs[R_REPS];
        s.leads    = pairs[R_LEADS];
        s.accounts = pairs[R_ACCT];
        s.seen     = lr_xcalloc((size_t)nev + 1, sizeof(*s.seen));
        s.seen_day = lr_xcalloc((size_t)nev + 1, sizeof(*s.seen_day));
        for (d = 0; d < nev; d++) {
                store_pairs(ev[d], &s.seen[d]);
                s.seen_day[d] = first_day + d;
        }
        s.seen_cnt = (size_t)nev;
        s.outbox   = pairs[R_OUTBOX];
        s.timers   = pairs[R_TIMERS];
        s.buckets  = lr_xcalloc(nreps + 1, sizeof(*s.buckets));
        for (i = 0; i < nreps; i++)
                store_pairs(bk[i], &s.buckets[i]);
        if (hist && hist->type == REDIS_REPLY_STRING) {
                s.ranking     = hist->str;
                s.ranking_len = hist->len;
        }
        ld->tenant =
            lr_tenant_new(ld->tenant_id, ld->opts.policy,
                          ld->opts.policy_version, ld->opts.clock_event);
        lr_tenant_set_retention(ld->tenant, ld->opts.dedup_ttl_days,
                                ld->opts.lead_retention_days,
                                ld->opts.ranking_retention_days);
        if (lr_persist_load(ld->tenant, &s, errstr, errstr_size)) {
                lr_tenant_free(ld->tenant);
                ld->tenant = NULL;
        } else {
                rc = 0;
        }
        for (i = 0; i < nreps; i++)
                store_pairs_free(&s.buckets[i]);
        free(s.buckets);
        for (d = 0; d < nev; d++)
                store_pairs_free(&s.seen[d]);
        free(s.seen);
        free(s.seen_day);
        goto done;
append_failed:
        store_append_failed(st, errstr, errstr_size);
done:
        for (i = 0; i < R_CNT; i++)
                store_pairs_free(&pairs[i]);
        for (i = 0; bk && i < nreps; i++)
                if (bk[i])
                        freeReplyObject(bk[i]);
        free(bk);
        if (hist)
                freeReplyObject(hist);
        for (d = 0; ev && d < nev; d++)
                if (ev[d])
                        freeReplyObject(ev[d]);
        free(ev);
        free(prefix);
        return rc;
}

int lr_store_claim(lr_store_t *st, int64_t epoch, lr_store_load_t *loads,
                   size_t n, char *errstr, size_t errstr_size) {
        redisReply **rr = NULL;
        char num[24];
        size_t i, j, per = R_CNT + (epoch > 0);
        int rc = -1;

        for (i = 0; i < n; i++) {
                loads[i].tenant  = NULL;
                loads[i].version = 0;
                loads[i].fenced  = 0;
        }
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        snprintf(num, sizeof(num), "%lld", (long long)epoch);
        for (i = 0; i < n; i++) {
                char *prefix = store_prefix(st, loads[i].tenant_id);
                int bad =
                    (epoch > 0 && store_appendv(st, 5, "FCALL", "lr_claim", "1",
                                                prefix, num)) ||
                    store_append_reads(st, prefix);
                free(prefix);
                if (bad)
                        return store_append_failed(st, errstr, errstr_size);
        }
        rr = lr_xcalloc(n * per + 1, sizeof(*rr));
        for (i = 0; i < n * per; i++)
                if (!(rr[i] = store_reply(st, errstr, errstr_size)))
                        goto done;
        for (i = 0; i < n; i++) {
                redisReply **r = &rr[i * per];
                if (epoch > 0) {
                        redisReply *c = r[0];
                        if (c->type != REDIS_REPLY_ARRAY || c->elements != 2) {
                                snprintf(errstr, errstr_size,
                                         "lr_claim: unexpected reply");
                                goto done;
                        }
                        if (!strcmp(c->element[0]->str, "fenced")) {
                                loads[i].fenced = 1;
                                continue;
                        }
                        loads[i].version =
                            strtoll(c->element[1]->str, NULL, 10);
                        r++;
                }
                if (store_load_one(st, &loads[i], r, errstr, errstr_size))
                        goto done;
        }
        rc = 0;
done:
        for (i = 0; rr && i < n * per; i++)
                if (rr[i])
                        freeReplyObject(rr[i]);
        free(rr);
        if (rc)
                for (j = 0; j < n; j++) {
                        lr_tenant_free(loads[j].tenant);
                        loads[j].tenant = NULL;
                }
        return rc;
}

/* ---- writes
 * ------------------------------------------------------------------ */

/* The replies to a pipeline of n writes, into w. */
static int store_commit_replies(lr_store_t *st, lr_store_write_t *w, size_t n,
                                char *errstr, size_t errstr_size) {
        size_t i;
        if (!st->rc) {
                snprintf(errstr, errstr_size, "connection lost");
                return -1;
        }
        for (i = 0; i < n; i++) {
                redisReply *r = store_reply(st, errstr, errstr_size);
                const char *s;
                if (!r)
                        return -1;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
                    r->element[0]->type != REDIS_REPLY_STRING) {
                        snprintf(errstr, errstr_size,
                                 "lr_commit: unexpected reply");
                        freeReplyObject(r);
                        /* the rest of the pipeline is unread */
                        store_drop(st);
                        return -1;
                }
                s = r->element[0]->str;
                if (!strcmp(s, "ok") || !strcmp(s, "done")) {
                        w[i].status = LR_STORE_WRITTEN;
                        w[i].version++;
                } else if (!strcmp(s, "fenced")) {
                        w[i].status = LR_STORE_FENCED;
                } else {
                        /* Written by someone else under our epoch: a bug.
                         * Dropping the tenant (as for fenced) reloads it. */
                        lr_error("store", "tenant %s: version conflict (%s)",
                                 w[i].tenant_id,
                                 r->element[1]->type == REDIS_REPLY_STRING
                                     ? r->element[1]->str
                                     : "?");
                        w[i].status = LR_STORE_FENCED;
                }
                freeReplyObject(r);
        }
        return 0;
}

/* Reads the answer to a write sent before anything else is asked on the
 * connection (replies come in order). */
static void store_settle(lr_store_t *st) {
        if (!st->pend || st->pend_read)
                return;
        st->pend_rc   = store_commit_replies(st, st->pend, st->pend_n,
                                             st->pend_err, sizeof(st->pend_err));
        st->pend_read = 1;
}

int lr_store_commit_send(lr_store_t *st, int64_t epoch, lr_store_write_t *w,
                         size_t n, char *errstr, size_t errstr_size) {
        size_t i, k;
        int done = 0;

        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        st->pend = NULL; /* an unclaimed answer: read by connect, dropped */
        for (i = 0; i < n; i++) {
                char *prefix      = store_prefix(st, w[i].tenant_id);
                size_t argc       = 7 + w[i].ops.cnt;
                const char **argv = lr_xcalloc(argc, sizeof(*argv));
                size_t *len       = lr_xcalloc(argc, sizeof(*len));
                char num[3][24];
                int bad;
                snprintf(num[0], sizeof(num[0]), "%lld", (long long)epoch);
                snprintf(num[1], sizeof(num[1]), "%lld",
                         (long long)w[i].version);
                snprintf(num[2], sizeof(num[2]), "%lld",
                         (long long)w[i].version + 1);
                argv[0] = "FCALL";
                argv[1] = "lr_commit";
                argv[2] = "1";
                argv[3] = prefix;
                argv[4] = num[0];
                argv[5] = num[1];
                argv[6] = num[2];
                for (k = 0; k < 7; k++)
                        len[k] = strlen(argv[k]);
                for (k = 0; k < w[i].ops.cnt; k++) {
                        argv[7 + k] = w[i].ops.v[k];
                        len[7 + k]  = w[i].ops.len[k];
                }
                bad = store_append(st, (int)argc, argv, len);
                free(argv);
                free(len);
                free(prefix);
                if (bad)
                        return store_append_failed(st, errstr, errstr_size);
        }
        /* on its way now: Redis works while the caller does */
        while (!done)
                if (redisBufferWrite(st->rc, &done) != REDIS_OK)
                        return store_append_failed(st, errstr, errstr_size);
        st->pend      = w;
        st->pend_n    = n;
        st->pend_read = 0;
        return 0;
}

int lr_store_commit_recv(lr_store_t *st, char *errstr, size_t errstr_size) {
        int rc;
        if (!st->pend)
                return 0;
        store_settle(st);
        rc = st->pend_rc;
        if (rc)
                snprintf(errstr, errstr_size, "%s", st->pend_err);
        st->pend = NULL;
        return rc;
}

int lr_store_commit(lr_store_t *st, int64_t epoch, lr_store_write_t *w,
                    size_t n, char *errstr, size_t errstr_size) {
        if (lr_store_commit_send(st, epoch, w, n, errstr, errstr_size))
                return -1;
        return lr_store_commit_recv(st, errstr, errstr_size);
}

/* ---- reads
 * ------------------------------------------------------------------- */

int lr_store_read_decisions(lr_store_t *st, const char *tenant,
                            const lr_route_ref_t *refs, size_t n,
                            lr_assigned_t **out, size_t *cnt, char *errstr,
                            size_t errstr_size) {
        char *prefix      = store_prefix(st, tenant), key[1024];
        const char **argv = lr_xcalloc(n + 2, sizeof(*argv));
        size_t *len       = lr_xcalloc(n + 2, sizeof(*len));
        char **fields     = lr_xcalloc(n + 1, sizeof(*fields));
        redisReply *r     = NULL;
        size_t i;
        int rc = -1;

        *out = lr_xcalloc(n + 1, sizeof(**out));
        *cnt = 0;
        snprintf(key, sizeof(key), "%s:dec", prefix);
        argv[0] = "HMGET";
        argv[1] = key;
        for (i = 0; i < n; i++) {
                char f[512];
                snprintf(f, sizeof(f), "%s#%d", refs[i].lead_id,
                         refs[i].attempt);
                fields[i]   = lr_xstrdup(f);
                argv[2 + i] = fields[i];
        }
        for (i = 0; i < n + 2; i++)
                len[i] = strlen(argv[i]);
        if (!n) {
                rc = 0;
                goto done;
        }
        if (lr_store_connect(st, errstr, errstr_size) ||
            !(r = store_cmd(st, (int)(n + 2), argv, len, errstr, errstr_size)))
                goto done;
        for (i = 0; i < r->elements; i++) {
                const redisReply *e = r->element[i];
                if (e->type != REDIS_REPLY_STRING)
                        continue;
                if (lr_persist_decision_parse(e->str, e->len, &(*out)[*cnt])) {
                        snprintf(errstr, errstr_size,
                                 "decision %s of tenant %s unreadable",
                                 fields[i], tenant);
                        goto done;
                }
                (*cnt)++;
        }
        rc = 0;
done:
        if (r)
                freeReplyObject(r);
        for (i = 0; i < n; i++)
                free(fields[i]);
        free(fields);
        free(argv);
        free(len);
        free(prefix);
        if (rc) {
                for (i = 0; i < *cnt; i++)
                        lr_assigned_clear(&(*out)[i]);
                free(*out);
                *out = NULL;
                *cnt = 0;
        }
        return rc;
}

int lr_store_read_tenant(lr_store_t *st, const char *tenant, lr_tenant_t **t,
                         char *errstr, size_t errstr_size) {
        static lr_policy_t policy;
        static int init;
        lr_store_load_t ld;
        if (!init) {
                lr_policy_defaults(&policy);
                policy.tiers = LR_MAX_TIERS;
                init         = 1;
        }
        memset(&ld, 0, sizeof(ld));
        ld.tenant_id                   = tenant;
        ld.opts.policy                 = &policy;
        ld.opts.policy_version         = "";
        ld.opts.dedup_ttl_days         = 30;
        ld.opts.lead_retention_days    = 90;
        ld.opts.ranking_retention_days = 730;
        if (lr_store_claim(st, 0, &ld, 1, errstr, errstr_size))
                return -1;
        *t = ld.tenant;
        return 0;
}

int lr_store_read_reps(lr_store_t *st, const char *tenant, int32_t from_day,
                       int32_t to_day, lr_store_rep_t **repsp, size_t *cntp,
                       char *errstr, size_t errstr_size) {
        lr_tenant_t *t;
        lr_store_rep_t *reps;
        size_t i, j, n;

        *repsp = NULL;
        *cntp  = 0;
        if (lr_store_read_tenant(st, tenant, &t, errstr, errstr_size))
                return -1;
        n    = lr_tenant_rep_cnt(t);
        reps = lr_xcalloc(n + 1, sizeof(*reps));
        for (i = 0; i < n; i++) {
                lr_route_rep_t r;
                const lr_bucket_t *b;
                size_t bn;
                lr_tenant_rep_at(t, i, &r);
                reps[i].rep_id       = lr_xstrdup(r.rep_id);
                reps[i].tier         = r.tier;
                reps[i].handled      = r.handled;
                reps[i].active       = r.active;
                reps[i].open_leads   = r.open_leads;
                reps[i].display_name = lr_xstrdup(r.display_name);
                reps[i].team         = lr_xstrdup(r.team);
                snprintf(reps[i].status, sizeof(reps[i].status), "%s",
                         r.status);
                b               = lr_tenant_rep_buckets(t, r.rep_id, &bn);
                reps[i].buckets = lr_xcalloc(bn + 1, sizeof(*reps[i].buckets));
                for (j = 0; j < bn; j++)
                        if (b[j].day >= from_day && b[j].day <= to_day)
                                reps[i].buckets[reps[i].buckets_cnt++] = b[j];
        }
        lr_tenant_free(t);
        *repsp = reps;
        *cntp  = n;
        return 0;
}

void lr_store_reps_free(lr_store_rep_t *reps, size_t cnt) {
        size_t i;
        for (i = 0; reps && i < cnt; i++) {
                free(reps[i].rep_id);
                free(reps[i].display_name);
                free(reps[i].team);
                free(reps[i].buckets);
        }
        free(reps);
}

static int store_day_cmp(const void *a, const void *b) {
        const lr_ranking_t *x = a, *y = b;
        return (x->day > y->day) - (x->day < y->day);
}

int lr_store_read_rankings(lr_store_t *st, const char *tenant, int32_t from_day,
                           int32_t to_day, lr_ranking_t **out, size_t *cnt,
                           char *errstr, size_t errstr_size) {
        char *prefix  = store_prefix(st, tenant), key[1024];
        redisReply *r = NULL;
        size_t i;
        int rc = -1;

        *out = NULL;
        *cnt = 0;
        snprintf(key, sizeof(key), "%s:hist", prefix);
        free(prefix);
        if (lr_store_connect(st, errstr, errstr_size) ||
            !(r = store_cmdv(st, errstr, errstr_size, 2, "HGETALL", key)))
                return -1;
        *out = lr_xcalloc(r->elements / 2 + 1, sizeof(**out));
        for (i = 0; i + 1 < r->elements; i += 2) {
                int32_t day = (int32_t)strtol(r->element[i]->str, NULL, 10);
                if (day < from_day || day > to_day)
                        continue;
                if (lr_persist_ranking_unpack(r->element[i + 1]->str,
                                              r->element[i + 1]->len, day,
                                              &(*out)[*cnt])) {
                        snprintf(errstr, errstr_size,
                                 "ranking of day %d of tenant %s unreadable",
                                 (int)day, tenant);
                        goto done;
                }
                (*cnt)++;
        }
        qsort(*out, *cnt, sizeof(**out), store_day_cmp);
        rc = 0;
done:
        freeReplyObject(r);
        if (rc) {
                for (i = 0; i < *cnt; i++)
                        lr_ranking_clear(&(*out)[i]);
                free(*out);
                *out = NULL;
                *cnt = 0;
        }
        return rc;
}

static char *store_ns_pattern(const char *ns) {
        char *pat = lr_xcalloc(1, 2 * strlen(ns) + 3), *o = pat;
        for (; *ns; ns++) {
                if (strchr("*?[]\\", *ns))
                        *o++ = '\\';
                *o++ = *ns;
        }
        strcpy(o, ":*");
        return pat;
}

int lr_store_flush_namespace(lr_store_t *st, char *errstr, size_t errstr_size) {
        char *pattern, cursor[32] = "0";
        int rc = -1;

        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        pattern = store_ns_pattern(st->ns);
        do {
                redisReply *r =
                    store_cmdv(st, errstr, errstr_size, 6, "SCAN", cursor,
                               "MATCH", pattern, "COUNT", LR_STORE_SCAN_COUNT);
                redisReply *keys;
                if (!r)
                        goto done;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                        snprintf(errstr, errstr_size, "redis SCAN: bad reply");
                        freeReplyObject(r);
                        goto done;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                keys = r->element[1];
                if (keys->elements) {
                        size_t i, n = keys->elements + 1;
                        const char **argv = lr_xcalloc(n, sizeof(*argv));
                        size_t *len       = lr_xcalloc(n, sizeof(*len));
                        redisReply *u;
                        argv[0] = "UNLINK";
                        len[0]  = 6;
                        for (i = 1; i < n; i++) {
                                argv[i] = keys->element[i - 1]->str;
                                len[i]  = keys->element[i - 1]->len;
                        }
                        u = store_cmd(st, (int)n, argv, len, errstr,
                                      errstr_size);
                        free(argv);
                        free(len);
                        if (!u) {
                                freeReplyObject(r);
                                goto done;
                        }
                        freeReplyObject(u);
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0"));
        rc = 0;
done:
        free(pattern);
        return rc;
}

/* ---- export and import ------------------------------------------------------
 */

void lr_store_raw_free(lr_store_raw_key_t *keys, size_t cnt) {
        size_t i;
        for (i = 0; keys && i < cnt; i++) {
                free(keys[i].suffix);
                lr_args_free(&keys[i].items);
        }
        free(keys);
}

static void store_raw_add(lr_store_raw_key_t **keys, size_t *cnt,
                          const char *suffix, int zset, const redisReply *r) {
        lr_store_raw_key_t *k;
        size_t i;
        if (!r || r->type != REDIS_REPLY_ARRAY || !r->elements)
                return;
        *keys = lr_xrealloc(*keys, (*cnt + 1) * sizeof(**keys));
        k     = &(*keys)[(*cnt)++];
        memset(k, 0, sizeof(*k));
        k->suffix = lr_xstrdup(suffix);
        k->zset   = zset;
        for (i = 0; i < r->elements; i++)
                lr_args_add(&k->items, r->element[i]->str, r->element[i]->len);
}

int lr_store_raw_read(lr_store_t *st, const char *tenant,
                      lr_store_raw_key_t **keys, size_t *cnt, char *errstr,
                      size_t errstr_size) {
        char *prefix = store_prefix(st, tenant), *pattern, cursor[32] = "0";
        size_t plen = strlen(prefix);
        int rc      = -1;

        *keys = NULL;
        *cnt  = 0;
        {
                /* the tenant's keys: "<prefix>:*", glob characters of the
                 * prefix escaped */
                char *esc = store_ns_pattern(prefix);
                pattern   = esc;
        }
        if (lr_store_connect(st, errstr, errstr_size))
                goto done;
        do {
                redisReply *r =
                    store_cmdv(st, errstr, errstr_size, 6, "SCAN", cursor,
                               "MATCH", pattern, "COUNT", LR_STORE_SCAN_COUNT);
                size_t i;
                if (!r)
                        goto done;
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                        snprintf(errstr, errstr_size, "redis SCAN: bad reply");
                        freeReplyObject(r);
                        goto done;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (i = 0; i < r->element[1]->elements; i++) {
                        const char *key = r->element[1]->element[i]->str;
                        redisReply *t, *v;
                        int zset;
                        if (!(t = store_cmdv(st, errstr, errstr_size, 2, "TYPE",
                                             key))) {
                                freeReplyObject(r);
                                goto done;
                        }
                        zset = t->type == REDIS_REPLY_STATUS &&
                               !strcmp(t->str, "zset");
                        freeReplyObject(t);
                        v = zset ? store_cmdv(st, errstr, errstr_size, 5,
                                              "ZRANGE", key, "0", "-1",
                                              "WITHSCORES")
                                 : store_cmdv(st, errstr, errstr_size, 2,
                                              "HGETALL", key);
                        if (!v) {
                                freeReplyObject(r);
                                goto done;
                        }
                        store_raw_add(keys, cnt, key + plen + 1, zset, v);
                        freeReplyObject(v);
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0"));
        rc = 0;
done:
        free(pattern);
        free(prefix);
        if (rc) {
                lr_store_raw_free(*keys, *cnt);
                *keys = NULL;
                *cnt  = 0;
        }
        return rc;
}

int lr_store_raw_write(lr_store_t *st, const char *tenant,
                       const lr_store_raw_key_t *keys, size_t cnt, int replace,
                       char *errstr, size_t errstr_size) {
        char *prefix            = store_prefix(st, tenant), key[1024];
        lr_store_raw_key_t *old = NULL;
        size_t nold = 0, i, j, sent = 0;
        redisReply *r;
        int rc = -1;

        if (lr_store_raw_read(st, tenant, &old, &nold, errstr, errstr_size))
                goto done;
        if (nold && !replace) {
                snprintf(errstr, errstr_size,
                         "tenant %s already has state in namespace %s "
                         "(--replace to overwrite it)",
                         tenant, st->ns);
                goto done;
        }
        if (store_appendv(st, 1, "MULTI"))
                goto append_failed;
        sent++;
        for (i = 0; i < nold; i++) {
                snprintf(key, sizeof(key), "%s:%s", prefix, old[i].suffix);
                if (store_appendv(st, 2, "DEL", key))
                        goto append_failed;
                sent++;
        }
        for (i = 0; i < cnt; i++) {
                const lr_args_t *a = &keys[i].items;
                size_t n           = 0, k;
                const char **argv  = lr_xcalloc(a->cnt + 2, sizeof(*argv));
                size_t *len        = lr_xcalloc(a->cnt + 2, sizeof(*len));
                int bad;
                snprintf(key, sizeof(key), "%s:%s", prefix, keys[i].suffix);
                argv[n]  = keys[i].zset ? "ZADD" : "HSET";
                len[n++] = 4;
                argv[n]  = key;
                len[n++] = strlen(key);
                for (j = 0; j + 1 < a->cnt; j += 2) {
                        /* ZADD takes score member */
                        k        = keys[i].zset ? j + 1 : j;
                        argv[n]  = a->v[k];
                        len[n++] = a->len[k];
                        k        = keys[i].zset ? j : j + 1;
                        argv[n]  = a->v[k];
                        len[n++] = a->len[k];
                }
                /* the importing deployment claims it anew */
                if (!strcmp(keys[i].suffix, "meta"))
                        for (k = 2; k + 1 < n; k += 2)
                                if (len[k] == 5 && !memcmp(argv[k], "epoch", 5))
                                        argv[k + 1] = "0", len[k + 1] = 1;
                bad = n > 2 && store_append(st, (int)n, argv, len);
                sent += n > 2;
                free(argv);
                free(len);
                if (bad)
                        goto append_failed;
        }
        if (store_appendv(st, 1, "EXEC"))
                goto append_failed;
        sent++;
        for (i = 0; i < sent; i++) {
                if (!(r = store_reply(st, errstr, errstr_size)))
                        goto done;
                freeReplyObject(r);
        }
        rc = 0;
        goto done;
append_failed:
        store_append_failed(st, errstr, errstr_size);
done:
        lr_store_raw_free(old, nold);
        free(prefix);
        return rc;
}
