/* timeutil.c - see timeutil.h. Civil-date arithmetic is done by hand
 * (days_from_civil) so that no TZ environment or locale is involved. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

int64_t lr_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t lr_mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t lr_day_of(int64_t ms) {
        int64_t d = ms / LR_MS_PER_DAY;
        if (ms % LR_MS_PER_DAY < 0)
                d--;
        return (int32_t)d;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, int m, int d) {
        int64_t era;
        unsigned yoe, doy, doe;
        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned)(y - era * 400);
        doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d) {
        int64_t era;
        unsigned doe, yoe, doy, mp;
        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp  = (5 * doy + 2) / 153;
        *d  = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m  = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y  = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

void lr_day_format(int32_t day, char *buf, size_t size) {
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
}

void lr_iso8601(int64_t ms, char *buf, size_t size) {
        int32_t day  = lr_day_of(ms);
        int64_t rest = ms - (int64_t)day * LR_MS_PER_DAY;
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                 (int)(rest / 3600000), (int)(rest / 60000 % 60),
                 (int)(rest / 1000 % 60), (int)(rest % 1000));
}

int lr_iso8601_parse(const char *s, int64_t *ms) {
        int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, n = 0, fd = 0;
        int64_t off = 0;
        const char *p;

        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
                return -1;
        if (mo < 1 || mo > 12 || d < 1 || d > 31)
                return -1;
        p = s + n;
        if (*p == 'T' || *p == ' ') {
                if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
                        return -1;
                p += 1 + n;
                if (*p == ':') {
                        if (sscanf(p + 1, "%2d%n", &sec, &n) != 1 || n != 2)
                                return -1;
                        p += 1 + n;
                        if (*p == '.') {
                                p++;
                                while (*p >= '0' && *p <= '9') {
                                        if (fd < 3) {
                                                frac = frac * 10 + (*p - '0');
                                                fd++;
                                        }
                                        p++;
                                }
                                while (fd > 0 && fd < 3) {
                                        frac *= 10;
                                        fd++;
                                }
                        }
                }
                if (h > 23 || mi > 59 || sec > 60)
                        return -1;
                if (*p == 'Z') {
                        p++;
                } else if (*p == '+' || *p == '-') {
                        int oh, om;
                        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 ||
                            n != 5)
                                return -1;
                        off = ((int64_t)oh * 60 + om) * 60000;
                        if (*p == '-')
                                off = -off;
                        p += 1 + n;
                }
        }
        if (*p)
                return -1;
        *ms = days_from_civil(y, mo, d) * LR_MS_PER_DAY +
              ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac - off;
        return 0;
}
