/*
 * tzdb.h - UTC offsets of IANA time zones from the system zoneinfo files
 * (TZif, RFC 8536), without the TZ environment variable: the worker is
 * multi-threaded (librdkafka), and setenv("TZ") + localtime_r() is neither
 * thread-safe nor able to hold two zones at once.
 *
 * A zone is compiled once per process into its offset changes from the
 * beginning of time to the end of LR_TZDB_LAST_YEAR: the file's explicit
 * transitions, then its POSIX TZ footer rule (newer tzdata ships "slim"
 * files that rely on it from 2007 or 2037 on). The compiled text is what
 * the Redis Functions look offsets up in (functions.lua keeps it in a ZSET
 * per zone), so routing in Lua is DST-aware without a tz database.
 */
#ifndef LR_TZDB_H
#define LR_TZDB_H

#include <stddef.h>
#include <stdint.h>

#define LR_TZDB_LAST_YEAR 2100

/* The compiled table of zone `name` ("America/New_York", "UTC"): text
 * "-inf|<off>,<t1>|<off1>,..." where t is epoch ms of a change and off the
 * UTC offset in seconds from then on; consecutive equal offsets merged.
 * Cached for the life of the process (thread-safe); the pointer stays
 * valid. NULL with errstr for an unknown zone or a bad file.
 * The zoneinfo directory is $TZDIR, else /usr/share/zoneinfo. */
const char *lr_tzdb_table(const char *name, char *errstr, size_t errstr_size);

/* A compiled zone, cached for the life of the process (the pointer stays
 * valid): the routing core looks offsets up in it without a lock. NULL
 * with errstr for an unknown zone or a bad file. */
typedef struct tzdb_zone_s lr_tzdb_zone_t;
const lr_tzdb_zone_t *lr_tzdb_zone(const char *name, char *errstr,
                                   size_t errstr_size);
/* UTC offset in seconds of zone z at epoch-ms t. */
int lr_tzdb_zone_offset(const lr_tzdb_zone_t *z, int64_t t);

/* UTC offset in seconds of zone `name` at epoch-ms t. 0 or -1 (errstr). */
int lr_tzdb_offset(const char *name, int64_t t, int *offset_s, char *errstr,
                   size_t errstr_size);

#endif
