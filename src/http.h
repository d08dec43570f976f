/*
 * http.h - the worker's HTTP endpoint (`http.listen`): GET /metrics (the
 * Prometheus text of metrics.h) and GET /healthz (200 while Redis answers,
 * 503 during an outage), served from a thread of its own so that a slow
 * scraper never holds up the consume loop.
 */
#ifndef LR_HTTP_H
#define LR_HTTP_H

#include <stddef.h>

#include "metrics.h"

typedef struct lr_http_s lr_http_t;

/* Listens on `listen` ("HOST:PORT", "[v6]:PORT"; port 0 = any free one)
 * and serves m until lr_http_stop(). NULL with errstr when it cannot. */
lr_http_t *lr_http_start(const char *listen, const lr_metrics_t *m,
                         char *errstr, size_t errstr_size);

/* The port it listens on (the chosen one for port 0). */
int lr_http_port(const lr_http_t *h);

/* Stops the thread and closes the socket. NULL is fine. */
void lr_http_stop(lr_http_t *h);

/* Splits "HOST:PORT" / "[v6]:PORT" into host (brackets dropped) and port:
 * 0, or -1 when it is not of that form (config validation uses it too). */
int lr_http_split(const char *listen, char *host, size_t host_size, int *port);

#endif
