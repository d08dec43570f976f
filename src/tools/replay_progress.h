/*
 * replay_progress.h - the progress of a replay on a terminal: events
 * applied, events per second, where in event time the replay is, the share
 * read and the time left, redrawn in place on one line of stderr a few
 * times a second. Nothing at all when stderr is not a terminal (a pipe, a
 * log file, a test), so that output stays clean.
 */
#ifndef LR_REPLAY_PROGRESS_H
#define LR_REPLAY_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

typedef struct lr_rp_progress_s {
        FILE *fp; /* NULL: quiet */
        int64_t started_ms, drawn_ms;
        int drawn; /* a line is on the screen */
} lr_rp_progress_t;

/* Draws on fp only if it is a terminal. */
void lr_rp_progress_init(lr_rp_progress_t *p, FILE *fp);

/* events so far, the event time reached (INT64_MIN: none yet), the share
 * of the input read (0..1). Cheap: draws at most every 200 ms. */
void lr_rp_progress_update(lr_rp_progress_t *p, int64_t events,
                           int64_t event_time, double fraction);

/* Clears the line. */
void lr_rp_progress_done(lr_rp_progress_t *p);

#endif
