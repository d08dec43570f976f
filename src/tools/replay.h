/*
 * replay.h - `leadrouter replay` (SPEC §5): historical input events applied
 * to tenants in memory, with the event clock, through the routing core of
 * `run` (src/route/), never touching the live Redis namespace or output
 * topics; optionally compared with the decisions the live worker recorded
 * (an audit) and under another policy (a what-if).
 *
 * The parts: replay_input (reading and decoding, in a thread of its own),
 * replay_order (the order of each tenant's inputs), replay_compare (the
 * recorded decisions, the join and the causes), replay_whatif (the policy
 * comparison), replay_render (table, JSON, HTML), replay_progress (the
 * terminal line); replay.c holds the tenants and drives them.
 */
#ifndef LR_REPLAY_H
#define LR_REPLAY_H

#include <stddef.h>

#include "config.h"

/* The options of `replay` besides --config/--set, as given. */
typedef struct lr_replay_args_s {
        const char **inputs; /* --input FILE... */
        size_t inputs_cnt;
        const char **tenants; /* --tenant T... */
        size_t tenants_cnt;
        const char **from_offsets, **to_offsets;
        size_t from_offsets_cnt, to_offsets_cnt;
        const char *from, *to, *compare, *format, *state, *order;
        const char *output, *output_topic, *window;
} lr_replay_args_t;

/* An `other` option parser for main.c's config helper. */
int lr_replay_args_opt(int argc, char **argv, int i, void *args);
void lr_replay_args_free(lr_replay_args_t *a);

/* Runs the replay and writes its report to stdout. Returns the exit
 * status: 0 every recorded decision reproduced (or nothing to compare),
 * 1 some differ, 2 a usage or input error. */
int lr_replay_main(const lr_config_t *cfg, const lr_replay_args_t *a);

#endif
