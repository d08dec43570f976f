/*
 * tzdb.c - see tzdb.h. Reads a TZif file (version 2+ 64-bit data, version
 * 1 32-bit data as a fallback), expands its POSIX TZ footer rule year by
 * year, and caches the result per zone name for the life of the process.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tzdb.h"

#define TZDB_FILE_MAX (1 << 20)
#define TZDB_NAME_MAX 128
/* Transitions before this (1800-01-01) only set the initial offset: keeps
 * the "big bang" sentinels of fat files (-2^59 s) out of ms arithmetic. */
#define TZDB_MIN_S (-5364662400LL)

typedef struct tzdb_zone_s {
        struct tzdb_zone_s *next;
        char *name;
        char *table; /* the text of lr_tzdb_table() */
        int64_t *at; /* at[i]: epoch ms from which off[i] applies */
        int *off;    /* seconds east of UTC; at[0] is -infinity */
        size_t cnt;
} tzdb_zone_t;

static pthread_mutex_t tzdb_lock = PTHREAD_MUTEX_INITIALIZER;
static tzdb_zone_t *tzdb_zones;

/* A growing list of (time s, offset s) changes, kept in time order. */
typedef struct tzdb_list_s {
        int64_t *at;
        int *off;
        size_t cnt, cap;
} tzdb_list_t;

static int tzdb_push(tzdb_list_t *l, int64_t at, int off) {
        if (l->cnt && at <= l->at[l->cnt - 1]) {
                /* Same instant (rules meeting at a year boundary): the later
                 * one wins. */
                if (at == l->at[l->cnt - 1])
                        l->off[l->cnt - 1] = off;
                return 0;
        }
        if (l->cnt == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                int64_t *a = realloc(l->at, cap * sizeof(*a));
                int *o;
                if (!a)
                        return -1;
                l->at = a;
                o     = realloc(l->off, cap * sizeof(*o));
                if (!o)
                        return -1;
                l->off = o;
                l->cap = cap;
        }
        l->at[l->cnt]  = at;
        l->off[l->cnt] = off;
        l->cnt++;
        return 0;
}

/* ---- calendar -------------------------------------------------------------*/

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t tzdb_days(int64_t y, int m, int d) {
        int64_t era, yoe, doy, doe;
        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int tzdb_leap(int64_t y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int tzdb_mdays(int64_t y, int m) {
        static const int md[12] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
        return m == 2 && tzdb_leap(y) ? 29 : md[m - 1];
}

/* Year (UTC) of epoch second s. */
static int64_t tzdb_year_of(int64_t s) {
        int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
        int64_t y    = 1970 + days / 366 - 1;
        while (tzdb_days(y + 1, 1, 1) <= days)
                y++;
        return y;
}

/* ---- POSIX TZ footer ------------------------------------------------------*/

typedef struct tzdb_rule_s {
        char kind; /* 'J' Julian 1..365 without Feb 29, 'D' 0..365, 'M' */
        int n, m, w, d;
        int64_t time; /* seconds after local midnight, default 02:00 */
} tzdb_rule_t;

typedef struct tzdb_posix_s {
        int std_off, dst_off; /* seconds east of UTC */
        int has_dst;
        tzdb_rule_t start, end;
} tzdb_posix_t;

static const char *tzdb_posix_name(const char *p) {
        const char *s = p;
        if (*p == '<') {
                while (*p && *p != '>')
                        p++;
                return *p == '>' && p - s > 1 ? p + 1 : NULL;
        }
        while (isalpha((unsigned char)*p))
                p++;
        return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h; the value in seconds. */
static const char *tzdb_posix_hms(const char *p, int max_h, int64_t *out) {
        int sign = 1, part = 0;
        int64_t v[3] = {0, 0, 0};
        if (*p == '+' || *p == '-')
                sign = *p++ == '-' ? -1 : 1;
        if (!isdigit((unsigned char)*p))
                return NULL;
        for (;;) {
                int digits = 0;
                while (isdigit((unsigned char)*p) && digits < 3) {
                        v[part] = v[part] * 10 + (*p++ - '0');
                        digits++;
                }
                if (!digits)
                        return NULL;
                if (part == 2 || *p != ':' || !isdigit((unsigned char)p[1]))
                        break;
                p++;
                part++;
        }
        if (v[0] > max_h || v[1] > 59 || v[2] > 59)
                return NULL;
        *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
        return p;
}

static const char *tzdb_posix_int(const char *p, int lo, int hi, int *out) {
        long v     = 0;
        int digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) {
                v = v * 10 + (*p++ - '0');
                digits++;
        }
        if (!digits || v < lo || v > hi)
                return NULL;
        *out = (int)v;
        return p;
}

static const char *tzdb_posix_rule(const char *p, tzdb_rule_t *r) {
        memset(r, 0, sizeof(*r));
        r->time = 7200;
        if (*p == 'J') {
                r->kind = 'J';
                p       = tzdb_posix_int(p + 1, 1, 365, &r->n);
        } else if (*p == 'M') {
                r->kind = 'M';
                p       = tzdb_posix_int(p + 1, 1, 12, &r->m);
                if (p && *p == '.')
                        p = tzdb_posix_int(p + 1, 1, 5, &r->w);
                else
                        p = NULL;
                if (p && *p == '.')
                        p = tzdb_posix_int(p + 1, 0, 6, &r->d);
                else
                        p = NULL;
        } else {
                r->kind = 'D';
                p       = tzdb_posix_int(p, 0, 365, &r->n);
        }
        if (p && *p == '/')
                p = tzdb_posix_hms(p + 1, 167, &r->time);
        return p;
}

/* Parses a footer such as "EST5EDT,M3.2.0,M11.1.0" or "<+08>-8". */
static int tzdb_posix_parse(const char *s, tzdb_posix_t *z) {
        const char *p = tzdb_posix_name(s);
        int64_t v;

        memset(z, 0, sizeof(*z));
        if (!p || !(p = tzdb_posix_hms(p, 24, &v)))
                return -1;
        z->std_off = (int)-v;
        if (!*p)
                return 0;
        if (!(p = tzdb_posix_name(p)))
                return -1;
        z->has_dst = 1;
        z->dst_off = z->std_off + 3600;
        if (*p && *p != ',') {
                if (!(p = tzdb_posix_hms(p, 24, &v)))
                        return -1;
                z->dst_off = (int)-v;
        }
        if (!*p) {
                /* No rule: POSIX leaves it to the implementation; glibc and
                 * tzcode use the US rules. */
                p = ",M3.2.0,M11.1.0";
        }
        if (*p != ',' || !(p = tzdb_posix_rule(p + 1, &z->start)) ||
            *p != ',' || !(p = tzdb_posix_rule(p + 1, &z->end)) || *p)
                return -1;
        return 0;
}

/* Epoch seconds of local time r in year y (local = UTC + off). */
static int64_t tzdb_rule_at(const tzdb_rule_t *r, int64_t y, int off) {
        int64_t day;
        if (r->kind == 'J') {
                day = tzdb_days(y, 1, 1) + r->n - 1 +
                      (tzdb_leap(y) && r->n >= 60);
        } else if (r->kind == 'D') {
                day = tzdb_days(y, 1, 1) + r->n;
        } else {
                int64_t first = tzdb_days(y, r->m, 1);
                int wd  = (int)(((first + 4) % 7 + 7) % 7); /* 0 = Sunday */
                int dom = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;
                while (dom > tzdb_mdays(y, r->m))
                        dom -= 7;
                day = first + dom - 1;
        }
        return day * 86400 + r->time - off;
}

/* Appends the footer's changes of years [from_y, LAST_YEAR] that come
 * after `after` (epoch s). */
static int tzdb_posix_expand(const tzdb_posix_t *z, int64_t from_y,
                             int64_t after, tzdb_list_t *l) {
        int64_t y;
        if (!z->has_dst)
                return tzdb_push(l, after + 1, z->std_off);
        for (y = from_y; y <= LR_TZDB_LAST_YEAR; y++) {
                int64_t a  = tzdb_rule_at(&z->start, y, z->std_off);
                int64_t b  = tzdb_rule_at(&z->end, y, z->dst_off);
                int64_t t1 = a < b ? a : b, t2 = a < b ? b : a;
                int o1 = a < b ? z->dst_off : z->std_off;
                int o2 = a < b ? z->std_off : z->dst_off;
                if (t1 > after && tzdb_push(l, t1, o1))
                        return -1;
                if (t2 > after && tzdb_push(l, t2, o2))
                        return -1;
        }
        return 0;
}

/* ---- TZif
 * -------------------------------------------------------------------*/

static uint32_t tzdb_be32(const unsigned char *p) {
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | p[3];
}

static int64_t tzdb_be64(const unsigned char *p) {
        return (int64_t)((uint64_t)tzdb_be32(p) << 32 | tzdb_be32(p + 4));
}

typedef struct tzdb_hdr_s {
        uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzdb_hdr_t;

static int tzdb_hdr(const unsigned char *p, size_t len, tzdb_hdr_t *h) {
        if (len < 44 || memcmp(p, "TZif", 4))
                return -1;
        h->isutcnt  = tzdb_be32(p + 20);
        h->isstdcnt = tzdb_be32(p + 24);
        h->leapcnt  = tzdb_be32(p + 28);
        h->timecnt  = tzdb_be32(p + 32);
        h->typecnt  = tzdb_be32(p + 36);
        h->charcnt  = tzdb_be32(p + 40);
        if (!h->typecnt || h->typecnt > 256 || h->timecnt > 100000 ||
            h->charcnt > 100000 || h->leapcnt > 100000 || h->isutcnt > 256 ||
            h->isstdcnt > 256)
                return -1;
        return 0;
}

static size_t tzdb_block_len(const tzdb_hdr_t *h, int tsize) {
        return (size_t)h->timecnt * (size_t)tsize + h->timecnt +
               (size_t)h->typecnt * 6 + h->charcnt +
               (size_t)h->leapcnt * (size_t)(tsize + 4) + h->isstdcnt +
               h->isutcnt;
}

/* Compiles file bytes p[0..len) into l. */
static int tzdb_parse(const unsigned char *p, size_t len, tzdb_list_t *l,
                      char *errstr, size_t errstr_size) {
        tzdb_hdr_t h;
        const unsigned char *d, *types, *ttinfo;
        int tsize = 4, version, init_off;
        size_t off, i;
        int64_t last     = TZDB_MIN_S;
        char footer[256] = "";

        if (tzdb_hdr(p, len, &h))
                goto bad;
        version = p[4];
        off     = 44;
        if (version >= '2') {
                off += tzdb_block_len(&h, 4);
                if (off > len || tzdb_hdr(p + off, len - off, &h))
                        goto bad;
                off += 44;
                tsize = 8;
        }
        if (off + tzdb_block_len(&h, tsize) > len)
                goto bad;
        d      = p + off;
        types  = d + (size_t)h.timecnt * (size_t)tsize;
        ttinfo = types + h.timecnt;
        for (i = 0; i < h.timecnt; i++)
                if (types[i] >= h.typecnt)
                        goto bad;
        if (tsize == 8) {
                const char *f   = (const char *)d + tzdb_block_len(&h, 8);
                const char *end = (const char *)p + len, *nl;
                if (f < end && *f == '\n' &&
                    (nl = memchr(f + 1, '\n', (size_t)(end - f - 1))) &&
                    (size_t)(nl - f - 1) < sizeof(footer)) {
                        memcpy(footer, f + 1, (size_t)(nl - f - 1));
                        footer[nl - f - 1] = '\0';
                }
        }
        /* Before the first transition: time type 0 (RFC 8536 3.2). */
        init_off = (int32_t)tzdb_be32(ttinfo);
        if (tzdb_push(l, INT64_MIN, init_off))
                goto oom;
        for (i = 0; i < h.timecnt; i++) {
                int64_t at = tsize == 8 ? tzdb_be64(d + i * 8)
                                        : (int32_t)tzdb_be32(d + i * 4);
                int o      = (int32_t)tzdb_be32(ttinfo + (size_t)types[i] * 6);
                if (at < TZDB_MIN_S) {
                        l->off[0] = o;
                        continue;
                }
                if (tzdb_push(l, at, o))
                        goto oom;
                last = at;
        }
        if (footer[0]) {
                tzdb_posix_t z;
                if (tzdb_posix_parse(footer, &z)) {
                        snprintf(errstr, errstr_size,
                                 "unsupported TZ rule \"%s\"", footer);
                        return -1;
                }
                if (tzdb_posix_expand(&z, tzdb_year_of(last) - 1, last, l))
                        goto oom;
        }
        return 0;
bad:
        snprintf(errstr, errstr_size, "not a valid TZif file");
        return -1;
oom:
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
}

/* A zone name is a relative path of [A-Za-z0-9_+-] parts: nothing can
 * lead out of the zoneinfo directory. */
static int tzdb_name_ok(const char *name) {
        const char *p;
        size_t len = strlen(name);
        if (!len || len >= TZDB_NAME_MAX || name[0] == '/' ||
            name[len - 1] == '/' || strstr(name, "//"))
                return 0;
        for (p = name; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p))
                        return 0;
        return 1;
}

static int tzdb_read(const char *name, unsigned char **buf, size_t *len,
                     char *errstr, size_t errstr_size) {
        const char *dir = getenv("TZDIR");
        char path[512];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s",
                 dir && *dir ? dir : "/usr/share/zoneinfo", name);
        if (!(f = fopen(path, "rb"))) {
                snprintf(errstr, errstr_size,
                         "unknown timezone \"%s\" (%s: %s)", name, path,
                         strerror(errno));
                return -1;
        }
        *buf = malloc(TZDB_FILE_MAX);
        if (!*buf) {
                fclose(f);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        n = fread(*buf, 1, TZDB_FILE_MAX, f);
        fclose(f);
        *len = n;
        return 0;
}

/* The table text of l, with equal neighbours merged into l itself. */
static char *tzdb_format(tzdb_list_t *l) {
        char *text  = NULL;
        size_t size = 0, i, k = 0;
        FILE *f;

        for (i = 0; i < l->cnt; i++) {
                if (k && l->off[k - 1] == l->off[i])
                        continue;
                l->at[k]  = i ? l->at[i] * 1000 : INT64_MIN;
                l->off[k] = l->off[i];
                k++;
        }
        l->cnt = k;
        if (!(f = open_memstream(&text, &size)))
                return NULL;
        for (i = 0; i < l->cnt; i++) {
                if (i)
                        fprintf(f, ",%lld|%d", (long long)l->at[i], l->off[i]);
                else
                        fprintf(f, "-inf|%d", l->off[i]);
        }
        if (fclose(f)) {
                free(text);
                return NULL;
        }
        return text;
}

static tzdb_zone_t *tzdb_find(const char *name) {
        tzdb_zone_t *z;
        for (z = tzdb_zones; z; z = z->next)
                if (!strcmp(z->name, name))
                        return z;
        return NULL;
}

static tzdb_zone_t *tzdb_get(const char *name, char *errstr,
                             size_t errstr_size) {
        tzdb_zone_t *z;
        tzdb_list_t l      = {NULL, NULL, 0, 0};
        unsigned char *buf = NULL;
        size_t len         = 0;
        char err[256];

        if (!name || !tzdb_name_ok(name)) {
                snprintf(errstr, errstr_size, "bad timezone name \"%s\"",
                         name ? name : "");
                return NULL;
        }
        pthread_mutex_lock(&tzdb_lock);
        if ((z = tzdb_find(name)))
                goto done;
        if (tzdb_read(name, &buf, &len, errstr, errstr_size))
                goto done;
        if (tzdb_parse(buf, len, &l, err, sizeof(err))) {
                snprintf(errstr, errstr_size, "timezone \"%s\": %s", name, err);
                goto done;
        }
        z = calloc(1, sizeof(*z));
        if (!z || !(z->name = strdup(name)) || !(z->table = tzdb_format(&l))) {
                snprintf(errstr, errstr_size, "out of memory");
                if (z)
                        free(z->name);
                free(z);
                z = NULL;
                goto done;
        }
        z->at      = l.at;
        z->off     = l.off;
        z->cnt     = l.cnt;
        l.at       = NULL;
        l.off      = NULL;
        z->next    = tzdb_zones;
        tzdb_zones = z;
done:
        pthread_mutex_unlock(&tzdb_lock);
        free(l.at);
        free(l.off);
        free(buf);
        return z;
}

const char *lr_tzdb_table(const char *name, char *errstr, size_t errstr_size) {
        tzdb_zone_t *z = tzdb_get(name, errstr, errstr_size);
        return z ? z->table : NULL;
}

const lr_tzdb_zone_t *lr_tzdb_zone(const char *name, char *errstr,
                                   size_t errstr_size) {
        return tzdb_get(name, errstr, errstr_size);
}

int lr_tzdb_zone_offset(const lr_tzdb_zone_t *z, int64_t t) {
        size_t lo = 0, hi = z->cnt;
        /* The last change at or before t (at[0] is -infinity). */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (z->at[mid] <= t)
                        lo = mid;
                else
                        hi = mid;
        }
        return z->off[lo];
}

int lr_tzdb_offset(const char *name, int64_t t, int *offset_s, char *errstr,
                   size_t errstr_size) {
        tzdb_zone_t *z = tzdb_get(name, errstr, errstr_size);
        if (!z)
                return -1;
        *offset_s = lr_tzdb_zone_offset(z, t);
        return 0;
}
