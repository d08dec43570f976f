/*
 * workhours.c - see workhours.h. Pure: parses the text a RepStatus carries
 * and writes the minute-of-week intervals the routing Functions test a
 * time against (after converting it to the rep's local time, tzdb.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "workhours.h"

#define WH_MAX_IVS 512

typedef struct wh_iv_s {
        int s, e;
} wh_iv_t;

static const char *wh_days[7] = {"mon", "tue", "wed", "thu",
                                 "fri", "sat", "sun"};

static const char *wh_skip(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

/* A day name at p (3 letters, or the full name); its index or -1. */
static int wh_day(const char **pp) {
        static const char *full[7] = {"monday",   "tuesday", "wednesday",
                                      "thursday", "friday",  "saturday",
                                      "sunday"};
        const char *p              = *pp;
        int i;
        for (i = 0; i < 7; i++) {
                size_t n = strlen(full[i]);
                if (!strncasecmp(p, full[i], n) &&
                    !isalpha((unsigned char)p[n])) {
                        *pp = p + n;
                        return i;
                }
                if (!strncasecmp(p, wh_days[i], 3) &&
                    !isalpha((unsigned char)p[3])) {
                        *pp = p + 3;
                        return i;
                }
        }
        return -1;
}

static int wh_word(const char **pp, const char *w) {
        size_t n = strlen(w);
        if (strncasecmp(*pp, w, n) || isalpha((unsigned char)(*pp)[n]))
                return 0;
        *pp += n;
        return 1;
}

/* The day set of a segment: bit i = day i (Monday 0). 0 on error. */
static int wh_parse_days(const char **pp) {
        const char *p = wh_skip(*pp);
        int mask      = 0;
        if (wh_word(&p, "daily"))
                mask = 0x7f;
        else if (wh_word(&p, "weekdays"))
                mask = 0x1f;
        else if (wh_word(&p, "weekends"))
                mask = 0x60;
        else {
                for (;;) {
                        int a = wh_day(&p), b, d;
                        if (a < 0)
                                return 0;
                        b = a;
                        p = wh_skip(p);
                        if (*p == '-') {
                                p = wh_skip(p + 1);
                                if ((b = wh_day(&p)) < 0)
                                        return 0;
                        }
                        /* Mon-Fri; Fri-Mon wraps over the weekend. */
                        for (d = a;; d = (d + 1) % 7) {
                                mask |= 1 << d;
                                if (d == b)
                                        break;
                        }
                        p = wh_skip(p);
                        if (*p != ',')
                                break;
                        p = wh_skip(p + 1);
                }
        }
        *pp = p;
        return mask;
}

/* HH:MM as minutes of the day; 24:00 only when allow_24. -1 on error. */
static int wh_parse_time(const char **pp, int allow_24) {
        const char *p = *pp;
        int h, m;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
            p[2] != ':' || !isdigit((unsigned char)p[3]) ||
            !isdigit((unsigned char)p[4]) || isdigit((unsigned char)p[5]))
                return -1;
        h = (p[0] - '0') * 10 + (p[1] - '0');
        m = (p[3] - '0') * 10 + (p[4] - '0');
        if (m > 59 || h > 24 || (h == 24 && (m || !allow_24)))
                return -1;
        *pp = p + 5;
        return h * 60 + m;
}

static int wh_add(wh_iv_t *iv, int *n, int s, int e) {
        if (e > LR_WORKHOURS_WEEK) {
                if (wh_add(iv, n, s, LR_WORKHOURS_WEEK))
                        return -1;
                s = 0;
                e -= LR_WORKHOURS_WEEK;
        }
        if (*n >= WH_MAX_IVS)
                return -1;
        iv[*n].s = s;
        iv[*n].e = e;
        (*n)++;
        return 0;
}

static int wh_cmp(const void *a, const void *b) {
        const wh_iv_t *x = a, *y = b;
        return x->s != y->s ? (x->s < y->s ? -1 : 1)
                            : (x->e < y->e ? -1 : x->e > y->e);
}

int lr_workhours_compile(const char *spec, char *out, size_t out_size,
                         char *errstr, size_t errstr_size) {
        wh_iv_t iv[WH_MAX_IVS];
        int n         = 0, i, k;
        const char *p = wh_skip(spec ? spec : "");
        size_t len    = 0;

        if (out_size < 64) {
                snprintf(errstr, errstr_size,
                         "working_hours: buffer too small");
                return -1;
        }
        if (wh_word(&p, "always") || !strncmp(p, "24/7", 4)) {
                p = wh_skip(p[0] == '2' ? p + 4 : p);
                if (*p)
                        goto bad;
                snprintf(out, out_size, "*");
                return 0;
        }
        for (;;) {
                int mask = wh_parse_days(&p), d;
                if (!mask)
                        goto bad;
                p = wh_skip(p);
                for (;;) {
                        int s = wh_parse_time(&p, 0), e;
                        if (s < 0)
                                goto bad;
                        p = wh_skip(p);
                        if (*p != '-')
                                goto bad;
                        p = wh_skip(p + 1);
                        if ((e = wh_parse_time(&p, 1)) < 0)
                                goto bad;
                        if (e <= s)
                                e += 1440; /* into the next day */
                        for (d = 0; d < 7; d++)
                                if ((mask & (1 << d)) &&
                                    wh_add(iv, &n, d * 1440 + s,
                                           d * 1440 + e)) {
                                        snprintf(errstr, errstr_size,
                                                 "working_hours \"%s\": too "
                                                 "many intervals",
                                                 spec);
                                        return -1;
                                }
                        p = wh_skip(p);
                        if (*p != ',')
                                break;
                        p = wh_skip(p + 1);
                }
                if (!*p)
                        break;
                if (*p != ';')
                        goto bad;
                p = wh_skip(p + 1);
                if (!*p)
                        break;
        }
        qsort(iv, (size_t)n, sizeof(*iv), wh_cmp);
        for (i = 0, k = 0; i < n; i++) {
                if (k && iv[i].s <= iv[k - 1].e) {
                        if (iv[i].e > iv[k - 1].e)
                                iv[k - 1].e = iv[i].e;
                } else {
                        iv[k++] = iv[i];
                }
        }
        out[0] = '\0';
        for (i = 0; i < k; i++) {
                int w = snprintf(out + len, out_size - len, "%s%d-%d",
                                 i ? "," : "", iv[i].s, iv[i].e);
                if (w < 0 || (size_t)w >= out_size - len) {
                        snprintf(errstr, errstr_size,
                                 "working_hours \"%s\": too many intervals",
                                 spec);
                        return -1;
                }
                len += (size_t)w;
        }
        return 0;
bad:
        snprintf(errstr, errstr_size,
                 "working_hours \"%s\": expected e.g. \"Mon-Fri 09:00-17:30\" "
                 "(days, then HH:MM-HH:MM ranges; segments separated by ';'), "
                 "or \"always\"",
                 spec ? spec : "");
        return -1;
}
