/*
 * main.c - the `leadrouter` command line: one subcommand per tool, each
 * implemented in its own file; this file only dispatches and owns the
 * options shared by the subcommands that read the config (run, scorecard,
 * simulate, --version), with their usage: every subcommand answers --help
 * on stdout with status 0.
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
#include "replay.h"
#include "scorecard_cmd.h"
#include "simulate.h"
#include "state.h"
#include "version.h"
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
            "       leadrouter --version [--config FILE] [--set "
            "key=value]...\n"
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
            "(in memory)\n"
            "  replay [--input FILE...] [--from TIME] [--to TIME] "
            "[--compare TOPIC|FILE]\n"
            "            [--format table|json|html] [--config FILE] [--set "
            "key=value]...\n"
            "            historical events through the routing, in memory; "
            "an audit of the\n"
            "            recorded decisions, a what-if of a policy\n"
            "  state export --tenant T | state import [--tenant T] "
            "[--replace]\n"
            "            [--config FILE] [--set key=value]...   a "
            "tenant's stored state as one file\n"
            "\n"
            "`leadrouter <command> --help` explains a command; "
            "ops/leadrouter.yaml documents\n"
            "every configuration key.\n");
}

#define LR_CONFIG_OPTIONS                                                      \
        "  --config FILE      the YAML configuration (ops/leadrouter.yaml "    \
        "documents\n"                                                          \
        "                     every key)\n"                                    \
        "  --set key=value    overrides a key of the file (repeatable); "      \
        "${VAR} in a\n"                                                        \
        "                     value reads the environment\n"

static const char lr_run_usage[] =
    "usage: leadrouter run --config FILE [--set key=value]...\n"
    "  The worker: consumes lead-created, call-outcome and rep-status, keeps "
    "each\n"
    "  rep's metrics and availability in Redis, and publishes a "
    "lead-assigned event\n"
    "  for every routing decision (and rep-tier-changed, dead letters). "
    "Runs until\n"
    "  SIGINT/SIGTERM. GET /metrics and /healthz on "
    "http.listen.\n" LR_CONFIG_OPTIONS;

static const char lr_scorecard_usage[] =
    "usage: leadrouter scorecard --tenant T [--as-of YYYY-MM-DD | --month "
    "YYYY-MM]\n"
    "                            [--rep R] [--team T] [--out DIR]\n"
    "                            [--format table|json|csv|html] [--config "
    "FILE]\n"
    "                            [--set key=value]...\n"
    "  Every rep of tenant T with its rank, tier, composite, status, open "
    "leads,\n"
    "  the five metrics (raw value and normalised score), what it takes "
    "to reach\n"
    "  the next tier (in all and per metric) and whom to learn from, as the "
    "router\n"
    "  ranked them on that day (its ranking history in Redis: redis.url,\n"
    "  redis.namespace; kept redis.ranking_retention_days).\n"
    "  --tenant T         the tenant (required)\n"
    "  --as-of DATE       the day (default today, UTC)\n"
    "  --month YYYY-MM    the ranking of the month's last evaluation\n"
    "  --rep R            one rep's page: metrics against the tier, "
    "12 months of\n"
    "                     composite and rank, tier history, coaching\n"
    "  --team T           only the reps of team T\n"
    "  --out DIR          write the tenant page and one page per rep (html)\n"
    "  --format F         table (default), json, csv or "
    "html\n" LR_CONFIG_OPTIONS;

static const char lr_simulate_usage[] =
    "usage: leadrouter simulate [--strategies LIST] [--reps N] [--days D] "
    "[--seed S]\n"
    "                           [--start DATE] [--tenant T] [--format "
    "table|json]\n"
    "                           [--keep] [--config FILE] [--set "
    "key=value]...\n"
    "  A closed loop: a generated org's leads are routed by the real "
    "routing\n"
    "  (the worker's core, in memory), and each "
    "outcome is\n"
    "  drawn from the hidden skill of the rep who got the lead, so that "
    "strategies\n"
    "  can be compared on the same org.\n"
    "  --strategies LIST  comma-separated: ranked, round_robin, "
    "weighted_round_robin,\n"
    "                     least_loaded, territory (default "
    "ranked,round_robin)\n"
    "  --reps N           reps (default 40)\n"
    "  --days D           days with leads (default 180)\n"
    "  --seed S           seed (default 1)\n"
    "  --seeds LIST       several seeds (1-5, or 1,4,9): each strategy on "
    "each, the\n"
    "                     means and spread reported (--format json: "
    "\"spread\", \"seeds\")\n"
    "  --start DATE       first day (YYYY-MM-DD)\n"
    "  --tenant T         tenant id (its tenants.<id>.* policy applies; "
    "default sim)\n"
    "  --format F         table (default) or json\n"
    "  --keep             go through Redis (redis.url): the state is "
    "written and\n"
    "                     loaded back every simulated day, and left in\n"
    "                     <redis.namespace>-sim-<strategy>-<seed> for the "
    "scorecard\n" LR_CONFIG_OPTIONS;

static const char lr_state_usage[] =
    "usage: leadrouter state export --tenant T [--file F]\n"
    "       leadrouter state import [--tenant T] [--replace] [--file F]\n"
    "       (both with [--config FILE] [--set key=value]...)\n"
    "  A tenant's stored state (redis.url, redis.namespace) as one "
    "versioned JSON\n"
    "  file: every key as stored, and a summary (reps, waiting leads, "
    "outbox,\n"
    "  ranking day). Import writes it into another namespace or Redis; a\n"
    "  tenant that has state there already is refused unless --replace.\n"
    "  --tenant T         export: the tenant; import: the id to import as\n"
    "                     (default: the one exported)\n"
    "  --file F           the file (default stdout / stdin)\n"
    "  --replace          import over an existing state\n" LR_CONFIG_OPTIONS;

static const char lr_replay_usage[] =
    "usage: leadrouter replay [--config FILE] [--set key=value]...\n"
    "                         [--input FILE...] [--from TIME] [--to TIME]\n"
    "                         [--from-offset [TOPIC[:PARTITION]=]N]... "
    "[--to-offset ...]...\n"
    "                         [--state FILE] [--tenant T]... [--compare "
    "TOPIC|FILE]\n"
    "                         [--order recorded|event-time] [--output FILE] "
    "[--output-topic T]\n"
    "                         [--format table|json|html]\n"
    "  Applies historical input events to tenants in memory (empty, or "
    "seeded from\n"
    "  a state export), with the event clock, through the routing of `run`. "
    "Never\n"
    "  writes to Redis or to the workers' output topics. Progress on a "
    "terminal.\n"
    "  --input FILE...    JSON lines as `generate` writes them, or Avro "
    "object\n"
    "                     container files of LeadCreated, CallOutcome or "
    "RepStatus\n"
    "                     records (default: the config's three input topics, "
    "every\n"
    "                     partition, read-only: no consumer group, no "
    "commit, up to\n"
    "                     the end offsets when the replay starts)\n"
    "  --from/--to TIME   only events of event time in [from, to) "
    "(ISO 8601);\n"
    "                     Kafka starts at --from's offsets "
    "(offsets-for-times)\n"
    "  --from-offset, --to-offset [TOPIC[:PARTITION]=]N\n"
    "                     Kafka offsets to start at / stop before\n"
    "  --state FILE       start the file's tenant from `state export`'s "
    "file\n"
    "  --tenant T         only tenant T (repeatable)\n"
    "  --compare X        the recorded decisions: a file (JSON lines, Avro "
    "container,\n"
    "                     or framed values), else topic X read from its "
    "beginning;\n"
    "                     joined on event_id, differences with their cause\n"
    "  --order O          recorded: each tenant's inputs in the order the "
    "worker applied\n"
    "                     them (the recorded inputs_applied; the default "
    "when\n"
    "                     comparing with the topics); event-time: by event "
    "time\n"
    "  --reorder-window N inputs held per stream to restore event-time "
    "order (4096)\n"
    "  --output FILE      the replayed decisions as LeadAssigned JSON lines\n"
    "  --output-topic T   ... as Avro LeadAssigned records to topic T (not "
    "a topic\n"
    "                     of the workers)\n"
    "  --format F         table (default), json or html (one "
    "self-contained page)\n"
    "  With --set policy.*=... (or another --config) the comparison is a "
    "what-if:\n"
    "  leads that would have gone elsewhere, leads per rep and tier, Gini, "
    "waits,\n"
    "  SLA exposure, expected conversions and revenue (an estimate).\n"
    "  Exit status: 0 every recorded decision reproduced, 1 some differ, 2 "
    "a usage\n"
    "  or input error.\n" LR_CONFIG_OPTIONS;

static const char lr_version_usage[] =
    "usage: leadrouter --version [--config FILE] [--set key=value]...\n"
    "  Prints the leadrouter version, the versions of librdkafka, avro-c, "
    "hiredis\n"
    "  and libcurl, and the version of the Redis server at redis.url "
    "(default\n"
    "  redis://127.0.0.1:6379/0; \"unreachable\" when it does not "
    "answer).\n" LR_CONFIG_OPTIONS;

/* Whether argv[1..] asks for help. */
static int lr_wants_help(int argc, char **argv) {
        int i;
        for (i = 1; i < argc; i++)
                if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
                        return 1;
        return 0;
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
        lr_config_t *cfg;
        rd_kafka_conf_t *conf;
        char errstr[512];
        int rc, role;
        if (lr_wants_help(argc, argv)) {
                fputs(lr_run_usage, stdout);
                return 0;
        }
        if (!(cfg = lr_config_from_args(argc, argv, 1, NULL, NULL)))
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
        if (lr_wants_help(argc, argv)) {
                fputs(lr_scorecard_usage, stdout);
                return 0;
        }
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
        if (lr_wants_help(argc, argv)) {
                fputs(lr_simulate_usage, stdout);
                return 0;
        }
        if (!(cfg = lr_config_from_args(argc, argv, 0, lr_sim_args_opt, &a)))
                return 2;
        rc = lr_simulate_main(cfg, &a);
        lr_config_free(cfg);
        return rc;
}

static int lr_cmd_state(int argc, char **argv) {
        lr_state_args_t a;
        lr_config_t *cfg;
        int rc;

        memset(&a, 0, sizeof(a));
        if (lr_wants_help(argc, argv)) {
                fputs(lr_state_usage, stdout);
                return 0;
        }
        if (!(cfg = lr_config_from_args(argc, argv, 0, lr_state_args_opt, &a)))
                return 2;
        rc = lr_state_main(cfg, &a);
        lr_config_free(cfg);
        return rc;
}

static int lr_cmd_replay(int argc, char **argv) {
        lr_replay_args_t a;
        lr_config_t *cfg;
        int rc;

        memset(&a, 0, sizeof(a));
        if (lr_wants_help(argc, argv)) {
                fputs(lr_replay_usage, stdout);
                return 0;
        }
        if (!(cfg =
                  lr_config_from_args(argc, argv, 0, lr_replay_args_opt, &a))) {
                lr_replay_args_free(&a);
                return 2;
        }
        rc = lr_replay_main(cfg, &a);
        lr_replay_args_free(&a);
        lr_config_free(cfg);
        return rc;
}

static int lr_cmd_version(int argc, char **argv) {
        lr_config_t *cfg;

        if (lr_wants_help(argc, argv)) {
                fputs(lr_version_usage, stdout);
                return 0;
        }
        if (!(cfg = lr_config_from_args(argc, argv, 0, NULL, NULL)))
                return 2;
        lr_version_print(stdout, cfg);
        lr_config_free(cfg);
        return 0;
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
        if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") ||
            !strcmp(cmd, "version"))
                return lr_cmd_version(argc, argv);
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
        if (!strcmp(cmd, "state"))
                return lr_cmd_state(argc, argv);
        if (!strcmp(cmd, "replay"))
                return lr_cmd_replay(argc, argv);
        fprintf(stderr, "leadrouter: unknown command %s\n\n", cmd);
        lr_usage(stderr);
        return 2;
}
