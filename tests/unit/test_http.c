/*
 * test_http.c - the worker's HTTP endpoint on a loopback socket: address
 * parsing, /metrics text, /healthz following Redis, 404/405, stop.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "http.h"

/* The whole response to `request` on 127.0.0.1:port. */
static const char *ask(int port, const char *request) {
        static char buf[8192];
        struct sockaddr_in sa;
        size_t got = 0;
        ssize_t n;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        memset(&sa, 0, sizeof(sa));
        sa.sin_family      = AF_INET;
        sa.sin_port        = htons((uint16_t)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        buf[0]             = '\0';
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
                if (fd >= 0)
                        close(fd);
                return "(connect failed)";
        }
        if (send(fd, request, strlen(request), 0) < 0) {
                close(fd);
                return "(send failed)";
        }
        while (got < sizeof(buf) - 1 &&
               (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
                got += (size_t)n;
        buf[got] = '\0';
        close(fd);
        return buf;
}

static void test_split(void) {
        char host[64];
        int port = -1;
        CHECK_INT(lr_http_split("127.0.0.1:9464", host, sizeof(host), &port),
                  0);
        CHECK_STR(host, "127.0.0.1");
        CHECK_INT(port, 9464);
        CHECK_INT(lr_http_split("[::1]:0", host, sizeof(host), &port), 0);
        CHECK_STR(host, "::1");
        CHECK_INT(port, 0);
        CHECK_INT(lr_http_split("0.0.0.0:65535", host, sizeof(host), &port), 0);
        CHECK_INT(lr_http_split("9464", host, sizeof(host), &port), -1);
        CHECK_INT(lr_http_split(":9464", host, sizeof(host), &port), -1);
        CHECK_INT(lr_http_split("host:", host, sizeof(host), &port), -1);
        CHECK_INT(lr_http_split("host:65536", host, sizeof(host), &port), -1);
        CHECK_INT(lr_http_split("host:12x", host, sizeof(host), &port), -1);
        CHECK_INT(lr_http_split("[::1:80", host, sizeof(host), &port), -1);
}

static void test_render(void) {
        lr_metrics_t m;
        char buf[4096], tiny[16];
        size_t len;

        memset(&m, 0, sizeof(m));
        lr_metric_add(&m.decisions, 41);
        lr_metric_add(&m.decisions, 1);
        lr_gauge_set(&m.redis_up, 1);
        len = lr_metrics_render(&m, buf, sizeof(buf));
        CHECK(len == strlen(buf));
        CHECK(strstr(buf, "\nleadrouter_decisions_total 42\n") != NULL);
        CHECK(strstr(buf, "# TYPE leadrouter_events_total counter\n") != NULL);
        CHECK(strstr(buf, "\nleadrouter_redis_up 1\n") != NULL);
        CHECK(strstr(buf, "\nleadrouter_consumption_paused 0\n") != NULL);
        /* Too small a buffer: truncated, and the length it needed. */
        CHECK_INT(lr_metrics_render(&m, tiny, sizeof(tiny)), len);
        CHECK_INT(strlen(tiny), sizeof(tiny) - 1);
}

static void test_serve(void) {
        lr_metrics_t m;
        lr_http_t *h, *busy;
        char err[256], addr[64];
        int port;

        memset(&m, 0, sizeof(m));
        h = lr_http_start("127.0.0.1:0", &m, err, sizeof(err));
        CHECK(h != NULL);
        if (!h)
                return;
        port = lr_http_port(h);
        CHECK(port > 0);
        CHECK(strstr(ask(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
                     "HTTP/1.1 503 ") != NULL);
        lr_gauge_set(&m.redis_up, 1);
        CHECK(strstr(ask(port, "GET /healthz HTTP/1.1\r\n\r\n"),
                     "HTTP/1.1 200 OK\r\n") != NULL);
        lr_metric_add(&m.events, 7);
        CHECK(strstr(ask(port, "GET /metrics HTTP/1.1\r\n\r\n"),
                     "\nleadrouter_events_total 7\n") != NULL);
        CHECK(strstr(ask(port, "GET /nope HTTP/1.1\r\n\r\n"),
                     "HTTP/1.1 404 ") != NULL);
        CHECK(strstr(ask(port, "POST /metrics HTTP/1.1\r\n\r\n"),
                     "HTTP/1.1 405 ") != NULL);
        /* The port is taken: start-up names the key and the address. */
        snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
        busy = lr_http_start(addr, &m, err, sizeof(err));
        CHECK(busy == NULL);
        CHECK(strstr(err, "http.listen: cannot serve on 127.0.0.1:") != NULL);
        lr_http_stop(busy);
        lr_http_stop(h);
        CHECK_STR(ask(port, "GET /healthz HTTP/1.1\r\n\r\n"),
                  "(connect failed)");
}

int main(void) {
        test_split();
        test_render();
        test_serve();
        CHECK_DONE();
}
