/*
 * replay_whatif.h - "what would policy X have done on our history?": the
 * replayed decisions under another policy (--set policy.*, another
 * --config) against the recorded ones, lead by lead (the rep each lead
 * ended with, in the range compared): leads that would have gone
 * elsewhere, leads per rep and per rep tier before and after, the Gini
 * coefficient of leads per rep, waits and first-touch SLA exposure, and,
 * labelled as an estimate, the conversions and revenue to expect from each
 * rep's measured conversion rate (for the lead's tier) and deal size in the
 * replayed state's window.
 */
#ifndef LR_REPLAY_WHATIF_H
#define LR_REPLAY_WHATIF_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"
#include "leadrouter/policy.h"
#include "replay_compare.h"
#include "route.h"

typedef struct lr_rp_whatif_s lr_rp_whatif_t;

lr_rp_whatif_t *lr_rp_whatif_new(void);
void lr_rp_whatif_free(lr_rp_whatif_t *w);

/* A replayed decision of a compared tenant. */
void lr_rp_whatif_replayed(lr_rp_whatif_t *w, const lr_assigned_t *d);

/* One side's figures. */
typedef struct lr_rp_side_s {
        int64_t leads;         /* leads assigned */
        int64_t decisions;     /* assignments, reassignments included */
        int64_t waiting_leads; /* waited in the queue before their first */
        double mean_wait_seconds, max_wait_seconds;
        int64_t sla_reassigned, escalated;
        int64_t waited_beyond_sla; /* first assignment after the SLA */
        double gini_leads;
        double expected_conversions, expected_revenue_cents;
} lr_rp_side_t;

typedef struct lr_rp_rep_count_s {
        const char *tenant_id, *rep_id;
        int64_t before, after;
        double conversion_rate, deal_size_cents; /* the rates used */
} lr_rp_rep_count_t;

typedef struct lr_rp_moved_s {
        const char *tenant_id, *lead_id, *event_id;
        const char *recorded_rep_id, *replayed_rep_id;
} lr_rp_moved_t;

typedef struct lr_rp_whatif_report_s {
        lr_rp_side_t before, after;
        int64_t leads, moved, only_before, only_after;
        lr_rp_moved_t *moved_leads;
        lr_rp_rep_count_t *reps; /* by tenant, rep */
        size_t reps_cnt;
        int64_t tier_before[LR_MAX_TIERS + 1], tier_after[LR_MAX_TIERS + 1];
        int tiers;
} lr_rp_whatif_report_t;

/* The rates of a tenant's reps are read from its replayed state. */
typedef struct lr_rp_whatif_tenant_s {
        const char *tenant_id;
        const lr_tenant_t *t;
        const lr_policy_t *policy;
        int32_t as_of_day; /* the window ends the day before */
} lr_rp_whatif_tenant_t;

/* The figures, from the recorded decisions in scope and the replayed
 * ones. Strings are borrowed from w and recorded. */
void lr_rp_whatif_report(lr_rp_whatif_t *w, const lr_rp_recorded_t *recorded,
                         const lr_rp_whatif_tenant_t *tenants,
                         size_t tenants_cnt, lr_rp_whatif_report_t *out);
void lr_rp_whatif_report_clear(lr_rp_whatif_report_t *r);

#endif
