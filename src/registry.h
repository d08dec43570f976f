/*
 * registry.h - a Confluent Schema Registry client. Reading: the Avro schema
 * text of a schema id (GET <url>/schemas/ids/<id>), cached by id (unknown
 * ids for a short while, so that a burst of bad messages does not hammer
 * the registry). Writing: the id of a schema under a subject, looked up
 * (POST /subjects/<subject>) or registered (POST
 * /subjects/<subject>/versions). Basic auth and a CA file for https:// as
 * Confluent's clients take them. Not thread-safe: the codec serialises
 * calls.
 */
#ifndef LR_REGISTRY_H
#define LR_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/codec.h"

typedef struct lr_registry_s lr_registry_t;

/* conf->url: e.g. "http://127.0.0.1:8081" (userinfo in the URL works too). */
lr_registry_t *lr_registry_new(const lr_codec_registry_t *conf, char *errstr,
                               size_t errstr_size);
void lr_registry_free(lr_registry_t *reg);

/* The registry's URL, for messages. */
const char *lr_registry_url(const lr_registry_t *reg);

/* The schema JSON of id into *schema (owned by the registry, valid until
 * lr_registry_free()). LR_CODEC_ERR_SCHEMA_ID when the registry does not
 * know the id or it is not an Avro schema, LR_CODEC_ERR_REGISTRY when the
 * registry cannot be reached or answers nonsense (retriable). */
lr_codec_err_t lr_registry_get(lr_registry_t *reg, int32_t id,
                               const char **schema, char *errstr,
                               size_t errstr_size);

/* The id of Avro schema text under subject: registered when do_register,
 * else looked up. LR_CODEC_ERR_SCHEMA_ID when the subject does not have
 * the schema (HTTP 404), LR_CODEC_ERR_INVALID when the registry refuses
 * otherwise (unauthorised, incompatible, invalid ...): errstr names the
 * subject and quotes the registry's answer. LR_CODEC_ERR_REGISTRY when it
 * cannot be reached or fails (5xx): retriable. The schema is then cached
 * for the id, as lr_registry_get() would have fetched it. */
lr_codec_err_t lr_registry_schema_id(lr_registry_t *reg, const char *subject,
                                     const char *schema, int do_register,
                                     int32_t *id, char *errstr,
                                     size_t errstr_size);

#endif
