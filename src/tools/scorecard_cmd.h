/*
 * scorecard_cmd.h - `leadrouter scorecard` (SPEC §5): reads the ranking the
 * router used on a date from the ranking history, with the reps' profiles,
 * and writes the scorecard (scorecard.h) to stdout or, with --out, a
 * directory of linked HTML pages.
 */
#ifndef LR_SCORECARD_CMD_H
#define LR_SCORECARD_CMD_H

#include "config.h"

typedef struct lr_scorecard_args_s {
        const char *tenant;
        const char *as_of; /* YYYY-MM-DD */
        const char *month; /* YYYY-MM */
        const char *format;
        const char *rep;  /* one rep's page */
        const char *team; /* only its members */
        const char *out;  /* directory for the HTML pages */
} lr_scorecard_args_t;

/* An option of the scorecard for main.c's option loop: how many argv
 * entries it took, or -1 when it is none of them. */
int lr_scorecard_args_opt(int argc, char **argv, int i, void *opaque);

/* Runs the command: 0, 1 on an error (no ranking for the date, Redis,
 * writing), 2 on a usage error. Messages go to stderr. */
int lr_scorecard_main(const lr_config_t *cfg, const lr_scorecard_args_t *a);

#endif
