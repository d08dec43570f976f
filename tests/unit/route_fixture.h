/*
 * route_fixture.h - what the tests of the routing core (src/route/) share:
 * the test day and policy, events built in a line and applied to an
 * lr_tenant_t with increasing source offsets, rankings installed as given,
 * and looks at the decisions and reps that came out. No Redis: the store's
 * own test (tests/integration/test_store.c) includes this too.
 */
#ifndef LR_ROUTE_FIXTURE_H
#define LR_ROUTE_FIXTURE_H

/* Each test file uses some of these. */
#define FIXTURE static __attribute__((unused))

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "route.h"
#include "timeutil.h"

FIXTURE lr_policy_t g_pol;
FIXTURE int32_t D;  /* the first test day: 2026-11-27 */
FIXTURE int g_fire; /* tenants made now fire due timers by the event clock */

FIXTURE const char *TOPIC       = "lead-created";
FIXTURE const int32_t PARTITION = 2;
/* The source offset of the next event applied: offsets increase, as the
 * core takes an offset at or below its position for a redelivery. */
FIXTURE int64_t g_offset = 1234567890123LL;

/* Sets D and the default policy. */
FIXTURE void fixture_init(void) {
        int64_t ms;
        if (lr_iso8601_parse("2026-11-27", &ms)) {
                fprintf(stderr, "lr_iso8601_parse failed\n");
                exit(2);
        }
        D = lr_day_of(ms);
        lr_policy_defaults(&g_pol);
        /* the rules of issue 3 alone; tests of attention set it */
        g_pol.max_untouched_leads = 0;
        g_fire                    = 0;
}

/* The policy the baseline and timer tests start from. */
FIXTURE void policy_reset(void) {
        lr_policy_defaults(&g_pol);
        g_pol.max_open_leads      = 100;
        g_pol.max_untouched_leads = 0;
        g_fire                    = 0;
}

/* A tenant routed by g_pol (borrowed: a change to g_pol applies to the
 * next event). */
FIXTURE lr_tenant_t *tenant_new(const char *id) {
        return lr_tenant_new(id, &g_pol, "v1", g_fire);
}

FIXTURE int64_t at(int32_t day, int hh, int mm) {
        return (int64_t)day * LR_MS_PER_DAY + (hh * 60 + mm) * 60000LL;
}

/* ---- events ----------------------------------------------------------- */

FIXTURE lr_event_t ev_lead(const char *eid, const char *tenant,
                           const char *lead, int64_t t) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind              = LR_EV_LEAD_CREATED;
        ev.event_id          = (char *)eid;
        ev.tenant_id         = (char *)tenant;
        ev.lead_id           = (char *)lead;
        ev.u.lead.created_at = t;
        ev.u.lead.score      = 60;
        return ev;
}

FIXTURE lr_event_t ev_status(const char *eid, const char *tenant,
                             const char *rep, int64_t t, lr_presence_t p,
                             int64_t until) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind              = LR_EV_REP_STATUS;
        ev.event_id          = (char *)eid;
        ev.tenant_id         = (char *)tenant;
        ev.u.rep.rep_id      = (char *)rep;
        ev.u.rep.occurred_at = t;
        ev.u.rep.status      = p;
        ev.u.rep.has_until   = until > 0;
        ev.u.rep.until       = until;
        return ev;
}

FIXTURE lr_event_t ev_call(const char *eid, const char *tenant, const char *rep,
                           const char *lead, int64_t t, lr_outcome_t o,
                           int64_t value) {
        lr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        ev.kind                    = LR_EV_CALL_OUTCOME;
        ev.event_id                = (char *)eid;
        ev.tenant_id               = (char *)tenant;
        ev.lead_id                 = (char *)lead;
        ev.u.call.rep_id           = (char *)rep;
        ev.u.call.occurred_at      = t;
        ev.u.call.outcome          = o;
        ev.u.call.has_deal_value   = value >= 0;
        ev.u.call.deal_value_cents = value;
        return ev;
}

/* Applies one event read at the next offset of TOPIC/PARTITION; a lead
 * event gets the explicit lead tier lead_tier (0: from its score). r
 * receives the result (clear it after use). */
FIXTURE lr_route_status_t apply(lr_tenant_t *t, const lr_event_t *ev,
                                int lead_tier, lr_route_result_t *r) {
        lr_route_source_t src = {TOPIC, PARTITION, g_offset++};
        lr_event_t e          = *ev;
        if (e.kind == LR_EV_LEAD_CREATED && lead_tier > 0)
                e.u.lead.tier = lead_tier;
        if (lr_tenant_apply(t, &e, &src, r)) {
                fprintf(stderr, "lr_tenant_apply %s: %s\n", ev->event_id,
                        r->errstr);
                exit(2);
        }
        if (r->status == LR_ROUTE_REJECTED)
                fprintf(stderr, "rejected %s: %s\n", ev->event_id, r->errstr);
        return r->status;
}

/* Applies an event that must be applied and make no decision. */
FIXTURE void apply_quiet(lr_tenant_t *t, const lr_event_t *ev) {
        lr_route_result_t r;
        CHECK_INT(apply(t, ev, 3, &r), LR_ROUTE_APPLIED);
        CHECK_INT(r.decisions_cnt, 0);
        lr_route_result_clear(&r);
}

FIXTURE void status(lr_tenant_t *t, const char *rep, int64_t at_ms,
                    lr_presence_t p, int64_t until) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "st-%s-%lld-%d", rep, (long long)at_ms, p);
        ev = ev_status(eid, lr_tenant_id(t), rep, at_ms, p, until);
        apply_quiet(t, &ev);
}

FIXTURE void status_max_open(lr_tenant_t *t, const char *rep, int64_t at_ms,
                             int max_open) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "st-%s-%lld-max", rep, (long long)at_ms);
        ev = ev_status(eid, lr_tenant_id(t), rep, at_ms, LR_PRESENCE_AVAILABLE,
                       0);
        ev.u.rep.has_max_open_leads = 1;
        ev.u.rep.max_open_leads     = max_open;
        apply_quiet(t, &ev);
}

/* Creates a lead of tier lt at t; returns the number of decisions, r
 * keeps them. */
FIXTURE size_t lead(lr_tenant_t *t, const char *lead_id, int64_t at_ms, int lt,
                    lr_route_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "ev-%s", lead_id);
        ev = ev_lead(eid, lr_tenant_id(t), lead_id, at_ms);
        CHECK_INT(apply(t, &ev, lt, r), LR_ROUTE_APPLIED);
        return r->decisions_cnt;
}

FIXTURE void call_outcome(lr_tenant_t *t, const char *rep, const char *lead_id,
                          int64_t at_ms, lr_outcome_t o, int64_t value,
                          lr_route_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "call-%s-%s-%lld-%d", rep, lead_id,
                 (long long)at_ms, o);
        ev = ev_call(eid, lr_tenant_id(t), rep, lead_id, at_ms, o, value);
        CHECK_INT(apply(t, &ev, 0, r), LR_ROUTE_APPLIED);
}

/* A lead with the optional fields (NULL / 0 when absent); its decisions
 * (as decs()) into r. */
FIXTURE const char *decs(const lr_route_result_t *r);
FIXTURE const char *lead_x(lr_tenant_t *t, const char *id, int64_t at_ms,
                           int lt, const char *acct, const char *region,
                           int64_t contact_after, lr_route_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "ev-%s", id);
        ev                          = ev_lead(eid, lr_tenant_id(t), id, at_ms);
        ev.u.lead.account_id        = (char *)acct;
        ev.u.lead.region            = (char *)region;
        ev.u.lead.has_contact_after = contact_after > 0;
        ev.u.lead.contact_after     = contact_after;
        CHECK_INT(apply(t, &ev, lt, r), LR_ROUTE_APPLIED);
        return decs(r);
}

/* Decisions of a plain tier-3 lead, result cleared. */
FIXTURE const char *route(lr_tenant_t *t, const char *id, int64_t at_ms) {
        static char buf[2048];
        lr_route_result_t r;
        snprintf(buf, sizeof(buf), "%s",
                 lead_x(t, id, at_ms, 3, NULL, NULL, 0, &r));
        lr_route_result_clear(&r);
        return buf;
}

/* A status with a profile; each profile field NULL when absent. */
FIXTURE lr_route_status_t status_x(lr_tenant_t *t, const char *rep,
                                   int64_t at_ms, lr_presence_t p,
                                   const char *regions_csv, const char *tz,
                                   const char *hours, lr_route_result_t *r) {
        char eid[160], buf[256], *regions[8], *save = NULL, *tok;
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "stx-%s-%lld-%d-%s-%s", rep,
                 (long long)at_ms, p, tz ? tz : "", hours ? hours : "");
        ev = ev_status(eid, lr_tenant_id(t), rep, at_ms, p, 0);
        if (regions_csv) {
                snprintf(buf, sizeof(buf), "%s", regions_csv);
                for (tok = strtok_r(buf, ",", &save);
                     tok && ev.u.rep.regions_cnt < 8;
                     tok = strtok_r(NULL, ",", &save))
                        regions[ev.u.rep.regions_cnt++] = tok;
                ev.u.rep.regions = regions;
        }
        ev.u.rep.timezone      = (char *)tz;
        ev.u.rep.working_hours = (char *)hours;
        return apply(t, &ev, 0, r);
}

/* An AVAILABLE status with a profile. */
FIXTURE void profile(lr_tenant_t *t, const char *rep, int64_t at_ms,
                     const char *regions_csv, const char *tz,
                     const char *hours) {
        lr_route_result_t r;
        CHECK_INT(status_x(t, rep, at_ms, LR_PRESENCE_AVAILABLE, regions_csv,
                           tz, hours, &r),
                  LR_ROUTE_APPLIED);
        lr_route_result_clear(&r);
}

/* ---- rankings and timers ---------------------------------------------- */

/* Installs a ranking for day as given: reps ids[i] with comps[i], rank
 * i+1, tier tiers[i]. */
FIXTURE void install(lr_tenant_t *t, int32_t day, int n, const char **ids,
                     const double *comps, const int *tiers) {
        lr_tenant_set_ranking(t, day, (size_t)n, ids, comps, tiers);
}

/* Installs the ranking of day from the buckets, as the first event of the
 * day does (empty before any rep); 1 if installed, 0 when the installed
 * one is that day's or newer. */
FIXTURE int install_day(lr_tenant_t *t, int32_t day) {
        lr_route_result_t r;
        int32_t before = lr_tenant_rank_day(t);
        lr_tenant_ensure_day(t, day, &r);
        lr_route_result_clear(&r);
        return lr_tenant_rank_day(t) != before;
}

/* Reps ids[0..n) AVAILABLE from day-1 08:00, ranked in that order (tiers
 * as given, all 3 when NULL) for day. */
FIXTURE void setup(lr_tenant_t *t, int32_t day, int n, const char **ids,
                   const int *tiers) {
        double comps[16];
        int t3[16], i;
        for (i = 0; i < n; i++) {
                comps[i] = 0.9 - 0.1 * i;
                t3[i]    = tiers ? tiers[i] : 3;
        }
        install_day(t, day - 1);
        for (i = 0; i < n; i++)
                status(t, ids[i], at(day - 1, 8, 0), LR_PRESENCE_AVAILABLE, 0);
        install(t, day, n, ids, comps, t3);
        CHECK_INT(lr_tenant_rank_day(t), day);
}

/* Fires the tenant's timers due at `now` (wall-clock style tick). */
FIXTURE void tick(lr_tenant_t *t, int64_t now, lr_route_result_t *r) {
        lr_tenant_fire(t, now, r);
}

/* Acks the whole outbox, as the owner does once it is delivered. */
FIXTURE void ack(lr_tenant_t *t) {
        lr_tenant_outbox_ack(t, lr_tenant_outbox_mark(t));
}

/* ---- looks ------------------------------------------------------------- */

enum { REP_TIER, REP_HANDLED, REP_OPEN, REP_ACTIVE };

/* A field of a rep; -1 if the rep is unknown. */
FIXTURE long long rep_field(const lr_tenant_t *t, const char *rep, int field) {
        lr_route_rep_t r;
        if (!lr_tenant_rep(t, rep, &r))
                return -1;
        return field == REP_TIER      ? r.tier
               : field == REP_HANDLED ? r.handled
               : field == REP_OPEN    ? r.open_leads
                                      : r.active;
}

/* The bucket of rep for day, NULL when none. */
FIXTURE const lr_bucket_t *find_bucket(const lr_tenant_t *t, const char *rep,
                                       int32_t day) {
        size_t cnt           = 0, i;
        const lr_bucket_t *b = lr_tenant_rep_buckets(t, rep, &cnt);
        for (i = 0; i < cnt; i++)
                if (b[i].day == day)
                        return &b[i];
        return NULL;
}

FIXTURE void check_skipped(const lr_assigned_t *d, const char *expect) {
        char got[512] = "";
        size_t i;
        for (i = 0; i < d->skipped_cnt; i++) {
                size_t l = strlen(got);
                snprintf(got + l, sizeof(got) - l, "%s%s:%s", i ? "," : "",
                         d->skipped[i].rep_id, d->skipped[i].why);
        }
        CHECK_STR(got, expect);
}

/* "L1>r2:RANKED#1 L2>r1:QUEUED#1": every decision of r, in order. */
FIXTURE const char *decs(const lr_route_result_t *r) {
        static char buf[2048];
        size_t i, len = 0;
        buf[0] = '\0';
        for (i = 0; i < r->decisions_cnt && len < sizeof(buf) - 1; i++) {
                const lr_assigned_t *d = &r->decisions[i];
                len += (size_t)snprintf(
                    buf + len, sizeof(buf) - len, "%s%s>%s:%s#%d", i ? " " : "",
                    d->lead_id, d->rep_id, d->reason, (int)d->attempt);
        }
        return buf;
}

/* "L1#1,L2#1": the refs of a DUPLICATE result. */
FIXTURE const char *refs(const lr_route_result_t *r) {
        static char buf[1024];
        size_t i, len = 0;
        buf[0] = '\0';
        for (i = 0; i < r->refs_cnt && len < sizeof(buf) - 1; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s#%d",
                                        i ? "," : "", r->refs[i].lead_id,
                                        r->refs[i].attempt);
        return buf;
}

FIXTURE void check_same_positions(const lr_position_t *a, size_t na,
                                  const lr_position_t *b, size_t nb) {
        size_t i;
        CHECK_INT(na, nb);
        for (i = 0; i < na && i < nb; i++) {
                CHECK_STR(a[i].key, b[i].key);
                CHECK_INT(a[i].next, b[i].next);
        }
}

FIXTURE void check_same_installs(const lr_install_t *a, size_t na,
                                 const lr_install_t *b, size_t nb) {
        size_t i;
        CHECK_INT(na, nb);
        for (i = 0; i < na && i < nb; i++) {
                CHECK_INT(a[i].day, b[i].day);
                check_same_positions(a[i].inputs, a[i].inputs_cnt, b[i].inputs,
                                     b[i].inputs_cnt);
        }
}

/* Every field of two decisions (one made, one re-read or re-made). */
FIXTURE void check_same_decision(const lr_assigned_t *a,
                                 const lr_assigned_t *b) {
        size_t i;
        CHECK_STR(a->event_id, b->event_id);
        CHECK_STR(a->tenant_id, b->tenant_id);
        CHECK_STR(a->lead_id, b->lead_id);
        CHECK_STR(a->rep_id, b->rep_id);
        CHECK_STR(a->reason, b->reason);
        CHECK_STR(a->strategy, b->strategy);
        CHECK_INT(a->decided_at, b->decided_at);
        CHECK_INT(a->attempt, b->attempt);
        CHECK_INT(a->lead_tier, b->lead_tier);
        CHECK_INT(a->rep_tier, b->rep_tier);
        CHECK_INT(a->rep_rank, b->rep_rank);
        CHECK_NEAR(a->rep_score, b->rep_score, 0);
        CHECK_INT(a->wait_ms, b->wait_ms);
        CHECK_INT(a->skipped_cnt, b->skipped_cnt);
        for (i = 0; i < a->skipped_cnt && i < b->skipped_cnt; i++) {
                CHECK_STR(a->skipped[i].rep_id, b->skipped[i].rep_id);
                CHECK_STR(a->skipped[i].why, b->skipped[i].why);
        }
        CHECK_STR(a->explanation ? a->explanation : "",
                  b->explanation ? b->explanation : "");
        CHECK_STR(a->policy_version ? a->policy_version : "",
                  b->policy_version ? b->policy_version : "");
        CHECK_STR(a->source_topic ? a->source_topic : "",
                  b->source_topic ? b->source_topic : "");
        CHECK_INT(a->source_partition, b->source_partition);
        CHECK_INT(a->source_offset, b->source_offset);
        check_same_positions(a->inputs, a->inputs_cnt, b->inputs,
                             b->inputs_cnt);
        check_same_installs(a->installs, a->installs_cnt, b->installs,
                            b->installs_cnt);
}

#endif
