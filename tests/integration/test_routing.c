/*
 * test_routing.c - the routing method of SPEC §3 beyond the ranked choice
 * (store.c + functions.lua against a real redis-server): each baseline
 * strategy, owner first, region match, working hours across time zones and
 * a DST change, contact_after, queue escalation, first-touch SLA
 * reassignment, and the timer mechanism driven by a wall-clock tick and by
 * the event-time watermark, with its outbox.
 *
 * Uses LR_TEST_REDIS_URL when set, else starts its own redis-server. Each
 * test works in its own namespace and flushes it afterwards.
 */
#include "store_fixture.h"

/* ---- helpers ------------------------------------------------------------- */

/* "L1>r2:RANKED#1 L2>r1:QUEUED#1": every decision of r, in order. */
static const char *decs(const lr_store_result_t *r) {
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

/* A lead with the optional fields; its decisions (as decs()) into r. */
static const char *lead_x(lr_store_t *st, const char *tn, const char *id,
                          int64_t t, int lt, const char *acct,
                          const char *region, int64_t contact_after,
                          lr_store_result_t *r) {
        char eid[128];
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "ev-%s", id);
        ev                          = ev_lead(eid, tn, id, t);
        ev.u.lead.account_id        = (char *)acct;
        ev.u.lead.region            = (char *)region;
        ev.u.lead.has_contact_after = contact_after > 0;
        ev.u.lead.contact_after     = contact_after;
        CHECK_INT(apply(st, &ev, lt, r), LR_STORE_APPLIED);
        return decs(r);
}

/* Decisions of a plain tier-3 lead, result cleared. */
static const char *route(lr_store_t *st, const char *tn, const char *id,
                         int64_t t) {
        static char buf[2048];
        lr_store_result_t r;
        snprintf(buf, sizeof(buf), "%s",
                 lead_x(st, tn, id, t, 3, NULL, NULL, 0, &r));
        lr_store_result_clear(&r);
        return buf;
}

/* A status with a profile; each profile field NULL when absent. */
static lr_store_status_t status_x(lr_store_t *st, const char *tn,
                                  const char *rep, int64_t t, lr_presence_t p,
                                  const char *regions_csv, const char *tz,
                                  const char *hours, lr_store_result_t *r) {
        char eid[160], buf[256], *regions[8], *save = NULL, *tok;
        lr_event_t ev;
        snprintf(eid, sizeof(eid), "stx-%s-%lld-%d-%s-%s", rep, (long long)t, p,
                 tz ? tz : "", hours ? hours : "");
        ev = ev_status(eid, tn, rep, t, p, 0);
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
        return apply(st, &ev, 0, r);
}

static void profile(lr_store_t *st, const char *tn, const char *rep, int64_t t,
                    const char *regions_csv, const char *tz,
                    const char *hours) {
        lr_store_result_t r;
        CHECK_INT(status_x(st, tn, rep, t, LR_PRESENCE_AVAILABLE, regions_csv,
                           tz, hours, &r),
                  LR_STORE_APPLIED);
        lr_store_result_clear(&r);
}

/* Fires the tenant's timers due at `now` (wall-clock style tick). */
static lr_store_status_t tick(lr_store_t *st, const char *tn, int64_t now,
                              lr_store_result_t *r) {
        lr_store_tick_t tk = {tn, &g_pol, now};
        char err[256];
        if (lr_store_tick(st, &tk, 1, r, err, sizeof(err))) {
                fprintf(stderr, "lr_store_tick: %s\n", err);
                exit(2);
        }
        return r->status;
}

static void ack(lr_store_t *st, lr_store_result_t *r) {
        char err[256];
        CHECK(lr_store_ack(st, r->decisions, r->outbox_cnt, r->tier_changes,
                           r->tier_changes_cnt, err, sizeof(err)) == 0);
}

/* Tenants the worker would tick at (now, wall), comma-separated. */
static const char *due(lr_store_t *st, int64_t now, int64_t wall) {
        static char buf[512];
        char **t   = NULL, err[256];
        size_t cnt = 0, i, len = 0;
        CHECK(lr_store_due_tenants(st, now, 1, wall, 100, &t, &cnt, err,
                                   sizeof(err)) == 0);
        buf[0] = '\0';
        for (i = 0; i < cnt; i++)
                len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
                                        i ? "," : "", t[i]);
        lr_store_tenants_free(t, cnt);
        return buf;
}

/* Reps ids[0..n) AVAILABLE from day-1 08:00, ranked in that order (tiers
 * as given, all 3 when NULL) for day. */
static void setup(lr_store_t *st, const char *tn, int32_t day, int n,
                  const char **ids, const int *tiers) {
        double comps[16];
        int t3[16], i;
        for (i = 0; i < n; i++) {
                comps[i] = 0.9 - 0.1 * i;
                t3[i]    = tiers ? tiers[i] : 3;
        }
        install_empty(st, tn, day - 1);
        for (i = 0; i < n; i++)
                status(st, tn, ids[i], at(day - 1, 8, 0), LR_PRESENCE_AVAILABLE,
                       0);
        CHECK_INT(install(st, tn, day, n, ids, comps, t3), 1);
}

static void policy_reset(void) {
        lr_policy_defaults(&g_pol);
        g_pol.max_open_leads = 100;
        g_fire               = 0;
}

/* ---- baselines ----------------------------------------------------------- */

static void test_round_robin(void) {
        const char *ns = "lrtest-rt-rr", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;
        char key[128];

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "round_robin");
        setup(st, tn, D, 4, ids, NULL);
        status(st, tn, "r3", at(D, 9, 0), LR_PRESENCE_IN_MEETING, 0);
        CHECK_STR(route(st, tn, "L1", at(D, 10, 0)), "L1>r1:BASELINE#1");
        CHECK_STR(route(st, tn, "L2", at(D, 10, 1)), "L2>r2:BASELINE#1");
        /* r3 is passed over; skipped lists it (not r1, r2: available) */
        CHECK_STR(lead_x(st, tn, "L3", at(D, 10, 2), 3, NULL, NULL, 0, &r),
                  "L3>r4:BASELINE#1");
        CHECK_STR(r.decisions[0].strategy, "round_robin");
        CHECK_INT(r.decisions[0].rep_rank, 4);
        check_skipped(&r.decisions[0], "r3:IN_MEETING");
        lr_store_result_clear(&r);
        CHECK_STR(route(st, tn, "L4", at(D, 10, 3)), "L4>r1:BASELINE#1");
        status(st, tn, "r3", at(D, 10, 30), LR_PRESENCE_AVAILABLE, 0);
        CHECK_STR(route(st, tn, "L5", at(D, 10, 31)), "L5>r2:BASELINE#1");
        CHECK_STR(route(st, tn, "L6", at(D, 10, 32)), "L6>r3:BASELINE#1");
        /* The cursor is Redis state: a new connection continues it. */
        snprintf(key, sizeof(key), "%s:{%s}:cursor", ns, tn);
        {
                redisReply *c = raw("HGET %s %s", key, "rr");
                CHECK(c->type == REDIS_REPLY_STRING && !strcmp(c->str, "r3"));
                freeReplyObject(c);
        }
        store_close(st);
}

static void test_weighted_round_robin(void) {
        const char *ns = "lrtest-rt-wrr", *tn = "t";
        const char *ids[] = {"a", "b"};
        const int tiers[] = {1, 3};
        lr_store_t *st    = store_open(ns);
        char got[512]     = "", id[16];
        int i, na = 0;

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy),
                 "weighted_round_robin");
        setup(st, tn, D, 2, ids, tiers);
        /* Default weights: tier 1 -> 3, tier 3 -> 1 (tiers - T + 1). */
        for (i = 0; i < 8; i++) {
                snprintf(id, sizeof(id), "W%d", i);
                const char *d = route(st, tn, id, at(D, 10, i));
                char *gt      = strchr(d, '>');
                size_t len    = strlen(got);
                snprintf(got + len, sizeof(got) - len, "%c", gt ? gt[1] : '?');
                na += gt && gt[1] == 'a';
        }
        CHECK_STR(got, "abaaabaa");
        CHECK_INT(na, 6);
        store_close(st);

        /* Configured weights 1,1,1: plain alternation. */
        st = store_open(ns);
        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy),
                 "weighted_round_robin");
        g_pol.tier_weights_cnt = 3;
        g_pol.tier_weights[0] = g_pol.tier_weights[1] = 1;
        g_pol.tier_weights[2]                         = 1;
        setup(st, tn, D, 2, ids, tiers);
        got[0] = '\0';
        for (i = 0; i < 6; i++) {
                snprintf(id, sizeof(id), "V%d", i);
                const char *d = route(st, tn, id, at(D, 10, i));
                char *gt      = strchr(d, '>');
                size_t len    = strlen(got);
                snprintf(got + len, sizeof(got) - len, "%c", gt ? gt[1] : '?');
        }
        CHECK_STR(got, "ababab");
        store_close(st);
}

static void test_least_loaded(void) {
        const char *ns = "lrtest-rt-ll", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        setup(st, tn, D, 3, ids, NULL);
        /* Ranked first, to load r1 with two leads and r2 with one. */
        status(st, tn, "r3", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(st, tn, "P1", at(D, 8, 1)), "P1>r1:RANKED#1");
        CHECK_STR(route(st, tn, "P2", at(D, 8, 2)), "P2>r1:RANKED#1");
        status(st, tn, "r1", at(D, 8, 3), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(st, tn, "P3", at(D, 8, 4)), "P3>r2:RANKED#1");
        status(st, tn, "r1", at(D, 8, 5), LR_PRESENCE_AVAILABLE, 0);
        status(st, tn, "r3", at(D, 8, 6), LR_PRESENCE_AVAILABLE, 0);

        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "least_loaded");
        CHECK_STR(route(st, tn, "L1", at(D, 9, 0)), "L1>r3:BASELINE#1");
        /* r2 and r3: 1 open, 1 today each: rep_id */
        CHECK_STR(route(st, tn, "L2", at(D, 9, 1)), "L2>r2:BASELINE#1");
        CHECK_STR(route(st, tn, "L3", at(D, 9, 2)), "L3>r3:BASELINE#1");
        /* r1 closes one: 1 open, the least. */
        call_outcome(st, tn, "r1", "P1", at(D, 9, 3), LR_OUTCOME_CLOSED_LOST,
                     -1, &r);
        lr_store_result_clear(&r);
        CHECK_STR(route(st, tn, "L4", at(D, 9, 4)), "L4>r1:BASELINE#1");
        store_close(st);
}

static void test_territory(void) {
        const char *ns = "lrtest-rt-terr", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "territory");
        setup(st, tn, D, 4, ids, NULL);
        profile(st, tn, "r1", at(D, 8, 0), "EMEA", NULL, NULL);
        profile(st, tn, "r2", at(D, 8, 0), "NA-East", NULL, NULL);
        profile(st, tn, "r3", at(D, 8, 0), "NA-East,EMEA", NULL, NULL);
        /* r4 has no region */
#define T(id, m, region, want)                                                 \
        do {                                                                   \
                CHECK_STR(                                                     \
                    lead_x(st, tn, id, at(D, 10, m), 3, NULL, region, 0, &r),  \
                    want);                                                     \
                lr_store_result_clear(&r);                                     \
        } while (0)
        T("N1", 0, "NA-East", "N1>r2:BASELINE#1");
        T("N2", 1, "NA-East", "N2>r3:BASELINE#1");
        T("N3", 2, "NA-East", "N3>r2:BASELINE#1");
        /* EMEA has its own cursor */
        T("E1", 3, "EMEA", "E1>r1:BASELINE#1");
        T("E2", 4, "EMEA", "E2>r3:BASELINE#1");
        T("E3", 5, "EMEA", "E3>r1:BASELINE#1");
        /* nobody covers APAC, and a lead without region: everyone */
        T("A1", 6, "APAC", "A1>r1:BASELINE#1");
        T("A2", 7, NULL, "A2>r2:BASELINE#1");
        T("A3", 8, "APAC", "A3>r3:BASELINE#1");
        T("A4", 9, "APAC", "A4>r4:BASELINE#1");
        /* the territory's reps unavailable: anyone available */
        status(st, tn, "r2", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        status(st, tn, "r3", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        T("N4", 61, "NA-East", "N4>r1:BASELINE#1");
#undef T
        store_close(st);
}

/* ---- constraints -----------------------------------------------------------
 */

static void test_owner_first(void) {
        const char *ns = "lrtest-rt-owner", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        g_pol.owner_first = 1;
        setup(st, tn, D, 3, ids, NULL);
        status(st, tn, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, at(D, 10, 0));
        CHECK_STR(lead_x(st, tn, "A1", at(D, 9, 30), 3, "acct-9", NULL, 0, &r),
                  "A1>r2:RANKED#1");
        lr_store_result_clear(&r);
        /* r1, best ranked, is back: acct-9's lead still goes to r2 */
        CHECK_STR(lead_x(st, tn, "A2", at(D, 10, 30), 3, "acct-9", NULL, 0, &r),
                  "A2>r2:OWNER#1");
        CHECK_INT(r.decisions[0].rep_rank, 2);
        lr_store_result_clear(&r);
        CHECK_STR(lead_x(st, tn, "B1", at(D, 10, 31), 3, "acct-1", NULL, 0, &r),
                  "B1>r1:RANKED#1");
        lr_store_result_clear(&r);
        /* the owner unavailable: routed as usual */
        status(st, tn, "r2", at(D, 11, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(lead_x(st, tn, "A3", at(D, 11, 1), 3, "acct-9", NULL, 0, &r),
                  "A3>r1:RANKED#1");
        lr_store_result_clear(&r);
        /* A3 now belongs to r1 (latest lead), and an outcome of r3 on it
         * (manual reassignment) makes r3 the owner. */
        call_outcome(st, tn, "r3", "A3", at(D, 11, 2), LR_OUTCOME_CONNECTED, -1,
                     &r);
        lr_store_result_clear(&r);
        CHECK_STR(lead_x(st, tn, "A4", at(D, 11, 3), 3, "acct-9", NULL, 0, &r),
                  "A4>r3:OWNER#1");
        lr_store_result_clear(&r);
        /* owner_first off: rank decides */
        g_pol.owner_first = 0;
        CHECK_STR(lead_x(st, tn, "A5", at(D, 11, 4), 3, "acct-9", NULL, 0, &r),
                  "A5>r1:RANKED#1");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_region_match(void) {
        const char *ns = "lrtest-rt-region", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        g_pol.region_match            = 1;
        g_pol.sla_first_touch_seconds = 0;
        setup(st, tn, D, 3, ids, NULL);
        profile(st, tn, "r1", at(D, 8, 0), "EMEA", NULL, NULL);
        profile(st, tn, "r2", at(D, 8, 0), "NA-East", NULL, NULL);
        profile(st, tn, "r3", at(D, 8, 0), "NA-East", NULL, NULL);
        CHECK_STR(lead_x(st, tn, "N1", at(D, 10, 0), 3, NULL, "NA-East", 0, &r),
                  "N1>r2:RANKED#1");
        check_skipped(&r.decisions[0], "r1:REGION");
        lr_store_result_clear(&r);
        /* no rep of the region free: falls back to every rep */
        status(st, tn, "r2", at(D, 10, 1), LR_PRESENCE_BUSY, 0);
        status(st, tn, "r3", at(D, 10, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(lead_x(st, tn, "N2", at(D, 10, 2), 3, NULL, "NA-East", 0, &r),
                  "N2>r1:RANKED#1");
        check_skipped(&r.decisions[0], "");
        lr_store_result_clear(&r);
        CHECK_STR(lead_x(st, tn, "X1", at(D, 10, 3), 3, NULL, "APAC", 0, &r),
                  "X1>r1:RANKED#1");
        lr_store_result_clear(&r);
        CHECK_STR(lead_x(st, tn, "X2", at(D, 10, 4), 3, NULL, NULL, 0, &r),
                  "X2>r1:RANKED#1");
        lr_store_result_clear(&r);
        /* off: rank alone */
        status(st, tn, "r3", at(D, 10, 5), LR_PRESENCE_AVAILABLE, 0);
        g_pol.region_match = 0;
        CHECK_STR(lead_x(st, tn, "N3", at(D, 10, 6), 3, NULL, "NA-East", 0, &r),
                  "N3>r1:RANKED#1");
        lr_store_result_clear(&r);
        /* and with a baseline: region first, then the strategy */
        g_pol.region_match = 1;
        snprintf(g_pol.strategy, sizeof(g_pol.strategy), "least_loaded");
        CHECK_STR(lead_x(st, tn, "N4", at(D, 10, 7), 3, NULL, "NA-East", 0, &r),
                  "N4>r3:BASELINE#1");
        lr_store_result_clear(&r);
        /* escalation: the least-loaded rep at work of the lead's region
         * first (r1, 4 open, over r2 and r3 with 1 each) */
        status(st, tn, "r1", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        status(st, tn, "r2", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        status(st, tn, "r3", at(D, 10, 10), LR_PRESENCE_BUSY, 0);
        CHECK_STR(lead_x(st, tn, "E5", at(D, 10, 11), 3, NULL, "EMEA", 0, &r),
                  "");
        lr_store_result_clear(&r);
        CHECK_INT(tick(st, tn, at(D, 10, 16), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "E5>r1:ESCALATED#1");
        lr_store_result_clear(&r);
        store_close(st);
}

/* ---- working hours ------------------------------------------------------- */

static void test_working_hours_dst(void) {
        const char *ns = "lrtest-rt-hours", *tn = "t";
        const char *ids[] = {"ny", "sg", "any"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;
        int64_t fri;
        int32_t F;

        CHECK(lr_iso8601_parse("2026-03-06", &fri) == 0); /* Friday */
        F = lr_day_of(fri);
        policy_reset();
        setup(st, tn, F, 3, ids, NULL);
        profile(st, tn, "ny", at(F, 0, 1), NULL, "America/New_York",
                "Mon-Fri 09:00-17:00");
        profile(st, tn, "sg", at(F, 0, 1), NULL, "Asia/Singapore",
                "Mon-Fri 09:00-17:00");
        /* Friday, EST (UTC-5): 13:59 UTC is 08:59 in New York, 21:59 in
         * Singapore */
        CHECK_STR(lead_x(st, tn, "F1", at(F, 13, 59), 3, NULL, NULL, 0, &r),
                  "F1>any:RANKED#1");
        check_skipped(&r.decisions[0], "ny:OFF_HOURS,sg:OFF_HOURS");
        lr_store_result_clear(&r);
        CHECK_STR(route(st, tn, "F2", at(F, 14, 0)), "F2>ny:RANKED#1");
        CHECK_STR(route(st, tn, "F3", at(F, 21, 59)), "F3>ny:RANKED#1");
        CHECK_STR(route(st, tn, "F4", at(F, 22, 0)), "F4>any:RANKED#1");
        /* Saturday 02:00 UTC: Saturday in Singapore too. (Monday is
         * 2026-03-09: New York is on EDT since Sunday 07:00 UTC.) */
        CHECK_INT(install(st, tn, F + 3, 3, ids, (double[]){0.9, 0.8, 0.7},
                          (int[]){3, 3, 3}),
                  1);
        CHECK_STR(route(st, tn, "S1", at(F + 1, 2, 0)), "S1>any:RANKED#1");
        /* Monday 01:00 UTC = 09:00 in Singapore, Sunday 21:00 in NY */
        CHECK_STR(lead_x(st, tn, "M0", at(F + 3, 1, 0), 3, NULL, NULL, 0, &r),
                  "M0>sg:RANKED#1");
        check_skipped(&r.decisions[0], "ny:OFF_HOURS");
        lr_store_result_clear(&r);
        /* Monday, EDT (UTC-4) since Sunday: 13:00 UTC is 09:00 in New York
         * (on Friday the same 13:00 UTC was 08:00) */
        CHECK_STR(lead_x(st, tn, "M1", at(F + 3, 12, 59), 3, NULL, NULL, 0, &r),
                  "M1>any:RANKED#1"); /* 20:59 in Singapore */
        check_skipped(&r.decisions[0], "ny:OFF_HOURS,sg:OFF_HOURS");
        lr_store_result_clear(&r);
        CHECK_STR(route(st, tn, "M2", at(F + 3, 13, 0)), "M2>ny:RANKED#1");
        CHECK_STR(route(st, tn, "M3", at(F + 3, 20, 59)), "M3>ny:RANKED#1");
        CHECK_STR(route(st, tn, "M4", at(F + 3, 21, 0)), "M4>any:RANKED#1");
        /* and the Friday check again with DST in mind: 13:00 UTC Friday */
        CHECK_STR(route(st, tn, "F0", at(F, 13, 0)), "F0>any:RANKED#1");

        /* Hours off: "always" clears them. */
        profile(st, tn, "ny", at(F + 3, 21, 30), NULL, NULL, "always");
        CHECK_STR(route(st, tn, "M5", at(F + 3, 21, 31)), "M5>ny:RANKED#1");

        /* A bad value is a bad event (dead letter), named. */
        CHECK_INT(status_x(st, tn, "ny", at(F + 3, 22, 0),
                           LR_PRESENCE_AVAILABLE, NULL, NULL, "9 to 5", &r),
                  LR_STORE_REJECTED);
        CHECK(strstr(r.errstr, "working_hours") != NULL);
        lr_store_result_clear(&r);
        CHECK_INT(status_x(st, tn, "ny", at(F + 3, 22, 0),
                           LR_PRESENCE_AVAILABLE, NULL, "Mars/Base", NULL, &r),
                  LR_STORE_REJECTED);
        CHECK(strstr(r.errstr, "unknown timezone") != NULL);
        lr_store_result_clear(&r);
        store_close(st);
}

/* ---- timers -------------------------------------------------------------- */

static void test_contact_after(void) {
        const char *ns = "lrtest-rt-contact", *tn = "t";
        const char *ids[] = {"r1", "r2"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        g_pol.sla_first_touch_seconds = 0; /* SLA off: contact_after alone */
        setup(st, tn, D, 2, ids, NULL);
        CHECK_STR(
            lead_x(st, tn, "C1", at(D, 10, 0), 3, NULL, NULL, at(D, 12, 0), &r),
            "");
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 0);
        CHECK_STR(due(st, at(D, 11, 59), 0), "");
        CHECK_STR(due(st, at(D, 12, 0), 0), "t");
        CHECK_INT(tick(st, tn, at(D, 11, 59), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        /* r1 is in a meeting when the time comes */
        status(st, tn, "r1", at(D, 11, 0), LR_PRESENCE_IN_MEETING, 0);
        CHECK_INT(tick(st, tn, at(D, 12, 5), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "C1>r2:RANKED#1");
        CHECK_INT(r.outbox_cnt, 1);
        if (r.decisions_cnt == 1) {
                CHECK_INT(r.decisions[0].decided_at, at(D, 12, 0));
                CHECK_INT(r.decisions[0].wait_ms, 0);
                CHECK_STR(r.decisions[0].event_id, "ev-C1#1");
                check_skipped(&r.decisions[0], "r1:IN_MEETING");
        }
        /* Fired once: the next tick has nothing (the outbox entry is
         * leased), and after the ack nothing is left to hand out. */
        {
                lr_store_result_t r2;
                CHECK_INT(tick(st, tn, at(D, 12, 6), &r2), LR_STORE_APPLIED);
                CHECK_INT(r2.decisions_cnt, 0);
                lr_store_result_clear(&r2);
        }
        CHECK_INT(zcard(ns, tn, "outbox"), 1);
        ack(st, &r);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "outbox"), 0);
        /* A contact_after in the past routes at once. */
        CHECK_STR(
            lead_x(st, tn, "C2", at(D, 13, 0), 3, NULL, NULL, at(D, 12, 0), &r),
            "C2>r2:RANKED#1");
        lr_store_result_clear(&r);
        /* Nobody free when it comes: queued from contact_after on. */
        CHECK_STR(
            lead_x(st, tn, "C3", at(D, 13, 1), 3, NULL, NULL, at(D, 14, 0), &r),
            "");
        lr_store_result_clear(&r);
        status(st, tn, "r2", at(D, 13, 30), LR_PRESENCE_OFFLINE, 0);
        CHECK_INT(tick(st, tn, at(D, 14, 0), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 1);
        {
                lr_event_t ev = ev_status("r2-back", tn, "r2", at(D, 14, 2),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_APPLIED);
                CHECK_STR(decs(&r), "C3>r2:QUEUED#1");
                if (r.decisions_cnt == 1)
                        CHECK_INT(r.decisions[0].wait_ms, 2 * 60000);
                lr_store_result_clear(&r);
        }
        store_close(st);
}

static void test_queue_escalation(void) {
        const char *ns = "lrtest-rt-escalate", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        g_pol.sla_first_touch_seconds = 0; /* the queue alone */
        setup(st, tn, D, 4, ids, NULL);
        /* r2 carries two leads, r1 one; then nobody is free. */
        status(st, tn, "r3", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        status(st, tn, "r4", at(D, 8, 0), LR_PRESENCE_OUT_OF_OFFICE, 0);
        status(st, tn, "r1", at(D, 8, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(st, tn, "P1", at(D, 8, 1)), "P1>r2:RANKED#1");
        CHECK_STR(route(st, tn, "P2", at(D, 8, 2)), "P2>r2:RANKED#1");
        status(st, tn, "r1", at(D, 8, 3), LR_PRESENCE_AVAILABLE, 0);
        CHECK_STR(route(st, tn, "P3", at(D, 8, 4)), "P3>r1:RANKED#1");
        status(st, tn, "r1", at(D, 9, 0), LR_PRESENCE_IN_MEETING, 0);
        status(st, tn, "r2", at(D, 9, 0), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(st, tn, "Q1", at(D, 10, 0)), "");
        CHECK_STR(route(st, tn, "Q2", at(D, 10, 1)), "");
        CHECK_INT(zcard(ns, tn, "queue"), 2);

        CHECK_INT(tick(st, tn, at(D, 10, 4) + 59999, &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        /* max_wait 5 min: to the least-loaded rep at work (r1: 1 open, in a
         * meeting; r2 busy with 2; r3 offline and r4 out of office, with
         * none, are not at work); Q2 a minute later: r1 and r2 both have 2
         * open and 2 leads today, so rep_id decides */
        CHECK_INT(tick(st, tn, at(D, 10, 6), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "Q1>r1:ESCALATED#1 Q2>r1:ESCALATED#1");
        if (r.decisions_cnt == 2) {
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 5));
                CHECK_INT(r.decisions[0].wait_ms, 5 * 60000);
                CHECK_INT(r.decisions[1].decided_at, at(D, 10, 6));
                check_skipped(&r.decisions[0], "");
        }
        ack(st, &r);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 0);

        /* Nobody at work: the lead keeps waiting for the first free rep. */
        status(st, tn, "r1", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        status(st, tn, "r2", at(D, 11, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(st, tn, "Q3", at(D, 11, 1)), "");
        CHECK_INT(tick(st, tn, at(D, 11, 30), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 1);
        {
                lr_event_t ev = ev_status("r4-back", tn, "r4", at(D, 12, 0),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_APPLIED);
                CHECK_STR(decs(&r), "Q3>r4:QUEUED#1");
                lr_store_result_clear(&r);
        }
        /* max_wait_seconds 0: no escalation */
        g_pol.max_wait_seconds = 0;
        status(st, tn, "r4", at(D, 12, 1), LR_PRESENCE_BUSY, 0);
        CHECK_STR(route(st, tn, "Q4", at(D, 12, 2)), "");
        CHECK_INT(tick(st, tn, at(D, 13, 0), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        store_close(st);
}

static void test_sla_reassignment(void) {
        const char *ns = "lrtest-rt-sla", *tn = "t";
        const char *ids[] = {"r1", "r2", "r3", "r4"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;
        lr_store_rep_t *reps = NULL;
        size_t cnt           = 0;
        char err[256];

        policy_reset();
        setup(st, tn, D, 4, ids, NULL);
        status(st, tn, "r4", at(D, 8, 0), LR_PRESENCE_OFFLINE, 0);
        CHECK_STR(route(st, tn, "S1", at(D, 10, 0)), "S1>r1:RANKED#1");
        CHECK_STR(route(st, tn, "T1", at(D, 10, 1)), "T1>r1:RANKED#1");
        /* T1 is called in time: no reassignment */
        call_outcome(st, tn, "r1", "T1", at(D, 10, 10), LR_OUTCOME_NO_ANSWER,
                     -1, &r);
        lr_store_result_clear(&r);
        CHECK_INT(tick(st, tn, at(D, 10, 14), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        /* S1: no call from r1 by 10:15 -> the next best rep, attempt 2 */
        CHECK_INT(tick(st, tn, at(D, 10, 16), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "S1>r2:SLA_REASSIGNED#2");
        if (r.decisions_cnt == 1) {
                CHECK_STR(r.decisions[0].event_id, "ev-S1#2");
                CHECK_INT(r.decisions[0].decided_at, at(D, 10, 15));
                check_skipped(&r.decisions[0], "r1:PREVIOUS_ASSIGNEE");
        }
        ack(st, &r);
        lr_store_result_clear(&r);
        CHECK_INT(rep_field(st, tn, "r1", REP_OPEN), 1); /* T1 only */
        CHECK_INT(rep_field(st, tn, "r2", REP_OPEN), 1);
        /* r2 misses it too: r3, never back to r1 though r1 is best */
        CHECK_INT(tick(st, tn, at(D, 10, 30), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "S1>r3:SLA_REASSIGNED#3");
        if (r.decisions_cnt == 1)
                check_skipped(&r.decisions[0],
                              "r1:PREVIOUS_ASSIGNEE,r2:PREVIOUS_ASSIGNEE");
        ack(st, &r);
        lr_store_result_clear(&r);
        /* sla_max_attempts 3: it stays with r3, whose miss still counts */
        CHECK_INT(tick(st, tn, at(D, 11, 0), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        /* every missed SLA is a 15-minute speed-to-lead sample */
        CHECK(lr_store_read_reps(st, tn, D, D, &reps, &cnt, err, sizeof(err)) ==
              0);
        {
                const char *who[] = {"r1", "r2", "r3"};
                int k;
                for (k = 0; k < 3; k++) {
                        const lr_bucket_t *b =
                            find_bucket(find_rep(reps, cnt, who[k]), D);
                        CHECK(b != NULL);
                        if (!b)
                                continue;
                        /* r1 also called T1 after 9 minutes */
                        CHECK_INT(b->stl_n, k == 0 ? 2 : 1);
                        CHECK_NEAR(b->stl_minutes_sum, k == 0 ? 24 : 15, 1e-9);
                }
        }
        lr_store_reps_free(reps, cnt);

        /* Nobody else free: the lead waits (its rep is out), and goes to
         * the first rep who frees up that never had it. */
        CHECK_STR(route(st, tn, "S2", at(D, 12, 0)), "S2>r1:RANKED#1");
        status(st, tn, "r2", at(D, 12, 1), LR_PRESENCE_OFFLINE, 0);
        status(st, tn, "r3", at(D, 12, 1), LR_PRESENCE_OFFLINE, 0);
        CHECK_INT(tick(st, tn, at(D, 12, 15), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "");
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "queue"), 1);
        /* r1 is free and takes a new lead; S2 is not given back to it */
        CHECK_STR(route(st, tn, "S3", at(D, 12, 20)), "S3>r1:RANKED#1");
        {
                lr_event_t ev = ev_status("r4-in", tn, "r4", at(D, 12, 30),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_APPLIED);
                CHECK_STR(decs(&r), "S2>r4:SLA_REASSIGNED#2");
                if (r.decisions_cnt == 1) {
                        CHECK_INT(r.decisions[0].wait_ms, 15 * 60000);
                        check_skipped(&r.decisions[0],
                                      "r1:PREVIOUS_ASSIGNEE,r2:OFFLINE,"
                                      "r3:OFFLINE");
                }
                lr_store_result_clear(&r);
        }
        store_close(st);
}

/* The same story under both clocks gives the same decisions. */
static void timers_story(lr_store_t *st, const char *tn, int event_clock,
                         char *out, size_t size) {
        const char *ids[] = {"r1", "r2"};
        lr_store_result_t r;
        size_t len = 0;
        int i;

        policy_reset();
        g_fire = event_clock;
        setup(st, tn, D, 2, ids, NULL);
        /* L1 at 10:00 to r1 (SLA 10:15), L2 held until 10:20 */
        CHECK_STR(lead_x(st, tn, "L1", at(D, 10, 0), 3, NULL, NULL, 0, &r),
                  "L1>r1:RANKED#1");
        lr_store_result_clear(&r);
        lead_x(st, tn, "L2", at(D, 10, 5), 3, NULL, NULL, at(D, 10, 20), &r);
        lr_store_result_clear(&r);
        out[0] = '\0';
        for (i = 0; i < 2; i++) {
                lr_store_status_t s;
                if (event_clock) {
                        /* the watermark moves with the next events */
                        lr_event_t ev = ev_status(i ? "w2" : "w1", tn, "r2",
                                                  at(D, 10, i ? 25 : 16),
                                                  LR_PRESENCE_AVAILABLE, 0);
                        s             = apply(st, &ev, 0, &r);
                } else {
                        s = tick(st, tn, at(D, 10, i ? 25 : 16), &r);
                }
                CHECK_INT(s, LR_STORE_APPLIED);
                CHECK_INT(r.outbox_cnt, r.decisions_cnt);
                len += (size_t)snprintf(out + len, size - len, "%s[%s]",
                                        i ? " " : "", decs(&r));
                if (r.decisions_cnt)
                        len += (size_t)snprintf(
                            out + len, size - len, "@%lld",
                            (long long)(r.decisions[0].decided_at -
                                        at(D, 0, 0)) /
                                60000);
                ack(st, &r);
                lr_store_result_clear(&r);
        }
        g_fire = 0;
}

static void test_timer_clocks(void) {
        const char *ns = "lrtest-rt-clock", *tn = "t";
        lr_store_t *st = store_open(ns);
        lr_store_result_t r;
        char wall[512], event[512];

        timers_story(st, tn, 0, wall, sizeof(wall));
        store_close(st);
        st = store_open(ns);
        timers_story(st, tn, 1, event, sizeof(event));
        CHECK_STR(wall, "[L1>r2:SLA_REASSIGNED#2]@615 "
                        "[L2>r1:RANKED#1]@620");
        CHECK_STR(event, wall);

        /* Event clock: a redelivered event does not fire anything again. */
        g_fire = 1;
        {
                lr_event_t ev = ev_status("w2", tn, "r2", at(D, 10, 25),
                                          LR_PRESENCE_AVAILABLE, 0);
                CHECK_INT(apply(st, &ev, 0, &r), LR_STORE_DUPLICATE);
                CHECK_INT(r.decisions_cnt, 0);
                lr_store_result_clear(&r);
        }
        g_fire = 0;
        store_close(st);
}

static void test_outbox(void) {
        const char *ns = "lrtest-rt-outbox", *tn = "t";
        const char *ids[] = {"r1", "r2"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;
        char key[128];
        redisReply *rep;

        policy_reset();
        g_pol.sla_max_attempts = 2;
        setup(st, tn, D, 2, ids, NULL);
        /* The outbox: a decision not acked is handed out again once its
         * lease has run out (here: made to run out), same event_id. */
        CHECK_STR(route(st, tn, "L3", at(D, 11, 0)), "L3>r1:RANKED#1");
        CHECK_INT(tick(st, tn, at(D, 11, 15), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "L3>r2:SLA_REASSIGNED#2");
        lr_store_result_clear(&r); /* published, then crashed: no ack */
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms()), "");
        snprintf(key, sizeof(key), "%s:{%s}:outbox", ns, tn);
        rep = raw("ZADD %s 0 %s", key, "L3#2");
        freeReplyObject(rep);
        snprintf(key, sizeof(key), "%s:outbox", ns);
        rep = raw("ZADD %s 0 %s", key, tn);
        freeReplyObject(rep);
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms()), "t");
        CHECK_INT(tick(st, tn, LR_STORE_NO_TIMERS, &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "L3>r2:SLA_REASSIGNED#2");
        CHECK_INT(r.outbox_cnt, 1);
        if (r.decisions_cnt == 1)
                CHECK_STR(r.decisions[0].event_id, "ev-L3#2");
        ack(st, &r);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "outbox"), 0);
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms() + 3600000), "");

        /* A timer due on a day without a ranking: need_rank, then fired
         * once the day's ranking is installed. */
        CHECK_STR(route(st, tn, "L4", at(D, 23, 50)), "L4>r1:RANKED#1");
        CHECK_STR(due(st, at(D + 1, 0, 5), 0), "t");
        CHECK_INT(tick(st, tn, at(D + 1, 0, 10), &r), LR_STORE_NEED_RANK);
        CHECK_INT(r.need_day, D + 1);
        CHECK_INT(r.decisions_cnt, 0);
        lr_store_result_clear(&r);
        CHECK_INT(install(st, tn, D + 1, 2, (const char *[]){"r1", "r2"},
                          (double[]){0.9, 0.8}, (int[]){3, 3}),
                  1);
        CHECK_INT(tick(st, tn, at(D + 1, 0, 10), &r), LR_STORE_APPLIED);
        CHECK_STR(decs(&r), "L4>r2:SLA_REASSIGNED#2");
        ack(st, &r);
        lr_store_result_clear(&r);
        /* nothing due any more: the tenant leaves the index when idle */
        CHECK_STR(due(st, at(D + 1, 0, 10), lr_now_ms()), "");
        store_close(st);
}

/* max_leads_per_day: counted per day of the rep's own timezone. */
static void test_daily_capacity(void) {
        const char *ns = "lrtest-rt-daycap", *tn = "t";
        const char *ids[] = {"r1", "r2"};
        lr_store_t *st    = store_open(ns);
        lr_store_result_t r;

        policy_reset();
        g_pol.max_leads_per_day = 2;
        setup(st, tn, D, 2, ids, NULL);
        CHECK_INT(status_x(st, tn, "r1", at(D, 8, 0), LR_PRESENCE_AVAILABLE,
                           NULL, "America/Los_Angeles", NULL, &r),
                  LR_STORE_APPLIED);
        lr_store_result_clear(&r);
        CHECK_STR(route(st, tn, "L1", at(D, 16, 0)), "L1>r1:RANKED#1");
        CHECK_STR(route(st, tn, "L2", at(D, 16, 1)), "L2>r1:RANKED#1");
        CHECK_STR(route(st, tn, "L3", at(D, 16, 2)), "L3>r2:RANKED#1");
        CHECK_STR(route(st, tn, "L4", at(D, 23, 30)), "L4>r2:RANKED#1");
        /* 00:30 UTC: a new day for r2 (UTC), still 16:30 of the same day
         * for r1 in Los Angeles. */
        CHECK_INT(
            install(st, tn, D + 1, 2, ids, (double[]){0.9, 0.8}, (int[]){3, 3}),
            1);
        CHECK_STR(route(st, tn, "L5", at(D + 1, 0, 30)), "L5>r2:RANKED#1");
        /* 09:00 UTC = 01:00 in Los Angeles: r1's new day. */
        CHECK_STR(route(st, tn, "L6", at(D + 1, 9, 0)), "L6>r1:RANKED#1");
        g_pol.max_leads_per_day = 0;
        CHECK_STR(route(st, tn, "L7", at(D + 1, 9, 1)), "L7>r1:RANKED#1");
        CHECK_STR(route(st, tn, "L8", at(D + 1, 9, 2)), "L8>r1:RANKED#1");
        store_close(st);
}

/* A ranking install puts its tier changes in the outbox in the same step:
 * a worker that dies before publishing them leaves them to the next tick. */
static void test_tier_change_outbox(void) {
        const char *ns = "lrtest-rt-tierout", *tn = "t";
        const char *ids[] = {"r1", "r2"};
        lr_store_t *st    = store_open(ns);
        lr_rep_rank_t rr[2];
        lr_tier_changed_t tc;
        lr_store_result_t r;
        char key[128], ref[64], err[256];
        redisReply *rep;
        int installed = 0;

        policy_reset();
        setup(st, tn, D, 2, ids, NULL);
        memset(rr, 0, sizeof(rr));
        rr[0].rep_id = "r1", rr[0].composite = 0.9, rr[0].rank = 1;
        rr[0].tier = 3, rr[0].new_tier = 2, rr[0].active = 1;
        rr[1].rep_id = "r2", rr[1].composite = 0.1, rr[1].rank = 2;
        rr[1].tier = 3, rr[1].new_tier = 3, rr[1].active = 1;
        memset(&tc, 0, sizeof(tc));
        tc.event_id = "t/r1/tier/x", tc.tenant_id = (char *)tn;
        tc.rep_id = "r1", tc.from_tier = 3, tc.to_tier = 2;
        tc.composite = 0.9, tc.tier_mean = 0.5;
        tc.decided_at = (int64_t)(D + 1) * 86400000, tc.reason = "promoted";
        CHECK(lr_store_install_rank(st, tn, D + 1, rr, 2, 1, &g_pol, &tc, 1,
                                    &installed, err, sizeof(err)) == 0);
        CHECK_INT(installed, 1);
        CHECK_INT(zcard(ns, tn, "outbox"), 1);
        /* Installed again (another worker, same day): nothing more. */
        CHECK(lr_store_install_rank(st, tn, D + 1, rr, 2, 1, &g_pol, &tc, 1,
                                    &installed, err, sizeof(err)) == 0);
        CHECK_INT(installed, 0);
        CHECK_INT(zcard(ns, tn, "outbox"), 1);
        /* Leased to the installer: nobody else hands it out yet. */
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms()), "");
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms() + 3600000), "t");
        /* The installer died: the lease runs out (here: made to). */
        snprintf(key, sizeof(key), "%s:{%s}:outbox", ns, tn);
        snprintf(ref, sizeof(ref), "r1#t%d", (int)(D + 1));
        rep = raw("ZADD %s XX 0 %s", key, ref);
        CHECK(rep->type == REDIS_REPLY_INTEGER);
        freeReplyObject(rep);
        snprintf(key, sizeof(key), "%s:outbox", ns);
        rep = raw("ZADD %s 0 %s", key, tn);
        freeReplyObject(rep);
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms()), "t");
        CHECK_INT(tick(st, tn, LR_STORE_NO_TIMERS, &r), LR_STORE_APPLIED);
        CHECK_INT(r.decisions_cnt, 0);
        CHECK_INT(r.tier_changes_cnt, 1);
        if (r.tier_changes_cnt == 1) {
                CHECK_STR(r.tier_changes[0].event_id, "t/r1/tier/x");
                CHECK_STR(r.tier_changes[0].rep_id, "r1");
                CHECK_INT(r.tier_changes[0].from_tier, 3);
                CHECK_INT(r.tier_changes[0].to_tier, 2);
                CHECK(r.tier_changes[0].composite == 0.9);
                CHECK(r.tier_changes[0].decided_at == tc.decided_at);
                CHECK_STR(r.tier_changes[0].reason, "promoted");
        }
        ack(st, &r);
        lr_store_result_clear(&r);
        CHECK_INT(zcard(ns, tn, "outbox"), 0);
        CHECK_STR(due(st, INT64_MIN + 1, lr_now_ms() + 3600000), "");
        store_close(st);
}

int main(void) {
        server_start();

        test_round_robin();
        test_weighted_round_robin();
        test_least_loaded();
        test_territory();
        test_owner_first();
        test_region_match();
        test_working_hours_dst();
        test_contact_after();
        test_queue_escalation();
        test_sla_reassignment();
        test_timer_clocks();
        test_outbox();
        test_daily_capacity();
        test_tier_change_outbox();

        redisFree(g_raw);
        server_stop();
        CHECK_DONE();
}
