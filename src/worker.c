/*
 * worker.c - `leadrouter run`: the consume-transform-produce loop (the shape
 * of librdkafka's examples/transactions.c) around the routing core.
 *
 * The worker that owns input partition p (of all three topics:
 * co-partitioned) owns the routing state of every tenant whose events land
 * on p, in memory (src/route/), and decides there. Redis is the durable,
 * shared copy, written once per tenant per batch (store.h):
 *
 *   1. poll up to worker.batch_size messages (without waiting once the
 *      queue is drained), decode them; a bad one is a dead letter;
 *   2. apply them in order to their tenants (a tenant seen for the first
 *      time is claimed with this worker's epoch and loaded from Redis);
 *   3. write each changed tenant in one atomic call, pipelined, fenced by
 *      the epoch and the tenant's version;
 *   4. publish the decisions, tier changes and dead letters (an event that
 *      was applied before re-publishes what Redis recorded for it, same
 *      event_id), then commit the offsets: in one Kafka transaction with
 *      kafka.transactional.id, and the ordinary way too because the dev
 *      broker does not store transactional offset commits;
 *   5. ack the tenants' outboxes (timer decisions and tier changes have no
 *      input to be re-published from) in their next write.
 *
 * Batches overlap: batch N+1 is polled, decoded and routed (1-2) while
 * N's writes (3) are in Redis; then N is answered, published and committed
 * (4-5) before N+1's writes are sent. Anything that drops N (a fenced
 * write, an aborted transaction, a revocation) drops N+1 with it, and both
 * are read again from the committed offsets.
 *
 * A crash between 3 and 4 leaves Redis ahead of Kafka: the events are read
 * again, recognised by the tenant's input positions or event ids, and their
 * recorded decisions published again. A worker whose write is refused
 * (another worker claimed the tenant: it lost its partitions without
 * noticing) drops the batch, its tenants and its position, and waits for
 * the rebalance.
 *
 * Errors, in one place (lr_worker_prepare, lr_worker_complete): a bad
 * message is a dead letter; Redis unreachable or failing pauses the partitions
 * and retries the same writes with backoff, committing nothing; an internal
 * error (a bug, an unreadable record) or a fatal Kafka error ends the process
 * non-zero with a `fatal:` line and nothing committed past what was processed.
 * A store error never turns an event into a dead letter.
 *
 * Group membership: the consumer is polled at least every quarter of
 * max.poll.interval.ms, also while waiting for Redis or a broker, so an
 * outage does not cost the worker its partitions.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "dev_broker.h"
#include "dict.h"
#include "explain.h"
#include "http.h"
#include "kafka.h"
#include "leadrouter/codec.h"
#include "log.h"
#include "persist.h"
#include "route.h"
#include "schema_ids.h"
#include "store.h"
#include "timeutil.h"
#include "worker.h"
#include "xalloc.h"

#define LR_BACKOFF_MIN_MS 100
#define LR_BACKOFF_MAX_MS 5000
#define LR_KEEPALIVE_MS 200 /* consumer polls while waiting */
#define LR_TIMERS_INTERVAL_MS 250
/* Timers fired per round over all tenants: after an outage thousands come
 * due at once, and a round holds every decision it makes in memory. */
#define LR_TIMERS_PER_ROUND 2000
#define LR_STATS_INTERVAL_MS 10000

/* The live routing of a tenant and, with a shadow policy, the shadow one:
 * the same events, decided twice, stored apart (namespace <ns>-shadow),
 * published to their own topics. */
enum { LR_LIVE = 0, LR_SHADOW = 1, LR_SIDES = 2 };

typedef struct lr_side_s {
        lr_tenant_t *t; /* NULL: no shadow policy */
        int64_t version;
        size_t fresh;       /* loaded with this many outbox entries, still to
                             * publish (a previous owner recorded them and may
                             * not have delivered them) */
        uint64_t sent_mark; /* the outbox up to here is in the write sent */
} lr_side_t;

/* A tenant this worker owns: its routing state and stored version. */
typedef struct lr_slot_s {
        lr_side_t side[LR_SIDES];
        int32_t partition;
        int touched; /* changed in the current round */
} lr_slot_t;

/* The tenants' writes of a batch, sent and not yet answered. */
typedef struct lr_pending_s {
        lr_store_write_t *wr;
        lr_side_t **ws;
        size_t n;
        int send_failed; /* not sent: written again when completed */
        char errstr[256];
} lr_pending_t;

typedef struct lr_worker_s {
        const lr_config_t *cfg;
        volatile sig_atomic_t *stop;
        lr_codec_t *codec;
        lr_store_t *store[LR_SIDES]; /* shadow: NULL when none configured */
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        lr_dev_broker_t *broker; /* kafka.bootstrap.servers: embedded */
        lr_dict_t slots;         /* tenant_id -> lr_slot_t */
        int64_t epoch;           /* of the current assignment, 0 = none */
        int32_t *parts;          /* partition numbers assigned */
        int32_t parts_total;     /* partitions of each input topic */
        size_t parts_cnt;
        int claim_parts; /* assigned: take an epoch, load their tenants */
        int acked;       /* outboxes acked: their tenants need a write */
        int timers_left; /* the last tick left due timers for the next */
        int transactional;
        int txn_failed; /* the open transaction refused a message */
        int paused;     /* partitions paused while Redis is unreachable */
        int fatal;
        char fatal_reason[512];
        lr_metrics_t metrics; /* served by http (http.listen) */
        lr_http_t *http;
        int64_t stats_at, timers_at;
        /* Revocations so far, and their count when the batch began: a
         * batch is dropped if they differ. */
        int64_t generation, batch_generation;
        int backoff_max_ms, hold_after_ms;
        lr_pending_t pend[LR_SIDES];
} lr_worker_t;

/* One batch's working set: msgs[i] decodes into evs[i] (bad[i] "" when
 * decoded), applied with results res[i] to slot[i]. Two are in flight: one
 * routed while the other's write is in Redis and its outputs go out. */
typedef struct lr_batch_s {
        rd_kafka_message_t **msgs;
        size_t cnt;
        lr_event_t *evs;
        char (*bad)[256];
        lr_route_result_t *res[LR_SIDES];
        lr_slot_t **slot;
        /* decisions re-published for events applied before */
        lr_assigned_t **again[LR_SIDES];
        size_t *again_cnt[LR_SIDES];
        /* timer decisions of the round's tick */
        lr_route_result_t *ticks;
        int *tick_side;
        size_t ticks_cnt, ticks_size;
        int64_t generation; /* w->generation when collected */
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

static void lr_pending_free(lr_pending_t *p) {
        size_t i;
        for (i = 0; i < p->n; i++)
                lr_args_free(&p->wr[i].ops);
        free(p->wr);
        free(p->ws);
        memset(p, 0, sizeof(*p));
}

/* Every tenant goes (revoked, fenced, or an aborted delivery), and with
 * them the batches in flight: a write sent is answered and forgotten. */
static void lr_worker_drop_slots(lr_worker_t *w) {
        size_t i = 0;
        int side;
        void *v;
        for (side = 0; side < LR_SIDES; side++) {
                char errstr[256];
                if (w->pend[side].n && !w->pend[side].send_failed)
                        (void)lr_store_commit_recv(w->store[side], errstr,
                                                   sizeof(errstr));
                lr_pending_free(&w->pend[side]);
        }
        w->generation++;
        while (lr_dict_next(&w->slots, &i, NULL, &v)) {
                lr_slot_t *s = v;
                lr_tenant_free(s->side[LR_LIVE].t);
                lr_tenant_free(s->side[LR_SHADOW].t);
                free(s);
        }
        lr_dict_destroy(&w->slots);
        lr_dict_init(&w->slots);
}

/* Every topic of the assignment has the same partitions: a tenant's three
 * inputs are on one worker (co-partitioning, as Kafka Streams requires). */
static int lr_worker_copartitioned(lr_worker_t *w,
                                   const rd_kafka_topic_partition_list_t *l) {
        int t, i, n[LR_TOPIC_REP_STATUS + 1] = {0};
        free(w->parts);
        w->parts     = lr_xcalloc((size_t)l->cnt + 1, sizeof(*w->parts));
        w->parts_cnt = 0;
        for (i = 0; i < l->cnt; i++) {
                t = lr_config_topic_kind(w->cfg, l->elems[i].topic);
                if (t < 0 || t > LR_TOPIC_REP_STATUS)
                        continue;
                n[t]++;
                if (t == LR_TOPIC_LEAD_CREATED)
                        w->parts[w->parts_cnt++] = l->elems[i].partition;
        }
        for (i = 0; i < l->cnt; i++) {
                size_t k;
                int found = 0;
                for (k = 0; k < w->parts_cnt && !found; k++)
                        found = w->parts[k] == l->elems[i].partition;
                if (!found)
                        return 0;
        }
        return n[0] == n[1] && n[1] == n[2];
}

/* Eager (the default, reliable on librdkafka 2.0.2): every revocation
 * takes all partitions, and with them the tenants' state; the next
 * assignment claims its tenants again. Cooperative is not supported: a
 * tenant's state would have to follow partitions one by one. */
static void lr_worker_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t *parts,
                                   void *opaque) {
        lr_worker_t *w = opaque;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                lr_info("worker", "assigned %d partition(s)", parts->cnt);
                if (!lr_worker_copartitioned(w, parts)) {
                        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                                 "the assignment does not hold the same "
                                 "partitions of %s, %s and %s: the input "
                                 "topics must be co-partitioned (same "
                                 "partition count, keyed by tenant_id) and "
                                 "partition.assignment.strategy range",
                                 w->cfg->topics[LR_TOPIC_LEAD_CREATED],
                                 w->cfg->topics[LR_TOPIC_CALL_OUTCOME],
                                 w->cfg->topics[LR_TOPIC_REP_STATUS]);
                        w->fatal = 1;
                }
                rd_kafka_assign(rk, parts);
                /* librdkafka keeps a partition paused across revoke and
                 * assign: set the state both ways. */
                if (w->paused)
                        rd_kafka_pause_partitions(rk, parts);
                else
                        rd_kafka_resume_partitions(rk, parts);
                w->claim_parts = 1;
        } else {
                lr_info("worker", "revoked %d partition(s)", parts->cnt);
                rd_kafka_assign(rk, NULL);
                lr_worker_drop_slots(w);
                w->epoch     = 0;
                w->parts_cnt = 0;
                w->generation++;
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
 * the round's partitions were revoked meanwhile (the round is dropped). */
static int lr_worker_wait_redis(lr_worker_t *w, const char *why) {
        int backoff   = LR_BACKOFF_MIN_MS, slept;
        int64_t since = lr_mono_ms();
        char errstr[512];

        lr_warn("worker",
                "Redis unavailable or failing (%s): consumption paused, "
                "nothing committed, retrying",
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
                if (!lr_store_connect(w->store[LR_LIVE], errstr,
                                      sizeof(errstr)) &&
                    (!w->store[LR_SHADOW] ||
                     !lr_store_connect(w->store[LR_SHADOW], errstr,
                                       sizeof(errstr))))
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

static void lr_worker_publish_decision(lr_worker_t *w, int side,
                                       lr_assigned_t *a) {
        char errstr[256];
        void *buf;
        size_t len;

        if (lr_codec_encode_assigned(w->codec, a, &buf, &len, errstr,
                                     sizeof(errstr))) {
                snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                         "encoding decision %s: %s", a->event_id, errstr);
                w->fatal = 1;
                return;
        }
        if (!lr_worker_produce(w,
                               side == LR_LIVE ? LR_TOPIC_LEAD_ASSIGNED
                                               : LR_TOPIC_LEAD_ASSIGNED_SHADOW,
                               a->tenant_id, strlen(a->tenant_id), buf, len, 1,
                               NULL) &&
            side == LR_LIVE)
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

/* --- Tenants
 * ----------------------------------------------------------------*/

static void lr_worker_tenant_opts(const lr_worker_t *w, int side,
                                  const char *tenant,
                                  lr_store_tenant_opts_t *o) {
        memset(o, 0, sizeof(*o));
        o->policy =
            side == LR_LIVE
                ? lr_config_policy(w->cfg, tenant, &o->policy_version)
                : lr_config_shadow_policy(w->cfg, tenant, &o->policy_version);
        o->clock_event            = w->cfg->clock_event;
        o->dedup_ttl_days         = w->cfg->dedup_ttl_days;
        o->lead_retention_days    = w->cfg->lead_retention_days;
        o->ranking_retention_days = w->cfg->ranking_retention_days;
}

/* Claims and loads ld[0..n) on one side, retrying while Redis fails. 0; 1
 * when a tenant is held by a newer epoch; -1 to stop. */
static int lr_worker_claim(lr_worker_t *w, int side, lr_store_load_t *ld,
                           size_t n) {
        char errstr[512];
        size_t i;
        while (lr_store_claim(w->store[side], w->epoch, ld, n, errstr,
                              sizeof(errstr)))
                if (lr_worker_wait_redis(w, errstr))
                        return -1;
        for (i = 0; i < n; i++)
                if (ld[i].fenced)
                        return 1;
        return 0;
}

/* Claims and loads tenants[0..n) of partition p[i] (skipping those held),
 * retrying while Redis fails. 0; 1 when a tenant is held by a newer epoch
 * (this worker is a zombie: the round is dropped); -1 to stop. */
static int lr_worker_load(lr_worker_t *w, char **tenants, const int32_t *p,
                          size_t n) {
        lr_store_load_t *ld = lr_xcalloc(n + 1, sizeof(*ld));
        lr_store_load_t *sh = lr_xcalloc(n + 1, sizeof(*sh));
        int32_t *part       = lr_xcalloc(n + 1, sizeof(*part));
        const char **ids    = lr_xcalloc(n + 1, sizeof(*ids));
        char errstr[512];
        size_t i, k = 0, ks = 0;
        int rc = 0;

        for (i = 0; i < n; i++) {
                size_t j;
                int dup = lr_dict_get(&w->slots, tenants[i]) != NULL;
                for (j = 0; j < k && !dup; j++)
                        dup = !strcmp(ld[j].tenant_id, tenants[i]);
                if (dup)
                        continue;
                ld[k].tenant_id = tenants[i];
                lr_worker_tenant_opts(w, LR_LIVE, tenants[i], &ld[k].opts);
                part[k++] = p[i];
        }
        if (!k)
                goto done;
        if ((rc = lr_worker_claim(w, LR_LIVE, ld, k)))
                goto done;
        for (i = 0; w->store[LR_SHADOW] && i < k; i++) {
                lr_worker_tenant_opts(w, LR_SHADOW, ld[i].tenant_id,
                                      &sh[ks].opts);
                if (!sh[ks].opts.policy)
                        continue;
                sh[ks++].tenant_id = ld[i].tenant_id;
        }
        if (ks && (rc = lr_worker_claim(w, LR_SHADOW, sh, ks)))
                goto done;
        for (i = 0; i < k; i++) {
                lr_slot_t *s = lr_xcalloc(1, sizeof(*s));
                size_t j;
                s->side[LR_LIVE].t       = ld[i].tenant;
                s->side[LR_LIVE].version = ld[i].version;
                s->side[LR_LIVE].fresh   = lr_tenant_outbox_len(ld[i].tenant);
                ld[i].tenant             = NULL;
                for (j = 0; j < ks; j++)
                        if (sh[j].tenant_id == ld[i].tenant_id) {
                                lr_side_t *x = &s->side[LR_SHADOW];
                                x->t         = sh[j].tenant;
                                x->version   = sh[j].version;
                                x->fresh     = lr_tenant_outbox_len(x->t);
                                sh[j].tenant = NULL;
                        }
                s->partition = part[i];
                lr_dict_set(&w->slots, lr_tenant_id(s->side[LR_LIVE].t), s);
                ids[i] = ld[i].tenant_id;
        }
        /* the tenants' partitions, for the next owner */
        while (lr_store_partition_add(w->store[LR_LIVE], w->parts_total, part,
                                      ids, k, errstr, sizeof(errstr)))
                if (lr_worker_wait_redis(w, errstr)) {
                        rc = -1;
                        goto done;
                }
done:
        if (rc == 1)
                lr_warn("worker",
                        "a tenant is held by a newer epoch than "
                        "this worker's (%lld): its partitions moved, the round "
                        "is dropped",
                        (long long)w->epoch);
        for (i = 0; i < k; i++)
                lr_tenant_free(ld[i].tenant);
        for (i = 0; i < ks; i++)
                lr_tenant_free(sh[i].tenant);
        free(ld);
        free(sh);
        free(part);
        free(ids);
        return rc;
}

/* After an assignment: a new epoch, and every tenant seen on the assigned
 * partitions claimed and loaded, so their timers run and their outboxes are
 * published even before their next event. 0, 1 (fenced) or -1. */
static int lr_worker_check_topics(lr_worker_t *w, char *errstr,
                                  size_t errstr_size);

static int lr_worker_claim_parts(lr_worker_t *w) {
        char errstr[512], **all = NULL;
        int32_t *part = NULL;
        size_t i, n = 0;
        int rc;

        w->claim_parts = 0;
        /* the counts again: partitions may have been added since (on a
         * metadata error, the counts known) */
        if (lr_worker_check_topics(w, errstr, sizeof(errstr)) == -2) {
                snprintf(w->fatal_reason, sizeof(w->fatal_reason), "%s",
                         errstr);
                w->fatal = 1;
                return -1;
        }
        while (lr_store_new_epoch(w->store[LR_LIVE], &w->epoch, errstr,
                                  sizeof(errstr)))
                if (lr_worker_wait_redis(w, errstr))
                        return -1;
        for (i = 0; i < w->parts_cnt; i++) {
                char **t;
                size_t cnt, j;
                while (lr_store_partition_tenants(
                    w->store[LR_LIVE], w->parts_total, w->parts[i], &t, &cnt,
                    errstr, sizeof(errstr)))
                        if (lr_worker_wait_redis(w, errstr))
                                goto fail;
                all  = lr_xrealloc(all, (n + cnt + 1) * sizeof(*all));
                part = lr_xrealloc(part, (n + cnt + 1) * sizeof(*part));
                for (j = 0; j < cnt; j++) {
                        all[n]    = t[j];
                        part[n++] = w->parts[i];
                }
                free(t);
        }
        rc = lr_worker_load(w, all, part, n);
        lr_info("worker", "epoch %lld: %zu partition(s), %zu tenant(s) loaded",
                (long long)w->epoch, w->parts_cnt, n);
        lr_store_strings_free(all, n);
        free(part);
        return rc;
fail:
        lr_store_strings_free(all, n);
        free(part);
        return -1;
}

/* --- The round
 * --------------------------------------------------------------*/

static lr_event_kind_t lr_worker_topic_event(int topic) {
        return topic == LR_TOPIC_LEAD_CREATED   ? LR_EV_LEAD_CREATED
               : topic == LR_TOPIC_CALL_OUTCOME ? LR_EV_CALL_OUTCOME
                                                : LR_EV_REP_STATUS;
}

static void lr_worker_decode(lr_worker_t *w, lr_batch_t *b) {
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
                        if (err != LR_CODEC_ERR_REGISTRY || *w->stop)
                                break;
                        lr_warn("worker", "schema registry: %s; retrying",
                                b->bad[i]);
                        lr_worker_keepalive(w);
                        lr_worker_sleep_ms(backoff);
                        backoff = backoff * 2 > LR_BACKOFF_MAX_MS
                                      ? LR_BACKOFF_MAX_MS
                                      : backoff * 2;
                }
                if (err == LR_CODEC_OK)
                        b->bad[i][0] = '\0';
                else if (!b->bad[i][0])
                        snprintf(b->bad[i], sizeof(b->bad[i]),
                                 "undecodable message");
        }
}

/* The slots of the round's events, claiming the tenants new to this
 * worker. 0, 1 (fenced) or -1. */
static int lr_worker_slots(lr_worker_t *w, lr_batch_t *b) {
        char **ids    = lr_xcalloc(b->cnt + 1, sizeof(*ids));
        int32_t *part = lr_xcalloc(b->cnt + 1, sizeof(*part));
        size_t i, n = 0;
        int rc = 0;

        for (i = 0; i < b->cnt; i++)
                if (!b->bad[i][0] &&
                    !lr_dict_get(&w->slots, b->evs[i].tenant_id)) {
                        ids[n]    = b->evs[i].tenant_id;
                        part[n++] = b->msgs[i]->partition;
                }
        if (n && !w->epoch) {
                lr_warn("worker", "events of a partition this worker holds "
                                  "no epoch for: dropping the round");
                rc = 1;
        } else if (n) {
                rc = lr_worker_load(w, ids, part, n);
        }
        for (i = 0; !rc && i < b->cnt; i++) {
                b->slot[i] = b->bad[i][0]
                                 ? NULL
                                 : lr_dict_get(&w->slots, b->evs[i].tenant_id);
                /* A tenant's events on two partitions could be routed by
                 * two workers at once (each fencing the other): refused. */
                if (b->slot[i] &&
                    b->slot[i]->partition != b->msgs[i]->partition) {
                        snprintf(b->bad[i], sizeof(b->bad[i]),
                                 "tenant %s is on partition %d, this event "
                                 "on %d: events must be keyed by tenant_id",
                                 b->evs[i].tenant_id,
                                 (int)b->slot[i]->partition,
                                 (int)b->msgs[i]->partition);
                        b->slot[i] = NULL;
                }
        }
        free(ids);
        free(part);
        return rc;
}

/* Applies the round's events to their tenants, in order; a wall-clock tick
 * (now > 0) fires the timers due. 0, or -1 on an internal error (fatal). */
static int lr_worker_route(lr_worker_t *w, lr_batch_t *b, int64_t now) {
        /* on the wall clock, deadlines count from when the rep is told */
        int64_t now_ms = lr_now_ms(), lag = -1;
        int64_t wall = w->cfg->clock_event ? 0 : now_ms;
        size_t i = 0, d, budget = LR_TIMERS_PER_ROUND;
        int side;
        void *v;

        for (i = 0; i < b->cnt; i++) {
                rd_kafka_message_t *m = b->msgs[i];
                lr_route_source_t src = {rd_kafka_topic_name(m->rkt),
                                         m->partition, m->offset};
                lr_route_result_t *r  = &b->res[LR_LIVE][i];
                if (!b->slot[i])
                        continue;
                for (side = 0; side < LR_SIDES; side++) {
                        lr_tenant_t *t = b->slot[i]->side[side].t;
                        if (!t)
                                continue;
                        lr_tenant_set_wall(t, wall);
                        if (lr_tenant_apply(t, &b->evs[i], &src,
                                            &b->res[side][i])) {
                                snprintf(w->fatal_reason,
                                         sizeof(w->fatal_reason),
                                         "routing %s: %s", b->evs[i].event_id,
                                         b->res[side][i].errstr);
                                w->fatal = 1;
                                return -1;
                        }
                }
                b->slot[i]->touched = 1;
                for (d = r->timer_cnt; d < r->decisions_cnt; d++)
                        if (now_ms - r->decisions[d].decided_at > lag)
                                lag = now_ms - r->decisions[d].decided_at;
        }
        if (lag >= 0)
                atomic_store_explicit(&w->metrics.routing_lag_ms, lag,
                                      memory_order_relaxed);
        i = 0;
        while (now && lr_dict_next(&w->slots, &i, NULL, &v)) {
                lr_slot_t *s = v;
                for (side = 0; side < LR_SIDES; side++) {
                        lr_tenant_t *t = s->side[side].t;
                        lr_route_result_t *r;
                        if (!t || lr_tenant_next_due(t) > now)
                                continue;
                        if (budget == 0) {
                                w->timers_left = 1;
                                break;
                        }
                        lr_xgrow(&b->ticks, &b->ticks_size, b->ticks_cnt + 1,
                                 sizeof(*b->ticks));
                        b->tick_side =
                            lr_xrealloc(b->tick_side,
                                        b->ticks_size * sizeof(*b->tick_side));
                        r = &b->ticks[b->ticks_cnt];
                        lr_tenant_set_wall(t, wall);
                        lr_tenant_fire_some(t, now, budget, r);
                        budget -= r->decisions_cnt < budget ? r->decisions_cnt
                                                            : budget;
                        if (lr_tenant_next_due(t) <= now)
                                w->timers_left = 1;
                        b->tick_side[b->ticks_cnt++] = side;
                        s->touched                   = 1;
                }
        }
        return 0;
}

/* Sends the writes of every changed tenant (answered in
 * lr_worker_finish_write). The outbox entries up to now are in them. */
static void lr_worker_send(lr_worker_t *w) {
        size_t i;
        int side;
        void *v;

        for (side = 0; side < LR_SIDES; side++) {
                lr_pending_t *p = &w->pend[side];
                if (!w->store[side])
                        continue;
                p->wr = lr_xcalloc(w->slots.cnt + 1, sizeof(*p->wr));
                p->ws = lr_xcalloc(w->slots.cnt + 1, sizeof(*p->ws));
                for (i = 0; lr_dict_next(&w->slots, &i, NULL, &v);) {
                        lr_side_t *x = &((lr_slot_t *)v)->side[side];
                        lr_args_t ops;
                        if (!x->t)
                                continue;
                        x->sent_mark = lr_tenant_outbox_mark(x->t);
                        memset(&ops, 0, sizeof(ops));
                        if (!lr_persist_changes(x->t, &ops)) {
                                lr_args_free(&ops);
                                continue;
                        }
                        p->wr[p->n].tenant_id = lr_tenant_id(x->t);
                        p->wr[p->n].ops       = ops;
                        p->wr[p->n].version   = x->version;
                        p->ws[p->n++]         = x;
                }
                if (p->n &&
                    lr_store_commit_send(w->store[side], w->epoch, p->wr, p->n,
                                         p->errstr, sizeof(p->errstr)))
                        p->send_failed = 1;
        }
        w->acked = 0;
}

/* Waits for the writes sent, writing them again while Redis fails. 0; 1
 * when a write was fenced (the batch and every tenant are dropped); -1 to
 * stop (stopping, fatal, or revoked: the tenants are gone). */
static int lr_worker_finish_write(lr_worker_t *w) {
        size_t i;
        int side, rc = 0;

        for (side = 0; side < LR_SIDES && rc >= 0; side++) {
                /* ours alone: a revocation while waiting drops the slots */
                lr_pending_t p = w->pend[side];
                int failed     = p.send_failed;
                memset(&w->pend[side], 0, sizeof(w->pend[side]));
                if (p.n && !failed)
                        failed = lr_store_commit_recv(w->store[side], p.errstr,
                                                      sizeof(p.errstr));
                while (p.n && failed) {
                        if (lr_worker_wait_redis(w, p.errstr)) {
                                rc = -1;
                                break;
                        }
                        failed =
                            lr_store_commit(w->store[side], w->epoch, p.wr, p.n,
                                            p.errstr, sizeof(p.errstr));
                }
                for (i = 0; rc >= 0 && i < p.n; i++) {
                        if (p.wr[i].status == LR_STORE_FENCED)
                                rc = 1;
                        p.ws[i]->version = p.wr[i].version;
                }
                lr_pending_free(&p);
        }
        if (rc == 1)
                lr_warn("worker",
                        "a write was refused: another worker "
                        "claimed the tenant (this one lost its partitions); "
                        "the round is dropped");
        return rc;
}

/* The recorded decisions of events applied before, for re-publishing. */
static int lr_worker_read_again(lr_worker_t *w, lr_batch_t *b) {
        char errstr[512];
        size_t i;
        int side;
        for (side = 0; side < LR_SIDES; side++)
                for (i = 0; i < b->cnt; i++) {
                        lr_route_result_t *r = &b->res[side][i];
                        if (!b->slot[i] || !b->slot[i]->side[side].t ||
                            r->status != LR_ROUTE_DUPLICATE || !r->refs_cnt)
                                continue;
                        while (lr_store_read_decisions(
                            w->store[side],
                            lr_tenant_id(b->slot[i]->side[side].t), r->refs,
                            r->refs_cnt, &b->again[side][i],
                            &b->again_cnt[side][i], errstr, sizeof(errstr)))
                                if (lr_worker_wait_redis(w, errstr))
                                        return -1;
                }
        return 0;
}

/* The outbox entries of a tenant not yet published by this worker (loaded
 * from Redis: a previous owner recorded them and may not have delivered
 * them). */
static void lr_worker_publish_outbox(lr_worker_t *w, int side, lr_side_t *x) {
        size_t i;
        for (i = 0; i < x->fresh; i++) {
                const lr_assigned_t *d;
                const lr_tier_changed_t *tc;
                lr_assigned_t dc;
                lr_tier_changed_t tcc;
                lr_tenant_outbox_get(x->t, i, &d, &tc);
                if (d) {
                        dc = *d;
                        lr_worker_publish_decision(w, side, &dc);
                } else if (side == LR_LIVE) {
                        tcc = *tc;
                        lr_worker_publish_tier_changes(w, &tcc, 1);
                }
        }
}

/* A shadow's tier changes are its own business: only its decisions go
 * out. */
static void lr_worker_publish_result(lr_worker_t *w, int side,
                                     lr_route_result_t *r) {
        size_t d;
        if (side == LR_LIVE)
                lr_worker_publish_tier_changes(w, r->tier_changes,
                                               r->tier_changes_cnt);
        for (d = 0; d < r->decisions_cnt; d++)
                lr_worker_publish_decision(w, side, &r->decisions[d]);
}

static void lr_worker_publish(lr_worker_t *w, lr_batch_t *b) {
        size_t i = 0, d;
        int side;
        void *v;

        while (lr_dict_next(&w->slots, &i, NULL, &v))
                for (side = 0; side < LR_SIDES; side++)
                        if (((lr_slot_t *)v)->side[side].fresh)
                                lr_worker_publish_outbox(
                                    w, side, &((lr_slot_t *)v)->side[side]);
        for (i = 0; i < b->cnt; i++) {
                lr_route_result_t *r = &b->res[LR_LIVE][i];
                if (b->bad[i][0]) {
                        lr_worker_dead_letter(w, b->msgs[i], b->bad[i]);
                        continue;
                }
                if (!b->slot[i])
                        continue;
                lr_metric_add(&w->metrics.events, 1);
                if (r->status == LR_ROUTE_REJECTED) {
                        lr_worker_dead_letter(w, b->msgs[i], r->errstr);
                        continue;
                }
                if (r->status == LR_ROUTE_DUPLICATE)
                        lr_metric_add(&w->metrics.duplicates, 1);
                for (side = 0; side < LR_SIDES; side++) {
                        if (!b->slot[i]->side[side].t)
                                continue;
                        lr_worker_publish_result(w, side, &b->res[side][i]);
                        for (d = 0; d < b->again_cnt[side][i]; d++)
                                lr_worker_publish_decision(
                                    w, side, &b->again[side][i][d]);
                }
        }
        for (i = 0; i < b->ticks_cnt; i++)
                lr_worker_publish_result(w, b->tick_side[i], &b->ticks[i]);
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

/* Back to the committed offsets, so what was consumed since is consumed
 * again (its Redis effects are recorded and are re-published as they
 * were). A rewind that fails would silently skip input: fatal. */
static void lr_worker_rewind(lr_worker_t *w) {
        rd_kafka_topic_partition_list_t *parts = NULL;
        rd_kafka_resp_err_t err;
        rd_kafka_error_t *e = NULL;
        int i;

        if ((err = rd_kafka_assignment(w->consumer, &parts)) ||
            (err = rd_kafka_committed(w->consumer, parts, 10000)))
                goto fail;
        for (i = 0; i < parts->cnt; i++)
                if (parts->elems[i].offset < 0)
                        parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        if ((e = rd_kafka_seek_partitions(w->consumer, parts, 10000))) {
                err = rd_kafka_error_code(e);
                rd_kafka_error_destroy(e);
                goto fail;
        }
        for (i = 0; i < parts->cnt; i++)
                if ((err = parts->elems[i].err))
                        goto fail;
        rd_kafka_topic_partition_list_destroy(parts);
        return;
fail:
        snprintf(w->fatal_reason, sizeof(w->fatal_reason),
                 "rewinding to the committed offsets failed: %s",
                 rd_kafka_err2str(err));
        w->fatal = 1;
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
}

/* A round dropped (revoked or fenced): its tenants' state may be ahead of
 * what was published, so it goes, and the consumer goes back to the
 * committed offsets: what was applied is re-published from Redis. */
static int lr_worker_drop(lr_worker_t *w, int fenced) {
        lr_worker_drop_slots(w);
        if (!*w->stop && fenced) {
                lr_worker_rewind(w);
                /* a zombie until the rebalance reaches it */
                lr_worker_keepalive(w);
                lr_worker_sleep_ms(LR_KEEPALIVE_MS);
        }
        return -1;
}

static void lr_worker_batch_clear(lr_batch_t *b) {
        size_t i, d;
        int side;
        for (i = 0; i < b->cnt; i++) {
                rd_kafka_message_destroy(b->msgs[i]);
                lr_event_clear(&b->evs[i]);
                for (side = 0; side < LR_SIDES; side++) {
                        lr_route_result_clear(&b->res[side][i]);
                        for (d = 0; d < b->again_cnt[side][i]; d++)
                                lr_assigned_clear(&b->again[side][i][d]);
                        free(b->again[side][i]);
                        b->again[side][i]     = NULL;
                        b->again_cnt[side][i] = 0;
                }
                b->slot[i] = NULL;
        }
        for (i = 0; i < b->ticks_cnt; i++)
                lr_route_result_clear(&b->ticks[i]);
        b->ticks_cnt = 0;
        b->cnt       = 0;
}

/* Polls until batch_size messages or the queue is empty, waiting up to
 * timeout ms for the first. */
static void lr_worker_collect(lr_worker_t *w, lr_batch_t *b, int max,
                              int timeout) {
        b->generation = w->generation;
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
 * aborted. */
static int lr_worker_deliver(lr_worker_t *w,
                             rd_kafka_topic_partition_list_t *offsets) {
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
        return w->fatal ? -1 : 0;
}

/* Outboxes published and delivered: acked in the tenants' next write
 * (the next round, even without input). */
static void lr_worker_ack_outboxes(lr_worker_t *w) {
        size_t i = 0;
        int side;
        void *v;
        while (lr_dict_next(&w->slots, &i, NULL, &v)) {
                lr_slot_t *s = v;
                for (side = 0; side < LR_SIDES; side++) {
                        lr_side_t *x = &s->side[side];
                        if (x->t && x->sent_mark &&
                            lr_tenant_outbox_len(x->t)) {
                                lr_tenant_outbox_ack(x->t, x->sent_mark);
                                w->acked = 1;
                        }
                        x->fresh = 0;
                }
                s->touched = 0;
        }
}

/* Whether a round has anything to publish. */
static int lr_worker_has_outputs(const lr_worker_t *w, const lr_batch_t *b) {
        size_t i = 0;
        void *v;
        if (b->cnt || b->ticks_cnt)
                return 1;
        while (lr_dict_next(&w->slots, &i, NULL, &v))
                if (((lr_slot_t *)v)->side[LR_LIVE].fresh ||
                    ((lr_slot_t *)v)->side[LR_SHADOW].fresh)
                        return 1;
        return 0;
}

/* The first half of a batch: its events (and, with now > 0, the timers
 * due at the wall-clock time now) decoded and routed in memory. 0, or -1
 * when the batch is dropped. */
static int lr_worker_prepare(lr_worker_t *w, lr_batch_t *b, int64_t now) {
        int r;

        rd_kafka_poll(w->producer, 0); /* a fatal error before any work */
        if (w->fatal)
                return -1;
        w->batch_generation = b->generation;
        if (w->generation != b->generation)
                return lr_worker_drop(w, 0); /* revoked while collecting */
        if (w->claim_parts && (r = lr_worker_claim_parts(w)))
                return r < 0 ? -1 : lr_worker_drop(w, 1);
        lr_worker_decode(w, b);
        if ((r = lr_worker_slots(w, b)))
                return r < 0 ? -1 : lr_worker_drop(w, 1);
        if (lr_worker_route(w, b, now))
                return -1;
        return 0;
}

/* The second half, once its writes were sent (lr_worker_send): they are
 * answered, then the outputs published and the offsets committed. Meanwhile
 * the next batch was routed: a batch that fails here drops it too. */
static int lr_worker_complete(lr_worker_t *w, lr_batch_t *b) {
        rd_kafka_topic_partition_list_t *offsets;
        int r;

        if (w->generation != b->generation)
                return -1; /* dropped since: read again */
        w->batch_generation = b->generation;
        if ((r = lr_worker_finish_write(w)))
                return r < 0 ? lr_worker_drop(w, 0) : lr_worker_drop(w, 1);
        if (lr_worker_read_again(w, b))
                return lr_worker_drop(w, 0);
        if (!lr_worker_has_outputs(w, b))
                return 0;
        if (lr_worker_begin(w))
                return -1;
        lr_worker_publish(w, b);
        offsets = b->cnt ? lr_worker_offsets(b) : NULL;
        r       = lr_worker_deliver(w, offsets);
        if (r && !w->fatal) {
                /* aborted: consume the batch again (its effects are in
                 * Redis and are re-published as they were) */
                lr_worker_drop_slots(w);
                lr_worker_rewind(w);
                w->claim_parts = w->parts_cnt > 0;
        }
        /* Revoked while the outputs were delivered: the partitions' next
         * owner publishes them again (same event_id), commits them. */
        if (!r && w->generation == b->generation) {
                if (offsets)
                        lr_worker_commit_offsets(w, offsets);
                lr_metric_add(&w->metrics.batches, 1);
                lr_worker_ack_outboxes(w);
        }
        if (offsets)
                rd_kafka_topic_partition_list_destroy(offsets);
        return r;
}

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
        int side;
        for (side = 0; side < LR_SIDES; side++)
                if (w->store[side])
                        lr_store_set_timeouts(
                            w->store[side], 2000 < quarter ? 2000 : quarter,
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

/* The input topics' partition counts: equal, or start-up is refused (a
 * tenant's events must meet on one worker). -1: no metadata, -2: not
 * co-partitioned. */
static int lr_worker_check_topics(lr_worker_t *w, char *errstr,
                                  size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        int counts[3]                      = {-1, -1, -1}, t, i;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(w->producer, 1, NULL, &md, 10000);
        if (err) {
                snprintf(errstr, errstr_size, "topic metadata: %s",
                         rd_kafka_err2str(err));
                return -1;
        }
        for (i = 0; i < md->topic_cnt; i++) {
                t = lr_config_topic_kind(w->cfg, md->topics[i].topic);
                if (t >= LR_TOPIC_LEAD_CREATED && t <= LR_TOPIC_REP_STATUS &&
                    !md->topics[i].err)
                        counts[t] = md->topics[i].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
        w->parts_total = counts[LR_TOPIC_LEAD_CREATED];
        /* A missing topic may be created later (auto-create): not judged. */
        for (t = 0; t < 3; t++)
                for (i = 0; i < 3; i++)
                        if (counts[t] > 0 && counts[i] > 0 &&
                            counts[t] != counts[i]) {
                                snprintf(errstr, errstr_size,
                                         "input topics are not "
                                         "co-partitioned: %s has %d "
                                         "partitions, %s %d, %s %d; a "
                                         "tenant's events must meet on one "
                                         "worker (same partition count, "
                                         "keyed by tenant_id)",
                                         w->cfg->topics[0], counts[0],
                                         w->cfg->topics[1], counts[1],
                                         w->cfg->topics[2], counts[2]);
                                return -2;
                        }
        return 0;
}

static int lr_worker_init(lr_worker_t *w, char *errstr, size_t errstr_size) {
        const lr_config_t *cfg = w->cfg;
        const char *bootstrap  = cfg->bootstrap_servers;
        rd_kafka_conf_t *conf;
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;
        char err2[256];
        int t;

        lr_dict_init(&w->slots);
        if (*cfg->http_listen) {
                if (!(w->http = lr_http_start(cfg->http_listen, &w->metrics,
                                              errstr, errstr_size)))
                        return -1;
                lr_info("worker",
                        "http.listen %s (port %d): GET /metrics, /healthz",
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
        if (!(w->store[LR_LIVE] = lr_store_new(
                  cfg->redis_url, cfg->redis_namespace, errstr, errstr_size)))
                return -1;
        if (lr_config_any_shadow(cfg)) {
                char ns[256];
                snprintf(ns, sizeof(ns), "%s-shadow", cfg->redis_namespace);
                if (!(w->store[LR_SHADOW] = lr_store_new(cfg->redis_url, ns,
                                                         errstr, errstr_size)))
                        return -1;
                lr_info("worker",
                        "shadow policy: decisions to %s, state in namespace "
                        "%s",
                        cfg->topics[LR_TOPIC_LEAD_ASSIGNED_SHADOW], ns);
        }
        lr_worker_fit_poll_interval(w);
        while (lr_store_connect(w->store[LR_LIVE], err2, sizeof(err2)) ||
               (w->store[LR_SHADOW] &&
                lr_store_connect(w->store[LR_SHADOW], err2, sizeof(err2)))) {
                lr_warn("worker", "Redis at %s: %s; retrying", cfg->redis_url,
                        err2);
                if (*w->stop)
                        return -1;
                lr_worker_sleep_ms(1000);
        }
        lr_gauge_set(&w->metrics.redis_up, 1);

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
        if (lr_worker_check_topics(w, errstr, errstr_size))
                return -1;
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
        if (!strcmp(rd_kafka_rebalance_protocol(w->consumer), "COOPERATIVE")) {
                snprintf(errstr, errstr_size,
                         "kafka.partition.assignment.strategy: a cooperative "
                         "strategy is not supported (a tenant's state follows "
                         "its partitions as a whole); use range");
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
        lr_worker_drop_slots(w);
        lr_dict_destroy(&w->slots);
        free(w->parts);
        lr_store_free(w->store[LR_LIVE]);
        lr_store_free(w->store[LR_SHADOW]);
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
                "%lld, dead letters %lld, routing lag %.1f s",
                lr_metric_get(&w->metrics.events),
                lr_metric_get(&w->metrics.duplicates),
                lr_metric_get(&w->metrics.decisions),
                lr_metric_get(&w->metrics.tier_changes),
                lr_metric_get(&w->metrics.dead_letters),
                (double)lr_metric_get(&w->metrics.routing_lag_ms) / 1000.0);
}

/* The wall-clock time to fire timers at, or 0: with worker.clock wall,
 * every LR_TIMERS_INTERVAL_MS once the worker has caught up with its
 * partitions (a backlog may still hold the call that meets an SLA). */
static int64_t lr_worker_tick_due(lr_worker_t *w, int caught_up) {
        int64_t mono = lr_mono_ms();
        if (w->cfg->clock_event || !caught_up ||
            (mono - w->timers_at < LR_TIMERS_INTERVAL_MS && !w->timers_left))
                return 0;
        w->timers_left = 0;
        w->timers_at   = mono;
        return lr_now_ms();
}

static void lr_worker_batch_alloc(lr_batch_t *b, size_t n) {
        int side;
        memset(b, 0, sizeof(*b));
        b->msgs = lr_xcalloc(n, sizeof(*b->msgs));
        b->evs  = lr_xcalloc(n, sizeof(*b->evs));
        b->bad  = lr_xcalloc(n, sizeof(*b->bad));
        b->slot = lr_xcalloc(n, sizeof(*b->slot));
        for (side = 0; side < LR_SIDES; side++) {
                b->res[side]       = lr_xcalloc(n, sizeof(*b->res[0]));
                b->again[side]     = lr_xcalloc(n, sizeof(*b->again[0]));
                b->again_cnt[side] = lr_xcalloc(n, sizeof(*b->again_cnt[0]));
        }
}

static void lr_worker_batch_free(lr_batch_t *b) {
        int side;
        lr_worker_batch_clear(b);
        free(b->msgs);
        free(b->evs);
        free(b->bad);
        free(b->slot);
        for (side = 0; side < LR_SIDES; side++) {
                free(b->res[side]);
                free(b->again[side]);
                free(b->again_cnt[side]);
        }
        free(b->ticks);
        free(b->tick_side);
}

int lr_worker_run(const lr_config_t *cfg, volatile sig_atomic_t *stop) {
        lr_worker_t w;
        lr_batch_t bs[2], *prev = NULL;
        char errstr[512];
        size_t n = (size_t)cfg->batch_size;
        int rc = 0, k = 0;

        memset(&w, 0, sizeof(w));
        w.cfg      = cfg;
        w.stop     = stop;
        w.stats_at = lr_mono_ms();
        lr_worker_batch_alloc(&bs[0], n);
        lr_worker_batch_alloc(&bs[1], n);

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
        /* Batch N+1 is routed while N's writes are in Redis; then N is
         * answered, published and committed, and N+1's writes sent. With
         * nothing to route, N completes at once. */
        while (!*stop && !w.fatal) {
                lr_batch_t *cur = &bs[k];
                int64_t now;
                int work;
                lr_worker_collect(&w, cur, (int)n, prev ? 0 : 100);
                now  = lr_worker_tick_due(&w, cur->cnt < n);
                work = cur->cnt || now || w.claim_parts || w.acked;
                if (work && lr_worker_prepare(&w, cur, now))
                        work = 0;
                if (prev) {
                        lr_worker_complete(&w, prev);
                        lr_worker_batch_clear(prev);
                        prev = NULL;
                }
                if (work && !w.fatal && cur->generation == w.generation) {
                        lr_worker_send(&w);
                        prev = cur;
                        k ^= 1;
                } else {
                        lr_worker_batch_clear(cur);
                }
                lr_worker_stats(&w, 0);
        }
        if (prev && !w.fatal)
                lr_worker_complete(&w, prev);
        if (w.fatal) {
                lr_error("worker",
                         "fatal: %s; exiting without committing the "
                         "current batch",
                         w.fatal_reason);
                rc = 1;
        }
        lr_worker_stats(&w, 1);
done:
        lr_worker_destroy(&w);
        lr_worker_batch_free(&bs[0]);
        lr_worker_batch_free(&bs[1]);
        if (!rc)
                lr_info("worker", "stopped");
        return rc;
}
