/*
 * tenant.c - the tenant's state containers: reps (by id, and a list sorted
 * by id for the strategies that walk everyone), leads, the waiting queue,
 * the timer heap, accounts, the outbox, dirty tracking, and the results a
 * call fills. The routing rules live in events.c, choose.c, presence.c and
 * ranking.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "tenant.h"
#include "timeutil.h"
#include "xalloc.h"

/* ---- lifecycle ----------------------------------------------------------- */

lr_tenant_t *lr_tenant_new(const char *tenant_id, const lr_policy_t *policy,
                           const char *policy_version, int clock_event) {
        lr_tenant_t *t            = lr_xcalloc(1, sizeof(*t));
        t->id                     = lr_xstrdup(tenant_id);
        t->p                      = policy;
        t->policy_version         = policy_version;
        t->clock_event            = clock_event;
        t->rankday                = -1;
        t->seen_ttl_days          = 30;
        t->lead_retention_days    = 90;
        t->ranking_retention_days = 730;
        lr_dict_init(&t->reps);
        lr_dict_init(&t->leads);
        lr_dict_init(&t->accounts);
        lr_dict_init(&t->accounts_dirty);
        lr_dict_init(&t->cursors);
        t->seen = lr_seen_new();
        lr_dict_init(&t->positions);
        return t;
}

const char *lr_tenant_id(const lr_tenant_t *t) {
        return t->id;
}

void lr_tenant_set_policy(lr_tenant_t *t, const lr_policy_t *policy,
                          const char *policy_version) {
        t->p              = policy;
        t->policy_version = policy_version;
}

void lr_tenant_set_wall(lr_tenant_t *t, int64_t wall_ms) {
        t->wall = wall_ms;
}

void lr_tenant_set_retention(lr_tenant_t *t, int dedup_ttl_days,
                             int lead_retention_days,
                             int ranking_retention_days) {
        t->seen_ttl_days          = dedup_ttl_days;
        t->lead_retention_days    = lead_retention_days;
        t->ranking_retention_days = ranking_retention_days;
}

static void lr_rep_free(lr_rep_t *r) {
        size_t i;
        free(r->untouched);
        for (i = 0; i < r->hist_cnt; i++)
                free(r->hist[i].eid);
        free(r->hist);
        free(r->id);
        free(r->name);
        free(r->team);
        free(r->hours_text);
        free(r->regions);
        free(r->tz);
        free(r->hours);
        free(r->b);
        free(r);
}

void lr_lead_free(lr_lead_t *l) {
        size_t i;
        for (i = 0; i < l->prev_cnt; i++)
                free(l->prev[i]);
        free(l->prev);
        free(l->id);
        free(l->eid);
        free(l->src_topic);
        free(l->region);
        free(l->acct);
        free(l);
}

/* Removes p from a dirty list (swap with the last). */
static void lr_dirty_remove(void **list, size_t *cnt, const void *p) {
        size_t i;
        for (i = 0; i < *cnt; i++) {
                if (list[i] == p) {
                        list[i] = list[--*cnt];
                        return;
                }
        }
}

static void lr_dict_free_values(lr_dict_t *d, void (*fn)(void *)) {
        size_t i = 0;
        void *v;
        while (lr_dict_next(d, &i, NULL, &v))
                fn(v);
        lr_dict_destroy(d);
}

static void lr_dict_free_keys_values(lr_dict_t *d) {
        size_t i = 0;
        const char *k;
        void *v;
        while (lr_dict_next(d, &i, &k, &v)) {
                free((char *)k);
                if (v != (void *)1)
                        free(v);
        }
        lr_dict_destroy(d);
}

void lr_tenant_clear_changes(lr_tenant_t *t) {
        size_t i;
        for (i = 0; i < t->decs_cnt; i++) {
                free(t->decs[i].ref);
                lr_assigned_clear(&t->decs[i].d);
        }
        t->decs_cnt = 0;
        for (i = 0; i < t->gone_cnt; i++)
                free(t->gone[i].a);
        t->gone_cnt = 0;
        for (i = 0; i < t->timers_new_cnt; i++)
                free(t->timers_new[i].lead_id);
        t->timers_new_cnt = 0;
        for (i = 0; i < t->dirty_reps_cnt; i++)
                t->dirty_reps[i]->dirty = 0;
        t->dirty_reps_cnt = 0;
        for (i = 0; i < t->dirty_leads_cnt; i++)
                t->dirty_leads[i]->dirty = 0;
        t->dirty_leads_cnt   = 0;
        t->dirty_buckets_cnt = 0;
        for (i = 0; i < t->hist_new_cnt; i++)
                free(t->hist_new[i].p);
        t->hist_new_cnt = 0;
        lr_seen_written(t->seen);
        lr_dict_free_keys_values(&t->accounts_dirty);
        lr_dict_init(&t->accounts_dirty);
        t->cursors_dirty   = 0;
        t->ranking_dirty   = 0;
        t->positions_dirty = 0;
        t->installs_dirty  = 0;
        t->outbox_dirty    = 0;
}

static void lr_outbox_item_clear(lr_outbox_item_t *o) {
        lr_assigned_clear(&o->d);
        lr_tier_changed_clear(&o->tc);
}

void lr_tenant_free(lr_tenant_t *t) {
        size_t i;
        if (!t)
                return;
        lr_tenant_clear_changes(t);
        lr_dict_destroy(&t->accounts_dirty);
        lr_dict_free_values(&t->reps, (void (*)(void *))lr_rep_free);
        lr_dict_free_values(&t->leads, (void (*)(void *))lr_lead_free);
        lr_seen_free(t->seen);
        lr_dict_free_keys_values(&t->accounts);
        lr_dict_free_keys_values(&t->cursors);
        lr_dict_free_keys_values(&t->positions);
        for (i = 0; i < t->installs_cnt; i++)
                lr_install_clear(&t->installs[i]);
        free(t->installs);
        for (i = 0; i < t->timer_cnt; i++)
                free(t->timers[i].lead_id);
        for (i = 0; i < t->outbox_cnt; i++)
                lr_outbox_item_clear(&t->outbox[i]);
        lr_ranking_clear(&t->ranking);
        free(t->view.ranks);
        free(t->rep_list);
        free(t->order);
        free(t->unranked);
        free(t->queue);
        free(t->timers);
        free(t->timers_new);
        free(t->decs);
        free(t->outbox);
        free(t->gone);
        free(t->dirty_reps);
        free(t->dirty_leads);
        free(t->dirty_buckets);

        free(t->hist_new);
        for (i = 0; i < t->closed_cnt; i++)
                free(t->closed[i].v);
        free(t->closed);
        free(t->rr);
        free(t->refs);
        free(t->id);
        free(t);
}

/* ---- reps ---------------------------------------------------------------- */

lr_rep_t *lr_rep_get(const lr_tenant_t *t, const char *id) {
        return lr_dict_get(&t->reps, id);
}

/* Index of the first entry of list[0..n) whose id is >= id. */
static size_t lr_reps_lower_bound(lr_rep_t *const *list, size_t n,
                                  const char *id) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(list[mid]->id, id) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

void lr_reps_insert_sorted(lr_rep_t ***list, size_t *cnt, size_t *size,
                           lr_rep_t *r) {
        size_t i = lr_reps_lower_bound(*list, *cnt, r->id);
        lr_xgrow(list, size, *cnt + 1, sizeof(**list));
        memmove(&(*list)[i + 1], &(*list)[i], (*cnt - i) * sizeof(**list));
        (*list)[i] = r;
        (*cnt)++;
}

void lr_reps_remove_sorted(lr_rep_t **list, size_t *cnt, const lr_rep_t *r) {
        size_t i = lr_reps_lower_bound(list, *cnt, r->id);
        if (i < *cnt && list[i] == r) {
                memmove(&list[i], &list[i + 1], (*cnt - i - 1) * sizeof(*list));
                (*cnt)--;
        }
}

void lr_rep_dirty(lr_tenant_t *t, lr_rep_t *r) {
        if (!(r->dirty & LR_DIRTY_STATE)) {
                if (!r->dirty) {
                        lr_xgrow(&t->dirty_reps, &t->dirty_reps_size,
                                 t->dirty_reps_cnt + 1, sizeof(*t->dirty_reps));
                        t->dirty_reps[t->dirty_reps_cnt++] = r;
                }
                r->dirty |= LR_DIRTY_STATE;
        }
}

/* A rep record as it is created (also by persist.c when loading). */
lr_rep_t *lr_rep_insert(lr_tenant_t *t, const char *id) {
        lr_rep_t *r = lr_xcalloc(1, sizeof(*r));
        r->id       = lr_xstrdup(id);
        r->active   = 1;
        r->tier     = t->p->tiers;
        r->max_open = -1;
        r->st       = LR_PRESENCE_NONE;
        r->tday     = INT32_MIN;
        r->pres_t   = INT64_MIN;
        lr_dict_set(&t->reps, r->id, r);
        lr_reps_insert_sorted(&t->rep_list, &t->rep_cnt, &t->rep_size, r);
        return r;
}

lr_rep_t *lr_rep_ensure(lr_tenant_t *t, const char *id) {
        lr_rep_t *r = lr_rep_get(t, id);
        if (r)
                return r;
        r = lr_rep_insert(t, id);
        lr_reps_insert_sorted(&t->unranked, &t->unranked_cnt, &t->unranked_size,
                              r);
        lr_rep_dirty(t, r);
        return r;
}

lr_bucket_t *lr_rep_bucket(lr_tenant_t *t, lr_rep_t *r, int32_t day) {
        size_t lo = 0, hi = r->b_cnt;
        lr_bucket_t *b;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (r->b[mid].day < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == r->b_cnt || r->b[lo].day != day) {
                lr_xgrow(&r->b, &r->b_size, r->b_cnt + 1, sizeof(*r->b));
                memmove(&r->b[lo + 1], &r->b[lo],
                        (r->b_cnt - lo) * sizeof(*r->b));
                memset(&r->b[lo], 0, sizeof(*r->b));
                r->b[lo].day = day;
                r->b_cnt++;
        }
        b = &r->b[lo];
        if (t) {
                size_t i;
                for (i = t->dirty_buckets_cnt; i-- > 0;)
                        if (t->dirty_buckets[i].rep == r &&
                            t->dirty_buckets[i].day == day)
                                return b;
                lr_xgrow(&t->dirty_buckets, &t->dirty_buckets_size,
                         t->dirty_buckets_cnt + 1, sizeof(*t->dirty_buckets));
                t->dirty_buckets[t->dirty_buckets_cnt].rep = r;
                t->dirty_buckets[t->dirty_buckets_cnt].day = day;
                t->dirty_buckets_cnt++;
        }
        return b;
}

void lr_rep_open_dec(lr_tenant_t *t, lr_rep_t *r) {
        if (r->open > 0) {
                r->open--;
                lr_rep_dirty(t, r);
        }
}

/* ---- leads --------------------------------------------------------------- */

lr_lead_t *lr_lead_get(const lr_tenant_t *t, const char *id) {
        return lr_dict_get(&t->leads, id);
}

lr_lead_t *lr_lead_add(lr_tenant_t *t, const char *id) {
        lr_lead_t *l = lr_xcalloc(1, sizeof(*l));
        l->id        = lr_xstrdup(id);
        l->eid       = lr_xstrdup("");
        l->src_topic = lr_xstrdup("");
        lr_dict_set(&t->leads, l->id, l);
        return l;
}

void lr_closed_add(lr_tenant_t *t, lr_lead_t *l) {
        int32_t day = lr_day_of(l->closed_at);
        size_t lo = 0, hi = t->closed_cnt;
        struct lr_closed_day_s *d;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (t->closed[mid].day < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == t->closed_cnt || t->closed[lo].day != day) {
                lr_xgrow(&t->closed, &t->closed_size, t->closed_cnt + 1,
                         sizeof(*t->closed));
                memmove(&t->closed[lo + 1], &t->closed[lo],
                        (t->closed_cnt - lo) * sizeof(*t->closed));
                memset(&t->closed[lo], 0, sizeof(*t->closed));
                t->closed[lo].day = day;
                t->closed_cnt++;
        }
        d = &t->closed[lo];
        lr_xgrow(&d->v, &d->size, d->cnt + 1, sizeof(*d->v));
        d->v[d->cnt++] = l;
}

void lr_lead_untouched(lr_lead_t *l) {
        lr_rep_t *want =
            l->state == LR_LEAD_ASSIGNED && !l->touched ? l->rep : NULL;
        lr_rep_t *r = l->untouched_rep;
        size_t i;
        if (r == want)
                return;
        if (r) {
                for (i = 0; i < r->untouched_cnt; i++)
                        if (r->untouched[i] == l) {
                                r->untouched[i] =
                                    r->untouched[--r->untouched_cnt];
                                break;
                        }
        }
        if (want) {
                lr_xgrow(&want->untouched, &want->untouched_size,
                         want->untouched_cnt + 1, sizeof(*want->untouched));
                want->untouched[want->untouched_cnt++] = l;
        }
        l->untouched_rep = want;
}

size_t lr_rep_untouched(const lr_tenant_t *t, const lr_rep_t *r) {
        int64_t sla = (int64_t)t->p->sla_first_touch_seconds * 1000;
        size_t i, n = 0;
        for (i = 0; i < r->untouched_cnt; i++)
                if (!sla || t->t - r->untouched[i]->at < sla)
                        n++;
        /* a lead taken away for a missed SLA was never called either: it
         * holds the rep for one more SLA, or the rep would get the next
         * lead at once and miss again */
        if (r->missed_at && t->t - r->missed_at < sla)
                n++;
        return n;
}

int64_t lr_rep_week_leads(const lr_tenant_t *t, const lr_rep_t *r) {
        int64_t n = 0;
        size_t i;
        int k;
        for (i = r->b_cnt; i-- > 0 && r->b[i].day > t->day - 7;)
                if (r->b[i].day <= t->day)
                        for (k = 0; k < LR_TIER_CLASSES; k++)
                                n += r->b[i].n[k];
        return n;
}

void lr_lead_forget(lr_tenant_t *t, lr_lead_t *l) {
        l->state = LR_LEAD_NEW;
        lr_lead_untouched(l);
        if (l->dirty)
                lr_dirty_remove((void **)t->dirty_leads, &t->dirty_leads_cnt,
                                l);
        lr_queue_remove(t, l);
        lr_lead_free(l);
}

void lr_lead_dirty(lr_tenant_t *t, lr_lead_t *l) {
        if (l->dirty)
                return;
        l->dirty = 1;
        lr_xgrow(&t->dirty_leads, &t->dirty_leads_size, t->dirty_leads_cnt + 1,
                 sizeof(*t->dirty_leads));
        t->dirty_leads[t->dirty_leads_cnt++] = l;
}

int lr_lead_had(const lr_lead_t *l, const lr_rep_t *r) {
        size_t i;
        for (i = 0; i < l->prev_cnt; i++)
                if (!strcmp(l->prev[i], r->id))
                        return 1;
        return 0;
}

/* ---- the queue: better lead tier first, then oldest, then lead_id ------- */

static int lr_queue_cmp(const lr_lead_t *a, const lr_lead_t *b) {
        if (a->tier != b->tier)
                return a->tier < b->tier ? -1 : 1;
        if (a->qt != b->qt)
                return a->qt < b->qt ? -1 : 1;
        return strcmp(a->id, b->id);
}

void lr_queue_add(lr_tenant_t *t, lr_lead_t *l) {
        size_t lo = 0, hi = t->queue_cnt;
        if (l->in_queue)
                lr_queue_remove(t, l);
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (lr_queue_cmp(t->queue[mid], l) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        lr_xgrow(&t->queue, &t->queue_size, t->queue_cnt + 1,
                 sizeof(*t->queue));
        memmove(&t->queue[lo + 1], &t->queue[lo],
                (t->queue_cnt - lo) * sizeof(*t->queue));
        t->queue[lo] = l;
        t->queue_cnt++;
        l->in_queue = 1;
}

void lr_queue_remove(lr_tenant_t *t, lr_lead_t *l) {
        size_t i;
        if (!l->in_queue)
                return;
        for (i = 0; i < t->queue_cnt; i++) {
                if (t->queue[i] == l) {
                        memmove(&t->queue[i], &t->queue[i + 1],
                                (t->queue_cnt - i - 1) * sizeof(*t->queue));
                        t->queue_cnt--;
                        break;
                }
        }
        l->in_queue = 0;
}

size_t lr_tenant_queue_len(const lr_tenant_t *t) {
        return t->queue_cnt;
}

const char *lr_tenant_queue_at(const lr_tenant_t *t, size_t i) {
        return t->queue[i]->id;
}

/* ---- timers: a min-heap by (due, member) --------------------------------- */

void lr_timer_member(const lr_timer_t *tm, char *buf, size_t size) {
        snprintf(buf, size, "%c|%d|%s", tm->kind, tm->attempt, tm->lead_id);
}

static int lr_timer_before(const lr_timer_t *a, const lr_timer_t *b) {
        char ma[512], mb[512];
        if (a->due != b->due)
                return a->due < b->due;
        lr_timer_member(a, ma, sizeof(ma));
        lr_timer_member(b, mb, sizeof(mb));
        return strcmp(ma, mb) < 0;
}

static void lr_timer_swap(lr_timer_t *a, lr_timer_t *b) {
        lr_timer_t x = *a;
        *a           = *b;
        *b           = x;
}

void lr_timer_push(lr_tenant_t *t, char kind, int attempt, const char *lead_id,
                   int64_t due) {
        size_t i = t->timer_cnt;
        lr_xgrow(&t->timers, &t->timer_size, i + 1, sizeof(*t->timers));
        t->timers[i].due     = due;
        t->timers[i].kind    = kind;
        t->timers[i].attempt = attempt;
        t->timers[i].lead_id = lr_xstrdup(lead_id);
        t->timer_cnt++;
        while (i > 0 &&
               lr_timer_before(&t->timers[i], &t->timers[(i - 1) / 2])) {
                lr_timer_swap(&t->timers[i], &t->timers[(i - 1) / 2]);
                i = (i - 1) / 2;
        }
}

void lr_timer_add(lr_tenant_t *t, char kind, int attempt, const char *lead_id,
                  int64_t due) {
        lr_timer_t *n;
        lr_timer_push(t, kind, attempt, lead_id, due);
        lr_xgrow(&t->timers_new, &t->timers_new_size, t->timers_new_cnt + 1,
                 sizeof(*t->timers_new));
        n          = &t->timers_new[t->timers_new_cnt++];
        n->due     = due;
        n->kind    = kind;
        n->attempt = attempt;
        n->lead_id = lr_xstrdup(lead_id);
}

int lr_timer_pop(lr_tenant_t *t, int64_t upto, lr_timer_t *out) {
        size_t i = 0;
        if (!t->timer_cnt || t->timers[0].due > upto)
                return 0;
        *out         = t->timers[0];
        t->timers[0] = t->timers[--t->timer_cnt];
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < t->timer_cnt &&
                    lr_timer_before(&t->timers[l], &t->timers[m]))
                        m = l;
                if (r < t->timer_cnt &&
                    lr_timer_before(&t->timers[r], &t->timers[m]))
                        m = r;
                if (m == i)
                        break;
                lr_timer_swap(&t->timers[i], &t->timers[m]);
                i = m;
        }
        return 1;
}

int64_t lr_tenant_next_due(const lr_tenant_t *t) {
        return t->timer_cnt ? t->timers[0].due : INT64_MAX;
}

/* ---- deletions, accounts, positions -------------------------------------- */

void lr_gone_add(lr_tenant_t *t, int what, const char *a, int32_t day) {
        lr_xgrow(&t->gone, &t->gone_size, t->gone_cnt + 1, sizeof(*t->gone));
        t->gone[t->gone_cnt].what = what;
        t->gone[t->gone_cnt].a    = lr_xstrdup(a);
        t->gone[t->gone_cnt].day  = day;
        t->gone_cnt++;
}

const char *lr_account_owner(const lr_tenant_t *t, const char *acct) {
        return lr_dict_get(&t->accounts, acct);
}

/* Sets a string value of an owned-key dict (accounts, cursors). */
void lr_dict_set_str(lr_dict_t *d, const char *key, const char *value) {
        char *old = lr_dict_get(d, key);
        if (old) {
                if (!strcmp(old, value))
                        return;
                lr_dict_set(d, lr_dict_key(d, key), lr_xstrdup(value));
                free(old);
        } else {
                lr_dict_set(d, lr_xstrdup(key), lr_xstrdup(value));
        }
}

void lr_account_set(lr_tenant_t *t, const char *acct, const char *rep_id) {
        lr_dict_set_str(&t->accounts, acct, rep_id);
        if (!lr_dict_get(&t->accounts_dirty, acct))
                lr_dict_set(&t->accounts_dirty, lr_xstrdup(acct), (void *)1);
}

static int lr_position_cmp(const void *a, const void *b) {
        return strcmp(((const lr_position_t *)a)->key,
                      ((const lr_position_t *)b)->key);
}

lr_position_t *lr_tenant_positions(const lr_tenant_t *t, size_t *cnt) {
        lr_position_t *v = lr_xcalloc(t->positions.cnt + 1, sizeof(*v));
        size_t i = 0, n = 0;
        const char *k;
        void *val;
        while (lr_dict_next(&t->positions, &i, &k, &val)) {
                v[n].key    = (char *)k;
                v[n++].next = strtoll(val, NULL, 10);
        }
        qsort(v, n, sizeof(*v), lr_position_cmp);
        *cnt = n;
        return v;
}

/* Installs kept for the next decision; a tenant that decides nothing for
 * years keeps the latest (the replay installs older days by event time). */
#define LR_INSTALLS_MAX 800

void lr_install_add(lr_tenant_t *t, int32_t day) {
        lr_install_t *in;
        size_t i;

        if (!t->positions.cnt)
                return; /* no input positions (simulate, tools) */
        if (t->installs_cnt == LR_INSTALLS_MAX) {
                lr_install_clear(&t->installs[0]);
                memmove(t->installs, t->installs + 1,
                        --t->installs_cnt * sizeof(*t->installs));
        }
        t->installs = lr_xrealloc(t->installs,
                                  (t->installs_cnt + 1) * sizeof(*t->installs));
        in          = &t->installs[t->installs_cnt++];
        in->day     = day;
        in->inputs  = lr_tenant_positions(t, &in->inputs_cnt);
        for (i = 0; i < in->inputs_cnt; i++)
                in->inputs[i].key = lr_xstrdup(in->inputs[i].key);
        t->installs_dirty = 1;
}

void lr_installs_take(lr_tenant_t *t, lr_assigned_t *d) {
        if (!t->installs_cnt)
                return;
        d->installs       = t->installs;
        d->installs_cnt   = t->installs_cnt;
        t->installs       = NULL;
        t->installs_cnt   = 0;
        t->installs_dirty = 1;
}

int lr_position_advance(lr_tenant_t *t, const lr_route_source_t *src) {
        char key[512];
        char *v, num[24];
        if (!src || !src->topic || !*src->topic)
                return 1;
        snprintf(key, sizeof(key), "%s:%d", src->topic, (int)src->partition);
        v = lr_dict_get(&t->positions, key);
        if (v && src->offset < strtoll(v, NULL, 10))
                return 0;
        snprintf(num, sizeof(num), "%lld", (long long)src->offset + 1);
        lr_dict_set_str(&t->positions, key, num);
        t->positions_dirty = 1;
        return 1;
}

/* ---- the call ------------------------------------------------------------ */

void lr_call_time(lr_tenant_t *t, int64_t now) {
        t->t   = now;
        t->day = lr_day_of(now);
}

void lr_call_begin(lr_tenant_t *t, int64_t now, lr_route_result_t *out) {
        lr_call_time(t, now);
        t->out      = out;
        t->ticking  = 0;
        t->eid      = NULL;
        t->refs_len = 0;
        if (t->refs)
                t->refs[0] = '\0';
}

/* ---- outputs ------------------------------------------------------------- */

void lr_assigned_copy(lr_assigned_t *dst, const lr_assigned_t *s) {
        size_t i;
        *dst                = *s;
        dst->event_id       = lr_xstrdup(s->event_id);
        dst->tenant_id      = lr_xstrdup(s->tenant_id);
        dst->lead_id        = lr_xstrdup(s->lead_id);
        dst->rep_id         = lr_xstrdup(s->rep_id);
        dst->reason         = lr_xstrdup(s->reason);
        dst->strategy       = lr_xstrdup(s->strategy);
        dst->explanation    = lr_xstrdup(s->explanation);
        dst->policy_version = lr_xstrdup(s->policy_version);
        dst->source_topic   = lr_xstrdup(s->source_topic);
        dst->skipped        = s->skipped_cnt
                                  ? lr_xcalloc(s->skipped_cnt, sizeof(*s->skipped))
                                  : NULL;
        for (i = 0; i < s->skipped_cnt; i++) {
                dst->skipped[i].rep_id = lr_xstrdup(s->skipped[i].rep_id);
                dst->skipped[i].why    = lr_xstrdup(s->skipped[i].why);
        }
        dst->inputs = s->inputs_cnt
                          ? lr_xcalloc(s->inputs_cnt, sizeof(*s->inputs))
                          : NULL;
        for (i = 0; i < s->inputs_cnt; i++) {
                dst->inputs[i].key  = lr_xstrdup(s->inputs[i].key);
                dst->inputs[i].next = s->inputs[i].next;
        }
        dst->installs = lr_installs_copy(s->installs, s->installs_cnt);
}

void lr_tier_changed_copy(lr_tier_changed_t *dst, const lr_tier_changed_t *s) {
        *dst           = *s;
        dst->event_id  = lr_xstrdup(s->event_id);
        dst->tenant_id = lr_xstrdup(s->tenant_id);
        dst->rep_id    = lr_xstrdup(s->rep_id);
        dst->reason    = lr_xstrdup(s->reason);
}

void lr_result_add_decision(lr_route_result_t *r, const lr_assigned_t *d) {
        lr_xgrow(&r->decisions, &r->decisions_size, r->decisions_cnt + 1,
                 sizeof(*r->decisions));
        lr_assigned_copy(&r->decisions[r->decisions_cnt++], d);
}

void lr_result_add_tier_change(lr_route_result_t *r,
                               const lr_tier_changed_t *tc) {
        lr_xgrow(&r->tier_changes, &r->tier_changes_size,
                 r->tier_changes_cnt + 1, sizeof(*r->tier_changes));
        lr_tier_changed_copy(&r->tier_changes[r->tier_changes_cnt++], tc);
}

void lr_route_result_clear(lr_route_result_t *r) {
        size_t i;
        for (i = 0; i < r->decisions_cnt; i++)
                lr_assigned_clear(&r->decisions[i]);
        for (i = 0; i < r->tier_changes_cnt; i++)
                lr_tier_changed_clear(&r->tier_changes[i]);
        for (i = 0; i < r->refs_cnt; i++)
                free(r->refs[i].lead_id);
        free(r->decisions);
        free(r->tier_changes);
        free(r->refs);
        memset(r, 0, sizeof(*r));
}

static lr_outbox_item_t *lr_outbox_new_item(lr_tenant_t *t) {
        lr_outbox_item_t *o;
        lr_xgrow(&t->outbox, &t->outbox_size, t->outbox_cnt + 1,
                 sizeof(*t->outbox));
        o = &t->outbox[t->outbox_cnt++];
        memset(o, 0, sizeof(*o));
        o->seq          = ++t->outbox_seq;
        t->outbox_dirty = 1;
        return o;
}

void lr_outbox_add_decision(lr_tenant_t *t, const lr_assigned_t *d) {
        lr_assigned_copy(&lr_outbox_new_item(t)->d, d);
}

void lr_outbox_add_tier_change(lr_tenant_t *t, const lr_tier_changed_t *tc) {
        lr_outbox_item_t *o = lr_outbox_new_item(t);
        o->is_tier_change   = 1;
        lr_tier_changed_copy(&o->tc, tc);
}

size_t lr_tenant_outbox_len(const lr_tenant_t *t) {
        return t->outbox_cnt;
}

uint64_t lr_tenant_outbox_mark(const lr_tenant_t *t) {
        return t->outbox_seq;
}

void lr_tenant_outbox_ack(lr_tenant_t *t, uint64_t upto) {
        size_t i, k = 0;
        for (i = 0; i < t->outbox_cnt; i++) {
                lr_outbox_item_t *o = &t->outbox[i];
                if (o->seq <= upto) {
                        char ref[32];
                        snprintf(ref, sizeof(ref), "%llu",
                                 (unsigned long long)o->seq);
                        if (o->stored)
                                lr_gone_add(t, LR_GONE_OUTBOX, ref, 0);
                        lr_outbox_item_clear(o);
                } else {
                        t->outbox[k++] = *o;
                }
        }
        t->outbox_cnt = k;
}

void lr_tenant_outbox_get(const lr_tenant_t *t, size_t i,
                          const lr_assigned_t **d,
                          const lr_tier_changed_t **tc) {
        const lr_outbox_item_t *o = &t->outbox[i];
        *d                        = o->is_tier_change ? NULL : &o->d;
        *tc                       = o->is_tier_change ? &o->tc : NULL;
}

/* ---- reps for readers ---------------------------------------------------- */

static void lr_route_rep_fill(const lr_rep_t *r, lr_route_rep_t *out) {
        out->rep_id     = r->id;
        out->active     = r->active;
        out->tier       = r->tier;
        out->handled    = r->handled;
        out->open_leads = r->open;
        /* never given a status: offline, as routing sees it */
        out->status = lr_presence_name(
            r->st == LR_PRESENCE_NONE ? LR_PRESENCE_OFFLINE : r->st);
        out->display_name = r->name;
        out->team         = r->team;
}

int lr_tenant_rep(const lr_tenant_t *t, const char *rep_id,
                  lr_route_rep_t *out) {
        const lr_rep_t *r = lr_rep_get(t, rep_id);
        if (!r)
                return 0;
        lr_route_rep_fill(r, out);
        return 1;
}

size_t lr_tenant_rep_cnt(const lr_tenant_t *t) {
        return t->rep_cnt;
}

void lr_tenant_rep_at(const lr_tenant_t *t, size_t i, lr_route_rep_t *out) {
        lr_route_rep_fill(t->rep_list[i], out);
}

const lr_bucket_t *lr_tenant_rep_buckets(const lr_tenant_t *t,
                                         const char *rep_id, size_t *cnt) {
        const lr_rep_t *r = lr_rep_get(t, rep_id);
        *cnt              = r ? r->b_cnt : 0;
        return r ? r->b : NULL;
}
