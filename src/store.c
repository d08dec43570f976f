/*
 * store.c - leadrouter's Redis state over hiredis: the connection, the
 * Functions library (src/functions.lua, embedded), one pipelined FCALL per
 * input event, and the reads and writes of the ranking.
 *
 * The semantics of every state change live in functions.lua; this file only
 * marshals arguments and replies. Failure policy: an I/O error, or a Redis
 * error that is not about the event itself (library missing after a
 * restart or FUNCTION FLUSH, OOM, LOADING, READONLY ...), drops the
 * connection and fails the whole call with -1 so that the caller reconnects
 * (which reloads the library) and retries: every FCALL is idempotent. An
 * error raised inside a function is about that event: REJECTED.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "embedded.h"
#include "log.h"
#include "rank_prepare.h"
#include "store.h"
#include "timeutil.h"
#include "tzdb.h"
#include "workhours.h"

#define LR_STORE_LIBRARY "leadrouter"
#define LR_STORE_CONNECT_TIMEOUT_MS 2000
#define LR_STORE_COMMAND_TIMEOUT_MS 10000
#define LR_STORE_DEDUP_TTL_S (30 * 86400)
#define LR_STORE_ARGV_MAX 40
#define LR_STORE_SCAN_COUNT "1000"

struct lr_store_s {
        char *host;
        int port;
        int db;
        char *user;     /* ACL user, NULL for the default user */
        char *password; /* NULL when none */
        char *ns;
        char *timers_key, *outbox_key; /* "<ns>:timers", "<ns>:outbox" */
        redisContext *rc;              /* NULL when not connected */
        int library_ok;                /* library verified on this connection */
        int connect_timeout_ms, command_timeout_ms;
};

/* Argument vector of one command; numbers are formatted into num[]. */
typedef struct store_argv_s {
        int argc;
        const char *argv[LR_STORE_ARGV_MAX];
        size_t len[LR_STORE_ARGV_MAX];
        char num[LR_STORE_ARGV_MAX][24];
        char weights[LR_MAX_TIERS * 6];
        char hours[1024];
} store_argv_t;

static void argv_add(store_argv_t *a, const char *s) {
        a->argv[a->argc] = s ? s : "";
        a->len[a->argc]  = strlen(a->argv[a->argc]);
        a->argc++;
}

static void argv_add_int(store_argv_t *a, int64_t v) {
        snprintf(a->num[a->argc], sizeof(a->num[0]), "%" PRId64, v);
        argv_add(a, a->num[a->argc]);
}

static void argv_add_opt_int(store_argv_t *a, int present, int64_t v) {
        if (present)
                argv_add_int(a, v);
        else
                argv_add(a, "");
}

static char *store_strdup(const char *s) {
        char *d = strdup(s);
        if (!d) {
                lr_error("store", "out of memory");
                abort();
        }
        return d;
}

static void *store_calloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size);
        if (!p) {
                lr_error("store", "out of memory");
                abort();
        }
        return p;
}

/* "<ns>:{<tenant>}": every key of a tenant shares its hash slot. */
static char *store_prefix(const lr_store_t *st, const char *tenant) {
        size_t size = strlen(st->ns) + strlen(tenant) + 4;
        char *p     = store_calloc(1, size);
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
        char *d = store_calloc(1, len + 1), *o = d;
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
                st->password = env && *env ? store_strdup(env) : NULL;
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

static redisReply *store_cmdv(lr_store_t *st, char *errstr, size_t errstr_size,
                              int argc, ...) {
        const char *argv[8];
        size_t len[8];
        va_list ap;
        int i;
        va_start(ap, argc);
        for (i = 0; i < argc && i < 8; i++) {
                argv[i] = va_arg(ap, const char *);
                len[i]  = strlen(argv[i]);
        }
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
        const lr_embedded_t *code = lr_embedded_find("functions.lua");
        const char *load[4]       = {"FUNCTION", "LOAD", "REPLACE", NULL};
        size_t len[4]             = {8, 4, 7, 0};
        redisReply *r;
        int same;

        if (!code) {
                snprintf(errstr, errstr_size,
                         "functions.lua is not embedded in this build");
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

int lr_store_connect(lr_store_t *st, char *errstr, size_t errstr_size) {
        if (!st->rc && store_open(st, errstr, errstr_size))
                return -1;
        if (!st->library_ok && store_load_library(st, errstr, errstr_size))
                return -1;
        return 0;
}

lr_store_t *lr_store_new(const char *url, const char *ns, char *errstr,
                         size_t errstr_size) {
        lr_store_t *st         = store_calloc(1, sizeof(*st));
        st->ns                 = store_strdup(ns);
        st->connect_timeout_ms = LR_STORE_CONNECT_TIMEOUT_MS;
        st->command_timeout_ms = LR_STORE_COMMAND_TIMEOUT_MS;
        st->timers_key         = store_calloc(1, strlen(ns) + 8);
        sprintf(st->timers_key, "%s:timers", ns);
        st->outbox_key = store_calloc(1, strlen(ns) + 8);
        sprintf(st->outbox_key, "%s:outbox", ns);
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
        free(st->timers_key);
        free(st->outbox_key);
        free(st);
}

void lr_store_result_clear(lr_store_result_t *r) {
        size_t i;
        for (i = 0; i < r->decisions_cnt; i++)
                lr_assigned_clear(&r->decisions[i]);
        free(r->decisions);
        for (i = 0; i < r->tier_changes_cnt; i++)
                lr_tier_changed_clear(&r->tier_changes[i]);
        free(r->tier_changes);
        memset(r, 0, sizeof(*r));
}

/* The FCALL of an op, or NULL with errstr when it cannot be applied. */
static const char *store_op_function(const lr_store_op_t *op, char *errstr,
                                     size_t errstr_size) {
        const lr_event_t *ev = op->ev;
        if (!ev || !op->policy || !ev->event_id || !ev->tenant_id) {
                snprintf(errstr, errstr_size,
                         "event without event_id or tenant_id");
                return NULL;
        }
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                if (!ev->lead_id)
                        break;
                if (op->lead_tier < 1 || op->lead_tier > op->policy->tiers) {
                        snprintf(errstr, errstr_size,
                                 "lead tier %d out of range 1..%d",
                                 op->lead_tier, op->policy->tiers);
                        return NULL;
                }
                return "lr_lead";
        case LR_EV_CALL_OUTCOME:
                if (!ev->lead_id || !ev->u.call.rep_id)
                        break;
                return "lr_outcome";
        case LR_EV_REP_STATUS: {
                char hours[1024];
                if (!ev->u.rep.rep_id)
                        break;
                /* The C side compiles what Lua cannot: a bad value is a bad
                 * event, for the dead-letter topic. */
                if (ev->u.rep.working_hours &&
                    lr_workhours_compile(ev->u.rep.working_hours, hours,
                                         sizeof(hours), errstr, errstr_size))
                        return NULL;
                if (ev->u.rep.timezone &&
                    !lr_tzdb_table(ev->u.rep.timezone, errstr, errstr_size))
                        return NULL;
                return "lr_status";
        }
        default:
                snprintf(errstr, errstr_size, "%s is not an input event",
                         lr_event_kind_name(ev->kind));
                return NULL;
        }
        snprintf(errstr, errstr_size, "%s without lead_id or rep_id",
                 lr_event_kind_name(ev->kind));
        return NULL;
}

/* "FCALL fn 3 <prefix> <ns>:timers <ns>:outbox"; *owned = the prefix. */
static void store_argv_fcall(lr_store_t *st, store_argv_t *a, const char *fn,
                             const char *tenant, char **owned) {
        a->argc = 0;
        argv_add(a, "FCALL");
        argv_add(a, fn);
        argv_add(a, "3");
        *owned = store_prefix(st, tenant);
        argv_add(a, *owned);
        argv_add(a, st->timers_key);
        argv_add(a, st->outbox_key);
}

/* The policy block of functions.lua's policy_args(). */
static void store_argv_policy(store_argv_t *a, const lr_policy_t *p,
                              int fire_timers) {
        size_t len = 0;
        int t;

        argv_add_int(a, p->tiers);
        argv_add_int(a, p->max_open_leads);
        argv_add(a, p->strategy);
        argv_add_int(a, LR_STORE_DEDUP_TTL_S);
        argv_add_int(a, p->owner_first ? 1 : 0);
        argv_add_int(a, p->region_match ? 1 : 0);
        argv_add_int(a, (int64_t)p->max_wait_seconds * 1000);
        argv_add_int(a, (int64_t)p->sla_first_touch_seconds * 1000);
        argv_add_int(a, p->sla_max_attempts);
        a->weights[0] = '\0';
        for (t = 1; t <= p->tiers && t <= LR_MAX_TIERS; t++)
                len += (size_t)snprintf(
                    a->weights + len, sizeof(a->weights) - len, "%s%d",
                    t > 1 ? "," : "", lr_policy_tier_weight(p, t));
        argv_add(a, a->weights);
        argv_add_int(a, fire_timers ? 1 : 0);
        argv_add_int(a, lr_now_ms());
        argv_add_int(a, LR_STORE_OUTBOX_LEASE_MS);
        argv_add_int(a, p->max_leads_per_day);
}

/* Appends the FCALL of op; *owned receives what to free once appended. */
static int store_append_op(lr_store_t *st, const lr_store_op_t *op,
                           const char *fn, char **owned) {
        const lr_event_t *ev = op->ev;
        const lr_policy_t *p = op->policy;
        store_argv_t a;
        char *regions = NULL, err[256];
        int rc;

        store_argv_fcall(st, &a, fn, ev->tenant_id, &owned[0]);
        argv_add(&a, ev->event_id);
        argv_add(&a, ev->tenant_id);
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                argv_add(&a, ev->lead_id);
                argv_add_int(&a, ev->u.lead.created_at);
                argv_add_int(&a, op->lead_tier);
                argv_add(&a, op->source_topic);
                argv_add_int(&a, op->source_partition);
                argv_add_int(&a, op->source_offset);
                argv_add(&a, ev->u.lead.account_id);
                argv_add(&a, ev->u.lead.region);
                argv_add_opt_int(&a, ev->u.lead.has_contact_after,
                                 ev->u.lead.contact_after);
                break;
        case LR_EV_CALL_OUTCOME:
                argv_add(&a, ev->u.call.rep_id);
                argv_add(&a, ev->lead_id);
                argv_add_int(&a, ev->u.call.occurred_at);
                argv_add(&a, lr_outcome_name(ev->u.call.outcome));
                argv_add_int(&a, ev->u.call.duration_seconds);
                argv_add_opt_int(&a, ev->u.call.has_deal_value,
                                 ev->u.call.deal_value_cents);
                break;
        default: {
                const lr_rep_status_t *s = &ev->u.rep;
                argv_add(&a, s->rep_id);
                argv_add_int(&a, s->occurred_at);
                argv_add(&a, lr_presence_name(s->status));
                argv_add_opt_int(&a, s->has_until, s->until);
                argv_add(&a, s->display_name);
                argv_add(&a, s->team);
                if (s->regions) {
                        json_t *arr = json_array();
                        size_t i;
                        for (i = 0; i < s->regions_cnt; i++)
                                json_array_append_new(
                                    arr,
                                    json_string(s->regions[i] ? s->regions[i]
                                                              : ""));
                        regions = json_dumps(arr, JSON_COMPACT);
                        json_decref(arr);
                        owned[1] = regions;
                }
                argv_add(&a, regions);
                argv_add(&a, s->timezone);
                argv_add(&a, s->working_hours);
                argv_add_opt_int(&a, s->has_hired_at, s->hired_at);
                argv_add_opt_int(&a, s->has_max_open_leads, s->max_open_leads);
                /* both validated by store_op_function() */
                a.hours[0] = '\0';
                if (s->working_hours)
                        lr_workhours_compile(s->working_hours, a.hours,
                                             sizeof(a.hours), err, sizeof(err));
                argv_add(&a, a.hours);
                argv_add(&a, s->timezone
                                 ? lr_tzdb_table(s->timezone, err, sizeof(err))
                                 : NULL);
                break;
        }
        }
        store_argv_policy(&a, p, op->fire_timers);
        rc = redisAppendCommandArgv(st->rc, a.argc, a.argv, a.len);
        return rc == REDIS_OK ? 0 : -1;
}

static char *json_str_dup(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return store_strdup(s ? s : "");
}

static int64_t json_int_get(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        return json_is_integer(v) ? (int64_t)json_integer_value(v)
                                  : (int64_t)json_number_value(v);
}

static void store_decision_parse(json_t *o, lr_assigned_t *d) {
        json_t *sk = json_object_get(o, "skipped");
        size_t i;

        memset(d, 0, sizeof(*d));
        d->event_id    = json_str_dup(o, "event_id");
        d->tenant_id   = json_str_dup(o, "tenant_id");
        d->lead_id     = json_str_dup(o, "lead_id");
        d->rep_id      = json_str_dup(o, "rep_id");
        d->decided_at  = json_int_get(o, "decided_at");
        d->attempt     = (int32_t)json_int_get(o, "attempt");
        d->reason      = json_str_dup(o, "reason");
        d->strategy    = json_str_dup(o, "strategy");
        d->lead_tier   = (int32_t)json_int_get(o, "lead_tier");
        d->rep_tier    = (int32_t)json_int_get(o, "rep_tier");
        d->rep_rank    = (int32_t)json_int_get(o, "rep_rank");
        d->rep_score   = json_number_value(json_object_get(o, "rep_score"));
        d->wait_ms     = json_int_get(o, "wait_ms");
        d->skipped_cnt = json_array_size(sk);
        d->skipped     = d->skipped_cnt
                             ? store_calloc(d->skipped_cnt, sizeof(*d->skipped))
                             : NULL;
        for (i = 0; i < d->skipped_cnt; i++) {
                json_t *s            = json_array_get(sk, i);
                d->skipped[i].rep_id = json_str_dup(s, "rep_id");
                d->skipped[i].why    = json_str_dup(s, "why");
        }
        d->source_topic     = json_str_dup(o, "source_topic");
        d->source_partition = (int32_t)json_int_get(o, "source_partition");
        d->source_offset    = json_int_get(o, "source_offset");
}

/* A tier change as kept in the outbox (functions.lua :tc) until acked. */
static char *store_tier_change_json(const lr_tier_changed_t *t) {
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:i,s:i,s:f,s:f,s:I,s:s}", "event_id", t->event_id,
            "tenant_id", t->tenant_id, "rep_id", t->rep_id, "from_tier",
            (int)t->from_tier, "to_tier", (int)t->to_tier, "composite",
            t->composite, "tier_mean", t->tier_mean, "decided_at",
            (json_int_t)t->decided_at, "reason", t->reason);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!text) {
                lr_error("store", "out of memory");
                abort();
        }
        return text;
}

static void store_tier_change_parse(json_t *o, lr_tier_changed_t *t) {
        t->event_id   = json_str_dup(o, "event_id");
        t->tenant_id  = json_str_dup(o, "tenant_id");
        t->rep_id     = json_str_dup(o, "rep_id");
        t->from_tier  = (int32_t)json_int_get(o, "from_tier");
        t->to_tier    = (int32_t)json_int_get(o, "to_tier");
        t->composite  = json_number_value(json_object_get(o, "composite"));
        t->tier_mean  = json_number_value(json_object_get(o, "tier_mean"));
        t->decided_at = json_int_get(o, "decided_at");
        t->reason     = json_str_dup(o, "reason");
}

/* The outbox member of a tier change: "<rep_id>#t<day>" (never a decision's
 * "<lead_id>#<attempt>"). */
static char *store_tier_ref(const lr_tier_changed_t *t) {
        size_t size = strlen(t->rep_id) + 24;
        char *ref   = store_calloc(1, size);
        snprintf(ref, size, "%s#t%d", t->rep_id, (int)lr_day_of(t->decided_at));
        return ref;
}

/* Fills r from the JSON reply of an event function. */
static void store_result_parse(const char *fn, const char *text, size_t len,
                               lr_store_result_t *r) {
        json_error_t jerr;
        json_t *o          = json_loadb(text, len, 0, &jerr);
        const char *status = json_string_value(json_object_get(o, "status"));
        json_t *ds;
        size_t i;

        if (!status) {
                r->status = LR_STORE_REJECTED;
                snprintf(r->errstr, sizeof(r->errstr),
                         "unreadable reply from %s: %.*s", fn,
                         (int)(len > 120 ? 120 : len), text);
                json_decref(o);
                return;
        }
        if (!strcmp(status, "need_rank")) {
                r->status   = LR_STORE_NEED_RANK;
                r->need_day = (int32_t)json_int_get(o, "need_day");
        } else if (!strcmp(status, "rejected")) {
                r->status     = LR_STORE_REJECTED;
                const char *e = json_string_value(json_object_get(o, "error"));
                snprintf(r->errstr, sizeof(r->errstr), "%s",
                         e ? e : "rejected");
        } else {
                r->status = strcmp(status, "duplicate") ? LR_STORE_APPLIED
                                                        : LR_STORE_DUPLICATE;
        }
        /* A tick that stopped at a day without a ranking has decisions too. */
        ds               = json_object_get(o, "decisions");
        r->decisions_cnt = json_array_size(ds);
        r->decisions     = r->decisions_cnt ? store_calloc(r->decisions_cnt,
                                                           sizeof(*r->decisions))
                                            : NULL;
        for (i = 0; i < r->decisions_cnt; i++)
                store_decision_parse(json_array_get(ds, i), &r->decisions[i]);
        r->outbox_cnt = (size_t)json_int_get(o, "outbox");
        if (r->outbox_cnt > r->decisions_cnt)
                r->outbox_cnt = r->decisions_cnt;
        ds                  = json_object_get(o, "tier_changes");
        r->tier_changes_cnt = json_array_size(ds);
        r->tier_changes =
            r->tier_changes_cnt
                ? store_calloc(r->tier_changes_cnt, sizeof(*r->tier_changes))
                : NULL;
        for (i = 0; i < r->tier_changes_cnt; i++)
                store_tier_change_parse(json_array_get(ds, i),
                                        &r->tier_changes[i]);
        json_decref(o);
}

static void store_results_clear(lr_store_result_t *results, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                lr_store_result_clear(&results[i]);
}

/* Reads the reply of one pipelined FCALL fn into r. -1 (errstr) when the
 * connection or Redis failed: the rest of the pipeline is lost. */
static int store_read_result(lr_store_t *st, const char *fn,
                             lr_store_result_t *r, char *errstr,
                             size_t errstr_size) {
        redisReply *reply = NULL;
        if (redisGetReply(st->rc, (void **)&reply) != REDIS_OK) {
                snprintf(errstr, errstr_size, "redis %s:%d: %s", st->host,
                         st->port, st->rc->errstr);
                return -1;
        }
        if (reply->type == REDIS_REPLY_ERROR &&
            strstr(reply->str, "@user_function")) {
                /* Raised inside the function: about this event. */
                r->status = LR_STORE_REJECTED;
                snprintf(r->errstr, sizeof(r->errstr), "%s: %s", fn,
                         reply->str);
        } else if (reply->type == REDIS_REPLY_ERROR) {
                snprintf(errstr, errstr_size, "redis FCALL %s: %s", fn,
                         reply->str);
                freeReplyObject(reply);
                return -1;
        } else if (reply->type == REDIS_REPLY_STRING) {
                store_result_parse(fn, reply->str, reply->len, r);
        } else {
                r->status = LR_STORE_REJECTED;
                snprintf(r->errstr, sizeof(r->errstr),
                         "unexpected reply type %d from %s", reply->type, fn);
        }
        freeReplyObject(reply);
        return 0;
}

int lr_store_apply(lr_store_t *st, const lr_store_op_t *ops, size_t n,
                   lr_store_result_t *results, char *errstr,
                   size_t errstr_size) {
        size_t i;
        char err[256];

        memset(results, 0, n * sizeof(*results));
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        for (i = 0; i < n; i++) {
                char *owned[2] = {NULL, NULL};
                const char *fn = store_op_function(&ops[i], err, sizeof(err));
                int rc;
                if (!fn)
                        continue;
                rc = store_append_op(st, &ops[i], fn, owned);
                free(owned[0]);
                free(owned[1]);
                if (rc) {
                        snprintf(errstr, errstr_size, "redis: %s",
                                 st->rc->errstr);
                        store_drop(st);
                        return -1;
                }
        }
        for (i = 0; i < n; i++) {
                lr_store_result_t *r = &results[i];
                const char *fn = store_op_function(&ops[i], err, sizeof(err));
                if (!fn) {
                        r->status = LR_STORE_REJECTED;
                        snprintf(r->errstr, sizeof(r->errstr), "%s", err);
                        continue;
                }
                if (store_read_result(st, fn, r, errstr, errstr_size))
                        goto fail;
        }
        return 0;
fail:
        /* Replies still pending make the connection unusable: drop it. */
        store_drop(st);
        store_results_clear(results, n);
        return -1;
}

int lr_store_tick(lr_store_t *st, const lr_store_tick_t *ticks, size_t n,
                  lr_store_result_t *results, char *errstr,
                  size_t errstr_size) {
        size_t i;

        memset(results, 0, n * sizeof(*results));
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        for (i = 0; i < n; i++) {
                store_argv_t a;
                char *prefix = NULL;
                int rc;
                store_argv_fcall(st, &a, "lr_tick", ticks[i].tenant_id,
                                 &prefix);
                argv_add(&a, ticks[i].tenant_id);
                if (ticks[i].now == LR_STORE_NO_TIMERS)
                        argv_add(&a, "");
                else
                        argv_add_int(&a, ticks[i].now);
                store_argv_policy(&a, ticks[i].policy, 0);
                rc = redisAppendCommandArgv(st->rc, a.argc, a.argv, a.len);
                free(prefix);
                if (rc != REDIS_OK) {
                        snprintf(errstr, errstr_size, "redis: %s",
                                 st->rc->errstr);
                        store_drop(st);
                        return -1;
                }
        }
        for (i = 0; i < n; i++) {
                if (store_read_result(st, "lr_tick", &results[i], errstr,
                                      errstr_size)) {
                        store_drop(st);
                        store_results_clear(results, n);
                        return -1;
                }
                /* everything a tick hands out is acked */
                results[i].outbox_cnt = results[i].decisions_cnt;
        }
        return 0;
}

/* Adds the members of a ZRANGEBYSCORE reply not yet in list[0..*cnt). */
static void store_tenants_add(const redisReply *r, char ***list, size_t *cnt,
                              size_t max) {
        size_t i, j;
        for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
                const redisReply *e = r->element[i];
                if (e->type != REDIS_REPLY_STRING || *cnt >= max)
                        continue;
                for (j = 0; j < *cnt; j++)
                        if (!strcmp((*list)[j], e->str))
                                break;
                if (j < *cnt)
                        continue;
                *list = realloc(*list, (*cnt + 1) * sizeof(**list));
                if (!*list) {
                        lr_error("store", "out of memory");
                        abort();
                }
                (*list)[(*cnt)++] = store_strdup(e->str);
        }
}

int lr_store_due_tenants(lr_store_t *st, int64_t now, int timers, int64_t wall,
                         size_t max, char ***tenants, size_t *cnt, char *errstr,
                         size_t errstr_size) {
        char upto[24], limit[24];
        int k;

        *tenants = NULL;
        *cnt     = 0;
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        snprintf(limit, sizeof(limit), "%zu", max);
        for (k = timers ? 0 : 1; k < 2; k++) {
                redisReply *r;
                snprintf(upto, sizeof(upto), "%lld",
                         (long long)(k ? wall : now));
                r = store_cmdv(st, errstr, errstr_size, 7, "ZRANGEBYSCORE",
                               k ? st->outbox_key : st->timers_key, "-inf",
                               upto, "LIMIT", "0", limit);
                if (!r) {
                        lr_store_tenants_free(*tenants, *cnt);
                        *tenants = NULL;
                        *cnt     = 0;
                        return -1;
                }
                store_tenants_add(r, tenants, cnt, max);
                freeReplyObject(r);
        }
        return 0;
}

void lr_store_tenants_free(char **tenants, size_t cnt) {
        size_t i;
        for (i = 0; tenants && i < cnt; i++)
                free(tenants[i]);
        free(tenants);
}

int lr_store_ack(lr_store_t *st, const lr_assigned_t *d, size_t nd,
                 const lr_tier_changed_t *tc, size_t ntc, char *errstr,
                 size_t errstr_size) {
        size_t n = nd + ntc, i = 0, j, k, calls = 0;
        const char **argv   = store_calloc(n + 6, sizeof(*argv));
        size_t *len         = store_calloc(n + 6, sizeof(*len));
        const char **tenant = store_calloc(n ? n : 1, sizeof(*tenant));
        char **refs         = store_calloc(n ? n : 1, sizeof(*refs));
        int rc              = -1;

        for (j = 0; j < nd; j++) {
                size_t size = strlen(d[j].lead_id) + 16;
                refs[j]     = store_calloc(1, size);
                snprintf(refs[j], size, "%s#%d", d[j].lead_id,
                         (int)d[j].attempt);
                tenant[j] = d[j].tenant_id;
        }
        for (j = 0; j < ntc; j++) {
                refs[nd + j]   = store_tier_ref(&tc[j]);
                tenant[nd + j] = tc[j].tenant_id;
        }
        if (n && lr_store_connect(st, errstr, errstr_size))
                goto done;
        /* One lr_ack per run of entries of the same tenant. */
        while (i < n) {
                char *prefix = store_prefix(st, tenant[i]);
                int ok;
                argv[0] = "FCALL";
                argv[1] = "lr_ack";
                argv[2] = "2";
                argv[3] = prefix;
                argv[4] = st->outbox_key;
                argv[5] = tenant[i];
                k       = 6;
                for (j = i; j < n && !strcmp(tenant[j], tenant[i]); j++)
                        argv[k++] = refs[j];
                for (k = 0; k < 6 + (j - i); k++)
                        len[k] = strlen(argv[k]);
                ok = redisAppendCommandArgv(st->rc, (int)(6 + (j - i)), argv,
                                            len) == REDIS_OK;
                free(prefix);
                if (!ok) {
                        snprintf(errstr, errstr_size, "redis: %s",
                                 st->rc->errstr);
                        store_drop(st);
                        goto done;
                }
                calls++;
                i = j;
        }
        for (i = 0; i < calls; i++) {
                redisReply *r = NULL;
                if (redisGetReply(st->rc, (void **)&r) != REDIS_OK ||
                    r->type == REDIS_REPLY_ERROR) {
                        snprintf(errstr, errstr_size, "redis lr_ack: %s",
                                 r ? r->str : st->rc->errstr);
                        if (r)
                                freeReplyObject(r);
                        store_drop(st);
                        goto done;
                }
                freeReplyObject(r);
        }
        rc = 0;
done:
        for (j = 0; j < n; j++)
                free(refs[j]);
        free(refs);
        free(tenant);
        free(len);
        free(argv);
        return rc;
}

static int64_t reply_int(const redisReply *r, int64_t dflt) {
        char *end;
        long long v;
        if (r->type == REDIS_REPLY_INTEGER)
                return r->integer;
        if (r->type != REDIS_REPLY_STRING || !r->len)
                return dflt;
        v = strtoll(r->str, &end, 10);
        return *end ? dflt : v;
}

/* Sets the counter `name` ("n3", "calls", "cys" ...) of bucket b. */
static void store_bucket_set(lr_bucket_t *b, const char *name,
                             const char *val) {
        int64_t iv = strtoll(val, NULL, 10);
        if ((name[0] == 'n' || name[0] == 'c' || name[0] == 'x') &&
            isdigit((unsigned char)name[1]) && !name[2]) {
                int k      = name[1] - '0';
                int64_t *v = name[0] == 'n'   ? b->n
                             : name[0] == 'c' ? b->c
                                              : b->x;
                v[k]       = iv;
        } else if (!strcmp(name, "calls")) {
                b->calls = iv;
        } else if (!strcmp(name, "won")) {
                b->won = iv;
        } else if (!strcmp(name, "lost")) {
                b->lost = iv;
        } else if (!strcmp(name, "wv")) {
                b->won_value_cents = iv;
        } else if (!strcmp(name, "cys")) {
                b->cycle_days_sum = strtod(val, NULL);
        } else if (!strcmp(name, "cyn")) {
                b->cycle_n = iv;
        } else if (!strcmp(name, "sts")) {
                b->stl_minutes_sum = strtod(val, NULL);
        } else if (!strcmp(name, "stn")) {
                b->stl_n = iv;
        }
}

/* Buckets of days [from_day, to_day] from HGETALL of "<day>:<counter>"
 * fields, in day order. slot[] is scratch of to_day - from_day + 1. */
static void store_buckets_parse(const redisReply *h, int32_t from_day,
                                int32_t to_day, int *slot,
                                lr_store_rep_t *rep) {
        size_t i, days = (size_t)(to_day - from_day) + 1, k;
        for (k = 0; k < days; k++)
                slot[k] = -1;
        for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
             i += 2) {
                const char *f = h->element[i]->str;
                char *end;
                long day = strtol(f, &end, 10);
                if (*end != ':' || day < from_day || day > to_day)
                        continue;
                k = (size_t)(day - from_day);
                if (slot[k] < 0) {
                        slot[k] = 0;
                        rep->buckets_cnt++;
                }
        }
        rep->buckets = rep->buckets_cnt ? store_calloc(rep->buckets_cnt,
                                                       sizeof(*rep->buckets))
                                        : NULL;
        for (k = 0, i = 0; k < days; k++)
                if (slot[k] == 0) {
                        slot[k]               = (int)i;
                        rep->buckets[i++].day = from_day + (int32_t)k;
                }
        for (i = 0; h->type == REDIS_REPLY_ARRAY && i + 1 < h->elements;
             i += 2) {
                const char *f = h->element[i]->str;
                char *end;
                long day = strtol(f, &end, 10);
                if (*end != ':' || day < from_day || day > to_day ||
                    h->element[i + 1]->type != REDIS_REPLY_STRING)
                        continue;
                store_bucket_set(&rep->buckets[slot[day - from_day]], end + 1,
                                 h->element[i + 1]->str);
        }
}

static int store_rep_cmp(const void *a, const void *b) {
        return strcmp(((const lr_store_rep_t *)a)->rep_id,
                      ((const lr_store_rep_t *)b)->rep_id);
}

/* Fills rep from its row of lr_reps: [rep_id, active, tier, handled, open,
 * status]. */
static int store_rep_row(const redisReply *row, lr_store_rep_t *rep) {
        int k;
        if (row->type != REDIS_REPLY_ARRAY || row->elements != 6 ||
            row->element[0]->type != REDIS_REPLY_STRING ||
            row->element[5]->type != REDIS_REPLY_STRING)
                return -1;
        for (k = 1; k < 5; k++)
                if (row->element[k]->type != REDIS_REPLY_INTEGER)
                        return -1;
        rep->rep_id     = store_strdup(row->element[0]->str);
        rep->active     = row->element[1]->integer == 1;
        rep->tier       = (int)row->element[2]->integer;
        rep->handled    = row->element[3]->integer;
        rep->open_leads = row->element[4]->integer;
        snprintf(rep->status, sizeof(rep->status), "%s",
                 row->element[5]->len ? row->element[5]->str : "OFFLINE");
        return 0;
}

/* TEMPORARY (issue 12 shim, replaced by the new store): display_name and
 * team from the rep's profile hash <prefix>:rep:<rep>, one pipelined HMGET
 * per rep. */
static int store_tmp_read_profiles(lr_store_t *st, const char *prefix,
                                   lr_store_rep_t *reps, size_t cnt,
                                   char *errstr, size_t errstr_size) {
        size_t i;
        for (i = 0; i < cnt; i++) {
                char *key = store_calloc(1, strlen(prefix) +
                                                strlen(reps[i].rep_id) + 8);
                int ok;
                sprintf(key, "%s:rep:%s", prefix, reps[i].rep_id);
                ok = redisAppendCommand(st->rc, "HMGET %s name team", key) ==
                     REDIS_OK;
                free(key);
                if (!ok)
                        goto io_error;
        }
        for (i = 0; i < cnt; i++) {
                redisReply *r = NULL;
                if (redisGetReply(st->rc, (void **)&r) != REDIS_OK)
                        goto io_error;
                if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
                        if (r->element[0]->type == REDIS_REPLY_STRING)
                                reps[i].display_name =
                                    store_strdup(r->element[0]->str);
                        if (r->element[1]->type == REDIS_REPLY_STRING)
                                reps[i].team = store_strdup(r->element[1]->str);
                }
                freeReplyObject(r);
        }
        return 0;
io_error:
        snprintf(errstr, errstr_size, "redis %s:%d: %s", st->host, st->port,
                 st->rc->errstr[0] ? st->rc->errstr : "connection lost");
        store_drop(st);
        return -1;
}

int lr_store_read_reps(lr_store_t *st, const char *tenant, int32_t from_day,
                       int32_t to_day, lr_store_rep_t **repsp, size_t *cntp,
                       char *errstr, size_t errstr_size) {
        char *prefix;
        redisReply *rs       = NULL;
        lr_store_rep_t *reps = NULL;
        int *slot            = NULL;
        size_t i, cnt = 0;
        int rc = -1;

        *repsp = NULL;
        *cntp  = 0;
        if (to_day < from_day || to_day - from_day > 100000) {
                snprintf(errstr, errstr_size, "bad day range %d..%d",
                         (int)from_day, (int)to_day);
                return -1;
        }
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        prefix = store_prefix(st, tenant);
        rs = store_cmdv(st, errstr, errstr_size, 4, "FCALL_RO", "lr_reps", "1",
                        prefix);
        if (!rs)
                goto done;
        if (rs->type != REDIS_REPLY_ARRAY) {
                snprintf(errstr, errstr_size, "lr_reps: unexpected reply");
                goto done;
        }
        cnt  = rs->elements;
        reps = store_calloc(cnt, sizeof(*reps));
        slot = store_calloc((size_t)(to_day - from_day) + 1, sizeof(*slot));
        for (i = 0; i < cnt; i++) {
                if (store_rep_row(rs->element[i], &reps[i])) {
                        snprintf(errstr, errstr_size,
                                 "lr_reps: unexpected row %zu", i);
                        goto done;
                }
        }
        for (i = 0; i < cnt; i++) {
                size_t size = strlen(prefix) + strlen(reps[i].rep_id) + 8;
                char *mk    = store_calloc(1, size);
                const char *argv[2] = {"HGETALL", mk};
                size_t len[2];
                int ok;
                snprintf(mk, size, "%s:m:%s", prefix, reps[i].rep_id);
                len[0] = 7;
                len[1] = strlen(mk);
                ok = redisAppendCommandArgv(st->rc, 2, argv, len) == REDIS_OK;
                free(mk);
                if (!ok)
                        goto io_error;
        }
        for (i = 0; i < cnt; i++) {
                redisReply *m       = NULL;
                lr_store_rep_t *rep = &reps[i];
                if (redisGetReply(st->rc, (void **)&m) != REDIS_OK)
                        goto io_error;
                if (m->type != REDIS_REPLY_ARRAY) {
                        snprintf(errstr, errstr_size,
                                 "redis: reading buckets of rep %s: %s",
                                 rep->rep_id,
                                 m->type == REDIS_REPLY_ERROR ? m->str : "");
                        freeReplyObject(m);
                        /* Replies of later reps are still pending. */
                        store_drop(st);
                        goto done;
                }
                store_buckets_parse(m, from_day, to_day, slot, rep);
                freeReplyObject(m);
        }
        if (store_tmp_read_profiles(st, prefix, reps, cnt, errstr, errstr_size))
                goto done;
        qsort(reps, cnt, sizeof(*reps), store_rep_cmp);
        rc = 0;
        goto done;
io_error:
        snprintf(errstr, errstr_size, "redis %s:%d: %s", st->host, st->port,
                 st->rc->errstr[0] ? st->rc->errstr : "connection lost");
        store_drop(st);
done:
        if (rs)
                freeReplyObject(rs);
        free(slot);
        free(prefix);
        if (rc) {
                lr_store_reps_free(reps, cnt);
        } else {
                *repsp = reps;
                *cntp  = cnt;
        }
        return rc;
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

int lr_store_rank_day(lr_store_t *st, const char *tenant, int32_t *day,
                      char *errstr, size_t errstr_size) {
        char *prefix, *key;
        redisReply *r;
        if (lr_store_connect(st, errstr, errstr_size))
                return -1;
        prefix = store_prefix(st, tenant);
        key    = store_calloc(1, strlen(prefix) + 10);
        sprintf(key, "%s:rankday", prefix);
        r = store_cmdv(st, errstr, errstr_size, 2, "GET", key);
        free(key);
        free(prefix);
        if (!r)
                return -1;
        *day = (int32_t)reply_int(r, -1);
        freeReplyObject(r);
        return 0;
}

int lr_store_install_rank(lr_store_t *st, const char *tenant, int32_t day,
                          const lr_rep_rank_t *reps, int cnt,
                          int evaluate_tiers, const lr_policy_t *p,
                          const lr_tier_changed_t *changes, size_t changes_cnt,
                          int *installed, char *errstr, size_t errstr_size) {
        size_t argc = 12 + 2 * changes_cnt + 4 * (size_t)(cnt > 0 ? cnt : 0);
        size_t k    = 0, c;
        const char **argv = store_calloc(argc, sizeof(*argv));
        size_t *len       = store_calloc(argc, sizeof(*len));
        char(*num)[32]    = store_calloc(argc, sizeof(*num));
        char **owned      = store_calloc(2 * changes_cnt + 1, sizeof(*owned));
        char *prefix      = store_prefix(st, tenant);
        redisReply *r     = NULL;
        int i, rc = -1;

#define ADD_STR(s) (argv[k] = (s), len[k] = strlen(argv[k]), k++)
#define ADD_FMT(...)                                                           \
        (snprintf(num[k], sizeof(num[0]), __VA_ARGS__), ADD_STR(num[k]))
        ADD_STR("FCALL");
        ADD_STR("lr_rank_install");
        ADD_STR("2");
        ADD_STR(prefix);
        ADD_STR(st->outbox_key);
        ADD_STR(tenant);
        ADD_FMT("%d", (int)day);
        ADD_STR(evaluate_tiers ? "1" : "0");
        ADD_FMT("%d", (int)day - p->window_days);
        ADD_FMT("%lld", (long long)(lr_now_ms() + LR_STORE_OUTBOX_LEASE_MS));
        ADD_FMT("%zu", changes_cnt);
        for (c = 0; c < changes_cnt; c++) {
                owned[2 * c]     = store_tier_ref(&changes[c]);
                owned[2 * c + 1] = store_tier_change_json(&changes[c]);
                ADD_STR(owned[2 * c]);
                ADD_STR(owned[2 * c + 1]);
        }
        for (i = 0; i < cnt; i++) {
                ADD_STR(reps[i].rep_id);
                ADD_FMT("%.17g", reps[i].composite);
                ADD_FMT("%d", reps[i].rank);
                ADD_FMT("%d", evaluate_tiers ? reps[i].new_tier : reps[i].tier);
        }
#undef ADD_FMT
#undef ADD_STR

        *installed = 0;
        if (lr_store_connect(st, errstr, errstr_size))
                goto done;
        r = store_cmd(st, (int)k, argv, len, errstr, errstr_size);
        if (!r)
                goto done;
        if (r->type != REDIS_REPLY_STRING || !strstr(r->str, "\"installed\"")) {
                snprintf(errstr, errstr_size, "lr_rank_install: %s",
                         r->type == REDIS_REPLY_STRING ? r->str
                                                       : "unexpected reply");
                goto done;
        }
        *installed = strstr(r->str, "\"installed\":true") != NULL;
        rc         = 0;
done:
        if (r)
                freeReplyObject(r);
        for (c = 0; c < 2 * changes_cnt; c++)
                free(owned[c]);
        free(owned);
        free(prefix);
        free(num);
        free(len);
        free(argv);
        return rc;
}

/* ns as a SCAN MATCH pattern: glob characters escaped, then ":*". */
static char *store_ns_pattern(const char *ns) {
        char *pat = store_calloc(1, 2 * strlen(ns) + 3), *o = pat;
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
                        const char **argv = store_calloc(n, sizeof(*argv));
                        size_t *len       = store_calloc(n, sizeof(*len));
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

/* TEMPORARY (issue 12 shim, replaced by the new store, which keeps every
 * installed ranking): recomputes the rankings of days [from_day, to_day]
 * from the day buckets still in Redis, for the days from the first bucket
 * to the installed ranking's day within one window of it (older buckets are
 * pruned). Tiers are today's (no tier history here); `evaluated` follows
 * the policy. The policy comes from lr_store_tmp_policy_set(). */
static const lr_policy_t *store_tmp_policy;

void lr_store_tmp_policy_set(lr_store_t *st, const lr_policy_t *p) {
        (void)st;
        store_tmp_policy = p;
}

int lr_store_read_rankings(lr_store_t *st, const char *tenant, int32_t from_day,
                           int32_t to_day, lr_ranking_t **out, size_t *cnt,
                           char *errstr, size_t errstr_size) {
        lr_policy_t defaults;
        const lr_policy_t *p = store_tmp_policy;
        lr_store_rep_t *reps = NULL;
        lr_rep_rank_t *ranks;
        size_t n = 0, i;
        int32_t rank_day, first = INT32_MAX, day;

        *out = NULL;
        *cnt = 0;
        if (!p) {
                lr_policy_defaults(&defaults);
                p = &defaults;
        }
        if (lr_store_rank_day(st, tenant, &rank_day, errstr, errstr_size))
                return -1;
        if (rank_day < 0)
                return 0;
        if (from_day <= rank_day - p->window_days)
                from_day = rank_day - p->window_days + 1;
        if (to_day > rank_day)
                to_day = rank_day;
        if (from_day > to_day)
                return 0;
        if (lr_store_read_reps(st, tenant, from_day - p->window_days,
                               to_day - 1, &reps, &n, errstr, errstr_size))
                return -1;
        for (i = 0; i < n; i++)
                if (reps[i].buckets_cnt && reps[i].buckets[0].day < first)
                        first = reps[i].buckets[0].day;
        if (first == INT32_MAX)
                to_day = from_day - 1; /* no data at all: no ranking */
        else if (from_day <= first)
                from_day = first + 1;
        ranks = store_calloc(n ? n : 1, sizeof(*ranks));
        for (day = from_day; day <= to_day; day++) {
                lr_ranking_t *r;
                *out = realloc(*out, (*cnt + 1) * sizeof(**out));
                if (!*out)
                        abort();
                r = &(*out)[(*cnt)++];
                lr_rank_prepare(reps, n, day, p, ranks);
                lr_rank_compute(ranks, (int)n, p);
                r->day       = day;
                r->evaluated = lr_rank_is_evaluation_day(day, p);
                r->cnt       = n;
                r->ranks     = store_calloc(n ? n : 1, sizeof(*r->ranks));
                for (i = 0; i < n; i++) {
                        r->ranks[i]          = ranks[i];
                        r->ranks[i].rep_id   = store_strdup(reps[i].rep_id);
                        r->ranks[i].new_tier = ranks[i].tier;
                }
        }
        free(ranks);
        lr_store_reps_free(reps, n);
        return 0;
}
