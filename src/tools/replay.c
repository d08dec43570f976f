/*
 * replay.c - see replay.h. This file owns the replayed tenants (each a
 * routing core tenant in memory, event clock) and what happens to their
 * decisions: written out (--output, --output-topic), joined with the
 * recorded ones (--compare), counted for a what-if.
 *
 * A tenant whose recorded decisions were made on the worker's wall clock
 * (routed_at) is replayed the way the worker ran it: its timers fire only
 * where the recorded decisions show that the worker fired them, at the
 * wall-clock time recorded, and the deadlines its decisions set count from
 * their recorded wall-clock time. A tick that decided nothing leaves no
 * trace, so it fires with the next one seen: a difference that follows
 * from one is named "timer fired on the wall clock".
 *
 * Memory: the tenants' state, what the comparison keeps per recorded
 * decision, and the inputs read ahead or held for the worker's order; no
 * input is kept once applied.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "dict.h"
#include "inmem.h"
#include "kafka.h"
#include "leadrouter/codec.h"
#include "log.h"
#include "numparse.h"
#include "persist.h"
#include "replay.h"
#include "replay_compare.h"
#include "replay_input.h"
#include "replay_order.h"
#include "replay_progress.h"
#include "replay_render.h"
#include "replay_whatif.h"
#include "route.h"
#include "schema_ids.h"
#include "state.h"
#include "strmap.h"
#include "timeutil.h"
#include "xalloc.h"

#define LR_RP_WINDOW 4096 /* inputs reordered per stream by event time */
#define LR_RP_FORGET_EVERY                                                     \
        64 /* events between two drops of the change                           \
            * record (inmem.h) */
#define LR_RP_REJECTED_LOGGED 5

/* An input position of a tenant: (topic, partition) -> next offset. */
typedef struct lr_rp_next_s {
        int topic;
        int32_t partition;
        int64_t next;
} lr_rp_next_t;

typedef struct lr_rp_tenant_s {
        char *id;
        lr_tenant_t *t;
        const lr_policy_t *policy;
        const char *policy_version;
        lr_rp_sched_t sched;
        int wall; /* wall-clock emulation (see the top of the file) */
        int64_t last_wall;
        lr_strmap_t *queued_wall; /* lead -> wall time it was queued at */
        lr_rp_next_t *next;
        size_t next_cnt;
        int64_t events;
        int32_t last_day;
        lr_pairs_t seeded; /* a state export's positions: p:<key> */
        lr_store_raw_key_t *seed_keys;
        size_t seed_cnt;
} lr_rp_tenant_t;

typedef struct lr_rp_s {
        const lr_config_t *cfg;
        const lr_replay_args_t *a;
        lr_rp_input_t *in;
        lr_dict_t tenants;
        struct lr_rp_tenant_s *last; /* of the last item taken */
        int event_time_order;
        /* --compare */
        int comparing;
        lr_rp_recorded_t rec;
        char **replayed_only;
        size_t replayed_only_cnt, replayed_only_size;
        lr_rp_whatif_t *wi;
        /* --from/--to */
        int has_from, has_to;
        int64_t from, to;
        /* --output / --output-topic */
        FILE *out_fp;
        rd_kafka_t *out_rk;
        lr_codec_t *out_codec;
        const char *out_topic;
        int64_t out_failed;
        /* counts */
        int64_t events, decisions, rejected, duplicates, out_of_range;
        int64_t last_time;
        lr_rp_progress_t progress;
        int fatal;
        char errstr[512];
} lr_rp_t;

/* ---- options ------------------------------------------------------------- */

static void lr_rp_add(const char ***v, size_t *cnt, const char *s) {
        *v             = lr_xrealloc(*v, (*cnt + 1) * sizeof(**v));
        (*v)[(*cnt)++] = s;
}

int lr_replay_args_opt(int argc, char **argv, int i, void *opaque) {
        static const char *const names[] = {
            "--from",   "--to",           "--compare",
            "--format", "--state",        "--order",
            "--output", "--output-topic", "--reorder-window"};
        lr_replay_args_t *a = opaque;
        const char **dst[9] = {&a->from,   &a->to,           &a->compare,
                               &a->format, &a->state,        &a->order,
                               &a->output, &a->output_topic, &a->window};
        size_t k;
        int n;

        if (!strcmp(argv[i], "--input")) {
                for (n = 1; i + n < argc && strncmp(argv[i + n], "--", 2); n++)
                        lr_rp_add(&a->inputs, &a->inputs_cnt, argv[i + n]);
                return n > 1 ? n : -1;
        }
        if (i + 1 >= argc)
                return -1;
        if (!strcmp(argv[i], "--tenant")) {
                lr_rp_add(&a->tenants, &a->tenants_cnt, argv[i + 1]);
                return 2;
        }
        if (!strcmp(argv[i], "--from-offset")) {
                lr_rp_add(&a->from_offsets, &a->from_offsets_cnt, argv[i + 1]);
                return 2;
        }
        if (!strcmp(argv[i], "--to-offset")) {
                lr_rp_add(&a->to_offsets, &a->to_offsets_cnt, argv[i + 1]);
                return 2;
        }
        for (k = 0; k < 9; k++)
                if (!strcmp(argv[i], names[k])) {
                        *dst[k] = argv[i + 1];
                        return 2;
                }
        return -1;
}

void lr_replay_args_free(lr_replay_args_t *a) {
        free(a->inputs);
        free(a->tenants);
        free(a->from_offsets);
        free(a->to_offsets);
        memset(a, 0, sizeof(*a));
}

/* "[TOPIC[:PARTITION]=]OFFSET". 0, or -1. */
static int lr_rp_parse_offset(const char *s, char *topic, size_t size,
                              lr_rp_offset_t *o) {
        const char *eq = strrchr(s, '=');
        long long v;
        char *end;

        memset(o, 0, sizeof(*o));
        o->partition = -1;
        if (eq) {
                const char *colon = memchr(s, ':', (size_t)(eq - s));
                size_t len = colon ? (size_t)(colon - s) : (size_t)(eq - s);
                if (!len || len >= size)
                        return -1;
                memcpy(topic, s, len);
                topic[len] = '\0';
                o->topic   = topic;
                if (colon) {
                        errno = 0;
                        v     = strtoll(colon + 1, &end, 10);
                        if (errno || end != eq || v < 0 || v > INT32_MAX)
                                return -1;
                        o->partition = (int32_t)v;
                }
                s = eq + 1;
        }
        errno = 0;
        v     = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < 0)
                return -1;
        o->offset = v;
        return 0;
}

/* ---- tenants ------------------------------------------------------------- */

/* The state export's pairs of one key, as persist.h reads them. */
static void lr_rp_pairs(const lr_store_raw_key_t *k, lr_pairs_t *p) {
        size_t i, n = k ? k->items.cnt / 2 : 0;
        memset(p, 0, sizeof(*p));
        p->cnt  = n;
        p->k    = lr_xcalloc(n + 1, sizeof(*p->k));
        p->v    = lr_xcalloc(n + 1, sizeof(*p->v));
        p->klen = lr_xcalloc(n + 1, sizeof(*p->klen));
        p->vlen = lr_xcalloc(n + 1, sizeof(*p->vlen));
        for (i = 0; i < n; i++) {
                p->k[i]    = k->items.v[2 * i];
                p->klen[i] = k->items.len[2 * i];
                p->v[i]    = k->items.v[2 * i + 1];
                p->vlen[i] = k->items.len[2 * i + 1];
        }
}

static void lr_rp_pairs_free(lr_pairs_t *p) {
        free(p->k);
        free(p->v);
        free(p->klen);
        free(p->vlen);
        memset(p, 0, sizeof(*p));
}

static const lr_store_raw_key_t *lr_rp_key(const lr_store_raw_key_t *keys,
                                           size_t cnt, const char *suffix) {
        size_t i;
        for (i = 0; i < cnt; i++)
                if (!strcmp(keys[i].suffix, suffix))
                        return &keys[i];
        return NULL;
}

/* A tenant rebuilt from a state export (state.c's file), as
 * store_load_one() rebuilds one from Redis. 0, or -1 with errstr. */
static int lr_rp_seed(lr_rp_tenant_t *T, const lr_store_raw_key_t *keys,
                      size_t cnt, char *errstr, size_t errstr_size) {
        const lr_store_raw_key_t *meta = lr_rp_key(keys, cnt, "meta");
        const lr_store_raw_key_t *hist = lr_rp_key(keys, cnt, "hist");
        lr_stored_t s;
        size_t i;
        int rc;

        memset(&s, 0, sizeof(s));
        lr_rp_pairs(meta, &s.meta);
        lr_rp_pairs(lr_rp_key(keys, cnt, "reps"), &s.reps);
        lr_rp_pairs(lr_rp_key(keys, cnt, "leads"), &s.leads);
        lr_rp_pairs(lr_rp_key(keys, cnt, "acct"), &s.accounts);
        /* the events applied, one key per day: ev:<day> */
        s.seen     = lr_xcalloc(cnt + 1, sizeof(*s.seen));
        s.seen_day = lr_xcalloc(cnt + 1, sizeof(*s.seen_day));
        for (i = 0; i < cnt; i++)
                if (!strncmp(keys[i].suffix, "ev:", 3)) {
                        s.seen_day[s.seen_cnt] =
                            (int32_t)strtol(keys[i].suffix + 3, NULL, 10);
                        lr_rp_pairs(&keys[i], &s.seen[s.seen_cnt++]);
                }
        lr_rp_pairs(lr_rp_key(keys, cnt, "outbox"), &s.outbox);
        lr_rp_pairs(lr_rp_key(keys, cnt, "timers"), &s.timers);
        s.buckets = lr_xcalloc(s.reps.cnt + 1, sizeof(*s.buckets));
        for (i = 0; i < s.reps.cnt; i++) {
                char suffix[600];
                snprintf(suffix, sizeof(suffix), "m:%.*s", (int)s.reps.klen[i],
                         s.reps.k[i]);
                lr_rp_pairs(lr_rp_key(keys, cnt, suffix), &s.buckets[i]);
        }
        for (i = 0; i < s.meta.cnt; i++) {
                size_t j;
                if (s.meta.klen[i] != 7 || memcmp(s.meta.k[i], "rankday", 7))
                        continue;
                for (j = 0; hist && j + 1 < hist->items.cnt; j += 2)
                        if (hist->items.len[j] == s.meta.vlen[i] &&
                            !memcmp(hist->items.v[j], s.meta.v[i],
                                    s.meta.vlen[i])) {
                                s.ranking     = hist->items.v[j + 1];
                                s.ranking_len = hist->items.len[j + 1];
                        }
        }
        rc = lr_persist_load(T->t, &s, errstr, errstr_size);
        /* keys is T's: the positions stay readable */
        T->seeded = s.meta;
        s.meta.k  = NULL;
        for (i = 0; i < s.reps.cnt; i++)
                lr_rp_pairs_free(&s.buckets[i]);
        free(s.buckets);
        lr_rp_pairs_free(&s.reps);
        lr_rp_pairs_free(&s.leads);
        lr_rp_pairs_free(&s.accounts);
        for (i = 0; i < s.seen_cnt; i++)
                lr_rp_pairs_free(&s.seen[i]);
        free(s.seen);
        free(s.seen_day);
        lr_rp_pairs_free(&s.outbox);
        lr_rp_pairs_free(&s.timers);
        lr_tenant_forget_changes(T->t);
        return rc;
}

static lr_rp_tenant_t *lr_rp_tenant(lr_rp_t *rp, const char *id) {
        lr_rp_tenant_t *T = lr_dict_get(&rp->tenants, id);
        lr_rp_rec_t **recs;
        size_t n, i;

        if (T)
                return T;
        T         = lr_xcalloc(1, sizeof(*T));
        T->id     = lr_xstrdup(id);
        T->policy = lr_config_policy(rp->cfg, id, &T->policy_version);
        recs = rp->comparing ? lr_rp_recorded_tenant(&rp->rec, id, &n) : NULL;
        if (!recs)
                n = 0;
        if (!rp->event_time_order) {
                lr_rp_sched_init(&T->sched, recs, n);
                for (i = 0; i < n; i++)
                        if (recs[i]->has_routed_at && recs[i]->pos_cnt) {
                                if (!T->wall)
                                        T->last_wall = recs[i]->routed_at;
                                T->wall = 1;
                        }
        }
        /* A lead escalated at its first assignment was queued by its
         * LeadCreated max_wait before: the wall-clock time of that input. */
        for (i = 0; T->wall && i < n; i++)
                if (recs[i]->attempt == 1 &&
                    !strcmp(recs[i]->reason, "ESCALATED")) {
                        if (!T->queued_wall)
                                T->queued_wall = lr_strmap_new();
                        lr_strmap_set(T->queued_wall, recs[i]->lead_id,
                                      recs[i]->decided_at -
                                          (int64_t)T->policy->max_wait_seconds *
                                              1000);
                }
        T->t = lr_tenant_new(id, T->policy, T->policy_version, !T->wall);
        lr_tenant_set_retention(T->t, rp->cfg->dedup_ttl_days,
                                rp->cfg->lead_retention_days,
                                rp->cfg->ranking_retention_days);
        T->last_day = -1;
        lr_dict_set(&rp->tenants, T->id, T);
        return T;
}

static void lr_rp_tenant_free(lr_rp_tenant_t *T) {
        lr_tenant_free(T->t);
        lr_rp_sched_clear(&T->sched);
        lr_strmap_free(T->queued_wall);
        free(T->next);
        lr_rp_pairs_free(&T->seeded);
        lr_store_raw_free(T->seed_keys, T->seed_cnt);
        free(T->id);
        free(T);
}

/* The tenant's position on "<topic>:<partition>" when the replay began:
 * a state export's, else 0. */
static int64_t lr_rp_seeded(void *opaque, const char *tenant_id,
                            const char *key) {
        lr_rp_t *rp       = opaque;
        lr_rp_tenant_t *T = lr_dict_get(&rp->tenants, tenant_id);
        size_t i, len = strlen(key);
        if (!T)
                return 0;
        for (i = 0; i < T->seeded.cnt; i++)
                if (T->seeded.klen[i] == len + 2 &&
                    !memcmp(T->seeded.k[i], "p:", 2) &&
                    !memcmp(T->seeded.k[i] + 2, key, len))
                        return strtoll(T->seeded.v[i], NULL, 10);
        return 0;
}

static const char *lr_rp_policy_version(void *opaque, const char *tenant_id) {
        lr_rp_t *rp       = opaque;
        lr_rp_tenant_t *T = lr_dict_get(&rp->tenants, tenant_id);
        const char *v     = NULL;
        if (T)
                return T->policy_version;
        lr_config_policy(rp->cfg, tenant_id, &v);
        return v;
}

static int lr_rp_stream_of(void *opaque, const char *key) {
        return lr_rp_input_find(((lr_rp_t *)opaque)->in, key);
}

static int lr_rp_wanted(const lr_rp_t *rp, const char *tenant_id) {
        size_t i;
        if (!rp->a->tenants_cnt)
                return 1;
        for (i = 0; i < rp->a->tenants_cnt; i++)
                if (!strcmp(rp->a->tenants[i], tenant_id))
                        return 1;
        return 0;
}

/* ---- decisions -------------------------------------------------------------
 */

static void lr_rp_output(lr_rp_t *rp, const lr_assigned_t *d) {
        if (rp->out_fp) {
                char *json = lr_persist_decision_json(d);
                fputs(json, rp->out_fp);
                fputc('\n', rp->out_fp);
                free(json);
        }
        if (rp->out_rk) {
                void *buf = NULL;
                size_t len;
                char why[256];
                rd_kafka_resp_err_t err;
                if (lr_codec_encode_assigned(rp->out_codec, d, &buf, &len, why,
                                             sizeof(why)) != LR_CODEC_OK) {
                        if (rp->out_failed++ < 5)
                                lr_error("replay", "%s: %s", d->event_id, why);
                        return;
                }
                for (;;) {
                        err = rd_kafka_producev(
                            rp->out_rk, RD_KAFKA_V_TOPIC(rp->out_topic),
                            RD_KAFKA_V_KEY(d->tenant_id, strlen(d->tenant_id)),
                            RD_KAFKA_V_VALUE(buf, len),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                            RD_KAFKA_V_END);
                        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                break;
                        rd_kafka_poll(rp->out_rk, 100);
                }
                if (err) {
                        free(buf);
                        if (rp->out_failed++ < 5)
                                lr_error("replay", "producing to %s: %s",
                                         rp->out_topic, rd_kafka_err2str(err));
                }
                rd_kafka_poll(rp->out_rk, 0);
        }
}

static int lr_rp_in_range(const lr_rp_t *rp, int64_t t) {
        return (!rp->has_from || t >= rp->from) && (!rp->has_to || t < rp->to);
}

static void lr_rp_decision(lr_rp_t *rp, const lr_assigned_t *d) {
        lr_rp_rec_t *rec;

        rp->decisions++;
        lr_rp_output(rp, d);
        if (!rp->comparing)
                return;
        rec = lr_rp_recorded_match(&rp->rec, d);
        if (rec ? !rec->in_scope : !lr_rp_in_range(rp, d->decided_at))
                return;
        if (!rec) {
                lr_xgrow(&rp->replayed_only, &rp->replayed_only_size,
                         rp->replayed_only_cnt + 1, sizeof(char *));
                rp->replayed_only[rp->replayed_only_cnt++] =
                    lr_xstrdup(d->event_id);
        }
        if (rp->wi)
                lr_rp_whatif_replayed(rp->wi, d);
}

static void lr_rp_result(lr_rp_t *rp, lr_rp_tenant_t *T,
                         const lr_route_result_t *r) {
        size_t i;
        for (i = 0; i < r->decisions_cnt; i++)
                lr_rp_decision(rp, &r->decisions[i]);
        (void)T;
}

/* ---- the order's callbacks -------------------------------------------------
 */

static lr_rp_sched_t *lr_rp_take(void *opaque, size_t stream,
                                 lr_rp_item_t *it) {
        lr_rp_t *rp = opaque;
        lr_rp_tenant_t *T;

        if (it->status == LR_RP_ITEM_BAD || !it->ev.tenant_id)
                return NULL;
        if (!lr_rp_wanted(rp, it->ev.tenant_id))
                return NULL;
        if (rp->comparing && lr_rp_input_is_kafka(rp->in))
                lr_rp_recorded_observe(&rp->rec, it->ev.tenant_id, (int)stream,
                                       it->offset, it->time,
                                       it->status == LR_RP_ITEM_OUT);
        if (it->status == LR_RP_ITEM_OUT) {
                rp->out_of_range++;
                return NULL;
        }
        /* runs of one tenant are common: spare the lookup */
        T        = rp->last && !strcmp(rp->last->id, it->ev.tenant_id)
                       ? rp->last
                       : lr_rp_tenant(rp, it->ev.tenant_id);
        rp->last = T;
        it->tag  = T;
        return &T->sched;
}

/* Moves the tenant's position on the item's input: 0 when the item comes
 * below it (put back in event-time order): the core must not take it for
 * one applied already. */
static int lr_rp_advance(lr_rp_tenant_t *T, const lr_rp_item_t *it) {
        size_t i;
        for (i = 0; i < T->next_cnt; i++)
                if (T->next[i].topic == it->topic &&
                    T->next[i].partition == it->partition) {
                        if (it->offset < T->next[i].next)
                                return 0;
                        T->next[i].next = it->offset + 1;
                        return 1;
                }
        T->next = lr_xrealloc(T->next, (T->next_cnt + 1) * sizeof(*T->next));
        T->next[T->next_cnt].topic     = it->topic;
        T->next[T->next_cnt].partition = it->partition;
        T->next[T->next_cnt++].next    = it->offset + 1;
        return 1;
}

/* The wall-clock time the worker applied an input at, as far as the
 * recorded decisions tell: the trigger of group g, at its decisions' (those
 * dated at its event time; else a QUEUED one dated later, a waiting lead
 * it routed as of its wait -- a timer's decisions are dated at their due
 * times); a lead that waited and was escalated, when it was queued; else
 * the latest known before it. */
static int64_t lr_rp_event_wall(lr_rp_tenant_t *T, const lr_rp_group_t *g,
                                int trigger, const lr_rp_item_t *it) {
        int64_t w;
        size_t i;
        for (i = 0; trigger && g && i < g->cnt; i++)
                if (g->recs[i]->has_routed_at &&
                    g->recs[i]->decided_at == it->time)
                        return g->recs[i]->routed_at;
        for (i = 0; trigger && g && i < g->cnt; i++)
                if (g->recs[i]->has_routed_at &&
                    g->recs[i]->decided_at > it->time &&
                    g->recs[i]->decided_at != g->recs[i]->routed_at &&
                    !strcmp(g->recs[i]->reason, "QUEUED"))
                        return g->recs[i]->routed_at;
        if (T->queued_wall && it->ev.kind == LR_EV_LEAD_CREATED &&
            it->ev.lead_id &&
            lr_strmap_get(T->queued_wall, it->ev.lead_id, &w)) {
                if (w > T->last_wall)
                        T->last_wall = w;
                return w;
        }
        return T->last_wall;
}

static void lr_rp_apply(void *opaque, size_t stream, lr_rp_item_t *it,
                        const lr_rp_group_t *g, int trigger) {
        lr_rp_t *rp       = opaque;
        lr_rp_tenant_t *T = it->tag;
        lr_route_source_t src;
        lr_route_result_t res;
        int64_t wall = 0;

        (void)stream;
        if (rp->fatal) {
                lr_event_clear(&it->ev);
                return;
        }
        src.topic     = rp->cfg->topics[it->topic];
        src.partition = it->partition;
        src.offset    = it->offset;
        if (!lr_rp_advance(T, it))
                src.topic = NULL;
        if (T->wall)
                lr_tenant_set_wall(T->t,
                                   wall = lr_rp_event_wall(T, g, trigger, it));
        lr_debug("replay", "%s %s:%d@%" PRId64 " (%s)%s wall %" PRId64, T->id,
                 rp->cfg->topics[it->topic], (int)it->partition, it->offset,
                 it->ev.event_id, trigger ? " trigger" : "", wall);
        if (lr_tenant_apply(T->t, &it->ev, &src, &res)) {
                snprintf(rp->errstr, sizeof(rp->errstr),
                         "internal error routing %s: %s", it->ev.event_id,
                         res.errstr);
                rp->fatal = 1;
        } else if (res.status == LR_ROUTE_REJECTED) {
                if (rp->rejected++ < LR_RP_REJECTED_LOGGED)
                        lr_warn("replay",
                                "event %s not applied (the worker "
                                "dead-letters it): %s",
                                it->ev.event_id, res.errstr);
        } else if (res.status == LR_ROUTE_DUPLICATE) {
                rp->duplicates++;
        } else {
                lr_rp_result(rp, T, &res);
        }
        lr_route_result_clear(&res);
        rp->events++;
        rp->last_time = it->time;
        lr_event_clear(&it->ev);
        if (++T->events % LR_RP_FORGET_EVERY == 0)
                lr_tenant_forget_changes(T->t);
        if ((rp->events & 1023) == 0)
                lr_rp_progress_update(&rp->progress, rp->events, rp->last_time,
                                      lr_rp_input_progress(rp->in));
}

static int lr_rp_i64_cmp(const void *a, const void *b) {
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* After the inputs of g. An install: the day's ranking in place.
 * Wall-clock tenants: the timers the worker fired, at the wall-clock times
 * it fired them: each tick that made one of g's decisions, and a tick that
 * left no decision but is known from one (a lead escalated after it was
 * queued again: its first-touch SLA ran out max_wait before, at a tick
 * that found nobody), in time order. */
static void lr_rp_reached(void *opaque, void *tenant, const lr_rp_group_t *g,
                          int64_t trigger_time) {
        lr_rp_t *rp       = opaque;
        lr_rp_tenant_t *T = tenant;
        int64_t wall      = T->last_wall, *ticks;
        int64_t max_wait  = (int64_t)T->policy->max_wait_seconds * 1000;
        lr_route_result_t res;
        size_t i, n = 0;

        if (g->install) {
                /* installed by its trigger; else by a wall-clock tick */
                if (!rp->fatal) {
                        lr_tenant_ensure_day(T->t, g->install_day, &res);
                        lr_route_result_clear(&res);
                }
                return;
        }
        if (!T->wall || rp->fatal)
                return;
        ticks = lr_xcalloc(2 * g->cnt + 1, sizeof(*ticks));
        for (i = 0; i < g->cnt; i++) {
                const lr_rp_rec_t *r = g->recs[i];
                if (!r->has_routed_at)
                        continue;
                if (r->decided_at != trigger_time)
                        ticks[n++] = r->routed_at;
                if (r->attempt > 1 && !strcmp(r->reason, "ESCALATED") &&
                    r->decided_at - max_wait > T->last_wall)
                        ticks[n++] = r->decided_at - max_wait;
                if (r->routed_at > wall)
                        wall = r->routed_at;
        }
        qsort(ticks, n, sizeof(*ticks), lr_rp_i64_cmp);
        for (i = 0; i < n; i++) {
                if (i && ticks[i] == ticks[i - 1])
                        continue;
                lr_tenant_set_wall(T->t, ticks[i]);
                lr_tenant_fire(T->t, ticks[i], &res);
                lr_debug("replay",
                         "%s: timers at wall-clock %" PRId64
                         ": %zu decision(s)",
                         T->id, ticks[i], res.decisions_cnt);
                lr_rp_result(rp, T, &res);
                lr_route_result_clear(&res);
        }
        if (n)
                lr_tenant_forget_changes(T->t);
        free(ticks);
        T->last_wall = wall;
}

/* ---- the command ------------------------------------------------------------
 */

static int lr_rp_usage(const char *fmt, const char *arg) {
        fprintf(stderr, "leadrouter replay: ");
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
        return 2;
}

/* Which recorded decisions the replay can be held to: those of the
 * tenants replayed, decided inside --from/--to, after a state export and
 * inside explicit offset bounds. */
static void lr_rp_scope(lr_rp_t *rp) {
        size_t i, k, n = lr_rp_input_stream_cnt(rp->in);

        for (i = 0; i < rp->rec.cnt; i++) {
                lr_rp_rec_t *rec = &rp->rec.v[i];
                int in           = lr_rp_wanted(rp, rec->tenant_id) &&
                         lr_rp_in_range(rp, rec->decided_at);
                int known = 0, before = 1, cut = 0, seeded = rec->pos_cnt > 0;
                for (k = 0; in && k < rec->pos_cnt; k++) {
                        const lr_rp_pos_t *p = &rec->pos[k];
                        const lr_rp_stream_t *s =
                            p->stream >= 0 && (size_t)p->stream < n
                                ? lr_rp_input_stream(rp->in, (size_t)p->stream)
                                : NULL;
                        if (p->next > lr_rp_seeded(rp, rec->tenant_id, p->key))
                                seeded = 0;
                        if (!s)
                                continue;
                        known = 1;
                        if (p->next > s->start || s->start == s->low)
                                before = 0;
                        if (s->end < s->high && p->next > s->end)
                                cut = 1;
                }
                rec->in_scope = in && !seeded && !(known && before) && !cut;
        }
}

static int lr_rp_output_open(lr_rp_t *rp, char *errstr, size_t errstr_size) {
        const lr_config_t *cfg = rp->cfg;
        rd_kafka_conf_t *conf;
        int32_t id;

        if (rp->a->output && !(rp->out_fp = fopen(rp->a->output, "w"))) {
                snprintf(errstr, errstr_size, "--output %s: %s", rp->a->output,
                         strerror(errno));
                return -1;
        }
        if (!rp->a->output_topic)
                return 0;
        rp->out_topic = rp->a->output_topic;
        if (!strcmp(cfg->bootstrap_servers, "embedded")) {
                snprintf(errstr, errstr_size,
                         "--output-topic: kafka.bootstrap.servers is "
                         "embedded; give a broker");
                return -1;
        }
        if (!(rp->out_codec =
                  lr_schema_ids_codec_new(cfg, errstr, errstr_size)) ||
            lr_schema_ids_resolve(rp->out_codec, cfg, rp->out_topic,
                                  LR_EV_LEAD_ASSIGNED, &id, errstr,
                                  errstr_size) != LR_CODEC_OK ||
            !(conf = lr_kafka_conf_new(cfg, LR_KAFKA_TOOL_PRODUCER,
                                       cfg->bootstrap_servers, errstr,
                                       errstr_size)))
                return -1;
        if (!(rp->out_rk =
                  rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size))) {
                rd_kafka_conf_destroy(conf);
                return -1;
        }
        return 0;
}

static int lr_rp_output_close(lr_rp_t *rp, char *errstr, size_t errstr_size) {
        int rc = 0;
        if (rp->out_fp) {
                if (fclose(rp->out_fp)) {
                        snprintf(errstr, errstr_size, "--output: %s",
                                 strerror(errno));
                        rc = -1;
                }
                rp->out_fp = NULL;
        }
        if (rp->out_rk) {
                if (rd_kafka_flush(rp->out_rk, 60000) ||
                    rd_kafka_outq_len(rp->out_rk)) {
                        snprintf(errstr, errstr_size,
                                 "--output-topic %s: %d decision(s) not "
                                 "delivered",
                                 rp->out_topic, rd_kafka_outq_len(rp->out_rk));
                        rc = -1;
                }
                rd_kafka_destroy(rp->out_rk);
                rp->out_rk = NULL;
        }
        if (!rc && rp->out_failed) {
                snprintf(errstr, errstr_size,
                         "%" PRId64 " decision(s) could not be written",
                         rp->out_failed);
                rc = -1;
        }
        return rc;
}

/* Checks the options into rp and the input options. 0, or 2 (usage). */
static int lr_rp_options(lr_rp_t *rp, lr_rp_input_opts_t *io,
                         lr_rp_offset_t **offs, char (**names)[256]) {
        const lr_replay_args_t *a = rp->a;
        const lr_config_t *cfg    = rp->cfg;
        const char *format        = a->format ? a->format : "table";
        size_t i, n = a->from_offsets_cnt + a->to_offsets_cnt;
        int t;

        if (strcmp(format, "table") && strcmp(format, "json") &&
            strcmp(format, "html"))
                return lr_rp_usage("--format %s: expected table, json or html",
                                   format);
        if (a->order && strcmp(a->order, "recorded") &&
            strcmp(a->order, "event-time"))
                return lr_rp_usage("--order %s: expected recorded or "
                                   "event-time",
                                   a->order);
        if (a->from) {
                if (lr_iso8601_parse(a->from, &rp->from))
                        return lr_rp_usage("--from %s: expected an ISO 8601 "
                                           "time (YYYY-MM-DD[THH:MM[:SS]][Z])",
                                           a->from);
                rp->has_from = 1;
        }
        if (a->to) {
                if (lr_iso8601_parse(a->to, &rp->to))
                        return lr_rp_usage("--to %s: expected an ISO 8601 "
                                           "time (YYYY-MM-DD[THH:MM[:SS]][Z])",
                                           a->to);
                rp->has_to = 1;
        }
        if (rp->has_from && rp->has_to && rp->to <= rp->from)
                return lr_rp_usage("--to %s: not after --from", a->to);
        if (a->inputs_cnt && n)
                return lr_rp_usage("%s: offsets bound Kafka inputs, not "
                                   "--input files",
                                   a->from_offsets_cnt ? "--from-offset"
                                                       : "--to-offset");
        if (a->window) {
                long long v;
                if (lr_parse_opt("leadrouter replay", "--reorder-window",
                                 a->window, 1, 1000000, &v))
                        return 2;
        }
        if (a->output_topic)
                for (t = 0; t < LR_TOPIC_CNT; t++)
                        if (!strcmp(a->output_topic, cfg->topics[t]))
                                return lr_rp_usage(
                                    "--output-topic %s: a topic of the live "
                                    "workers (topics.*); replay never writes "
                                    "to them",
                                    a->output_topic);
        *offs  = lr_xcalloc(n + 1, sizeof(**offs));
        *names = lr_xcalloc(n + 1, sizeof(**names));
        for (i = 0; i < n; i++) {
                const char *s = i < a->from_offsets_cnt
                                    ? a->from_offsets[i]
                                    : a->to_offsets[i - a->from_offsets_cnt];
                if (lr_rp_parse_offset(s, (*names)[i], sizeof((*names)[i]),
                                       &(*offs)[i]))
                        return lr_rp_usage("offset %s: expected "
                                           "[TOPIC[:PARTITION]=]OFFSET",
                                           s);
        }
        io->cfg              = cfg;
        io->files            = a->inputs;
        io->files_cnt        = a->inputs_cnt;
        io->has_from         = rp->has_from;
        io->from             = rp->from;
        io->has_to           = rp->has_to;
        io->to               = rp->to;
        io->from_offsets     = *offs;
        io->from_offsets_cnt = a->from_offsets_cnt;
        io->to_offsets       = *offs + a->from_offsets_cnt;
        io->to_offsets_cnt   = a->to_offsets_cnt;
        return 0;
}

/* --state FILE: its tenant, rebuilt before any input. 0, or 2. */
static int lr_rp_state(lr_rp_t *rp) {
        lr_store_raw_key_t *keys = NULL;
        lr_rp_tenant_t *T;
        char *tenant = NULL, errstr[512];
        size_t cnt   = 0;
        FILE *fp     = fopen(rp->a->state, "r");

        if (!fp) {
                fprintf(stderr, "leadrouter replay: --state %s: %s\n",
                        rp->a->state, strerror(errno));
                return 2;
        }
        if (lr_state_read(fp, &tenant, &keys, &cnt, errstr, sizeof(errstr))) {
                fclose(fp);
                fprintf(stderr, "leadrouter replay: --state %s: %s\n",
                        rp->a->state, errstr);
                lr_store_raw_free(keys, cnt);
                free(tenant);
                return 2;
        }
        fclose(fp);
        T            = lr_rp_tenant(rp, tenant);
        T->seed_keys = keys;
        T->seed_cnt  = cnt;
        free(tenant);
        if (lr_rp_seed(T, keys, cnt, errstr, sizeof(errstr))) {
                fprintf(stderr, "leadrouter replay: --state %s: %s\n",
                        rp->a->state, errstr);
                return 2;
        }
        return 0;
}

/* A changed policy: a recorded decision in scope made under another
 * policy_version than the replay's. */
static int lr_rp_policy_changed(lr_rp_t *rp) {
        size_t i;
        for (i = 0; i < rp->rec.cnt; i++) {
                const lr_rp_rec_t *rec = &rp->rec.v[i];
                const char *v = lr_rp_policy_version(rp, rec->tenant_id);
                if (rec->in_scope && rec->policy_version && v &&
                    strcmp(rec->policy_version, v))
                        return 1;
        }
        return 0;
}

static int lr_rp_report(lr_rp_t *rp, double seconds) {
        const char *format = rp->a->format ? rp->a->format : "table";
        lr_rp_whatif_report_t wr;
        lr_rp_whatif_tenant_t *wt = NULL;
        lr_rp_report_t r;
        lr_rp_tally_t tally;
        lr_rp_coverage_t cov;
        int64_t *start = NULL, *end = NULL;
        const char *pv = NULL;
        char errstr[512], source[1024];
        size_t i, n = lr_rp_input_stream_cnt(rp->in), k = 0;
        void *v;
        int rc;

        memset(&r, 0, sizeof(r));
        memset(&cov, 0, sizeof(cov));
        memset(&wr, 0, sizeof(wr));
        r.events       = rp->events;
        r.decisions    = rp->decisions;
        r.rejected     = rp->rejected;
        r.duplicates   = rp->duplicates;
        r.bad          = lr_rp_input_bad(rp->in);
        r.out_of_range = rp->out_of_range;
        r.tenants      = (int64_t)rp->tenants.cnt;
        r.seconds      = seconds;
        r.order        = rp->event_time_order ? "event-time" : "recorded";
        if (rp->a->inputs_cnt)
                snprintf(source, sizeof(source), "%zu file(s)",
                         rp->a->inputs_cnt);
        else
                snprintf(source, sizeof(source), "%s, %s, %s",
                         rp->cfg->topics[LR_TOPIC_LEAD_CREATED],
                         rp->cfg->topics[LR_TOPIC_CALL_OUTCOME],
                         rp->cfg->topics[LR_TOPIC_REP_STATUS]);
        r.source = source;
        i        = 0;
        while (lr_dict_next(&rp->tenants, &i, NULL, &v)) {
                const char *tv = ((lr_rp_tenant_t *)v)->policy_version;
                pv             = !pv || !strcmp(pv, tv) ? tv : "(per tenant)";
        }
        r.policy_version = pv ? pv : rp->cfg->policy_version;
        if (rp->comparing) {
                start = lr_xcalloc(n + 1, sizeof(*start));
                end   = lr_xcalloc(n + 1, sizeof(*end));
                for (i = 0; i < n; i++) {
                        start[i] = lr_rp_input_stream(rp->in, i)->start;
                        end[i]   = lr_rp_input_stream(rp->in, i)->end;
                }
                cov.positions_usable = lr_rp_input_is_kafka(rp->in);
                cov.event_time_order = rp->event_time_order;
                cov.streams          = n;
                cov.start            = start;
                cov.end              = end;
                cov.seeded           = lr_rp_seeded;
                cov.policy_version   = lr_rp_policy_version;
                cov.opaque           = rp;
                lr_rp_recorded_explain(&rp->rec, &cov);
                r.compare           = rp->a->compare;
                r.recorded          = &rp->rec;
                r.replayed_only     = (const char *const *)rp->replayed_only;
                r.replayed_only_cnt = rp->replayed_only_cnt;
                r.positions_usable  = cov.positions_usable;
                if (lr_rp_policy_changed(rp)) {
                        wt = lr_xcalloc(rp->tenants.cnt + 1, sizeof(*wt));
                        i  = 0;
                        while (lr_dict_next(&rp->tenants, &i, NULL, &v)) {
                                lr_rp_tenant_t *T = v;
                                wt[k].tenant_id   = T->id;
                                wt[k].t           = T->t;
                                wt[k].policy      = T->policy;
                                wt[k++].as_of_day =
                                    lr_day_of(rp->last_time) + 1;
                        }
                        lr_rp_whatif_report(rp->wi, &rp->rec, wt, k, &wr);
                        r.what_if = &wr;
                }
        }
        rc = lr_rp_render(stdout, format, &r, errstr, sizeof(errstr));
        if (rc)
                fprintf(stderr, "leadrouter replay: %s\n", errstr);
        lr_rp_report_tally(&r, &tally);
        if (r.what_if)
                lr_rp_whatif_report_clear(&wr);
        free(wt);
        free(start);
        free(end);
        if (rc)
                return 2;
        return tally.differing || tally.recorded_only || r.replayed_only_cnt
                   ? 1
                   : 0;
}

int lr_replay_main(const lr_config_t *cfg, const lr_replay_args_t *a) {
        lr_rp_input_opts_t io;
        lr_rp_order_ops_t ops;
        lr_rp_order_t *order = NULL;
        lr_rp_offset_t *offs = NULL;
        char(*names)[256]    = NULL;
        char errstr[512];
        lr_rp_t rp;
        int64_t t0;
        size_t i = 0;
        void *v;
        int rc = 2;

        memset(&rp, 0, sizeof(rp));
        memset(&io, 0, sizeof(io));
        rp.cfg = cfg;
        rp.a   = a;
        lr_dict_init(&rp.tenants);
        lr_rp_recorded_init(&rp.rec);
        if ((rc = lr_rp_options(&rp, &io, &offs, &names)))
                goto done;
        rc = 2;
        t0 = lr_mono_ms();
        lr_rp_progress_init(&rp.progress, stderr);
        /* the recorded decisions first: every input they were decided on is
         * then below the inputs' end offsets read next */
        if (a->compare) {
                rp.comparing = 1;
                if (lr_rp_recorded_load(&rp.rec, cfg, a->compare, errstr,
                                        sizeof(errstr))) {
                        fprintf(stderr, "leadrouter replay: --compare %s: %s\n",
                                a->compare, errstr);
                        goto done;
                }
                rp.wi = lr_rp_whatif_new();
        }
        if (!(rp.in = lr_rp_input_open(&io, errstr, sizeof(errstr)))) {
                fprintf(stderr, "leadrouter replay: %s\n", errstr);
                goto done;
        }
        rp.event_time_order = !rp.comparing || !lr_rp_input_is_kafka(rp.in) ||
                              !lr_rp_recorded_has_positions(&rp.rec) ||
                              (a->order && !strcmp(a->order, "event-time"));
        if (a->order && !strcmp(a->order, "recorded") && rp.event_time_order)
                lr_warn("replay",
                        "--order recorded needs --compare with decisions "
                        "that carry inputs_applied, and the input topics: "
                        "replaying in event-time order");
        if (a->state && lr_rp_state(&rp))
                goto done;
        if (rp.comparing) {
                lr_rp_recorded_bind(&rp.rec, lr_rp_stream_of, &rp);
                lr_rp_scope(&rp);
        }
        if (lr_rp_output_open(&rp, errstr, sizeof(errstr))) {
                fprintf(stderr, "leadrouter replay: %s\n", errstr);
                goto done;
        }
        memset(&ops, 0, sizeof(ops));
        ops.opaque  = &rp;
        ops.take    = lr_rp_take;
        ops.apply   = lr_rp_apply;
        ops.reached = lr_rp_reached;
        order       = lr_rp_order_new(
                  rp.in,
            rp.event_time_order
                      ? (a->window ? (size_t)atol(a->window) : LR_RP_WINDOW)
                      : 1,
                  &ops);
        lr_rp_input_start(rp.in);
        while (!rp.fatal && lr_rp_order_step(order))
                ;
        lr_rp_progress_done(&rp.progress);
        if (rp.fatal) {
                fprintf(stderr, "leadrouter replay: fatal: %s\n", rp.errstr);
                goto done;
        }
        if (lr_rp_input_failed(rp.in, errstr, sizeof(errstr))) {
                fprintf(stderr, "leadrouter replay: %s\n", errstr);
                goto done;
        }
        if (lr_rp_output_close(&rp, errstr, sizeof(errstr))) {
                fprintf(stderr, "leadrouter replay: %s\n", errstr);
                goto done;
        }
        rc = lr_rp_report(&rp, (double)(lr_mono_ms() - t0) / 1000.0);
done:
        lr_rp_progress_done(&rp.progress);
        lr_rp_order_free(order);
        lr_rp_input_free(rp.in);
        if (rp.out_fp)
                fclose(rp.out_fp);
        if (rp.out_rk)
                rd_kafka_destroy(rp.out_rk);
        lr_codec_free(rp.out_codec);
        while (lr_dict_next(&rp.tenants, &i, NULL, &v))
                lr_rp_tenant_free(v);
        lr_dict_destroy(&rp.tenants);
        for (i = 0; i < rp.replayed_only_cnt; i++)
                free(rp.replayed_only[i]);
        free(rp.replayed_only);
        lr_rp_whatif_free(rp.wi);
        lr_rp_recorded_free(&rp.rec);
        free(offs);
        free(names);
        return rc;
}
