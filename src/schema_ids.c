/*
 * schema_ids.c - see schema_ids.h. The codec holds the ids and talks to the
 * registry; this file knows the configuration: topics, subject names,
 * auto-registration, and what to tell the operator.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "schema_ids.h"

#define LR_SCHEMA_IDS_BACKOFF_MAX_MS 30000

lr_codec_t *lr_schema_ids_codec_new(const lr_config_t *cfg, char *errstr,
                                    size_t errstr_size) {
        lr_codec_registry_t reg = {cfg->registry_url, cfg->registry_user_info,
                                   cfg->registry_ca_location};
        return lr_codec_new(&reg, errstr, errstr_size);
}

void lr_schema_ids_subject(const lr_config_t *cfg, const char *topic,
                           lr_event_kind_t kind, char *buf, size_t size) {
        const char *record = lr_event_kind_name(kind);

        switch (cfg->subject_strategy) {
        case LR_SUBJECT_RECORD_NAME:
                snprintf(buf, size, "io.leadrouter.%s", record);
                break;
        case LR_SUBJECT_TOPIC_RECORD_NAME:
                snprintf(buf, size, "%s-io.leadrouter.%s", topic, record);
                break;
        default:
                snprintf(buf, size, "%s-value", topic);
                break;
        }
}

lr_codec_err_t lr_schema_ids_resolve(lr_codec_t *codec, const lr_config_t *cfg,
                                     const char *topic, lr_event_kind_t kind,
                                     int32_t *id, char *errstr,
                                     size_t errstr_size) {
        const char *record = lr_event_kind_name(kind);
        char subject[512], why[512];
        lr_codec_err_t err;

        if (!lr_codec_has_registry(codec))
                return lr_codec_resolve_writer(codec, kind, NULL, 0, id, errstr,
                                               errstr_size);
        lr_schema_ids_subject(cfg, topic, kind, subject, sizeof(subject));
        err = lr_codec_resolve_writer(codec, kind, subject, cfg->auto_register,
                                      id, why, sizeof(why));
        if (err == LR_CODEC_ERR_SCHEMA_ID)
                snprintf(errstr, errstr_size,
                         "cannot write %s to %s: %s; %s schemas/%s.avsc "
                         "under subject %s%s",
                         record, topic, why,
                         cfg->auto_register ? "the registry refused to "
                                              "register"
                                            : "register",
                         record, subject,
                         cfg->auto_register
                             ? ""
                             : ", or set schemas.auto_register: true");
        else if (err)
                snprintf(errstr, errstr_size, "cannot write %s to %s: %s",
                         record, topic, why);
        else
                lr_info("schemas",
                        "writes %s to %s with schema id %d (schema registry "
                        "%s, subject %s, %s)",
                        record, topic, (int)*id, cfg->registry_url, subject,
                        cfg->auto_register ? "registered" : "looked up");
        return err;
}

/* Sleeps ms, or less when *stop is set meanwhile. */
static void lr_schema_ids_sleep(int ms, volatile sig_atomic_t *stop) {
        for (; ms > 0 && !*stop; ms -= 100)
                usleep(100 * 1000);
}

int lr_schema_ids_outputs(lr_codec_t *codec, const lr_config_t *cfg,
                          volatile sig_atomic_t *stop, char *errstr,
                          size_t errstr_size) {
        static const struct {
                lr_topic_t topic;
                lr_event_kind_t kind;
        } outputs[] = {{LR_TOPIC_LEAD_ASSIGNED, LR_EV_LEAD_ASSIGNED},
                       {LR_TOPIC_REP_TIER_CHANGED, LR_EV_REP_TIER_CHANGED}};
        size_t i;
        int32_t id;

        for (i = 0; i < sizeof(outputs) / sizeof(*outputs); i++) {
                int backoff = 1000;
                lr_codec_err_t err;

                while ((err = lr_schema_ids_resolve(
                            codec, cfg, cfg->topics[outputs[i].topic],
                            outputs[i].kind, &id, errstr, errstr_size)) ==
                       LR_CODEC_ERR_REGISTRY) {
                        lr_warn("schemas", "%s; retrying in %d s", errstr,
                                backoff / 1000);
                        lr_schema_ids_sleep(backoff, stop);
                        if (*stop)
                                return -1;
                        backoff = backoff * 2 > LR_SCHEMA_IDS_BACKOFF_MAX_MS
                                      ? LR_SCHEMA_IDS_BACKOFF_MAX_MS
                                      : backoff * 2;
                }
                if (err)
                        return -1;
                if (!lr_codec_has_registry(codec))
                        lr_info("schemas",
                                "writes %s to %s with schema id %d (embedded "
                                "schemas/manifest.json; no schema registry "
                                "configured)",
                                lr_event_kind_name(outputs[i].kind),
                                cfg->topics[outputs[i].topic], (int)id);
        }
        return 0;
}
