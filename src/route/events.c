/*
 * events.c - an input event (or a due timer) applied to the tenant: leads
 * routed, queued or held; call outcomes counted into the day buckets (a
 * lead's conversion in the bucket of the day it was assigned, its cohort);
 * presence and profile changes; the queue drained whenever a rep may have
 * freed up; timers fired in due order, each at its own due time.
 *
 * Every change is validated first: a bad event changes nothing. Events are
 * deduplicated by event_id (for dedup_ttl days of event time), and a
 * redelivered event names the decisions it made the first time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "tenant.h"
#include "timeutil.h"
#include "workhours.h"
#include "xalloc.h"

#define LR_MS_PER_MIN 60000.0

static int lr_outcome_converts(lr_outcome_t o) {
        return o == LR_OUTCOME_OPPORTUNITY_CREATED ||
               o == LR_OUTCOME_CLOSED_WON;
}

static int lr_outcome_terminal(lr_outcome_t o) {
        return o == LR_OUTCOME_CLOSED_WON || o == LR_OUTCOME_CLOSED_LOST ||
               o == LR_OUTCOME_DISQUALIFIED;
}

/* Appends "lead#attempt" to the decisions of the event being applied. */
static void lr_refs_add(lr_tenant_t *t, const char *lead_id, int attempt) {
        size_t need = t->refs_len + strlen(lead_id) + 16, cap = t->refs_cap;
        lr_xgrow(&t->refs, &cap, need, 1);
        t->refs_cap = cap;
        t->refs_len += (size_t)snprintf(
            t->refs + t->refs_len, cap - t->refs_len, "%s%s#%d",
            t->refs_len ? "," : "", lead_id, attempt);
}

/* ---- assignment -----------------------------------------------------------
 */

/* When a deadline counted from now falls: on the wall clock when the call
 * has one (live), else on the event clock. */
static int64_t lr_deadline(const lr_tenant_t *t, int seconds) {
        return (t->wall ? t->wall : t->t) + (int64_t)seconds * 1000;
}

/* Gives lead l to pick->r: the decision, lead and rep state, the cohort,
 * the account owner, the first-touch SLA timer. queued: it came out of the
 * queue (its wait is reported). */
static void lr_assign(lr_tenant_t *t, lr_lead_t *l, lr_pick_t *pick,
                      const char *reason, int queued) {
        const lr_policy_t *p = t->p;
        lr_rep_t *r          = pick->r;
        lr_assigned_t d;
        lr_decision_rec_t *rec;
        char eid[512], ref[512];
        int32_t rday;
        int64_t wait = 0;
        size_t i;

        if (queued) {
                wait = t->t - (l->has_qt ? l->qt : l->created_at);
                if (wait < 0)
                        wait = 0;
        }
        l->attempt++;
        snprintf(eid, sizeof(eid), "%s#%d", l->eid, l->attempt);
        memset(&d, 0, sizeof(d));
        d.event_id         = eid;
        d.tenant_id        = t->id;
        d.lead_id          = l->id;
        d.rep_id           = r->id;
        d.decided_at       = t->t;
        d.attempt          = l->attempt;
        d.reason           = (char *)reason;
        d.strategy         = (char *)p->strategy;
        d.lead_tier        = l->tier;
        d.rep_tier         = r->tier;
        d.rep_rank         = pick->rank;
        d.rep_score        = pick->comp != 0 ? pick->comp : 0;
        d.wait_ms          = wait;
        d.skipped          = pick->skipped;
        d.skipped_cnt      = pick->skipped_cnt;
        d.policy_version   = (char *)t->policy_version;
        d.source_topic     = l->src_topic;
        d.source_partition = l->src_partition;
        d.source_offset    = l->src_offset;
        d.inputs           = lr_tenant_positions(t, &d.inputs_cnt);
        lr_installs_take(t, &d);
        d.has_routed_at = t->wall != 0;
        d.routed_at     = t->wall;
        d.explanation   = lr_explain(&d);

        r->open++;
        r->handled++;
        rday = lr_rep_day(t, r);
        if (r->tday == rday) {
                r->tn++;
        } else {
                r->tday = rday;
                r->tn   = 1;
        }
        lr_rep_dirty(t, r);
        if (pick->after_rr) {
                if (pick->rr_field)
                        lr_dict_set_str(&t->cursors, pick->rr_field, r->id);
                else {
                        free(t->rr);
                        t->rr = lr_xstrdup(r->id);
                }
                t->cursors_dirty = 1;
        }
        if (pick->after_share) {
                int tt = r->tier >= 0 && r->tier <= LR_MAX_TIERS ? r->tier : 0;
                /* composite 0 (a new rep) still gets a small share */
                double c         = pick->comp > 0.05 ? pick->comp : 0.05;
                t->share_vt[tt]  = pick->share_pass;
                r->has_share     = 1;
                r->share         = pick->share_pass + 1.0 / c;
                t->cursors_dirty = 1;
        }
        if (pick->after_wrr) {
                int tier    = r->tier >= 1 && r->tier <= p->tiers ? r->tier : 0;
                int w       = tier ? lr_policy_tier_weight(p, tier) : 1;
                t->has_vt   = 1;
                t->vt       = pick->wrr_pass;
                r->has_pass = 1;
                r->pass     = pick->wrr_pass + 1.0 / (w > 0 ? w : 1);
                t->cursors_dirty = 1;
        }
        lr_rep_bucket(t, r, t->day)->n[l->tier]++;
        lr_rep_dirty(t, r);

        l->touched = 0;
        l->rep     = r;
        l->has_at  = 1;
        l->at      = t->t;
        l->has_t0  = 1;
        l->t0      = t->t;
        l->day     = t->day;
        l->cls     = l->tier;
        l->state   = LR_LEAD_ASSIGNED;
        lr_lead_untouched(l);
        lr_lead_dirty(t, l);
        if (l->acct)
                lr_account_set(t, l->acct, r->id);
        if (p->sla_first_touch_seconds > 0)
                lr_timer_add(t, 's', l->attempt, l->id,
                             lr_deadline(t, p->sla_first_touch_seconds));

        /* The decision: its record for the store, the caller's copy, and
         * for a timer the outbox (no input event re-publishes it). */
        snprintf(ref, sizeof(ref), "%s#%d", l->id, l->attempt);
        lr_xgrow(&t->decs, &t->decs_size, t->decs_cnt + 1, sizeof(*t->decs));
        rec      = &t->decs[t->decs_cnt++];
        rec->ref = lr_xstrdup(ref);
        lr_assigned_copy(&rec->d, &d);
        if (t->out) {
                lr_result_add_decision(t->out, &d);
                if (t->ticking)
                        t->out->timer_cnt++;
        }
        if (t->ticking)
                lr_outbox_add_decision(t, &d);
        else
                lr_refs_add(t, l->id, l->attempt);
        free(d.explanation);
        free(d.inputs);
        for (i = 0; i < d.installs_cnt; i++)
                lr_install_clear(&d.installs[i]);
        free(d.installs);
        lr_pick_clear(pick);
}

/* Puts the lead in the tenant's queue from time qt, with its escalation
 * timer. */
static void lr_enqueue(lr_tenant_t *t, lr_lead_t *l, int64_t qt) {
        l->state  = LR_LEAD_QUEUED;
        l->has_qt = 1;
        l->qt     = qt;
        lr_lead_untouched(l);
        lr_queue_add(t, l);
        lr_lead_dirty(t, l);
        if (t->p->max_wait_seconds > 0)
                lr_timer_add(t, 'q', l->attempt, l->id,
                             t->wall
                                 ? lr_deadline(t, t->p->max_wait_seconds)
                                 : qt + (int64_t)t->p->max_wait_seconds * 1000);
}

/* Assigns waiting leads, best first, while a rep can take them. A lead that
 * only its previous assignees could take is passed by; any other lead that
 * finds nobody means nobody is free. Returns 1 in that case (blocked: a new
 * lead waits behind the queue). A lead is never routed at a time before it
 * waited: when an input read late (older than the lead, from another
 * topic) frees a rep, the lead is routed as of when it began to wait. */
static int lr_drain(lr_tenant_t *t) {
        int64_t t0 = t->t;
        size_t i   = 0, n;
        for (n = 0; n < LR_DRAIN_MAX; n++) {
                lr_lead_t *l;
                lr_pick_t pick;
                int found;
                if (i >= t->queue_cnt)
                        return 0;
                l = t->queue[i];
                if (l->has_qt && l->qt > t0)
                        lr_call_time(t, l->qt);
                found = lr_choose(t, l, &pick);
                if (found) {
                        lr_queue_remove(t, l);
                        lr_assign(t, l, &pick,
                                  l->attempt > 0 ? "SLA_REASSIGNED" : "QUEUED",
                                  1);
                }
                lr_call_time(t, t0);
                if (!found && !l->prev_cnt)
                        return 1;
                if (!found)
                        i++;
        }
        return 1;
}

void lr_route_drain(lr_tenant_t *t) {
        lr_drain(t);
}

/* A new lead (or one whose contact_after came): to a rep now, else queued. */
static void lr_route_lead(lr_tenant_t *t, lr_lead_t *l) {
        lr_pick_t pick;
        if (!lr_drain(t) && lr_choose(t, l, &pick))
                lr_assign(t, l, &pick, pick.reason, 0);
        else
                lr_enqueue(t, l, t->t);
}

/* ---- timers
 * ------------------------------------------------------------------ */

static void lr_escalate(lr_tenant_t *t, lr_lead_t *l) {
        lr_pick_t pick;
        if (!lr_choose_escalation(t, l, &pick))
                return; /* nobody at work: the first rep who frees up */
        lr_queue_remove(t, l);
        lr_assign(t, l, &pick, "ESCALATED", 1);
}

/* No call from the rep within the first-touch SLA: the miss counts against
 * the rep's speed to lead (a sample of the SLA's length) and the lead goes
 * to the next best rep who never had it (attempt + 1), or waits. After
 * sla_max_attempts assignments it stays with its rep. */
static void lr_sla_missed(lr_tenant_t *t, lr_lead_t *l) {
        const lr_policy_t *p = t->p;
        lr_rep_t *old        = l->rep;
        lr_bucket_t *b       = lr_rep_bucket(t, old, t->day);
        lr_pick_t pick;

        b->stl_minutes_sum +=
            p->sla_first_touch_seconds * 1000.0 / LR_MS_PER_MIN;
        b->stl_n++;
        lr_rep_dirty(t, old);
        lr_lead_dirty(t, l);
        if (p->sla_max_attempts > 0 && l->attempt >= p->sla_max_attempts) {
                l->touched = 1; /* its first touch is counted now */
                lr_lead_untouched(l);
                return;
        }
        lr_rep_open_dec(t, old);
        old->missed_at = t->t;
        l->prev = lr_xrealloc(l->prev, (l->prev_cnt + 1) * sizeof(*l->prev));
        l->prev[l->prev_cnt++] = lr_xstrdup(old->id);
        l->rep                 = NULL;
        lr_lead_untouched(l);
        if (lr_choose(t, l, &pick))
                lr_assign(t, l, &pick, "SLA_REASSIGNED", 0);
        else
                lr_enqueue(t, l, t->t);
}

/* One due timer at its due time. A timer whose lead has moved on (called,
 * assigned, attributed, a newer attempt) does nothing. */
static void lr_fire(lr_tenant_t *t, const lr_timer_t *tm) {
        lr_lead_t *l = lr_lead_get(t, tm->lead_id);
        if (!l)
                return;
        switch (tm->kind) {
        case 'c':
                if (l->state == LR_LEAD_HELD)
                        lr_route_lead(t, l);
                break;
        case 'q':
                if (l->state == LR_LEAD_QUEUED && l->attempt == tm->attempt)
                        lr_escalate(t, l);
                break;
        case 's':
                if (l->state == LR_LEAD_ASSIGNED && l->attempt == tm->attempt &&
                    !l->touched && l->rep)
                        lr_sla_missed(t, l);
                break;
        }
}

static void lr_timer_fired(lr_tenant_t *t, const lr_timer_t *tm) {
        char member[512];
        size_t i;
        /* A timer added and fired between two writes was never stored. */
        for (i = 0; i < t->timers_new_cnt; i++) {
                lr_timer_t *n = &t->timers_new[i];
                if (n->due == tm->due && n->kind == tm->kind &&
                    n->attempt == tm->attempt &&
                    !strcmp(n->lead_id, tm->lead_id)) {
                        free(n->lead_id);
                        t->timers_new[i] = t->timers_new[--t->timers_new_cnt];
                        return;
                }
        }
        lr_timer_member(tm, member, sizeof(member));
        lr_gone_add(t, LR_GONE_TIMER, member, 0);
}

/* Fires every timer due at or before upto, in due order, each at its due
 * time; a timer on a day after the installed ranking's installs that day's
 * ranking first. */
void lr_route_fire_due(lr_tenant_t *t, int64_t upto, size_t max) {
        int64_t t0 = t->t;
        lr_timer_t tm;
        size_t n;

        t->ticking = 1;
        for (n = 0; n < max && lr_timer_pop(t, upto, &tm); n++) {
                int32_t day = lr_day_of(tm.due);
                if (day > t->rankday)
                        lr_ranking_install_day(t, day);
                lr_timer_fired(t, &tm);
                lr_call_time(t, tm.due);
                lr_fire(t, &tm);
                free(tm.lead_id);
        }
        t->ticking = 0;
        lr_call_time(t, t0);
}

/* ---- the events ------------------------------------------------------------
 */

static int lr_check_lead(const lr_tenant_t *t, const lr_event_t *ev,
                         int lead_tier, char *errstr, size_t size) {
        const char *rep;
        int64_t at;
        if (lead_tier < 1 || lead_tier > t->p->tiers) {
                snprintf(errstr, size, "lead tier %d out of range 1..%d",
                         lead_tier, t->p->tiers);
                return -1;
        }
        return lr_lead_imported_assignment(&ev->u.lead, &rep, &at, errstr,
                                           size) < 0
                   ? -1
                   : 0;
}

/* An imported assignment (event.h): the lead is attributed to the rep at
 * assigned_at, as the first outcome of a rep on a lead it was never given
 * attributes it, except that the assignment time is known: its first call
 * yields a speed-to-lead sample, its cohort is the assigned day, the cycle
 * runs from then. No decision, nothing published, no SLA timer, no drain
 * (capacity only shrinks). */
static void lr_import_assignment(lr_tenant_t *t, lr_lead_t *l,
                                 const char *rep_id, int64_t at) {
        lr_rep_t *r = lr_rep_ensure(t, rep_id);
        l->rep      = r;
        l->has_at   = 1;
        l->at       = at;
        l->has_t0   = 1;
        l->t0       = at;
        l->day      = lr_day_of(at);
        l->cls      = l->tier;
        l->conv     = 0;
        l->touched  = 0;
        l->state    = LR_LEAD_ATTRIBUTED;
        lr_lead_untouched(l);
        lr_rep_bucket(t, r, l->day)->n[l->tier]++;
        if (l->acct)
                lr_account_set(t, l->acct, r->id);
        r->open++;
        r->handled++;
        lr_rep_dirty(t, r);
}

static void lr_apply_lead(lr_tenant_t *t, const lr_event_t *ev, int lead_tier,
                          const lr_route_source_t *src) {
        const lr_lead_created_t *lc = &ev->u.lead;
        lr_lead_t *l                = lr_lead_get(t, ev->lead_id);

        if (l) {
                /* Another event for a lead already seen (a second
                 * LeadCreated, or one after the lead's outcomes): what was
                 * decided for it, remembered as this event's. */
                t->out->status = LR_ROUTE_DUPLICATE;
                if (l->attempt >= 1) {
                        t->out->refs = lr_xcalloc(1, sizeof(*t->out->refs));
                        t->out->refs[0].lead_id = lr_xstrdup(l->id);
                        t->out->refs[0].attempt = 1;
                        t->out->refs_cnt        = 1;
                        lr_refs_add(t, l->id, 1);
                }
                return;
        }
        l             = lr_lead_add(t, ev->lead_id);
        l->tier       = lead_tier;
        l->created_at = lc->created_at;
        free(l->eid);
        l->eid = lr_xstrdup(ev->event_id);
        free(l->src_topic);
        l->src_topic     = lr_xstrdup(src && src->topic ? src->topic : "");
        l->src_partition = src ? src->partition : 0;
        l->src_offset    = src ? src->offset : 0;
        l->acct = lc->account_id && *lc->account_id ? lr_xstrdup(lc->account_id)
                                                    : NULL;
        l->region = lc->region && *lc->region ? lr_xstrdup(lc->region) : NULL;
        lr_lead_dirty(t, l);
        {
                const char *rep;
                int64_t at;
                char err[8];
                if (lr_lead_imported_assignment(lc, &rep, &at, err,
                                                sizeof(err)) == 1) {
                        lr_import_assignment(t, l, rep, at);
                        return;
                }
        }
        if (lc->has_contact_after && lc->contact_after > t->t) {
                /* not before contact_after: held until its timer fires */
                l->state = LR_LEAD_HELD;
                lr_timer_add(t, 'c', 0, l->id, lc->contact_after);
                return;
        }
        lr_route_lead(t, l);
}

static void lr_apply_outcome(lr_tenant_t *t, const lr_event_t *ev) {
        const lr_call_outcome_t *co = &ev->u.call;
        lr_rep_t *r                 = lr_rep_ensure(t, co->rep_id);
        lr_lead_t *l                = lr_lead_get(t, ev->lead_id);
        lr_bucket_t *today;
        int cls;
        int32_t lday;

        lr_rep_bucket(t, r, t->day)->calls++;
        lr_rep_dirty(t, r);
        if (!l)
                l = lr_lead_add(t, ev->lead_id);
        if (l->closed) { /* outcomes after close only count the call */
                lr_route_drain(t);
                return;
        }
        lr_lead_dirty(t, l);
        cls  = l->cls;
        lday = l->day;
        if (l->rep != r) {
                /* Attribution (history import, manual reassignment): the
                 * lead is this rep's from now, a new entry in its cohort of
                 * today. */
                if (l->state == LR_LEAD_QUEUED)
                        lr_queue_remove(t, l);
                else if (l->rep && !l->conv)
                        lr_rep_open_dec(t, l->rep);
                cls       = l->tier;
                lday      = t->day;
                l->rep    = r;
                l->cls    = cls;
                l->day    = lday;
                l->has_t0 = 1;
                l->t0     = t->t;
                l->conv   = 0;
                l->state  = LR_LEAD_ATTRIBUTED;
                if (l->acct)
                        lr_account_set(t, l->acct, r->id);
                r->open++;
                r->handled++;
                lr_rep_bucket(t, r, t->day)->n[cls]++;
        }
        today = lr_rep_bucket(t, r, t->day);
        if (!l->touched) {
                l->touched = 1;
                if (l->has_at) {
                        double m = (t->t - l->at) / LR_MS_PER_MIN;
                        today->stl_minutes_sum += m > 0 ? m : 0;
                        today->stl_n++;
                }
        }
        /* A lead is open (counts against capacity) until it converts or
         * closes: an opportunity in its sales cycle is pipeline, not a lead
         * waiting for the rep's first touches. */
        if (lr_outcome_converts(co->outcome) && !l->conv) {
                l->conv = 1;
                lr_rep_open_dec(t, r);
                lr_rep_bucket(t, r, lday)->c[cls]++;
        }
        if (lr_outcome_terminal(co->outcome)) {
                l->closed    = 1;
                l->closed_at = t->t;
                lr_closed_add(t, l);
                if (!l->conv) {
                        lr_rep_open_dec(t, r);
                        lr_rep_bucket(t, r, lday)->x[cls]++;
                }
                today = lr_rep_bucket(t, r, t->day);
                if (co->outcome == LR_OUTCOME_CLOSED_WON) {
                        today->won++;
                        if (co->has_deal_value)
                                today->won_value_cents += co->deal_value_cents;
                } else if (co->outcome == LR_OUTCOME_CLOSED_LOST) {
                        today->lost++;
                }
                if (co->outcome != LR_OUTCOME_DISQUALIFIED) {
                        double c = (t->t - (l->has_t0 ? l->t0 : t->t)) /
                                   (double)LR_MS_PER_DAY;
                        today->cycle_days_sum += c > 0 ? c : 0;
                        today->cycle_n++;
                }
        }
        lr_lead_untouched(l);
        lr_rep_dirty(t, r);
        lr_route_drain(t);
}

/* The compiled parts of a RepStatus, checked before anything changes. */
typedef struct lr_status_parts_s {
        int *hours; /* NULL: always (or not given) */
        size_t hours_cnt;
        int hours_given;
        const lr_tzdb_zone_t *zone;
} lr_status_parts_t;

static int lr_check_status(const lr_event_t *ev, lr_status_parts_t *sp,
                           char *errstr, size_t size) {
        const lr_rep_status_t *s = &ev->u.rep;
        char compiled[1024];
        memset(sp, 0, sizeof(*sp));
        if (s->has_max_open_leads && s->max_open_leads < 0) {
                snprintf(errstr, size, "bad max_open_leads: %d",
                         (int)s->max_open_leads);
                return -1;
        }
        if (s->working_hours) {
                const char *c = compiled;
                if (lr_workhours_compile(s->working_hours, compiled,
                                         sizeof(compiled), errstr, size))
                        return -1;
                sp->hours_given = 1;
                if (strcmp(compiled, "*")) {
                        size_t n = 1;
                        const char *q;
                        for (q = compiled; *q; q++)
                                n += *q == ',';
                        sp->hours = lr_xcalloc(2 * n, sizeof(int));
                        while (*c) {
                                char *end;
                                sp->hours[sp->hours_cnt++] =
                                    (int)strtol(c, &end, 10);
                                c = end + (*end == '-' || *end == ',');
                        }
                }
        }
        if (s->timezone &&
            !(sp->zone = lr_tzdb_zone(s->timezone, errstr, size))) {
                free(sp->hours);
                return -1;
        }
        return 0;
}

static char *lr_regions_text(const lr_rep_status_t *s) {
        size_t i, len = 2;
        char *out;
        if (!s->regions_cnt)
                return NULL;
        for (i = 0; i < s->regions_cnt; i++)
                len += strlen(s->regions[i]) + 1;
        out    = lr_xmalloc(len);
        out[0] = ',';
        out[1] = '\0';
        for (i = 0; i < s->regions_cnt; i++) {
                strcat(out, s->regions[i]);
                strcat(out, ",");
        }
        return out;
}

static void lr_set_str(char **dst, const char *src) {
        free(*dst);
        *dst = lr_xstrdup(src);
}

static void lr_apply_status(lr_tenant_t *t, const lr_event_t *ev,
                            lr_status_parts_t *sp) {
        const lr_rep_status_t *s = &ev->u.rep;
        lr_rep_t *r              = lr_rep_ensure(t, s->rep_id);

        lr_rep_presence_add(t, r, s->occurred_at, s->status, s->has_until,
                            s->until, ev->event_id);
        /* A departed rep stays departed; later statuses are history only. */
        if (r->active) {
                if (s->status == LR_PRESENCE_DEPARTED) {
                        r->active    = 0;
                        r->st        = s->status;
                        r->st_at     = t->t;
                        r->has_until = 0;
                        lr_reps_remove_sorted(t->unranked, &t->unranked_cnt, r);
                } else if (r->st == LR_PRESENCE_NONE || t->t >= r->st_at) {
                        r->st        = s->status;
                        r->st_at     = t->t;
                        r->has_until = s->has_until;
                        r->until     = s->until;
                }
        }
        if (s->has_max_open_leads)
                r->max_open = s->max_open_leads;
        if (s->regions) {
                free(r->regions);
                r->regions = lr_regions_text(s);
        }
        if (sp->hours_given) {
                free(r->hours);
                r->hours     = sp->hours;
                r->hours_cnt = sp->hours_cnt;
                sp->hours    = NULL;
                lr_set_str(&r->hours_text, s->working_hours);
        }
        if (s->timezone) {
                lr_set_str(&r->tz, s->timezone);
                r->zone = sp->zone;
        }
        if (s->display_name)
                lr_set_str(&r->name, s->display_name);
        if (s->team)
                lr_set_str(&r->team, s->team);
        if (s->has_hired_at) {
                r->has_hired_at = 1;
                r->hired_at     = s->hired_at;
        }
        r->pres_t = INT64_MIN;
        lr_rep_dirty(t, r);
        lr_route_drain(t);
}

/* ---- entry points ------------------------------------------------------- */

/* The refs text of a seen event as a result's refs. */
static void lr_refs_parse(const char *text, lr_route_result_t *out) {
        const char *p = text;
        while (p && *p) {
                const char *end = strchr(p, ','), *hash;
                size_t len      = end ? (size_t)(end - p) : strlen(p);
                hash            = memchr(p, '#', len);
                while (hash &&
                       memchr(hash + 1, '#', len - (size_t)(hash + 1 - p)))
                        hash =
                            memchr(hash + 1, '#', len - (size_t)(hash + 1 - p));
                if (hash) {
                        lr_route_ref_t *ref;
                        out->refs =
                            lr_xrealloc(out->refs, (out->refs_cnt + 1) *
                                                       sizeof(*out->refs));
                        ref          = &out->refs[out->refs_cnt++];
                        ref->lead_id = lr_xstrndup(p, (size_t)(hash - p));
                        ref->attempt = atoi(hash + 1);
                }
                p = end ? end + 1 : NULL;
        }
}

int lr_tenant_apply(lr_tenant_t *t, const lr_event_t *ev,
                    const lr_route_source_t *src, lr_route_result_t *out) {
        int64_t et = lr_event_time(ev);
        lr_status_parts_t sp;
        const char *seen_refs = NULL;
        int seen;
        int lead_tier = 0;

        memset(out, 0, sizeof(*out));
        memset(&sp, 0, sizeof(sp));
        if (!ev->event_id || !ev->tenant_id || strcmp(ev->tenant_id, t->id)) {
                snprintf(out->errstr, sizeof(out->errstr),
                         "event of tenant %s applied to tenant %s",
                         ev->tenant_id ? ev->tenant_id : "(none)", t->id);
                return -1;
        }
        /* Validate first: a bad event changes nothing. */
        out->status = LR_ROUTE_REJECTED;
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                if (!ev->lead_id)
                        goto missing;
                lead_tier = lr_policy_lead_tier(t->p, ev->u.lead.tier,
                                                ev->u.lead.score);
                if (lr_check_lead(t, ev, lead_tier, out->errstr,
                                  sizeof(out->errstr)))
                        return 0;
                break;
        case LR_EV_CALL_OUTCOME:
                if (!ev->lead_id || !ev->u.call.rep_id)
                        goto missing;
                if ((int)ev->u.call.outcome < 0 ||
                    ev->u.call.outcome >= LR_OUTCOME__CNT) {
                        snprintf(out->errstr, sizeof(out->errstr),
                                 "unknown outcome %d", (int)ev->u.call.outcome);
                        return 0;
                }
                break;
        case LR_EV_REP_STATUS:
                if (!ev->u.rep.rep_id)
                        goto missing;
                if ((int)ev->u.rep.status < 0 ||
                    ev->u.rep.status >= LR_PRESENCE__CNT) {
                        snprintf(out->errstr, sizeof(out->errstr),
                                 "unknown status %d", (int)ev->u.rep.status);
                        return 0;
                }
                if (lr_check_status(ev, &sp, out->errstr, sizeof(out->errstr)))
                        return 0;
                break;
        default:
                snprintf(out->errstr, sizeof(out->errstr),
                         "%s is not an input event",
                         lr_event_kind_name(ev->kind));
                return 0;
        }
        out->status = LR_ROUTE_APPLIED;

        lr_call_begin(t, et, out);
        seen = lr_seen_get(t->seen, ev->event_id, &seen_refs);
        /* Applied before (redelivered at or below the position the tenant
         * holds, or the same event_id again): what it decided then. */
        if (!lr_position_advance(t, src) || seen) {
                out->status = LR_ROUTE_DUPLICATE;
                if (seen)
                        lr_refs_parse(seen_refs, out);
                free(sp.hours);
                t->out = NULL;
                return 0;
        }
        t->eid = ev->event_id;
        /* Timers due before the event first, each on its own day's
         * ranking; then the event's day. */
        if (t->clock_event)
                lr_route_fire_due(t, et, SIZE_MAX);
        if (lr_day_of(et) > t->rankday)
                lr_ranking_install_day(t, lr_day_of(et));
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                lr_apply_lead(t, ev, lead_tier, src);
                break;
        case LR_EV_CALL_OUTCOME:
                lr_apply_outcome(t, ev);
                break;
        default:
                lr_apply_status(t, ev, &sp);
                break;
        }
        free(sp.hours);
        if (t->eid)
                lr_seen_add(t->seen, t->eid, t->day, t->refs, 1);
        t->out = NULL;
        return 0;
missing:
        snprintf(out->errstr, sizeof(out->errstr),
                 "%s without lead_id or rep_id", lr_event_kind_name(ev->kind));
        return 0;
}

void lr_tenant_fire(lr_tenant_t *t, int64_t now, lr_route_result_t *out) {
        lr_tenant_fire_some(t, now, SIZE_MAX, out);
}

void lr_tenant_fire_some(lr_tenant_t *t, int64_t now, size_t max,
                         lr_route_result_t *out) {
        memset(out, 0, sizeof(*out));
        lr_call_begin(t, now, out);
        lr_route_fire_due(t, now, max);
        t->out = NULL;
}
