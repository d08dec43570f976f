/*
 * replay_input.h - the historical input events of `leadrouter replay`, as
 * streams that a thread of their own reads ahead and decodes: one stream
 * per input partition (Kafka: every partition of the config's three input
 * topics, read with rd_kafka_assign() between offsets fixed at the start,
 * no consumer group joined, nothing committed) or one per file (JSON lines
 * as `generate` writes them, Avro object container files of an input
 * record). A stream yields its events in the order stored (offset, line,
 * record), each decoded as the worker decodes it; ordering them across
 * streams is replay_order.h's business.
 */
#ifndef LR_REPLAY_INPUT_H
#define LR_REPLAY_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "leadrouter/event.h"

typedef struct lr_rp_input_s lr_rp_input_t;

typedef enum lr_rp_item_status_e {
        LR_RP_ITEM_OK = 0,
        LR_RP_ITEM_BAD, /* undecodable or invalid: the worker dead-letters
                         * it (ev holds nothing) */
        LR_RP_ITEM_OUT, /* outside --from/--to (event time): not applied */
} lr_rp_item_status_t;

/* One input event read from a stream. */
typedef struct lr_rp_item_s {
        lr_event_t ev;     /* owned until popped; a taker zeroes it */
        int64_t time;      /* event time */
        int topic;         /* lr_topic_t of its input topic */
        int32_t partition; /* Kafka partition; a file: -1, -2, ... (its
                            * place in --input: never a Kafka one) */
        int64_t offset;    /* Kafka offset; a file: the record's number
                            * among the file's records of its topic */
        int64_t seq;       /* place in the stream (offset, record number) */
        int status;        /* lr_rp_item_status_t */
        void *tag;         /* the taker's */
} lr_rp_item_t;

/* A stream, as opened. */
typedef struct lr_rp_stream_s {
        char *name; /* "<topic>:<partition>", or the file's path */
        int is_kafka;
        int topic; /* Kafka: lr_topic_t; files: -1 */
        int32_t partition;
        /* Kafka: offsets [start, end) are read; low, high: the partition's
         * watermarks when the replay started */
        int64_t low, high, start, end;
} lr_rp_stream_t;

/* An offset bound of --from-offset/--to-offset: every partition (topic
 * NULL), or one. */
typedef struct lr_rp_offset_s {
        const char *topic;
        int32_t partition; /* -1: every partition of topic */
        int64_t offset;
} lr_rp_offset_t;

typedef struct lr_rp_input_opts_s {
        const lr_config_t *cfg;
        const char *const *files; /* --input; none: Kafka */
        size_t files_cnt;
        int has_from, has_to; /* event-time bounds [from, to) */
        int64_t from, to;
        const lr_rp_offset_t *from_offsets, *to_offsets;
        size_t from_offsets_cnt, to_offsets_cnt;
} lr_rp_input_opts_t;

/* Opens every stream (Kafka: metadata, watermarks, start offsets) without
 * reading yet. NULL with errstr when an input cannot be opened. */
lr_rp_input_t *lr_rp_input_open(const lr_rp_input_opts_t *o, char *errstr,
                                size_t errstr_size);
/* Starts the reading thread. */
void lr_rp_input_start(lr_rp_input_t *in);
void lr_rp_input_free(lr_rp_input_t *in);

size_t lr_rp_input_stream_cnt(const lr_rp_input_t *in);
const lr_rp_stream_t *lr_rp_input_stream(const lr_rp_input_t *in, size_t i);
/* The Kafka stream of "<topic>:<partition>", or -1. */
int lr_rp_input_find(const lr_rp_input_t *in, const char *key);
/* Whether the input is Kafka's (positions of recorded decisions name its
 * streams). */
int lr_rp_input_is_kafka(const lr_rp_input_t *in);

/* The next item of stream i, waiting for it; NULL at the end of the
 * stream or after a failure (lr_rp_input_failed). */
lr_rp_item_t *lr_rp_input_head(lr_rp_input_t *in, size_t i);
/* Drops the head of stream i (clearing what its event still owns). */
void lr_rp_input_pop(lr_rp_input_t *in, size_t i);
/* The offset after the last item popped from stream i (its start before
 * any), or INT64_MAX once the stream has ended: every item below it has
 * been handed out. */
int64_t lr_rp_input_taken(const lr_rp_input_t *in, size_t i);

/* 1 with errstr when reading failed (an unreadable file, a broker that
 * stopped answering): the replay is incomplete. */
int lr_rp_input_failed(lr_rp_input_t *in, char *errstr, size_t errstr_size);

/* How far the reading is, 0..1 (offsets or bytes handed out). */
double lr_rp_input_progress(const lr_rp_input_t *in);

/* Items that were bad (dead letters for the worker) so far. */
int64_t lr_rp_input_bad(const lr_rp_input_t *in);

/* ---- shared with replay_compare.c ---- */

/* A consumer for reading topics with rd_kafka_assign(): the config's
 * kafka.* settings, a group.id of its own (never joined, nothing
 * committed), partition EOF events on. error_cb/opaque may be NULL. */
rd_kafka_t *lr_rp_reader_new(const lr_config_t *cfg,
                             void (*error_cb)(rd_kafka_t *, int, const char *,
                                              void *),
                             void *opaque, char *errstr, size_t errstr_size);

/* The number of partitions of topic. 0, or -1 with errstr. */
int lr_rp_partitions(rd_kafka_t *rk, const char *topic, int *n, char *errstr,
                     size_t errstr_size);

/* An Avro file's schema as JSON text (malloc()ed), NULL when too large. */
char *lr_rp_schema_text(avro_schema_t schema);

/* v written as a Confluent-framed message with schema id `id` into a
 * malloc()ed buffer. 0, or -1 (avro_strerror() says why). */
int lr_rp_frame_value(avro_value_t *v, int32_t id, void **buf, size_t *len);

#endif
