/*
 * scorecard_json.c - the JSON form of the scorecard. SPEC §5 makes it a
 * contract: tenant_id, as_of, reps[] with rep_id, rank, tier, composite,
 * status, open_leads, metrics.<name>.value|score and counts. Fields may be
 * added (README "Scorecard JSON" lists them), never removed or renamed.
 */
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "scorecard.h"
#include "timeutil.h"

static json_t *lr_scj_real(double v) {
        return isfinite(v) ? json_real(v) : json_null();
}

static json_t *lr_scj_count(double v) {
        return json_integer((json_int_t)llround(v));
}

static json_t *lr_scj_str(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *lr_scj_day(int32_t day) {
        char buf[16];
        lr_day_format(day, buf, sizeof(buf));
        return json_string(buf);
}

static json_t *lr_scj_metrics(const lr_sc_rep_t *rep) {
        json_t *metrics = json_object();
        int m;

        for (m = 0; m < LR_METRIC_CNT; m++) {
                const lr_sc_metric_t *x = &rep->m[m];
                json_t *o               = json_object();
                json_object_set_new(o, "value",
                                    x->has_value ? lr_scj_real(x->value)
                                                 : json_null());
                json_object_set_new(o, "score", lr_scj_real(x->score));
                json_object_set_new(o, "samples", lr_scj_count(x->samples));
                json_object_set_new(o, "tier_mean",
                                    x->has_tier_mean ? lr_scj_real(x->tier_mean)
                                                     : json_null());
                json_object_set_new(o, "next_tier_mean",
                                    x->has_next_mean ? lr_scj_real(x->next_mean)
                                                     : json_null());
                json_object_set_new(o, "to_next_tier",
                                    x->to_next_status ==
                                            LR_TIER_DISTANCE_REACHED
                                        ? lr_scj_real(x->to_next)
                                        : json_null());
                json_object_set_new(metrics, lr_metric_name(m), o);
        }
        return metrics;
}

static json_t *lr_scj_peer(const lr_scorecard_t *sc, int k, lr_metric_t m) {
        const lr_sc_rep_t *r = &sc->reps[k];
        json_t *o            = json_object();
        json_object_set_new(o, "rep_id", json_string(r->rep_id));
        json_object_set_new(o, "display_name", lr_scj_str(r->name));
        json_object_set_new(o, "value",
                            r->m[m].has_value ? lr_scj_real(r->m[m].value)
                                              : json_null());
        json_object_set_new(o, "score", lr_scj_real(r->m[m].score));
        return o;
}

static json_t *lr_scj_coaching(const lr_scorecard_t *sc,
                               const lr_sc_rep_t *rep) {
        json_t *arr = json_array();
        int c, j;

        for (c = 0; c < rep->pairs_cnt; c++) {
                const lr_coaching_pair_t *pr = &rep->pairs[c];
                json_t *o = json_object(), *from = json_array();
                json_object_set_new(o, "metric",
                                    json_string(lr_metric_name(pr->metric)));
                json_object_set_new(o, "score", lr_scj_real(pr->score));
                json_object_set_new(o, "peer_mean", lr_scj_real(pr->peer_mean));
                json_object_set_new(o, "composite_cost", lr_scj_real(pr->cost));
                for (j = 0; j < pr->mentors_cnt; j++)
                        json_array_append_new(
                            from, lr_scj_peer(sc, pr->mentors[j], pr->metric));
                json_object_set_new(o, "learn_from", from);
                json_array_append_new(arr, o);
        }
        return arr;
}

static json_t *lr_scj_rep(const lr_scorecard_t *sc, int k, int history) {
        const lr_sc_rep_t *r    = &sc->reps[k];
        const lr_rep_rank_t *rk = r->rk;
        const lr_tally_t *t     = &rk->tally;
        json_t *rep = json_object(), *counts = json_object();
        size_t h;

        json_object_set_new(rep, "rep_id", json_string(r->rep_id));
        json_object_set_new(rep, "rank", json_integer(r->rank));
        json_object_set_new(rep, "tier", json_integer(r->tier));
        json_object_set_new(rep, "composite", lr_scj_real(r->composite));
        json_object_set_new(rep, "status", json_string(r->status));
        json_object_set_new(rep, "open_leads", json_integer(r->open_leads));
        json_object_set_new(rep, "metrics", lr_scj_metrics(r));
        json_object_set_new(counts, "leads_assigned",
                            lr_scj_count(t->assigned));
        json_object_set_new(counts, "calls", lr_scj_count(t->calls));
        json_object_set_new(counts, "opportunities",
                            lr_scj_count(r->opportunities));
        json_object_set_new(counts, "won", lr_scj_count(t->won));
        json_object_set_new(counts, "lost", lr_scj_count(t->lost));
        json_object_set_new(counts, "won_value_cents",
                            lr_scj_count(t->won_value_cents));
        json_object_set_new(rep, "counts", counts);
        json_object_set_new(rep, "display_name", lr_scj_str(r->name));
        json_object_set_new(rep, "team", lr_scj_str(r->team));
        json_object_set_new(rep, "active", json_boolean(r->active));
        json_object_set_new(rep, "handled", json_integer(rk->handled));
        json_object_set_new(rep, "ramping", json_boolean(r->ramping));
        json_object_set_new(rep, "tier_mean", lr_scj_real(r->tier_mean));
        json_object_set_new(rep, "next_tier_composite",
                            r->target >= 0 ? lr_scj_real(r->target)
                                           : json_null());
        json_object_set_new(rep, "coaching", lr_scj_coaching(sc, r));
        if (history) {
                json_t *arr = json_array();
                for (h = 0; h < r->history_cnt; h++) {
                        const lr_sc_point_t *pt = &r->history[h];
                        json_t *o               = json_object();
                        json_object_set_new(o, "day", lr_scj_day(pt->day));
                        json_object_set_new(o, "composite",
                                            lr_scj_real(pt->composite));
                        json_object_set_new(o, "rank", json_integer(pt->rank));
                        json_object_set_new(o, "tier", json_integer(pt->tier));
                        json_array_append_new(arr, o);
                }
                json_object_set_new(rep, "history", arr);
        }
        return rep;
}

static json_t *lr_scj_tenant_parts(const lr_scorecard_t *sc, json_t *root) {
        json_t *boards = json_object(), *teams = json_array();
        json_t *moves = json_array(), *tiers = json_array();
        int m, b, t;
        size_t i;

        for (t = 1; t <= sc->p->tiers && t <= LR_MAX_TIERS; t++) {
                json_t *o = json_object();
                json_object_set_new(o, "tier", json_integer(t));
                json_object_set_new(o, "reps", json_integer(sc->tier_cnt[t]));
                json_object_set_new(o, "mean_composite",
                                    lr_scj_real(sc->tier_mean[t]));
                json_array_append_new(tiers, o);
        }
        json_object_set_new(root, "tier_summary", tiers);
        for (m = 0; m < LR_METRIC_CNT; m++) {
                json_t *arr = json_array();
                for (b = 0; b < sc->board_cnt[m]; b++)
                        if (sc->reps[sc->board[m][b]].shown)
                                json_array_append_new(
                                    arr, lr_scj_peer(sc, sc->board[m][b], m));
                json_object_set_new(boards, lr_metric_name(m), arr);
        }
        json_object_set_new(root, "leaderboards", boards);
        for (t = 0; t < sc->teams_cnt; t++) {
                const lr_team_t *tm = &sc->teams[t];
                json_t *o, *ms;
                if (sc->team && strcmp(sc->team, tm->team))
                        continue;
                o  = json_object();
                ms = json_object();
                json_object_set_new(o, "team", json_string(tm->team));
                json_object_set_new(o, "members", json_integer(tm->members));
                json_object_set_new(o, "composite", lr_scj_real(tm->composite));
                json_object_set_new(o, "best_rank",
                                    json_integer(tm->best_rank));
                for (m = 0; m < LR_METRIC_CNT; m++) {
                        json_t *x = json_object();
                        json_object_set_new(x, "score",
                                            lr_scj_real(tm->score[m]));
                        json_object_set_new(
                            x, "strongest",
                            tm->strongest[m] >= 0
                                ? lr_scj_peer(sc, tm->strongest[m], m)
                                : json_null());
                        json_object_set_new(ms, lr_metric_name(m), x);
                }
                json_object_set_new(o, "metrics", ms);
                json_array_append_new(teams, o);
        }
        json_object_set_new(root, "teams", teams);
        for (i = 0; i < sc->moves_cnt; i++) {
                const lr_sc_move_t *mv = &sc->moves[i];
                json_t *o;
                if (!sc->reps[mv->rep].shown)
                        continue;
                o = json_object();
                json_object_set_new(o, "day", lr_scj_day(mv->day));
                json_object_set_new(o, "rep_id",
                                    json_string(sc->reps[mv->rep].rep_id));
                json_object_set_new(o, "from_tier", json_integer(mv->from));
                json_object_set_new(o, "to_tier", json_integer(mv->to));
                json_object_set_new(o, "composite", lr_scj_real(mv->composite));
                json_object_set_new(o, "tier_mean", lr_scj_real(mv->tier_mean));
                json_array_append_new(moves, o);
        }
        json_object_set_new(root, "tier_movements", moves);
        return root;
}

int lr_scorecard_json(FILE *out, const lr_scorecard_t *sc, int rep) {
        json_t *root = json_object(), *arr = json_array();
        int k, rc;

        json_object_set_new(root, "tenant_id", json_string(sc->tenant));
        json_object_set_new(root, "as_of", lr_scj_day(sc->as_of_day));
        json_object_set_new(root, "ranking_day", lr_scj_day(sc->day));
        json_object_set_new(root, "evaluated", json_boolean(sc->evaluated));
        json_object_set_new(root, "preview", json_boolean(sc->preview));
        json_object_set_new(root, "window_days",
                            json_integer(sc->p->window_days));
        json_object_set_new(root, "tiers", json_integer(sc->p->tiers));
        json_object_set_new(root, "team", lr_scj_str(sc->team));
        for (k = 0; k < sc->cnt; k++)
                if (rep < 0 ? sc->reps[k].shown : k == rep)
                        json_array_append_new(arr, lr_scj_rep(sc, k, rep >= 0));
        json_object_set_new(root, "reps", arr);
        if (rep < 0)
                lr_scj_tenant_parts(sc, root);
        rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
        fputc('\n', out);
        json_decref(root);
        return rc;
}
