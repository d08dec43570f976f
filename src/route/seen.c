/* seen.c - see seen.h. Open addressing on the fingerprint (backward-shift
 * deletion), and per day the fingerprints filed under it. */
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "seen.h"
#include "xalloc.h"

typedef struct lr_seen_slot_s {
        uint64_t h; /* 0: empty */
        int32_t day;
        char *refs; /* NULL: decided nothing */
} lr_seen_slot_t;

typedef struct lr_seen_day_s {
        int32_t day;
        uint64_t *h;
        size_t cnt, size;
} lr_seen_day_t;

typedef struct lr_seen_new_s {
        char *eid;
        int32_t day;
        char *refs;
} lr_seen_new_t;

struct lr_seen_s {
        lr_seen_slot_t *slots;
        size_t size, cnt;
        lr_seen_day_t *days; /* by day */
        size_t days_cnt, days_size;
        lr_seen_new_t *pend;
        size_t pend_cnt, pend_size;
};

static uint64_t lr_seen_hash(const char *s) {
        uint64_t h = lr_fnv1a(s);
        /* splitmix64's finalizer: every bit of the id reaches every bit */
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        h ^= h >> 31;
        return h ? h : 1;
}

lr_seen_t *lr_seen_new(void) {
        return lr_xcalloc(1, sizeof(lr_seen_t));
}

void lr_seen_written(lr_seen_t *s) {
        size_t i;
        for (i = 0; i < s->pend_cnt; i++) {
                free(s->pend[i].eid);
                free(s->pend[i].refs);
        }
        s->pend_cnt = 0;
}

void lr_seen_free(lr_seen_t *s) {
        size_t i;
        if (!s)
                return;
        lr_seen_written(s);
        for (i = 0; i < s->size; i++)
                free(s->slots[i].refs);
        for (i = 0; i < s->days_cnt; i++)
                free(s->days[i].h);
        free(s->slots);
        free(s->days);
        free(s->pend);
        free(s);
}

static size_t lr_seen_find(const lr_seen_t *s, uint64_t h) {
        size_t mask = s->size - 1, i = (size_t)h & mask;
        while (s->slots[i].h && s->slots[i].h != h)
                i = (i + 1) & mask;
        return i;
}

int lr_seen_get(const lr_seen_t *s, const char *eid, const char **refs) {
        size_t i;
        if (!s->cnt)
                return 0;
        i = lr_seen_find(s, lr_seen_hash(eid));
        if (!s->slots[i].h)
                return 0;
        *refs = s->slots[i].refs ? s->slots[i].refs : "";
        return 1;
}

static void lr_seen_resize(lr_seen_t *s, size_t size) {
        lr_seen_slot_t *old = s->slots;
        size_t i, n = s->size;
        s->slots = lr_xcalloc(size, sizeof(*s->slots));
        s->size  = size;
        for (i = 0; i < n; i++)
                if (old[i].h)
                        s->slots[lr_seen_find(s, old[i].h)] = old[i];
        free(old);
}

static lr_seen_day_t *lr_seen_day(lr_seen_t *s, int32_t day) {
        size_t lo = 0, hi = s->days_cnt;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (s->days[mid].day < day)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == s->days_cnt || s->days[lo].day != day) {
                lr_xgrow(&s->days, &s->days_size, s->days_cnt + 1,
                         sizeof(*s->days));
                memmove(&s->days[lo + 1], &s->days[lo],
                        (s->days_cnt - lo) * sizeof(*s->days));
                memset(&s->days[lo], 0, sizeof(*s->days));
                s->days[lo].day = day;
                s->days_cnt++;
        }
        return &s->days[lo];
}

void lr_seen_add(lr_seen_t *s, const char *eid, int32_t day, const char *refs,
                 int pending) {
        uint64_t h = lr_seen_hash(eid);
        lr_seen_day_t *d;
        size_t i;

        if ((s->cnt + 1) * 2 > s->size)
                lr_seen_resize(s, s->size ? s->size * 2 : 64);
        i = lr_seen_find(s, h);
        if (s->slots[i].h)
                return; /* recorded already */
        s->slots[i].h    = h;
        s->slots[i].day  = day;
        s->slots[i].refs = refs && *refs ? lr_xstrdup(refs) : NULL;
        s->cnt++;
        d = lr_seen_day(s, day);
        lr_xgrow(&d->h, &d->size, d->cnt + 1, sizeof(*d->h));
        d->h[d->cnt++] = h;
        if (pending) {
                lr_xgrow(&s->pend, &s->pend_size, s->pend_cnt + 1,
                         sizeof(*s->pend));
                s->pend[s->pend_cnt].eid  = lr_xstrdup(eid);
                s->pend[s->pend_cnt].day  = day;
                s->pend[s->pend_cnt].refs = lr_xstrdup(refs ? refs : "");
                s->pend_cnt++;
        }
}

static void lr_seen_del(lr_seen_t *s, uint64_t h) {
        size_t mask = s->size - 1, i = lr_seen_find(s, h), j;
        if (!s->slots[i].h)
                return;
        free(s->slots[i].refs);
        for (j = (i + 1) & mask; s->slots[j].h; j = (j + 1) & mask) {
                size_t home = (size_t)s->slots[j].h & mask;
                if ((j > i && (home <= i || home > j)) ||
                    (j < i && (home <= i && home > j))) {
                        s->slots[i] = s->slots[j];
                        i           = j;
                }
        }
        memset(&s->slots[i], 0, sizeof(s->slots[i]));
        s->cnt--;
}

size_t lr_seen_expire(lr_seen_t *s, int32_t keep_from, int32_t **days) {
        size_t n = 0, i, k;
        *days    = NULL;
        while (n < s->days_cnt && s->days[n].day < keep_from)
                n++;
        if (!n)
                return 0;
        *days = lr_xcalloc(n, sizeof(**days));
        for (i = 0; i < n; i++) {
                (*days)[i] = s->days[i].day;
                for (k = 0; k < s->days[i].cnt; k++)
                        lr_seen_del(s, s->days[i].h[k]);
                free(s->days[i].h);
        }
        memmove(s->days, s->days + n, (s->days_cnt - n) * sizeof(*s->days));
        s->days_cnt -= n;
        /* a pending record of a forgotten day is not written either */
        for (i = 0, k = 0; i < s->pend_cnt; i++) {
                if (s->pend[i].day < keep_from) {
                        free(s->pend[i].eid);
                        free(s->pend[i].refs);
                } else {
                        s->pend[k++] = s->pend[i];
                }
        }
        s->pend_cnt = k;
        return n;
}

size_t lr_seen_pending_cnt(const lr_seen_t *s) {
        return s->pend_cnt;
}

void lr_seen_pending(const lr_seen_t *s, size_t i, const char **eid,
                     int32_t *day, const char **refs) {
        *eid  = s->pend[i].eid;
        *day  = s->pend[i].day;
        *refs = s->pend[i].refs;
}

size_t lr_seen_cnt(const lr_seen_t *s) {
        return s->cnt;
}
