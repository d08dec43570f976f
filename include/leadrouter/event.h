/*
 * event.h - the decoded input events of SPEC §2 and the output records.
 *
 * The codec fills an lr_event_t from Avro; the worker hands it to the store.
 * Every string an lr_event_t holds is owned by it and released by
 * lr_event_clear(); absent optional fields are NULL / has_* = 0.
 */
#ifndef LEADROUTER_EVENT_H
#define LEADROUTER_EVENT_H

#include <stddef.h>
#include <stdint.h>

typedef enum lr_event_kind_e {
        LR_EV_LEAD_CREATED = 0,
        LR_EV_CALL_OUTCOME,
        LR_EV_REP_STATUS,
        LR_EV_LEAD_ASSIGNED,    /* output */
        LR_EV_REP_TIER_CHANGED, /* output */
        LR_EV__CNT
} lr_event_kind_t;

/* Avro enum CallOutcomeType, in schema order. */
typedef enum lr_outcome_e {
        LR_OUTCOME_NO_ANSWER = 0,
        LR_OUTCOME_CONNECTED,
        LR_OUTCOME_MEETING_BOOKED,
        LR_OUTCOME_OPPORTUNITY_CREATED,
        LR_OUTCOME_CLOSED_WON,
        LR_OUTCOME_CLOSED_LOST,
        LR_OUTCOME_DISQUALIFIED,
        LR_OUTCOME__CNT
} lr_outcome_t;

/* Avro enum RepPresence, in schema order. */
typedef enum lr_presence_e {
        LR_PRESENCE_AVAILABLE = 0,
        LR_PRESENCE_BUSY,
        LR_PRESENCE_IN_MEETING,
        LR_PRESENCE_OUT_OF_OFFICE,
        LR_PRESENCE_OFFLINE,
        LR_PRESENCE_DEPARTED,
        LR_PRESENCE__CNT
} lr_presence_t;

const char *lr_event_kind_name(lr_event_kind_t kind); /* "LeadCreated" ... */
const char *lr_outcome_name(lr_outcome_t o);          /* "CLOSED_WON" ... */
const char *lr_presence_name(lr_presence_t p);        /* "IN_MEETING" ... */
int lr_outcome_parse(const char *s);                  /* -1 if unknown */
int lr_presence_parse(const char *s);                 /* -1 if unknown */

typedef struct lr_kv_s {
        char *key;
        char *value;
} lr_kv_t;

typedef struct lr_lead_created_s {
        int64_t created_at;
        int32_t score;
        int32_t tier; /* 0 = absent */
        char *account_id, *region, *timezone, *source;
        int has_contact_after;
        int64_t contact_after;
        lr_kv_t *attributes;
        size_t attributes_cnt;
} lr_lead_created_t;

/* An imported assignment (history from a CRM, as `generate` writes it): a
 * LeadCreated whose attributes say which rep the lead was given to and
 * when. The router attributes the lead to that rep from assigned_at, makes
 * no routing decision and publishes nothing; the rep's first call on it
 * then yields a speed-to-lead sample, and its cohort is the assigned day
 * (README, "Importing a history"). */
#define LR_ATTR_ASSIGNED_REP_ID "assigned_rep_id"
#define LR_ATTR_ASSIGNED_AT "assigned_at" /* epoch ms, decimal string */

/* The imported assignment of a lead: 0 when it has none, 1 with *rep_id
 * (the event's string) and *assigned_at filled, -1 with errstr when the
 * attributes hold one of the two without the other, or assigned_at is not
 * a decimal integer. */
int lr_lead_imported_assignment(const lr_lead_created_t *l, const char **rep_id,
                                int64_t *assigned_at, char *errstr,
                                size_t errstr_size);

typedef struct lr_call_outcome_s {
        char *rep_id;
        int64_t occurred_at;
        lr_outcome_t outcome;
        int32_t duration_seconds;
        int has_deal_value;
        int64_t deal_value_cents;
} lr_call_outcome_t;

typedef struct lr_rep_status_s {
        char *rep_id;
        int64_t occurred_at;
        lr_presence_t status;
        int has_until;
        int64_t until;
        char *display_name, *team, *timezone, *working_hours;
        char **regions; /* NULL when absent */
        size_t regions_cnt;
        int has_hired_at;
        int64_t hired_at;
        int has_max_open_leads;
        int32_t max_open_leads;
} lr_rep_status_t;

/* One decoded input event. lead_id is set for LeadCreated and CallOutcome. */
typedef struct lr_event_s {
        lr_event_kind_t kind;
        char *event_id;
        char *tenant_id;
        char *lead_id;
        union {
                lr_lead_created_t lead;
                lr_call_outcome_t call;
                lr_rep_status_t rep;
        } u;
} lr_event_t;

/* Event time of an input event, in ms since the epoch. */
int64_t lr_event_time(const lr_event_t *ev);

/* Frees everything the event owns and zeroes it; safe on a zeroed event. */
void lr_event_clear(lr_event_t *ev);

/* A better-ranked rep passed over, and why (SPEC §2 LeadAssigned.skipped). */
typedef struct lr_skip_s {
        char *rep_id;
        char *why;
} lr_skip_t;

/* An input position: "<topic>:<partition>" and the next offset to apply. */
typedef struct lr_position_s {
        char *key;
        int64_t next;
} lr_position_t;

/* A ranking the tenant installed: its event-time day (days since the
 * epoch) and the tenant's input positions just after the input that opened
 * the day. */
typedef struct lr_install_s {
        int32_t day;
        lr_position_t *inputs;
        size_t inputs_cnt;
} lr_install_t;

void lr_install_clear(lr_install_t *in);
/* A deep copy of n installs (NULL when n is 0). */
lr_install_t *lr_installs_copy(const lr_install_t *v, size_t n);

/* LeadAssigned (output). Owned strings; lr_assigned_clear() frees them. */
typedef struct lr_assigned_s {
        char *event_id;
        char *tenant_id;
        char *lead_id;
        char *rep_id;
        int64_t decided_at;
        int32_t attempt;
        char *reason; /* AssignReason symbol, e.g. "RANKED" */
        char *strategy;
        int32_t lead_tier;
        int32_t rep_tier;
        int32_t rep_rank;
        double rep_score;
        int64_t wait_ms;
        lr_skip_t *skipped;
        size_t skipped_cnt;
        char *explanation;
        char *policy_version;
        char *source_topic;
        int32_t source_partition;
        int64_t source_offset;
        /* the tenant's input positions when it was decided (replay) */
        lr_position_t *inputs;
        size_t inputs_cnt;
        /* the rankings installed since the tenant's previous decision, in
         * order (replay: where each day's ranking was computed) */
        lr_install_t *installs;
        size_t installs_cnt;
        int has_routed_at;
        int64_t routed_at; /* wall clock of a live decision */
} lr_assigned_t;

void lr_assigned_clear(lr_assigned_t *a);

/* RepTierChanged (output). */
typedef struct lr_tier_changed_s {
        char *event_id;
        char *tenant_id;
        char *rep_id;
        int32_t from_tier;
        int32_t to_tier;
        double composite;
        double tier_mean;
        int64_t decided_at;
        char *reason;
} lr_tier_changed_t;

void lr_tier_changed_clear(lr_tier_changed_t *t);

#endif
