/*
 * generate.c - the synthetic org of generate.h and `leadrouter generate`.
 *
 * All the numbers of the model are in the block below, so that the realism
 * of the org (rates, delays, deal sizes) can be tuned in one place. Each
 * history day draws from its own RNG stream (seed, day), the reps from
 * (seed, reps), so that a day looks the same whatever --days says.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "generate.h"
#include "log.h"
#include "numparse.h"
#include "timeutil.h"

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)

/* ---- the model ---------------------------------------------------------- */

/* Conversion (lead reaches OPPORTUNITY_CREATED), with q = (score-50)/25:
 * sigmoid(OPP_SKILL*skill + OPP_SCORE*q + OPP_SKILL_SCORE*skill*q +
 *         OPP_RESP*resp + OPP_BIAS)
 * ~17% for an average rep on a score-50 lead, ~20% over the org. Skill
 * counts more on better leads (OPP_SKILL_SCORE): a hot lead is won or lost
 * by who calls it, a cold one rarely converts whoever calls. That is the
 * premise of matching lead tiers to rep tiers; with it at 0 (additive),
 * matching cannot raise conversion, only revenue (README, Simulation). */
#define OPP_SKILL 0.55
#define OPP_SCORE 0.8
#define OPP_SKILL_SCORE 0.3
#define OPP_RESP 0.15
#define OPP_BIAS -1.55
/* Win rate of an opportunity: sigmoid(WIN_SKILL*skill + WIN_SCORE*(score-50)/25
 * + WIN_BIAS), ~26% for an average rep, ~30% over the org. */
#define WIN_SKILL 0.4
#define WIN_SCORE 0.2
#define WIN_BIAS -1.05
/* First call after assignment: lognormal, median FIRST_CALL_MIN minutes,
 * divided by exp(FIRST_CALL_RESP * responsiveness). Five minutes is what
 * inbound teams that route leads to reps on arrival aim for and the better
 * ones reach (Oldroyd's Lead Response Management study, MIT/InsideSales
 * 2007: contact within 5 minutes, not 30, makes qualifying ~21x likelier;
 * HBR 2011 "The Short Life of Online Sales Leads": firms answering within
 * an hour are ~7x likelier to qualify, the average took 42 hours): about
 * 1 assignment in 12 of an average rep then misses a 15-minute SLA, not 1
 * in 2 as with a 15-minute median (README, Simulation). */
#define FIRST_CALL_MIN 5.0
#define FIRST_CALL_RESP 0.5
#define FIRST_CALL_SIGMA 0.8
/* Call attempts: each connects with 0.30 + 0.30*score/100. */
#define MAX_ATTEMPTS 5
/* Opportunity -> close: lognormal, median CYCLE_DAYS / exp(CYCLE_SKILL*skill).
 */
#define CYCLE_DAYS 21.0
#define CYCLE_SKILL 0.2
/* Won deal: lognormal, median DEAL_USD * exp(DEAL_SKILL*skill +
 * DEAL_SCORE*(score-50)/25), kept within DEAL_MIN_USD..DEAL_MAX_USD. */
#define DEAL_USD 18000.0
#define DEAL_SKILL 0.3
#define DEAL_SCORE 0.25
#define DEAL_MIN_USD 5000.0
#define DEAL_MAX_USD 80000.0
/* Leads: a share of high-intent leads (score ~ N(84,7)), the rest N(48,13). */
#define HOT_SHARE 0.12

static const struct {
        const char *name;
        const char *timezone;
        double weight;
} lr_gen_regions[] = {
    {"NA-East", "America/New_York", 0.35},
    {"NA-West", "America/Los_Angeles", 0.25},
    {"EMEA", "Europe/London", 0.25},
    {"APAC", "Asia/Singapore", 0.15},
};
#define REGION_CNT (sizeof(lr_gen_regions) / sizeof(*lr_gen_regions))

/* Lead sources; referrals carry explicit tier 1, partner leads tier 2. */
static const struct {
        const char *name;
        int tier;
        double weight;
} lr_gen_sources[] = {
    {"web-form", 0, 0.40}, {"content-download", 0, 0.20},
    {"webinar", 0, 0.15},  {"trial-signup", 0, 0.13},
    {"referral", 1, 0.07}, {"partner", 2, 0.05},
};
#define SOURCE_CNT (sizeof(lr_gen_sources) / sizeof(*lr_gen_sources))

static const char *lr_gen_teams[]       = {"Falcons", "Orcas",  "Lynx",
                                           "Ravens",  "Wolves", "Otters"};
static const char *lr_gen_first_names[] = {
    "Alex",   "Blair",  "Casey",  "Dana",  "Eli",   "Frankie", "Gale",
    "Harper", "Indy",   "Jordan", "Kai",   "Logan", "Morgan",  "Noa",
    "Oakley", "Parker", "Quinn",  "Riley", "Sasha", "Taylor"};
static const char *lr_gen_last_names[] = {
    "Abe",    "Brooks", "Chen",   "Diaz",  "Evans",  "Fischer", "Garcia",
    "Haddad", "Ito",    "Jensen", "Kowal", "Lopez",  "Moreau",  "Novak",
    "Okafor", "Patel",  "Rossi",  "Silva", "Tanaka", "Weber"};
static const char *lr_gen_campaigns[] = {"q-pipeline-push", "product-launch",
                                         "webinar-series", "retargeting"};
#define ARRAY_CNT(a) (sizeof(a) / sizeof(*(a)))

/* RNG stream ids (xored with a day number where per day). */
#define STREAM_REPS 0x7265707300000000ULL
#define STREAM_DAY 0x6461790000000000ULL
#define STREAM_FRESH 0x6672657368000000ULL
#define STREAM_PRESENCE 0x7072657300000000ULL

/* ---- RNG ----------------------------------------------------------------- */

static uint64_t lr_gen_splitmix64(uint64_t *x) {
        uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
        z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

void lr_gen_rng_seed(lr_gen_rng_t *rng, uint64_t seed) {
        int i;
        for (i = 0; i < 4; i++)
                rng->s[i] = lr_gen_splitmix64(&seed);
}

void lr_gen_rng_stream(lr_gen_rng_t *rng, uint64_t seed, uint64_t stream) {
        uint64_t x = seed;
        lr_gen_rng_seed(rng, lr_gen_splitmix64(&x) ^ stream);
}

static uint64_t lr_gen_rotl(uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
}

uint64_t lr_gen_rng_next(lr_gen_rng_t *rng) {
        uint64_t *s = rng->s;
        uint64_t r  = lr_gen_rotl(s[1] * 5, 7) * 9;
        uint64_t t  = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = lr_gen_rotl(s[3], 45);
        return r;
}

double lr_gen_rng_uniform(lr_gen_rng_t *rng) {
        return (double)(lr_gen_rng_next(rng) >> 11) * 0x1.0p-53;
}

double lr_gen_rng_normal(lr_gen_rng_t *rng) {
        double u1 = 1.0 - lr_gen_rng_uniform(rng); /* (0, 1] */
        double u2 = lr_gen_rng_uniform(rng);
        return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static size_t lr_gen_rng_below(lr_gen_rng_t *rng, size_t n) {
        return (size_t)(lr_gen_rng_uniform(rng) * (double)n);
}

static double lr_gen_lognormal(lr_gen_rng_t *rng, double median, double sigma) {
        return median * exp(sigma * lr_gen_rng_normal(rng));
}

static double lr_gen_clamp(double v, double lo, double hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

static double lr_gen_sigmoid(double x) {
        return 1.0 / (1.0 + exp(-x));
}

/* ---- memory -------------------------------------------------------------- */

/* Like Redis' zmalloc: running out of memory here ends the process. */
static void *lr_gen_oom(void *p) {
        if (!p) {
                lr_error("generate", "out of memory");
                abort();
        }
        return p;
}

static char *lr_gen_strdup(const char *s) {
        return s ? lr_gen_oom(strdup(s)) : NULL;
}

static char *lr_gen_sprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static char *lr_gen_sprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        s = lr_gen_oom(malloc((size_t)n + 1));
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return s;
}

/* ---- the org ------------------------------------------------------------- */

struct lr_gen_s {
        lr_gen_opts_t opts;
        char *tenant;
        char *topics[3]; /* by input lr_event_kind_t */
        lr_gen_rep_t *reps;
        size_t reps_cnt;
        int leads_per_day;
};

static size_t lr_gen_pick_weighted(lr_gen_rng_t *rng, size_t cnt,
                                   double (*weight)(size_t)) {
        double u = lr_gen_rng_uniform(rng);
        size_t i;
        for (i = 0; i + 1 < cnt; i++) {
                u -= weight(i);
                if (u < 0)
                        break;
        }
        return i;
}

static double lr_gen_region_weight(size_t i) {
        return lr_gen_regions[i].weight;
}

static double lr_gen_source_weight(size_t i) {
        return lr_gen_sources[i].weight;
}

/* "YYYYMMDD" of a day number. */
static void lr_gen_date(int32_t day, char buf[16]) {
        char iso[16];
        lr_day_format(day, iso, sizeof(iso));
        snprintf(buf, 16, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

static int lr_gen_topics_init(lr_gen_t *gen, char *errstr, size_t errstr_size) {
        static const lr_topic_t topics[3] = {
            LR_TOPIC_LEAD_CREATED, LR_TOPIC_CALL_OUTCOME, LR_TOPIC_REP_STATUS};
        lr_config_t *cfg = lr_config_new();
        int i;

        if (!cfg || lr_config_finalize(cfg, errstr, errstr_size) == -1) {
                if (!cfg)
                        snprintf(errstr, errstr_size, "out of memory");
                lr_config_free(cfg);
                return -1;
        }
        for (i = 0; i < 3; i++)
                gen->topics[i] = lr_gen_strdup(cfg->topics[topics[i]]);
        lr_config_free(cfg);
        return 0;
}

lr_gen_t *lr_gen_new(const lr_gen_opts_t *opts, char *errstr,
                     size_t errstr_size) {
        lr_gen_t *gen;
        lr_gen_rng_t rng;
        int64_t start;
        size_t i;

        if (!opts->tenant || !*opts->tenant) {
                snprintf(errstr, errstr_size, "a tenant is required");
                return NULL;
        }
        if (opts->reps < 1 || opts->reps > 999) {
                snprintf(errstr, errstr_size, "reps %d out of range 1..999",
                         opts->reps);
                return NULL;
        }
        if (opts->days < 0 || opts->days > 3660) {
                snprintf(errstr, errstr_size, "days %d out of range 0..3660",
                         opts->days);
                return NULL;
        }
        if (opts->leads_per_day < 0 || opts->leads_per_day > 100000) {
                snprintf(errstr, errstr_size,
                         "leads per day %d out of range 0..100000",
                         opts->leads_per_day);
                return NULL;
        }
        if (opts->fresh_leads < 0 || opts->fresh_leads > 1000000) {
                snprintf(errstr, errstr_size,
                         "fresh leads %d out of range 0..1000000",
                         opts->fresh_leads);
                return NULL;
        }

        gen                = lr_gen_oom(calloc(1, sizeof(*gen)));
        gen->opts          = *opts;
        gen->tenant        = lr_gen_strdup(opts->tenant);
        gen->opts.tenant   = gen->tenant;
        gen->leads_per_day = opts->leads_per_day
                                 ? opts->leads_per_day
                                 : LR_GEN_LEADS_PER_REP_DAY * opts->reps;
        if ((double)gen->leads_per_day * opts->days > 5e7) {
                snprintf(errstr, errstr_size,
                         "%d leads a day for %d days is too many",
                         gen->leads_per_day, opts->days);
                lr_gen_free(gen);
                return NULL;
        }
        if (lr_gen_topics_init(gen, errstr, errstr_size) == -1) {
                lr_gen_free(gen);
                return NULL;
        }

        gen->reps_cnt = (size_t)opts->reps;
        gen->reps     = lr_gen_oom(calloc(gen->reps_cnt, sizeof(*gen->reps)));
        start         = (int64_t)(opts->end_day - opts->days) * LR_MS_PER_DAY;
        lr_gen_rng_stream(&rng, opts->seed, STREAM_REPS);
        for (i = 0; i < gen->reps_cnt; i++) {
                lr_gen_rep_t *r = &gen->reps[i];
                size_t region, teams;

                snprintf(r->rep_id, sizeof(r->rep_id), "rep-%03u",
                         (unsigned)(i + 1));
                snprintf(r->display_name, sizeof(r->display_name), "%s %s",
                         lr_gen_first_names[lr_gen_rng_below(
                             &rng, ARRAY_CNT(lr_gen_first_names))],
                         lr_gen_last_names[lr_gen_rng_below(
                             &rng, ARRAY_CNT(lr_gen_last_names))]);
                teams = (gen->reps_cnt + 7) / 8;
                if (teams > ARRAY_CNT(lr_gen_teams))
                        teams = ARRAY_CNT(lr_gen_teams);
                r->team        = lr_gen_teams[i % teams];
                region         = lr_gen_pick_weighted(&rng, REGION_CNT,
                                                      lr_gen_region_weight);
                r->regions[0]  = lr_gen_regions[region].name;
                r->regions_cnt = 1;
                if (lr_gen_rng_uniform(&rng) < 0.25)
                        r->regions[r->regions_cnt++] =
                            lr_gen_regions[(region + 1) % REGION_CNT].name;
                r->timezone = lr_gen_regions[region].timezone;
                r->hired_at =
                    start - (int64_t)(30 + lr_gen_rng_below(&rng, 1500)) *
                                LR_MS_PER_DAY;
                r->skill          = lr_gen_rng_normal(&rng);
                r->responsiveness = lr_gen_rng_normal(&rng);
        }
        return gen;
}

void lr_gen_free(lr_gen_t *gen) {
        int i;
        if (!gen)
                return;
        for (i = 0; i < 3; i++)
                free(gen->topics[i]);
        free(gen->reps);
        free(gen->tenant);
        free(gen);
}

size_t lr_gen_rep_cnt(const lr_gen_t *gen) {
        return gen->reps_cnt;
}

const lr_gen_rep_t *lr_gen_rep(const lr_gen_t *gen, size_t i) {
        return i < gen->reps_cnt ? &gen->reps[i] : NULL;
}

void lr_gen_draw_lead(const lr_gen_t *gen, lr_gen_rng_t *rng,
                      lr_gen_lead_t *lead) {
        double score;
        size_t region, source;

        if (lr_gen_rng_uniform(rng) < HOT_SHARE)
                score = 84.0 + 7.0 * lr_gen_rng_normal(rng);
        else
                score = 48.0 + 13.0 * lr_gen_rng_normal(rng);
        lead->score = (int)lround(lr_gen_clamp(score, 0, 100));
        region = lr_gen_pick_weighted(rng, REGION_CNT, lr_gen_region_weight);
        source = lr_gen_pick_weighted(rng, SOURCE_CNT, lr_gen_source_weight);
        lead->region   = lr_gen_regions[region].name;
        lead->timezone = lr_gen_regions[region].timezone;
        lead->source   = lr_gen_sources[source].name;
        lead->tier     = lr_gen_sources[source].tier;
}

/* ---- outcome trajectories ------------------------------------------------ */

static void lr_gen_call(lr_gen_trajectory_t *traj, int64_t at,
                        lr_outcome_t outcome, double duration_s) {
        lr_gen_call_t *c;
        if (traj->cnt == LR_GEN_MAX_CALLS)
                return; /* cannot happen: the paths below are shorter */
        c                   = &traj->calls[traj->cnt++];
        c->offset_ms        = at;
        c->outcome          = outcome;
        c->duration_seconds = (int32_t)lround(duration_s);
        c->deal_value_cents = 0;
}

static int64_t lr_gen_days_ms(double days) {
        return (int64_t)llround(days * (double)LR_MS_PER_DAY);
}

void lr_gen_draw_outcomes(const lr_gen_t *gen, size_t rep, int score,
                          lr_gen_rng_t *rng, lr_gen_trajectory_t *traj) {
        const lr_gen_rep_t *r = &gen->reps[rep];
        double q              = (score - 50) / 25.0;
        double p_opp, p_conn;
        int64_t t;
        int attempt, connected = 0;

        memset(traj, 0, sizeof(*traj));
        p_opp           = lr_gen_sigmoid(OPP_SKILL * r->skill + OPP_SCORE * q +
                                         OPP_SKILL_SCORE * r->skill * q +
                                         OPP_RESP * r->responsiveness + OPP_BIAS);
        traj->converted = lr_gen_rng_uniform(rng) < p_opp;
        p_conn          = 0.30 + 0.30 * score / 100.0;

        t = (int64_t)llround(
            lr_gen_clamp(
                lr_gen_lognormal(rng, FIRST_CALL_MIN, FIRST_CALL_SIGMA) /
                    exp(FIRST_CALL_RESP * r->responsiveness),
                1, 2 * 24 * 60) *
            (double)MIN_MS);
        for (attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                /* A lead that converts is reached by the fourth call. */
                if (lr_gen_rng_uniform(rng) < p_conn ||
                    (traj->converted && attempt == MAX_ATTEMPTS - 1)) {
                        connected = 1;
                        break;
                }
                lr_gen_call(traj, t, LR_OUTCOME_NO_ANSWER,
                            10 + 25 * lr_gen_rng_uniform(rng));
                t += (int64_t)llround(
                    lr_gen_clamp(lr_gen_lognormal(rng, 4.0, 0.8), 0.5, 72) *
                    (double)HOUR_MS);
        }

        if (traj->converted) {
                double cycle, usd;
                int won;

                /* Half book the meeting on the first conversation. */
                if (lr_gen_rng_uniform(rng) < 0.5) {
                        lr_gen_call(
                            traj, t, LR_OUTCOME_CONNECTED,
                            lr_gen_clamp(lr_gen_lognormal(rng, 240, 0.6), 30,
                                         3600));
                        t += lr_gen_days_ms(lr_gen_clamp(
                            lr_gen_lognormal(rng, 1.5, 0.5), 0.1, 7));
                }
                lr_gen_call(
                    traj, t, LR_OUTCOME_MEETING_BOOKED,
                    lr_gen_clamp(lr_gen_lognormal(rng, 360, 0.5), 60, 3600));
                t += lr_gen_days_ms(
                    lr_gen_clamp(lr_gen_lognormal(rng, 3, 0.5), 0.5, 14));
                lr_gen_call(traj, t, LR_OUTCOME_OPPORTUNITY_CREATED,
                            1800 + 1800 * lr_gen_rng_uniform(rng));
                cycle = lr_gen_clamp(lr_gen_lognormal(rng, CYCLE_DAYS, 0.5) /
                                         exp(CYCLE_SKILL * r->skill),
                                     2, 150);
                t += lr_gen_days_ms(cycle);
                won = lr_gen_rng_uniform(rng) <
                      lr_gen_sigmoid(WIN_SKILL * r->skill + WIN_SCORE * q +
                                     WIN_BIAS);
                usd = lr_gen_clamp(
                    lr_gen_lognormal(
                        rng,
                        DEAL_USD * exp(DEAL_SKILL * r->skill + DEAL_SCORE * q),
                        0.5),
                    DEAL_MIN_USD, DEAL_MAX_USD);
                lr_gen_call(
                    traj, t,
                    won ? LR_OUTCOME_CLOSED_WON : LR_OUTCOME_CLOSED_LOST, 0);
                if (won)
                        traj->calls[traj->cnt - 1].deal_value_cents =
                            (int64_t)llround(usd) * 100;
                traj->won = won;
                return;
        }

        if (connected) {
                lr_gen_call(
                    traj, t, LR_OUTCOME_CONNECTED,
                    lr_gen_clamp(lr_gen_lognormal(rng, 180, 0.6), 30, 3600));
                /* Some meetings lead nowhere. */
                if (lr_gen_rng_uniform(rng) < 0.2) {
                        t += lr_gen_days_ms(lr_gen_clamp(
                            lr_gen_lognormal(rng, 1.5, 0.5), 0.1, 7));
                        lr_gen_call(
                            traj, t, LR_OUTCOME_MEETING_BOOKED,
                            lr_gen_clamp(lr_gen_lognormal(rng, 300, 0.5), 60,
                                         3600));
                }
        }
        t += lr_gen_days_ms(
            lr_gen_clamp(lr_gen_lognormal(rng, 1.0, 0.7), 2.0 / 24, 10));
        lr_gen_call(traj, t, LR_OUTCOME_DISQUALIFIED, 0);
}

/* ---- events -------------------------------------------------------------- */

static lr_event_t *lr_gen_push(const lr_gen_t *gen, lr_gen_events_t *evs,
                               lr_event_kind_t kind) {
        lr_gen_event_t *e;

        if (evs->cnt == evs->size) {
                evs->size = evs->size ? evs->size * 2 : 4096;
                evs->v =
                    lr_gen_oom(realloc(evs->v, evs->size * sizeof(*evs->v)));
        }
        e = &evs->v[evs->cnt++];
        memset(e, 0, sizeof(*e));
        e->topic        = gen->topics[kind];
        e->seq          = evs->next_seq++;
        e->ev.kind      = kind;
        e->ev.tenant_id = lr_gen_strdup(gen->tenant);
        return &e->ev;
}

size_t lr_gen_push_outcomes(const lr_gen_t *gen, lr_gen_events_t *evs,
                            size_t rep, const char *lead_id,
                            int64_t assigned_at,
                            const lr_gen_trajectory_t *traj, int64_t before) {
        size_t i;

        for (i = 0; i < traj->cnt; i++) {
                const lr_gen_call_t *c = &traj->calls[i];
                int64_t at             = assigned_at + c->offset_ms;
                lr_event_t *ev;

                if (before > 0 && at >= before)
                        break;
                ev                = lr_gen_push(gen, evs, LR_EV_CALL_OUTCOME);
                ev->event_id      = lr_gen_sprintf("%s-c%zu", lead_id, i + 1);
                ev->lead_id       = lr_gen_strdup(lead_id);
                ev->u.call.rep_id = lr_gen_strdup(gen->reps[rep].rep_id);
                ev->u.call.occurred_at      = at;
                ev->u.call.outcome          = c->outcome;
                ev->u.call.duration_seconds = c->duration_seconds;
                if (c->outcome == LR_OUTCOME_CLOSED_WON) {
                        ev->u.call.has_deal_value   = 1;
                        ev->u.call.deal_value_cents = c->deal_value_cents;
                }
        }
        return i;
}

static lr_event_t *lr_gen_push_status(const lr_gen_t *gen, lr_gen_events_t *evs,
                                      size_t rep, char *event_id, int64_t at,
                                      lr_presence_t status, int64_t until) {
        lr_event_t *ev = lr_gen_push(gen, evs, LR_EV_REP_STATUS);

        ev->event_id          = event_id;
        ev->u.rep.rep_id      = lr_gen_strdup(gen->reps[rep].rep_id);
        ev->u.rep.occurred_at = at;
        ev->u.rep.status      = status;
        if (until) {
                ev->u.rep.has_until = 1;
                ev->u.rep.until     = until;
        }
        return ev;
}

void lr_gen_push_rep_profiles(const lr_gen_t *gen, lr_gen_events_t *evs,
                              int64_t at) {
        size_t i, j;

        for (i = 0; i < gen->reps_cnt; i++) {
                const lr_gen_rep_t *r = &gen->reps[i];
                lr_rep_status_t *rs;

                rs = &lr_gen_push_status(gen, evs, i,
                                         lr_gen_sprintf("%s-rs-%s-init",
                                                        gen->tenant, r->rep_id),
                                         at, LR_PRESENCE_AVAILABLE, 0)
                          ->u.rep;
                rs->display_name = lr_gen_strdup(r->display_name);
                rs->team         = lr_gen_strdup(r->team);
                rs->timezone     = lr_gen_strdup(r->timezone);
                rs->regions =
                    lr_gen_oom(calloc(r->regions_cnt, sizeof(*rs->regions)));
                for (j = 0; j < r->regions_cnt; j++)
                        rs->regions[j] = lr_gen_strdup(r->regions[j]);
                rs->regions_cnt  = r->regions_cnt;
                rs->has_hired_at = 1;
                rs->hired_at     = r->hired_at;
                /* No max_open_leads: the tenant's policy decides capacity. */
        }
}

/* A spell of `status` from..to followed by AVAILABLE at `to`; `until` is set
 * for the statuses that end by themselves. */
static void lr_gen_push_spell(const lr_gen_t *gen, lr_gen_events_t *evs,
                              size_t rep, const char *date, int *k,
                              lr_presence_t status, int64_t from, int64_t to) {
        const char *id = gen->reps[rep].rep_id;

        lr_gen_push_status(
            gen, evs, rep,
            lr_gen_sprintf("%s-rs-%s-%s-%d", gen->tenant, id, date, ++*k), from,
            status, status == LR_PRESENCE_OFFLINE ? 0 : to);
        lr_gen_push_status(
            gen, evs, rep,
            lr_gen_sprintf("%s-rs-%s-%s-%d", gen->tenant, id, date, ++*k), to,
            LR_PRESENCE_AVAILABLE, 0);
}

void lr_gen_push_presence_day(const lr_gen_t *gen, lr_gen_events_t *evs,
                              int32_t day, lr_gen_rng_t *rng) {
        size_t n     = gen->reps_cnt, i, ooo, offline;
        int64_t base = (int64_t)day * LR_MS_PER_DAY;
        size_t *order;
        char date[16];

        lr_gen_date(day, date);
        order = lr_gen_oom(malloc(n * sizeof(*order)));
        for (i = 0; i < n; i++)
                order[i] = i;
        for (i = n; i > 1; i--) {
                size_t j = lr_gen_rng_below(rng, i), tmp = order[i - 1];
                order[i - 1] = order[j];
                order[j]     = tmp;
        }
        ooo     = n >= 5 ? 2 : n >= 3 ? 1 : 0;
        offline = n >= 2 ? 1 : 0;

        for (i = 0; i < n; i++) {
                int k = 0;
                if (i < ooo) {
                        lr_gen_push_spell(gen, evs, order[i], date, &k,
                                          LR_PRESENCE_OUT_OF_OFFICE,
                                          base + 6 * HOUR_MS,
                                          base + 20 * HOUR_MS);
                } else if (i < ooo + offline) {
                        int64_t from =
                            base + 11 * HOUR_MS +
                            (int64_t)(lr_gen_rng_uniform(rng) * 2 * HOUR_MS);
                        int64_t len =
                            (60 + (int64_t)lr_gen_rng_below(rng, 91)) * MIN_MS;
                        lr_gen_push_spell(gen, evs, order[i], date, &k,
                                          LR_PRESENCE_OFFLINE, from,
                                          from + len);
                } else if (lr_gen_rng_uniform(rng) < 0.45) {
                        int spells = lr_gen_rng_uniform(rng) < 0.4 ? 2 : 1;
                        int64_t t =
                            base + 8 * HOUR_MS + 30 * MIN_MS +
                            (int64_t)(lr_gen_rng_uniform(rng) * 3 * HOUR_MS);
                        while (spells-- > 0 && t < base + 17 * HOUR_MS) {
                                lr_presence_t st = lr_gen_rng_uniform(rng) < 0.6
                                                       ? LR_PRESENCE_IN_MEETING
                                                       : LR_PRESENCE_BUSY;
                                int64_t len =
                                    (30 + (int64_t)lr_gen_rng_below(rng, 61)) *
                                    MIN_MS;
                                lr_gen_push_spell(gen, evs, order[i], date, &k,
                                                  st, t, t + len);
                                t += len + 30 * MIN_MS +
                                     (int64_t)(lr_gen_rng_uniform(rng) * 3 *
                                               HOUR_MS);
                        }
                }
        }
        free(order);
}

static int lr_gen_cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* n arrival times within 08:00-18:00 UTC of `day`, sorted, into *times. */
static void lr_gen_arrivals(lr_gen_rng_t *rng, int32_t day, size_t n,
                            int64_t **times, size_t *size) {
        int64_t base = (int64_t)day * LR_MS_PER_DAY + 8 * HOUR_MS;
        size_t i;

        if (n > *size) {
                *size  = n;
                *times = lr_gen_oom(realloc(*times, n * sizeof(**times)));
        }
        for (i = 0; i < n; i++)
                (*times)[i] =
                    base + (int64_t)(lr_gen_rng_uniform(rng) * 10 * HOUR_MS);
        qsort(*times, n, sizeof(**times), lr_gen_cmp_i64);
}

int lr_gen_working_day(int32_t day) {
        return (day + 3) % 7 < 5; /* day 0 was a Thursday */
}

size_t lr_gen_day_leads(const lr_gen_t *gen, lr_gen_rng_t *rng) {
        double mean = gen->leads_per_day;
        long n      = lround(mean + sqrt(mean) * lr_gen_rng_normal(rng));
        return n < 0 ? 0 : (size_t)n;
}

/* The LeadCreated of a history lead: the lead as it came in, and the
 * assignment the history made (attributes assigned_rep_id, assigned_at),
 * as a CRM import carries it. */
static void lr_gen_push_imported_lead(const lr_gen_t *gen, lr_gen_events_t *evs,
                                      const char *date, size_t i,
                                      const char *lead_id,
                                      const lr_gen_lead_t *lead, size_t rep,
                                      int64_t at) {
        lr_event_t *ev        = lr_gen_push(gen, evs, LR_EV_LEAD_CREATED);
        lr_lead_created_t *lc = &ev->u.lead;

        ev->event_id =
            lr_gen_sprintf("%s-lc-%s-%04zu", gen->tenant, date, i + 1);
        ev->lead_id           = lr_gen_strdup(lead_id);
        lc->created_at        = at;
        lc->score             = lead->score;
        lc->tier              = lead->tier;
        lc->region            = lr_gen_strdup(lead->region);
        lc->timezone          = lr_gen_strdup(lead->timezone);
        lc->source            = lr_gen_strdup(lead->source);
        lc->attributes        = lr_gen_oom(calloc(2, sizeof(*lc->attributes)));
        lc->attributes_cnt    = 2;
        lc->attributes[0].key = lr_gen_strdup(LR_ATTR_ASSIGNED_REP_ID);
        lc->attributes[0].value = lr_gen_strdup(gen->reps[rep].rep_id);
        lc->attributes[1].key   = lr_gen_strdup(LR_ATTR_ASSIGNED_AT);
        lc->attributes[1].value = lr_gen_sprintf("%lld", (long long)at);
}

void lr_gen_push_history(const lr_gen_t *gen, lr_gen_events_t *evs) {
        int32_t end    = gen->opts.end_day, day;
        int64_t before = (int64_t)end * LR_MS_PER_DAY;
        int64_t *times = NULL;
        size_t size = 0, rr = 0;

        for (day = end - gen->opts.days; day < end; day++) {
                lr_gen_rng_t rng;
                char date[16];
                size_t i, n;

                if (!lr_gen_working_day(day))
                        continue;
                lr_gen_rng_stream(&rng, gen->opts.seed,
                                  STREAM_DAY ^ (uint32_t)day);
                n = lr_gen_day_leads(gen, &rng);
                lr_gen_arrivals(&rng, day, n, &times, &size);
                lr_gen_date(day, date);
                for (i = 0; i < n; i++) {
                        lr_gen_lead_t lead;
                        lr_gen_trajectory_t traj;
                        size_t rep = rr++ % gen->reps_cnt;
                        char lead_id[256];

                        lr_gen_draw_lead(gen, &rng, &lead);
                        lr_gen_draw_outcomes(gen, rep, lead.score, &rng, &traj);
                        snprintf(lead_id, sizeof(lead_id), "%s-L%s-%04zu",
                                 gen->tenant, date, i + 1);
                        /* Assigned on arrival, before its first call. */
                        lr_gen_push_imported_lead(gen, evs, date, i, lead_id,
                                                  &lead, rep, times[i]);
                        lr_gen_push_outcomes(gen, evs, rep, lead_id, times[i],
                                             &traj, before);
                }
        }
        free(times);
}

void lr_gen_push_leads(const lr_gen_t *gen, lr_gen_events_t *evs, int32_t day,
                       size_t n, lr_gen_rng_t *rng) {
        size_t accounts = n / 3 > 3 ? n / 3 : 3;
        int64_t *times  = NULL;
        size_t size     = 0, i;
        char date[16];

        lr_gen_date(day, date);
        lr_gen_arrivals(rng, day, n, &times, &size);
        for (i = 0; i < n; i++) {
                lr_gen_lead_t lead;
                lr_lead_created_t *lc;
                lr_event_t *ev;

                lr_gen_draw_lead(gen, rng, &lead);
                ev = lr_gen_push(gen, evs, LR_EV_LEAD_CREATED);
                ev->event_id =
                    lr_gen_sprintf("%s-lc-%s-%04zu", gen->tenant, date, i + 1);
                ev->lead_id =
                    lr_gen_sprintf("%s-L%s-%04zu", gen->tenant, date, i + 1);
                lc             = &ev->u.lead;
                lc->created_at = times[i];
                lc->score      = lead.score;
                lc->tier       = lead.tier;
                lc->region     = lr_gen_strdup(lead.region);
                lc->timezone   = lr_gen_strdup(lead.timezone);
                lc->source     = lr_gen_strdup(lead.source);
                if (lr_gen_rng_uniform(rng) < 0.3)
                        lc->account_id = lr_gen_sprintf(
                            "acct-%04zu", 1 + lr_gen_rng_below(rng, accounts));
                if (lr_gen_rng_uniform(rng) < 0.05) {
                        lc->has_contact_after = 1;
                        lc->contact_after =
                            times[i] + HOUR_MS +
                            (int64_t)(lr_gen_rng_uniform(rng) * 2 * HOUR_MS);
                }
                if (lr_gen_rng_uniform(rng) < 0.5) {
                        lc->attributes =
                            lr_gen_oom(calloc(1, sizeof(*lc->attributes)));
                        lc->attributes[0].key = lr_gen_strdup("campaign");
                        lc->attributes[0].value =
                            lr_gen_strdup(lr_gen_campaigns[lr_gen_rng_below(
                                rng, ARRAY_CNT(lr_gen_campaigns))]);
                        lc->attributes_cnt = 1;
                }
        }
        free(times);
}

void lr_gen_push_fresh_day(const lr_gen_t *gen, lr_gen_events_t *evs) {
        int32_t day = gen->opts.end_day;
        lr_gen_rng_t rng;

        lr_gen_rng_stream(&rng, gen->opts.seed, STREAM_FRESH ^ (uint32_t)day);
        lr_gen_push_leads(gen, evs, day, (size_t)gen->opts.fresh_leads, &rng);
        lr_gen_rng_stream(&rng, gen->opts.seed,
                          STREAM_PRESENCE ^ (uint32_t)day);
        lr_gen_push_presence_day(gen, evs, day, &rng);
}

void lr_gen_push_all(const lr_gen_t *gen, lr_gen_events_t *evs) {
        lr_gen_push_rep_profiles(gen, evs,
                                 (int64_t)(gen->opts.end_day - gen->opts.days) *
                                     LR_MS_PER_DAY);
        lr_gen_push_history(gen, evs);
        if (gen->opts.fresh_leads > 0)
                lr_gen_push_fresh_day(gen, evs);
        lr_gen_events_sort(evs);
}

static int lr_gen_cmp_event(const void *a, const void *b) {
        const lr_gen_event_t *x = a, *y = b;
        int64_t tx = lr_event_time(&x->ev), ty = lr_event_time(&y->ev);
        if (tx != ty)
                return tx < ty ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void lr_gen_events_sort(lr_gen_events_t *evs) {
        if (evs->cnt)
                qsort(evs->v, evs->cnt, sizeof(*evs->v), lr_gen_cmp_event);
}

void lr_gen_events_clear(lr_gen_events_t *evs) {
        size_t i;
        for (i = 0; i < evs->cnt; i++)
                lr_event_clear(&evs->v[i].ev);
        free(evs->v);
        memset(evs, 0, sizeof(*evs));
}

/* ---- JSON lines ---------------------------------------------------------- */

static void lr_gen_json_str(FILE *fp, const char *s) {
        const unsigned char *p = (const unsigned char *)s;

        putc('"', fp);
        for (; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", fp);
                        break;
                case '\\':
                        fputs("\\\\", fp);
                        break;
                case '\n':
                        fputs("\\n", fp);
                        break;
                case '\r':
                        fputs("\\r", fp);
                        break;
                case '\t':
                        fputs("\\t", fp);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(fp, "\\u%04x", *p);
                        else
                                putc(*p, fp);
                }
        }
        putc('"', fp);
}

static void lr_gen_json_key_str(FILE *fp, const char *key, const char *v) {
        if (!v)
                return;
        fprintf(fp, ",\"%s\":", key);
        lr_gen_json_str(fp, v);
}

static void lr_gen_json_key_int(FILE *fp, const char *key, int64_t v) {
        fprintf(fp, ",\"%s\":%lld", key, (long long)v);
}

int lr_gen_event_write(FILE *fp, const lr_gen_event_t *e) {
        const lr_event_t *ev = &e->ev;
        size_t i;

        fputs("{\"topic\":", fp);
        lr_gen_json_str(fp, e->topic);
        fputs(",\"event\":{\"event_id\":", fp);
        lr_gen_json_str(fp, ev->event_id);
        lr_gen_json_key_str(fp, "tenant_id", ev->tenant_id);
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED: {
                const lr_lead_created_t *lc = &ev->u.lead;
                lr_gen_json_key_str(fp, "lead_id", ev->lead_id);
                lr_gen_json_key_int(fp, "created_at", lc->created_at);
                lr_gen_json_key_int(fp, "score", lc->score);
                if (lc->tier)
                        lr_gen_json_key_int(fp, "tier", lc->tier);
                lr_gen_json_key_str(fp, "account_id", lc->account_id);
                lr_gen_json_key_str(fp, "region", lc->region);
                lr_gen_json_key_str(fp, "timezone", lc->timezone);
                lr_gen_json_key_str(fp, "source", lc->source);
                if (lc->has_contact_after)
                        lr_gen_json_key_int(fp, "contact_after",
                                            lc->contact_after);
                fputs(",\"attributes\":{", fp);
                for (i = 0; i < lc->attributes_cnt; i++) {
                        if (i)
                                putc(',', fp);
                        lr_gen_json_str(fp, lc->attributes[i].key);
                        putc(':', fp);
                        lr_gen_json_str(fp, lc->attributes[i].value);
                }
                putc('}', fp);
                break;
        }
        case LR_EV_CALL_OUTCOME: {
                const lr_call_outcome_t *co = &ev->u.call;
                lr_gen_json_key_str(fp, "rep_id", co->rep_id);
                lr_gen_json_key_str(fp, "lead_id", ev->lead_id);
                lr_gen_json_key_int(fp, "occurred_at", co->occurred_at);
                lr_gen_json_key_str(fp, "outcome",
                                    lr_outcome_name(co->outcome));
                lr_gen_json_key_int(fp, "duration_seconds",
                                    co->duration_seconds);
                if (co->has_deal_value)
                        lr_gen_json_key_int(fp, "deal_value_cents",
                                            co->deal_value_cents);
                break;
        }
        case LR_EV_REP_STATUS: {
                const lr_rep_status_t *rs = &ev->u.rep;
                lr_gen_json_key_str(fp, "rep_id", rs->rep_id);
                lr_gen_json_key_int(fp, "occurred_at", rs->occurred_at);
                lr_gen_json_key_str(fp, "status", lr_presence_name(rs->status));
                if (rs->has_until)
                        lr_gen_json_key_int(fp, "until", rs->until);
                lr_gen_json_key_str(fp, "display_name", rs->display_name);
                lr_gen_json_key_str(fp, "team", rs->team);
                if (rs->regions) {
                        fputs(",\"regions\":[", fp);
                        for (i = 0; i < rs->regions_cnt; i++) {
                                if (i)
                                        putc(',', fp);
                                lr_gen_json_str(fp, rs->regions[i]);
                        }
                        putc(']', fp);
                }
                lr_gen_json_key_str(fp, "timezone", rs->timezone);
                lr_gen_json_key_str(fp, "working_hours", rs->working_hours);
                if (rs->has_hired_at)
                        lr_gen_json_key_int(fp, "hired_at", rs->hired_at);
                if (rs->has_max_open_leads)
                        lr_gen_json_key_int(fp, "max_open_leads",
                                            rs->max_open_leads);
                break;
        }
        default:
                break;
        }
        fputs("}}\n", fp);
        return ferror(fp) ? -1 : 0;
}

int lr_gen_write_truth(FILE *fp, const lr_gen_t *gen) {
        size_t i;

        putc('{', fp);
        for (i = 0; i < gen->reps_cnt; i++) {
                fprintf(fp, "%s\n  ", i ? "," : "");
                lr_gen_json_str(fp, gen->reps[i].rep_id);
                fprintf(fp, ": %.6f", gen->reps[i].skill);
        }
        fputs("\n}\n", fp);
        return ferror(fp) ? -1 : 0;
}

/* ---- the CLI ------------------------------------------------------------- */

static void lr_gen_usage(FILE *fp) {
        fprintf(fp,
                "usage: leadrouter generate --tenant T [--reps N] [--days D] "
                "[--seed S]\n"
                "         [--end YYYY-MM-DD] [--leads-per-day L] "
                "[--fresh-day N] [--truth FILE]\n"
                "  Writes a synthetic org as JSON lines {\"topic\": ..., "
                "\"event\": {...}}\n"
                "  in event-time order: a RepStatus per rep, then the "
                "history of the D days\n"
                "  before --end: per lead a LeadCreated carrying the "
                "assignment the history\n"
                "  made (round robin; attributes assigned_rep_id and "
                "assigned_at, an imported\n"
                "  assignment) and its CallOutcome events; then with "
                "--fresh-day N, N plain\n"
                "  LeadCreated events (to be routed) and presence changes on "
                "the --end day.\n"
                "  --reps N           reps (default 20)\n"
                "  --days D           history days (default 90)\n"
                "  --seed S           seed (default 1); same arguments, same "
                "output\n"
                "  --end DATE         first day after the history (default "
                "today, UTC)\n"
                "  --leads-per-day L  leads of the whole org per working day "
                "(default %d x reps)\n"
                "  --fresh-day N      LeadCreated events on the --end day "
                "(default 0)\n"
                "  --truth FILE       write the hidden skill of each rep as "
                "JSON\n",
                LR_GEN_LEADS_PER_REP_DAY);
}

int lr_generate_main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"tenant", required_argument, NULL, 't'},
            {"reps", required_argument, NULL, 'r'},
            {"days", required_argument, NULL, 'd'},
            {"seed", required_argument, NULL, 's'},
            {"end", required_argument, NULL, 'e'},
            {"leads-per-day", required_argument, NULL, 'l'},
            {"fresh-day", required_argument, NULL, 'f'},
            {"truth", required_argument, NULL, 'T'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        lr_gen_opts_t opts  = {.reps = 20, .days = 90, .seed = 1};
        lr_gen_events_t evs = {0};
        const char *truth   = NULL;
        lr_gen_t *gen;
        char errstr[512];
        long long v;
        int64_t end_ms = 0;
        int have_end = 0, opt, rc = 0;
        size_t i;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (opt) {
                case 't':
                        opts.tenant = optarg;
                        break;
                case 'r':
                        if (lr_parse_opt("generate", "--reps", optarg, 1, 999,
                                         &v))
                                return 2;
                        opts.reps = (int)v;
                        break;
                case 'd':
                        if (lr_parse_opt("generate", "--days", optarg, 0, 3660,
                                         &v))
                                return 2;
                        opts.days = (int)v;
                        break;
                case 's':
                        if (lr_parse_opt("generate", "--seed", optarg,
                                         LLONG_MIN, LLONG_MAX, &v))
                                return 2;
                        opts.seed = (uint64_t)v;
                        break;
                case 'e':
                        if (lr_iso8601_parse(optarg, &end_ms) == -1) {
                                fprintf(stderr,
                                        "generate: --end: expected "
                                        "YYYY-MM-DD, got \"%s\"\n",
                                        optarg);
                                return 2;
                        }
                        have_end = 1;
                        break;
                case 'l':
                        if (lr_parse_opt("generate", "--leads-per-day", optarg,
                                         1, 100000, &v))
                                return 2;
                        opts.leads_per_day = (int)v;
                        break;
                case 'f':
                        if (lr_parse_opt("generate", "--fresh-day", optarg, 0,
                                         1000000, &v))
                                return 2;
                        opts.fresh_leads = (int)v;
                        break;
                case 'T':
                        truth = optarg;
                        break;
                case 'h':
                        lr_gen_usage(stdout);
                        return 0;
                default:
                        lr_gen_usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "generate: unexpected argument: %s\n",
                        argv[optind]);
                return 2;
        }
        if (!opts.tenant) {
                fprintf(stderr, "generate: --tenant is required\n");
                lr_gen_usage(stderr);
                return 2;
        }
        opts.end_day = lr_day_of(have_end ? end_ms : lr_now_ms());

        gen = lr_gen_new(&opts, errstr, sizeof(errstr));
        if (!gen) {
                fprintf(stderr, "generate: %s\n", errstr);
                return 2;
        }
        lr_gen_push_all(gen, &evs);
        for (i = 0; i < evs.cnt && rc == 0; i++)
                rc = lr_gen_event_write(stdout, &evs.v[i]);
        if (fflush(stdout) == EOF)
                rc = -1;
        if (rc == -1)
                lr_error("generate", "cannot write the events: %s",
                         strerror(errno));
        if (rc == 0 && truth) {
                FILE *fp = fopen(truth, "w");
                if (!fp || lr_gen_write_truth(fp, gen) == -1) {
                        lr_error("generate", "cannot write %s: %s", truth,
                                 strerror(errno));
                        rc = -1;
                }
                if (fp && fclose(fp) == EOF && rc == 0) {
                        lr_error("generate", "cannot write %s: %s", truth,
                                 strerror(errno));
                        rc = -1;
                }
        }
        lr_gen_events_clear(&evs);
        lr_gen_free(gen);
        return rc == 0 ? 0 : 1;
}
