/*
 * snapshot.c - see snapshot.h. The only place where ranking input is read
 * and a ranking is installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rank_prepare.h"
#include "snapshot.h"
#include "timeutil.h"

void lr_snapshot_clear(lr_snapshot_t *snap) {
        lr_store_reps_free(snap->reps, snap->cnt);
        free(snap->ranks);
        free(snap->tenant_id);
        memset(snap, 0, sizeof(*snap));
}

int lr_snapshot_compute(lr_store_t *st, const char *tenant, int32_t day,
                        const lr_policy_t *p, int evaluate_tiers,
                        lr_snapshot_t *snap, char *errstr, size_t errstr_size) {
        memset(snap, 0, sizeof(*snap));
        if (lr_store_read_reps(st, tenant, day - p->window_days, day - 1,
                               &snap->reps, &snap->cnt, errstr, errstr_size))
                return -1;
        snap->tenant_id = strdup(tenant);
        snap->day       = day;
        snap->ranks = calloc(snap->cnt ? snap->cnt : 1, sizeof(*snap->ranks));
        lr_rank_prepare(snap->reps, snap->cnt, day, p, snap->ranks);
        lr_rank_compute(snap->ranks, (int)snap->cnt, p);
        if (evaluate_tiers)
                lr_rank_evaluate_tiers(snap->ranks, (int)snap->cnt, p);
        return 0;
}

void lr_snapshot_changes_free(lr_tier_changed_t *changes, size_t cnt) {
        size_t i;
        for (i = 0; i < cnt; i++)
                lr_tier_changed_clear(&changes[i]);
        free(changes);
}

void lr_snapshot_changes_append(lr_tier_changed_t **all, size_t *all_cnt,
                                lr_tier_changed_t *tc, size_t cnt) {
        lr_tier_changed_t *grown =
            realloc(*all, (*all_cnt + cnt) * sizeof(*tc));
        if (!grown) {
                lr_error("snapshot", "out of memory");
                abort();
        }
        memcpy(grown + *all_cnt, tc, cnt * sizeof(*tc));
        *all = grown;
        *all_cnt += cnt;
        free(tc);
}

static void lr_snapshot_tier_change(const lr_snapshot_t *snap, size_t i,
                                    const lr_policy_t *p,
                                    lr_tier_changed_t *tc) {
        const lr_rep_rank_t *r = &snap->ranks[i];
        char id[512], day[16], reason[256];
        int up = r->new_tier < r->tier;

        lr_day_format(snap->day, day, sizeof(day));
        snprintf(id, sizeof(id), "%s/%s/tier/%s", snap->tenant_id, r->rep_id,
                 day);
        snprintf(reason, sizeof(reason),
                 "composite %.3f %s %.0f%% of the tier-%d mean %.3f: %s",
                 r->composite, up ? ">=" : "<=",
                 (up ? p->promote_ratio : p->demote_ratio) * 100.0, r->tier,
                 r->tier_mean, up ? "promoted" : "demoted");
        memset(tc, 0, sizeof(*tc));
        tc->event_id   = strdup(id);
        tc->tenant_id  = strdup(snap->tenant_id);
        tc->rep_id     = strdup(r->rep_id);
        tc->from_tier  = r->tier;
        tc->to_tier    = r->new_tier;
        tc->composite  = r->composite;
        tc->tier_mean  = r->tier_mean;
        tc->decided_at = (int64_t)snap->day * LR_MS_PER_DAY;
        tc->reason     = strdup(reason);
}

int lr_snapshot_ensure(lr_store_t *st, const char *tenant, int32_t day,
                       const lr_policy_t *p, lr_tier_changed_t **changes,
                       size_t *changes_cnt, char *errstr, size_t errstr_size) {
        lr_snapshot_t snap;
        int evaluate  = lr_rank_is_evaluation_day(day, p);
        int installed = 0, rc = -1;
        lr_tier_changed_t *tc = NULL;
        size_t i, cnt = 0;

        *changes     = NULL;
        *changes_cnt = 0;
        if (lr_snapshot_compute(st, tenant, day, p, evaluate, &snap, errstr,
                                errstr_size))
                return -1;
        for (i = 0; evaluate && i < snap.cnt; i++) {
                if (!snap.ranks[i].rank ||
                    snap.ranks[i].new_tier == snap.ranks[i].tier)
                        continue;
                tc = realloc(tc, (cnt + 1) * sizeof(*tc));
                if (!tc) {
                        lr_error("snapshot", "out of memory");
                        abort();
                }
                lr_snapshot_tier_change(&snap, i, p, &tc[cnt++]);
        }
        if (lr_store_install_rank(st, tenant, day, snap.ranks, (int)snap.cnt,
                                  evaluate, p, tc, cnt, &installed, errstr,
                                  errstr_size))
                goto done;
        rc = 0;
        if (!installed)
                goto done;
        lr_debug("snapshot",
                 "tenant %s: ranking for day %d installed "
                 "(%zu reps, %zu tier changes)",
                 tenant, day, snap.cnt, cnt);
        *changes     = tc;
        *changes_cnt = cnt;
        tc           = NULL;
        cnt          = 0;
done:
        lr_snapshot_changes_free(tc, cnt);
        lr_snapshot_clear(&snap);
        return rc;
}
