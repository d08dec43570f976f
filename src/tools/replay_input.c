/*
 * replay_input.c - see replay_input.h.
 *
 * Reading threads (two, each serving every other stream) top up each
 * stream's ring of decoded items and the replay's thread takes them, so
 * decoding (the larger share of a replay's work) runs beside the routing. A
 * ring is a single-producer single-consumer queue; either side sleeps on a
 * condition variable only when it has nothing to do.
 *
 * Kafka: a consumer with a group.id of its own, which rd_kafka_assign()
 * needs and which is never joined; each partition has its own queue
 * (rd_kafka_queue_get_partition), so a partition the replay is not taking
 * from stops being fetched once its queue is full: memory stays bounded
 * however the topics' event times interleave. A partition is read from its
 * start offset to the high watermark read when the replay began (its last
 * stable offset: the consumer is read_committed, like the worker), so a
 * replay of a live topic ends.
 *
 * --from TIME asks the broker for the first offset at TIME
 * (offsets-for-times, which uses the messages' timestamps, not event
 * times); an answer at the log end (the dev broker always gives one) or no
 * answer starts at the beginning instead. Either way every event is also
 * checked against --from/--to by its event time.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <avro.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "leadrouter/codec.h"
#include "log.h"
#include "replay_input.h"
#include "schema_ids.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_RP_RING_KAFKA 1024
#define LR_RP_RING_FILE 8192
#define LR_RP_BATCH 256
#define LR_RP_TIMEOUT_MS 10000 /* metadata and watermark queries */
#define LR_RP_STALL_MS                                                         \
        60000                       /* no message from a partition that has    \
                                     * more: the broker is gone */
#define LR_RP_PRIVATE_ID 0x7ff00000 /* schema ids of Avro files' schemas */
#define LR_RP_BAD_LOGGED 5
#define LR_RP_READERS 2 /* reading threads at most */

typedef struct lr_rp_ring_s {
        lr_rp_item_t *v;
        size_t cap;
        atomic_size_t head, tail;
        atomic_int done; /* no item will be added */
} lr_rp_ring_t;

typedef enum { LR_RP_KAFKA, LR_RP_JSONL, LR_RP_AVRO } lr_rp_kind_t;

typedef struct lr_rp_src_s {
        lr_rp_stream_t info;
        lr_rp_kind_t kind;
        lr_rp_ring_t ring;
        atomic_llong taken; /* offset after the last popped item */
        /* Kafka */
        rd_kafka_queue_t *q;
        int64_t last_msg_ms; /* monotonic time of its last message */
        /* files */
        FILE *fp;
        char *line;
        size_t line_size;
        int64_t lineno, size;
        atomic_llong read;                       /* bytes, for the progress */
        int64_t counts[LR_TOPIC_REP_STATUS + 1]; /* records per topic */
        avro_file_reader_t avro;
        avro_value_iface_t *avro_cls;
        avro_value_t avro_value;
        int32_t avro_id;
        int avro_kind;
} lr_rp_src_t;

struct lr_rp_input_s {
        lr_rp_input_opts_t o;
        lr_rp_src_t *src;
        size_t cnt;
        int kafka;
        rd_kafka_t *rk;
        lr_codec_t *codec; /* Kafka: the config's registry, if any */
        struct lr_rp_reader_s *readers;
        size_t readers_cnt; /* started */
        atomic_int stop, failed;
        char errstr[512];
        atomic_llong bad;
        /* sleeping */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        atomic_int main_waiting, reader_waiting; /* how many wait */
};

/* Waits on in->cond (in->lock held) for a signal or 20 ms, whichever
 * comes first: a producer or consumer that missed a broadcast looks
 * again. */
static void lr_rp_wait(lr_rp_input_t *in) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&in->cond, &in->lock, &ts);
}

/* A reading thread: it serves streams first, first + step, ... */
typedef struct lr_rp_reader_s {
        lr_rp_input_t *in;
        size_t first, step;
        pthread_t thread;
} lr_rp_reader_t;

/* ---- rings ------------------------------------------------------------ */

static void lr_rp_ring_init(lr_rp_ring_t *r, size_t cap) {
        r->v   = lr_xcalloc(cap, sizeof(*r->v));
        r->cap = cap;
        atomic_init(&r->head, 0);
        atomic_init(&r->tail, 0);
        atomic_init(&r->done, 0);
}

static void lr_rp_ring_free(lr_rp_ring_t *r) {
        size_t h = atomic_load(&r->head), t = atomic_load(&r->tail);
        for (; h < t; h++)
                lr_event_clear(&r->v[h % r->cap].ev);
        free(r->v);
}

static size_t lr_rp_ring_free_slots(lr_rp_ring_t *r) {
        return r->cap - (atomic_load(&r->tail) - atomic_load(&r->head));
}

static void lr_rp_wake(lr_rp_input_t *in, atomic_int *waiting) {
        if (atomic_load(waiting)) {
                pthread_mutex_lock(&in->lock);
                pthread_cond_broadcast(&in->cond);
                pthread_mutex_unlock(&in->lock);
        }
}

/* The slot the reader fills next (there is room). */
static lr_rp_item_t *lr_rp_slot(lr_rp_src_t *s) {
        lr_rp_item_t *it = &s->ring.v[atomic_load(&s->ring.tail) % s->ring.cap];
        memset(it, 0, sizeof(*it));
        it->partition = s->info.partition;
        it->topic     = s->info.topic;
        return it;
}

static void lr_rp_push(lr_rp_input_t *in, lr_rp_src_t *s) {
        lr_rp_item_t *it = &s->ring.v[atomic_load(&s->ring.tail) % s->ring.cap];
        if (it->status == LR_RP_ITEM_OK) {
                it->time = lr_event_time(&it->ev);
                if ((in->o.has_from && it->time < in->o.from) ||
                    (in->o.has_to && it->time >= in->o.to))
                        it->status = LR_RP_ITEM_OUT;
        }
        atomic_fetch_add(&s->ring.tail, 1);
}

static void lr_rp_end(lr_rp_input_t *in, lr_rp_src_t *s) {
        atomic_store(&s->ring.done, 1);
        lr_rp_wake(in, &in->main_waiting);
}

static void lr_rp_fail(lr_rp_input_t *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void lr_rp_fail(lr_rp_input_t *in, const char *fmt, ...) {
        va_list ap;
        pthread_mutex_lock(&in->lock); /* the first failure is the one told */
        if (!atomic_load(&in->failed)) {
                va_start(ap, fmt);
                vsnprintf(in->errstr, sizeof(in->errstr), fmt, ap);
                va_end(ap);
                atomic_store(&in->failed, 1);
        }
        pthread_cond_broadcast(&in->cond);
        pthread_mutex_unlock(&in->lock);
}

static void lr_rp_bad(lr_rp_input_t *in, lr_rp_item_t *it, const char *where,
                      const char *why) {
        if (atomic_fetch_add(&in->bad, 1) < LR_RP_BAD_LOGGED)
                lr_warn("replay",
                        "%s: not applied (the worker dead-letters "
                        "it): %s",
                        where, why);
        lr_event_clear(&it->ev);
        it->status = LR_RP_ITEM_BAD;
}

static lr_event_kind_t lr_rp_topic_event(int topic) {
        return topic == LR_TOPIC_LEAD_CREATED   ? LR_EV_LEAD_CREATED
               : topic == LR_TOPIC_CALL_OUTCOME ? LR_EV_CALL_OUTCOME
                                                : LR_EV_REP_STATUS;
}

/* ---- Kafka ------------------------------------------------------------ */

static void lr_rp_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                                 void *opaque) {
        lr_rp_input_t *in = opaque;
        (void)rk;
        if (err == RD_KAFKA_RESP_ERR__FATAL)
                lr_rp_fail(in, "kafka: %s", reason);
        else
                lr_debug("replay", "kafka: %s", reason);
}

/* The offset a bound gives partition p of topic, or -1. */
static int64_t lr_rp_bound(const lr_rp_offset_t *b, size_t cnt,
                           const char *topic, int32_t p) {
        int64_t v = -1;
        size_t i;
        for (i = 0; i < cnt; i++) {
                if (b[i].topic && strcmp(b[i].topic, topic))
                        continue;
                if (b[i].partition >= 0 && b[i].partition != p)
                        continue;
                v = b[i].offset; /* the last that applies wins */
        }
        return v;
}

int lr_rp_partitions(rd_kafka_t *rk, const char *topic, int *n, char *errstr,
                     size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;

        err = rd_kafka_metadata(rk, 0, rkt, &md, LR_RP_TIMEOUT_MS);
        rd_kafka_topic_destroy(rkt);
        if (err) {
                snprintf(errstr, errstr_size, "metadata of topic %s: %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        if (md->topic_cnt != 1 || md->topics[0].err ||
            md->topics[0].partition_cnt == 0) {
                snprintf(errstr, errstr_size, "topic %s: %s", topic,
                         md->topic_cnt == 1 && md->topics[0].err
                             ? rd_kafka_err2str(md->topics[0].err)
                             : "no partitions");
                rd_kafka_metadata_destroy(md);
                return -1;
        }
        *n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        return 0;
}

rd_kafka_t *lr_rp_reader_new(const lr_config_t *cfg,
                             void (*error_cb)(rd_kafka_t *, int, const char *,
                                              void *),
                             void *opaque, char *errstr, size_t errstr_size) {
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        char group[128], queued[32];

        if (!strcmp(cfg->bootstrap_servers, "embedded")) {
                snprintf(errstr, errstr_size,
                         "kafka.bootstrap.servers is embedded, a broker "
                         "started inside the worker: it holds no history to "
                         "replay (give the broker's address, or --input "
                         "FILE)");
                return NULL;
        }
        if (!(conf = lr_kafka_conf_new(cfg, LR_KAFKA_READER,
                                       cfg->bootstrap_servers, errstr,
                                       errstr_size)))
                return NULL;
        /* assign() needs a group.id; this one is never joined */
        snprintf(group, sizeof(group), "leadrouter-replay-%ld-%" PRId64,
                 (long)getpid(), lr_now_ms());
        snprintf(queued, sizeof(queued), "%d", 2 * LR_RP_RING_KAFKA);
        if (rd_kafka_conf_set(conf, "group.id", group, errstr, errstr_size) ||
            rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr,
                              errstr_size) ||
            rd_kafka_conf_set(conf, "queued.min.messages", queued, errstr,
                              errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        if (error_cb)
                rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_opaque(conf, opaque);
        if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size)))
                rd_kafka_conf_destroy(conf);
        return rk;
}

static int lr_rp_kafka_streams(lr_rp_input_t *in, char *errstr,
                               size_t errstr_size) {
        const lr_config_t *cfg = in->o.cfg;
        int t;

        for (t = LR_TOPIC_LEAD_CREATED; t <= LR_TOPIC_REP_STATUS; t++) {
                const char *topic = cfg->topics[t];
                rd_kafka_resp_err_t err;
                int p, n;

                if (lr_rp_partitions(in->rk, topic, &n, errstr, errstr_size))
                        return -1;
                in->src = lr_xrealloc(in->src,
                                      (in->cnt + (size_t)n) * sizeof(*in->src));
                for (p = 0; p < n; p++) {
                        lr_rp_src_t *s = &in->src[in->cnt++];
                        char name[512];
                        memset(s, 0, sizeof(*s));
                        snprintf(name, sizeof(name), "%s:%d", topic, p);
                        s->kind           = LR_RP_KAFKA;
                        s->info.name      = lr_xstrdup(name);
                        s->info.is_kafka  = 1;
                        s->info.topic     = t;
                        s->info.partition = p;
                        err               = rd_kafka_query_watermark_offsets(
                                          in->rk, topic, p, &s->info.low, &s->info.high,
                                          LR_RP_TIMEOUT_MS);
                        if (err) {
                                snprintf(errstr, errstr_size,
                                         "watermarks of %s: %s", name,
                                         rd_kafka_err2str(err));
                                return -1;
                        }
                }
        }
        return 0;
}

/* Start and end offsets of every partition. */
static int lr_rp_kafka_range(lr_rp_input_t *in, char *errstr,
                             size_t errstr_size) {
        const lr_config_t *cfg             = in->o.cfg;
        rd_kafka_topic_partition_list_t *l = NULL;
        size_t i;

        if (in->o.has_from) {
                rd_kafka_resp_err_t err;
                l = rd_kafka_topic_partition_list_new((int)in->cnt);
                for (i = 0; i < in->cnt; i++)
                        rd_kafka_topic_partition_list_add(
                            l, cfg->topics[in->src[i].info.topic],
                            in->src[i].info.partition)
                            ->offset = in->o.from;
                err = rd_kafka_offsets_for_times(in->rk, l, LR_RP_TIMEOUT_MS);
                if (err) {
                        lr_warn("replay",
                                "offsets for --from: %s: reading the input "
                                "topics from their beginning",
                                rd_kafka_err2str(err));
                        rd_kafka_topic_partition_list_destroy(l);
                        l = NULL;
                }
        }
        for (i = 0; i < in->cnt; i++) {
                lr_rp_stream_t *si = &in->src[i].info;
                const char *topic  = cfg->topics[si->topic];
                int64_t b;

                si->start = si->low;
                si->end   = si->high;
                if (l) {
                        int64_t o = l->elems[i].err ? -1 : l->elems[i].offset;
                        /* at the log end: the dev broker's answer to any
                         * time, or nothing stamped after it */
                        if (o >= si->low && o < si->high)
                                si->start = o;
                }
                if ((b = lr_rp_bound(in->o.from_offsets, in->o.from_offsets_cnt,
                                     topic, si->partition)) >= 0)
                        si->start = b > si->low ? b : si->low;
                if ((b = lr_rp_bound(in->o.to_offsets, in->o.to_offsets_cnt,
                                     topic, si->partition)) >= 0 &&
                    b < si->end)
                        si->end = b;
                if (si->end < si->start)
                        si->end = si->start;
                atomic_init(&in->src[i].taken, si->start);
        }
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        (void)errstr;
        (void)errstr_size;
        return 0;
}

static int lr_rp_kafka_open(lr_rp_input_t *in, char *errstr,
                            size_t errstr_size) {
        const lr_config_t *cfg = in->o.cfg;
        rd_kafka_topic_partition_list_t *assign;
        rd_kafka_resp_err_t err;
        size_t i;

        if (!(in->codec = lr_schema_ids_codec_new(cfg, errstr, errstr_size)) ||
            !(in->rk = lr_rp_reader_new(cfg, lr_rp_kafka_error_cb, in, errstr,
                                        errstr_size)))
                return -1;
        if (lr_rp_kafka_streams(in, errstr, errstr_size) ||
            lr_rp_kafka_range(in, errstr, errstr_size))
                return -1;
        /* Each partition's own queue, taken from the consumer queue before
         * assign() starts fetching (so no message goes there first). */
        assign = rd_kafka_topic_partition_list_new((int)in->cnt);
        for (i = 0; i < in->cnt; i++) {
                lr_rp_src_t *s = &in->src[i];
                lr_rp_ring_init(&s->ring, LR_RP_RING_KAFKA);
                if (s->info.start >= s->info.end) {
                        atomic_store(&s->ring.done, 1);
                        continue;
                }
                s->q = rd_kafka_queue_get_partition(
                    in->rk, cfg->topics[s->info.topic], s->info.partition);
                if (!s->q) {
                        snprintf(errstr, errstr_size, "no queue for %s",
                                 s->info.name);
                        rd_kafka_topic_partition_list_destroy(assign);
                        return -1;
                }
                rd_kafka_queue_forward(s->q, NULL);
                s->last_msg_ms = lr_mono_ms();
                rd_kafka_topic_partition_list_add(
                    assign, cfg->topics[s->info.topic], s->info.partition)
                    ->offset = s->info.start;
        }
        err = assign->cnt ? rd_kafka_assign(in->rk, assign)
                          : RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_topic_partition_list_destroy(assign);
        if (err) {
                snprintf(errstr, errstr_size, "assign: %s",
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

/* Reads up to n messages of s (waiting up to timeout_ms for the first).
 * Returns how many items it added or ended the stream with. */
static size_t lr_rp_kafka_fill(lr_rp_input_t *in, lr_rp_src_t *s, size_t n,
                               int timeout_ms) {
        rd_kafka_message_t *msgs[LR_RP_BATCH];
        ssize_t got, k;
        size_t added = 0;

        if (n > LR_RP_BATCH)
                n = LR_RP_BATCH;
        got = rd_kafka_consume_batch_queue(s->q, timeout_ms, msgs, n);
        if (got < 0) {
                lr_rp_fail(in, "reading %s: %s", s->info.name,
                           rd_kafka_err2str(rd_kafka_last_error()));
                return 0;
        }
        if (got > 0)
                s->last_msg_ms = lr_mono_ms();
        for (k = 0; k < got; k++) {
                rd_kafka_message_t *m = msgs[k];
                int done              = atomic_load(&s->ring.done);
                if (done) {
                } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (m->offset >= s->info.end) {
                                lr_rp_end(in, s);
                                added++;
                        }
                } else if (m->err) {
                        if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                            m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                            m->err ==
                                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                                lr_rp_fail(in, "reading %s: %s", s->info.name,
                                           rd_kafka_message_errstr(m));
                        else
                                lr_warn("replay", "reading %s: %s",
                                        s->info.name,
                                        rd_kafka_message_errstr(m));
                } else if (m->offset >= s->info.end) {
                        lr_rp_end(in, s);
                        added++;
                } else {
                        lr_rp_item_t *it = lr_rp_slot(s);
                        char why[256], where[600];
                        it->offset = it->seq = m->offset;
                        if (lr_codec_decode(in->codec,
                                            lr_rp_topic_event(s->info.topic),
                                            m->payload, m->len, &it->ev, why,
                                            sizeof(why)) != LR_CODEC_OK) {
                                snprintf(where, sizeof(where), "%s@%" PRId64,
                                         s->info.name, (int64_t)m->offset);
                                lr_rp_bad(in, it, where, why);
                        }
                        lr_rp_push(in, s);
                        added++;
                        if (m->offset + 1 >= s->info.end)
                                lr_rp_end(in, s);
                }
                rd_kafka_message_destroy(m);
        }
        return added;
}

/* ---- files ------------------------------------------------------------ */

static int lr_rp_json_line(lr_rp_input_t *in, lr_rp_src_t *s, const char *line,
                           size_t len) {
        const lr_config_t *cfg = in->o.cfg;
        json_error_t je;
        json_t *root = json_loadb(line, len, 0, &je), *event;
        const char *topic;
        lr_rp_item_t *it;
        char why[256], where[600];
        int t;

        if (!root) {
                lr_rp_fail(in, "%s:%" PRId64 ": not JSON: %s", s->info.name,
                           s->lineno, je.text);
                return -1;
        }
        event = json_object_get(root, "event");
        topic = json_string_value(json_object_get(root, "topic"));
        if (!json_is_object(event) || !topic) {
                lr_rp_fail(in,
                           "%s:%" PRId64 ": not an event envelope "
                           "{\"topic\": ..., \"event\": {...}} as `leadrouter "
                           "generate` writes",
                           s->info.name, s->lineno);
                json_decref(root);
                return -1;
        }
        t = lr_config_topic_kind(cfg, topic);
        if (t < LR_TOPIC_LEAD_CREATED || t > LR_TOPIC_REP_STATUS) {
                lr_rp_fail(in,
                           "%s:%" PRId64 ": topic \"%s\" is not an input "
                           "topic of the configuration (topics.*)",
                           s->info.name, s->lineno, topic);
                json_decref(root);
                return -1;
        }
        it         = lr_rp_slot(s);
        it->topic  = t;
        it->seq    = s->lineno;
        it->offset = s->counts[t]++;
        if (lr_codec_decode_json(in->codec, lr_rp_topic_event(t), event,
                                 &it->ev, why, sizeof(why)) != LR_CODEC_OK) {
                snprintf(where, sizeof(where), "%s:%" PRId64, s->info.name,
                         s->lineno);
                lr_rp_bad(in, it, where, why);
        }
        json_decref(root);
        lr_rp_push(in, s);
        return 0;
}

static size_t lr_rp_jsonl_fill(lr_rp_input_t *in, lr_rp_src_t *s, size_t n) {
        size_t added = 0;
        ssize_t len;

        while (added < n) {
                const char *p;
                len = getline(&s->line, &s->line_size, s->fp);
                if (len < 0) {
                        if (ferror(s->fp))
                                lr_rp_fail(in, "%s: %s", s->info.name,
                                           strerror(errno));
                        lr_rp_end(in, s);
                        return added + 1;
                }
                s->lineno++;
                atomic_fetch_add(&s->read, len);
                for (p = s->line;
                     *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'; p++)
                        ;
                if (!*p)
                        continue;
                if (lr_rp_json_line(in, s, s->line, (size_t)len)) {
                        lr_rp_end(in, s);
                        return added + 1;
                }
                added++;
        }
        return added;
}

static size_t lr_rp_avro_fill(lr_rp_input_t *in, lr_rp_src_t *s, size_t n) {
        size_t added = 0;

        while (added < n) {
                lr_rp_item_t *it;
                char why[256], where[600];
                void *buf;
                size_t size = 0;
                int rc = avro_file_reader_read_value(s->avro, &s->avro_value);
                if (rc == EOF) {
                        lr_rp_end(in, s);
                        return added + 1;
                }
                if (rc) {
                        lr_rp_fail(in, "%s: record %" PRId64 ": %s",
                                   s->info.name, s->lineno + 1,
                                   avro_strerror());
                        lr_rp_end(in, s);
                        return added + 1;
                }
                it         = lr_rp_slot(s);
                it->topic  = s->info.topic;
                it->seq    = s->lineno;
                it->offset = s->lineno++;
                /* framed with the file's schema, read as the worker reads
                 * a message of that writer schema */
                if (lr_rp_frame_value(&s->avro_value, s->avro_id, &buf,
                                      &size)) {
                        lr_rp_fail(in, "%s: record %" PRId64 ": %s",
                                   s->info.name, s->lineno, avro_strerror());
                        lr_rp_end(in, s);
                        return added + 1;
                }
                if (lr_codec_decode(in->codec, (lr_event_kind_t)s->avro_kind,
                                    buf, size, &it->ev, why,
                                    sizeof(why)) != LR_CODEC_OK) {
                        snprintf(where, sizeof(where), "%s: record %" PRId64,
                                 s->info.name, s->lineno);
                        lr_rp_bad(in, it, where, why);
                }
                free(buf);
                lr_rp_push(in, s);
                added++;
        }
        return added;
}

int lr_rp_frame_value(avro_value_t *v, int32_t id, void **buf, size_t *len) {
        uint8_t *out;
        size_t size = 0;
        avro_writer_t w;
        int rc;

        if (avro_value_sizeof(v, &size) || !(out = malloc(5 + size)))
                return -1;
        out[0] = 0;
        out[1] = (uint8_t)(id >> 24);
        out[2] = (uint8_t)(id >> 16);
        out[3] = (uint8_t)(id >> 8);
        out[4] = (uint8_t)id;
        w      = avro_writer_memory((const char *)out + 5, (int64_t)size);
        rc     = !w || avro_value_write(w, v);
        if (w)
                avro_writer_free(w);
        if (rc) {
                free(out);
                return -1;
        }
        *buf = out;
        *len = 5 + size;
        return 0;
}

char *lr_rp_schema_text(avro_schema_t schema) {
        size_t size = 4096;
        for (;;) {
                char *buf       = lr_xcalloc(size, 1);
                avro_writer_t w = avro_writer_memory(buf, (int64_t)size - 1);
                int rc          = avro_schema_to_json(schema, w);
                avro_writer_free(w);
                if (!rc)
                        return buf;
                free(buf);
                if (size > (1u << 24))
                        return NULL;
                size *= 4;
        }
}

static int lr_rp_avro_open(lr_rp_input_t *in, lr_rp_src_t *s, size_t idx,
                           char *errstr, size_t errstr_size) {
        avro_schema_t schema;
        const char *name;
        char *text = NULL;
        int t, rc = -1;

        if (avro_file_reader(s->info.name, &s->avro)) {
                snprintf(errstr, errstr_size,
                         "%s: not an Avro object container file: %s",
                         s->info.name, avro_strerror());
                s->avro = NULL;
                return -1;
        }
        /* a reference of ours */
        schema = avro_file_reader_get_writer_schema(s->avro);
        name   = schema ? avro_schema_name(schema) : NULL;
        for (t = LR_TOPIC_LEAD_CREATED; t <= LR_TOPIC_REP_STATUS; t++)
                if (name && is_avro_record(schema) &&
                    !strcmp(name, lr_event_kind_name(lr_rp_topic_event(t))))
                        break;
        if (t > LR_TOPIC_REP_STATUS) {
                snprintf(errstr, errstr_size,
                         "%s: records of %s, not of an input schema "
                         "(LeadCreated, CallOutcome, RepStatus)",
                         s->info.name, name ? name : "(none)");
                goto done;
        }
        s->info.topic = t;
        s->avro_kind  = lr_rp_topic_event(t);
        s->avro_id    = LR_RP_PRIVATE_ID + (int32_t)idx;
        if (!(text = lr_rp_schema_text(schema))) {
                snprintf(errstr, errstr_size, "%s: schema too large",
                         s->info.name);
                goto done;
        }
        if (lr_codec_add_writer(in->codec, s->avro_id, text, errstr,
                                errstr_size) != LR_CODEC_OK)
                goto done;
        s->avro_cls = avro_generic_class_from_schema(schema);
        if (!s->avro_cls ||
            avro_generic_value_new(s->avro_cls, &s->avro_value)) {
                if (s->avro_cls)
                        avro_value_iface_decref(s->avro_cls);
                s->avro_cls = NULL;
                snprintf(errstr, errstr_size, "%s: %s", s->info.name,
                         avro_strerror());
                goto done;
        }
        rc = 0;
done:
        free(text);
        if (schema)
                avro_schema_decref(schema);
        return rc;
}

static int lr_rp_files_open(lr_rp_input_t *in, char *errstr,
                            size_t errstr_size) {
        size_t i;

        if (!(in->codec = lr_codec_new(NULL, errstr, errstr_size)))
                return -1;
        in->src = lr_xcalloc(in->o.files_cnt, sizeof(*in->src));
        for (i = 0; i < in->o.files_cnt; i++) {
                lr_rp_src_t *s         = &in->src[in->cnt++];
                unsigned char magic[4] = {0};
                struct stat st;
                s->info.name  = lr_xstrdup(in->o.files[i]);
                s->info.topic = -1;
                /* not a Kafka partition: -1, -2, ... by --input order */
                s->info.partition = -(int32_t)i - 1;
                lr_rp_ring_init(&s->ring, LR_RP_RING_FILE);
                if (!(s->fp = fopen(s->info.name, "rb"))) {
                        snprintf(errstr, errstr_size, "%s: %s", s->info.name,
                                 strerror(errno));
                        return -1;
                }
                if (!fstat(fileno(s->fp), &st))
                        s->size = st.st_size;
                if (fread(magic, 1, 4, s->fp) == 4 &&
                    !memcmp(magic, "Obj\1", 4)) {
                        fclose(s->fp);
                        s->fp   = NULL;
                        s->kind = LR_RP_AVRO;
                        if (lr_rp_avro_open(in, s, i, errstr, errstr_size))
                                return -1;
                } else {
                        rewind(s->fp);
                        s->kind = LR_RP_JSONL;
                }
        }
        return 0;
}

/* ---- the reading thread ----------------------------------------------- */

static size_t lr_rp_fill(lr_rp_input_t *in, lr_rp_src_t *s, size_t n,
                         int timeout_ms) {
        switch (s->kind) {
        case LR_RP_KAFKA:
                return lr_rp_kafka_fill(in, s, n, timeout_ms);
        case LR_RP_JSONL:
                return lr_rp_jsonl_fill(in, s, n);
        default:
                return lr_rp_avro_fill(in, s, n);
        }
}

static void *lr_rp_reader(void *opaque) {
        lr_rp_reader_t *rd = opaque;
        lr_rp_input_t *in  = rd->in;
        size_t i;

        prctl(PR_SET_NAME, "lr-replay-read", 0, 0, 0); /* for top, perf */
        while (!atomic_load(&in->stop) && !atomic_load(&in->failed)) {
                size_t did = 0, open = 0, waiting = (size_t)-1;
                if (in->kafka && rd->first == 0)
                        rd_kafka_poll(in->rk, 0);
                for (i = rd->first; i < in->cnt; i += rd->step) {
                        lr_rp_src_t *s = &in->src[i];
                        size_t room;
                        if (atomic_load(&s->ring.done))
                                continue;
                        open++;
                        room = lr_rp_ring_free_slots(&s->ring);
                        if (!room)
                                continue;
                        if (room > LR_RP_BATCH)
                                room = LR_RP_BATCH;
                        if (waiting == (size_t)-1)
                                waiting = i;
                        did += lr_rp_fill(in, s, room, 0);
                        if (s->kind == LR_RP_KAFKA && s->last_msg_ms &&
                            lr_mono_ms() - s->last_msg_ms > LR_RP_STALL_MS)
                                lr_rp_fail(in,
                                           "reading %s: no message for %d s "
                                           "before its end offset %" PRId64,
                                           s->info.name, LR_RP_STALL_MS / 1000,
                                           s->info.end);
                }
                if (did)
                        lr_rp_wake(in, &in->main_waiting);
                if (!open)
                        break;
                if (did)
                        continue;
                if (in->kafka && waiting != (size_t)-1) {
                        /* nothing ready: wait on a partition that has
                         * room */
                        if (lr_rp_fill(
                                in, &in->src[waiting],
                                lr_rp_ring_free_slots(&in->src[waiting].ring),
                                10))
                                lr_rp_wake(in, &in->main_waiting);
                        continue;
                }
                /* every ring is full: wait for the replay to take some */
                pthread_mutex_lock(&in->lock);
                atomic_fetch_add(&in->reader_waiting, 1);
                {
                        int full = 1;
                        for (i = rd->first; i < in->cnt && full; i += rd->step)
                                if (!atomic_load(&in->src[i].ring.done) &&
                                    lr_rp_ring_free_slots(&in->src[i].ring))
                                        full = 0;
                        if (full && !atomic_load(&in->stop)) {
                                lr_rp_wait(in);
                        }
                }
                atomic_fetch_sub(&in->reader_waiting, 1);
                pthread_mutex_unlock(&in->lock);
        }
        for (i = rd->first; i < in->cnt; i += rd->step)
                atomic_store(&in->src[i].ring.done, 1);
        lr_rp_wake(in, &in->main_waiting);
        return NULL;
}

/* ---- the API ---------------------------------------------------------- */

lr_rp_input_t *lr_rp_input_open(const lr_rp_input_opts_t *o, char *errstr,
                                size_t errstr_size) {
        lr_rp_input_t *in = lr_xcalloc(1, sizeof(*in));
        int rc;

        in->o     = *o;
        in->kafka = o->files_cnt == 0;
        pthread_mutex_init(&in->lock, NULL);
        pthread_cond_init(&in->cond, NULL);
        rc = in->kafka ? lr_rp_kafka_open(in, errstr, errstr_size)
                       : lr_rp_files_open(in, errstr, errstr_size);
        if (rc) {
                lr_rp_input_free(in);
                return NULL;
        }
        return in;
}

void lr_rp_input_start(lr_rp_input_t *in) {
        /* two threads when there are two streams or more: decoding is the
         * larger share of the work, the routing takes a core of its own */
        size_t n = in->cnt < LR_RP_READERS ? in->cnt : LR_RP_READERS, i;

        if (in->readers || !n)
                return;
        in->readers = lr_xcalloc(n, sizeof(*in->readers));
        for (i = 0; i < n; i++) {
                lr_rp_reader_t *rd = &in->readers[i];
                rd->in             = in;
                rd->first          = i;
                rd->step           = n;
                if (pthread_create(&rd->thread, NULL, lr_rp_reader, rd)) {
                        lr_rp_fail(in, "cannot start a reading thread");
                        break;
                }
                in->readers_cnt++;
        }
}

void lr_rp_input_free(lr_rp_input_t *in) {
        size_t i;
        if (!in)
                return;
        atomic_store(&in->stop, 1);
        lr_rp_wake(in, &in->reader_waiting);
        for (i = 0; i < in->readers_cnt; i++)
                pthread_join(in->readers[i].thread, NULL);
        free(in->readers);
        for (i = 0; i < in->cnt; i++) {
                lr_rp_src_t *s = &in->src[i];
                if (s->ring.v)
                        lr_rp_ring_free(&s->ring);
                if (s->q)
                        rd_kafka_queue_destroy(s->q);
                if (s->fp)
                        fclose(s->fp);
                free(s->line);
                if (s->avro_cls) {
                        avro_value_decref(&s->avro_value);
                        avro_value_iface_decref(s->avro_cls);
                }
                if (s->avro)
                        avro_file_reader_close(s->avro);
                free(s->info.name);
        }
        free(in->src);
        if (in->rk) {
                rd_kafka_assign(in->rk, NULL);
                rd_kafka_destroy(in->rk);
        }
        lr_codec_free(in->codec);
        pthread_mutex_destroy(&in->lock);
        pthread_cond_destroy(&in->cond);
        free(in);
}

size_t lr_rp_input_stream_cnt(const lr_rp_input_t *in) {
        return in->cnt;
}

const lr_rp_stream_t *lr_rp_input_stream(const lr_rp_input_t *in, size_t i) {
        return &in->src[i].info;
}

int lr_rp_input_find(const lr_rp_input_t *in, const char *key) {
        size_t i;
        if (!in->kafka)
                return -1;
        for (i = 0; i < in->cnt; i++)
                if (!strcmp(in->src[i].info.name, key))
                        return (int)i;
        return -1;
}

int lr_rp_input_is_kafka(const lr_rp_input_t *in) {
        return in->kafka;
}

lr_rp_item_t *lr_rp_input_head(lr_rp_input_t *in, size_t i) {
        lr_rp_ring_t *r = &in->src[i].ring;
        size_t h        = atomic_load(&r->head);

        while (h == atomic_load(&r->tail)) {
                if (atomic_load(&r->done)) {
                        /* an item pushed before done was set */
                        if (h != atomic_load(&r->tail))
                                break;
                        atomic_store(&in->src[i].taken, INT64_MAX);
                        return NULL;
                }
                if (atomic_load(&in->failed))
                        return NULL;
                pthread_mutex_lock(&in->lock);
                atomic_store(&in->main_waiting, 1);
                if (h == atomic_load(&r->tail) && !atomic_load(&r->done) &&
                    !atomic_load(&in->failed)) {
                        lr_rp_wait(in);
                }
                atomic_store(&in->main_waiting, 0);
                pthread_mutex_unlock(&in->lock);
        }
        return &r->v[h % r->cap];
}

void lr_rp_input_pop(lr_rp_input_t *in, size_t i) {
        lr_rp_src_t *s   = &in->src[i];
        lr_rp_ring_t *r  = &s->ring;
        size_t h         = atomic_load(&r->head);
        lr_rp_item_t *it = &r->v[h % r->cap];

        atomic_store(&s->taken,
                     s->info.is_kafka ? it->offset + 1 : it->seq + 1);
        lr_event_clear(&it->ev);
        atomic_store(&r->head, h + 1);
        /* the reader refills in batches: wake it for half a ring */
        if ((h + 1) % (r->cap / 2) == 0)
                lr_rp_wake(in, &in->reader_waiting);
}

int64_t lr_rp_input_taken(const lr_rp_input_t *in, size_t i) {
        const lr_rp_src_t *s = &in->src[i];
        if (atomic_load(&s->ring.done) &&
            atomic_load(&s->ring.head) == atomic_load(&s->ring.tail))
                return INT64_MAX;
        return atomic_load(&s->taken);
}

int lr_rp_input_failed(lr_rp_input_t *in, char *errstr, size_t errstr_size) {
        if (!atomic_load(&in->failed))
                return 0;
        pthread_mutex_lock(&in->lock);
        snprintf(errstr, errstr_size, "%s", in->errstr);
        pthread_mutex_unlock(&in->lock);
        return 1;
}

double lr_rp_input_progress(const lr_rp_input_t *in) {
        double done = 0, all = 0;
        size_t i;
        for (i = 0; i < in->cnt; i++) {
                const lr_rp_src_t *s = &in->src[i];
                if (s->info.is_kafka) {
                        int64_t t = atomic_load(&s->taken);
                        if (t > s->info.end)
                                t = s->info.end;
                        all += (double)(s->info.end - s->info.start);
                        done += (double)(t - s->info.start);
                } else {
                        all += (double)s->size;
                        done += (double)(atomic_load(&s->ring.done)
                                             ? s->size
                                             : atomic_load(&s->read));
                }
        }
        return all > 0 ? done / all : 1.0;
}

int64_t lr_rp_input_bad(const lr_rp_input_t *in) {
        return atomic_load(&in->bad);
}
