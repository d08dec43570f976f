/*
 * produce.c - `leadrouter produce`, see produce.h.
 *
 * The librdkafka settings come from kafka.c (the worker's producer defaults,
 * -X props on top), the topic names and their kinds from config.c (with
 * --config, the worker's own file), the encoding from the codec and the
 * schema ids from schema_ids.c (the Schema Registry's when one is
 * configured, as the worker reads them): this file only reads lines and
 * accounts for each one. A line fails on its own (bad JSON, invalid event,
 * delivery error) and is named on stderr by number; the others still go out.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "kafka.h"
#include "leadrouter/codec.h"
#include "log.h"
#include "produce.h"
#include "schema_ids.h"

#define LR_PRODUCE_DEFAULT_BROKERS "127.0.0.1:9092"

typedef struct lr_produce_s {
        rd_kafka_t *rk;
        lr_codec_t *codec;
        lr_config_t *cfg;  /* topic names, kafka.* properties */
        const char *topic; /* --topic, or NULL */
        int kind;          /* --kind, or -1 */
        /* Per input kind: 0 = schema id not settled yet, 1 = settled,
         * -1 = the registry refused (said once; its lines fail). */
        int id_state[LR_EV__CNT];
        size_t produced, failed, skipped;
} lr_produce_t;

static void lr_produce_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
                             void *opaque) {
        lr_produce_t *p = opaque;

        if (m->err) {
                lr_error("produce", "line %ld: delivery to %s failed: %s",
                         (long)(intptr_t)m->_private,
                         rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
                p->failed++;
        } else {
                p->produced++;
        }
}

/* The input kind of a topic: by its configured (default) name, else
 * --kind. -1 with errstr. */
static int lr_produce_kind(lr_produce_t *p, const char *topic, char *errstr,
                           size_t errstr_size) {
        switch (lr_config_topic_kind(p->cfg, topic)) {
        case LR_TOPIC_LEAD_CREATED:
                return LR_EV_LEAD_CREATED;
        case LR_TOPIC_CALL_OUTCOME:
                return LR_EV_CALL_OUTCOME;
        case LR_TOPIC_REP_STATUS:
                return LR_EV_REP_STATUS;
        default:
                break;
        }
        if (p->kind >= 0)
                return p->kind;
        snprintf(errstr, errstr_size,
                 "cannot tell the event kind of topic \"%s\": use --kind "
                 "LeadCreated|CallOutcome|RepStatus",
                 topic);
        return -1;
}

/* Settles the schema id of kind at its first line (with a registry: under
 * the subject of that line's topic). -1 with errstr when it cannot be. */
static int lr_produce_schema_id(lr_produce_t *p, const char *topic, int kind,
                                char *errstr, size_t errstr_size) {
        int32_t id;

        if (p->id_state[kind] == 1)
                return 0;
        if (p->id_state[kind] == -1) {
                snprintf(errstr, errstr_size, "no schema id for %s",
                         lr_event_kind_name((lr_event_kind_t)kind));
                return -1;
        }
        if (lr_schema_ids_resolve(p->codec, p->cfg, topic,
                                  (lr_event_kind_t)kind, &id, errstr,
                                  errstr_size) != LR_CODEC_OK) {
                p->id_state[kind] = -1;
                return -1;
        }
        p->id_state[kind] = 1;
        return 0;
}

/* Hands one message to librdkafka, waiting while its queue is full. */
static int lr_produce_send(lr_produce_t *p, const char *topic, const char *key,
                           const void *buf, size_t len, long lineno,
                           char *errstr, size_t errstr_size) {
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                    p->rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_KEY(key, strlen(key)),
                    RD_KAFKA_V_VALUE((void *)buf, len),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_OPAQUE((void *)(intptr_t)lineno),
                    RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(p->rk, 100);
        }
        if (err) {
                snprintf(errstr, errstr_size, "cannot produce to %s: %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

/* 0: handed to librdkafka, 1: skipped (another topic), -1: failed. */
static int lr_produce_line(lr_produce_t *p, long lineno, const char *line,
                           char *errstr, size_t errstr_size) {
        json_t *root, *event;
        json_error_t jerr;
        const char *topic;
        char *json = NULL, *tenant = NULL;
        void *buf = NULL;
        size_t len;
        int kind, rc = -1;

        root = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size, "not JSON: %s (column %d)",
                         jerr.text, jerr.column);
                return -1;
        }
        if (!json_is_object(root)) {
                snprintf(errstr, errstr_size, "not a JSON object");
                goto done;
        }
        event = json_object_get(root, "event");
        if (json_is_object(event)) {
                topic = json_string_value(json_object_get(root, "topic"));
                if (!topic) {
                        snprintf(errstr, errstr_size,
                                 "envelope without a \"topic\" string");
                        goto done;
                }
                if (p->topic && strcmp(p->topic, topic)) {
                        rc = 1;
                        goto done;
                }
                json = json_dumps(event, JSON_COMPACT);
                if (!json) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto done;
                }
        } else {
                topic = p->topic;
                if (!topic) {
                        snprintf(errstr, errstr_size,
                                 "no --topic given and the line is not an "
                                 "envelope {\"topic\": ..., \"event\": {...}}");
                        goto done;
                }
        }
        kind = lr_produce_kind(p, topic, errstr, errstr_size);
        if (kind < 0 ||
            lr_produce_schema_id(p, topic, kind, errstr, errstr_size) == -1)
                goto done;
        if (lr_codec_encode_json(p->codec, (lr_event_kind_t)kind,
                                 json ? json : line, &buf, &len, &tenant,
                                 errstr, errstr_size) != LR_CODEC_OK)
                goto done;
        if (!tenant) {
                snprintf(errstr, errstr_size, "no tenant_id for the key");
                goto done;
        }
        rc = lr_produce_send(p, topic, tenant, buf, len, lineno, errstr,
                             errstr_size);
done:
        free(buf);
        free(tenant);
        free(json);
        json_decref(root);
        return rc;
}

static int lr_produce_blank(const char *s) {
        for (; *s; s++)
                if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
                        return 0;
        return 1;
}

static void lr_produce_usage(FILE *fp) {
        fprintf(
            fp,
            "usage: leadrouter produce [--topic T] [--brokers B] "
            "[--kind K] [--registry URL]\n"
            "                          [--config FILE] [--set key=value]... "
            "[-X prop=val]...\n"
            "  Reads events as JSON lines on stdin, encodes them as Avro "
            "(Confluent\n"
            "  framing, key = tenant_id) and produces them. A line is an "
            "event object,\n"
            "  sent to --topic, or an envelope {\"topic\": ..., "
            "\"event\": {...}} as\n"
            "  `leadrouter generate` writes; with --topic, only the "
            "envelopes of\n"
            "  that topic are sent.\n"
            "  --topic T       topic (its kind follows from the name "
            "lead-created,\n"
            "                  call-outcome or rep-status, else --kind)\n"
            "  --brokers B     bootstrap servers (default "
            "$LEADROUTER_BROKERS,\n"
            "                  else " LR_PRODUCE_DEFAULT_BROKERS ")\n"
            "  --kind K        LeadCreated|CallOutcome|RepStatus, for "
            "other topic names\n"
            "  --registry URL  Confluent-compatible Schema Registry "
            "(schemas.registry_url):\n"
            "                  events are written with its schema ids, "
            "looked up under\n"
            "                  <topic>-value (registered with --set "
            "schemas.auto_register=true)\n"
            "  --config FILE   the worker's configuration: topics, "
            "kafka.*, schemas.*\n"
            "  --set key=value override one of its keys\n"
            "  -X prop=val     librdkafka property (a kafka. prefix is "
            "allowed)\n");
}

static int lr_produce_parse_kind(const char *s) {
        int k;
        for (k = LR_EV_LEAD_CREATED; k <= LR_EV_REP_STATUS; k++)
                if (!strcmp(s, lr_event_kind_name((lr_event_kind_t)k)))
                        return k;
        return -1;
}

/* Adds -X prop=val to the configuration as kafka.prop=val. */
static int lr_produce_set_prop(lr_config_t *cfg, const char *arg, char *errstr,
                               size_t errstr_size) {
        char key[512];

        if (!strchr(arg, '=')) {
                snprintf(errstr, errstr_size, "-X %s: expected prop=val", arg);
                return -1;
        }
        snprintf(key, sizeof(key), "%s%s",
                 strncmp(arg, "kafka.", 6) ? "kafka." : "", arg);
        return lr_config_set(cfg, key, errstr, errstr_size);
}

static rd_kafka_t *lr_produce_kafka_new(lr_produce_t *p, const char *brokers,
                                        char *errstr, size_t errstr_size) {
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;

        conf = lr_kafka_conf_new(p->cfg, LR_KAFKA_PRODUCER, brokers, errstr,
                                 errstr_size);
        if (!conf)
                return NULL;
        rd_kafka_conf_set_dr_msg_cb(conf, lr_produce_dr_cb);
        rd_kafka_conf_set_opaque(conf, p);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!rk)
                rd_kafka_conf_destroy(conf);
        return rk;
}

int lr_produce_main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"topic", required_argument, NULL, 't'},
            {"brokers", required_argument, NULL, 'b'},
            {"kind", required_argument, NULL, 'k'},
            {"registry", required_argument, NULL, 'r'},
            {"config", required_argument, NULL, 'c'},
            {"set", required_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        lr_produce_t p      = {.kind = -1};
        const char *brokers = NULL, *registry = NULL;
        char *line       = NULL;
        size_t line_size = 0;
        long lineno      = 0;
        char errstr[512];
        rd_kafka_resp_err_t err;
        int opt, rc = 2;

        p.cfg = lr_config_new();
        if (!p.cfg) {
                lr_error("produce", "out of memory");
                return 1;
        }
        /* The worker's producer settings, batching a little longer. */
        if (lr_config_set(p.cfg, "kafka.linger.ms=5", errstr, sizeof(errstr)) ==
                -1 ||
            lr_config_set(p.cfg, "kafka.message.timeout.ms=30000", errstr,
                          sizeof(errstr)) == -1) {
                lr_error("produce", "%s", errstr);
                goto done;
        }
        optind = 0;
        while ((opt = getopt_long(argc, argv, "X:h", longopts, NULL)) != -1) {
                switch (opt) {
                case 't':
                        p.topic = optarg;
                        break;
                case 'b':
                        brokers = optarg;
                        break;
                case 'k':
                        p.kind = lr_produce_parse_kind(optarg);
                        if (p.kind < 0) {
                                fprintf(stderr,
                                        "produce: --kind: expected "
                                        "LeadCreated, CallOutcome or "
                                        "RepStatus, got \"%s\"\n",
                                        optarg);
                                goto done;
                        }
                        break;
                case 'r':
                        registry = optarg;
                        break;
                case 'c':
                        if (lr_config_load_file(p.cfg, optarg, errstr,
                                                sizeof(errstr)) == -1) {
                                fprintf(stderr, "produce: %s\n", errstr);
                                goto done;
                        }
                        break;
                case 's':
                        if (lr_config_set(p.cfg, optarg, errstr,
                                          sizeof(errstr)) == -1) {
                                fprintf(stderr, "produce: %s\n", errstr);
                                goto done;
                        }
                        break;
                case 'X':
                        if (lr_produce_set_prop(p.cfg, optarg, errstr,
                                                sizeof(errstr)) == -1) {
                                fprintf(stderr, "produce: %s\n", errstr);
                                goto done;
                        }
                        break;
                case 'h':
                        lr_produce_usage(stdout);
                        rc = 0;
                        goto done;
                default:
                        lr_produce_usage(stderr);
                        goto done;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "produce: unexpected argument: %s\n",
                        argv[optind]);
                goto done;
        }
        if (registry) {
                char set[2048];
                snprintf(set, sizeof(set), "schemas.registry_url=%s", registry);
                if (lr_config_set(p.cfg, set, errstr, sizeof(errstr)) == -1) {
                        fprintf(stderr, "produce: %s\n", errstr);
                        goto done;
                }
        }
        if (lr_config_finalize(p.cfg, errstr, sizeof(errstr)) == -1) {
                fprintf(stderr, "produce: %s\n", errstr);
                goto done;
        }
        if (!brokers)
                brokers = lr_config_get(p.cfg, "kafka.bootstrap.servers");
        if (!brokers)
                brokers = getenv("LEADROUTER_BROKERS");
        if (!brokers || !*brokers)
                brokers = LR_PRODUCE_DEFAULT_BROKERS;
        if (!strcmp(brokers, "embedded")) {
                fprintf(stderr, "produce: the configuration's broker is the "
                                "worker's embedded one: give --brokers\n");
                goto done;
        }

        rc      = 1;
        p.codec = lr_schema_ids_codec_new(p.cfg, errstr, sizeof(errstr));
        if (!p.codec) {
                lr_error("produce", "%s", errstr);
                goto done;
        }
        p.rk = lr_produce_kafka_new(&p, brokers, errstr, sizeof(errstr));
        if (!p.rk) {
                lr_error("produce", "%s", errstr);
                goto done;
        }

        while (getline(&line, &line_size, stdin) != -1) {
                int r;
                lineno++;
                if (lr_produce_blank(line))
                        continue;
                r = lr_produce_line(&p, lineno, line, errstr, sizeof(errstr));
                if (r == -1) {
                        lr_error("produce", "line %ld: %s", lineno, errstr);
                        p.failed++;
                } else if (r == 1) {
                        p.skipped++;
                }
                rd_kafka_poll(p.rk, 0);
        }
        if (ferror(stdin)) {
                lr_error("produce", "cannot read stdin: %s", strerror(errno));
                p.failed++;
        }

        /* Delivery reports end every message within message.timeout.ms. */
        while ((err = rd_kafka_flush(p.rk, 1000)) ==
               RD_KAFKA_RESP_ERR__TIMED_OUT)
                if (rd_kafka_fatal_error(p.rk, NULL, 0))
                        break;
        if (err) {
                rd_kafka_fatal_error(p.rk, errstr, sizeof(errstr));
                lr_error("produce", "gave up on %d undelivered message(s): %s",
                         rd_kafka_outq_len(p.rk), errstr);
                p.failed += (size_t)rd_kafka_outq_len(p.rk);
        }
        if (p.skipped)
                fprintf(stderr,
                        "produced %zu, failed %zu, skipped %zu "
                        "(other topics)\n",
                        p.produced, p.failed, p.skipped);
        else
                fprintf(stderr, "produced %zu, failed %zu\n", p.produced,
                        p.failed);
        rc = p.failed ? 1 : 0;
done:
        free(line);
        if (p.rk)
                rd_kafka_destroy(p.rk);
        lr_codec_free(p.codec);
        lr_config_free(p.cfg);
        return rc;
}
