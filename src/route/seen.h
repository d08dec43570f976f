/*
 * seen.h - the events a tenant applied, remembered for dedup by event_id
 * for dedup_ttl_days of event time, and what each decided (for
 * re-publishing). In memory an event is a 64-bit fingerprint of its id
 * filed under its day, so the state grows with the events of the dedup
 * window, ~40 bytes each, and a day that leaves the window goes at once,
 * without a scan. Ids are kept only until the next write (the store files
 * them by day: ev:<day>, persist.h).
 *
 * A fingerprint collision (two ids, one fingerprint) would take a new event
 * for a duplicate: with 64 bits and a million ids in the window the chance
 * is about 3e-8.
 */
#ifndef LR_SEEN_H
#define LR_SEEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr_seen_s lr_seen_t;

lr_seen_t *lr_seen_new(void);
void lr_seen_free(lr_seen_t *s);

/* 1 and *refs (the decisions it made: "lead#attempt,...", "" none) when
 * eid was applied, else 0. */
int lr_seen_get(const lr_seen_t *s, const char *eid, const char **refs);

/* Records eid applied on `day` with its decisions; pending=1: to be
 * written (a new event), 0: loaded from the store. */
void lr_seen_add(lr_seen_t *s, const char *eid, int32_t day, const char *refs,
                 int pending);

/* Forgets the days before keep_from; *days (malloc()ed, may be NULL) lists
 * the days forgotten, for the store to drop. Returns their number. */
size_t lr_seen_expire(lr_seen_t *s, int32_t keep_from, int32_t **days);

/* The events recorded since the last lr_seen_written(). */
size_t lr_seen_pending_cnt(const lr_seen_t *s);
void lr_seen_pending(const lr_seen_t *s, size_t i, const char **eid,
                     int32_t *day, const char **refs);
void lr_seen_written(lr_seen_t *s);

size_t lr_seen_cnt(const lr_seen_t *s);

#endif
