/*
 * scorecard.c - renders the scorecard (see scorecard.h) in four formats
 * from one list of rows, so every format shows the same reps in the same
 * order with the same numbers. The JSON form is a contract (SPEC §5):
 * fields may be added, never removed or renamed.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scorecard.h"
#include "timeutil.h"

typedef struct lr_sc_row_s {
        const lr_store_rep_t *rep;
        const lr_rep_rank_t *rk;
        double target; /* composite needed for promotion, -1 = none */
        int ramping;
        double opportunities;
} lr_sc_row_t;

/* Table and HTML columns. */
enum {
        LR_SC_RANK = 0,
        LR_SC_REP,
        LR_SC_TIER,
        LR_SC_COMPOSITE,
        LR_SC_STATUS,
        LR_SC_OPEN,
        LR_SC_METRIC0, /* five metric columns */
        LR_SC_NEXT = LR_SC_METRIC0 + LR_METRIC_CNT,
        LR_SC_COLS
};

static const char *lr_sc_titles[LR_SC_COLS] = {
    "RANK",      "REP",   "TIER",       "COMPOSITE",
    "STATUS",    "OPEN",  "CONVERSION", "WIN RATE",
    "DEAL SIZE", "CYCLE", "SPEED",      "TO NEXT TIER"};

static int lr_sc_row_cmp(const void *a, const void *b) {
        const lr_sc_row_t *x = a, *y = b;

        if (!!x->rk->active != !!y->rk->active)
                return x->rk->active ? -1 : 1;
        if (x->rk->active && x->rk->rank != y->rk->rank)
                return x->rk->rank < y->rk->rank ? -1 : 1;
        return strcmp(x->rep->rep_id ? x->rep->rep_id : "",
                      y->rep->rep_id ? y->rep->rep_id : "");
}

static lr_sc_row_t *lr_sc_rows(const lr_store_rep_t *reps,
                               const lr_rep_rank_t *ranks, int cnt,
                               const lr_policy_t *p) {
        lr_sc_row_t *rows = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof(*rows));
        int i, k;

        if (!rows)
                return NULL;
        for (i = 0; i < cnt; i++) {
                rows[i].rep     = &reps[i];
                rows[i].rk      = &ranks[i];
                rows[i].target  = lr_rank_promotion_target(ranks, cnt, i, p);
                rows[i].ramping = lr_rank_is_ramping(&ranks[i], p);
                for (k = 0; k < LR_TIER_CLASSES; k++)
                        rows[i].opportunities += ranks[i].tally.converted[k];
        }
        qsort(rows, (size_t)cnt, sizeof(*rows), lr_sc_row_cmp);
        return rows;
}

/* A metric value for people: "-" without data. */
static void lr_sc_metric_text(const lr_sc_row_t *row, lr_metric_t m, char *buf,
                              size_t size) {
        double v = row->rk->value[m];

        if (lr_rank_samples(&row->rk->tally, m) <= 0) {
                snprintf(buf, size, "-");
                return;
        }
        switch (m) {
        case LR_METRIC_CONVERSION: /* 1.00x = as expected for its leads */
                snprintf(buf, size, "%.2fx", v);
                break;
        case LR_METRIC_WIN_RATE:
                snprintf(buf, size, "%.1f%%", v * 100);
                break;
        case LR_METRIC_DEAL_SIZE:
                snprintf(buf, size, "%.2f", v / 100);
                break;
        case LR_METRIC_CYCLE_DAYS:
                snprintf(buf, size, "%.1f d", v);
                break;
        case LR_METRIC_SPEED_TO_LEAD:
                snprintf(buf, size, "%.1f min", v);
                break;
        }
}

/* The text cells of one row for the table and the HTML page. */
static void lr_sc_cells(const lr_sc_row_t *row, const lr_policy_t *p,
                        char buf[LR_SC_COLS][48],
                        const char *cell[LR_SC_COLS]) {
        const lr_rep_rank_t *rk = row->rk;
        int c, m;

        for (c = 0; c < LR_SC_COLS; c++)
                cell[c] = buf[c];
        if (rk->active)
                snprintf(buf[LR_SC_RANK], 48, "%d", rk->rank);
        else
                snprintf(buf[LR_SC_RANK], 48, "-");
        cell[LR_SC_REP]    = row->rep->rep_id ? row->rep->rep_id : "";
        cell[LR_SC_STATUS] = rk->active ? row->rep->status : "DEPARTED";
        snprintf(buf[LR_SC_TIER], 48, "%d", rk->tier);
        snprintf(buf[LR_SC_COMPOSITE], 48, "%.3f", rk->composite);
        snprintf(buf[LR_SC_OPEN], 48, "%lld", (long long)row->rep->open_leads);
        for (m = 0; m < LR_METRIC_CNT; m++)
                lr_sc_metric_text(row, m, buf[LR_SC_METRIC0 + m], 48);
        if (!rk->active || rk->tier == 1)
                snprintf(buf[LR_SC_NEXT], 48, "-");
        else if (row->ramping)
                snprintf(buf[LR_SC_NEXT], 48, "ramp %lld/%d",
                         (long long)rk->handled, p->ramp_min_leads);
        else if (row->target < 0)
                snprintf(buf[LR_SC_NEXT], 48, "n/a");
        else
                snprintf(buf[LR_SC_NEXT], 48, "%.3f", row->target);
}

static int lr_sc_table(FILE *out, const char *tenant, const char *as_of,
                       const lr_sc_row_t *rows, int cnt, const lr_policy_t *p) {
        char(*buf)[LR_SC_COLS][48]      = NULL;
        const char *(*cell)[LR_SC_COLS] = NULL;
        size_t width[LR_SC_COLS];
        int r, c;

        buf  = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof(*buf));
        cell = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof(*cell));
        if (!buf || !cell) {
                free(buf);
                free(cell);
                return -1;
        }
        for (c = 0; c < LR_SC_COLS; c++)
                width[c] = strlen(lr_sc_titles[c]);
        for (r = 0; r < cnt; r++) {
                lr_sc_cells(&rows[r], p, buf[r], cell[r]);
                for (c = 0; c < LR_SC_COLS; c++)
                        if (strlen(cell[r][c]) > width[c])
                                width[c] = strlen(cell[r][c]);
        }

        fprintf(out,
                "Scorecard of %s as of %s (trailing %d days, %d tiers)\n\n",
                tenant, as_of, p->window_days, p->tiers);
        for (r = -1; r < cnt; r++) {
                for (c = 0; c < LR_SC_COLS; c++) {
                        const char *s = r < 0 ? lr_sc_titles[c] : cell[r][c];
                        int left      = c == LR_SC_REP || c == LR_SC_STATUS;
                        fprintf(out, "%s%*s", c ? "  " : "",
                                left ? -(int)width[c] : (int)width[c], s);
                }
                fputc('\n', out);
        }
        free(buf);
        free(cell);
        return 0;
}

static json_t *lr_sc_real(double v) {
        return isfinite(v) ? json_real(v) : json_null();
}

static json_t *lr_sc_count(double v) {
        return json_integer((json_int_t)llround(v));
}

static int lr_sc_json(FILE *out, const char *tenant, const char *as_of,
                      const lr_sc_row_t *rows, int cnt, const lr_policy_t *p) {
        json_t *root = json_object(), *arr = json_array();
        int r, m, rc;

        json_object_set_new(root, "tenant_id", json_string(tenant));
        json_object_set_new(root, "as_of", json_string(as_of));
        json_object_set_new(root, "window_days", json_integer(p->window_days));
        json_object_set_new(root, "tiers", json_integer(p->tiers));
        for (r = 0; r < cnt; r++) {
                const lr_rep_rank_t *rk = rows[r].rk;
                const lr_tally_t *t     = &rk->tally;
                json_t *rep = json_object(), *metrics = json_object();
                json_t *counts = json_object();

                json_object_set_new(rep, "rep_id",
                                    json_string(rows[r].rep->rep_id));
                json_object_set_new(rep, "rank", json_integer(rk->rank));
                json_object_set_new(rep, "tier", json_integer(rk->tier));
                json_object_set_new(rep, "composite",
                                    lr_sc_real(rk->composite));
                json_object_set_new(rep, "status",
                                    json_string(rows[r].rep->status));
                json_object_set_new(rep, "open_leads",
                                    json_integer(rows[r].rep->open_leads));
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        json_t *o = json_object();
                        /* SPEC §5: null when the metric has no samples */
                        json_object_set_new(o, "value",
                                            lr_rank_samples(t, m) > 0
                                                ? lr_sc_real(rk->value[m])
                                                : json_null());
                        json_object_set_new(o, "score",
                                            lr_sc_real(rk->score[m]));
                        json_object_set_new(o, "samples",
                                            lr_sc_count(lr_rank_samples(t, m)));
                        json_object_set_new(metrics, lr_metric_name(m), o);
                }
                json_object_set_new(rep, "metrics", metrics);
                json_object_set_new(counts, "leads_assigned",
                                    lr_sc_count(t->assigned));
                json_object_set_new(counts, "calls", lr_sc_count(t->calls));
                json_object_set_new(counts, "opportunities",
                                    lr_sc_count(rows[r].opportunities));
                json_object_set_new(counts, "won", lr_sc_count(t->won));
                json_object_set_new(counts, "lost", lr_sc_count(t->lost));
                json_object_set_new(counts, "won_value_cents",
                                    lr_sc_count(t->won_value_cents));
                json_object_set_new(rep, "counts", counts);
                json_object_set_new(rep, "active", json_boolean(rk->active));
                json_object_set_new(rep, "handled", json_integer(rk->handled));
                json_object_set_new(rep, "ramping",
                                    json_boolean(rows[r].ramping));
                json_object_set_new(rep, "tier_mean",
                                    lr_sc_real(rk->tier_mean));
                json_object_set_new(rep, "next_tier_composite",
                                    rows[r].target >= 0
                                        ? lr_sc_real(rows[r].target)
                                        : json_null());
                json_array_append_new(arr, rep);
        }
        json_object_set_new(root, "reps", arr);
        rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        fputc('\n', out);
        json_decref(root);
        return rc;
}

static void lr_sc_csv_field(FILE *out, const char *s) {
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, out);
                return;
        }
        fputc('"', out);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', out);
                fputc(*s, out);
        }
        fputc('"', out);
}

static void lr_sc_csv(FILE *out, const char *tenant, const char *as_of,
                      const lr_sc_row_t *rows, int cnt) {
        int r, m;

        fputs("tenant_id,as_of,rank,rep_id,tier,composite,status,open_leads",
              out);
        for (m = 0; m < LR_METRIC_CNT; m++)
                fprintf(out, ",%s,%s_score", lr_metric_name(m),
                        lr_metric_name(m));
        fputs(",leads_assigned,calls,opportunities,won,lost,won_value_cents,"
              "next_tier_composite\n",
              out);
        for (r = 0; r < cnt; r++) {
                const lr_rep_rank_t *rk = rows[r].rk;
                const lr_tally_t *t     = &rk->tally;

                lr_sc_csv_field(out, tenant);
                fprintf(out, ",%s,%d,", as_of, rk->rank);
                lr_sc_csv_field(out, rows[r].rep->rep_id);
                fprintf(out, ",%d,%.6f,", rk->tier, rk->composite);
                lr_sc_csv_field(out, rows[r].rep->status);
                fprintf(out, ",%lld", (long long)rows[r].rep->open_leads);
                for (m = 0; m < LR_METRIC_CNT; m++)
                        fprintf(out, ",%.6f,%.6f", rk->value[m], rk->score[m]);
                fprintf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,",
                        llround(t->assigned), llround(t->calls),
                        llround(rows[r].opportunities), llround(t->won),
                        llround(t->lost), llround(t->won_value_cents));
                if (rows[r].target >= 0)
                        fprintf(out, "%.6f", rows[r].target);
                fputc('\n', out);
        }
}

static void lr_sc_html_text(FILE *out, const char *s) {
        for (; *s; s++) {
                switch (*s) {
                case '&':
                        fputs("&amp;", out);
                        break;
                case '<':
                        fputs("&lt;", out);
                        break;
                case '>':
                        fputs("&gt;", out);
                        break;
                case '"':
                        fputs("&quot;", out);
                        break;
                case '\'':
                        fputs("&#39;", out);
                        break;
                default:
                        fputc(*s, out);
                }
        }
}

static void lr_sc_html(FILE *out, const char *tenant, const char *as_of,
                       const lr_sc_row_t *rows, int cnt, const lr_policy_t *p) {
        char buf[LR_SC_COLS][48];
        const char *cell[LR_SC_COLS];
        int r, c;

        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
              "<meta charset=\"utf-8\">\n<title>Scorecard ",
              out);
        lr_sc_html_text(out, tenant);
        fprintf(out, " %s</title>\n", as_of);
        fputs("<style>body{font-family:sans-serif;margin:2em}"
              "table{border-collapse:collapse}"
              "th,td{padding:.3em .8em;border-bottom:1px solid #ddd;"
              "text-align:right}"
              "th{background:#f4f4f4}td.t{text-align:left}"
              "tr.departed{color:#999}</style>\n</head>\n<body>\n<h1>"
              "Scorecard of ",
              out);
        lr_sc_html_text(out, tenant);
        fprintf(out,
                "</h1>\n<p>As of %s, trailing %d days, %d tiers.</p>\n"
                "<table>\n<tr>",
                as_of, p->window_days, p->tiers);
        for (c = 0; c < LR_SC_COLS; c++)
                fprintf(out, "<th>%s</th>", lr_sc_titles[c]);
        fputs("</tr>\n", out);
        for (r = 0; r < cnt; r++) {
                lr_sc_cells(&rows[r], p, buf, cell);
                fputs(rows[r].rk->active ? "<tr>" : "<tr class=\"departed\">",
                      out);
                for (c = 0; c < LR_SC_COLS; c++) {
                        fputs(c == LR_SC_REP || c == LR_SC_STATUS
                                  ? "<td class=\"t\">"
                                  : "<td>",
                              out);
                        lr_sc_html_text(out, cell[c]);
                        fputs("</td>", out);
                }
                fputs("</tr>\n", out);
        }
        fputs("</table>\n</body>\n</html>\n", out);
}

int lr_scorecard_render(FILE *out, const char *format, const char *tenant,
                        int32_t as_of_day, const lr_store_rep_t *reps,
                        const lr_rep_rank_t *ranks, int cnt,
                        const lr_policy_t *p, char *errstr,
                        size_t errstr_size) {
        char as_of[16];
        lr_sc_row_t *rows;
        int rc = 0;

        if (!format || (strcmp(format, "table") && strcmp(format, "json") &&
                        strcmp(format, "csv") && strcmp(format, "html"))) {
                snprintf(errstr, errstr_size,
                         "unknown scorecard format \"%s\" (table, json, csv, "
                         "html)",
                         format ? format : "");
                return -1;
        }
        rows = lr_sc_rows(reps, ranks, cnt, p);
        if (!rows) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        lr_day_format(as_of_day, as_of, sizeof(as_of));

        errno = 0;
        if (!strcmp(format, "table"))
                rc = lr_sc_table(out, tenant, as_of, rows, cnt, p);
        else if (!strcmp(format, "json"))
                rc = lr_sc_json(out, tenant, as_of, rows, cnt, p);
        else if (!strcmp(format, "csv"))
                lr_sc_csv(out, tenant, as_of, rows, cnt);
        else
                lr_sc_html(out, tenant, as_of, rows, cnt, p);
        free(rows);

        if (rc || fflush(out) || ferror(out)) {
                snprintf(errstr, errstr_size, "writing the scorecard: %s",
                         errno ? strerror(errno) : "write error");
                return -1;
        }
        return 0;
}
