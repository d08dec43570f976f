/*
 * test_scorecard.c - the scorecard in its four formats from hand-made store
 * reps; the JSON form is parsed back with jansson and checked field by
 * field against the SPEC §5 contract.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "rank_prepare.h"
#include "scorecard.h"

#define AS_OF 20784 /* 2026-11-27 */
#define EPS 1e-9
#define NREPS 5

static lr_bucket_t b_a[2], b_b[1], b_c[1], b_d[1];
static lr_store_rep_t reps[NREPS];
static lr_rep_rank_t ranks[NREPS];
static lr_policy_t pol;
static lr_ranking_t ranking;
static lr_scorecard_t sc;

static void store_rep(lr_store_rep_t *r, const char *id, int tier,
                      int64_t handled, int active, const char *status,
                      int64_t open, lr_bucket_t *b, size_t bcnt) {
        memset(r, 0, sizeof(*r));
        r->rep_id  = (char *)id;
        r->tier    = tier;
        r->handled = handled;
        r->active  = active;
        snprintf(r->status, sizeof(r->status), "%s", status);
        r->open_leads  = open;
        r->buckets     = b;
        r->buckets_cnt = bcnt;
}

static void build(const char *team) {
        char err[256] = "";
        lr_scorecard_clear(&sc);
        CHECK_INT(lr_scorecard_build(&sc, "acme", AS_OF, &ranking, &ranking, 1,
                                     reps, NREPS, &pol, team, err, sizeof(err)),
                  0);
}

/*
 * Same numbers as test_rank.c's test_metrics (shrinkage off):
 *   rep-a composite 0.725, "rep-c, x" 0.425, rep-b 0.35.
 * rep-e has no data yet, so it sits at the tenant's pooled mean on every
 * metric: conversion 12/12 = 1 -> .5; win 6/12 = .5 -> .5; deal
 * 1000000/6 = 166666.67 -> (166666.67 - 100000)/200000 = 1/3; cycle
 * 80/4 = 20 -> .5; speed 90/13 = 6.923 -> (15 - 90/13)/10 = 0.8077.
 * composite = .15 + .125 + .2/3 + .075 + .08077 = 0.49744 -> rank 2.
 * rep-d departed: rank 0, listed last.
 * Tier 2 (rep-b .35, rep-c .425; rep-e ramps in tier 3): to reach tier 1
 * rep-c needs 1.2 * .35 / (2 - 1.2) = 0.525, rep-b 1.2 * .425 / .8 =
 * 0.6375.
 */
static void setup(void) {
        int i;

        lr_policy_defaults(&pol);
        pol.shrinkage = 0;
        memset(b_a, 0, sizeof(b_a));
        memset(b_b, 0, sizeof(b_b));
        memset(b_c, 0, sizeof(b_c));
        memset(b_d, 0, sizeof(b_d));
        b_a[0].day = b_b[0].day = b_c[0].day = b_d[0].day = AS_OF - 45;
        b_a[0].n[1] = 10, b_a[0].c[1] = 6, b_a[0].x[1] = 1;
        b_b[0].n[1] = 10, b_b[0].c[1] = 2;
        b_c[0].n[1] = 10, b_c[0].c[1] = 4;
        b_a[0].calls = 20;
        b_a[0].won = 3, b_a[0].lost = 1, b_a[0].won_value_cents = 300000;
        b_b[0].won = 1, b_b[0].lost = 3, b_b[0].won_value_cents = 300000;
        b_c[0].won = 2, b_c[0].lost = 2, b_c[0].won_value_cents = 400000;
        b_a[0].cycle_days_sum = 40, b_a[0].cycle_n = 2;
        b_b[0].cycle_days_sum = 10, b_b[0].cycle_n = 1;
        b_c[0].cycle_days_sum = 30, b_c[0].cycle_n = 1;
        b_a[0].stl_minutes_sum = 50, b_a[0].stl_n = 10;
        b_b[0].stl_minutes_sum = 30, b_b[0].stl_n = 2;
        b_c[0].stl_minutes_sum = 10, b_c[0].stl_n = 1;
        /* outside the window: must not show in any count */
        b_a[1].day   = AS_OF - 100;
        b_a[1].won   = 50;
        b_a[1].calls = 500;
        b_d[0].won   = 9;

        /* store order (by rep_id), not rank order */
        store_rep(&reps[0], "rep-a", 1, 100, 1, "AVAILABLE", 3, b_a, 2);
        store_rep(&reps[1], "rep-b", 2, 100, 1, "IN_MEETING", 25, b_b, 1);
        store_rep(&reps[2], "rep-c, x", 2, 100, 1, "BUSY", 0, b_c, 1);
        store_rep(&reps[3], "rep-d", 3, 100, 0, "DEPARTED", 0, b_d, 1);
        store_rep(&reps[4], "rep-e", 3, 0, 1, "OFFLINE", 0, NULL, 0);

        reps[0].display_name = "Ann <A>";
        reps[0].team         = "Orcas";
        reps[2].team         = "Orcas";
        reps[1].team         = "Lynx";

        lr_rank_prepare(reps, NREPS, AS_OF, &pol, ranks);
        lr_rank_compute(ranks, NREPS, &pol);
        for (i = 0; i < NREPS; i++) {
                CHECK(ranks[i].rep_id == reps[i].rep_id);
                ranks[i].new_tier = ranks[i].tier; /* routed with */
        }
        ranking.day       = AS_OF;
        ranking.evaluated = 1;
        ranking.ranks     = ranks;
        ranking.cnt       = NREPS;
        build(NULL);
}

/* Renders into a malloc()ed string. */
static char *render_rep(const char *format, const char *rep, int *rc, char *err,
                        size_t errsize) {
        lr_sc_render_t opt = {format, rep, 0};
        char *buf          = NULL;
        size_t len         = 0;
        FILE *f            = open_memstream(&buf, &len);

        *rc = lr_scorecard_render(f, &sc, &opt, err, errsize);
        fclose(f);
        return buf;
}

static char *render(const char *format, const char *tenant, int *rc, char *err,
                    size_t errsize) {
        sc.tenant = tenant;
        return render_rep(format, NULL, rc, err, errsize);
}

static json_t *field(json_t *obj, const char *key, int type) {
        json_t *v = json_object_get(obj, key);
        if (!v || (type >= 0 && (int)json_typeof(v) != type &&
                   !(type == JSON_REAL && json_is_integer(v)))) {
                fprintf(stderr, "missing or mistyped field \"%s\"\n", key);
                lr_check_failures++;
                return NULL;
        }
        return v;
}

static double num(json_t *obj, const char *key) {
        json_t *v = field(obj, key, JSON_REAL);
        return v ? json_number_value(v) : -12345;
}

static long long integer(json_t *obj, const char *key) {
        json_t *v = field(obj, key, JSON_INTEGER);
        return v ? (long long)json_integer_value(v) : -12345;
}

static const char *str(json_t *obj, const char *key) {
        json_t *v = field(obj, key, JSON_STRING);
        return v ? json_string_value(v) : NULL;
}

static void test_json(void) {
        static const char *order[NREPS] = {"rep-a", "rep-e", "rep-c, x",
                                           "rep-b", "rep-d"};
        static const char *counts[]     = {"leads_assigned", "calls",
                                           "opportunities",  "won",
                                           "lost",           "won_value_cents"};
        char err[256]                   = "";
        json_error_t jerr;
        json_t *root, *arr, *r, *m;
        char *out;
        int rc, i, k;
        size_t c;

        out = render("json", "acme", &rc, err, sizeof(err));
        CHECK_INT(rc, 0);
        root = json_loads(out, 0, &jerr);
        CHECK(root != NULL);
        free(out);
        if (!root) {
                fprintf(stderr, "json: %s\n", jerr.text);
                return;
        }
        CHECK_STR(str(root, "tenant_id"), "acme");
        CHECK_STR(str(root, "as_of"), "2026-11-27");
        CHECK_STR(str(root, "ranking_day"), "2026-11-27");
        CHECK(json_is_null(json_object_get(root, "team")));
        field(root, "leaderboards", JSON_OBJECT);
        field(root, "teams", JSON_ARRAY);
        field(root, "tier_movements", JSON_ARRAY);
        arr = field(root, "reps", JSON_ARRAY);
        CHECK(arr && json_array_size(arr) == NREPS);
        if (!arr || json_array_size(arr) != NREPS) {
                json_decref(root);
                return;
        }
        for (i = 0; i < NREPS; i++) {
                r = json_array_get(arr, (size_t)i);
                CHECK_STR(str(r, "rep_id"), order[i]);
                CHECK_INT(integer(r, "rank"), i < 4 ? i + 1 : 0);
                integer(r, "tier");
                num(r, "composite");
                str(r, "status");
                integer(r, "open_leads");
                m = field(r, "metrics", JSON_OBJECT);
                for (k = 0; m && k < LR_METRIC_CNT; k++) {
                        json_t *one = field(m, lr_metric_name(k), JSON_OBJECT);
                        if (!one)
                                continue;
                        /* a number, or null without samples */
                        if (!json_is_null(field(one, "value", -1)))
                                num(one, "value");
                        num(one, "score");
                        field(one, "to_next_tier", -1);
                        field(one, "tier_mean", -1);
                        field(one, "next_tier_mean", -1);
                }
                m = field(r, "counts", JSON_OBJECT);
                for (c = 0; m && c < sizeof(counts) / sizeof(*counts); c++)
                        integer(m, counts[c]);
        }

        /* rep-a: the numbers of the comment above */
        r = json_array_get(arr, 0);
        CHECK_NEAR(num(r, "composite"), 0.725, EPS);
        CHECK_INT(integer(r, "tier"), 1);
        CHECK_STR(str(r, "display_name"), "Ann <A>");
        CHECK_STR(str(r, "team"), "Orcas");
        CHECK_STR(str(r, "status"), "AVAILABLE");
        CHECK_INT(integer(r, "open_leads"), 3);
        m = json_object_get(r, "metrics");
        CHECK_NEAR(num(json_object_get(m, "conversion"), "value"), 1.5, EPS);
        CHECK_NEAR(num(json_object_get(m, "conversion"), "score"), 1, EPS);
        CHECK_NEAR(num(json_object_get(m, "win_rate"), "value"), .75, EPS);
        CHECK_NEAR(num(json_object_get(m, "deal_size"), "value"), 100000, EPS);
        CHECK_NEAR(num(json_object_get(m, "deal_size"), "score"), 0, EPS);
        CHECK_NEAR(num(json_object_get(m, "cycle_days"), "value"), 20, EPS);
        CHECK_NEAR(num(json_object_get(m, "cycle_days"), "score"), .5, EPS);
        CHECK_NEAR(num(json_object_get(m, "speed_to_lead"), "value"), 5, EPS);
        m = json_object_get(r, "counts");
        CHECK_INT(integer(m, "leads_assigned"), 10);
        CHECK_INT(integer(m, "calls"), 20);
        CHECK_INT(integer(m, "opportunities"), 6);
        CHECK_INT(integer(m, "won"), 3);
        CHECK_INT(integer(m, "lost"), 1);
        CHECK_INT(integer(m, "won_value_cents"), 300000);
        CHECK(json_is_null(json_object_get(r, "next_tier_composite")));

        /* rep-e: the pooled means */
        r = json_array_get(arr, 1);
        CHECK_NEAR(num(r, "composite"),
                   .15 + .125 + .2 / 3 + .075 + .1 * (15 - 90.0 / 13) / 10,
                   EPS);
        CHECK(json_is_true(json_object_get(r, "ramping")));
        m = json_object_get(r, "metrics");
        CHECK(json_is_null(
            json_object_get(json_object_get(m, "deal_size"), "value")));
        CHECK(json_is_null(
            json_object_get(json_object_get(m, "win_rate"), "value")));
        CHECK_INT(integer(json_object_get(m, "win_rate"), "samples"), 0);
        CHECK_NEAR(num(json_object_get(m, "deal_size"), "score"), 1.0 / 3, EPS);

        r = json_array_get(arr, 2); /* rep-c, x */
        CHECK_NEAR(num(r, "next_tier_composite"), 0.525, EPS);
        CHECK_NEAR(num(r, "tier_mean"), (0.35 + 0.425) / 2, EPS);
        r = json_array_get(arr, 3); /* rep-b */
        CHECK_NEAR(num(r, "next_tier_composite"), 0.6375, EPS);
        CHECK_STR(str(r, "status"), "IN_MEETING");
        CHECK_INT(integer(r, "open_leads"), 25);

        r = json_array_get(arr, 4); /* rep-d */
        CHECK_NEAR(num(r, "composite"), 0, 0);
        CHECK(json_is_false(json_object_get(r, "active")));
        CHECK_INT(integer(json_object_get(r, "counts"), "won"), 9);
        json_decref(root);
}

/* Lines of s (modified in place). */
static int lines(char *s, char **out, int max) {
        int n = 0;
        char *save, *l;
        for (l = strtok_r(s, "\n", &save); l && n < max;
             l = strtok_r(NULL, "\n", &save))
                out[n++] = l;
        return n;
}

static void test_table(void) {
        char err[256] = "", *out, *l[64];
        int rc, n, i;

        out = render("table", "acme", &rc, err, sizeof(err));
        CHECK_INT(rc, 0);
        n = lines(out, l, 64);
        CHECK(n >= 1 + 1 + NREPS); /* title, column heads, reps, more */
        if (n >= 1 + 1 + NREPS) {
                CHECK(strstr(l[0], "acme") && strstr(l[0], "2026-11-27"));
                CHECK(!strncmp(l[1], "RANK", 4));
                for (i = 2; i < 2 + NREPS; i++) /* aligned: equal widths */
                        CHECK_INT(strlen(l[i]), strlen(l[1]));
                CHECK(strstr(l[2], "rep-a") && strstr(l[2], "0.725"));
                CHECK(strstr(l[3], "rep-e") && strstr(l[3], "ramp 0/20"));
                CHECK(strstr(l[4], "rep-c, x") && strstr(l[4], "0.525"));
                CHECK(strstr(l[4], "50.0%"));    /* win rate */
                CHECK(strstr(l[4], "2,000.00")); /* deal size */
                CHECK(strstr(l[5], "rep-b") && strstr(l[5], "IN_MEETING"));
                CHECK(strstr(l[6], "rep-d") && strstr(l[6], "DEPARTED"));
                CHECK(l[2][strlen(l[2]) - 1] == '-'); /* tier 1: no next */
        }
        free(out);
}

static void test_csv(void) {
        char err[256] = "", *out, *l[16];
        int rc, n;

        out = render("csv", "acme", &rc, err, sizeof(err));
        CHECK_INT(rc, 0);
        n = lines(out, l, 16);
        CHECK_INT(n, 1 + NREPS);
        if (n == 1 + NREPS) {
                CHECK(!strncmp(l[0], "tenant_id,as_of,rank,rep_id,tier,", 33));
                CHECK(strstr(l[0], ",conversion,conversion_score,"));
                CHECK(!strncmp(l[1],
                               "acme,2026-11-27,1,rep-a,1,0.725000,"
                               "AVAILABLE,3,1.500000,1.000000,",
                               63));
                CHECK(!strncmp(l[3], "acme,2026-11-27,3,\"rep-c, x\",2,", 31));
                CHECK(strstr(l[3], ",0.525000"));
                CHECK(strstr(l[1], ",10,20,6,3,1,300000,"));
        }
        free(out);
}

static void test_html(void) {
        char err[256] = "", *out;
        int rc;

        out = render("html", "a<b&c", &rc, err, sizeof(err));
        CHECK_INT(rc, 0);
        CHECK(!strncmp(out, "<!DOCTYPE html>", 15));
        CHECK(strstr(out, "a&lt;b&amp;c") != NULL);
        CHECK(strstr(out, "a<b&c") == NULL);
        CHECK(strstr(out, "data-rep=\"rep-a\"") != NULL);
        CHECK(strstr(out, "Ann &lt;A&gt;") != NULL);
        CHECK(strstr(out, "<tr class=\"departed\" data-rep=\"rep-d\"") != NULL);
        CHECK(strstr(out, "data-chart=\"distribution\"") != NULL);
        CHECK(strstr(out, "data-chart=\"leaderboard\"") != NULL);
        CHECK(strstr(out, "</html>") != NULL);
        /* self-contained: nothing to fetch, nothing to run */
        CHECK(strstr(out, "<script") == NULL);
        CHECK(strstr(out, "src=") == NULL);
        CHECK(strstr(out, "@import") == NULL);
        CHECK(strstr(out, "url(") == NULL);
        CHECK(strstr(out, "href=\"http") == NULL);
        free(out);
}

/* The page of one rep, in JSON: its history, coaching and per-metric
 * distance, the same figures lr_tier_distance_metric gives. */
static void test_rep_json(void) {
        char err[256] = "", *out;
        json_t *root, *arr, *r, *m;
        int rc, k, i;

        out  = render_rep("json", "rep-c, x", &rc, err, sizeof(err));
        root = json_loads(out, 0, NULL);
        free(out);
        CHECK_INT(rc, 0);
        CHECK(root != NULL);
        if (!root)
                return;
        arr = json_object_get(root, "reps");
        CHECK_INT(json_array_size(arr), 1);
        r = json_array_get(arr, 0);
        CHECK_STR(str(r, "rep_id"), "rep-c, x");
        CHECK_INT(json_array_size(json_object_get(r, "history")), 1);
        CHECK(json_object_get(root, "leaderboards") == NULL);
        m = json_object_get(r, "metrics");
        i = lr_scorecard_find(&sc, "rep-c, x");
        CHECK(i >= 0);
        for (k = 0; i >= 0 && k < LR_METRIC_CNT; k++) {
                json_t *t = json_object_get(
                    json_object_get(m, lr_metric_name(k)), "to_next_tier");
                double v;
                lr_tier_distance_t st =
                    lr_tier_distance_metric(sc.ranks, sc.cnt, i, k, &pol, &v);
                if (st == LR_TIER_DISTANCE_REACHED)
                        CHECK_NEAR(json_number_value(t), v,
                                   1e-10 * fmax(1, fabs(v)));
                else
                        CHECK(json_is_null(t));
        }
        field(r, "coaching", JSON_ARRAY);
        json_decref(root);

        out = render_rep("json", "nobody", &rc, err, sizeof(err));
        CHECK_INT(rc, -1);
        CHECK(strstr(err, "nobody") != NULL);
        free(out);
}

static void test_team_filter(void) {
        char err[256] = "", *out;
        json_t *root, *arr;
        int rc;

        build("Orcas");
        out  = render("json", "acme", &rc, err, sizeof(err));
        root = json_loads(out, 0, NULL);
        free(out);
        CHECK(root != NULL);
        if (root) {
                arr = json_object_get(root, "reps");
                CHECK_INT(json_array_size(arr), 2);
                CHECK_STR(str(json_array_get(arr, 0), "rep_id"), "rep-a");
                CHECK_STR(str(json_array_get(arr, 1), "rep_id"), "rep-c, x");
                CHECK_STR(str(root, "team"), "Orcas");
                arr = json_object_get(root, "teams");
                CHECK_INT(json_array_size(arr), 1);
                CHECK_STR(str(json_array_get(arr, 0), "team"), "Orcas");
                CHECK_NEAR(num(json_array_get(arr, 0), "composite"),
                           (0.725 + 0.425) / 2, EPS);
                json_decref(root);
        }
        build(NULL);
}

/* Two days of history: a promotion on the first shows as the month's tier
 * movement and in the rep's history; a date without its own ranking says
 * which one is shown. */
static void test_history(void) {
        lr_rep_rank_t before[NREPS];
        lr_ranking_t hist[2];
        char err[256] = "", *out;
        int rc, k;

        memcpy(before, ranks, sizeof(before));
        before[1].tier     = 3; /* rep-b: 3 -> 2 on AS_OF - 1 */
        before[1].new_tier = 2;
        before[1].rank     = 4;
        hist[0]            = ranking;
        hist[0].day        = AS_OF - 1;
        hist[0].ranks      = before;
        hist[1]            = ranking;
        lr_scorecard_clear(&sc);
        CHECK_INT(lr_scorecard_build(&sc, "acme", AS_OF + 2, &hist[1], hist, 2,
                                     reps, NREPS, &pol, NULL, err, sizeof(err)),
                  0);
        CHECK_INT(sc.moves_cnt, 1);
        if (sc.moves_cnt == 1) {
                CHECK_STR(sc.reps[sc.moves[0].rep].rep_id, "rep-b");
                CHECK_INT(sc.moves[0].from, 3);
                CHECK_INT(sc.moves[0].to, 2);
                CHECK_INT(sc.moves[0].day, AS_OF - 1);
        }
        k = lr_scorecard_find(&sc, "rep-b");
        CHECK_INT(sc.reps[k].history_cnt, 2);
        CHECK_INT(sc.reps[k].history[0].rank, 4);
        CHECK_INT(sc.reps[k].history[1].rank, 4 - 0); /* rank 4 today too */
        out = render("table", "acme", &rc, err, sizeof(err));
        CHECK(strstr(out, "No ranking was installed on 2026-11-29") != NULL);
        CHECK(strstr(out, "2026-11-26  rep-b  tier 3 -> 2") != NULL);
        free(out);
        out = render("html", "acme", &rc, err, sizeof(err));
        CHECK(strstr(out, "data-table=\"moves\"") != NULL);
        free(out);
        build(NULL);
}

static void test_texts(void) {
        char buf[64];

        lr_scorecard_metric_text(LR_METRIC_DEAL_SIZE, 123456789, buf,
                                 sizeof(buf));
        CHECK_STR(buf, "1,234,567.89");
        lr_scorecard_metric_text(LR_METRIC_DEAL_SIZE, 99, buf, sizeof(buf));
        CHECK_STR(buf, "0.99");
        lr_scorecard_change_text(LR_METRIC_CONVERSION, 0.1234, buf,
                                 sizeof(buf));
        CHECK_STR(buf, "+0.12x");
        lr_scorecard_change_text(LR_METRIC_CYCLE_DAYS, -3.14, buf, sizeof(buf));
        CHECK_STR(buf, "-3.1 days");
        lr_scorecard_change_text(LR_METRIC_WIN_RATE, 0.05, buf, sizeof(buf));
        CHECK_STR(buf, "+5.0 pts");
        lr_scorecard_change_text(LR_METRIC_DEAL_SIZE, -150000, buf,
                                 sizeof(buf));
        CHECK_STR(buf, "-1,500.00");
        lr_scorecard_page_name("rep-c, x/é", buf, sizeof(buf));
        CHECK_STR(buf, "rep-rep-c_2C_20x_2F_C3_A9.html");
}

static void test_bad_format(void) {
        char err[256] = "", *out;
        int rc;

        out = render("xml", "acme", &rc, err, sizeof(err));
        CHECK_INT(rc, -1);
        CHECK(strstr(err, "\"xml\"") != NULL);
        CHECK_STR(out, "");
        free(out);
}

int main(void) {
        setup();
        test_json();
        test_table();
        test_csv();
        test_html();
        test_bad_format();
        test_rep_json();
        test_team_filter();
        test_history();
        test_texts();
        lr_scorecard_clear(&sc);
        CHECK_DONE();
}
