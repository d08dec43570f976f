/*
 * event.c - names of the event kinds and Avro enum symbols of SPEC §2, and
 * the release of what decoded events and output records own. The symbol
 * tables here are in schema order: the codec maps Avro enum ordinals onto
 * lr_outcome_t / lr_presence_t by index, so they must stay so.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leadrouter/event.h"
#include "xalloc.h"

static const char *const kind_names[LR_EV__CNT] = {"LeadCreated", "CallOutcome",
                                                   "RepStatus", "LeadAssigned",
                                                   "RepTierChanged"};

static const char *const outcome_names[LR_OUTCOME__CNT] = {
    "NO_ANSWER",  "CONNECTED",   "MEETING_BOOKED", "OPPORTUNITY_CREATED",
    "CLOSED_WON", "CLOSED_LOST", "DISQUALIFIED"};

static const char *const presence_names[LR_PRESENCE__CNT] = {
    "AVAILABLE", "BUSY", "IN_MEETING", "OUT_OF_OFFICE", "OFFLINE", "DEPARTED"};

static int symbol_parse(const char *const *names, int cnt, const char *s) {
        int i;
        if (!s)
                return -1;
        for (i = 0; i < cnt; i++)
                if (!strcmp(names[i], s))
                        return i;
        return -1;
}

const char *lr_event_kind_name(lr_event_kind_t kind) {
        if ((int)kind < 0 || kind >= LR_EV__CNT)
                return "Unknown";
        return kind_names[kind];
}

const char *lr_outcome_name(lr_outcome_t o) {
        if ((int)o < 0 || o >= LR_OUTCOME__CNT)
                return "UNKNOWN";
        return outcome_names[o];
}

const char *lr_presence_name(lr_presence_t p) {
        if ((int)p < 0 || p >= LR_PRESENCE__CNT)
                return "UNKNOWN";
        return presence_names[p];
}

int lr_outcome_parse(const char *s) {
        return symbol_parse(outcome_names, LR_OUTCOME__CNT, s);
}

int lr_presence_parse(const char *s) {
        return symbol_parse(presence_names, LR_PRESENCE__CNT, s);
}

int64_t lr_event_time(const lr_event_t *ev) {
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                return ev->u.lead.created_at;
        case LR_EV_CALL_OUTCOME:
                return ev->u.call.occurred_at;
        case LR_EV_REP_STATUS:
                return ev->u.rep.occurred_at;
        default:
                return 0;
        }
}

static const char *lead_attribute(const lr_lead_created_t *l, const char *key) {
        size_t i;
        for (i = 0; i < l->attributes_cnt; i++)
                if (l->attributes[i].key && !strcmp(l->attributes[i].key, key))
                        return l->attributes[i].value;
        return NULL;
}

int lr_lead_imported_assignment(const lr_lead_created_t *l, const char **rep_id,
                                int64_t *assigned_at, char *errstr,
                                size_t errstr_size) {
        const char *rep = lead_attribute(l, LR_ATTR_ASSIGNED_REP_ID);
        const char *at  = lead_attribute(l, LR_ATTR_ASSIGNED_AT);
        char *end;
        long long v;

        if (!rep && !at)
                return 0;
        if (!rep || !at) {
                snprintf(errstr, errstr_size,
                         "attributes.%s without attributes.%s: an imported "
                         "assignment needs both",
                         rep ? LR_ATTR_ASSIGNED_REP_ID : LR_ATTR_ASSIGNED_AT,
                         rep ? LR_ATTR_ASSIGNED_AT : LR_ATTR_ASSIGNED_REP_ID);
                return -1;
        }
        errno = 0;
        v     = strtoll(at, &end, 10);
        if (errno || end == at || *end || (*at < '0' || *at > '9')) {
                snprintf(errstr, errstr_size,
                         "attributes.%s \"%.40s\" is not epoch milliseconds "
                         "(a decimal integer)",
                         LR_ATTR_ASSIGNED_AT, at);
                return -1;
        }
        *rep_id      = rep;
        *assigned_at = (int64_t)v;
        return 1;
}

void lr_event_clear(lr_event_t *ev) {
        size_t i;

        free(ev->event_id);
        free(ev->tenant_id);
        free(ev->lead_id);
        switch (ev->kind) {
        case LR_EV_LEAD_CREATED:
                free(ev->u.lead.account_id);
                free(ev->u.lead.region);
                free(ev->u.lead.timezone);
                free(ev->u.lead.source);
                for (i = 0; i < ev->u.lead.attributes_cnt; i++) {
                        free(ev->u.lead.attributes[i].key);
                        free(ev->u.lead.attributes[i].value);
                }
                free(ev->u.lead.attributes);
                break;
        case LR_EV_CALL_OUTCOME:
                free(ev->u.call.rep_id);
                break;
        case LR_EV_REP_STATUS:
                free(ev->u.rep.rep_id);
                free(ev->u.rep.display_name);
                free(ev->u.rep.team);
                free(ev->u.rep.timezone);
                free(ev->u.rep.working_hours);
                for (i = 0; i < ev->u.rep.regions_cnt; i++)
                        free(ev->u.rep.regions[i]);
                free(ev->u.rep.regions);
                break;
        default:
                break;
        }
        memset(ev, 0, sizeof(*ev));
}

void lr_install_clear(lr_install_t *in) {
        size_t i;
        for (i = 0; i < in->inputs_cnt; i++)
                free(in->inputs[i].key);
        free(in->inputs);
        memset(in, 0, sizeof(*in));
}

lr_install_t *lr_installs_copy(const lr_install_t *v, size_t n) {
        lr_install_t *out = n ? lr_xcalloc(n, sizeof(*out)) : NULL;
        size_t i, k;
        for (i = 0; i < n; i++) {
                out[i].day        = v[i].day;
                out[i].inputs_cnt = v[i].inputs_cnt;
                out[i].inputs =
                    lr_xcalloc(v[i].inputs_cnt + 1, sizeof(*out[i].inputs));
                for (k = 0; k < v[i].inputs_cnt; k++) {
                        out[i].inputs[k].key  = lr_xstrdup(v[i].inputs[k].key);
                        out[i].inputs[k].next = v[i].inputs[k].next;
                }
        }
        return out;
}

void lr_assigned_clear(lr_assigned_t *a) {
        size_t i;

        free(a->event_id);
        free(a->tenant_id);
        free(a->lead_id);
        free(a->rep_id);
        free(a->reason);
        free(a->strategy);
        for (i = 0; i < a->skipped_cnt; i++) {
                free(a->skipped[i].rep_id);
                free(a->skipped[i].why);
        }
        free(a->skipped);
        free(a->explanation);
        free(a->policy_version);
        free(a->source_topic);
        for (i = 0; i < a->inputs_cnt; i++)
                free(a->inputs[i].key);
        free(a->inputs);
        for (i = 0; i < a->installs_cnt; i++)
                lr_install_clear(&a->installs[i]);
        free(a->installs);
        memset(a, 0, sizeof(*a));
}

void lr_tier_changed_clear(lr_tier_changed_t *t) {
        free(t->event_id);
        free(t->tenant_id);
        free(t->rep_id);
        free(t->reason);
        memset(t, 0, sizeof(*t));
}
