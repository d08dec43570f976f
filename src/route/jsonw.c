/* jsonw.c - see jsonw.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

void lr_jw_init(lr_jw_t *w, lr_buf_t *b) {
        w->b     = b;
        w->first = 1;
}

/* The length of the valid UTF-8 sequence at p (1-4), 0 when invalid:
 * jansson, which reads these records back, rejects a document with one. */
static size_t lr_utf8_len(const unsigned char *p, const unsigned char *end) {
        size_t n, i;
        uint32_t cp;
        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                n = 2, cp = p[0] & 0x1f;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                n = 3, cp = p[0] & 0x0f;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                n = 4, cp = p[0] & 0x07;
        else
                return 0;
        if ((size_t)(end - p) < n)
                return 0;
        for (i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
                return 0;
        return n;
}

/* A JSON string; a byte that is not valid UTF-8 becomes U+FFFD. */
static void lr_jw_quoted(lr_buf_t *b, const char *s) {
        const unsigned char *p = (const unsigned char *)s, *end, *run;
        end                    = p + strlen(s);
        lr_buf_put(b, "\"", 1);
        run = p;
        while (p < end) {
                char esc[8];
                const char *rep = NULL;
                size_t n        = lr_utf8_len(p, end);
                if (n > 1 ||
                    (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\')) {
                        p += n;
                        continue;
                }
                if (n == 0)
                        rep = "\\ufffd";
                else if (*p == '"')
                        rep = "\\\"";
                else if (*p == '\\')
                        rep = "\\\\";
                else if (*p == '\n')
                        rep = "\\n";
                else if (*p == '\t')
                        rep = "\\t";
                else if (*p == '\r')
                        rep = "\\r";
                else {
                        snprintf(esc, sizeof(esc), "\\u%04x", *p);
                        rep = esc;
                }
                lr_buf_put(b, run, (size_t)(p - run));
                lr_buf_put(b, rep, strlen(rep));
                run = ++p;
        }
        lr_buf_put(b, run, (size_t)(p - run));
        lr_buf_put(b, "\"", 1);
}

static void lr_jw_key(lr_jw_t *w, const char *key) {
        if (!w->first)
                lr_buf_put(w->b, ",", 1);
        w->first = 0;
        if (key) {
                lr_jw_quoted(w->b, key);
                lr_buf_put(w->b, ":", 1);
        }
}

void lr_jw_open(lr_jw_t *w, const char *key, char c) {
        lr_jw_key(w, key);
        lr_buf_put(w->b, &c, 1);
        w->first = 1;
}

void lr_jw_close(lr_jw_t *w, char c) {
        lr_buf_put(w->b, &c, 1);
        w->first = 0;
}

void lr_jw_str(lr_jw_t *w, const char *key, const char *s) {
        lr_jw_key(w, key);
        lr_jw_quoted(w->b, s ? s : "");
}

void lr_jw_int(lr_jw_t *w, const char *key, int64_t v) {
        char tmp[24];
        int n = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
        lr_jw_key(w, key);
        lr_buf_put(w->b, tmp, (size_t)n);
}

void lr_jw_num(lr_jw_t *w, const char *key, double v) {
        char tmp[40];
        int n;
        if (!isfinite(v)) {
                lr_jw_null(w, key);
                return;
        }
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
        /* a real stays a real when read back (jansson does the same) */
        if (!strpbrk(tmp, ".eE"))
                n += snprintf(tmp + n, sizeof(tmp) - (size_t)n, ".0");
        lr_jw_key(w, key);
        lr_buf_put(w->b, tmp, (size_t)n);
}

void lr_jw_null(lr_jw_t *w, const char *key) {
        lr_jw_key(w, key);
        lr_buf_put(w->b, "null", 4);
}

char *lr_jw_take(lr_jw_t *w) {
        char *s;
        lr_buf_put(w->b, "", 0); /* lr_buf_put keeps room for the NUL */
        w->b->p[w->b->len] = '\0';
        s                  = w->b->p;
        memset(w->b, 0, sizeof(*w->b));
        return s;
}
