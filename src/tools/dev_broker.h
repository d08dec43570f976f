/*
 * dev_broker.h - an in-process Kafka-protocol broker for development and
 * tests: librdkafka's mock cluster with every topic of SPEC §2 created.
 *
 * Used by `leadrouter dev-broker` and by `kafka.bootstrap.servers: embedded`.
 * Not for production: the mock keeps a bounded log per partition and does
 * not implement every transactional guarantee (SPEC §4, §6).
 */
#ifndef LR_DEV_BROKER_H
#define LR_DEV_BROKER_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

typedef struct lr_dev_broker_s lr_dev_broker_t;

#define LR_DEV_BROKER_DEFAULT_BROKERS 1
#define LR_DEV_BROKER_DEFAULT_PARTITIONS 4

/* Starts a mock cluster of `brokers` brokers on random loopback ports and
 * creates the topics of SPEC §2 with `partitions` partitions each.
 * NULL with errstr on failure. */
lr_dev_broker_t *lr_dev_broker_new(int brokers, int partitions, char *errstr,
                                   size_t errstr_size);

/* Creates one more topic with `partitions` partitions (<= 0: the
 * default partition count). 0 or -1 with errstr. */
int lr_dev_broker_create_topic(lr_dev_broker_t *db, const char *topic,
                               int partitions, char *errstr,
                               size_t errstr_size);

/* "127.0.0.1:PORT[,127.0.0.1:PORT...]", valid until lr_dev_broker_free(). */
const char *lr_dev_broker_bootstraps(lr_dev_broker_t *db);

/* The mock cluster itself, for fault injection in tests. */
rd_kafka_mock_cluster_t *lr_dev_broker_cluster(lr_dev_broker_t *db);

void lr_dev_broker_free(lr_dev_broker_t *db);

/* Applies one fault-injection command (a line of `dev-broker --control`,
 * see its usage): "down 1", "up 1", "leader lead-assigned 0 2",
 * "errors Produce 5 NOT_LEADER_OR_FOLLOWER", "broker-errors 2 Produce 1
 * INVALID_PRODUCER_EPOCH", "clear Produce", "rtt 1 500", "coordinator group
 * G 2". 0, or -1 with errstr. */
int lr_dev_broker_command(lr_dev_broker_t *db, const char *line, char *errstr,
                          size_t errstr_size);

/* `leadrouter dev-broker [--brokers N] [--partitions P] [--control]`:
 * prints the bootstrap list as the first stdout line, runs until
 * SIGINT/SIGTERM (with --control: also until the end of stdin). */
int lr_dev_broker_main(int argc, char **argv);

#endif
