/*
 * config.h - the worker's configuration (SPEC §5): one YAML file, every key
 * overridable with --set key=value, `${VAR}` in a value read from the
 * environment (for secrets). Unknown keys stop start-up with a message that
 * names the key; kafka.* keys other than the two leadrouter owns go to
 * librdkafka as they are.
 */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include <stddef.h>

#include "leadrouter/policy.h"

typedef enum lr_topic_e {
        LR_TOPIC_LEAD_CREATED = 0,
        LR_TOPIC_CALL_OUTCOME,
        LR_TOPIC_REP_STATUS,
        LR_TOPIC_LEAD_ASSIGNED,
        LR_TOPIC_REP_TIER_CHANGED,
        LR_TOPIC_DEAD_LETTER,
        LR_TOPIC_LEAD_ASSIGNED_SHADOW, /* decisions of a shadow policy */
        LR_TOPIC_CNT
} lr_topic_t;

/* How the registry subject of a topic's records is named (Confluent's
 * subject name strategies). */
typedef enum lr_subject_strategy_e {
        LR_SUBJECT_TOPIC_NAME = 0,    /* "<topic>-value" (the default) */
        LR_SUBJECT_RECORD_NAME,       /* "io.leadrouter.<Record>" */
        LR_SUBJECT_TOPIC_RECORD_NAME, /* "<topic>-io.leadrouter.<Record>" */
} lr_subject_strategy_t;

typedef struct lr_config_kv_s {
        char *key;
        char *value;
} lr_config_kv_t;

typedef struct lr_tenant_policy_s {
        char *tenant_id;
        lr_policy_t policy;
        char version[24];
        /* shadow.policy.* and tenants.<id>.shadow.*: a second policy the
         * worker also decides every lead with, published to
         * topics.lead_assigned_shadow, changing nothing the live one uses */
        int has_shadow;
        lr_policy_t shadow;
        char shadow_version[24];
} lr_tenant_policy_t;

typedef struct lr_config_s {
        lr_config_kv_t *kv; /* every key as given, after --set */
        size_t kv_cnt;

        /* Interpreted by lr_config_finalize(). */
        const char *bootstrap_servers; /* "embedded" = in-process broker */
        const char *group_id;
        const char *topics[LR_TOPIC_CNT];
        const char *redis_url;
        const char *redis_namespace;
        const char *registry_url;         /* NULL = local manifest only */
        const char *registry_user_info;   /* schemas.basic_auth_user_info */
        const char *registry_ca_location; /* schemas.ssl_ca_location */
        int auto_register; /* register output schemas at start-up */
        lr_subject_strategy_t subject_strategy;
        const char *http_listen; /* "" = off */
        int batch_size;
        int clock_event;    /* worker.clock: wall (0, default) | event (1): what
                             * drives timers, see worker.c */
        int dedup_ttl_days; /* event ids remembered for dedup */
        int lead_retention_days;    /* closed leads kept */
        int ranking_retention_days; /* daily rankings kept as history */
        lr_policy_t policy;         /* policy.* defaults */
        char policy_version[24];
        int has_shadow;     /* shadow.policy.* given: for every tenant */
        lr_policy_t shadow; /* the defaults with shadow.policy.* */
        char shadow_version[24];
        lr_tenant_policy_t *tenants;
        size_t tenants_cnt;
} lr_config_t;

lr_config_t *lr_config_new(void);
void lr_config_free(lr_config_t *cfg);

/* Reads a YAML file; nested maps become dotted keys, sequences become
 * comma-separated values. 0 or -1 with errstr. */
int lr_config_load_file(lr_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size);

/* Sets (or overrides) one key from "key=value". */
int lr_config_set(lr_config_t *cfg, const char *assignment, char *errstr,
                  size_t errstr_size);

/* Validates every key and fills the interpreted fields. */
int lr_config_finalize(lr_config_t *cfg, char *errstr, size_t errstr_size);

/* The shadow policy of a tenant, and its version; NULL when it has none. */
const lr_policy_t *lr_config_shadow_policy(const lr_config_t *cfg,
                                           const char *tenant,
                                           const char **version);

/* Whether any tenant has a shadow policy. */
int lr_config_any_shadow(const lr_config_t *cfg);

/* The policy of a tenant (its overrides, else the defaults), and its
 * published version. */
const lr_policy_t *lr_config_policy(const lr_config_t *cfg, const char *tenant,
                                    const char **version);

/* Value of a key, or NULL. */
const char *lr_config_get(const lr_config_t *cfg, const char *key);

/* The topic kind of a topic name, or -1. */
int lr_config_topic_kind(const lr_config_t *cfg, const char *topic);

/* Every key read (NULL-terminated), apart from the kafka.* keys passed to
 * librdkafka and the policy keys; and the policy keys, each read under
 * "policy." (the defaults) and "tenants.<id>." (a tenant's overrides).
 * ops/leadrouter.yaml documents each one. */
const char *const *lr_config_keys(void);
const char *const *lr_config_policy_keys(void);

#endif
