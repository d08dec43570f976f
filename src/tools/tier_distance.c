/*
 * tier_distance.c - see tier_distance.h. Every trial value is judged by
 * the ranking and tier code of rank.c itself, so the figure a rep reads on
 * the scorecard is what the router would do with it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tier_distance.h"

#define LR_TIER_DISTANCE_STEPS 200

int lr_tier_distance_promotes(const lr_rep_rank_t *reps, int cnt, int i,
                              lr_metric_t m, double value,
                              const lr_policy_t *p) {
        lr_rank_override_t ov = {i, m, value};
        lr_rep_rank_t *work;
        int up;

        work = malloc(sizeof(*work) * (size_t)cnt);
        if (!work)
                abort(); /* a copy of one ranking: nothing sane to do */
        memcpy(work, reps, sizeof(*work) * (size_t)cnt);
        lr_rank_compute_override(work, cnt, p, &ov);
        lr_rank_evaluate_tiers(work, cnt, p);
        up = work[i].new_tier < work[i].tier;
        free(work);
        return up;
}

/* The end of the search range that is best for the rep. */
static double lr_tier_distance_bound(const lr_rep_rank_t *reps, int cnt, int i,
                                     lr_metric_t m) {
        const lr_tally_t *t = &reps[i].tally;
        double best = reps[i].value[m], conv = 0, bound;
        int j, k;

        if (lr_metric_lower_is_better(m))
                return 0;
        if (m == LR_METRIC_WIN_RATE)
                return 1;
        for (j = 0; j < cnt; j++)
                if (reps[j].active && lr_rank_samples(&reps[j].tally, m) > 0 &&
                    reps[j].value[m] > best)
                        best = reps[j].value[m];
        bound = 2 * best;
        if (m == LR_METRIC_CONVERSION) {
                /* value = converted / expected: every resolved lead
                 * converted is the most there is. */
                for (k = 0; k < LR_TIER_CLASSES; k++)
                        conv += t->converted[k];
                if (conv > 0 &&
                    reps[i].value[m] * lr_rank_samples(t, m) / conv < bound)
                        bound = reps[i].value[m] * lr_rank_samples(t, m) / conv;
        }
        return bound;
}

lr_tier_distance_t lr_tier_distance_metric(const lr_rep_rank_t *reps, int cnt,
                                           int i, lr_metric_t m,
                                           const lr_policy_t *p,
                                           double *value) {
        const lr_rep_rank_t *r = &reps[i];
        double cur             = r->value[m], good, bad;
        int step;

        *value = cur;
        if (!r->active || lr_rank_is_ramping(r, p) || r->tier <= 1 ||
            lr_rank_promotion_target(reps, cnt, i, p) < 0)
                return LR_TIER_DISTANCE_NO_NEXT;
        if (lr_rank_samples(&r->tally, m) <= 0)
                return LR_TIER_DISTANCE_NO_SAMPLES;
        if (lr_tier_distance_promotes(reps, cnt, i, m, cur, p))
                return LR_TIER_DISTANCE_REACHED;
        good = lr_tier_distance_bound(reps, cnt, i, m);
        if (good == cur || !lr_tier_distance_promotes(reps, cnt, i, m, good, p))
                return LR_TIER_DISTANCE_UNREACHABLE;
        /* As the value gets better the rep's composite grows and its
         * peers' shrink (but for the small pull of the pooled mean that
         * shrinkage draws toward): one crossing, found by bisection. */
        bad = cur;
        for (step = 0; step < LR_TIER_DISTANCE_STEPS; step++) {
                double mid = (good + bad) / 2;
                if (fabs(good - bad) <= 1e-10 * fmax(1.0, fabs(good)) ||
                    mid == good || mid == bad)
                        break;
                if (lr_tier_distance_promotes(reps, cnt, i, m, mid, p))
                        good = mid;
                else
                        bad = mid;
        }
        *value = good;
        return LR_TIER_DISTANCE_REACHED;
}
