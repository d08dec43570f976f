/*
 * replay_compare.h - the recorded decisions an audit compares the replay
 * with (`replay --compare TOPIC|FILE`): read once before the inputs, kept
 * compact (per decision only what the join, the live worker's order and the
 * causes need), joined with the replayed decisions on event_id as they are
 * made, and explained at the end: for a decision that differs, or that was
 * recorded and not replayed, the cause when one can be named.
 *
 * What the recorded input positions (inputs_applied) tell is gathered while
 * the inputs stream by (lr_rp_recorded_observe), so that no input has to be
 * kept: per decision, the latest event time among the tenant's inputs the
 * worker had applied, and the earliest among those it applied after.
 */
#ifndef LR_REPLAY_COMPARE_H
#define LR_REPLAY_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dict.h"
#include "leadrouter/event.h"

/* A recorded input position: the tenant had applied every input of
 * `key` below `next`. */
typedef struct lr_rp_pos_s {
        const char *key; /* "<topic>:<partition>" */
        int stream;      /* the replay's input stream, -1: not read */
        int64_t next;
} lr_rp_pos_t;

/* A ranking the worker installed (LeadAssigned.rankings_installed): the
 * day, and the positions just after the input that opened it. */
typedef struct lr_rp_install_s {
        int32_t day;
        lr_rp_pos_t *pos;
        size_t pos_cnt;
} lr_rp_install_t;

typedef enum lr_rp_match_e {
        LR_RP_UNMATCHED = 0,
        LR_RP_REPRODUCED,
        LR_RP_DIFFERS,
} lr_rp_match_t;

/* One recorded decision. Strings are the recorded set's (interned). */
typedef struct lr_rp_rec_s {
        const char *event_id, *lead_id, *tenant_id, *rep_id, *reason;
        const char *policy_version, *source_topic;
        int32_t attempt, lead_tier, rep_tier, source_partition;
        int64_t decided_at, wait_ms, source_offset, routed_at;
        int has_routed_at;
        int source_stream; /* the input stream of source_topic:partition */
        lr_rp_pos_t *pos;
        size_t pos_cnt;
        int64_t pos_sum;       /* grows with the worker's order */
        lr_rp_install_t *inst; /* installed since the tenant's previous */
        size_t inst_cnt;
        const lr_rp_install_t *gov; /* the install of the ranking it used */
        size_t seq;                 /* order read */
        /* the join */
        int in_scope;
        lr_rp_match_t match;
        const char *replayed_rep, *replayed_reason;
        /* what the positions tell (lr_rp_recorded_observe) */
        int64_t applied_max; /* latest event time applied before it */
        int64_t later_min;   /* earliest event time applied after it */
        int inverted;        /* an input before it came after a later one */
        int ranked_early;    /* an input of an earlier day came after its
                              * ranking was installed */
        const char *cause;   /* lr_rp_recorded_explain */
} lr_rp_rec_t;

typedef struct lr_rp_recorded_s {
        lr_rp_rec_t *v;
        size_t cnt, size;
        lr_dict_t by_id;   /* event_id -> rec */
        lr_dict_t strings; /* interned strings */
        lr_dict_t tenants; /* tenant_id -> lr_rp_rtenant_t */
        int64_t duplicates;
} lr_rp_recorded_t;

void lr_rp_recorded_init(lr_rp_recorded_t *r);
void lr_rp_recorded_free(lr_rp_recorded_t *r);

/* Reads the recorded decisions of `source`: the path of a file (JSON
 * lines of LeadAssigned objects, an Avro object container file of
 * LeadAssigned records, or Confluent-framed LeadAssigned values one after
 * the other), else a topic, read from its beginning to its end read-only.
 * 0, or -1 with errstr. */
int lr_rp_recorded_load(lr_rp_recorded_t *r, const lr_config_t *cfg,
                        const char *source, char *errstr, size_t errstr_size);

/* Adds one decision given as LeadAssigned JSON. 0, or -1 when it is not
 * one. */
int lr_rp_recorded_add_json(lr_rp_recorded_t *r, const char *json, size_t len);

lr_rp_rec_t *lr_rp_recorded_get(const lr_rp_recorded_t *r,
                                const char *event_id);

/* The recorded decisions of a tenant in the worker's order (by input
 * positions, then as read); NULL when none. */
lr_rp_rec_t **lr_rp_recorded_tenant(const lr_rp_recorded_t *r,
                                    const char *tenant_id, size_t *cnt);

/* Whether any recorded decision carries input positions. */
int lr_rp_recorded_has_positions(const lr_rp_recorded_t *r);

/* Joins a replayed decision: the recorded one of its event_id (marked
 * reproduced or differing), or NULL. */
lr_rp_rec_t *lr_rp_recorded_match(lr_rp_recorded_t *r, const lr_assigned_t *d);

/* Names the input stream of each recorded position and source (-1: not
 * read). */
void lr_rp_recorded_bind(lr_rp_recorded_t *r,
                         int (*stream_of)(void *opaque, const char *key),
                         void *opaque);

/* An input of the tenant read from stream `stream` (every input, in the
 * stream's order): feeds what the positions tell. out: filtered out by
 * --from/--to (never applied). */
void lr_rp_recorded_observe(lr_rp_recorded_t *r, const char *tenant_id,
                            int stream, int64_t offset, int64_t time, int out);

/* What the replay covered, for the causes. */
typedef struct lr_rp_coverage_s {
        int positions_usable; /* the inputs are the topics positions name */
        int event_time_order; /* inputs applied by event time, not in the
                               * worker's order */
        size_t streams;
        const int64_t *start, *end; /* per stream: offsets read */
        /* the tenant's position on a stream when the replay began (a state
         * export's), 0 without */
        int64_t (*seeded)(void *opaque, const char *tenant_id, const char *key);
        /* the policy_version the replay decided the tenant's leads with */
        const char *(*policy_version)(void *opaque, const char *tenant_id);
        void *opaque;
} lr_rp_coverage_t;

/* Names the cause of every decision in scope that differs or was not
 * replayed (cause NULL: none can be named). */
void lr_rp_recorded_explain(lr_rp_recorded_t *r, const lr_rp_coverage_t *c);

/* The cause, if any, why the worker's order of inputs before rec was
 * not their event-time order (NULL when it was); event_time: for a replay
 * by event time, where an input that reached the worker after rec now
 * precedes it (in the worker's order it does not). */
const char *lr_rp_recorded_disorder(const lr_rp_rec_t *rec, int event_time);

#define LR_RP_CAUSE_POLICY "policy_version differs"
#define LR_RP_CAUSE_MISSING "input missing from the replayed range"
#define LR_RP_CAUSE_ORDER "inputs arrived out of event-time order"
#define LR_RP_CAUSE_LATE "decided before an input that now precedes it"
#define LR_RP_CAUSE_WALL "timer fired on the wall clock"
#define LR_RP_CAUSE_EARLIER "follows an earlier difference of the tenant"
#define LR_RP_CAUSE_RANKING                                                    \
        "an input of an earlier day arrived after the day's ranking was "      \
        "installed"

#endif
