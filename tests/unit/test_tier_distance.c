/*
 * test_tier_distance.c - the per-metric distance to the next tier, checked
 * the way a sceptical manager would: put the figure the scorecard gives
 * into the rep's own tallies, recompute the whole ranking with rank.c, and
 * see the rep promoted; with a value a hair less good, see it not.
 * Changing a tally must change that one metric only: the deal value is
 * kept when win rate moves, and a departed rep (counted in the tenant's
 * conversion rate per lead tier, never a peer) gives up the conversions the
 * rep gains, so the rates every rep is measured against stay as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tier_distance.h"

#define NREPS 10
#define DEPARTED 9
#define RAMPING 8
#define NO_CYCLE 4

static char ids[NREPS][16];

/* Ten reps with varied tallies: tier 1: 0-1, tier 2: 2-4, tier 3: 5-8
 * (8 ramping), 9 departed with many conversions to give away; rep 4 has
 * no closed deal with a cycle. */
static void org(lr_rep_rank_t *r, const lr_policy_t *p) {
        int j;
        memset(r, 0, sizeof(*r) * NREPS);
        for (j = 0; j < NREPS; j++) {
                lr_tally_t *t = &r[j].tally;
                snprintf(ids[j], sizeof(ids[j]), "rep-%02d", j);
                r[j].rep_id     = ids[j];
                r[j].tier       = j < 2 ? 1 : j < 5 ? 2 : 3;
                r[j].handled    = j == RAMPING ? 5 : 100;
                r[j].active     = j != DEPARTED;
                t->resolved[1]  = 20 + j * 3;
                t->converted[1] = 2 + (j * 5) % 7;
                t->resolved[3]  = 10 + j;
                t->converted[3] = j % 3;
                t->won          = 2 + j % 4;
                t->lost         = 3 + (j * 7) % 5;
                t->won_value_cents =
                    t->won * (100000 + ((j * 37) % 11) * 15000);
                t->cycle_n         = j == NO_CYCLE ? 0 : 2 + j % 3;
                t->cycle_days_sum  = t->cycle_n * (20 + (j * 13) % 17);
                t->stl_n           = 10 + j;
                t->stl_minutes_sum = t->stl_n * (3 + (j * 5) % 11);
                t->assigned        = t->resolved[1] + t->resolved[3];
        }
        r[DEPARTED].tally.resolved[1]  = 200;
        r[DEPARTED].tally.converted[1] = 100;
        r[DEPARTED].tally.resolved[3]  = 200;
        r[DEPARTED].tally.converted[3] = 100;
        lr_rank_compute(r, NREPS, p);
}

/* reps[i]'s tallies changed so that metric m is v, nothing else moving. */
static void set_metric(lr_rep_rank_t *r, int i, lr_metric_t m, double v) {
        lr_tally_t *t = &r[i].tally;
        double n, f;
        int k;

        switch (m) {
        case LR_METRIC_CONVERSION:
                f = v / r[i].value[m];
                for (k = 0; k < LR_TIER_CLASSES; k++) {
                        double more = t->converted[k] * (f - 1);
                        t->converted[k] += more;
                        r[DEPARTED].tally.converted[k] -= more;
                }
                break;
        case LR_METRIC_WIN_RATE:
                n = t->won + t->lost;
                f = v * n / t->won;
                t->won_value_cents *= f; /* same deal size */
                t->won  = v * n;
                t->lost = n - t->won;
                break;
        case LR_METRIC_DEAL_SIZE:
                t->won_value_cents = v * t->won;
                break;
        case LR_METRIC_CYCLE_DAYS:
                t->cycle_days_sum = v * t->cycle_n;
                break;
        case LR_METRIC_SPEED_TO_LEAD:
                t->stl_minutes_sum = v * t->stl_n;
                break;
        }
}

/* The ranking recomputed from tallies with metric m of rep i at v:
 * promoted? Also checks that the value took. */
static int promoted_by_tally(const lr_policy_t *p, int i, lr_metric_t m,
                             double v) {
        lr_rep_rank_t r[NREPS];
        double mean;
        int up;

        org(r, p);
        set_metric(r, i, m, v);
        lr_rank_compute(r, NREPS, p);
        CHECK_NEAR(r[i].value[m], v, 1e-9 * fmax(1, fabs(v)));
        lr_rank_evaluate_tiers(r, NREPS, p);
        up   = r[i].new_tier < r[i].tier;
        mean = r[i].tier_mean;
        /* the rule itself: composite >= promote_ratio x the tier's mean */
        CHECK_INT(up, r[i].composite >= p->promote_ratio * mean - 1e-9 * mean);
        return up;
}

static int checked, unreachable;

static void check_rep_metric(const lr_policy_t *p, int i, lr_metric_t m) {
        lr_rep_rank_t r[NREPS];
        double v, worse, hair;
        lr_tier_distance_t st;

        org(r, p);
        st = lr_tier_distance_metric(r, NREPS, i, m, p, &v);
        if (i < 2 || i == RAMPING || i == DEPARTED) {
                CHECK_INT(st, LR_TIER_DISTANCE_NO_NEXT);
                return;
        }
        if (i == NO_CYCLE && m == LR_METRIC_CYCLE_DAYS) {
                CHECK_INT(st, LR_TIER_DISTANCE_NO_SAMPLES);
                return;
        }
        if (st == LR_TIER_DISTANCE_UNREACHABLE) {
                /* Not even the best end of the range promotes. */
                double best = lr_metric_lower_is_better(m) ? 0
                              : m == LR_METRIC_WIN_RATE    ? 1
                                                           : 2 * v;
                CHECK(!promoted_by_tally(p, i, m, best));
                unreachable++;
                return;
        }
        CHECK_INT(st, LR_TIER_DISTANCE_REACHED);
        if (st != LR_TIER_DISTANCE_REACHED)
                return;
        if (promoted_by_tally(p, i, m, r[i].value[m])) {
                CHECK_NEAR(v, r[i].value[m], 0); /* there already */
                return;
        }
        /* it is a change for the better, it promotes, and it is the least */
        if (lr_metric_lower_is_better(m))
                CHECK(v < r[i].value[m]);
        else
                CHECK(v > r[i].value[m]);
        CHECK(promoted_by_tally(p, i, m, v));
        hair  = 1e-6 * fmax(1, fabs(v));
        worse = lr_metric_lower_is_better(m) ? v + hair : v - hair;
        CHECK(!promoted_by_tally(p, i, m, worse));
        /* agrees with the what-if it was searched with */
        CHECK(lr_tier_distance_promotes(r, NREPS, i, m, v, p));
        CHECK(!lr_tier_distance_promotes(r, NREPS, i, m, worse, p));
        checked++;
}

int main(void) {
        lr_policy_t p, p0;
        int i, m;

        lr_policy_defaults(&p); /* shrinkage 10: peers matter twice */
        for (i = 0; i < NREPS; i++)
                for (m = 0; m < LR_METRIC_CNT; m++)
                        if (m != LR_METRIC_WIN_RATE)
                                check_rep_metric(&p, i, m);
        /* Win rate through the tallies moves the deal count too, which
         * weighs the deal size's shrinkage: without shrinkage it does not
         * matter. */
        lr_policy_defaults(&p0);
        p0.shrinkage = 0;
        for (i = 0; i < NREPS; i++)
                check_rep_metric(&p0, i, LR_METRIC_WIN_RATE);
        for (i = 0; i < NREPS; i++)
                for (m = 0; m < LR_METRIC_CNT; m++)
                        if (m != LR_METRIC_WIN_RATE)
                                check_rep_metric(&p0, i, m);
        printf("%d figures recomputed, %d unreachable\n", checked, unreachable);
        CHECK(checked >= 12);
        CHECK_DONE();
}
