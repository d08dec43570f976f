/*
 * dev_broker.c - the development broker: librdkafka's mock cluster hosted by
 * a producer handle that never produces, with the topics of SPEC §2.
 *
 * The mock cluster runs on its own threads; the hosting handle only has to
 * outlive it. librdkafka logs of the hosting handle go to the project log.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "dev_broker.h"
#include "log.h"

/* The default topic names of SPEC §2 (inputs, then outputs). */
static const char *lr_dev_broker_topics[] = {
        "lead-created",  "call-outcome",     "rep-status",
        "lead-assigned", "rep-tier-changed", "lead-router-dlq",
};

struct lr_dev_broker_s {
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        int brokers;
};

static void lr_dev_broker_log_cb(const rd_kafka_t *rk, int level,
                                 const char *fac, const char *buf) {
        if (level <= 3)
                lr_error("dev-broker", "%s: %s", fac, buf);
        else if (level == 4)
                lr_warn("dev-broker", "%s: %s", fac, buf);
        else
                lr_debug("dev-broker", "%s: %s", fac, buf);
}

lr_dev_broker_t *lr_dev_broker_new(int brokers, int partitions, char *errstr,
                                   size_t errstr_size) {
        lr_dev_broker_t *db;
        rd_kafka_conf_t *conf;
        size_t i;

        if (brokers < 1 || brokers > 32) {
                snprintf(errstr, errstr_size,
                         "broker count %d out of range 1..32", brokers);
                return NULL;
        }
        if (partitions < 1 || partitions > 1000) {
                snprintf(errstr, errstr_size,
                         "partition count %d out of range 1..1000", partitions);
                return NULL;
        }
        db = calloc(1, sizeof(*db));
        if (!db) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        db->brokers = brokers;

        conf = rd_kafka_conf_new();
        rd_kafka_conf_set_log_cb(conf, lr_dev_broker_log_cb);
        /* The host handle has no cluster of its own to talk to. */
        if (rd_kafka_conf_set(conf, "client.id", "leadrouter-dev-broker",
                              errstr, errstr_size) != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(conf);
                free(db);
                return NULL;
        }
        db->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!db->rk) {
                rd_kafka_conf_destroy(conf);
                free(db);
                return NULL;
        }
        db->mcluster = rd_kafka_mock_cluster_new(db->rk, brokers);
        if (!db->mcluster) {
                snprintf(errstr, errstr_size,
                         "could not start the mock cluster (no free loopback "
                         "port?)");
                lr_dev_broker_free(db);
                return NULL;
        }
        for (i = 0; i < sizeof(lr_dev_broker_topics) /
                            sizeof(*lr_dev_broker_topics);
             i++) {
                if (lr_dev_broker_create_topic(db, lr_dev_broker_topics[i],
                                               partitions, errstr,
                                               errstr_size) == -1) {
                        lr_dev_broker_free(db);
                        return NULL;
                }
        }
        return db;
}

int lr_dev_broker_create_topic(lr_dev_broker_t *db, const char *topic,
                               int partitions, char *errstr,
                               size_t errstr_size) {
        rd_kafka_resp_err_t err;
        int replicas = db->brokers < 3 ? db->brokers : 3;

        err = rd_kafka_mock_topic_create(db->mcluster, topic,
                                         partitions > 0
                                             ? partitions
                                             : LR_DEV_BROKER_DEFAULT_PARTITIONS,
                                         replicas);
        if (err) {
                snprintf(errstr, errstr_size, "cannot create topic %s: %s",
                         topic, rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

const char *lr_dev_broker_bootstraps(lr_dev_broker_t *db) {
        return rd_kafka_mock_cluster_bootstraps(db->mcluster);
}

rd_kafka_mock_cluster_t *lr_dev_broker_cluster(lr_dev_broker_t *db) {
        return db->mcluster;
}

void lr_dev_broker_free(lr_dev_broker_t *db) {
        if (!db)
                return;
        if (db->mcluster)
                rd_kafka_mock_cluster_destroy(db->mcluster);
        if (db->rk)
                rd_kafka_destroy(db->rk);
        free(db);
}

static int lr_dev_broker_parse_int(const char *s, const char *what, int *out) {
        char *end;
        long v;

        errno = 0;
        v     = strtol(s, &end, 10);
        if (errno || end == s || *end || v < INT_MIN || v > INT_MAX) {
                fprintf(stderr, "dev-broker: %s: not a number: %s\n", what, s);
                return -1;
        }
        *out = (int)v;
        return 0;
}

static void lr_dev_broker_usage(FILE *fp) {
        fprintf(fp,
                "usage: leadrouter dev-broker [--brokers N] [--partitions P]\n"
                "  Runs a Kafka-protocol development broker (librdkafka's mock "
                "cluster)\n"
                "  with the topics of leadrouter, prints its bootstrap list as "
                "the first\n"
                "  line on stdout and runs until SIGINT/SIGTERM.\n"
                "  --brokers N     brokers in the cluster (default %d)\n"
                "  --partitions P  partitions per topic (default %d)\n",
                LR_DEV_BROKER_DEFAULT_BROKERS,
                LR_DEV_BROKER_DEFAULT_PARTITIONS);
}

int lr_dev_broker_main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"brokers", required_argument, NULL, 'b'},
            {"partitions", required_argument, NULL, 'p'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        int brokers    = LR_DEV_BROKER_DEFAULT_BROKERS;
        int partitions = LR_DEV_BROKER_DEFAULT_PARTITIONS;
        lr_dev_broker_t *db;
        char errstr[512];
        sigset_t sigs;
        int opt, sig;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        if (lr_dev_broker_parse_int(optarg, "--brokers",
                                                    &brokers) == -1)
                                return 2;
                        break;
                case 'p':
                        if (lr_dev_broker_parse_int(optarg, "--partitions",
                                                    &partitions) == -1)
                                return 2;
                        break;
                case 'h':
                        lr_dev_broker_usage(stdout);
                        return 0;
                default:
                        lr_dev_broker_usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "dev-broker: unexpected argument: %s\n",
                        argv[optind]);
                lr_dev_broker_usage(stderr);
                return 2;
        }

        /* Block the stop signals before librdkafka starts its threads, so
         * that they inherit the mask and only sigwait() below sees them. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);

        db = lr_dev_broker_new(brokers, partitions, errstr, sizeof(errstr));
        if (!db) {
                lr_error("dev-broker", "%s", errstr);
                return 1;
        }
        printf("%s\n", lr_dev_broker_bootstraps(db));
        fflush(stdout);
        lr_info("dev-broker",
                "%d broker(s) at %s, %d partition(s) per topic; stop with "
                "SIGINT/SIGTERM",
                brokers, lr_dev_broker_bootstraps(db), partitions);

        while (sigwait(&sigs, &sig) != 0)
                ;
        lr_info("dev-broker", "stopping on signal %d", sig);
        lr_dev_broker_free(db);
        return 0;
}
