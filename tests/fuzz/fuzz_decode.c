/*
 * fuzz_decode.c - libFuzzer target for the message decoder, the code every
 * byte from Kafka goes through. Input: one byte choosing the record kind
 * (low bits) and whether to also render JSON (bit 3), then the framed
 * message. Input kinds go through lr_codec_decode(), output kinds through
 * lr_codec_to_json(). Must never crash, hang or leak. Seeds:
 * tests/fuzz/corpus_decode/ (written by `test_codec --write-corpus DIR`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "leadrouter/codec.h"

static lr_codec_t *codec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char errstr[512];
        lr_event_kind_t kind;
        lr_event_t ev;
        char *json = NULL;

        if (!codec && !(codec = lr_codec_new(NULL, errstr, sizeof(errstr)))) {
                fprintf(stderr, "lr_codec_new: %s\n", errstr);
                abort();
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
