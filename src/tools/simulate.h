/*
 * simulate.h - `leadrouter simulate` (SPEC §5): a closed loop over a
 * generated org. Leads of the generator are routed by the real routing
 * (apply.h -> store.h -> functions.lua, the daily ranking installed as the
 * worker installs it) against Redis, in a namespace of their own per
 * strategy, and each routed lead's outcomes are drawn from the hidden skill
 * of the rep who actually got it and fed back as CallOutcome events at
 * their event time. Every strategy sees the same leads, the same presence
 * and, lead by lead, the same random numbers for its outcomes.
 */
#ifndef LR_SIMULATE_H
#define LR_SIMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

typedef struct lr_sim_opts_s {
        const char *tenant; /* tenant id of the org (its policy applies) */
        int reps;
        int days; /* days with leads; outcomes then run out */
        uint64_t seed;
        int32_t start_day; /* first day (lr_day_of) */
        int keep;          /* leave the namespaces in Redis */
} lr_sim_opts_t;

/* The numbers of one strategy; the JSON form is contract (SPEC §5). */
typedef struct lr_sim_result_s {
        char strategy[32];
        int64_t leads;     /* created */
        int64_t routed;    /* assigned at least once */
        int64_t converted; /* reached OPPORTUNITY_CREATED */
        int64_t won;
        double conversion_rate;            /* converted / routed */
        int64_t revenue_cents;             /* won value */
        double mean_speed_to_lead_minutes; /* from when the lead could be
                                            * contacted (created_at or
                                            * contact_after) to the first
                                            * call it got */
        int64_t waiting_leads; /* leads that waited in the queue before
                                * their first assignment (or still wait) */
        double mean_wait_seconds;
        int64_t sla_breaches; /* assignments whose rep would not have called
                               * within the first-touch SLA (each moved the
                               * lead on, up to sla_max_attempts) */
        double gini_leads;    /* of the leads received per active rep */
        double spearman_skill_rank;
        int32_t spearman_day;       /* days after the start: min(90, days) */
        int64_t bottom_tier_leads;  /* assigned to a rep in the bottom tier */
        int64_t min_rep_leads;      /* fewest leads any active rep received */
        int64_t min_rep_week_leads; /* fewest any rep received in one full
                                     * week of the days with leads */
        int64_t tier_changes;
        int64_t reasons[8]; /* decisions by reason, lr_sim_reasons order */
        int64_t events;     /* input events applied */
        double seconds;     /* wall time (not in the JSON) */
} lr_sim_result_t;

/* Runs one strategy. 0, or -1 with errstr. */
int lr_sim_run(const lr_config_t *cfg, const lr_sim_opts_t *o,
               const char *strategy, lr_sim_result_t *res, char *errstr,
               size_t errstr_size);

/* format "table" or "json"; res holds cnt strategies x seeds runs (the
 * runs of strategy i are res[i * seeds .. i * seeds + seeds)): with more
 * than one seed each strategy shows the mean and the spread of every
 * figure, and its runs. 0, or -1 with errstr. */
int lr_sim_render(FILE *fp, const char *format, const lr_sim_result_t *res,
                  size_t cnt, size_t seeds, char *errstr, size_t errstr_size);

/* The options of `simulate` besides --config/--set, as given: filled by
 * lr_sim_args_opt (an `other` option parser for main.c's config helper)
 * and checked by lr_simulate_main. */
typedef struct lr_sim_args_s {
        const char *strategies, *tenant, *reps, *days, *seed, *seeds, *start,
            *format;
        int keep;
} lr_sim_args_t;

int lr_sim_args_opt(int argc, char **argv, int i, void *args);

/* `leadrouter simulate [--config FILE] [--set k=v]... --strategies LIST
 * --reps N --days D --seed S [--start DATE] [--tenant T] [--keep]
 * [--format table|json]`: runs each strategy, writes the comparison to
 * stdout. Returns the exit status (2: bad options). */
int lr_simulate_main(const lr_config_t *cfg, const lr_sim_args_t *args);

#endif
