/*
 * test_codec.c - the Avro codec: round trips of every record, each class of
 * bad message (SPEC §4) with its error code and message, schema evolution
 * (a writer one version behind and one ahead: tests/schemas/, made known
 * to the codec as ids 101 and 102), and JSON input.
 *
 * `test_codec --write-corpus DIR` also writes the fuzzer's seed corpus
 * (tests/fuzz/corpus_decode/): a kind byte, then a valid framed message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "avro_json.h"
#include "check.h"
#include "embedded.h"
#include "leadrouter/codec.h"

#define T0 1764000000000LL /* 2025-11-24T16:00:00Z */

static lr_codec_t *codec;
static char errstr[512];

typedef struct msg_s {
        uint8_t *buf;
        size_t len;
} msg_t;

static msg_t encode(lr_event_kind_t kind, const char *json) {
        msg_t m      = {NULL, 0};
        char *tenant = NULL;
        lr_codec_err_t err =
            lr_codec_encode_json(codec, kind, json, (void **)&m.buf, &m.len,
                                 &tenant, errstr, sizeof(errstr));
        if (err)
                fprintf(stderr, "encode failed: %s\n  json: %s\n", errstr,
                        json);
        CHECK_INT(err, LR_CODEC_OK);
        free(tenant);
        return m;
}

static lr_codec_err_t decode(lr_event_kind_t kind, const void *buf, size_t len,
                             lr_event_t *ev) {
        memset(ev, 0, sizeof(*ev));
        errstr[0] = '\0';
        return lr_codec_decode(codec, kind, buf, len, ev, errstr,
                               sizeof(errstr));
}

/* Checks that decoding buf fails with err and an errstr containing each of
 * the NULL-terminated needles, and that the event is left empty. */
static void expect_bad(lr_event_kind_t kind, const void *buf, size_t len,
                       lr_codec_err_t want, const char *needle1,
                       const char *needle2) {
        lr_event_t ev;
        lr_codec_err_t err = decode(kind, buf, len, &ev);

        CHECK_INT(err, want);
        if (needle1 && !strstr(errstr, needle1)) {
                fprintf(stderr, "errstr \"%s\" lacks \"%s\"\n", errstr,
                        needle1);
                CHECK(0);
        }
        if (needle2 && !strstr(errstr, needle2)) {
                fprintf(stderr, "errstr \"%s\" lacks \"%s\"\n", errstr,
                        needle2);
                CHECK(0);
        }
        CHECK(ev.event_id == NULL && ev.tenant_id == NULL &&
              ev.lead_id == NULL);
        lr_event_clear(&ev);
}

/* A message framed with schema id from schema file avsc (one embedded in
 * the build), built from JSON with avro-c directly: how a producer with
 * another schema version writes. */
/* The test-only writer schemas (never shipped in schemas/). */
static struct {
        const char *name;
        int32_t id;
        char *text;
} test_schemas[] = {{"LeadCreated.v0.avsc", 101, NULL},
                    {"LeadCreated.v2.avsc", 102, NULL}};
#define TEST_SCHEMA_CNT (sizeof(test_schemas) / sizeof(*test_schemas))

/* Reads tests/schemas/ and makes each schema known to the codec by id. */
static int test_schemas_load(void) {
        size_t i;
        char path[256];

        for (i = 0; i < TEST_SCHEMA_CNT; i++) {
                snprintf(path, sizeof(path), "tests/schemas/%s",
                         test_schemas[i].name);
                if (!(test_schemas[i].text = check_source_file(path)))
                        return -1;
                if (lr_codec_add_writer(codec, test_schemas[i].id,
                                        test_schemas[i].text, errstr,
                                        sizeof(errstr))) {
                        fprintf(stderr, "%s: %s\n", path, errstr);
                        return -1;
                }
        }
        return 0;
}

static void test_schemas_free(void) {
        size_t i;
        for (i = 0; i < TEST_SCHEMA_CNT; i++)
                free(test_schemas[i].text);
}

/* A schema of schemas/ (embedded) or of tests/schemas/. */
static const char *schema_text(const char *avsc) {
        const lr_embedded_t *f = lr_embedded_find(avsc);
        size_t i;

        if (f)
                return f->data;
        for (i = 0; i < TEST_SCHEMA_CNT; i++)
                if (!strcmp(test_schemas[i].name, avsc))
                        return test_schemas[i].text;
        return NULL;
}

static msg_t encode_with(const char *avsc, int32_t id, const char *json) {
        const char *text = schema_text(avsc);
        msg_t m          = {NULL, 0};
        avro_schema_t schema;
        avro_value_iface_t *cls;
        avro_value_t v;
        avro_writer_t w;
        json_t *tnode, *j;
        size_t size = 0;

        CHECK(text != NULL);
        if (!text)
                return m;
        CHECK_INT(avro_schema_from_json_length(text, strlen(text), &schema), 0);
        cls   = avro_generic_class_from_schema(schema);
        tnode = json_loads(text, 0, NULL);
        j     = json_loads(json, 0, NULL);
        CHECK(cls && tnode && j);
        avro_generic_value_new(cls, &v);
        CHECK_INT(lr_avro_from_json(&v, j, tnode, "", errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        avro_value_sizeof(&v, &size);
        m.len    = 5 + size;
        m.buf    = malloc(m.len);
        m.buf[0] = 0;
        m.buf[1] = (uint8_t)(id >> 24);
        m.buf[2] = (uint8_t)(id >> 16);
        m.buf[3] = (uint8_t)(id >> 8);
        m.buf[4] = (uint8_t)id;
        w        = avro_writer_memory((char *)m.buf + 5, (int64_t)size);
        CHECK_INT(avro_value_write(w, &v), 0);
        avro_writer_free(w);
        avro_value_decref(&v);
        avro_value_iface_decref(cls);
        avro_schema_decref(schema);
        json_decref(tnode);
        json_decref(j);
        return m;
}

static const char *LEAD_FULL =
    "{\"event_id\":\"ev-1\",\"tenant_id\":\"acme\",\"lead_id\":\"L-1\","
    "\"created_at\":\"2025-11-24T16:00:00Z\",\"score\":87,\"tier\":2,"
    "\"account_id\":\"A-9\",\"region\":{\"string\":\"emea\"},"
    "\"timezone\":\"Europe/Berlin\",\"source\":\"web\","
    "\"contact_after\":1764003600000,"
    "\"attributes\":{\"campaign\":\"q4\",\"utm\":\"x\"}}";

static const char *LEAD_MIN =
    "{\"event_id\":\"ev-2\",\"tenant_id\":\"acme\",\"lead_id\":\"L-2\","
    "\"created_at\":1764000000000,\"score\":10}";

static const char *CALL =
    "{\"event_id\":\"ev-3\",\"tenant_id\":\"acme\",\"rep_id\":\"r-7\","
    "\"lead_id\":\"L-1\",\"occurred_at\":\"2025-11-24T16:30:00.250Z\","
    "\"outcome\":\"CLOSED_WON\",\"duration_seconds\":300,"
    "\"deal_value_cents\":1250000}";

static const char *REP =
    "{\"event_id\":\"ev-4\",\"tenant_id\":\"acme\",\"rep_id\":\"r-7\","
    "\"occurred_at\":1764000000000,\"status\":\"IN_MEETING\","
    "\"until\":\"2025-11-24T17:00:00Z\",\"display_name\":\"Ana Lima\","
    "\"team\":\"emea-1\",\"regions\":[\"emea\",\"dach\"],"
    "\"timezone\":\"Europe/Lisbon\",\"working_hours\":\"Mon-Fri 09:00-17:30\","
    "\"hired_at\":\"2024-03-01\",\"max_open_leads\":30}";

static void test_lead_round_trip(void) {
        lr_event_t ev;
        msg_t m = encode(LR_EV_LEAD_CREATED, LEAD_FULL);
        size_t i;
        int seen = 0;

        CHECK(m.len > 5 && m.buf[0] == 0);
        CHECK_INT(m.buf[4], lr_codec_schema_id(codec, LR_EV_LEAD_CREATED));
        CHECK_INT(decode(LR_EV_LEAD_CREATED, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_INT(ev.kind, LR_EV_LEAD_CREATED);
        CHECK_STR(ev.event_id, "ev-1");
        CHECK_STR(ev.tenant_id, "acme");
        CHECK_STR(ev.lead_id, "L-1");
        CHECK_INT(ev.u.lead.created_at, T0);
        CHECK_INT(lr_event_time(&ev), T0);
        CHECK_INT(ev.u.lead.score, 87);
        CHECK_INT(ev.u.lead.tier, 2);
        CHECK_STR(ev.u.lead.account_id, "A-9");
        CHECK_STR(ev.u.lead.region, "emea");
        CHECK_STR(ev.u.lead.timezone, "Europe/Berlin");
        CHECK_STR(ev.u.lead.source, "web");
        CHECK_INT(ev.u.lead.has_contact_after, 1);
        CHECK_INT(ev.u.lead.contact_after, T0 + 3600000);
        CHECK_INT(ev.u.lead.attributes_cnt, 2);
        for (i = 0; i < ev.u.lead.attributes_cnt; i++) {
                if (!strcmp(ev.u.lead.attributes[i].key, "campaign")) {
                        CHECK_STR(ev.u.lead.attributes[i].value, "q4");
                        seen++;
                }
                if (!strcmp(ev.u.lead.attributes[i].key, "utm")) {
                        CHECK_STR(ev.u.lead.attributes[i].value, "x");
                        seen++;
                }
        }
        CHECK_INT(seen, 2);
        lr_event_clear(&ev);
        CHECK(ev.event_id == NULL && ev.u.lead.attributes == NULL);
        free(m.buf);

        /* Only the required fields: the optional ones take their defaults. */
        m = encode(LR_EV_LEAD_CREATED, LEAD_MIN);
        CHECK_INT(decode(LR_EV_LEAD_CREATED, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_STR(ev.lead_id, "L-2");
        CHECK_INT(ev.u.lead.score, 10);
        CHECK_INT(ev.u.lead.tier, 0);
        CHECK(ev.u.lead.account_id == NULL && ev.u.lead.region == NULL &&
              ev.u.lead.timezone == NULL && ev.u.lead.source == NULL);
        CHECK_INT(ev.u.lead.has_contact_after, 0);
        CHECK_INT(ev.u.lead.attributes_cnt, 0);
        lr_event_clear(&ev);
        free(m.buf);
}

static void test_call_round_trip(void) {
        lr_event_t ev;
        msg_t m = encode(LR_EV_CALL_OUTCOME, CALL);

        CHECK_INT(decode(LR_EV_CALL_OUTCOME, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_STR(ev.event_id, "ev-3");
        CHECK_STR(ev.u.call.rep_id, "r-7");
        CHECK_STR(ev.lead_id, "L-1");
        CHECK_INT(ev.u.call.occurred_at, T0 + 1800250);
        CHECK_INT(ev.u.call.outcome, LR_OUTCOME_CLOSED_WON);
        CHECK_STR(lr_outcome_name(ev.u.call.outcome), "CLOSED_WON");
        CHECK_INT(ev.u.call.duration_seconds, 300);
        CHECK_INT(ev.u.call.has_deal_value, 1);
        CHECK_INT(ev.u.call.deal_value_cents, 1250000);
        lr_event_clear(&ev);
        free(m.buf);

        m = encode(LR_EV_CALL_OUTCOME,
                   "{\"event_id\":\"e\",\"tenant_id\":\"t\",\"rep_id\":\"r\","
                   "\"lead_id\":\"l\",\"occurred_at\":1764000000000,"
                   "\"outcome\":\"NO_ANSWER\",\"deal_value_cents\":null}");
        CHECK_INT(decode(LR_EV_CALL_OUTCOME, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_INT(ev.u.call.outcome, LR_OUTCOME_NO_ANSWER);
        CHECK_INT(ev.u.call.duration_seconds, 0);
        CHECK_INT(ev.u.call.has_deal_value, 0);
        lr_event_clear(&ev);
        free(m.buf);
}

static void test_rep_round_trip(void) {
        lr_event_t ev;
        msg_t m = encode(LR_EV_REP_STATUS, REP);

        CHECK_INT(decode(LR_EV_REP_STATUS, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_STR(ev.u.rep.rep_id, "r-7");
        CHECK(ev.lead_id == NULL);
        CHECK_INT(ev.u.rep.occurred_at, T0);
        CHECK_INT(ev.u.rep.status, LR_PRESENCE_IN_MEETING);
        CHECK_INT(ev.u.rep.has_until, 1);
        CHECK_INT(ev.u.rep.until, T0 + 3600000);
        CHECK_STR(ev.u.rep.display_name, "Ana Lima");
        CHECK_STR(ev.u.rep.team, "emea-1");
        CHECK_INT(ev.u.rep.regions_cnt, 2);
        if (ev.u.rep.regions_cnt == 2) {
                CHECK_STR(ev.u.rep.regions[0], "emea");
                CHECK_STR(ev.u.rep.regions[1], "dach");
        }
        CHECK_STR(ev.u.rep.timezone, "Europe/Lisbon");
        CHECK_STR(ev.u.rep.working_hours, "Mon-Fri 09:00-17:30");
        CHECK_INT(ev.u.rep.has_hired_at, 1);
        CHECK_INT(ev.u.rep.hired_at, 1709251200000LL);
        CHECK_INT(ev.u.rep.has_max_open_leads, 1);
        CHECK_INT(ev.u.rep.max_open_leads, 30);
        lr_event_clear(&ev);
        free(m.buf);

        /* Presence only: no profile field is touched. An empty regions
         * list is present (and empty), not absent. */
        m = encode(LR_EV_REP_STATUS,
                   "{\"event_id\":\"e\",\"tenant_id\":\"t\",\"rep_id\":\"r\","
                   "\"occurred_at\":1764000000000,\"status\":\"DEPARTED\","
                   "\"regions\":[]}");
        CHECK_INT(decode(LR_EV_REP_STATUS, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_INT(ev.u.rep.status, LR_PRESENCE_DEPARTED);
        CHECK(ev.u.rep.display_name == NULL && ev.u.rep.team == NULL &&
              ev.u.rep.timezone == NULL && ev.u.rep.working_hours == NULL);
        CHECK(ev.u.rep.regions != NULL);
        CHECK_INT(ev.u.rep.regions_cnt, 0);
        CHECK_INT(ev.u.rep.has_until + ev.u.rep.has_hired_at +
                      ev.u.rep.has_max_open_leads,
                  0);
        lr_event_clear(&ev);
        free(m.buf);
}

/* The value of key in JSON object text, as compact JSON text. */
static char *json_field(const char *text, const char *key) {
        json_t *root = json_loads(text, 0, NULL);
        char *out    = NULL;
        if (root && json_object_get(root, key))
                out = json_dumps(json_object_get(root, key),
                                 JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(root);
        return out;
}

static void check_json_field(const char *text, const char *key,
                             const char *want) {
        char *got = json_field(text, key);
        if (!got || strcmp(got, want))
                fprintf(stderr, "JSON field %s = %s, expected %s\n", key,
                        got ? got : "(absent)", want);
        CHECK(got && !strcmp(got, want));
        free(got);
}

static void test_outputs(void) {
        lr_skip_t skipped[2] = {{"r-1", "IN_MEETING"}, {"r-2", "AT_CAPACITY"}};
        lr_position_t at[2]  = {{"call-outcome:2", 7}, {"rep-status:2", 3}};
        lr_install_t inst[2] = {{20416, at, 1}, {20417, at, 2}};
        lr_assigned_t a      = {0};
        lr_tier_changed_t t  = {0};
        void *buf;
        size_t len;
        char *json;

        a.event_id         = "ev-1#1";
        a.tenant_id        = "acme";
        a.lead_id          = "L-1";
        a.rep_id           = "r-3";
        a.decided_at       = T0;
        a.attempt          = 1;
        a.reason           = "RANKED";
        a.strategy         = "stack_rank";
        a.lead_tier        = 1;
        a.rep_tier         = 1;
        a.rep_rank         = 3;
        a.rep_score        = 0.8125;
        a.wait_ms          = 0;
        a.skipped          = skipped;
        a.skipped_cnt      = 2;
        a.explanation      = "r-3 is the best-ranked available tier-1 rep.";
        a.policy_version   = "p1";
        a.source_topic     = "lead-created";
        a.source_partition = 2;
        a.source_offset    = 41;
        a.installs         = inst;
        a.installs_cnt     = 2;

        CHECK_INT(lr_codec_encode_assigned(codec, &a, &buf, &len, errstr,
                                           sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK_INT(((uint8_t *)buf)[4],
                  lr_codec_schema_id(codec, LR_EV_LEAD_ASSIGNED));
        CHECK_INT(lr_codec_to_json(codec, LR_EV_LEAD_ASSIGNED, buf, len, &json,
                                   errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        check_json_field(json, "event_id", "\"ev-1#1\"");
        check_json_field(json, "rep_id", "\"r-3\"");
        check_json_field(json, "decided_at", "1764000000000");
        check_json_field(json, "reason", "\"RANKED\"");
        check_json_field(json, "rep_score", "0.8125");
        check_json_field(json, "skipped",
                         "[{\"rep_id\":\"r-1\",\"why\":\"IN_MEETING\"},"
                         "{\"rep_id\":\"r-2\",\"why\":\"AT_CAPACITY\"}]");
        check_json_field(json, "source_offset", "41");
        check_json_field(json, "inputs_applied", "null");
        check_json_field(
            json, "rankings_installed",
            "[{\"day\":20416,\"inputs_applied\":{\"call-outcome:2\":7}},"
            "{\"day\":20417,\"inputs_applied\":{\"call-outcome:2\":7,"
            "\"rep-status:2\":3}}]");
        free(json);
        /* An output record is not an input event, nor the wrong kind. */
        expect_bad(LR_EV_LEAD_CREATED, buf, len, LR_CODEC_ERR_INVALID,
                   "is LeadAssigned, expected LeadCreated", NULL);
        free(buf);

        a.reason = "BOGUS";
        CHECK_INT(lr_codec_encode_assigned(codec, &a, &buf, &len, errstr,
                                           sizeof(errstr)),
                  LR_CODEC_ERR_ENCODE);
        CHECK(strstr(errstr, "BOGUS") != NULL);
        a.reason      = "RANKED";
        a.explanation = NULL;
        CHECK_INT(lr_codec_encode_assigned(codec, &a, &buf, &len, errstr,
                                           sizeof(errstr)),
                  LR_CODEC_ERR_ENCODE);
        CHECK(strstr(errstr, "explanation") != NULL);

        t.event_id   = "tier:acme:r-3:2025-11-24";
        t.tenant_id  = "acme";
        t.rep_id     = "r-3";
        t.from_tier  = 2;
        t.to_tier    = 1;
        t.composite  = 0.9;
        t.tier_mean  = 0.7;
        t.decided_at = T0;
        t.reason     = "composite 129% of tier mean";
        CHECK_INT(lr_codec_encode_tier_changed(codec, &t, &buf, &len, errstr,
                                               sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK_INT(lr_codec_to_json(codec, LR_EV_REP_TIER_CHANGED, buf, len,
                                   &json, errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        check_json_field(json, "from_tier", "2");
        check_json_field(json, "to_tier", "1");
        check_json_field(json, "tier_mean", "0.69999999999999996");
        check_json_field(json, "reason", "\"composite 129% of tier mean\"");
        free(json);
        free(buf);
}

static void test_bad_messages(void) {
        msg_t m = encode(LR_EV_LEAD_CREATED, LEAD_FULL);
        uint8_t *b;
        size_t i, n;

        /* not framed */
        expect_bad(LR_EV_LEAD_CREATED, "{\"lead_id\":1}", 13,
                   LR_CODEC_ERR_FRAME, "magic", "JSON");
        expect_bad(LR_EV_LEAD_CREATED, "\0\0\0", 3, LR_CODEC_ERR_FRAME,
                   "too short", NULL);
        expect_bad(LR_EV_LEAD_CREATED, "", 0, LR_CODEC_ERR_FRAME, "too short",
                   NULL);

        /* unknown schema id */
        b = malloc(m.len);
        memcpy(b, m.buf, m.len);
        b[3] = 0x30; /* id 0x3001 = 12289 */
        expect_bad(LR_EV_LEAD_CREATED, b, m.len, LR_CODEC_ERR_SCHEMA_ID,
                   "unknown schema id 12289", NULL);
        b[1] = 0x80; /* id >= 2^31 */
        expect_bad(LR_EV_LEAD_CREATED, b, m.len, LR_CODEC_ERR_SCHEMA_ID,
                   "unknown schema id", NULL);
        free(b);

        /* wrong record for the topic */
        expect_bad(LR_EV_REP_STATUS, m.buf, m.len, LR_CODEC_ERR_INVALID,
                   "schema id 1 is LeadCreated, expected RepStatus", NULL);

        /* truncated body: every proper prefix of the body */
        for (n = 5; n < m.len; n++)
                expect_bad(LR_EV_LEAD_CREATED, m.buf, n, LR_CODEC_ERR_DECODE,
                           n == 5 ? "truncated" : NULL, NULL);

        /* trailing bytes */
        b = malloc(m.len + 2);
        memcpy(b, m.buf, m.len);
        b[m.len] = b[m.len + 1] = 'x';
        expect_bad(LR_EV_LEAD_CREATED, b, m.len + 2, LR_CODEC_ERR_DECODE,
                   "2 trailing bytes", NULL);
        free(b);

        /* garbage: a varint that never ends, a huge string length */
        b    = calloc(1, 64);
        b[4] = 1;
        memset(b + 5, 0xff, 40);
        expect_bad(LR_EV_LEAD_CREATED, b, 45, LR_CODEC_ERR_DECODE,
                   "varint longer than 10 bytes", "event_id");
        b[5]  = 0xfe; /* string length: zigzag 0x7ffff...: too large */
        b[14] = 0x01;
        expect_bad(LR_EV_LEAD_CREATED, b, 45, LR_CODEC_ERR_TOO_LARGE,
                   "event_id", "longer than");
        b[5] = 0x01; /* negative length */
        expect_bad(LR_EV_LEAD_CREATED, b, 45, LR_CODEC_ERR_DECODE,
                   "negative string length", NULL);
        free(b);

        /* message larger than the limit */
        b    = calloc(1, LR_CODEC_MAX_MESSAGE + 1);
        b[4] = 1;
        expect_bad(LR_EV_LEAD_CREATED, b, LR_CODEC_MAX_MESSAGE + 1,
                   LR_CODEC_ERR_TOO_LARGE, "larger than the limit", NULL);
        free(b);
        free(m.buf);

        /* enum index beyond the symbols */
        m = encode(LR_EV_CALL_OUTCOME, CALL);
        for (i = 5; i < m.len; i++)
                if (m.buf[i] == 2 * LR_OUTCOME_CLOSED_WON &&
                    m.buf[i + 1] == 2 * 300 % 128 + 128) /* outcome, dur */
                        break;
        CHECK(i < m.len);
        if (i < m.len) {
                m.buf[i] = 2 * 9;
                expect_bad(LR_EV_CALL_OUTCOME, m.buf, m.len,
                           LR_CODEC_ERR_DECODE, "outcome", "enum index 9");
        }
        free(m.buf);
}

/* JSON that encodes fine but must not pass decoding. */
static void expect_invalid_json(lr_event_kind_t kind, const char *json,
                                lr_codec_err_t want, const char *needle1,
                                const char *needle2) {
        msg_t m = encode(kind, json);
        if (m.buf)
                expect_bad(kind, m.buf, m.len, want, needle1, needle2);
        free(m.buf);
}

static void test_invalid_values(void) {
        char json[8192], big[5001];
        size_t i, off;

        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":140}",
                            LR_CODEC_ERR_INVALID,
                            "score 140 out of range 0..100", NULL);
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":-1}",
                            LR_CODEC_ERR_INVALID, "score -1", NULL);
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":50,\"tier\":0}",
                            LR_CODEC_ERR_INVALID, "tier 0 out of range 1..9",
                            NULL);
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"acme:L-1\",\"created_at\":"
                            "1764000000000,\"score\":50}",
                            LR_CODEC_ERR_INVALID, "lead_id \"acme:L-1\"",
                            "':'");
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"{t}\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":50}",
                            LR_CODEC_ERR_INVALID, "tenant_id", "'{'");
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"a#1\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":50}",
                            LR_CODEC_ERR_INVALID, "event_id", "'#'");
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l 2\",\"created_at\":1764000000000,"
                            "\"score\":50}",
                            LR_CODEC_ERR_INVALID, "lead_id", "whitespace");
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"\","
                            "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                            "\"score\":50}",
                            LR_CODEC_ERR_INVALID,
                            "required field tenant_id is empty", NULL);
        memset(big, 'x', 129);
        big[129] = '\0';
        snprintf(json, sizeof(json),
                 "{\"event_id\":\"e\",\"tenant_id\":\"t\",\"lead_id\":\"%s\","
                 "\"created_at\":1764000000000,\"score\":5}",
                 big);
        expect_invalid_json(LR_EV_LEAD_CREATED, json, LR_CODEC_ERR_INVALID,
                            "lead_id is 129 bytes", NULL);
        expect_invalid_json(LR_EV_LEAD_CREATED,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"lead_id\":\"l\",\"created_at\":5,\"score\":5}",
                            LR_CODEC_ERR_INVALID, "created_at 5",
                            "out of range 2000-01-01..2100-01-01");
        expect_invalid_json(LR_EV_CALL_OUTCOME,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"rep_id\":\"r\",\"lead_id\":\"l\","
                            "\"occurred_at\":1764000000000,\"outcome\":"
                            "\"CONNECTED\",\"duration_seconds\":-3}",
                            LR_CODEC_ERR_INVALID, "duration_seconds -3", NULL);
        expect_invalid_json(LR_EV_CALL_OUTCOME,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"rep_id\":\"r\",\"lead_id\":\"l\","
                            "\"occurred_at\":1764000000000,\"outcome\":"
                            "\"CLOSED_WON\",\"deal_value_cents\":-1}",
                            LR_CODEC_ERR_INVALID, "deal_value_cents -1", NULL);
        expect_invalid_json(LR_EV_REP_STATUS,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"rep_id\":\"r\",\"occurred_at\":1764000000000,"
                            "\"status\":\"BUSY\",\"max_open_leads\":10001}",
                            LR_CODEC_ERR_INVALID, "max_open_leads 10001", NULL);
        expect_invalid_json(LR_EV_REP_STATUS,
                            "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                            "\"rep_id\":\"r\",\"occurred_at\":1764000000000,"
                            "\"status\":\"BUSY\",\"until\":"
                            "\"2100-01-01T00:00:00Z\"}",
                            LR_CODEC_ERR_INVALID, "until", "out of range");

        /* oversized string, map, array */
        memset(big, 'y', 5000);
        big[5000] = '\0';
        snprintf(json, sizeof(json),
                 "{\"event_id\":\"e\",\"tenant_id\":\"t\",\"lead_id\":\"l\","
                 "\"created_at\":1764000000000,\"score\":5,\"region\":\"%s\"}",
                 big);
        expect_invalid_json(LR_EV_LEAD_CREATED, json, LR_CODEC_ERR_TOO_LARGE,
                            "region", "5000 bytes");
        off = (size_t)snprintf(json, sizeof(json),
                               "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                               "\"lead_id\":\"l\",\"created_at\":"
                               "1764000000000,\"score\":5,\"attributes\":{");
        for (i = 0; i < 65; i++)
                off += (size_t)snprintf(json + off, sizeof(json) - off,
                                        "%s\"k%zu\":\"v\"", i ? "," : "", i);
        snprintf(json + off, sizeof(json) - off, "}}");
        expect_invalid_json(LR_EV_LEAD_CREATED, json, LR_CODEC_ERR_TOO_LARGE,
                            "attributes", "more than 64 entries");
        off = (size_t)snprintf(json, sizeof(json),
                               "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                               "\"rep_id\":\"r\",\"occurred_at\":"
                               "1764000000000,\"status\":\"BUSY\","
                               "\"regions\":[");
        for (i = 0; i < 65; i++)
                off += (size_t)snprintf(json + off, sizeof(json) - off,
                                        "%s\"r%zu\"", i ? "," : "", i);
        snprintf(json + off, sizeof(json) - off, "]}");
        expect_invalid_json(LR_EV_REP_STATUS, json, LR_CODEC_ERR_TOO_LARGE,
                            "regions", "more than 64 items");

        /* 64 entries are fine */
        off = (size_t)snprintf(json, sizeof(json),
                               "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                               "\"lead_id\":\"l\",\"created_at\":"
                               "1764000000000,\"score\":5,\"attributes\":{");
        for (i = 0; i < 64; i++)
                off += (size_t)snprintf(json + off, sizeof(json) - off,
                                        "%s\"k%zu\":\"v\"", i ? "," : "", i);
        snprintf(json + off, sizeof(json) - off, "}}");
        {
                lr_event_t ev;
                msg_t m = encode(LR_EV_LEAD_CREATED, json);
                CHECK_INT(decode(LR_EV_LEAD_CREATED, m.buf, m.len, &ev),
                          LR_CODEC_OK);
                CHECK_INT(ev.u.lead.attributes_cnt, 64);
                lr_event_clear(&ev);
                free(m.buf);
        }
}

static void expect_json_error(lr_event_kind_t kind, const char *json,
                              const char *needle) {
        void *buf          = NULL;
        size_t len         = 0;
        char *tenant       = NULL;
        lr_codec_err_t err = lr_codec_encode_json(
            codec, kind, json, &buf, &len, &tenant, errstr, sizeof(errstr));
        CHECK_INT(err, LR_CODEC_ERR_INVALID);
        CHECK(buf == NULL && tenant == NULL);
        if (!strstr(errstr, needle)) {
                fprintf(stderr, "errstr \"%s\" lacks \"%s\"\n", errstr, needle);
                CHECK(0);
        }
}

static void test_json_input(void) {
        void *buf;
        size_t len;
        char *tenant = NULL, *json = NULL;

        CHECK_INT(lr_codec_encode_json(codec, LR_EV_CALL_OUTCOME, CALL, &buf,
                                       &len, &tenant, errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK_STR(tenant, "acme");
        CHECK_INT(lr_codec_to_json(codec, LR_EV_CALL_OUTCOME, buf, len, &json,
                                   errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        check_json_field(json, "occurred_at", "1764001800250");
        check_json_field(json, "outcome", "\"CLOSED_WON\"");
        check_json_field(json, "deal_value_cents", "1250000");
        free(json);
        free(tenant);
        free(buf);

        expect_json_error(LR_EV_LEAD_CREATED,
                          "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                          "\"created_at\":1764000000000,\"score\":5}",
                          "missing required field lead_id");
        expect_json_error(LR_EV_LEAD_CREATED,
                          "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                          "\"lead_id\":\"l\",\"created_at\":\"yesterday\","
                          "\"score\":5}",
                          "created_at");
        expect_json_error(LR_EV_LEAD_CREATED,
                          "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                          "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                          "\"score\":\"high\"}",
                          "field score: expected int, got a string");
        expect_json_error(LR_EV_LEAD_CREATED,
                          "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                          "\"lead_id\":\"l\",\"created_at\":1764000000000,"
                          "\"score\":5,\"tier\":\"1\"}",
                          "field tier");
        expect_json_error(LR_EV_CALL_OUTCOME,
                          "{\"event_id\":\"e\",\"tenant_id\":\"t\","
                          "\"rep_id\":\"r\",\"lead_id\":\"l\","
                          "\"occurred_at\":1764000000000,\"outcome\":\"WON\"}",
                          "\"WON\" is not one of NO_ANSWER, CONNECTED");
        expect_json_error(LR_EV_REP_STATUS, "[1,2]", "must be a JSON object");
        expect_json_error(LR_EV_REP_STATUS, "{\"event_id\":", "not JSON");
}

static void test_evolution(void) {
        lr_event_t ev;
        msg_t m;
        char *json;

        /* A producer one version behind: no source, no attributes. */
        m = encode_with("LeadCreated.v0.avsc", 101,
                        "{\"event_id\":\"old-1\",\"tenant_id\":\"acme\","
                        "\"lead_id\":\"L-9\",\"created_at\":1764000000000,"
                        "\"score\":61,\"tier\":null,\"account_id\":null,"
                        "\"region\":\"amer\",\"timezone\":null,"
                        "\"contact_after\":1764000005000}");
        CHECK_INT(decode(LR_EV_LEAD_CREATED, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_STR(ev.event_id, "old-1");
        CHECK_STR(ev.lead_id, "L-9");
        CHECK_INT(ev.u.lead.score, 61);
        CHECK_STR(ev.u.lead.region, "amer");
        CHECK_INT(ev.u.lead.contact_after, T0 + 5000);
        CHECK(ev.u.lead.source == NULL);
        CHECK_INT(ev.u.lead.attributes_cnt, 0);
        lr_event_clear(&ev);
        CHECK_INT(lr_codec_to_json(codec, LR_EV_LEAD_CREATED, m.buf, m.len,
                                   &json, errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        check_json_field(json, "source", "null");
        check_json_field(json, "attributes", "{}");
        check_json_field(json, "region", "\"amer\"");
        free(json);
        /* bad bytes from an old writer are still caught */
        expect_bad(LR_EV_LEAD_CREATED, m.buf, m.len - 1, LR_CODEC_ERR_DECODE,
                   "truncated", NULL);
        free(m.buf);

        /* A producer one version ahead: an extra field with a default. */
        m = encode_with("LeadCreated.v2.avsc", 102,
                        "{\"event_id\":\"new-1\",\"tenant_id\":\"acme\","
                        "\"lead_id\":\"L-10\",\"created_at\":1764000000000,"
                        "\"score\":90,\"source\":\"partner\","
                        "\"attributes\":{\"k\":\"v\"},"
                        "\"campaign_id\":\"c-77\"}");
        CHECK_INT(decode(LR_EV_LEAD_CREATED, m.buf, m.len, &ev), LR_CODEC_OK);
        CHECK_STR(ev.event_id, "new-1");
        CHECK_INT(ev.u.lead.score, 90);
        CHECK_STR(ev.u.lead.source, "partner");
        CHECK_INT(ev.u.lead.attributes_cnt, 1);
        if (ev.u.lead.attributes_cnt == 1) {
                CHECK_STR(ev.u.lead.attributes[0].key, "k");
                CHECK_STR(ev.u.lead.attributes[0].value, "v");
        }
        lr_event_clear(&ev);
        CHECK_INT(lr_codec_to_json(codec, LR_EV_LEAD_CREATED, m.buf, m.len,
                                   &json, errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK(strstr(json, "campaign_id") == NULL);
        free(json);
        /* the range checks apply to resolved messages too */
        free(m.buf);
        m = encode_with("LeadCreated.v2.avsc", 102,
                        "{\"event_id\":\"new-2\",\"tenant_id\":\"acme\","
                        "\"lead_id\":\"L:10\",\"created_at\":1764000000000,"
                        "\"score\":90,\"campaign_id\":null}");
        expect_bad(LR_EV_LEAD_CREATED, m.buf, m.len, LR_CODEC_ERR_INVALID,
                   "lead_id", "':'");
        free(m.buf);
}

/* Ids have one authority. Without a registry: the manifest's ids and the
 * ones added. With one, even the manifest's ids go to the registry (here
 * unreachable: a retriable error, not a decode with the manifest's
 * schema), and nothing is written before the registry gave an id. */
static void test_schema_authority(void) {
        lr_codec_registry_t reg = {"http://127.0.0.1:1", NULL, NULL};
        lr_codec_t *rc;
        lr_event_t ev;
        msg_t m;
        void *buf  = NULL;
        size_t len = 0;
        int32_t id = -1;

        CHECK_INT(lr_codec_add_writer(codec, 1, schema_text("LeadCreated.avsc"),
                                      errstr, sizeof(errstr)),
                  LR_CODEC_ERR_SCHEMA_ID);
        CHECK_INT(lr_codec_add_writer(codec, 900,
                                      "{\"type\":\"record\",\"name\":\"X\","
                                      "\"namespace\":\"com.acme\","
                                      "\"fields\":[]}",
                                      errstr, sizeof(errstr)),
                  LR_CODEC_ERR_INVALID);
        CHECK(strstr(errstr, "com.acme.X") != NULL);
        CHECK_INT(lr_codec_resolve_writer(codec, LR_EV_LEAD_ASSIGNED, "ignored",
                                          1, &id, errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK_INT(id, 4);
        CHECK(!lr_codec_has_registry(codec));

        rc = lr_codec_new(&reg, errstr, sizeof(errstr));
        CHECK(rc != NULL);
        if (!rc)
                return;
        CHECK(lr_codec_has_registry(rc));
        CHECK_INT(lr_codec_schema_id(rc, LR_EV_LEAD_ASSIGNED), 0);
        m = encode(LR_EV_LEAD_CREATED, LEAD_MIN);
        CHECK_INT(lr_codec_decode(rc, LR_EV_LEAD_CREATED, m.buf, m.len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_REGISTRY);
        CHECK(strstr(errstr, "schema id 1") && strstr(errstr, "unreachable"));
        free(m.buf);
        CHECK_INT(lr_codec_encode_json(rc, LR_EV_LEAD_CREATED, LEAD_MIN, &buf,
                                       &len, NULL, errstr, sizeof(errstr)),
                  LR_CODEC_ERR_ENCODE);
        CHECK(strstr(errstr, "no schema id") != NULL);
        CHECK_INT(lr_codec_resolve_writer(rc, LR_EV_LEAD_ASSIGNED,
                                          "lead-assigned-value", 0, &id, errstr,
                                          sizeof(errstr)),
                  LR_CODEC_ERR_REGISTRY);
        CHECK(strstr(errstr, "lead-assigned-value") != NULL);
        lr_codec_free(rc);
}

static void test_names(void) {
        int i;
        CHECK_STR(lr_event_kind_name(LR_EV_REP_TIER_CHANGED), "RepTierChanged");
        for (i = 0; i < LR_OUTCOME__CNT; i++)
                CHECK_INT(lr_outcome_parse(lr_outcome_name(i)), i);
        for (i = 0; i < LR_PRESENCE__CNT; i++)
                CHECK_INT(lr_presence_parse(lr_presence_name(i)), i);
        CHECK_INT(lr_outcome_parse("closed_won"), -1);
        CHECK_INT(lr_presence_parse(NULL), -1);
        CHECK_STR(lr_presence_name(LR_PRESENCE_OUT_OF_OFFICE), "OUT_OF_OFFICE");
}

static int write_seed(const char *dir, const char *name, lr_event_kind_t kind,
                      const void *buf, size_t len) {
        char path[512];
        uint8_t k = (uint8_t)kind;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (!buf || !(f = fopen(path, "wb")))
                return 1;
        fwrite(&k, 1, 1, f);
        fwrite(buf, 1, len, f);
        return fclose(f) != 0;
}

static int write_corpus(const char *dir) {
        static const struct {
                lr_event_kind_t kind;
                const char **json;
                const char *name;
        } seeds[]         = {{LR_EV_LEAD_CREATED, &LEAD_FULL, "lead_full"},
                             {LR_EV_LEAD_CREATED, &LEAD_MIN, "lead_min"},
                             {LR_EV_CALL_OUTCOME, &CALL, "call"},
                             {LR_EV_REP_STATUS, &REP, "rep"}};
        lr_skip_t skipped = {"r-1", "BUSY"};
        lr_assigned_t a   = {
              "e#1", "t", "l",  "r", T0,       1, "RANKED", "s", 1,
              1,     1,   0.5,  0,   &skipped, 1, "x",      "p", "lead-created",
              0,     7,   NULL, 0,   NULL,     0, 0,        0};
        lr_tier_changed_t t = {"e", "t", "r", 2, 1, 0.9, 0.7, T0, "up"};
        msg_t m;
        size_t i;
        int rc = 0;

        for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
                m = encode(seeds[i].kind, *seeds[i].json);
                rc |=
                    write_seed(dir, seeds[i].name, seeds[i].kind, m.buf, m.len);
                free(m.buf);
        }
        m = encode_with("LeadCreated.v0.avsc", 101, LEAD_MIN);
        rc |= write_seed(dir, "lead_v0", LR_EV_LEAD_CREATED, m.buf, m.len);
        free(m.buf);
        m = encode_with("LeadCreated.v2.avsc", 102, LEAD_FULL);
        rc |= write_seed(dir, "lead_v2", LR_EV_LEAD_CREATED, m.buf, m.len);
        free(m.buf);
        lr_codec_encode_assigned(codec, &a, (void **)&m.buf, &m.len, errstr,
                                 sizeof(errstr));
        rc |= write_seed(dir, "assigned", LR_EV_LEAD_ASSIGNED, m.buf, m.len);
        free(m.buf);
        lr_codec_encode_tier_changed(codec, &t, (void **)&m.buf, &m.len, errstr,
                                     sizeof(errstr));
        rc |= write_seed(dir, "tier_changed", LR_EV_REP_TIER_CHANGED, m.buf,
                         m.len);
        free(m.buf);
        return rc;
}

int main(int argc, char **argv) {
        codec = lr_codec_new(NULL, errstr, sizeof(errstr));
        if (!codec) {
                fprintf(stderr, "lr_codec_new: %s\n", errstr);
                return 1;
        }
        if (test_schemas_load()) {
                lr_codec_free(codec);
                test_schemas_free();
                return 1;
        }
        if (argc == 3 && !strcmp(argv[1], "--write-corpus")) {
                int rc = write_corpus(argv[2]);
                lr_codec_free(codec);
                test_schemas_free();
                return rc;
        }
        CHECK_INT(lr_codec_schema_id(codec, LR_EV_LEAD_CREATED), 1);
        CHECK_INT(lr_codec_schema_id(codec, LR_EV_REP_TIER_CHANGED), 5);
        test_names();
        test_lead_round_trip();
        test_call_round_trip();
        test_rep_round_trip();
        test_outputs();
        test_bad_messages();
        test_invalid_values();
        test_json_input();
        test_evolution();
        test_schema_authority();
        lr_codec_free(codec);
        test_schemas_free();
        CHECK_DONE();
}
