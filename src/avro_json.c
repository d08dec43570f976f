/*
 * avro_json.c - see avro_json.h. One walker each way; the codec uses
 * lr_avro_from_json both for JSON input and for filling the schema defaults
 * of fields an older writer lacks, so defaults mean the same in both.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "avro_json.h"
#include "timeutil.h"

static lr_codec_err_t fail(char *errstr, size_t errstr_size, const char *path,
                           const char *fmt, const char *arg) {
        char what[512];
        snprintf(what, sizeof(what), fmt, arg);
        if (path && *path)
                snprintf(errstr, errstr_size, "field %s: %s", path, what);
        else
                snprintf(errstr, errstr_size, "%s", what);
        return LR_CODEC_ERR_INVALID;
}

static const char *json_kind(const json_t *j) {
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
                return "an integer";
        case JSON_REAL:
                return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        default:
                return "null";
        }
}

static int is_timestamp(const json_t *tnode) {
        const char *lt;
        if (!tnode)
                return 1; /* unknown: be lenient */
        lt = json_string_value(json_object_get(tnode, "logicalType"));
        return lt && !strncmp(lt, "timestamp-", 10);
}

json_t *lr_avro_json_field(json_t *rnode, const char *name) {
        json_t *fields = json_object_get(rnode, "fields"), *f;
        size_t i;

        json_array_foreach(fields, i, f) {
                const char *n = json_string_value(json_object_get(f, "name"));
                if (n && !strcmp(n, name))
                        return f;
        }
        return NULL;
}

static avro_schema_t skip_links(avro_schema_t s) {
        while (is_avro_link(s))
                s = avro_schema_link_target(s);
        return s;
}

/* Whether JSON value j can be a value of (non-union) schema s. */
static int accepts(avro_schema_t s, const json_t *j, const json_t *tnode) {
        switch (avro_typeof(skip_links(s))) {
        case AVRO_NULL:
                return json_is_null(j);
        case AVRO_BOOLEAN:
                return json_is_boolean(j);
        case AVRO_INT32:
                return json_is_integer(j);
        case AVRO_INT64:
                return json_is_integer(j) ||
                       (json_is_string(j) && is_timestamp(tnode));
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
                return json_is_number(j);
        case AVRO_STRING:
        case AVRO_BYTES:
        case AVRO_ENUM:
        case AVRO_FIXED:
                return json_is_string(j);
        case AVRO_ARRAY:
                return json_is_array(j);
        case AVRO_MAP:
        case AVRO_RECORD:
                return json_is_object(j);
        default:
                return 0;
        }
}

/* The union branch that Avro-JSON's {"<type name>": value} names, or -1. */
static int wrapped_branch(avro_schema_t u, const char *key) {
        size_t i, n = avro_schema_union_size(u);
        char full[256];

        for (i = 0; i < n; i++) {
                avro_schema_t b =
                    skip_links(avro_schema_union_branch(u, (int)i));
                const char *name = avro_schema_type_name(b);
                if (!strcmp(name, key))
                        return (int)i;
                if (is_avro_named_type(b) && avro_schema_namespace(b)) {
                        snprintf(full, sizeof(full), "%s.%s",
                                 avro_schema_namespace(b), name);
                        if (!strcmp(full, key))
                                return (int)i;
                }
        }
        return -1;
}

static lr_codec_err_t from_union(avro_value_t *value, avro_schema_t s,
                                 json_t *j, json_t *tnode, const char *path,
                                 char *errstr, size_t errstr_size) {
        size_t i, n = avro_schema_union_size(s);
        int branch = -1;
        avro_value_t bv;
        json_t *bnode;

        if (json_is_object(j) && json_object_size(j) == 1) {
                const char *key = json_object_iter_key(json_object_iter(j));
                int w           = wrapped_branch(s, key);
                if (w >= 0) {
                        branch = w;
                        j      = json_object_get(j, key);
                }
        }
        for (i = 0; branch < 0 && i < n; i++)
                if (accepts(avro_schema_union_branch(s, (int)i), j,
                            json_array_get(tnode, i)))
                        branch = (int)i;
        if (branch < 0)
                return fail(errstr, errstr_size, path,
                            "%s does not fit any branch of the union",
                            json_kind(j));
        bnode = json_array_get(tnode, (size_t)branch);
        if (avro_value_set_branch(value, branch, &bv))
                return fail(errstr, errstr_size, path, "%s", avro_strerror());
        return lr_avro_from_json(&bv, j, bnode, path, errstr, errstr_size);
}

static lr_codec_err_t from_enum(avro_value_t *value, avro_schema_t s, json_t *j,
                                const char *path, char *errstr,
                                size_t errstr_size) {
        const char *sym = json_string_value(j);
        char list[200]  = "";
        int i, idx, n;

        idx = avro_schema_enum_get_by_name(s, sym);
        if (idx >= 0)
                return avro_value_set_enum(value, idx)
                           ? fail(errstr, errstr_size, path, "%s",
                                  avro_strerror())
                           : LR_CODEC_OK;
        n = avro_schema_enum_number_of_symbols(s);
        for (i = 0; i < n; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
                         avro_schema_enum_get(s, i));
        }
        {
                char what[320];
                snprintf(what, sizeof(what), "\"%.40s\" is not one of %s", sym,
                         list);
                return fail(errstr, errstr_size, path, "%s", what);
        }
}

static lr_codec_err_t from_record(avro_value_t *value, avro_schema_t s,
                                  json_t *j, json_t *tnode, const char *path,
                                  char *errstr, size_t errstr_size) {
        size_t i, n = avro_schema_record_size(s);
        lr_codec_err_t err;

        for (i = 0; i < n; i++) {
                const char *name = avro_schema_record_field_name(s, (int)i);
                json_t *fnode    = lr_avro_json_field(tnode, name);
                json_t *fj       = json_object_get(j, name);
                char fpath[256];
                avro_value_t fv;

                snprintf(fpath, sizeof(fpath), "%s%s%s", path, *path ? "." : "",
                         name);
                if (!fj)
                        fj = json_object_get(fnode, "default");
                if (!fj) {
                        snprintf(errstr, errstr_size,
                                 "missing required field %s", fpath);
                        return LR_CODEC_ERR_INVALID;
                }
                if (avro_value_get_by_index(value, i, &fv, NULL))
                        return fail(errstr, errstr_size, fpath, "%s",
                                    avro_strerror());
                err = lr_avro_from_json(&fv, fj, json_object_get(fnode, "type"),
                                        fpath, errstr, errstr_size);
                if (err)
                        return err;
        }
        return LR_CODEC_OK;
}

lr_codec_err_t lr_avro_from_json(avro_value_t *value, json_t *j, json_t *tnode,
                                 const char *path, char *errstr,
                                 size_t errstr_size) {
        avro_schema_t s = skip_links(avro_value_get_schema(value));
        avro_type_t t   = avro_typeof(s);
        lr_codec_err_t err;
        int rc = 0;

        if (!json_is_object(tnode) && !json_is_array(tnode))
                tnode = NULL; /* a primitive name or a named reference */
        if (t == AVRO_UNION)
                return from_union(value, s, j, tnode, path, errstr,
                                  errstr_size);
        if (!accepts(s, j, tnode)) {
                char what[128];
                snprintf(what, sizeof(what), "expected %s, got %s",
                         avro_schema_type_name(s), json_kind(j));
                return fail(errstr, errstr_size, path, "%s", what);
        }

        switch (t) {
        case AVRO_NULL:
                rc = avro_value_set_null(value);
                break;
        case AVRO_BOOLEAN:
                rc = avro_value_set_boolean(value, json_is_true(j));
                break;
        case AVRO_INT32: {
                json_int_t v = json_integer_value(j);
                if (v < INT32_MIN || v > INT32_MAX)
                        return fail(errstr, errstr_size, path,
                                    "%s is out of the 32-bit int range",
                                    "integer");
                rc = avro_value_set_int(value, (int32_t)v);
                break;
        }
        case AVRO_INT64: {
                int64_t ms;
                if (json_is_string(j)) {
                        if (lr_iso8601_parse(json_string_value(j), &ms))
                                return fail(errstr, errstr_size, path,
                                            "\"%.64s\" is not an ISO-8601 "
                                            "time",
                                            json_string_value(j));
                } else {
                        ms = json_integer_value(j);
                }
                rc = avro_value_set_long(value, ms);
                break;
        }
        case AVRO_FLOAT:
                rc = avro_value_set_float(value, (float)json_number_value(j));
                break;
        case AVRO_DOUBLE:
                rc = avro_value_set_double(value, json_number_value(j));
                break;
        case AVRO_STRING:
                rc = avro_value_set_string_len(value, json_string_value(j),
                                               json_string_length(j) + 1);
                break;
        case AVRO_BYTES:
                rc = avro_value_set_bytes(value, (void *)json_string_value(j),
                                          json_string_length(j));
                break;
        case AVRO_ENUM:
                return from_enum(value, s, j, path, errstr, errstr_size);
        case AVRO_ARRAY: {
                size_t i;
                json_t *item;
                json_t *inode = json_object_get(tnode, "items");
                json_array_foreach(j, i, item) {
                        avro_value_t iv;
                        char ipath[256];
                        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
                        if (avro_value_append(value, &iv, NULL))
                                return fail(errstr, errstr_size, ipath, "%s",
                                            avro_strerror());
                        err = lr_avro_from_json(&iv, item, inode, ipath, errstr,
                                                errstr_size);
                        if (err)
                                return err;
                }
                break;
        }
        case AVRO_MAP: {
                const char *key;
                json_t *item;
                json_t *vnode = json_object_get(tnode, "values");
                json_object_foreach(j, key, item) {
                        avro_value_t iv;
                        char ipath[256];
                        snprintf(ipath, sizeof(ipath), "%s[\"%.64s\"]", path,
                                 key);
                        if (avro_value_add(value, key, &iv, NULL, NULL))
                                return fail(errstr, errstr_size, ipath, "%s",
                                            avro_strerror());
                        err = lr_avro_from_json(&iv, item, vnode, ipath, errstr,
                                                errstr_size);
                        if (err)
                                return err;
                }
                break;
        }
        case AVRO_RECORD:
                return from_record(value, s, j, tnode, path, errstr,
                                   errstr_size);
        default:
                return fail(errstr, errstr_size, path,
                            "schema type %s is not supported in JSON",
                            avro_schema_type_name(s));
        }
        if (rc)
                return fail(errstr, errstr_size, path, "%s", avro_strerror());
        return LR_CODEC_OK;
}

json_t *lr_avro_to_json(avro_value_t *value, char *errstr, size_t errstr_size) {
        avro_schema_t s = skip_links(avro_value_get_schema(value));
        json_t *out     = NULL;

        switch (avro_typeof(s)) {
        case AVRO_NULL:
                return json_null();
        case AVRO_BOOLEAN: {
                int b = 0;
                avro_value_get_boolean(value, &b);
                return json_boolean(b);
        }
        case AVRO_INT32: {
                int32_t v = 0;
                avro_value_get_int(value, &v);
                return json_integer(v);
        }
        case AVRO_INT64: {
                int64_t v = 0;
                avro_value_get_long(value, &v);
                return json_integer(v);
        }
        case AVRO_FLOAT: {
                float v = 0;
                avro_value_get_float(value, &v);
                out = json_real(v);
                return out ? out : json_null(); /* NaN, inf */
        }
        case AVRO_DOUBLE: {
                double v = 0;
                avro_value_get_double(value, &v);
                out = json_real(v);
                return out ? out : json_null();
        }
        case AVRO_STRING: {
                const char *str = NULL;
                size_t size     = 0;
                if (avro_value_get_string(value, &str, &size) || !str)
                        break;
                out = json_stringn(str, size ? size - 1 : 0);
                break;
        }
        case AVRO_BYTES:
        case AVRO_FIXED: {
                const void *buf = NULL;
                size_t size     = 0;
                if (avro_typeof(s) == AVRO_BYTES)
                        avro_value_get_bytes(value, &buf, &size);
                else
                        avro_value_get_fixed(value, &buf, &size);
                out = json_stringn(buf ? buf : "", size);
                break;
        }
        case AVRO_ENUM: {
                int idx = -1;
                avro_value_get_enum(value, &idx);
                if (idx < 0 || idx >= avro_schema_enum_number_of_symbols(s)) {
                        snprintf(errstr, errstr_size,
                                 "enum %s index %d is not a symbol of this "
                                 "build",
                                 avro_schema_name(s), idx);
                        return NULL;
                }
                return json_string(avro_schema_enum_get(s, idx));
        }
        case AVRO_UNION: {
                avro_value_t branch;
                if (avro_value_get_current_branch(value, &branch))
                        break;
                return lr_avro_to_json(&branch, errstr, errstr_size);
        }
        case AVRO_ARRAY:
        case AVRO_MAP:
        case AVRO_RECORD: {
                size_t i, n = 0;
                int is_array = avro_typeof(s) == AVRO_ARRAY;
                avro_value_get_size(value, &n);
                out = is_array ? json_array() : json_object();
                for (i = 0; out && i < n; i++) {
                        avro_value_t child;
                        const char *name = NULL;
                        json_t *cj;
                        if (avro_value_get_by_index(value, i, &child, &name))
                                goto fail;
                        if (!(cj = lr_avro_to_json(&child, errstr,
                                                   errstr_size))) {
                                json_decref(out);
                                return NULL;
                        }
                        if (is_array ? json_array_append_new(out, cj)
                                     : json_object_set_new(out, name, cj))
                                goto fail;
                }
                break;
        fail:
                json_decref(out);
                out = NULL;
                break;
        }
        default:
                break;
        }
        if (!out)
                snprintf(errstr, errstr_size,
                         "cannot convert a %s value to JSON",
                         avro_schema_type_name(s));
        return out;
}
