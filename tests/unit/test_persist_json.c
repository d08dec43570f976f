/*
 * test_persist_json.c - the JSON records the core stores (decisions, tier
 * changes): jansson reads back what the hand-written writer wrote, strings
 * with quotes, control characters, UTF-8 and bytes that are not UTF-8,
 * numbers at their full precision, and the optional fields as null.
 */
#include <jansson.h>

#include "check.h"
#include "persist.h"

static char *dup(const char *s) {
        return strdup(s);
}

static void test_decision_round_trip(void) {
        lr_assigned_t d   = {0}, back;
        lr_skip_t *sk     = calloc(2, sizeof(*sk));
        lr_position_t *in = calloc(1, sizeof(*in));
        char *json;
        json_t *o;

        sk[0].rep_id = dup("r\"2");
        sk[0].why    = dup("BUSY");
        sk[1].rep_id = dup("r3");
        sk[1].why    = dup("TIER");
        in[0].key    = dup("lead-created:3");
        in[0].next   = 42;
        d.event_id   = dup("ev-1");
        d.tenant_id  = dup("t\\1");
        d.lead_id    = dup("lead \x01\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        d.rep_id     = dup("bad \xff\xc3 utf8 \xed\xa0\x80");
        d.decided_at = 1700000000123;
        d.attempt    = 2;
        d.reason     = dup("RANKED");
        d.strategy   = dup("ranked");
        d.lead_tier  = 1;
        d.rep_tier   = 3;
        d.rep_rank   = 7;
        d.rep_score  = 0.1 + 0.2;
        d.wait_ms    = -5;
        d.skipped    = sk;
        d.skipped_cnt                = 2;
        d.explanation                = NULL;
        d.policy_version             = dup("v1");
        d.source_topic               = dup("lead-created");
        d.source_partition           = 3;
        d.source_offset              = 41;
        d.inputs                     = in;
        d.inputs_cnt                 = 1;
        d.has_routed_at              = 1;
        d.routed_at                  = 1700000000999;
        d.installs                   = calloc(2, sizeof(*d.installs));
        d.installs_cnt               = 2;
        d.installs[0].day            = 20513;
        d.installs[1].day            = 20514;
        d.installs[1].inputs         = calloc(2, sizeof(*d.installs[1].inputs));
        d.installs[1].inputs_cnt     = 2;
        d.installs[1].inputs[0].key  = dup("call-outcome:3");
        d.installs[1].inputs[0].next = 7;
        d.installs[1].inputs[1].key  = dup("rep-status:3");
        d.installs[1].inputs[1].next = 9000000000;

        json = lr_persist_decision_json(&d);
        o    = json_loads(json, 0, NULL);
        CHECK(o != NULL);
        CHECK_STR(json_string_value(json_object_get(o, "lead_id")),
                  "lead \x01\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        /* each byte that is not UTF-8 became U+FFFD */
        CHECK_STR(json_string_value(json_object_get(o, "rep_id")),
                  "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd"
                  "\xef\xbf\xbd");
        CHECK_STR(json_string_value(json_object_get(o, "explanation")), "");
        CHECK(json_is_real(json_object_get(o, "rep_score")));
        json_decref(o);

        CHECK_INT(lr_persist_decision_parse(json, strlen(json), &back), 0);
        CHECK_STR(back.tenant_id, "t\\1");
        CHECK_INT(back.decided_at, 1700000000123);
        CHECK_INT(back.wait_ms, -5);
        CHECK(back.rep_score == 0.1 + 0.2);
        CHECK_INT(back.skipped_cnt, 2);
        if (back.skipped_cnt == 2) {
                CHECK_STR(back.skipped[0].rep_id, "r\"2");
                CHECK_STR(back.skipped[1].why, "TIER");
        }
        CHECK_INT(back.inputs_cnt, 1);
        if (back.inputs_cnt == 1) {
                CHECK_STR(back.inputs[0].key, "lead-created:3");
                CHECK_INT(back.inputs[0].next, 42);
        }
        CHECK_INT(back.has_routed_at, 1);
        CHECK_INT(back.routed_at, 1700000000999);
        CHECK_INT(back.installs_cnt, 2);
        if (back.installs_cnt == 2) {
                CHECK_INT(back.installs[0].day, 20513);
                CHECK_INT(back.installs[0].inputs_cnt, 0);
                CHECK_INT(back.installs[1].day, 20514);
                CHECK_INT(back.installs[1].inputs_cnt, 2);
                if (back.installs[1].inputs_cnt == 2) {
                        CHECK_STR(back.installs[1].inputs[0].key,
                                  "call-outcome:3");
                        CHECK_INT(back.installs[1].inputs[1].next, 9000000000);
                }
        }
        lr_assigned_clear(&back);
        free(json);

        /* without the optional fields, and a whole-number score */
        d.inputs_cnt    = 0;
        d.installs_cnt  = 0;
        d.has_routed_at = 0;
        d.skipped_cnt   = 0;
        d.rep_score     = 3;
        json            = lr_persist_decision_json(&d);
        o               = json_loads(json, 0, NULL);
        CHECK(json_is_null(json_object_get(o, "inputs_applied")));
        CHECK(json_is_null(json_object_get(o, "routed_at")));
        CHECK(json_is_null(json_object_get(o, "rankings_installed")));
        CHECK_INT(json_array_size(json_object_get(o, "skipped")), 0);
        CHECK(json_is_real(json_object_get(o, "rep_score")));
        json_decref(o);
        CHECK_INT(lr_persist_decision_parse(json, strlen(json), &back), 0);
        CHECK_INT(back.has_routed_at, 0);
        CHECK_INT(back.inputs_cnt, 0);
        CHECK_INT(back.installs_cnt, 0);
        CHECK(back.rep_score == 3);
        lr_assigned_clear(&back);
        free(json);

        d.skipped_cnt  = 2;
        d.inputs_cnt   = 1;
        d.installs_cnt = 2;
        lr_assigned_clear(&d);
}

static void test_tier_change_round_trip(void) {
        lr_tier_changed_t tc = {0}, back;
        char *json;
        tc.event_id   = dup("tc-1");
        tc.tenant_id  = dup("t1");
        tc.rep_id     = dup("r1");
        tc.from_tier  = 2;
        tc.to_tier    = 1;
        tc.composite  = 0.7123456789012345;
        tc.tier_mean  = 0.5;
        tc.decided_at = 1700000000000;
        tc.reason     = dup("PROMOTED");
        json          = lr_persist_tier_change_json(&tc);
        CHECK_INT(lr_persist_tier_change_parse(json, strlen(json), &back), 0);
        CHECK_STR(back.rep_id, "r1");
        CHECK_INT(back.from_tier, 2);
        CHECK_INT(back.to_tier, 1);
        CHECK(back.composite == tc.composite);
        CHECK(back.tier_mean == 0.5);
        CHECK_INT(back.decided_at, 1700000000000);
        CHECK_STR(back.reason, "PROMOTED");
        lr_tier_changed_clear(&back);
        lr_tier_changed_clear(&tc);
        free(json);
}

int main(void) {
        test_decision_round_trip();
        test_tier_change_round_trip();
        CHECK_DONE();
}
