/*
 * timers.c - see timers.h. The tick itself (which timers fire, what they
 * decide) is functions.lua's; this file decides when to tick whom, and
 * completes a tick: the ranking of a new day when a timer needs one,
 * publishing, acking.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timers.h"
#include "timeutil.h"

#define LR_TIMERS_ROUNDS 4 /* ranking installs per tenant per run, at most */
#define LR_TIMERS_WARN_MS 10000

struct lr_timers_s {
        lr_store_t *store;
        lr_apply_t *apply;
        const lr_config_t *cfg;
        lr_timers_hooks_t hooks;
        void *opaque;
        int64_t last_run, last_warn;
};

lr_timers_t *lr_timers_new(lr_store_t *st, lr_apply_t *ap,
                           const lr_config_t *cfg,
                           const lr_timers_hooks_t *hooks, void *opaque) {
        lr_timers_t *tm = calloc(1, sizeof(*tm));
        if (!tm) {
                lr_error("timers", "out of memory");
                abort();
        }
        tm->store  = st;
        tm->apply  = ap;
        tm->cfg    = cfg;
        tm->hooks  = *hooks;
        tm->opaque = opaque;
        return tm;
}

void lr_timers_free(lr_timers_t *tm) {
        free(tm);
}

static void lr_timers_warn(lr_timers_t *tm, const char *what,
                           const char *errstr) {
        int64_t now = lr_mono_ms();
        if (now - tm->last_warn < LR_TIMERS_WARN_MS)
                return;
        tm->last_warn = now;
        lr_warn("timers", "%s: %s; retrying at the next tick", what, errstr);
}

void lr_timers_ack(lr_timers_t *tm, const lr_store_result_t *results,
                   size_t n) {
        size_t i;
        char errstr[512];
        for (i = 0; i < n; i++) {
                const lr_store_result_t *r = &results[i];
                if (!r->outbox_cnt && !r->tier_changes_cnt)
                        continue;
                if (lr_store_ack(tm->store, r->decisions, r->outbox_cnt,
                                 r->tier_changes, r->tier_changes_cnt, errstr,
                                 sizeof(errstr)))
                        lr_timers_warn(tm, "acking the outbox", errstr);
        }
}

void lr_timers_run(lr_timers_t *tm) {
        int64_t wall           = lr_now_ms();
        int event_clock        = tm->cfg->clock_event;
        char **tenants         = NULL, errstr[512];
        size_t cnt             = 0, i, n;
        lr_store_tick_t *ticks = NULL;
        lr_store_result_t *res = NULL;
        int round;

        if (wall - tm->last_run < LR_TIMERS_INTERVAL_MS && wall >= tm->last_run)
                return;
        tm->last_run = wall;
        if (lr_store_due_tenants(tm->store, wall, !event_clock, wall,
                                 LR_TIMERS_TENANTS_MAX, &tenants, &cnt, errstr,
                                 sizeof(errstr))) {
                lr_timers_warn(tm, "finding due timers", errstr);
                return;
        }
        if (!cnt)
                return;
        ticks = calloc(cnt, sizeof(*ticks));
        res   = calloc(cnt, sizeof(*res));
        if (!ticks || !res) {
                lr_error("timers", "out of memory");
                abort();
        }
        for (i = 0; i < cnt; i++) {
                ticks[i].tenant_id = tenants[i];
                ticks[i].policy = lr_config_policy(tm->cfg, tenants[i], NULL);
                ticks[i].now    = event_clock ? LR_STORE_NO_TIMERS : wall;
        }
        n = cnt;
        for (round = 0; n && round < LR_TIMERS_ROUNDS; round++) {
                size_t k = 0;
                if (lr_store_tick(tm->store, ticks, n, res, errstr,
                                  sizeof(errstr))) {
                        lr_timers_warn(tm, "ticking", errstr);
                        break;
                }
                for (i = 0; i < n; i++)
                        if (res[i].status == LR_STORE_REJECTED)
                                lr_timers_warn(tm, ticks[i].tenant_id,
                                               res[i].errstr);
                if (!tm->hooks.publish(tm->opaque, res, n))
                        lr_timers_ack(tm, res, n);
                /* A timer due on a day without a ranking: install it, tick
                 * that tenant again. */
                for (i = 0; i < n; i++) {
                        if (res[i].status == LR_STORE_NEED_RANK &&
                            !lr_apply_install(tm->apply, ticks[i].tenant_id,
                                              ticks[i].policy, res[i].need_day))
                                ticks[k++] = ticks[i];
                        lr_store_result_clear(&res[i]);
                }
                n = k;
        }
        for (i = 0; i < n; i++)
                lr_store_result_clear(&res[i]);
        free(res);
        free(ticks);
        lr_store_tenants_free(tenants, cnt);
}
