/*
 * test_config_keys.c - ops/leadrouter.yaml documents every configuration
 * key the code reads, and the code reads every key it documents: the key
 * tables of config.c (lr_config_keys(), lr_config_policy_keys(), which gate
 * what lr_config_finalize() accepts) compared with the keys of the file,
 * both ways. Keys shown commented out in the file (examples: tier_weights,
 * tenants.<id>.*, librdkafka properties) count as documented. Also: the
 * file loads as it is, each key takes its documented value, and a key
 * outside the tables is refused.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

#define MAX_KEYS 256

typedef struct doc_key_s {
        char key[256];
        char value[256];
        int commented;
} doc_key_t;

static doc_key_t doc[MAX_KEYS];
static int doc_cnt;

/* The dotted keys of the YAML text, flattened by indentation; a line
 * "# key: value" (a commented-out example) counts as a key line too. */
static void doc_parse(char *text) {
        struct {
                int indent;
                char key[128];
        } stack[16];
        int depth = 0;
        char *line, *save = NULL;

        for (line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *p = line, *colon, *v, *hash;
                int indent, commented = 0, i;
                size_t klen;

                while (*p == ' ')
                        p++;
                if (*p == '#') {
                        commented = 1;
                        p++;
                        if (*p == ' ')
                                p++;
                }
                /* indentation as if uncommented */
                indent = (int)(p - line) - (commented ? 1 + (p[-1] == ' ') : 0);
                for (colon = p; *colon && (isalnum((unsigned char)*colon) ||
                                           *colon == '_' || *colon == '.');
                     colon++)
                        ;
                if (colon == p || *colon != ':' ||
                    (colon[1] && colon[1] != ' '))
                        continue; /* not a key line (prose, blank) */
                klen = (size_t)(colon - p);
                while (depth > 0 && stack[depth - 1].indent >= indent)
                        depth--;
                v = colon + 1;
                while (*v == ' ')
                        v++;
                if ((hash = strstr(v, " #")))
                        *hash = '\0';
                for (i = (int)strlen(v) - 1; i >= 0 && v[i] == ' '; i--)
                        v[i] = '\0';
                if (!*v || *v == '#') {
                        if (depth < 16) {
                                stack[depth].indent = indent;
                                snprintf(stack[depth].key,
                                         sizeof(stack[depth].key), "%.*s",
                                         (int)klen, p);
                                depth++;
                        }
                        continue;
                }
                if (doc_cnt == MAX_KEYS)
                        break;
                doc[doc_cnt].key[0] = '\0';
                for (i = 0; i <= depth; i++) {
                        size_t l = strlen(doc[doc_cnt].key);
                        if (i < depth)
                                snprintf(doc[doc_cnt].key + l,
                                         sizeof(doc[0].key) - l, "%s.",
                                         stack[i].key);
                        else
                                snprintf(doc[doc_cnt].key + l,
                                         sizeof(doc[0].key) - l, "%.*s",
                                         (int)klen, p);
                }
                /* flow sequence [a, b] -> a, b; "" -> empty */
                if (*v == '[' && v[strlen(v) - 1] == ']') {
                        v[strlen(v) - 1] = '\0';
                        v++;
                } else if (!strcmp(v, "\"\"")) {
                        v = "";
                }
                snprintf(doc[doc_cnt].value, sizeof(doc[0].value), "%s", v);
                doc[doc_cnt].commented = commented;
                doc_cnt++;
        }
}

static const doc_key_t *doc_find(const char *key) {
        int i;
        for (i = 0; i < doc_cnt; i++)
                if (!strcmp(doc[i].key, key))
                        return &doc[i];
        return NULL;
}

static int listed(const char *const *table, const char *key) {
        for (; *table; table++)
                if (!strcmp(*table, key))
                        return 1;
        return 0;
}

/* Whether the code reads documented key k. */
static int code_reads(const char *k) {
        const char *dot;

        if (listed(lr_config_keys(), k))
                return 1;
        if (!strncmp(k, "kafka.", 6))
                return 1; /* handed to librdkafka as it is */
        if (!strncmp(k, "policy.", 7))
                return listed(lr_config_policy_keys(), k + 7);
        if (!strncmp(k, "tenants.", 8) && (dot = strchr(k + 8, '.')))
                return listed(lr_config_policy_keys(), dot + 1);
        return 0;
}

/* finalize() with key = value on top of nothing else: its error, or "". */
static const char *accepts(const char *key, const char *value) {
        static char errstr[512];
        char set[600];
        lr_config_t *cfg = lr_config_new();

        errstr[0] = '\0';
        snprintf(set, sizeof(set), "%s=%s", key, value);
        if (!lr_config_set(cfg, set, errstr, sizeof(errstr)))
                lr_config_finalize(cfg, errstr, sizeof(errstr));
        lr_config_free(cfg);
        return errstr;
}

int main(void) {
        char *text = check_source_file("ops/leadrouter.yaml");
        const char *const *k;
        char errstr[512], key[300];
        lr_config_t *cfg;
        int i;

        CHECK(text != NULL);
        if (!text)
                CHECK_DONE();
        doc_parse(text);
        free(text);
        CHECK(doc_cnt > 40);

        /* every documented key is read */
        for (i = 0; i < doc_cnt; i++)
                if (!code_reads(doc[i].key)) {
                        fprintf(stderr,
                                "ops/leadrouter.yaml documents %s, which "
                                "the code does not read\n",
                                doc[i].key);
                        CHECK(!"documented key not read");
                }

        /* every key read is documented, and takes its documented value */
        for (k = lr_config_keys(); *k; k++) {
                const doc_key_t *d = doc_find(*k);
                if (!d) {
                        fprintf(stderr,
                                "%s is read but not documented in "
                                "ops/leadrouter.yaml\n",
                                *k);
                        CHECK(!"key read but not documented");
                        continue;
                }
                if (*accepts(*k, d->value)) {
                        fprintf(stderr, "%s: %s: %s\n", *k, d->value,
                                accepts(*k, d->value));
                        CHECK(!"documented value refused");
                }
        }
        for (k = lr_config_policy_keys(); *k; k++) {
                const doc_key_t *d;
                snprintf(key, sizeof(key), "policy.%s", *k);
                if (!(d = doc_find(key))) {
                        fprintf(stderr,
                                "%s is read but not documented in "
                                "ops/leadrouter.yaml\n",
                                key);
                        CHECK(!"policy key read but not documented");
                        continue;
                }
                /* tier_weights needs as many weights as tiers (3) */
                if (*accepts(key, d->value)) {
                        fprintf(stderr, "%s: %s: %s\n", key, d->value,
                                accepts(key, d->value));
                        CHECK(!"documented value refused");
                }
        }

        /* the file as shipped is a valid configuration */
        cfg = lr_config_new();
        snprintf(key, sizeof(key), "%s/ops/leadrouter.yaml", LR_SOURCE_DIR);
        CHECK_INT(lr_config_load_file(cfg, key, errstr, sizeof(errstr)), 0);
        if (lr_config_finalize(cfg, errstr, sizeof(errstr))) {
                fprintf(stderr, "ops/leadrouter.yaml: %s\n", errstr);
                CHECK(!"ops/leadrouter.yaml does not load");
        }
        lr_config_free(cfg);

        /* the tables gate: anything else is an unknown key */
        CHECK(strstr(accepts("schemas.nope", "1"), "unknown key") != NULL);
        CHECK(strstr(accepts("policy.nope", "1"), "unknown key") != NULL);
        CHECK(strstr(accepts("tenants.acme.nope", "1"), "unknown key") != NULL);
        CHECK_STR(accepts("kafka.socket.timeout.ms", "1000"), "");
        printf("%d documented keys checked against the code's tables\n",
               doc_cnt);
        CHECK_DONE();
}
