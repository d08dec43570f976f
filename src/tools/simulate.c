/*
 * simulate.c - see simulate.h.
 *
 * The loop keeps everything pending (presence, new leads, the calls already
 * drawn for routed leads) in one queue ordered by event time and applies it
 * one event at a time to the tenant's routing state in memory (the core of
 * src/route/, the worker's own), firing the tenant's timers at their due
 * times in between: a decision draws its lead's calls at once, and they
 * join the queue at their own times, so the order applied is exactly the
 * event-time order. A rep whose first call would come after the first-touch
 * SLA never makes it: the SLA timer moves the lead on.
 *
 * With --keep the state goes through Redis every simulated day: written as
 * the worker writes it, then the tenant is loaded back from Redis and the
 * simulation goes on with what was loaded. The results equal the in-memory
 * run's (tests/integration/test_simulate.py checks it), so the store keeps
 * everything the routing needs, and the namespace is left for the
 * scorecard.
 *
 * After the last day of leads the queue runs until no call is left, so that
 * every lead matures.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "gini.h"
#include "inmem.h"
#include "log.h"
#include "numparse.h"
#include "simulate.h"
#include "persist.h"
#include "route.h"
#include "store.h"
#include "strmap.h"
#include "timeutil.h"

#define LR_SIM_SPEARMAN_DAY 90
/* A first call and its notes keep a rep busy this long. */
#define LR_SIM_FIRST_CALL_BUSY_MS (3 * 60000)
#define LR_SIM_DEFAULT_START "2024-01-01"

/* RNG streams of the simulation, xored with a day or a lead. */
#define STREAM_SIM_LEADS 0x73696d6c00000000ULL    /* "siml" ^ day */
#define STREAM_SIM_PRESENCE 0x73696d7000000000ULL /* "simp" ^ day */
#define STREAM_SIM_OUTCOME 0x73696d6f00000000ULL  /* "simo" ^ lead, attempt */

static const char *lr_sim_reasons[8] = {
    "RANKED",    "FALLBACK_TIER",  "OWNER",    "QUEUED",
    "ESCALATED", "SLA_REASSIGNED", "BASELINE", "OTHER"};

typedef struct lr_sim_ev_s {
        int64_t at;
        uint64_t seq; /* ties of `at`: first queued, first applied */
        int64_t lead; /* index in leads[], or -1 */
        int attempt;  /* CallOutcome, SLA tick: the assignment */
        const char *topic;
        lr_event_t ev; /* LR_SIM_EVENT only */
} lr_sim_ev_t;

typedef struct lr_sim_lead_s {
        char *lead_id;
        int score;
        int64_t created_at;
        int64_t due_at; /* when it may be contacted: created or
                         * contact_after */
        int held;       /* contact_after in the future at creation */
        int attempt;    /* latest assignment, 0 = not routed yet */
        size_t rep;
        int64_t assigned_at;
        int called; /* a rep called it */
        int converted;
} lr_sim_lead_t;

typedef struct lr_sim_s {
        const lr_sim_opts_t *o;
        const lr_config_t *cfg;
        char policy_version[24];
        lr_policy_t policy;
        lr_gen_t *gen;
        lr_tenant_t *tenant;
        lr_store_t *store; /* --keep */
        int64_t epoch, version;
        char errstr[512]; /* the Redis error that ended the run */
        lr_sim_ev_t *heap;
        size_t heap_cnt, heap_size;
        uint64_t seq;
        lr_gen_events_t scratch;
        lr_sim_lead_t *leads;
        size_t leads_cnt, leads_size;
        lr_strmap_t *lead_idx, *rep_idx;
        int64_t *rep_leads;
        int64_t *rep_week; /* [rep * weeks + week], full weeks of leads */
        int64_t *rep_free; /* when the rep is done with its last first call */
        char *rep_away;    /* [rep * weeks + week]: out of office then */

        int weeks;
        double stl_sum, wait_sum;
        int64_t stl_n, rejected;
        int64_t timer_fires, roundtrips, offset;
        int spearman_done;
        lr_sim_result_t *res;
} lr_sim_t;

static void *lr_sim_oom(void *p) {
        if (!p) {
                lr_error("simulate", "out of memory");
                abort();
        }
        return p;
}

/* ---- the event queue ------------------------------------------------------
 */

static int lr_sim_before(const lr_sim_ev_t *a, const lr_sim_ev_t *b) {
        return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void lr_sim_heap_add(lr_sim_t *s, lr_sim_ev_t *e) {
        size_t i;

        if (s->heap_cnt == s->heap_size) {
                s->heap_size = s->heap_size ? 2 * s->heap_size : 4096;
                s->heap      = lr_sim_oom(
                         realloc(s->heap, s->heap_size * sizeof(*s->heap)));
        }
        e->seq = s->seq++;
        for (i = s->heap_cnt++; i > 0; i = (i - 1) / 2) {
                if (!lr_sim_before(e, &s->heap[(i - 1) / 2]))
                        break;
                s->heap[i] = s->heap[(i - 1) / 2];
        }
        s->heap[i] = *e;
}

static void lr_sim_push_event(lr_sim_t *s, const lr_event_t *ev,
                              const char *topic, int64_t lead, int attempt) {
        lr_sim_ev_t e;

        memset(&e, 0, sizeof(e));
        e.at      = lr_event_time(ev);
        e.lead    = lead;
        e.attempt = attempt;
        e.topic   = topic;
        e.ev      = *ev;
        lr_sim_heap_add(s, &e);
}

static void lr_sim_heap_pop(lr_sim_t *s, lr_sim_ev_t *out) {
        lr_sim_ev_t last;
        size_t i = 0, c;

        *out = s->heap[0];
        last = s->heap[--s->heap_cnt];
        while ((c = 2 * i + 1) < s->heap_cnt) {
                if (c + 1 < s->heap_cnt &&
                    lr_sim_before(&s->heap[c + 1], &s->heap[c]))
                        c++;
                if (!lr_sim_before(&s->heap[c], &last))
                        break;
                s->heap[i] = s->heap[c];
                i          = c;
        }
        if (s->heap_cnt)
                s->heap[i] = last;
}

static int64_t lr_sim_new_lead(lr_sim_t *s, const lr_event_t *ev) {
        lr_sim_lead_t *l;

        if (s->leads_cnt == s->leads_size) {
                s->leads_size = s->leads_size ? 2 * s->leads_size : 4096;
                s->leads      = lr_sim_oom(
                         realloc(s->leads, s->leads_size * sizeof(*s->leads)));
        }
        l = &s->leads[s->leads_cnt];
        memset(l, 0, sizeof(*l));
        l->lead_id    = lr_sim_oom(strdup(ev->lead_id));
        l->score      = ev->u.lead.score;
        l->created_at = ev->u.lead.created_at;
        l->due_at     = l->created_at;
        if (ev->u.lead.has_contact_after &&
            ev->u.lead.contact_after > l->created_at) {
                l->held   = 1;
                l->due_at = ev->u.lead.contact_after;
        }
        lr_strmap_set(s->lead_idx, ev->lead_id, (int64_t)s->leads_cnt);
        s->res->leads++;
        return (int64_t)s->leads_cnt++;
}

/* Moves the events of s->scratch into the queue; `lead` and `attempt` tag
 * CallOutcome events, a LeadCreated gets its own new lead. */
static void lr_sim_take(lr_sim_t *s, int64_t lead, int attempt) {
        size_t i;

        for (i = 0; i < s->scratch.cnt; i++) {
                lr_gen_event_t *g = &s->scratch.v[i];
                int64_t l         = lead;
                if (g->ev.kind == LR_EV_LEAD_CREATED)
                        l = lr_sim_new_lead(s, &g->ev);
                lr_sim_push_event(s, &g->ev, g->topic, l, attempt);
        }
        s->scratch.cnt = 0; /* the events are the queue's now */
}

/* Presence changes and new leads of a working day. */
static void lr_sim_push_day(lr_sim_t *s, int32_t day) {
        lr_gen_rng_t rng;

        if (!lr_gen_working_day(day))
                return;
        lr_gen_rng_stream(&rng, s->o->seed,
                          STREAM_SIM_PRESENCE ^ (uint32_t)day);
        lr_gen_push_presence_day(s->gen, &s->scratch, day, &rng);
        lr_gen_rng_stream(&rng, s->o->seed, STREAM_SIM_LEADS ^ (uint32_t)day);
        lr_gen_push_leads(s->gen, &s->scratch, day,
                          lr_gen_day_leads(s->gen, &rng), &rng);
        lr_sim_take(s, -1, 0);
}

/* ---- the closed loop --------------------------------------------------- */

static int lr_sim_reason(const char *reason) {
        int k;
        for (k = 0; k < 8; k++)
                if (!strcmp(reason, lr_sim_reasons[k]))
                        return k;
        return 7;
}

/* A decision: counts it, then draws what the rep who got the lead does with
 * it, from the rep's hidden skill and a random stream of the lead's own
 * (the same in every strategy). A first call that would come after the
 * first-touch SLA is never made while the SLA can still take the lead
 * away: the timers are ticked at its due time instead. */
static void lr_sim_decision(lr_sim_t *s, const lr_assigned_t *d) {
        lr_sim_result_t *res = s->res;
        int64_t sla = (int64_t)s->policy.sla_first_touch_seconds * 1000;
        lr_gen_trajectory_t traj;
        lr_gen_rng_t rng;
        lr_sim_lead_t *l;
        int64_t li, ri;
        size_t i;

        if (!lr_strmap_get(s->lead_idx, d->lead_id, &li) ||
            !lr_strmap_get(s->rep_idx, d->rep_id, &ri)) {
                lr_warn("simulate", "decision for unknown lead %s or rep %s",
                        d->lead_id, d->rep_id);
                return;
        }
        l = &s->leads[li];
        if (!l->attempt) {
                res->routed++;
                if (d->wait_ms > 0) {
                        res->waiting_leads++;
                        s->wait_sum += (double)d->wait_ms / 1000.0;
                }
        }
        l->attempt     = d->attempt;
        l->rep         = (size_t)ri;
        l->assigned_at = d->decided_at;
        s->rep_leads[ri]++;
        {
                int32_t w = (lr_day_of(d->decided_at) - s->o->start_day) / 7;
                if (w >= 0 && w < s->weeks)
                        s->rep_week[ri * s->weeks + w]++;
        }
        if (d->rep_tier == s->policy.tiers)
                res->bottom_tier_leads++;

        res->reasons[lr_sim_reason(d->reason)]++;

        lr_gen_rng_stream(&rng, s->o->seed,
                          STREAM_SIM_OUTCOME ^ ((uint64_t)li << 8) ^
                              (uint64_t)(d->attempt & 0xff));
        lr_gen_draw_outcomes(s->gen, (size_t)ri, l->score, &rng, &traj);
        /* A rep makes one first call at a time: a lead routed while its
         * earlier ones wait for theirs waits behind them. */
        if (traj.cnt) {
                int64_t first = d->decided_at + traj.calls[0].offset_ms;
                if (first < s->rep_free[ri]) {
                        int64_t shift = s->rep_free[ri] - first;
                        for (i = 0; i < traj.cnt; i++)
                                traj.calls[i].offset_ms += shift;
                }
        }
        if (sla > 0 && traj.cnt && traj.calls[0].offset_ms >= sla) {
                res->sla_breaches++;

                if (!s->policy.sla_max_attempts ||
                    d->attempt < s->policy.sla_max_attempts)
                        return; /* the SLA timer takes the lead away */
        }
        if (traj.cnt)
                s->rep_free[ri] = d->decided_at + traj.calls[0].offset_ms +
                                  LR_SIM_FIRST_CALL_BUSY_MS;
        lr_gen_push_outcomes(s->gen, &s->scratch, (size_t)ri, l->lead_id,
                             d->decided_at, &traj, 0);
        /* Another assignment of the lead: calls of their own ids. */
        for (i = 0; d->attempt > 1 && i < s->scratch.cnt; i++) {
                lr_event_t *ev = &s->scratch.v[i].ev;
                size_t size    = strlen(l->lead_id) + 32;
                free(ev->event_id);
                ev->event_id = lr_sim_oom(malloc(size));
                snprintf(ev->event_id, size, "%s-a%d-c%zu", l->lead_id,
                         (int)d->attempt, i + 1);
        }
        lr_sim_take(s, li, d->attempt);
}

/* The decisions and tier changes of a result. The outbox is acked at
 * once: a simulation publishes nothing. */
static void lr_sim_result(lr_sim_t *s, const lr_route_result_t *r) {
        size_t d;

        for (d = 0; d < r->decisions_cnt; d++)
                lr_sim_decision(s, &r->decisions[d]);
        s->res->tier_changes += (int64_t)r->tier_changes_cnt;
        lr_tenant_outbox_ack(s->tenant, lr_tenant_outbox_mark(s->tenant));
}

/* A CallOutcome applied: speed to lead (from when the lead could first be
 * contacted to its first call), conversion, revenue. */
static void lr_sim_outcome(lr_sim_t *s, const lr_sim_ev_t *e) {
        const lr_call_outcome_t *c = &e->ev.u.call;
        lr_sim_lead_t *l           = &s->leads[e->lead];

        if (!l->called) {
                l->called = 1;
                s->stl_sum += (double)(c->occurred_at - l->due_at) / 60000.0;
                s->stl_n++;
        }
        if (c->outcome == LR_OUTCOME_OPPORTUNITY_CREATED && !l->converted) {
                l->converted = 1;
                s->res->converted++;
        }
        if (c->outcome == LR_OUTCOME_CLOSED_WON) {
                s->res->won++;
                s->res->revenue_cents += c->deal_value_cents;
        }
}

/* Spearman's rho of x and y (average ranks for ties). */
static double lr_sim_spearman(const double *x, const double *y, size_t n) {
        double *rx = lr_sim_oom(calloc(n ? n : 1, sizeof(double)));
        double *ry = lr_sim_oom(calloc(n ? n : 1, sizeof(double)));
        double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
        const double *v[2] = {x, y};
        double *r[2]       = {rx, ry};
        size_t i, j, k;

        for (k = 0; k < 2; k++)
                for (i = 0; i < n; i++) {
                        double less = 0, same = 0;
                        for (j = 0; j < n; j++) {
                                less += v[k][j] < v[k][i];
                                same += v[k][j] == v[k][i];
                        }
                        r[k][i] = less + (same + 1) / 2.0;
                }
        for (i = 0; i < n; i++) {
                mx += rx[i] / (double)n;
                my += ry[i] / (double)n;
        }
        for (i = 0; i < n; i++) {
                sxy += (rx[i] - mx) * (ry[i] - my);
                sxx += (rx[i] - mx) * (rx[i] - mx);
                syy += (ry[i] - my) * (ry[i] - my);
        }
        free(rx);
        free(ry);
        return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

/* How well the ranking of `day` (installed before any event of that day)
 * matches the hidden skill: Spearman's rho of skill and -rank, 1 = the rank
 * orders reps by skill. */
static void lr_sim_spearman_at(lr_sim_t *s, int32_t day) {
        size_t n      = lr_gen_rep_cnt(s->gen), i;
        double *skill = lr_sim_oom(calloc(n, sizeof(double)));
        double *rank  = lr_sim_oom(calloc(n, sizeof(double)));
        const lr_ranking_t *k;
        lr_route_result_t r;
        size_t m = 0;

        lr_tenant_ensure_day(s->tenant, day, &r);
        lr_sim_result(s, &r);
        lr_route_result_clear(&r);
        k = lr_tenant_ranking(s->tenant);
        for (i = 0; k && i < k->cnt; i++) {
                int64_t ri;
                if (!k->ranks[i].rank ||
                    !lr_strmap_get(s->rep_idx, k->ranks[i].rep_id, &ri))
                        continue;
                skill[m] = lr_gen_rep(s->gen, (size_t)ri)->skill;
                rank[m]  = -(double)k->ranks[i].rank;
                m++;
        }
        s->res->spearman_skill_rank = lr_sim_spearman(skill, rank, m);
        s->res->spearman_day        = day - s->o->start_day;
        s->spearman_done            = 1;
        free(skill);
        free(rank);
}

/* --keep: the tenant claimed and loaded from Redis, replacing the one in
 * memory. 0, or -1 with s->errstr. */
static int lr_sim_load(lr_sim_t *s) {
        lr_store_load_t ld;

        memset(&ld, 0, sizeof(ld));
        ld.tenant_id                   = s->o->tenant;
        ld.opts.policy                 = &s->policy;
        ld.opts.policy_version         = s->policy_version;
        ld.opts.clock_event            = 1;
        ld.opts.dedup_ttl_days         = s->cfg->dedup_ttl_days;
        ld.opts.lead_retention_days    = s->cfg->lead_retention_days;
        ld.opts.ranking_retention_days = s->cfg->ranking_retention_days;
        if (lr_store_claim(s->store, s->epoch, &ld, 1, s->errstr,
                           sizeof(s->errstr)))
                return -1;
        if (!ld.tenant) {
                snprintf(s->errstr, sizeof(s->errstr), "%s: claim refused",
                         s->o->tenant);
                return -1;
        }
        lr_tenant_free(s->tenant);
        s->tenant  = ld.tenant;
        s->version = ld.version;
        return 0;
}

/* --keep: the state written to Redis as the worker writes it, and the
 * tenant loaded back from there. 0, or -1 with s->errstr. */
static int lr_sim_roundtrip(lr_sim_t *s) {
        lr_store_write_t w;

        memset(&w, 0, sizeof(w));
        w.tenant_id = s->o->tenant;
        w.version   = s->version;
        if (lr_persist_changes(s->tenant, &w.ops) &&
            (lr_store_commit(s->store, s->epoch, &w, 1, s->errstr,
                             sizeof(s->errstr)) ||
             w.status != LR_STORE_WRITTEN)) {
                if (!s->errstr[0])
                        snprintf(s->errstr, sizeof(s->errstr),
                                 "write of %s refused", s->o->tenant);
                lr_args_free(&w.ops);
                return -1;
        }
        lr_args_free(&w.ops);
        s->version = w.version;
        s->roundtrips++;
        return lr_sim_load(s);
}

/* A rep out of office: the weeks it touches do not count for the fewest
 * leads of a week (min_rep_week_leads). */
static void lr_sim_away(lr_sim_t *s, const lr_rep_status_t *st) {
        int64_t ri;
        int32_t d, last;
        if (st->status != LR_PRESENCE_OUT_OF_OFFICE ||
            !lr_strmap_get(s->rep_idx, st->rep_id, &ri))
                return;
        last = lr_day_of(st->has_until ? st->until : st->occurred_at);
        for (d = lr_day_of(st->occurred_at); d <= last; d++) {
                int32_t w = (d - s->o->start_day) / 7;
                if (w >= 0 && w < s->weeks)
                        s->rep_away[ri * s->weeks + w] = 1;
        }
}

/* One queued event applied, its decisions fed back. */
static void lr_sim_apply(lr_sim_t *s, lr_sim_ev_t *e) {
        /* offsets in the order applied, as a partition's would be */
        lr_route_source_t src = {e->topic, 0, s->offset++};
        lr_route_result_t r;

        if (lr_tenant_apply(s->tenant, &e->ev, &src, &r) ||
            r.status == LR_ROUTE_REJECTED) {
                if (s->rejected++ < 5)
                        lr_warn("simulate", "event %s rejected: %s",
                                e->ev.event_id, r.errstr);
        } else {
                s->res->events++;
                if (e->ev.kind == LR_EV_CALL_OUTCOME)
                        lr_sim_outcome(s, e);
                if (e->ev.kind == LR_EV_REP_STATUS)
                        lr_sim_away(s, &e->ev.u.rep);
                lr_sim_result(s, &r);
        }
        lr_route_result_clear(&r);
        lr_event_clear(&e->ev);
}

static int lr_sim_loop(lr_sim_t *s) {
        int32_t next_day = s->o->start_day,
                end_day  = s->o->start_day + s->o->days;
        int32_t sp_day   = s->o->start_day + (s->o->days < LR_SIM_SPEARMAN_DAY
                                                  ? s->o->days
                                                  : LR_SIM_SPEARMAN_DAY);
        int64_t last_at  = (int64_t)s->o->start_day * LR_MS_PER_DAY;
        int32_t cur_day  = s->o->start_day;

        lr_gen_push_rep_profiles(s->gen, &s->scratch, last_at);
        lr_sim_take(s, -1, 0);
        for (;;) {
                int64_t due = lr_tenant_next_due(s->tenant), at;
                int32_t day;
                lr_sim_ev_t e;

                at = s->heap_cnt && s->heap[0].at < due ? s->heap[0].at : due;
                while (next_day < end_day &&
                       (at == INT64_MAX || next_day <= lr_day_of(at))) {
                        lr_sim_push_day(s, next_day++);
                        due = lr_tenant_next_due(s->tenant);
                        at  = s->heap_cnt && s->heap[0].at < due ? s->heap[0].at
                                                                 : due;
                }
                if (at == INT64_MAX)
                        break;
                day = lr_day_of(at);
                if (day > cur_day) {
                        cur_day = day;
                        if (s->store && lr_sim_roundtrip(s))
                                return -1;
                        if (!s->store) /* as the write would */
                                lr_tenant_forget_changes(s->tenant);
                }
                if (!s->spearman_done && day >= sp_day)
                        lr_sim_spearman_at(s, sp_day);
                last_at = at;
                if (due <= at && due != INT64_MAX) {
                        lr_route_result_t r;
                        /* timers first at equal times, as an event fires
                         * those due by its time before it applies */
                        s->timer_fires++;
                        lr_tenant_fire(s->tenant, due, &r);
                        lr_sim_result(s, &r);
                        lr_route_result_clear(&r);
                        continue;
                }
                lr_sim_heap_pop(s, &e);
                /* The calls of an assignment the lead has moved on from
                 * never happen. */
                if (e.ev.kind == LR_EV_CALL_OUTCOME &&
                    e.attempt != s->leads[e.lead].attempt) {
                        lr_event_clear(&e.ev);
                        continue;
                }
                lr_sim_apply(s, &e);
        }
        if (!s->spearman_done)
                lr_sim_spearman_at(s, sp_day);
        if (s->store && lr_sim_roundtrip(s))
                return -1;
        {
                size_t i;
                /* Leads never assigned have waited until the end. */
                for (i = 0; i < s->leads_cnt; i++)
                        if (!s->leads[i].attempt) {
                                s->res->waiting_leads++;
                                s->wait_sum +=
                                    (double)(last_at - s->leads[i].created_at) /
                                    1000.0;
                        }
        }
        return 0;
}

static void lr_sim_finish(lr_sim_t *s) {
        lr_sim_result_t *res = s->res;
        size_t n             = lr_gen_rep_cnt(s->gen), i;

        res->conversion_rate =
            res->routed ? (double)res->converted / (double)res->routed : 0;
        res->mean_speed_to_lead_minutes =
            s->stl_n ? s->stl_sum / (double)s->stl_n : 0;
        res->mean_wait_seconds =
            res->waiting_leads ? s->wait_sum / (double)res->waiting_leads : 0;
        /* The generator's reps never depart: all are active. */
        res->gini_leads         = lr_gini(s->rep_leads, n);
        res->min_rep_week_leads = -1;
        for (i = 0; i < n * (size_t)s->weeks; i++)
                if (!s->rep_away[i] &&
                    (res->min_rep_week_leads < 0 ||
                     s->rep_week[i] < res->min_rep_week_leads))
                        res->min_rep_week_leads = s->rep_week[i];
        res->min_rep_leads = n ? s->rep_leads[0] : 0;
        for (i = 1; i < n; i++)
                if (s->rep_leads[i] < res->min_rep_leads)
                        res->min_rep_leads = s->rep_leads[i];
}

static void lr_sim_clear(lr_sim_t *s) {
        size_t i;

        for (i = 0; i < s->heap_cnt; i++)
                lr_event_clear(&s->heap[i].ev);
        free(s->heap);
        lr_gen_events_clear(&s->scratch);
        for (i = 0; i < s->leads_cnt; i++)
                free(s->leads[i].lead_id);
        free(s->leads);
        free(s->rep_leads);
        free(s->rep_week);
        free(s->rep_free);
        free(s->rep_away);
        lr_strmap_free(s->lead_idx);
        lr_strmap_free(s->rep_idx);
        lr_tenant_free(s->tenant);
        lr_store_free(s->store);
        lr_gen_free(s->gen);
}

/* The tenant's policy with `strategy`. 0, or -1 with errstr. */
static int lr_sim_policy(const lr_config_t *cfg, const char *tenant,
                         const char *strategy, lr_policy_t *p, char *errstr,
                         size_t errstr_size) {
        *p = *lr_config_policy(cfg, tenant, NULL);
        if (strlen(strategy) >= sizeof(p->strategy)) {
                snprintf(errstr, errstr_size, "strategy \"%s\": too long",
                         strategy);
                return -1;
        }
        snprintf(p->strategy, sizeof(p->strategy), "%s", strategy);
        return lr_policy_validate(p, "policy", errstr, errstr_size);
}

int lr_sim_run(const lr_config_t *cfg, const lr_sim_opts_t *o,
               const char *strategy, lr_sim_result_t *res, char *errstr,
               size_t errstr_size) {
        lr_gen_opts_t gopts = {0};
        lr_sim_t s;
        char ns[256];
        int64_t t0 = lr_mono_ms();
        size_t i;
        int rc = -1;

        memset(&s, 0, sizeof(s));
        memset(res, 0, sizeof(*res));
        snprintf(res->strategy, sizeof(res->strategy), "%s", strategy);
        s.o   = o;
        s.res = res;
        s.cfg = cfg;
        if (lr_sim_policy(cfg, o->tenant, strategy, &s.policy, errstr,
                          errstr_size))
                return -1;

        gopts.tenant  = o->tenant;
        gopts.reps    = o->reps;
        gopts.days    = o->days;
        gopts.seed    = o->seed;
        gopts.end_day = o->start_day + o->days;
        if (!(s.gen = lr_gen_new(&gopts, errstr, errstr_size)))
                return -1;
        s.lead_idx = lr_strmap_new();
        s.rep_idx  = lr_strmap_new();
        s.rep_leads =
            lr_sim_oom(calloc(lr_gen_rep_cnt(s.gen), sizeof(*s.rep_leads)));
        s.rep_free =
            lr_sim_oom(calloc(lr_gen_rep_cnt(s.gen), sizeof(*s.rep_free)));
        s.weeks = o->days / 7;
        s.rep_away =
            lr_sim_oom(calloc(lr_gen_rep_cnt(s.gen) * (size_t)s.weeks + 1, 1));
        s.rep_week = lr_sim_oom(calloc(
            lr_gen_rep_cnt(s.gen) * (size_t)s.weeks + 1, sizeof(*s.rep_week)));
        for (i = 0; i < lr_gen_rep_cnt(s.gen); i++)
                lr_strmap_set(s.rep_idx, lr_gen_rep(s.gen, i)->rep_id,
                              (int64_t)i);

        snprintf(ns, sizeof(ns), "%s-sim-%s-%" PRIu64, cfg->redis_namespace,
                 strategy, o->seed);
        lr_policy_version(&s.policy, s.policy_version,
                          sizeof(s.policy_version));
        s.tenant = lr_tenant_new(o->tenant, &s.policy, s.policy_version, 1);
        lr_tenant_set_retention(s.tenant, cfg->dedup_ttl_days,
                                cfg->lead_retention_days,
                                cfg->ranking_retention_days);
        if (o->keep &&
            (!(s.store =
                   lr_store_new(cfg->redis_url, ns, errstr, errstr_size)) ||
             lr_store_flush_namespace(s.store, errstr, errstr_size) ||
             lr_store_new_epoch(s.store, &s.epoch, errstr, errstr_size) ||
             (lr_sim_load(&s) &&
              snprintf(errstr, errstr_size, "%s", s.errstr) >= 0)))
                goto done;
        if (lr_sim_loop(&s)) {
                snprintf(errstr, errstr_size, "%s",
                         s.errstr[0] ? s.errstr : "simulation failed");
                goto done;
        }
        lr_sim_finish(&s);
        if (s.rejected)
                lr_warn("simulate", "%s: %" PRId64 " events rejected", strategy,
                        s.rejected);
        res->seconds = (double)(lr_mono_ms() - t0) / 1000.0;
        lr_info("simulate",
                "%s: %" PRId64 " leads, %" PRId64 " events, %" PRId64
                " timer firings, %.1f s%s%s",
                strategy, res->leads, res->events, s.timer_fires, res->seconds,
                o->keep ? ", through Redis and kept in namespace " : "",
                o->keep ? ns : "");
        rc = 0;
done:
        lr_sim_clear(&s);
        return rc;
}

/* ---- output -------------------------------------------------------------- */

static void lr_sim_json_one(FILE *fp, const lr_sim_result_t *r) {
        int k;

        fprintf(fp,
                "{\"strategy\": \"%s\", \"conversion_rate\": %.6f, "
                "\"revenue_cents\": %" PRId64
                ", \"mean_speed_to_lead_minutes\": %.3f, "
                "\"waiting_leads\": %" PRId64 ", \"mean_wait_seconds\": %.3f, "
                "\"sla_breaches\": %" PRId64 ", \"gini_leads\": %.6f, "
                "\"spearman_skill_rank\": %.6f, \"spearman_day\": %d, "
                "\"bottom_tier_leads\": %" PRId64 ", \"leads\": %" PRId64
                ", \"routed\": %" PRId64 ", \"converted\": %" PRId64
                ", \"won\": %" PRId64 ", \"min_rep_leads\": %" PRId64
                ", \"min_rep_week_leads\": %" PRId64
                ", \"tier_changes\": %" PRId64 ", \"reasons\": {",
                r->strategy, r->conversion_rate, r->revenue_cents,
                r->mean_speed_to_lead_minutes, r->waiting_leads,
                r->mean_wait_seconds, r->sla_breaches, r->gini_leads,
                r->spearman_skill_rank, (int)r->spearman_day,
                r->bottom_tier_leads, r->leads, r->routed, r->converted, r->won,
                r->min_rep_leads, r->min_rep_week_leads, r->tier_changes);
        for (k = 0; k < 8; k++)
                fprintf(fp, "%s\"%s\": %" PRId64, k ? ", " : "",
                        lr_sim_reasons[k], r->reasons[k]);
        fputs("}}", fp);
}

static void lr_sim_table(FILE *fp, const lr_sim_result_t *res, size_t cnt) {
        size_t i;

        fprintf(fp, "%-21s %7s %13s %8s %8s %8s %8s %6s %9s %12s %9s\n",
                "strategy", "conv", "revenue $", "STL min", "waiting", "wait s",
                "SLA miss", "Gini", "Spearman", "bottom-tier", "min leads");
        for (i = 0; i < cnt; i++) {
                const lr_sim_result_t *r = &res[i];
                char sp[16];
                snprintf(sp, sizeof(sp), "%.3f@%d", r->spearman_skill_rank,
                         (int)r->spearman_day);
                fprintf(fp,
                        "%-21s %6.2f%% %13.0f %8.1f %8" PRId64
                        " %8.1f %8" PRId64 " %6.3f %9s %12" PRId64 " %9" PRId64
                        "\n",
                        r->strategy, 100.0 * r->conversion_rate,
                        (double)r->revenue_cents / 100.0,
                        r->mean_speed_to_lead_minutes, r->waiting_leads,
                        r->mean_wait_seconds, r->sla_breaches, r->gini_leads,
                        sp, r->bottom_tier_leads, r->min_rep_leads);
        }
}

/* The figures averaged over seeds: name, offset, integer or not. */
static const struct {
        const char *name;
        size_t off;
        int is_int;
} lr_sim_figures[] = {
    {"conversion_rate", offsetof(lr_sim_result_t, conversion_rate), 0},
    {"revenue_cents", offsetof(lr_sim_result_t, revenue_cents), 1},
    {"mean_speed_to_lead_minutes",
     offsetof(lr_sim_result_t, mean_speed_to_lead_minutes), 0},
    {"waiting_leads", offsetof(lr_sim_result_t, waiting_leads), 1},
    {"mean_wait_seconds", offsetof(lr_sim_result_t, mean_wait_seconds), 0},
    {"sla_breaches", offsetof(lr_sim_result_t, sla_breaches), 1},
    {"gini_leads", offsetof(lr_sim_result_t, gini_leads), 0},
    {"spearman_skill_rank", offsetof(lr_sim_result_t, spearman_skill_rank), 0},
    {"bottom_tier_leads", offsetof(lr_sim_result_t, bottom_tier_leads), 1},
    {"min_rep_leads", offsetof(lr_sim_result_t, min_rep_leads), 1},
    {"min_rep_week_leads", offsetof(lr_sim_result_t, min_rep_week_leads), 1},
};
#define LR_SIM_FIGURES (sizeof(lr_sim_figures) / sizeof(*lr_sim_figures))

static double lr_sim_figure(const lr_sim_result_t *r, size_t f) {
        const char *p = (const char *)r + lr_sim_figures[f].off;
        return lr_sim_figures[f].is_int ? (double)*(const int64_t *)p
                                        : *(const double *)p;
}

typedef struct lr_sim_stat_s {
        double mean, sd, min, max;
} lr_sim_stat_t;

static lr_sim_stat_t lr_sim_stat(const lr_sim_result_t *runs, size_t n,
                                 size_t f) {
        lr_sim_stat_t st = {0, 0, 0, 0};
        size_t i;
        for (i = 0; i < n; i++) {
                double v = lr_sim_figure(&runs[i], f);
                st.mean += v / (double)n;
                if (!i || v < st.min)
                        st.min = v;
                if (!i || v > st.max)
                        st.max = v;
        }
        for (i = 0; i < n && n > 1; i++) {
                double d = lr_sim_figure(&runs[i], f) - st.mean;
                st.sd += d * d / (double)(n - 1);
        }
        st.sd = sqrt(st.sd);
        return st;
}

/* One strategy over its seeds: the contract fields as means (integers
 * rounded), their spread, and each run. */
static void lr_sim_json_seeds(FILE *fp, const lr_sim_result_t *runs, size_t n) {
        size_t f, i;
        fprintf(fp, "{\"strategy\": \"%s\", \"seeds_run\": %zu",
                runs[0].strategy, n);
        for (f = 0; f < LR_SIM_FIGURES; f++) {
                lr_sim_stat_t st = lr_sim_stat(runs, n, f);
                if (lr_sim_figures[f].is_int)
                        fprintf(fp, ", \"%s\": %.0f", lr_sim_figures[f].name,
                                floor(st.mean + 0.5));
                else
                        fprintf(fp, ", \"%s\": %.6f", lr_sim_figures[f].name,
                                st.mean);
        }
        fprintf(fp, ", \"spearman_day\": %d, \"spread\": {",
                (int)runs[0].spearman_day);
        for (f = 0; f < LR_SIM_FIGURES; f++) {
                lr_sim_stat_t st = lr_sim_stat(runs, n, f);
                fprintf(fp,
                        "%s\"%s\": {\"sd\": %.6f, \"min\": %.6f, "
                        "\"max\": %.6f}",
                        f ? ", " : "", lr_sim_figures[f].name, st.sd, st.min,
                        st.max);
        }
        fputs("}, \"seeds\": [", fp);
        for (i = 0; i < n; i++) {
                fputs(i ? ", " : "", fp);
                lr_sim_json_one(fp, &runs[i]);
        }
        fputs("]}", fp);
}

/* Means with their standard deviation, and ranked against round robin
 * seed by seed, when both ran. */
static void lr_sim_table_seeds(FILE *fp, const lr_sim_result_t *res, size_t cnt,
                               size_t n) {
        const lr_sim_result_t *ranked = NULL, *rr = NULL;
        size_t i, k;

        fprintf(fp, "means over %zu seeds (± standard deviation)\n", n);
        fprintf(fp, "%-21s %15s %17s %12s %14s %8s %14s %9s %11s\n", "strategy",
                "conv", "revenue $M", "STL min", "SLA miss", "Gini", "Spearman",
                "min leads", "min/week");
        for (i = 0; i < cnt; i++) {
                const lr_sim_result_t *runs = &res[i * n];
                lr_sim_stat_t c             = lr_sim_stat(runs, n, 0),
                              v             = lr_sim_stat(runs, n, 1),
                              s             = lr_sim_stat(runs, n, 2),
                              m             = lr_sim_stat(runs, n, 5),
                              g             = lr_sim_stat(runs, n, 6),
                              p             = lr_sim_stat(runs, n, 7),
                              l             = lr_sim_stat(runs, n, 9),
                              w             = lr_sim_stat(runs, n, 10);
                fprintf(fp,
                        "%-21s %6.2f%% ±%5.2f %8.1f ±%6.1f %5.1f ±%4.1f "
                        "%7.0f ±%5.0f %8.3f %6.3f ±%5.3f %9.0f %11.0f\n",
                        runs[0].strategy, 100 * c.mean, 100 * c.sd,
                        v.mean / 1e8, v.sd / 1e8, s.mean, s.sd, m.mean, m.sd,
                        g.mean, p.mean, p.sd, l.min, w.min);
                if (!strcmp(runs[0].strategy, "ranked"))
                        ranked = runs;
                if (!strcmp(runs[0].strategy, "round_robin"))
                        rr = runs;
        }
        if (!ranked || !rr)
                return;
        {
                int conv = 0, rev = 0, sla = 0, stl = 0, sp = 0;
                for (k = 0; k < n; k++) {
                        conv +=
                            ranked[k].conversion_rate > rr[k].conversion_rate;
                        rev += ranked[k].revenue_cents > rr[k].revenue_cents;
                        sla += ranked[k].sla_breaches <= rr[k].sla_breaches;
                        stl += ranked[k].mean_speed_to_lead_minutes <=
                               rr[k].mean_speed_to_lead_minutes;
                        sp += ranked[k].spearman_skill_rank >= 0.9;
                }
                fprintf(fp,
                        "ranked against round_robin, seeds won of %zu: "
                        "conversion %d, revenue %d, SLA misses no more %d, "
                        "speed to lead no slower %d; Spearman >= 0.9 on %d\n",
                        n, conv, rev, sla, stl, sp);
        }
}

int lr_sim_render(FILE *fp, const char *format, const lr_sim_result_t *res,
                  size_t cnt, size_t seeds, char *errstr, size_t errstr_size) {
        size_t i;

        if (!strcmp(format, "json")) {
                fputs("{\"strategies\": [", fp);
                for (i = 0; i < cnt; i++) {
                        fputs(i ? ",\n  " : "\n  ", fp);
                        if (seeds > 1)
                                lr_sim_json_seeds(fp, &res[i * seeds], seeds);
                        else
                                lr_sim_json_one(fp, &res[i]);
                }
                fputs("\n]}\n", fp);
        } else if (!strcmp(format, "table")) {
                if (seeds > 1)
                        lr_sim_table_seeds(fp, res, cnt, seeds);
                else
                        lr_sim_table(fp, res, cnt);
        } else {
                snprintf(errstr, errstr_size,
                         "--format %s: expected table or json", format);
                return -1;
        }
        if (fflush(fp) == EOF || ferror(fp)) {
                snprintf(errstr, errstr_size, "write: %s", strerror(errno));
                return -1;
        }
        return 0;
}

/* ---- the command --------------------------------------------------------- */

int lr_sim_args_opt(int argc, char **argv, int i, void *opaque) {
        static const char *const names[] = {
            "--strategies", "--tenant", "--reps",  "--days",
            "--seed",       "--seeds",  "--start", "--format"};
        lr_sim_args_t *a    = opaque;
        const char **dst[8] = {&a->strategies, &a->tenant, &a->reps,
                               &a->days,       &a->seed,   &a->seeds,
                               &a->start,      &a->format};
        size_t k;

        if (!strcmp(argv[i], "--keep")) {
                a->keep = 1;
                return 1;
        }
        for (k = 0; k < 8; k++)
                if (!strcmp(argv[i], names[k]) && i + 1 < argc) {
                        *dst[k] = argv[i + 1];
                        return 2;
                }
        return -1;
}

/* --seeds "1-5" or "1,4,9" into seeds[] (at most LR_SIM_SEEDS_MAX). */
#define LR_SIM_SEEDS_MAX 100
static int lr_sim_parse_seeds(const char *text, uint64_t *seeds, size_t *n) {
        char buf[512], *tok, *save = NULL;
        long long a, b;
        *n = 0;
        snprintf(buf, sizeof(buf), "%s", text);
        for (tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                char *dash = strchr(tok + 1, '-'), one[64];
                snprintf(one, sizeof(one), "%.*s",
                         dash ? (int)(dash - tok) : (int)strlen(tok), tok);
                if (lr_parse_opt("leadrouter simulate", "--seeds", one,
                                 LLONG_MIN, LLONG_MAX, &a))
                        return -1;
                b = a;
                if (dash && lr_parse_opt("leadrouter simulate", "--seeds",
                                         dash + 1, a, a + LR_SIM_SEEDS_MAX, &b))
                        return -1;
                for (; a <= b; a++) {
                        if (*n >= LR_SIM_SEEDS_MAX) {
                                fprintf(stderr,
                                        "leadrouter simulate: --seeds: more "
                                        "than %d\n",
                                        LR_SIM_SEEDS_MAX);
                                return -1;
                        }
                        seeds[(*n)++] = (uint64_t)a;
                }
        }
        if (!*n) {
                fprintf(stderr, "leadrouter simulate: --seeds: empty\n");
                return -1;
        }
        return 0;
}

int lr_simulate_main(const lr_config_t *cfg, const lr_sim_args_t *a) {
        lr_sim_opts_t o = {.tenant = "sim", .reps = 40, .days = 180, .seed = 1};
        const char *format = a->format ? a->format : "table";
        const char *list = a->strategies ? a->strategies : "ranked,round_robin";
        lr_sim_result_t *res = NULL;
        char *names = NULL, *tok, *save = NULL, errstr[512];
        uint64_t seeds[LR_SIM_SEEDS_MAX];
        size_t cnt = 0, nseeds = 1, k;
        long long v;
        int64_t ms;
        int rc = 1;

        if (a->tenant)
                o.tenant = a->tenant;
        o.keep = a->keep;
        if (a->reps) {
                if (lr_parse_opt("leadrouter simulate", "--reps", a->reps, 1,
                                 999, &v))
                        return 2;
                o.reps = (int)v;
        }
        if (a->days) {
                if (lr_parse_opt("leadrouter simulate", "--days", a->days, 1,
                                 3660, &v))
                        return 2;
                o.days = (int)v;
        }
        if (a->seed) {
                if (lr_parse_opt("leadrouter simulate", "--seed", a->seed,
                                 LLONG_MIN, LLONG_MAX, &v))
                        return 2;
                o.seed = (uint64_t)v;
        }
        if (a->seeds && a->seed) {
                fprintf(stderr, "leadrouter simulate: --seed and --seeds: "
                                "give one\n");
                return 2;
        }
        if (a->seeds) {
                if (lr_sim_parse_seeds(a->seeds, seeds, &nseeds))
                        return 2;
        } else {
                seeds[0] = o.seed;
        }
        if (lr_iso8601_parse(a->start ? a->start : LR_SIM_DEFAULT_START, &ms)) {
                fprintf(stderr,
                        "leadrouter simulate: --start %s: expected "
                        "YYYY-MM-DD\n",
                        a->start);
                return 2;
        }
        o.start_day = lr_day_of(ms);
        if (strcmp(format, "table") && strcmp(format, "json")) {
                fprintf(stderr,
                        "leadrouter simulate: --format %s: expected table or "
                        "json\n",
                        format);
                return 2;
        }

        /* Every name is checked before the first (long) run. */
        names = lr_sim_oom(strdup(list));
        for (tok = strtok_r(names, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                lr_policy_t p;
                if (lr_sim_policy(cfg, o.tenant, tok, &p, errstr,
                                  sizeof(errstr))) {
                        fprintf(stderr,
                                "leadrouter simulate: --strategies: %s\n",
                                errstr);
                        rc = 2;
                        goto done;
                }
                cnt++;
        }
        res = lr_sim_oom(calloc(cnt * nseeds + 1, sizeof(*res)));
        strcpy(names, list);
        cnt = 0;
        for (tok = strtok_r(names, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                for (k = 0; k < nseeds; k++) {
                        lr_sim_result_t *r = &res[cnt * nseeds + k];
                        o.seed             = seeds[k];
                        if (lr_sim_run(cfg, &o, tok, r, errstr,
                                       sizeof(errstr))) {
                                fprintf(stderr, "leadrouter simulate: %s: %s\n",
                                        tok, errstr);
                                goto done;
                        }
                }
                cnt++;
        }
        if (!cnt) {
                fprintf(stderr, "leadrouter simulate: --strategies: empty\n");
                rc = 2;
                goto done;
        }
        if (lr_sim_render(stdout, format, res, cnt, nseeds, errstr,
                          sizeof(errstr))) {
                fprintf(stderr, "leadrouter simulate: %s\n", errstr);
                goto done;
        }
        rc = 0;
done:
        free(names);
        free(res);
        return rc;
}
