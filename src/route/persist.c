/*
 * persist.c - see persist.h. Records are written whole (absolute values,
 * not increments): only the owner of a tenant writes it, so a write that
 * is retried, or replayed over an older copy, lands on the same state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonw.h"
#include "pack.h"
#include "persist.h"
#include "tenant.h"
#include "timeutil.h"
#include "workhours.h"
#include "xalloc.h"

#define LR_REC_VERSION 1

/* ---- argument lists ---------------------------------------------------------
 */

void lr_args_add(lr_args_t *a, const char *s, size_t len) {
        if (a->cnt == a->size) {
                size_t size = a->size;
                lr_xgrow(&a->v, &size, a->cnt + 1, sizeof(*a->v));
                a->len  = lr_xrealloc(a->len, size * sizeof(*a->len));
                a->size = size;
        }
        a->v[a->cnt]   = lr_xstrndup(s, len);
        a->len[a->cnt] = len;
        a->cnt++;
}

/* fmt formatted into buf, or into a malloc()ed string when it does not
 * fit (a decision's JSON, an event's refs); its length into *len. */
static char *lr_vfmt(char *buf, size_t size, size_t *len, const char *fmt,
                     va_list ap) {
        va_list aq;
        int n;
        va_copy(aq, ap);
        n = vsnprintf(buf, size, fmt, aq);
        va_end(aq);
        *len = n < 0 ? 0 : (size_t)n;
        if (n < 0 || (size_t)n < size)
                return buf;
        buf = lr_xmalloc(*len + 1);
        vsnprintf(buf, *len + 1, fmt, ap);
        return buf;
}

void lr_args_addf(lr_args_t *a, const char *fmt, ...) {
        char buf[512], *s;
        size_t len;
        va_list ap;
        va_start(ap, fmt);
        s = lr_vfmt(buf, sizeof(buf), &len, fmt, ap);
        va_end(ap);
        lr_args_add(a, s, len);
        if (s != buf)
                free(s);
}

static void lr_args_adds(lr_args_t *a, const char *s) {
        lr_args_add(a, s, strlen(s));
}

void lr_args_free(lr_args_t *a) {
        size_t i;
        for (i = 0; i < a->cnt; i++)
                free(a->v[i]);
        free(a->v);
        free(a->len);
        memset(a, 0, sizeof(*a));
}

/* A group being written: its count is patched at the end. */
typedef struct lr_group_s {
        lr_args_t *a;
        size_t count_at, n;
} lr_group_t;

static void lr_group_begin(lr_group_t *g, lr_args_t *a, const char *op,
                           const char *key) {
        g->a = a;
        lr_args_adds(a, op);
        lr_args_adds(a, key);
        g->count_at = a->cnt;
        lr_args_adds(a, "0");
        g->n = 0;
}

/* Ends the group: 1 if it had items, else it is taken back. */
static size_t lr_group_end(lr_group_t *g) {
        char num[24];
        size_t i;
        if (!g->n) {
                for (i = g->count_at - 2; i < g->a->cnt; i++)
                        free(g->a->v[i]);
                g->a->cnt = g->count_at - 2;
                return 0;
        }
        free(g->a->v[g->count_at]);
        snprintf(num, sizeof(num), "%zu", g->n);
        g->a->v[g->count_at]   = lr_xstrdup(num);
        g->a->len[g->count_at] = strlen(num);
        return 1;
}

static void lr_group_item(lr_group_t *g, const char *s, size_t len) {
        lr_args_add(g->a, s, len);
}

/* ---- numbers in packed records: integral values as varints ----------------
 */

static void lr_put_num(lr_buf_t *b, double v) {
        if (v == (double)(int64_t)v && v > -9e15 && v < 9e15) {
                lr_put_i64(b, (int64_t)v * 2);
        } else {
                lr_put_i64(b, 1);
                lr_put_f64(b, v);
        }
}

static double lr_get_num(lr_rd_t *r) {
        int64_t tag = lr_get_i64(r);
        if (tag == 1)
                return lr_get_f64(r);
        return (double)(tag / 2);
}

/* ---- records
 * ------------------------------------------------------------------ */

static void lr_rep_pack(const lr_rep_t *r, lr_buf_t *b) {
        size_t i;
        lr_put_u64(b, LR_REC_VERSION);
        lr_put_i64(b, r->active);
        lr_put_i64(b, r->tier);
        lr_put_i64(b, r->handled);
        lr_put_i64(b, r->open);
        lr_put_i64(b, r->max_open);
        lr_put_i64(b, r->tday);
        lr_put_i64(b, r->tn);
        lr_put_i64(b, r->st);
        lr_put_i64(b, r->st_at);
        lr_put_i64(b, r->has_until);
        lr_put_i64(b, r->until);
        lr_put_u64(b, r->hist_cnt);
        for (i = 0; i < r->hist_cnt; i++) {
                lr_put_i64(b, r->hist[i].at);
                lr_put_i64(b, r->hist[i].status);
                lr_put_i64(b, r->hist[i].has_until);
                lr_put_i64(b, r->hist[i].until);
                lr_put_str(b, r->hist[i].eid);
        }
        lr_put_str(b, r->name);
        lr_put_str(b, r->team);
        lr_put_str(b, r->hours_text);
        lr_put_i64(b, r->has_hired_at);
        lr_put_i64(b, r->hired_at);
        lr_put_str(b, r->regions);
        lr_put_str(b, r->tz);
        lr_put_f64(b, r->comp);
        lr_put_i64(b, r->ranked);
        lr_put_i64(b, r->has_pass);
        lr_put_f64(b, r->pass);
        lr_put_i64(b, r->has_share);
        lr_put_f64(b, r->share);
        lr_put_i64(b, r->missed_at);
}

static int lr_rep_hours(lr_rep_t *r, char *errstr, size_t size) {
        char compiled[1024];
        const char *c = compiled;
        size_t n      = 1;
        if (!r->hours_text)
                return 0;
        if (lr_workhours_compile(r->hours_text, compiled, sizeof(compiled),
                                 errstr, size))
                return -1;
        if (!strcmp(compiled, "*"))
                return 0;
        for (c = compiled; *c; c++)
                n += *c == ',';
        r->hours = lr_xcalloc(2 * n, sizeof(int));
        for (c = compiled; *c;) {
                char *end;
                r->hours[r->hours_cnt++] = (int)strtol(c, &end, 10);
                c                        = end + (*end == '-' || *end == ',');
        }
        return 0;
}

static int lr_rep_unpack(lr_rep_t *r, const char *p, size_t len, char *errstr,
                         size_t size) {
        lr_rd_t rd;
        size_t i, n;
        lr_rd_init(&rd, p, len);
        if (lr_get_u64(&rd) != LR_REC_VERSION)
                rd.err = 1;
        r->active    = lr_get_int(&rd);
        r->tier      = lr_get_int(&rd);
        r->handled   = lr_get_i64(&rd);
        r->open      = lr_get_int(&rd);
        r->max_open  = lr_get_int(&rd);
        r->tday      = lr_get_int(&rd);
        r->tn        = lr_get_int(&rd);
        r->st        = lr_get_int(&rd);
        r->st_at     = lr_get_i64(&rd);
        r->has_until = lr_get_int(&rd);
        r->until     = lr_get_i64(&rd);
        n            = (size_t)lr_get_u64(&rd);
        if (n > LR_HISTORY_KEEP)
                rd.err = 1;
        r->hist = rd.err ? NULL : lr_xcalloc(n + 1, sizeof(*r->hist));
        for (i = 0; !rd.err && i < n; i++) {
                r->hist[i].at        = lr_get_i64(&rd);
                r->hist[i].status    = lr_get_int(&rd);
                r->hist[i].has_until = lr_get_int(&rd);
                r->hist[i].until     = lr_get_i64(&rd);
                r->hist[i].eid       = lr_get_str(&rd);
                r->hist_cnt++;
        }
        r->name         = lr_get_str(&rd);
        r->team         = lr_get_str(&rd);
        r->hours_text   = lr_get_str(&rd);
        r->has_hired_at = lr_get_int(&rd);
        r->hired_at     = lr_get_i64(&rd);
        r->regions      = lr_get_str(&rd);
        r->tz           = lr_get_str(&rd);
        r->comp         = lr_get_f64(&rd);
        r->ranked       = lr_get_int(&rd);
        r->has_pass     = lr_get_int(&rd);
        r->pass         = lr_get_f64(&rd);
        r->has_share    = lr_get_int(&rd);
        r->share        = lr_get_f64(&rd);
        r->missed_at    = lr_get_i64(&rd);
        if (lr_rd_done(&rd)) {
                snprintf(errstr, size, "rep %s: unreadable record", r->id);
                return -1;
        }
        if (lr_rep_hours(r, errstr, size))
                return -1;
        if (r->tz && !(r->zone = lr_tzdb_zone(r->tz, errstr, size)))
                return -1;
        return 0;
}

void lr_persist_bucket_pack(const lr_bucket_t *b, char **out, size_t *len) {
        lr_buf_t buf = {NULL, 0, 0};
        int k, last = 0;
        lr_put_u64(&buf, LR_REC_VERSION);
        /* tier classes up to the last used one */
        for (k = 0; k < LR_TIER_CLASSES; k++)
                if (b->n[k] || b->c[k] || b->x[k])
                        last = k + 1;
        lr_put_u64(&buf, (uint64_t)last);
        for (k = 0; k < last; k++) {
                lr_put_i64(&buf, b->n[k]);
                lr_put_i64(&buf, b->c[k]);
                lr_put_i64(&buf, b->x[k]);
        }
        lr_put_i64(&buf, b->calls);
        lr_put_i64(&buf, b->won);
        lr_put_i64(&buf, b->lost);
        lr_put_i64(&buf, b->won_value_cents);
        lr_put_num(&buf, b->cycle_days_sum);
        lr_put_i64(&buf, b->cycle_n);
        lr_put_num(&buf, b->stl_minutes_sum);
        lr_put_i64(&buf, b->stl_n);
        *out = buf.p;
        *len = buf.len;
}

int lr_persist_bucket_unpack(const char *p, size_t len, int32_t day,
                             lr_bucket_t *b) {
        lr_rd_t rd;
        uint64_t last;
        int k;
        memset(b, 0, sizeof(*b));
        b->day = day;
        lr_rd_init(&rd, p, len);
        if (lr_get_u64(&rd) != LR_REC_VERSION)
                return -1;
        last = lr_get_u64(&rd);
        if (last > LR_TIER_CLASSES)
                return -1;
        for (k = 0; k < (int)last; k++) {
                b->n[k] = lr_get_i64(&rd);
                b->c[k] = lr_get_i64(&rd);
                b->x[k] = lr_get_i64(&rd);
        }
        b->calls           = lr_get_i64(&rd);
        b->won             = lr_get_i64(&rd);
        b->lost            = lr_get_i64(&rd);
        b->won_value_cents = lr_get_i64(&rd);
        b->cycle_days_sum  = lr_get_num(&rd);
        b->cycle_n         = lr_get_i64(&rd);
        b->stl_minutes_sum = lr_get_num(&rd);
        b->stl_n           = lr_get_i64(&rd);
        return lr_rd_done(&rd);
}

static void lr_lead_pack(const lr_lead_t *l, lr_buf_t *b) {
        size_t i;
        lr_put_u64(b, LR_REC_VERSION);
        lr_put_i64(b, l->state);
        lr_put_i64(b, l->tier);
        lr_put_i64(b, l->created_at);
        lr_put_str(b, l->eid);
        lr_put_str(b, l->src_topic);
        lr_put_i64(b, l->src_partition);
        lr_put_i64(b, l->src_offset);
        lr_put_str(b, l->region);
        lr_put_str(b, l->acct);
        lr_put_i64(b, l->attempt);
        lr_put_str(b, l->rep ? l->rep->id : NULL);
        lr_put_i64(b, l->touched);
        lr_put_i64(b, l->has_qt);
        lr_put_i64(b, l->qt);
        lr_put_i64(b, l->has_at);
        lr_put_i64(b, l->at);
        lr_put_i64(b, l->has_t0);
        lr_put_i64(b, l->t0);
        lr_put_i64(b, l->day);
        lr_put_i64(b, l->cls);
        lr_put_i64(b, l->conv);
        lr_put_i64(b, l->closed);
        lr_put_i64(b, l->closed_at);
        lr_put_u64(b, l->prev_cnt);
        for (i = 0; i < l->prev_cnt; i++)
                lr_put_str(b, l->prev[i]);
}

static int lr_lead_unpack(lr_tenant_t *t, lr_lead_t *l, const char *p,
                          size_t len) {
        lr_rd_t rd;
        char *rep;
        size_t i, n;
        lr_rd_init(&rd, p, len);
        if (lr_get_u64(&rd) != LR_REC_VERSION)
                rd.err = 1;
        free(l->eid);
        free(l->src_topic);
        l->state         = lr_get_int(&rd);
        l->tier          = lr_get_int(&rd);
        l->created_at    = lr_get_i64(&rd);
        l->eid           = lr_get_str(&rd);
        l->src_topic     = lr_get_str(&rd);
        l->src_partition = lr_get_int(&rd);
        l->src_offset    = lr_get_i64(&rd);
        l->region        = lr_get_str(&rd);
        l->acct          = lr_get_str(&rd);
        l->attempt       = lr_get_int(&rd);
        rep              = lr_get_str(&rd);
        l->touched       = lr_get_int(&rd);
        l->has_qt        = lr_get_int(&rd);
        l->qt            = lr_get_i64(&rd);
        l->has_at        = lr_get_int(&rd);
        l->at            = lr_get_i64(&rd);
        l->has_t0        = lr_get_int(&rd);
        l->t0            = lr_get_i64(&rd);
        l->day           = lr_get_int(&rd);
        l->cls           = lr_get_int(&rd);
        l->conv          = lr_get_int(&rd);
        l->closed        = lr_get_int(&rd);
        l->closed_at     = lr_get_i64(&rd);
        n                = (size_t)lr_get_u64(&rd);
        if (n > 10000)
                rd.err = 1;
        l->prev = rd.err || !n ? NULL : lr_xcalloc(n, sizeof(*l->prev));
        for (i = 0; !rd.err && i < n; i++) {
                l->prev[i] = lr_get_str(&rd);
                l->prev_cnt++;
        }
        if (!l->eid)
                l->eid = lr_xstrdup("");
        if (!l->src_topic)
                l->src_topic = lr_xstrdup("");
        if (rep) {
                l->rep = lr_rep_get(t, rep);
                if (!l->rep)
                        rd.err = 1;
        }
        free(rep);
        if (l->cls < 0 || l->cls >= LR_TIER_CLASSES || l->tier < 0 ||
            l->tier >= LR_TIER_CLASSES)
                rd.err = 1;
        return lr_rd_done(&rd);
}

void lr_persist_ranking_pack(const lr_ranking_t *k, char **out, size_t *len) {
        lr_buf_t b = {NULL, 0, 0};
        size_t i;
        int m;
        lr_put_u64(&b, LR_REC_VERSION);
        lr_put_i64(&b, k->evaluated);
        lr_put_u64(&b, k->cnt);
        for (i = 0; i < k->cnt; i++) {
                const lr_rep_rank_t *r = &k->ranks[i];
                const lr_tally_t *y    = &r->tally;
                lr_put_str(&b, r->rep_id);
                lr_put_i64(&b, r->tier);
                lr_put_i64(&b, r->new_tier);
                lr_put_i64(&b, r->handled);
                lr_put_i64(&b, r->active);
                lr_put_i64(&b, r->rank);
                lr_put_f64(&b, r->composite);
                lr_put_f64(&b, r->tier_mean);
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        lr_put_num(&b, r->value[m]);
                        lr_put_num(&b, r->score[m]);
                }
                lr_put_num(&b, y->assigned);
                for (m = 0; m < LR_TIER_CLASSES; m++) {
                        lr_put_num(&b, y->resolved[m]);
                        lr_put_num(&b, y->converted[m]);
                }
                lr_put_num(&b, y->calls);
                lr_put_num(&b, y->won);
                lr_put_num(&b, y->lost);
                lr_put_num(&b, y->won_value_cents);
                lr_put_num(&b, y->cycle_days_sum);
                lr_put_num(&b, y->cycle_n);
                lr_put_num(&b, y->stl_minutes_sum);
                lr_put_num(&b, y->stl_n);
        }
        *out = b.p;
        *len = b.len;
}

int lr_persist_ranking_unpack(const char *p, size_t len, int32_t day,
                              lr_ranking_t *k) {
        lr_rd_t rd;
        size_t i, n;
        int m;
        memset(k, 0, sizeof(*k));
        lr_rd_init(&rd, p, len);
        if (lr_get_u64(&rd) != LR_REC_VERSION)
                return -1;
        k->day       = day;
        k->evaluated = lr_get_int(&rd);
        n            = (size_t)lr_get_u64(&rd);
        if (rd.err || n > len)
                return -1;
        k->ranks = lr_xcalloc(n + 1, sizeof(*k->ranks));
        for (i = 0; i < n && !rd.err; i++) {
                lr_rep_rank_t *r = &k->ranks[i];
                lr_tally_t *y    = &r->tally;
                k->cnt++;
                r->rep_id    = lr_get_str(&rd);
                r->tier      = lr_get_int(&rd);
                r->new_tier  = lr_get_int(&rd);
                r->handled   = lr_get_i64(&rd);
                r->active    = lr_get_int(&rd);
                r->rank      = lr_get_int(&rd);
                r->composite = lr_get_f64(&rd);
                r->tier_mean = lr_get_f64(&rd);
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        r->value[m] = lr_get_num(&rd);
                        r->score[m] = lr_get_num(&rd);
                }
                y->assigned = lr_get_num(&rd);
                for (m = 0; m < LR_TIER_CLASSES; m++) {
                        y->resolved[m]  = lr_get_num(&rd);
                        y->converted[m] = lr_get_num(&rd);
                }
                y->calls           = lr_get_num(&rd);
                y->won             = lr_get_num(&rd);
                y->lost            = lr_get_num(&rd);
                y->won_value_cents = lr_get_num(&rd);
                y->cycle_days_sum  = lr_get_num(&rd);
                y->cycle_n         = lr_get_num(&rd);
                y->stl_minutes_sum = lr_get_num(&rd);
                y->stl_n           = lr_get_num(&rd);
                if (!r->rep_id)
                        rd.err = 1;
        }
        if (lr_rd_done(&rd)) {
                lr_ranking_clear(k);
                return -1;
        }
        return 0;
}

/* ---- decisions and tier changes as JSON ------------------------------------
 */

char *lr_persist_decision_json(const lr_assigned_t *d) {
        lr_buf_t b = {0};
        lr_jw_t w;
        size_t i;
        lr_jw_init(&w, &b);
        lr_jw_open(&w, NULL, '{');
        lr_jw_str(&w, "event_id", d->event_id);
        lr_jw_str(&w, "tenant_id", d->tenant_id);
        lr_jw_str(&w, "lead_id", d->lead_id);
        lr_jw_str(&w, "rep_id", d->rep_id);
        lr_jw_int(&w, "decided_at", d->decided_at);
        lr_jw_int(&w, "attempt", d->attempt);
        lr_jw_str(&w, "reason", d->reason);
        lr_jw_str(&w, "strategy", d->strategy);
        lr_jw_int(&w, "lead_tier", d->lead_tier);
        lr_jw_int(&w, "rep_tier", d->rep_tier);
        lr_jw_int(&w, "rep_rank", d->rep_rank);
        lr_jw_num(&w, "rep_score", d->rep_score);
        lr_jw_int(&w, "wait_ms", d->wait_ms);
        lr_jw_open(&w, "skipped", '[');
        for (i = 0; i < d->skipped_cnt; i++) {
                lr_jw_open(&w, NULL, '{');
                lr_jw_str(&w, "rep_id", d->skipped[i].rep_id);
                lr_jw_str(&w, "why", d->skipped[i].why);
                lr_jw_close(&w, '}');
        }
        lr_jw_close(&w, ']');
        lr_jw_str(&w, "explanation", d->explanation);
        lr_jw_str(&w, "policy_version", d->policy_version);
        lr_jw_str(&w, "source_topic", d->source_topic);
        lr_jw_int(&w, "source_partition", d->source_partition);
        lr_jw_int(&w, "source_offset", d->source_offset);
        if (d->inputs_cnt) {
                lr_jw_open(&w, "inputs_applied", '{');
                for (i = 0; i < d->inputs_cnt; i++)
                        lr_jw_int(&w, d->inputs[i].key, d->inputs[i].next);
                lr_jw_close(&w, '}');
        } else {
                lr_jw_null(&w, "inputs_applied");
        }
        if (d->has_routed_at)
                lr_jw_int(&w, "routed_at", d->routed_at);
        else
                lr_jw_null(&w, "routed_at");
        if (d->installs_cnt) {
                lr_jw_open(&w, "rankings_installed", '[');
                for (i = 0; i < d->installs_cnt; i++) {
                        const lr_install_t *in = &d->installs[i];
                        size_t k;
                        lr_jw_open(&w, NULL, '{');
                        lr_jw_int(&w, "day", in->day);
                        lr_jw_open(&w, "inputs_applied", '{');
                        for (k = 0; k < in->inputs_cnt; k++)
                                lr_jw_int(&w, in->inputs[k].key,
                                          in->inputs[k].next);
                        lr_jw_close(&w, '}');
                        lr_jw_close(&w, '}');
                }
                lr_jw_close(&w, ']');
        } else {
                lr_jw_null(&w, "rankings_installed");
        }
        lr_jw_close(&w, '}');
        return lr_jw_take(&w);
}

static char *lr_json_str(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? lr_xstrdup(s) : NULL;
}

static int64_t lr_json_int(json_t *o, const char *key) {
        return (int64_t)json_integer_value(json_object_get(o, key));
}

/* A JSON object of input positions ("<topic>:<partition>": next), or
 * NULL when there is none. */
static lr_position_t *lr_json_positions(json_t *in, size_t *cnt) {
        lr_position_t *v = NULL;
        const char *k;
        json_t *x;
        *cnt = 0;
        if (!json_is_object(in) || !json_object_size(in))
                return NULL;
        v = lr_xcalloc(json_object_size(in), sizeof(*v));
        json_object_foreach(in, k, x) {
                v[*cnt].key      = lr_xstrdup(k);
                v[(*cnt)++].next = (int64_t)json_integer_value(x);
        }
        return v;
}

int lr_persist_decision_parse(const char *json, size_t len, lr_assigned_t *d) {
        json_t *o = json_loadb(json, len, 0, NULL), *sk;
        size_t i;
        memset(d, 0, sizeof(*d));
        if (!json_is_object(o)) {
                json_decref(o);
                return -1;
        }
        d->event_id       = lr_json_str(o, "event_id");
        d->tenant_id      = lr_json_str(o, "tenant_id");
        d->lead_id        = lr_json_str(o, "lead_id");
        d->rep_id         = lr_json_str(o, "rep_id");
        d->decided_at     = lr_json_int(o, "decided_at");
        d->attempt        = (int32_t)lr_json_int(o, "attempt");
        d->reason         = lr_json_str(o, "reason");
        d->strategy       = lr_json_str(o, "strategy");
        d->lead_tier      = (int32_t)lr_json_int(o, "lead_tier");
        d->rep_tier       = (int32_t)lr_json_int(o, "rep_tier");
        d->rep_rank       = (int32_t)lr_json_int(o, "rep_rank");
        d->rep_score      = json_number_value(json_object_get(o, "rep_score"));
        d->wait_ms        = lr_json_int(o, "wait_ms");
        d->explanation    = lr_json_str(o, "explanation");
        d->policy_version = lr_json_str(o, "policy_version");
        d->source_topic   = lr_json_str(o, "source_topic");
        d->source_partition = (int32_t)lr_json_int(o, "source_partition");
        d->source_offset    = lr_json_int(o, "source_offset");
        {
                json_t *ri = json_object_get(o, "rankings_installed"), *x;
                d->inputs  = lr_json_positions(
                     json_object_get(o, "inputs_applied"), &d->inputs_cnt);
                if (json_array_size(ri))
                        d->installs = lr_xcalloc(json_array_size(ri),
                                                 sizeof(*d->installs));
                json_array_foreach(ri, i, x) {
                        lr_install_t *in = &d->installs[d->installs_cnt++];
                        in->day          = (int32_t)lr_json_int(x, "day");
                        in->inputs       = lr_json_positions(
                                  json_object_get(x, "inputs_applied"),
                                  &in->inputs_cnt);
                }
                if (json_is_integer(json_object_get(o, "routed_at"))) {
                        d->has_routed_at = 1;
                        d->routed_at     = lr_json_int(o, "routed_at");
                }
        }
        sk             = json_object_get(o, "skipped");
        d->skipped_cnt = json_array_size(sk);
        d->skipped     = d->skipped_cnt
                             ? lr_xcalloc(d->skipped_cnt, sizeof(*d->skipped))
                             : NULL;
        for (i = 0; i < d->skipped_cnt; i++) {
                json_t *e            = json_array_get(sk, i);
                d->skipped[i].rep_id = lr_json_str(e, "rep_id");
                d->skipped[i].why    = lr_json_str(e, "why");
        }
        json_decref(o);
        if (!d->event_id || !d->tenant_id || !d->lead_id || !d->rep_id ||
            !d->reason || !d->strategy) {
                lr_assigned_clear(d);
                return -1;
        }
        return 0;
}

char *lr_persist_tier_change_json(const lr_tier_changed_t *tc) {
        lr_buf_t b = {0};
        lr_jw_t w;
        lr_jw_init(&w, &b);
        lr_jw_open(&w, NULL, '{');
        lr_jw_str(&w, "event_id", tc->event_id);
        lr_jw_str(&w, "tenant_id", tc->tenant_id);
        lr_jw_str(&w, "rep_id", tc->rep_id);
        lr_jw_int(&w, "from_tier", tc->from_tier);
        lr_jw_int(&w, "to_tier", tc->to_tier);
        lr_jw_num(&w, "composite", tc->composite);
        lr_jw_num(&w, "tier_mean", tc->tier_mean);
        lr_jw_int(&w, "decided_at", tc->decided_at);
        lr_jw_str(&w, "reason", tc->reason);
        lr_jw_close(&w, '}');
        return lr_jw_take(&w);
}

int lr_persist_tier_change_parse(const char *json, size_t len,
                                 lr_tier_changed_t *tc) {
        json_t *o = json_loadb(json, len, 0, NULL);
        memset(tc, 0, sizeof(*tc));
        if (!json_is_object(o)) {
                json_decref(o);
                return -1;
        }
        tc->event_id   = lr_json_str(o, "event_id");
        tc->tenant_id  = lr_json_str(o, "tenant_id");
        tc->rep_id     = lr_json_str(o, "rep_id");
        tc->from_tier  = (int32_t)lr_json_int(o, "from_tier");
        tc->to_tier    = (int32_t)lr_json_int(o, "to_tier");
        tc->composite  = json_number_value(json_object_get(o, "composite"));
        tc->tier_mean  = json_number_value(json_object_get(o, "tier_mean"));
        tc->decided_at = lr_json_int(o, "decided_at");
        tc->reason     = lr_json_str(o, "reason");
        json_decref(o);
        if (!tc->event_id || !tc->tenant_id || !tc->rep_id || !tc->reason) {
                lr_tier_changed_clear(tc);
                return -1;
        }
        return 0;
}

/* ---- the changes
 * --------------------------------------------------------------- */

static void lr_item_buf(lr_group_t *g, lr_buf_t *b) {
        lr_group_item(g, b->p ? b->p : "", b->len);
        g->n++;
        b->len = 0;
}

static void lr_item_str(lr_group_t *g, const char *s) {
        lr_group_item(g, s, strlen(s));
}

static void lr_item_fmt(lr_group_t *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void lr_item_fmt(lr_group_t *g, const char *fmt, ...) {
        char buf[512], *s;
        size_t len;
        va_list ap;
        va_start(ap, fmt);
        s = lr_vfmt(buf, sizeof(buf), &len, fmt, ap);
        va_end(ap);
        lr_group_item(g, s, len);
        if (s != buf)
                free(s);
}

static size_t lr_persist_deletes(lr_tenant_t *t, lr_args_t *ops) {
        static const struct {
                int what;
                const char *op, *key;
        } kinds[] = {{LR_GONE_LEAD, "HDEL", "leads"},
                     {LR_GONE_TIMER, "ZREM", "timers"},
                     {LR_GONE_OUTBOX, "HDEL", "outbox"},
                     {LR_GONE_RANKING, "HDEL", "hist"}};
        lr_group_t g;
        size_t groups = 0, i, k;
        char key[512];

        for (k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
                lr_group_begin(&g, ops, kinds[k].op, kinds[k].key);
                for (i = 0; i < t->gone_cnt; i++) {
                        const lr_gone_t *x = &t->gone[i];
                        if (x->what != kinds[k].what)
                                continue;
                        if (x->what == LR_GONE_RANKING)
                                lr_item_fmt(&g, "%d", (int)x->day);
                        else
                                lr_item_str(&g, x->a);
                        g.n++;
                }
                groups += lr_group_end(&g);
        }
        /* the events applied on a day that left the dedup window */
        for (i = 0; i < t->gone_cnt; i++) {
                if (t->gone[i].what != LR_GONE_EVDAY)
                        continue;
                snprintf(key, sizeof(key), "ev:%d", (int)t->gone[i].day);
                lr_args_adds(ops, "DEL");
                lr_args_adds(ops, key);
                lr_args_adds(ops, "0");
                groups++;
        }
        /* a lead's decisions go with it */
        lr_group_begin(&g, ops, "HDEL", "dec");
        for (i = 0; i < t->gone_cnt; i++) {
                const lr_gone_t *x = &t->gone[i];
                int a;
                if (x->what != LR_GONE_LEAD)
                        continue;
                for (a = 1; a <= x->day; a++) {
                        lr_item_fmt(&g, "%s#%d", x->a, a);
                        g.n++;
                }
        }
        groups += lr_group_end(&g);
        /* buckets, one group per rep */
        for (i = 0; i < t->gone_cnt; i++) {
                const lr_gone_t *x = &t->gone[i];
                size_t j;
                if (x->what != LR_GONE_BUCKET || !x->a)
                        continue;
                snprintf(key, sizeof(key), "m:%s", x->a);
                lr_group_begin(&g, ops, "HDEL", key);
                for (j = i; j < t->gone_cnt; j++) {
                        lr_gone_t *y = &t->gone[j];
                        if (y->what == LR_GONE_BUCKET && y->a &&
                            !strcmp(y->a, x->a)) {
                                lr_item_fmt(&g, "%d", (int)y->day);
                                g.n++;
                                if (j > i) {
                                        free(y->a);
                                        y->a = NULL;
                                }
                        }
                }
                groups += lr_group_end(&g);
        }
        return groups;
}

/* The installs not yet carried by a decision, as text (the meta hash is
 * readable by anyone): "<day> <topic>:<partition>=<next>,...;<day> ...". */
static void lr_installs_pack(const lr_install_t *v, size_t n, lr_buf_t *b) {
        char num[64];
        size_t i, k;
        for (i = 0; i < n; i++) {
                snprintf(num, sizeof(num), "%s%d ", i ? ";" : "",
                         (int)v[i].day);
                lr_buf_put(b, num, strlen(num));
                for (k = 0; k < v[i].inputs_cnt; k++) {
                        lr_buf_put(b, v[i].inputs[k].key,
                                   strlen(v[i].inputs[k].key));
                        snprintf(num, sizeof(num), "=%lld%s",
                                 (long long)v[i].inputs[k].next,
                                 k + 1 < v[i].inputs_cnt ? "," : "");
                        lr_buf_put(b, num, strlen(num));
                }
        }
}

/* Reads lr_installs_pack's text (s: NUL-terminated); an unreadable one
 * is dropped (the replay then installs those days by event time). */
static void lr_installs_unpack(lr_tenant_t *t, char *s) {
        char *save = NULL, *item;
        for (item = strtok_r(s, ";", &save); item;
             item = strtok_r(NULL, ";", &save)) {
                char *sp = strchr(item, ' '), *save2 = NULL, *kv;
                lr_install_t *in;
                if (!sp)
                        break;
                *sp         = '\0';
                t->installs = lr_xrealloc(
                    t->installs, (t->installs_cnt + 1) * sizeof(*t->installs));
                in = &t->installs[t->installs_cnt++];
                memset(in, 0, sizeof(*in));
                in->day = (int32_t)strtol(item, NULL, 10);
                for (kv = strtok_r(sp + 1, ",", &save2); kv;
                     kv = strtok_r(NULL, ",", &save2)) {
                        char *eq = strrchr(kv, '=');
                        if (!eq)
                                continue;
                        *eq = '\0';
                        in->inputs =
                            lr_xrealloc(in->inputs, (in->inputs_cnt + 1) *
                                                        sizeof(*in->inputs));
                        in->inputs[in->inputs_cnt].key = lr_xstrdup(kv);
                        in->inputs[in->inputs_cnt].next =
                            strtoll(eq + 1, NULL, 10);
                        in->inputs_cnt++;
                }
        }
}

static size_t lr_persist_meta(lr_tenant_t *t, lr_args_t *ops) {
        lr_group_t g;
        size_t i = 0;
        const char *k;
        void *v;

        lr_group_begin(&g, ops, "H", "meta");
        lr_item_str(&g, "v");
        lr_item_str(&g, LR_PERSIST_LAYOUT);
        g.n++;
        if (t->ranking_dirty) {
                lr_item_str(&g, "rankday");
                lr_item_fmt(&g, "%d", (int)t->rankday);
                g.n++;
        }
        if (t->cursors_dirty) {
                if (t->rr) {
                        lr_item_str(&g, "rr");
                        lr_item_str(&g, t->rr);
                        g.n++;
                }
                if (t->has_vt) {
                        lr_item_str(&g, "vt");
                        lr_item_fmt(&g, "%.17g", t->vt);
                        g.n++;
                }
                for (i = 0; i <= LR_MAX_TIERS; i++) {
                        if (!t->share_vt[i])
                                continue;
                        lr_item_fmt(&g, "sv:%d", (int)i);
                        lr_item_fmt(&g, "%.17g", t->share_vt[i]);
                        g.n++;
                }
                i = 0;
                while (lr_dict_next(&t->cursors, &i, &k, &v)) {
                        lr_item_fmt(&g, "c:%s", k);
                        lr_item_str(&g, v);
                        g.n++;
                }
        }
        if (t->positions_dirty) {
                i = 0;
                while (lr_dict_next(&t->positions, &i, &k, &v)) {
                        lr_item_fmt(&g, "p:%s", k);
                        lr_item_str(&g, v);
                        g.n++;
                }
        }
        if (t->installs_dirty) {
                lr_buf_t b = {NULL, 0, 0};
                lr_installs_pack(t->installs, t->installs_cnt, &b);
                lr_item_str(&g, "inst");
                lr_group_item(&g, b.p ? b.p : "", b.len);
                g.n++;
                lr_buf_free(&b);
        }
        if (t->outbox_dirty) {
                lr_item_str(&g, "oseq");
                lr_item_fmt(&g, "%llu", (unsigned long long)t->outbox_seq);
                g.n++;
        }
        return lr_group_end(&g);
}

size_t lr_persist_changes(lr_tenant_t *t, lr_args_t *ops) {
        lr_buf_t b = {NULL, 0, 0};
        lr_group_t g;
        size_t groups, i, j;
        char key[512];
        const char *k;
        void *v;

        groups = lr_persist_deletes(t, ops);

        lr_group_begin(&g, ops, "H", "reps");
        for (i = 0; i < t->dirty_reps_cnt; i++) {
                lr_rep_t *r = t->dirty_reps[i];
                if (!(r->dirty & LR_DIRTY_STATE))
                        continue;
                lr_item_str(&g, r->id);
                lr_rep_pack(r, &b);
                lr_item_buf(&g, &b);
        }
        groups += lr_group_end(&g);

        /* buckets, one group per rep */
        for (i = 0; i < t->dirty_buckets_cnt; i++) {
                lr_rep_t *r = t->dirty_buckets[i].rep;
                if (!r)
                        continue;
                snprintf(key, sizeof(key), "m:%s", r->id);
                lr_group_begin(&g, ops, "H", key);
                for (j = i; j < t->dirty_buckets_cnt; j++) {
                        size_t c;
                        if (t->dirty_buckets[j].rep != r)
                                continue;
                        for (c = 0; c < r->b_cnt; c++) {
                                if (r->b[c].day == t->dirty_buckets[j].day) {
                                        char *p;
                                        size_t len;
                                        lr_item_fmt(&g, "%d", (int)r->b[c].day);
                                        lr_persist_bucket_pack(&r->b[c], &p,
                                                               &len);
                                        lr_group_item(&g, p, len);
                                        free(p);
                                        g.n++;
                                }
                        }
                        t->dirty_buckets[j].rep = NULL;
                }
                groups += lr_group_end(&g);
        }

        lr_group_begin(&g, ops, "H", "leads");
        for (i = 0; i < t->dirty_leads_cnt; i++) {
                lr_item_str(&g, t->dirty_leads[i]->id);
                lr_lead_pack(t->dirty_leads[i], &b);
                lr_item_buf(&g, &b);
        }
        groups += lr_group_end(&g);

        lr_group_begin(&g, ops, "H", "dec");
        for (i = 0; i < t->decs_cnt; i++) {
                char *json = lr_persist_decision_json(&t->decs[i].d);
                lr_item_str(&g, t->decs[i].ref);
                lr_item_str(&g, json);
                free(json);
                g.n++;
        }
        groups += lr_group_end(&g);

        /* the events applied, by day (ev:<day> goes whole when the day
         * leaves the dedup window) */
        for (i = 0; i < lr_seen_pending_cnt(t->seen); i++) {
                const char *eid, *refs;
                int32_t day, d2;
                int first = 1;
                lr_seen_pending(t->seen, i, &eid, &day, &refs);
                for (j = 0; j < i && first; j++) {
                        lr_seen_pending(t->seen, j, &eid, &d2, &refs);
                        first = d2 != day;
                }
                if (!first)
                        continue;
                snprintf(key, sizeof(key), "ev:%d", (int)day);
                lr_group_begin(&g, ops, "H", key);
                for (j = i; j < lr_seen_pending_cnt(t->seen); j++) {
                        lr_seen_pending(t->seen, j, &eid, &d2, &refs);
                        if (d2 != day)
                                continue;
                        lr_item_str(&g, eid);
                        lr_item_str(&g, refs);
                        g.n++;
                }
                groups += lr_group_end(&g);
        }

        lr_group_begin(&g, ops, "H", "acct");
        i = 0;
        while (lr_dict_next(&t->accounts_dirty, &i, &k, NULL)) {
                const char *rep = lr_account_owner(t, k);
                if (!rep)
                        continue;
                lr_item_str(&g, k);
                lr_item_str(&g, rep);
                g.n++;
        }
        groups += lr_group_end(&g);

        lr_group_begin(&g, ops, "Z", "timers");
        for (i = 0; i < t->timers_new_cnt; i++) {
                char member[512];
                lr_item_fmt(&g, "%lld", (long long)t->timers_new[i].due);
                lr_timer_member(&t->timers_new[i], member, sizeof(member));
                lr_item_str(&g, member);
                g.n++;
        }
        groups += lr_group_end(&g);

        lr_group_begin(&g, ops, "H", "outbox");
        for (i = 0; i < t->outbox_cnt; i++) {
                lr_outbox_item_t *o = &t->outbox[i];
                char *json;
                if (o->stored)
                        continue;
                json = o->is_tier_change ? lr_persist_tier_change_json(&o->tc)
                                         : lr_persist_decision_json(&o->d);
                lr_item_fmt(&g, "%llu", (unsigned long long)o->seq);
                lr_item_fmt(&g, "%c%s", o->is_tier_change ? 't' : 'd', json);
                free(json);
                o->stored = 1;
                g.n++;
        }
        groups += lr_group_end(&g);

        if (t->ranking_dirty && t->rankday >= 0) {
                char *p;
                size_t len;
                lr_group_begin(&g, ops, "H", "hist");
                lr_item_fmt(&g, "%d", (int)t->rankday);
                lr_persist_ranking_pack(&t->ranking, &p, &len);
                lr_group_item(&g, p, len);
                free(p);
                g.n++;
                groups += lr_group_end(&g);
        }
        groups += lr_persist_meta(t, ops);
        (void)v;
        lr_buf_free(&b);
        lr_tenant_clear_changes(t);
        return groups;
}

/* ---- loading
 * ----------------------------------------------------------------- */

static int lr_pairs_find(const lr_pairs_t *p, const char *key, const char **v,
                         size_t *vlen) {
        size_t i, n = strlen(key);
        for (i = 0; i < p->cnt; i++) {
                if (p->klen[i] == n && !memcmp(p->k[i], key, n)) {
                        *v    = p->v[i];
                        *vlen = p->vlen[i];
                        return 1;
                }
        }
        return 0;
}

static char *lr_pair_str(const char *s, size_t len) {
        return lr_xstrndup(s, len);
}

static void lr_load_meta(lr_tenant_t *t, const lr_pairs_t *m) {
        size_t i;
        for (i = 0; i < m->cnt; i++) {
                char *k = lr_pair_str(m->k[i], m->klen[i]);
                char *v = lr_pair_str(m->v[i], m->vlen[i]);
                if (!strcmp(k, "rankday"))
                        t->rankday = (int32_t)strtol(v, NULL, 10);
                else if (!strcmp(k, "rr")) {
                        free(t->rr);
                        t->rr = lr_xstrdup(v);
                } else if (!strcmp(k, "vt")) {
                        t->has_vt = 1;
                        t->vt     = strtod(v, NULL);
                } else if (!strncmp(k, "sv:", 3) && atoi(k + 3) >= 0 &&
                           atoi(k + 3) <= LR_MAX_TIERS)
                        t->share_vt[atoi(k + 3)] = strtod(v, NULL);
                else if (!strncmp(k, "c:", 2))
                        lr_dict_set_str(&t->cursors, k + 2, v);
                else if (!strncmp(k, "p:", 2))
                        lr_dict_set_str(&t->positions, k + 2, v);
                else if (!strcmp(k, "inst"))
                        lr_installs_unpack(t, v);
                else if (!strcmp(k, "oseq"))
                        t->outbox_seq = strtoull(v, NULL, 10);
                free(k);
                free(v);
        }
}

static int lr_load_reps(lr_tenant_t *t, const lr_stored_t *s, char *errstr,
                        size_t size) {
        size_t i, j;
        for (i = 0; i < s->reps.cnt; i++) {
                char *id    = lr_pair_str(s->reps.k[i], s->reps.klen[i]);
                lr_rep_t *r = lr_rep_insert(t, id);
                free(id);
                if (lr_rep_unpack(r, s->reps.v[i], s->reps.vlen[i], errstr,
                                  size))
                        return -1;
                for (j = 0; s->buckets && j < s->buckets[i].cnt; j++) {
                        const lr_pairs_t *bp = &s->buckets[i];
                        char *day = lr_pair_str(bp->k[j], bp->klen[j]);
                        lr_bucket_t b, *dst;
                        int rc = lr_persist_bucket_unpack(
                            bp->v[j], bp->vlen[j],
                            (int32_t)strtol(day, NULL, 10), &b);
                        free(day);
                        if (rc) {
                                snprintf(errstr, size,
                                         "rep %s: unreadable bucket", r->id);
                                return -1;
                        }
                        dst  = lr_rep_bucket(NULL, r, b.day);
                        *dst = b;
                }
                if (r->active && !r->ranked)
                        lr_reps_insert_sorted(&t->unranked, &t->unranked_cnt,
                                              &t->unranked_size, r);
        }
        lr_ranking_rebuild(t);
        return 0;
}

static int lr_load_leads(lr_tenant_t *t, const lr_pairs_t *p, char *errstr,
                         size_t size) {
        size_t i;
        for (i = 0; i < p->cnt; i++) {
                char *id     = lr_pair_str(p->k[i], p->klen[i]);
                lr_lead_t *l = lr_lead_add(t, id);
                free(id);
                if (lr_lead_unpack(t, l, p->v[i], p->vlen[i])) {
                        snprintf(errstr, size, "lead %s: unreadable record",
                                 l->id);
                        return -1;
                }
                if (l->state == LR_LEAD_QUEUED)
                        lr_queue_add(t, l);
                if (l->closed)
                        lr_closed_add(t, l);
                lr_lead_untouched(l);
        }
        return 0;
}

static int lr_outbox_seq_cmp(const void *a, const void *b) {
        const lr_outbox_item_t *x = a, *y = b;
        return (x->seq > y->seq) - (x->seq < y->seq);
}

static int lr_load_rest(lr_tenant_t *t, const lr_stored_t *s, char *errstr,
                        size_t size) {
        size_t i;
        for (i = 0; i < s->accounts.cnt; i++) {
                char *k = lr_pair_str(s->accounts.k[i], s->accounts.klen[i]);
                char *v = lr_pair_str(s->accounts.v[i], s->accounts.vlen[i]);
                lr_dict_set_str(&t->accounts, k, v);
                free(k);
                free(v);
        }
        for (i = 0; i < s->seen_cnt; i++) {
                const lr_pairs_t *p = &s->seen[i];
                size_t k;
                for (k = 0; k < p->cnt; k++) {
                        char *eid  = lr_pair_str(p->k[k], p->klen[k]);
                        char *refs = lr_pair_str(p->v[k], p->vlen[k]);
                        lr_seen_add(t->seen, eid, s->seen_day[i], refs, 0);
                        free(eid);
                        free(refs);
                }
        }
        for (i = 0; i < s->timers.cnt; i++) {
                char *m   = lr_pair_str(s->timers.k[i], s->timers.klen[i]);
                char *due = lr_pair_str(s->timers.v[i], s->timers.vlen[i]);
                char *p1  = strchr(m, '|'),
                     *p2  = p1 ? strchr(p1 + 1, '|') : NULL;
                if (p1 == m + 1 && p2)
                        lr_timer_push(t, m[0], atoi(p1 + 1), p2 + 1,
                                      strtoll(due, NULL, 10));
                free(m);
                free(due);
        }
        for (i = 0; i < s->outbox.cnt; i++) {
                lr_outbox_item_t *o;
                const char *v = s->outbox.v[i];
                size_t len    = s->outbox.vlen[i];
                int rc;
                lr_xgrow(&t->outbox, &t->outbox_size, t->outbox_cnt + 1,
                         sizeof(*t->outbox));
                o = &t->outbox[t->outbox_cnt];
                memset(o, 0, sizeof(*o));
                o->seq    = strtoull(s->outbox.k[i], NULL, 10);
                o->stored = 1;
                if (len && v[0] == 't') {
                        o->is_tier_change = 1;
                        rc = lr_persist_tier_change_parse(v + 1, len - 1,
                                                          &o->tc);
                } else {
                        rc = len ? lr_persist_decision_parse(v + 1, len - 1,
                                                             &o->d)
                                 : -1;
                }
                if (rc) {
                        snprintf(errstr, size, "outbox entry %llu unreadable",
                                 (unsigned long long)o->seq);
                        return -1;
                }
                t->outbox_cnt++;
                if (o->seq > t->outbox_seq)
                        t->outbox_seq = o->seq;
        }
        /* in the order recorded (the store's hash has none) */
        if (t->outbox_cnt > 1)
                qsort(t->outbox, t->outbox_cnt, sizeof(*t->outbox),
                      lr_outbox_seq_cmp);
        if (s->ranking && t->rankday >= 0 &&
            lr_persist_ranking_unpack(s->ranking, s->ranking_len, t->rankday,
                                      &t->ranking)) {
                snprintf(errstr, size, "ranking of day %d unreadable",
                         (int)t->rankday);
                return -1;
        }
        return 0;
}

int lr_persist_load(lr_tenant_t *t, const lr_stored_t *s, char *errstr,
                    size_t errstr_size) {
        const char *v;
        size_t vlen;
        if (lr_pairs_find(&s->meta, "v", &v, &vlen) &&
            (vlen != strlen(LR_PERSIST_LAYOUT) ||
             memcmp(v, LR_PERSIST_LAYOUT, vlen))) {
                snprintf(errstr, errstr_size,
                         "tenant %s is stored in layout %.*s, this build reads "
                         "layout %s",
                         t->id, (int)vlen, v, LR_PERSIST_LAYOUT);
                return -1;
        }
        lr_load_meta(t, &s->meta);
        if (lr_load_reps(t, s, errstr, errstr_size) ||
            lr_load_leads(t, &s->leads, errstr, errstr_size) ||
            lr_load_rest(t, s, errstr, errstr_size))
                return -1;
        lr_tenant_clear_changes(t);
        return 0;
}
