/*
 * avro_scan.c - see avro_scan.h. Mirrors avro-c's binary decoding
 * (encoding_binary.c, value-read.c) step by step, checking every length,
 * count, index and varint against the bytes left and the limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "avro_scan.h"

#define SCAN_MAX_DEPTH 32
/* Items (array/map entries) over the whole body: an array of nulls costs no
 * bytes, so the byte bound alone does not bound the work. */
#define SCAN_MAX_TOTAL_ITEMS 65536

const lr_avro_limits_t lr_avro_input_limits  = {4096, 64};
const lr_avro_limits_t lr_avro_output_limits = {LR_CODEC_MAX_MESSAGE, 65536};

typedef struct scan_s {
        const uint8_t *p, *end;
        const lr_avro_limits_t *limits;
        size_t items;
        const char *field; /* innermost record field, for messages */
        char *errstr;
        size_t errstr_size;
} scan_t;

static lr_codec_err_t scan_fail(scan_t *s, lr_codec_err_t err,
                                const char *what) {
        if (s->field)
                snprintf(s->errstr, s->errstr_size, "field %s: %s", s->field,
                         what);
        else
                snprintf(s->errstr, s->errstr_size, "%s", what);
        return err;
}

static lr_codec_err_t scan_truncated(scan_t *s) {
        return scan_fail(s, LR_CODEC_ERR_DECODE, "Avro body is truncated");
}

/* A zigzag varint of at most 10 bytes, like avro-c's read_long. */
static lr_codec_err_t scan_long(scan_t *s, int64_t *v) {
        uint64_t u = 0;
        int shift  = 0;
        uint8_t b;

        do {
                if (shift == 70)
                        return scan_fail(s, LR_CODEC_ERR_DECODE,
                                         "varint longer than 10 bytes");
                if (s->p >= s->end)
                        return scan_truncated(s);
                b = *s->p++;
                if (shift < 64)
                        u |= (uint64_t)(b & 0x7f) << shift;
                shift += 7;
        } while (b & 0x80);
        *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        return LR_CODEC_OK;
}

static lr_codec_err_t scan_int(scan_t *s) {
        int64_t v;
        lr_codec_err_t err = scan_long(s, &v);
        if (err)
                return err;
        if (v < INT32_MIN || v > INT32_MAX)
                return scan_fail(s, LR_CODEC_ERR_DECODE,
                                 "int value out of 32-bit range");
        return LR_CODEC_OK;
}

static lr_codec_err_t scan_skip(scan_t *s, size_t n) {
        if ((size_t)(s->end - s->p) < n)
                return scan_truncated(s);
        s->p += n;
        return LR_CODEC_OK;
}

static int utf8_valid(const uint8_t *p, size_t n) {
        size_t i = 0;
        while (i < n) {
                uint8_t c = p[i];
                size_t k;
                uint32_t cp;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        k  = 1;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        k  = 2;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        k  = 3;
                        cp = c & 0x07;
                } else {
                        return 0;
                }
                if (n - i <= k)
                        return 0;
                for (size_t j = 1; j <= k; j++) {
                        if ((p[i + j] & 0xc0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i + j] & 0x3f);
                }
                if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
                    (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return 0;
                i += k + 1;
        }
        return 1;
}

/* A length-prefixed string (utf8 = 1) or bytes value. */
static lr_codec_err_t scan_bytes(scan_t *s, int utf8) {
        int64_t n;
        char what[96];
        lr_codec_err_t err = scan_long(s, &n);

        if (err)
                return err;
        if (n < 0)
                return scan_fail(s, LR_CODEC_ERR_DECODE,
                                 "negative string length");
        if ((uint64_t)n > s->limits->max_string) {
                snprintf(what, sizeof(what),
                         "string of %lld bytes is longer than the limit of "
                         "%zu",
                         (long long)n, s->limits->max_string);
                return scan_fail(s, LR_CODEC_ERR_TOO_LARGE, what);
        }
        if ((uint64_t)n > (uint64_t)(s->end - s->p))
                return scan_truncated(s);
        if (utf8 && !utf8_valid(s->p, (size_t)n))
                return scan_fail(s, LR_CODEC_ERR_DECODE,
                                 "string is not valid UTF-8");
        s->p += n;
        return LR_CODEC_OK;
}

static lr_codec_err_t scan_value(scan_t *s, avro_schema_t schema, int depth);

/* Array or map blocks: count, [byte size when count < 0], items; 0 ends. */
static lr_codec_err_t scan_blocks(scan_t *s, avro_schema_t items, int is_map,
                                  int depth) {
        uint64_t total = 0;
        int64_t count, size;
        lr_codec_err_t err;
        char what[96];

        for (;;) {
                if ((err = scan_long(s, &count)))
                        return err;
                if (count == 0)
                        return LR_CODEC_OK;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return scan_fail(s, LR_CODEC_ERR_DECODE,
                                                 "bad block count");
                        count = -count;
                        if ((err = scan_long(s, &size)))
                                return err;
                }
                total += (uint64_t)count;
                if (total > s->limits->max_items) {
                        snprintf(what, sizeof(what), "%s has more than %zu %s",
                                 is_map ? "map" : "array", s->limits->max_items,
                                 is_map ? "entries" : "items");
                        return scan_fail(s, LR_CODEC_ERR_TOO_LARGE, what);
                }
                s->items += (size_t)count;
                if (s->items > SCAN_MAX_TOTAL_ITEMS)
                        return scan_fail(s, LR_CODEC_ERR_TOO_LARGE,
                                         "too many array/map items in total");
                while (count-- > 0) {
                        if (is_map && (err = scan_bytes(s, 1)))
                                return err;
                        if ((err = scan_value(s, items, depth + 1)))
                                return err;
                }
        }
}

static lr_codec_err_t scan_value(scan_t *s, avro_schema_t schema, int depth) {
        int64_t v;
        lr_codec_err_t err;
        char what[96];

        if (depth > SCAN_MAX_DEPTH)
                return scan_fail(s, LR_CODEC_ERR_DECODE, "nested too deeply");
        while (is_avro_link(schema))
                schema = avro_schema_link_target(schema);

        switch (avro_typeof(schema)) {
        case AVRO_NULL:
                return LR_CODEC_OK;
        case AVRO_BOOLEAN:
                if (s->p >= s->end)
                        return scan_truncated(s);
                if (*s->p > 1)
                        return scan_fail(s, LR_CODEC_ERR_DECODE,
                                         "boolean byte is neither 0 nor 1");
                s->p++;
                return LR_CODEC_OK;
        case AVRO_INT32:
                return scan_int(s);
        case AVRO_INT64:
                return scan_long(s, &v);
        case AVRO_FLOAT:
                return scan_skip(s, 4);
        case AVRO_DOUBLE:
                return scan_skip(s, 8);
        case AVRO_STRING:
                return scan_bytes(s, 1);
        case AVRO_BYTES:
                return scan_bytes(s, 0);
        case AVRO_FIXED:
                return scan_skip(s, (size_t)avro_schema_fixed_size(schema));
        case AVRO_ENUM:
                if ((err = scan_long(s, &v)))
                        return err;
                if (v < 0 || v >= avro_schema_enum_number_of_symbols(schema)) {
                        snprintf(what, sizeof(what),
                                 "enum index %lld out of range (%d symbols)",
                                 (long long)v,
                                 avro_schema_enum_number_of_symbols(schema));
                        return scan_fail(s, LR_CODEC_ERR_DECODE, what);
                }
                return LR_CODEC_OK;
        case AVRO_UNION:
                if ((err = scan_long(s, &v)))
                        return err;
                if (v < 0 || (uint64_t)v >= avro_schema_union_size(schema)) {
                        snprintf(what, sizeof(what),
                                 "union branch %lld out of range (%zu "
                                 "branches)",
                                 (long long)v, avro_schema_union_size(schema));
                        return scan_fail(s, LR_CODEC_ERR_DECODE, what);
                }
                return scan_value(s, avro_schema_union_branch(schema, (int)v),
                                  depth + 1);
        case AVRO_ARRAY:
                return scan_blocks(s, avro_schema_array_items(schema), 0,
                                   depth);
        case AVRO_MAP:
                return scan_blocks(s, avro_schema_map_values(schema), 1, depth);
        case AVRO_RECORD: {
                size_t i, n = avro_schema_record_size(schema);
                const char *outer = s->field;
                for (i = 0; i < n; i++) {
                        s->field =
                            avro_schema_record_field_name(schema, (int)i);
                        err = scan_value(s,
                                         avro_schema_record_field_get_by_index(
                                             schema, (int)i),
                                         depth + 1);
                        if (err)
                                return err;
                }
                s->field = outer;
                return LR_CODEC_OK;
        }
        default:
                return scan_fail(s, LR_CODEC_ERR_DECODE,
                                 "schema has a type the decoder does not "
                                 "support");
        }
}

lr_codec_err_t lr_avro_scan_length(avro_schema_t schema, const void *buf,
                                   size_t len, const lr_avro_limits_t *limits,
                                   size_t *used, char *errstr,
                                   size_t errstr_size) {
        scan_t s = {
            buf,        (const uint8_t *)buf + len, limits, 0, NULL, errstr,
            errstr_size};
        lr_codec_err_t err = scan_value(&s, schema, 0);

        *used = err ? 0 : (size_t)(s.p - (const uint8_t *)buf);
        return err;
}

lr_codec_err_t lr_avro_scan(avro_schema_t schema, const void *buf, size_t len,
                            const lr_avro_limits_t *limits, char *errstr,
                            size_t errstr_size) {
        size_t used;
        lr_codec_err_t err = lr_avro_scan_length(schema, buf, len, limits,
                                                 &used, errstr, errstr_size);

        if (err)
                return err;
        if (used != len) {
                snprintf(errstr, errstr_size,
                         "%zu trailing bytes after the Avro body", len - used);
                return LR_CODEC_ERR_DECODE;
        }
        return LR_CODEC_OK;
}
