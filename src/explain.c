/*
 * explain.c - LeadAssigned.explanation: one sentence per decision, saying
 * who got the lead, where that rep stands, why this reason applied and which
 * better-ranked reps were passed over. Built only from the decision record,
 * so a re-published or replayed decision explains itself identically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

/* At most this many skipped reps are named; the rest are counted. */
#define LR_EXPLAIN_MAX_SKIPPED 5

static const struct {
        const char *why;
        const char *phrase;
} lr_why_phrases[] = {
    {"IN_MEETING", "in a meeting"},
    {"BUSY", "busy"},
    {"OUT_OF_OFFICE", "out of office"},
    {"OFFLINE", "offline"},
    {"AT_CAPACITY", "at capacity"},
    {"OFF_HOURS", "outside working hours"},
    {"TIER", "not in this lead's tier"},
    {"PREVIOUS_ASSIGNEE", "a previous assignee of this lead"},
    {"REGION", "not covering the lead's region"},
    {"AWAITING_FIRST_TOUCH", "still to call a lead just given to them"},
    {"FLOOR", "ahead of a rep below the weekly floor of leads"},
};

const char *lr_explain_why(const char *why) {
        size_t i;
        if (!why)
                return "unavailable";
        for (i = 0; i < sizeof(lr_why_phrases) / sizeof(*lr_why_phrases); i++)
                if (!strcmp(why, lr_why_phrases[i].why))
                        return lr_why_phrases[i].phrase;
        return why;
}

/* "4 min 10 s", "1 h 5 min", "12 s". */
static void lr_explain_duration(FILE *f, int64_t ms) {
        long long s = ms > 0 ? ms / 1000 : 0;
        if (s >= 3600)
                fprintf(f, "%lld h %lld min", s / 3600, s % 3600 / 60);
        else if (s >= 60)
                fprintf(f, "%lld min %lld s", s / 60, s % 60);
        else
                fprintf(f, "%lld s", s);
}

/* "rep-07, ranked #3 of the tenant (composite 0.712, tier 1)" */
static void lr_explain_rep(FILE *f, const lr_assigned_t *a) {
        const char *rep = a->rep_id ? a->rep_id : "(no rep)";
        if (a->rep_rank > 0)
                fprintf(f,
                        "%s, ranked #%d of the tenant (composite %.3f, "
                        "tier %d)",
                        rep, (int)a->rep_rank, a->rep_score, (int)a->rep_tier);
        else
                fprintf(f, "%s (not ranked yet, tier %d)", rep,
                        (int)a->rep_tier);
}

/* "this tier-1 lead" */
static void lr_explain_lead(FILE *f, const lr_assigned_t *a) {
        if (a->lead_tier > 0)
                fprintf(f, "this tier-%d lead", (int)a->lead_tier);
        else
                fputs("this lead", f);
}

static void lr_explain_skipped(FILE *f, const lr_assigned_t *a) {
        size_t i, shown = 0, other_tier = 0, named = 0;

        if (!a->skipped_cnt)
                return;
        /* Reps passed over only for their tier are counted, not named: on a
         * big team they would crowd out the reasons a person looks for. */
        for (i = 0; i < a->skipped_cnt; i++)
                if (a->skipped[i].why && !strcmp(a->skipped[i].why, "TIER"))
                        other_tier++;
        fprintf(f, "; passed over %zu better-ranked rep%s: ", a->skipped_cnt,
                a->skipped_cnt == 1 ? "" : "s");
        if (other_tier)
                fprintf(f, "%zu of another tier", other_tier);
        for (i = 0; i < a->skipped_cnt; i++) {
                if (a->skipped[i].why && !strcmp(a->skipped[i].why, "TIER"))
                        continue;
                named++;
                if (shown == LR_EXPLAIN_MAX_SKIPPED)
                        continue;
                fprintf(f, "%s%s %s", other_tier || shown ? ", " : "",
                        a->skipped[i].rep_id ? a->skipped[i].rep_id : "?",
                        lr_explain_why(a->skipped[i].why));
                shown++;
        }
        if (named > shown)
                fprintf(f, " and %zu more", named - shown);
}

char *lr_explain(const lr_assigned_t *a) {
        const char *reason = a->reason ? a->reason : "";
        char *buf          = NULL;
        size_t len         = 0;
        FILE *f            = open_memstream(&buf, &len);

        if (!f)
                return NULL;

        if (!strcmp(reason, "RANKED")) {
                fputs("Assigned to ", f);
                lr_explain_rep(f, a);
                fputs(", the best-ranked available rep for ", f);
                lr_explain_lead(f, a);
        } else if (!strcmp(reason, "FALLBACK_TIER")) {
                fputs("Assigned to ", f);
                lr_explain_rep(f, a);
                fprintf(f,
                        ": no tier-%d rep was available, so the nearest "
                        "tier with an available rep (tier %d) took ",
                        (int)a->lead_tier, (int)a->rep_tier);
                lr_explain_lead(f, a);
                fputs(" rather than keep the customer waiting", f);
        } else if (!strcmp(reason, "QUEUED")) {
                fputs("No rep was available, so ", f);
                lr_explain_lead(f, a);
                fputs(" waited ", f);
                lr_explain_duration(f, a->wait_ms);
                fputs(" in the queue until ", f);
                lr_explain_rep(f, a);
                /* close the "rep-07, ranked #3 ..." apposition */
                fputs(a->rep_rank > 0 ? ", became available"
                                      : " became available",
                      f);
        } else if (!strcmp(reason, "OWNER")) {
                fputs("Assigned to ", f);
                lr_explain_rep(f, a);
                fputs(", who already owns the account of ", f);
                lr_explain_lead(f, a);
                fputs(" (account owner first)", f);
        } else if (!strcmp(reason, "ESCALATED")) {
                fputs("Escalated to ", f);
                lr_explain_rep(f, a);
                fputs(", the least-loaded active rep, after ", f);
                lr_explain_lead(f, a);
                fputs(" waited ", f);
                lr_explain_duration(f, a->wait_ms);
                fputs(" with no rep available, past the maximum wait", f);
        } else if (!strcmp(reason, "SLA_REASSIGNED")) {
                fputs("Reassigned to ", f);
                lr_explain_rep(f, a);
                fprintf(f,
                        ", on attempt %d because the previous rep made "
                        "no call within the first-touch SLA: the "
                        "best-ranked available rep who had not had ",
                        (int)a->attempt);
                lr_explain_lead(f, a);
                fputs(" before", f);
        } else if (!strcmp(reason, "BASELINE")) {
                fputs("Assigned to ", f);
                lr_explain_rep(f, a);
                fprintf(f,
                        " by the %s baseline strategy, which does not "
                        "route by rank",
                        a->strategy && *a->strategy ? a->strategy : "baseline");
        } else {
                fputs("Assigned to ", f);
                lr_explain_rep(f, a);
                fprintf(f, " (reason %s)", *reason ? reason : "unknown");
        }
        lr_explain_skipped(f, a);
        fputc('.', f);

        if (fclose(f)) {
                free(buf);
                return NULL;
        }
        return buf;
}
