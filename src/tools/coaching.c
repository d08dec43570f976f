/*
 * coaching.c - see coaching.h. Who trails where is judged on scores, the
 * 0..1 scale the composite is made of, so a gap in deal size and a gap in
 * speed to lead compare; weighting the gap by the metric's weight orders
 * them by what they cost the rep's composite.
 */
#include <stdlib.h>
#include <string.h>

#include "coaching.h"

static int lr_coaching_has(const lr_rep_rank_t *r, lr_metric_t m) {
        return r->active && lr_rank_samples(&r->tally, m) > 0;
}

/* Better on metric m: higher score, then better rank, then rep_id. */
static int lr_coaching_better(const lr_rep_rank_t *a, const lr_rep_rank_t *b,
                              lr_metric_t m) {
        if (a->score[m] != b->score[m])
                return a->score[m] > b->score[m];
        if (a->rank != b->rank)
                return a->rank < b->rank;
        return strcmp(a->rep_id ? a->rep_id : "", b->rep_id ? b->rep_id : "") <
               0;
}

/* Insertion sort of idx[0..n) best first: boards are a few dozen reps. */
static void lr_coaching_sort(const lr_rep_rank_t *reps, int *idx, int n,
                             lr_metric_t m) {
        int a, b;
        for (a = 1; a < n; a++) {
                int v = idx[a];
                for (b = a; b > 0 &&
                            lr_coaching_better(&reps[v], &reps[idx[b - 1]], m);
                     b--)
                        idx[b] = idx[b - 1];
                idx[b] = v;
        }
}

int lr_coaching_leaderboard(const lr_rep_rank_t *reps, int cnt, lr_metric_t m,
                            int *out) {
        int i, n = 0;
        for (i = 0; i < cnt; i++)
                if (lr_coaching_has(&reps[i], m))
                        out[n++] = i;
        lr_coaching_sort(reps, out, n, m);
        return n;
}

int lr_coaching_pairs(const lr_rep_rank_t *reps, int cnt, int i,
                      const lr_policy_t *p, lr_coaching_pair_t *out, int max) {
        const lr_rep_rank_t *r = &reps[i];
        lr_coaching_pair_t all[LR_METRIC_CNT];
        int n = 0, m, j, k, same_tier = 0;

        if (!r->active)
                return 0;
        for (j = 0; j < cnt; j++)
                same_tier +=
                    j != i && reps[j].active && reps[j].tier == r->tier;
        for (m = 0; m < LR_METRIC_CNT; m++) {
                lr_coaching_pair_t c;
                double sum = 0;
                int peers  = 0;

                if (!lr_coaching_has(r, m))
                        continue;
                for (j = 0; j < cnt; j++) {
                        if (j == i || !reps[j].active ||
                            (same_tier && reps[j].tier != r->tier))
                                continue;
                        sum += reps[j].score[m];
                        peers++;
                }
                if (!peers)
                        continue;
                memset(&c, 0, sizeof(c));
                c.metric    = m;
                c.score     = r->score[m];
                c.peer_mean = sum / peers;
                c.cost      = p->weights[m] * (c.peer_mean - c.score);
                if (c.cost <= 0)
                        continue;
                for (j = 0; j < cnt; j++) {
                        int at;
                        if (j == i || !lr_coaching_has(&reps[j], m) ||
                            reps[j].score[m] <= r->score[m])
                                continue;
                        /* keep the best LR_COACHING_MENTORS, best first */
                        for (at = c.mentors_cnt; at > 0; at--) {
                                if (!lr_coaching_better(
                                        &reps[j], &reps[c.mentors[at - 1]], m))
                                        break;
                                if (at < LR_COACHING_MENTORS)
                                        c.mentors[at] = c.mentors[at - 1];
                        }
                        if (at < LR_COACHING_MENTORS) {
                                c.mentors[at] = j;
                                if (c.mentors_cnt < LR_COACHING_MENTORS)
                                        c.mentors_cnt++;
                        }
                }
                if (!c.mentors_cnt)
                        continue;
                /* insert by cost, highest first */
                for (k = n; k > 0 && all[k - 1].cost < c.cost; k--)
                        all[k] = all[k - 1];
                all[k] = c;
                n++;
        }
        if (n > max)
                n = max;
        memcpy(out, all, sizeof(*out) * (size_t)(n > 0 ? n : 0));
        return n;
}

static int lr_team_cmp(const void *a, const void *b) {
        const lr_team_t *x = a, *y = b;
        if (x->composite != y->composite)
                return x->composite > y->composite ? -1 : 1;
        return strcmp(x->team, y->team);
}

int lr_coaching_teams(const lr_rep_rank_t *reps, const char *const *teams,
                      int cnt, lr_team_t **out) {
        lr_team_t *t = NULL;
        int n        = 0, i, k, m;

        *out = NULL;
        for (i = 0; i < cnt; i++) {
                lr_team_t *tm;
                if (!reps[i].active || !teams[i] || !*teams[i])
                        continue;
                for (k = 0; k < n && strcmp(t[k].team, teams[i]); k++)
                        ;
                if (k == n) {
                        lr_team_t *grown =
                            realloc(t, sizeof(*t) * (size_t)(n + 1));
                        if (!grown)
                                abort(); /* a few teams: nothing sane to do */
                        t = grown;
                        memset(&t[n], 0, sizeof(t[n]));
                        t[n].team = teams[i];
                        for (m = 0; m < LR_METRIC_CNT; m++)
                                t[n].strongest[m] = -1;
                        n++;
                }
                tm = &t[k];
                tm->members++;
                tm->composite += reps[i].composite;
                if (!tm->best_rank ||
                    (reps[i].rank && reps[i].rank < tm->best_rank))
                        tm->best_rank = reps[i].rank;
                if (reps[i].tier >= 0 && reps[i].tier <= LR_MAX_TIERS)
                        tm->tier_cnt[reps[i].tier]++;
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        tm->score[m] += reps[i].score[m];
                        if (lr_coaching_has(&reps[i], m) &&
                            (tm->strongest[m] < 0 ||
                             lr_coaching_better(&reps[i],
                                                &reps[tm->strongest[m]], m)))
                                tm->strongest[m] = i;
                }
        }
        for (k = 0; k < n; k++) {
                t[k].composite /= t[k].members;
                for (m = 0; m < LR_METRIC_CNT; m++)
                        t[k].score[m] /= t[k].members;
        }
        if (n > 1)
                qsort(t, (size_t)n, sizeof(*t), lr_team_cmp);
        *out = t;
        return n;
}
