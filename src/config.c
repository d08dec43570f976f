/*
 * config.c - the YAML file and --set overrides, flattened to dotted keys,
 * then interpreted and validated in one place (lr_config_finalize) so that
 * every bad key is reported the same way, naming the key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "http.h"
#include "numparse.h"

/* Every key leadrouter reads (SPEC §5) apart from the kafka.* keys that go
 * to librdkafka and the policy keys below. A key must be in one of these
 * tables to be accepted: they are the list that ops/leadrouter.yaml
 * documents, and tests/unit/test_config_keys.c compares the two both ways. */
static const char *const lr_config_key_names[] = {
    "kafka.bootstrap.servers",
    "kafka.group.id",
    "topics.lead_created",
    "topics.call_outcome",
    "topics.rep_status",
    "topics.lead_assigned",
    "topics.rep_tier_changed",
    "topics.dead_letter",
    "topics.lead_assigned_shadow",
    "redis.url",
    "redis.namespace",
    "redis.dedup_ttl_days",
    "redis.lead_retention_days",
    "redis.ranking_retention_days",
    "schemas.registry_url",
    "schemas.auto_register",
    "schemas.subject_name_strategy",
    "schemas.basic_auth_user_info",
    "schemas.ssl_ca_location",
    "http.listen",
    "worker.batch_size",
    "worker.clock",
    NULL};

/* Policy keys, under "policy." and "tenants.<id>.". */
static const char *const lr_policy_key_names[] = {"strategy",
                                                  "weights.conversion",
                                                  "weights.win_rate",
                                                  "weights.deal_size",
                                                  "weights.cycle_days",
                                                  "weights.speed_to_lead",
                                                  "window_days",
                                                  "conversion_maturity_days",
                                                  "shrinkage",
                                                  "tiers",
                                                  "ramp_min_leads",
                                                  "promote_ratio",
                                                  "demote_ratio",
                                                  "evaluation",
                                                  "max_open_leads",
                                                  "max_leads_per_day",
                                                  "lead_tier_scores",
                                                  "max_wait_seconds",
                                                  "sla_first_touch_seconds",
                                                  "sla_max_attempts",
                                                  "owner_first",
                                                  "region_match",
                                                  "tier_weights",
                                                  "max_untouched_leads",
                                                  "tier_share",
                                                  "min_leads_per_week",
                                                  NULL};

const char *const *lr_config_keys(void) {
        return lr_config_key_names;
}

const char *const *lr_config_policy_keys(void) {
        return lr_policy_key_names;
}

static int lr_config_key_listed(const char *const *table, const char *key) {
        for (; *table; table++)
                if (!strcmp(*table, key))
                        return 1;
        return 0;
}

static const char *lr_topic_keys[LR_TOPIC_CNT] = {
    "topics.lead_created",        "topics.call_outcome",
    "topics.rep_status",          "topics.lead_assigned",
    "topics.rep_tier_changed",    "topics.dead_letter",
    "topics.lead_assigned_shadow"};
static const char *lr_topic_defaults[LR_TOPIC_CNT] = {
    "lead-created",        "call-outcome",     "rep-status",
    "lead-assigned",       "rep-tier-changed", "lead-router-dlq",
    "lead-assigned-shadow"};

lr_config_t *lr_config_new(void) {
        return calloc(1, sizeof(lr_config_t));
}

void lr_config_free(lr_config_t *cfg) {
        size_t i;
        if (!cfg)
                return;
        for (i = 0; i < cfg->kv_cnt; i++) {
                free(cfg->kv[i].key);
                free(cfg->kv[i].value);
        }
        free(cfg->kv);
        for (i = 0; i < cfg->tenants_cnt; i++)
                free(cfg->tenants[i].tenant_id);
        free(cfg->tenants);
        free(cfg);
}

const char *lr_config_get(const lr_config_t *cfg, const char *key) {
        size_t i;
        for (i = 0; i < cfg->kv_cnt; i++)
                if (!strcmp(cfg->kv[i].key, key))
                        return cfg->kv[i].value;
        return NULL;
}

/* Expands ${VAR} from the environment; an unset variable is an error. */
static char *lr_config_expand(const char *key, const char *value, char *errstr,
                              size_t errstr_size) {
        size_t cap = strlen(value) + 1, len = 0;
        char *out     = malloc(cap);
        const char *p = value;

        while (*p) {
                const char *add = p, *end;
                size_t addlen   = 1;
                char name[128];
                if (p[0] == '$' && p[1] == '{' && (end = strchr(p, '}'))) {
                        size_t n = (size_t)(end - p - 2);
                        if (n == 0 || n >= sizeof(name)) {
                                snprintf(errstr, errstr_size,
                                         "%s: bad variable reference", key);
                                free(out);
                                return NULL;
                        }
                        memcpy(name, p + 2, n);
                        name[n] = '\0';
                        if (!(add = getenv(name))) {
                                snprintf(errstr, errstr_size,
                                         "%s: environment variable %s is not "
                                         "set",
                                         key, name);
                                free(out);
                                return NULL;
                        }
                        addlen = strlen(add);
                        p      = end + 1;
                } else {
                        p++;
                }
                if (len + addlen + 1 > cap) {
                        cap = (len + addlen + 1) * 2;
                        out = realloc(out, cap);
                }
                memcpy(out + len, add, addlen);
                len += addlen;
        }
        out[len] = '\0';
        return out;
}

static int lr_config_put(lr_config_t *cfg, const char *key, const char *value,
                         char *errstr, size_t errstr_size) {
        size_t i;
        char *v = lr_config_expand(key, value, errstr, errstr_size);
        if (!v)
                return -1;
        for (i = 0; i < cfg->kv_cnt; i++) {
                if (!strcmp(cfg->kv[i].key, key)) {
                        free(cfg->kv[i].value);
                        cfg->kv[i].value = v;
                        return 0;
                }
        }
        cfg->kv = realloc(cfg->kv, (cfg->kv_cnt + 1) * sizeof(*cfg->kv));
        cfg->kv[cfg->kv_cnt].key   = strdup(key);
        cfg->kv[cfg->kv_cnt].value = v;
        cfg->kv_cnt++;
        return 0;
}

int lr_config_set(lr_config_t *cfg, const char *assignment, char *errstr,
                  size_t errstr_size) {
        const char *eq = strchr(assignment, '=');
        char key[256];
        if (!eq || eq == assignment ||
            (size_t)(eq - assignment) >= sizeof(key)) {
                snprintf(errstr, errstr_size, "--set %s: expected key=value",
                         assignment);
                return -1;
        }
        memcpy(key, assignment, (size_t)(eq - assignment));
        key[eq - assignment] = '\0';
        return lr_config_put(cfg, key, eq + 1, errstr, errstr_size);
}

/* The dotted key of `key` under `prefix`. */
static void lr_yaml_key(char *full, size_t size, const char *prefix,
                        const char *key) {
        snprintf(full, size, "%s%s%s", prefix, *prefix ? "." : "", key);
}

/* YAML flattening: a stack of key prefixes while walking mappings; a
 * sequence of scalars is joined with commas. */
int lr_config_load_file(lr_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size) {
        FILE *fp = fopen(path, "r");
        yaml_parser_t parser;
        yaml_event_t ev;
        char prefix[512] = "";
        size_t plen[32];
        int depth = 0, expect_key[32], in_seq = 0, done = 0, r = 0;
        char seqbuf[4096] = "";
        char key[256]     = "";

        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return -1;
        }
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_file(&parser, fp);
        expect_key[0] = 1;
        while (!done) {
                if (!yaml_parser_parse(&parser, &ev)) {
                        snprintf(errstr, errstr_size, "%s:%zu: %s", path,
                                 parser.problem_mark.line + 1,
                                 parser.problem ? parser.problem
                                                : "YAML syntax error");
                        r = -1;
                        break;
                }
                switch (ev.type) {
                case YAML_MAPPING_START_EVENT:
                        if (in_seq || depth >= 31) {
                                snprintf(errstr, errstr_size,
                                         "%s:%zu: %s: nested structure not "
                                         "supported here",
                                         path, ev.start_mark.line + 1, prefix);
                                r    = -1;
                                done = 1;
                                break;
                        }
                        plen[depth] = strlen(prefix);
                        if (depth > 0) {
                                size_t l = strlen(prefix);
                                snprintf(prefix + l, sizeof(prefix) - l, "%s%s",
                                         l ? "." : "", key);
                        }
                        depth++;
                        expect_key[depth] = 1;
                        break;
                case YAML_MAPPING_END_EVENT:
                        depth--;
                        if (depth > 0) {
                                prefix[plen[depth]] = '\0';
                                expect_key[depth]   = 1;
                        }
                        break;
                case YAML_SEQUENCE_START_EVENT:
                        in_seq    = 1;
                        seqbuf[0] = '\0';
                        break;
                case YAML_SEQUENCE_END_EVENT: {
                        char full[800];
                        in_seq = 0;
                        lr_yaml_key(full, sizeof(full), prefix, key);
                        if (lr_config_put(cfg, full, seqbuf, errstr,
                                          errstr_size))
                                r = -1, done = 1;
                        expect_key[depth] = 1;
                        break;
                }
                case YAML_SCALAR_EVENT: {
                        const char *s = (const char *)ev.data.scalar.value;
                        if (in_seq) {
                                size_t l = strlen(seqbuf);
                                snprintf(seqbuf + l, sizeof(seqbuf) - l, "%s%s",
                                         l ? "," : "", s);
                        } else if (expect_key[depth]) {
                                snprintf(key, sizeof(key), "%s", s);
                                expect_key[depth] = 0;
                        } else {
                                char full[800];
                                lr_yaml_key(full, sizeof(full), prefix, key);
                                if (lr_config_put(cfg, full, s, errstr,
                                                  errstr_size))
                                        r = -1, done = 1;
                                expect_key[depth] = 1;
                        }
                        break;
                }
                case YAML_STREAM_END_EVENT:
                        done = 1;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&parser);
        fclose(fp);
        return r;
}

static int lr_parse_double(const char *key, const char *v, double *out,
                           char *errstr, size_t errstr_size) {
        char *end;
        double d;
        errno = 0;
        d     = strtod(v, &end);
        if (errno || end == v || *end) {
                snprintf(errstr, errstr_size, "%s: \"%s\" is not a number", key,
                         v);
                return -1;
        }
        *out = d;
        return 0;
}

static int lr_parse_bool(const char *key, const char *v, int *out, char *errstr,
                         size_t errstr_size) {
        if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
                *out = 1;
        else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
                *out = 0;
        else {
                snprintf(errstr, errstr_size, "%s: \"%s\" is not true/false",
                         key, v);
                return -1;
        }
        return 0;
}

/* Applies one policy key (the part after "policy." or "tenants.<id>.").
 * Returns 0, or -1 with errstr naming the key when it is unknown or its
 * value bad. */
static int lr_policy_apply(lr_policy_t *p, const char *sub, const char *key,
                           const char *v, char *errstr, size_t errstr_size) {
        int i;
        if (!lr_config_key_listed(lr_policy_key_names, sub)) {
                snprintf(errstr, errstr_size, "%s: unknown key", key);
                return -1;
        }
        if (!strncmp(sub, "weights.", 8)) {
                for (i = 0; i < LR_METRIC_CNT; i++)
                        if (!strcmp(sub + 8, lr_metric_name((lr_metric_t)i)))
                                return lr_parse_double(key, v, &p->weights[i],
                                                       errstr, errstr_size);
                return 1;
        }
        if (!strcmp(sub, "strategy")) {
                snprintf(p->strategy, sizeof(p->strategy), "%s", v);
                return 0;
        }
        if (!strcmp(sub, "evaluation")) {
                snprintf(p->evaluation, sizeof(p->evaluation), "%s", v);
                return 0;
        }
        if (!strcmp(sub, "window_days"))
                return lr_parse_int(key, v, 1, 3650, &p->window_days, errstr,
                                    errstr_size);
        if (!strcmp(sub, "conversion_maturity_days"))
                return lr_parse_int(key, v, 1, 3650,
                                    &p->conversion_maturity_days, errstr,
                                    errstr_size);
        if (!strcmp(sub, "shrinkage"))
                return lr_parse_double(key, v, &p->shrinkage, errstr,
                                       errstr_size);
        if (!strcmp(sub, "tiers"))
                return lr_parse_int(key, v, 1, LR_MAX_TIERS, &p->tiers, errstr,
                                    errstr_size);
        if (!strcmp(sub, "ramp_min_leads"))
                return lr_parse_int(key, v, 0, 1000000, &p->ramp_min_leads,
                                    errstr, errstr_size);
        if (!strcmp(sub, "promote_ratio"))
                return lr_parse_double(key, v, &p->promote_ratio, errstr,
                                       errstr_size);
        if (!strcmp(sub, "demote_ratio"))
                return lr_parse_double(key, v, &p->demote_ratio, errstr,
                                       errstr_size);
        if (!strcmp(sub, "max_open_leads"))
                return lr_parse_int(key, v, 1, 100000, &p->max_open_leads,
                                    errstr, errstr_size);
        if (!strcmp(sub, "max_leads_per_day"))
                return lr_parse_int(key, v, 0, 100000, &p->max_leads_per_day,
                                    errstr, errstr_size);
        if (!strcmp(sub, "max_wait_seconds"))
                return lr_parse_int(key, v, 0, 86400 * 30, &p->max_wait_seconds,
                                    errstr, errstr_size);
        if (!strcmp(sub, "sla_first_touch_seconds"))
                return lr_parse_int(key, v, 0, 86400 * 30,
                                    &p->sla_first_touch_seconds, errstr,
                                    errstr_size);
        if (!strcmp(sub, "owner_first"))
                return lr_parse_bool(key, v, &p->owner_first, errstr,
                                     errstr_size);
        if (!strcmp(sub, "region_match"))
                return lr_parse_bool(key, v, &p->region_match, errstr,
                                     errstr_size);
        if (!strcmp(sub, "sla_max_attempts"))
                return lr_parse_int(key, v, 0, 1000, &p->sla_max_attempts,
                                    errstr, errstr_size);
        if (!strcmp(sub, "max_untouched_leads"))
                return lr_parse_int(key, v, 0, 100000, &p->max_untouched_leads,
                                    errstr, errstr_size);
        if (!strcmp(sub, "tier_share")) {
                snprintf(p->tier_share, sizeof(p->tier_share), "%s", v);
                return 0;
        }
        if (!strcmp(sub, "min_leads_per_week"))
                return lr_parse_int(key, v, 0, 100000, &p->min_leads_per_week,
                                    errstr, errstr_size);
        if (!strcmp(sub, "tier_weights")) {
                char buf[256], *tok, *save = NULL;
                snprintf(buf, sizeof(buf), "%s", v);
                p->tier_weights_cnt = 0;
                for (tok = strtok_r(buf, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                        while (isspace((unsigned char)*tok))
                                tok++;
                        if (p->tier_weights_cnt >= LR_MAX_TIERS) {
                                snprintf(errstr, errstr_size,
                                         "%s: more than %d weights", key,
                                         LR_MAX_TIERS);
                                return -1;
                        }
                        if (lr_parse_int(
                                key, tok, 1, 1000,
                                &p->tier_weights[p->tier_weights_cnt++], errstr,
                                errstr_size))
                                return -1;
                }
                return 0;
        }
        if (!strcmp(sub, "lead_tier_scores")) {
                char buf[256], *tok, *save = NULL;
                snprintf(buf, sizeof(buf), "%s", v);
                for (i = 0; i < LR_MAX_TIERS; i++)
                        p->lead_tier_scores[i] = 0;
                i = 0;
                for (tok = strtok_r(buf, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                        while (isspace((unsigned char)*tok))
                                tok++;
                        if (i >= LR_MAX_TIERS - 1 ||
                            lr_parse_int(key, tok, 0, 100,
                                         &p->lead_tier_scores[i++], errstr,
                                         errstr_size))
                                return -1;
                }
                return 0;
        }
        snprintf(errstr, errstr_size, "%s: listed but not read (a bug)", key);
        return -1;
}

static lr_tenant_policy_t *lr_config_tenant(lr_config_t *cfg, const char *id,
                                            size_t idlen) {
        size_t i;
        for (i = 0; i < cfg->tenants_cnt; i++)
                if (strlen(cfg->tenants[i].tenant_id) == idlen &&
                    !strncmp(cfg->tenants[i].tenant_id, id, idlen))
                        return &cfg->tenants[i];
        cfg->tenants = realloc(cfg->tenants,
                               (cfg->tenants_cnt + 1) * sizeof(*cfg->tenants));
        memset(&cfg->tenants[cfg->tenants_cnt], 0, sizeof(*cfg->tenants));
        cfg->tenants[cfg->tenants_cnt].tenant_id = strndup(id, idlen);
        return &cfg->tenants[cfg->tenants_cnt++];
}

static int lr_config_positive(const char *key, const char *v, int *out,
                              char *errstr, size_t errstr_size) {
        return lr_parse_int(key, v, 1, 1000000, out, errstr, errstr_size);
}

/* A shadow policy: the live one (p) with shadow.policy.* and, for a
 * tenant, tenants.<id>.shadow.* over it. */
static int lr_config_shadow(const lr_config_t *cfg, const char *tenant,
                            const lr_policy_t *p, lr_policy_t *out,
                            char *version, size_t version_size, char *errstr,
                            size_t errstr_size) {
        char prefix[256];
        size_t i, tl = tenant ? strlen(tenant) : 0;

        *out = *p;
        for (i = 0; i < cfg->kv_cnt; i++) {
                const char *k = cfg->kv[i].key, *sub = NULL;
                if (!strncmp(k, "shadow.policy.", 14))
                        sub = k + 14;
                else if (tenant && !strncmp(k, "tenants.", 8) &&
                         !strncmp(k + 8, tenant, tl) && k[8 + tl] == '.' &&
                         !strncmp(k + 9 + tl, "shadow.", 7))
                        sub = k + 16 + tl;
                if (!sub)
                        continue;
                if (lr_policy_apply(out, sub, k, cfg->kv[i].value, errstr,
                                    errstr_size))
                        return -1;
        }
        snprintf(prefix, sizeof(prefix), "%s%s%s",
                 tenant ? "tenants." : "shadow.policy", tenant ? tenant : "",
                 tenant ? ".shadow" : "");
        if (lr_policy_validate(out, prefix, errstr, errstr_size))
                return -1;
        lr_policy_version(out, version, version_size);
        return 0;
}

static int lr_config_shadows(lr_config_t *cfg, char *errstr,
                             size_t errstr_size) {
        size_t i;
        if (cfg->has_shadow &&
            lr_config_shadow(cfg, NULL, &cfg->policy, &cfg->shadow,
                             cfg->shadow_version, sizeof(cfg->shadow_version),
                             errstr, errstr_size))
                return -1;
        for (i = 0; i < cfg->tenants_cnt; i++) {
                lr_tenant_policy_t *tp = &cfg->tenants[i];
                tp->has_shadow |= cfg->has_shadow;
                if (tp->has_shadow &&
                    lr_config_shadow(cfg, tp->tenant_id, &tp->policy,
                                     &tp->shadow, tp->shadow_version,
                                     sizeof(tp->shadow_version), errstr,
                                     errstr_size))
                        return -1;
        }
        return 0;
}

int lr_config_finalize(lr_config_t *cfg, char *errstr, size_t errstr_size) {
        size_t i;
        int t;

        cfg->bootstrap_servers = "127.0.0.1:9092";
        cfg->group_id          = "leadrouter";
        for (t = 0; t < LR_TOPIC_CNT; t++)
                cfg->topics[t] = lr_topic_defaults[t];
        cfg->redis_url              = "redis://127.0.0.1:6379/0";
        cfg->redis_namespace        = "lr";
        cfg->registry_url           = NULL;
        cfg->registry_user_info     = NULL;
        cfg->registry_ca_location   = NULL;
        cfg->auto_register          = 0;
        cfg->subject_strategy       = LR_SUBJECT_TOPIC_NAME;
        cfg->http_listen            = "127.0.0.1:9464";
        cfg->batch_size             = 1000;
        cfg->clock_event            = 0;
        cfg->dedup_ttl_days         = 30;
        cfg->lead_retention_days    = 90;
        cfg->ranking_retention_days = 730;
        lr_policy_defaults(&cfg->policy);

        /* Policy defaults first: tenant overrides start from them. */
        for (i = 0; i < cfg->kv_cnt; i++) {
                const char *k = cfg->kv[i].key, *v = cfg->kv[i].value;
                if (strncmp(k, "policy.", 7))
                        continue;
                if (lr_policy_apply(&cfg->policy, k + 7, k, v, errstr,
                                    errstr_size))
                        return -1;
        }
        for (i = 0; i < cfg->kv_cnt; i++) {
                const char *k = cfg->kv[i].key, *v = cfg->kv[i].value;
                if (!strncmp(k, "policy.", 7))
                        continue;
                if (!strncmp(k, "shadow.", 7)) {
                        if (strncmp(k, "shadow.policy.", 14)) {
                                snprintf(
                                    errstr, errstr_size,
                                    "%s: unknown key (shadow.policy.<policy "
                                    "key>)",
                                    k);
                                return -1;
                        }
                        cfg->has_shadow = 1;
                        continue; /* applied to each policy below */
                }
                if (!strncmp(k, "tenants.", 8)) {
                        const char *id = k + 8, *dot = strchr(id, '.');
                        lr_tenant_policy_t *tp;
                        if (!dot || dot == id) {
                                snprintf(errstr, errstr_size,
                                         "%s: expected tenants.<id>.<policy "
                                         "key>",
                                         k);
                                return -1;
                        }
                        tp = lr_config_tenant(cfg, id, (size_t)(dot - id));
                        if (!tp->version[0]) {
                                tp->policy     = cfg->policy;
                                tp->version[0] = '-';
                        }
                        if (!strncmp(dot + 1, "shadow.", 7)) {
                                tp->has_shadow = 1;
                                continue; /* applied below */
                        }
                        if (lr_policy_apply(&tp->policy, dot + 1, k, v, errstr,
                                            errstr_size))
                                return -1;
                        continue;
                }
                if (!lr_config_key_listed(lr_config_key_names, k)) {
                        if (!strncmp(k, "kafka.", 6) && k[6])
                                continue; /* to librdkafka, which checks it */
                        snprintf(errstr, errstr_size, "%s: unknown key", k);
                        return -1;
                }
                if (!strcmp(k, "kafka.bootstrap.servers")) {
                        cfg->bootstrap_servers = v;
                        continue;
                }
                if (!strcmp(k, "kafka.group.id")) {
                        cfg->group_id = v;
                        continue;
                }
                for (t = 0; t < LR_TOPIC_CNT; t++)
                        if (!strcmp(k, lr_topic_keys[t]))
                                break;
                if (t < LR_TOPIC_CNT) {
                        if (!*v) {
                                snprintf(errstr, errstr_size,
                                         "%s: empty topic name", k);
                                return -1;
                        }
                        cfg->topics[t] = v;
                } else if (!strcmp(k, "redis.url")) {
                        if (strncmp(v, "redis://", 8)) {
                                snprintf(errstr, errstr_size,
                                         "%s: \"%s\" is not a redis:// URL", k,
                                         v);
                                return -1;
                        }
                        cfg->redis_url = v;
                } else if (!strcmp(k, "redis.namespace")) {
                        if (!*v || strpbrk(v, ":{} ")) {
                                snprintf(errstr, errstr_size,
                                         "%s: \"%s\" must be non-empty, "
                                         "without ':', '{', '}' or spaces",
                                         k, v);
                                return -1;
                        }
                        cfg->redis_namespace = v;
                } else if (!strcmp(k, "redis.dedup_ttl_days")) {
                        if (lr_config_positive(k, v, &cfg->dedup_ttl_days,
                                               errstr, errstr_size))
                                return -1;
                } else if (!strcmp(k, "redis.lead_retention_days")) {
                        if (lr_config_positive(k, v, &cfg->lead_retention_days,
                                               errstr, errstr_size))
                                return -1;
                } else if (!strcmp(k, "redis.ranking_retention_days")) {
                        if (lr_config_positive(k, v,
                                               &cfg->ranking_retention_days,
                                               errstr, errstr_size))
                                return -1;
                } else if (!strcmp(k, "schemas.registry_url")) {
                        cfg->registry_url = *v ? v : NULL;
                } else if (!strcmp(k, "schemas.auto_register")) {
                        if (lr_parse_bool(k, v, &cfg->auto_register, errstr,
                                          errstr_size))
                                return -1;
                } else if (!strcmp(k, "schemas.subject_name_strategy")) {
                        if (!strcmp(v, "topic_name"))
                                cfg->subject_strategy = LR_SUBJECT_TOPIC_NAME;
                        else if (!strcmp(v, "record_name"))
                                cfg->subject_strategy = LR_SUBJECT_RECORD_NAME;
                        else if (!strcmp(v, "topic_record_name"))
                                cfg->subject_strategy =
                                    LR_SUBJECT_TOPIC_RECORD_NAME;
                        else {
                                snprintf(errstr, errstr_size,
                                         "%s: \"%s\" must be topic_name, "
                                         "record_name or topic_record_name",
                                         k, v);
                                return -1;
                        }
                } else if (!strcmp(k, "schemas.basic_auth_user_info")) {
                        if (*v && !strchr(v, ':')) {
                                snprintf(errstr, errstr_size,
                                         "%s: must be user:password", k);
                                return -1;
                        }
                        cfg->registry_user_info = *v ? v : NULL;
                } else if (!strcmp(k, "schemas.ssl_ca_location")) {
                        cfg->registry_ca_location = *v ? v : NULL;
                } else if (!strcmp(k, "http.listen")) {
                        char host[256];
                        int port;
                        if (*v && lr_http_split(v, host, sizeof(host), &port)) {
                                snprintf(errstr, errstr_size,
                                         "%s: \"%s\" must be HOST:PORT, or "
                                         "\"\" for no endpoint",
                                         k, v);
                                return -1;
                        }
                        cfg->http_listen = v;
                } else if (!strcmp(k, "worker.clock")) {
                        if (strcmp(v, "wall") && strcmp(v, "event")) {
                                snprintf(errstr, errstr_size,
                                         "%s: \"%s\" must be wall (live: "
                                         "timers on the wall clock) or event "
                                         "(replay: on the event-time "
                                         "watermark)",
                                         k, v);
                                return -1;
                        }
                        cfg->clock_event = !strcmp(v, "event");
                } else if (!strcmp(k, "worker.batch_size")) {
                        if (lr_config_positive(k, v, &cfg->batch_size, errstr,
                                               errstr_size))
                                return -1;
                } else {
                        snprintf(errstr, errstr_size,
                                 "%s: listed but not read (a bug)", k);
                        return -1;
                }
        }
        if (lr_policy_validate(&cfg->policy, "policy", errstr, errstr_size))
                return -1;
        lr_policy_version(&cfg->policy, cfg->policy_version,
                          sizeof(cfg->policy_version));
        for (i = 0; i < cfg->tenants_cnt; i++) {
                char prefix[256];
                lr_tenant_policy_t *tp = &cfg->tenants[i];
                snprintf(prefix, sizeof(prefix), "tenants.%s", tp->tenant_id);
                if (lr_policy_validate(&tp->policy, prefix, errstr,
                                       errstr_size))
                        return -1;
                lr_policy_version(&tp->policy, tp->version,
                                  sizeof(tp->version));
        }
        return lr_config_shadows(cfg, errstr, errstr_size);
}

const lr_policy_t *lr_config_policy(const lr_config_t *cfg, const char *tenant,
                                    const char **version) {
        size_t i;
        for (i = 0; i < cfg->tenants_cnt; i++) {
                if (!strcmp(cfg->tenants[i].tenant_id, tenant)) {
                        if (version)
                                *version = cfg->tenants[i].version;
                        return &cfg->tenants[i].policy;
                }
        }
        if (version)
                *version = cfg->policy_version;
        return &cfg->policy;
}

const lr_policy_t *lr_config_shadow_policy(const lr_config_t *cfg,
                                           const char *tenant,
                                           const char **version) {
        size_t i;
        for (i = 0; i < cfg->tenants_cnt; i++) {
                if (!strcmp(cfg->tenants[i].tenant_id, tenant)) {
                        if (!cfg->tenants[i].has_shadow)
                                return NULL;
                        if (version)
                                *version = cfg->tenants[i].shadow_version;
                        return &cfg->tenants[i].shadow;
                }
        }
        if (!cfg->has_shadow)
                return NULL;
        if (version)
                *version = cfg->shadow_version;
        return &cfg->shadow;
}

int lr_config_any_shadow(const lr_config_t *cfg) {
        size_t i;
        for (i = 0; i < cfg->tenants_cnt; i++)
                if (cfg->tenants[i].has_shadow)
                        return 1;
        return cfg->has_shadow;
}

int lr_config_topic_kind(const lr_config_t *cfg, const char *topic) {
        int t;
        for (t = 0; t < LR_TOPIC_CNT; t++)
                if (!strcmp(cfg->topics[t], topic))
                        return t;
        return -1;
}
