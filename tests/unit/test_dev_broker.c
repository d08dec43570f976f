/*
 * test_dev_broker.c - the fault-injection commands of `dev-broker
 * --control` (lr_dev_broker_command): what they accept, the message of what
 * they refuse, and that a leader move is what a client then sees.
 */
#include <string.h>

#include "check.h"
#include "dev_broker.h"

static char err[256];

static int cmd(lr_dev_broker_t *db, const char *line) {
        err[0] = '\0';
        return lr_dev_broker_command(db, line, err, sizeof(err));
}

static void test_accepted(lr_dev_broker_t *db) {
        static const char *ok[] = {
            "down 1",
            "up 1",
            "down -1",
            "up -1\n",
            "leader lead-created 0 2",
            "leader lead-assigned 1 -1",
            "errors Produce 3 NOT_LEADER_OR_FOLLOWER",
            "errors produce 1 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT",
            "errors 1 2 6",
            "errors InitProducerId 1 _TRANSPORT",
            "broker-errors 3 Produce 2 OUT_OF_ORDER_SEQUENCE_NUMBER",
            "broker-errors 2 Fetch 1 NOT_LEADER_FOR_PARTITION 50",
            "clear Produce",
            "clear Fetch",
            "rtt 2 0",
            "coordinator group g1 2",
            "coordinator transaction tx1 3",
            "  leader\tlead-created 0 1  ",
        };
        size_t i;
        for (i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
                if (cmd(db, ok[i]))
                        fprintf(stderr, "refused: %s: %s\n", ok[i], err);
                CHECK_INT(cmd(db, ok[i]), 0);
        }
}

static void test_refused(lr_dev_broker_t *db) {
        static const char *bad[][2] = {
            {"", "empty command"},
            {"reboot 1", "unknown command: reboot"},
            {"down", "usage: down|up BROKER"},
            {"down 9", "broker id: \"9\" is not an integer in -1..3"},
            {"down x", "broker id: \"x\" is not an integer in -1..3"},
            {"leader lead-created 0", "usage: leader TOPIC PARTITION BROKER"},
            {"leader lead-created -2 1", "partition: \"-2\" is not an integer"},
            {"errors Produce 0 NOT_LEADER_OR_FOLLOWER",
             "count: \"0\" is not an integer"},
            {"errors Produce 1 NO_SUCH_ERROR",
             "unknown error name: NO_SUCH_ERROR"},
            {"errors Bogus 1 REQUEST_TIMED_OUT",
             "request type: \"Bogus\" is not an integer"},
            {"broker-errors 2 Produce 1", "usage: broker-errors"},
            {"coordinator cluster x 1", "coordinator: group or transaction"},
            {"rtt 1 -5", "rtt: \"-5\" is not an integer"},
            {"a b c d e f g h i", "too many arguments"},
        };
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
                CHECK_INT(cmd(db, bad[i][0]), -1);
                if (strncmp(err, bad[i][1], strlen(bad[i][1])))
                        fprintf(stderr, "\"%s\": %s\n", bad[i][0], err);
                CHECK(!strncmp(err, bad[i][1], strlen(bad[i][1])));
        }
}

/* The leader a client sees for topic/partition, or -2. */
static int32_t leader_of(rd_kafka_t *rk, const char *topic, int partition) {
        const struct rd_kafka_metadata *md;
        int32_t leader = -2;
        int i;

        if (rd_kafka_metadata(rk, 1, NULL, &md, 5000))
                return -2;
        for (i = 0; i < md->topic_cnt; i++)
                if (!strcmp(md->topics[i].topic, topic) &&
                    partition < md->topics[i].partition_cnt)
                        leader = md->topics[i].partitions[partition].leader;
        rd_kafka_metadata_destroy(md);
        return leader;
}

static void test_leader_moves(lr_dev_broker_t *db) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char e[256];
        rd_kafka_t *rk;

        rd_kafka_conf_set(conf, "bootstrap.servers",
                          lr_dev_broker_bootstraps(db), e, sizeof(e));
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e));
        CHECK(rk != NULL);
        if (!rk)
                return;
        CHECK_INT(cmd(db, "leader rep-status 1 3"), 0);
        CHECK_INT(leader_of(rk, "rep-status", 1), 3);
        CHECK_INT(cmd(db, "leader rep-status 1 2"), 0);
        CHECK_INT(leader_of(rk, "rep-status", 1), 2);
        rd_kafka_destroy(rk);
}

int main(void) {
        lr_dev_broker_t *db = lr_dev_broker_new(3, 2, err, sizeof(err));
        CHECK(db != NULL);
        if (!db) {
                fprintf(stderr, "dev broker: %s\n", err);
                CHECK_DONE();
        }
        test_accepted(db);
        test_refused(db);
        test_leader_moves(db);
        lr_dev_broker_free(db);
        CHECK_DONE();
}
