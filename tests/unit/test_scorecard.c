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

        lr_rank_prepare(reps, NREPS, AS_OF, &pol, ranks);
        lr_rank_compute(ranks, NREPS, &pol);
        lr_rank_evaluate_tiers(ranks, NREPS, &pol);
        for (i = 0; i < NREPS; i++)
                CHECK(ranks[i].rep_id == reps[i].rep_id);
}

/* Renders into a malloc()ed string. */
static char *render(const char *format, const char *tenant, int *rc, char *err,
                    size_t errsize) {
        char *buf  = NULL;
        size_t len = 0;
        FILE *f    = open_memstream(&buf, &len);

        *rc = lr_scorecard_render(f, format, tenant, AS_OF, reps, ranks, NREPS,
                                  &pol, err, errsize);
        fclose(f);
        return buf;
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
                        /* value: null without samples (SPEC §5) */
                        if (integer(one, "samples") > 0)
                                num(one, "value");
                        else
                                CHECK(json_is_null(
                                    json_object_get(one, "value")));
                        num(one, "score");
                }
                m = field(r, "counts", JSON_OBJECT);
                for (c = 0; m && c < sizeof(counts) / sizeof(*counts); c++)
                        integer(m, counts[c]);
        }

        /* rep-a: the numbers of the comment above */
        r = json_array_get(arr, 0);
        CHECK_NEAR(num(r, "composite"), 0.725, EPS);
        CHECK_INT(integer(r, "tier"), 1);
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
        char err[256] = "", *out, *l[16];
        int rc, n, i;

        out = render("table", "acme", &rc, err, sizeof(err));
        CHECK_INT(rc, 0);
        n = lines(out, l, 16);
        CHECK_INT(n, 1 + 1 + NREPS); /* title, column heads, reps */
        if (n == 1 + 1 + NREPS) {
                CHECK(strstr(l[0], "acme") && strstr(l[0], "2026-11-27"));
                CHECK(!strncmp(l[1], "RANK", 4));
                for (i = 2; i < n; i++) /* aligned: equal widths */
                        CHECK_INT(strlen(l[i]), strlen(l[1]));
                CHECK(strstr(l[2], "rep-a") && strstr(l[2], "0.725"));
                CHECK(strstr(l[3], "rep-e") && strstr(l[3], "ramp 0/20"));
                CHECK(strstr(l[4], "rep-c, x") && strstr(l[4], "0.525"));
                CHECK(strstr(l[4], "50.0%"));   /* win rate */
                CHECK(strstr(l[4], "2000.00")); /* deal size */
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
        CHECK(strstr(out, "<td class=\"t\">rep-a</td>") != NULL);
        CHECK(strstr(out, "<tr class=\"departed\">") != NULL);
        CHECK(strstr(out, "</html>") != NULL);
        free(out);
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
        CHECK_DONE();
}
