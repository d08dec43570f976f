/*
 * scorecard_html.c - the scorecard as one self-contained HTML page: inline
 * CSS and inline SVG charts, no script, no font, image or link to load, so
 * that it opens offline and in a mail client's preview. The tenant page
 * (ranking in tier bands, composite by tier, leaderboards, teams, the
 * month's tier movements, coaching pairs) or one rep's page (metrics
 * against the tier and the next, composite, rank and tier over 12 months,
 * coaching). Charts use SVG presentation attributes, not CSS, so a client
 * that drops the <style> still draws them; the layout narrows to a phone
 * or preview pane through one media query.
 *
 * Numbers come from the model with the same wording as the table
 * (scorecard.c), and carry data-* attributes naming what they are, so the
 * rendering test can check each against the JSON form.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "scorecard.h"
#include "timeutil.h"

/* Tier colours: strong, and a tint for bands. Tiers past 5 reuse the last. */
static const char *lr_tier_ink[]  = {"#5f6b7a", "#13795b", "#2563a6",
                                     "#b26a00", "#8a3ffc", "#5f6b7a"};
static const char *lr_tier_tint[] = {"#eef0f3", "#e3f4ec", "#e5eefa",
                                     "#fbf0dc", "#f1e8ff", "#eef0f3"};

static const char *lr_ink(int tier) {
        return lr_tier_ink[tier >= 1 && tier <= 5 ? tier : 0];
}

static const char *lr_tint(int tier) {
        return lr_tier_tint[tier >= 1 && tier <= 5 ? tier : 0];
}

static void lr_esc(FILE *out, const char *s) {
        for (; s && *s; s++) {
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

/* A rep as people know it: the display name, else the id. */
static const char *lr_who(const lr_sc_rep_t *r) {
        return r->name && *r->name ? r->name : r->rep_id;
}

static void lr_value(const lr_sc_rep_t *r, lr_metric_t m, char *buf,
                     size_t size) {
        if (!r->m[m].has_value)
                snprintf(buf, size, "-");
        else
                lr_scorecard_metric_text(m, r->m[m].value, buf, size);
}

/* <a> to a rep's page when pages are linked, else its name. */
static void lr_rep_ref(FILE *out, const lr_sc_rep_t *r, int linked) {
        char page[512];
        if (linked) {
                lr_scorecard_page_name(r->rep_id, page, sizeof(page));
                fprintf(out, "<a href=\"%s\">", page);
        }
        lr_esc(out, lr_who(r));
        if (linked)
                fputs("</a>", out);
}

static const char lr_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f5f6f8;color:#1f2933;"
    "font:15px/1.5 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "'DejaVu Sans',sans-serif}"
    ".page{max-width:1160px;margin:0 auto;padding:28px 24px 40px}"
    "header.top{border-bottom:3px solid #1f2933;padding-bottom:12px;"
    "margin-bottom:20px}"
    "h1{font-size:26px;line-height:1.2;margin:0 0 4px;font-weight:700}"
    "h2{font-size:18px;margin:0 0 10px;font-weight:650}"
    ".sub{color:#52606d;font-size:14px;margin:0}"
    ".note{background:#fff8e1;border-left:4px solid #b26a00;padding:8px 12px;"
    "margin:12px 0 0;font-size:14px}"
    "section{background:#fff;border:1px solid #e1e5ea;border-radius:8px;"
    "padding:18px 20px;margin:0 0 18px}"
    ".cap{color:#616e7c;font-size:13px;margin:-4px 0 10px}"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:0 0 18px}"
    ".kpi{flex:1 1 150px;background:#fff;border:1px solid #e1e5ea;"
    "border-radius:8px;padding:10px 14px;border-top:4px solid #5f6b7a}"
    ".kpi b{display:block;font-size:22px;line-height:1.3}"
    ".kpi span{color:#616e7c;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.04em}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;"
    "color:#52606d;text-align:right;padding:6px 8px;border-bottom:2px solid "
    "#cbd2d9;white-space:nowrap}"
    "td{padding:6px 8px;border-bottom:1px solid #edf0f3;text-align:right;"
    "white-space:nowrap;font-variant-numeric:tabular-nums}"
    "th.l,td.l{text-align:left}"
    "td.who{white-space:normal;min-width:140px}"
    "td.who small{color:#7b8794;display:block;font-size:12px}"
    "tr.band td{font-weight:650;text-align:left;padding-top:10px;"
    "border-bottom:0}"
    "tr.departed td{color:#9aa5b1}"
    "a{color:#1d5fa8;text-decoration:none}a:hover{text-decoration:underline}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(300px,1fr));gap:14px}"
    ".card{min-width:0;border:1px solid #e1e5ea;border-radius:6px;"
    "padding:10px 12px}.card svg.chart{max-width:380px}"
    ".card h3{font-size:14px;margin:0 0 4px}"
    "svg.chart{display:block;width:100%;height:auto}"
    ".wide{min-width:560px}"
    ".badge{display:inline-block;font-size:11px;padding:0 6px;"
    "border-radius:9px;background:#e3f4ec;color:#13795b;margin-left:4px}"
    ".up{color:#13795b;font-weight:650}.down{color:#b42318;font-weight:650}"
    "ul.plain{margin:0;padding-left:18px}ul.plain li{margin:3px 0}"
    "footer{color:#7b8794;font-size:12px;text-align:center;margin-top:8px}"
    "@media (max-width:640px){.page{padding:14px 10px}h1{font-size:21px}"
    "section{padding:12px}.kpi{flex-basis:120px}.kpi b{font-size:18px}"
    "td,th{padding:5px 6px}.hide-narrow{display:none}"
    ".grid{grid-template-columns:1fr}"
    /* a preview pane sees the whole chart, the latest days included */
    ".wide{min-width:0}}";

static void lr_head(FILE *out, const lr_scorecard_t *sc, const char *title) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
              "<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, "
              "initial-scale=1\">\n<title>",
              out);
        lr_esc(out, title);
        fprintf(out,
                "</title>\n<style>%s</style>\n</head>\n<body>\n"
                "<div class=\"page\">\n",
                lr_css);
}

static void lr_foot(FILE *out, const lr_scorecard_t *sc) {
        char day[16];
        lr_day_format(sc->day, day, sizeof(day));
        fprintf(out,
                "<footer>leadrouter scorecard &middot; ranking of %s as the "
                "router installed it &middot; one self-contained file: no "
                "scripts, nothing loaded from elsewhere</footer>\n"
                "</div>\n</body>\n</html>\n",
                day);
}

static void lr_kpi(FILE *out, const char *color, const char *label,
                   const char *key, const char *fmt, ...) {
        va_list ap;
        fprintf(out, "<div class=\"kpi\" style=\"border-top-color:%s\"><b",
                color);
        if (key)
                fprintf(out, " data-k=\"%s\"", key);
        fputc('>', out);
        va_start(ap, fmt);
        vfprintf(out, fmt, ap);
        va_end(ap);
        fprintf(out, "</b><span>%s</span></div>\n", label);
}

static void lr_subtitle(FILE *out, const lr_scorecard_t *sc) {
        char as_of[16], day[16];
        int m;

        lr_day_format(sc->as_of_day, as_of, sizeof(as_of));
        lr_day_format(sc->day, day, sizeof(day));
        fprintf(out,
                "<p class=\"sub\">Ranking of <b data-k=\"ranking_day\">%s</b> "
                "&middot; trailing %d days &middot; %d tiers &middot; "
                "weights ",
                day, sc->p->window_days, sc->p->tiers);
        for (m = 0; m < LR_METRIC_CNT; m++)
                fprintf(out, "%s%s %.0f%%", m ? ", " : "",
                        lr_scorecard_metric_title(m), sc->p->weights[m] * 100);
        fputs("</p>\n", out);
        if (sc->preview)
                fprintf(out,
                        "<p class=\"note\">Preview: no ranking installed "
                        "for %s yet; as the router will install it at the "
                        "tenant's next event, with today's tiers (its tier "
                        "evaluation may move reps).</p>\n",
                        day);
        else if (sc->day != sc->as_of_day)
                fprintf(out,
                        "<p class=\"note\">No ranking was installed on %s "
                        "(no events that day): the ranking of %s, in force "
                        "then, is shown.</p>\n",
                        as_of, day);
}

/* ---- charts ---------------------------------------------------------- */

#define LR_SVG_FONT "font-family=\"Arial, 'DejaVu Sans', sans-serif\""

static void lr_svg_open(FILE *out, const char *chart, int w, int h,
                        const char *label, int wide) {
        fprintf(out,
                "<svg class=\"chart%s\" data-chart=\"%s\" "
                "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                "width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
                wide ? " wide" : "", chart, w, h, w, h);
        lr_esc(out, label);
        fprintf(out, "\" %s font-size=\"13\" fill=\"#1f2933\">\n", LR_SVG_FONT);
}

/* Composite of every active rep, one band per tier, with the tier mean and
 * the promotion and demotion lines. */
static void lr_svg_distribution(FILE *out, const lr_scorecard_t *sc) {
        const int L = 110, R = 24, T = 10, RH = 52, W = 760;
        const int tiers = sc->p->tiers, H = T + tiers * RH + 70;
        const double span = W - L - R;
        int t, k, i;

        lr_svg_open(out, "distribution", W, H, "Composite of every rep by tier",
                    1);
        for (t = 1; t <= tiers; t++) {
                int y       = T + (t - 1) * RH;
                double mean = sc->tier_mean[t], lastx = -100;
                int flip = 0;
                fprintf(out,
                        "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%d\" "
                        "fill=\"%s\"/>\n",
                        L, y, span, RH - 6, lr_tint(t));
                fprintf(out,
                        "<text x=\"8\" y=\"%d\" font-weight=\"bold\" "
                        "fill=\"%s\">Tier %d</text><text x=\"8\" y=\"%d\" "
                        "fill=\"#52606d\" font-size=\"11\">%d reps</text>\n",
                        y + 20, lr_ink(t), t, y + 35, sc->tier_cnt[t]);
                if (mean > 0) {
                        fprintf(out,
                                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
                                "y2=\"%d\" stroke=\"#1f2933\" "
                                "stroke-width=\"2\"><title>tier %d mean "
                                "%.3f</title></line>\n",
                                L + mean * span, L + mean * span, y, y + RH - 6,
                                t, mean);
                        if (t > 1 && sc->p->promote_ratio * mean <= 1)
                                fprintf(
                                    out,
                                    "<line x1=\"%.1f\" x2=\"%.1f\" "
                                    "y1=\"%d\" y2=\"%d\" stroke=\"#13795b\" "
                                    "stroke-width=\"1.5\" "
                                    "stroke-dasharray=\"4 3\"/>\n",
                                    L + sc->p->promote_ratio * mean * span,
                                    L + sc->p->promote_ratio * mean * span, y,
                                    y + RH - 6);
                        if (t < tiers)
                                fprintf(
                                    out,
                                    "<line x1=\"%.1f\" x2=\"%.1f\" "
                                    "y1=\"%d\" y2=\"%d\" stroke=\"#b42318\" "
                                    "stroke-width=\"1.5\" "
                                    "stroke-dasharray=\"4 3\"/>\n",
                                    L + sc->p->demote_ratio * mean * span,
                                    L + sc->p->demote_ratio * mean * span, y,
                                    y + RH - 6);
                }
                /* reps by composite, nudged up and down when close */
                for (i = sc->cnt - 1; i >= 0; i--) {
                        const lr_sc_rep_t *r = &sc->reps[i];
                        double x;
                        if (!r->active || !r->shown || r->tier != t)
                                continue;
                        x    = L + fmin(fmax(r->composite, 0), 1) * span;
                        flip = x - lastx < 9 ? !flip : 0;
                        fprintf(out, "<circle data-rep=\"");
                        lr_esc(out, r->rep_id);
                        fprintf(out,
                                "\" cx=\"%.1f\" cy=\"%d\" r=\"6\" fill=\"%s\" "
                                "fill-opacity=\"0.85\" stroke=\"#fff\" "
                                "stroke-width=\"1.5\"><title>",
                                x,
                                y + (RH - 6) / 2 +
                                    (flip ? -9 : 9) * (x - lastx < 9),
                                lr_ink(t));
                        lr_esc(out, lr_who(r));
                        fprintf(out, " %.3f</title></circle>\n", r->composite);
                        lastx = x;
                }
        }
        k = T + tiers * RH;
        fprintf(out,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#7b8794\"/>\n",
                L, W - R, k, k);
        for (i = 0; i <= 10; i++) {
                double x = L + i * span / 10;
                fprintf(out,
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                        "stroke=\"#7b8794\"/><text x=\"%.1f\" y=\"%d\" "
                        "text-anchor=\"middle\" fill=\"#52606d\" "
                        "font-size=\"11\">%.1f</text>\n",
                        x, x, k, k + 4, x, k + 17, i / 10.0);
        }
        fprintf(out,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                "fill=\"#52606d\">Composite (weighted sum of the five metric "
                "scores, 0 to 1)</text>\n",
                L + span / 2, k + 34);
        /* legend */
        k += 52;
        fprintf(out,
                "<g font-size=\"11\" fill=\"#52606d\">"
                "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"#5f6b7a\"/>"
                "<text x=\"%d\" y=\"%d\">a rep</text>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#1f2933\" stroke-width=\"2\"/>"
                "<text x=\"%d\" y=\"%d\">tier mean</text>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#13795b\" stroke-width=\"1.5\" "
                "stroke-dasharray=\"4 3\"/>"
                "<text x=\"%d\" y=\"%d\">promotion at %.0f%% of the mean</text>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#b42318\" stroke-width=\"1.5\" "
                "stroke-dasharray=\"4 3\"/>"
                "<text x=\"%d\" y=\"%d\">demotion at %.0f%%</text></g>\n",
                L + 5, k, L + 14, k + 4, L + 80, L + 80, k - 6, k + 6, L + 86,
                k + 4, L + 170, L + 170, k - 6, k + 6, L + 176, k + 4,
                sc->p->promote_ratio * 100, L + 370, L + 370, k - 6, k + 6,
                L + 376, k + 4, sc->p->demote_ratio * 100);
        fputs("</svg>\n", out);
}

/* Top reps of metric m: a bar per rep, the length its score. */
static void lr_svg_board(FILE *out, const lr_scorecard_t *sc, lr_metric_t m,
                         int max) {
        const int W = 340, L = 118, VW = 78, RH = 26, T = 6;
        const double span = W - L - VW - 8;
        int b, n = 0, shown[64];
        char v[48], label[96];

        for (b = 0; b < sc->board_cnt[m] && n < max && n < 64; b++)
                if (sc->reps[sc->board[m][b]].shown)
                        shown[n++] = sc->board[m][b];
        snprintf(label, sizeof(label), "Leaderboard: %s",
                 lr_scorecard_metric_title(m));
        lr_svg_open(out, "leaderboard", W, T + (n ? n : 1) * RH + 28, label, 0);
        if (!n)
                fprintf(out,
                        "<text x=\"%d\" y=\"%d\" fill=\"#7b8794\">no "
                        "rep has data yet</text>\n",
                        8, T + 16);
        for (b = 0; b < n; b++) {
                const lr_sc_rep_t *r = &sc->reps[shown[b]];
                int y                = T + b * RH;
                char name[64];
                size_t len;

                snprintf(name, sizeof(name), "%s", lr_who(r));
                len = strlen(name);
                if (len > 16) /* keep the label inside its column */
                        snprintf(name + 14, sizeof(name) - 14, "..");
                lr_value(r, m, v, sizeof(v));
                fprintf(out, "<g data-rep=\"");
                lr_esc(out, r->rep_id);
                fprintf(out, "\" data-metric=\"%s\">", lr_metric_name(m));
                fprintf(out,
                        "<text x=\"0\" y=\"%d\" fill=\"#52606d\">%d.</text>"
                        "<text x=\"18\" y=\"%d\">",
                        y + 16, b + 1, y + 16);
                lr_esc(out, name);
                fprintf(out,
                        "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                        "height=\"16\" rx=\"3\" fill=\"#e4e7eb\"/>"
                        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" "
                        "rx=\"3\" fill=\"%s\"><title>score %.3f</title></rect>"
                        "<text data-k=\"value\" x=\"%d\" y=\"%d\" "
                        "text-anchor=\"end\" font-weight=\"bold\">%s</text>"
                        "</g>\n",
                        L, y + 4, span, L, y + 4,
                        fmax(fmin(r->m[m].score, 1), 0) * span + 0.5,
                        lr_ink(r->tier), r->m[m].score, W, y + 16, v);
        }
        b = T + (n ? n : 1) * RH + 4;
        fprintf(out,
                "<g fill=\"#7b8794\" font-size=\"10\"><text x=\"%d\" y=\"%d\">"
                "score 0</text><text x=\"%.1f\" y=\"%d\" "
                "text-anchor=\"end\">1</text><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"end\">value</text></g>\n",
                L, b + 12, L + span, b + 12, W, b + 12);
        fputs("</svg>\n", out);
}

/* The rep's five metrics as scores, with its tier's and the next tier's
 * mean score marked. */
static void lr_svg_metrics(FILE *out, const lr_scorecard_t *sc, int k) {
        const lr_sc_rep_t *r = &sc->reps[k];
        const int W = 760, L = 150, VW = 120, RH = 50, T = 8;
        const double span = W - L - VW - 16;
        int m, y;
        char v[48];

        lr_svg_open(out, "metrics", W, T + LR_METRIC_CNT * RH + 50,
                    "The five metrics against the tier", 1);
        for (m = 0; m < LR_METRIC_CNT; m++) {
                const lr_sc_metric_t *x = &r->m[m];
                y                       = T + m * RH;
                lr_value(r, m, v, sizeof(v));
                fprintf(out,
                        "<text x=\"0\" y=\"%d\" font-weight=\"bold\">%s</text>"
                        "<text x=\"0\" y=\"%d\" fill=\"#7b8794\" "
                        "font-size=\"11\">weight %.0f%%</text>\n",
                        y + 18, lr_scorecard_metric_title(m), y + 33,
                        sc->p->weights[m] * 100);
                fprintf(out,
                        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" "
                        "rx=\"3\" fill=\"#e4e7eb\"/>"
                        "<rect data-metric=\"%s\" x=\"%d\" y=\"%d\" "
                        "width=\"%.1f\" height=\"20\" rx=\"3\" fill=\"%s\">"
                        "<title>score %.3f</title></rect>\n",
                        L, y + 8, span, lr_metric_name(m), L, y + 8,
                        fmax(fmin(x->score, 1), 0) * span + 0.5,
                        lr_ink(r->tier), x->score);
                if (r->active)
                        fprintf(out,
                                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" "
                                "y2=\"%d\" stroke=\"#1f2933\" "
                                "stroke-width=\"3\"><title>tier %d mean "
                                "score %.3f</title></line>\n",
                                L + x->tier_mean_score * span,
                                L + x->tier_mean_score * span, y + 3, y + 33,
                                r->tier, x->tier_mean_score);
                if (r->active && r->tier > 1)
                        fprintf(out,
                                "<path d=\"M%.1f %d l-6 -8 h12 z\" "
                                "fill=\"%s\"><title>tier %d mean score "
                                "%.3f</title></path>\n",
                                L + x->next_mean_score * span, y + 7,
                                lr_ink(r->tier - 1), r->tier - 1,
                                x->next_mean_score);
                fprintf(out,
                        "<text data-k=\"%s\" x=\"%d\" y=\"%d\" "
                        "text-anchor=\"end\" font-size=\"15\" "
                        "font-weight=\"bold\">%s</text>\n",
                        lr_metric_name(m), W, y + 24, v);
        }
        y = T + LR_METRIC_CNT * RH + 4;
        for (m = 0; m <= 4; m++)
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
                        "fill=\"#7b8794\" font-size=\"10\">%.2g</text>\n",
                        L + m * span / 4, y + 6, m / 4.0);
        fprintf(out,
                "<g font-size=\"11\" fill=\"#52606d\">"
                "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" "
                "fill=\"%s\"/><text x=\"%d\" y=\"%d\">score (0 = the "
                "tenant's weakest, 1 = its best)</text>"
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#1f2933\" stroke-width=\"3\"/>"
                "<text x=\"%d\" y=\"%d\">tier %d mean</text>",
                L, y + 18, lr_ink(r->tier), L + 20, y + 27, L + 330, L + 330,
                y + 16, y + 30, L + 338, y + 27, r->tier);
        if (r->tier > 1)
                fprintf(out,
                        "<path d=\"M%d %d l-6 -8 h12 z\" fill=\"%s\"/>"
                        "<text x=\"%d\" y=\"%d\">tier %d mean</text>",
                        L + 450, y + 28, lr_ink(r->tier - 1), L + 460, y + 27,
                        r->tier - 1);
        fputs("</g>\n</svg>\n", out);
}

/* Month ticks along a day axis [from, to] mapped to [x0, x0 + span]. */
static void lr_svg_months(FILE *out, int32_t from, int32_t to, int x0,
                          double span, int y0, int y1) {
        static const char *mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        int32_t d;
        char ymd[16];

        for (d = from; d <= to; d++) {
                double x;
                lr_day_format(d, ymd, sizeof(ymd));
                if (strcmp(ymd + 8, "01"))
                        continue;
                x = x0 + (to > from ? (d - from) * span / (to - from) : 0);
                fprintf(out,
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                        "stroke=\"#e4e7eb\"/><text x=\"%.1f\" y=\"%d\" "
                        "text-anchor=\"middle\" fill=\"#52606d\" "
                        "font-size=\"11\">%s%s%.2s</text>\n",
                        x, x, y0, y1, x, y1 + 15, mon[atoi(ymd + 5) - 1],
                        ymd[5] == '0' && ymd[6] == '1' ? " '" : "",
                        ymd[5] == '0' && ymd[6] == '1' ? ymd + 2 : "");
        }
}

typedef enum { LR_LINE_COMPOSITE, LR_LINE_RANK, LR_LINE_TIER } lr_line_t;

/* The rep's last 12 months: composite, rank (1 on top) or tier (a step
 * line coloured by tier). */
static void lr_svg_history(FILE *out, const lr_scorecard_t *sc, int k,
                           lr_line_t kind) {
        const lr_sc_rep_t *r = &sc->reps[k];
        const int W = 760, L = 56, R = 16, T = 12;
        const int H = kind == LR_LINE_TIER ? 150 : 210, B = 30;
        const double span = W - L - R, ph = H - T - B;
        int32_t from = sc->history_from, to = sc->day;
        double lo, hi, step;
        int i, ticks, active = 0;
        size_t h;
        static const char *names[3] = {"composite", "rank", "tier"};

        for (i = 0; i < sc->cnt; i++)
                active += sc->reps[i].active;
        if (kind == LR_LINE_COMPOSITE)
                lo = 0, hi = 1, ticks = 4;
        else if (kind == LR_LINE_RANK)
                lo = 1, hi = active > 1 ? active : 2, ticks = 4;
        else
                lo = 1, hi = sc->p->tiers > 1 ? sc->p->tiers : 2,
                ticks = (int)hi - 1;
        lr_svg_open(out, names[kind], W, H,
                    kind == LR_LINE_COMPOSITE ? "Composite over 12 months"
                    : kind == LR_LINE_RANK    ? "Rank over 12 months"
                                              : "Tier over 12 months",
                    1);
#define LR_Y(v)                                                                \
        (kind == LR_LINE_COMPOSITE ? T + ph - ((v)-lo) / (hi - lo) * ph        \
                                   : T + ((v)-lo) / (hi - lo) * ph)
#define LR_X(d) (L + (to > from ? ((d)-from) * span / (to - from) : span))
        /* composite in quarters; ranks and tiers on whole numbers, the
         * last one always labelled */
        step = kind == LR_LINE_COMPOSITE ? 0.25
               : kind == LR_LINE_TIER    ? 1
                                         : ceil((hi - lo) / ticks);
        for (i = 0;; i++) {
                double v = lo + step * i;
                if (v >= hi - step / 2)
                        v = hi;
                fprintf(out,
                        "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                        "stroke=\"#e4e7eb\"/><text x=\"%d\" y=\"%.1f\" "
                        "text-anchor=\"end\" fill=\"#52606d\" "
                        "font-size=\"11\">%s%.*f</text>\n",
                        L, W - R, LR_Y(v), LR_Y(v), L - 6, LR_Y(v) + 4,
                        kind == LR_LINE_TIER ? "tier " : "",
                        kind == LR_LINE_COMPOSITE ? 2 : 0, v);
                if (v == hi)
                        break;
        }
        lr_svg_months(out, from, to, L, span, T, T + (int)ph);
        fprintf(out,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#7b8794\"/>\n",
                L, W - R, T + ph, T + ph);
        if (!r->history_cnt) {
                fprintf(out,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                        "fill=\"#7b8794\">no ranking history</text>\n",
                        L + span / 2, T + ph / 2);
        } else if (kind == LR_LINE_TIER) {
                for (h = 0; h < r->history_cnt; h++) {
                        const lr_sc_point_t *pt = &r->history[h];
                        double x0               = LR_X(pt->day), x1;
                        x1                      = h + 1 < r->history_cnt
                                                      ? LR_X(r->history[h + 1].day)
                                                      : x0 + span / 365;
                        fprintf(out,
                                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
                                "height=\"8\" fill=\"%s\"/>\n",
                                x0, LR_Y(pt->tier) - 4, x1 - x0 + 0.3,
                                lr_ink(pt->tier));
                }
        } else {
                fprintf(out,
                        "<polyline fill=\"none\" stroke=\"%s\" "
                        "stroke-width=\"2\" stroke-linejoin=\"round\" "
                        "points=\"",
                        kind == LR_LINE_COMPOSITE ? "#2563a6" : "#8a3ffc");
                for (h = 0; h < r->history_cnt; h++) {
                        double v = kind == LR_LINE_COMPOSITE
                                       ? r->history[h].composite
                                       : r->history[h].rank;
                        fprintf(out, "%s%.1f,%.1f", h ? " " : "",
                                LR_X(r->history[h].day), LR_Y(v));
                }
                fputs("\"/>\n", out);
                h = r->history_cnt - 1;
                fprintf(out,
                        "<circle data-k=\"last\" cx=\"%.1f\" cy=\"%.1f\" "
                        "r=\"4\" fill=\"%s\"><title>%.*f</title></circle>\n",
                        LR_X(r->history[h].day),
                        LR_Y(kind == LR_LINE_COMPOSITE ? r->history[h].composite
                                                       : r->history[h].rank),
                        kind == LR_LINE_COMPOSITE ? "#2563a6" : "#8a3ffc",
                        kind == LR_LINE_COMPOSITE ? 3 : 0,
                        kind == LR_LINE_COMPOSITE ? r->history[h].composite
                                                  : r->history[h].rank);
        }
#undef LR_X
#undef LR_Y
        fputs("</svg>\n", out);
}

/* ---- tenant page ----------------------------------------------------- */

static void lr_ranking_row(FILE *out, const lr_scorecard_t *sc,
                           const lr_sc_rep_t *r, int linked) {
        char v[48];
        int m;

        fputs(r->active ? "<tr data-rep=\""
                        : "<tr class=\"departed\" "
                          "data-rep=\"",
              out);
        lr_esc(out, r->rep_id);
        fprintf(out, "\" style=\"box-shadow:inset 4px 0 0 %s\">",
                lr_ink(r->active ? r->tier : 0));
        if (r->active)
                fprintf(out, "<td data-k=\"rank\">%d</td>", r->rank);
        else
                fputs("<td data-k=\"rank\">-</td>", out);
        fputs("<td class=\"l who\">", out);
        lr_rep_ref(out, r, linked);
        fputs("<small>", out);
        lr_esc(out, r->rep_id);
        fputs("</small></td><td class=\"l hide-narrow\">", out);
        lr_esc(out, r->team ? r->team : "-");
        fprintf(out, "</td><td class=\"hide-narrow\" data-k=\"tier\">%d</td>",
                r->tier);
        fprintf(out,
                "<td><span data-k=\"composite\">%.3f</span> "
                "<svg width=\"60\" height=\"8\" viewBox=\"0 0 60 8\" "
                "class=\"hide-narrow\"><rect width=\"60\" height=\"8\" "
                "rx=\"2\" fill=\"#e4e7eb\"/><rect width=\"%.1f\" height=\"8\" "
                "rx=\"2\" fill=\"%s\"/></svg></td>",
                r->composite, fmax(fmin(r->composite, 1), 0) * 60,
                lr_ink(r->tier));
        for (m = 0; m < LR_METRIC_CNT; m++) {
                lr_value(r, m, v, sizeof(v));
                fprintf(out, "<td class=\"hide-narrow\" data-k=\"%s\">%s</td>",
                        lr_metric_name(m), v);
        }
        if (!r->active || r->tier == 1)
                fputs("<td data-k=\"next\">-</td>", out);
        else if (r->ramping)
                fprintf(out, "<td data-k=\"next\">ramp %lld/%d</td>",
                        (long long)r->rk->handled, sc->p->ramp_min_leads);
        else if (r->target < 0)
                fputs("<td data-k=\"next\">n/a</td>", out);
        else
                fprintf(out, "<td><span data-k=\"next\">%.3f</span>%s</td>",
                        r->target,
                        r->composite >= r->target
                            ? "<span class=\"badge\">qualifies</span>"
                            : "");
        fputs("</tr>\n", out);
}

static void lr_ranking_table(FILE *out, const lr_scorecard_t *sc, int linked) {
        int t, k, m, any_departed = 0;

        fputs("<section><h2>Ranking</h2><p class=\"cap\">Each rep's rank, "
              "tier and composite as the router used them, the five metrics "
              "over the window, and the composite that would earn the next "
              "tier.</p><div class=\"scroll\"><table data-table=\"ranking\">"
              "<tr><th>Rank</th><th class=\"l\">Rep</th><th class=\"l "
              "hide-narrow\">Team</th><th class=\"hide-narrow\">Tier</th>"
              "<th>Composite</th>",
              out);
        for (m = 0; m < LR_METRIC_CNT; m++)
                fprintf(out, "<th class=\"hide-narrow\">%s</th>",
                        lr_scorecard_metric_title(m));
        fputs("<th>Next tier at</th></tr>\n", out);
        for (t = 1; t <= sc->p->tiers; t++) {
                int n = 0;
                for (k = 0; k < sc->cnt; k++)
                        n += sc->reps[k].active && sc->reps[k].shown &&
                             sc->reps[k].tier == t;
                if (!n)
                        continue;
                fprintf(out,
                        "<tr class=\"band\" style=\"background:%s\"><td "
                        "colspan=\"12\" style=\"color:%s\">Tier %d &middot; %d "
                        "rep%s &middot; mean composite %.3f</td></tr>\n",
                        lr_tint(t), lr_ink(t), t, n, n == 1 ? "" : "s",
                        sc->tier_mean[t]);
                for (k = 0; k < sc->cnt; k++)
                        if (sc->reps[k].active && sc->reps[k].shown &&
                            sc->reps[k].tier == t)
                                lr_ranking_row(out, sc, &sc->reps[k], linked);
        }
        for (k = 0; k < sc->cnt; k++) {
                if (sc->reps[k].active || !sc->reps[k].shown)
                        continue;
                if (!any_departed++)
                        fprintf(out,
                                "<tr class=\"band\" style=\"background:"
                                "%s\"><td colspan=\"12\">Departed (not "
                                "ranked)</td></tr>\n",
                                lr_tint(0));
                lr_ranking_row(out, sc, &sc->reps[k], linked);
        }
        fputs("</table></div></section>\n", out);
}

static void lr_leaderboards(FILE *out, const lr_scorecard_t *sc) {
        int m;
        fputs("<section><h2>Leaderboards</h2><p class=\"cap\">The five "
              "best on each metric (bar: the normalised score, small samples "
              "pulled toward the tenant's mean; right: the raw value), "
              "coloured by tier.</p><div class=\"grid\">\n",
              out);
        for (m = 0; m < LR_METRIC_CNT; m++) {
                fprintf(out,
                        "<div class=\"card\" data-board=\"%s\"><h3>%s "
                        "<span style=\"color:#7b8794;font-weight:400\">"
                        "&middot; weight %.0f%%</span></h3>\n",
                        lr_metric_name(m), lr_scorecard_metric_title(m),
                        sc->p->weights[m] * 100);
                lr_svg_board(out, sc, m, 5);
                fputs("</div>\n", out);
        }
        fputs("</div></section>\n", out);
}

static void lr_teams(FILE *out, const lr_scorecard_t *sc, int linked) {
        char v[48];
        int t, m, i;

        if (!sc->teams_cnt)
                return;
        fputs("<section><h2>Teams</h2><p class=\"cap\">Team composite: the "
              "mean of its members'; and who on each team is strongest at "
              "what.</p><div class=\"scroll\"><table data-table=\"teams\">"
              "<tr><th class=\"l\">Team</th><th>Reps</th><th>Composite</th>"
              "<th>Best rank</th><th class=\"l\">Tiers</th><th "
              "class=\"l\">Strongest at</th></tr>\n",
              out);
        for (t = 0; t < sc->teams_cnt; t++) {
                const lr_team_t *tm = &sc->teams[t];
                int first           = 1;
                if (sc->team && strcmp(sc->team, tm->team))
                        continue;
                fputs("<tr data-team=\"", out);
                lr_esc(out, tm->team);
                fputs("\"><td class=\"l\"><b>", out);
                lr_esc(out, tm->team);
                fprintf(out,
                        "</b></td><td>%d</td><td><span "
                        "data-k=\"composite\">%.3f</span> <svg width=\"60\" "
                        "height=\"8\" viewBox=\"0 0 60 8\"><rect width=\"60\" "
                        "height=\"8\" rx=\"2\" fill=\"#e4e7eb\"/><rect "
                        "width=\"%.1f\" height=\"8\" rx=\"2\" "
                        "fill=\"#2563a6\"/></svg></td><td>%d</td><td "
                        "class=\"l\">",
                        tm->members, tm->composite,
                        fmax(fmin(tm->composite, 1), 0) * 60, tm->best_rank);
                for (i = 1; i <= sc->p->tiers; i++)
                        if (tm->tier_cnt[i])
                                fprintf(out,
                                        "%s<span style=\"color:%s\">%d in tier "
                                        "%d</span>",
                                        first++ == 1 ? "" : ", ", lr_ink(i),
                                        tm->tier_cnt[i], i);
                fputs("</td><td class=\"l who\">", out);
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        const lr_sc_rep_t *r;
                        if (tm->strongest[m] < 0)
                                continue;
                        r = &sc->reps[tm->strongest[m]];
                        lr_value(r, m, v, sizeof(v));
                        fprintf(out, "%s%s: ", m ? " &middot; " : "",
                                lr_scorecard_metric_title(m));
                        lr_rep_ref(out, r, linked);
                        fprintf(out, " (%s)", v);
                }
                fputs("</td></tr>\n", out);
        }
        fputs("</table></div></section>\n", out);
}

static void lr_moves(FILE *out, const lr_scorecard_t *sc, int linked) {
        char day[16];
        size_t i;
        int n = 0;

        lr_day_format(sc->day, day, sizeof(day));
        fprintf(out,
                "<section><h2>Tier movements of %.7s</h2><p class=\"cap\">"
                "Promotions at &ge; %.0f%% and demotions at &le; %.0f%% of "
                "the tier's mean composite, evaluated %s.</p>\n",
                day, sc->p->promote_ratio * 100, sc->p->demote_ratio * 100,
                strcmp(sc->p->evaluation, "monthly") ? "daily" : "on the 1st");
        for (i = 0; i < sc->moves_cnt; i++) {
                const lr_sc_move_t *mv = &sc->moves[i];
                const lr_sc_rep_t *r   = &sc->reps[mv->rep];
                int up                 = mv->to < mv->from;
                if (!r->shown)
                        continue;
                if (!n++)
                        fputs("<div class=\"scroll\"><table "
                              "data-table=\"moves\"><tr><th "
                              "class=\"l\">Day</th><th class=\"l\">Rep</th>"
                              "<th class=\"l\">Move</th><th>Composite</th>"
                              "<th>Tier mean</th></tr>\n",
                              out);
                lr_day_format(mv->day, day, sizeof(day));
                fprintf(out, "<tr><td class=\"l\">%s</td><td class=\"l\">",
                        day);
                lr_rep_ref(out, r, linked);
                fprintf(out,
                        "</td><td class=\"l\"><span class=\"%s\">%s tier %d "
                        "&rarr; %d</span></td><td>%.3f</td><td>%.3f</td>"
                        "</tr>\n",
                        up ? "up" : "down", up ? "&#9650;" : "&#9660;",
                        mv->from, mv->to, mv->composite, mv->tier_mean);
        }
        if (n)
                fputs("</table></div>", out);
        else
                fputs("<p>No tier changed this month.</p>", out);
        fputs("</section>\n", out);
}

static void lr_pair_text(FILE *out, const lr_scorecard_t *sc,
                         const lr_sc_rep_t *me, const lr_coaching_pair_t *pr,
                         int linked) {
        char v[48];
        int j;

        lr_value(me, pr->metric, v, sizeof(v));
        fprintf(out, "learn <b>%s</b> (%s) from ",
                lr_scorecard_metric_title(pr->metric), v);
        for (j = 0; j < pr->mentors_cnt; j++) {
                const lr_sc_rep_t *y = &sc->reps[pr->mentors[j]];
                lr_value(y, pr->metric, v, sizeof(v));
                fputs(j ? " or " : "", out);
                lr_rep_ref(out, y, linked);
                fprintf(out, " (%s)", v);
        }
}

static void lr_coaching(FILE *out, const lr_scorecard_t *sc, int linked) {
        int k, j, n = 0;

        fputs("<section><h2>Coaching pairs</h2><p class=\"cap\">For each "
              "rep, the metrics where it trails its tier the most (by what "
              "the gap costs its composite), and the peers best at "
              "them.</p>\n",
              out);
        for (k = 0; k < sc->cnt; k++) {
                const lr_sc_rep_t *r = &sc->reps[k];
                if (!r->shown || !r->pairs_cnt)
                        continue;
                if (!n++)
                        fputs("<div class=\"scroll\"><table "
                              "data-table=\"coaching\"><tr><th "
                              "class=\"l\">Rep</th><th class=\"l\">Learn "
                              "from</th></tr>\n",
                              out);
                fputs("<tr><td class=\"l who\">", out);
                lr_rep_ref(out, r, linked);
                fputs("</td><td class=\"l who\">", out);
                for (j = 0; j < r->pairs_cnt; j++) {
                        fputs(j ? "<br>" : "", out);
                        lr_pair_text(out, sc, r, &r->pairs[j], linked);
                }
                fputs("</td></tr>\n", out);
        }
        fputs(n ? "</table></div>" : "<p>Nobody trails their tier.</p>", out);
        fputs("</section>\n", out);
}

static void lr_tenant_page(FILE *out, const lr_scorecard_t *sc, int linked) {
        char title[256];
        int t, n = 0;
        size_t i;

        snprintf(title, sizeof(title), "Scorecard - %s", sc->tenant);
        lr_head(out, sc, title);
        fputs("<header class=\"top\"><h1>Scorecard &middot; ", out);
        lr_esc(out, sc->tenant);
        if (sc->team) {
                fputs(" &middot; team ", out);
                lr_esc(out, sc->team);
        }
        fputs("</h1>\n", out);
        lr_subtitle(out, sc);
        fputs("</header>\n<div class=\"kpis\">\n", out);
        for (t = 0; t < sc->cnt; t++)
                n += sc->reps[t].active && sc->reps[t].shown;
        lr_kpi(out, "#1f2933", "reps ranked", "reps", "%d", n);
        for (t = 1; t <= sc->p->tiers; t++) {
                char label[64];
                snprintf(label, sizeof(label), "tier %d &middot; mean %.3f", t,
                         sc->tier_mean[t]);
                lr_kpi(out, lr_ink(t), label, NULL, "%d rep%s", sc->tier_cnt[t],
                       sc->tier_cnt[t] == 1 ? "" : "s");
        }
        for (i = 0, n = 0; i < sc->moves_cnt; i++)
                n += sc->reps[sc->moves[i].rep].shown;
        lr_kpi(out, "#8a3ffc", "tier changes this month", "moves", "%d", n);
        fputs("</div>\n", out);
        lr_ranking_table(out, sc, linked);
        fputs("<section><h2>Composite by tier</h2><p class=\"cap\">Where "
              "each rep stands in its tier: a rep right of the green line "
              "moves up at the next evaluation, one left of the red line "
              "moves down.</p><div class=\"scroll\">\n",
              out);
        lr_svg_distribution(out, sc);
        fputs("</div></section>\n", out);
        lr_leaderboards(out, sc);
        lr_teams(out, sc, linked);
        lr_moves(out, sc, linked);
        lr_coaching(out, sc, linked);
        lr_foot(out, sc);
}

/* ---- rep page -------------------------------------------------------- */

static void lr_rep_metrics_table(FILE *out, const lr_scorecard_t *sc,
                                 const lr_sc_rep_t *r) {
        char a[48], b[48], c[48], d[48], e[48];
        int m;

        fprintf(out,
                "<div class=\"scroll\"><table data-table=\"metrics\"><tr><th "
                "class=\"l\">Metric</th><th>Value</th><th>Tier %d "
                "mean</th><th>Tier %d mean</th><th>For tier %d by this "
                "alone</th><th class=\"hide-narrow\">Samples</th></tr>\n",
                r->tier, r->tier > 1 ? r->tier - 1 : 1,
                r->tier > 1 ? r->tier - 1 : 1);
        for (m = 0; m < LR_METRIC_CNT; m++) {
                const lr_sc_metric_t *x = &r->m[m];
                lr_value(r, m, a, sizeof(a));
                if (x->has_tier_mean)
                        lr_scorecard_metric_text(m, x->tier_mean, b, sizeof(b));
                else
                        snprintf(b, sizeof(b), "-");
                if (x->has_next_mean)
                        lr_scorecard_metric_text(m, x->next_mean, c, sizeof(c));
                else
                        snprintf(c, sizeof(c), "-");
                if (x->to_next_status == LR_TIER_DISTANCE_REACHED) {
                        lr_scorecard_metric_text(m, x->to_next, d, sizeof(d));
                        lr_scorecard_change_text(m, x->to_next - x->value, e,
                                                 sizeof(e));
                } else {
                        snprintf(d, sizeof(d), "-");
                        snprintf(e, sizeof(e), "%s",
                                 r->tier == 1 ? "top tier"
                                 : x->to_next_status ==
                                         LR_TIER_DISTANCE_NO_SAMPLES
                                     ? "no data yet"
                                 : x->to_next_status == LR_TIER_DISTANCE_NO_NEXT
                                     ? "not promotable now"
                                     : "not by this alone");
                }
                fprintf(out,
                        "<tr data-metric=\"%s\"><td class=\"l\">%s</td><td "
                        "data-k=\"value\"><b>%s</b></td><td>%s</td><td>%s</td>"
                        "<td><span data-k=\"to_next_tier\">%s</span> "
                        "<small style=\"color:#52606d\">%s%s%s</small></td>"
                        "<td class=\"hide-narrow\">%.0f</td></tr>\n",
                        lr_metric_name(m), lr_scorecard_metric_title(m), a, b,
                        r->tier > 1 ? c : "-", d, *d == '-' ? "" : "(", e,
                        *d == '-' ? "" : ")", x->samples);
        }
        (void)sc;
        fputs("</table></div>\n", out);
}

static void lr_rep_page(FILE *out, const lr_scorecard_t *sc, int k,
                        int linked) {
        const lr_sc_rep_t *r = &sc->reps[k];
        char title[512], day[16], v[48], d[48];
        int m, j, active = 0, n = 0, tier = 0;
        size_t h;

        for (j = 0; j < sc->cnt; j++)
                active += sc->reps[j].active;
        snprintf(title, sizeof(title), "Scorecard - %s - %s", lr_who(r),
                 sc->tenant);
        lr_head(out, sc, title);
        fputs("<header class=\"top\">", out);
        if (linked)
                fputs("<p class=\"sub\"><a href=\"index.html\">&larr; all "
                      "reps of ",
                      out);
        else
                fputs("<p class=\"sub\">", out);
        lr_esc(out, sc->tenant);
        fputs(linked ? "</a></p>" : "</p>", out);
        fprintf(out, "<h1 data-rep=\"");
        lr_esc(out, r->rep_id);
        fputs("\">", out);
        lr_esc(out, lr_who(r));
        fputs("</h1><p class=\"sub\">", out);
        lr_esc(out, r->rep_id);
        if (r->team) {
                fputs(" &middot; team ", out);
                lr_esc(out, r->team);
        }
        fputs(" &middot; now ", out);
        lr_esc(out, r->status);
        fputs("</p>\n", out);
        lr_subtitle(out, sc);
        fputs("</header>\n<div class=\"kpis\">\n", out);
        if (r->active)
                lr_kpi(out, "#1f2933", "rank", "rank",
                       "%d <small>of "
                       "%d</small>",
                       r->rank, active);
        else
                lr_kpi(out, "#1f2933", "rank", "rank", "-");
        lr_kpi(out, lr_ink(r->tier), "tier", "tier", "%d", r->tier);
        lr_kpi(out, "#2563a6", "composite", "composite", "%.3f", r->composite);
        lr_kpi(out, "#5f6b7a", "tier mean composite", "tier_mean", "%.3f",
               r->tier_mean);
        if (r->active && r->tier > 1 && r->target >= 0)
                lr_kpi(out, lr_ink(r->tier - 1), "composite for the next tier",
                       "next", "%.3f", r->target);
        else if (r->ramping)
                lr_kpi(out, lr_ink(r->tier), "leads handled (ramp)", "next",
                       "%lld/%d", (long long)r->rk->handled,
                       sc->p->ramp_min_leads);
        else
                lr_kpi(out, lr_ink(r->tier), "composite for the next tier",
                       "next", "-");
        fputs("</div>\n", out);

        fputs("<section><h2>The five metrics against the tier</h2><p "
              "class=\"cap\">Bars are scores on the tenant's scale; the "
              "black mark is the mean of this rep's tier, the triangle the "
              "mean of the tier above.</p><div class=\"scroll\">\n",
              out);
        lr_svg_metrics(out, sc, k);
        fputs("</div>\n", out);
        lr_rep_metrics_table(out, sc, r);
        fputs("</section>\n", out);

        fputs("<section><h2>What it takes to move up</h2>\n", out);
        if (!r->active)
                fputs("<p>Departed: not ranked.</p>", out);
        else if (r->tier == 1)
                fputs("<p>Top tier: keep the composite above 80% of the "
                      "tier's mean to stay.</p>",
                      out);
        else if (r->ramping)
                fprintf(out,
                        "<p>Ramping: %lld of the %d leads a new rep handles "
                        "before its tier is evaluated.</p>",
                        (long long)r->rk->handled, sc->p->ramp_min_leads);
        else if (r->target < 0)
                fputs("<p>Too few peers in the tier for a promotion.</p>", out);
        else {
                fprintf(out,
                        "<p>Composite <b>%.3f</b> &rarr; <b>%.3f</b> (%.0f%% "
                        "of the tier's mean with this rep in it).%s</p>"
                        "<ul class=\"plain\">",
                        r->composite, r->target, sc->p->promote_ratio * 100,
                        r->composite >= r->target
                            ? " Already there: moves up at the next "
                              "evaluation."
                            : " By one metric alone:");
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        const lr_sc_metric_t *x = &r->m[m];
                        if (x->to_next_status != LR_TIER_DISTANCE_REACHED)
                                continue;
                        lr_scorecard_metric_text(m, x->to_next, v, sizeof(v));
                        lr_scorecard_change_text(m, x->to_next - x->value, d,
                                                 sizeof(d));
                        fprintf(out, "<li>%s <b>%s</b> (to %s)</li>",
                                lr_scorecard_metric_title(m), d, v);
                        n++;
                }
                if (!n && r->composite < r->target)
                        fputs("<li>no single metric gets there: it takes "
                              "several</li>",
                              out);
                fputs("</ul>", out);
        }
        fputs("</section>\n", out);

        fputs("<section><h2>Composite and rank, last 12 months</h2><p "
              "class=\"cap\">From the ranking history: the ranking the "
              "router installed each day.</p><div class=\"scroll\">\n",
              out);
        fputs("<h3 style=\"font-size:14px;margin:6px 0 0\">Composite</h3>\n",
              out);
        lr_svg_history(out, sc, k, LR_LINE_COMPOSITE);
        fputs("<h3 style=\"font-size:14px;margin:12px 0 0\">Rank (1 = "
              "best)</h3>\n",
              out);
        lr_svg_history(out, sc, k, LR_LINE_RANK);
        fputs("</div></section>\n", out);

        fputs("<section><h2>Tier history</h2><div class=\"scroll\">\n", out);
        lr_svg_history(out, sc, k, LR_LINE_TIER);
        fputs("</div><ul class=\"plain\">", out);
        for (h = 0, n = 0; h < r->history_cnt; h++) {
                if (r->history[h].tier == tier)
                        continue;
                lr_day_format(r->history[h].day, day, sizeof(day));
                fprintf(out, "<li>%s: %s tier %d</li>", day,
                        tier == 0                   ? "in"
                        : r->history[h].tier < tier ? "<span "
                                                      "class=\"up\">promoted "
                                                      "to</span>"
                                                    : "<span "
                                                      "class=\"down\">demoted "
                                                      "to</span>",
                        r->history[h].tier);
                tier = r->history[h].tier;
                n++;
        }
        if (!n)
                fputs("<li>no ranking history</li>", out);
        fputs("</ul></section>\n", out);

        fputs("<section><h2>Coaching</h2>\n", out);
        if (!r->pairs_cnt)
                fputs("<p>No metric trails the tier's peers.</p>", out);
        else {
                fputs("<ul class=\"plain\">", out);
                for (j = 0; j < r->pairs_cnt; j++) {
                        fputs("<li>", out);
                        lr_pair_text(out, sc, r, &r->pairs[j], linked);
                        fputs("</li>", out);
                }
                fputs("</ul>", out);
        }
        fputs("</section>\n", out);
        lr_foot(out, sc);
}

int lr_scorecard_html(FILE *out, const lr_scorecard_t *sc, int rep,
                      int linked) {
        if (rep >= 0)
                lr_rep_page(out, sc, rep, linked);
        else
                lr_tenant_page(out, sc, linked);
        return 0;
}
