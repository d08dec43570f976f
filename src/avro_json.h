/*
 * avro_json.h - Avro generic values to and from jansson JSON, walked along
 * the schema. The JSON form is the one `produce` reads and `generate`
 * writes: unions as plain values (or Avro-JSON's {"type": value}), enums as
 * symbol strings, timestamps as integer ms (ISO-8601 strings accepted on
 * input). The JSON text of the schema (.avsc) travels alongside the value
 * because avro-c keeps neither field defaults nor logical types.
 */
#ifndef LR_AVRO_JSON_H
#define LR_AVRO_JSON_H

#include <stddef.h>

#include <avro.h>
#include <jansson.h>

#include "leadrouter/codec.h"

/* Sets value from j. tnode is the JSON schema node of value's type (NULL if
 * unknown: then no defaults, and longs accept ISO-8601 strings). A record
 * field absent from j takes its schema default. path names value in errors
 * ("" for the top level). LR_CODEC_ERR_INVALID with errstr on mismatch, e.g.
 * "missing required field lead_id". */
lr_codec_err_t lr_avro_from_json(avro_value_t *value, json_t *j, json_t *tnode,
                                 const char *path, char *errstr,
                                 size_t errstr_size);

/* A new JSON value for value, or NULL with errstr. */
json_t *lr_avro_to_json(avro_value_t *value, char *errstr, size_t errstr_size);

/* The field object {"name": ..., "type": ..., "default": ...} of field name
 * in record schema node rnode, or NULL. */
json_t *lr_avro_json_field(json_t *rnode, const char *name);

#endif
