/*
 * fuzz_decode.c - libFuzzer target for the message decoder, the code every
 * byte from Kafka goes through. Input: one byte choosing the record kind
 * (low bits) and whether to also render JSON (bit 3), then the framed
 * message. Input kinds go through lr_codec_decode(), output kinds through
 * lr_codec_to_json(). Must never crash, hang or leak. Seeds:
 * tests/fuzz/corpus_decode/ (written by `test_codec --write-corpus DIR`);
 * the test-only schemas of tests/schemas/ are known as ids 101 and 102, as
 * in test_codec, so that the resolving decoder is fuzzed too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "leadrouter/codec.h"

static lr_codec_t *codec;

/* Adds tests/schemas/<name> as writer schema id (when readable). */
static void add_test_schema(const char *name, int32_t id) {
        char path[1024], text[16384], errstr[512];
        size_t n;
        FILE *f;

        snprintf(path, sizeof(path), "%s/tests/schemas/%s", LR_SOURCE_DIR,
                 name);
        if (!(f = fopen(path, "rb")))
                return;
        n       = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
        if (lr_codec_add_writer(codec, id, text, errstr, sizeof(errstr)))
                fprintf(stderr, "%s: %s\n", path, errstr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char errstr[512];
        lr_event_kind_t kind;
        lr_event_t ev;
        char *json = NULL;

        if (!codec) {
                if (!(codec = lr_codec_new(NULL, errstr, sizeof(errstr)))) {
                        fprintf(stderr, "lr_codec_new: %s\n", errstr);
                        abort();
                }
                add_test_schema("LeadCreated.v0.avsc", 101);
                add_test_schema("LeadCreated.v2.avsc", 102);
        }
        if (size < 1)
                return 0;
        kind = (lr_event_kind_t)((data[0] & 7) % LR_EV__CNT);
        if (kind == LR_EV_LEAD_CREATED || kind == LR_EV_CALL_OUTCOME ||
            kind == LR_EV_REP_STATUS) {
                if (lr_codec_decode(codec, kind, data + 1, size - 1, &ev,
                                    errstr, sizeof(errstr)) == LR_CODEC_OK)
                        lr_event_clear(&ev);
                else if (ev.event_id || ev.tenant_id || ev.lead_id)
                        abort(); /* a failed decode must leave nothing */
        }
        if (!(kind == LR_EV_LEAD_CREATED || kind == LR_EV_CALL_OUTCOME ||
              kind == LR_EV_REP_STATUS) ||
            (data[0] & 8)) {
                if (lr_codec_to_json(codec, kind, data + 1, size - 1, &json,
                                     errstr, sizeof(errstr)) == LR_CODEC_OK)
                        free(json);
        }
        return 0;
}
