/*
 * store_fixture.h - what the store's integration tests share: a real
 * redis-server (LR_TEST_REDIS_URL, else one started on a free loopback port
 * and shut down at exit), a store per test namespace, events built in a
 * line, and looks at the keys behind them. Included by one test file each.
 */
#ifndef LR_STORE_FIXTURE_H
#define LR_STORE_FIXTURE_H

/* Each test file uses some of these. */
#define FIXTURE static __attribute__((unused))

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "check.h"
#include "embedded.h"
#include "store.h"
#include "timeutil.h"

FIXTURE char g_url[128];
FIXTURE char g_host[64] = "127.0.0.1";
FIXTURE int g_port;
FIXTURE int g_own_server;
FIXTURE redisContext *g_raw; /* for looking at keys directly */
FIXTURE lr_policy_t g_pol;
FIXTURE int32_t D;  /* the first test day: 2026-11-27 */
FIXTURE int g_fire; /* ops fire due timers first (worker.clock: event) */

FIXTURE const char *TOPIC = "lead-created";

/* ---- server and helpers ------------------------------------------------ */

FIXTURE int free_port(void) {
        struct sockaddr_in a;
        socklen_t len = sizeof(a);
        int fd        = socket(AF_INET, SOCK_STREAM, 0), port;
        memset(&a, 0, sizeof(a));
        a.sin_family      = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
            getsockname(fd, (struct sockaddr *)&a, &len)) {
                perror("free_port");
                exit(2);
        }
        port = ntohs(a.sin_port);
        close(fd);
        return port;
}

/* Shuts down the redis-server this test started, also on exit(2). */
FIXTURE void server_stop(void) {
        redisContext *c;
        redisReply *r;
        if (!g_own_server)
                return;
        g_own_server = 0;
        c            = redisConnect("127.0.0.1", g_port);
        if (c && !c->err && (r = redisCommand(c, "SHUTDOWN NOSAVE")))
                freeReplyObject(r);
        if (c)
                redisFree(c);
}

/* Sets D and the default policy, then connects to LR_TEST_REDIS_URL or a
 * redis-server of its own. */
FIXTURE void server_start(void) {
        const char *env = getenv("LR_TEST_REDIS_URL");
        char cmd[512];
        int64_t ms;
        int i;

        if (lr_iso8601_parse("2026-11-27", &ms)) {
                fprintf(stderr, "lr_iso8601_parse failed\n");
                exit(2);
        }
        D = lr_day_of(ms);
        lr_policy_defaults(&g_pol);
        if (env && *env) {
                snprintf(g_url, sizeof(g_url), "%s", env);
                if (sscanf(env, "redis://%63[^:/]:%d", g_host, &g_port) != 2) {
                        fprintf(stderr, "cannot read host:port of %s\n", env);
                        exit(2);
                }
        } else {
                g_port = free_port();
                snprintf(cmd, sizeof(cmd),
                         "redis-server --port %d --bind 127.0.0.1 --save '' "
                         "--appendonly no --daemonize yes --logfile "
                         "/tmp/lr-test-store-%d.log --pidfile "
                         "/tmp/lr-test-store-%d.pid",
                         g_port, g_port, g_port);
                if (system(cmd)) {
                        fprintf(stderr, "cannot start: %s\n", cmd);
                        exit(2);
                }
                g_own_server = 1;
                atexit(server_stop);
                snprintf(g_url, sizeof(g_url), "redis://127.0.0.1:%d/0",
                         g_port);
        }
        for (i = 0; i < 100; i++) {
                g_raw = redisConnect(g_host, g_port);
                if (g_raw && !g_raw->err)
                        break;
                if (g_raw)
                        redisFree(g_raw);
                g_raw = NULL;
                usleep(50000);
        }
        if (!g_raw) {
                fprintf(stderr, "redis at %s:%d does not answer\n", g_host,
                        g_port);
                exit(2);
        }
        if (sscanf(g_url, "redis://%*[^/]/%d", &i) == 1 && i) {
                redisReply *r = redisCommand(g_raw, "SELECT %d", i);
                freeReplyObject(r);
        }
}

FIXTURE redisReply *raw(const char *fmt, const char *a, const char *b) {
        redisReply *r = redisCommand(g_raw, fmt, a, b);
        if (!r) {
                fprintf(stderr, "raw redis command failed: %s\n",
                        g_raw->errstr);
                exit(2);
        }
        return r;
}

/* HGET <ns>:{<tenant>}:<key> field as an integer, -1 when absent. */
FIXTURE long long hget_int(const char *ns, const char *tenant, const char *key,
                           const char *field) {
        char k[256];
        redisReply *r;
        long long v;
        snprintf(k, sizeof(k), "%s:{%s}:%s", ns, tenant, key);
        r = raw("HGET %s %s", k, field);
        v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
        freeReplyObject(r);
        return v;
}

FIXTURE long long zcard(const char *ns, const char *tenant, const char *key) {
        char k[256];
        redisReply *r;
        long long v;
        snprintf(k, sizeof(k), "%s:{%s}:%s", ns, tenant, key);
        r = raw("ZCARD %s", k, NULL);
        v = r->integer;
        freeReplyObject(r);
        return v;
}

FIXTURE int64_t at(int32_t day, int hh, int mm) {
        return (int64_t)day * LR_MS_PER_DAY + (hh * 60 + mm) * 60000LL;
}

FIXTURE lr_store_t *store_open(const char *ns) {
        char err[256];
        lr_store_t *st = lr_store_new(g_url, ns, err, sizeof(err));
        if (!st || lr_store_connect(st, err, sizeof(err))) {
                fprintf(stderr, "store %s: %s\n", g_url, err);
                exit(2);
        }
        return st;
}

FIXTURE void store_close(lr_store_t *st) {
        char err[256];
        CHECK(lr_store_flush_namespace(st, err, sizeof(err)) == 0);
        lr_store_free(st);
}

FIXTURE lr_event_t ev_lead(const char *eid, const char *tenant,
                           const char *lead, int64_t t) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind              = LR_EV_LEAD_CREATED;
        ev.event_id          = (char *)eid;
        ev.tenant_id         = (char *)tenant;
        ev.lead_id           = (char *)lead;
        ev.u.lead.created_at = t;
        ev.u.lead.score      = 60;
        return ev;
}

FIXTURE lr_event_t ev_status(const char *eid, const char *tenant,
                             const char *rep, int64_t t, lr_presence_t p,
                             int64_t until) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind              = LR_EV_REP_STATUS;
        ev.event_id          = (char *)eid;
        ev.tenant_id         = (char *)tenant;
        ev.u.rep.rep_id      = (char *)rep;
        ev.u.rep.occurred_at = t;
        ev.u.rep.status      = p;
        ev.u.rep.has_until   = until > 0;
        ev.u.rep.until       = until;
        return ev;
}

FIXTURE lr_event_t ev_call(const char *eid, const char *tenant, const char *rep,
                           const char *lead, int64_t t, lr_outcome_t o,
                           int64_t value) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind                    = LR_EV_CALL_OUTCOME;
        ev.event_id                = (char *)eid;
        ev.tenant_id               = (char *)tenant;
        ev.lead_id                 = (char *)lead;
        ev.u.call.rep_id           = (char *)rep;
        ev.u.call.occurred_at      = t;
        ev.u.call.outcome          = o;
        ev.u.call.has_deal_value   = value >= 0;
        ev.u.call.deal_value_cents = value;
        return ev;
}

FIXTURE lr_store_op_t op_of(const lr_event_t *ev, int lead_tier) {
        lr_store_op_t op;
        memset(&op, 0, sizeof(op));
        op.ev               = ev;
        op.policy           = &g_pol;
        op.lead_tier        = lead_tier;
        op.source_topic     = TOPIC;
        op.source_partition = 2;
        op.source_offset    = 1234567890123LL;
        op.fire_timers      = g_fire;
        return op;
}

/* Applies one event; r receives the result (clear it after use). */
FIXTURE lr_store_status_t apply(lr_store_t *st, const lr_event_t *ev,
                                int lead_tier, lr_store_result_t *r) {
        lr_store_op_t op = op_of(ev, lead_tier);
        char err[256];
        if (lr_store_apply(st, &op, 1, r, err, sizeof(err))) {
                fprintf(stderr, "lr_store_apply: %s\n", err);
                exit(2);
        }
        if (r->status == LR_STORE_REJECTED)
                fprintf(stderr, "rejected %s: %s\n", ev->event_id, r->errstr);
        return r->status;
}

/* Applies an event that must be applied and make no decision. */
FIXTURE void apply_quiet(lr_store_t *st, const lr_event_t *ev) {
        lr_store_result_t r;
        CHECK_INT(apply(st, ev, 3, &r), LR_STORE_APPLIED);
        CHECK_INT(r.decisions_cnt, 0);
        lr_store_result_clear(&r);
}

FIXTURE void status(lr_store_t *st, const char *tenant, const char *rep,
                    int64_t t, lr_presence_t p, int64_t until) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "st-%s-%lld-%d", rep, (long long)t, p);
        ev = ev_status(eid, tenant, rep, t, p, until);
        apply_quiet(st, &ev);
}

FIXTURE void status_max_open(lr_store_t *st, const char *tenant,
                             const char *rep, int64_t t, int max_open) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "st-%s-%lld-max", rep, (long long)t);
        ev = ev_status(eid, tenant, rep, t, LR_PRESENCE_AVAILABLE, 0);
        ev.u.rep.has_max_open_leads = 1;
        ev.u.rep.max_open_leads     = max_open;
        apply_quiet(st, &ev);
}

/* Creates a lead of tier lt at t; returns the number of decisions and
 * keeps the first one's rep_id, reason and skipped list in r. */
FIXTURE size_t lead(lr_store_t *st, const char *tenant, const char *lead_id,
                    int64_t t, int lt, lr_store_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "ev-%s", lead_id);
        ev = ev_lead(eid, tenant, lead_id, t);
        CHECK_INT(apply(st, &ev, lt, r), LR_STORE_APPLIED);
        return r->decisions_cnt;
}

FIXTURE void call_outcome(lr_store_t *st, const char *tenant, const char *rep,
                          const char *lead_id, int64_t t, lr_outcome_t o,
                          int64_t value, lr_store_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "call-%s-%s-%lld-%d", rep, lead_id,
                 (long long)t, o);
        ev = ev_call(eid, tenant, rep, lead_id, t, o, value);
        CHECK_INT(apply(st, &ev, 0, r), LR_STORE_APPLIED);
}

/* Installs a ranking for day: reps ids[i] with comps[i], rank i+1, tier
 * tiers[i] (evaluate on). */
FIXTURE int install(lr_store_t *st, const char *tenant, int32_t day, int n,
                    const char **ids, const double *comps, const int *tiers) {
        lr_rep_rank_t rr[16];
        int i, installed = -1;
        char err[256];
        memset(rr, 0, sizeof(rr));
        for (i = 0; i < n; i++) {
                rr[i].rep_id    = ids[i];
                rr[i].composite = comps[i];
                rr[i].rank      = i + 1;
                rr[i].tier      = 3;
                rr[i].new_tier  = tiers[i];
                rr[i].active    = 1;
        }
        if (lr_store_install_rank(st, tenant, day, rr, n, 1, &g_pol, NULL, 0,
                                  &installed, err, sizeof(err))) {
                fprintf(stderr, "install: %s\n", err);
                exit(2);
        }
        return installed;
}

FIXTURE int install_empty(lr_store_t *st, const char *tenant, int32_t day) {
        return install(st, tenant, day, 0, NULL, NULL, NULL);
}

enum { REP_TIER, REP_HANDLED, REP_OPEN };

/* A field of a rep as lr_store_read_reps() reads it; -1 if absent. */
FIXTURE long long rep_field(lr_store_t *st, const char *tenant, const char *rep,
                            int field) {
        lr_store_rep_t *reps = NULL;
        size_t cnt           = 0, i;
        long long v          = -1;
        char err[256];
        if (lr_store_read_reps(st, tenant, 0, 0, &reps, &cnt, err,
                               sizeof(err))) {
                fprintf(stderr, "lr_store_read_reps: %s\n", err);
                exit(2);
        }
        for (i = 0; i < cnt; i++)
                if (!strcmp(reps[i].rep_id, rep))
                        v = field == REP_TIER      ? reps[i].tier
                            : field == REP_HANDLED ? reps[i].handled
                                                   : reps[i].open_leads;
        lr_store_reps_free(reps, cnt);
        return v;
}

FIXTURE void check_skipped(const lr_assigned_t *d, const char *expect) {
        char got[512] = "";
        size_t i;
        for (i = 0; i < d->skipped_cnt; i++) {
                size_t l = strlen(got);
                snprintf(got + l, sizeof(got) - l, "%s%s:%s", i ? "," : "",
                         d->skipped[i].rep_id, d->skipped[i].why);
        }
        CHECK_STR(got, expect);
}

FIXTURE void check_same_decision(const lr_assigned_t *a,
                                 const lr_assigned_t *b) {
        CHECK_STR(a->event_id, b->event_id);
        CHECK_STR(a->rep_id, b->rep_id);
        CHECK_STR(a->lead_id, b->lead_id);
        CHECK_STR(a->reason, b->reason);
        CHECK_INT(a->decided_at, b->decided_at);
        CHECK_INT(a->attempt, b->attempt);
        CHECK_INT(a->rep_rank, b->rep_rank);
        CHECK_NEAR(a->rep_score, b->rep_score, 0);
        CHECK_INT(a->wait_ms, b->wait_ms);
        CHECK_INT(a->skipped_cnt, b->skipped_cnt);
        CHECK_INT(a->source_offset, b->source_offset);
}

FIXTURE const lr_store_rep_t *find_rep(const lr_store_rep_t *reps, size_t cnt,
                                       const char *id) {
        size_t i;
        for (i = 0; i < cnt; i++)
                if (!strcmp(reps[i].rep_id, id))
                        return &reps[i];
        return NULL;
}

FIXTURE const lr_bucket_t *find_bucket(const lr_store_rep_t *rep, int32_t day) {
        size_t i;
        for (i = 0; rep && i < rep->buckets_cnt; i++)
                if (rep->buckets[i].day == day)
                        return &rep->buckets[i];
        return NULL;
}

#endif
