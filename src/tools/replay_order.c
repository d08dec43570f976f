/*
 * replay_order.c - see replay_order.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay_order.h"
#include "timeutil.h"
#include "xalloc.h"

/* Held inputs of one stream, in the stream's order. */
typedef struct lr_rp_pend_s {
        size_t stream;
        lr_rp_item_t *v;
        size_t head, cnt, cap;
} lr_rp_pend_t;

/* A stream as the merge sees it: a heap of up to `window` items (indexes
 * into slot[]; spare[] holds the free slots). */
typedef struct lr_rp_mstream_s {
        lr_rp_item_t *slot;
        uint32_t *heap, *spare;
        size_t cnt;
        int ended;               /* its input has ended */
        int64_t out;             /* offset after the last item handed out */
        lr_rp_sched_t **waiting; /* tenants waiting for it */
        int64_t *need;           /* ... up to these offsets */
        size_t waiting_cnt, waiting_size;
} lr_rp_mstream_t;

struct lr_rp_order_s {
        lr_rp_input_t *in;
        size_t window;
        lr_rp_order_ops_t ops;
        lr_rp_mstream_t *s;
        size_t cnt;
        lr_rp_sched_t **scheds; /* every schedule seen, for the end */
        size_t scheds_cnt, scheds_size;
        int finished;
};

/* ---- keys ---------------------------------------------------------------- */

/* Event time, topic, stream, place in the stream. */
static int lr_rp_before(const lr_rp_item_t *a, size_t sa, const lr_rp_item_t *b,
                        size_t sb) {
        if (a->time != b->time)
                return a->time < b->time;
        if (a->topic != b->topic)
                return a->topic < b->topic;
        if (sa != sb)
                return sa < sb;
        return a->seq < b->seq;
}

/* ---- schedules ----------------------------------------------------------- */

static int lr_rp_same_pos(const lr_rp_rec_t *a, const lr_rp_rec_t *b) {
        size_t i;
        if (a->pos_cnt != b->pos_cnt)
                return 0;
        for (i = 0; i < a->pos_cnt; i++)
                if (a->pos[i].next != b->pos[i].next ||
                    strcmp(a->pos[i].key, b->pos[i].key))
                        return 0;
        return 1;
}

void lr_rp_sched_init(lr_rp_sched_t *s, lr_rp_rec_t *const *recs, size_t n) {
        size_t i, size = 0;

        memset(s, 0, sizeof(*s));
        for (i = 0; i < n; i++) {
                lr_rp_group_t *g;
                size_t k;
                if (!recs[i]->pos_cnt)
                        continue;
                for (k = 0; k < recs[i]->inst_cnt; k++) {
                        const lr_rp_install_t *in = &recs[i]->inst[k];
                        if (!in->pos_cnt)
                                continue;
                        lr_xgrow(&s->groups, &size, s->cnt + 1,
                                 sizeof(*s->groups));
                        g = &s->groups[s->cnt++];
                        memset(g, 0, sizeof(*g));
                        g->pos         = in->pos;
                        g->pos_cnt     = in->pos_cnt;
                        g->install     = 1;
                        g->install_day = in->day;
                }
                if (s->cnt && !s->groups[s->cnt - 1].install &&
                    lr_rp_same_pos(s->groups[s->cnt - 1].recs[0], recs[i])) {
                        s->groups[s->cnt - 1].cnt++;
                        continue;
                }
                lr_xgrow(&s->groups, &size, s->cnt + 1, sizeof(*s->groups));
                g = &s->groups[s->cnt++];
                memset(g, 0, sizeof(*g));
                g->recs    = (lr_rp_rec_t **)&recs[i];
                g->cnt     = 1;
                g->pos     = recs[i]->pos;
                g->pos_cnt = recs[i]->pos_cnt;
        }
}

void lr_rp_sched_clear(lr_rp_sched_t *s) {
        size_t i, k;
        for (i = 0; i < s->pend_cnt; i++) {
                lr_rp_pend_t *p = &s->pend[i];
                for (k = 0; k < p->cnt; k++)
                        lr_event_clear(&p->v[(p->head + k) % p->cap].ev);
                free(p->v);
        }
        free(s->pend);
        free(s->groups);
        memset(s, 0, sizeof(*s));
}

static lr_rp_pend_t *lr_rp_pend(lr_rp_sched_t *s, size_t stream) {
        lr_rp_pend_t *p;
        size_t i;
        for (i = 0; i < s->pend_cnt; i++)
                if (s->pend[i].stream == stream)
                        return &s->pend[i];
        s->pend = lr_xrealloc(s->pend, (s->pend_cnt + 1) * sizeof(*s->pend));
        p       = &s->pend[s->pend_cnt++];
        memset(p, 0, sizeof(*p));
        p->stream = stream;
        return p;
}

static void lr_rp_pend_push(lr_rp_pend_t *p, const lr_rp_item_t *it) {
        if (p->cnt == p->cap) {
                size_t cap      = p->cap ? 2 * p->cap : 16, k;
                lr_rp_item_t *v = lr_xcalloc(cap, sizeof(*v));
                for (k = 0; k < p->cnt; k++)
                        v[k] = p->v[(p->head + k) % p->cap];
                free(p->v);
                p->v    = v;
                p->cap  = cap;
                p->head = 0;
        }
        p->v[(p->head + p->cnt++) % p->cap] = *it;
}

static lr_rp_item_t *lr_rp_pend_at(lr_rp_pend_t *p, size_t k) {
        return &p->v[(p->head + k) % p->cap];
}

/* The position of group g on stream `stream` (0: no input of it). */
static int64_t lr_rp_group_next(const lr_rp_group_t *g, size_t stream) {
        size_t i;
        for (i = 0; i < g->pos_cnt; i++)
                if (g->pos[i].stream >= 0 && (size_t)g->pos[i].stream == stream)
                        return g->pos[i].next;
        return 0;
}

/* Whether rec routed the lead of its own LeadCreated (not a lead that
 * waited: QUEUED, or a timer's). */
static int lr_rp_own(const lr_rp_rec_t *rec) {
        return rec->attempt == 1 && strcmp(rec->reason, "QUEUED") &&
               strcmp(rec->reason, "ESCALATED") &&
               strcmp(rec->reason, "SLA_REASSIGNED");
}

static int lr_rp_is_source(const lr_rp_rec_t *rec, size_t stream,
                           const lr_rp_item_t *it) {
        return rec->source_stream >= 0 &&
               (size_t)rec->source_stream == stream &&
               rec->source_offset == it->offset;
}

/* Which of the last held inputs below g's positions made g's decisions:
 * the LeadCreated of a lead one of them routed at once; else one at a
 * decision's event time; else one at or after the earliest (a timer's due
 * time, on the event clock); else the latest (none when the decisions
 * are all escalations: a timer's). The LeadCreated of a lead that was
 * queued is never the one: its lead was decided later. Returns the index
 * into cand[], or -1. */
static int lr_rp_trigger(const lr_rp_group_t *g, lr_rp_item_t *const *cand,
                         const size_t *cs, size_t n) {
        int64_t first = INT64_MAX;
        int best = -1, pass, passes = 2;
        size_t i, k;

        /* an install: the input of its day (those before were of earlier
         * days, or they would have installed it) */
        for (i = 0; g->install && i < n; i++)
                if (lr_day_of(cand[i]->time) >= g->install_day &&
                    (best < 0 ||
                     lr_rp_before(cand[best], cs[best], cand[i], cs[i])))
                        best = (int)i;
        if (g->install)
                return best;
        for (k = 0; k < g->cnt; k++) {
                if (g->recs[k]->decided_at < first)
                        first = g->recs[k]->decided_at;
                /* only a timer escalates: with nothing else, no input has
                 * to come last */
                if (strcmp(g->recs[k]->reason, "ESCALATED"))
                        passes = 4;
        }
        for (pass = 0; pass < passes && best < 0; pass++) {
                for (i = 0; i < n; i++) {
                        int ok = pass == 3;
                        for (k = 0; k < g->cnt; k++)
                                if (!lr_rp_own(g->recs[k]) &&
                                    lr_rp_is_source(g->recs[k], cs[i], cand[i]))
                                        break;
                        if (k < g->cnt)
                                continue;
                        for (k = 0; k < g->cnt && !ok; k++) {
                                const lr_rp_rec_t *r = g->recs[k];
                                if (pass == 0)
                                        ok = lr_rp_own(r) &&
                                             lr_rp_is_source(r, cs[i], cand[i]);
                                else if (pass == 1)
                                        ok = cand[i]->time == r->decided_at;
                                else
                                        ok = cand[i]->time >= first;
                        }
                        if (ok &&
                            (best < 0 || lr_rp_before(cand[best], cs[best],
                                                      cand[i], cs[i])))
                                best = (int)i;
                }
        }
        return best;
}

/* Applies the first lim[i] held inputs of every stream, merged by event
 * time, trigger (held input lim[t]-1 of stream t) last. */
static void lr_rp_apply_held(lr_rp_order_t *o, lr_rp_sched_t *s, size_t *lim,
                             int trig, const lr_rp_group_t *g) {
        size_t i;
        for (;;) {
                int best = -1;
                lr_rp_pend_t *p;
                lr_rp_item_t it;
                for (i = 0; i < s->pend_cnt; i++) {
                        size_t left = lim[i] - (trig == (int)i);
                        if (!s->pend[i].cnt || !left)
                                continue;
                        if (best < 0 ||
                            lr_rp_before(lr_rp_pend_at(&s->pend[i], 0),
                                         s->pend[i].stream,
                                         lr_rp_pend_at(&s->pend[best], 0),
                                         s->pend[best].stream))
                                best = (int)i;
                }
                if (best < 0)
                        break;
                p       = &s->pend[best];
                it      = *lr_rp_pend_at(p, 0);
                p->head = (p->head + 1) % p->cap;
                p->cnt--;
                lim[best]--;
                s->held--;
                o->ops.apply(o->ops.opaque, p->stream, &it, g, 0);
        }
        if (trig >= 0) {
                lr_rp_pend_t *p = &s->pend[trig];
                lr_rp_item_t it = *lr_rp_pend_at(p, 0);
                p->head         = (p->head + 1) % p->cap;
                p->cnt--;
                s->held--;
                o->ops.apply(o->ops.opaque, p->stream, &it, g, 1);
        }
}

/* Applies the inputs before group g's decisions. */
static void lr_rp_apply_group(lr_rp_order_t *o, lr_rp_sched_t *s,
                              const lr_rp_group_t *g) {
        size_t *lim         = lr_xcalloc(s->pend_cnt + 1, sizeof(*lim));
        lr_rp_item_t **cand = lr_xcalloc(s->pend_cnt + 1, sizeof(*cand));
        size_t *cs = lr_xcalloc(s->pend_cnt + 1, sizeof(*cs)), n = 0, i;
        int *ci = lr_xcalloc(s->pend_cnt + 1, sizeof(*ci)), t, trig = -1;
        int64_t ttime = INT64_MIN;

        for (i = 0; i < s->pend_cnt; i++) {
                lr_rp_pend_t *p = &s->pend[i];
                int64_t b       = lr_rp_group_next(g, p->stream);
                while (lim[i] < p->cnt && lr_rp_pend_at(p, lim[i])->offset < b)
                        lim[i]++;
                if (lim[i] && lr_rp_pend_at(p, lim[i] - 1)->offset == b - 1) {
                        cand[n] = lr_rp_pend_at(p, lim[i] - 1);
                        cs[n]   = p->stream;
                        ci[n++] = (int)i;
                }
        }
        if ((t = lr_rp_trigger(g, cand, cs, n)) >= 0) {
                trig  = ci[t];
                ttime = cand[t]->time;
        }
        lr_rp_apply_held(o, s, lim, trig, g);
        o->ops.reached(o->ops.opaque, s->tenant, g, ttime);
        free(lim);
        free(cand);
        free(cs);
        free(ci);
}

/* Applies what the tenant can: 1 and *stream, *need when it waits for
 * stream's inputs below need, else 0. */
static int lr_rp_sched_run(lr_rp_order_t *o, lr_rp_sched_t *s, size_t *stream,
                           int64_t *need) {
        while (s->cur < s->cnt) {
                const lr_rp_group_t *g = &s->groups[s->cur];
                size_t i;
                for (i = 0; i < g->pos_cnt; i++) {
                        int k = g->pos[i].stream;
                        if (k >= 0 && o->s[k].out < g->pos[i].next) {
                                *stream = (size_t)k;
                                *need   = g->pos[i].next;
                                return 1;
                        }
                }
                lr_rp_apply_group(o, s, g);
                s->cur++;
        }
        {
                size_t *lim = lr_xcalloc(s->pend_cnt + 1, sizeof(*lim)), i;
                for (i = 0; i < s->pend_cnt; i++)
                        lim[i] = s->pend[i].cnt;
                lr_rp_apply_held(o, s, lim, -1, NULL);
                free(lim);
        }
        return 0;
}

static void lr_rp_wait(lr_rp_order_t *o, lr_rp_sched_t *s, size_t stream,
                       int64_t need) {
        lr_rp_mstream_t *m = &o->s[stream];
        size_t size        = m->waiting_size;
        lr_xgrow(&m->waiting, &m->waiting_size, m->waiting_cnt + 1,
                 sizeof(*m->waiting));
        lr_xgrow(&m->need, &size, m->waiting_cnt + 1, sizeof(*m->need));
        m->waiting[m->waiting_cnt] = s;
        m->need[m->waiting_cnt++]  = need;
        s->waiting                 = 1;
}

static void lr_rp_run_tenant(lr_rp_order_t *o, lr_rp_sched_t *s) {
        size_t stream;
        int64_t need;
        if (lr_rp_sched_run(o, s, &stream, &need))
                lr_rp_wait(o, s, stream, need);
}

/* Tenants waiting on stream k whose inputs have now all come out. */
static void lr_rp_wake(lr_rp_order_t *o, size_t k) {
        lr_rp_mstream_t *m = &o->s[k];
        size_t i           = 0;
        while (i < m->waiting_cnt) {
                lr_rp_sched_t *s;
                if (m->need[i] > m->out) {
                        i++;
                        continue;
                }
                s             = m->waiting[i];
                m->waiting[i] = m->waiting[--m->waiting_cnt];
                m->need[i]    = m->need[m->waiting_cnt];
                s->waiting    = 0;
                lr_rp_run_tenant(o, s);
        }
}

/* ---- the merge ----------------------------------------------------------- */

#define LR_RP_AT(m, i) (&(m)->slot[(m)->heap[i]])

/* The top item of stream m's heap. */
static const lr_rp_item_t *lr_rp_top(const lr_rp_mstream_t *m) {
        return LR_RP_AT(m, 0);
}

static void lr_rp_heap_push(lr_rp_mstream_t *m, size_t k,
                            const lr_rp_item_t *it, size_t window) {
        uint32_t s = m->spare[window - m->cnt - 1];
        size_t i;

        m->slot[s] = *it;
        for (i = m->cnt++; i > 0; i = (i - 1) / 2) {
                if (!lr_rp_before(it, k, LR_RP_AT(m, (i - 1) / 2), k))
                        break;
                m->heap[i] = m->heap[(i - 1) / 2];
        }
        m->heap[i] = s;
}

static void lr_rp_heap_pop(lr_rp_mstream_t *m, size_t k, lr_rp_item_t *out,
                           size_t window) {
        uint32_t top = m->heap[0], last;
        size_t i     = 0, c;

        *out                          = m->slot[top];
        last                          = m->heap[--m->cnt];
        m->spare[window - m->cnt - 1] = top;
        while ((c = 2 * i + 1) < m->cnt) {
                if (c + 1 < m->cnt &&
                    lr_rp_before(LR_RP_AT(m, c + 1), k, LR_RP_AT(m, c), k))
                        c++;
                if (!lr_rp_before(LR_RP_AT(m, c), k, &m->slot[last], k))
                        break;
                m->heap[i] = m->heap[c];
                i          = c;
        }
        if (m->cnt)
                m->heap[i] = last;
}

/* Fills stream k's window from its input. */
static void lr_rp_fill(lr_rp_order_t *o, size_t k) {
        lr_rp_mstream_t *m = &o->s[k];
        while (!m->ended && m->cnt < o->window) {
                lr_rp_item_t *it = lr_rp_input_head(o->in, k), copy;
                lr_rp_sched_t *s;
                if (!it) {
                        m->ended = 1;
                        break;
                }
                copy = *it;
                memset(&it->ev, 0, sizeof(it->ev));
                lr_rp_input_pop(o->in, k);
                copy.tag = NULL;
                s        = o->ops.take(o->ops.opaque, k, &copy);
                if (!s) {
                        lr_event_clear(&copy.ev);
                        continue;
                }
                if (!s->listed) {
                        s->listed = 1;
                        s->tenant = copy.tag;
                        lr_xgrow(&o->scheds, &o->scheds_size, o->scheds_cnt + 1,
                                 sizeof(*o->scheds));
                        o->scheds[o->scheds_cnt++] = s;
                }
                copy.tag = s;
                lr_rp_heap_push(m, k, &copy, o->window);
        }
}

lr_rp_order_t *lr_rp_order_new(lr_rp_input_t *in, size_t window,
                               const lr_rp_order_ops_t *ops) {
        lr_rp_order_t *o = lr_xcalloc(1, sizeof(*o));
        size_t i;

        o->in     = in;
        o->window = window ? window : 1;
        o->ops    = *ops;
        o->cnt    = lr_rp_input_stream_cnt(in);
        o->s      = lr_xcalloc(o->cnt + 1, sizeof(*o->s));
        for (i = 0; i < o->cnt; i++) {
                size_t k;
                o->s[i].slot  = lr_xcalloc(o->window, sizeof(lr_rp_item_t));
                o->s[i].heap  = lr_xcalloc(o->window, sizeof(uint32_t));
                o->s[i].spare = lr_xcalloc(o->window, sizeof(uint32_t));
                for (k = 0; k < o->window; k++)
                        o->s[i].spare[k] = (uint32_t)k;
                o->s[i].out = lr_rp_input_stream(in, i)->start;
        }
        return o;
}

void lr_rp_order_free(lr_rp_order_t *o) {
        size_t i, k;
        if (!o)
                return;
        for (i = 0; i < o->cnt; i++) {
                for (k = 0; k < o->s[i].cnt; k++)
                        lr_event_clear(&LR_RP_AT(&o->s[i], k)->ev);
                free(o->s[i].slot);
                free(o->s[i].heap);
                free(o->s[i].spare);
                free(o->s[i].waiting);
                free(o->s[i].need);
        }
        free(o->s);
        free(o->scheds);
        free(o);
}

int lr_rp_order_step(lr_rp_order_t *o) {
        lr_rp_sched_t *s;
        lr_rp_item_t it;
        int best = -1;
        size_t i;

        if (o->finished)
                return 0;
        for (i = 0; i < o->cnt; i++) {
                lr_rp_mstream_t *m = &o->s[i];
                if (!m->ended && m->cnt < o->window)
                        lr_rp_fill(o, i);
                if (m->ended && !m->cnt && m->out != INT64_MAX) {
                        m->out = INT64_MAX;
                        lr_rp_wake(o, i);
                }
                if (m->cnt && (best < 0 || lr_rp_before(lr_rp_top(m), i,
                                                        lr_rp_top(&o->s[best]),
                                                        (size_t)best)))
                        best = (int)i;
        }
        if (best < 0) {
                /* the end: every stream is done, nothing is waited for */
                for (i = 0; i < o->scheds_cnt; i++) {
                        o->scheds[i]->waiting = 0;
                        lr_rp_run_tenant(o, o->scheds[i]);
                }
                o->finished = 1;
                return 0;
        }
        lr_rp_heap_pop(&o->s[best], (size_t)best, &it, o->window);
        s      = it.tag;
        it.tag = s->tenant;
        if (it.offset + 1 > o->s[best].out || o->window > 1)
                o->s[best].out = it.offset + 1;
        if (s->cur >= s->cnt && !s->held) {
                o->ops.apply(o->ops.opaque, (size_t)best, &it, NULL, 0);
        } else {
                lr_rp_pend_push(lr_rp_pend(s, (size_t)best), &it);
                s->held++;
                if (!s->waiting)
                        lr_rp_run_tenant(o, s);
        }
        lr_rp_wake(o, (size_t)best);
        return 1;
}
