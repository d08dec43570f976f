/*
 * timeutil.h - event-time helpers: epoch milliseconds, UTC day numbers,
 * ISO-8601 UTC text. Pure except lr_now_ms().
 */
#ifndef LR_TIMEUTIL_H
#define LR_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define LR_MS_PER_DAY 86400000LL

int64_t lr_now_ms(void);  /* wall clock */
int64_t lr_mono_ms(void); /* monotonic clock, for timeouts */

/* Day number (days since 1970-01-01 UTC) of an epoch-ms time; floors. */
int32_t lr_day_of(int64_t ms);

/* "2026-11-27T10:00:00.000Z" into buf (>= 32 bytes). */
void lr_iso8601(int64_t ms, char *buf, size_t size);
/* "YYYY-MM-DD" of a day number into buf (>= 11 bytes). */
void lr_day_format(int32_t day, char *buf, size_t size);

/* Parses "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS[.mmm]][Z|+HH:MM]" (UTC when
 * no offset). 0 or -1. */
int lr_iso8601_parse(const char *s, int64_t *ms);

#endif
