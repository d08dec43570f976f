/*
 * presence.c - whether a rep can take a lead at the call's event time:
 * presence (kept as a short history, so an event that arrives late is
 * judged at its own time; a spell with `until` in the past has ended),
 * working hours in the rep's time zone (DST included), capacity by open
 * leads and by leads today in the rep's own day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tenant.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_MS_PER_MIN 60000LL
#define LR_MIN_PER_WEEK 10080

static int64_t lr_floor_div(int64_t a, int64_t b) {
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Presence spells that end by themselves at `until`. */
static int lr_is_spell(int st) {
        return st == LR_PRESENCE_BUSY || st == LR_PRESENCE_IN_MEETING ||
               st == LR_PRESENCE_OUT_OF_OFFICE;
}

/* The history member text of functions.lua ("<at>|<status>|<until>|<eid>"),
 * whose order breaks ties of `at`. */
static void lr_pres_member(const lr_pres_t *p, char *buf, size_t size) {
        char u[24] = "";
        if (p->has_until)
                snprintf(u, sizeof(u), "%lld", (long long)p->until);
        snprintf(buf, size, "%lld|%s|%s|%s", (long long)p->at,
                 lr_presence_name(p->status), u, p->eid ? p->eid : "");
}

static int lr_pres_cmp(const lr_pres_t *a, const lr_pres_t *b) {
        char ma[512], mb[512];
        if (a->at != b->at)
                return a->at < b->at ? -1 : 1;
        lr_pres_member(a, ma, sizeof(ma));
        lr_pres_member(b, mb, sizeof(mb));
        return strcmp(ma, mb);
}

void lr_rep_presence_add(lr_tenant_t *t, lr_rep_t *r, int64_t at, int status,
                         int has_until, int64_t until, const char *eid) {
        lr_pres_t p = {at, status, has_until, until, NULL};
        size_t i, cap = r->hist_cnt;
        p.eid = (char *)eid;
        for (i = r->hist_cnt; i > 0 && lr_pres_cmp(&r->hist[i - 1], &p) > 0;
             i--)
                ;
        if (i < r->hist_cnt && !lr_pres_cmp(&r->hist[i], &p))
                return; /* the same entry again */
        lr_xgrow(&r->hist, &cap, r->hist_cnt + 1, sizeof(*r->hist));
        memmove(&r->hist[i + 1], &r->hist[i],
                (r->hist_cnt - i) * sizeof(*r->hist));
        p.eid      = lr_xstrdup(eid);
        r->hist[i] = p;
        r->hist_cnt++;
        if (r->hist_cnt > LR_HISTORY_KEEP) {
                free(r->hist[0].eid);
                memmove(&r->hist[0], &r->hist[1],
                        (r->hist_cnt - 1) * sizeof(*r->hist));
                r->hist_cnt--;
        }
        r->pres_t = INT64_MIN;
        lr_rep_dirty(t, r);
}

/* Presence at t: the current status when it is not newer than t, else the
 * history entry in force at t. */
static int lr_rep_presence(const lr_tenant_t *t, const lr_rep_t *r) {
        int st = LR_PRESENCE_NONE, has_until = 0;
        int64_t until = 0;
        if (r->st != LR_PRESENCE_NONE && r->st_at <= t->t) {
                st        = r->st;
                has_until = r->has_until;
                until     = r->until;
        } else if (r->st != LR_PRESENCE_NONE) {
                size_t i;
                for (i = r->hist_cnt; i > 0; i--) {
                        if (r->hist[i - 1].at <= t->t) {
                                st        = r->hist[i - 1].status;
                                has_until = r->hist[i - 1].has_until;
                                until     = r->hist[i - 1].until;
                                break;
                        }
                }
        }
        if (st == LR_PRESENCE_NONE)
                return LR_PRESENCE_OFFLINE;
        if (lr_is_spell(st) && has_until && until <= t->t)
                return LR_PRESENCE_AVAILABLE;
        return st;
}

static int lr_rep_tz_offset(const lr_tenant_t *t, const lr_rep_t *r) {
        return r->zone ? lr_tzdb_zone_offset(r->zone, t->t) : 0;
}

int32_t lr_rep_day(const lr_tenant_t *t, const lr_rep_t *r) {
        if (r->tz)
                return (int32_t)lr_floor_div(
                    t->t + (int64_t)lr_rep_tz_offset(t, r) * 1000,
                    LR_MS_PER_DAY);
        return t->day;
}

int lr_rep_assigned_today(const lr_tenant_t *t, const lr_rep_t *r) {
        return r->tday == lr_rep_day(t, r) ? r->tn : 0;
}

int lr_rep_off_hours(lr_tenant_t *t, const lr_rep_t *r) {
        int64_t local, mow;
        size_t i;
        if (!r->hours)
                return 0;
        local = t->t + (int64_t)lr_rep_tz_offset(t, r) * 1000;
        /* Local minutes since the epoch; day 0 was a Thursday (Monday =
         * 0). */
        mow = lr_floor_div(local, LR_MS_PER_MIN) + 3 * 1440;
        mow = ((mow % LR_MIN_PER_WEEK) + LR_MIN_PER_WEEK) % LR_MIN_PER_WEEK;
        for (i = 0; i + 1 < r->hours_cnt; i += 2) {
                if (mow < r->hours[i])
                        return 1;
                if (mow < r->hours[i + 1])
                        return 0;
        }
        return 1;
}

int lr_rep_status_at(lr_tenant_t *t, lr_rep_t *r) {
        if (r->pres_t != t->t) {
                int p = lr_rep_presence(t, r);
                if (p == LR_PRESENCE_AVAILABLE && lr_rep_off_hours(t, r))
                        p = LR_AVAIL_OFF_HOURS;
                r->pres   = p;
                r->pres_t = t->t;
        }
        return r->pres;
}

const char *lr_rep_unavailable(lr_tenant_t *t, lr_rep_t *r) {
        int p      = lr_rep_status_at(t, r);
        int maxo   = r->max_open >= 0 ? r->max_open : t->p->max_open_leads;
        int daymax = t->p->max_leads_per_day;
        if (p == LR_AVAIL_OFF_HOURS)
                return "OFF_HOURS";
        if (p != LR_PRESENCE_AVAILABLE)
                return lr_presence_name(p);
        if (r->open >= maxo ||
            (daymax > 0 && lr_rep_assigned_today(t, r) >= daymax))
                return "AT_CAPACITY";
        return NULL;
}

int lr_rep_at_work(lr_tenant_t *t, lr_rep_t *r) {
        int p = lr_rep_status_at(t, r);
        if (p == LR_PRESENCE_AVAILABLE)
                return 1;
        return (p == LR_PRESENCE_BUSY || p == LR_PRESENCE_IN_MEETING) &&
               !lr_rep_off_hours(t, r);
}

int lr_rep_in_region(const lr_rep_t *r, const char *region) {
        char pat[512];
        if (!r->regions)
                return 0;
        snprintf(pat, sizeof(pat), ",%s,", region);
        return strstr(r->regions, pat) != NULL;
}
