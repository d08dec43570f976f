/*
 * metrics.h - the worker's counters and gauges: written by the worker
 * thread, read by the HTTP thread (http.c), so every field is atomic
 * (relaxed: each value is independent, none guards another).
 */
#ifndef LR_METRICS_H
#define LR_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr_metrics_s {
        atomic_llong events;       /* input events applied (dups included) */
        atomic_llong duplicates;   /* of which seen before */
        atomic_llong decisions;    /* LeadAssigned produced */
        atomic_llong tier_changes; /* RepTierChanged produced */
        atomic_llong dead_letters; /* messages sent to the dead-letter topic */
        atomic_llong batches;      /* batches committed */
        atomic_llong routing_lag_ms; /* event time -> decision, the last
                                      * round's largest (a backlog shows) */
        atomic_int redis_up;         /* 0 while Redis is unreachable */
        atomic_int paused;           /* 1 while consumption is paused */
} lr_metrics_t;

static inline void lr_metric_add(atomic_llong *c, long long n) {
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline long long lr_metric_get(const atomic_llong *c) {
        return atomic_load_explicit(c, memory_order_relaxed);
}

static inline void lr_gauge_set(atomic_int *g, int v) {
        atomic_store_explicit(g, v, memory_order_relaxed);
}

static inline int lr_gauge_get(const atomic_int *g) {
        return atomic_load_explicit(g, memory_order_relaxed);
}

/* The Prometheus text exposition of m into buf; returns its length (as
 * snprintf: the length it needed when that is >= size). */
size_t lr_metrics_render(const lr_metrics_t *m, char *buf, size_t size);

#endif
