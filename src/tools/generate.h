/*
 * generate.h - a synthetic sales org: reps with a hidden skill, leads with
 * scores, and the outcomes a rep of that skill gets on a lead of that
 * quality (SPEC §5 `leadrouter generate`).
 *
 * The model is a library: `generate` uses it to write an org's history as
 * JSON lines (routed by a round robin, as before leadrouter), and the
 * simulator drives the same model with the real routing, drawing each
 * outcome from the skill of the rep who actually got the lead.
 * Everything is deterministic for the same options: randomness comes only
 * from lr_gen_rng_t streams derived from the seed.
 */
#ifndef LR_GENERATE_H
#define LR_GENERATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "leadrouter/event.h"

/* xoshiro256** seeded through splitmix64. */
typedef struct lr_gen_rng_s {
        uint64_t s[4];
} lr_gen_rng_t;

void lr_gen_rng_seed(lr_gen_rng_t *rng, uint64_t seed);
uint64_t lr_gen_rng_next(lr_gen_rng_t *rng);
double lr_gen_rng_uniform(lr_gen_rng_t *rng); /* [0, 1) */
double lr_gen_rng_normal(lr_gen_rng_t *rng);  /* N(0, 1) */
/* A stream of its own for (seed, stream): e.g. one per day, so that a day's
 * draws do not depend on how many draws other days made. */
void lr_gen_rng_stream(lr_gen_rng_t *rng, uint64_t seed, uint64_t stream);

#define LR_GEN_LEADS_PER_REP_DAY 8 /* default leads per rep per working day */

typedef struct lr_gen_opts_s {
        const char *tenant;
        int reps;
        int days; /* history: the `days` days before end_day */
        uint64_t seed;
        int32_t end_day;   /* day number (lr_day_of) of --end */
        int leads_per_day; /* leads of the whole org per working day (Mon-Fri);
                            * 0 = LR_GEN_LEADS_PER_REP_DAY * reps */
        int fresh_leads;   /* LeadCreated events on end_day (0 = none) */
} lr_gen_opts_t;

typedef struct lr_gen_rep_s {
        char rep_id[16]; /* "rep-001" */
        char display_name[32];
        const char *team;
        const char *regions[2];
        size_t regions_cnt;
        const char *timezone; /* IANA */
        int64_t hired_at;
        /* Hidden truth, never in an event. */
        double skill;          /* N(0,1): conversion, win rate, deal size,
                                * cycle length */
        double responsiveness; /* N(0,1): how soon the first call comes */
} lr_gen_rep_t;

typedef struct lr_gen_lead_s {
        int score; /* 0..100, most 30..70 */
        int tier;  /* explicit tier, 0 = none (tier follows the score) */
        const char *region;
        const char *timezone;
        const char *source;
} lr_gen_lead_t;

/* One call outcome of a lead, relative to its assignment. */
typedef struct lr_gen_call_s {
        int64_t offset_ms;
        lr_outcome_t outcome;
        int32_t duration_seconds;
        int64_t deal_value_cents; /* CLOSED_WON only, else 0 */
} lr_gen_call_t;

#define LR_GEN_MAX_CALLS 12

/* The outcomes of one lead, in time order. The last one is terminal
 * (CLOSED_WON, CLOSED_LOST or DISQUALIFIED). */
typedef struct lr_gen_trajectory_s {
        lr_gen_call_t calls[LR_GEN_MAX_CALLS];
        size_t cnt;
        int converted; /* reached OPPORTUNITY_CREATED */
        int won;
} lr_gen_trajectory_t;

/* A generated input event and the topic it goes to (the default name of
 * its kind's topic, from config.c). */
typedef struct lr_gen_event_s {
        const char *topic;
        uint64_t seq; /* generation order: breaks ties of event time */
        lr_event_t ev;
} lr_gen_event_t;

typedef struct lr_gen_events_s {
        lr_gen_event_t *v;
        size_t cnt, size;
        uint64_t next_seq;
} lr_gen_events_t;

typedef struct lr_gen_s lr_gen_t;

/* Draws the reps. NULL with errstr on invalid options. */
lr_gen_t *lr_gen_new(const lr_gen_opts_t *opts, char *errstr,
                     size_t errstr_size);
void lr_gen_free(lr_gen_t *gen);

size_t lr_gen_rep_cnt(const lr_gen_t *gen);
const lr_gen_rep_t *lr_gen_rep(const lr_gen_t *gen, size_t i);

/* Draws a lead's score, explicit tier (sometimes), region and source. */
void lr_gen_draw_lead(const lr_gen_t *gen, lr_gen_rng_t *rng,
                      lr_gen_lead_t *lead);

/* Draws what happens to a lead of `score` once rep `rep` has it: the first
 * call after a delay (shorter for responsive reps), NO_ANSWER/CONNECTED
 * calls, and either MEETING_BOOKED -> OPPORTUNITY_CREATED -> CLOSED_WON or
 * CLOSED_LOST (probabilities rise with skill and score), or DISQUALIFIED. */
void lr_gen_draw_outcomes(const lr_gen_t *gen, size_t rep, int score,
                          lr_gen_rng_t *rng, lr_gen_trajectory_t *traj);

/* Appends the CallOutcome events of `traj` for lead_id, assigned to rep
 * `rep` at assigned_at; outcomes at or after `before` are left out
 * (before <= 0: none). Event ids are "<lead_id>-c<k>". Returns the number
 * appended. */
size_t lr_gen_push_outcomes(const lr_gen_t *gen, lr_gen_events_t *evs,
                            size_t rep, const char *lead_id,
                            int64_t assigned_at,
                            const lr_gen_trajectory_t *traj, int64_t before);

/* Appends a RepStatus per rep at `at`: AVAILABLE with the full profile. */
void lr_gen_push_rep_profiles(const lr_gen_t *gen, lr_gen_events_t *evs,
                              int64_t at);

/* Appends the presence changes of a working day: a couple of reps
 * OUT_OF_OFFICE all day, one OFFLINE for a while, some IN_MEETING/BUSY for
 * 30-90 min (with `until`); each spell ends with an AVAILABLE event. */
void lr_gen_push_presence_day(const lr_gen_t *gen, lr_gen_events_t *evs,
                              int32_t day, lr_gen_rng_t *rng);

/* 1 for Monday to Friday: the days leads arrive. */
int lr_gen_working_day(int32_t day);

/* Draws the number of leads of a working day (the org's daily mean, with
 * Poisson-like noise). */
size_t lr_gen_day_leads(const lr_gen_t *gen, lr_gen_rng_t *rng);

/* Appends n LeadCreated events arriving between 08:00 and 18:00 UTC of
 * `day`: event ids "<tenant>-lc-<date>-NNNN", leads "<tenant>-L<date>-NNNN"
 * (NNNN from 0001, in arrival order). */
void lr_gen_push_leads(const lr_gen_t *gen, lr_gen_events_t *evs, int32_t day,
                       size_t n, lr_gen_rng_t *rng);

/* Appends the history of each working day of [end_day - days, end_day):
 * per lead, assigned by round robin on arrival, a LeadCreated carrying that
 * assignment (an imported assignment: attributes assigned_rep_id and
 * assigned_at, see event.h), then its outcomes, none at or after end_day. */
void lr_gen_push_history(const lr_gen_t *gen, lr_gen_events_t *evs);

/* Appends the fresh day: opts.fresh_leads LeadCreated events between 08:00
 * and 18:00 UTC of end_day, and that day's presence changes. */
void lr_gen_push_fresh_day(const lr_gen_t *gen, lr_gen_events_t *evs);

/* Everything `generate` writes (profiles, history, fresh day), sorted. */
void lr_gen_push_all(const lr_gen_t *gen, lr_gen_events_t *evs);

/* Sorts by event time, generation order for equal times. */
void lr_gen_events_sort(lr_gen_events_t *evs);
void lr_gen_events_clear(lr_gen_events_t *evs);

/* {"topic": "...", "event": {...}} as one line (with '\n') to fp.
 * 0 or -1 on a write error. */
int lr_gen_event_write(FILE *fp, const lr_gen_event_t *e);

/* {"rep-001": skill, ...}. 0 or -1 on a write error. */
int lr_gen_write_truth(FILE *fp, const lr_gen_t *gen);

/* `leadrouter generate --tenant T --reps N --days D --seed S [--end DATE]
 * [--leads-per-day L] [--fresh-day N] [--truth FILE]` */
int lr_generate_main(int argc, char **argv);

#endif
