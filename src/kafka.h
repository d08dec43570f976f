/*
 * kafka.h - librdkafka configuration from the leadrouter config: every
 * kafka.* key is passed through as is (like kcat's -X), on top of the
 * settings leadrouter relies on (manual offset commits, eager assignment,
 * read_committed, an idempotent producer).
 */
#ifndef LR_KAFKA_H
#define LR_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "config.h"

typedef enum {
        LR_KAFKA_CONSUMER, /* the worker's: kafka.group.id */
        LR_KAFKA_PRODUCER, /* the worker's: kafka.transactional.id */
        /* A tool reading topics with rd_kafka_assign() (replay): it must
         * never join or commit for the workers' group, so kafka.group.id is
         * not used (the caller sets a group.id of its own, which assign()
         * needs and which is never joined). */
        LR_KAFKA_READER,
        /* A tool's producer (replay's --output-topic): never
         * kafka.transactional.id, which would fence the worker's. */
        LR_KAFKA_TOOL_PRODUCER,
} lr_kafka_role_t;

/* A new configuration for the role with bootstrap servers `bootstrap` (the
 * resolved list: "embedded" already replaced). NULL + errstr naming the
 * offending key on a bad property. */
rd_kafka_conf_t *lr_kafka_conf_new(const lr_config_t *cfg, lr_kafka_role_t role,
                                   const char *bootstrap, char *errstr,
                                   size_t errstr_size);

#endif
