/*
 * test_generate.c - the synthetic org: same seed same bytes, events in time
 * order with the fields of SPEC §2, plausible rates that rise with the
 * hidden skill.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "generate.h"
#include "timeutil.h"

#define TENANT "acme"

static lr_gen_opts_t test_opts(uint64_t seed) {
        lr_gen_opts_t o = {0};
        int64_t end;
        lr_iso8601_parse("2026-11-27", &end);
        o.tenant      = TENANT;
        o.reps        = 12;
        o.days        = 45;
        o.seed        = seed;
        o.end_day     = lr_day_of(end);
        o.fresh_leads = 120;
        return o;
}

/* The whole `generate` output for opts, as one malloc()ed string. */
static char *generate(const lr_gen_opts_t *o, size_t *len) {
        lr_gen_events_t evs = {0};
        char errstr[256], *buf = NULL;
        lr_gen_t *gen;
        FILE *fp;
        size_t i;

        gen = lr_gen_new(o, errstr, sizeof(errstr));
        CHECK(gen != NULL);
        if (!gen)
                return strdup("");
        fp = open_memstream(&buf, len);
        lr_gen_push_all(gen, &evs);
        for (i = 0; i < evs.cnt; i++)
                CHECK_INT(lr_gen_event_write(fp, &evs.v[i]), 0);
        fclose(fp);
        lr_gen_events_clear(&evs);
        lr_gen_free(gen);
        return buf;
}

static void test_determinism(void) {
        lr_gen_opts_t o = test_opts(42);
        size_t la, lb, lc;
        char *a = generate(&o, &la), *b = generate(&o, &lb), *c;

        CHECK(la > 10000);
        CHECK(la == lb && !memcmp(a, b, la));
        o.seed = 43;
        c      = generate(&o, &lc);
        CHECK(la != lc || memcmp(a, c, la));
        free(a);
        free(b);
        free(c);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *str(json_t *o, const char *k) {
        return json_string_value(json_object_get(o, k));
}

static int is_int(json_t *o, const char *k) {
        return json_is_integer(json_object_get(o, k));
}

static json_int_t num(json_t *o, const char *k) {
        return json_integer_value(json_object_get(o, k));
}

/* Every line is an envelope with the fields of SPEC §2, in time order, with
 * unique ids; history ends before --end; each history lead comes as an
 * imported assignment (its LeadCreated names the rep and the time) before
 * its outcomes, which are all that rep's; the fresh day's leads carry no
 * assignment; every spell ends in AVAILABLE. */
static void test_events(void) {
        lr_gen_opts_t o = test_opts(7);
        int64_t end_ms  = (int64_t)o.end_day * LR_MS_PER_DAY;
        size_t len, ids_cnt = 0, kinds[3] = {0}, i, imported = 0;
        char *out = generate(&o, &len), *line, *save = NULL;
        char **ids       = malloc(sizeof(*ids) * 200000);
        int64_t prev     = 0;
        json_t *away     = json_object(); /* rep -> 1 while not AVAILABLE */
        json_t *lead_rep = json_object();
        json_t *closed   = json_object();

        for (line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                json_error_t jerr;
                json_t *env = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
                json_t *ev;
                const char *topic;
                int64_t t = 0;

                CHECK(env != NULL);
                if (!env)
                        break;
                topic = str(env, "topic");
                ev    = json_object_get(env, "event");
                CHECK(topic != NULL && json_is_object(ev));
                CHECK(json_object_size(env) == 2);
                CHECK(str(ev, "event_id") != NULL);
                CHECK_STR(str(ev, "tenant_id"), TENANT);
                if (ids_cnt < 200000 && str(ev, "event_id"))
                        ids[ids_cnt++] = strdup(str(ev, "event_id"));

                if (!strcmp(topic, "lead-created")) {
                        json_t *attrs    = json_object_get(ev, "attributes");
                        const char *arep = str(attrs, "assigned_rep_id");
                        const char *lead = str(ev, "lead_id");
                        CHECK(lead != NULL);
                        CHECK(is_int(ev, "created_at"));
                        t = num(ev, "created_at");
                        CHECK(is_int(ev, "score"));
                        CHECK(num(ev, "score") >= 0 && num(ev, "score") <= 100);
                        if (json_object_get(ev, "tier"))
                                CHECK(num(ev, "tier") >= 1 &&
                                      num(ev, "tier") <= 3);
                        CHECK(json_is_object(attrs));
                        if (t < end_ms) {
                                /* history: an imported assignment */
                                char at[32];
                                imported++;
                                snprintf(at, sizeof(at), "%lld", (long long)t);
                                CHECK(arep && !strncmp(arep, "rep-", 4));
                                CHECK_STR(str(attrs, "assigned_at"), at);
                                CHECK(!json_object_get(ev, "contact_after"));
                                if (lead && arep) {
                                        CHECK(!json_object_get(lead_rep, lead));
                                        json_object_set_new(lead_rep, lead,
                                                            json_string(arep));
                                }
                        } else {
                                kinds[0]++;
                                CHECK(arep == NULL);
                                CHECK(!json_object_get(attrs, "assigned_at"));
                                CHECK(t >= end_ms + 8 * 3600000LL &&
                                      t < end_ms + 18 * 3600000LL);
                        }
                        if (json_object_get(ev, "contact_after"))
                                CHECK(num(ev, "contact_after") > t);
                } else if (!strcmp(topic, "call-outcome")) {
                        const char *oc   = str(ev, "outcome");
                        const char *lead = str(ev, "lead_id");
                        const char *rep  = str(ev, "rep_id");
                        kinds[1]++;
                        CHECK(lead != NULL && rep != NULL);
                        CHECK(is_int(ev, "occurred_at"));
                        t = num(ev, "occurred_at");
                        CHECK(t < end_ms);
                        CHECK(oc && lr_outcome_parse(oc) >= 0);
                        CHECK(is_int(ev, "duration_seconds") &&
                              num(ev, "duration_seconds") >= 0);
                        if (oc && !strcmp(oc, "CLOSED_WON"))
                                CHECK(num(ev, "deal_value_cents") >= 500000 &&
                                      num(ev, "deal_value_cents") <= 8000000);
                        else
                                CHECK(!json_object_get(ev, "deal_value_cents"));
                        if (lead && rep) {
                                /* The rep of the imported assignment, which
                                 * came first; nothing after terminal. */
                                const char *r0 = str(lead_rep, lead);
                                CHECK(r0 != NULL);
                                if (r0)
                                        CHECK_STR(rep, r0);
                                CHECK(!json_object_get(closed, lead));
                                if (oc && (!strcmp(oc, "CLOSED_WON") ||
                                           !strcmp(oc, "CLOSED_LOST") ||
                                           !strcmp(oc, "DISQUALIFIED")))
                                        json_object_set_new(closed, lead,
                                                            json_true());
                        }
                } else if (!strcmp(topic, "rep-status")) {
                        const char *st  = str(ev, "status");
                        const char *rep = str(ev, "rep_id");
                        kinds[2]++;
                        CHECK(rep != NULL && !strncmp(rep, "rep-", 4));
                        CHECK(is_int(ev, "occurred_at"));
                        t = num(ev, "occurred_at");
                        CHECK(st && lr_presence_parse(st) >= 0);
                        CHECK(!json_object_get(ev, "working_hours"));
                        if (json_object_get(ev, "until"))
                                CHECK(num(ev, "until") > t);
                        if (str(ev, "event_id") &&
                            strstr(str(ev, "event_id"), "-init")) {
                                CHECK_STR(st, "AVAILABLE");
                                CHECK(str(ev, "display_name") != NULL);
                                CHECK(str(ev, "team") != NULL);
                                CHECK(str(ev, "timezone") != NULL);
                                CHECK(json_array_size(
                                          json_object_get(ev, "regions")) >= 1);
                                CHECK(is_int(ev, "hired_at"));
                                CHECK(json_object_get(ev, "max_open_leads") ==
                                      NULL);
                                CHECK(t == end_ms - o.days * LR_MS_PER_DAY);
                        }
                        if (rep && st) {
                                if (!strcmp(st, "AVAILABLE")) {
                                        json_object_del(away, rep);
                                } else {
                                        CHECK(!json_object_get(away, rep));
                                        json_object_set_new(away, rep,
                                                            json_true());
                                }
                        }
                } else {
                        CHECK(!"unknown topic");
                }
                CHECK(t >= prev);
                prev = t;
                json_decref(env);
        }
        CHECK_INT(kinds[0], 120);
        CHECK(imported > 1500); /* ~31 working days x 8 x 12 reps */
        CHECK(kinds[1] > 5000);
        CHECK(kinds[2] >= 12 + 2 * 2 + 2); /* profiles, 2 OOO, 1 OFFLINE */
        CHECK_INT(json_object_size(away), 0);

        qsort(ids, ids_cnt, sizeof(*ids), cmp_str);
        for (i = 1; i < ids_cnt; i++)
                CHECK(strcmp(ids[i - 1], ids[i]) != 0);
        for (i = 0; i < ids_cnt; i++)
                free(ids[i]);
        free(ids);
        json_decref(away);
        json_decref(lead_rep);
        json_decref(closed);
        free(out);
}

typedef struct tally_s {
        double skill, resp;
        long leads, opp, won, lost, first_n;
        double first_min;
} tally_t;

static int cmp_skill(const void *a, const void *b) {
        double x = ((const tally_t *)a)->skill, y = ((const tally_t *)b)->skill;
        return x < y ? -1 : x > y;
}

static int cmp_resp(const void *a, const void *b) {
        double x = ((const tally_t *)a)->resp, y = ((const tally_t *)b)->resp;
        return x < y ? -1 : x > y;
}

static void sum(const tally_t *t, size_t from, size_t to, tally_t *s) {
        memset(s, 0, sizeof(*s));
        for (; from < to; from++) {
                s->leads += t[from].leads;
                s->opp += t[from].opp;
                s->won += t[from].won;
                s->lost += t[from].lost;
                s->first_min += t[from].first_min;
                s->first_n += t[from].first_n;
        }
}

/* Overall rates in the ranges the model promises; the top skill quartile
 * converts and wins more than the bottom one; responsive reps call sooner;
 * better leads convert more. */
static void test_rates(void) {
        lr_gen_opts_t o = test_opts(11);
        enum { REPS = 200, LEADS = 300 };
        tally_t t[REPS], all, lo, hi;
        long by_score[2][2] = {{0}}; /* [score >= 60][converted] */
        double value_sum    = 0;
        lr_gen_rng_t rng;
        char errstr[256];
        lr_gen_t *gen;
        size_t r, q = REPS / 4, c;
        int i;

        o.reps = REPS;
        gen    = lr_gen_new(&o, errstr, sizeof(errstr));
        CHECK(gen != NULL);
        if (!gen)
                return;
        CHECK_INT(lr_gen_rep_cnt(gen), REPS);
        CHECK_STR(lr_gen_rep(gen, 0)->rep_id, "rep-001");
        CHECK(lr_gen_rep(gen, REPS) == NULL);
        lr_gen_rng_seed(&rng, 99);
        memset(t, 0, sizeof(t));
        for (r = 0; r < REPS; r++) {
                t[r].skill = lr_gen_rep(gen, r)->skill;
                t[r].resp  = lr_gen_rep(gen, r)->responsiveness;
                for (i = 0; i < LEADS; i++) {
                        lr_gen_lead_t lead;
                        lr_gen_trajectory_t tr;
                        lr_outcome_t last;

                        lr_gen_draw_lead(gen, &rng, &lead);
                        CHECK(lead.score >= 0 && lead.score <= 100);
                        lr_gen_draw_outcomes(gen, r, lead.score, &rng, &tr);
                        CHECK(tr.cnt >= 1 && tr.cnt <= LR_GEN_MAX_CALLS);
                        for (c = 1; c < tr.cnt; c++)
                                CHECK(tr.calls[c].offset_ms >=
                                      tr.calls[c - 1].offset_ms);
                        CHECK(tr.calls[0].offset_ms >= 60000);
                        last = tr.calls[tr.cnt - 1].outcome;
                        CHECK(last == LR_OUTCOME_CLOSED_WON ||
                              last == LR_OUTCOME_CLOSED_LOST ||
                              last == LR_OUTCOME_DISQUALIFIED);
                        CHECK(tr.converted ==
                              (last != LR_OUTCOME_DISQUALIFIED));
                        CHECK(tr.won == (last == LR_OUTCOME_CLOSED_WON));
                        t[r].leads++;
                        t[r].opp += tr.converted;
                        t[r].won += tr.won;
                        t[r].lost += last == LR_OUTCOME_CLOSED_LOST;
                        t[r].first_min += tr.calls[0].offset_ms / 60000.0;
                        t[r].first_n++;
                        by_score[lead.score >= 60][tr.converted]++;
                        if (tr.won)
                                value_sum +=
                                    tr.calls[tr.cnt - 1].deal_value_cents /
                                    100.0;
                }
        }

        sum(t, 0, REPS, &all);
        printf("conversion %.3f, win rate %.3f, mean deal $%.0f, mean first "
               "call %.1f min\n",
               (double)all.opp / all.leads,
               (double)all.won / (all.won + all.lost), value_sum / all.won,
               all.first_min / all.first_n);
        CHECK((double)all.opp / all.leads > 0.10);
        CHECK((double)all.opp / all.leads < 0.35);
        CHECK((double)all.won / (all.won + all.lost) > 0.20);
        CHECK((double)all.won / (all.won + all.lost) < 0.40);
        CHECK(value_sum / all.won > 10000 && value_sum / all.won < 50000);

        qsort(t, REPS, sizeof(*t), cmp_skill);
        sum(t, 0, q, &lo);
        sum(t, REPS - q, REPS, &hi);
        printf("conversion by skill quartile: bottom %.3f, top %.3f\n",
               (double)lo.opp / lo.leads, (double)hi.opp / hi.leads);
        CHECK((double)hi.opp / hi.leads > 1.5 * lo.opp / lo.leads);
        CHECK((double)hi.won / (hi.won + hi.lost) >
              (double)lo.won / (lo.won + lo.lost));

        qsort(t, REPS, sizeof(*t), cmp_resp);
        sum(t, 0, q, &lo);
        sum(t, REPS - q, REPS, &hi);
        CHECK(hi.first_min / hi.first_n < lo.first_min / lo.first_n);

        CHECK((double)by_score[1][1] / (by_score[1][0] + by_score[1][1]) >
              (double)by_score[0][1] / (by_score[0][0] + by_score[0][1]));
        lr_gen_free(gen);
}

/* The history as `generate` writes it: round robin spreads the leads evenly
 * and the skilled reps still convert more. */
static void test_history_by_skill(void) {
        lr_gen_opts_t o     = test_opts(5);
        lr_gen_events_t evs = {0};
        tally_t t[40];
        char errstr[256];
        lr_gen_t *gen;
        size_t i, q = 10;
        tally_t lo, hi;
        long min_leads = -1, max_leads = 0;

        o.reps        = 40;
        o.days        = 90;
        o.fresh_leads = 0;
        gen           = lr_gen_new(&o, errstr, sizeof(errstr));
        CHECK(gen != NULL);
        if (!gen)
                return;
        lr_gen_push_history(gen, &evs);
        memset(t, 0, sizeof(t));
        for (i = 0; i < 40; i++)
                t[i].skill = lr_gen_rep(gen, i)->skill;
        for (i = 0; i < evs.cnt; i++) {
                const lr_event_t *ev = &evs.v[i].ev;
                const char *rep      = NULL;
                int64_t at           = 0;
                char err[128];
                int r;

                /* Each lead is one imported assignment. */
                if (ev->kind == LR_EV_LEAD_CREATED) {
                        CHECK_INT(lr_lead_imported_assignment(
                                      &ev->u.lead, &rep, &at, err, sizeof(err)),
                                  1);
                        CHECK(at == ev->u.lead.created_at);
                } else {
                        CHECK(ev->kind == LR_EV_CALL_OUTCOME);
                        rep = ev->u.call.rep_id;
                }
                r = rep ? atoi(rep + 4) - 1 : -1;
                CHECK(r >= 0 && r < 40);
                if (r < 0 || r >= 40)
                        continue;
                if (ev->kind == LR_EV_LEAD_CREATED)
                        t[r].leads++;
                else if (ev->u.call.outcome == LR_OUTCOME_OPPORTUNITY_CREATED)
                        t[r].opp++;
        }
        for (i = 0; i < 40; i++) {
                if (min_leads < 0 || t[i].leads < min_leads)
                        min_leads = t[i].leads;
                if (t[i].leads > max_leads)
                        max_leads = t[i].leads;
        }
        /* ~64 working days x 8 leads per rep. */
        CHECK(min_leads > 400 && max_leads < 650);
        CHECK(max_leads - min_leads <= 5);
        qsort(t, 40, sizeof(*t), cmp_skill);
        sum(t, 0, q, &lo);
        sum(t, 40 - q, 40, &hi);
        CHECK((double)hi.opp / hi.leads > (double)lo.opp / lo.leads);
        lr_gen_events_clear(&evs);
        lr_gen_free(gen);
}

static void test_bad_options(void) {
        lr_gen_opts_t o = test_opts(1);
        char errstr[256];
        char *argv[] = {"generate", "--reps", "3", NULL};

        o.reps = 0;
        CHECK(lr_gen_new(&o, errstr, sizeof(errstr)) == NULL);
        CHECK(strstr(errstr, "reps") != NULL);
        o        = test_opts(1);
        o.tenant = "";
        CHECK(lr_gen_new(&o, errstr, sizeof(errstr)) == NULL);
        CHECK_INT(lr_generate_main(3, argv), 2); /* no --tenant */
}

int main(void) {
        test_determinism();
        test_events();
        test_rates();
        test_history_by_skill();
        test_bad_options();
        CHECK_DONE();
}
