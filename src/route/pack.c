/* pack.c - see pack.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "xalloc.h"

void lr_buf_free(lr_buf_t *b) {
        free(b->p);
        memset(b, 0, sizeof(*b));
}

void lr_buf_put(lr_buf_t *b, const void *p, size_t n) {
        lr_xgrow(&b->p, &b->cap, b->len + n + 1, 1);
        memcpy(b->p + b->len, p, n);
        b->len += n;
}

void lr_put_u64(lr_buf_t *b, uint64_t v) {
        unsigned char tmp[10];
        size_t n = 0;
        do {
                tmp[n] = (unsigned char)(v & 0x7f);
                v >>= 7;
                if (v)
                        tmp[n] |= 0x80;
                n++;
        } while (v);
        lr_buf_put(b, tmp, n);
}

void lr_put_i64(lr_buf_t *b, int64_t v) {
        lr_put_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void lr_put_f64(lr_buf_t *b, double v) {
        unsigned char tmp[8];
        uint64_t u;
        int i;
        memcpy(&u, &v, 8);
        for (i = 0; i < 8; i++)
                tmp[i] = (unsigned char)(u >> (8 * i));
        lr_buf_put(b, tmp, 8);
}

void lr_put_str(lr_buf_t *b, const char *s) {
        size_t n = s ? strlen(s) : 0;
        lr_put_u64(b, s ? n + 1 : 0);
        if (s)
                lr_buf_put(b, s, n);
}

void lr_rd_init(lr_rd_t *r, const void *p, size_t len) {
        r->p   = p;
        r->end = r->p + len;
        r->err = 0;
}

uint64_t lr_get_u64(lr_rd_t *r) {
        uint64_t v = 0;
        int shift  = 0;
        while (!r->err) {
                unsigned char c;
                if (r->p >= r->end || shift > 63) {
                        r->err = 1;
                        break;
                }
                c = *r->p++;
                v |= (uint64_t)(c & 0x7f) << shift;
                if (!(c & 0x80))
                        return v;
                shift += 7;
        }
        return 0;
}

int64_t lr_get_i64(lr_rd_t *r) {
        uint64_t u = lr_get_u64(r);
        return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int lr_get_int(lr_rd_t *r) {
        int64_t v = lr_get_i64(r);
        if (v < INT_MIN || v > INT_MAX) {
                r->err = 1;
                return 0;
        }
        return (int)v;
}

double lr_get_f64(lr_rd_t *r) {
        uint64_t u = 0;
        double v;
        int i;
        if (r->err || r->end - r->p < 8) {
                r->err = 1;
                return 0;
        }
        for (i = 0; i < 8; i++)
                u |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        memcpy(&v, &u, 8);
        return v;
}

char *lr_get_str(lr_rd_t *r) {
        uint64_t n = lr_get_u64(r);
        char *s;
        if (r->err || n == 0)
                return NULL;
        n--;
        if ((uint64_t)(r->end - r->p) < n) {
                r->err = 1;
                return NULL;
        }
        s = lr_xstrndup((const char *)r->p, (size_t)n);
        r->p += n;
        return s;
}

int lr_rd_done(const lr_rd_t *r) {
        return r->err || r->p != r->end ? -1 : 0;
}
