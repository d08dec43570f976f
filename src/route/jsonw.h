/*
 * jsonw.h - a JSON writer for the records the core stores (decisions, tier
 * changes): appends to an lr_buf_t, keys in the caller's order, no tree.
 * A decision is written for every lead (and for every timer decision twice),
 * and building a jansson tree for it cost more than routing it.
 */
#ifndef LR_JSONW_H
#define LR_JSONW_H

#include <stdint.h>

#include "pack.h"

typedef struct lr_jw_s {
        lr_buf_t *b;
        int first; /* no member written yet in the innermost object/array */
} lr_jw_t;

void lr_jw_init(lr_jw_t *w, lr_buf_t *b);
void lr_jw_open(lr_jw_t *w, const char *key, char c);       /* '{' or '[' */
void lr_jw_close(lr_jw_t *w, char c);                       /* '}' or ']' */
void lr_jw_str(lr_jw_t *w, const char *key, const char *s); /* NULL: "" */
void lr_jw_int(lr_jw_t *w, const char *key, int64_t v);
void lr_jw_num(lr_jw_t *w, const char *key,
               double v); /* 17 digits; NaN: null */
void lr_jw_null(lr_jw_t *w, const char *key);
/* The text written, NUL-terminated, malloc()ed; the buffer is taken. */
char *lr_jw_take(lr_jw_t *w);

#endif
