/*
 * test_explain.c - the LeadAssigned.explanation sentence for every reason.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "explain.h"

static lr_assigned_t decision(const char *reason) {
        lr_assigned_t a;
        memset(&a, 0, sizeof(a));
        a.rep_id    = "rep-07";
        a.reason    = (char *)reason;
        a.strategy  = "ranked";
        a.attempt   = 1;
        a.lead_tier = 1;
        a.rep_tier  = 1;
        a.rep_rank  = 3;
        a.rep_score = 0.7123;
        return a;
}

static void expect(const lr_assigned_t *a, const char *want) {
        char *s = lr_explain(a);
        CHECK_STR(s, want);
        free(s);
}

int main(void) {
        lr_skip_t two[] = {{"rep-01", "IN_MEETING"}, {"rep-02", "AT_CAPACITY"}};
        lr_skip_t seven[] = {{"r1", "BUSY"},     {"r2", "OUT_OF_OFFICE"},
                             {"r3", "OFFLINE"},  {"r4", "OFF_HOURS"},
                             {"r5", "TIER"},     {"r6", "PREVIOUS_ASSIGNEE"},
                             {"r7", "SOMETHING"}};
        lr_assigned_t a;

        a             = decision("RANKED");
        a.skipped     = two;
        a.skipped_cnt = 2;
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1), the best-ranked available rep for this "
                   "tier-1 lead; passed over 2 better-ranked reps: rep-01 in "
                   "a meeting, rep-02 at capacity.");

        a           = decision("RANKED");
        a.rep_rank  = 1;
        a.rep_score = 0.9;
        expect(&a, "Assigned to rep-07, ranked #1 of the tenant (composite "
                   "0.900, tier 1), the best-ranked available rep for this "
                   "tier-1 lead.");

        a             = decision("FALLBACK_TIER");
        a.rep_tier    = 2;
        a.skipped     = two;
        a.skipped_cnt = 1;
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 2): no tier-1 rep was available, so the "
                   "nearest tier with an available rep (tier 2) took this "
                   "tier-1 lead rather than keep the customer waiting; passed "
                   "over 1 better-ranked rep: rep-01 in a meeting.");

        a         = decision("QUEUED");
        a.wait_ms = 250999; /* 4 min 10.999 s */
        expect(&a, "No rep was available, so this tier-1 lead waited 4 min "
                   "10 s in the queue until rep-07, ranked #3 of the tenant "
                   "(composite 0.712, tier 1), became available.");

        a           = decision("QUEUED");
        a.wait_ms   = 3723000; /* 1 h 2 min 3 s */
        a.lead_tier = 0;
        a.rep_rank  = 0;
        expect(&a, "No rep was available, so this lead waited 1 h 2 min in "
                   "the queue until rep-07 (not ranked yet, tier 1) became "
                   "available.");

        a = decision("OWNER");
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1), who already owns the account of this "
                   "tier-1 lead (account owner first).");

        a           = decision("ESCALATED");
        a.wait_ms   = 300000;
        a.lead_tier = 2;
        a.rep_tier  = 3;
        expect(&a, "Escalated to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 3), the least-loaded active rep, after this "
                   "tier-2 lead waited 5 min 0 s with no rep available, past "
                   "the maximum wait.");

        a             = decision("SLA_REASSIGNED");
        a.attempt     = 2;
        a.skipped     = seven + 5;
        a.skipped_cnt = 1;
        expect(&a, "Reassigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1), on attempt 2 because the previous rep made "
                   "no call within the first-touch SLA: the best-ranked "
                   "available rep who had not had this tier-1 lead before; "
                   "passed over 1 better-ranked rep: r6 a previous assignee "
                   "of this lead.");

        a          = decision("BASELINE");
        a.strategy = "round_robin";
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1) by the round_robin baseline strategy, "
                   "which does not route by rank.");

        /* More than five skipped reps: five named, the rest counted. */
        a             = decision("RANKED");
        a.skipped     = seven;
        a.skipped_cnt = 7;
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1), the best-ranked available rep for this "
                   "tier-1 lead; passed over 7 better-ranked reps: 1 of "
                   "another tier, r1 busy, r2 out of office, r3 offline, r4 "
                   "outside working hours, r6 a previous assignee of this "
                   "lead and 1 more.");
        CHECK_STR(lr_explain_why("SOMETHING"), "SOMETHING");

        a = decision("MYSTERY");
        expect(&a, "Assigned to rep-07, ranked #3 of the tenant (composite "
                   "0.712, tier 1) (reason MYSTERY).");
        a        = decision(NULL);
        a.rep_id = NULL;
        expect(&a, "Assigned to (no rep), ranked #3 of the tenant (composite "
                   "0.712, tier 1) (reason unknown).");
        CHECK_DONE();
}
