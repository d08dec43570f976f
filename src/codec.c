/*
 * codec.c - Avro events in the Confluent wire format (SPEC §2, §4), both
 * ways. Owns the schema-id cache: per id, the writer schema and how it is
 * read as this build's reader schema of the same record.
 *
 * Schema ids have one authority: the Schema Registry when one is configured
 * (the manifest's ids then mean nothing: a registry may give 101 to any
 * schema), else the embedded manifest. The manifest still names this
 * build's reader schema of each record.
 *
 * Decoding a message: frame and size checks; writer schema by id (registry
 * or manifest); record kind must be the topic's; lr_avro_scan() bounds the
 * body before avro-c allocates anything; avro_value_read() into the reader
 * schema, through avro-c's resolved writer when the writer schema differs.
 * avro-c 1.11's resolver refuses a reader field the writer lacks, defaults
 * or not, so such a writer is resolved against the reader schema cut down
 * to the writer's fields, and the missing fields are then set to their
 * defaults from the .avsc (avro-c does not keep defaults). Finally the
 * field values are checked against the ranges of SPEC §2/§4.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avro.h>
#include <jansson.h>

#include "leadrouter/codec.h"
#include "avro_json.h"
#include "avro_scan.h"
#include "embedded.h"
#include "registry.h"
#include "timeutil.h"

#define LR_NAMESPACE "io.leadrouter"
#define FRAME_HDR 5
#define ID_MAX_LEN 128
#define TIME_MIN_MS 946684800000LL  /* 2000-01-01 */
#define TIME_MAX_MS 4102444800000LL /* 2100-01-01 */

/* How messages written with one schema id are read. */
typedef struct codec_entry_s {
        int32_t id;
        lr_codec_err_t err; /* not OK: messages with this id are bad */
        char errmsg[256];
        lr_event_kind_t kind;
        avro_schema_t writer;
        avro_value_iface_t *resolver; /* NULL: writer == reader schema */
        avro_schema_t
            projected; /* reader cut to the writer's fields, or NULL */
        avro_value_iface_t *projected_cls;
} codec_entry_t;

typedef struct codec_reader_s {
        int32_t write_id; /* 0: not settled with the registry yet */
        const char *text; /* the embedded .avsc */
        avro_schema_t schema;
        json_t *json; /* the .avsc: defaults and logical types */
        avro_value_iface_t *cls;
} codec_reader_t;

struct lr_codec_s {
        pthread_mutex_t lock;
        lr_registry_t *registry;
        json_t *manifest;
        codec_reader_t reader[LR_EV__CNT];
        codec_entry_t **entries;
        size_t entries_cnt, entries_size;
};

static int kind_is_input(lr_event_kind_t kind) {
        return kind == LR_EV_LEAD_CREATED || kind == LR_EV_CALL_OUTCOME ||
               kind == LR_EV_REP_STATUS;
}

static int kind_valid(lr_event_kind_t kind) {
        return (int)kind >= 0 && kind < LR_EV__CNT;
}

/* The record kind a writer schema is, or -1. */
static int schema_kind(avro_schema_t s) {
        const char *ns;
        int k;

        if (!is_avro_record(s))
                return -1;
        ns = avro_schema_namespace(s);
        if (!ns || strcmp(ns, LR_NAMESPACE))
                return -1;
        for (k = 0; k < LR_EV__CNT; k++)
                if (!strcmp(avro_schema_name(s), lr_event_kind_name(k)))
                        return k;
        return -1;
}

static void schema_describe(avro_schema_t s, char *buf, size_t size) {
        const char *ns =
            is_avro_named_type(s) ? avro_schema_namespace(s) : NULL;
        if (is_avro_named_type(s))
                snprintf(buf, size, "%s%s%s", ns ? ns : "", ns ? "." : "",
                         avro_schema_name(s));
        else
                snprintf(buf, size, "a %s", avro_schema_type_name(s));
}

/*
 * Schema-id cache
 */

static void entry_free(codec_entry_t *e) {
        if (!e)
                return;
        if (e->projected_cls)
                avro_value_iface_decref(e->projected_cls);
        if (e->resolver)
                avro_value_iface_decref(e->resolver);
        if (e->projected)
                avro_schema_decref(e->projected);
        if (e->writer)
                avro_schema_decref(e->writer);
        free(e);
}

/* avro-c's resolver maps enums by index, not by symbol: the symbols both
 * schemas have must be in the same order. */
static int enums_agree(avro_schema_t w, avro_schema_t r, char *why,
                       size_t why_size) {
        size_t i, n;

        if (avro_typeof(w) != avro_typeof(r))
                return 1; /* the resolver judges the rest */
        switch (avro_typeof(w)) {
        case AVRO_ENUM: {
                int nw = avro_schema_enum_number_of_symbols(w);
                int nr = avro_schema_enum_number_of_symbols(r);
                int k;
                for (k = 0; k < nw && k < nr; k++)
                        if (strcmp(avro_schema_enum_get(w, k),
                                   avro_schema_enum_get(r, k))) {
                                snprintf(why, why_size,
                                         "enum %s symbol %d is %s, this "
                                         "build has %s",
                                         avro_schema_name(r), k,
                                         avro_schema_enum_get(w, k),
                                         avro_schema_enum_get(r, k));
                                return 0;
                        }
                return 1;
        }
        case AVRO_RECORD:
                n = avro_schema_record_size(r);
                for (i = 0; i < n; i++) {
                        const char *name =
                            avro_schema_record_field_name(r, (int)i);
                        int wi = avro_schema_record_field_get_index(w, name);
                        if (wi >= 0 &&
                            !enums_agree(
                                avro_schema_record_field_get_by_index(w, wi),
                                avro_schema_record_field_get_by_index(r,
                                                                      (int)i),
                                why, why_size))
                                return 0;
                }
                return 1;
        case AVRO_ARRAY:
                return enums_agree(avro_schema_array_items(w),
                                   avro_schema_array_items(r), why, why_size);
        case AVRO_MAP:
                return enums_agree(avro_schema_map_values(w),
                                   avro_schema_map_values(r), why, why_size);
        case AVRO_UNION:
                n = avro_schema_union_size(w);
                for (i = 0; i < n; i++) {
                        avro_schema_t wb = avro_schema_union_branch(w, (int)i);
                        avro_schema_t rb = avro_schema_union_branch_by_name(
                            r, NULL, avro_schema_type_name(wb));
                        if (rb && !enums_agree(wb, rb, why, why_size))
                                return 0;
                }
                return 1;
        default:
                return 1;
        }
}

/* Works out how to read writer schema w as the reader schema of its kind. */
static void entry_resolve(lr_codec_t *c, codec_entry_t *e) {
        codec_reader_t *rd = &c->reader[e->kind];
        size_t i, n = avro_schema_record_size(rd->schema);
        const char *kname = lr_event_kind_name(e->kind);
        char why[200];
        int missing = 0;

        if (avro_schema_equal(e->writer, rd->schema))
                return;
        if (!enums_agree(e->writer, rd->schema, why, sizeof(why))) {
                e->err = LR_CODEC_ERR_INVALID;
                snprintf(e->errmsg, sizeof(e->errmsg),
                         "schema id %d cannot be read as %s: %s", (int)e->id,
                         kname, why);
                return;
        }
        for (i = 0; i < n; i++) {
                const char *name =
                    avro_schema_record_field_name(rd->schema, (int)i);
                if (avro_schema_record_field_get_index(e->writer, name) >= 0)
                        continue;
                if (!json_object_get(lr_avro_json_field(rd->json, name),
                                     "default")) {
                        e->err = LR_CODEC_ERR_INVALID;
                        snprintf(e->errmsg, sizeof(e->errmsg),
                                 "missing required field %s (schema id %d "
                                 "has no such field)",
                                 name, (int)e->id);
                        return;
                }
                missing++;
        }
        if (missing) {
                e->projected =
                    avro_schema_record(avro_schema_name(rd->schema),
                                       avro_schema_namespace(rd->schema));
                for (i = 0; e->projected && i < n; i++) {
                        const char *name =
                            avro_schema_record_field_name(rd->schema, (int)i);
                        if (avro_schema_record_field_get_index(e->writer,
                                                               name) >= 0)
                                avro_schema_record_field_append(
                                    e->projected, name,
                                    avro_schema_record_field_get_by_index(
                                        rd->schema, (int)i));
                }
                if (e->projected)
                        e->projected_cls =
                            avro_generic_class_from_schema(e->projected);
                if (!e->projected_cls) {
                        e->err = LR_CODEC_ERR_INVALID;
                        snprintf(e->errmsg, sizeof(e->errmsg),
                                 "schema id %d: cannot build its reader: %s",
                                 (int)e->id, avro_strerror());
                        return;
                }
        }
        e->resolver = avro_resolved_writer_new(
            e->writer, e->projected ? e->projected : rd->schema);
        if (!e->resolver) {
                e->err = LR_CODEC_ERR_INVALID;
                snprintf(e->errmsg, sizeof(e->errmsg),
                         "schema id %d cannot be read as %s: %s", (int)e->id,
                         kname, avro_strerror());
        }
}

/* A new cache entry for schema text of id; NULL only when out of memory. */
static codec_entry_t *entry_new(lr_codec_t *c, int32_t id, const char *text,
                                size_t len) {
        codec_entry_t *e = calloc(1, sizeof(*e));
        char desc[160];
        int kind;

        if (!e)
                return NULL;
        e->id = id;
        if (avro_schema_from_json_length(text, len, &e->writer)) {
                e->writer = NULL;
                e->err    = LR_CODEC_ERR_SCHEMA_ID;
                snprintf(e->errmsg, sizeof(e->errmsg),
                         "schema id %d: its schema does not parse: %s", (int)id,
                         avro_strerror());
                return e;
        }
        kind = schema_kind(e->writer);
        if (kind < 0) {
                schema_describe(e->writer, desc, sizeof(desc));
                e->err = LR_CODEC_ERR_INVALID;
                snprintf(e->errmsg, sizeof(e->errmsg),
                         "schema id %d is %s, not a leadrouter record "
                         "(" LR_NAMESPACE ".*)",
                         (int)id, desc);
                return e;
        }
        e->kind = (lr_event_kind_t)kind;
        entry_resolve(c, e);
        return e;
}

static int entry_add(lr_codec_t *c, codec_entry_t *e) {
        if (c->entries_cnt == c->entries_size) {
                size_t nsize = c->entries_size ? c->entries_size * 2 : 16;
                codec_entry_t **n =
                    realloc(c->entries, nsize * sizeof(*c->entries));
                if (!n)
                        return -1;
                c->entries      = n;
                c->entries_size = nsize;
        }
        c->entries[c->entries_cnt++] = e;
        return 0;
}

/* The entry for id: cached (the manifest's ids, or ids the registry gave
 * before), else from the registry. Entries
 * are never changed or freed before the codec, so the pointer outlives the
 * lock. */
static lr_codec_err_t entry_get(lr_codec_t *c, int32_t id,
                                const codec_entry_t **out, char *errstr,
                                size_t errstr_size) {
        codec_entry_t *e = NULL;
        lr_codec_err_t err;
        const char *text;
        size_t i;

        pthread_mutex_lock(&c->lock);
        for (i = 0; i < c->entries_cnt; i++)
                if (c->entries[i]->id == id) {
                        e = c->entries[i];
                        break;
                }
        if (!e) {
                if (!c->registry) {
                        pthread_mutex_unlock(&c->lock);
                        snprintf(errstr, errstr_size,
                                 "unknown schema id %d (not in the schema "
                                 "manifest, and no schema registry is "
                                 "configured)",
                                 (int)id);
                        return LR_CODEC_ERR_SCHEMA_ID;
                }
                err = lr_registry_get(c->registry, id, &text, errstr,
                                      errstr_size);
                if (err) {
                        pthread_mutex_unlock(&c->lock);
                        return err;
                }
                e = entry_new(c, id, text, strlen(text));
                if (!e || entry_add(c, e)) {
                        pthread_mutex_unlock(&c->lock);
                        entry_free(e);
                        snprintf(errstr, errstr_size, "out of memory");
                        return LR_CODEC_ERR_DECODE;
                }
        }
        pthread_mutex_unlock(&c->lock);
        if (e->err) {
                snprintf(errstr, errstr_size, "%s", e->errmsg);
                return e->err;
        }
        *out = e;
        return LR_CODEC_OK;
}

/*
 * Setup
 */

static const char *embedded_text(const char *name, size_t *len) {
        const lr_embedded_t *f = lr_embedded_find(name);
        if (!f)
                return NULL;
        *len = f->len;
        return f->data;
}

/* Checks that the reader enums are in event.h's order: the decoder maps
 * them by index. */
static int reader_enums_check(const codec_reader_t *rd, const char *field,
                              int cnt, const char *(*name)(int), char *errstr,
                              size_t errstr_size) {
        avro_schema_t e = avro_schema_record_field_get(rd->schema, field);
        int i;

        if (!e || !is_avro_enum(e) ||
            avro_schema_enum_number_of_symbols(e) != cnt)
                goto bad;
        for (i = 0; i < cnt; i++)
                if (strcmp(avro_schema_enum_get(e, i), name(i)))
                        goto bad;
        return 0;
bad:
        snprintf(errstr, errstr_size,
                 "embedded schema: field %s does not match event.h's enum",
                 field);
        return -1;
}

static const char *outcome_name_i(int i) {
        return lr_outcome_name((lr_outcome_t)i);
}
static const char *presence_name_i(int i) {
        return lr_presence_name((lr_presence_t)i);
}

/* The reader schemas, and (without a registry) the manifest's ids. */
static int codec_load_manifest(lr_codec_t *c, int with_ids, char *errstr,
                               size_t errstr_size) {
        json_t *schemas, *writes, *file;
        const char *idstr, *text;
        json_error_t jerr;
        size_t len;
        int k;

        text = embedded_text("manifest.json", &len);
        if (!text || !(c->manifest = json_loadb(text, len, 0, &jerr))) {
                snprintf(errstr, errstr_size,
                         "embedded schemas/manifest.json missing or not "
                         "JSON");
                return -1;
        }
        schemas = json_object_get(c->manifest, "schemas");
        writes  = json_object_get(c->manifest, "writes");

        /* The reader schema of each record is the one this build writes. */
        for (k = 0; k < LR_EV__CNT; k++) {
                codec_reader_t *rd = &c->reader[k];
                const char *kname  = lr_event_kind_name(k);
                json_int_t id =
                    json_integer_value(json_object_get(writes, kname));
                char key[24];
                const char *name;

                snprintf(key, sizeof(key), "%lld", (long long)id);
                name = json_string_value(json_object_get(schemas, key));
                text = name ? embedded_text(name, &len) : NULL;
                if (!text || id <= 0 || id > INT32_MAX) {
                        snprintf(errstr, errstr_size,
                                 "schemas/manifest.json: no embedded schema "
                                 "written for %s",
                                 kname);
                        return -1;
                }
                rd->write_id = with_ids ? (int32_t)id : 0;
                rd->text     = text;
                rd->json     = json_loadb(text, len, 0, &jerr);
                if (!rd->json ||
                    avro_schema_from_json_length(text, len, &rd->schema) ||
                    schema_kind(rd->schema) != k ||
                    !(rd->cls = avro_generic_class_from_schema(rd->schema))) {
                        snprintf(errstr, errstr_size,
                                 "embedded schema %s is not a valid %s schema",
                                 name, kname);
                        return -1;
                }
        }
        if (reader_enums_check(&c->reader[LR_EV_CALL_OUTCOME], "outcome",
                               LR_OUTCOME__CNT, outcome_name_i, errstr,
                               errstr_size) ||
            reader_enums_check(&c->reader[LR_EV_REP_STATUS], "status",
                               LR_PRESENCE__CNT, presence_name_i, errstr,
                               errstr_size))
                return -1;

        /* Every id of the manifest. */
        json_object_foreach(schemas, idstr, file) {
                codec_entry_t *e;
                char *end;
                long id = strtol(idstr, &end, 10);

                text = json_string_value(file)
                           ? embedded_text(json_string_value(file), &len)
                           : NULL;
                if (*end || end == idstr || id <= 0 || id > INT32_MAX ||
                    !text) {
                        snprintf(errstr, errstr_size,
                                 "schemas/manifest.json: bad entry \"%s\"",
                                 idstr);
                        return -1;
                }
                if (!with_ids)
                        continue;
                e = entry_new(c, (int32_t)id, text, len);
                if (!e || entry_add(c, e)) {
                        entry_free(e);
                        snprintf(errstr, errstr_size, "out of memory");
                        return -1;
                }
                if (e->err) {
                        snprintf(errstr, errstr_size,
                                 "schemas/manifest.json: %s", e->errmsg);
                        return -1;
                }
        }
        return 0;
}

lr_codec_t *lr_codec_new(const lr_codec_registry_t *registry, char *errstr,
                         size_t errstr_size) {
        lr_codec_t *c     = calloc(1, sizeof(*c));
        int with_registry = registry && registry->url && *registry->url;

        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        pthread_mutex_init(&c->lock, NULL);
        if (codec_load_manifest(c, !with_registry, errstr, errstr_size)) {
                lr_codec_free(c);
                return NULL;
        }
        if (with_registry &&
            !(c->registry = lr_registry_new(registry, errstr, errstr_size))) {
                lr_codec_free(c);
                return NULL;
        }
        return c;
}

void lr_codec_free(lr_codec_t *c) {
        size_t i;
        int k;

        if (!c)
                return;
        for (i = 0; i < c->entries_cnt; i++)
                entry_free(c->entries[i]);
        free(c->entries);
        for (k = 0; k < LR_EV__CNT; k++) {
                if (c->reader[k].cls)
                        avro_value_iface_decref(c->reader[k].cls);
                if (c->reader[k].schema)
                        avro_schema_decref(c->reader[k].schema);
                json_decref(c->reader[k].json);
        }
        json_decref(c->manifest);
        lr_registry_free(c->registry);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

int lr_codec_has_registry(const lr_codec_t *c) {
        return c->registry != NULL;
}

int32_t lr_codec_schema_id(const lr_codec_t *c, lr_event_kind_t kind) {
        if (!kind_valid(kind))
                return -1;
        return c->reader[kind].write_id;
}

/* Adds an entry for id and schema text unless id has one; the entry's own
 * error when the schema is not readable. Called with the lock held. */
static lr_codec_err_t entry_learn(lr_codec_t *c, int32_t id, const char *text,
                                  char *errstr, size_t errstr_size) {
        codec_entry_t *e;
        size_t i;

        for (i = 0; i < c->entries_cnt; i++)
                if (c->entries[i]->id == id) {
                        snprintf(errstr, errstr_size,
                                 "schema id %d is known already", (int)id);
                        return LR_CODEC_ERR_SCHEMA_ID;
                }
        e = entry_new(c, id, text, strlen(text));
        if (!e || entry_add(c, e)) {
                entry_free(e);
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_DECODE;
        }
        if (e->err) {
                snprintf(errstr, errstr_size, "%s", e->errmsg);
                return e->err;
        }
        return LR_CODEC_OK;
}

lr_codec_err_t lr_codec_resolve_writer(lr_codec_t *c, lr_event_kind_t kind,
                                       const char *subject, int auto_register,
                                       int32_t *id, char *errstr,
                                       size_t errstr_size) {
        codec_reader_t *rd;
        lr_codec_err_t err;
        char ignored[64];

        if (!kind_valid(kind)) {
                snprintf(errstr, errstr_size, "bad record kind %d", (int)kind);
                return LR_CODEC_ERR_INVALID;
        }
        rd = &c->reader[kind];
        if (!c->registry) {
                *id = rd->write_id;
                return LR_CODEC_OK;
        }
        pthread_mutex_lock(&c->lock);
        err = lr_registry_schema_id(c->registry, subject, rd->text,
                                    auto_register, id, errstr, errstr_size);
        if (!err) {
                rd->write_id = *id;
                /* The registry just said what id is: its messages (ours)
                 * decode without asking again. */
                entry_learn(c, *id, rd->text, ignored, sizeof(ignored));
        }
        pthread_mutex_unlock(&c->lock);
        return err;
}

lr_codec_err_t lr_codec_add_writer(lr_codec_t *c, int32_t id,
                                   const char *schema, char *errstr,
                                   size_t errstr_size) {
        lr_codec_err_t err;

        if (id <= 0 || !schema) {
                snprintf(errstr, errstr_size, "bad schema id %d", (int)id);
                return LR_CODEC_ERR_SCHEMA_ID;
        }
        pthread_mutex_lock(&c->lock);
        err = entry_learn(c, id, schema, errstr, errstr_size);
        pthread_mutex_unlock(&c->lock);
        return err;
}

/*
 * Decoding
 */

/* Copies the fields of a value of the cut-down reader schema into out, a
 * value of the full reader schema, and sets the others to their defaults. */
static lr_codec_err_t fill_reader(const codec_reader_t *rd,
                                  avro_value_t *projected, avro_value_t *out,
                                  char *errstr, size_t errstr_size) {
        size_t i, n = avro_schema_record_size(rd->schema);
        lr_codec_err_t err = LR_CODEC_OK;

        for (i = 0; !err && i < n; i++) {
                const char *name =
                    avro_schema_record_field_name(rd->schema, (int)i);
                avro_value_t dst, src;
                json_t *f;

                avro_value_get_by_index(out, i, &dst, NULL);
                if (!avro_value_get_by_name(projected, name, &src, NULL)) {
                        if (avro_value_copy(&dst, &src)) {
                                snprintf(errstr, errstr_size, "field %s: %s",
                                         name, avro_strerror());
                                err = LR_CODEC_ERR_DECODE;
                        }
                        continue;
                }
                f   = lr_avro_json_field(rd->json, name);
                err = lr_avro_from_json(&dst, json_object_get(f, "default"),
                                        json_object_get(f, "type"), name,
                                        errstr, errstr_size);
        }
        return err;
}

/* Reads body (scanned already) written with e's writer schema into out, a
 * value of the reader schema. */
static lr_codec_err_t read_body(const lr_codec_t *c, const codec_entry_t *e,
                                const void *body, size_t len, avro_value_t *out,
                                char *errstr, size_t errstr_size) {
        avro_value_t target = *out, resolved;
        lr_codec_err_t err  = LR_CODEC_OK;
        avro_reader_t reader;
        int rc;

        if (e->projected && avro_generic_value_new(e->projected_cls, &target)) {
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_DECODE;
        }
        reader = avro_reader_memory(body, (int64_t)len);
        if (!reader) {
                rc = ENOMEM;
        } else if (!e->resolver) {
                rc = avro_value_read(reader, out);
        } else if (!(rc = avro_resolved_writer_new_value(e->resolver,
                                                         &resolved))) {
                avro_resolved_writer_set_dest(&resolved, &target);
                rc = avro_value_read(reader, &resolved);
                avro_value_decref(&resolved);
        }
        if (reader)
                avro_reader_free(reader);

        if (rc) {
                snprintf(errstr, errstr_size, "undecodable Avro body: %s",
                         avro_strerror());
                err = LR_CODEC_ERR_DECODE;
        } else if (e->projected) {
                err = fill_reader(&c->reader[e->kind], &target, out, errstr,
                                  errstr_size);
        }
        if (e->projected)
                avro_value_decref(&target);
        return err;
}

/* The writer schema of a framed message (p holds at least FRAME_HDR bytes,
 * magic byte checked), which must be of `kind`. */
static lr_codec_err_t frame_entry(lr_codec_t *c, lr_event_kind_t kind,
                                  const uint8_t *p, const codec_entry_t **e,
                                  char *errstr, size_t errstr_size) {
        uint32_t id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                      (uint32_t)p[3] << 8 | p[4];
        lr_codec_err_t err;
        if (id > INT32_MAX) {
                snprintf(errstr, errstr_size, "unknown schema id %u", id);
                return LR_CODEC_ERR_SCHEMA_ID;
        }
        if ((err = entry_get(c, (int32_t)id, e, errstr, errstr_size)))
                return err;
        if ((*e)->kind != kind) {
                snprintf(errstr, errstr_size, "schema id %u is %s, expected %s",
                         id, lr_event_kind_name((*e)->kind),
                         lr_event_kind_name(kind));
                return LR_CODEC_ERR_INVALID;
        }
        return LR_CODEC_OK;
}

/* Decodes a framed message of kind into *out, a new value of kind's reader
 * schema (the caller decrefs it on success). */
static lr_codec_err_t decode_value(lr_codec_t *c, lr_event_kind_t kind,
                                   const void *buf, size_t len,
                                   avro_value_t *out, char *errstr,
                                   size_t errstr_size) {
        const uint8_t *p       = buf;
        const codec_entry_t *e = NULL;
        lr_codec_err_t err;

        if (!kind_valid(kind)) {
                snprintf(errstr, errstr_size, "bad record kind %d", (int)kind);
                return LR_CODEC_ERR_INVALID;
        }
        if (len > LR_CODEC_MAX_MESSAGE) {
                snprintf(errstr, errstr_size,
                         "message of %zu bytes is larger than the limit of "
                         "%d bytes",
                         len, LR_CODEC_MAX_MESSAGE);
                return LR_CODEC_ERR_TOO_LARGE;
        }
        if (len < FRAME_HDR) {
                snprintf(errstr, errstr_size,
                         "message of %zu bytes is too short for the "
                         "Confluent frame (magic byte + 4-byte schema id)",
                         len);
                return LR_CODEC_ERR_FRAME;
        }
        if (p[0] != 0) {
                snprintf(errstr, errstr_size,
                         "first byte is 0x%02x, not the Confluent magic byte "
                         "0: not a Confluent-framed Avro message%s",
                         p[0], p[0] == '{' ? " (JSON?)" : "");
                return LR_CODEC_ERR_FRAME;
        }
        if ((err = frame_entry(c, kind, p, &e, errstr, errstr_size)))
                return err;
        err = lr_avro_scan(e->writer, p + FRAME_HDR, len - FRAME_HDR,
                           kind_is_input(kind) ? &lr_avro_input_limits
                                               : &lr_avro_output_limits,
                           errstr, errstr_size);
        if (err)
                return err;
        if (avro_generic_value_new(c->reader[kind].cls, out)) {
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_DECODE;
        }
        err = read_body(c, e, p + FRAME_HDR, len - FRAME_HDR, out, errstr,
                        errstr_size);
        if (err)
                avro_value_decref(out);
        return err;
}

/*
 * Field extraction and validation (SPEC §2 ranges, §4 bad messages)
 */

typedef struct ex_s {
        avro_value_t rec;
        lr_codec_err_t err;
        char *errstr;
        size_t errstr_size;
} ex_t;

static void ex_fail(ex_t *x, lr_codec_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ex_fail(ex_t *x, lr_codec_err_t err, const char *fmt, ...) {
        va_list ap;
        if (x->err)
                return;
        x->err = err;
        va_start(ap, fmt);
        vsnprintf(x->errstr, x->errstr_size, fmt, ap);
        va_end(ap);
}

/* The field's value; for an optional field, the union's branch. 0 when
 * absent (null). */
static int ex_field(ex_t *x, const char *name, avro_value_t *v) {
        avro_value_t f;

        if (x->err)
                return 0;
        if (avro_value_get_by_name(&x->rec, name, &f, NULL)) {
                ex_fail(x, LR_CODEC_ERR_INVALID, "missing field %s", name);
                return 0;
        }
        if (avro_value_get_type(&f) == AVRO_UNION) {
                if (avro_value_get_current_branch(&f, v)) {
                        ex_fail(x, LR_CODEC_ERR_DECODE,
                                "field %s: union has no branch", name);
                        return 0;
                }
        } else {
                *v = f;
        }
        return avro_value_get_type(v) != AVRO_NULL;
}

/* Printable, shortened copy of s for messages. */
static const char *ex_quote(const char *s, char *buf, size_t size) {
        size_t i;
        for (i = 0; s[i] && i + 4 < size && i < 64; i++)
                buf[i] = s[i] > 0x20 && s[i] < 0x7f ? s[i] : '?';
        buf[i] = '\0';
        if (s[i] && i + 3 < size)
                strcat(buf, "...");
        return buf;
}

static void ex_check_id(ex_t *x, const char *name, const char *s) {
        size_t i, len = strlen(s);
        char q[80];

        if (len == 0) {
                ex_fail(x, LR_CODEC_ERR_INVALID, "required field %s is empty",
                        name);
                return;
        }
        if (len > ID_MAX_LEN) {
                ex_fail(x, LR_CODEC_ERR_INVALID,
                        "%s is %zu bytes long; ids are at most %d bytes", name,
                        len, ID_MAX_LEN);
                return;
        }
        for (i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (ch <= 0x20 || ch >= 0x7f) {
                        ex_fail(x, LR_CODEC_ERR_INVALID,
                                "%s \"%s\" has byte 0x%02x at offset %zu; ids "
                                "are printable ASCII without whitespace",
                                name, ex_quote(s, q, sizeof(q)), ch, i);
                        return;
                }
                if (strchr(":{}#", ch)) {
                        ex_fail(x, LR_CODEC_ERR_INVALID,
                                "%s \"%s\" contains '%c', which ids must not "
                                "contain (it would collide in Redis keys and "
                                "decision ids)",
                                name, ex_quote(s, q, sizeof(q)), ch);
                        return;
                }
        }
}

/* An owned copy of a string field; NULL when absent or on error. */
static char *ex_string(ex_t *x, const char *name, int required) {
        avro_value_t v;
        const char *s = NULL;
        size_t size   = 0;
        char *copy;

        if (!ex_field(x, name, &v)) {
                if (required)
                        ex_fail(x, LR_CODEC_ERR_INVALID,
                                "missing required field %s", name);
                return NULL;
        }
        if (avro_value_get_string(&v, &s, &size) || !s) {
                ex_fail(x, LR_CODEC_ERR_DECODE, "field %s is not a string",
                        name);
                return NULL;
        }
        if (size == 0 || strlen(s) != size - 1) {
                ex_fail(x, LR_CODEC_ERR_INVALID, "field %s contains a NUL byte",
                        name);
                return NULL;
        }
        if (required && !*s) {
                ex_fail(x, LR_CODEC_ERR_INVALID, "required field %s is empty",
                        name);
                return NULL;
        }
        if (!(copy = strdup(s)))
                ex_fail(x, LR_CODEC_ERR_DECODE, "out of memory");
        return copy;
}

static char *ex_id(ex_t *x, const char *name) {
        char *s = ex_string(x, name, 1);
        if (s)
                ex_check_id(x, name, s);
        return s;
}

/* Integer field (int or long) checked against [min, max]; 0 when absent. */
static int ex_int(ex_t *x, const char *name, int64_t min, int64_t max,
                  int64_t *out) {
        avro_value_t v;
        int32_t i32 = 0;

        if (!ex_field(x, name, &v))
                return 0;
        if (avro_value_get_type(&v) == AVRO_INT32) {
                avro_value_get_int(&v, &i32);
                *out = i32;
        } else if (avro_value_get_long(&v, out)) {
                ex_fail(x, LR_CODEC_ERR_DECODE, "field %s is not an integer",
                        name);
                return 0;
        }
        if (*out < min || *out > max) {
                ex_fail(x, LR_CODEC_ERR_INVALID,
                        "%s %lld out of range %lld..%lld", name,
                        (long long)*out, (long long)min, (long long)max);
                return 0;
        }
        return 1;
}

static int ex_time(ex_t *x, const char *name, int64_t *out) {
        avro_value_t v;
        char a[40], b[40], t[40];

        if (!ex_field(x, name, &v))
                return 0;
        if (avro_value_get_long(&v, out)) {
                ex_fail(x, LR_CODEC_ERR_DECODE, "field %s is not a long", name);
                return 0;
        }
        if (*out < TIME_MIN_MS || *out >= TIME_MAX_MS) {
                lr_day_format(lr_day_of(TIME_MIN_MS), a, sizeof(a));
                lr_day_format(lr_day_of(TIME_MAX_MS), b, sizeof(b));
                if (*out > -LR_MS_PER_DAY * 3650000 &&
                    *out < LR_MS_PER_DAY * 3650000)
                        lr_iso8601(*out, t, sizeof(t));
                else
                        snprintf(t, sizeof(t), "far off");
                ex_fail(x, LR_CODEC_ERR_INVALID,
                        "%s %lld (%s) out of range %s..%s", name,
                        (long long)*out, t, a, b);
                return 0;
        }
        return 1;
}

static int ex_enum(ex_t *x, const char *name, int cnt) {
        avro_value_t v;
        int idx = -1;

        if (!ex_field(x, name, &v))
                return 0;
        avro_value_get_enum(&v, &idx);
        if (idx < 0 || idx >= cnt) {
                ex_fail(x, LR_CODEC_ERR_INVALID,
                        "%s has symbol index %d, unknown to this build", name,
                        idx);
                return 0;
        }
        return idx;
}

/* A string out of an array item or map value, as an owned copy. */
static char *ex_item(ex_t *x, const char *name, size_t i, avro_value_t *item) {
        const char *s = NULL;
        size_t size   = 0;
        char *copy;

        avro_value_get_string(item, &s, &size);
        if (!s || !size || strlen(s) != size - 1) {
                ex_fail(x, LR_CODEC_ERR_INVALID,
                        "field %s: entry %zu has a NUL byte", name, i);
                return NULL;
        }
        if (!(copy = strdup(s)))
                ex_fail(x, LR_CODEC_ERR_DECODE, "out of memory");
        return copy;
}

/* An array<string> field; *out stays NULL when absent, is non-NULL (maybe
 * with no items) when present. The event owns what is filled in even on
 * error. */
static void ex_string_array(ex_t *x, const char *name, char ***out,
                            size_t *cnt) {
        avro_value_t v, item;
        size_t i, n = 0;

        if (!ex_field(x, name, &v))
                return;
        avro_value_get_size(&v, &n);
        if (!(*out = calloc(n ? n : 1, sizeof(char *)))) {
                ex_fail(x, LR_CODEC_ERR_DECODE, "out of memory");
                return;
        }
        *cnt = n;
        for (i = 0; i < n && !x->err; i++) {
                avro_value_get_by_index(&v, i, &item, NULL);
                (*out)[i] = ex_item(x, name, i, &item);
        }
}

/* A map<string> field, like ex_string_array. */
static void ex_string_map(ex_t *x, const char *name, lr_kv_t **out,
                          size_t *cnt) {
        avro_value_t v, item;
        size_t i, n = 0;
        const char *key;

        if (!ex_field(x, name, &v))
                return;
        avro_value_get_size(&v, &n);
        if (n == 0)
                return;
        if (!(*out = calloc(n, sizeof(lr_kv_t)))) {
                ex_fail(x, LR_CODEC_ERR_DECODE, "out of memory");
                return;
        }
        *cnt = n;
        for (i = 0; i < n && !x->err; i++) {
                key = NULL;
                avro_value_get_by_index(&v, i, &item, &key);
                (*out)[i].value = ex_item(x, name, i, &item);
                if (!key || !*key)
                        ex_fail(x, LR_CODEC_ERR_INVALID,
                                "field %s: entry %zu has an empty key", name,
                                i);
                else if (!x->err && !((*out)[i].key = strdup(key)))
                        ex_fail(x, LR_CODEC_ERR_DECODE, "out of memory");
        }
}

/* An imported assignment in the attributes (event.h) is checked like the
 * fields it stands for: a rep id, and a time in range. */
static void ex_imported_assignment(ex_t *x, const lr_lead_created_t *l) {
        const char *rep;
        int64_t at;
        char why[256];
        int r = lr_lead_imported_assignment(l, &rep, &at, why, sizeof(why));

        if (r < 0) {
                ex_fail(x, LR_CODEC_ERR_INVALID, "%s", why);
        } else if (r > 0) {
                ex_check_id(x, "attributes." LR_ATTR_ASSIGNED_REP_ID, rep);
                if (at < TIME_MIN_MS || at >= TIME_MAX_MS)
                        ex_fail(x, LR_CODEC_ERR_INVALID,
                                "attributes." LR_ATTR_ASSIGNED_AT
                                " %lld out of range (epoch ms of 2000..2100)",
                                (long long)at);
        }
}

static void ex_lead_created(ex_t *x, lr_event_t *ev) {
        lr_lead_created_t *l = &ev->u.lead;
        int64_t v;

        ev->lead_id = ex_id(x, "lead_id");
        ex_time(x, "created_at", &l->created_at);
        if (ex_int(x, "score", 0, 100, &v))
                l->score = (int32_t)v;
        if (ex_int(x, "tier", 1, 9, &v))
                l->tier = (int32_t)v;
        l->account_id = ex_string(x, "account_id", 0);
        if (l->account_id && !*l->account_id) {
                free(l->account_id); /* "" = no account */
                l->account_id = NULL;
        }
        if (l->account_id)
                ex_check_id(x, "account_id", l->account_id);
        l->region            = ex_string(x, "region", 0);
        l->timezone          = ex_string(x, "timezone", 0);
        l->source            = ex_string(x, "source", 0);
        l->has_contact_after = ex_time(x, "contact_after", &l->contact_after);

        ex_string_map(x, "attributes", &l->attributes, &l->attributes_cnt);
        if (!x->err)
                ex_imported_assignment(x, l);
}

static void ex_call_outcome(ex_t *x, lr_event_t *ev) {
        lr_call_outcome_t *o = &ev->u.call;
        int64_t v;

        o->rep_id   = ex_id(x, "rep_id");
        ev->lead_id = ex_id(x, "lead_id");
        ex_time(x, "occurred_at", &o->occurred_at);
        o->outcome = (lr_outcome_t)ex_enum(x, "outcome", LR_OUTCOME__CNT);
        if (ex_int(x, "duration_seconds", 0, INT32_MAX, &v))
                o->duration_seconds = (int32_t)v;
        o->has_deal_value =
            ex_int(x, "deal_value_cents", 0, INT64_MAX, &o->deal_value_cents);
}

static void ex_rep_status(ex_t *x, lr_event_t *ev) {
        lr_rep_status_t *r = &ev->u.rep;
        int64_t v;

        r->rep_id = ex_id(x, "rep_id");
        ex_time(x, "occurred_at", &r->occurred_at);
        r->status       = (lr_presence_t)ex_enum(x, "status", LR_PRESENCE__CNT);
        r->has_until    = ex_time(x, "until", &r->until);
        r->display_name = ex_string(x, "display_name", 0);
        r->team         = ex_string(x, "team", 0);
        r->timezone     = ex_string(x, "timezone", 0);
        r->working_hours = ex_string(x, "working_hours", 0);
        ex_string_array(x, "regions", &r->regions, &r->regions_cnt);
        r->has_hired_at = ex_time(x, "hired_at", &r->hired_at);
        if ((r->has_max_open_leads = ex_int(x, "max_open_leads", 0, 10000, &v)))
                r->max_open_leads = (int32_t)v;
}

/* An input event of `kind` about to be decoded into ev (zeroed). */
static lr_codec_err_t decode_begin(lr_event_kind_t kind, lr_event_t *ev,
                                   char *errstr, size_t errstr_size) {
        memset(ev, 0, sizeof(*ev));
        ev->kind = kind;
        if (!kind_is_input(kind)) {
                snprintf(errstr, errstr_size, "%s is not an input event kind",
                         lr_event_kind_name(kind));
                return LR_CODEC_ERR_INVALID;
        }
        return LR_CODEC_OK;
}

lr_codec_err_t lr_codec_decode(lr_codec_t *c, lr_event_kind_t kind,
                               const void *buf, size_t len, lr_event_t *ev,
                               char *errstr, size_t errstr_size) {
        ex_t x = {
            .err = LR_CODEC_OK, .errstr = errstr, .errstr_size = errstr_size};
        lr_codec_err_t err;

        if ((err = decode_begin(kind, ev, errstr, errstr_size)))
                return err;
        if ((err =
                 decode_value(c, kind, buf, len, &x.rec, errstr, errstr_size)))
                return err;

        ev->event_id  = ex_id(&x, "event_id");
        ev->tenant_id = ex_id(&x, "tenant_id");
        if (kind == LR_EV_LEAD_CREATED)
                ex_lead_created(&x, ev);
        else if (kind == LR_EV_CALL_OUTCOME)
                ex_call_outcome(&x, ev);
        else
                ex_rep_status(&x, ev);

        avro_value_decref(&x.rec);
        if (x.err) {
                lr_event_clear(ev);
                ev->kind = kind;
        }
        return x.err;
}

lr_codec_err_t lr_codec_frame_length(lr_codec_t *c, lr_event_kind_t kind,
                                     const void *buf, size_t len, size_t *used,
                                     char *errstr, size_t errstr_size) {
        const uint8_t *p       = buf;
        const codec_entry_t *e = NULL;
        lr_codec_err_t err;
        size_t body;

        *used = 0;
        if (!kind_valid(kind)) {
                snprintf(errstr, errstr_size, "bad record kind %d", (int)kind);
                return LR_CODEC_ERR_INVALID;
        }
        if (len < FRAME_HDR || p[0] != 0) {
                snprintf(errstr, errstr_size,
                         "not a Confluent-framed message (magic byte 0 and a "
                         "4-byte schema id)");
                return LR_CODEC_ERR_FRAME;
        }
        if ((err = frame_entry(c, kind, p, &e, errstr, errstr_size)))
                return err;
        if ((err = lr_avro_scan_length(
                 e->writer, p + FRAME_HDR, len - FRAME_HDR,
                 kind_is_input(kind) ? &lr_avro_input_limits
                                     : &lr_avro_output_limits,
                 &body, errstr, errstr_size)))
                return err;
        *used = FRAME_HDR + body;
        return LR_CODEC_OK;
}

lr_codec_err_t lr_codec_to_json(lr_codec_t *c, lr_event_kind_t kind,
                                const void *buf, size_t len, char **json,
                                char *errstr, size_t errstr_size) {
        avro_value_t v;
        lr_codec_err_t err;
        json_t *j;

        *json = NULL;
        if ((err = decode_value(c, kind, buf, len, &v, errstr, errstr_size)))
                return err;
        j = lr_avro_to_json(&v, errstr, errstr_size);
        avro_value_decref(&v);
        if (!j)
                return LR_CODEC_ERR_DECODE;
        *json = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!*json) {
                snprintf(errstr, errstr_size, "cannot serialise JSON");
                return LR_CODEC_ERR_DECODE;
        }
        return LR_CODEC_OK;
}

/*
 * Encoding
 */

/* Frames value (of kind's reader schema) with the id this build writes. */
static lr_codec_err_t frame_value(lr_codec_t *c, lr_event_kind_t kind,
                                  avro_value_t *value, void **buf, size_t *len,
                                  char *errstr, size_t errstr_size) {
        int32_t id = c->reader[kind].write_id;
        avro_writer_t w;
        size_t size = 0;
        uint8_t *out;
        int rc;

        *buf = NULL;
        *len = 0;
        if (id <= 0) {
                snprintf(errstr, errstr_size,
                         "no schema id to write %s with: the schema registry "
                         "has not been asked for it",
                         lr_event_kind_name(kind));
                return LR_CODEC_ERR_ENCODE;
        }
        if (avro_value_sizeof(value, &size) ||
            !(out = malloc(FRAME_HDR + size))) {
                snprintf(errstr, errstr_size, "cannot size %s: %s",
                         lr_event_kind_name(kind), avro_strerror());
                return LR_CODEC_ERR_ENCODE;
        }
        out[0] = 0;
        out[1] = (uint8_t)(id >> 24);
        out[2] = (uint8_t)(id >> 16);
        out[3] = (uint8_t)(id >> 8);
        out[4] = (uint8_t)id;
        w  = avro_writer_memory((const char *)out + FRAME_HDR, (int64_t)size);
        rc = !w || avro_value_write(w, value);
        if (w)
                avro_writer_free(w);
        if (rc) {
                free(out);
                snprintf(errstr, errstr_size, "cannot write %s: %s",
                         lr_event_kind_name(kind), avro_strerror());
                return LR_CODEC_ERR_ENCODE;
        }
        *buf = out;
        *len = FRAME_HDR + size;
        return LR_CODEC_OK;
}

/* Field setters for the output records; after the first failure they do
 * nothing, so an encoder is a plain list of puts. */
typedef struct put_s {
        avro_value_t rec;
        const char *record;
        lr_codec_err_t err;
        char *errstr;
        size_t errstr_size;
} put_t;

static int put_field(put_t *p, const char *name, avro_value_t *f) {
        if (p->err)
                return 0;
        if (avro_value_get_by_name(&p->rec, name, f, NULL)) {
                p->err = LR_CODEC_ERR_ENCODE;
                snprintf(p->errstr, p->errstr_size, "%s has no field %s",
                         p->record, name);
                return 0;
        }
        return 1;
}

static void put_check(put_t *p, const char *name, int rc) {
        if (rc && !p->err) {
                p->err = LR_CODEC_ERR_ENCODE;
                snprintf(p->errstr, p->errstr_size, "%s.%s: %s", p->record,
                         name, avro_strerror());
        }
}

static void put_str(put_t *p, const char *name, const char *s) {
        avro_value_t f;
        if (!put_field(p, name, &f))
                return;
        if (!s) {
                p->err = LR_CODEC_ERR_ENCODE;
                snprintf(p->errstr, p->errstr_size, "%s.%s is not set",
                         p->record, name);
                return;
        }
        put_check(p, name, avro_value_set_string(&f, s));
}

static void put_int(put_t *p, const char *name, int32_t v) {
        avro_value_t f;
        if (put_field(p, name, &f))
                put_check(p, name, avro_value_set_int(&f, v));
}

static void put_long(put_t *p, const char *name, int64_t v) {
        avro_value_t f;
        if (put_field(p, name, &f))
                put_check(p, name, avro_value_set_long(&f, v));
}

static void put_double(put_t *p, const char *name, double v) {
        avro_value_t f;
        if (put_field(p, name, &f))
                put_check(p, name, avro_value_set_double(&f, v));
}

static void put_enum(put_t *p, const char *name, const char *symbol) {
        avro_value_t f;
        int idx;
        if (!put_field(p, name, &f))
                return;
        idx = symbol ? avro_schema_enum_get_by_name(avro_value_get_schema(&f),
                                                    symbol)
                     : -1;
        if (idx < 0) {
                p->err = LR_CODEC_ERR_ENCODE;
                snprintf(p->errstr, p->errstr_size,
                         "%s.%s: \"%s\" is not a symbol of %s", p->record, name,
                         symbol ? symbol : "(null)",
                         avro_schema_name(avro_value_get_schema(&f)));
                return;
        }
        put_check(p, name, avro_value_set_enum(&f, idx));
}

/* An optional long (a union with null first): absent -> null. */
static void put_opt_long(put_t *p, const char *name, int present, int64_t v) {
        avro_value_t f, branch;
        if (!put_field(p, name, &f))
                return;
        put_check(p, name, avro_value_set_branch(&f, present ? 1 : 0, &branch));
        if (!p->err)
                put_check(p, name,
                          present ? avro_value_set_long(&branch, v)
                                  : avro_value_set_null(&branch));
}

/* Input positions into map m (of longs). */
static void put_positions(put_t *p, const char *name, avro_value_t *m,
                          const lr_position_t *v, size_t cnt) {
        avro_value_t e;
        size_t i;
        for (i = 0; i < cnt && !p->err; i++) {
                put_check(p, name, avro_value_add(m, v[i].key, &e, NULL, NULL));
                if (!p->err)
                        put_check(p, name, avro_value_set_long(&e, v[i].next));
        }
}

/* An optional map of longs: none -> null. */
static void put_opt_positions(put_t *p, const char *name,
                              const lr_position_t *v, size_t cnt) {
        avro_value_t f, branch;
        if (!put_field(p, name, &f))
                return;
        put_check(p, name, avro_value_set_branch(&f, cnt ? 1 : 0, &branch));
        if (!cnt && !p->err)
                put_check(p, name, avro_value_set_null(&branch));
        put_positions(p, name, &branch, v, cnt);
}

/* An optional array of RankingInstalled: none -> null. */
static void put_opt_installs(put_t *p, const char *name, const lr_install_t *v,
                             size_t cnt) {
        avro_value_t f, branch, m;
        size_t i;
        if (!put_field(p, name, &f))
                return;
        put_check(p, name, avro_value_set_branch(&f, cnt ? 1 : 0, &branch));
        if (!cnt && !p->err)
                put_check(p, name, avro_value_set_null(&branch));
        for (i = 0; i < cnt && !p->err; i++) {
                put_t item = *p;
                put_check(p, name, avro_value_append(&branch, &item.rec, NULL));
                if (p->err)
                        break;
                item.record = "LeadAssigned.rankings_installed";
                put_int(&item, "day", v[i].day);
                if (put_field(&item, "inputs_applied", &m))
                        put_positions(&item, "inputs_applied", &m, v[i].inputs,
                                      v[i].inputs_cnt);
                p->err = item.err;
        }
}

static lr_codec_err_t encode_put(lr_codec_t *c, lr_event_kind_t kind, put_t *p,
                                 void **buf, size_t *len) {
        lr_codec_err_t err = p->err;
        if (!err)
                err = frame_value(c, kind, &p->rec, buf, len, p->errstr,
                                  p->errstr_size);
        avro_value_decref(&p->rec);
        return err;
}

static lr_codec_err_t put_begin(lr_codec_t *c, lr_event_kind_t kind, put_t *p,
                                char *errstr, size_t errstr_size) {
        memset(p, 0, sizeof(*p));
        p->record      = lr_event_kind_name(kind);
        p->errstr      = errstr;
        p->errstr_size = errstr_size;
        if (avro_generic_value_new(c->reader[kind].cls, &p->rec)) {
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_ENCODE;
        }
        return LR_CODEC_OK;
}

lr_codec_err_t lr_codec_encode_assigned(lr_codec_t *c, const lr_assigned_t *a,
                                        void **buf, size_t *len, char *errstr,
                                        size_t errstr_size) {
        put_t p;
        avro_value_t skipped;
        size_t i;

        if (put_begin(c, LR_EV_LEAD_ASSIGNED, &p, errstr, errstr_size))
                return LR_CODEC_ERR_ENCODE;
        put_str(&p, "event_id", a->event_id);
        put_str(&p, "tenant_id", a->tenant_id);
        put_str(&p, "lead_id", a->lead_id);
        put_str(&p, "rep_id", a->rep_id);
        put_long(&p, "decided_at", a->decided_at);
        put_int(&p, "attempt", a->attempt);
        put_enum(&p, "reason", a->reason);
        put_str(&p, "strategy", a->strategy);
        put_int(&p, "lead_tier", a->lead_tier);
        put_int(&p, "rep_tier", a->rep_tier);
        put_int(&p, "rep_rank", a->rep_rank);
        put_double(&p, "rep_score", a->rep_score);
        put_long(&p, "wait_ms", a->wait_ms);
        if (put_field(&p, "skipped", &skipped)) {
                for (i = 0; i < a->skipped_cnt && !p.err; i++) {
                        put_t item = p;
                        put_check(&p, "skipped",
                                  avro_value_append(&skipped, &item.rec, NULL));
                        if (p.err)
                                break;
                        item.record = "LeadAssigned.skipped";
                        put_str(&item, "rep_id", a->skipped[i].rep_id);
                        put_str(&item, "why", a->skipped[i].why);
                        p.err = item.err;
                }
        }
        put_str(&p, "explanation", a->explanation);
        put_str(&p, "policy_version", a->policy_version);
        put_str(&p, "source_topic", a->source_topic);
        put_int(&p, "source_partition", a->source_partition);
        put_long(&p, "source_offset", a->source_offset);
        put_opt_positions(&p, "inputs_applied", a->inputs, a->inputs_cnt);
        put_opt_long(&p, "routed_at", a->has_routed_at, a->routed_at);
        put_opt_installs(&p, "rankings_installed", a->installs,
                         a->installs_cnt);
        return encode_put(c, LR_EV_LEAD_ASSIGNED, &p, buf, len);
}

lr_codec_err_t lr_codec_encode_tier_changed(lr_codec_t *c,
                                            const lr_tier_changed_t *t,
                                            void **buf, size_t *len,
                                            char *errstr, size_t errstr_size) {
        put_t p;

        if (put_begin(c, LR_EV_REP_TIER_CHANGED, &p, errstr, errstr_size))
                return LR_CODEC_ERR_ENCODE;
        put_str(&p, "event_id", t->event_id);
        put_str(&p, "tenant_id", t->tenant_id);
        put_str(&p, "rep_id", t->rep_id);
        put_int(&p, "from_tier", t->from_tier);
        put_int(&p, "to_tier", t->to_tier);
        put_double(&p, "composite", t->composite);
        put_double(&p, "tier_mean", t->tier_mean);
        put_long(&p, "decided_at", t->decided_at);
        put_str(&p, "reason", t->reason);
        return encode_put(c, LR_EV_REP_TIER_CHANGED, &p, buf, len);
}

/* Encodes the event object root (of kind's reader schema) as a framed
 * message. */
static lr_codec_err_t encode_json_object(lr_codec_t *c, lr_event_kind_t kind,
                                         json_t *root, void **buf, size_t *len,
                                         char *errstr, size_t errstr_size) {
        avro_value_t v;
        lr_codec_err_t err;

        *buf = NULL;
        *len = 0;
        if (!kind_valid(kind)) {
                snprintf(errstr, errstr_size, "bad record kind %d", (int)kind);
                return LR_CODEC_ERR_INVALID;
        }
        if (!json_is_object(root)) {
                snprintf(errstr, errstr_size, "%s must be a JSON object",
                         lr_event_kind_name(kind));
                return LR_CODEC_ERR_INVALID;
        }
        if (avro_generic_value_new(c->reader[kind].cls, &v)) {
                snprintf(errstr, errstr_size, "out of memory");
                return LR_CODEC_ERR_ENCODE;
        }
        err = lr_avro_from_json(&v, root, c->reader[kind].json, "", errstr,
                                errstr_size);
        if (!err)
                err = frame_value(c, kind, &v, buf, len, errstr, errstr_size);
        avro_value_decref(&v);
        return err;
}

lr_codec_err_t lr_codec_encode_json(lr_codec_t *c, lr_event_kind_t kind,
                                    const char *json, void **buf, size_t *len,
                                    char **tenant_id, char *errstr,
                                    size_t errstr_size) {
        json_error_t jerr;
        json_t *root;
        lr_codec_err_t err;
        const char *tenant;

        *buf = NULL;
        *len = 0;
        if (tenant_id)
                *tenant_id = NULL;
        root = json_loads(json, 0, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size, "not JSON: %s (column %d)",
                         jerr.text, jerr.column);
                return LR_CODEC_ERR_INVALID;
        }
        err = encode_json_object(c, kind, root, buf, len, errstr, errstr_size);
        tenant = json_string_value(json_object_get(root, "tenant_id"));
        if (!err && tenant_id && tenant && !(*tenant_id = strdup(tenant))) {
                free(*buf);
                *buf = NULL;
                *len = 0;
                snprintf(errstr, errstr_size, "out of memory");
                err = LR_CODEC_ERR_ENCODE;
        }
        json_decref(root);
        return err;
}

lr_codec_err_t lr_codec_decode_json(lr_codec_t *c, lr_event_kind_t kind,
                                    struct json_t *event, lr_event_t *ev,
                                    char *errstr, size_t errstr_size) {
        lr_codec_err_t err;
        void *buf;
        size_t len;

        if ((err = decode_begin(kind, ev, errstr, errstr_size)))
                return err;
        if ((err = encode_json_object(c, kind, event, &buf, &len, errstr,
                                      errstr_size)))
                return err;
        err = lr_codec_decode(c, kind, buf, len, ev, errstr, errstr_size);
        free(buf);
        return err;
}
