/*
 * replay_whatif.c - see replay_whatif.h.
 *
 * Both sides are reduced to one line per lead (its last assignment in the
 * range, and the wait before its first), from the recorded decisions in
 * scope and from the replayed ones as they are made: the per-lead map of
 * the replayed side is the only thing kept, one small record per lead.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "gini.h"
#include "leadrouter/rank.h"
#include "replay_whatif.h"
#include "xalloc.h"

typedef struct lr_rp_lead_s {
        char *key; /* "<tenant>\x1f<lead>" */
        const char *tenant_id, *lead_id, *event_id, *rep_id;
        int attempt, rep_tier, lead_tier;
        int64_t first_wait_ms; /* of its first assignment, -1: unknown */
        int first_attempt;
} lr_rp_lead_t;

typedef struct lr_rp_counts_s {
        int64_t decisions, sla_reassigned, escalated;
} lr_rp_counts_t;

struct lr_rp_whatif_s {
        lr_dict_t strings;
        lr_dict_t leads; /* replayed */
        lr_rp_counts_t after;
};

static const char *lr_rp_wi_intern(lr_dict_t *d, const char *s) {
        char *v;
        if (!s)
                return "";
        if ((v = lr_dict_get(d, s)))
                return v;
        v = lr_xstrdup(s);
        lr_dict_set(d, v, v);
        return v;
}

lr_rp_whatif_t *lr_rp_whatif_new(void) {
        lr_rp_whatif_t *w = lr_xcalloc(1, sizeof(*w));
        lr_dict_init(&w->strings);
        lr_dict_init(&w->leads);
        return w;
}

static void lr_rp_leads_free(lr_dict_t *leads) {
        size_t i = 0;
        void *v;
        while (lr_dict_next(leads, &i, NULL, &v)) {
                free(((lr_rp_lead_t *)v)->key);
                free(v);
        }
        lr_dict_destroy(leads);
}

void lr_rp_whatif_free(lr_rp_whatif_t *w) {
        size_t i = 0;
        void *v;
        if (!w)
                return;
        lr_rp_leads_free(&w->leads);
        while (lr_dict_next(&w->strings, &i, NULL, &v))
                free(v);
        lr_dict_destroy(&w->strings);
        free(w);
}

/* One decision into a per-lead map. */
static void lr_rp_lead_add(lr_dict_t *leads, lr_dict_t *strings,
                           lr_rp_counts_t *c, const char *tenant_id,
                           const char *lead_id, const char *event_id,
                           const char *rep_id, const char *reason, int attempt,
                           int rep_tier, int lead_tier, int64_t wait_ms) {
        char *key = lr_xmalloc(strlen(tenant_id) + strlen(lead_id) + 2);
        lr_rp_lead_t *l;

        sprintf(key, "%s\x1f%s", tenant_id, lead_id);
        c->decisions++;
        if (!strcmp(reason, "SLA_REASSIGNED"))
                c->sla_reassigned++;
        if (!strcmp(reason, "ESCALATED"))
                c->escalated++;
        if (!(l = lr_dict_get(leads, key))) {
                l                = lr_xcalloc(1, sizeof(*l));
                l->key           = key;
                l->tenant_id     = lr_rp_wi_intern(strings, tenant_id);
                l->lead_id       = lr_rp_wi_intern(strings, lead_id);
                l->first_wait_ms = -1;
                lr_dict_set(leads, key, l);
        } else {
                free(key);
        }
        if (!l->first_attempt || attempt < l->first_attempt) {
                l->first_attempt = attempt;
                l->first_wait_ms = wait_ms;
        }
        if (attempt >= l->attempt) {
                l->attempt   = attempt;
                l->event_id  = lr_rp_wi_intern(strings, event_id);
                l->rep_id    = lr_rp_wi_intern(strings, rep_id);
                l->rep_tier  = rep_tier;
                l->lead_tier = lead_tier;
        }
}

void lr_rp_whatif_replayed(lr_rp_whatif_t *w, const lr_assigned_t *d) {
        lr_rp_lead_add(&w->leads, &w->strings, &w->after, d->tenant_id,
                       d->lead_id, d->event_id, d->rep_id, d->reason,
                       d->attempt, d->rep_tier, d->lead_tier, d->wait_ms);
}

/* ---- rates ----------------------------------------------------------------
 */

/* A rep's measured rates, shrunk toward the tenant's means. */
typedef struct lr_rp_rates_s {
        const char *tenant_id, *rep_id;
        char *key; /* "<tenant>\x1f<rep>" */
        lr_tally_t tally;
        double conv[LR_TIER_CLASSES], win, deal;
        double overall; /* converted / resolved, all tiers, as measured */
} lr_rp_rates_t;

typedef struct lr_rp_table_s {
        lr_rp_rates_t *v;
        size_t cnt, size;
        lr_dict_t by_key; /* key -> index + 1 */
        /* tenant means, per tenant of tenants[] */
        double (*mean_conv)[LR_TIER_CLASSES];
        double *mean_win, *mean_deal;
} lr_rp_table_t;

static double lr_rp_shrink(double hits, double n, double mean, double k) {
        return n + k > 0 ? (hits + k * mean) / (n + k) : mean;
}

static void lr_rp_rates(lr_rp_table_t *tb, const lr_rp_whatif_tenant_t *ts,
                        size_t tcnt) {
        size_t t, i;
        int c;

        tb->mean_conv = lr_xcalloc(tcnt + 1, sizeof(*tb->mean_conv));
        tb->mean_win  = lr_xcalloc(tcnt + 1, sizeof(double));
        tb->mean_deal = lr_xcalloc(tcnt + 1, sizeof(double));
        for (t = 0; t < tcnt; t++) {
                const lr_rp_whatif_tenant_t *ten = &ts[t];
                double conv[LR_TIER_CLASSES] = {0}, res[LR_TIER_CLASSES] = {0};
                double won = 0, lost = 0, value = 0, k;
                size_t first = tb->cnt;
                for (i = 0; i < lr_tenant_rep_cnt(ten->t); i++) {
                        lr_route_rep_t rep;
                        const lr_bucket_t *b;
                        size_t n, j;
                        lr_rp_rates_t *r;
                        lr_tenant_rep_at(ten->t, i, &rep);
                        lr_xgrow(&tb->v, &tb->size, tb->cnt + 1,
                                 sizeof(*tb->v));
                        r = &tb->v[tb->cnt++];
                        memset(r, 0, sizeof(*r));
                        r->tenant_id = ten->tenant_id;
                        r->rep_id    = rep.rep_id;
                        r->key       = lr_xmalloc(strlen(ten->tenant_id) +
                                                  strlen(rep.rep_id) + 2);
                        sprintf(r->key, "%s\x1f%s", ten->tenant_id, rep.rep_id);
                        b = lr_tenant_rep_buckets(ten->t, rep.rep_id, &n);
                        for (j = 0; j < n; j++)
                                lr_tally_add(&r->tally, &b[j], ten->as_of_day,
                                             ten->policy);
                        for (c = 0; c < LR_TIER_CLASSES; c++) {
                                conv[c] += r->tally.converted[c];
                                res[c] += r->tally.resolved[c];
                        }
                        won += r->tally.won;
                        lost += r->tally.lost;
                        value += r->tally.won_value_cents;
                }
                for (c = 0; c < LR_TIER_CLASSES; c++)
                        tb->mean_conv[t][c] = res[c] > 0 ? conv[c] / res[c] : 0;
                tb->mean_win[t]  = won + lost > 0 ? won / (won + lost) : 0;
                tb->mean_deal[t] = won > 0 ? value / won : 0;
                k                = ten->policy->shrinkage;
                for (i = first; i < tb->cnt; i++) {
                        lr_rp_rates_t *r = &tb->v[i];
                        double rc = 0, rr = 0;
                        for (c = 0; c < LR_TIER_CLASSES; c++) {
                                rc += r->tally.converted[c];
                                rr += r->tally.resolved[c];
                        }
                        r->overall = rr > 0 ? rc / rr : 0;
                        for (c = 0; c < LR_TIER_CLASSES; c++)
                                r->conv[c] = lr_rp_shrink(
                                    r->tally.converted[c], r->tally.resolved[c],
                                    tb->mean_conv[t][c], k);
                        r->win = lr_rp_shrink(r->tally.won,
                                              r->tally.won + r->tally.lost,
                                              tb->mean_win[t], k);
                        r->deal =
                            lr_rp_shrink(r->tally.won_value_cents, r->tally.won,
                                         tb->mean_deal[t], k);
                }
        }
}

static size_t lr_rp_tenant_idx(const lr_rp_whatif_tenant_t *ts, size_t tcnt,
                               const char *tenant_id) {
        size_t t;
        for (t = 0; t < tcnt; t++)
                if (!strcmp(ts[t].tenant_id, tenant_id))
                        return t;
        return tcnt;
}

/* Expected conversions and revenue of one lead with rep. */
static void lr_rp_expect(const lr_rp_table_t *tb,
                         const lr_rp_whatif_tenant_t *ts, size_t tcnt,
                         const lr_rp_lead_t *l, double *conv, double *rev) {
        size_t t = lr_rp_tenant_idx(ts, tcnt, l->tenant_id), i;
        int c = l->lead_tier >= 1 && l->lead_tier <= LR_MAX_TIERS ? l->lead_tier
                                                                  : 0;
        double p, win, deal;
        char key[1024];

        *conv = *rev = 0;
        if (t == tcnt)
                return;
        p    = tb->mean_conv[t][c];
        win  = tb->mean_win[t];
        deal = tb->mean_deal[t];
        snprintf(key, sizeof(key), "%s\x1f%s", l->tenant_id, l->rep_id);
        if ((i = (size_t)(uintptr_t)lr_dict_get(&tb->by_key, key))) {
                p    = tb->v[i - 1].conv[c];
                win  = tb->v[i - 1].win;
                deal = tb->v[i - 1].deal;
        }
        *conv = p;
        *rev  = p * win * deal;
}

/* ---- the report ---------------------------------------------------------- */

static lr_rp_rep_count_t *lr_rp_rep(lr_rp_whatif_t *w, lr_rp_whatif_report_t *r,
                                    size_t *size, const char *tenant_id,
                                    const char *rep_id) {
        size_t i;
        for (i = 0; i < r->reps_cnt; i++)
                if (!strcmp(r->reps[i].rep_id, rep_id) &&
                    !strcmp(r->reps[i].tenant_id, tenant_id))
                        return &r->reps[i];
        lr_xgrow(&r->reps, size, r->reps_cnt + 1, sizeof(*r->reps));
        memset(&r->reps[r->reps_cnt], 0, sizeof(*r->reps));
        r->reps[r->reps_cnt].tenant_id =
            lr_rp_wi_intern(&w->strings, tenant_id);
        r->reps[r->reps_cnt].rep_id = lr_rp_wi_intern(&w->strings, rep_id);
        return &r->reps[r->reps_cnt++];
}

/* One side's per-lead figures. after: which counter of reps it feeds. */
static void lr_rp_side(lr_rp_whatif_t *w, lr_dict_t *leads,
                       const lr_rp_counts_t *c, const lr_rp_table_t *tb,
                       const lr_rp_whatif_tenant_t *ts, size_t tcnt,
                       lr_rp_whatif_report_t *r, size_t *reps_size, int after,
                       lr_rp_side_t *side) {
        double wait_sum = 0;
        size_t i        = 0;
        void *v;

        side->decisions      = c->decisions;
        side->sla_reassigned = c->sla_reassigned;
        side->escalated      = c->escalated;
        while (lr_dict_next(leads, &i, NULL, &v)) {
                const lr_rp_lead_t *l = v;
                lr_rp_rep_count_t *rc =
                    lr_rp_rep(w, r, reps_size, l->tenant_id, l->rep_id);
                size_t t = lr_rp_tenant_idx(ts, tcnt, l->tenant_id);
                double conv, rev;
                side->leads++;
                if (after)
                        rc->after++;
                else
                        rc->before++;
                if (l->rep_tier >= 1 && l->rep_tier <= LR_MAX_TIERS)
                        (after ? r->tier_after : r->tier_before)[l->rep_tier]++;
                if (l->first_wait_ms > 0) {
                        double s = (double)l->first_wait_ms / 1000.0;
                        side->waiting_leads++;
                        wait_sum += s;
                        if (s > side->max_wait_seconds)
                                side->max_wait_seconds = s;
                }
                if (t < tcnt && ts[t].policy->sla_first_touch_seconds > 0 &&
                    l->first_wait_ms >
                        (int64_t)ts[t].policy->sla_first_touch_seconds * 1000)
                        side->waited_beyond_sla++;
                lr_rp_expect(tb, ts, tcnt, l, &conv, &rev);
                side->expected_conversions += conv;
                side->expected_revenue_cents += rev;
        }
        side->mean_wait_seconds =
            side->waiting_leads ? wait_sum / (double)side->waiting_leads : 0;
}

static int lr_rp_rep_cmp(const void *a, const void *b) {
        const lr_rp_rep_count_t *x = a, *y = b;
        int c = strcmp(x->tenant_id, y->tenant_id);
        return c ? c : strcmp(x->rep_id, y->rep_id);
}

static int lr_rp_moved_cmp(const void *a, const void *b) {
        const lr_rp_moved_t *x = a, *y = b;
        int c = strcmp(x->tenant_id, y->tenant_id);
        return c ? c : strcmp(x->lead_id, y->lead_id);
}

void lr_rp_whatif_report(lr_rp_whatif_t *w, const lr_rp_recorded_t *recorded,
                         const lr_rp_whatif_tenant_t *ts, size_t tcnt,
                         lr_rp_whatif_report_t *r) {
        lr_rp_counts_t before = {0};
        lr_dict_t bl;
        lr_rp_table_t tb;
        size_t i = 0, reps_size = 0, moved_size = 0, t;
        int64_t *x;
        void *v;

        memset(r, 0, sizeof(*r));
        memset(&tb, 0, sizeof(tb));
        lr_dict_init(&bl);
        for (i = 0; i < recorded->cnt; i++) {
                const lr_rp_rec_t *rec = &recorded->v[i];
                if (rec->in_scope)
                        lr_rp_lead_add(&bl, &w->strings, &before,
                                       rec->tenant_id, rec->lead_id,
                                       rec->event_id, rec->rep_id, rec->reason,
                                       rec->attempt, rec->rep_tier,
                                       rec->lead_tier, rec->wait_ms);
        }
        lr_dict_init(&tb.by_key);
        lr_rp_rates(&tb, ts, tcnt);
        for (i = 0; i < tb.cnt; i++)
                lr_dict_set(&tb.by_key, tb.v[i].key,
                            (void *)(uintptr_t)(i + 1));
        /* every rep of the replayed states counts, with or without leads */
        for (i = 0; i < tb.cnt; i++) {
                lr_rp_rep_count_t *rc = lr_rp_rep(
                    w, r, &reps_size, tb.v[i].tenant_id, tb.v[i].rep_id);
                rc->conversion_rate = tb.v[i].overall;
                rc->deal_size_cents = tb.v[i].deal;
        }
        lr_rp_side(w, &bl, &before, &tb, ts, tcnt, r, &reps_size, 0,
                   &r->before);
        lr_rp_side(w, &w->leads, &w->after, &tb, ts, tcnt, r, &reps_size, 1,
                   &r->after);
        qsort(r->reps, r->reps_cnt, sizeof(*r->reps), lr_rp_rep_cmp);
        x = lr_xcalloc(r->reps_cnt + 1, sizeof(*x));
        for (i = 0; i < r->reps_cnt; i++)
                x[i] = r->reps[i].before;
        r->before.gini_leads = lr_gini(x, r->reps_cnt);
        for (i = 0; i < r->reps_cnt; i++)
                x[i] = r->reps[i].after;
        r->after.gini_leads = lr_gini(x, r->reps_cnt);
        free(x);

        /* lead by lead */
        i = 0;
        while (lr_dict_next(&bl, &i, NULL, &v)) {
                const lr_rp_lead_t *b = v;
                const lr_rp_lead_t *a = lr_dict_get(&w->leads, b->key);
                if (!a) {
                        r->only_before++;
                        continue;
                }
                if (strcmp(a->rep_id, b->rep_id)) {
                        lr_rp_moved_t *m;
                        lr_xgrow(&r->moved_leads, &moved_size, r->moved + 1,
                                 sizeof(*r->moved_leads));
                        m                  = &r->moved_leads[r->moved++];
                        m->tenant_id       = a->tenant_id;
                        m->lead_id         = a->lead_id;
                        m->event_id        = a->event_id;
                        m->recorded_rep_id = b->rep_id;
                        m->replayed_rep_id = a->rep_id;
                }
        }
        r->leads = (int64_t)bl.cnt;
        i        = 0;
        while (lr_dict_next(&w->leads, &i, NULL, &v))
                if (!lr_dict_get(&bl, ((const lr_rp_lead_t *)v)->key)) {
                        r->only_after++;
                        r->leads++;
                }
        if (r->moved)
                qsort(r->moved_leads, (size_t)r->moved, sizeof(*r->moved_leads),
                      lr_rp_moved_cmp);
        r->tiers = 0;
        for (t = 0; t < tcnt; t++)
                if (ts[t].policy->tiers > r->tiers)
                        r->tiers = ts[t].policy->tiers;
        for (t = 1; t <= LR_MAX_TIERS; t++)
                if ((r->tier_before[t] || r->tier_after[t]) &&
                    (int)t > r->tiers)
                        r->tiers = (int)t;
        /* the lead ids of the moved list live in w->strings; bl's keys go */
        lr_rp_leads_free(&bl);
        for (i = 0; i < tb.cnt; i++)
                free(tb.v[i].key);
        lr_dict_destroy(&tb.by_key);
        free(tb.v);
        free(tb.mean_conv);
        free(tb.mean_win);
        free(tb.mean_deal);
}

void lr_rp_whatif_report_clear(lr_rp_whatif_report_t *r) {
        free(r->moved_leads);
        free(r->reps);
        memset(r, 0, sizeof(*r));
}
