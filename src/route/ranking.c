/*
 * ranking.c - the tenant's daily ranking: at the first event (or timer) of
 * a new event-time day, every rep's window tallies are summed from its day
 * buckets, ranked (rank.c), tiers evaluated on evaluation days (each change
 * published as a RepTierChanged through the outbox), and the result
 * installed for the whole day, so every decision of a day sees one stable
 * rank and a replay recomputes the same one. The buckets that left the
 * window are dropped, as are events past dedup and closed leads past their
 * retention: the state stays bounded by the window, not the history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "timeutil.h"
#include "xalloc.h"

/* Rebuilds the order (ranked reps by rank) from the reps' positions. */
void lr_ranking_rebuild(lr_tenant_t *t) {
        size_t i;
        t->order_cnt = 0;
        for (i = 0; i < t->rep_cnt; i++)
                if (t->rep_list[i]->ranked)
                        t->order_cnt++;
        lr_xgrow(&t->order, &t->order_size, t->order_cnt + 1,
                 sizeof(*t->order));
        for (i = 0; i < t->rep_cnt; i++) {
                lr_rep_t *r = t->rep_list[i];
                if (r->ranked && (size_t)r->ranked <= t->order_cnt)
                        t->order[r->ranked - 1] = r;
        }
}

/* The ranking of `day` as a rank.c input/output array over every rep. */
static void lr_ranking_compute(lr_tenant_t *t, int32_t day, int evaluate,
                               lr_ranking_t *out) {
        const lr_policy_t *p = t->p;
        size_t i, j;

        memset(out, 0, sizeof(*out));
        out->day       = day;
        out->evaluated = evaluate;
        out->cnt       = t->rep_cnt;
        out->ranks     = lr_xcalloc(t->rep_cnt, sizeof(*out->ranks));
        for (i = 0; i < t->rep_cnt; i++) {
                const lr_rep_t *r = t->rep_list[i];
                lr_rep_rank_t *rr = &out->ranks[i];
                rr->rep_id        = lr_xstrdup(r->id);
                rr->tier          = r->tier;
                rr->new_tier      = r->tier;
                rr->handled       = r->handled;
                rr->active        = r->active;
                for (j = 0; j < r->b_cnt; j++)
                        lr_tally_add(&rr->tally, &r->b[j], day, p);
        }
        lr_rank_compute(out->ranks, (int)out->cnt, p);
        if (evaluate)
                lr_rank_evaluate_tiers(out->ranks, (int)out->cnt, p);
}

static void lr_tier_change(const lr_tenant_t *t, const lr_ranking_t *k,
                           const lr_rep_rank_t *r, lr_tier_changed_t *tc) {
        const lr_policy_t *p = t->p;
        char id[512], day[16], reason[256];
        int up = r->new_tier < r->tier;

        lr_day_format(k->day, day, sizeof(day));
        snprintf(id, sizeof(id), "%s/%s/tier/%s", t->id, r->rep_id, day);
        snprintf(reason, sizeof(reason),
                 "composite %.3f %s %.0f%% of the tier-%d mean %.3f: %s",
                 r->composite, up ? ">=" : "<=",
                 (up ? p->promote_ratio : p->demote_ratio) * 100.0, r->tier,
                 r->tier_mean, up ? "promoted" : "demoted");
        memset(tc, 0, sizeof(*tc));
        tc->event_id   = lr_xstrdup(id);
        tc->tenant_id  = lr_xstrdup(t->id);
        tc->rep_id     = lr_xstrdup(r->rep_id);
        tc->from_tier  = r->tier;
        tc->to_tier    = r->new_tier;
        tc->composite  = r->composite;
        tc->tier_mean  = r->tier_mean;
        tc->decided_at = (int64_t)k->day * LR_MS_PER_DAY;
        tc->reason     = lr_xstrdup(reason);
}

/* Installs ranking k (its ranks in rep_list order): composites, ranked
 * positions, tiers when evaluated; the reps it ranked leave the unranked
 * list, as do departed ones. */
static void lr_ranking_apply(lr_tenant_t *t, lr_ranking_t *k) {
        size_t i, n = 0;
        for (i = 0; i < k->cnt; i++) {
                lr_rep_t *r             = lr_rep_get(t, k->ranks[i].rep_id);
                const lr_rep_rank_t *rr = &k->ranks[i];
                if (!r)
                        continue;
                r->ranked = rr->rank;
                r->comp   = rr->rank >= 1 ? rr->composite : 0;
                if (k->evaluated && rr->new_tier >= 1 &&
                    rr->new_tier <= LR_MAX_TIERS)
                        r->tier = rr->new_tier;
                lr_rep_dirty(t, r);
        }
        for (i = 0; i < t->unranked_cnt; i++) {
                lr_rep_t *r = t->unranked[i];
                if (!r->ranked && r->active)
                        t->unranked[n++] = r;
        }
        t->unranked_cnt = n;
        lr_ranking_rebuild(t);
        t->rankday = k->day;
        lr_ranking_clear(&t->ranking);
        t->ranking       = *k;
        t->ranking_dirty = 1;
        memset(k, 0, sizeof(*k));
}

void lr_ranking_prune(lr_tenant_t *t, int32_t day) {
        int32_t keep_from = day - t->p->window_days;
        size_t i, j, k;
        for (i = 0; i < t->rep_cnt; i++) {
                lr_rep_t *r = t->rep_list[i];
                for (j = 0, k = 0; j < r->b_cnt; j++) {
                        if (r->b[j].day < keep_from)
                                lr_gone_add(t, LR_GONE_BUCKET, r->id,
                                            r->b[j].day);
                        else
                                r->b[k++] = r->b[j];
                }
                r->b_cnt = k;
        }
}

/* Events past dedup_ttl days and closed leads past their retention leave
 * the state (and the store) by event time, so a replay keeps and forgets
 * exactly what the live run did. */
static void lr_forget(lr_tenant_t *t, int32_t day) {
        int32_t *days = NULL, before = day - t->lead_retention_days;
        size_t n = lr_seen_expire(t->seen, day - t->seen_ttl_days, &days), i, k;

        for (i = 0; i < n; i++)
                lr_gone_add(t, LR_GONE_EVDAY, NULL, days[i]);
        free(days);
        /* closed leads by the day they closed */
        for (n = 0; n < t->closed_cnt && t->closed[n].day < before; n++) {
                for (k = 0; k < t->closed[n].cnt; k++) {
                        lr_lead_t *l = t->closed[n].v[k];
                        lr_dict_del(&t->leads, l->id);
                        lr_gone_add(t, LR_GONE_LEAD, l->id, l->attempt);
                        lr_lead_forget(t, l);
                }
                free(t->closed[n].v);
        }
        if (n) {
                memmove(t->closed, t->closed + n,
                        (t->closed_cnt - n) * sizeof(*t->closed));
                t->closed_cnt -= n;
        }
}

void lr_ranking_install_day(lr_tenant_t *t, int32_t day) {
        int evaluate = lr_rank_is_evaluation_day(day, t->p);
        lr_ranking_t k;
        size_t i;

        if (day <= t->rankday)
                return;
        lr_install_add(t, day);
        if (t->rankday >= 0) {
                /* the history days that left the retention since */
                int32_t d, from = t->rankday - t->ranking_retention_days,
                           to = day - t->ranking_retention_days;
                if (to - from > 3660)
                        from = to - 3660;
                for (d = from; d < to; d++)
                        lr_gone_add(t, LR_GONE_RANKING, NULL, d);
        }
        lr_ranking_compute(t, day, evaluate, &k);
        for (i = 0; evaluate && i < k.cnt; i++) {
                lr_tier_changed_t tc;
                if (!k.ranks[i].rank || k.ranks[i].new_tier == k.ranks[i].tier)
                        continue;
                lr_tier_change(t, &k, &k.ranks[i], &tc);
                lr_outbox_add_tier_change(t, &tc);
                if (t->out)
                        lr_result_add_tier_change(t->out, &tc);
                lr_tier_changed_clear(&tc);
        }
        lr_ranking_apply(t, &k);
        lr_ranking_prune(t, day);
        lr_forget(t, day);
}

void lr_tenant_ensure_day(lr_tenant_t *t, int32_t day, lr_route_result_t *out) {
        lr_route_result_t *saved = t->out;
        memset(out, 0, sizeof(*out));
        t->out = out;
        lr_ranking_install_day(t, day);
        t->out = saved;
}

int32_t lr_tenant_rank_day(const lr_tenant_t *t) {
        return t->rankday;
}

void lr_tenant_set_ranking(lr_tenant_t *t, int32_t day, size_t n,
                           const char *const *ids, const double *comps,
                           const int *tiers) {
        lr_ranking_t k;
        size_t i;
        memset(&k, 0, sizeof(k));
        k.day       = day;
        k.evaluated = 1;
        k.cnt       = n;
        k.ranks     = lr_xcalloc(n, sizeof(*k.ranks));
        for (i = 0; i < n; i++) {
                lr_rep_t *r = lr_rep_get(t, ids[i]);
                if (!r) {
                        r = lr_rep_ensure(t, ids[i]);
                }
                k.ranks[i].rep_id    = lr_xstrdup(ids[i]);
                k.ranks[i].composite = comps[i];
                k.ranks[i].rank      = (int)i + 1;
                k.ranks[i].tier      = r->tier;
                k.ranks[i].new_tier  = tiers[i];
                k.ranks[i].active    = r->active;
                k.ranks[i].handled   = r->handled;
        }
        /* Reps left out of the list are unranked from now on. */
        for (i = 0; i < t->rep_cnt; i++)
                t->rep_list[i]->ranked = 0;
        lr_ranking_apply(t, &k);
}

const lr_ranking_t *lr_tenant_ranking(const lr_tenant_t *t) {
        return t->rankday < 0 ? NULL : &t->ranking;
}
