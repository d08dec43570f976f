/*
 * worker.c - the consume-transform-produce loop (the shape of librdkafka's
 * examples/transactions.c).
 *
 * One batch at a time: poll up to worker.batch_size messages (without
 * waiting once the queue is drained, so a light load sees small batches and
 * low latency), decode them, apply them to Redis in one pipeline, publish
 * the decisions, tier changes and dead letters, then commit the batch's
 * offsets. With kafka.transactional.id the outputs and the offsets commit in
 * one Kafka transaction; the offsets are also committed the ordinary way
 * because the dev broker does not store transactional offset commits.
 *
 * Why this is exactly-once for Redis state: every Redis function is
 * idempotent per event_id and returns the decisions it recorded, so
 * anything redelivered after a crash (offsets not yet committed) changes
 * nothing and re-publishes the same decisions with the same event_id.
 *
 * Errors: a bad message goes to the dead-letter topic; Redis unreachable
 * pauses the assigned partitions and retries the same batch with backoff,
 * committing nothing until it has been applied; a fatal Kafka error or a
 * failed delivery ends the process non-zero without committing the batch.
 *
 * Group membership: the consumer is polled at least every quarter of
 * max.poll.interval.ms, also while waiting for Redis (Redis timeouts are
 * cut to fit), so an outage does not cost the worker its partitions. A
 * batch whose partitions were revoked before it was committed is dropped:
 * the partitions' next owner reads it again from the committed offsets, and
 * two workers never apply one partition at the same time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "apply.h"
#include "dev_broker.h"
#include "explain.h"
#include "http.h"
#include "kafka.h"
#include "leadrouter/codec.h"
#include "log.h"
#include "schema_ids.h"
#include "snapshot.h"
#include "store.h"
#include "timers.h"
#include "timeutil.h"
#include "worker.h"

#define LR_BACKOFF_MIN_MS 100
#define LR_BACKOFF_MAX_MS 5000
#define LR_KEEPALIVE_MS 200 /* consumer polls while waiting */

typedef struct lr_worker_s {
        const lr_config_t *cfg;
        volatile sig_atomic_t *stop;
        lr_codec_t *codec;
        lr_store_t *store;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        lr_dev_broker_t *broker; /* kafka.bootstrap.servers: embedded */
        lr_apply_t *apply;       /* events -> Redis, rankings installed */
        lr_timers_t *timers;     /* worker.clock: who fires the timers */
        int transactional;
        int txn_failed; /* the open transaction refused a message */
        int paused;     /* partitions paused while Redis is unreachable */
        int fatal;
        char fatal_reason[512];
        /* counters, logged every LR_STATS_INTERVAL_MS */
        lr_metrics_t metrics; /* served by http (http.listen) */
        lr_http_t *http;
        int64_t stats_at;
        /* Revocations so far, and their count when the batch began: a
         * batch is dropped if they differ. */
        int64_t generation, batch_generation;
        int backoff_max_ms, hold_after_ms;
        /* Tier changes of the rankings this worker installed: in Redis'
         * outbox, published with the next outputs, acked once delivered. */
        lr_tier_changed_t *tc;
        size_t tc_cnt;
} lr_worker_t;

#define LR_STATS_INTERVAL_MS 10000

/* Per-batch working set: msgs[i] decodes into evs[i]; ops/results are the
 * decoded ones, op_msg[k] their message index. */
typedef struct lr_batch_s {
        rd_kafka_message_t **msgs;
        size_t cnt;
        lr_event_t *evs;
        char (*bad)[256]; /* dead-letter reason, "" when decoded */
        lr_store_op_t *ops;
        size_t *op_msg;
        lr_store_result_t *results;
        size_t ops_cnt;
} lr_batch_t;

static void lr_worker_sleep_ms(int ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
}

/* --- Kafka callbacks ----------------------------------------------------*/

static void lr_worker_error_cb(rd_kafka_t *rk, int err, const char *reason,
                               void *opaque) {
        lr_worker_t *w = opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char fatal[256];
                rd_kafka_resp_err_t code =
                    rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                snprintf(w->fatal_reason, sizeof(w->fatal_reason), "%s: %s: %s",
                         rd_kafka_name(rk), rd_kafka_err2str(code), fatal);
                w->fatal = 1;
                return;
        }
        lr_warn("kafka", "%s: %s", rd_kafka_name(rk), reason);
}

static void lr_worker_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                            void *opaque) {
        lr_worker_t *w = opaque;
        rd_kafka_resp_err_t err;
        char fatal[256];
        if (!m->err)
                return;
        /* After a fatal producer error the queued messages fail as
         * "purged": name the cause, not the purge. */
        if ((err = rd_kafka_fatal_error(rk, fatal, sizeof(fatal)))) {
                snprintf(w->fatal_reason, sizeof(w->fatal_reason), "%s: %s: %s",
                         rd_kafka_name(rk), rd_kafka_err2str(err), fatal);
        } else if (w->transactional) {
                /* The transaction's commit fails as abortable: it is
                 * aborted and the batch consumed again. */
                return;
        } else if (!w->fatal) {
                /* The idempotent producer has retried up to
                 * message.timeout.ms: the batch cannot be committed. */
                snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                         "delivery to %s failed: %s",
                         rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
        }
        w->fatal = 1;
}

/* Eager (the default, reliable on librdkafka 2.0.2): every revocation
 * takes all partitions and the next assignment restarts them from the
 * committed offsets. Cooperative (partition.assignment.strategy
 * cooperative-sticky, on a librdkafka where it is reliable): only some
 * partitions move and the others keep their position, which is why a
 * dropped batch rewinds what is still assigned (lr_worker_drop). */
static void lr_worker_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t *parts,
                                   void *opaque) {
        lr_worker_t *w = opaque;
        int coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *e = NULL;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                lr_info("worker", "assigned %d partition(s)", parts->cnt);
                if (coop)
                        e = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
                /* librdkafka keeps a partition paused across revoke and
                 * assign: set the state both ways. */
                if (w->paused)
                        rd_kafka_pause_partitions(rk, parts);
                else
                        rd_kafka_resume_partitions(rk, parts);
        } else {
                lr_info("worker", "revoked %d partition(s)", parts->cnt);
                if (coop)
                        e = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
                w->generation++;
        }
        if (e) {
                lr_warn("worker", "rebalance: %s", rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
        }
}

/* --- Redis availability -------------------------------------------------*/

static void lr_worker_pause(lr_worker_t *w, int pause) {
        rd_kafka_topic_partition_list_t *parts;
        if (w->paused == pause || rd_kafka_assignment(w->consumer, &parts) !=
                                      RD_KAFKA_RESP_ERR_NO_ERROR)
                return;
        if (pause)
                rd_kafka_pause_partitions(w->consumer, parts);
        else
                rd_kafka_resume_partitions(w->consumer, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        w->paused = pause;
        lr_gauge_set(&w->metrics.paused, pause);
}

/* Serves the consumer without taking messages (the partitions are paused):
 * heartbeats, rebalances, the max.poll.interval.ms clock. A message fetched
 * before the pause is rewound so it is fetched again after the resume. */
static void lr_worker_keepalive(lr_worker_t *w) {
        rd_kafka_message_t *m;
        while ((m = rd_kafka_consumer_poll(w->consumer, 0))) {
                if (!m->err) {
                        rd_kafka_topic_partition_list_t *l =
                            rd_kafka_topic_partition_list_new(1);
                        rd_kafka_error_t *e;
                        rd_kafka_topic_partition_list_add(
                            l, rd_kafka_topic_name(m->rkt), m->partition)
                            ->offset = m->offset;
                        if ((e = rd_kafka_seek_partitions(w->consumer, l,
                                                          5000)))
                                rd_kafka_error_destroy(e);
                        rd_kafka_topic_partition_list_destroy(l);
                }
                rd_kafka_message_destroy(m);
        }
}

/* While the producer has waited for a broker since `since` for longer than
 * hold_after_ms: the consumer keeps the group, partitions paused (the
 * caller resumes them). Not sooner: pausing drops the prefetched messages. */
static void lr_worker_hold(lr_worker_t *w, int64_t since) {
        if (lr_mono_ms() - since < w->hold_after_ms)
                return;
        lr_worker_pause(w, 1);
        lr_worker_keepalive(w);
}

/* Waits until Redis answers again, keeping the consumer in the group
 * (partitions paused, polled every LR_KEEPALIVE_MS). Logs once when it goes
 * and once when it is back. Returns -1 if asked to stop meanwhile, or if
 * the batch's partitions were revoked meanwhile (the batch is dropped;
 * Redis is back by then). */
static int lr_worker_wait_redis(lr_worker_t *w, const char *why) {
        int backoff   = LR_BACKOFF_MIN_MS, slept;
        int64_t since = lr_mono_ms();
        char errstr[512];

        lr_warn("worker",
                "Redis unavailable (%s): consumption paused, nothing "
                "committed, retrying",
                why);
        lr_gauge_set(&w->metrics.redis_up, 0);
        lr_worker_pause(w, 1);
        for (;;) {
                for (slept = 0; slept < backoff; slept += LR_KEEPALIVE_MS) {
                        if (*w->stop || w->fatal)
                                return -1;
                        lr_worker_keepalive(w);
                        lr_worker_sleep_ms(LR_KEEPALIVE_MS);
                }
                if (!lr_store_connect(w->store, errstr, sizeof(errstr)))
                        break;
                lr_worker_keepalive(w);
                backoff = backoff * 2 > w->backoff_max_ms ? w->backoff_max_ms
                                                          : backoff * 2;
        }
        lr_info("worker", "Redis is back after %lld ms: resuming",
                (long long)(lr_mono_ms() - since));
        lr_gauge_set(&w->metrics.redis_up, 1);
        lr_worker_pause(w, 0);
        if (w->generation != w->batch_generation) {
                lr_info("worker",
                        "partitions were revoked meanwhile: the "
                        "batch is dropped, their owner reads it again");
                return -1;
        }
        return 0;
}

/* --- Publishing ---------------------------------------------------------*/

static int lr_worker_produce(lr_worker_t *w, lr_topic_t topic, const char *key,
                             size_t keylen, void *val, size_t vallen,
                             int free_val, rd_kafka_headers_t *hdrs) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__STATE;
        /* The transaction failed already: nothing more goes into it. */
        while (!w->txn_failed) {
                err = rd_kafka_producev(
                    w->producer, RD_KAFKA_V_TOPIC(w->cfg->topics[topic]),
                    RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_VALUE(val, vallen),
                    RD_KAFKA_V_MSGFLAGS(free_val ? RD_KAFKA_MSG_F_FREE
                                                 : RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(w->producer, 10);
        }
        if (!err)
                return 0;
        if (hdrs)
                rd_kafka_headers_destroy(hdrs);
        if (free_val)
                free(val);
        /* A transaction that failed while its batch was being produced
         * (an abortable error) refuses further messages; the commit then
         * reports it, and the batch is aborted and consumed again. */
        if (w->transactional && err == RD_KAFKA_RESP_ERR__STATE &&
            !rd_kafka_fatal_error(w->producer, NULL, 0)) {
                if (!w->txn_failed)
                        lr_warn("worker",
                                "transaction failed while producing "
                                "to %s; aborting it",
                                w->cfg->topics[topic]);
                w->txn_failed = 1;
                return -1;
        }
        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                 "produce to %s failed: %s", w->cfg->topics[topic],
                 rd_kafka_err2str(err));
        w->fatal = 1;
        return -1;
}

static void lr_worker_publish_decision(lr_worker_t *w, lr_assigned_t *a) {
        char errstr[256];
        const char *version;
        void *buf;
        size_t len;

        lr_config_policy(w->cfg, a->tenant_id, &version);
        if (!a->policy_version)
                a->policy_version = strdup(version);
        if (!a->explanation)
                a->explanation = lr_explain(a);
        if (lr_codec_encode_assigned(w->codec, a, &buf, &len, errstr,
                                     sizeof(errstr))) {
                snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                         "encoding decision %s: %s", a->event_id, errstr);
                w->fatal = 1;
                return;
        }
        if (!lr_worker_produce(w, LR_TOPIC_LEAD_ASSIGNED, a->tenant_id,
                               strlen(a->tenant_id), buf, len, 1, NULL))
                lr_metric_add(&w->metrics.decisions, 1);
}

static void lr_worker_publish_tier_changes(lr_worker_t *w,
                                           lr_tier_changed_t *tc, size_t cnt) {
        char errstr[256];
        void *buf;
        size_t len, i;

        for (i = 0; i < cnt; i++) {
                lr_info("worker", "tenant %s: %s tier %d -> %d (%s)",
                        tc[i].tenant_id, tc[i].rep_id, tc[i].from_tier,
                        tc[i].to_tier, tc[i].reason);
                if (lr_codec_encode_tier_changed(w->codec, &tc[i], &buf, &len,
                                                 errstr, sizeof(errstr))) {
                        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                                 "encoding tier change: %s", errstr);
                        w->fatal = 1;
                        return;
                }
                if (!lr_worker_produce(w, LR_TOPIC_REP_TIER_CHANGED,
                                       tc[i].tenant_id, strlen(tc[i].tenant_id),
                                       buf, len, 1, NULL))
                        lr_metric_add(&w->metrics.tier_changes, 1);
        }
}

/* The original key and value, unchanged, with the reason in headers. */
static void lr_worker_dead_letter(lr_worker_t *w, const rd_kafka_message_t *m,
                                  const char *reason) {
        rd_kafka_headers_t *h = rd_kafka_headers_new(4);
        char part[16], off[24];

        snprintf(part, sizeof(part), "%d", (int)m->partition);
        snprintf(off, sizeof(off), "%lld", (long long)m->offset);
        rd_kafka_header_add(h, "error", -1, reason, -1);
        rd_kafka_header_add(h, "source_topic", -1, rd_kafka_topic_name(m->rkt),
                            -1);
        rd_kafka_header_add(h, "source_partition", -1, part, -1);
        rd_kafka_header_add(h, "source_offset", -1, off, -1);
        lr_warn("worker", "dead letter %s [%d] @%lld: %s",
                rd_kafka_topic_name(m->rkt), (int)m->partition,
                (long long)m->offset, reason);
        if (!lr_worker_produce(w, LR_TOPIC_DEAD_LETTER, m->key, m->key_len,
                               m->payload, m->len, 0, h))
                lr_metric_add(&w->metrics.dead_letters, 1);
}

/* --- Applying a batch to Redis -----------------------------------------*/

static int lr_worker_retry(void *opaque, const char *errstr) {
        return lr_worker_wait_redis(opaque, errstr);
}

static void lr_worker_tier_changes(void *opaque, lr_tier_changed_t *tc,
                                   size_t cnt) {
        lr_worker_t *w = opaque;
        lr_snapshot_changes_append(&w->tc, &w->tc_cnt, tc, cnt);
}

static const lr_apply_hooks_t lr_worker_apply_hooks = {lr_worker_retry,
                                                       lr_worker_tier_changes};

/* The shared path of apply.h: rankings installed between the days,
 * segments retried while Redis is unreachable. */
static int lr_worker_apply(lr_worker_t *w, lr_batch_t *b) {
        return lr_apply_ops(w->apply, b->ops, b->ops_cnt, b->results);
}

/* --- The batch ----------------------------------------------------------*/

static lr_event_kind_t lr_worker_topic_event(int topic) {
        return topic == LR_TOPIC_LEAD_CREATED   ? LR_EV_LEAD_CREATED
               : topic == LR_TOPIC_CALL_OUTCOME ? LR_EV_CALL_OUTCOME
                                                : LR_EV_REP_STATUS;
}

static int lr_worker_decode(lr_worker_t *w, lr_batch_t *b) {
        size_t i;
        for (i = 0; i < b->cnt; i++) {
                rd_kafka_message_t *m = b->msgs[i];
                int topic =
                    lr_config_topic_kind(w->cfg, rd_kafka_topic_name(m->rkt));
                lr_codec_err_t err;
                int backoff = LR_BACKOFF_MIN_MS;

                for (;;) {
                        err = lr_codec_decode(
                            w->codec, lr_worker_topic_event(topic), m->payload,
                            m->len, &b->evs[i], b->bad[i], sizeof(b->bad[i]));
                        if (err != LR_CODEC_ERR_REGISTRY)
                                break;
                        lr_warn("worker", "schema registry: %s; retrying",
                                b->bad[i]);
                        if (*w->stop)
                                return -1;
                        lr_worker_sleep_ms(backoff);
                        backoff = backoff * 2 > LR_BACKOFF_MAX_MS
                                      ? LR_BACKOFF_MAX_MS
                                      : backoff * 2;
                }
                if (err != LR_CODEC_OK) {
                        if (!b->bad[i][0])
                                snprintf(b->bad[i], sizeof(b->bad[i]),
                                         "undecodable message");
                        continue;
                }
                b->bad[i][0] = '\0';
                {
                        lr_store_op_t *op = &b->ops[b->ops_cnt];
                        lr_event_t *ev    = &b->evs[i];
                        op->ev            = ev;
                        op->policy =
                            lr_config_policy(w->cfg, ev->tenant_id, NULL);
                        op->lead_tier           = ev->kind == LR_EV_LEAD_CREATED
                                                      ? lr_policy_lead_tier(
                                                            op->policy, ev->u.lead.tier,
                                                            ev->u.lead.score)
                                                      : 0;
                        op->source_topic        = rd_kafka_topic_name(m->rkt);
                        op->source_partition    = m->partition;
                        op->source_offset       = m->offset;
                        op->fire_timers         = w->cfg->clock_event;
                        b->op_msg[b->ops_cnt++] = i;
                }
        }
        return 0;
}

static void lr_worker_publish(lr_worker_t *w, lr_batch_t *b) {
        size_t i, k = 0, d;
        lr_worker_publish_tier_changes(w, w->tc, w->tc_cnt);
        for (i = 0; i < b->cnt; i++) {
                lr_store_result_t *r;
                if (b->bad[i][0]) {
                        lr_worker_dead_letter(w, b->msgs[i], b->bad[i]);
                        continue;
                }
                r = &b->results[k++];
                lr_metric_add(&w->metrics.events, 1);
                if (r->status == LR_STORE_REJECTED) {
                        lr_worker_dead_letter(w, b->msgs[i], r->errstr);
                        continue;
                }
                if (r->status == LR_STORE_DUPLICATE)
                        lr_metric_add(&w->metrics.duplicates, 1);
                for (d = 0; d < r->decisions_cnt; d++)
                        lr_worker_publish_decision(w, &r->decisions[d]);
        }
}

/* The next offset of every partition in the batch. */
static rd_kafka_topic_partition_list_t *lr_worker_offsets(const lr_batch_t *b) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new((int)b->cnt);
        size_t i;
        for (i = 0; i < b->cnt; i++) {
                const rd_kafka_message_t *m = b->msgs[i];
                rd_kafka_topic_partition_t *p =
                    rd_kafka_topic_partition_list_find(
                        l, rd_kafka_topic_name(m->rkt), m->partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(
                            l, rd_kafka_topic_name(m->rkt), m->partition);
                if (m->offset + 1 > p->offset)
                        p->offset = m->offset + 1;
        }
        return l;
}

static void lr_worker_commit_offsets(lr_worker_t *w,
                                     rd_kafka_topic_partition_list_t *offsets) {
        rd_kafka_resp_err_t err = rd_kafka_commit(w->consumer, offsets, 0);
        /* After a rebalance the new owner re-reads from the last commit;
         * redelivered events are no-ops, so a lost commit costs only time. */
        if (err)
                lr_warn("worker", "offset commit: %s", rd_kafka_err2str(err));
}

/* Transactional end of the outputs: with the batch's offsets (if any) in
 * one transaction. Returns 0, or -1 when the transaction was aborted. */
static int lr_worker_commit_txn(lr_worker_t *w,
                                rd_kafka_topic_partition_list_t *offsets) {
        rd_kafka_error_t *e = NULL;
        int64_t since       = lr_mono_ms();

        /* Both calls resume after a timeout: keep the group meanwhile. */
        if (offsets) {
                rd_kafka_consumer_group_metadata_t *cgmd =
                    rd_kafka_consumer_group_metadata(w->consumer);
                while ((e = rd_kafka_send_offsets_to_transaction(
                            w->producer, offsets, cgmd, LR_KEEPALIVE_MS)) &&
                       rd_kafka_error_is_retriable(e)) {
                        rd_kafka_error_destroy(e);
                        lr_worker_hold(w, since);
                }
                rd_kafka_consumer_group_metadata_destroy(cgmd);
        }
        while (
            !e &&
            (e = rd_kafka_commit_transaction(w->producer, LR_KEEPALIVE_MS)) &&
            rd_kafka_error_is_retriable(e)) {
                rd_kafka_error_destroy(e);
                e = NULL;
                lr_worker_hold(w, since);
        }
        if (!e)
                return 0;
        if (rd_kafka_error_txn_requires_abort(e)) {
                lr_warn("worker", "transaction aborted: %s",
                        rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                e = rd_kafka_abort_transaction(w->producer, -1);
                if (e) {
                        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                                 "abort transaction: %s",
                                 rd_kafka_error_string(e));
                        w->fatal = 1;
                        rd_kafka_error_destroy(e);
                }
                return -1;
        }
        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                 "commit transaction: %s: %s", rd_kafka_error_name(e),
                 rd_kafka_error_string(e));
        w->fatal = 1;
        rd_kafka_error_destroy(e);
        return -1;
}

/* After an aborted transaction: back to the committed offsets, so the
 * batch is consumed again (its Redis effects are already recorded and are
 * re-published as they were). */
static void lr_worker_rewind(lr_worker_t *w) {
        rd_kafka_topic_partition_list_t *parts;
        rd_kafka_error_t *e;
        if (rd_kafka_assignment(w->consumer, &parts))
                return;
        if (!rd_kafka_committed(w->consumer, parts, 10000)) {
                int i;
                for (i = 0; i < parts->cnt; i++)
                        if (parts->elems[i].offset < 0)
                                parts->elems[i].offset =
                                    RD_KAFKA_OFFSET_BEGINNING;
                if ((e = rd_kafka_seek_partitions(w->consumer, parts, 10000)))
                        rd_kafka_error_destroy(e);
        }
        rd_kafka_topic_partition_list_destroy(parts);
}

/* A batch dropped because partitions were revoked under it: under the
 * cooperative protocol the partitions this worker kept are still at the
 * batch's end, so they go back to their committed offsets (eager
 * reassignments start there anyway). */
static int lr_worker_drop(lr_worker_t *w) {
        if (!*w->stop &&
            !strcmp(rd_kafka_rebalance_protocol(w->consumer), "COOPERATIVE"))
                lr_worker_rewind(w);
        return -1;
}

static void lr_worker_batch_clear(lr_batch_t *b) {
        size_t i;
        for (i = 0; i < b->cnt; i++) {
                rd_kafka_message_destroy(b->msgs[i]);
                lr_event_clear(&b->evs[i]);
        }
        for (i = 0; i < b->ops_cnt; i++)
                lr_store_result_clear(&b->results[i]);
        b->cnt     = 0;
        b->ops_cnt = 0;
}

/* Polls until batch_size messages or the queue is empty. */
static void lr_worker_collect(lr_worker_t *w, lr_batch_t *b, int max) {
        int timeout         = 100;
        w->batch_generation = w->generation;
        while ((int)b->cnt < max && !*w->stop && !w->fatal) {
                rd_kafka_message_t *m =
                    rd_kafka_consumer_poll(w->consumer, timeout);
                if (!m)
                        break;
                timeout = 0;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                lr_warn("worker", "consumer: %s",
                                        rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                memset(&b->evs[b->cnt], 0, sizeof(b->evs[b->cnt]));
                b->msgs[b->cnt++] = m;
        }
}

/* Opens the outputs of a batch or a tick: a transaction when
 * transactional. 0, or -1 (fatal). */
static int lr_worker_begin(lr_worker_t *w) {
        rd_kafka_error_t *e;
        w->txn_failed = 0;
        if (!w->transactional || !(e = rd_kafka_begin_transaction(w->producer)))
                return 0;
        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                 "begin transaction: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        w->fatal = 1;
        return -1;
}

/* Waits until the outputs since lr_worker_begin() are delivered (committed
 * with `offsets`, if any, when transactional), serving the consumer
 * meanwhile. 0, or -1 when they were not: fatal, or the transaction was
 * aborted. Then the pending tier changes are acked. */
static int lr_worker_deliver(lr_worker_t *w,
                             rd_kafka_topic_partition_list_t *offsets) {
        char errstr[512];

        if (w->transactional) {
                if (!w->fatal && lr_worker_commit_txn(w, offsets))
                        return -1;
        } else {
                int64_t since = lr_mono_ms();
                while (rd_kafka_flush(w->producer, LR_KEEPALIVE_MS) ==
                           RD_KAFKA_RESP_ERR__TIMED_OUT &&
                       !w->fatal)
                        lr_worker_hold(w, since);
        }
        lr_worker_pause(w, 0);
        if (w->fatal)
                return -1;
        /* Not acked: handed out again once the lease ends (same event_id). */
        if (w->tc_cnt && lr_store_ack(w->store, NULL, 0, w->tc, w->tc_cnt,
                                      errstr, sizeof(errstr)))
                lr_warn("worker", "acking tier changes: %s", errstr);
        lr_snapshot_changes_free(w->tc, w->tc_cnt);
        w->tc     = NULL;
        w->tc_cnt = 0;
        return 0;
}

static int lr_worker_process(lr_worker_t *w, lr_batch_t *b) {
        rd_kafka_topic_partition_list_t *offsets;
        int r;

        rd_kafka_poll(w->producer, 0); /* a fatal error before any work */
        if (w->fatal)
                return -1;
        if (w->generation != w->batch_generation)
                return lr_worker_drop(w); /* revoked while collecting */
        if (lr_worker_decode(w, b) || lr_worker_apply(w, b))
                return lr_worker_drop(w); /* stopping or revoked */
        if (lr_worker_begin(w))
                return -1;
        lr_worker_publish(w, b);
        offsets = lr_worker_offsets(b);
        r       = lr_worker_deliver(w, offsets);
        if (r && !w->fatal)
                lr_worker_rewind(w); /* aborted: consume the batch again */
        /* Revoked while the outputs were delivered: the partitions' next
         * owner publishes them again (same event_id), commits them. */
        if (!r && w->generation == w->batch_generation) {
                lr_worker_commit_offsets(w, offsets);
                lr_metric_add(&w->metrics.batches, 1);
                lr_timers_ack(w->timers, b->results, b->ops_cnt);
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        return r;
}

/* Timer decisions and tier changes (timers.h): published on their own, in
 * a transaction of their own when transactional, then acked by the caller. */
static int lr_worker_publish_timers(void *opaque, lr_store_result_t *res,
                                    size_t n) {
        lr_worker_t *w = opaque;
        size_t i, d, cnt = w->tc_cnt;

        for (i = 0; i < n; i++)
                cnt += res[i].decisions_cnt + res[i].tier_changes_cnt;
        if (!cnt || w->fatal)
                return w->fatal ? -1 : 0;
        if (lr_worker_begin(w))
                return -1;
        lr_worker_publish_tier_changes(w, w->tc, w->tc_cnt);
        for (i = 0; i < n; i++) {
                for (d = 0; d < res[i].decisions_cnt; d++)
                        lr_worker_publish_decision(w, &res[i].decisions[d]);
                lr_worker_publish_tier_changes(w, res[i].tier_changes,
                                               res[i].tier_changes_cnt);
        }
        /* Not delivered: still in the outbox, handed out again. */
        return lr_worker_deliver(w, NULL);
}

static const lr_timers_hooks_t lr_worker_timers_hooks = {
    lr_worker_publish_timers};

/* --- Set-up and the loop ------------------------------------------------*/

/* Nothing between two consumer polls may take longer than
 * max.poll.interval.ms, or the group takes the worker's partitions away:
 * a hung Redis blocks a call for its timeout, so each Redis timeout and the
 * retry backoff get at most a quarter of it. */
static void lr_worker_fit_poll_interval(lr_worker_t *w) {
        const char *v = lr_config_get(w->cfg, "kafka.max.poll.interval.ms");
        long max_poll = v ? strtol(v, NULL, 10) : 300000;
        int quarter   = max_poll > 4 ? (int)(max_poll / 4) : 1;

        w->backoff_max_ms =
            LR_BACKOFF_MAX_MS < quarter ? LR_BACKOFF_MAX_MS : quarter;
        w->hold_after_ms = w->backoff_max_ms;
        lr_store_set_timeouts(w->store, 2000 < quarter ? 2000 : quarter,
                              10000 < quarter ? 10000 : quarter);
}

/* Asks for the output topics' metadata now, while the consumer joins its
 * group: otherwise the first message to each topic waits for it (up to
 * ~0.7 s on the dev broker), holding up that batch and its decisions. The
 * metadata stays cached after the handle is gone. */
static void lr_worker_warm_producer(lr_worker_t *w) {
        int t;
        for (t = LR_TOPIC_LEAD_ASSIGNED; t < LR_TOPIC_CNT; t++) {
                rd_kafka_topic_t *rkt =
                    rd_kafka_topic_new(w->producer, w->cfg->topics[t], NULL);
                if (rkt)
                        rd_kafka_topic_destroy(rkt);
        }
}

static int lr_worker_init(lr_worker_t *w, char *errstr, size_t errstr_size) {
        const lr_config_t *cfg = w->cfg;
        const char *bootstrap  = cfg->bootstrap_servers;
        rd_kafka_conf_t *conf;
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;
        char err2[256];
        int t;

        if (*cfg->http_listen) {
                if (!(w->http = lr_http_start(cfg->http_listen, &w->metrics,
                                              errstr, errstr_size)))
                        return -1;
                lr_info("worker",
                        "http.listen %s (port %d): GET /metrics, "
                        "/healthz",
                        cfg->http_listen, lr_http_port(w->http));
        }
        if (!strcmp(bootstrap, "embedded")) {
                if (!(w->broker = lr_dev_broker_new(1, 4, errstr, errstr_size)))
                        return -1;
                bootstrap = lr_dev_broker_bootstraps(w->broker);
                lr_info("worker", "embedded dev broker at %s", bootstrap);
        }
        if (!(w->codec = lr_schema_ids_codec_new(cfg, errstr, errstr_size)) ||
            lr_schema_ids_outputs(w->codec, cfg, w->stop, errstr, errstr_size))
                return -1;
        if (!(w->store = lr_store_new(cfg->redis_url, cfg->redis_namespace,
                                      errstr, errstr_size)))
                return -1;
        lr_worker_fit_poll_interval(w);
        while (lr_store_connect(w->store, err2, sizeof(err2))) {
                lr_warn("worker", "Redis at %s: %s; retrying", cfg->redis_url,
                        err2);
                if (*w->stop)
                        return -1;
                lr_worker_sleep_ms(1000);
        }
        lr_gauge_set(&w->metrics.redis_up, 1);
        w->apply = lr_apply_new(w->store, &lr_worker_apply_hooks, w);
        w->timers =
            lr_timers_new(w->store, w->apply, cfg, &lr_worker_timers_hooks, w);

        if (!(conf = lr_kafka_conf_new(cfg, LR_KAFKA_PRODUCER, bootstrap,
                                       errstr, errstr_size)))
                return -1;
        rd_kafka_conf_set_opaque(conf, w);
        rd_kafka_conf_set_error_cb(conf, lr_worker_error_cb);
        rd_kafka_conf_set_dr_msg_cb(conf, lr_worker_dr_cb);
        w->transactional = lr_config_get(cfg, "kafka.transactional.id") != NULL;
        if (!(w->producer =
                  rd_kafka_new(RD_KAFKA_PRODUCER, conf, err2, sizeof(err2)))) {
                snprintf(errstr, errstr_size, "producer: %s", err2);
                return -1;
        }
        lr_worker_warm_producer(w);
        if (w->transactional) {
                rd_kafka_error_t *e =
                    rd_kafka_init_transactions(w->producer, 60000);
                if (e) {
                        snprintf(errstr, errstr_size,
                                 "kafka.transactional.id: init transactions: "
                                 "%s",
                                 rd_kafka_error_string(e));
                        rd_kafka_error_destroy(e);
                        return -1;
                }
        }

        if (!(conf = lr_kafka_conf_new(cfg, LR_KAFKA_CONSUMER, bootstrap,
                                       errstr, errstr_size)))
                return -1;
        rd_kafka_conf_set_opaque(conf, w);
        rd_kafka_conf_set_error_cb(conf, lr_worker_error_cb);
        rd_kafka_conf_set_rebalance_cb(conf, lr_worker_rebalance_cb);
        if (!(w->consumer =
                  rd_kafka_new(RD_KAFKA_CONSUMER, conf, err2, sizeof(err2)))) {
                snprintf(errstr, errstr_size, "consumer: %s", err2);
                return -1;
        }
        rd_kafka_poll_set_consumer(w->consumer);
        topics = rd_kafka_topic_partition_list_new(3);
        for (t = LR_TOPIC_LEAD_CREATED; t <= LR_TOPIC_REP_STATUS; t++)
                rd_kafka_topic_partition_list_add(topics, cfg->topics[t],
                                                  RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(w->consumer, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe: %s",
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static void lr_worker_destroy(lr_worker_t *w) {
        lr_http_stop(w->http);
        if (w->consumer) {
                rd_kafka_consumer_close(w->consumer);
                rd_kafka_destroy(w->consumer);
        }
        if (w->producer) {
                rd_kafka_flush(w->producer, 10000);
                rd_kafka_destroy(w->producer);
        }
        lr_snapshot_changes_free(w->tc, w->tc_cnt);
        lr_apply_free(w->apply);
        lr_timers_free(w->timers);
        lr_store_free(w->store);
        lr_codec_free(w->codec);
        lr_dev_broker_free(w->broker);
}

static void lr_worker_stats(lr_worker_t *w, int force) {
        int64_t now = lr_mono_ms();
        if (!force && now - w->stats_at < LR_STATS_INTERVAL_MS)
                return;
        w->stats_at = now;
        lr_info("worker",
                "events %lld (duplicates %lld), decisions %lld, tier changes "
                "%lld, dead letters %lld",
                lr_metric_get(&w->metrics.events),
                lr_metric_get(&w->metrics.duplicates),
                lr_metric_get(&w->metrics.decisions),
                lr_metric_get(&w->metrics.tier_changes),
                lr_metric_get(&w->metrics.dead_letters));
}

int lr_worker_run(const lr_config_t *cfg, volatile sig_atomic_t *stop) {
        lr_worker_t w;
        lr_batch_t b;
        char errstr[512];
        int n = cfg->batch_size, rc = 0;

        memset(&w, 0, sizeof(w));
        memset(&b, 0, sizeof(b));
        w.cfg      = cfg;
        w.stop     = stop;
        w.stats_at = lr_mono_ms();
        b.msgs     = calloc((size_t)n, sizeof(*b.msgs));
        b.evs      = calloc((size_t)n, sizeof(*b.evs));
        b.bad      = calloc((size_t)n, sizeof(*b.bad));
        b.ops      = calloc((size_t)n, sizeof(*b.ops));
        b.op_msg   = calloc((size_t)n, sizeof(*b.op_msg));
        b.results  = calloc((size_t)n, sizeof(*b.results));

        if (lr_worker_init(&w, errstr, sizeof(errstr))) {
                if (!*stop) {
                        lr_error("worker", "start-up failed: %s", errstr);
                        rc = 1;
                }
                goto done;
        }
        lr_info("worker",
                "running: group %s, topics %s, %s, %s; Redis %s "
                "(namespace %s)%s",
                cfg->group_id, cfg->topics[LR_TOPIC_LEAD_CREATED],
                cfg->topics[LR_TOPIC_CALL_OUTCOME],
                cfg->topics[LR_TOPIC_REP_STATUS], cfg->redis_url,
                cfg->redis_namespace, w.transactional ? ", transactional" : "");
        while (!*stop && !w.fatal) {
                int caught_up;
                lr_worker_collect(&w, &b, n);
                caught_up = (int)b.cnt < n;
                if (b.cnt)
                        lr_worker_process(&w, &b);
                lr_worker_batch_clear(&b);
                if (caught_up && !w.fatal)
                        lr_timers_run(w.timers);
                lr_worker_stats(&w, 0);
        }
        if (w.fatal) {
                lr_error("worker",
                         "fatal: %s; exiting without committing the "
                         "current batch",
                         w.fatal_reason);
                rc = 1;
        }
        lr_worker_stats(&w, 1);
done:
        lr_worker_batch_clear(&b);
        lr_worker_destroy(&w);
        free(b.msgs);
        free(b.evs);
        free(b.bad);
        free(b.ops);
        free(b.op_msg);
        free(b.results);
        if (!rc)
                lr_info("worker", "stopped");
        return rc;
}
