/*
 * scorecard.h - the transparent scorecard of SPEC §1/§5, as a model built
 * once from what the router used: one day's installed ranking (from the
 * ranking history), the history before it, and the reps' current profile.
 * Every output format (scorecard_text.c, scorecard_json.c,
 * scorecard_html.c) renders this one model, so they show the same reps in
 * the same order with the same numbers. Building it is pure: the command
 * (scorecard_cmd.c) does the reading.
 *
 * What it holds per rep: rank, tier (the one routed with that day),
 * composite, the five metrics with their tier's and the next tier's mean,
 * what each metric alone would need for the next tier (tier_distance.h),
 * coaching pairs (coaching.h) and the rep's last 12 months; per tenant:
 * leaderboards, teams, the tier movements of the month.
 */
#ifndef LR_SCORECARD_H
#define LR_SCORECARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coaching.h"
#include "leadrouter/policy.h"
#include "leadrouter/rank.h"
#include "store.h"
#include "tier_distance.h"

#define LR_SC_PAIRS 3          /* coaching pairs per rep */
#define LR_SC_HISTORY_DAYS 365 /* the rep's chart: the last 12 months */

typedef struct lr_sc_metric_s {
        int has_value; /* the rep has samples (else value is meaningless) */
        double value, score, samples;
        int has_tier_mean, has_next_mean;  /* peers with samples exist */
        double tier_mean, tier_mean_score; /* the rep's tier's active reps */
        double next_mean, next_mean_score; /* the tier above's */
        lr_tier_distance_t to_next_status;
        double to_next; /* the value that promotes (status REACHED) */
} lr_sc_metric_t;

/* One day of a rep's history. */
typedef struct lr_sc_point_s {
        int32_t day;
        double composite;
        int rank, tier; /* tier routed with that day */
} lr_sc_point_t;

typedef struct lr_sc_rep_s {
        const char *rep_id, *name, *team, *status; /* name, team NULL when
                                                    * never given */
        int64_t open_leads;
        const lr_rep_rank_t *rk; /* &sc->ranks[this rep's index] */
        int active, ramping, rank, tier;
        double composite;
        double tier_mean; /* mean composite of its tier's evaluated reps */
        double target;    /* composite that promotes, -1 = none */
        double opportunities;
        lr_sc_metric_t m[LR_METRIC_CNT];
        lr_coaching_pair_t pairs[LR_SC_PAIRS];
        int pairs_cnt;
        lr_sc_point_t *history; /* by day, the ranking day's last */
        size_t history_cnt;
        int shown; /* passes the --team filter */
} lr_sc_rep_t;

/* A tier change decided at an evaluation of the month. */
typedef struct lr_sc_move_s {
        int32_t day;
        int rep; /* index into reps[] */
        int from, to;
        double composite, tier_mean;
} lr_sc_move_t;

typedef struct lr_scorecard_s {
        const char *tenant;
        const lr_policy_t *p;
        const char *team;  /* --team filter, NULL = all */
        int32_t as_of_day; /* the date asked for */
        int32_t day;       /* the ranking's day (<= as_of_day) */
        int evaluated;     /* tiers were evaluated that day */
        int preview;       /* not installed yet: the ranking the router will
                            * install for `day` at the tenant's next event, with
                            * today's tiers (set by the caller) */
        /* reps[k] and ranks[k] are one rep, listed by rank, departed reps
         * last; ranks[k].tier is the tier routed with that day. */
        lr_rep_rank_t *ranks;
        lr_sc_rep_t *reps;
        int cnt;
        int *board[LR_METRIC_CNT]; /* leaderboards: indexes into reps[] */
        int board_cnt[LR_METRIC_CNT];
        lr_team_t *teams;
        int teams_cnt;
        lr_sc_move_t *moves; /* the month's tier changes up to day */
        size_t moves_cnt;
        int tier_cnt[LR_MAX_TIERS + 1]; /* active reps per tier */
        double tier_mean[LR_MAX_TIERS + 1];
        int32_t history_from; /* first day of the reps' history */
        int *by_id;           /* indexes of reps[] by rep_id (find) */
} lr_scorecard_t;

/* Builds the scorecard of `ranking` (one day of the tenant's history;
 * history[0..history_cnt) the rankings before and including it, by day,
 * used for the reps' last 12 months and the month's tier movements).
 * profiles: the reps' current profile and presence (any order; a rep
 * without one shows no name, team or status). team: only its members are
 * `shown` (NULL: everybody). Borrows every argument: they must outlive
 * sc. 0, or -1 with errstr. */
int lr_scorecard_build(lr_scorecard_t *sc, const char *tenant,
                       int32_t as_of_day, const lr_ranking_t *ranking,
                       const lr_ranking_t *history, size_t history_cnt,
                       const lr_store_rep_t *profiles, size_t profiles_cnt,
                       const lr_policy_t *p, const char *team, char *errstr,
                       size_t errstr_size);
void lr_scorecard_clear(lr_scorecard_t *sc);

/* Index of rep_id in sc->reps, -1 when not in the ranking. */
int lr_scorecard_find(const lr_scorecard_t *sc, const char *rep_id);

/* How the formats write things for people, so they agree to the digit:
 * a metric's value ("1.23x", "45.0%", "2,000.00", "12.3 d", "4.5 min"),
 * a change of it ("+0.12x", "-3.1 days"...), a composite ("0.512"). */
void lr_scorecard_metric_text(lr_metric_t m, double v, char *buf, size_t size);
void lr_scorecard_change_text(lr_metric_t m, double delta, char *buf,
                              size_t size);
void lr_scorecard_composite_text(double v, char *buf, size_t size);
/* "Conversion", "Win rate", "Deal size", "Cycle time", "Speed to lead" */
const char *lr_scorecard_metric_title(lr_metric_t m);

/* Options of a rendering. */
typedef struct lr_sc_render_s {
        const char *format; /* "table", "json", "csv" or "html" */
        const char *rep_id; /* the page of one rep, NULL = the tenant's */
        int linked;         /* HTML: pages written side by side (--out):
                             * link them with lr_scorecard_page_name() */
} lr_sc_render_t;

/* Writes the scorecard to out. 0, or -1 with errstr (unknown format, a
 * rep not in the ranking, write error). */
int lr_scorecard_render(FILE *out, const lr_scorecard_t *sc,
                        const lr_sc_render_t *opt, char *errstr,
                        size_t errstr_size);

/* File name of a rep's page next to index.html: "rep-<id>.html", the id
 * with every byte outside [A-Za-z0-9.-] as _XX, so it is safe in a path
 * and in a relative link. */
void lr_scorecard_page_name(const char *rep_id, char *buf, size_t size);

/* The formats, each in its own file. */
int lr_scorecard_table(FILE *out, const lr_scorecard_t *sc, int rep);
int lr_scorecard_csv(FILE *out, const lr_scorecard_t *sc);
int lr_scorecard_json(FILE *out, const lr_scorecard_t *sc, int rep);
int lr_scorecard_html(FILE *out, const lr_scorecard_t *sc, int rep, int linked);

#endif
