/*
 * test_registry.c - decoding through a Confluent Schema Registry. Confluent's
 * registry is not installable here, so a few lines of Python http.server on
 * a free loopback port stand in for it, answering GET /schemas/ids/<id> the
 * way Confluent does. Checks: with a registry, the manifest's ids mean
 * nothing (id 1 is asked of the registry, and unknown there); an id is
 * fetched and decoded (a LeadCreated one version ahead, tests/schemas/),
 * answers are cached (the server logs each request), unknown ids give
 * SCHEMA_ID, server errors and a dead server give the retriable REGISTRY
 * error, a foreign record is refused. The registry's write side (subjects,
 * auto-registration, basic auth) is tested end to end by
 * test_schema_registry.py against a fuller registry.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "embedded.h"
#include "leadrouter/codec.h"

static const char *server_py =
    "import http.server, json, os, sys\n"
    "log = open(os.environ['LR_REG_LOG'], 'a')\n"
    "answers = {\n"
    "  '900': (200, {'schema': os.environ['LR_REG_V2']}),\n"
    "  '903': (200, {'schema': os.environ['LR_REG_V1'], 'schemaType': "
    "'AVRO'}),\n"
    "  '901': (500, {'error_code': 50001, 'message': 'store is down'}),\n"
    "  '902': (200, {'schema': json.dumps({'type': 'record', 'name': "
    "'Other', 'namespace': 'com.acme', 'fields': []})}),\n"
    "  '905': (200, {'schema': '{}', 'schemaType': 'PROTOBUF'}),\n"
    "}\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        log.write(self.path + '\\n'); log.flush()\n"
    "        p = self.path.split('/')\n"
    "        code, obj = (404, {'error_code': 40403, 'message': 'Schema not "
    "found'})\n"
    "        if len(p) == 4 and p[1] == 'schemas' and p[2] == 'ids':\n"
    "            code, obj = answers.get(p[3], (code, obj))\n"
    "        body = json.dumps(obj).encode()\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', "
    "'application/vnd.schemaregistry.v1+json')\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "tmp = os.environ['LR_REG_PORT'] + '.tmp'\n"
    "open(tmp, 'w').write('%d\\n' % s.server_address[1])\n"
    "os.rename(tmp, os.environ['LR_REG_PORT'])\n"
    "s.serve_forever()\n";

static pid_t server_pid;
static char log_path[64] = "/tmp/lr_test_registry_XXXXXX";

static void server_stop(void) {
        if (server_pid > 0) {
                kill(server_pid, SIGTERM);
                waitpid(server_pid, NULL, 0);
                server_pid = 0;
        }
}

static void cleanup(void) {
        server_stop();
        unlink(log_path);
}

/* Starts the stand-in registry; returns its port, or -1. The server
 * writes its port to a file (renamed into place when complete), which the
 * test polls: no pipe whose closing could break the server. */
static int server_start(void) {
        const lr_embedded_t *v1 = lr_embedded_find("LeadCreated.avsc");
        char *v2 = check_source_file("tests/schemas/LeadCreated.v2.avsc");
        char port_path[sizeof(log_path) + 8], line[32] = "";
        int fd, i, port = -1;
        FILE *f;

        if (!v1 || !v2 || (fd = mkstemp(log_path)) < 0) {
                free(v2);
                return -1;
        }
        close(fd);
        snprintf(port_path, sizeof(port_path), "%s.port", log_path);
        setenv("LR_REG_LOG", log_path, 1);
        setenv("LR_REG_PORT", port_path, 1);
        setenv("LR_REG_V1", v1->data, 1);
        setenv("LR_REG_V2", v2, 1);
        free(v2);
        server_pid = fork();
        if (server_pid < 0)
                return -1;
        if (server_pid == 0) {
                execl("/usr/bin/python3", "python3", "-c", server_py,
                      (char *)NULL);
                _exit(127);
        }
        for (i = 0; i < 300 && port < 0; i++) {
                if ((f = fopen(port_path, "r"))) {
                        if (fgets(line, sizeof(line), f))
                                port = atoi(line);
                        fclose(f);
                }
                if (port < 0)
                        usleep(50000);
        }
        unlink(port_path);
        return port;
}

/* How many requests the server has had for path. */
static int requests(const char *path) {
        FILE *f = fopen(log_path, "r");
        char line[256];
        int cnt = 0;

        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                cnt += !strcmp(line, path);
        }
        fclose(f);
        return cnt;
}

static void set_id(uint8_t *buf, uint32_t id) {
        buf[1] = (uint8_t)(id >> 24);
        buf[2] = (uint8_t)(id >> 16);
        buf[3] = (uint8_t)(id >> 8);
        buf[4] = (uint8_t)id;
}

int main(void) {
        static const char *lead =
            "{\"event_id\":\"ev-1\",\"tenant_id\":\"acme\",\"lead_id\":\"L-1\","
            "\"created_at\":1764000000000,\"score\":75,\"source\":\"web\","
            "\"attributes\":{\"utm\":\"q4\"}}";
        char errstr[512], url[64], *tenant = NULL;
        lr_codec_registry_t reg = {url, NULL, NULL};
        lr_codec_t *codec, *plain;
        lr_event_t ev;
        uint8_t *v1   = NULL, *v2;
        size_t v1_len = 0, v2_len;
        int port;

        atexit(cleanup);
        port = server_start();
        if (port <= 0) {
                fprintf(stderr, "cannot start the stand-in registry\n");
                return 1;
        }
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
        codec = lr_codec_new(&reg, errstr, sizeof(errstr));
        plain = lr_codec_new(NULL, errstr, sizeof(errstr));
        if (!codec || !plain) {
                fprintf(stderr, "lr_codec_new: %s\n", errstr);
                return 1;
        }

        /* A v1 message (manifest id 1, from a codec without registry); its
         * v2 twin is the same body plus the new last field, campaign_id
         * (union branch 1 = string "c-1"). */
        CHECK_INT(lr_codec_encode_json(plain, LR_EV_LEAD_CREATED, lead,
                                       (void **)&v1, &v1_len, &tenant, errstr,
                                       sizeof(errstr)),
                  LR_CODEC_OK);
        v2_len = v1_len + 5;
        v2     = malloc(v2_len);
        memcpy(v2, v1, v1_len);
        memcpy(v2 + v1_len,
               "\x02\x06"
               "c-1",
               5);
        set_id(v2, 900);

        /* with a registry, the manifest's ids mean nothing: id 1 is the
         * registry's to say, and it does not know it */
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_SCHEMA_ID);
        CHECK(strstr(errstr, "schema id 1 is unknown to schema registry"));
        CHECK_INT(requests("/schemas/ids/1"), 1);
        /* and nothing is written before the registry gave an id */
        CHECK_INT(lr_codec_schema_id(codec, LR_EV_LEAD_CREATED), 0);

        /* id 900: fetched once, resolved against the reader schema */
        for (int i = 0; i < 2; i++) {
                lr_codec_err_t err =
                    lr_codec_decode(codec, LR_EV_LEAD_CREATED, v2, v2_len, &ev,
                                    errstr, sizeof(errstr));
                if (err)
                        fprintf(stderr, "decode id 900: %s\n", errstr);
                CHECK_INT(err, LR_CODEC_OK);
                CHECK_STR(ev.event_id, "ev-1");
                CHECK_STR(ev.lead_id, "L-1");
                CHECK_INT(ev.u.lead.score, 75);
                CHECK_STR(ev.u.lead.source, "web");
                CHECK_INT(ev.u.lead.attributes_cnt, 1);
                lr_event_clear(&ev);
        }
        CHECK_INT(requests("/schemas/ids/900"), 1);

        /* the registry's copy of the current schema reads directly */
        set_id(v1, 903);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        CHECK_STR(ev.tenant_id, "acme");
        lr_event_clear(&ev);

        /* a registry id of another record kind is the wrong topic */
        CHECK_INT(lr_codec_decode(codec, LR_EV_CALL_OUTCOME, v2, v2_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_INVALID);
        CHECK(strstr(errstr, "schema id 900 is LeadCreated, expected "
                             "CallOutcome") != NULL);

        /* unknown to the registry: SCHEMA_ID, and asked only once */
        set_id(v1, 999);
        for (int i = 0; i < 2; i++) {
                CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len,
                                          &ev, errstr, sizeof(errstr)),
                          LR_CODEC_ERR_SCHEMA_ID);
                CHECK(strstr(errstr, "schema id 999") != NULL);
        }
        CHECK_INT(requests("/schemas/ids/999"), 1);

        /* registry trouble is retriable */
        set_id(v1, 901);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_REGISTRY);
        CHECK(strstr(errstr, "HTTP 500") && strstr(errstr, "store is down"));

        /* not ours, not Avro */
        set_id(v1, 902);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_INVALID);
        CHECK(strstr(errstr, "com.acme.Other") != NULL);
        set_id(v1, 905);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_SCHEMA_ID);
        CHECK(strstr(errstr, "PROTOBUF") != NULL);

        /* registry gone: new ids are retriable errors, known ids still
         * decode from the cache */
        server_stop();
        set_id(v1, 904);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v1, v1_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_ERR_REGISTRY);
        CHECK(strstr(errstr, "unreachable") != NULL);
        CHECK_INT(lr_codec_decode(codec, LR_EV_LEAD_CREATED, v2, v2_len, &ev,
                                  errstr, sizeof(errstr)),
                  LR_CODEC_OK);
        lr_event_clear(&ev);

        free(v1);
        free(v2);
        free(tenant);
        lr_codec_free(codec);
        lr_codec_free(plain);
        CHECK_DONE();
}
