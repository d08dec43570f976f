/*
 * scorecard_cmd.c - `leadrouter scorecard`: what to show (a date, the last
 * evaluation of a month), reading it from the ranking history and the reps'
 * profiles, and where to write it. A date the history cannot answer is an
 * error (exit 1) that says so, never a page of made-up zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scorecard.h"
#include "scorecard_cmd.h"
#include "snapshot.h"
#include "store.h"
#include "timeutil.h"

/* How far back --as-of looks for the ranking in force on a date without
 * one of its own (a day without events). */
#define LR_SC_LOOKBACK_DAYS 31

int lr_scorecard_args_opt(int argc, char **argv, int i, void *opaque) {
        lr_scorecard_args_t *a     = opaque;
        static const char *names[] = {"--tenant", "--as-of", "--month",
                                      "--format", "--rep",   "--team",
                                      "--out"};
        const char **dst[] = {&a->tenant, &a->as_of, &a->month, &a->format,
                              &a->rep,    &a->team,  &a->out};
        size_t k;

        if (i + 1 >= argc)
                return -1;
        for (k = 0; k < sizeof(names) / sizeof(*names); k++)
                if (!strcmp(argv[i], names[k])) {
                        *dst[k] = argv[i + 1];
                        return 2;
                }
        return -1;
}

static int lr_sc_day_arg(const char *opt, const char *s, int32_t *day) {
        int64_t ms;
        if (strlen(s) != 10 || lr_iso8601_parse(s, &ms)) {
                fprintf(stderr,
                        "leadrouter scorecard: %s %s: expected YYYY-MM-DD\n",
                        opt, s);
                return -1;
        }
        *day = lr_day_of(ms);
        return 0;
}

/* --month YYYY-MM: its first and last day. */
static int lr_sc_month_arg(const char *s, int32_t *first, int32_t *last) {
        char buf[32];
        int y, m;
        int64_t ms;

        if (strlen(s) != 7 || sscanf(s, "%4d-%2d", &y, &m) != 2 || m < 1 ||
            m > 12) {
                fprintf(stderr,
                        "leadrouter scorecard: --month %s: expected YYYY-MM\n",
                        s);
                return -1;
        }
        snprintf(buf, sizeof(buf), "%04d-%02d-01", y, m);
        if (lr_iso8601_parse(buf, &ms))
                return -1;
        *first = lr_day_of(ms);
        snprintf(buf, sizeof(buf), "%04d-%02d-01", m == 12 ? y + 1 : y,
                 m == 12 ? 1 : m + 1);
        if (lr_iso8601_parse(buf, &ms))
                return -1;
        *last = lr_day_of(ms) - 1;
        return 0;
}

static int lr_sc_write_file(const char *dir, const char *name,
                            const lr_scorecard_t *sc,
                            const lr_sc_render_t *opt) {
        char path[4096], errstr[512];
        FILE *f;
        int rc;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!(f = fopen(path, "w"))) {
                fprintf(stderr, "leadrouter scorecard: %s: %s\n", path,
                        strerror(errno));
                return -1;
        }
        rc = lr_scorecard_render(f, sc, opt, errstr, sizeof(errstr));
        if (fclose(f) && !rc) {
                snprintf(errstr, sizeof(errstr), "%s", strerror(errno));
                rc = -1;
        }
        if (rc)
                fprintf(stderr, "leadrouter scorecard: %s: %s\n", path, errstr);
        return rc;
}

/* --out DIR: index.html and one page per (shown) rep, linked. */
static int lr_sc_write_dir(const char *dir, const lr_scorecard_t *sc) {
        lr_sc_render_t opt = {"html", NULL, 1};
        char name[512];
        int k, n = 0;

        if (mkdir(dir, 0777) && errno != EEXIST) {
                fprintf(stderr, "leadrouter scorecard: --out %s: %s\n", dir,
                        strerror(errno));
                return -1;
        }
        if (lr_sc_write_file(dir, "index.html", sc, &opt))
                return -1;
        for (k = 0; k < sc->cnt; k++) {
                if (!sc->reps[k].shown)
                        continue;
                opt.rep_id = sc->reps[k].rep_id;
                lr_scorecard_page_name(opt.rep_id, name, sizeof(name));
                if (lr_sc_write_file(dir, name, sc, &opt))
                        return -1;
                n++;
        }
        printf("%s/index.html\n", dir);
        fprintf(stderr,
                "leadrouter scorecard: wrote %s/index.html and %d rep "
                "page%s\n",
                dir, n, n == 1 ? "" : "s");
        return 0;
}

/* The ranking of `day` as the router will install it (tiers not yet
 * evaluated), into *out, borrowing from *snap; out->cnt 0 when the window
 * has no data at all. */
static int lr_sc_preview(lr_store_t *st, const char *tenant, int32_t day,
                         const lr_policy_t *p, lr_snapshot_t *snap,
                         lr_ranking_t *out, char *errstr, size_t errstr_size) {
        size_t i, buckets = 0;

        if (lr_snapshot_compute(st, tenant, day, p, 0, snap, errstr,
                                errstr_size))
                return -1;
        for (i = 0; i < snap->cnt; i++)
                buckets += snap->reps[i].buckets_cnt;
        if (!buckets)
                return 0;
        out->day   = day;
        out->cnt   = snap->cnt;
        out->ranks = calloc(snap->cnt ? snap->cnt : 1, sizeof(*out->ranks));
        if (!out->ranks) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (i = 0; i < snap->cnt; i++) {
                out->ranks[i]          = snap->ranks[i];
                out->ranks[i].new_tier = snap->ranks[i].tier;
        }
        return 0;
}

int lr_scorecard_main(const lr_config_t *cfg, const lr_scorecard_args_t *a) {
        const char *format = a->format ? a->format : a->out ? "html" : "table";
        lr_sc_render_t opt = {format, a->rep, 0};
        lr_store_t *st     = NULL;
        lr_ranking_t *rk   = NULL;
        lr_store_rep_t *profiles = NULL;
        size_t rk_cnt = 0, pro_cnt = 0, i;
        const lr_ranking_t *pick = NULL;
        const lr_policy_t *p;
        lr_scorecard_t sc;
        lr_snapshot_t snap;
        lr_ranking_t preview;
        char errstr[512], day_text[16];
        int32_t first = 0, last, as_of;
        int rc        = 1;

        memset(&sc, 0, sizeof(sc));
        memset(&snap, 0, sizeof(snap));
        memset(&preview, 0, sizeof(preview));
        if (!a->tenant) {
                fprintf(stderr, "leadrouter scorecard: --tenant is required\n");
                return 2;
        }
        if (a->as_of && a->month) {
                fprintf(stderr, "leadrouter scorecard: --as-of or --month, "
                                "not both\n");
                return 2;
        }
        if (a->out && (strcmp(format, "html") || a->rep)) {
                fprintf(stderr, "leadrouter scorecard: --out writes the HTML "
                                "pages of the tenant and of every rep (no "
                                "--rep, --format html)\n");
                return 2;
        }
        if (a->month) {
                if (lr_sc_month_arg(a->month, &first, &last))
                        return 2;
                as_of = last;
        } else if (a->as_of) {
                if (lr_sc_day_arg("--as-of", a->as_of, &as_of))
                        return 2;
                last = as_of;
        } else {
                as_of = last = lr_day_of(lr_now_ms());
        }
        p = lr_config_policy(cfg, a->tenant, NULL);
        if (!(st = lr_store_new(cfg->redis_url, cfg->redis_namespace, errstr,
                                sizeof(errstr))))
                goto fail;
        /* The rankings of the 12 months up to the date: the one to show and
         * the history behind it. */
        if (lr_store_connect(st, errstr, sizeof(errstr)) ||
            lr_store_read_rankings(st, a->tenant, last - LR_SC_HISTORY_DAYS,
                                   last, &rk, &rk_cnt, errstr, sizeof(errstr)))
                goto fail;
        for (i = rk_cnt; i-- > 0;) {
                if (rk[i].day > last)
                        continue;
                if (a->month ? rk[i].day >= first && rk[i].evaluated
                             : rk[i].day >= last - LR_SC_LOOKBACK_DAYS)
                        pick = &rk[i];
                break;
        }
        /* A date after the last installed ranking: the router has not
         * ranked that day yet. Preview the ranking it will install at the
         * tenant's next event, from the window's buckets with the tiers as
         * they are (snapshot.c, the installer's own computation). */
        if (!a->month && (!rk_cnt || rk[rk_cnt - 1].day < as_of)) {
                if (lr_sc_preview(st, a->tenant, as_of, p, &snap, &preview,
                                  errstr, sizeof(errstr)))
                        goto fail;
                if (preview.cnt)
                        pick = &preview;
        }
        if (a->month && !pick)
                for (i = rk_cnt; i-- > 0 && !pick;)
                        if (rk[i].day >= first && rk[i].day <= last &&
                            rk[i].evaluated)
                                pick = &rk[i];
        if (!pick) {
                lr_day_format(as_of, day_text, sizeof(day_text));
                if (a->month)
                        fprintf(stderr,
                                "leadrouter scorecard: tenant %s has no "
                                "ranking evaluated in %s in the ranking "
                                "history: the month is outside its retention "
                                "(store.ranking_retention_days) or the tenant "
                                "had no events then\n",
                                a->tenant, a->month);
                else
                        fprintf(stderr,
                                "leadrouter scorecard: tenant %s has no "
                                "ranking on or before %s (within %d days) in "
                                "the ranking history: the date is outside its "
                                "retention (store.ranking_retention_days) or "
                                "before the tenant's first events\n",
                                a->tenant, day_text, LR_SC_LOOKBACK_DAYS);
                rc = 1;
                goto done;
        }
        if ((pick != &preview &&
             lr_store_read_reps(st, a->tenant, pick->day, pick->day, &profiles,
                                &pro_cnt, errstr, sizeof(errstr))) ||
            lr_scorecard_build(
                &sc, a->tenant, a->month ? pick->day : as_of, pick, rk,
                pick == &preview ? rk_cnt : (size_t)(pick - rk) + 1,
                pick == &preview ? snap.reps : profiles,
                pick == &preview ? snap.cnt : pro_cnt, p, a->team, errstr,
                sizeof(errstr)))
                goto fail;
        sc.preview = pick == &preview;
        if (a->out)
                rc = lr_sc_write_dir(a->out, &sc) ? 1 : 0;
        else if (lr_scorecard_render(stdout, &sc, &opt, errstr, sizeof(errstr)))
                goto fail;
        else
                rc = 0;
        goto done;
fail:
        fprintf(stderr, "leadrouter scorecard: %s\n", errstr);
        rc = 1;
done:
        lr_scorecard_clear(&sc);
        free(preview.ranks); /* rep_ids borrowed from snap */
        lr_snapshot_clear(&snap);
        lr_store_reps_free(profiles, pro_cnt);
        for (i = 0; i < rk_cnt; i++)
                lr_ranking_clear(&rk[i]);
        free(rk);
        lr_store_free(st);
        return rc;
}
