/*
 * test_workhours.c - time zones from the system zoneinfo (tzdb.c) against
 * glibc's localtime_r() over 1970..2100 for zones with northern, southern,
 * negative and no DST, the DST changes of America/New_York in 2026 by
 * hand, and the working-hours grammar (workhours.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "timeutil.h"
#include "tzdb.h"
#include "workhours.h"

static int64_t iso(const char *s) {
        int64_t ms = 0;
        if (lr_iso8601_parse(s, &ms)) {
                fprintf(stderr, "bad time %s\n", s);
                exit(2);
        }
        return ms;
}

static int offset(const char *zone, int64_t ms) {
        char err[256];
        int off = -99999;
        if (lr_tzdb_offset(zone, ms, &off, err, sizeof(err)))
                fprintf(stderr, "%s: %s\n", zone, err);
        return off;
}

/* Single-threaded test: setenv("TZ") is fine here, and glibc reads the same
 * files, explicit transitions and footer rule alike. */
static void test_against_libc(void) {
        static const char *zones[] = {"America/New_York",  "Europe/London",
                                      "Australia/Sydney",  "Asia/Singapore",
                                      "Europe/Dublin",     "America/Sao_Paulo",
                                      "Pacific/Chatham",   "America/Nuuk",
                                      "Asia/Kolkata",      "UTC",
                                      "Africa/Casablanca", "America/Santiago",
                                      "Pacific/Apia",      "Asia/Tehran",
                                      "Europe/Berlin"};
        size_t z;
        for (z = 0; z < sizeof(zones) / sizeof(*zones); z++) {
                int64_t s;
                int bad = 0;
                setenv("TZ", zones[z], 1);
                tzset();
                /* Every 6 h 17 min from 1970 to 2099: hits both sides of
                 * every change year after year. */
                for (s = 0; s < 4102444800LL && bad < 3; s += 6 * 3600 + 1020) {
                        time_t t = (time_t)s;
                        struct tm tm;
                        int want, got;
                        localtime_r(&t, &tm);
                        want = (int)tm.tm_gmtoff;
                        got  = offset(zones[z], s * 1000);
                        if (want != got) {
                                fprintf(stderr,
                                        "%s at %lld: offset %d, libc %d\n",
                                        zones[z], (long long)s, got, want);
                                bad++;
                        }
                }
                CHECK_INT(bad, 0);
        }
        unsetenv("TZ");
        tzset();
}

static void test_new_york_2026(void) {
        const char *ny = "America/New_York";
        char err[256];
        const char *table;
        /* DST starts Sunday 2026-03-08 02:00 EST = 07:00 UTC, ends Sunday
         * 2026-11-01 02:00 EDT = 06:00 UTC. */
        CHECK_INT(offset(ny, iso("2026-03-08T06:59:59")), -5 * 3600);
        CHECK_INT(offset(ny, iso("2026-03-08T07:00")), -4 * 3600);
        CHECK_INT(offset(ny, iso("2026-11-01T05:59:59")), -4 * 3600);
        CHECK_INT(offset(ny, iso("2026-11-01T06:00")), -5 * 3600);
        /* Beyond the explicit transitions of a fat file (2037): the footer
         * rule. */
        CHECK_INT(offset(ny, iso("2090-07-01")), -4 * 3600);
        CHECK_INT(offset(ny, iso("2090-01-01")), -5 * 3600);
        CHECK_INT(offset("Asia/Singapore", iso("2026-03-08")), 8 * 3600);
        table = lr_tzdb_table(ny, err, sizeof(err));
        CHECK(table && !strncmp(table, "-inf|", 5));
        CHECK(table && strstr(table, ",1772953200000|-14400") != NULL);
        CHECK(lr_tzdb_table(ny, err, sizeof(err)) == table); /* cached */

        CHECK(lr_tzdb_table("Mars/Olympus_Mons", err, sizeof(err)) == NULL);
        CHECK(strstr(err, "unknown timezone") != NULL);
        CHECK(lr_tzdb_table("../../etc/passwd", err, sizeof(err)) == NULL);
        CHECK(strstr(err, "bad timezone name") != NULL);
        CHECK(lr_tzdb_table("", err, sizeof(err)) == NULL);
        /* A file that is not TZif. */
        setenv("TZDIR", "/etc", 1);
        CHECK(lr_tzdb_table("passwd", err, sizeof(err)) == NULL);
        CHECK(strstr(err, "TZif") != NULL);
        unsetenv("TZDIR");
}

static uint32_t be32(const unsigned char *p) {
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
               (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v) {
        p[0] = (unsigned char)(v >> 24);
        p[1] = (unsigned char)(v >> 16);
        p[2] = (unsigned char)(v >> 8);
        p[3] = (unsigned char)v;
}

/* A "slim" America/New_York: the 64-bit block keeps only the transitions
 * before 2008 (no v1 data), so 2008 on comes from the footer rule alone.
 * Must give the same offsets as the real file. */
static void test_slim_file(void) {
        static unsigned char in[1 << 16], out[1 << 16];
        char dir[] = "/tmp/lr-tzslim-XXXXXX", path[256], err[256];
        FILE *f    = fopen("/usr/share/zoneinfo/America/New_York", "rb");
        size_t len, off, o = 0, keep = 0, i;
        uint32_t cnt[6], k;
        int64_t s;
        int bad = 0;

        CHECK(f != NULL);
        if (!f)
                return;
        len = fread(in, 1, sizeof(in), f);
        fclose(f);
        for (k = 0; k < 6; k++)
                cnt[k] = be32(in + 20 + 4 * k);
        /* skip the v1 block to the v2 header */
        off = 44 + cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] +
              cnt[0];
        for (k = 0; k < 6; k++)
                cnt[k] = be32(in + off + 20 + 4 * k);
        CHECK(len > off + 44 && cnt[2] == 0);
        {
                const unsigned char *times = in + off + 44;
                const unsigned char *idx   = times + cnt[3] * 8;
                const unsigned char *rest  = idx + cnt[3];
                size_t rest_len            = len - (size_t)(rest - in);
                for (i = 0; i < cnt[3]; i++)
                        if ((int64_t)((uint64_t)be32(times + 8 * i) << 32 |
                                      be32(times + 8 * i + 4)) <
                            1199145600LL) /* 2008-01-01 */
                                keep = i + 1;
                /* v1 header with zero counts except one type (required) */
                memcpy(out, in, 44);
                memset(out + 20, 0, 24);
                put32(out + 36, 1);
                put32(out + 40, 1);
                o = 44;
                memset(out + o, 0, 7); /* ttinfo 0 + one desig char */
                o += 7;
                memcpy(out + o, in + off, 44);
                put32(out + o + 32, (uint32_t)keep);
                o += 44;
                memcpy(out + o, times, keep * 8);
                o += keep * 8;
                memcpy(out + o, idx, keep);
                o += keep;
                memcpy(out + o, rest, rest_len);
                o += rest_len;
        }
        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/America", dir);
        CHECK(mkdir(path, 0700) == 0);
        snprintf(path, sizeof(path), "%s/America/Slim_York", dir);
        f = fopen(path, "wb");
        CHECK(f && fwrite(out, 1, o, f) == o);
        if (f)
                fclose(f);
        CHECK(keep > 100 && o < len);
        offset("America/New_York", 0); /* cached before TZDIR moves */
        setenv("TZDIR", dir, 1);
        for (s = 1104537600LL; s < 4102444800LL && bad < 3;
             s += 3 * 3600 + 77) {
                int want = offset("America/New_York", s * 1000);
                int got  = offset("America/Slim_York", s * 1000);
                if (want != got) {
                        fprintf(stderr, "slim at %lld: %d, want %d\n",
                                (long long)s, got, want);
                        bad++;
                }
        }
        CHECK_INT(bad, 0);
        CHECK(lr_tzdb_table("America/Slim_York", err, sizeof(err)) != NULL);
        unsetenv("TZDIR");
        unlink(path);
        snprintf(path, sizeof(path), "%s/America", dir);
        rmdir(path);
        rmdir(dir);
}

static void hours(const char *spec, const char *want) {
        char out[512], err[256];
        int rc = lr_workhours_compile(spec, out, sizeof(out), err, sizeof(err));
        if (!want) {
                CHECK_INT(rc, -1);
                if (rc == 0)
                        fprintf(stderr, "accepted \"%s\" as %s\n", spec, out);
                else
                        CHECK(strstr(err, "working_hours") != NULL);
                return;
        }
        CHECK_INT(rc, 0);
        if (rc)
                fprintf(stderr, "\"%s\": %s\n", spec, err);
        else
                CHECK_STR(out, want);
}

static void test_hours(void) {
        hours("Mon-Fri 09:00-17:30",
              "540-1050,1980-2490,3420-3930,4860-5370,6300-6810");
        hours("  mon-FRI  09:00 - 17:30 ",
              "540-1050,1980-2490,3420-3930,4860-5370,6300-6810");
        hours("Sat 10:00-12:00,13:00-14:00", "7800-7920,7980-8040");
        hours("Mon,Wed 08:00-12:00; Fri 08:00-24:00",
              "480-720,3360-3600,6240-7200");
        /* Past midnight, and Sunday night into Monday morning. */
        hours("Fri 22:00-06:00", "7080-7560");
        hours("Sun 22:00-02:00", "0-120,9960-10080");
        hours("Fri-Mon 09:00-10:00", "540-600,6300-6360,7740-7800,9180-9240");
        hours("daily 00:00-24:00", "0-10080");
        hours("weekends 10:00-11:00", "7800-7860,9240-9300");
        hours("Monday 09:00-10:00; Monday 09:30-11:00", "540-660");
        hours("always", "*");
        hours("24/7", "*");
        hours("", NULL);
        hours("Mon-Fri", NULL);
        hours("Mon-Fri 9:00-17:00", NULL);
        hours("Mon-Fri 09:00-25:00", NULL);
        hours("Mon-Fri 24:00-09:00", NULL);
        hours("Mon-Fri 09:60-10:00", NULL);
        hours("Xyz 09:00-10:00", NULL);
        hours("Mon-Fri 09:00-17:00 extra", NULL);
        hours("always on", NULL);
}

int main(void) {
        test_against_libc();
        test_new_york_2026();
        test_slim_file();
        test_hours();
        CHECK_DONE();
}
