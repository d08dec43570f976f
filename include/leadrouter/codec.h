/*
 * codec.h - Avro in the Confluent wire format, both ways.
 *
 * Frame: byte 0 = magic 0, bytes 1-4 = schema id (big-endian), Avro body.
 * Reader schemas are this build's schemas/ (embedded at build time).
 * Schema ids have one authority: with a Schema Registry configured, the
 * registry alone (a writer schema is fetched by id, an output is written
 * with the id the registry gives its schema under a subject); without one,
 * the local manifest (schemas/manifest.json). A writer one version ahead or
 * behind is resolved against the reader schema, with reader defaults filled
 * for fields the writer lacks.
 */
#ifndef LEADROUTER_CODEC_H
#define LEADROUTER_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "leadrouter/event.h"

typedef struct lr_codec_s lr_codec_t;

/* Largest message the decoder accepts (bytes); larger is a bad message. */
#define LR_CODEC_MAX_MESSAGE (256 * 1024)

typedef enum lr_codec_err_e {
        LR_CODEC_OK            = 0,
        LR_CODEC_ERR_FRAME     = -1, /* not Confluent-framed / too short */
        LR_CODEC_ERR_SCHEMA_ID = -2, /* unknown schema id */
        LR_CODEC_ERR_DECODE    = -3, /* undecodable Avro */
        LR_CODEC_ERR_INVALID =
            -4, /* missing field / out of range / wrong record */
        LR_CODEC_ERR_TOO_LARGE = -5, /* oversized message or field */
        LR_CODEC_ERR_REGISTRY  = -6, /* registry unreachable: retriable */
        LR_CODEC_ERR_ENCODE    = -7,
} lr_codec_err_t;

/* A Confluent-compatible Schema Registry (config keys schemas.*). */
typedef struct lr_codec_registry_s {
        const char *url;                  /* NULL or "": no registry */
        const char *basic_auth_user_info; /* "user:password", or NULL */
        const char *ssl_ca_location;      /* CA file for https://, or NULL */
} lr_codec_registry_t;

/* registry may be NULL (or have no url): ids from the manifest. Returns
 * NULL and fills errstr on failure. */
lr_codec_t *lr_codec_new(const lr_codec_registry_t *registry, char *errstr,
                         size_t errstr_size);
void lr_codec_free(lr_codec_t *codec);

/* Whether the codec's ids come from a Schema Registry. */
int lr_codec_has_registry(const lr_codec_t *codec);

/* Schema id this process writes for a record kind: the manifest's, or with
 * a registry the one lr_codec_resolve_writer() got (0 until then: encoding
 * that kind fails rather than write an id the registry did not give). */
int32_t lr_codec_schema_id(const lr_codec_t *codec, lr_event_kind_t kind);

/* Settles the schema id written for kind. With a registry: the id of this
 * build's schema of kind under subject, registered when auto_register,
 * else looked up; LR_CODEC_ERR_SCHEMA_ID when the subject lacks it,
 * LR_CODEC_ERR_INVALID when the registry refuses otherwise (errstr names
 * the subject and quotes the registry), LR_CODEC_ERR_REGISTRY when it
 * cannot be reached (retriable). Without one: the manifest's id (subject is
 * not used). *id receives the id. */
lr_codec_err_t lr_codec_resolve_writer(lr_codec_t *codec, lr_event_kind_t kind,
                                       const char *subject, int auto_register,
                                       int32_t *id, char *errstr,
                                       size_t errstr_size);

/* Makes schema id known as the writer schema `schema` (Avro JSON text), as
 * if the manifest or the registry had it: for writer schemas known from
 * elsewhere (tests of schema evolution). LR_CODEC_ERR_SCHEMA_ID when id is
 * known already, LR_CODEC_ERR_INVALID when the schema is not a readable
 * leadrouter record. */
lr_codec_err_t lr_codec_add_writer(lr_codec_t *codec, int32_t id,
                                   const char *schema, char *errstr,
                                   size_t errstr_size);

/* Decodes one framed message expected to be of input record `kind`
 * (LR_EV_LEAD_CREATED, LR_EV_CALL_OUTCOME or LR_EV_REP_STATUS) into *ev
 * (which the caller zeroes first and later lr_event_clear()s; on error *ev
 * holds nothing). On error errstr says, for a person, what is wrong, e.g.
 * "missing required field lead_id" or "score 140 out of range 0..100". */
lr_codec_err_t lr_codec_decode(lr_codec_t *codec, lr_event_kind_t kind,
                               const void *buf, size_t len, lr_event_t *ev,
                               char *errstr, size_t errstr_size);

/* Encodes an output record as a framed message into a malloc()ed buffer. */
lr_codec_err_t lr_codec_encode_assigned(lr_codec_t *codec,
                                        const lr_assigned_t *a, void **buf,
                                        size_t *len, char *errstr,
                                        size_t errstr_size);
lr_codec_err_t lr_codec_encode_tier_changed(lr_codec_t *codec,
                                            const lr_tier_changed_t *t,
                                            void **buf, size_t *len,
                                            char *errstr, size_t errstr_size);

/* Encodes one event given as a JSON object (the form `produce` reads and
 * `generate` writes) with the reader schema of `kind`. Timestamps may be
 * integers (ms) or ISO-8601 UTC strings; enums are symbol strings; optional
 * fields are plain values or null. *tenant_id receives a malloc()ed copy of
 * the tenant_id field for use as the message key. */
lr_codec_err_t lr_codec_encode_json(lr_codec_t *codec, lr_event_kind_t kind,
                                    const char *json, void **buf, size_t *len,
                                    char **tenant_id, char *errstr,
                                    size_t errstr_size);

/* An input event given as a JSON object (jansson's json_t, the form of
 * lr_codec_encode_json) read as the worker reads it once `produce` has
 * encoded it: lr_codec_encode_json() then lr_codec_decode(), with the same
 * defaults, checks and limits, without the text round trip (replay of
 * JSON lines files). Needs a codec that writes kind without a registry
 * lookup (one without a registry). *ev as with lr_codec_decode(). */
struct json_t;
lr_codec_err_t lr_codec_decode_json(lr_codec_t *codec, lr_event_kind_t kind,
                                    struct json_t *event, lr_event_t *ev,
                                    char *errstr, size_t errstr_size);

/* The length of the framed message of kind that starts buf[0..len), for
 * files of framed messages one after the other: LR_CODEC_OK and *used, or
 * an error as lr_codec_decode() gives it. */
lr_codec_err_t lr_codec_frame_length(lr_codec_t *codec, lr_event_kind_t kind,
                                     const void *buf, size_t len, size_t *used,
                                     char *errstr, size_t errstr_size);

/* Decodes a framed message of any known kind to a JSON object string
 * (malloc()ed), for tests and tools. */
lr_codec_err_t lr_codec_to_json(lr_codec_t *codec, lr_event_kind_t kind,
                                const void *buf, size_t len, char **json,
                                char *errstr, size_t errstr_size);

#endif
