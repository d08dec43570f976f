/*
 * choose.c - who gets a lead: the ranked choice (the best available rep of
 * the lead's tier, else the nearest tier, better tiers first), the baseline
 * strategies (round robin, weighted round robin, least loaded, territory),
 * the account owner first, region match, queue escalation, and the list of
 * better-ranked reps passed over with why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "xalloc.h"

/* The filter of a choice: previous assignees of the lead, and the lead's
 * region when region match applies. */
typedef struct lr_filter_s {
        const lr_lead_t *lead; /* previous assignees; NULL: none */
        const char *region;
        int attention; /* max_untouched_leads applies */
        int strict;    /* no exception when the whole tier is held */
        int held;      /* out: a rep was passed over for attention only */
} lr_filter_t;

/* ---- the ranking as the router walks it ---------------------------------- */

lr_rep_t *lr_ranking_at(const lr_tenant_t *t, size_t i, int *rank) {
        if (i < t->order_cnt) {
                *rank = (int)i + 1;
                return t->order[i];
        }
        i -= t->order_cnt;
        if (i < t->unranked_cnt) {
                *rank = (int)(t->order_cnt + i + 1);
                return t->unranked[i];
        }
        return NULL;
}

int lr_rank_of(const lr_tenant_t *t, const lr_rep_t *r) {
        size_t i;
        if (r->ranked)
                return r->ranked;
        for (i = 0; i < t->unranked_cnt; i++)
                if (t->unranked[i] == r)
                        return (int)(t->order_cnt + i + 1);
        return 0;
}

/* Why r is not a candidate under f at the call's time, or NULL. A rep
 * still to call the leads just routed to it (max_untouched_leads, within
 * the first-touch SLA) is not available for another: it is not really
 * free, and the SLA would move the lead on, late. */
static const char *lr_why_not(lr_tenant_t *t, lr_filter_t *f, lr_rep_t *r) {
        const char *w;
        if (f->lead && lr_lead_had(f->lead, r))
                return "PREVIOUS_ASSIGNEE";
        if ((w = lr_rep_unavailable(t, r)))
                return w;
        if (f->region && !lr_rep_in_region(r, f->region))
                return "REGION";
        if (f->attention && t->p->max_untouched_leads > 0 &&
            lr_rep_untouched(t, r) >= (size_t)t->p->max_untouched_leads) {
                f->held = 1;
                return "AWAITING_FIRST_TOUCH";
        }
        return NULL;
}

static void lr_skip_add(lr_pick_t *pick, const char *rep_id, const char *why) {
        pick->skipped = lr_xrealloc(pick->skipped, (pick->skipped_cnt + 1) *
                                                       sizeof(*pick->skipped));
        pick->skipped[pick->skipped_cnt].rep_id = lr_xstrdup(rep_id);
        pick->skipped[pick->skipped_cnt].why    = lr_xstrdup(why);
        pick->skipped_cnt++;
}

/* The better-ranked reps passed over for pick, and why (at most
 * LR_SKIPPED_MAX, in rank order), then the previous assignees ranked below
 * it. In ranked mode a same-tier candidate ranked before the pick only lost
 * the tie-break and is not listed, one of another tier is TIER; baselines
 * do not route by rank or tier, so only reps that could not take the lead
 * are listed. */
static void lr_skipped(lr_tenant_t *t, lr_pick_t *pick, lr_filter_t *f,
                       int baseline) {
        size_t i;
        int rank;
        lr_rep_t *r;

        for (i = 0; pick->skipped_cnt < LR_SKIPPED_MAX && pick->rank > 1; i++) {
                const char *w;
                if (!(r = lr_ranking_at(t, i, &rank)) || rank >= pick->rank)
                        break;
                if (!r->active)
                        continue;
                w = lr_why_not(t, f, r);
                if (!w && !baseline && r->tier != pick->r->tier)
                        w = "TIER";
                if (!w && pick->floor)
                        w = "FLOOR";
                if (w)
                        lr_skip_add(pick, r->id, w);
        }
        for (i = 0; f->lead && i < f->lead->prev_cnt; i++) {
                const char *id = f->lead->prev[i];
                size_t k;
                int listed = 0;
                if (pick->skipped_cnt >= LR_SKIPPED_MAX)
                        break;
                for (k = 0; k < pick->skipped_cnt && !listed; k++)
                        listed = !strcmp(pick->skipped[k].rep_id, id);
                if (!listed && strcmp(id, pick->r->id))
                        lr_skip_add(pick, id, "PREVIOUS_ASSIGNEE");
        }
}

/* ---- ranked ----------------------------------------------------------------
 */

/* Whether candidate r beats b (same composite class): the higher composite;
 * ties -> fewer leads assigned today, then rep_id. */
static int lr_beats(const lr_tenant_t *t, const lr_rep_t *r, double comp,
                    const lr_rep_t *b, double bcomp) {
        int x, y;
        if (comp != bcomp)
                return comp > bcomp;
        x = lr_rep_assigned_today(t, r);
        y = lr_rep_assigned_today(t, b);
        if (x != y)
                return x < y;
        return strcmp(r->id, b->id) < 0;
}

/* The candidate of tier T under f: the best (highest composite; ties ->
 * fewer leads assigned today, then rep_id), walking the ranking (tier T's
 * ranked reps in rank order, then the unranked) until the best is settled;
 * or with tier_share weighted the one whose share of the tier's leads is
 * furthest behind its composite (stride scheduling: each pick advances the
 * rep's pass by 1/composite, and a pass behind the tier's virtual time
 * counts as it, so nobody gets a burst after a leave). 0 when T has none. */
static int lr_tier_pick(lr_tenant_t *t, int T, lr_filter_t *f,
                        lr_pick_t *pick) {
        int weighted = !strcmp(t->p->tier_share, "weighted");
        int tt       = T >= 0 && T <= LR_MAX_TIERS ? T : 0;
        double vt = t->share_vt[tt], best = 0;
        lr_rep_t *b = NULL, *r;
        size_t i;
        int rank, brank = 0;

        for (i = 0; (r = lr_ranking_at(t, i, &rank)); i++) {
                double pass;
                if (r->tier != T)
                        continue;
                if (!weighted && b && r->comp < b->comp)
                        break;
                if (!r->active || lr_why_not(t, f, r))
                        continue;
                if (!weighted) {
                        if (!b || lr_beats(t, r, r->comp, b, b->comp)) {
                                b     = r;
                                brank = rank;
                        }
                        continue;
                }
                pass = r->has_share && r->share > vt ? r->share : vt;
                if (!b || pass < best ||
                    (pass == best && lr_beats(t, r, r->comp, b, b->comp))) {
                        b     = r;
                        brank = rank;
                        best  = pass;
                }
        }
        if (!b)
                return 0;
        pick->r    = b;
        pick->comp = b->comp;
        pick->rank = brank;
        if (weighted) {
                pick->after_share = 1;
                pick->share_pass  = best;
        }
        return 1;
}

/* As lr_tier_pick; when every candidate of the tier is only waiting to
 * call a lead of its own, the pick among them, as without attention. */
static int lr_tier_best(lr_tenant_t *t, int T, lr_filter_t *f,
                        lr_pick_t *pick) {
        int found;
        f->held = 0;
        found   = lr_tier_pick(t, T, f, pick);
        if (!found && f->held && f->attention && !f->strict) {
                f->attention = 0;
                found        = lr_tier_pick(t, T, f, pick);
                f->attention = 1;
                if (found)
                        pick->attention_off = 1;
        }
        return found;
}

/* min_leads_per_week: a rep below the floor gets the next lead of its tier
 * first, or of the tier below its own (a lead of tier lt goes to a floor
 * rep of tier lt, else of tier lt - 1), so every rep keeps enough samples
 * to be measured and to ramp: the one furthest below, then the best
 * composite, then the ranking's order. */
static int lr_floor_pick(lr_tenant_t *t, int lt, lr_filter_t *f,
                         lr_pick_t *pick) {
        int64_t floor = t->p->min_leads_per_week, bn = 0;
        lr_rep_t *b = NULL;
        int pass, rank;
        size_t i;

        if (floor <= 0)
                return 0;
        for (pass = 0; pass < 2 && !b; pass++) {
                int T = pass ? lt - 1 : lt;
                lr_rep_t *r;
                for (i = 0; T >= 1 && (r = lr_ranking_at(t, i, &rank)); i++) {
                        int64_t n;
                        if (r->tier != T || !r->active || lr_why_not(t, f, r))
                                continue;
                        n = lr_rep_week_leads(t, r);
                        if (n >= floor)
                                continue;
                        if (!b || n < bn || (n == bn && r->comp > b->comp)) {
                                b  = r;
                                bn = n;
                        }
                }
        }
        if (!b)
                return 0;
        pick->r     = b;
        pick->comp  = b->comp;
        pick->rank  = lr_rank_of(t, b);
        pick->floor = 1;
        return 1;
}

static int lr_choose_ranked(lr_tenant_t *t, int lt, lr_filter_t *f,
                            lr_pick_t *pick) {
        int found = lr_floor_pick(t, lt, f, pick), d, pass;
        /* first a rep who is free, in the lead's tier or the nearest;
         * then, everyone awaiting a first touch, the best of the lead's
         * tier as before */
        for (pass = 0; pass < 2 && !found; pass++) {
                f->strict = !pass;
                found     = lr_tier_best(t, lt, f, pick);
                for (d = 1; !found && (lt - d >= 1 || lt + d <= t->p->tiers);
                     d++)
                        found =
                            (lt - d >= 1 && lr_tier_best(t, lt - d, f, pick)) ||
                            (lt + d <= t->p->tiers &&
                             lr_tier_best(t, lt + d, f, pick));
        }
        f->strict = 0;
        if (found)
                pick->reason = pick->r->tier == lt ? "RANKED" : "FALLBACK_TIER";
        return found;
}

/* ---- baselines -------------------------------------------------------------
 */

/* Every candidate under f, by rep_id; when all are only waiting to call
 * a lead of their own, all of those (attention off). */
static size_t lr_candidates(lr_tenant_t *t, lr_filter_t *f, lr_rep_t **c) {
        size_t i, n = 0;
        f->held = 0;
        for (i = 0; i < t->rep_cnt; i++) {
                lr_rep_t *r = t->rep_list[i];
                if (r->active && !lr_why_not(t, f, r))
                        c[n++] = r;
        }
        if (!n && f->held && f->attention) {
                f->attention = 0;
                n            = lr_candidates(t, f, c);
                f->attention = 1;
        }
        return n;
}

/* Round robin over c from the cursor: the first rep after the one given
 * the last lead, wrapping around. */
static lr_rep_t *lr_round_robin(const lr_tenant_t *t, lr_rep_t **c, size_t n,
                                const char *field) {
        const char *cur = field ? lr_dict_get(&t->cursors, field) : t->rr;
        size_t i;
        if (cur)
                for (i = 0; i < n; i++)
                        if (strcmp(c[i]->id, cur) > 0)
                                return c[i];
        return c[0];
}

/* Weighted round robin by stride scheduling: the candidate with the lowest
 * pass gets the lead (ties: rep_id) and its pass grows by 1/weight, so each
 * gets leads in proportion to its tier's weight. A pass below the virtual
 * time (the pass of the last pick) counts as the virtual time: a rep back
 * from leave does not get a burst of catch-up leads. */
static lr_rep_t *lr_weighted(const lr_tenant_t *t, lr_rep_t **c, size_t n,
                             double *pass_out) {
        double vt = t->has_vt ? t->vt : 0, best = 0;
        lr_rep_t *id = NULL;
        size_t i;
        for (i = 0; i < n; i++) {
                double pass = c[i]->has_pass ? c[i]->pass : vt;
                if (pass < vt)
                        pass = vt;
                if (!id || pass < best) {
                        id   = c[i];
                        best = pass;
                }
        }
        *pass_out = best;
        return id;
}

static lr_rep_t *lr_least_loaded(const lr_tenant_t *t, lr_rep_t **c, size_t n) {
        lr_rep_t *b = NULL;
        size_t i;
        for (i = 0; i < n; i++) {
                lr_rep_t *r = c[i];
                if (!b || r->open < b->open ||
                    (r->open == b->open &&
                     lr_rep_assigned_today(t, r) < lr_rep_assigned_today(t, b)))
                        b = r;
        }
        return b;
}

/* The baselines: the same candidates (presence, hours, capacity, previous
 * assignees, region match), then the strategy's own rule. */
static int lr_choose_baseline(lr_tenant_t *t, const lr_lead_t *l,
                              lr_filter_t *f, lr_pick_t *pick) {
        const char *s = t->p->strategy;
        lr_rep_t **c  = lr_xcalloc(t->rep_cnt + 1, sizeof(*c));
        lr_rep_t *id  = NULL;
        size_t n;

        if (!strcmp(s, "territory")) {
                /* region match, then round robin inside the territory */
                f->region = NULL;
                n         = lr_candidates(t, f, c);
                if (l->region) {
                        size_t i, k = 0;
                        for (i = 0; i < n; i++)
                                if (lr_rep_in_region(c[i], l->region))
                                        c[k++] = c[i];
                        if (k) {
                                n              = k;
                                pick->rr_field = l->region;
                        } else {
                                n = lr_candidates(t, f, c);
                        }
                }
                if (n) {
                        id = lr_round_robin(
                            t, c, n, pick->rr_field ? pick->rr_field : NULL);
                        pick->after_rr = 1;
                }
        } else {
                n = lr_candidates(t, f, c);
                if (!n && f->region) {
                        f->region = NULL;
                        n         = lr_candidates(t, f, c);
                }
                if (!n) {
                } else if (!strcmp(s, "round_robin")) {
                        id             = lr_round_robin(t, c, n, NULL);
                        pick->after_rr = 1;
                } else if (!strcmp(s, "weighted_round_robin")) {
                        id              = lr_weighted(t, c, n, &pick->wrr_pass);
                        pick->after_wrr = 1;
                } else {
                        id = lr_least_loaded(t, c, n);
                }
        }
        free(c);
        if (!id)
                return 0;
        pick->r      = id;
        pick->comp   = id->comp;
        pick->rank   = lr_rank_of(t, id);
        pick->reason = "BASELINE";
        return 1;
}

/* ---- the choice ------------------------------------------------------------
 */

void lr_pick_clear(lr_pick_t *pick) {
        size_t i;
        for (i = 0; i < pick->skipped_cnt; i++) {
                free(pick->skipped[i].rep_id);
                free(pick->skipped[i].why);
        }
        free(pick->skipped);
        memset(pick, 0, sizeof(*pick));
}

int lr_choose(lr_tenant_t *t, lr_lead_t *l, lr_pick_t *pick) {
        const lr_policy_t *p = t->p;
        lr_filter_t f        = {l->prev_cnt ? l : NULL,
                         p->region_match ? l->region : NULL, 1, 0, 0};
        int found;

        memset(pick, 0, sizeof(*pick));
        if (p->owner_first && l->acct) {
                const char *id = lr_account_owner(t, l->acct);
                lr_rep_t *r    = id ? lr_rep_get(t, id) : NULL;
                lr_filter_t fo = {f.lead, NULL, 1, 0, 0};
                if (r && r->active && !lr_why_not(t, &fo, r)) {
                        pick->r      = r;
                        pick->comp   = r->comp;
                        pick->rank   = lr_rank_of(t, r);
                        pick->reason = "OWNER";
                        lr_skipped(t, pick, &fo, 1);
                        return 1;
                }
        }
        if (!strcmp(p->strategy, "ranked")) {
                found = lr_choose_ranked(t, l->tier, &f, pick);
                if (!found && f.region) {
                        f.region = NULL;
                        found    = lr_choose_ranked(t, l->tier, &f, pick);
                }
        } else {
                found = lr_choose_baseline(t, l, &f, pick);
        }
        if (found) {
                /* the reps passed over are judged as the pick was */
                f.attention = !pick->attention_off;
                lr_skipped(t, pick, &f, strcmp(p->strategy, "ranked") != 0);
        }
        return found;
}

/* max_wait passed for a queued lead: the least-loaded active rep at work
 * inside its hours, free or not (in the lead's region first under region
 * match; never a previous assignee). */
int lr_choose_escalation(lr_tenant_t *t, lr_lead_t *l, lr_pick_t *pick) {
        const char *region = t->p->region_match ? l->region : NULL;
        lr_filter_t f      = {l->prev_cnt ? l : NULL, NULL, 0, 0, 0};
        lr_rep_t *b        = NULL;
        int inreg          = 0;
        size_t i;

        memset(pick, 0, sizeof(*pick));
        for (i = 0; i < t->rep_cnt; i++) {
                lr_rep_t *r = t->rep_list[i];
                int ir;
                if (!r->active || lr_lead_had(l, r) || !lr_rep_at_work(t, r))
                        continue;
                ir = region && lr_rep_in_region(r, region);
                if (!b || (ir && !inreg) ||
                    (ir == inreg && (r->open < b->open ||
                                     (r->open == b->open &&
                                      lr_rep_assigned_today(t, r) <
                                          lr_rep_assigned_today(t, b))))) {
                        b     = r;
                        inreg = ir;
                }
        }
        if (!b)
                return 0;
        pick->r      = b;
        pick->comp   = b->comp;
        pick->rank   = lr_rank_of(t, b);
        pick->reason = "ESCALATED";
        lr_skipped(t, pick, &f, 1);
        return 1;
}
