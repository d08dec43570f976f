/*
 * rank.c - performance stack ranking (SPEC §3): window tallies, the five
 * metrics, shrinkage, normalisation, composite, rank and tier evaluation.
 *
 * Pure arithmetic on what the store read, so that run, simulate and replay
 * rank identically and the unit tests can check every number by hand.
 *
 * Shrinkage pulls each rep's metric toward the tenant's pooled mean (all the
 * active reps' samples added up, e.g. total won / total closed), not toward
 * the mean of the reps' means: the pooled mean weighs every lead and deal
 * once, so the reps with tiny samples, the very ones being shrunk, cannot
 * move the prior they are shrunk toward (a 1-of-1 rep would count as much
 * as a 40-of-50 rep in a mean of means).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leadrouter/rank.h"
#include "timeutil.h"

void lr_tally_add(lr_tally_t *t, const lr_bucket_t *b, int32_t as_of_day,
                  const lr_policy_t *p) {
        int32_t age = as_of_day - b->day;
        int k;

        if (age < 1 || age > p->window_days)
                return;
        for (k = 0; k < LR_TIER_CLASSES; k++) {
                double closed = (double)(b->c[k] + b->x[k]);
                double n      = (double)b->n[k];
                /* A mature cohort is resolved in full; the max() keeps
                 * converted <= resolved even if counters disagree. */
                if (age > p->conversion_maturity_days)
                        t->resolved[k] += n > closed ? n : closed;
                else
                        t->resolved[k] += closed;
                t->converted[k] += (double)b->c[k];
                t->assigned += n;
        }
        t->calls += (double)b->calls;
        t->won += (double)b->won;
        t->lost += (double)b->lost;
        t->won_value_cents += (double)b->won_value_cents;
        t->cycle_days_sum += b->cycle_days_sum;
        t->cycle_n += (double)b->cycle_n;
        t->stl_minutes_sum += b->stl_minutes_sum;
        t->stl_n += (double)b->stl_n;
}

void lr_ranking_clear(lr_ranking_t *r) {
        size_t i;
        for (i = 0; i < r->cnt; i++)
                free((char *)r->ranks[i].rep_id);
        free(r->ranks);
        memset(r, 0, sizeof(*r));
}

int lr_metric_lower_is_better(lr_metric_t m) {
        return m == LR_METRIC_CYCLE_DAYS || m == LR_METRIC_SPEED_TO_LEAD;
}

/* A metric as num / den over n samples. For conversion den is the expected
 * number of conversions for the lead tiers received, n the resolved leads;
 * for the others den == n. */
typedef struct lr_ratio_s {
        double num, den, n;
} lr_ratio_t;

static lr_ratio_t lr_metric_ratio(const lr_tally_t *t, lr_metric_t m,
                                  const double rate[LR_TIER_CLASSES]) {
        lr_ratio_t r = {0, 0, 0};
        int k;

        switch (m) {
        case LR_METRIC_CONVERSION:
                for (k = 0; k < LR_TIER_CLASSES; k++) {
                        r.num += t->converted[k];
                        r.den += t->resolved[k] * rate[k];
                        r.n += t->resolved[k];
                }
                return r;
        case LR_METRIC_WIN_RATE:
                r.num = t->won;
                r.den = r.n = t->won + t->lost;
                return r;
        case LR_METRIC_DEAL_SIZE:
                r.num = t->won_value_cents;
                r.den = r.n = t->won;
                return r;
        case LR_METRIC_CYCLE_DAYS:
                r.num = t->cycle_days_sum;
                r.den = r.n = t->cycle_n;
                return r;
        case LR_METRIC_SPEED_TO_LEAD:
                r.num = t->stl_minutes_sum;
                r.den = r.n = t->stl_n;
                return r;
        }
        return r;
}

/* A rep who resolved leads only in tiers nobody converted in converted
 * exactly as expected: 1. */
static double lr_ratio_value(lr_ratio_t r) {
        if (r.n <= 0)
                return 0;
        return r.den > 0 ? r.num / r.den : 1.0;
}

/* Rep i's ratio for metric m, with the what-if applied: its value
 * replaced, its sample count (and conversion's expected number) kept. */
static lr_ratio_t lr_rep_ratio(const lr_rep_rank_t *reps, int i, lr_metric_t m,
                               const double *rate,
                               const lr_rank_override_t *ov) {
        lr_ratio_t r = lr_metric_ratio(&reps[i].tally, m, rate);
        if (ov && ov->rep == i && ov->metric == m && r.n > 0 && r.den > 0)
                r.num = ov->value * r.den;
        return r;
}

double lr_rank_samples(const lr_tally_t *t, lr_metric_t m) {
        static const double no_rate[LR_TIER_CLASSES];
        return lr_metric_ratio(t, m, no_rate).n;
}

static int lr_rank_cmp(const void *a, const void *b) {
        const lr_rep_rank_t *x = *(const lr_rep_rank_t *const *)a;
        const lr_rep_rank_t *y = *(const lr_rep_rank_t *const *)b;

        if (x->composite != y->composite)
                return x->composite > y->composite ? -1 : 1;
        return strcmp(x->rep_id ? x->rep_id : "", y->rep_id ? y->rep_id : "");
}

void lr_rank_compute(lr_rep_rank_t *reps, int cnt, const lr_policy_t *p) {
        lr_rank_compute_override(reps, cnt, p, NULL);
}

void lr_rank_compute_override(lr_rep_rank_t *reps, int cnt,
                              const lr_policy_t *p,
                              const lr_rank_override_t *ov) {
        double rate[LR_TIER_CLASSES];
        lr_rep_rank_t **order;
        int i, k, m, active = 0;

        /* Tenant conversion rate per lead tier, from every lead resolved in
         * the window whoever worked it: it measures lead quality, which does
         * not depend on who is still employed. */
        for (k = 0; k < LR_TIER_CLASSES; k++) {
                double conv = 0, res = 0;
                for (i = 0; i < cnt; i++) {
                        conv += reps[i].tally.converted[k];
                        res += reps[i].tally.resolved[k];
                }
                rate[k] = res > 0 ? conv / res : 0;
        }

        for (i = 0; i < cnt; i++) {
                memset(reps[i].score, 0, sizeof(reps[i].score));
                reps[i].composite = 0;
                reps[i].rank      = 0;
                for (m = 0; m < LR_METRIC_CNT; m++)
                        reps[i].value[m] =
                            lr_ratio_value(lr_rep_ratio(reps, i, m, rate, ov));
                active += reps[i].active != 0;
        }

        for (m = 0; m < LR_METRIC_CNT; m++) {
                double num = 0, den = 0, n_all = 0, mean, lo = 0, hi = 0;
                double s  = p->shrinkage;
                int first = 1;

                for (i = 0; i < cnt; i++) {
                        lr_ratio_t r;
                        if (!reps[i].active)
                                continue;
                        r = lr_rep_ratio(reps, i, m, rate, ov);
                        num += r.num;
                        den += r.den;
                        n_all += r.n;
                }
                mean = lr_ratio_value((lr_ratio_t){num, den, n_all});

                for (i = 0; i < cnt; i++) {
                        lr_ratio_t r;
                        double v;
                        if (!reps[i].active)
                                continue;
                        r = lr_rep_ratio(reps, i, m, rate, ov);
                        v = reps[i].value[m];
                        v = r.n + s > 0 ? (r.n * v + s * mean) / (r.n + s)
                                        : mean;
                        reps[i].score[m] = v; /* shrunk, normalised below */
                        if (first || v < lo)
                                lo = v;
                        if (first || v > hi)
                                hi = v;
                        first = 0;
                }

                for (i = 0; i < cnt; i++) {
                        double v;
                        if (!reps[i].active)
                                continue;
                        v = reps[i].score[m];
                        if (n_all <= 0 ||
                            hi - lo <= 1e-12 * fmax(1.0, fabs(hi)))
                                v = 0.5;
                        else if (lr_metric_lower_is_better(m))
                                v = (hi - v) / (hi - lo);
                        else
                                v = (v - lo) / (hi - lo);
                        reps[i].score[m] = v;
                        reps[i].composite += p->weights[m] * v;
                }
        }

        if (!active)
                return;
        order = malloc(sizeof(*order) * (size_t)active);
        if (!order)
                abort(); /* a handful of pointers: nothing sane to do */
        for (i = 0, k = 0; i < cnt; i++)
                if (reps[i].active)
                        order[k++] = &reps[i];
        qsort(order, (size_t)active, sizeof(*order), lr_rank_cmp);
        for (k = 0; k < active; k++)
                order[k]->rank = k + 1;
        free(order);
}

static int lr_rank_clamp_tier(int tier, const lr_policy_t *p) {
        if (tier < 1 || tier > p->tiers)
                return p->tiers; /* unknown, or a tier the policy dropped */
        return tier;
}

int lr_rank_is_ramping(const lr_rep_rank_t *r, const lr_policy_t *p) {
        return r->handled < (int64_t)p->ramp_min_leads;
}

void lr_rank_evaluate_tiers(lr_rep_rank_t *reps, int cnt,
                            const lr_policy_t *p) {
        double sum[LR_MAX_TIERS + 1] = {0};
        int n[LR_MAX_TIERS + 1]      = {0};
        int i;

        /* Peers: active reps past the ramp, by their tier before this
         * evaluation, so every move is judged against the same means. */
        for (i = 0; i < cnt; i++) {
                int t;
                if (!reps[i].active || lr_rank_is_ramping(&reps[i], p))
                        continue;
                t = lr_rank_clamp_tier(reps[i].tier, p);
                sum[t] += reps[i].composite;
                n[t]++;
        }

        for (i = 0; i < cnt; i++) {
                lr_rep_rank_t *r = &reps[i];
                int t            = lr_rank_clamp_tier(r->tier, p);
                double mean, eps;

                if (!r->active) {
                        r->new_tier  = r->tier;
                        r->tier_mean = 0;
                        continue;
                }
                if (lr_rank_is_ramping(r, p))
                        t = p->tiers;
                mean         = n[t] ? sum[t] / n[t] : 0;
                r->tier_mean = mean;
                r->new_tier  = t;
                if (lr_rank_is_ramping(r, p) || mean <= 0)
                        continue;
                /* Exactly at the ratio counts: absorb summation rounding. */
                eps = 1e-9 * mean;
                if (r->composite >= p->promote_ratio * mean - eps && t > 1)
                        r->new_tier = t - 1;
                else if (r->composite <= p->demote_ratio * mean + eps &&
                         t < p->tiers)
                        r->new_tier = t + 1;
        }
}

double lr_rank_promotion_target(const lr_rep_rank_t *reps, int cnt, int i,
                                const lr_policy_t *p) {
        const lr_rep_rank_t *r = &reps[i];
        int t                  = lr_rank_clamp_tier(r->tier, p);
        double others = 0, peers = 1;
        int j;

        if (!r->active || lr_rank_is_ramping(r, p) || t == 1)
                return -1;
        for (j = 0; j < cnt; j++) {
                if (j == i || !reps[j].active ||
                    lr_rank_is_ramping(&reps[j], p) ||
                    lr_rank_clamp_tier(reps[j].tier, p) != t)
                        continue;
                others += reps[j].composite;
                peers++;
        }
        if (peers <= p->promote_ratio)
                return -1;
        return p->promote_ratio * others / (peers - p->promote_ratio);
}

int lr_rank_is_evaluation_day(int32_t day, const lr_policy_t *p) {
        char ymd[16];

        if (strcmp(p->evaluation, "monthly"))
                return 1;
        lr_day_format(day, ymd, sizeof(ymd));
        return !strcmp(ymd + 8, "01");
}
