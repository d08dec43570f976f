/*
 * state.c - `leadrouter state export|import`: a tenant's stored state as
 * one versioned JSON file, so that an audit can start from a known state
 * (`replay --state FILE`) and a tenant can move between deployments.
 *
 * The file holds every key of the tenant as stored (values base64: the
 * records are packed, persist.h) plus a summary for people and scripts:
 * reps, waiting leads, pending outbox entries, the installed ranking's
 * day, the input positions. Import writes the keys back in one MULTI/EXEC,
 * into another namespace or Redis; the claim of the exporting deployment
 * is not carried over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "persist.h"
#include "route.h"
#include "state.h"
#include "store.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_STATE_FORMAT "leadrouter-state"
#define LR_STATE_VERSION 1

static const char lr_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *lr_b64_encode(const char *p, size_t len) {
        const unsigned char *s = (const unsigned char *)p;
        char *out = lr_xmalloc(4 * ((len + 2) / 3) + 1), *o = out;
        size_t i;
        for (i = 0; i + 2 < len; i += 3) {
                *o++ = lr_b64[s[i] >> 2];
                *o++ = lr_b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
                *o++ = lr_b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
                *o++ = lr_b64[s[i + 2] & 63];
        }
        if (i < len) {
                *o++ = lr_b64[s[i] >> 2];
                if (i + 1 < len) {
                        *o++ = lr_b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
                        *o++ = lr_b64[(s[i + 1] & 15) << 2];
                } else {
                        *o++ = lr_b64[(s[i] & 3) << 4];
                        *o++ = '=';
                }
                *o++ = '=';
        }
        *o = '\0';
        return out;
}

/* 0 and *out (malloc()ed), or -1 on a bad character. */
static int lr_b64_decode(const char *s, char **out, size_t *len) {
        size_t n = strlen(s), i, k = 0;
        unsigned v = 0;
        int bits   = 0;
        char *o    = lr_xmalloc(n * 3 / 4 + 1);
        for (i = 0; i < n && s[i] != '='; i++) {
                const char *c = strchr(lr_b64, s[i]);
                if (!c || !s[i]) {
                        free(o);
                        return -1;
                }
                v = (v << 6) | (unsigned)(c - lr_b64);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        o[k++] = (char)((v >> bits) & 0xff);
                }
        }
        *out = o;
        *len = k;
        return 0;
}

static json_t *lr_state_keys(const lr_store_raw_key_t *keys, size_t cnt) {
        json_t *all = json_object();
        size_t i, j;
        for (i = 0; i < cnt; i++) {
                const lr_args_t *a = &keys[i].items;
                json_t *items      = json_array();
                for (j = 0; j + 1 < a->cnt; j += 2) {
                        char *v = lr_b64_encode(a->v[j + 1], a->len[j + 1]);
                        json_array_append_new(
                            items, json_pack("[s%s]", a->v[j], a->len[j], v));
                        free(v);
                }
                json_object_set_new(all, keys[i].suffix,
                                    json_pack("{s:s,s:o}", "type",
                                              keys[i].zset ? "zset" : "hash",
                                              "items", items));
        }
        return all;
}

static json_t *lr_state_summary(lr_store_t *st, const char *tenant,
                                char *errstr, size_t errstr_size) {
        json_t *sum, *reps, *queue;
        lr_tenant_t *t;
        const lr_ranking_t *k;
        char day[16];
        size_t i;

        if (lr_store_read_tenant(st, tenant, &t, errstr, errstr_size))
                return NULL;
        reps = json_array();
        for (i = 0; i < lr_tenant_rep_cnt(t); i++) {
                lr_route_rep_t r;
                lr_tenant_rep_at(t, i, &r);
                json_array_append_new(
                    reps,
                    json_pack("{s:s,s:b,s:i,s:I,s:i,s:s}", "rep_id", r.rep_id,
                              "active", r.active, "tier", r.tier, "handled",
                              (json_int_t)r.handled, "open_leads", r.open_leads,
                              "status", r.status));
        }
        queue = json_array();
        for (i = 0; i < lr_tenant_queue_len(t); i++)
                json_array_append_new(queue,
                                      json_string(lr_tenant_queue_at(t, i)));
        k = lr_tenant_ranking(t);
        if (k)
                lr_day_format(k->day, day, sizeof(day));
        sum =
            json_pack("{s:o,s:o,s:I,s:o,s:o}", "reps", reps, "queue", queue,
                      "outbox", (json_int_t)lr_tenant_outbox_len(t), "rank_day",
                      k ? json_string(day) : json_null(), "next_timer",
                      lr_tenant_next_due(t) == INT64_MAX
                          ? json_null()
                          : json_integer(lr_tenant_next_due(t)));
        lr_tenant_free(t);
        return sum;
}

int lr_state_export(lr_store_t *st, const char *tenant, FILE *out, char *errstr,
                    size_t errstr_size) {
        lr_store_raw_key_t *keys = NULL;
        size_t cnt               = 0;
        json_t *doc, *sum;
        char now[32];
        int rc;

        if (lr_store_raw_read(st, tenant, &keys, &cnt, errstr, errstr_size))
                return -1;
        if (!(sum = lr_state_summary(st, tenant, errstr, errstr_size))) {
                lr_store_raw_free(keys, cnt);
                return -1;
        }
        lr_iso8601(lr_now_ms(), now, sizeof(now));
        doc = json_pack("{s:s,s:i,s:s,s:s,s:s,s:o,s:o}", "format",
                        LR_STATE_FORMAT, "version", LR_STATE_VERSION, "layout",
                        LR_PERSIST_LAYOUT, "tenant_id", tenant, "exported_at",
                        now, "summary", sum, "keys", lr_state_keys(keys, cnt));
        rc  = json_dumpf(doc, out, JSON_INDENT(1) | JSON_SORT_KEYS);
        fputc('\n', out);
        json_decref(doc);
        lr_store_raw_free(keys, cnt);
        if (rc) {
                snprintf(errstr, errstr_size, "cannot write the export");
                return -1;
        }
        return 0;
}

int lr_state_read(FILE *in, char **tenant, lr_store_raw_key_t **keys,
                  size_t *cnt, char *errstr, size_t errstr_size) {
        json_error_t je;
        json_t *doc = json_loadf(in, 0, &je), *jk, *v;
        const char *name, *fmt, *layout, *tid;
        int version = 0;

        *keys   = NULL;
        *cnt    = 0;
        *tenant = NULL;
        if (!doc) {
                snprintf(errstr, errstr_size, "state file: %s (line %d)",
                         je.text, je.line);
                return -1;
        }
        if (json_unpack(doc, "{s:s,s:i,s:s,s:s,s:o}", "format", &fmt, "version",
                        &version, "layout", &layout, "tenant_id", &tid, "keys",
                        &jk) ||
            strcmp(fmt, LR_STATE_FORMAT) || version != LR_STATE_VERSION ||
            !json_is_object(jk)) {
                snprintf(errstr, errstr_size,
                         "state file: not a %s version %d file",
                         LR_STATE_FORMAT, LR_STATE_VERSION);
                json_decref(doc);
                return -1;
        }
        if (strcmp(layout, LR_PERSIST_LAYOUT)) {
                snprintf(errstr, errstr_size,
                         "state file: store layout %s, this build reads %s",
                         layout, LR_PERSIST_LAYOUT);
                json_decref(doc);
                return -1;
        }
        *tenant = lr_xstrdup(tid);
        json_object_foreach(jk, name, v) {
                json_t *items = json_object_get(v, "items"), *it;
                const char *type =
                    json_string_value(json_object_get(v, "type"));
                lr_store_raw_key_t *k;
                size_t i;
                *keys = lr_xrealloc(*keys, (*cnt + 1) * sizeof(**keys));
                k     = &(*keys)[(*cnt)++];
                memset(k, 0, sizeof(*k));
                k->suffix = lr_xstrdup(name);
                k->zset   = type && !strcmp(type, "zset");
                json_array_foreach(items, i, it) {
                        const char *f =
                            json_string_value(json_array_get(it, 0));
                        const char *b =
                            json_string_value(json_array_get(it, 1));
                        char *val;
                        size_t len;
                        if (!f || !b || lr_b64_decode(b, &val, &len)) {
                                snprintf(errstr, errstr_size,
                                         "state file: bad item in key %s",
                                         name);
                                json_decref(doc);
                                return -1;
                        }
                        lr_args_add(&k->items, f, strlen(f));
                        lr_args_add(&k->items, val, len);
                        free(val);
                }
        }
        json_decref(doc);
        return 0;
}

int lr_state_args_opt(int argc, char **argv, int i, void *args) {
        lr_state_args_t *a = args;
        if (!strcmp(argv[i], "--replace")) {
                a->replace = 1;
                return 1;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--tenant")) {
                a->tenant = argv[i + 1];
                return 2;
        }
        if (i + 1 < argc && !strcmp(argv[i], "--file")) {
                a->file = argv[i + 1];
                return 2;
        }
        if (!a->verb && argv[i][0] != '-') {
                a->verb = argv[i];
                return 1;
        }
        return -1;
}

int lr_state_main(const lr_config_t *cfg, const lr_state_args_t *a) {
        lr_store_raw_key_t *keys = NULL;
        size_t cnt               = 0;
        char errstr[512], *from = NULL;
        lr_store_t *st = NULL;
        FILE *fp       = NULL;
        int exp        = a->verb && !strcmp(a->verb, "export");
        int rc         = 1;

        if (!a->verb || (!exp && strcmp(a->verb, "import")) ||
            (exp && !a->tenant)) {
                fprintf(stderr, "usage: leadrouter state export --tenant T "
                                "[--file F] | state import [--tenant T] "
                                "[--replace] [--file F]   (plus --config/"
                                "--set for redis.url and redis.namespace)\n");
                return 2;
        }
        if (a->file && !(fp = fopen(a->file, exp ? "w" : "r"))) {
                fprintf(stderr, "leadrouter state: %s: cannot open\n", a->file);
                return 2;
        }
        if (!(st = lr_store_new(cfg->redis_url, cfg->redis_namespace, errstr,
                                sizeof(errstr))))
                goto fail;
        if (exp) {
                if (lr_state_export(st, a->tenant, fp ? fp : stdout, errstr,
                                    sizeof(errstr)))
                        goto fail;
        } else {
                if (lr_state_read(fp ? fp : stdin, &from, &keys, &cnt, errstr,
                                  sizeof(errstr))) {
                        rc = 2;
                        goto fail;
                }
                if (lr_store_raw_write(st, a->tenant ? a->tenant : from, keys,
                                       cnt, a->replace, errstr, sizeof(errstr)))
                        goto fail;
                lr_info("state",
                        "tenant %s imported as %s into namespace %s "
                        "(%zu keys)",
                        from, a->tenant ? a->tenant : from,
                        cfg->redis_namespace, cnt);
        }
        rc = 0;
        goto done;
fail:
        fprintf(stderr, "leadrouter state %s: %s\n", a->verb, errstr);
done:
        if (fp)
                fclose(fp);
        lr_store_raw_free(keys, cnt);
        free(from);
        lr_store_free(st);
        return rc;
}
