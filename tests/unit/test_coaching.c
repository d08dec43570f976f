/*
 * test_coaching.c - coaching pairs, leaderboards and team aggregation on a
 * hand-made ranking whose scores are set directly, so every expected pair
 * and order below can be worked out from the table in setup().
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "coaching.h"

#define N 6
static lr_rep_rank_t r[N];
static lr_policy_t pol;

/*            tier  conv  win  deal cycle speed   (scores)
 * a  rank 1   1    .9    .8   .2   .5    .5
 * b  rank 2   1    .7    .6   .9   .5    .5
 * c  rank 3   2    .2    .9   .4   .6    .9
 * d  rank 4   2    .6    .3   .4   .6    .1   (no deal samples)
 * e  rank 5   2    .95   .1   .3   .6    .5   ramping but ranked
 * f  departed 2    1     1    1    1     1    (never a mentor)
 */
static void setup(void) {
        static const char *ids[N]   = {"a", "b", "c", "d", "e", "f"};
        static const int tiers[N]   = {1, 1, 2, 2, 2, 2};
        static const double s[N][5] = {
            {.9, .8, .2, .5, .5}, {.7, .6, .9, .5, .5},  {.2, .9, .4, .6, .9},
            {.6, .3, .4, .6, .1}, {.95, .1, .3, .6, .5}, {1, 1, 1, 1, 1}};
        int i, m;

        lr_policy_defaults(&pol); /* weights .30 .25 .20 .15 .10 */
        memset(r, 0, sizeof(r));
        for (i = 0; i < N; i++) {
                r[i].rep_id = ids[i];
                r[i].tier   = tiers[i];
                r[i].active = i != 5;
                r[i].rank   = i != 5 ? i + 1 : 0;
                for (m = 0; m < 5; m++) {
                        r[i].score[m] = s[i][m];
                        r[i].value[m] = s[i][m] * 10;
                        r[i].composite += pol.weights[m] * s[i][m];
                }
                r[i].tally.resolved[1] = 10;
                r[i].tally.won = r[i].tally.lost = 2;
                r[i].tally.cycle_n = r[i].tally.stl_n = 3;
        }
        r[3].tally.won = 0; /* d: no deal size (won = 0), win rate 0/2 */
}

static void test_pairs(void) {
        lr_coaching_pair_t c[LR_METRIC_CNT];
        int n;

        /* c (tier 2; peers d, e): conv: peers .775, c .2 -> cost .3 x .575
         * = .1725; deal: peers (.4+.3)/2 = .35 < .4: no; win .9 > .2: no;
         * cycle .6 = .6: no; speed .9: no. Mentors on conversion: e .95,
         * a .9 (f departed, never). */
        n = lr_coaching_pairs(r, N, 2, &pol, c, LR_METRIC_CNT);
        CHECK_INT(n, 1);
        CHECK_INT(c[0].metric, LR_METRIC_CONVERSION);
        CHECK_NEAR(c[0].peer_mean, .775, 1e-12);
        CHECK_NEAR(c[0].cost, .3 * .575, 1e-12);
        CHECK_INT(c[0].mentors_cnt, 2);
        CHECK_INT(c[0].mentors[0], 4);
        CHECK_INT(c[0].mentors[1], 0);

        /* d (peers c, e): conv .6 vs .575: no; win .3 vs .5 -> .25 x .2 =
         * .05; deal: no samples; cycle equal; speed .1 vs .7 -> .1 x .6 =
         * .06. Order: speed (.06), win (.05). Speed mentors: c .9, then a
         * .5 / b .5 / e .5 tie -> better rank: a. */
        n = lr_coaching_pairs(r, N, 3, &pol, c, LR_METRIC_CNT);
        CHECK_INT(n, 2);
        CHECK_INT(c[0].metric, LR_METRIC_SPEED_TO_LEAD);
        CHECK_NEAR(c[0].cost, .06, 1e-12);
        CHECK_INT(c[0].mentors[0], 2);
        CHECK_INT(c[0].mentors[1], 0);
        CHECK_INT(c[1].metric, LR_METRIC_WIN_RATE);
        CHECK_NEAR(c[1].cost, .05, 1e-12);
        CHECK_INT(c[1].mentors[0], 2); /* c .9, a .8 */
        CHECK_INT(c[1].mentors[1], 0);

        /* max honoured */
        CHECK_INT(lr_coaching_pairs(r, N, 3, &pol, c, 1), 1);
        CHECK_INT(c[0].metric, LR_METRIC_SPEED_TO_LEAD);

        /* a (peer b): deal .2 vs .9 -> .2 x .7 = .14; the best on deal is
         * b (.9; f departed), then d has no samples, c .4 */
        n = lr_coaching_pairs(r, N, 0, &pol, c, LR_METRIC_CNT);
        CHECK_INT(n, 1);
        CHECK_INT(c[0].metric, LR_METRIC_DEAL_SIZE);
        CHECK_INT(c[0].mentors[0], 1);
        CHECK_INT(c[0].mentors[1], 2);

        /* departed: nothing */
        CHECK_INT(lr_coaching_pairs(r, N, 5, &pol, c, LR_METRIC_CNT), 0);
}

static void test_leaderboard(void) {
        int idx[N], n;

        n = lr_coaching_leaderboard(r, N, LR_METRIC_DEAL_SIZE, idx);
        CHECK_INT(n, 4); /* not d (no samples), not f (departed) */
        CHECK_INT(idx[0], 1);
        CHECK_INT(idx[1], 2);
        CHECK_INT(idx[2], 4);
        CHECK_INT(idx[3], 0);
        n = lr_coaching_leaderboard(r, N, LR_METRIC_SPEED_TO_LEAD, idx);
        CHECK_INT(n, 5);
        CHECK_INT(idx[0], 2);
        CHECK_INT(idx[1], 0); /* .5 ties by rank: a, b, e */
        CHECK_INT(idx[2], 1);
        CHECK_INT(idx[3], 4);
        CHECK_INT(idx[4], 3);
}

static void test_teams(void) {
        const char *teams[N] = {"Orcas", "Lynx", "Orcas",
                                NULL,    "Lynx", "Orcas"};
        lr_team_t *t;
        int n;

        n = lr_coaching_teams(r, teams, N, &t);
        CHECK_INT(n, 2);
        if (n != 2)
                return;
        /* Orcas: a, c (f departed) ; Lynx: b, e */
        {
                double orcas = (r[0].composite + r[2].composite) / 2;
                double lynx  = (r[1].composite + r[4].composite) / 2;
                int o        = orcas >= lynx ? 0 : 1;
                CHECK_STR(t[o].team, "Orcas");
                CHECK_STR(t[1 - o].team, "Lynx");
                CHECK_INT(t[o].members, 2);
                CHECK_NEAR(t[o].composite, orcas, 1e-12);
                CHECK_NEAR(t[1 - o].composite, lynx, 1e-12);
                CHECK_INT(t[o].best_rank, 1);
                CHECK_INT(t[1 - o].best_rank, 2);
                CHECK_INT(t[o].tier_cnt[1], 1);
                CHECK_INT(t[o].tier_cnt[2], 1);
                CHECK_NEAR(t[o].score[LR_METRIC_CONVERSION], (.9 + .2) / 2,
                           1e-12);
                CHECK_INT(t[o].strongest[LR_METRIC_CONVERSION], 0);
                CHECK_INT(t[o].strongest[LR_METRIC_WIN_RATE], 2);
                CHECK_INT(t[1 - o].strongest[LR_METRIC_CONVERSION], 4);
                CHECK_INT(t[1 - o].strongest[LR_METRIC_DEAL_SIZE], 1);
        }
        free(t);
}

int main(void) {
        setup();
        test_pairs();
        test_leaderboard();
        test_teams();
        CHECK_DONE();
}
