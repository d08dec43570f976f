/*
 * scorecard_text.c - the scorecard for a terminal (an aligned table, then
 * what each rep needs for the next tier, coaching pairs, leaderboards,
 * teams and the month's tier movements; or one rep's page with --rep) and
 * as CSV (one line per rep, for spreadsheets).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scorecard.h"
#include "timeutil.h"

/* Table columns. */
enum {
        LR_SC_RANK = 0,
        LR_SC_REP,
        LR_SC_TEAM,
        LR_SC_TIER,
        LR_SC_COMPOSITE,
        LR_SC_STATUS,
        LR_SC_OPEN,
        LR_SC_METRIC0, /* five metric columns */
        LR_SC_NEXT = LR_SC_METRIC0 + LR_METRIC_CNT,
        LR_SC_COLS
};

static const char *lr_sc_titles[LR_SC_COLS] = {
    "RANK",   "REP",   "TEAM",        "TIER",     "COMPOSITE",
    "STATUS", "OPEN",  "CONVERSION",  "WIN RATE", "DEAL SIZE",
    "CYCLE",  "SPEED", "TO NEXT TIER"};

#define LR_SC_CELL 64

static void lr_sc_value(const lr_sc_rep_t *r, lr_metric_t m, char *buf,
                        size_t size) {
        if (!r->m[m].has_value)
                snprintf(buf, size, "-");
        else
                lr_scorecard_metric_text(m, r->m[m].value, buf, size);
}

static void lr_sc_cells(const lr_scorecard_t *sc, const lr_sc_rep_t *r,
                        char buf[LR_SC_COLS][LR_SC_CELL]) {
        int m;

        if (r->active)
                snprintf(buf[LR_SC_RANK], LR_SC_CELL, "%d", r->rank);
        else
                snprintf(buf[LR_SC_RANK], LR_SC_CELL, "-");
        snprintf(buf[LR_SC_REP], LR_SC_CELL, "%s", r->rep_id);
        snprintf(buf[LR_SC_TEAM], LR_SC_CELL, "%s", r->team ? r->team : "-");
        snprintf(buf[LR_SC_STATUS], LR_SC_CELL, "%s", r->status);
        snprintf(buf[LR_SC_TIER], LR_SC_CELL, "%d", r->tier);
        lr_scorecard_composite_text(r->composite, buf[LR_SC_COMPOSITE],
                                    LR_SC_CELL);
        snprintf(buf[LR_SC_OPEN], LR_SC_CELL, "%lld", (long long)r->open_leads);
        for (m = 0; m < LR_METRIC_CNT; m++)
                lr_sc_value(r, m, buf[LR_SC_METRIC0 + m], LR_SC_CELL);
        if (!r->active || r->tier == 1)
                snprintf(buf[LR_SC_NEXT], LR_SC_CELL, "-");
        else if (r->ramping)
                snprintf(buf[LR_SC_NEXT], LR_SC_CELL, "ramp %lld/%d",
                         (long long)r->rk->handled, sc->p->ramp_min_leads);
        else if (r->target < 0)
                snprintf(buf[LR_SC_NEXT], LR_SC_CELL, "n/a");
        else
                lr_scorecard_composite_text(r->target, buf[LR_SC_NEXT],
                                            LR_SC_CELL);
}

/* "conversion 0.23x -> 0.68x (+0.44x), or ..." into out; 0 if none. */
static int lr_sc_next_line(FILE *out, const lr_sc_rep_t *r) {
        int m, n = 0;
        for (m = 0; m < LR_METRIC_CNT; m++) {
                char a[48], b[48], d[48];
                const lr_sc_metric_t *x = &r->m[m];
                if (x->to_next_status != LR_TIER_DISTANCE_REACHED)
                        continue;
                lr_scorecard_metric_text(m, x->value, a, sizeof(a));
                lr_scorecard_metric_text(m, x->to_next, b, sizeof(b));
                lr_scorecard_change_text(m, x->to_next - x->value, d,
                                         sizeof(d));
                fprintf(out, "%s%s %s -> %s (%s)", n++ ? ", or " : "; or ",
                        lr_metric_name(m), a, b, d);
        }
        return n;
}

static void lr_sc_pair_line(FILE *out, const lr_scorecard_t *sc,
                            const lr_coaching_pair_t *pr) {
        char v[48];
        int j;

        fprintf(out, "learn %s from ", lr_metric_name(pr->metric));
        for (j = 0; j < pr->mentors_cnt; j++) {
                const lr_sc_rep_t *y = &sc->reps[pr->mentors[j]];
                lr_sc_value(y, pr->metric, v, sizeof(v));
                fprintf(out, "%s%s (%s)", j ? ", " : "", y->rep_id, v);
        }
}

static int lr_sc_main_table(FILE *out, const lr_scorecard_t *sc) {
        char(*buf)[LR_SC_COLS][LR_SC_CELL];
        size_t width[LR_SC_COLS];
        int r, c, n = 0;

        buf = calloc((size_t)(sc->cnt > 0 ? sc->cnt : 1), sizeof(*buf));
        if (!buf)
                return -1;
        for (c = 0; c < LR_SC_COLS; c++)
                width[c] = strlen(lr_sc_titles[c]);
        for (r = 0; r < sc->cnt; r++) {
                if (!sc->reps[r].shown)
                        continue;
                lr_sc_cells(sc, &sc->reps[r], buf[n]);
                for (c = 0; c < LR_SC_COLS; c++)
                        if (strlen(buf[n][c]) > width[c])
                                width[c] = strlen(buf[n][c]);
                n++;
        }
        for (r = -1; r < n; r++) {
                for (c = 0; c < LR_SC_COLS; c++) {
                        const char *s = r < 0 ? lr_sc_titles[c] : buf[r][c];
                        int left      = c == LR_SC_REP || c == LR_SC_STATUS ||
                                   c == LR_SC_TEAM;
                        fprintf(out, "%s%*s", c ? "  " : "",
                                left ? -(int)width[c] : (int)width[c], s);
                }
                fputc('\n', out);
        }
        free(buf);
        return 0;
}

static void lr_sc_title(FILE *out, const lr_scorecard_t *sc) {
        char as_of[16], day[16];
        lr_day_format(sc->as_of_day, as_of, sizeof(as_of));
        lr_day_format(sc->day, day, sizeof(day));
        fprintf(out, "Scorecard of %s as of %s (trailing %d days, %d tiers",
                sc->tenant, as_of, sc->p->window_days, sc->p->tiers);
        if (sc->team)
                fprintf(out, ", team %s", sc->team);
        fprintf(out, ")\n");
        if (sc->preview)
                fprintf(out,
                        "Preview: no ranking installed for %s yet; as "
                        "the router will install it at the tenant's next "
                        "event, with today's tiers (its tier evaluation "
                        "may move reps).\n",
                        day);
        else if (sc->day != sc->as_of_day)
                fprintf(out,
                        "No ranking was installed on %s (no events that "
                        "day): the ranking of %s, in force then, is shown.\n",
                        as_of, day);
        fputc('\n', out);
}

static void lr_sc_tenant_sections(FILE *out, const lr_scorecard_t *sc) {
        char v[48], day[16];
        int k, m, b, t, j;
        size_t i;

        fprintf(out, "\nTo the next tier (composite needed; or one metric "
                     "alone):\n");
        for (k = 0; k < sc->cnt; k++) {
                const lr_sc_rep_t *r = &sc->reps[k];
                if (!r->shown || !r->active || r->tier == 1 || r->target < 0)
                        continue;
                fprintf(out, "  %s  tier %d -> %d: composite %.3f -> %.3f",
                        r->rep_id, r->tier, r->tier - 1, r->composite,
                        r->target);
                if (r->composite >= r->target)
                        fprintf(out, ": qualifies at the next evaluation");
                else if (!lr_sc_next_line(out, r))
                        fprintf(out, "; no single metric gets there");
                fputc('\n', out);
        }
        fprintf(out, "\nCoaching (weakest against the tier, and who is "
                     "best at it):\n");
        for (k = 0; k < sc->cnt; k++) {
                const lr_sc_rep_t *r = &sc->reps[k];
                if (!r->shown || !r->pairs_cnt)
                        continue;
                fprintf(out, "  %s:", r->rep_id);
                for (j = 0; j < r->pairs_cnt; j++) {
                        fputs(j ? "; " : " ", out);
                        lr_sc_pair_line(out, sc, &r->pairs[j]);
                }
                fputc('\n', out);
        }
        fprintf(out, "\nLeaderboards:\n");
        for (m = 0; m < LR_METRIC_CNT; m++) {
                int shown = 0;
                fprintf(out, "  %-14s", lr_metric_name(m));
                for (b = 0; b < sc->board_cnt[m] && shown < 5; b++) {
                        const lr_sc_rep_t *r = &sc->reps[sc->board[m][b]];
                        if (!r->shown)
                                continue;
                        lr_sc_value(r, m, v, sizeof(v));
                        fprintf(out, "  %d. %s %s", ++shown, r->rep_id, v);
                }
                fputc('\n', out);
        }
        if (sc->teams_cnt) {
                fprintf(out, "\nTeams (mean composite of the members; "
                             "strongest member per metric):\n");
                for (t = 0; t < sc->teams_cnt; t++) {
                        const lr_team_t *tm = &sc->teams[t];
                        if (sc->team && strcmp(sc->team, tm->team))
                                continue;
                        fprintf(out,
                                "  %s  %d reps  composite %.3f  best rank %d ",
                                tm->team, tm->members, tm->composite,
                                tm->best_rank);
                        for (m = 0; m < LR_METRIC_CNT; m++)
                                if (tm->strongest[m] >= 0)
                                        fprintf(
                                            out, " %s: %s", lr_metric_name(m),
                                            sc->reps[tm->strongest[m]].rep_id);
                        fputc('\n', out);
                }
        }
        lr_day_format(sc->day, day, sizeof(day));
        fprintf(out, "\nTier movements in %.7s:%s\n", day,
                sc->moves_cnt ? "" : " none");
        for (i = 0; i < sc->moves_cnt; i++) {
                const lr_sc_move_t *mv = &sc->moves[i];
                if (!sc->reps[mv->rep].shown)
                        continue;
                lr_day_format(mv->day, day, sizeof(day));
                fprintf(out,
                        "  %s  %s  tier %d -> %d (composite %.3f, tier "
                        "mean %.3f)\n",
                        day, sc->reps[mv->rep].rep_id, mv->from, mv->to,
                        mv->composite, mv->tier_mean);
        }
}

static void lr_sc_rep_page(FILE *out, const lr_scorecard_t *sc, int k) {
        const lr_sc_rep_t *r = &sc->reps[k];
        char v[48], a[48], b[48], d[48], day[16];
        int m, j, tier = 0;
        size_t h;

        fprintf(out, "%s%s%s%s  rank %d, tier %d, composite %.3f%s%s\n\n",
                r->rep_id, r->name ? " (" : "", r->name ? r->name : "",
                r->name ? ")" : "", r->rank, r->tier, r->composite,
                r->team ? ", team " : "", r->team ? r->team : "");
        fprintf(out, "  %-14s %12s %12s %12s %14s\n", "METRIC", "VALUE",
                "TIER MEAN", "NEXT TIER", "TO NEXT TIER");
        for (m = 0; m < LR_METRIC_CNT; m++) {
                const lr_sc_metric_t *x = &r->m[m];
                lr_sc_value(r, m, v, sizeof(v));
                if (x->has_tier_mean)
                        lr_scorecard_metric_text(m, x->tier_mean, a, sizeof(a));
                else
                        snprintf(a, sizeof(a), "-");
                if (x->has_next_mean)
                        lr_scorecard_metric_text(m, x->next_mean, b, sizeof(b));
                else
                        snprintf(b, sizeof(b), "-");
                if (x->to_next_status == LR_TIER_DISTANCE_REACHED)
                        lr_scorecard_metric_text(m, x->to_next, d, sizeof(d));
                else
                        snprintf(d, sizeof(d), "-");
                fprintf(out, "  %-14s %12s %12s %12s %14s\n", lr_metric_name(m),
                        v, a, b, d);
        }
        if (r->active && r->tier > 1 && r->target >= 0) {
                fprintf(out, "\n  Next tier: composite %.3f -> %.3f",
                        r->composite, r->target);
                if (r->composite >= r->target)
                        fprintf(out, ": qualifies at the next evaluation");
                else if (!lr_sc_next_line(out, r))
                        fprintf(out, "; no single metric gets there");
                fputc('\n', out);
        }
        if (r->pairs_cnt) {
                fprintf(out, "\n  Coaching:\n");
                for (j = 0; j < r->pairs_cnt; j++) {
                        fputs("    ", out);
                        lr_sc_pair_line(out, sc, &r->pairs[j]);
                        fputc('\n', out);
                }
        }
        fprintf(out, "\n  Tier history (last 12 months):");
        for (h = 0; h < r->history_cnt; h++) {
                if (r->history[h].tier == tier)
                        continue;
                tier = r->history[h].tier;
                lr_day_format(r->history[h].day, day, sizeof(day));
                fprintf(out, "%s%s tier %d", h ? "," : "", day, tier);
        }
        fprintf(out, "%s\n", r->history_cnt ? "" : " none");
}

int lr_scorecard_table(FILE *out, const lr_scorecard_t *sc, int rep) {
        lr_sc_title(out, sc);
        if (rep >= 0) {
                lr_sc_rep_page(out, sc, rep);
                return 0;
        }
        if (lr_sc_main_table(out, sc))
                return -1;
        lr_sc_tenant_sections(out, sc);
        return 0;
}

static void lr_sc_csv_field(FILE *out, const char *s) {
        if (!s)
                return;
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

int lr_scorecard_csv(FILE *out, const lr_scorecard_t *sc) {
        char as_of[16];
        int k, m;

        lr_day_format(sc->as_of_day, as_of, sizeof(as_of));
        fputs("tenant_id,as_of,rank,rep_id,tier,composite,status,open_leads",
              out);
        for (m = 0; m < LR_METRIC_CNT; m++)
                fprintf(out, ",%s,%s_score", lr_metric_name(m),
                        lr_metric_name(m));
        fputs(",leads_assigned,calls,opportunities,won,lost,won_value_cents,"
              "next_tier_composite,display_name,team",
              out);
        for (m = 0; m < LR_METRIC_CNT; m++)
                fprintf(out, ",%s_to_next_tier", lr_metric_name(m));
        fputc('\n', out);
        for (k = 0; k < sc->cnt; k++) {
                const lr_sc_rep_t *r = &sc->reps[k];
                const lr_tally_t *t  = &r->rk->tally;
                if (!r->shown)
                        continue;
                lr_sc_csv_field(out, sc->tenant);
                fprintf(out, ",%s,%d,", as_of, r->rank);
                lr_sc_csv_field(out, r->rep_id);
                fprintf(out, ",%d,%.6f,", r->tier, r->composite);
                lr_sc_csv_field(out, r->status);
                fprintf(out, ",%lld", (long long)r->open_leads);
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        fputc(',', out);
                        if (r->m[m].has_value)
                                fprintf(out, "%.6f", r->m[m].value);
                        fprintf(out, ",%.6f", r->m[m].score);
                }
                fprintf(out, ",%lld,%lld,%lld,%lld,%lld,%lld,",
                        llround(t->assigned), llround(t->calls),
                        llround(r->opportunities), llround(t->won),
                        llround(t->lost), llround(t->won_value_cents));
                if (r->target >= 0)
                        fprintf(out, "%.6f", r->target);
                fputc(',', out);
                lr_sc_csv_field(out, r->name);
                fputc(',', out);
                lr_sc_csv_field(out, r->team);
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        fputc(',', out);
                        if (r->m[m].to_next_status == LR_TIER_DISTANCE_REACHED)
                                fprintf(out, "%.6f", r->m[m].to_next);
                }
                fputc('\n', out);
        }
        return 0;
}
