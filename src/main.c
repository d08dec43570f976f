/*
 * main.c - the `leadrouter` command line: one subcommand per tool, each
 * implemented in its own file; this file only dispatches and owns the
 * options shared by the subcommands that read the config (run, scorecard).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dev_broker.h"
#include "generate.h"
#include "kafka.h"
#include "log.h"
#include "produce.h"
#include "scorecard_cmd.h"
#include "simulate.h"
#include "worker.h"

static volatile sig_atomic_t lr_stop;

static void lr_on_signal(int sig) {
        (void)sig;
        lr_stop = 1;
}

static void lr_install_signals(void) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = lr_on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

static void lr_usage(FILE *fp) {
        fprintf(
            fp,
            "usage: leadrouter <command> [options]\n"
            "\n"
            "  run --config FILE [--set key=value]...   the worker\n"
            "  dev-broker [--brokers N] [--partitions P] a Kafka-protocol "
            "broker for development\n"
            "  produce --topic T [--brokers B]          JSON lines on stdin "
            "-> Avro events\n"
            "  generate --tenant T --reps N --days D --seed S   a "
            "synthetic org history\n"
            "  scorecard --tenant T [--as-of DATE | --month YYYY-MM] "
            "[--format table|json|csv|html]\n"
            "            [--rep R] [--team T] [--out DIR] [--config FILE] "
            "[--set key=value]...\n"
            "  simulate --strategies LIST --reps N --days D --seed S\n"
            "            [--format table|json] [--start DATE] [--tenant T] "
            "[--keep]\n"
            "            [--config FILE] [--set key=value]...   "
            "strategies compared on a\n"
            "            generated org, routed by the real routing "
            "against Redis\n");
}

/* Parses --config/--set (any order) into a finalized config; other
 * options are handed to `other` (which returns how many argv entries it
 * took, or -1 for an unknown option). NULL on error, after printing it. */
static lr_config_t *lr_config_from_args(int argc, char **argv, int need_config,
                                        int (*other)(int, char **, int, void *),
                                        void *opaque) {
        lr_config_t *cfg = lr_config_new();
        char errstr[512];
        const char *path = NULL;
        int i;

        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--config") && i + 1 < argc) {
                        path = argv[++i];
                        if (lr_config_load_file(cfg, path, errstr,
                                                sizeof(errstr)))
                                goto fail;
                } else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
                        if (lr_config_set(cfg, argv[++i], errstr,
                                          sizeof(errstr)))
                                goto fail;
                } else {
                        int took = other ? other(argc, argv, i, opaque) : -1;
                        if (took < 0) {
                                snprintf(errstr, sizeof(errstr),
                                         "unknown or incomplete option %s",
                                         argv[i]);
                                goto fail;
                        }
                        i += took - 1;
                }
        }
        if (need_config && !path) {
                snprintf(errstr, sizeof(errstr), "--config FILE is required");
                goto fail;
        }
        if (lr_config_finalize(cfg, errstr, sizeof(errstr)))
                goto fail;
        return cfg;
fail:
        fprintf(stderr, "leadrouter %s: %s\n", argv[0], errstr);
        lr_config_free(cfg);
        return NULL;
}

static int lr_cmd_run(int argc, char **argv) {
        lr_config_t *cfg = lr_config_from_args(argc, argv, 1, NULL, NULL);
        rd_kafka_conf_t *conf;
        char errstr[512];
        int rc, role;
        if (!cfg)
                return 2;
        /* librdkafka checks the kafka.* keys: do it before connecting. */
        for (role = LR_KAFKA_CONSUMER; role <= LR_KAFKA_PRODUCER; role++) {
                if (!(conf = lr_kafka_conf_new(cfg, (lr_kafka_role_t)role,
                                               "localhost", errstr,
                                               sizeof(errstr)))) {
                        fprintf(stderr, "leadrouter run: %s\n", errstr);
                        lr_config_free(cfg);
                        return 2;
                }
                rd_kafka_conf_destroy(conf);
        }
        lr_install_signals();
        rc = lr_worker_run(cfg, &lr_stop);
        lr_config_free(cfg);
        return rc;
}

static int lr_cmd_scorecard(int argc, char **argv) {
        lr_scorecard_args_t a;
        lr_config_t *cfg;
        int rc;

        memset(&a, 0, sizeof(a));
        if (!(cfg = lr_config_from_args(argc, argv, 0, lr_scorecard_args_opt,
                                        &a)))
                return 2;
        rc = lr_scorecard_main(cfg, &a);
        lr_config_free(cfg);
        return rc;
}

static int lr_cmd_simulate(int argc, char **argv) {
        lr_sim_args_t a;
        lr_config_t *cfg;
        int rc;

        memset(&a, 0, sizeof(a));
        if (!(cfg = lr_config_from_args(argc, argv, 0, lr_sim_args_opt, &a)))
                return 2;
        rc = lr_simulate_main(cfg, &a);
        lr_config_free(cfg);
        return rc;
}

int main(int argc, char **argv) {
        const char *cmd;
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
            !strcmp(argv[1], "help")) {
                lr_usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 2 : 0;
        }
        cmd = argv[1];
        argc--;
        argv++;
        if (!strcmp(cmd, "run"))
                return lr_cmd_run(argc, argv);
        if (!strcmp(cmd, "scorecard"))
                return lr_cmd_scorecard(argc, argv);
        if (!strcmp(cmd, "dev-broker"))
                return lr_dev_broker_main(argc, argv);
        if (!strcmp(cmd, "produce"))
                return lr_produce_main(argc, argv);
        if (!strcmp(cmd, "generate"))
                return lr_generate_main(argc, argv);
        if (!strcmp(cmd, "simulate"))
                return lr_cmd_simulate(argc, argv);
        fprintf(stderr, "leadrouter: unknown command %s\n\n", cmd);
        lr_usage(stderr);
        return 2;
}
