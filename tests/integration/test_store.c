/*
 * test_store.c - the store's contract (src/store.h) against a real
 * redis-server: a tenant's state written (lr_persist_changes +
 * lr_store_commit) and claimed back (lr_store_claim) loses nothing -- the
 * loaded tenant makes the very decisions the original makes; fencing by
 * epoch; a retried write answers done and is not applied twice; recorded
 * decisions, the ranking history and the reps read back; the Functions
 * library reloaded after FUNCTION FLUSH; the forms of redis.url.
 *
 * Uses LR_TEST_REDIS_URL when set, else starts its own redis-server on a
 * free loopback port; the library and URL tests always use a private
 * server of their own (they flush functions and set passwords). Each test
 * works in its own namespace and flushes it afterwards.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "embedded.h"
#include "route_fixture.h"
#include "store.h"
#include "tenant.h"
#include "xalloc.h"

static char g_url[128];
static char g_host[64] = "127.0.0.1";
static int g_port;
static int g_own_port;        /* the redis-server this test started, 0: none */
static int g_private_port;    /* the private one, for library and URL tests */
static redisContext *g_raw;   /* for looking at keys directly */
static const char *RT = "rt"; /* the round trip's tenant */

/* ---- servers ------------------------------------------------------------- */

static int free_port(void) {
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

/* A connection to host:port, waiting up to 5 s for the server. */
static redisContext *connect_wait(const char *host, int port) {
        int i;
        for (i = 0; i < 100; i++) {
                redisContext *c = redisConnect(host, port);
                if (c && !c->err)
                        return c;
                if (c)
                        redisFree(c);
                usleep(50000);
        }
        fprintf(stderr, "redis at %s:%d does not answer\n", host, port);
        exit(2);
}

/* Starts a redis-server on a free port (loopback, IPv6 loopback when the
 * machine has it) and returns the port. */
static int server_spawn(void) {
        int port = free_port();
        char cmd[512];
        snprintf(cmd, sizeof(cmd),
                 "redis-server --port %d --bind '127.0.0.1 -::1' --save '' "
                 "--appendonly no --daemonize yes --logfile "
                 "/tmp/lr-test-store-%d.log --pidfile "
                 "/tmp/lr-test-store-%d.pid",
                 port, port, port);
        if (system(cmd)) {
                fprintf(stderr, "cannot start: %s\n", cmd);
                exit(2);
        }
        redisFree(connect_wait("127.0.0.1", port));
        return port;
}

static void server_shutdown(int port) {
        redisContext *c = redisConnect("127.0.0.1", port);
        redisReply *r;
        if (c && !c->err && (r = redisCommand(c, "SHUTDOWN NOSAVE")))
                freeReplyObject(r);
        if (c)
                redisFree(c);
}

/* Shuts down the redis-servers this test started, also on exit(2). */
static void servers_stop(void) {
        if (g_own_port)
                server_shutdown(g_own_port);
        if (g_private_port)
                server_shutdown(g_private_port);
        g_own_port = g_private_port = 0;
}

/* Connects to LR_TEST_REDIS_URL or a redis-server of its own. */
static void server_start(void) {
        const char *env = getenv("LR_TEST_REDIS_URL");
        int db          = 0;
        atexit(servers_stop);
        if (env && *env) {
                snprintf(g_url, sizeof(g_url), "%s", env);
                if (sscanf(env, "redis://%63[^:/]:%d", g_host, &g_port) != 2) {
                        fprintf(stderr, "cannot read host:port of %s\n", env);
                        exit(2);
                }
        } else {
                g_port = g_own_port = server_spawn();
                snprintf(g_url, sizeof(g_url), "redis://127.0.0.1:%d/0",
                         g_port);
        }
        g_raw = connect_wait(g_host, g_port);
        if (sscanf(g_url, "redis://%*[^/]/%d", &db) == 1 && db) {
                redisReply *r = redisCommand(g_raw, "SELECT %d", db);
                freeReplyObject(r);
        }
}

static redisReply *raw_on(redisContext *c, const char *fmt, const char *a,
                          const char *b) {
        redisReply *r = redisCommand(c, fmt, a, b);
        if (!r) {
                fprintf(stderr, "raw redis command failed: %s\n", c->errstr);
                exit(2);
        }
        return r;
}

static redisReply *raw(const char *fmt, const char *a, const char *b) {
        return raw_on(g_raw, fmt, a, b);
}

/* HGET <ns>:{<tenant>}:<key> field, "" when absent (static buffer). */
static const char *hget(const char *ns, const char *tenant, const char *key,
                        const char *field) {
        static char buf[256];
        char k[256];
        redisReply *r;
        snprintf(k, sizeof(k), "%s:{%s}:%s", ns, tenant, key);
        r = raw("HGET %s %s", k, field);
        snprintf(buf, sizeof(buf), "%s",
                 r->type == REDIS_REPLY_STRING ? r->str : "");
        freeReplyObject(r);
        return buf;
}

/* ---- the store ----------------------------------------------------------- */

static lr_store_t *store_open_url(const char *url, const char *ns) {
        char err[256];
        lr_store_t *st = lr_store_new(url, ns, err, sizeof(err));
        if (!st || lr_store_connect(st, err, sizeof(err))) {
                fprintf(stderr, "store %s: %s\n", url, err);
                exit(2);
        }
        return st;
}

static lr_store_t *store_open(const char *ns) {
        return store_open_url(g_url, ns);
}

static void store_close(lr_store_t *st) {
        char err[256];
        CHECK(lr_store_flush_namespace(st, err, sizeof(err)) == 0);
        lr_store_free(st);
}

static int64_t new_epoch(lr_store_t *st) {
        char err[256];
        int64_t e = 0;
        if (lr_store_new_epoch(st, &e, err, sizeof(err))) {
                fprintf(stderr, "lr_store_new_epoch: %s\n", err);
                exit(2);
        }
        return e;
}

/* Claims tenant for epoch (0: reads without claiming) and loads it, routed
 * by g_pol with the wall clock. NULL when fenced. */
static lr_tenant_t *claim(lr_store_t *st, int64_t epoch, const char *tenant,
                          int64_t *version) {
        lr_store_load_t ld;
        char err[256];
        memset(&ld, 0, sizeof(ld));
        ld.tenant_id                   = tenant;
        ld.opts.policy                 = &g_pol;
        ld.opts.policy_version         = "v1";
        ld.opts.dedup_ttl_days         = 30;
        ld.opts.lead_retention_days    = 90;
        ld.opts.ranking_retention_days = 730;
        if (lr_store_claim(st, epoch, &ld, 1, err, sizeof(err))) {
                fprintf(stderr, "lr_store_claim %s: %s\n", tenant, err);
                exit(2);
        }
        CHECK(ld.fenced == (ld.tenant == NULL));
        if (version)
                *version = ld.version;
        return ld.tenant;
}

/* Writes the tenant's changes since its last write, made on *version (the
 * new version into it). LR_STORE_WRITTEN or LR_STORE_FENCED. */
static int commit(lr_store_t *st, int64_t epoch, lr_tenant_t *t,
                  int64_t *version) {
        lr_store_write_t w;
        char err[256];
        memset(&w, 0, sizeof(w));
        w.tenant_id = lr_tenant_id(t);
        w.version   = *version;
        if (!lr_persist_changes(t, &w.ops)) {
                lr_args_free(&w.ops);
                return LR_STORE_WRITTEN;
        }
        if (lr_store_commit(st, epoch, &w, 1, err, sizeof(err))) {
                fprintf(stderr, "lr_store_commit: %s\n", err);
                exit(2);
        }
        lr_args_free(&w.ops);
        if (w.status == LR_STORE_WRITTEN)
                *version = w.version;
        return (int)w.status;
}

/* ---- two tenants, compared ----------------------------------------------- */

static void same_tier_change(const lr_tier_changed_t *x,
                             const lr_tier_changed_t *y) {
        CHECK_STR(x->event_id, y->event_id);
        CHECK_STR(x->tenant_id, y->tenant_id);
        CHECK_STR(x->rep_id, y->rep_id);
        CHECK_INT(x->from_tier, y->from_tier);
        CHECK_INT(x->to_tier, y->to_tier);
        CHECK_NEAR(x->composite, y->composite, 0);
        CHECK_NEAR(x->tier_mean, y->tier_mean, 0);
        CHECK_INT(x->decided_at, y->decided_at);
        CHECK_STR(x->reason, y->reason);
}

static void same_result(const lr_route_result_t *x,
                        const lr_route_result_t *y) {
        size_t i;
        CHECK_INT(x->status, y->status);
        CHECK_STR(x->errstr, y->errstr);
        char dx[2048];
        snprintf(dx, sizeof(dx), "%s", decs(x));
        CHECK_STR(dx, decs(y));
        CHECK_INT(x->decisions_cnt, y->decisions_cnt);
        for (i = 0; i < x->decisions_cnt && i < y->decisions_cnt; i++)
                check_same_decision(&x->decisions[i], &y->decisions[i]);
        CHECK_INT(x->timer_cnt, y->timer_cnt);
        CHECK_INT(x->tier_changes_cnt, y->tier_changes_cnt);
        for (i = 0; i < x->tier_changes_cnt && i < y->tier_changes_cnt; i++)
                same_tier_change(&x->tier_changes[i], &y->tier_changes[i]);
        CHECK_INT(x->refs_cnt, y->refs_cnt);
        for (i = 0; i < x->refs_cnt && i < y->refs_cnt; i++) {
                CHECK_STR(x->refs[i].lead_id, y->refs[i].lead_id);
                CHECK_INT(x->refs[i].attempt, y->refs[i].attempt);
        }
}

static const char *str0(const char *s) {
        return s ? s : "(none)";
}

static void same_bucket(const lr_bucket_t *x, const lr_bucket_t *y) {
        int k;
        CHECK_INT(x->day, y->day);
        for (k = 0; k < LR_TIER_CLASSES; k++) {
                CHECK_INT(x->n[k], y->n[k]);
                CHECK_INT(x->c[k], y->c[k]);
                CHECK_INT(x->x[k], y->x[k]);
        }
        CHECK_INT(x->calls, y->calls);
        CHECK_INT(x->won, y->won);
        CHECK_INT(x->lost, y->lost);
        CHECK_INT(x->won_value_cents, y->won_value_cents);
        CHECK_NEAR(x->cycle_days_sum, y->cycle_days_sum, 0);
        CHECK_INT(x->cycle_n, y->cycle_n);
        CHECK_NEAR(x->stl_minutes_sum, y->stl_minutes_sum, 0);
        CHECK_INT(x->stl_n, y->stl_n);
}

static void same_rep(const lr_rep_t *x, const lr_rep_t *y) {
        size_t i;
        CHECK_STR(x->id, y->id);
        CHECK_INT(x->active, y->active);
        CHECK_INT(x->tier, y->tier);
        CHECK_INT(x->handled, y->handled);
        CHECK_INT(x->open, y->open);
        CHECK_INT(x->max_open, y->max_open);
        CHECK_INT(x->tday, y->tday);
        CHECK_INT(x->tn, y->tn);
        CHECK_INT(x->st, y->st);
        CHECK_INT(x->st_at, y->st_at);
        CHECK_INT(x->has_until, y->has_until);
        CHECK_INT(x->until, y->until);
        CHECK_INT(x->hist_cnt, y->hist_cnt);
        for (i = 0; i < x->hist_cnt && i < y->hist_cnt; i++) {
                CHECK_INT(x->hist[i].at, y->hist[i].at);
                CHECK_INT(x->hist[i].status, y->hist[i].status);
                CHECK_INT(x->hist[i].has_until, y->hist[i].has_until);
                CHECK_INT(x->hist[i].until, y->hist[i].until);
                CHECK_STR(str0(x->hist[i].eid), str0(y->hist[i].eid));
        }
        CHECK_STR(str0(x->name), str0(y->name));
        CHECK_STR(str0(x->team), str0(y->team));
        CHECK_STR(str0(x->hours_text), str0(y->hours_text));
        CHECK_INT(x->has_hired_at, y->has_hired_at);
        CHECK_INT(x->hired_at, y->hired_at);
        CHECK_STR(str0(x->regions), str0(y->regions));
        CHECK_STR(str0(x->tz), str0(y->tz));
        CHECK(x->zone == y->zone);
        CHECK_INT(x->hours_cnt, y->hours_cnt);
        for (i = 0; i < x->hours_cnt && i < y->hours_cnt; i++)
                CHECK_INT(x->hours[i], y->hours[i]);
        CHECK_NEAR(x->comp, y->comp, 0);
        CHECK_INT(x->ranked, y->ranked);
        CHECK_INT(x->has_pass, y->has_pass);
        CHECK_NEAR(x->pass, y->pass, 0);
        CHECK_INT(x->b_cnt, y->b_cnt);
        for (i = 0; i < x->b_cnt && i < y->b_cnt; i++)
                same_bucket(&x->b[i], &y->b[i]);
}

static void same_lead(const lr_lead_t *x, const lr_lead_t *y) {
        size_t i;
        CHECK_STR(x->id, y->id);
        CHECK_INT(x->state, y->state);
        CHECK_INT(x->tier, y->tier);
        CHECK_INT(x->created_at, y->created_at);
        CHECK_STR(x->eid, y->eid);
        CHECK_STR(x->src_topic, y->src_topic);
        CHECK_INT(x->src_partition, y->src_partition);
        CHECK_INT(x->src_offset, y->src_offset);
        CHECK_STR(str0(x->region), str0(y->region));
        CHECK_STR(str0(x->acct), str0(y->acct));
        CHECK_INT(x->attempt, y->attempt);
        CHECK_STR(x->rep ? x->rep->id : "(none)",
                  y->rep ? y->rep->id : "(none)");
        CHECK_INT(x->touched, y->touched);
        CHECK_INT(x->has_qt, y->has_qt);
        CHECK_INT(x->qt, y->qt);
        CHECK_INT(x->has_at, y->has_at);
        CHECK_INT(x->at, y->at);
        CHECK_INT(x->has_t0, y->has_t0);
        CHECK_INT(x->t0, y->t0);
        CHECK_INT(x->day, y->day);
        CHECK_INT(x->cls, y->cls);
        CHECK_INT(x->conv, y->conv);
        CHECK_INT(x->closed, y->closed);
        CHECK_INT(x->closed_at, y->closed_at);
        CHECK_INT(x->in_queue, y->in_queue);
        CHECK_INT(x->prev_cnt, y->prev_cnt);
        for (i = 0; i < x->prev_cnt && i < y->prev_cnt; i++)
                CHECK_STR(x->prev[i], y->prev[i]);
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The pending timers as "due member" lines, sorted, joined (malloc()ed). */
static char *timers_text(const lr_tenant_t *t) {
        char **v = lr_xcalloc(t->timer_cnt + 1, sizeof(*v)), *out;
        size_t i, len = 1;
        for (i = 0; i < t->timer_cnt; i++) {
                char m[600];
                lr_timer_member(&t->timers[i], m + 32, sizeof(m) - 32);
                snprintf(m, 32, "%020lld", (long long)t->timers[i].due);
                m[20] = ' ';
                memmove(m + 21, m + 32, strlen(m + 32) + 1);
                v[i] = lr_xstrdup(m);
                len += strlen(m) + 1;
        }
        qsort(v, t->timer_cnt, sizeof(*v), str_cmp);
        out    = lr_xcalloc(1, len);
        out[0] = '\0';
        for (i = 0; i < t->timer_cnt; i++) {
                strcat(out, v[i]);
                strcat(out, "\n");
                free(v[i]);
        }
        free(v);
        return out;
}

/* Every part of two tenants' routing state is the same. */
static void same_state(const lr_tenant_t *x, const lr_tenant_t *y) {
        size_t i = 0;
        const char *k;
        void *v;
        char *tx, *ty;

        CHECK_STR(x->id, y->id);
        CHECK_INT(x->rankday, y->rankday);
        CHECK_INT(x->rep_cnt, y->rep_cnt);
        for (i = 0; i < x->rep_cnt && i < y->rep_cnt; i++)
                same_rep(x->rep_list[i], y->rep_list[i]);
        CHECK_INT(x->order_cnt, y->order_cnt);
        for (i = 0; i < x->order_cnt && i < y->order_cnt; i++)
                CHECK_STR(x->order[i]->id, y->order[i]->id);
        CHECK_INT(x->unranked_cnt, y->unranked_cnt);
        for (i = 0; i < x->unranked_cnt && i < y->unranked_cnt; i++)
                CHECK_STR(x->unranked[i]->id, y->unranked[i]->id);
        /* the rankings installed since the last decision */
        check_same_installs(x->installs, x->installs_cnt, y->installs,
                            y->installs_cnt);
        /* the installed ranking, as the history keeps it */
        CHECK_INT(x->ranking.day, y->ranking.day);
        CHECK_INT(x->ranking.evaluated, y->ranking.evaluated);
        CHECK_INT(x->ranking.cnt, y->ranking.cnt);
        for (i = 0; i < x->ranking.cnt && i < y->ranking.cnt; i++) {
                const lr_rep_rank_t *a = &x->ranking.ranks[i];
                const lr_rep_rank_t *b = &y->ranking.ranks[i];
                CHECK_STR(a->rep_id, b->rep_id);
                CHECK_INT(a->tier, b->tier);
                CHECK_INT(a->new_tier, b->new_tier);
                CHECK_INT(a->rank, b->rank);
                CHECK_INT(a->handled, b->handled);
                CHECK_INT(a->active, b->active);
                CHECK_NEAR(a->composite, b->composite, 0);
                CHECK_NEAR(a->tier_mean, b->tier_mean, 0);
        }
        /* leads and the queue */
        CHECK_INT(x->leads.cnt, y->leads.cnt);
        i = 0;
        while (lr_dict_next(&x->leads, &i, &k, &v)) {
                const lr_lead_t *o = lr_lead_get(y, k);
                CHECK(o != NULL);
                if (o)
                        same_lead(v, o);
        }
        CHECK_INT(x->queue_cnt, y->queue_cnt);
        for (i = 0; i < x->queue_cnt && i < y->queue_cnt; i++)
                CHECK_STR(x->queue[i]->id, y->queue[i]->id);
        /* accounts, cursors, positions */
        CHECK_INT(x->accounts.cnt, y->accounts.cnt);
        i = 0;
        while (lr_dict_next(&x->accounts, &i, &k, &v))
                CHECK_STR(v, str0(lr_account_owner(y, k)));
        CHECK_STR(str0(x->rr), str0(y->rr));
        CHECK_INT(x->cursors.cnt, y->cursors.cnt);
        i = 0;
        while (lr_dict_next(&x->cursors, &i, &k, &v))
                CHECK_STR(v, str0(lr_dict_get(&y->cursors, k)));
        CHECK_INT(x->has_vt, y->has_vt);
        CHECK_NEAR(x->vt, y->vt, 0);
        CHECK_INT(x->positions.cnt, y->positions.cnt);
        i = 0;
        while (lr_dict_next(&x->positions, &i, &k, &v))
                CHECK_STR(v, str0(lr_dict_get(&y->positions, k)));
        /* timers */
        tx = timers_text(x);
        ty = timers_text(y);
        CHECK_STR(tx, ty);
        free(tx);
        free(ty);
        /* events seen (what they decided is checked by redelivering them
         * in continue_day) */
        CHECK_INT(lr_seen_cnt(x->seen), lr_seen_cnt(y->seen));
        /* the outbox, in order */
        CHECK_INT(lr_tenant_outbox_mark(x), lr_tenant_outbox_mark(y));
        CHECK_INT(lr_tenant_outbox_len(x), lr_tenant_outbox_len(y));
        for (i = 0; i < lr_tenant_outbox_len(x) && i < lr_tenant_outbox_len(y);
             i++) {
                const lr_assigned_t *da, *db;
                const lr_tier_changed_t *ta, *tb;
                CHECK_INT(x->outbox[i].seq, y->outbox[i].seq);
                lr_tenant_outbox_get(x, i, &da, &ta);
                lr_tenant_outbox_get(y, i, &db, &tb);
                CHECK((da != NULL) == (db != NULL));
                if (da && db)
                        check_same_decision(da, db);
                else if (ta && tb)
                        same_tier_change(ta, tb);
        }
}

/* ---- the round trip ------------------------------------------------------ */

/* Applies ev to both tenants from the same source and checks they decide
 * the same. */
static void both_at(lr_tenant_t *x, lr_tenant_t *y, const lr_event_t *ev,
                    int lead_tier, const lr_route_source_t *src) {
        lr_route_result_t rx, ry;
        lr_event_t e = *ev;
        if (e.kind == LR_EV_LEAD_CREATED && lead_tier > 0)
                e.u.lead.tier = lead_tier;
        CHECK(lr_tenant_apply(x, &e, src, &rx) == 0);
        CHECK(lr_tenant_apply(y, &e, src, &ry) == 0);
        same_result(&rx, &ry);
        lr_route_result_clear(&rx);
        lr_route_result_clear(&ry);
}

static void both(lr_tenant_t *x, lr_tenant_t *y, const lr_event_t *ev,
                 int lead_tier) {
        lr_route_source_t src = {TOPIC, PARTITION, g_offset++};
        both_at(x, y, ev, lead_tier, &src);
}

static void both_fire(lr_tenant_t *x, lr_tenant_t *y, int64_t now) {
        lr_route_result_t rx, ry;
        lr_tenant_fire(x, now, &rx);
        lr_tenant_fire(y, now, &ry);
        same_result(&rx, &ry);
        lr_route_result_clear(&rx);
        lr_route_result_clear(&ry);
}

static void both_lead(lr_tenant_t *x, lr_tenant_t *y, const char *id, int64_t t,
                      int lt, const char *acct, const char *region,
                      int64_t contact_after) {
        char eid[64];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "ev-%s", id);
        ev                          = ev_lead(eid, RT, id, t);
        ev.u.lead.account_id        = (char *)acct;
        ev.u.lead.region            = (char *)region;
        ev.u.lead.has_contact_after = contact_after > 0;
        ev.u.lead.contact_after     = contact_after;
        both(x, y, &ev, lt);
}

static void both_status(lr_tenant_t *x, lr_tenant_t *y, const char *rep,
                        int64_t t, lr_presence_t p) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "st-%s-%lld-%d", rep, (long long)t, p);
        ev = ev_status(eid, RT, rep, t, p, 0);
        both(x, y, &ev, 0);
}

static void both_call(lr_tenant_t *x, lr_tenant_t *y, const char *rep,
                      const char *lead_id, int64_t t, lr_outcome_t o,
                      int64_t value) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "call-%s-%s-%lld-%d", rep, lead_id,
                 (long long)t, o);
        ev = ev_call(eid, RT, rep, lead_id, t, o, value);
        both(x, y, &ev, 0);
}

static void set_strategy(const char *s) {
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "%s", s);
}

/* The rep lead_id is with now. */
static const char *who(const lr_tenant_t *t, const char *lead_id) {
        const lr_lead_t *l = lr_lead_get(t, lead_id);
        return l && l->rep ? l->rep->id : "nobody";
}

/* A status with a profile: regions (NULL-terminated), time zone, hours,
 * name, team, hire date and capacity of its own. */
static void rich_status(lr_tenant_t *t, const char *rep, int64_t at_ms,
                        lr_presence_t p, int64_t until, const char **regions,
                        const char *tz, const char *hours, const char *name,
                        int max_open) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "p-%s-%lld", rep, (long long)at_ms);
        ev = ev_status(eid, RT, rep, at_ms, p, until);
        if (regions) {
                ev.u.rep.regions = (char **)regions;
                while (regions[ev.u.rep.regions_cnt])
                        ev.u.rep.regions_cnt++;
        }
        ev.u.rep.timezone      = (char *)tz;
        ev.u.rep.working_hours = (char *)hours;
        ev.u.rep.display_name  = (char *)name;
        ev.u.rep.team          = name ? "field" : NULL;
        if (name) {
                ev.u.rep.has_hired_at = 1;
                ev.u.rep.hired_at     = at(D - 400, 0, 0);
        }
        if (max_open >= 0) {
                ev.u.rep.has_max_open_leads = 1;
                ev.u.rep.max_open_leads     = max_open;
        }
        apply_quiet(t, &ev);
}

/* A call on a lead by the rep it is with (its first touch). */
static void touch(lr_tenant_t *t, const char *lead_id, int64_t at_ms) {
        lr_route_result_t r;
        call_outcome(t, who(t, lead_id), lead_id, at_ms, LR_OUTCOME_CONNECTED,
                     -1, &r);
        lr_route_result_clear(&r);
}

static const char *lead_now(lr_tenant_t *t, const char *id, int64_t at_ms,
                            int lt, const char *acct, const char *region,
                            int64_t contact_after) {
        static char buf[512];
        lr_route_result_t r;
        snprintf(buf, sizeof(buf), "%s",
                 lead_x(t, id, at_ms, lt, acct, region, contact_after, &r));
        lr_route_result_clear(&r);
        return buf;
}

/* Builds tenant t (claimed for epoch, written as it goes) through two days:
 * every kind of state the store keeps. Returns the offset of its first
 * event, applied since. */
static int64_t story(lr_store_t *st, int64_t epoch, lr_tenant_t *t,
                     int64_t *version) {
        static const char *emea[] = {"EMEA", NULL};
        static const char *na[]   = {"NA-East", "EMEA", NULL};
        int32_t P                 = D - 1;
        lr_route_result_t r;
        int64_t first = g_offset;
        int i;

        /* Day P: reps with profiles and presence history. */
        rich_status(t, "r1", at(P, 7, 0), LR_PRESENCE_AVAILABLE, 0, emea,
                    "Europe/Berlin", "Mon-Fri 08:00-20:00", "Ann", -1);
        rich_status(t, "r2", at(P, 7, 0), LR_PRESENCE_AVAILABLE, 0, na,
                    "America/New_York", NULL, "Bo", 3);
        status(t, "r3", at(P, 7, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r4", at(P, 7, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r5", at(P, 7, 0), LR_PRESENCE_IN_MEETING, at(P, 9, 0));
        /* a timer decision, delivered and acked */
        CHECK_STR(lead_now(t, "H1", at(P, 8, 0), 2, NULL, NULL, at(P, 8, 30)),
                  "");
        tick(t, at(P, 8, 31), &r);
        CHECK_INT(r.decisions_cnt, 1);
        lr_route_result_clear(&r);
        ack(t);
        touch(t, "H1", at(P, 8, 40));
        lead_now(t, "P1", at(P, 9, 0), 3, NULL, NULL, 0);
        lead_now(t, "P2", at(P, 9, 1), 3, NULL, NULL, 0);
        lead_now(t, "P3", at(P, 9, 2), 3, NULL, NULL, 0);
        lead_now(t, "P4", at(P, 9, 3), 1, NULL, "EMEA", 0);
        touch(t, "P1", at(P, 9, 10));
        touch(t, "P2", at(P, 9, 10));
        touch(t, "P3", at(P, 9, 10));
        touch(t, "P4", at(P, 9, 10));
        /* outcomes that set the reps apart (history import: attributed) */
        call_outcome(t, "r1", "X1", at(P, 10, 0), LR_OUTCOME_CLOSED_WON, 500000,
                     &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r1", "H1", at(P, 10, 30),
                     LR_OUTCOME_OPPORTUNITY_CREATED, -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r2", "X2", at(P, 11, 0), LR_OUTCOME_CLOSED_LOST, -1,
                     &r);
        lr_route_result_clear(&r);
        call_outcome(t, "r3", "X3", at(P, 11, 30), LR_OUTCOME_NO_ANSWER, -1,
                     &r);
        lr_route_result_clear(&r);
        status(t, "r4", at(P, 15, 0), LR_PRESENCE_DEPARTED, 0);
        /* out of order: the later status stays current */
        status(t, "r3", at(P, 14, 0), LR_PRESENCE_BUSY, 0);
        status(t, "r3", at(P, 13, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r3", at(P, 16, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(commit(st, epoch, t, version), LR_STORE_WRITTEN);

        /* Day D: its ranking, evaluated (tier changes, not acked). */
        {
                lr_event_t ev = ev_status("d-first", RT, "r5", at(D, 7, 30),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK(r.tier_changes_cnt >= 1);
                lr_route_result_clear(&r);
        }
        /* cursors of every baseline */
        set_strategy("round_robin");
        lead_now(t, "RR1", at(D, 8, 0), 3, NULL, NULL, 0);
        lead_now(t, "RR2", at(D, 8, 1), 3, NULL, NULL, 0);
        set_strategy("territory");
        lead_now(t, "T1", at(D, 8, 2), 3, NULL, "EMEA", 0);
        lead_now(t, "T2", at(D, 8, 3), 3, NULL, "NA-East", 0);
        set_strategy("weighted_round_robin");
        lead_now(t, "W1", at(D, 8, 4), 3, NULL, NULL, 0);
        lead_now(t, "W2", at(D, 8, 5), 3, NULL, NULL, 0);
        set_strategy("ranked");
        /* an account owner */
        lead_now(t, "A1", at(D, 8, 10), 2, "acct-1", NULL, 0);
        touch(t, "RR1", at(D, 8, 12));
        touch(t, "T1", at(D, 8, 12));
        touch(t, "W1", at(D, 8, 12));
        CHECK_INT(commit(st, epoch, t, version), LR_STORE_WRITTEN);

        /* held, reassigned (previous assignees), attributed, queued */
        CHECK_STR(lead_now(t, "H2", at(D, 8, 20), 3, NULL, NULL, at(D, 12, 0)),
                  "");
        tick(t, at(D, 8, 30), &r);
        CHECK(r.decisions_cnt >= 3);
        lr_route_result_clear(&r);
        call_outcome(t, strcmp(who(t, "RR1"), "r5") ? "r5" : "r3", "RR1",
                     at(D, 8, 40), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        call_outcome(t, who(t, "P1"), "P1", at(D, 9, 2), LR_OUTCOME_CLOSED_WON,
                     120000, &r);
        lr_route_result_clear(&r);
        status(t, "r1", at(D, 9, 0), LR_PRESENCE_BUSY, 0);
        status(t, "r2", at(D, 9, 0), LR_PRESENCE_BUSY, 0);
        status(t, "r3", at(D, 9, 0), LR_PRESENCE_BUSY, 0);
        status(t, "r5", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 9, 40));
        CHECK_STR(lead_now(t, "Q1", at(D, 9, 5), 3, NULL, NULL, 0), "");
        CHECK_STR(lead_now(t, "Q2", at(D, 9, 6), 1, "acct-2", "EMEA", 0), "");
        /* one status drains many waiting leads: an event with long refs */
        for (i = 0; i < 30; i++) {
                char id[64];
                snprintf(id, sizeof(id), "waiting-lead-with-a-long-id-%02d", i);
                CHECK_STR(lead_now(t, id, at(D, 9, 7), 3, NULL, NULL, 0), "");
        }
        {
                lr_event_t ev = ev_status("drain", RT, "r3", at(D, 9, 8),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(t, &ev, 0, &r), LR_ROUTE_APPLIED);
                CHECK(r.decisions_cnt >= 15);
                lr_route_result_clear(&r);
        }
        status(t, "r3", at(D, 9, 9), LR_PRESENCE_BUSY, 0);
        CHECK_INT(commit(st, epoch, t, version), LR_STORE_WRITTEN);
        return first;
}

/* What the story left, so the round trip covers every kind of state. */
static void check_story_state(const lr_tenant_t *t) {
        int states[8] = {0}, prev = 0, kinds[128] = {0}, tc = 0, dec = 0;
        size_t i = 0;
        const char *k;
        void *v;
        while (lr_dict_next(&t->leads, &i, &k, &v)) {
                const lr_lead_t *l = v;
                states[l->state]++;
                prev += l->prev_cnt > 0;
        }
        CHECK(states[LR_LEAD_HELD] >= 1);
        CHECK(states[LR_LEAD_QUEUED] >= 2);
        CHECK(states[LR_LEAD_ASSIGNED] >= 5);
        CHECK(states[LR_LEAD_ATTRIBUTED] >= 3);
        CHECK(prev >= 1);
        for (i = 0; i < t->timer_cnt; i++)
                kinds[(int)t->timers[i].kind]++;
        CHECK(kinds['c'] >= 1 && kinds['q'] >= 2 && kinds['s'] >= 1);
        for (i = 0; i < lr_tenant_outbox_len(t); i++) {
                const lr_assigned_t *d;
                const lr_tier_changed_t *c;
                lr_tenant_outbox_get(t, i, &d, &c);
                tc += c != NULL;
                dec += d != NULL;
        }
        CHECK(tc >= 1 && dec >= 1);
        CHECK(t->accounts.cnt >= 1);
        CHECK(t->rr != NULL && t->cursors.cnt == 2 && t->has_vt);
        CHECK(lr_seen_cnt(t->seen) > 20);
        CHECK(lr_tenant_rank_day(t) == D && t->order_cnt >= 4);
        CHECK(rep_field(t, "r4", REP_ACTIVE) == 0);
}

/* The same events and timers for two tenants: what the day holds next. */
static void continue_day(lr_tenant_t *x, lr_tenant_t *y, int64_t first) {
        lr_route_source_t old = {TOPIC, PARTITION, first};
        uint64_t mx, my;
        int i;

        /* redelivered: by event_id (what they decided), and by offset */
        both_lead(x, y, "RR1", at(D, 8, 0), 3, NULL, NULL, 0);
        {
                lr_event_t ev = ev_status("drain", RT, "r3", at(D, 9, 8),
                                          LR_PRESENCE_AVAILABLE, 0);
                lr_route_source_t src = {TOPIC, PARTITION, g_offset++};
                lr_route_result_t rx, ry;
                CHECK(lr_tenant_apply(x, &ev, &src, &rx) == 0);
                CHECK(lr_tenant_apply(y, &ev, &src, &ry) == 0);
                CHECK_INT(rx.status, LR_ROUTE_DUPLICATE);
                CHECK(rx.refs_cnt >= 15);
                same_result(&rx, &ry);
                lr_route_result_clear(&rx);
                lr_route_result_clear(&ry);
        }
        {
                lr_event_t ev = ev_status("again", RT, "r2", at(D, 9, 7),
                                          LR_PRESENCE_AVAILABLE, 0);
                both_at(x, y, &ev, 0, &old);
        }
        /* SLA misses (attempt 3, never back), escalations of the queue */
        both_fire(x, y, at(D, 9, 12));
        both_status(x, y, "r2", at(D, 9, 40), LR_PRESENCE_AVAILABLE);
        both_status(x, y, "r3", at(D, 9, 44), LR_PRESENCE_AVAILABLE);
        both_lead(x, y, "A2", at(D, 9, 45), 2, "acct-1", NULL, 0);
        both_lead(x, y, "A3", at(D, 9, 46), 1, "acct-2", "EMEA", 0);
        /* each cursor goes on where it was */
        set_strategy("round_robin");
        both_lead(x, y, "RR3", at(D, 9, 50), 3, NULL, NULL, 0);
        set_strategy("territory");
        both_lead(x, y, "T3", at(D, 9, 51), 3, NULL, "EMEA", 0);
        both_lead(x, y, "T4", at(D, 9, 52), 3, NULL, "NA-East", 0);
        set_strategy("weighted_round_robin");
        both_lead(x, y, "W3", at(D, 9, 53), 3, NULL, NULL, 0);
        set_strategy("ranked");
        for (i = 0; i < 6; i++) { /* capacity, tiers, today's counts */
                char id[16];
                snprintf(id, sizeof(id), "C%d", i);
                both_lead(x, y, id, at(D, 10, i), 1 + i % 3, NULL, NULL, 0);
        }
        both_call(x, y, who(x, "C0"), "C0", at(D, 10, 10),
                  LR_OUTCOME_OPPORTUNITY_CREATED, -1);
        both_call(x, y, "r2", "C1", at(D, 10, 11), LR_OUTCOME_CLOSED_LOST, -1);
        /* contact_after, SLA, the queue */
        both_fire(x, y, at(D, 12, 1));
        /* outside r1's hours (21:30 in Berlin) */
        both_lead(x, y, "E1", at(D, 20, 30), 3, NULL, NULL, 0);
        both_call(x, y, who(x, "A2"), "A2", at(D, 13, 0), LR_OUTCOME_CLOSED_WON,
                  75000);
        /* the outbox delivered: acked alike */
        mx = lr_tenant_outbox_mark(x);
        my = lr_tenant_outbox_mark(y);
        CHECK_INT(mx, my);
        lr_tenant_outbox_ack(x, mx);
        lr_tenant_outbox_ack(y, my);
        /* the next day: its ranking, evaluated, then its timers */
        both_status(x, y, "r1", at(D + 1, 7, 0), LR_PRESENCE_AVAILABLE);
        both_fire(x, y, at(D + 1, 9, 0));
        both_lead(x, y, "N1", at(D + 1, 9, 1), 2, "acct-1", "EMEA", 0);
}

/* ... and what comes after that. */
static void continue_next_day(lr_tenant_t *x, lr_tenant_t *y) {
        both_lead(x, y, "RR1", at(D, 8, 0), 3, NULL, NULL, 0);
        both_lead(x, y, "N2", at(D + 1, 9, 30), 1, NULL, "NA-East", 0);
        both_status(x, y, "r2", at(D + 1, 9, 35), LR_PRESENCE_OFFLINE);
        both_fire(x, y, at(D + 1, 10, 0));
        set_strategy("round_robin");
        both_lead(x, y, "RR4", at(D + 1, 10, 1), 3, NULL, NULL, 0);
        set_strategy("territory");
        both_lead(x, y, "T5", at(D + 1, 10, 2), 3, NULL, "EMEA", 0);
        set_strategy("weighted_round_robin");
        both_lead(x, y, "W4", at(D + 1, 10, 3), 3, NULL, NULL, 0);
        set_strategy("ranked");
        both_call(x, y, "r3", "Q1", at(D + 1, 10, 4), LR_OUTCOME_CLOSED_WON,
                  1000);
        both_fire(x, y, at(D + 2, 0, 0));
        both_status(x, y, "r5", at(D + 2, 8, 0), LR_PRESENCE_AVAILABLE);
}

static void test_round_trip(void) {
        const char *ns = "lrtest-store-rt";
        lr_store_t *st = store_open(ns);
        lr_tenant_t *a, *b, *c, *d;
        int64_t e1, e2, e3, e4, va = -1, vb = -1, vc = -1, vd = -1, first;

        fixture_init();
        g_pol.owner_first    = 1;
        g_pol.ramp_min_leads = 0;
        /* A is claimed new, and written batch by batch as it goes. */
        e1 = new_epoch(st);
        a  = claim(st, e1, RT, &va);
        CHECK(a != NULL);
        if (!a)
                return;
        CHECK_INT(va, 0);
        CHECK_INT(lr_tenant_rank_day(a), -1);
        first = story(st, e1, a, &va);
        CHECK_INT(va, 3);
        check_story_state(a);

        /* B: another worker claims it and loads it. */
        e2 = new_epoch(st);
        b  = claim(st, e2, RT, &vb);
        CHECK(b != NULL);
        if (!b)
                return;
        CHECK_INT(vb, va);
        same_state(a, b);
        continue_day(a, b, first);
        same_state(a, b);
        /* B writes what it did; A, a zombie now, cannot. */
        CHECK_INT(commit(st, e2, b, &vb), LR_STORE_WRITTEN);
        CHECK_INT(commit(st, e1, a, &va), LR_STORE_FENCED);

        /* C loads what B wrote on top: the changes lose nothing either. */
        e3 = new_epoch(st);
        c  = claim(st, e3, RT, &vc);
        CHECK(c != NULL);
        if (c) {
                CHECK_INT(vc, vb);
                same_state(a, c);
                continue_next_day(a, c);
                same_state(a, c);
                /* D+2's ranking, installed after the last decision, is
                 * kept for the next one, across a move too */
                CHECK_INT(a->installs_cnt, 1);
                CHECK_INT(commit(st, e3, c, &vc), LR_STORE_WRITTEN);
                e4 = new_epoch(st);
                d  = claim(st, e4, RT, &vd);
                CHECK(d != NULL);
                if (d) {
                        same_state(a, d);
                        lr_tenant_free(d);
                }
                lr_tenant_free(c);
        }
        lr_tenant_free(a);
        lr_tenant_free(b);
        store_close(st);
}

/* ---- fencing and retries ------------------------------------------------- */

static void test_fencing(void) {
        const char *ns = "lrtest-store-fence", *tn = "f";
        lr_store_t *st = store_open(ns);
        lr_tenant_t *a, *b, *z;
        lr_route_result_t r;
        int64_t e1, e2, va = -1, vb = -1, v = -1;

        fixture_init();
        e1 = new_epoch(st);
        a  = claim(st, e1, tn, &va);
        CHECK(a != NULL && va == 0);
        if (!a)
                return;
        status(a, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(a, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        CHECK_INT(commit(st, e1, a, &va), LR_STORE_WRITTEN);
        CHECK_INT(va, 1);

        /* E2 claims the tenant: it loads what E1 wrote. */
        e2 = new_epoch(st);
        CHECK(e2 > e1);
        b = claim(st, e2, tn, &vb);
        CHECK(b != NULL && vb == 1);
        if (!b)
                return;
        CHECK(lr_lead_get(b, "L1") != NULL);
        /* E1 goes on (a zombie): its write is refused, nothing changes. */
        CHECK_INT(lead(a, "L2", at(D, 9, 5), 3, &r), 1);
        lr_route_result_clear(&r);
        CHECK_INT(commit(st, e1, a, &va), LR_STORE_FENCED);
        CHECK_INT(va, 1);
        CHECK_STR(hget(ns, tn, "meta", "version"), "1");
        CHECK_STR(hget(ns, tn, "leads", "L2"), "");
        CHECK_STR(hget(ns, tn, "dec", "L2#1"), "");
        /* and E1 cannot claim it back */
        CHECK(claim(st, e1, tn, NULL) == NULL);
        /* a read (epoch 0) does not claim: E2 still writes */
        z = claim(st, 0, tn, &v);
        CHECK(z != NULL && v == 1);
        if (z) {
                CHECK(lr_lead_get(z, "L2") == NULL);
                lr_tenant_free(z);
        }
        CHECK_INT(lead(b, "L3", at(D, 9, 6), 3, &r), 1);
        lr_route_result_clear(&r);
        CHECK_INT(commit(st, e2, b, &vb), LR_STORE_WRITTEN);
        CHECK_INT(vb, 2);
        CHECK(hget(ns, tn, "leads", "L3")[0] != '\0');
        lr_tenant_free(a);
        lr_tenant_free(b);
        store_close(st);
}

static void test_retry(void) {
        const char *ns = "lrtest-store-retry", *tn = "w";
        lr_store_t *st = store_open(ns);
        lr_tenant_t *t;
        lr_route_result_t r;
        lr_store_write_t w;
        int64_t e, v = -1, v2;
        char err[256], key[128];
        redisReply *rep;

        fixture_init();
        e = new_epoch(st);
        t = claim(st, e, tn, &v);
        CHECK(t != NULL);
        if (!t)
                return;
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        memset(&w, 0, sizeof(w));
        w.tenant_id = tn;
        w.version   = v;
        CHECK(lr_persist_changes(t, &w.ops) > 0);
        CHECK(lr_store_commit(st, e, &w, 1, err, sizeof(err)) == 0);
        CHECK_INT(w.status, LR_STORE_WRITTEN);
        CHECK_INT(w.version, v + 1);
        /* The reply was lost (say): the same write again, on the same
         * version, answers done and applies nothing -- a record changed
         * behind its back since stays as it is. */
        snprintf(key, sizeof(key), "%s:{%s}:leads", ns, tn);
        rep = raw("HDEL %s %s", key, "L1");
        freeReplyObject(rep);
        w.version = v;
        CHECK(lr_store_commit(st, e, &w, 1, err, sizeof(err)) == 0);
        CHECK_INT(w.status, LR_STORE_WRITTEN);
        CHECK_INT(w.version, v + 1);
        CHECK_STR(hget(ns, tn, "leads", "L1"), "");
        {
                char num[24];
                snprintf(num, sizeof(num), "%lld", (long long)(v + 1));
                CHECK_STR(hget(ns, tn, "meta", "version"), num);
        }
        /* A write made on a version older than the stored one (never
         * expected: a bug) is refused. */
        v2 = v + 1;
        CHECK_INT(lead(t, "L2", at(D, 9, 1), 3, &r), 1);
        lr_route_result_clear(&r);
        CHECK_INT(commit(st, e, t, &v2), LR_STORE_WRITTEN);
        w.version = v;
        CHECK(lr_store_commit(st, e, &w, 1, err, sizeof(err)) == 0);
        CHECK_INT(w.status, LR_STORE_FENCED);
        CHECK_STR(hget(ns, tn, "leads", "L1"), "");
        lr_args_free(&w.ops);
        lr_tenant_free(t);
        store_close(st);
}

/* ---- reads --------------------------------------------------------------- */

static void test_read_decisions(void) {
        const char *ns = "lrtest-store-dec", *tn = "d";
        lr_store_t *st = store_open(ns);
        lr_tenant_t *t;
        lr_route_result_t r, again;
        lr_assigned_t *got = NULL;
        size_t cnt         = 0, i;
        int64_t e, v = -1;
        char err[256];
        lr_event_t ev = ev_lead("ev-L2", tn, "L2", at(D, 9, 1));

        fixture_init();
        e = new_epoch(st);
        t = claim(st, e, tn, &v);
        CHECK(t != NULL);
        if (!t)
                return;
        install(t, D, 2, (const char *[]){"r1", "r2"}, (double[]){0.9, 0.4},
                (int[]){3, 3});
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_IN_MEETING, 0);
        status(t, "r2", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        CHECK_INT(apply(t, &ev, 3, &r), LR_ROUTE_APPLIED);
        CHECK_INT(r.decisions_cnt, 1);
        CHECK_INT(commit(st, e, t, &v), LR_STORE_WRITTEN);
        /* Delivered again: the event names its decision, the store has
         * it as it was made (what the worker publishes again). */
        CHECK_INT(apply(t, &ev, 3, &again), LR_ROUTE_DUPLICATE);
        CHECK_STR(refs(&again), "L2#1");
        CHECK(lr_store_read_decisions(st, tn, again.refs, again.refs_cnt, &got,
                                      &cnt, err, sizeof(err)) == 0);
        CHECK_INT(cnt, 1);
        if (cnt == 1 && r.decisions_cnt == 1) {
                check_same_decision(&r.decisions[0], &got[0]);
                check_skipped(&got[0], "r1:IN_MEETING");
        }
        for (i = 0; i < cnt; i++)
                lr_assigned_clear(&got[i]);
        free(got);
        lr_route_result_clear(&again);
        /* A decision no longer (or never) stored is skipped. */
        {
                lr_route_ref_t refs2[3] = {{"L9", 1}, {"L2", 1}, {"L1", 2}};
                CHECK(lr_store_read_decisions(st, tn, refs2, 3, &got, &cnt, err,
                                              sizeof(err)) == 0);
                CHECK_INT(cnt, 1);
                if (cnt == 1)
                        CHECK_STR(got[0].event_id, "ev-L2#1");
                for (i = 0; i < cnt; i++)
                        lr_assigned_clear(&got[i]);
                free(got);
        }
        lr_route_result_clear(&r);
        lr_tenant_free(t);
        store_close(st);
}

static void test_read_rankings(void) {
        const char *ns = "lrtest-store-rank", *tn = "k";
        lr_store_t *st = store_open(ns);
        lr_tenant_t *t;
        lr_route_result_t r;
        lr_ranking_t *got = NULL, want[3];
        size_t cnt        = 0, i, j;
        int64_t e, v = -1;
        char err[256];
        int d;

        fixture_init();
        g_pol.ramp_min_leads = 0;
        e                    = new_epoch(st);
        t                    = claim(st, e, tn, &v);
        CHECK(t != NULL);
        if (!t)
                return;
        memset(want, 0, sizeof(want));
        status(t, "r1", at(D - 1, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        status(t, "r2", at(D - 1, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        for (d = 0; d < 3; d++) {
                const lr_ranking_t *k;
                /* a day's outcomes, then the next day's first event */
                char x[8];
                snprintf(x, sizeof(x), "X%d", d);
                call_outcome(t, d % 2 ? "r1" : "r2", x, at(D + d - 1, 9, d),
                             LR_OUTCOME_CLOSED_WON, 1000, &r);
                lr_route_result_clear(&r);
                status(t, "r1", at(D + d, 8, 0), LR_PRESENCE_AVAILABLE, 0);
                k = lr_tenant_ranking(t);
                CHECK(k && k->day == D + d && k->cnt == 2);
                if (!k)
                        continue;
                want[d]       = *k;
                want[d].ranks = lr_xcalloc(k->cnt, sizeof(*k->ranks));
                for (j = 0; j < k->cnt; j++) {
                        want[d].ranks[j] = k->ranks[j];
                        want[d].ranks[j].rep_id =
                            lr_xstrdup(k->ranks[j].rep_id);
                }
                CHECK_INT(commit(st, e, t, &v), LR_STORE_WRITTEN);
        }
        CHECK(lr_store_read_rankings(st, tn, D, D + 2, &got, &cnt, err,
                                     sizeof(err)) == 0);
        CHECK_INT(cnt, 3);
        for (i = 0; i < cnt && i < 3; i++) {
                CHECK_INT(got[i].day, D + (int)i);
                CHECK_INT(got[i].evaluated, want[i].evaluated);
                CHECK_INT(got[i].cnt, want[i].cnt);
                for (j = 0; j < got[i].cnt && j < want[i].cnt; j++) {
                        const lr_rep_rank_t *x = &got[i].ranks[j];
                        const lr_rep_rank_t *y = &want[i].ranks[j];
                        int m;
                        CHECK_STR(x->rep_id, y->rep_id);
                        CHECK_INT(x->rank, y->rank);
                        CHECK_INT(x->tier, y->tier);
                        CHECK_INT(x->new_tier, y->new_tier);
                        CHECK_INT(x->handled, y->handled);
                        CHECK_NEAR(x->composite, y->composite, 0);
                        CHECK_NEAR(x->tier_mean, y->tier_mean, 0);
                        for (m = 0; m < LR_METRIC_CNT; m++) {
                                CHECK_NEAR(x->value[m], y->value[m], 0);
                                CHECK_NEAR(x->score[m], y->score[m], 0);
                        }
                        CHECK_NEAR(x->tally.won, y->tally.won, 0);
                }
        }
        for (i = 0; i < cnt; i++)
                lr_ranking_clear(&got[i]);
        free(got);
        /* a window of days */
        CHECK(lr_store_read_rankings(st, tn, D + 1, D + 1, &got, &cnt, err,
                                     sizeof(err)) == 0);
        CHECK(cnt == 1 && got[0].day == D + 1);
        for (i = 0; i < cnt; i++)
                lr_ranking_clear(&got[i]);
        free(got);
        for (i = 0; i < 3; i++)
                lr_ranking_clear(&want[i]);
        lr_tenant_free(t);
        store_close(st);
}

/* The reps as the scorecard reads them: by rep_id, with the buckets of a
 * window of days. */
static void test_read_reps(void) {
        const char *ns = "lrtest-store-reps", *tn = "s";
        lr_store_t *st       = store_open(ns);
        lr_store_rep_t *reps = NULL;
        lr_tenant_t *t;
        lr_route_result_t r;
        int64_t e, v = -1;
        char err[256];
        size_t cnt = 0;

        fixture_init();
        e = new_epoch(st);
        t = claim(st, e, tn, &v);
        CHECK(t != NULL);
        if (!t)
                return;
        status(t, "r2", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        call_outcome(t, "r1", "U1", at(D, 8, 30), LR_OUTCOME_CONNECTED, -1, &r);
        lr_route_result_clear(&r);
        CHECK_INT(lead(t, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        call_outcome(t, "r2", "L1", at(D + 1, 9, 0), LR_OUTCOME_CLOSED_WON, 500,
                     &r);
        lr_route_result_clear(&r);
        CHECK_INT(commit(st, e, t, &v), LR_STORE_WRITTEN);
        CHECK(lr_store_read_reps(st, tn, D + 1, D + 1, &reps, &cnt, err,
                                 sizeof(err)) == 0);
        CHECK_INT(cnt, 2);
        if (cnt == 2) {
                CHECK_STR(reps[0].rep_id, "r1");
                CHECK_STR(reps[1].rep_id, "r2");
                CHECK_INT(reps[0].handled, 1);
                CHECK_INT(reps[0].open_leads, 1);
                CHECK_INT(reps[0].buckets_cnt, 0); /* its day is D */
                CHECK_STR(reps[1].status, "AVAILABLE");
                CHECK_INT(reps[1].active, 1);
                CHECK_INT(reps[1].tier, 3);
                CHECK_INT(reps[1].handled, 1);
                CHECK_INT(reps[1].open_leads, 0);
                CHECK_INT(reps[1].buckets_cnt, 1);
                if (reps[1].buckets_cnt == 1) {
                        CHECK_INT(reps[1].buckets[0].day, D + 1);
                        CHECK_INT(reps[1].buckets[0].won, 1);
                        CHECK_INT(reps[1].buckets[0].won_value_cents, 500);
                }
        }
        lr_store_reps_free(reps, cnt);
        lr_tenant_free(t);
        store_close(st);
}

/* ---- the Functions library (a private server) ---------------------------- */

static void test_library_reload(void) {
        const char *ns = "lrtest-store-reload", *tn = "l";
        const lr_embedded_t *code = lr_embedded_find("store.lua");
        char url[128], err[256];
        lr_store_t *st, *st2;
        lr_tenant_t *t;
        lr_store_write_t w;
        lr_route_result_t r;
        redisContext *pc;
        redisReply *rep;
        int64_t e, v = -1;

        fixture_init();
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", g_private_port);
        pc = connect_wait("127.0.0.1", g_private_port);
        st = store_open_url(url, ns);
        e  = new_epoch(st);
        t  = claim(st, e, tn, &v);
        CHECK(t != NULL);
        if (!t)
                return;
        status(t, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        CHECK_INT(lead(t, "L1", at(D, 9, 0), 3, &r), 1);
        lr_route_result_clear(&r);
        memset(&w, 0, sizeof(w));
        w.tenant_id = tn;
        w.version   = v;
        CHECK(lr_persist_changes(t, &w.ops) > 0);

        /* The library is gone: the call fails, the next one reloads it. */
        rep = raw_on(pc, "FUNCTION FLUSH", NULL, NULL);
        freeReplyObject(rep);
        CHECK(lr_store_commit(st, e, &w, 1, err, sizeof(err)) == -1);
        CHECK(strstr(err, "Function not found") != NULL);
        CHECK(lr_store_commit(st, e, &w, 1, err, sizeof(err)) == 0);
        CHECK_INT(w.status, LR_STORE_WRITTEN);
        CHECK_INT(w.version, 1);
        lr_args_free(&w.ops);
        rep = raw_on(pc, "FUNCTION LIST LIBRARYNAME leadrouter WITHCODE", NULL,
                     NULL);
        CHECK(rep->type == REDIS_REPLY_ARRAY && rep->elements == 1);
        freeReplyObject(rep);

        /* Another version loaded under our name is replaced on connect. */
        rep = raw_on(pc, "FUNCTION LOAD REPLACE %s",
                     "#!lua name=leadrouter\n"
                     "redis.register_function('lr_claim', "
                     "function() return 'old' end)",
                     NULL);
        CHECK(rep->type != REDIS_REPLY_ERROR);
        freeReplyObject(rep);
        st2 = store_open_url(url, ns);
        rep = raw_on(pc, "FUNCTION LIST LIBRARYNAME leadrouter WITHCODE", NULL,
                     NULL);
        CHECK(rep->type == REDIS_REPLY_ARRAY && rep->elements == 1);
        if (rep->elements == 1 && rep->element[0]->elements >= 8) {
                const redisReply *c = rep->element[0]->element[7];
                CHECK(code && c->len == code->len &&
                      !memcmp(c->str, code->data, c->len));
        }
        freeReplyObject(rep);
        {
                int64_t v2      = -1;
                lr_tenant_t *t2 = claim(st2, new_epoch(st2), tn, &v2);
                CHECK(t2 != NULL && v2 == 1);
                if (t2) {
                        CHECK(lr_lead_get(t2, "L1") != NULL);
                        lr_tenant_free(t2);
                }
        }
        lr_store_free(st2);
        lr_tenant_free(t);
        store_close(st);
        redisFree(pc);
}

/* ---- redis.url (a private server) ---------------------------------------- */

/* 0 if url connects (and loads the library), else -1 with err. */
static int url_connects(const char *url, char *err, size_t size) {
        lr_store_t *st = lr_store_new(url, "lrtest-url", err, size);
        int rc;
        if (!st)
                return -2;
        rc = lr_store_connect(st, err, size);
        lr_store_free(st);
        return rc;
}

static void test_url(void) {
        static const char *bad[] = {"http://x",       "redis://h:99999",
                                    "redis://h:1/x",  "redis://[::1",
                                    "redis://:pw@",   "redis://h:0",
                                    "redis://h:12ab", "redis://h:6379/-1"};
        char url[160], err[256];
        redisContext *pc;
        redisReply *rep;
        lr_store_t *st;
        int p = g_private_port;
        size_t i;

        /* bad forms: refused, named */
        for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                err[0] = '\0';
                st     = lr_store_new(bad[i], "ns", err, sizeof(err));
                CHECK(st == NULL);
                if (st) {
                        fprintf(stderr, "accepted: %s\n", bad[i]);
                        lr_store_free(st);
                }
                CHECK(strstr(err, "redis url") != NULL);
        }
        CHECK(lr_store_new("http://x", "ns", err, sizeof(err)) == NULL);
        CHECK(strstr(err, "redis://") != NULL);
        /* Nothing listens on port 1: connecting fails, cleanly. */
        st = lr_store_new("redis://:p%40ss@127.0.0.1:1/3", "ns", err,
                          sizeof(err));
        CHECK(st != NULL);
        CHECK(st && lr_store_connect(st, err, sizeof(err)) == -1);
        lr_store_free(st);

        pc = connect_wait("127.0.0.1", p);
        /* host:port/db: the store works in that db */
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/2", p);
        st = store_open_url(url, "lrtest-url");
        {
                int64_t e = new_epoch(st);
                CHECK_INT(e, 1);
        }
        lr_store_free(st);
        rep = raw_on(pc, "SELECT 2", NULL, NULL);
        freeReplyObject(rep);
        rep = raw_on(pc, "GET %s", "lrtest-url:epoch", NULL);
        CHECK(rep->type == REDIS_REPLY_STRING && !strcmp(rep->str, "1"));
        freeReplyObject(rep);
        rep = raw_on(pc, "SELECT 0", NULL, NULL);
        freeReplyObject(rep);
        rep = raw_on(pc, "EXISTS %s", "lrtest-url:epoch", NULL);
        CHECK(rep->type == REDIS_REPLY_INTEGER && rep->integer == 0);
        freeReplyObject(rep);

        /* user:password (ACL), percent-decoded, split at the first ':' */
        rep =
            raw_on(pc, "ACL SETUSER lrtest on %s ~* &* +@all", ">p@ss:1", NULL);
        CHECK(rep->type == REDIS_REPLY_STATUS);
        freeReplyObject(rep);
        snprintf(url, sizeof(url), "redis://lrtest:p%%40ss:1@127.0.0.1:%d/0",
                 p);
        CHECK(url_connects(url, err, sizeof(err)) == 0);
        snprintf(url, sizeof(url), "redis://lrtest:wrong@127.0.0.1:%d/0", p);
        CHECK(url_connects(url, err, sizeof(err)) == -1);
        CHECK(strstr(err, "WRONGPASS") != NULL);
        rep = raw_on(pc, "ACL DELUSER lrtest", NULL, NULL);
        freeReplyObject(rep);

        /* :password (the default user), or from the environment */
        rep = raw_on(pc, "CONFIG SET requirepass %s", "s3cret", NULL);
        CHECK(rep->type == REDIS_REPLY_STATUS);
        freeReplyObject(rep);
        snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d", p);
        CHECK(url_connects(url, err, sizeof(err)) == 0);
        snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", p);
        CHECK(url_connects(url, err, sizeof(err)) == -1);
        CHECK(strstr(err, "NOAUTH") != NULL);
        setenv("LEADROUTER_REDIS_PASSWORD", "s3cret", 1);
        CHECK(url_connects(url, err, sizeof(err)) == 0);
        unsetenv("LEADROUTER_REDIS_PASSWORD");
        rep = raw_on(pc, "CONFIG SET requirepass %s", "", NULL);
        freeReplyObject(rep);

        /* IPv6: [::1]:port */
        {
                redisContext *c6 = redisConnect("::1", p);
                if (c6 && !c6->err) {
                        snprintf(url, sizeof(url), "redis://[::1]:%d/0", p);
                        CHECK(url_connects(url, err, sizeof(err)) == 0);
                } else {
                        printf("no IPv6 loopback: [::1] connect not tested\n");
                }
                if (c6)
                        redisFree(c6);
        }
        snprintf(url, sizeof(url), "redis://[::1]:%d/0", 1);
        st = lr_store_new(url, "ns", err, sizeof(err));
        CHECK(st != NULL);
        lr_store_free(st);
        redisFree(pc);
}

int main(void) {
        fixture_init();
        server_start();
        g_private_port = server_spawn();

        test_round_trip();
        test_fencing();
        test_retry();
        test_read_decisions();
        test_read_rankings();
        test_read_reps();
        test_library_reload();
        test_url();

        redisFree(g_raw);
        servers_stop();
        CHECK_DONE();
}
