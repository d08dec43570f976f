/*
 * test_rank.c - the ranking math of rank.c and rank_prepare.c on hand-made
 * buckets; every expected number is worked out in the comment beside it.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "leadrouter/rank.h"
#include "rank_prepare.h"
#include "timeutil.h"

#define AS_OF 20784 /* 2026-11-27 */
#define EPS 1e-9

static lr_bucket_t bucket(int32_t day) {
        lr_bucket_t b;
        memset(&b, 0, sizeof(b));
        b.day = day;
        return b;
}

static lr_rep_rank_t rep(const char *id, int tier, int64_t handled) {
        lr_rep_rank_t r;
        memset(&r, 0, sizeof(r));
        r.rep_id  = id;
        r.tier    = tier;
        r.handled = handled;
        r.active  = 1;
        return r;
}

static void test_window_edge(void) {
        lr_policy_t p;
        lr_tally_t t;
        int32_t days[] = {AS_OF - 91, AS_OF - 90, AS_OF - 1, AS_OF, AS_OF + 1};
        size_t i;

        lr_policy_defaults(&p);
        memset(&t, 0, sizeof(t));
        /* won = 1, 2, 4, 8, 16 per bucket: only days as_of-90 and as_of-1
         * are inside [as_of-90, as_of-1], so won = 2 + 4 = 6. */
        for (i = 0; i < sizeof(days) / sizeof(*days); i++) {
                lr_bucket_t b = bucket(days[i]);
                b.won         = 1 << i;
                b.calls       = 1;
                lr_tally_add(&t, &b, AS_OF, &p);
        }
        CHECK_NEAR(t.won, 6, 0);
        CHECK_NEAR(t.calls, 2, 0);

        /* A 30-day window moves the edge: as_of-30 in, as_of-31 out. */
        p.window_days = 30;
        memset(&t, 0, sizeof(t));
        {
                lr_bucket_t in = bucket(AS_OF - 30), out = bucket(AS_OF - 31);
                in.lost  = 1;
                out.lost = 10;
                lr_tally_add(&t, &in, AS_OF, &p);
                lr_tally_add(&t, &out, AS_OF, &p);
        }
        CHECK_NEAR(t.lost, 1, 0);
}

static void test_maturity(void) {
        lr_policy_t p;
        lr_tally_t t;
        lr_bucket_t young, old, mature_over;

        lr_policy_defaults(&p); /* maturity 30 */
        memset(&t, 0, sizeof(t));
        /* age 30 (not > 30): only the closed count, 2 + 3 = 5 resolved. */
        young      = bucket(AS_OF - 30);
        young.n[1] = 10;
        young.c[1] = 2;
        young.x[1] = 3;
        /* age 31: resolved in full, 10. */
        old      = bucket(AS_OF - 31);
        old.n[1] = 10;
        old.c[1] = 2;
        old.x[1] = 3;
        lr_tally_add(&t, &young, AS_OF, &p);
        CHECK_NEAR(t.resolved[1], 5, 0);
        lr_tally_add(&t, &old, AS_OF, &p);
        CHECK_NEAR(t.resolved[1], 15, 0); /* 5 + 10 */
        CHECK_NEAR(t.converted[1], 4, 0); /* 2 + 2 */
        CHECK_NEAR(t.assigned, 20, 0);    /* 10 + 10 */

        /* Counters that disagree (more closed than assigned, e.g. imported
         * outcomes) never resolve fewer than they closed: max(2, 1+3) = 4. */
        mature_over      = bucket(AS_OF - 60);
        mature_over.n[3] = 2;
        mature_over.c[3] = 1;
        mature_over.x[3] = 3;
        lr_tally_add(&t, &mature_over, AS_OF, &p);
        CHECK_NEAR(t.resolved[3], 4, 0);
        CHECK_NEAR(t.assigned, 22, 0);
}

/*
 * Three reps, shrinkage off, tier-1 leads only, every cohort mature:
 *   conversion: A 6/10, B 2/10, C 4/10; tenant tier-1 rate 12/30 = 0.4,
 *     expected 4 each -> values 1.5, 0.5, 1.0 -> scores 1, 0, 0.5
 *   win_rate:   A 3/4 = .75, B 1/4 = .25, C 2/4 = .5 -> 1, 0, .5
 *   deal_size:  A 300000/3 = 100000, B 300000/1, C 400000/2 = 200000
 *                -> 0, 1, .5
 *   cycle_days: A 40/2 = 20, B 10/1 = 10, C 30/1 = 30 (lower better)
 *                -> .5, 1, 0
 *   speed:      A 50/10 = 5, B 30/2 = 15, C 10/1 = 10 (lower better)
 *                -> 1, 0, .5
 *   composite A = .30 + .25 + 0 + .15*.5 + .10 = 0.725
 *             B = 0 + 0 + .20 + .15 + 0      = 0.35
 *             C = .15 + .125 + .10 + 0 + .05 = 0.425
 *   ranks A 1, C 2, B 3.
 */
static void fill_abc(lr_rep_rank_t r[3], lr_policy_t *p) {
        lr_bucket_t b[3];
        int i;

        lr_policy_defaults(p);
        p->shrinkage = 0;
        for (i = 0; i < 3; i++)
                b[i] = bucket(AS_OF - 45);
        b[0].n[1] = 10, b[0].c[1] = 6, b[0].x[1] = 1;
        b[1].n[1] = 10, b[1].c[1] = 2, b[1].x[1] = 5;
        b[2].n[1] = 10, b[2].c[1] = 4;
        b[0].won = 3, b[0].lost = 1, b[0].won_value_cents = 300000;
        b[1].won = 1, b[1].lost = 3, b[1].won_value_cents = 300000;
        b[2].won = 2, b[2].lost = 2, b[2].won_value_cents = 400000;
        b[0].cycle_days_sum = 40, b[0].cycle_n = 2;
        b[1].cycle_days_sum = 10, b[1].cycle_n = 1;
        b[2].cycle_days_sum = 30, b[2].cycle_n = 1;
        b[0].stl_minutes_sum = 50, b[0].stl_n = 10;
        b[1].stl_minutes_sum = 30, b[1].stl_n = 2;
        b[2].stl_minutes_sum = 10, b[2].stl_n = 1;
        r[0] = rep("A", 2, 100);
        r[1] = rep("B", 2, 100);
        r[2] = rep("C", 2, 100);
        for (i = 0; i < 3; i++)
                lr_tally_add(&r[i].tally, &b[i], AS_OF, p);
}

static void test_metrics(void) {
        lr_policy_t p;
        lr_rep_rank_t r[3];
        static const double want_value[3][LR_METRIC_CNT] = {
            {1.5, .75, 100000, 20, 5},
            {0.5, .25, 300000, 10, 15},
            {1.0, .50, 200000, 30, 10}};
        static const double want_score[3][LR_METRIC_CNT] = {
            {1, 1, 0, .5, 1}, {0, 0, 1, 1, 0}, {.5, .5, .5, 0, .5}};
        int i, m;

        fill_abc(r, &p);
        lr_rank_compute(r, 3, &p);
        for (i = 0; i < 3; i++)
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        CHECK_NEAR(r[i].value[m], want_value[i][m], EPS);
                        CHECK_NEAR(r[i].score[m], want_score[i][m], EPS);
                }
        CHECK_NEAR(r[0].composite, 0.725, EPS);
        CHECK_NEAR(r[1].composite, 0.35, EPS);
        CHECK_NEAR(r[2].composite, 0.425, EPS);
        CHECK_INT(r[0].rank, 1);
        CHECK_INT(r[2].rank, 2);
        CHECK_INT(r[1].rank, 3);

        /* Sample sizes: resolved A = 10 (mature), won+lost 4, won 3, ... */
        CHECK_NEAR(lr_rank_samples(&r[0].tally, LR_METRIC_CONVERSION), 10, 0);
        CHECK_NEAR(lr_rank_samples(&r[0].tally, LR_METRIC_WIN_RATE), 4, 0);
        CHECK_NEAR(lr_rank_samples(&r[0].tally, LR_METRIC_DEAL_SIZE), 3, 0);
        CHECK_NEAR(lr_rank_samples(&r[0].tally, LR_METRIC_CYCLE_DAYS), 2, 0);
        CHECK_NEAR(lr_rank_samples(&r[0].tally, LR_METRIC_SPEED_TO_LEAD), 10,
                   0);
}

/* An inactive rep is not a peer: its record win rate (100 of 100) leaves
 * the others' scores as in test_metrics, and it gets rank 0. */
static void test_inactive(void) {
        lr_policy_t p;
        lr_rep_rank_t r[4];
        lr_bucket_t b = bucket(AS_OF - 10);

        fill_abc(r, &p);
        r[3]        = rep("Z", 1, 500);
        r[3].active = 0;
        b.won       = 100;
        lr_tally_add(&r[3].tally, &b, AS_OF, &p);
        lr_rank_compute(r, 4, &p);
        CHECK_INT(r[3].rank, 0);
        CHECK_NEAR(r[3].composite, 0, 0);
        CHECK_NEAR(r[3].value[LR_METRIC_WIN_RATE], 1.0, EPS); /* raw */
        CHECK_NEAR(r[0].score[LR_METRIC_WIN_RATE], 1, EPS);
        CHECK_NEAR(r[2].score[LR_METRIC_WIN_RATE], .5, EPS);
        CHECK_NEAR(r[0].composite, 0.725, EPS);
        CHECK_INT(r[0].rank, 1);
        CHECK_INT(r[1].rank, 3);
}

/*
 * Quality adjustment, shrinkage off, all cohorts mature.
 * Case 1: A gets only tier-1 leads (6 of 10 convert), B only tier-3 leads
 * (2 of 20), D both (6 of 10 tier-1, 1 of 10 tier-3). Tenant rates:
 * tier 1 = 12/20 = 0.6, tier 3 = 3/30 = 0.1. Expected: A 10*.6 = 6,
 * B 20*.1 = 2, D 6 + 1 = 7; conversions 6, 2, 7 -> all exactly 1.0, so
 * every conversion score is 0.5 even though A converts 60% and B 10%.
 */
static void test_quality_adjustment(void) {
        lr_policy_t p;
        lr_rep_rank_t r[4];
        lr_bucket_t b[4];
        int i;

        lr_policy_defaults(&p);
        p.shrinkage = 0;
        for (i = 0; i < 4; i++)
                b[i] = bucket(AS_OF - 40);
        b[0].n[1] = 10, b[0].c[1] = 6;
        b[1].n[3] = 20, b[1].c[3] = 2;
        b[2].n[1] = 10, b[2].c[1] = 6, b[2].n[3] = 10, b[2].c[3] = 1;
        r[0] = rep("A", 1, 50);
        r[1] = rep("B", 3, 50);
        r[2] = rep("D", 2, 50);
        for (i = 0; i < 3; i++)
                lr_tally_add(&r[i].tally, &b[i], AS_OF, &p);
        lr_rank_compute(r, 3, &p);
        for (i = 0; i < 3; i++) {
                CHECK_NEAR(r[i].value[LR_METRIC_CONVERSION], 1.0, EPS);
                CHECK_NEAR(r[i].score[LR_METRIC_CONVERSION], 0.5, EPS);
        }

        /* Case 2: tier 1: A 6/10, B 2/10 -> rate .4, expected 4 each;
         * tier 3: C 4/20, D 0/20 -> rate .1, expected 2 each.
         * Values A 1.5, B .5, C 2.0, D 0: the tier-3 rep converting 20%
         * beats the tier-1 rep converting 60%. Scores over [0, 2]:
         * A .75, B .25, C 1, D 0. */
        for (i = 0; i < 4; i++)
                b[i] = bucket(AS_OF - 40);
        b[0].n[1] = 10, b[0].c[1] = 6;
        b[1].n[1] = 10, b[1].c[1] = 2;
        b[2].n[3] = 20, b[2].c[3] = 4;
        b[3].n[3] = 20;
        r[0]      = rep("A", 1, 50);
        r[1]      = rep("B", 1, 50);
        r[2]      = rep("C", 3, 50);
        r[3]      = rep("D", 3, 50);
        for (i = 0; i < 4; i++)
                lr_tally_add(&r[i].tally, &b[i], AS_OF, &p);
        lr_rank_compute(r, 4, &p);
        CHECK_NEAR(r[0].value[LR_METRIC_CONVERSION], 1.5, EPS);
        CHECK_NEAR(r[1].value[LR_METRIC_CONVERSION], 0.5, EPS);
        CHECK_NEAR(r[2].value[LR_METRIC_CONVERSION], 2.0, EPS);
        CHECK_NEAR(r[3].value[LR_METRIC_CONVERSION], 0.0, EPS);
        CHECK_NEAR(r[0].score[LR_METRIC_CONVERSION], 0.75, EPS);
        CHECK_NEAR(r[1].score[LR_METRIC_CONVERSION], 0.25, EPS);
        CHECK_NEAR(r[2].score[LR_METRIC_CONVERSION], 1.0, EPS);
        CHECK_NEAR(r[3].score[LR_METRIC_CONVERSION], 0.0, EPS);
}

/*
 * Shrinkage s = 10, win rate only:
 *   A 1 of 1 (1.0), B 40 of 50 (.8), C 5 of 20 (.25).
 *   pooled mean = 46/71
 *   A = (1*1 + 10*46/71) / 11   = 531/781  = 0.6799
 *   B = (50*.8 + 10*46/71) / 60 = 55/71    = 0.7746
 *   C = (20*.25 + 10*46/71) / 30 = 815/2130 = 0.3826
 *   B is the best closer: score 1; C 0; A (531/781 - 815/2130) /
 *   (55/71 - 815/2130). Without shrinkage A (1.0) would rank first.
 */
static void test_shrinkage(void) {
        static const double w[LR_METRIC_CNT] = {0, 1, 0, 0, 0};
        lr_policy_t p;
        lr_rep_rank_t r[3];
        lr_bucket_t b[3];
        double a = 531.0 / 781, bb = 55.0 / 71, c = 815.0 / 2130;
        int i;

        lr_policy_defaults(&p);
        memcpy(p.weights, w, sizeof(w));
        for (i = 0; i < 3; i++)
                b[i] = bucket(AS_OF - 5);
        b[0].won = 1;
        b[1].won = 40, b[1].lost = 10;
        b[2].won = 5, b[2].lost = 15;
        r[0] = rep("A", 1, 50);
        r[1] = rep("B", 1, 50);
        r[2] = rep("C", 1, 50);
        for (i = 0; i < 3; i++)
                lr_tally_add(&r[i].tally, &b[i], AS_OF, &p);
        lr_rank_compute(r, 3, &p);
        CHECK_NEAR(r[0].value[LR_METRIC_WIN_RATE], 1.0, EPS);
        CHECK_NEAR(r[1].value[LR_METRIC_WIN_RATE], 0.8, EPS);
        CHECK_NEAR(r[2].value[LR_METRIC_WIN_RATE], 0.25, EPS);
        CHECK_NEAR(r[1].score[LR_METRIC_WIN_RATE], 1, EPS);
        CHECK_NEAR(r[2].score[LR_METRIC_WIN_RATE], 0, EPS);
        CHECK_NEAR(r[0].score[LR_METRIC_WIN_RATE], (a - c) / (bb - c), EPS);
        CHECK_INT(r[1].rank, 1);
        CHECK_INT(r[0].rank, 2);
        CHECK_INT(r[2].rank, 3);

        p.shrinkage = 0;
        lr_rank_compute(r, 3, &p);
        CHECK_INT(r[0].rank, 1); /* the 1-of-1 rep, unshrunk */
        CHECK_INT(r[1].rank, 2);
}

/*
 * A rep without data gets the tenant mean. Deal size, s = 10:
 *   A 300000/3 = 100000, B 50000/1, C no wins; mean = 350000/4 = 87500
 *   A = (300000 + 875000)/13 = 1175000/13, B = (50000 + 875000)/11 =
 *   925000/11, C = 87500. C's score = (87500 - B)/(A - B); value C = 0.
 * And a metric nobody has data for (speed) scores 0.5 for everyone.
 */
static void test_no_data(void) {
        lr_policy_t p;
        lr_rep_rank_t r[3];
        lr_bucket_t b[2];
        double a = 1175000.0 / 13, bb = 925000.0 / 11;
        int i;

        lr_policy_defaults(&p);
        b[0]                 = bucket(AS_OF - 3);
        b[1]                 = bucket(AS_OF - 3);
        b[0].won             = 3;
        b[0].won_value_cents = 300000;
        b[1].won             = 1;
        b[1].won_value_cents = 50000;
        r[0]                 = rep("A", 1, 50);
        r[1]                 = rep("B", 1, 50);
        r[2]                 = rep("C", 1, 50);
        for (i = 0; i < 2; i++)
                lr_tally_add(&r[i].tally, &b[i], AS_OF, &p);
        lr_rank_compute(r, 3, &p);
        CHECK_NEAR(r[0].score[LR_METRIC_DEAL_SIZE], 1, EPS);
        CHECK_NEAR(r[1].score[LR_METRIC_DEAL_SIZE], 0, EPS);
        CHECK_NEAR(r[2].score[LR_METRIC_DEAL_SIZE], (87500 - bb) / (a - bb),
                   EPS);
        CHECK_NEAR(r[2].value[LR_METRIC_DEAL_SIZE], 0, 0);
        CHECK_NEAR(r[0].value[LR_METRIC_DEAL_SIZE], 100000, EPS);
        for (i = 0; i < 3; i++) {
                CHECK_NEAR(r[i].score[LR_METRIC_SPEED_TO_LEAD], 0.5, 0);
                CHECK_NEAR(r[i].score[LR_METRIC_CONVERSION], 0.5, 0);
        }
}

/* Equal composites rank by rep_id, whatever the input order. */
static void test_ties(void) {
        lr_policy_t p;
        lr_rep_rank_t r[3];
        lr_bucket_t good = bucket(AS_OF - 2), bad = bucket(AS_OF - 2);
        int i;

        lr_policy_defaults(&p);
        good.won = 5;
        bad.lost = 5;
        r[0]     = rep("rep-b", 1, 50);
        r[1]     = rep("rep-c", 1, 50);
        r[2]     = rep("rep-a", 1, 50);
        lr_tally_add(&r[0].tally, &good, AS_OF, &p);
        lr_tally_add(&r[1].tally, &bad, AS_OF, &p);
        lr_tally_add(&r[2].tally, &good, AS_OF, &p);
        lr_rank_compute(r, 3, &p);
        CHECK_NEAR(r[0].composite, r[2].composite, 0);
        CHECK_INT(r[2].rank, 1); /* rep-a */
        CHECK_INT(r[0].rank, 2); /* rep-b */
        CHECK_INT(r[1].rank, 3);

        /* All equal: every score 0.5, ranks by id. */
        for (i = 0; i < 3; i++)
                memset(&r[i].tally, 0, sizeof(r[i].tally));
        lr_rank_compute(r, 3, &p);
        CHECK_NEAR(r[1].composite, 0.5, EPS);
        CHECK_INT(r[2].rank, 1);
        CHECK_INT(r[0].rank, 2);
        CHECK_INT(r[1].rank, 3);
}

static lr_rep_rank_t rated(const char *id, int tier, int64_t handled,
                           double composite) {
        lr_rep_rank_t r = rep(id, tier, handled);
        r.composite     = composite;
        return r;
}

static void test_tiers(void) {
        lr_policy_t p;
        lr_rep_rank_t r[12];

        lr_policy_defaults(&p); /* 3 tiers, ramp 20, 1.20 / 0.80 */
        /* tier 1: U .9, V .3 -> mean .6; U stays (top), V .5x -> 2 */
        r[0] = rated("U", 1, 100, 0.9);
        r[1] = rated("V", 1, 100, 0.3);
        /* tier 2: P .6, Q .4 -> mean .5: P exactly 1.2x -> 1, Q exactly
         * .8x -> 3. X (ramping) and Y (inactive) are not peers: their .99
         * would lift the mean above .6 otherwise. */
        r[2]        = rated("P", 2, 100, 0.6);
        r[3]        = rated("Q", 2, 100, 0.4);
        r[4]        = rated("X", 2, 19, 0.99);
        r[5]        = rated("Y", 2, 100, 0.99);
        r[5].active = 0;
        /* tier 3: R .9 (handled exactly 20: evaluated), S .1, T .1, and O
         * and N below; R -> 2 only (one step); S, T stay (bottom).
         * W is ramping: stays 3, not a peer. */
        r[6] = rated("R", 3, 20, 0.9);
        r[7] = rated("S", 3, 100, 0.1);
        r[8] = rated("T", 3, 100, 0.1);
        r[9] = rated("W", 3, 0, 0.99);
        /* a tier the policy no longer has -> bottom; mean <= 0 -> stays */
        r[10] = rated("O", 7, 100, 0.0);
        r[11] = rated("N", 0, 100, 0.0);
        lr_rank_evaluate_tiers(r, 12, &p);
        CHECK_INT(r[0].new_tier, 1);
        CHECK_INT(r[1].new_tier, 2);
        CHECK_NEAR(r[0].tier_mean, 0.6, EPS);
        CHECK_INT(r[2].new_tier, 1);
        CHECK_INT(r[3].new_tier, 3);
        CHECK_NEAR(r[2].tier_mean, 0.5, EPS);
        CHECK_INT(r[4].new_tier, 3);
        CHECK_INT(r[5].new_tier, 2);
        CHECK_INT(r[6].new_tier, 2);
        CHECK_INT(r[7].new_tier, 3);
        CHECK_INT(r[8].new_tier, 3);
        CHECK_INT(r[9].new_tier, 3);
        /* O and N joined tier 3's peers: mean = 1.1/5; both 0 <= .8x but
         * already at the bottom. R still 0.9 >= 1.2 * 0.22. */
        CHECK_NEAR(r[6].tier_mean, 1.1 / 5, EPS);
        CHECK_NEAR(r[9].tier_mean, 1.1 / 5, EPS);
        CHECK_INT(r[10].new_tier, 3);
        CHECK_INT(r[11].new_tier, 3);

        /* 1.19x and 0.81x: no move. */
        r[0] = rated("P", 2, 100, 0.595);
        r[1] = rated("Q", 2, 100, 0.405);
        lr_rank_evaluate_tiers(r, 2, &p);
        CHECK_NEAR(r[0].tier_mean, 0.5, EPS);
        CHECK_INT(r[0].new_tier, 2);
        CHECK_INT(r[1].new_tier, 2);

        /* Exactly at the ratios with a mean that is not exact in binary:
         * .36, .30, .24 -> mean .3 (summed with rounding). */
        r[0] = rated("a", 2, 100, 0.36);
        r[1] = rated("b", 2, 100, 0.30);
        r[2] = rated("c", 2, 100, 0.24);
        lr_rank_evaluate_tiers(r, 3, &p);
        CHECK_INT(r[0].new_tier, 1);
        CHECK_INT(r[1].new_tier, 2);
        CHECK_INT(r[2].new_tier, 3);

        /* A ramping rep in a better tier is put in the bottom tier. */
        r[0] = rated("new", 1, 5, 0.9);
        lr_rank_evaluate_tiers(r, 1, &p);
        CHECK_INT(r[0].new_tier, 3);
        CHECK(lr_rank_is_ramping(&r[0], &p));

        /* Everyone at 0: mean <= 0, nobody moves. */
        r[0] = rated("a", 2, 100, 0);
        r[1] = rated("b", 2, 100, 0);
        lr_rank_evaluate_tiers(r, 2, &p);
        CHECK_INT(r[0].new_tier, 2);
        CHECK_INT(r[1].new_tier, 2);
}

/* Q at .4 next to P at .6 (tier 2): c = 1.2 (.6 + c) / 2 -> c = .72/.8 =
 * .9. Tier 1, ramping and alone-in-tier reps have no target. */
static void test_promotion_target(void) {
        lr_policy_t p;
        lr_rep_rank_t r[5];

        lr_policy_defaults(&p);
        r[0] = rated("P", 2, 100, 0.6);
        r[1] = rated("Q", 2, 100, 0.4);
        r[2] = rated("U", 1, 100, 0.9);
        r[3] = rated("W", 3, 3, 0.5);
        r[4] = rated("L", 3, 100, 0.5);
        CHECK_NEAR(lr_rank_promotion_target(r, 5, 1, &p), 0.9, EPS);
        CHECK_NEAR(lr_rank_promotion_target(r, 5, 0, &p), 0.6, EPS);
        CHECK_NEAR(lr_rank_promotion_target(r, 5, 2, &p), -1, 0);
        CHECK_NEAR(lr_rank_promotion_target(r, 5, 3, &p), -1, 0);
        CHECK_NEAR(lr_rank_promotion_target(r, 5, 4, &p), -1, 0);

        /* Reaching the target does promote. */
        r[1].composite = 0.9;
        lr_rank_evaluate_tiers(r, 5, &p);
        CHECK_INT(r[1].new_tier, 1);
}

static void test_evaluation_day(void) {
        lr_policy_t p;
        char buf[16];

        lr_policy_defaults(&p);
        CHECK(lr_rank_is_evaluation_day(20784, &p)); /* daily */
        snprintf(p.evaluation, sizeof(p.evaluation), "monthly");
        lr_day_format(20758, buf, sizeof(buf));
        CHECK_STR(buf, "2026-11-01");
        CHECK(lr_rank_is_evaluation_day(20758, &p));
        CHECK(!lr_rank_is_evaluation_day(20757, &p)); /* 2026-10-31 */
        CHECK(!lr_rank_is_evaluation_day(20784, &p)); /* 2026-11-27 */
        CHECK(lr_rank_is_evaluation_day(19783, &p));  /* 2024-03-01 */
        CHECK(!lr_rank_is_evaluation_day(19782, &p)); /* 2024-02-29 */
        CHECK(lr_rank_is_evaluation_day(0, &p));      /* 1970-01-01 */
}

static void test_prepare(void) {
        lr_policy_t p;
        lr_bucket_t b[3];
        lr_store_rep_t s[2];
        lr_rep_rank_t out[2];

        lr_policy_defaults(&p);
        memset(s, 0, sizeof(s));
        b[0]             = bucket(AS_OF - 1);
        b[0].won         = 2;
        b[0].calls       = 7;
        b[1]             = bucket(AS_OF - 91); /* outside the window */
        b[1].won         = 100;
        b[2]             = bucket(AS_OF - 50);
        b[2].n[2]        = 4;
        s[0].rep_id      = "rep-1";
        s[0].tier        = 2;
        s[0].handled     = 40;
        s[0].active      = 1;
        s[0].buckets     = b;
        s[0].buckets_cnt = 3;
        s[1].rep_id      = "rep-2";
        s[1].tier        = 3;
        s[1].active      = 0;
        lr_rank_prepare(s, 2, AS_OF, &p, out);
        CHECK_STR(out[0].rep_id, "rep-1");
        CHECK_INT(out[0].tier, 2);
        CHECK_INT(out[0].handled, 40);
        CHECK_INT(out[0].active, 1);
        CHECK_NEAR(out[0].tally.won, 2, 0);
        CHECK_NEAR(out[0].tally.calls, 7, 0);
        CHECK_NEAR(out[0].tally.assigned, 4, 0);
        CHECK_NEAR(out[0].tally.resolved[2], 4, 0); /* age 50 > 30 */
        CHECK_INT(out[1].active, 0);
        CHECK_NEAR(out[1].tally.won, 0, 0);
}

int main(void) {
        test_window_edge();
        test_maturity();
        test_metrics();
        test_inactive();
        test_quality_adjustment();
        test_shrinkage();
        test_no_data();
        test_ties();
        test_tiers();
        test_promotion_target();
        test_evaluation_day();
        test_prepare();
        CHECK_DONE();
}
