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

typedef enum { LR_KAFKA_CONSUMER, LR_KAFKA_PRODUCER } lr_kafka_role_t;

/* A new configuration for the role with bootstrap servers `bootstrap` (the
 * resolved list: "embedded" already replaced). NULL + errstr naming the
 * offending key on a bad property. */
rd_kafka_conf_t *lr_kafka_conf_new(const lr_config_t *cfg, lr_kafka_role_t role,
                                   const char *bootstrap, char *errstr,
                                   size_t errstr_size);

#endif
