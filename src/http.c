/*
 * http.c - see http.h. One request per connection (Connection: close), one
 * connection at a time, each bounded by socket timeouts: enough for a
 * scraper and a health probe, nothing a client can use to stall the worker.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "http.h"
#include "log.h"

#define LR_HTTP_IO_TIMEOUT_MS 1000
#define LR_HTTP_BODY_MAX 4096

struct lr_http_s {
        const lr_metrics_t *m;
        int fd;
        int stop[2]; /* written to stop the thread */
        int port;
        pthread_t thr;
};

int lr_http_split(const char *listen, char *host, size_t host_size, int *port) {
        const char *colon = strrchr(listen, ':'), *h = listen, *p;
        size_t hlen;
        char *end;
        long v;

        if (!colon || colon == listen)
                return -1;
        hlen = (size_t)(colon - listen);
        if (*h == '[') { /* "[::1]:9464" */
                if (hlen < 3 || listen[hlen - 1] != ']')
                        return -1;
                h++;
                hlen -= 2;
        }
        p     = colon + 1;
        errno = 0;
        v     = strtol(p, &end, 10);
        if (!*p || *end || errno || v < 0 || v > 65535 || hlen >= host_size)
                return -1;
        memcpy(host, h, hlen);
        host[hlen] = '\0';
        *port      = (int)v;
        return 0;
}

static void lr_http_send(int fd, const char *status, const char *type,
                         const char *body, size_t len) {
        char head[256];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                         status, type, len);
        if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n)
                (void)send(fd, body, len, MSG_NOSIGNAL);
}

static void lr_http_text(int fd, const char *status, const char *text) {
        lr_http_send(fd, status, "text/plain", text, strlen(text));
}

static void lr_http_serve(lr_http_t *h, int fd) {
        struct timeval tv = {LR_HTTP_IO_TIMEOUT_MS / 1000,
                             (LR_HTTP_IO_TIMEOUT_MS % 1000) * 1000};
        char req[1024], body[LR_HTTP_BODY_MAX];
        size_t got = 0;
        ssize_t n;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        /* The request line is all that is read. */
        while (got < sizeof(req) - 1 &&
               (n = recv(fd, req + got, sizeof(req) - 1 - got, 0)) > 0) {
                got += (size_t)n;
                req[got] = '\0';
                if (strstr(req, "\r\n"))
                        break;
        }
        req[got] = '\0';
        if (!strncmp(req, "GET /metrics ", 13) ||
            !strncmp(req, "GET /metrics?", 13)) {
                size_t len = lr_metrics_render(h->m, body, sizeof(body));
                if (len >= sizeof(body))
                        len = sizeof(body) - 1;
                lr_http_send(fd, "200 OK", "text/plain; version=0.0.4", body,
                             len);
        } else if (!strncmp(req, "GET /healthz ", 13)) {
                if (lr_gauge_get(&h->m->redis_up))
                        lr_http_text(fd, "200 OK", "ok\n");
                else
                        lr_http_text(fd, "503 Service Unavailable",
                                     "redis unavailable\n");
        } else if (!strncmp(req, "GET ", 4)) {
                lr_http_text(fd, "404 Not Found",
                             "not found; try /metrics or /healthz\n");
        } else if (got) {
                lr_http_text(fd, "405 Method Not Allowed", "GET only\n");
        }
        close(fd);
}

static void *lr_http_main(void *arg) {
        lr_http_t *h         = arg;
        struct pollfd fds[2] = {{h->fd, POLLIN, 0}, {h->stop[0], POLLIN, 0}};

        for (;;) {
                int fd;
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        lr_error("http", "poll: %s", strerror(errno));
                        return NULL;
                }
                if (fds[1].revents)
                        return NULL;
                if (!(fds[0].revents & POLLIN))
                        continue;
                fd = accept(h->fd, NULL, NULL);
                if (fd >= 0)
                        lr_http_serve(h, fd);
        }
}

static int lr_http_listen(lr_http_t *h, const char *host, int port,
                          char *errstr, size_t errstr_size) {
        struct addrinfo hints, *res = NULL, *ai;
        struct sockaddr_storage sa;
        socklen_t salen = sizeof(sa);
        char ports[8];
        int err, one = 1;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family   = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags    = AI_PASSIVE;
        snprintf(ports, sizeof(ports), "%d", port);
        if ((err = getaddrinfo(*host ? host : NULL, ports, &hints, &res))) {
                snprintf(errstr, errstr_size, "%s", gai_strerror(err));
                return -1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
                h->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                               ai->ai_protocol);
                if (h->fd < 0)
                        continue;
                setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                if (!bind(h->fd, ai->ai_addr, ai->ai_addrlen) &&
                    !listen(h->fd, 16))
                        break;
                snprintf(errstr, errstr_size, "%s", strerror(errno));
                close(h->fd);
                h->fd = -1;
        }
        freeaddrinfo(res);
        if (h->fd < 0)
                return -1;
        if (!getsockname(h->fd, (struct sockaddr *)&sa, &salen))
                h->port = ntohs(sa.ss_family == AF_INET6
                                    ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                    : ((struct sockaddr_in *)&sa)->sin_port);
        return 0;
}

lr_http_t *lr_http_start(const char *listen, const lr_metrics_t *m,
                         char *errstr, size_t errstr_size) {
        lr_http_t *h;
        char host[256], err[256] = "no address";
        int port;

        if (lr_http_split(listen, host, sizeof(host), &port)) {
                snprintf(errstr, errstr_size,
                         "http.listen: \"%s\" is not HOST:PORT", listen);
                return NULL;
        }
        if (!(h = calloc(1, sizeof(*h)))) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->m       = m;
        h->fd      = -1;
        h->stop[0] = h->stop[1] = -1;
        if (lr_http_listen(h, host, port, err, sizeof(err)) || pipe(h->stop) ||
            pthread_create(&h->thr, NULL, lr_http_main, h)) {
                snprintf(errstr, errstr_size,
                         "http.listen: cannot serve on %s: %s", listen,
                         h->fd < 0 ? err : strerror(errno));
                if (h->fd >= 0)
                        close(h->fd);
                if (h->stop[0] >= 0) {
                        close(h->stop[0]);
                        close(h->stop[1]);
                }
                free(h);
                return NULL;
        }
        return h;
}

int lr_http_port(const lr_http_t *h) {
        return h->port;
}

void lr_http_stop(lr_http_t *h) {
        if (!h)
                return;
        if (write(h->stop[1], "x", 1) != 1)
                lr_warn("http", "stopping: %s", strerror(errno));
        pthread_join(h->thr, NULL);
        close(h->fd);
        close(h->stop[0]);
        close(h->stop[1]);
        free(h);
}
