/*
 * simulate.c - see simulate.h.
 *
 * The loop keeps everything pending (presence, new leads, the calls already
 * drawn for routed leads, timer ticks) in one queue ordered by event time
 * and feeds it to lr_apply_ops in batches. A decision draws its lead's
 * calls at once, and the generator's first call comes at least a minute
 * after the assignment, so a batch ends LR_SIM_LOOKAHEAD_MS after its first
 * event that may decide (a new lead, or any event while a lead waits in
 * the queue, as it may free a rep): no call drawn inside a batch belongs
 * before its end, and the order applied is the event-time order. Nights
 * and weekends, when only calls happen, go in big batches.
 *
 * Timers are driven by event time, as in replay: every event fires the
 * timers due by its time first (op.fire_timers), and where the simulation
 * knows a timer will matter it ticks the tenant at the due time exactly:
 * the first-touch SLA of an assignment whose drawn first call comes too
 * late (that rep's calls are then never made: the lead is taken away),
 * contact_after, and the escalation of a lead left waiting.
 *
 * Batches end at midnight, so that the ranking of a day can be read before
 * its first event (the Spearman check). After the last day of leads the
 * queue runs until no call is left, so that every lead matures.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "generate.h"
#include "log.h"
#include "numparse.h"
#include "simulate.h"
#include "snapshot.h"
#include "store.h"
#include "strmap.h"
#include "timeutil.h"

#define LR_SIM_LOOKAHEAD_MS 60000 /* generator: first call >= 1 min */
#define LR_SIM_BATCH_MAX 4096
#define LR_SIM_SPEARMAN_DAY 90
#define LR_SIM_DEFAULT_START "2024-01-01"

/* RNG streams of the simulation, xored with a day or a lead. */
#define STREAM_SIM_LEADS 0x73696d6c00000000ULL    /* "siml" ^ day */
#define STREAM_SIM_PRESENCE 0x73696d7000000000ULL /* "simp" ^ day */
#define STREAM_SIM_OUTCOME 0x73696d6f00000000ULL  /* "simo" ^ lead, attempt */

static const char *lr_sim_reasons[8] = {
    "RANKED",    "FALLBACK_TIER",  "OWNER",    "QUEUED",
    "ESCALATED", "SLA_REASSIGNED", "BASELINE", "OTHER"};

/* What a queued item is: an input event, or a tick of the tenant's timers
 * at `at` because of lead `lead`. */
typedef enum lr_sim_kind_e {
        LR_SIM_EVENT = 0,
        LR_SIM_TICK_SLA,      /* first-touch SLA of assignment `attempt` */
        LR_SIM_TICK_CONTACT,  /* contact_after */
        LR_SIM_TICK_ESCALATE, /* max_wait of a waiting lead */
} lr_sim_kind_t;

typedef struct lr_sim_ev_s {
        int64_t at;
        uint64_t seq; /* ties of `at`: first queued, first applied */
        lr_sim_kind_t kind;
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
        int called;  /* a rep called it */
        int waiting; /* in the tenant's queue, as far as we know */
        int converted;
} lr_sim_lead_t;

typedef struct lr_sim_s {
        const lr_sim_opts_t *o;
        lr_policy_t policy;
        lr_gen_t *gen;
        lr_store_t *store;
        lr_apply_t *apply;
        char errstr[512]; /* the Redis error that ended the run */
        lr_sim_ev_t *heap;
        size_t heap_cnt, heap_size;
        uint64_t seq;
        lr_gen_events_t scratch;
        lr_sim_lead_t *leads;
        size_t leads_cnt, leads_size;
        lr_strmap_t *lead_idx, *rep_idx;
        int64_t *rep_leads;
        lr_sim_ev_t *fired; /* ticks left to the next step's timers */
        size_t fired_cnt, fired_size;
        int64_t cap;         /* the next step ends before this */
        int64_t waiting;     /* leads with .waiting */
        lr_assigned_t *acks; /* timer decisions of the step (borrowed) */
        size_t acks_cnt, acks_size;
        lr_tier_changed_t *tc; /* tier changes of the step's installs */
        size_t tc_cnt;
        double stl_sum, wait_sum;
        int64_t stl_n, rejected;
        int64_t steps, ticks; /* pipelines sent, explicit ticks */
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

static void lr_sim_push_tick(lr_sim_t *s, lr_sim_kind_t kind, int64_t at,
                             int64_t lead, int attempt) {
        lr_sim_ev_t e;

        memset(&e, 0, sizeof(e));
        e.at      = at;
        e.kind    = kind;
        e.lead    = lead;
        e.attempt = attempt;
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
        for (k = 0; k < 7; k++)
                if (!strcmp(reason, lr_sim_reasons[k]))
                        return k;
        return 7;
}

/* A lead left waiting at `since`: its escalation is due max_wait later. */
static void lr_sim_wait(lr_sim_t *s, int64_t lead, int64_t since) {
        if (!s->leads[lead].waiting) {
                s->leads[lead].waiting = 1;
                s->waiting++;
        }
        if (s->policy.max_wait_seconds > 0)
                lr_sim_push_tick(s, LR_SIM_TICK_ESCALATE,
                                 since +
                                     (int64_t)s->policy.max_wait_seconds * 1000,
                                 lead, 0);
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
        if (d->attempt <= l->attempt)
                return; /* handed out again (timer outbox): counted */
        if (l->waiting) {
                l->waiting = 0;
                s->waiting--;
        }
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
        if (d->rep_tier == s->policy.tiers)
                res->bottom_tier_leads++;
        res->reasons[lr_sim_reason(d->reason)]++;

        lr_gen_rng_stream(&rng, s->o->seed,
                          STREAM_SIM_OUTCOME ^ ((uint64_t)li << 8) ^
                              (uint64_t)(d->attempt & 0xff));
        lr_gen_draw_outcomes(s->gen, (size_t)ri, l->score, &rng, &traj);
        if (sla > 0 && traj.cnt && traj.calls[0].offset_ms >= sla) {
                res->sla_breaches++;
                if (!s->policy.sla_max_attempts ||
                    d->attempt < s->policy.sla_max_attempts) {
                        lr_sim_push_tick(s, LR_SIM_TICK_SLA,
                                         d->decided_at + sla, li, d->attempt);
                        return;
                }
        }
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

/* The decisions of a result. Timer decisions are acknowledged at the end
 * of the step (lr_sim_ack), as the worker does once it has published
 * them, or a later tick would hand them out again. */
static void lr_sim_result(lr_sim_t *s, const lr_store_result_t *r) {
        size_t d;

        for (d = 0; d < r->decisions_cnt; d++)
                lr_sim_decision(s, &r->decisions[d]);
        for (d = 0; d < r->outbox_cnt; d++) {
                if (s->acks_cnt == s->acks_size) {
                        s->acks_size = s->acks_size ? 2 * s->acks_size : 64;
                        s->acks      = lr_sim_oom(
                                 realloc(s->acks, s->acks_size * sizeof(*s->acks)));
                }
                s->acks[s->acks_cnt++] = r->decisions[d];
        }
}

static int lr_sim_ack(lr_sim_t *s) {
        size_t n = s->acks_cnt, ntc = s->tc_cnt;
        int rc = n || ntc ? lr_store_ack(s->store, s->acks, n, s->tc, ntc,
                                         s->errstr, sizeof(s->errstr))
                          : 0;

        lr_snapshot_changes_free(s->tc, ntc);
        s->tc       = NULL;
        s->tc_cnt   = 0;
        s->acks_cnt = 0;
        return rc;
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

/* A tick due at e->at: when the next thing queued is an event within the
 * lookahead, that event fires the timer (the step it starts then ends by
 * e->at plus the lookahead, before anything the timer's decision draws);
 * otherwise the tenant is ticked now. Either way its lead is looked at
 * after the step. */
static int lr_sim_timer(lr_sim_t *s, const lr_sim_ev_t *e) {
        lr_store_tick_t t = {s->o->tenant, &s->policy, e->at};
        lr_store_result_t r;
        int rc;

        if (s->fired_cnt == s->fired_size) {
                s->fired_size = s->fired_size ? 2 * s->fired_size : 64;
                s->fired      = lr_sim_oom(
                         realloc(s->fired, s->fired_size * sizeof(*s->fired)));
        }
        s->fired[s->fired_cnt++] = *e;
        if (s->heap_cnt && s->heap[0].kind == LR_SIM_EVENT &&
            s->heap[0].at < e->at + LR_SIM_LOOKAHEAD_MS &&
            lr_day_of(s->heap[0].at) == lr_day_of(e->at)) {
                if (e->at + LR_SIM_LOOKAHEAD_MS < s->cap)
                        s->cap = e->at + LR_SIM_LOOKAHEAD_MS;
                return 0;
        }
        s->ticks++;
        if (lr_apply_ensure_day(s->apply, s->o->tenant, &s->policy,
                                lr_day_of(e->at)) ||
            lr_store_tick(s->store, &t, 1, &r, s->errstr, sizeof(s->errstr)))
                return -1;
        if (r.status != LR_STORE_APPLIED) {
                snprintf(s->errstr, sizeof(s->errstr),
                         "tick at %" PRId64 ": status %d %s", e->at,
                         (int)r.status, r.errstr);
                lr_store_result_clear(&r);
                return -1;
        }
        lr_sim_result(s, &r);
        rc = lr_sim_ack(s);
        lr_store_result_clear(&r);
        return rc;
}

/* After a step that fired timers: the leads they left waiting. */
static void lr_sim_fired(lr_sim_t *s) {
        size_t i;

        for (i = 0; i < s->fired_cnt; i++) {
                const lr_sim_ev_t *e   = &s->fired[i];
                const lr_sim_lead_t *l = &s->leads[e->lead];
                /* Taken away by the SLA with nobody free, or due for
                 * contact with nobody free: queued from then. An
                 * escalation that found nobody at work leaves the lead to
                 * the first rep who frees up. */
                if ((e->kind == LR_SIM_TICK_SLA && l->attempt == e->attempt) ||
                    (e->kind == LR_SIM_TICK_CONTACT && !l->attempt))
                        lr_sim_wait(s, e->lead, e->at);
        }
        s->fired_cnt = 0;
        s->cap       = INT64_MAX;
}

static int lr_sim_retry(void *opaque, const char *errstr) {
        lr_sim_t *s = opaque;
        snprintf(s->errstr, sizeof(s->errstr), "%s", errstr);
        return -1; /* a simulation does not wait for Redis */
}

/* Counted here; acked with the step's timer decisions (lr_sim_ack). */
static void lr_sim_tier_changes(void *opaque, lr_tier_changed_t *tc,
                                size_t cnt) {
        lr_sim_t *s = opaque;
        s->res->tier_changes += (int64_t)cnt;
        lr_snapshot_changes_append(&s->tc, &s->tc_cnt, tc, cnt);
}

static const lr_apply_hooks_t lr_sim_hooks = {lr_sim_retry,
                                              lr_sim_tier_changes};

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

/* How well the ranking of `day` (computed as lr_snapshot_ensure is about to
 * install it: no event of that day applied yet) matches the hidden skill:
 * Spearman's rho of skill and -rank, 1 = the rank orders reps by skill. */
static int lr_sim_spearman_at(lr_sim_t *s, int32_t day) {
        size_t n      = lr_gen_rep_cnt(s->gen), i;
        double *skill = lr_sim_oom(calloc(n, sizeof(double)));
        double *rank  = lr_sim_oom(calloc(n, sizeof(double)));
        lr_snapshot_t snap;
        size_t m = 0;

        if (lr_snapshot_compute(s->store, s->o->tenant, day, &s->policy, 0,
                                &snap, s->errstr, sizeof(s->errstr))) {
                free(skill);
                free(rank);
                return -1;
        }
        for (i = 0; i < snap.cnt; i++) {
                int64_t ri;
                if (!snap.ranks[i].rank ||
                    !lr_strmap_get(s->rep_idx, snap.reps[i].rep_id, &ri))
                        continue;
                skill[m] = lr_gen_rep(s->gen, (size_t)ri)->skill;
                rank[m]  = -(double)snap.ranks[i].rank;
                m++;
        }
        s->res->spearman_skill_rank = lr_sim_spearman(skill, rank, m);
        s->res->spearman_day        = day - s->o->start_day;
        s->spearman_done            = 1;
        lr_snapshot_clear(&snap);
        free(skill);
        free(rank);
        return 0;
}

/* Applies batch[0..n) and feeds the decisions back. */
static int lr_sim_apply(lr_sim_t *s, lr_sim_ev_t *batch, size_t n,
                        lr_store_op_t *ops, lr_store_result_t *results) {
        size_t i;
        int rc = 0;

        for (i = 0; i < n; i++) {
                const lr_event_t *ev = &batch[i].ev;
                memset(&ops[i], 0, sizeof(ops[i]));
                ops[i].ev     = ev;
                ops[i].policy = &s->policy;
                ops[i].lead_tier =
                    ev->kind == LR_EV_LEAD_CREATED
                        ? lr_policy_lead_tier(&s->policy, ev->u.lead.tier,
                                              ev->u.lead.score)
                        : 0;
                ops[i].source_topic  = batch[i].topic;
                ops[i].source_offset = (int64_t)batch[i].seq;
                ops[i].fire_timers   = 1;
        }
        if (lr_apply_ops(s->apply, ops, n, results))
                rc = -1;
        for (i = 0; i < n && rc == 0; i++) {
                lr_store_result_t *r = &results[i];
                if (r->status == LR_STORE_REJECTED) {
                        if (s->rejected++ < 5)
                                lr_warn("simulate", "event %s rejected: %s",
                                        batch[i].ev.event_id, r->errstr);
                        continue;
                }
                s->res->events++;
                if (batch[i].ev.kind == LR_EV_CALL_OUTCOME)
                        lr_sim_outcome(s, &batch[i]);
                lr_sim_result(s, r);
        }
        if (!rc)
                rc = lr_sim_ack(s);
        /* New leads nobody took: held until contact_after, or waiting. */
        for (i = 0; i < n && rc == 0; i++) {
                lr_sim_lead_t *l;
                if (batch[i].ev.kind != LR_EV_LEAD_CREATED ||
                    results[i].status == LR_STORE_REJECTED)
                        continue;
                l = &s->leads[batch[i].lead];
                if (l->attempt)
                        continue;
                if (l->held)
                        lr_sim_push_tick(s, LR_SIM_TICK_CONTACT, l->due_at,
                                         batch[i].lead, 0);
                else
                        lr_sim_wait(s, batch[i].lead, l->created_at);
        }
        for (i = 0; i < n; i++) {
                lr_store_result_clear(&results[i]);
                lr_event_clear(&batch[i].ev);
        }
        return rc;
}

static int lr_sim_loop(lr_sim_t *s) {
        int32_t next_day = s->o->start_day,
                end_day  = s->o->start_day + s->o->days;
        int32_t sp_day   = s->o->start_day + (s->o->days < LR_SIM_SPEARMAN_DAY
                                                  ? s->o->days
                                                  : LR_SIM_SPEARMAN_DAY);
        lr_sim_ev_t *batch =
            lr_sim_oom(calloc(LR_SIM_BATCH_MAX, sizeof(*batch)));
        lr_store_op_t *ops = lr_sim_oom(calloc(LR_SIM_BATCH_MAX, sizeof(*ops)));
        lr_store_result_t *results =
            lr_sim_oom(calloc(LR_SIM_BATCH_MAX, sizeof(*results)));
        int64_t last_at = (int64_t)s->o->start_day * LR_MS_PER_DAY;
        int rc          = 0;

        lr_gen_push_rep_profiles(s->gen, &s->scratch, last_at);
        lr_sim_take(s, -1, 0);
        for (;;) {
                int64_t horizon;
                int32_t day;
                size_t n = 0;

                while (next_day < end_day &&
                       (!s->heap_cnt || next_day <= lr_day_of(s->heap[0].at)))
                        lr_sim_push_day(s, next_day++);
                if (!s->heap_cnt)
                        break;
                day = lr_day_of(s->heap[0].at);
                if (!s->spearman_done && day >= sp_day &&
                    (rc = lr_sim_spearman_at(s, sp_day)))
                        break;
                if (s->heap[0].kind != LR_SIM_EVENT) {
                        lr_sim_ev_t tick;
                        lr_sim_heap_pop(s, &tick);
                        last_at = tick.at;
                        if ((rc = lr_sim_timer(s, &tick)))
                                break;
                        if (s->cap == INT64_MAX)
                                lr_sim_fired(s); /* ticked now */
                        continue;
                }
                horizon = (int64_t)(day + 1) * LR_MS_PER_DAY;
                if (horizon > s->cap)
                        horizon = s->cap;
                while (n < LR_SIM_BATCH_MAX && s->heap_cnt &&
                       s->heap[0].at < horizon &&
                       s->heap[0].kind == LR_SIM_EVENT) {
                        lr_sim_ev_t *e = &batch[n];
                        lr_sim_heap_pop(s, e);
                        /* The calls of an assignment the lead has moved on
                         * from never happen. */
                        if (e->ev.kind == LR_EV_CALL_OUTCOME &&
                            e->attempt != s->leads[e->lead].attempt) {
                                lr_event_clear(&e->ev);
                                continue;
                        }
                        /* What may decide (a new lead; anything while a
                         * lead waits, as it may free a rep) ends the batch
                         * a lookahead later: what it draws comes after. */
                        if ((s->waiting || e->ev.kind == LR_EV_LEAD_CREATED) &&
                            e->at + LR_SIM_LOOKAHEAD_MS < horizon)
                                horizon = e->at + LR_SIM_LOOKAHEAD_MS;
                        last_at = e->at;
                        n++;
                }
                if (!n)
                        continue;
                s->steps++;
                if ((rc = lr_sim_apply(s, batch, n, ops, results)))
                        break;
                lr_sim_fired(s);
        }
        if (!rc && !s->spearman_done)
                rc = lr_sim_spearman_at(s, sp_day);
        if (!rc) {
                size_t i;
                /* Leads still waiting at the end have waited until then. */
                for (i = 0; i < s->leads_cnt; i++)
                        if (!s->leads[i].attempt) {
                                s->res->waiting_leads++;
                                s->wait_sum +=
                                    (double)(last_at - s->leads[i].created_at) /
                                    1000.0;
                        }
        }
        free(batch);
        free(ops);
        free(results);
        return rc;
}

/* Gini coefficient of x[0..n) (0 = equal shares). */
static double lr_sim_gini(const int64_t *x, size_t n) {
        double sum = 0, diff = 0;
        size_t i, j;

        for (i = 0; i < n; i++) {
                sum += (double)x[i];
                for (j = 0; j < n; j++)
                        diff += fabs((double)x[i] - (double)x[j]);
        }
        return sum > 0 ? diff / (2.0 * (double)n * sum) : 0;
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
        res->gini_leads    = lr_sim_gini(s->rep_leads, n);
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
        free(s->fired);
        free(s->acks);
        lr_snapshot_changes_free(s->tc, s->tc_cnt);
        lr_strmap_free(s->lead_idx);
        lr_strmap_free(s->rep_idx);
        lr_apply_free(s->apply);
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
        s.cap = INT64_MAX;
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
        for (i = 0; i < lr_gen_rep_cnt(s.gen); i++)
                lr_strmap_set(s.rep_idx, lr_gen_rep(s.gen, i)->rep_id,
                              (int64_t)i);

        snprintf(ns, sizeof(ns), "%s-sim-%s-%" PRIu64, cfg->redis_namespace,
                 strategy, o->seed);
        if (!(s.store =
                  lr_store_new(cfg->redis_url, ns, errstr, errstr_size)) ||
            lr_store_flush_namespace(s.store, errstr, errstr_size))
                goto done;
        s.apply = lr_apply_new(s.store, &lr_sim_hooks, &s);
        if (lr_sim_loop(&s)) {
                snprintf(errstr, errstr_size, "%s",
                         s.errstr[0] ? s.errstr : "simulation failed");
                goto done;
        }
        lr_sim_finish(&s);
        if (s.rejected)
                lr_warn("simulate", "%s: %" PRId64 " events rejected", strategy,
                        s.rejected);
        if (!o->keep && lr_store_flush_namespace(s.store, errstr, errstr_size))
                goto done;
        res->seconds = (double)(lr_mono_ms() - t0) / 1000.0;
        lr_info("simulate",
                "%s: %" PRId64 " leads, %" PRId64 " events in %" PRId64
                " batches and %" PRId64 " ticks, %.1f s%s%s",
                strategy, res->leads, res->events, s.steps, s.ticks,
                res->seconds, o->keep ? ", kept in namespace " : "",
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
                ", \"tier_changes\": %" PRId64 ", \"reasons\": {",
                r->strategy, r->conversion_rate, r->revenue_cents,
                r->mean_speed_to_lead_minutes, r->waiting_leads,
                r->mean_wait_seconds, r->sla_breaches, r->gini_leads,
                r->spearman_skill_rank, (int)r->spearman_day,
                r->bottom_tier_leads, r->leads, r->routed, r->converted, r->won,
                r->min_rep_leads, r->tier_changes);
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

int lr_sim_render(FILE *fp, const char *format, const lr_sim_result_t *res,
                  size_t cnt, char *errstr, size_t errstr_size) {
        size_t i;

        if (!strcmp(format, "json")) {
                fputs("{\"strategies\": [", fp);
                for (i = 0; i < cnt; i++) {
                        fputs(i ? ",\n  " : "\n  ", fp);
                        lr_sim_json_one(fp, &res[i]);
                }
                fputs("\n]}\n", fp);
        } else if (!strcmp(format, "table")) {
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
            "--seed",       "--start",  "--format"};
        lr_sim_args_t *a    = opaque;
        const char **dst[7] = {&a->strategies, &a->tenant, &a->reps,  &a->days,
                               &a->seed,       &a->start,  &a->format};
        size_t k;

        if (!strcmp(argv[i], "--keep")) {
                a->keep = 1;
                return 1;
        }
        for (k = 0; k < 7; k++)
                if (!strcmp(argv[i], names[k]) && i + 1 < argc) {
                        *dst[k] = argv[i + 1];
                        return 2;
                }
        return -1;
}

int lr_simulate_main(const lr_config_t *cfg, const lr_sim_args_t *a) {
        lr_sim_opts_t o = {.tenant = "sim", .reps = 40, .days = 180, .seed = 1};
        const char *format = a->format ? a->format : "table";
        const char *list = a->strategies ? a->strategies : "ranked,round_robin";
        lr_sim_result_t *res = NULL;
        char *names = NULL, *tok, *save = NULL, errstr[512];
        size_t cnt = 0;
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
        res = lr_sim_oom(calloc(cnt ? cnt : 1, sizeof(*res)));
        strcpy(names, list);
        cnt = 0;
        for (tok = strtok_r(names, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                if (lr_sim_run(cfg, &o, tok, &res[cnt], errstr,
                               sizeof(errstr))) {
                        fprintf(stderr, "leadrouter simulate: %s: %s\n", tok,
                                errstr);
                        goto done;
                }
                if (strcmp(tok, "ranked") && res[cnt].routed &&
                    !res[cnt].reasons[lr_sim_reason("BASELINE")])
                        lr_warn("simulate",
                                "%s: no BASELINE decision: the routing does "
                                "not implement this strategy (yet)",
                                tok);
                cnt++;
        }
        if (!cnt) {
                fprintf(stderr, "leadrouter simulate: --strategies: empty\n");
                rc = 2;
                goto done;
        }
        if (lr_sim_render(stdout, format, res, cnt, errstr, sizeof(errstr))) {
                fprintf(stderr, "leadrouter simulate: %s\n", errstr);
                goto done;
        }
        rc = 0;
done:
        free(names);
        free(res);
        return rc;
}
