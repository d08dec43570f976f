/*
 * apply.c - see apply.h. Split out of the worker so that `simulate` routes
 * through the very same steps: the ranking check (cached per tenant), the
 * install of a new day's ranking between the events of the days around it,
 * and the retry of a segment whole when Redis fails (every FCALL is
 * idempotent, so a retried segment changes nothing twice).
 */
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "log.h"
#include "snapshot.h"
#include "strmap.h"
#include "timeutil.h"

struct lr_apply_s {
        lr_store_t *store;
        lr_apply_hooks_t hooks;
        void *opaque;
        lr_strmap_t *rankday; /* tenant -> day of its installed ranking */
};

lr_apply_t *lr_apply_new(lr_store_t *st, const lr_apply_hooks_t *hooks,
                         void *opaque) {
        lr_apply_t *ap = calloc(1, sizeof(*ap));
        if (!ap || !(ap->rankday = lr_strmap_new())) {
                lr_error("apply", "out of memory");
                abort();
        }
        ap->store  = st;
        ap->hooks  = *hooks;
        ap->opaque = opaque;
        return ap;
}

void lr_apply_free(lr_apply_t *ap) {
        if (!ap)
                return;
        lr_strmap_free(ap->rankday);
        free(ap);
}

static int lr_apply_retry(lr_apply_t *ap, const char *errstr) {
        return ap->hooks.retry ? ap->hooks.retry(ap->opaque, errstr) : -1;
}

int lr_apply_install(lr_apply_t *ap, const char *tenant, const lr_policy_t *p,
                     int32_t day) {
        lr_tier_changed_t *tc;
        size_t tc_cnt;
        char errstr[512];

        while (lr_snapshot_ensure(ap->store, tenant, day, p, &tc, &tc_cnt,
                                  errstr, sizeof(errstr))) {
                if (lr_apply_retry(ap, errstr))
                        return -1;
        }
        if (ap->hooks.tier_changes && tc_cnt)
                ap->hooks.tier_changes(ap->opaque, tc, tc_cnt);
        else
                lr_snapshot_changes_free(tc, tc_cnt);
        lr_strmap_set(ap->rankday, tenant, day);
        return 0;
}

/* 1 if the tenant's ranking is older than `day` (cache first), 0 if not,
 * -1 when the retry hook gave up. */
static int lr_apply_needs_rank(lr_apply_t *ap, const char *tenant,
                               int32_t day) {
        int64_t cached;
        int32_t have;
        char errstr[512];

        if (lr_strmap_get(ap->rankday, tenant, &cached))
                return day > cached;
        while (lr_store_rank_day(ap->store, tenant, &have, errstr,
                                 sizeof(errstr))) {
                if (lr_apply_retry(ap, errstr))
                        return -1;
        }
        lr_strmap_set(ap->rankday, tenant, have);
        return day > have;
}

static int lr_apply_op_needs_rank(lr_apply_t *ap, const lr_store_op_t *op) {
        return lr_apply_needs_rank(ap, op->ev->tenant_id,
                                   lr_day_of(lr_event_time(op->ev)));
}

int lr_apply_ensure_day(lr_apply_t *ap, const char *tenant,
                        const lr_policy_t *p, int32_t day) {
        int need = lr_apply_needs_rank(ap, tenant, day);
        if (need < 0)
                return -1;
        return need ? lr_apply_install(ap, tenant, p, day) : 0;
}

int lr_apply_ops(lr_apply_t *ap, const lr_store_op_t *ops, size_t n,
                 lr_store_result_t *results) {
        size_t i = 0, k, j;
        char errstr[512];
        int need;

        memset(results, 0, n * sizeof(*results));
        while (i < n) {
                if (lr_apply_ensure_day(ap, ops[i].ev->tenant_id, ops[i].policy,
                                        lr_day_of(lr_event_time(ops[i].ev))))
                        return -1;
                for (k = i + 1; k < n; k++) {
                        need = lr_apply_op_needs_rank(ap, &ops[k]);
                        if (need < 0)
                                return -1;
                        if (need)
                                break;
                }
                while (lr_store_apply(ap->store, &ops[i], k - i, &results[i],
                                      errstr, sizeof(errstr))) {
                        if (lr_apply_retry(ap, errstr))
                                return -1;
                }
                /* Another worker may have moved a tenant's day meanwhile. */
                for (j = i; j < k; j++)
                        if (results[j].status == LR_STORE_NEED_RANK)
                                break;
                if (j < k) {
                        int32_t day = results[j].need_day;
                        size_t r;
                        for (r = j; r < k; r++)
                                lr_store_result_clear(&results[r]);
                        if (lr_apply_install(ap, ops[j].ev->tenant_id,
                                             ops[j].policy, day))
                                return -1;
                        i = j;
                        continue;
                }
                i = k;
        }
        return 0;
}
