/*
 * registry.c - see registry.h. One libcurl easy handle, reused so that the
 * connection stays open; every answer bounded in size and time. Confluent
 * answers {"schema": "<schema JSON as a string>", "schemaType": ...} for a
 * known id and 404 (error_code 40403) for an unknown one; {"id": N, ...} for
 * a subject's schema, 404 (40401 no subject, 40403 no such schema) when
 * the subject lacks it. A 4xx is the registry's considered answer (not
 * retried), a 5xx or no answer is trouble that may pass (retried).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        char *user_info;
        char *ca_location;
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

static int registry_strdup(char **dst, const char *s) {
        if (!s || !*s)
                return 0;
        return (*dst = strdup(s)) ? 0 : -1;
}

lr_registry_t *lr_registry_new(const lr_codec_registry_t *conf, char *errstr,
                               size_t errstr_size) {
        const char *url = conf ? conf->url : NULL;
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
        if (conf->basic_auth_user_info && *conf->basic_auth_user_info &&
            !strchr(conf->basic_auth_user_info, ':')) {
                snprintf(errstr, errstr_size,
                         "schema registry basic auth user info must be "
                         "user:password");
                return NULL;
        }
        if (conf->ssl_ca_location && *conf->ssl_ca_location &&
            access(conf->ssl_ca_location, R_OK)) {
                snprintf(errstr, errstr_size,
                         "schema registry CA file %s cannot be read",
                         conf->ssl_ca_location);
                return NULL;
        }
        pthread_once(&curl_once, curl_init_once);

        reg = calloc(1, sizeof(*reg));
        if (!reg || !(reg->url = strdup(url)) ||
            registry_strdup(&reg->user_info, conf->basic_auth_user_info) ||
            registry_strdup(&reg->ca_location, conf->ssl_ca_location) ||
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
        free(reg->user_info);
        free(reg->ca_location);
        free(reg);
}

const char *lr_registry_url(const lr_registry_t *reg) {
        return reg->url;
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

/* The registry's own account of a non-200 answer, if it gives one:
 * ": <message> (error_code N)". */
static void answer_message(const answer_t *a, char *buf, size_t size) {
        json_t *root;
        const char *msg;
        json_t *code;

        buf[0] = '\0';
        if (!a->buf)
                return;
        root = json_loadb(a->buf, a->len, 0, NULL);
        msg  = json_string_value(json_object_get(root, "message"));
        code = json_object_get(root, "error_code");
        if (msg && json_is_integer(code))
                snprintf(buf, size, ": %s (error_code %lld)", msg,
                         (long long)json_integer_value(code));
        else if (msg)
                snprintf(buf, size, ": %s", msg);
        json_decref(root);
}

/* One request to path: a GET, or a POST of the JSON body. LR_CODEC_OK with
 * the HTTP status and the answer in *a (which the caller frees), or
 * LR_CODEC_ERR_REGISTRY when no answer came ("what" says for what). */
static lr_codec_err_t registry_request(lr_registry_t *reg, const char *path,
                                       const char *body, const char *what,
                                       answer_t *a, long *status, char *errstr,
                                       size_t errstr_size) {
        char url[2048], curlerr[CURL_ERROR_SIZE] = "";
        struct curl_slist *headers = NULL;
        CURLcode cc;

        snprintf(url, sizeof(url), "%s%s", reg->url, path);
        curl_easy_reset(reg->curl);
        curl_easy_setopt(reg->curl, CURLOPT_URL, url);
        curl_easy_setopt(reg->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(reg->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
        curl_easy_setopt(reg->curl, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(reg->curl, CURLOPT_ERRORBUFFER, curlerr);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEFUNCTION, answer_write);
        curl_easy_setopt(reg->curl, CURLOPT_WRITEDATA, a);
        curl_easy_setopt(reg->curl, CURLOPT_USERAGENT, "leadrouter");
        if (reg->user_info) {
                curl_easy_setopt(reg->curl, CURLOPT_HTTPAUTH,
                                 (long)CURLAUTH_BASIC);
                curl_easy_setopt(reg->curl, CURLOPT_USERPWD, reg->user_info);
        }
        if (reg->ca_location)
                curl_easy_setopt(reg->curl, CURLOPT_CAINFO, reg->ca_location);
        headers = curl_slist_append(
            headers, "Accept: application/vnd.schemaregistry.v1+json, "
                     "application/json");
        if (body) {
                headers = curl_slist_append(
                    headers,
                    "Content-Type: application/vnd.schemaregistry.v1+json");
                curl_easy_setopt(reg->curl, CURLOPT_POSTFIELDS, body);
        }
        curl_easy_setopt(reg->curl, CURLOPT_HTTPHEADER, headers);

        cc = curl_easy_perform(reg->curl);
        curl_slist_free_all(headers);
        if (cc != CURLE_OK) {
                snprintf(errstr, errstr_size,
                         "schema registry %s unreachable %s: %s", reg->url,
                         what,
                         a->overflow ? "answer larger than 1 MiB"
                         : *curlerr  ? curlerr
                                     : curl_easy_strerror(cc));
                return LR_CODEC_ERR_REGISTRY;
        }
        curl_easy_getinfo(reg->curl, CURLINFO_RESPONSE_CODE, status);
        return LR_CODEC_OK;
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
        char path[64], what[64], msg[512];
        long status = 0;
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

        snprintf(path, sizeof(path), "/schemas/ids/%d", (int)id);
        snprintf(what, sizeof(what), "fetching schema id %d", (int)id);
        err = registry_request(reg, path, NULL, what, &a, &status, errstr,
                               errstr_size);
        if (err) {
                free(a.buf);
                return err;
        }
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

lr_codec_err_t lr_registry_schema_id(lr_registry_t *reg, const char *subject,
                                     const char *schema, int do_register,
                                     int32_t *id, char *errstr,
                                     size_t errstr_size) {
        const char *how = do_register ? "registering" : "looking up";
        answer_t a      = {NULL, 0, 0};
        char path[1024], what[600], msg[512], *esc, *body;
        json_t *req, *root;
        json_int_t n;
        long status = 0;
        lr_codec_err_t err;

        esc  = curl_easy_escape(reg->curl, subject, 0);
        req  = json_pack("{s:s}", "schema", schema);
        body = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (!esc || !body) {
                curl_free(esc);
                free(body);
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_REGISTRY;
        }
        snprintf(path, sizeof(path), "/subjects/%s%s", esc,
                 do_register ? "/versions" : "");
        curl_free(esc);
        snprintf(what, sizeof(what), "%s the schema of subject %s", how,
                 subject);
        err = registry_request(reg, path, body, what, &a, &status, errstr,
                               errstr_size);
        free(body);
        if (err) {
                free(a.buf);
                return err;
        }
        if (status != 200) {
                answer_message(&a, msg, sizeof(msg));
                snprintf(errstr, errstr_size,
                         "schema registry %s answered HTTP %ld %s the schema "
                         "of subject %s%s",
                         reg->url, status, how, subject, msg);
                free(a.buf);
                return status >= 500   ? LR_CODEC_ERR_REGISTRY
                       : status == 404 ? LR_CODEC_ERR_SCHEMA_ID
                                       : LR_CODEC_ERR_INVALID;
        }
        root = a.buf ? json_loadb(a.buf, a.len, 0, NULL) : NULL;
        free(a.buf);
        n = json_integer_value(json_object_get(root, "id"));
        json_decref(root);
        if (n <= 0 || n > INT32_MAX) {
                snprintf(errstr, errstr_size,
                         "schema registry %s: no schema id in its answer %s "
                         "the schema of subject %s",
                         reg->url, how, subject);
                return LR_CODEC_ERR_REGISTRY;
        }
        *id = (int32_t)n;
        if (!registry_find(reg, *id) || !registry_find(reg, *id)->schema) {
                char *copy = strdup(schema);
                if (copy)
                        registry_remember(reg, *id, copy);
        }
        return LR_CODEC_OK;
}
