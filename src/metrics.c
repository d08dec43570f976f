/*
 * metrics.c - see metrics.h.
 */
#include <stdio.h>

#include "metrics.h"

size_t lr_metrics_render(const lr_metrics_t *m, char *buf, size_t size) {
        static const struct {
                const char *name, *help;
                size_t off;
        } counters[] = {
            {"leadrouter_events_total", "Input events applied to Redis.",
             offsetof(lr_metrics_t, events)},
            {"leadrouter_duplicate_events_total",
             "Input events seen before (no-ops, decisions re-published).",
             offsetof(lr_metrics_t, duplicates)},
            {"leadrouter_decisions_total", "LeadAssigned events produced.",
             offsetof(lr_metrics_t, decisions)},
            {"leadrouter_tier_changes_total", "RepTierChanged events produced.",
             offsetof(lr_metrics_t, tier_changes)},
            {"leadrouter_dead_letters_total",
             "Messages sent to the dead-letter topic.",
             offsetof(lr_metrics_t, dead_letters)},
            {"leadrouter_batches_total",
             "Batches whose offsets were committed.",
             offsetof(lr_metrics_t, batches)},
        };
        size_t i, len = 0;
        int n;

        for (i = 0; i < sizeof(counters) / sizeof(*counters); i++) {
                const atomic_llong *c =
                    (const atomic_llong *)((const char *)m + counters[i].off);
                n = snprintf(buf + (len < size ? len : size),
                             len < size ? size - len : 0,
                             "# HELP %s %s\n# TYPE %s counter\n%s %lld\n",
                             counters[i].name, counters[i].help,
                             counters[i].name, counters[i].name,
                             lr_metric_get(c));
                len += n > 0 ? (size_t)n : 0;
        }
        n = snprintf(buf + (len < size ? len : size),
                     len < size ? size - len : 0,
                     "# HELP leadrouter_redis_up 1 when Redis answers, 0 "
                     "during an outage.\n"
                     "# TYPE leadrouter_redis_up gauge\n"
                     "leadrouter_redis_up %d\n"
                     "# HELP leadrouter_consumption_paused 1 while the "
                     "worker's partitions are paused.\n"
                     "# TYPE leadrouter_consumption_paused gauge\n"
                     "leadrouter_consumption_paused %d\n"
                     "# HELP leadrouter_routing_lag_seconds Event time to "
                     "decision, the largest of the last round of decisions.\n"
                     "# TYPE leadrouter_routing_lag_seconds gauge\n"
                     "leadrouter_routing_lag_seconds %.3f\n",
                     lr_gauge_get(&m->redis_up), lr_gauge_get(&m->paused),
                     (double)lr_metric_get(&m->routing_lag_ms) / 1000.0);
        len += n > 0 ? (size_t)n : 0;
        return len;
}
