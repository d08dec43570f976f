/*
 * scorecard.c - builds the scorecard model (see scorecard.h) and holds what
 * every format shares: the order of the reps, the wording of values and
 * changes, the page names. Pure: no I/O but the FILE the caller renders to.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scorecard.h"
#include "timeutil.h"

static void *lr_sc_alloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size);
        if (!p)
                abort(); /* a scorecard's worth: nothing sane to do */
        return p;
}

/* Listed by rank, departed reps last, then by rep_id. */
static int lr_sc_rank_cmp(const void *a, const void *b) {
        const lr_rep_rank_t *x = a, *y = b;

        if (!!x->active != !!y->active)
                return x->active ? -1 : 1;
        if (x->active && x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        return strcmp(x->rep_id ? x->rep_id : "", y->rep_id ? y->rep_id : "");
}

static int lr_sc_id_cmp(const void *a, const void *b) {
        const lr_rep_rank_t *x = *(const lr_rep_rank_t *const *)a;
        const lr_rep_rank_t *y = *(const lr_rep_rank_t *const *)b;
        return strcmp(x->rep_id ? x->rep_id : "", y->rep_id ? y->rep_id : "");
}

/* sc->by_id: the reps' indexes in rep_id order, for lr_scorecard_find. */
static void lr_sc_index(lr_scorecard_t *sc) {
        const lr_rep_rank_t **order =
            lr_sc_alloc((size_t)sc->cnt, sizeof(*order));
        int k;

        for (k = 0; k < sc->cnt; k++)
                order[k] = &sc->ranks[k];
        qsort(order, (size_t)sc->cnt, sizeof(*order), lr_sc_id_cmp);
        for (k = 0; k < sc->cnt; k++)
                sc->by_id[k] = (int)(order[k] - sc->ranks);
        free(order);
}

int lr_scorecard_find(const lr_scorecard_t *sc, const char *rep_id) {
        int lo = 0, hi = sc->cnt - 1;
        while (lo <= hi) {
                int mid = (lo + hi) / 2;
                int c   = strcmp(rep_id, sc->reps[sc->by_id[mid]].rep_id);
                if (!c)
                        return sc->by_id[mid];
                if (c < 0)
                        hi = mid - 1;
                else
                        lo = mid + 1;
        }
        return -1;
}

static const lr_store_rep_t *lr_sc_profile(const lr_store_rep_t *profiles,
                                           size_t n, const char *rep_id) {
        size_t i;
        for (i = 0; i < n; i++)
                if (profiles[i].rep_id && !strcmp(profiles[i].rep_id, rep_id))
                        return &profiles[i];
        return NULL;
}

/* Mean value (reps with samples) and mean score (all) of metric m over
 * the active reps of tier t. 0 when nobody. */
static int lr_sc_tier_metric(const lr_scorecard_t *sc, int t, lr_metric_t m,
                             double *value, double *score) {
        double v = 0, s = 0;
        int nv = 0, ns = 0, k;

        for (k = 0; k < sc->cnt; k++) {
                const lr_rep_rank_t *r = &sc->ranks[k];
                if (!r->active || sc->reps[k].tier != t)
                        continue;
                s += r->score[m];
                ns++;
                if (lr_rank_samples(&r->tally, m) > 0) {
                        v += r->value[m];
                        nv++;
                }
        }
        *value = nv ? v / nv : 0;
        *score = ns ? s / ns : 0;
        return nv > 0;
}

static void lr_sc_metrics(lr_scorecard_t *sc, int k) {
        lr_sc_rep_t *rep       = &sc->reps[k];
        const lr_rep_rank_t *r = &sc->ranks[k];
        int m;

        for (m = 0; m < LR_METRIC_CNT; m++) {
                lr_sc_metric_t *x = &rep->m[m];
                x->samples        = lr_rank_samples(&r->tally, m);
                x->has_value      = x->samples > 0;
                x->value          = r->value[m];
                x->score          = r->score[m];
                if (!r->active)
                        continue;
                x->has_tier_mean = lr_sc_tier_metric(
                    sc, rep->tier, m, &x->tier_mean, &x->tier_mean_score);
                if (rep->tier > 1)
                        x->has_next_mean = lr_sc_tier_metric(
                            sc, rep->tier - 1, m, &x->next_mean,
                            &x->next_mean_score);
                x->to_next_status = lr_tier_distance_metric(
                    sc->ranks, sc->cnt, k, m, sc->p, &x->to_next);
        }
}

static void lr_sc_history(lr_scorecard_t *sc, const lr_ranking_t *history,
                          size_t history_cnt) {
        char month[16], ymd[16];
        size_t h, j;
        int k;

        lr_day_format(sc->day, month, sizeof(month));
        sc->history_from = sc->day - LR_SC_HISTORY_DAYS + 1;
        for (k = 0; k < sc->cnt; k++)
                sc->reps[k].history =
                    lr_sc_alloc(history_cnt, sizeof(lr_sc_point_t));
        for (h = 0; h < history_cnt; h++) {
                const lr_ranking_t *rk = &history[h];
                if (rk->day < sc->history_from || rk->day > sc->day)
                        continue;
                for (j = 0; j < rk->cnt; j++) {
                        const lr_rep_rank_t *r = &rk->ranks[j];
                        lr_sc_rep_t *rep;
                        lr_sc_point_t *pt;
                        if (!r->rep_id || !r->active ||
                            (k = lr_scorecard_find(sc, r->rep_id)) < 0)
                                continue;
                        rep = &sc->reps[k];
                        if (rep->history_cnt &&
                            rep->history[rep->history_cnt - 1].day >= rk->day)
                                continue; /* by day, once */
                        pt            = &rep->history[rep->history_cnt++];
                        pt->day       = rk->day;
                        pt->composite = r->composite;
                        pt->rank      = r->rank;
                        pt->tier      = r->new_tier ? r->new_tier : r->tier;
                }
                /* the month's tier movements, up to the ranking's day */
                lr_day_format(rk->day, ymd, sizeof(ymd));
                if (!rk->evaluated || strncmp(ymd, month, 7))
                        continue;
                for (j = 0; j < rk->cnt; j++) {
                        const lr_rep_rank_t *r = &rk->ranks[j];
                        lr_sc_move_t *mv;
                        if (!r->rep_id || !r->active || !r->new_tier ||
                            r->new_tier == r->tier ||
                            (k = lr_scorecard_find(sc, r->rep_id)) < 0)
                                continue;
                        sc->moves = realloc(sc->moves, sizeof(*sc->moves) *
                                                           (sc->moves_cnt + 1));
                        if (!sc->moves)
                                abort();
                        mv            = &sc->moves[sc->moves_cnt++];
                        mv->day       = rk->day;
                        mv->rep       = k;
                        mv->from      = r->tier;
                        mv->to        = r->new_tier;
                        mv->composite = r->composite;
                        mv->tier_mean = r->tier_mean;
                }
        }
}

int lr_scorecard_build(lr_scorecard_t *sc, const char *tenant,
                       int32_t as_of_day, const lr_ranking_t *ranking,
                       const lr_ranking_t *history, size_t history_cnt,
                       const lr_store_rep_t *profiles, size_t profiles_cnt,
                       const lr_policy_t *p, const char *team, char *errstr,
                       size_t errstr_size) {
        const char **teams;
        int k, m, t, n[LR_MAX_TIERS + 1] = {0};
        double sum[LR_MAX_TIERS + 1] = {0};

        memset(sc, 0, sizeof(*sc));
        if (ranking->cnt > 1000000) {
                snprintf(errstr, errstr_size, "ranking of %zu reps",
                         ranking->cnt);
                return -1;
        }
        sc->tenant    = tenant;
        sc->p         = p;
        sc->team      = team;
        sc->as_of_day = as_of_day;
        sc->day       = ranking->day;
        sc->evaluated = ranking->evaluated;
        sc->cnt       = (int)ranking->cnt;
        sc->ranks     = lr_sc_alloc(ranking->cnt, sizeof(*sc->ranks));
        sc->reps      = lr_sc_alloc(ranking->cnt, sizeof(*sc->reps));
        sc->by_id     = lr_sc_alloc(ranking->cnt, sizeof(*sc->by_id));
        memcpy(sc->ranks, ranking->ranks, sizeof(*sc->ranks) * ranking->cnt);
        qsort(sc->ranks, ranking->cnt, sizeof(*sc->ranks), lr_sc_rank_cmp);

        /* From here on a rep's tier is the one routed with that day; the
         * evaluation against it gives each rep its tier's mean. */
        for (k = 0; k < sc->cnt; k++) {
                lr_rep_rank_t *r = &sc->ranks[k];
                if (r->new_tier)
                        r->tier = r->new_tier;
        }
        lr_rank_evaluate_tiers(sc->ranks, sc->cnt, p);

        for (k = 0; k < sc->cnt; k++) {
                lr_rep_rank_t *r          = &sc->ranks[k];
                lr_sc_rep_t *rep          = &sc->reps[k];
                const lr_store_rep_t *pro = lr_sc_profile(
                    profiles, profiles_cnt, r->rep_id ? r->rep_id : "");

                r->new_tier = r->tier;
                rep->rk     = r;
                rep->rep_id = r->rep_id ? r->rep_id : "";
                rep->name   = pro ? pro->display_name : NULL;
                rep->team   = pro ? pro->team : NULL;
                rep->status = !r->active ? "DEPARTED" : pro ? pro->status : "";
                rep->open_leads = pro ? pro->open_leads : 0;
                rep->active     = r->active;
                rep->ramping    = lr_rank_is_ramping(r, p);
                rep->rank       = r->rank;
                rep->tier       = r->tier;
                rep->composite  = r->composite;
                rep->tier_mean  = r->tier_mean;
                rep->target =
                    lr_rank_promotion_target(sc->ranks, sc->cnt, k, p);
                for (t = 0; t < LR_TIER_CLASSES; t++)
                        rep->opportunities += r->tally.converted[t];
                rep->shown = !team || (rep->team && !strcmp(rep->team, team));
                if (r->active && r->tier >= 1 && r->tier <= LR_MAX_TIERS) {
                        sc->tier_cnt[r->tier]++;
                        if (!rep->ramping) {
                                sum[r->tier] += r->composite;
                                n[r->tier]++;
                        }
                }
        }
        for (t = 1; t <= LR_MAX_TIERS; t++)
                sc->tier_mean[t] = n[t] ? sum[t] / n[t] : 0;
        lr_sc_index(sc);

        for (k = 0; k < sc->cnt; k++) {
                lr_sc_metrics(sc, k);
                sc->reps[k].pairs_cnt = lr_coaching_pairs(
                    sc->ranks, sc->cnt, k, p, sc->reps[k].pairs, LR_SC_PAIRS);
        }
        for (m = 0; m < LR_METRIC_CNT; m++) {
                sc->board[m]     = lr_sc_alloc((size_t)sc->cnt, sizeof(int));
                sc->board_cnt[m] = lr_coaching_leaderboard(sc->ranks, sc->cnt,
                                                           m, sc->board[m]);
        }
        teams = lr_sc_alloc((size_t)sc->cnt, sizeof(*teams));
        for (k = 0; k < sc->cnt; k++)
                teams[k] = sc->reps[k].team;
        sc->teams_cnt =
            lr_coaching_teams(sc->ranks, teams, sc->cnt, &sc->teams);
        free(teams);
        lr_sc_history(sc, history, history_cnt);
        return 0;
}

void lr_scorecard_clear(lr_scorecard_t *sc) {
        int k, m;
        for (k = 0; sc->reps && k < sc->cnt; k++)
                free(sc->reps[k].history);
        for (m = 0; m < LR_METRIC_CNT; m++)
                free(sc->board[m]);
        free(sc->reps);
        free(sc->ranks);
        free(sc->by_id);
        free(sc->teams);
        free(sc->moves);
        memset(sc, 0, sizeof(*sc));
}

const char *lr_scorecard_metric_title(lr_metric_t m) {
        static const char *t[LR_METRIC_CNT] = {"Conversion", "Win rate",
                                               "Deal size", "Cycle time",
                                               "Speed to lead"};
        return (unsigned)m < LR_METRIC_CNT ? t[m] : "";
}

/* 1234567.891 -> "1,234,567.89" */
static void lr_sc_thousands(double v, char *buf, size_t size) {
        char whole[32], grouped[48];
        long long cents;
        size_t len, i, o = 0;

        if (!isfinite(v) || fabs(v) > 1e15) {
                snprintf(buf, size, "%.2f", v);
                return;
        }
        cents = llround(fabs(v) * 100);
        snprintf(whole, sizeof(whole), "%lld", cents / 100);
        len = strlen(whole);
        for (i = 0; i < len; i++) {
                if (i && (len - i) % 3 == 0)
                        grouped[o++] = ',';
                grouped[o++] = whole[i];
        }
        grouped[o] = 0;
        snprintf(buf, size, "%s%s.%02lld", v < 0 && cents ? "-" : "", grouped,
                 cents % 100);
}

void lr_scorecard_metric_text(lr_metric_t m, double v, char *buf, size_t size) {
        switch (m) {
        case LR_METRIC_CONVERSION: /* 1.00x = as expected for its leads */
                snprintf(buf, size, "%.2fx", v);
                break;
        case LR_METRIC_WIN_RATE:
                snprintf(buf, size, "%.1f%%", v * 100);
                break;
        case LR_METRIC_DEAL_SIZE: /* cents */
                lr_sc_thousands(v / 100, buf, size);
                break;
        case LR_METRIC_CYCLE_DAYS:
                snprintf(buf, size, "%.1f d", v);
                break;
        case LR_METRIC_SPEED_TO_LEAD:
                snprintf(buf, size, "%.1f min", v);
                break;
        default:
                snprintf(buf, size, "%g", v);
        }
}

void lr_scorecard_change_text(lr_metric_t m, double d, char *buf, size_t size) {
        char num[48];
        const char *sign = d < 0 ? "-" : "+";

        switch (m) {
        case LR_METRIC_CONVERSION:
                snprintf(buf, size, "%s%.2fx", sign, fabs(d));
                break;
        case LR_METRIC_WIN_RATE:
                snprintf(buf, size, "%s%.1f pts", sign, fabs(d) * 100);
                break;
        case LR_METRIC_DEAL_SIZE:
                lr_sc_thousands(fabs(d) / 100, num, sizeof(num));
                snprintf(buf, size, "%s%s", sign, num);
                break;
        case LR_METRIC_CYCLE_DAYS:
                snprintf(buf, size, "%s%.1f days", sign, fabs(d));
                break;
        case LR_METRIC_SPEED_TO_LEAD:
                snprintf(buf, size, "%s%.1f min", sign, fabs(d));
                break;
        default:
                snprintf(buf, size, "%+g", d);
        }
}

void lr_scorecard_composite_text(double v, char *buf, size_t size) {
        snprintf(buf, size, "%.3f", v);
}

void lr_scorecard_page_name(const char *rep_id, char *buf, size_t size) {
        static const char hex[] = "0123456789ABCDEF";
        size_t o                = 0;
        const unsigned char *s;

        o = (size_t)snprintf(buf, size, "rep-");
        for (s = (const unsigned char *)rep_id; *s && o + 4 < size; s++) {
                if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-') {
                        buf[o++] = (char)*s;
                } else {
                        buf[o++] = '_';
                        buf[o++] = hex[*s >> 4];
                        buf[o++] = hex[*s & 15];
                }
        }
        snprintf(buf + o, size - o, ".html");
}

int lr_scorecard_render(FILE *out, const lr_scorecard_t *sc,
                        const lr_sc_render_t *opt, char *errstr,
                        size_t errstr_size) {
        const char *f = opt->format ? opt->format : "table";
        int rep       = -1, rc;

        if (strcmp(f, "table") && strcmp(f, "json") && strcmp(f, "csv") &&
            strcmp(f, "html")) {
                snprintf(errstr, errstr_size,
                         "unknown scorecard format \"%s\" (table, json, csv, "
                         "html)",
                         f);
                return -1;
        }
        if (opt->rep_id && (rep = lr_scorecard_find(sc, opt->rep_id)) < 0) {
                snprintf(errstr, errstr_size,
                         "rep %s is not in the ranking of tenant %s",
                         opt->rep_id, sc->tenant);
                return -1;
        }
        errno = 0;
        if (!strcmp(f, "table"))
                rc = lr_scorecard_table(out, sc, rep);
        else if (!strcmp(f, "json"))
                rc = lr_scorecard_json(out, sc, rep);
        else if (!strcmp(f, "csv"))
                rc = lr_scorecard_csv(out, sc);
        else
                rc = lr_scorecard_html(out, sc, rep, opt->linked);
        if (rc || fflush(out) || ferror(out)) {
                snprintf(errstr, errstr_size, "writing the scorecard: %s",
                         errno ? strerror(errno) : "write error");
                return -1;
        }
        return 0;
}
