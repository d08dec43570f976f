/*
 * avro_scan.h - walks an Avro binary body against its writer schema without
 * allocating anything, before avro-c is let near it. avro-c trusts lengths
 * and counts it reads (a string length of 2^40 is an allocation of 2^40
 * bytes), does not check enum indexes, and leaks on some failed decodes: a
 * body that passes this scan is one avro_value_read() decodes completely.
 * The scan also enforces the size limits of bad-message handling (SPEC §4)
 * and finds trailing bytes after the body.
 */
#ifndef LR_AVRO_SCAN_H
#define LR_AVRO_SCAN_H

#include <stddef.h>

#include <avro.h>

#include "leadrouter/codec.h"

typedef struct lr_avro_limits_s {
        size_t max_string; /* bytes of one string, bytes or map key */
        size_t max_items;  /* entries of one array or map */
} lr_avro_limits_t;

/* Limits for input events (SPEC §4 "oversized"). */
extern const lr_avro_limits_t lr_avro_input_limits;
/* Limits for our own output records, which can be larger. */
extern const lr_avro_limits_t lr_avro_output_limits;

/* LR_CODEC_OK when buf[0..len) is exactly one datum of schema within limits;
 * else LR_CODEC_ERR_DECODE (malformed, truncated, trailing bytes) or
 * LR_CODEC_ERR_TOO_LARGE, with errstr naming the field. */
lr_codec_err_t lr_avro_scan(avro_schema_t schema, const void *buf, size_t len,
                            const lr_avro_limits_t *limits, char *errstr,
                            size_t errstr_size);

/* lr_avro_scan() of the one datum at the start of buf[0..len): *used
 * receives its length (the bytes after it are not looked at). */
lr_codec_err_t lr_avro_scan_length(avro_schema_t schema, const void *buf,
                                   size_t len, const lr_avro_limits_t *limits,
                                   size_t *used, char *errstr,
                                   size_t errstr_size);

#endif
