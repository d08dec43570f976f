/*
 * registry.c - see registry.h. One libcurl easy handle, reused so that the
 * connection stays open; every answer bounded in size and time. Confluent
 * answers {"schema": "<schema JSON as a string>", "schemaType": ...} for a
 * known id and 404 (error_code 40403) for an unknown one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "registry.h"
#include "timeutil.h"

#define REGISTRY_MAX_ANSWER (1024 * 1024)
#define REGISTRY_UNKNOWN_TTL_MS 30000
#define REGISTRY_MAX_ENTRIES 4096

typedef struct registry_entry_s {
        int32_t id;
        char *schema;       /* NULL: the registry said it does not know id */
        int64_t expires_ms; /* unknown ids only (monotonic clock) */
} registry_entry_t;

struct lr_registry_s {
        char *url; /* without trailing '/' */
        CURL *curl;
        registry_entry_t *entries;
        size_t entries_cnt, entries_size;
};

typedef struct answer_s {
        char *buf;
        size_t len;
        int overflow;
} answer_t;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t answer_write(char *data, size_t size, size_t nmemb,
                           void *opaque) {
        answer_t *a  = opaque;
        size_t bytes = size * nmemb;
        char *nbuf;

        if (a->len + bytes > REGISTRY_MAX_ANSWER) {
                a->overflow = 1;
                return 0;
        }
        nbuf = realloc(a->buf, a->len + bytes + 1);
        if (!nbuf)
                return 0;
        a->buf = nbuf;
        memcpy(a->buf + a->len, data, bytes);
        a->len += bytes;
        a->buf[a->len] = '\0';
        return bytes;
}

lr_registry_t *lr_registry_new(const char *url, char *errstr,
                               size_t errstr_size) {
        lr_registry_t *reg;
        size_t len;

        if (!url || !*url) {
                snprintf(errstr, errstr_size, "schema registry url is empty");
                return NULL;
        }
        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
                snprintf(errstr, errstr_size,
                         "schema registry url \"%s\" must start with http:// "
                         "or https://",
                         url);
                return NULL;
        }
        pthread_once(&curl_once, curl_init_once);

        reg = calloc(1, sizeof(*reg));
        if (!reg || !(reg->url = strdup(url)) ||
            !(reg->curl = curl_easy_init())) {
                snprintf(errstr, errstr_size,
                         "cannot set up the schema registry client");
                lr_registry_free(reg);
                return NULL;
        }
        len = strlen(reg->url);
        while (len > 0 && reg->url[len - 1] == '/')
                reg->url[--len] = '\0';
        return reg;
}

void lr_registry_free(lr_registry_t *reg) {
        size_t i;

        if (!reg)
                return;
        for (i = 0; i < reg->entries_cnt; i++)
                free(reg->entries[i].schema);
        free(reg->entries);
        if (reg->curl)
                curl_easy_cleanup(reg->curl);
        free(reg->url);
        free(reg);
}

static registry_entry_t *registry_find(lr_registry_t *reg, int32_t id) {
        size_t i;
        for (i = 0; i < reg->entries_cnt; i++)
                if (reg->entries[i].id == id)
                        return &reg->entries[i];
        return NULL;
}

/* Remembers the answer for id (schema NULL = unknown); takes schema. */
static registry_entry_t *registry_remember(lr_registry_t *reg, int32_t id,
                                           char *schema) {
        registry_entry_t *e = registry_find(reg, id);

        if (!e) {
                if (reg->entries_cnt >= REGISTRY_MAX_ENTRIES) {
                        free(schema);
                        return NULL;
                }
                if (reg->entries_cnt == reg->entries_size) {
                        size_t nsize =
                            reg->entries_size ? reg->entries_size * 2 : 16;
                        registry_entry_t *n =
                            realloc(reg->entries, nsize * sizeof(*n));
                        if (!n) {
                                free(schema);
                                return NULL;
                        }
                        reg->entries      = n;
                        reg->entries_size = nsize;
                }
                e     = &reg->entries[reg->entries_cnt++];
                e->id = id;
        } else {
                free(e->schema);
        }
        e->schema     = schema;
        e->expires_ms = lr_mono_ms() + REGISTRY_UNKNOWN_TTL_MS;
        return e;
}

/* The registry's own error message of a non-200 answer, if it has one. */
static void answer_message(const answer_t *a, char *buf, size_t size) {
        json_t *root;
        const char *msg;

        buf[0] = '\0';
        if (!a->buf)
                return;
        root = json_loadb(a->buf, a->len, 0, NULL);
        msg  = json_string_value(json_object_get(root, "message"));
        if (msg)
                snprintf(buf, size, ": %s", msg);
        json_decref(root);
}

/* Parses a 200 answer: the schema text, or an error. */
static lr_codec_err_t answer_schema(const lr_registry_t *reg, int32_t id,
                                    const answer_t *a, char **schema,
                                    char *errstr, size_t errstr_size) {
        json_t *root;
        const char *type, *text;
        lr_codec_err_t err = LR_CODEC_OK;
        json_error_t jerr;

        root = a->buf ? json_loadb(a->buf, a->len, 0, &jerr) : NULL;
        if (!root) {
                snprintf(errstr, errstr_size,
                         "schema registry %s: answer for schema id %d is not "
                         "JSON",
                         reg->url, (int)id);
                return LR_CODEC_ERR_REGISTRY;
        }
        type = json_string_value(json_object_get(root, "schemaType"));
        text = json_string_value(json_object_get(root, "schema"));
        if (type && strcmp(type, "AVRO")) {
                snprintf(errstr, errstr_size,
                         "schema registry %s: schema id %d is a %s schema, "
                         "not Avro",
                         reg->url, (int)id, type);
                err = LR_CODEC_ERR_SCHEMA_ID;
        } else if (!text) {
                snprintf(errstr, errstr_size,
                         "schema registry %s: answer for schema id %d has no "
                         "\"schema\" string",
                         reg->url, (int)id);
                err = LR_CODEC_ERR_REGISTRY;
        } else if (!(*schema = strdup(text))) {
                snprintf(errstr, errstr_size, "out of memory");
                err = LR_CODEC_ERR_REGISTRY;
        }
        json_decref(root);
        return err;
}

lr_codec_err_t lr_registry_get(lr_registry_t *reg, int32_t id,
                               const char **schema, char *errstr,
                               size_t errstr_size) {
        registry_entry_t *e = registry_find(reg, id);
        answer_t a          = {NULL, 0, 0};
        char url[1024], curlerr[CURL_ERROR_SIZE] = "", msg[256];
        long status = 0;
        CURLcode cc;
        lr_codec_err_t err;
        char *text = NULL;

        if (e && e->schema) {
                *schema = e->schema;
                return LR_CODEC_OK;
        }
        if (e && lr_mono_ms() < e->expires_ms) {
                snprintf(errstr, errstr_size,
                         "schema id %d is unknown to schema registry %s",
                         (int)id, reg->url);
                return LR_CODEC_ERR_SCHEMA_ID;
        }

        snprintf(url, sizeof(url), "%s/schemas/ids/%d", reg->url, (int)id);
        curl_easy_reset(reg->curl);
        curl_easy_setopt(reg->curl, CURLOPT_URL, url);
        curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
        curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, curlerr);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, answer_write);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, &a);
        curl_easy_setopt(reg->curl, CURLOPT_USERAGENT, "leadrouter");

        cc = curl_easy_perform(reg->curl);
        if (cc != CURLE_OK) {
                snprintf(errstr, errstr_size,
                         "schema registry %s unreachable fetching schema id "
                         "%d: %s",
                         reg->url, (int)id,
                         a.overflow ? "answer larger than 1 MiB"
                         : *curlerr ? curlerr
                                    : curl_easy_strerror(cc));
                free(a.buf);
                return LR_CODEC_ERR_REGISTRY;
        }
        curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, &status);

        if (status == 404) {
                answer_message(&a, msg, sizeof(msg));
                snprintf(errstr, errstr_size,
                         "schema id %d is unknown to schema registry %s (HTTP "
                         "404%s)",
                         (int)id, reg->url, msg);
                registry_remember(reg, id, NULL);
                free(a.buf);
                return LR_CODEC_ERR_SCHEMA_ID;
        }
        if (status != 200) {
                answer_message(&a, msg, sizeof(msg));
                snprintf(errstr, errstr_size,
                         "schema registry %s answered HTTP %ld for schema id "
                         "%d%s",
                         reg->url, status, (int)id, msg);
                free(a.buf);
                return LR_CODEC_ERR_REGISTRY;
        }

        err = answer_schema(reg, id, &a, &text, errstr, errstr_size);
        free(a.buf);
        if (err == LR_CODEC_ERR_SCHEMA_ID)
                registry_remember(reg, id, NULL);
        if (err != LR_CODEC_OK)
                return err;
        e = registry_remember(reg, id, text);
        if (!e) {
                snprintf(errstr, errstr_size,
                         "schema registry %s: too many schema ids cached",
                         reg->url);
                return LR_CODEC_ERR_REGISTRY;
        }
        *schema = e->schema;
        return LR_CODEC_OK;
}
