/*
 * kafka.c - see kafka.h. Defaults first, then the user's kafka.* keys, so a
 * user can override any default (at their own risk for the ones the
 * delivery guarantees rest on: enable.auto.commit, isolation.level).
 */
#include <stdio.h>
#include <string.h>

#include "kafka.h"

static int lr_kafka_set(rd_kafka_conf_t *conf, const char *key,
                        const char *value, const char *cfgkey, char *errstr,
                        size_t errstr_size) {
        char err[512];
        if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "%s: %s", cfgkey, err);
                return -1;
        }
        return 0;
}

rd_kafka_conf_t *lr_kafka_conf_new(const lr_config_t *cfg, lr_kafka_role_t role,
                                   const char *bootstrap, char *errstr,
                                   size_t errstr_size) {
        static const char *consumer_defaults[][2] = {
            {"enable.auto.commit", "false"},
            {"enable.auto.offset.store", "false"},
            {"auto.offset.reset", "earliest"},
            /* Eager: cooperative rebalancing is unreliable before 2.6. */
            {"partition.assignment.strategy", "range,roundrobin"},
            {"isolation.level", "read_committed"},
            {"fetch.wait.max.ms", "50"},
            /* librdkafka's default prefetch (100000 messages). Lower
             * saves ~30 MB with a backlog but librdkafka 2.0.2 then backs
             * a full partition's next fetch off for a fixed second
             * (fetch.queue.backoff.ms is only in 2.2+): 10000 cut a
             * backlog's throughput from ~75,000 to ~13,000 events/s
             * (tests/bench, phase a). */
            {"queued.min.messages", "100000"},
            {NULL, NULL}};
        static const char *producer_defaults[][2] = {
            {"enable.idempotence", "true"},
            {"acks", "all"},
            {"linger.ms", "2"},
            {NULL, NULL}};
        int consumer = role == LR_KAFKA_CONSUMER || role == LR_KAFKA_READER;
        const char *(*defs)[2] =
            consumer ? consumer_defaults : producer_defaults;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        size_t i;

        if (lr_kafka_set(conf, "bootstrap.servers", bootstrap,
                         "kafka.bootstrap.servers", errstr, errstr_size))
                goto fail;
        if (role == LR_KAFKA_CONSUMER &&
            lr_kafka_set(conf, "group.id", cfg->group_id, "kafka.group.id",
                         errstr, errstr_size))
                goto fail;
        for (i = 0; defs[i][0]; i++)
                if (lr_kafka_set(conf, defs[i][0], defs[i][1], defs[i][0],
                                 errstr, errstr_size))
                        goto fail;
        for (i = 0; i < cfg->kv_cnt; i++) {
                const char *k = cfg->kv[i].key;
                if (strncmp(k, "kafka.", 6) ||
                    !strcmp(k, "kafka.bootstrap.servers") ||
                    !strcmp(k, "kafka.group.id"))
                        continue;
                /* A transactional id belongs to the worker's producer
                 * alone. */
                if (role != LR_KAFKA_PRODUCER &&
                    !strcmp(k, "kafka.transactional.id"))
                        continue;
                if (lr_kafka_set(conf, k + 6, cfg->kv[i].value, k, errstr,
                                 errstr_size))
                        goto fail;
        }
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}
