/*
 * coaching.h - "nobody fails alone": for each rep the metrics where it is
 * weakest against its own tier, with the peers strongest on each ("learn
 * conversion from Y"), and the tenant's leaderboard of each metric. Pure
 * logic over a ranking (scores are rank.c's normalised, shrunk scores, so
 * a lucky 1-of-1 closer does not top a board), for the scorecard.
 */
#ifndef LR_COACHING_H
#define LR_COACHING_H

#include "leadrouter/policy.h"
#include "leadrouter/rank.h"

#define LR_COACHING_MENTORS 2 /* peers named per weak metric */

typedef struct lr_coaching_pair_s {
        lr_metric_t metric;
        double score;     /* the rep's */
        double peer_mean; /* mean score of the other active reps of its
                           * tier (of the tenant when it is alone there) */
        double cost;      /* weight x (peer_mean - score): composite lost */
        int mentors[LR_COACHING_MENTORS]; /* indexes into reps[] */
        int mentors_cnt;
} lr_coaching_pair_t;

/* The metrics where reps[i] trails the peers of its tier (`tier`: its
 * current tier), most composite lost first, at most `max`; only metrics
 * where it has samples. For each, the active peers with samples scoring
 * best on it, better than the rep (any tier: a bottom-tier rep may be the
 * best caller). Returns how many were written to out. */
int lr_coaching_pairs(const lr_rep_rank_t *reps, int cnt, int i,
                      const lr_policy_t *p, lr_coaching_pair_t *out, int max);

/* Metric m's leaderboard: indexes of the active reps with samples, best
 * score first (ties: rank, then rep_id), into out (room for cnt).
 * Returns how many. */
int lr_coaching_leaderboard(const lr_rep_rank_t *reps, int cnt, lr_metric_t m,
                            int *out);

/* A team of the tenant (RepStatus `team`) at a glance. */
typedef struct lr_team_s {
        const char *team; /* borrowed from the caller's teams[] */
        int members;      /* active members */
        double composite; /* their mean composite: the team's composite */
        int best_rank;    /* best rank on it */
        int tier_cnt[LR_MAX_TIERS + 1];
        double score[LR_METRIC_CNT];  /* mean score per metric */
        int strongest[LR_METRIC_CNT]; /* member best on each metric (with
                                       * samples), index into reps[]; -1 */
} lr_team_t;

/* Aggregates the active reps by team (teams[i] is reps[i]'s, NULL = none:
 * not aggregated), best team composite first (ties: team name). *out is
 * malloc()ed (free()); 0 teams gives NULL. Returns the count. */
int lr_coaching_teams(const lr_rep_rank_t *reps, const char *const *teams,
                      int cnt, lr_team_t **out);

#endif
