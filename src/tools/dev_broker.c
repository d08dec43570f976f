/*
 * dev_broker.c - the development broker: librdkafka's mock cluster hosted by
 * a producer handle that never produces, with the topics of SPEC §2.
 *
 * The mock cluster runs on its own threads; the hosting handle only has to
 * outlive it. librdkafka logs of the hosting handle go to the project log.
 *
 * Fault injection for tests: lr_dev_broker_command() applies one line of a
 * small command language (brokers down and up, leader moves, request
 * errors, latency) to the cluster; `dev-broker --control` reads such lines
 * on stdin and answers each with "ok" or "error: ..." on stdout, so a test
 * can script a fault and know it is in force.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pthread.h>

#include "dev_broker.h"
#include "log.h"
#include "numparse.h"

/* The default topic names of SPEC §2 (inputs, then outputs), and the
 * shadow policy's decisions. */
static const char *lr_dev_broker_topics[] = {
    "lead-created",         "call-outcome",     "rep-status",
    "lead-assigned",        "rep-tier-changed", "lead-router-dlq",
    "lead-assigned-shadow",
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
        /* The host handle has no cluster of its own to talk to. The mock
         * brokers' sockets take its socket settings: without TCP_NODELAY a
         * response written while the previous one is unacknowledged waits
         * for the client's delayed ACK, 40 ms per produce to several
         * partitions. */
        if (rd_kafka_conf_set(conf, "client.id", "leadrouter-dev-broker",
                              errstr, errstr_size) != RD_KAFKA_CONF_OK ||
            rd_kafka_conf_set(conf, "socket.nagle.disable", "true", errstr,
                              errstr_size) != RD_KAFKA_CONF_OK) {
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
        for (i = 0;
             i < sizeof(lr_dev_broker_topics) / sizeof(*lr_dev_broker_topics);
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

        err = rd_kafka_mock_topic_create(
            db->mcluster, topic,
            partitions > 0 ? partitions : LR_DEV_BROKER_DEFAULT_PARTITIONS,
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

/* Kafka protocol request names (ApiKey) that a test may want to fail. */
static const struct {
        const char *name;
        int16_t key;
} lr_dev_broker_apis[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"ApiVersions", 18},
    {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

#define LR_DEV_BROKER_MAX_ARGS 8

static int lr_dev_broker_arg_int(const char *s, const char *what, long lo,
                                 long hi, long *out, char *errstr,
                                 size_t errstr_size) {
        long long v;
        if (lr_parse_ll(what, s, lo, hi, &v, errstr, errstr_size))
                return -1;
        *out = (long)v;
        return 0;
}

/* An API by name (any case) or number. */
static int lr_dev_broker_arg_api(const char *s, int16_t *key, char *errstr,
                                 size_t errstr_size) {
        size_t i;
        long v;

        for (i = 0;
             i < sizeof(lr_dev_broker_apis) / sizeof(*lr_dev_broker_apis);
             i++) {
                if (!strcasecmp(s, lr_dev_broker_apis[i].name)) {
                        *key = lr_dev_broker_apis[i].key;
                        return 0;
                }
        }
        if (lr_dev_broker_arg_int(s, "request type", 0, 100, &v, errstr,
                                  errstr_size))
                return -1;
        *key = (int16_t)v;
        return 0;
}

/* An error by librdkafka's name (NOT_LEADER_OR_FOLLOWER, with or without
 * the RD_KAFKA_RESP_ERR_ prefix, any case) or number. */
static int lr_dev_broker_arg_err(const char *s, rd_kafka_resp_err_t *err,
                                 char *errstr, size_t errstr_size) {
        const struct rd_kafka_err_desc *descs;
        size_t cnt, i;
        long v;

        if (!strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18))
                s += 18;
        /* Kafka's current name; librdkafka 2.0's table has the old one. */
        if (!strcasecmp(s, "NOT_LEADER_OR_FOLLOWER")) {
                *err = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
                return 0;
        }
        rd_kafka_get_err_descs(&descs, &cnt);
        for (i = 0; i < cnt; i++) {
                if (descs[i].name && !strcasecmp(s, descs[i].name)) {
                        *err = descs[i].code;
                        return 0;
                }
        }
        if (!isdigit((unsigned char)*s) && *s != '-') {
                snprintf(errstr, errstr_size, "unknown error name: %s", s);
                return -1;
        }
        if (lr_dev_broker_arg_int(s, "error code", -200, 1000, &v, errstr,
                                  errstr_size))
                return -1;
        *err = (rd_kafka_resp_err_t)v;
        return 0;
}

int lr_dev_broker_command(lr_dev_broker_t *db, const char *line, char *errstr,
                          size_t errstr_size) {
        char buf[512], *argv[LR_DEV_BROKER_MAX_ARGS], *save = NULL, *tok;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR, code;
        int argc                = 0;
        long a, b, c;
        int16_t api;

        snprintf(buf, sizeof(buf), "%s", line);
        for (tok = strtok_r(buf, " \t\r\n", &save); tok;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
                if (argc == LR_DEV_BROKER_MAX_ARGS) {
                        snprintf(errstr, errstr_size, "too many arguments");
                        return -1;
                }
                argv[argc++] = tok;
        }
        if (!argc) {
                snprintf(errstr, errstr_size, "empty command");
                return -1;
        }
#define LR_ARGC(n, usage)                                                      \
        if (argc != (n)) {                                                     \
                snprintf(errstr, errstr_size, "usage: %s", usage);             \
                return -1;                                                     \
        }
#define LR_BROKER(s, out)                                                      \
        if (lr_dev_broker_arg_int(s, "broker id", -1, db->brokers, out,        \
                                  errstr, errstr_size))                        \
                return -1;

        if (!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) {
                LR_ARGC(2, "down|up BROKER (1.., or -1 for all)");
                LR_BROKER(argv[1], &a);
                err =
                    argv[0][0] == 'd'
                        ? rd_kafka_mock_broker_set_down(db->mcluster,
                                                        (int32_t)a)
                        : rd_kafka_mock_broker_set_up(db->mcluster, (int32_t)a);
        } else if (!strcmp(argv[0], "topic")) {
                LR_ARGC(3, "topic NAME PARTITIONS");
                if (lr_dev_broker_arg_int(argv[2], "partitions", 1, 10000, &a,
                                          errstr, errstr_size))
                        return -1;
                return lr_dev_broker_create_topic(db, argv[1], (int)a, errstr,
                                                  errstr_size);
        } else if (!strcmp(argv[0], "leader")) {
                LR_ARGC(4, "leader TOPIC PARTITION BROKER (-1: no leader)");
                if (lr_dev_broker_arg_int(argv[2], "partition", 0, 100000, &a,
                                          errstr, errstr_size))
                        return -1;
                LR_BROKER(argv[3], &b);
                err = rd_kafka_mock_partition_set_leader(
                    db->mcluster, argv[1], (int32_t)a, (int32_t)b);
        } else if (!strcmp(argv[0], "errors")) {
                LR_ARGC(4, "errors REQUEST COUNT ERROR");
                if (lr_dev_broker_arg_api(argv[1], &api, errstr, errstr_size) ||
                    lr_dev_broker_arg_int(argv[2], "count", 1, 100000, &a,
                                          errstr, errstr_size) ||
                    lr_dev_broker_arg_err(argv[3], &code, errstr, errstr_size))
                        return -1;
                while (a-- > 0)
                        rd_kafka_mock_push_request_errors_array(db->mcluster,
                                                                api, 1, &code);
        } else if (!strcmp(argv[0], "broker-errors")) {
                if (argc != 5 && argc != 6) {
                        snprintf(errstr, errstr_size,
                                 "usage: broker-errors BROKER REQUEST COUNT "
                                 "ERROR [RTT_MS]");
                        return -1;
                }
                LR_BROKER(argv[1], &a);
                c = 0;
                if (lr_dev_broker_arg_api(argv[2], &api, errstr, errstr_size) ||
                    lr_dev_broker_arg_int(argv[3], "count", 1, 100000, &b,
                                          errstr, errstr_size) ||
                    lr_dev_broker_arg_err(argv[4], &code, errstr,
                                          errstr_size) ||
                    (argc == 6 &&
                     lr_dev_broker_arg_int(argv[5], "rtt", 0, 600000, &c,
                                           errstr, errstr_size)))
                        return -1;
                while (!err && b-- > 0)
                        err = rd_kafka_mock_broker_push_request_error_rtts(
                            db->mcluster, (int32_t)a, api, 1, code, (int)c);
        } else if (!strcmp(argv[0], "clear")) {
                LR_ARGC(2, "clear REQUEST");
                if (lr_dev_broker_arg_api(argv[1], &api, errstr, errstr_size))
                        return -1;
                rd_kafka_mock_clear_request_errors(db->mcluster, api);
        } else if (!strcmp(argv[0], "rtt")) {
                LR_ARGC(3, "rtt BROKER MS");
                LR_BROKER(argv[1], &a);
                if (lr_dev_broker_arg_int(argv[2], "rtt", 0, 600000, &b, errstr,
                                          errstr_size))
                        return -1;
                err = rd_kafka_mock_broker_set_rtt(db->mcluster, (int32_t)a,
                                                   (int)b);
        } else if (!strcmp(argv[0], "coordinator")) {
                LR_ARGC(4, "coordinator group|transaction KEY BROKER");
                if (strcmp(argv[1], "group") &&
                    strcmp(argv[1], "transaction")) {
                        snprintf(errstr, errstr_size,
                                 "coordinator: group or transaction, not %s",
                                 argv[1]);
                        return -1;
                }
                LR_BROKER(argv[3], &a);
                err = rd_kafka_mock_coordinator_set(db->mcluster, argv[1],
                                                    argv[2], (int32_t)a);
        } else {
                snprintf(errstr, errstr_size, "unknown command: %s", argv[0]);
                return -1;
        }
#undef LR_ARGC
#undef LR_BROKER
        if (err) {
                snprintf(errstr, errstr_size, "%s: %s", argv[0],
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static void lr_dev_broker_usage(FILE *fp) {
        fprintf(
            fp,
            "usage: leadrouter dev-broker [--brokers N] [--partitions P] "
            "[--control]\n"
            "  Runs a Kafka-protocol development broker (librdkafka's mock "
            "cluster)\n"
            "  with the topics of leadrouter, prints its bootstrap list as "
            "the first\n"
            "  line on stdout and runs until SIGINT/SIGTERM.\n"
            "  --brokers N     brokers in the cluster (default %d)\n"
            "  --partitions P  partitions per topic (default %d)\n"
            "  --control       read fault-injection commands on stdin, "
            "one a line,\n"
            "                  each answered \"ok\" or \"error: ...\" on "
            "stdout; stops at\n"
            "                  the end of stdin. Commands:\n"
            "    down|up BROKER                  broker 1..N (-1: all) "
            "refuses/accepts\n"
            "                                    connections (leaders do "
            "not move)\n"
            "    topic NAME PARTITIONS           create a topic\n"
            "    leader TOPIC PARTITION BROKER   move a partition's leader\n"
            "    errors REQUEST COUNT ERROR      the next COUNT requests of "
            "that type\n"
            "                                    (Produce, Fetch, "
            "InitProducerId, ...) fail\n"
            "                                    with ERROR "
            "(NOT_LEADER_OR_FOLLOWER, ...)\n"
            "    broker-errors BROKER REQUEST COUNT ERROR [RTT_MS]   the "
            "same, one broker\n"
            "    clear REQUEST                   drop the pending errors "
            "of a request type\n"
            "    rtt BROKER MS                   delay every response of a "
            "broker\n"
            "    coordinator group|transaction KEY BROKER   move a "
            "coordinator\n",
            LR_DEV_BROKER_DEFAULT_BROKERS, LR_DEV_BROKER_DEFAULT_PARTITIONS);
}

/* The --control reader: commands are applied under `lock`, which the main
 * thread takes to free the cluster, so no command runs against a freed one.
 * At the end of stdin it stops the process (the test that drives it is
 * gone). */
typedef struct lr_dev_broker_control_s {
        lr_dev_broker_t *db;
        pthread_mutex_t lock;
} lr_dev_broker_control_t;

static void *lr_dev_broker_control_main(void *arg) {
        lr_dev_broker_control_t *ctl = arg;
        char line[512], errstr[256];

        while (fgets(line, sizeof(line), stdin)) {
                int r;
                pthread_mutex_lock(&ctl->lock);
                r = ctl->db ? lr_dev_broker_command(ctl->db, line, errstr,
                                                    sizeof(errstr))
                            : -1;
                if (!ctl->db)
                        snprintf(errstr, sizeof(errstr), "stopping");
                pthread_mutex_unlock(&ctl->lock);
                if (r)
                        lr_warn("dev-broker", "control: %s", errstr);
                else
                        lr_info("dev-broker", "control: %.*s",
                                (int)strcspn(line, "\r\n"), line);
                printf(r ? "error: %s\n" : "ok\n", errstr);
                fflush(stdout);
        }
        kill(getpid(), SIGTERM);
        return NULL;
}

int lr_dev_broker_main(int argc, char **argv) {
        static const struct option longopts[] = {
            {"brokers", required_argument, NULL, 'b'},
            {"partitions", required_argument, NULL, 'p'},
            {"control", no_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        int brokers    = LR_DEV_BROKER_DEFAULT_BROKERS;
        int partitions = LR_DEV_BROKER_DEFAULT_PARTITIONS;
        lr_dev_broker_control_t ctl;
        pthread_t thr;
        int control = 0;
        lr_dev_broker_t *db;
        char errstr[512];
        sigset_t sigs;
        long long v;
        int opt, sig;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (opt) {
                case 'b':
                        if (lr_parse_opt("dev-broker", "--brokers", optarg, 1,
                                         32, &v))
                                return 2;
                        brokers = (int)v;
                        break;
                case 'p':
                        if (lr_parse_opt("dev-broker", "--partitions", optarg,
                                         1, 1000, &v))
                                return 2;
                        partitions = (int)v;
                        break;
                case 'c':
                        control = 1;
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

        ctl.db = db;
        pthread_mutex_init(&ctl.lock, NULL);
        if (control &&
            pthread_create(&thr, NULL, lr_dev_broker_control_main, &ctl)) {
                lr_error("dev-broker", "cannot start the control reader");
                lr_dev_broker_free(db);
                return 1;
        }
        if (control)
                pthread_detach(thr);

        while (sigwait(&sigs, &sig) != 0)
                ;
        lr_info("dev-broker", "stopping on signal %d", sig);
        pthread_mutex_lock(&ctl.lock);
        lr_dev_broker_free(db);
        ctl.db = NULL;
        pthread_mutex_unlock(&ctl.lock);
        return 0;
}
