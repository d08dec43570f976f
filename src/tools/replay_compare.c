/*
 * replay_compare.c - see replay_compare.h.
 *
 * Causes, from the most to the least specific: the replay decided with
 * another policy; an input the worker had applied before the decision is
 * not in what the replay read (a range, a log the broker has trimmed, a
 * partition not read); a timer the worker fired on its wall clock; an input
 * with an earlier event time reached the worker only after the decision
 * (which an event-time replay now applies before it); the worker applied
 * the tenant's inputs in another order than their event times; an earlier
 * decision of the tenant already differs, and the state has diverged.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <avro.h>
#include <librdkafka/rdkafka.h>

#include "leadrouter/codec.h"
#include "log.h"
#include "persist.h"
#include "replay_compare.h"
#include "replay_input.h"
#include "schema_ids.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_RP_TIMEOUT_MS 10000
#define LR_RP_PRIVATE_ID 0x7ff80000

/* Per (tenant, stream): walking the tenant's decisions in position order
 * as the stream's inputs go by. */
typedef struct lr_rp_track_s {
        int stream;
        size_t j;           /* decisions with a position at or below the
                             * current offset */
        int64_t run_max;    /* latest event time so far */
        int64_t inversions; /* inputs earlier than one before them, since
                             * the last decision walked past */
        int64_t *seg_min;   /* [i]: earliest event time between decision
                             * i's position and decision i+1's */
        int64_t out_min;    /* lowest offset filtered out by time */
} lr_rp_track_t;

typedef struct lr_rp_rtenant_s {
        lr_rp_rec_t **recs; /* in the worker's order */
        size_t cnt, size;
        int *early; /* +1/-1 at the ends of runs of ranked_early recs */
        lr_rp_track_t *tracks;
        size_t tracks_cnt;
} lr_rp_rtenant_t;

void lr_rp_recorded_init(lr_rp_recorded_t *r) {
        memset(r, 0, sizeof(*r));
        lr_dict_init(&r->by_id);
        lr_dict_init(&r->strings);
        lr_dict_init(&r->tenants);
}

void lr_rp_recorded_free(lr_rp_recorded_t *r) {
        size_t i = 0, k;
        void *v;

        while (lr_dict_next(&r->tenants, &i, NULL, &v)) {
                lr_rp_rtenant_t *t = v;
                for (k = 0; k < t->tracks_cnt; k++)
                        free(t->tracks[k].seg_min);
                free(t->tracks);
                free(t->recs);
                free(t->early);
                free(t);
        }
        i = 0;
        while (lr_dict_next(&r->strings, &i, NULL, &v))
                free(v);
        for (k = 0; k < r->cnt; k++) {
                for (i = 0; i < r->v[k].inst_cnt; i++)
                        free(r->v[k].inst[i].pos);
                free(r->v[k].inst);
                free(r->v[k].pos);
        }
        free(r->v);
        lr_dict_destroy(&r->by_id);
        lr_dict_destroy(&r->strings);
        lr_dict_destroy(&r->tenants);
        memset(r, 0, sizeof(*r));
}

static const char *lr_rp_intern(lr_rp_recorded_t *r, const char *s) {
        char *v;
        if (!s)
                return NULL;
        if ((v = lr_dict_get(&r->strings, s)))
                return v;
        v = lr_xstrdup(s);
        lr_dict_set(&r->strings, v, v);
        return v;
}

static int lr_rp_pos_cmp(const void *a, const void *b) {
        return strcmp(((const lr_rp_pos_t *)a)->key,
                      ((const lr_rp_pos_t *)b)->key);
}

/* Recorded positions, sorted by key (streams bound later); *sum grows by
 * their offsets. */
static lr_rp_pos_t *lr_rp_positions(lr_rp_recorded_t *r,
                                    const lr_position_t *in, size_t n,
                                    int64_t *sum) {
        lr_rp_pos_t *pos = lr_xcalloc(n + 1, sizeof(*pos));
        size_t i;
        for (i = 0; i < n; i++) {
                pos[i].key    = lr_rp_intern(r, in[i].key);
                pos[i].stream = -1;
                pos[i].next   = in[i].next;
                *sum += in[i].next;
        }
        qsort(pos, n, sizeof(*pos), lr_rp_pos_cmp);
        return pos;
}

int lr_rp_recorded_add_json(lr_rp_recorded_t *r, const char *json, size_t len) {
        lr_assigned_t d;
        lr_rp_rec_t *rec;
        size_t i;

        if (lr_persist_decision_parse(json, len, &d) || !d.event_id ||
            !d.tenant_id || !d.lead_id || !d.rep_id || !d.reason) {
                lr_assigned_clear(&d);
                return -1;
        }
        if (lr_dict_get(&r->by_id, d.event_id)) {
                /* published again after a restart: the same decision */
                r->duplicates++;
                lr_assigned_clear(&d);
                return 0;
        }
        lr_xgrow(&r->v, &r->size, r->cnt + 1, sizeof(*r->v));
        rec = &r->v[r->cnt];
        memset(rec, 0, sizeof(*rec));
        rec->seq              = r->cnt++;
        rec->event_id         = lr_rp_intern(r, d.event_id);
        rec->lead_id          = lr_rp_intern(r, d.lead_id);
        rec->tenant_id        = lr_rp_intern(r, d.tenant_id);
        rec->rep_id           = lr_rp_intern(r, d.rep_id);
        rec->reason           = lr_rp_intern(r, d.reason);
        rec->policy_version   = lr_rp_intern(r, d.policy_version);
        rec->source_topic     = lr_rp_intern(r, d.source_topic);
        rec->attempt          = d.attempt;
        rec->lead_tier        = d.lead_tier;
        rec->rep_tier         = d.rep_tier;
        rec->source_partition = d.source_partition;
        rec->decided_at       = d.decided_at;
        rec->wait_ms          = d.wait_ms;
        rec->source_offset    = d.source_offset;
        rec->has_routed_at    = d.has_routed_at;
        rec->routed_at        = d.routed_at;
        rec->applied_max      = INT64_MIN;
        rec->source_stream    = -1;
        rec->later_min        = INT64_MAX;
        if (d.inputs_cnt) {
                rec->pos_cnt = d.inputs_cnt;
                rec->pos =
                    lr_rp_positions(r, d.inputs, d.inputs_cnt, &rec->pos_sum);
        }
        if (d.installs_cnt) {
                int64_t sum   = 0;
                rec->inst     = lr_xcalloc(d.installs_cnt, sizeof(*rec->inst));
                rec->inst_cnt = d.installs_cnt;
                for (i = 0; i < d.installs_cnt; i++) {
                        rec->inst[i].day     = d.installs[i].day;
                        rec->inst[i].pos_cnt = d.installs[i].inputs_cnt;
                        rec->inst[i].pos =
                            lr_rp_positions(r, d.installs[i].inputs,
                                            d.installs[i].inputs_cnt, &sum);
                }
        }
        lr_assigned_clear(&d);
        return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int lr_rp_recorded_topic(lr_rp_recorded_t *r, const lr_config_t *cfg,
                                const char *topic, char *errstr,
                                size_t errstr_size) {
        rd_kafka_topic_partition_list_t *l = NULL;
        rd_kafka_t *rk                     = NULL;
        lr_codec_t *codec                  = NULL;
        int64_t *high = NULL, bad = 0;
        int n = 0, p, left = 0, rc = -1;

        if (!(codec = lr_schema_ids_codec_new(cfg, errstr, errstr_size)) ||
            !(rk = lr_rp_reader_new(cfg, NULL, NULL, errstr, errstr_size)) ||
            lr_rp_partitions(rk, topic, &n, errstr, errstr_size))
                goto done;
        high = lr_xcalloc((size_t)n, sizeof(*high));
        l    = rd_kafka_topic_partition_list_new(n);
        for (p = 0; p < n; p++) {
                int64_t low;
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                    rk, topic, p, &low, &high[p], LR_RP_TIMEOUT_MS);
                if (err) {
                        snprintf(errstr, errstr_size, "watermarks of %s:%d: %s",
                                 topic, p, rd_kafka_err2str(err));
                        goto done;
                }
                if (low < high[p]) {
                        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                            low;
                        left++;
                }
        }
        if (left && rd_kafka_assign(rk, l)) {
                snprintf(errstr, errstr_size, "cannot assign %s", topic);
                goto done;
        }
        rd_kafka_poll_set_consumer(rk);
        while (left) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 30000);
                if (!m) {
                        snprintf(errstr, errstr_size,
                                 "reading %s: no message for 30 s before its "
                                 "end",
                                 topic);
                        goto done;
                }
                if (m->partition < 0 || m->partition >= n ||
                    high[m->partition] < 0) {
                } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        if (m->offset >= high[m->partition]) {
                                high[m->partition] = -1;
                                left--;
                        }
                } else if (m->err) {
                        lr_warn("replay", "reading %s: %s", topic,
                                rd_kafka_message_errstr(m));
                } else {
                        char *json = NULL, why[256];
                        if (m->offset < high[m->partition] &&
                            (lr_codec_to_json(codec, LR_EV_LEAD_ASSIGNED,
                                              m->payload, m->len, &json, why,
                                              sizeof(why)) != LR_CODEC_OK ||
                             lr_rp_recorded_add_json(r, json, strlen(json))) &&
                            bad++ < 5)
                                lr_warn("replay",
                                        "%s:%d@%" PRId64
                                        ": not a LeadAssigned decision",
                                        topic, (int)m->partition,
                                        (int64_t)m->offset);
                        free(json);
                        if (m->offset + 1 >= high[m->partition]) {
                                high[m->partition] = -1;
                                left--;
                        }
                }
                rd_kafka_message_destroy(m);
        }
        rc = 0;
done:
        if (l)
                rd_kafka_topic_partition_list_destroy(l);
        if (rk) {
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
        }
        free(high);
        lr_codec_free(codec);
        return rc;
}

static int lr_rp_recorded_jsonl(lr_rp_recorded_t *r, FILE *fp, const char *path,
                                char *errstr, size_t errstr_size) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        long lineno = 0;
        int rc      = 0;

        while ((len = getline(&line, &cap, fp)) >= 0) {
                const char *p = line;
                lineno++;
                while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                        p++;
                if (!*p)
                        continue;
                if (lr_rp_recorded_add_json(r, line, (size_t)len)) {
                        snprintf(errstr, errstr_size,
                                 "%s:%ld: not a LeadAssigned decision as JSON",
                                 path, lineno);
                        rc = -1;
                        break;
                }
        }
        if (!rc && ferror(fp)) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                rc = -1;
        }
        free(line);
        return rc;
}

/* One framed LeadAssigned into the set. */
static int lr_rp_recorded_framed(lr_rp_recorded_t *r, lr_codec_t *codec,
                                 const void *buf, size_t len, char *errstr,
                                 size_t errstr_size) {
        char *json = NULL;
        int rc     = 0;
        if (lr_codec_to_json(codec, LR_EV_LEAD_ASSIGNED, buf, len, &json,
                             errstr, errstr_size) != LR_CODEC_OK)
                return -1;
        if (lr_rp_recorded_add_json(r, json, strlen(json))) {
                snprintf(errstr, errstr_size, "not a LeadAssigned decision");
                rc = -1;
        }
        free(json);
        return rc;
}

static int lr_rp_recorded_values(lr_rp_recorded_t *r, const lr_config_t *cfg,
                                 FILE *fp, const char *path, char *errstr,
                                 size_t errstr_size) {
        lr_codec_t *codec = lr_schema_ids_codec_new(cfg, errstr, errstr_size);
        char *buf         = NULL, why[256];
        size_t len = 0, cap = 0, at = 0, n;
        int rc = -1;

        if (!codec)
                return -1;
        for (;;) {
                lr_xgrow(&buf, &cap, len + 65536, 1);
                n = fread(buf + len, 1, cap - len, fp);
                len += n;
                if (!n)
                        break;
        }
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                goto done;
        }
        while (at < len) {
                size_t used;
                if (buf[at] == '\n') { /* a delimiter (kcat's default) */
                        at++;
                        continue;
                }
                if (lr_codec_frame_length(codec, LR_EV_LEAD_ASSIGNED, buf + at,
                                          len - at, &used, why,
                                          sizeof(why)) != LR_CODEC_OK ||
                    lr_rp_recorded_framed(r, codec, buf + at, used, why,
                                          sizeof(why))) {
                        snprintf(errstr, errstr_size, "%s: at byte %zu: %s",
                                 path, at, why);
                        goto done;
                }
                at += used;
        }
        rc = 0;
done:
        free(buf);
        lr_codec_free(codec);
        return rc;
}

static int lr_rp_recorded_avro(lr_rp_recorded_t *r, const char *path,
                               char *errstr, size_t errstr_size) {
        lr_codec_t *codec       = lr_codec_new(NULL, errstr, errstr_size);
        avro_file_reader_t fr   = NULL;
        avro_value_iface_t *cls = NULL;
        avro_value_t v;
        avro_schema_t schema = NULL;
        char *text           = NULL, why[256];
        int64_t rec          = 0;
        int rc = -1, have_value = 0;

        if (!codec)
                return -1;
        if (avro_file_reader(path, &fr)) {
                snprintf(errstr, errstr_size, "%s: %s", path, avro_strerror());
                fr = NULL;
                goto done;
        }
        schema = avro_file_reader_get_writer_schema(fr);
        if (!schema || !is_avro_record(schema) ||
            strcmp(avro_schema_name(schema), "LeadAssigned")) {
                snprintf(errstr, errstr_size,
                         "%s: not an Avro file of LeadAssigned records", path);
                goto done;
        }
        if (!(text = lr_rp_schema_text(schema)) ||
            lr_codec_add_writer(codec, LR_RP_PRIVATE_ID, text, errstr,
                                errstr_size) != LR_CODEC_OK ||
            !(cls = avro_generic_class_from_schema(schema)) ||
            avro_generic_value_new(cls, &v)) {
                if (!errstr[0] || !text)
                        snprintf(errstr, errstr_size, "%s: %s", path,
                                 avro_strerror());
                goto done;
        }
        have_value = 1;
        for (;;) {
                void *buf;
                size_t len;
                int err = avro_file_reader_read_value(fr, &v);
                if (err == EOF)
                        break;
                rec++;
                if (err ||
                    lr_rp_frame_value(&v, LR_RP_PRIVATE_ID, &buf, &len)) {
                        snprintf(errstr, errstr_size,
                                 "%s: record %" PRId64 ": %s", path, rec,
                                 avro_strerror());
                        goto done;
                }
                err =
                    lr_rp_recorded_framed(r, codec, buf, len, why, sizeof(why));
                free(buf);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "%s: record %" PRId64 ": %s", path, rec, why);
                        goto done;
                }
        }
        rc = 0;
done:
        if (have_value)
                avro_value_decref(&v);
        if (schema)
                avro_schema_decref(schema);
        if (cls)
                avro_value_iface_decref(cls);
        if (fr)
                avro_file_reader_close(fr);
        free(text);
        lr_codec_free(codec);
        return rc;
}

static int lr_rp_rec_order(const void *a, const void *b) {
        const lr_rp_rec_t *x = *(lr_rp_rec_t *const *)a;
        const lr_rp_rec_t *y = *(lr_rp_rec_t *const *)b;
        if (x->pos_sum != y->pos_sum)
                return x->pos_sum < y->pos_sum ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The per-tenant lists, in the worker's order. */
static void lr_rp_recorded_index(lr_rp_recorded_t *r) {
        size_t i = 0;
        void *v;

        for (i = 0; i < r->cnt; i++) {
                lr_rp_rec_t *rec   = &r->v[i];
                lr_rp_rtenant_t *t = lr_dict_get(&r->tenants, rec->tenant_id);
                lr_dict_set(&r->by_id, rec->event_id, rec);
                if (!t) {
                        t = lr_xcalloc(1, sizeof(*t));
                        lr_dict_set(&r->tenants, rec->tenant_id, t);
                }
                lr_xgrow(&t->recs, &t->size, t->cnt + 1, sizeof(*t->recs));
                t->recs[t->cnt++] = rec;
        }
        i = 0;
        while (lr_dict_next(&r->tenants, &i, NULL, &v)) {
                lr_rp_rtenant_t *t         = v;
                const lr_rp_install_t *gov = NULL;
                size_t k;
                qsort(t->recs, t->cnt, sizeof(*t->recs), lr_rp_rec_order);
                for (k = 0; k < t->cnt; k++) {
                        if (t->recs[k]->inst_cnt)
                                gov =
                                    &t->recs[k]->inst[t->recs[k]->inst_cnt - 1];
                        t->recs[k]->gov = gov;
                }
                t->early = lr_xcalloc(t->cnt + 1, sizeof(*t->early));
        }
}

int lr_rp_recorded_load(lr_rp_recorded_t *r, const lr_config_t *cfg,
                        const char *source, char *errstr, size_t errstr_size) {
        struct stat st;
        unsigned char magic[4] = {0};
        size_t got;
        FILE *fp;
        int rc;

        errstr[0] = '\0';
        if (stat(source, &st)) {
                rc = lr_rp_recorded_topic(r, cfg, source, errstr, errstr_size);
        } else if (!(fp = fopen(source, "rb"))) {
                snprintf(errstr, errstr_size, "%s: %s", source,
                         strerror(errno));
                return -1;
        } else {
                got = fread(magic, 1, sizeof(magic), fp);
                rewind(fp);
                if (got == 4 && !memcmp(magic, "Obj\1", 4))
                        rc =
                            lr_rp_recorded_avro(r, source, errstr, errstr_size);
                else if (got && magic[0] == 0)
                        rc = lr_rp_recorded_values(r, cfg, fp, source, errstr,
                                                   errstr_size);
                else
                        rc = lr_rp_recorded_jsonl(r, fp, source, errstr,
                                                  errstr_size);
                fclose(fp);
        }
        /* the index keeps pointers into r->v: only now that it is whole */
        if (!rc)
                lr_rp_recorded_index(r);
        return rc;
}

/* ---- the join ----------------------------------------------------------- */

lr_rp_rec_t *lr_rp_recorded_get(const lr_rp_recorded_t *r,
                                const char *event_id) {
        return lr_dict_get(&r->by_id, event_id);
}

lr_rp_rec_t **lr_rp_recorded_tenant(const lr_rp_recorded_t *r,
                                    const char *tenant_id, size_t *cnt) {
        lr_rp_rtenant_t *t = lr_dict_get(&r->tenants, tenant_id);
        *cnt               = t ? t->cnt : 0;
        return t ? t->recs : NULL;
}

int lr_rp_recorded_has_positions(const lr_rp_recorded_t *r) {
        size_t i;
        for (i = 0; i < r->cnt; i++)
                if (r->v[i].pos_cnt)
                        return 1;
        return 0;
}

lr_rp_rec_t *lr_rp_recorded_match(lr_rp_recorded_t *r, const lr_assigned_t *d) {
        lr_rp_rec_t *rec = lr_dict_get(&r->by_id, d->event_id);

        if (!rec || rec->match != LR_RP_UNMATCHED)
                return rec;
        rec->replayed_rep    = lr_rp_intern(r, d->rep_id);
        rec->replayed_reason = lr_rp_intern(r, d->reason);
        rec->match =
            !strcmp(rec->rep_id, d->rep_id) && !strcmp(rec->reason, d->reason)
                ? LR_RP_REPRODUCED
                : LR_RP_DIFFERS;
        return rec;
}

/* ---- what the positions tell -------------------------------------------- */

void lr_rp_recorded_bind(lr_rp_recorded_t *r,
                         int (*stream_of)(void *opaque, const char *key),
                         void *opaque) {
        char key[512];
        size_t k, i;
        for (k = 0; k < r->cnt; k++) {
                lr_rp_rec_t *rec = &r->v[k];
                size_t j;
                for (i = 0; i < rec->pos_cnt; i++)
                        rec->pos[i].stream = stream_of(opaque, rec->pos[i].key);
                for (j = 0; j < rec->inst_cnt; j++)
                        for (i = 0; i < rec->inst[j].pos_cnt; i++)
                                rec->inst[j].pos[i].stream =
                                    stream_of(opaque, rec->inst[j].pos[i].key);
                snprintf(key, sizeof(key), "%s:%d",
                         rec->source_topic ? rec->source_topic : "",
                         (int)rec->source_partition);
                rec->source_stream = stream_of(opaque, key);
        }
}

static int64_t lr_rp_pos_next(const lr_rp_pos_t *pos, size_t cnt, int stream) {
        size_t i;
        for (i = 0; i < cnt; i++)
                if (pos[i].stream == stream)
                        return pos[i].next;
        return 0;
}

static int64_t lr_rp_rec_next(const lr_rp_rec_t *rec, int stream) {
        return lr_rp_pos_next(rec->pos, rec->pos_cnt, stream);
}

/* Whether rec ranked with a ranking installed before the input at offset
 * on stream (0: none, or installed after). */
static int lr_rp_gov_before(const lr_rp_rec_t *rec, int stream,
                            int64_t offset) {
        return rec->gov && lr_rp_pos_next(rec->gov->pos, rec->gov->pos_cnt,
                                          stream) <= offset;
}

/* An input of day `day` at offset, applied before the decisions from j on:
 * those that ranked with a ranking of a later day installed before it
 * (a run, as installs only move forward) did without it. */
static void lr_rp_mark_early(lr_rp_rtenant_t *t, size_t j, int stream,
                             int64_t offset, int32_t day) {
        size_t lo = j, hi = t->cnt, m, end;
        /* end: the first from j on whose ranking was installed after it */
        while (lo < hi) {
                m = lo + (hi - lo) / 2;
                if (lr_rp_gov_before(t->recs[m], stream, offset))
                        lo = m + 1;
                else
                        hi = m;
        }
        end = lo;
        /* the first in [j, end) whose ranking's day is later */
        lo = j;
        hi = end;
        while (lo < hi) {
                m = lo + (hi - lo) / 2;
                if (t->recs[m]->gov->day > day)
                        hi = m;
                else
                        lo = m + 1;
        }
        if (lo < end) {
                t->early[lo]++;
                t->early[end]--;
        }
}

static lr_rp_track_t *lr_rp_track(lr_rp_rtenant_t *t, int stream) {
        lr_rp_track_t *tr;
        size_t i;

        for (i = 0; i < t->tracks_cnt; i++)
                if (t->tracks[i].stream == stream)
                        return &t->tracks[i];
        t->tracks =
            lr_xrealloc(t->tracks, (t->tracks_cnt + 1) * sizeof(*t->tracks));
        tr = &t->tracks[t->tracks_cnt++];
        memset(tr, 0, sizeof(*tr));
        tr->stream  = stream;
        tr->run_max = INT64_MIN;
        tr->out_min = INT64_MAX;
        tr->seg_min = lr_xmalloc((t->cnt ? t->cnt : 1) * sizeof(int64_t));
        for (i = 0; i < t->cnt; i++)
                tr->seg_min[i] = INT64_MAX;
        return tr;
}

void lr_rp_recorded_observe(lr_rp_recorded_t *r, const char *tenant_id,
                            int stream, int64_t offset, int64_t time, int out) {
        lr_rp_rtenant_t *t = lr_dict_get(&r->tenants, tenant_id);
        lr_rp_track_t *tr;

        if (!t)
                return;
        tr = lr_rp_track(t, stream);
        if (out && offset < tr->out_min)
                tr->out_min = offset;
        while (tr->j < t->cnt &&
               lr_rp_rec_next(t->recs[tr->j], stream) <= offset) {
                lr_rp_rec_t *rec = t->recs[tr->j++];
                if (tr->run_max > rec->applied_max)
                        rec->applied_max = tr->run_max;
                if (tr->inversions)
                        rec->inverted = 1;
                tr->inversions = 0;
        }
        if (!out)
                lr_rp_mark_early(t, tr->j, stream, offset, lr_day_of(time));
        if (time < tr->run_max)
                tr->inversions++;
        if (time > tr->run_max)
                tr->run_max = time;
        if (tr->j > 0 && time < tr->seg_min[tr->j - 1])
                tr->seg_min[tr->j - 1] = time;
}

/* Closes the walks: decisions past every input seen, and the earliest
 * input after each decision. */
static void lr_rp_recorded_finish(lr_rp_rtenant_t *t) {
        size_t k, i;
        int run = 0;

        for (i = 0; i < t->cnt; i++) {
                run += t->early[i];
                t->recs[i]->ranked_early = run > 0;
        }
        for (k = 0; k < t->tracks_cnt; k++) {
                lr_rp_track_t *tr = &t->tracks[k];
                int64_t suf       = INT64_MAX;
                for (i = tr->j; i < t->cnt; i++) {
                        if (tr->run_max > t->recs[i]->applied_max)
                                t->recs[i]->applied_max = tr->run_max;
                        if (tr->inversions && i == tr->j)
                                t->recs[i]->inverted = 1;
                }
                for (i = t->cnt; i-- > 0;) {
                        if (tr->seg_min[i] < suf)
                                suf = tr->seg_min[i];
                        if (suf < t->recs[i]->later_min)
                                t->recs[i]->later_min = suf;
                }
        }
}

const char *lr_rp_recorded_disorder(const lr_rp_rec_t *rec, int event_time) {
        if (!rec->pos_cnt)
                return NULL;
        /* in the worker's order a late input comes late in the replay too */
        if (event_time && rec->later_min != INT64_MAX &&
            rec->later_min < rec->decided_at)
                return LR_RP_CAUSE_LATE;
        if ((rec->later_min != INT64_MAX &&
             rec->applied_max > rec->later_min) ||
            rec->inverted)
                return LR_RP_CAUSE_ORDER;
        if (rec->ranked_early)
                return LR_RP_CAUSE_RANKING;
        return NULL;
}

static int lr_rp_missing(const lr_rp_rtenant_t *t, const lr_rp_rec_t *rec,
                         const lr_rp_coverage_t *c) {
        size_t i, k;

        for (i = 0; i < rec->pos_cnt; i++) {
                const lr_rp_pos_t *p = &rec->pos[i];
                int64_t seeded =
                    c->seeded ? c->seeded(c->opaque, rec->tenant_id, p->key)
                              : 0;
                if (p->next <= seeded)
                        continue;
                if (p->stream < 0 || (size_t)p->stream >= c->streams)
                        return 1;
                if (p->next > c->end[p->stream] || c->start[p->stream] > seeded)
                        return 1;
                for (k = 0; k < t->tracks_cnt; k++)
                        if (t->tracks[k].stream == p->stream &&
                            t->tracks[k].out_min < p->next)
                                return 1;
        }
        return 0;
}

static const char *lr_rp_cause(lr_rp_recorded_t *r, const lr_rp_rtenant_t *t,
                               const lr_rp_rec_t *rec,
                               const lr_rp_rec_t *earlier,
                               const lr_rp_coverage_t *c) {
        const char *pv = c->policy_version
                             ? c->policy_version(c->opaque, rec->tenant_id)
                             : NULL;
        const char *d;
        char buf[512];

        if (pv && rec->policy_version && strcmp(pv, rec->policy_version))
                return LR_RP_CAUSE_POLICY;
        if (c->positions_usable && lr_rp_missing(t, rec, c))
                return LR_RP_CAUSE_MISSING;
        if (rec->has_routed_at && (!strcmp(rec->reason, "SLA_REASSIGNED") ||
                                   !strcmp(rec->reason, "ESCALATED")))
                return LR_RP_CAUSE_WALL;
        if (c->positions_usable &&
            (d = lr_rp_recorded_disorder(rec, c->event_time_order)))
                return d;
        if (earlier) {
                snprintf(buf, sizeof(buf), LR_RP_CAUSE_EARLIER " (%s)",
                         earlier->event_id);
                return lr_rp_intern(r, buf);
        }
        return NULL;
}

void lr_rp_recorded_explain(lr_rp_recorded_t *r, const lr_rp_coverage_t *c) {
        size_t i = 0, k;
        void *v;

        while (lr_dict_next(&r->tenants, &i, NULL, &v)) {
                lr_rp_rtenant_t *t         = v;
                const lr_rp_rec_t *earlier = NULL;
                lr_rp_recorded_finish(t);
                for (k = 0; k < t->cnt; k++) {
                        lr_rp_rec_t *rec = t->recs[k];
                        if (!rec->in_scope || rec->match == LR_RP_REPRODUCED)
                                continue;
                        rec->cause = lr_rp_cause(r, t, rec, earlier, c);
                        if (!earlier)
                                earlier = rec;
                }
        }
}
