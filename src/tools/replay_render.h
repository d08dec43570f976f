/*
 * replay_render.h - the report of `leadrouter replay` as a table (for a
 * person at a terminal), JSON (contract, SPEC §5: events, decisions,
 * compared, reproduced, differing, recorded_only, replayed_only,
 * events_per_second, and what_if with a changed policy; fields may be
 * added, never renamed) or one self-contained HTML page.
 */
#ifndef LR_REPLAY_RENDER_H
#define LR_REPLAY_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay_compare.h"
#include "replay_whatif.h"

typedef struct lr_rp_report_s {
        int64_t events;    /* input events applied to the routing */
        int64_t decisions; /* decisions the replay made */
        int64_t rejected, duplicates, bad, out_of_range;
        int64_t tenants;
        double seconds;
        const char *order;  /* "recorded" or "event-time" */
        const char *source; /* what was read: the topics, or the files */
        /* --compare: NULL when not comparing */
        const char *compare;
        const lr_rp_recorded_t *recorded;
        const char *const *replayed_only;
        size_t replayed_only_cnt;
        int positions_usable; /* decided_out_of_order can be told */
        /* a changed policy: NULL otherwise */
        const lr_rp_whatif_report_t *what_if;
        const char *policy_version; /* the replay's (one tenant's) */
} lr_rp_report_t;

/* Counts of the comparison. */
typedef struct lr_rp_tally_s {
        int64_t compared, reproduced, differing, recorded_only;
} lr_rp_tally_t;

void lr_rp_report_tally(const lr_rp_report_t *r, lr_rp_tally_t *t);

/* format: "table", "json" or "html". 0, or -1 with errstr. */
int lr_rp_render(FILE *fp, const char *format, const lr_rp_report_t *r,
                 char *errstr, size_t errstr_size);

#endif
