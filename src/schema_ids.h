/*
 * schema_ids.h - which Confluent schema id a leadrouter process writes for
 * each record it produces (SPEC §2, §5 schemas.*). With a Schema Registry
 * configured, the registry's id of this build's schema under the subject
 * that schemas.subject_name_strategy gives the topic ("<topic>-value" by
 * default, Confluent's TopicNameStrategy): registered when
 * schemas.auto_register is true, else looked up. An id the registry did
 * not give is never written, and a schema it lacks stops start-up. Without
 * a registry, the embedded manifest's ids. Used by `run` for its output
 * topics and by `produce` for the topics it writes.
 */
#ifndef LR_SCHEMA_IDS_H
#define LR_SCHEMA_IDS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "leadrouter/codec.h"

/* A codec with the registry of cfg (schemas.*), if any. */
lr_codec_t *lr_schema_ids_codec_new(const lr_config_t *cfg, char *errstr,
                                    size_t errstr_size);

/* The registry subject of kind's records on topic, by the strategy. */
void lr_schema_ids_subject(const lr_config_t *cfg, const char *topic,
                           lr_event_kind_t kind, char *buf, size_t size);

/* Settles the id the codec writes kind with, for records going to topic,
 * and with a registry logs it. See lr_codec_resolve_writer() for the errors;
 * errstr names the subject and says how to fix a missing schema. */
lr_codec_err_t lr_schema_ids_resolve(lr_codec_t *codec, const lr_config_t *cfg,
                                     const char *topic, lr_event_kind_t kind,
                                     int32_t *id, char *errstr,
                                     size_t errstr_size);

/* The worker's start-up: settles the ids of its output records
 * (LeadAssigned, RepTierChanged) on their configured topics, retrying
 * while the registry cannot be reached (until *stop). 0, or -1 with
 * errstr. */
int lr_schema_ids_outputs(lr_codec_t *codec, const lr_config_t *cfg,
                          volatile sig_atomic_t *stop, char *errstr,
                          size_t errstr_size);

#endif
