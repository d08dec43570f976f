/*
 * tenant.h - the routing core's state of one tenant, shared by the files of
 * src/route/ (and by persist.c, which turns it into a store write and back).
 * Nothing outside src/route/ includes this: the rest of the program sees
 * route.h.
 *
 * Dirty tracking: every object a call changes is flagged, and the tenant
 * lists it once; persist.c writes exactly those and clears the flags. What
 * disappears (a lead past its retention, a bucket out of the window, an
 * event past dedup) is listed for deletion the same way.
 */
#ifndef LR_TENANT_H
#define LR_TENANT_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "route.h"
#include "seen.h"
#include "tzdb.h"

#define LR_PRESENCE_NONE (-1) /* never given */
#define LR_HISTORY_KEEP 32    /* presence history entries kept per rep */
#define LR_SKIPPED_MAX 32
#define LR_DRAIN_MAX 1000

/* One presence change: what it was, from `at`. */
typedef struct lr_pres_s {
        int64_t at;
        int status; /* lr_presence_t */
        int has_until;
        int64_t until;
        char *eid;
} lr_pres_t;

typedef struct lr_rep_s {
        char *id;
        int active;
        int tier;
        int64_t handled;
        int open;
        int max_open; /* -1: the policy's */
        int32_t tday; /* leads today: tn on the rep's local day tday */
        int tn;
        /* presence now: st since st_at (until: a spell's end) */
        int st;
        int64_t st_at;
        int has_until;
        int64_t until;
        lr_pres_t *hist; /* by at, at most LR_HISTORY_KEEP */
        size_t hist_cnt;
        /* profile */
        char *name, *team, *hours_text;
        int has_hired_at;
        int64_t hired_at;
        char *regions; /* ",a,b," or NULL */
        char *tz;
        const lr_tzdb_zone_t *zone;
        int *hours; /* minute-of-week intervals s,e,s,e..; NULL = always */
        size_t hours_cnt;
        /* the installed ranking */
        double comp;
        int ranked; /* position in the ranking order + 1; 0 = unranked */
        /* weighted round robin */
        int has_pass;
        double pass;
        /* tier_share weighted: this rep's pass in its tier */
        int has_share;
        double share;
        /* routed leads not called yet (max_untouched_leads) */
        struct lr_lead_s **untouched;
        size_t untouched_cnt, untouched_size;
        int64_t missed_at; /* the last lead taken away for a missed
                            * first-touch SLA (0: none) */
        /* day buckets, by day */
        lr_bucket_t *b;
        size_t b_cnt, b_size;
        /* per call, while choosing: presence symbol at the call's time */
        int64_t pres_t;
        int pres;
        unsigned dirty;
} lr_rep_t;

/* dirty flags of a rep */
#define LR_DIRTY_STATE 1u  /* the rep record */
#define LR_DIRTY_BUCKET 2u /* some bucket: see lr_bucket_dirty */

typedef enum lr_lead_state_e {
        LR_LEAD_NEW = 0, /* no record yet */
        LR_LEAD_HELD,    /* contact_after in the future */
        LR_LEAD_QUEUED,
        LR_LEAD_ASSIGNED,
        LR_LEAD_ATTRIBUTED, /* by an outcome (history, manual reassignment) */
} lr_lead_state_t;

typedef struct lr_lead_s {
        char *id;
        int state; /* lr_lead_state_t */
        int tier;  /* lead tier, 0 = unknown (seen by outcome first) */
        int64_t created_at;
        char *eid; /* the LeadCreated event_id ("" for outcome-only) */
        char *src_topic;
        int32_t src_partition;
        int64_t src_offset;
        char *region, *acct;
        int attempt;
        lr_rep_t *rep; /* current rep, NULL when none */
        int touched;
        int has_qt;
        int64_t qt; /* queued since */
        int has_at;
        int64_t at; /* last assignment */
        int has_t0;
        int64_t t0;  /* cycle start */
        int32_t day; /* cohort day */
        int cls;     /* cohort tier class */
        int conv, closed;
        int64_t closed_at;
        char **prev; /* previous assignees, in order */
        size_t prev_cnt;
        int queued; /* per call: came out of the queue */
        int dirty;
        int in_queue;
        lr_rep_t *untouched_rep; /* whose untouched list holds it */
} lr_lead_t;

/* A pending timer: kind 'c' contact_after, 'q' queue escalation, 's'
 * first-touch SLA; fired in (due, member) order where member is
 * "<kind>|<attempt>|<lead_id>", checking when it fires whether it still
 * applies (timers are never cancelled). */
typedef struct lr_timer_s {
        int64_t due;
        char kind;
        int attempt;
        char *lead_id;
} lr_timer_t;

/* An output recorded for delivery that has no input to be re-published
 * from: a timer decision or a tier change, until acked. */
typedef struct lr_outbox_item_s {
        uint64_t seq;
        int is_tier_change;
        lr_assigned_t d;
        lr_tier_changed_t tc;
        int stored; /* written to the store already */
} lr_outbox_item_t;

/* Something to delete from the store at the next write. */
typedef struct lr_gone_s {
        int what; /* LR_GONE_* */
        char *a;  /* lead id, event id, rep id, "lead#attempt" */
        int32_t day;
} lr_gone_t;

enum {
        LR_GONE_LEAD = 1, /* the lead record and its decisions (day: the
                           * number of attempts) */
        LR_GONE_EVDAY,    /* the events applied on a day (day) */
        LR_GONE_BUCKET,   /* a: rep, day */
        LR_GONE_TIMER,    /* a: member */
        LR_GONE_OUTBOX,   /* a: seq */
        LR_GONE_RANKING,  /* day */
};

/* A new record to write: a decision ("lead#attempt" -> record), a timer. */
typedef struct lr_decision_rec_s {
        char *ref;
        lr_assigned_t d; /* a copy */
} lr_decision_rec_t;

struct lr_tenant_s {
        char *id;
        const lr_policy_t *p;
        const char *policy_version;
        int clock_event;
        /* reps */
        lr_dict_t reps;      /* id -> lr_rep_t */
        lr_rep_t **rep_list; /* by id */
        size_t rep_cnt, rep_size;
        /* the installed ranking: order[0..order_cnt) by rank, then the
         * reps created since, by id */
        int32_t rankday;
        lr_rep_t **order;
        size_t order_cnt, order_size;
        lr_rep_t **unranked;
        size_t unranked_cnt, unranked_size;
        lr_ranking_t ranking; /* as installed (history) */
        int ranking_dirty;
        /* rankings installed since the last write, packed for the history
         * (a batch may cross several days) */
        struct lr_hist_new_s {
                int32_t day;
                char *p;
                size_t len;
        } * hist_new;
        size_t hist_new_cnt, hist_new_size;
        lr_ranking_t view; /* lr_tenant_ranking(), rebuilt on demand */
        /* leads */
        lr_dict_t leads;   /* id -> lr_lead_t */
        lr_lead_t **queue; /* by (tier, qt, id) */
        size_t queue_cnt, queue_size;
        lr_dict_t accounts;       /* account_id -> rep id (owned string) */
        lr_dict_t accounts_dirty; /* account_id -> (void *)1 */
        /* cursors */
        char *rr;          /* round_robin: the rep given the last lead */
        lr_dict_t cursors; /* territory: region -> rep id (owned) */
        int has_vt;
        double vt; /* weighted round robin virtual time */
        double share_vt[LR_MAX_TIERS + 1]; /* tier_share weighted, per tier */
        int cursors_dirty;
        /* timers: a binary heap */
        lr_timer_t *timers;
        size_t timer_cnt, timer_size;
        lr_timer_t *timers_new; /* added since the last write */
        size_t timers_new_cnt, timers_new_size;
        /* events applied (dedup) */
        lr_seen_t *seen;
        /* closed leads by the day they closed, for their retention */
        struct lr_closed_day_s {
                int32_t day;
                struct lr_lead_s **v;
                size_t cnt, size;
        } * closed;
        size_t closed_cnt, closed_size;
        int seen_ttl_days, lead_retention_days, ranking_retention_days;
        /* decisions made since the last write */
        lr_decision_rec_t *decs;
        size_t decs_cnt, decs_size;
        /* outbox */
        lr_outbox_item_t *outbox;
        size_t outbox_cnt, outbox_size;
        uint64_t outbox_seq;
        int outbox_dirty;
        /* deletions since the last write */
        lr_gone_t *gone;
        size_t gone_cnt, gone_size;
        /* dirty objects since the last write */
        lr_rep_t **dirty_reps;
        size_t dirty_reps_cnt, dirty_reps_size;
        lr_lead_t **dirty_leads;
        size_t dirty_leads_cnt, dirty_leads_size;
        /* buckets changed: (rep, day) */
        struct lr_dirty_bucket_s {
                lr_rep_t *rep;
                int32_t day;
        } * dirty_buckets;
        size_t dirty_buckets_cnt, dirty_buckets_size;
        /* input positions: "<topic>:<partition>" -> offset + 1 */
        lr_dict_t positions;
        int positions_dirty;
        /* rankings installed since the last decision, with the positions
         * they were installed at: the next decision carries them */
        lr_install_t *installs;
        size_t installs_cnt;
        int installs_dirty;
        /* the call in progress */
        int64_t t;    /* its clock (an event's time, a timer's due) */
        int64_t wall; /* wall-clock time of the call (live), 0 = none */
        int32_t day;  /* day of t */
        int ticking;  /* decisions now come from timers */
        lr_route_result_t *out;
        const char *eid; /* the event being applied */
        char *refs;      /* its decisions, "lead#attempt,..." */
        size_t refs_len, refs_cap;
};

/* ---- tenant.c ----------------------------------------------------------- */

void lr_tenant_clear_changes(lr_tenant_t *t);

lr_rep_t *lr_rep_get(const lr_tenant_t *t, const char *id);
/* A rep record added as is (no dirty mark, not in the unranked list): for
 * persist.c loading a tenant. */
lr_rep_t *lr_rep_insert(lr_tenant_t *t, const char *id);
void lr_reps_insert_sorted(lr_rep_t ***list, size_t *cnt, size_t *size,
                           lr_rep_t *r);
void lr_reps_remove_sorted(lr_rep_t **list, size_t *cnt, const lr_rep_t *r);
/* A rep exists from its first event of any kind, in the bottom tier. */
lr_rep_t *lr_rep_ensure(lr_tenant_t *t, const char *id);
void lr_rep_dirty(lr_tenant_t *t, lr_rep_t *r);
/* The bucket of `day`, created when missing, marked dirty. */
lr_bucket_t *lr_rep_bucket(lr_tenant_t *t, lr_rep_t *r, int32_t day);
void lr_rep_open_dec(lr_tenant_t *t, lr_rep_t *r);

lr_lead_t *lr_lead_get(const lr_tenant_t *t, const char *id);
lr_lead_t *lr_lead_add(lr_tenant_t *t, const char *id);
void lr_lead_free(lr_lead_t *l);
/* Frees a lead already removed from the dict (and from the dirty list). */
void lr_lead_forget(lr_tenant_t *t, lr_lead_t *l);
void lr_lead_dirty(lr_tenant_t *t, lr_lead_t *l);
/* Files a lead that closed under the day it closed (its retention). */
void lr_closed_add(lr_tenant_t *t, lr_lead_t *l);
/* Keeps the lead in its rep's list of routed leads not called yet, or out
 * of it, as its state says: after every change of state, rep or touch. */
void lr_lead_untouched(lr_lead_t *l);
/* Routed leads of r still to be called within the first-touch SLA, at the
 * call's time. */
size_t lr_rep_untouched(const lr_tenant_t *t, const lr_rep_t *r);
/* Leads r received in the 7 days up to the call's day. */
int64_t lr_rep_week_leads(const lr_tenant_t *t, const lr_rep_t *r);
int lr_lead_had(const lr_lead_t *l, const lr_rep_t *r); /* a previous
                                                         * assignee */

void lr_queue_add(lr_tenant_t *t, lr_lead_t *l);
void lr_queue_remove(lr_tenant_t *t, lr_lead_t *l);

/* A timer into the heap only (loading). */
void lr_timer_push(lr_tenant_t *t, char kind, int attempt, const char *lead_id,
                   int64_t due);
void lr_timer_add(lr_tenant_t *t, char kind, int attempt, const char *lead_id,
                  int64_t due);
/* The earliest timer due at or before upto, removed (the caller frees
 * lead_id). 0 when none. */
int lr_timer_pop(lr_tenant_t *t, int64_t upto, lr_timer_t *out);
void lr_timer_member(const lr_timer_t *tm, char *buf, size_t size);

void lr_gone_add(lr_tenant_t *t, int what, const char *a, int32_t day);

/* Moves the tenant's input position past src: 1, or 0 when src was
 * applied already (at or below the position). NULL src: 1. */
int lr_position_advance(lr_tenant_t *t, const lr_route_source_t *src);
/* The tenant's input positions sorted by key (borrowed keys; free the
 * array only). */
lr_position_t *lr_tenant_positions(const lr_tenant_t *t, size_t *cnt);
/* Records the install of day's ranking at the current positions. */
void lr_install_add(lr_tenant_t *t, int32_t day);
/* Hands the recorded installs over to decision d. */
void lr_installs_take(lr_tenant_t *t, lr_assigned_t *d);

/* Sets a string value of a dict that owns its keys and values. */
void lr_dict_set_str(lr_dict_t *d, const char *key, const char *value);

/* The call context: clock and the result to fill. */
void lr_call_begin(lr_tenant_t *t, int64_t now, lr_route_result_t *out);
void lr_call_time(lr_tenant_t *t, int64_t now);

/* The account owner (rep id) of account_id, NULL when none. */
const char *lr_account_owner(const lr_tenant_t *t, const char *acct);
void lr_account_set(lr_tenant_t *t, const char *acct, const char *rep_id);

/* Outbox: a timer decision or tier change recorded (a copy is kept). */
void lr_outbox_add_decision(lr_tenant_t *t, const lr_assigned_t *d);
void lr_outbox_add_tier_change(lr_tenant_t *t, const lr_tier_changed_t *tc);

/* Copies of outputs into a result. */
void lr_result_add_decision(lr_route_result_t *r, const lr_assigned_t *d);
void lr_result_add_tier_change(lr_route_result_t *r,
                               const lr_tier_changed_t *tc);
void lr_assigned_copy(lr_assigned_t *dst, const lr_assigned_t *src);
void lr_tier_changed_copy(lr_tier_changed_t *dst, const lr_tier_changed_t *s);

/* ---- presence.c --------------------------------------------------------- */

/* Presence at the call's time as a symbol index (lr_presence_t), or
 * LR_AVAIL_OFF_HOURS for an AVAILABLE rep outside its hours. */
#define LR_AVAIL_OFF_HOURS 100
int lr_rep_status_at(lr_tenant_t *t, lr_rep_t *r);
/* Why r cannot take a lead now (a skipped `why` symbol), or NULL. */
const char *lr_rep_unavailable(lr_tenant_t *t, lr_rep_t *r);
int lr_rep_at_work(lr_tenant_t *t, lr_rep_t *r);
int lr_rep_off_hours(lr_tenant_t *t, const lr_rep_t *r);
int32_t lr_rep_day(const lr_tenant_t *t, const lr_rep_t *r);
int lr_rep_assigned_today(const lr_tenant_t *t, const lr_rep_t *r);
int lr_rep_in_region(const lr_rep_t *r, const char *region);
/* A status change into the rep's presence (history kept). */
void lr_rep_presence_add(lr_tenant_t *t, lr_rep_t *r, int64_t at, int status,
                         int has_until, int64_t until, const char *eid);

/* ---- choose.c ----------------------------------------------------------- */

typedef struct lr_pick_s {
        lr_rep_t *r;
        double comp;
        int rank;
        const char *reason;
        lr_skip_t *skipped; /* owned until handed to the decision */
        size_t skipped_cnt;
        int after_rr;         /* round robin: move the cursor `field` */
        const char *rr_field; /* NULL: "rr" */
        int after_wrr;
        double wrr_pass;
        int after_share; /* tier_share weighted: advance the rep's pass */
        double share_pass;
        int floor;         /* below the weekly floor: better reps passed over */
        int attention_off; /* every candidate was awaiting a first touch */
} lr_pick_t;

/* The rep for lead l at the call's time, or 0 (nobody): its account's
 * owner (owner_first), else by the tenant's strategy. */
int lr_choose(lr_tenant_t *t, lr_lead_t *l, lr_pick_t *pick);
/* Queue escalation: the least-loaded active rep at work. */
int lr_choose_escalation(lr_tenant_t *t, lr_lead_t *l, lr_pick_t *pick);
void lr_pick_clear(lr_pick_t *pick);
/* The rank of a rep as the ranking gives it (unranked: after), 0 none. */
int lr_rank_of(const lr_tenant_t *t, const lr_rep_t *r);
/* The rep at position i of the ranking (order, then unranked), NULL past
 * the end. */
lr_rep_t *lr_ranking_at(const lr_tenant_t *t, size_t i, int *rank);

/* ---- ranking.c ---------------------------------------------------------- */

/* Installs the ranking of `day` from the buckets (see route.h). */
void lr_ranking_install_day(lr_tenant_t *t, int32_t day);
/* Rebuilds order[] and unranked[] from the reps' ranked positions. */
void lr_ranking_rebuild(lr_tenant_t *t);
/* Drops buckets that left the window of `day`. */
void lr_ranking_prune(lr_tenant_t *t, int32_t day);

/* ---- events.c ----------------------------------------------------------- */

void lr_route_drain(lr_tenant_t *t);
void lr_route_fire_due(lr_tenant_t *t, int64_t upto, size_t max);

#endif
