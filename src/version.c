/*
 * version.c - see version.h. The build-time versions come from CMake
 * (LR_VERSION, and LR_AVRO_VERSION from pkg-config: avro-c has no run-time
 * version call); librdkafka and libcurl also say which version is loaded.
 */
#include <string.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "store.h"
#include "version.h"

#ifndef LR_VERSION
#define LR_VERSION "unknown"
#endif
#ifndef LR_AVRO_VERSION
#define LR_AVRO_VERSION "unknown"
#endif

#define LR_VERSION_REDIS_TIMEOUT_MS 1000

/* url into buf, its userinfo (a password) masked. */
static void lr_version_url(const char *url, char *buf, size_t size) {
        const char *host = strstr(url, "://"), *at, *slash;

        at    = host ? strchr(host + 3, '@') : NULL;
        slash = host ? strchr(host + 3, '/') : NULL;
        if (!at || (slash && slash < at))
                snprintf(buf, size, "%s", url);
        else
                snprintf(buf, size, "%.*s***%s", (int)(host + 3 - url), url,
                         at);
}

const char *lr_version(void) {
        return LR_VERSION;
}

void lr_version_print(FILE *fp, const lr_config_t *cfg) {
        const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
        char built[32], version[64], errstr[256], url[512];
        lr_store_t *st;
        int rc = -1;

        snprintf(
            built, sizeof(built), "%d.%d.%d", (RD_KAFKA_VERSION >> 24) & 0xff,
            (RD_KAFKA_VERSION >> 16) & 0xff, (RD_KAFKA_VERSION >> 8) & 0xff);
        fprintf(fp, "leadrouter %s\n", LR_VERSION);
        fprintf(fp, "librdkafka %s (built with %s)\n", rd_kafka_version_str(),
                built);
        fprintf(fp, "avro-c %s (built with; avro-c has no run-time version)\n",
                LR_AVRO_VERSION);
        fprintf(fp, "hiredis %d.%d.%d (built with)\n", HIREDIS_MAJOR,
                HIREDIS_MINOR, HIREDIS_PATCH);
        fprintf(fp, "libcurl %s (built with %s)\n",
                curl ? curl->version : "unknown", LIBCURL_VERSION);

        st = lr_store_new(cfg->redis_url, cfg->redis_namespace, errstr,
                          sizeof(errstr));
        if (st) {
                lr_store_set_timeouts(st, LR_VERSION_REDIS_TIMEOUT_MS,
                                      LR_VERSION_REDIS_TIMEOUT_MS);
                rc = lr_store_server_version(st, version, sizeof(version),
                                             errstr, sizeof(errstr));
                lr_store_free(st);
        }
        lr_version_url(cfg->redis_url, url, sizeof(url));
        if (rc == 0)
                fprintf(fp, "Redis server %s at %s\n", version, url);
        else
                fprintf(fp, "Redis server unreachable at %s (%s)\n", url,
                        errstr);
}
