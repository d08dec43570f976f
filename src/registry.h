/*
 * registry.h - a Confluent Schema Registry client: the Avro schema text of a
 * schema id (GET <url>/schemas/ids/<id>). The codec asks it for ids its
 * local manifest does not know. Answers are cached by id (unknown ids for a
 * short while, so that a burst of bad messages does not hammer the
 * registry). Not thread-safe: the codec serialises calls.
 */
#ifndef LR_REGISTRY_H
#define LR_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/codec.h"

typedef struct lr_registry_s lr_registry_t;

/* url: e.g. "http://127.0.0.1:8081" (userinfo for basic auth allowed). */
lr_registry_t *lr_registry_new(const char *url, char *errstr,
                               size_t errstr_size);
void lr_registry_free(lr_registry_t *reg);

/* The schema JSON of id into *schema (owned by the registry, valid until
 * lr_registry_free()). LR_CODEC_ERR_SCHEMA_ID when the registry does not
 * know the id or it is not an Avro schema, LR_CODEC_ERR_REGISTRY when the
 * registry cannot be reached or answers nonsense (retriable). */
lr_codec_err_t lr_registry_get(lr_registry_t *reg, int32_t id,
                               const char **schema, char *errstr,
                               size_t errstr_size);

#endif
