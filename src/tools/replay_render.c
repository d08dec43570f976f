/*
 * replay_render.c - see replay_render.h. The lists (differing, recorded
 * only, decided out of order) are in decision-time order; the HTML page
 * has its style inline and no script, so it can be mailed or archived as
 * one file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "replay_render.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_RP_TABLE_MAX 50 /* rows of a list in the table */

static const char lr_rp_estimate_label[] =
    "estimate: expected from each rep's measured conversion rate for the "
    "lead's tier, win rate and deal size in the replayed window (shrunk "
    "toward the tenant's means), not an outcome";

/* The recorded decisions of one list, in decision-time order. */
typedef enum {
        LR_RP_LIST_DIFF,
        LR_RP_LIST_ONLY,
        LR_RP_LIST_DISORDER
} lr_rp_list_t;

static int lr_rp_in_list(const lr_rp_rec_t *rec, lr_rp_list_t which) {
        if (!rec->in_scope)
                return 0;
        switch (which) {
        case LR_RP_LIST_DIFF:
                return rec->match == LR_RP_DIFFERS;
        case LR_RP_LIST_ONLY:
                return rec->match == LR_RP_UNMATCHED;
        default: /* how the worker's order differed, whatever the replay's */
                return lr_rp_recorded_disorder(rec, 1) != NULL;
        }
}

static int lr_rp_rec_time_cmp(const void *a, const void *b) {
        const lr_rp_rec_t *x = *(const lr_rp_rec_t *const *)a;
        const lr_rp_rec_t *y = *(const lr_rp_rec_t *const *)b;
        if (x->decided_at != y->decided_at)
                return x->decided_at < y->decided_at ? -1 : 1;
        return strcmp(x->event_id, y->event_id);
}

static const lr_rp_rec_t **lr_rp_list(const lr_rp_report_t *r,
                                      lr_rp_list_t which, size_t *cnt) {
        const lr_rp_recorded_t *rec = r->recorded;
        const lr_rp_rec_t **v;
        size_t i, n = 0;

        *cnt = 0;
        if (!rec || (which == LR_RP_LIST_DISORDER && !r->positions_usable))
                return NULL;
        v = lr_xcalloc(rec->cnt + 1, sizeof(*v));
        for (i = 0; i < rec->cnt; i++)
                if (lr_rp_in_list(&rec->v[i], which))
                        v[n++] = &rec->v[i];
        qsort(v, n, sizeof(*v), lr_rp_rec_time_cmp);
        *cnt = n;
        return v;
}

void lr_rp_report_tally(const lr_rp_report_t *r, lr_rp_tally_t *t) {
        size_t i;
        memset(t, 0, sizeof(*t));
        for (i = 0; r->recorded && i < r->recorded->cnt; i++) {
                const lr_rp_rec_t *rec = &r->recorded->v[i];
                if (!rec->in_scope)
                        continue;
                t->compared++;
                if (rec->match == LR_RP_REPRODUCED)
                        t->reproduced++;
                else if (rec->match == LR_RP_DIFFERS)
                        t->differing++;
                else
                        t->recorded_only++;
        }
}

static double lr_rp_rate(const lr_rp_report_t *r) {
        return r->seconds > 0 ? (double)r->events / r->seconds
                              : (double)r->events;
}

/* ---- JSON ------------------------------------------------------------------
 */

static json_t *lr_rp_str(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *lr_rp_side_json(const lr_rp_side_t *s, int what) {
        switch (what) {
        case 0:
                return json_pack("{s:I,s:f,s:f}", "waiting_leads",
                                 (json_int_t)s->waiting_leads,
                                 "mean_wait_seconds", s->mean_wait_seconds,
                                 "max_wait_seconds", s->max_wait_seconds);
        case 1:
                return json_pack("{s:I,s:I,s:I}", "sla_reassigned",
                                 (json_int_t)s->sla_reassigned, "escalated",
                                 (json_int_t)s->escalated, "waited_beyond_sla",
                                 (json_int_t)s->waited_beyond_sla);
        default:
                return json_pack("{s:f,s:f}", "conversions",
                                 s->expected_conversions, "revenue_cents",
                                 s->expected_revenue_cents);
        }
}

static json_t *lr_rp_whatif_json(const lr_rp_report_t *r) {
        const lr_rp_whatif_report_t *w = r->what_if;
        json_t *moved = json_array(), *reps = json_array(),
               *tiers = json_array();
        int64_t i;
        int t;

        for (i = 0; i < w->moved; i++) {
                const lr_rp_moved_t *m = &w->moved_leads[i];
                json_array_append_new(
                    moved, json_pack("{s:s,s:s,s:s,s:s,s:s}", "tenant_id",
                                     m->tenant_id, "lead_id", m->lead_id,
                                     "event_id", m->event_id, "recorded_rep_id",
                                     m->recorded_rep_id, "replayed_rep_id",
                                     m->replayed_rep_id));
        }
        for (i = 0; i < (int64_t)w->reps_cnt; i++) {
                const lr_rp_rep_count_t *c = &w->reps[i];
                json_array_append_new(
                    reps, json_pack("{s:s,s:s,s:I,s:I,s:f,s:f}", "tenant_id",
                                    c->tenant_id, "rep_id", c->rep_id, "before",
                                    (json_int_t)c->before, "after",
                                    (json_int_t)c->after, "conversion_rate",
                                    c->conversion_rate, "deal_size_cents",
                                    c->deal_size_cents));
        }
        for (t = 1; t <= w->tiers; t++)
                json_array_append_new(
                    tiers, json_pack("{s:i,s:I,s:I}", "rep_tier", t, "before",
                                     (json_int_t)w->tier_before[t], "after",
                                     (json_int_t)w->tier_after[t]));
        return json_pack(
            "{s:o,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:{s:f,s:f},s:{s:o,s:o},"
            "s:{s:o,s:o},s:{s:s,s:o,s:o},s:{s:I,s:I}}",
            "policy_version", lr_rp_str(r->policy_version), "leads",
            (json_int_t)w->leads, "moved", (json_int_t)w->moved,
            "recorded_only_leads", (json_int_t)w->only_before,
            "replayed_only_leads", (json_int_t)w->only_after, "moved_leads",
            moved, "leads_per_rep", reps, "leads_per_tier", tiers, "gini",
            "before", w->before.gini_leads, "after", w->after.gini_leads,
            "waits", "before", lr_rp_side_json(&w->before, 0), "after",
            lr_rp_side_json(&w->after, 0), "sla", "before",
            lr_rp_side_json(&w->before, 1), "after",
            lr_rp_side_json(&w->after, 1), "estimate", "label",
            lr_rp_estimate_label, "before", lr_rp_side_json(&w->before, 2),
            "after", lr_rp_side_json(&w->after, 2), "decisions", "before",
            (json_int_t)w->before.decisions, "after",
            (json_int_t)w->after.decisions);
}

static int lr_rp_json(FILE *fp, const lr_rp_report_t *r) {
        json_t *doc, *diff = json_array(), *only = json_array(),
                     *detail = json_array(), *again = json_array(),
                     *late = json_array();
        const lr_rp_rec_t **v;
        lr_rp_tally_t t;
        size_t n, i;
        int rc;

        lr_rp_report_tally(r, &t);
        v = lr_rp_list(r, LR_RP_LIST_DIFF, &n);
        for (i = 0; i < n; i++)
                json_array_append_new(
                    diff,
                    json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o}", "event_id",
                              v[i]->event_id, "lead_id", v[i]->lead_id,
                              "recorded_rep_id", v[i]->rep_id,
                              "recorded_reason", v[i]->reason,
                              "replayed_rep_id", lr_rp_str(v[i]->replayed_rep),
                              "replayed_reason",
                              lr_rp_str(v[i]->replayed_reason), "cause",
                              lr_rp_str(v[i]->cause)));
        free(v);
        v = lr_rp_list(r, LR_RP_LIST_ONLY, &n);
        for (i = 0; i < n; i++) {
                json_array_append_new(only, json_string(v[i]->event_id));
                json_array_append_new(
                    detail, json_pack("{s:s,s:s,s:s,s:s,s:o}", "event_id",
                                      v[i]->event_id, "lead_id", v[i]->lead_id,
                                      "recorded_rep_id", v[i]->rep_id,
                                      "recorded_reason", v[i]->reason, "cause",
                                      lr_rp_str(v[i]->cause)));
        }
        free(v);
        for (i = 0; i < r->replayed_only_cnt; i++)
                json_array_append_new(again, json_string(r->replayed_only[i]));
        v = lr_rp_list(r, LR_RP_LIST_DISORDER, &n);
        for (i = 0; i < n; i++)
                json_array_append_new(
                    late,
                    json_pack("{s:s,s:s,s:s,s:b}", "event_id", v[i]->event_id,
                              "lead_id", v[i]->lead_id, "cause",
                              lr_rp_recorded_disorder(v[i], 1), "reproduced",
                              v[i]->match == LR_RP_REPRODUCED));
        free(v);
        doc = json_pack(
            "{s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:f,s:s,s:o,s:f,s:I,s:I,s:I,s:I,"
            "s:I,s:o,s:o}",
            "events", (json_int_t)r->events, "decisions",
            (json_int_t)r->decisions, "compared", (json_int_t)t.compared,
            "reproduced", (json_int_t)t.reproduced, "differing", diff,
            "recorded_only", only, "replayed_only", again, "events_per_second",
            lr_rp_rate(r), "order", r->order, "compare", lr_rp_str(r->compare),
            "seconds", r->seconds, "tenants", (json_int_t)r->tenants,
            "rejected", (json_int_t)r->rejected, "duplicates",
            (json_int_t)r->duplicates, "dead_letters", (json_int_t)r->bad,
            "outside_range", (json_int_t)r->out_of_range,
            "recorded_only_detail", detail, "decided_out_of_order", late);
        if (r->what_if)
                json_object_set_new(doc, "what_if", lr_rp_whatif_json(r));
        rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', fp);
        json_decref(doc);
        return rc;
}

/* ---- table -----------------------------------------------------------------
 */

static void lr_rp_cell(char *buf, size_t size, const char *rep,
                       const char *reason) {
        snprintf(buf, size, "%s %s", rep ? rep : "-", reason ? reason : "");
}

static void lr_rp_table_whatif(FILE *fp, const lr_rp_report_t *r) {
        const lr_rp_whatif_report_t *w = r->what_if;
        int64_t i;
        int t;

        fprintf(fp,
                "\nwhat if (replayed with policy %s), lead by lead (the rep "
                "each lead ended with):\n",
                r->policy_version ? r->policy_version : "?");
        fprintf(fp,
                "  leads %" PRId64 ": %" PRId64 " would have gone elsewhere, "
                "%" PRId64 " assigned only as recorded, %" PRId64
                " only in the replay\n",
                w->leads, w->moved, w->only_before, w->only_after);
        for (i = 0; i < w->moved && i < LR_RP_TABLE_MAX; i++)
                fprintf(fp, "    %-28s %-14s -> %s\n",
                        w->moved_leads[i].lead_id,
                        w->moved_leads[i].recorded_rep_id,
                        w->moved_leads[i].replayed_rep_id);
        if (w->moved > LR_RP_TABLE_MAX)
                fprintf(fp, "    ... %" PRId64 " more (--format json)\n",
                        w->moved - LR_RP_TABLE_MAX);
        fprintf(fp, "  %-24s %8s %8s %8s %12s\n", "leads per rep", "before",
                "after", "conv", "deal $");
        for (i = 0; i < (int64_t)w->reps_cnt; i++)
                fprintf(fp,
                        "  %-24s %8" PRId64 " %8" PRId64 " %7.1f%% %12.0f\n",
                        w->reps[i].rep_id, w->reps[i].before, w->reps[i].after,
                        100.0 * w->reps[i].conversion_rate,
                        w->reps[i].deal_size_cents / 100.0);
        fprintf(fp, "  %-24s %8s %8s\n", "leads per rep tier", "before",
                "after");
        for (t = 1; t <= w->tiers; t++)
                fprintf(fp, "  tier %-19d %8" PRId64 " %8" PRId64 "\n", t,
                        w->tier_before[t], w->tier_after[t]);
        fprintf(fp, "  %-24s %8.3f %8.3f\n", "Gini of leads per rep",
                w->before.gini_leads, w->after.gini_leads);
        fprintf(fp, "  %-24s %8" PRId64 " %8" PRId64 "\n", "leads that waited",
                w->before.waiting_leads, w->after.waiting_leads);
        fprintf(fp, "  %-24s %8.1f %8.1f\n", "mean wait s",
                w->before.mean_wait_seconds, w->after.mean_wait_seconds);
        fprintf(fp, "  %-24s %8.1f %8.1f\n", "longest wait s",
                w->before.max_wait_seconds, w->after.max_wait_seconds);
        fprintf(fp, "  %-24s %8" PRId64 " %8" PRId64 "\n",
                "waited beyond the SLA", w->before.waited_beyond_sla,
                w->after.waited_beyond_sla);
        fprintf(fp, "  %-24s %8" PRId64 " %8" PRId64 "\n", "SLA reassignments",
                w->before.sla_reassigned, w->after.sla_reassigned);
        fprintf(fp, "  %-24s %8" PRId64 " %8" PRId64 "\n", "escalations",
                w->before.escalated, w->after.escalated);
        fprintf(fp, "  %-24s %8.1f %8.1f   (%s)\n", "conversions (est.)",
                w->before.expected_conversions, w->after.expected_conversions,
                "estimate");
        fprintf(fp, "  %-24s %8.0f %8.0f   (%s)\n", "revenue $ (est.)",
                w->before.expected_revenue_cents / 100.0,
                w->after.expected_revenue_cents / 100.0, "estimate");
        fprintf(fp, "  (%s)\n", lr_rp_estimate_label);
}

static void lr_rp_table(FILE *fp, const lr_rp_report_t *r) {
        const lr_rp_rec_t **v;
        lr_rp_tally_t t;
        size_t n, i;

        fprintf(fp,
                "replayed %" PRId64 " events in %.1f s (%.0f events/s) from "
                "%s, %" PRId64 " tenant(s), in %s order\n",
                r->events, r->seconds, lr_rp_rate(r), r->source, r->tenants,
                r->order);
        fprintf(fp,
                "  %" PRId64 " decisions; not applied: %" PRId64
                " rejected, %" PRId64 " duplicates, %" PRId64
                " dead letters, %" PRId64 " outside --from/--to\n",
                r->decisions, r->rejected, r->duplicates, r->bad,
                r->out_of_range);
        if (!r->recorded)
                return;
        lr_rp_report_tally(r, &t);
        fprintf(fp,
                "compared with %s: %" PRId64 " recorded decisions\n"
                "  reproduced     %8" PRId64 "\n"
                "  differing      %8" PRId64 "\n"
                "  recorded only  %8" PRId64 "\n"
                "  replayed only  %8zu\n",
                r->compare, t.compared, t.reproduced, t.differing,
                t.recorded_only, r->replayed_only_cnt);
        v = lr_rp_list(r, LR_RP_LIST_DIFF, &n);
        if (n)
                fprintf(fp, "\ndiffering decisions:\n  %-28s %-26s %-26s %s\n",
                        "event_id", "recorded (rep reason)",
                        "replayed (rep reason)", "cause");
        for (i = 0; i < n && i < LR_RP_TABLE_MAX; i++) {
                char a[128], b[128];
                lr_rp_cell(a, sizeof(a), v[i]->rep_id, v[i]->reason);
                lr_rp_cell(b, sizeof(b), v[i]->replayed_rep,
                           v[i]->replayed_reason);
                fprintf(fp, "  %-28s %-26s %-26s %s\n", v[i]->event_id, a, b,
                        v[i]->cause ? v[i]->cause : "-");
        }
        if (n > LR_RP_TABLE_MAX)
                fprintf(fp, "  ... %zu more (--format json)\n",
                        n - LR_RP_TABLE_MAX);
        free(v);
        v = lr_rp_list(r, LR_RP_LIST_ONLY, &n);
        if (n)
                fprintf(fp, "\nrecorded, not replayed:\n");
        for (i = 0; i < n && i < LR_RP_TABLE_MAX; i++) {
                char a[128];
                lr_rp_cell(a, sizeof(a), v[i]->rep_id, v[i]->reason);
                fprintf(fp, "  %-28s %-26s %s\n", v[i]->event_id, a,
                        v[i]->cause ? v[i]->cause : "-");
        }
        if (n > LR_RP_TABLE_MAX)
                fprintf(fp, "  ... %zu more (--format json)\n",
                        n - LR_RP_TABLE_MAX);
        free(v);
        if (r->replayed_only_cnt)
                fprintf(fp, "\nreplayed, not recorded:\n");
        for (i = 0; i < r->replayed_only_cnt && i < LR_RP_TABLE_MAX; i++)
                fprintf(fp, "  %s\n", r->replayed_only[i]);
        if (r->replayed_only_cnt > LR_RP_TABLE_MAX)
                fprintf(fp, "  ... %zu more (--format json)\n",
                        r->replayed_only_cnt - LR_RP_TABLE_MAX);
        v = lr_rp_list(r, LR_RP_LIST_DISORDER, &n);
        if (n)
                fprintf(fp,
                        "\n%zu decision(s) made on inputs that reached the "
                        "worker out of event-time order:\n",
                        n);
        for (i = 0; i < n && i < LR_RP_TABLE_MAX; i++)
                fprintf(fp, "  %-28s %s%s\n", v[i]->event_id,
                        lr_rp_recorded_disorder(v[i], 1),
                        v[i]->match == LR_RP_REPRODUCED
                            ? " (reproduced in the worker's order)"
                            : "");
        if (n > LR_RP_TABLE_MAX)
                fprintf(fp, "  ... %zu more (--format json)\n",
                        n - LR_RP_TABLE_MAX);
        free(v);
        if (r->what_if)
                lr_rp_table_whatif(fp, r);
}

/* ---- HTML ------------------------------------------------------------------
 */

static void lr_rp_esc(FILE *fp, const char *s) {
        for (; s && *s; s++) {
                switch (*s) {
                case '<':
                        fputs("&lt;", fp);
                        break;
                case '>':
                        fputs("&gt;", fp);
                        break;
                case '&':
                        fputs("&amp;", fp);
                        break;
                case '"':
                        fputs("&quot;", fp);
                        break;
                default:
                        fputc(*s, fp);
                }
        }
}

static void lr_rp_html_recs(FILE *fp, const char *title,
                            const lr_rp_rec_t *const *v, size_t n,
                            int replayed) {
        size_t i;
        char when[32];
        fprintf(fp, "<h2>%s (%zu)</h2>\n", title, n);
        if (!n)
                return;
        fputs("<table><tr><th>event_id</th><th>lead</th><th>decided at</th>"
              "<th>recorded</th>",
              fp);
        if (replayed)
                fputs("<th>replayed</th>", fp);
        fputs("<th>cause</th></tr>\n", fp);
        for (i = 0; i < n; i++) {
                lr_iso8601(v[i]->decided_at, when, sizeof(when));
                fputs("<tr><td>", fp);
                lr_rp_esc(fp, v[i]->event_id);
                fputs("</td><td>", fp);
                lr_rp_esc(fp, v[i]->lead_id);
                fprintf(fp, "</td><td>%s</td><td>", when);
                lr_rp_esc(fp, v[i]->rep_id);
                fputs(" <small>", fp);
                lr_rp_esc(fp, v[i]->reason);
                fputs("</small></td>", fp);
                if (replayed) {
                        fputs("<td>", fp);
                        lr_rp_esc(fp, v[i]->replayed_rep);
                        fputs(" <small>", fp);
                        lr_rp_esc(fp, v[i]->replayed_reason);
                        fputs("</small></td>", fp);
                }
                fputs("<td>", fp);
                lr_rp_esc(fp, v[i]->cause ? v[i]->cause : "-");
                fputs("</td></tr>\n", fp);
        }
        fputs("</table>\n", fp);
}

static void lr_rp_html_whatif(FILE *fp, const lr_rp_report_t *r) {
        const lr_rp_whatif_report_t *w = r->what_if;
        int64_t i, top = 1;
        int t;

        for (i = 0; i < (int64_t)w->reps_cnt; i++) {
                if (w->reps[i].before > top)
                        top = w->reps[i].before;
                if (w->reps[i].after > top)
                        top = w->reps[i].after;
        }
        fputs("<h2>What if</h2>\n<p>Replayed with policy <code>", fp);
        lr_rp_esc(fp, r->policy_version);
        fprintf(fp,
                "</code>: of %" PRId64 " leads, <b>%" PRId64
                "</b> would have gone to another rep.</p>\n",
                w->leads, w->moved);
        fputs("<table><tr><th>rep</th><th>before</th><th></th><th>after</th>"
              "<th></th><th>conversion</th></tr>\n",
              fp);
        for (i = 0; i < (int64_t)w->reps_cnt; i++) {
                const lr_rp_rep_count_t *c = &w->reps[i];
                fputs("<tr><td>", fp);
                lr_rp_esc(fp, c->rep_id);
                fprintf(fp,
                        "</td><td>%" PRId64
                        "</td><td><div class=bar style=\"width:%dpx\"></div>"
                        "</td><td>%" PRId64 "</td><td><div class=\"bar after\" "
                        "style=\"width:%dpx\"></div></td><td>%.1f%%</td>"
                        "</tr>\n",
                        c->before, (int)(200 * c->before / top), c->after,
                        (int)(200 * c->after / top),
                        100.0 * c->conversion_rate);
        }
        fputs("</table>\n<table><tr><th></th><th>before</th><th>after</th>"
              "</tr>\n",
              fp);
        for (t = 1; t <= w->tiers; t++)
                fprintf(fp,
                        "<tr><td>leads to tier %d reps</td><td>%" PRId64
                        "</td><td>%" PRId64 "</td></tr>\n",
                        t, w->tier_before[t], w->tier_after[t]);
        fprintf(fp,
                "<tr><td>Gini of leads per rep</td><td>%.3f</td><td>%.3f</td>"
                "</tr>\n<tr><td>leads that waited</td><td>%" PRId64
                "</td><td>%" PRId64
                "</td></tr>\n<tr><td>mean wait (s)</td><td>%.1f</td><td>%.1f"
                "</td></tr>\n<tr><td>waited beyond the first-touch SLA</td>"
                "<td>%" PRId64 "</td><td>%" PRId64
                "</td></tr>\n<tr><td>SLA reassignments</td><td>%" PRId64
                "</td><td>%" PRId64
                "</td></tr>\n<tr><td>conversions <i>(estimate)</i></td>"
                "<td>%.1f</td><td>%.1f</td></tr>\n<tr><td>revenue $ "
                "<i>(estimate)</i></td><td>%.0f</td><td>%.0f</td></tr>\n"
                "</table>\n<p class=note>",
                w->before.gini_leads, w->after.gini_leads,
                w->before.waiting_leads, w->after.waiting_leads,
                w->before.mean_wait_seconds, w->after.mean_wait_seconds,
                w->before.waited_beyond_sla, w->after.waited_beyond_sla,
                w->before.sla_reassigned, w->after.sla_reassigned,
                w->before.expected_conversions, w->after.expected_conversions,
                w->before.expected_revenue_cents / 100.0,
                w->after.expected_revenue_cents / 100.0);
        lr_rp_esc(fp, lr_rp_estimate_label);
        fputs("</p>\n", fp);
        if (w->moved) {
                fputs("<h3>Leads that would have gone elsewhere</h3>\n<table>"
                      "<tr><th>lead</th><th>recorded</th><th>replayed</th>"
                      "</tr>\n",
                      fp);
                for (i = 0; i < w->moved; i++) {
                        fputs("<tr><td>", fp);
                        lr_rp_esc(fp, w->moved_leads[i].lead_id);
                        fputs("</td><td>", fp);
                        lr_rp_esc(fp, w->moved_leads[i].recorded_rep_id);
                        fputs("</td><td>", fp);
                        lr_rp_esc(fp, w->moved_leads[i].replayed_rep_id);
                        fputs("</td></tr>\n", fp);
                }
                fputs("</table>\n", fp);
        }
}

static void lr_rp_html(FILE *fp, const lr_rp_report_t *r) {
        const lr_rp_rec_t **v;
        lr_rp_tally_t t;
        size_t n, i;

        lr_rp_report_tally(r, &t);
        fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
              "<title>leadrouter replay</title>\n<style>"
              "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
              "table{border-collapse:collapse;margin:.5em 0 1.5em}"
              "td,th{border-bottom:1px solid #ddd;padding:3px 10px;"
              "text-align:left}th{background:#f4f4f4}"
              ".ok{color:#176b2c}.bad{color:#a4161a}"
              ".bar{height:10px;background:#8fa9c8}.bar.after{background:"
              "#e0a458}.note{color:#666;font-size:12px}small{color:#666}"
              ".cards span{display:inline-block;border:1px solid #ddd;"
              "border-radius:6px;padding:8px 14px;margin:0 8px 8px 0}"
              "</style></head><body>\n<h1>leadrouter replay</h1>\n",
              fp);
        fprintf(fp, "<p>%" PRId64 " events from ", r->events);
        lr_rp_esc(fp, r->source);
        fprintf(fp,
                " in %.1f s (%.0f events/s), %" PRId64
                " tenant(s), applied in %s order; %" PRId64 " decisions.</p>\n",
                r->seconds, lr_rp_rate(r), r->tenants, r->order, r->decisions);
        if (r->recorded) {
                fputs("<p>Compared with <code>", fp);
                lr_rp_esc(fp, r->compare);
                fprintf(
                    fp,
                    "</code>:</p>\n<div class=cards><span>compared <b>%" PRId64
                    "</b></span><span class=ok>reproduced <b>%" PRId64
                    "</b></span><span class=%s>differing <b>%" PRId64
                    "</b></span><span>recorded only <b>%" PRId64
                    "</b></span><span>replayed only <b>%zu</b></span>"
                    "</div>\n",
                    t.compared, t.reproduced, t.differing ? "bad" : "ok",
                    t.differing, t.recorded_only, r->replayed_only_cnt);
                v = lr_rp_list(r, LR_RP_LIST_DIFF, &n);
                lr_rp_html_recs(fp, "Differing decisions", v, n, 1);
                free(v);
                v = lr_rp_list(r, LR_RP_LIST_ONLY, &n);
                lr_rp_html_recs(fp, "Recorded, not replayed", v, n, 0);
                free(v);
                fprintf(fp, "<h2>Replayed, not recorded (%zu)</h2>\n",
                        r->replayed_only_cnt);
                for (i = 0; i < r->replayed_only_cnt; i++) {
                        fputs(i ? ", <code>" : "<p><code>", fp);
                        lr_rp_esc(fp, r->replayed_only[i]);
                        fputs("</code>", fp);
                }
                if (r->replayed_only_cnt)
                        fputs("</p>\n", fp);
                v = lr_rp_list(r, LR_RP_LIST_DISORDER, &n);
                if (n) {
                        fprintf(fp,
                                "<h2>Decided on inputs out of event-time "
                                "order (%zu)</h2>\n<table><tr><th>event_id"
                                "</th><th>why</th><th>reproduced</th></tr>\n",
                                n);
                        for (i = 0; i < n; i++) {
                                fputs("<tr><td>", fp);
                                lr_rp_esc(fp, v[i]->event_id);
                                fprintf(fp,
                                        "</td><td>%s</td><td>%s</td></tr>\n",
                                        lr_rp_recorded_disorder(v[i], 1),
                                        v[i]->match == LR_RP_REPRODUCED ? "yes"
                                                                        : "no");
                        }
                        fputs("</table>\n", fp);
                }
                free(v);
        }
        if (r->what_if)
                lr_rp_html_whatif(fp, r);
        fputs("</body></html>\n", fp);
}

int lr_rp_render(FILE *fp, const char *format, const lr_rp_report_t *r,
                 char *errstr, size_t errstr_size) {
        if (!strcmp(format, "json")) {
                if (lr_rp_json(fp, r)) {
                        snprintf(errstr, errstr_size, "cannot write JSON");
                        return -1;
                }
        } else if (!strcmp(format, "html")) {
                lr_rp_html(fp, r);
        } else if (!strcmp(format, "table")) {
                lr_rp_table(fp, r);
        } else {
                snprintf(errstr, errstr_size,
                         "--format %s: expected table, json or html", format);
                return -1;
        }
        if (fflush(fp) == EOF || ferror(fp)) {
                snprintf(errstr, errstr_size, "write: %s", strerror(errno));
                return -1;
        }
        return 0;
}
