/*
 * pack.h - the compact binary form of the routing state in the store:
 * varints (zigzag for signed), little-endian doubles, length-prefixed
 * strings (0 = NULL). Writers append to a growing buffer; readers keep a
 * sticky error, so a decoder reads as a flat list of gets and checks once
 * at the end (as the codec's encoders do).
 */
#ifndef LR_PACK_H
#define LR_PACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr_buf_s {
        char *p;
        size_t len, cap;
} lr_buf_t;

void lr_buf_free(lr_buf_t *b);
/* Appends n bytes, keeping room for a NUL after them. */
void lr_buf_put(lr_buf_t *b, const void *p, size_t n);
void lr_put_u64(lr_buf_t *b, uint64_t v);
void lr_put_i64(lr_buf_t *b, int64_t v);
void lr_put_f64(lr_buf_t *b, double v);
void lr_put_str(lr_buf_t *b, const char *s); /* NULL allowed */

typedef struct lr_rd_s {
        const unsigned char *p, *end;
        int err;
} lr_rd_t;

void lr_rd_init(lr_rd_t *r, const void *p, size_t len);
uint64_t lr_get_u64(lr_rd_t *r);
int64_t lr_get_i64(lr_rd_t *r);
int lr_get_int(lr_rd_t *r); /* an i64 that must fit an int */
double lr_get_f64(lr_rd_t *r);
char *lr_get_str(lr_rd_t *r); /* malloc()ed, NULL for NULL */
/* 0 when everything was read without error and nothing is left. */
int lr_rd_done(const lr_rd_t *r);

#endif
