/*
 * strmap.h - a small string -> int64 hash map (open addressing), for the
 * worker's per-tenant caches.
 */
#ifndef LR_STRMAP_H
#define LR_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr_strmap_s lr_strmap_t;

lr_strmap_t *lr_strmap_new(void);
void lr_strmap_free(lr_strmap_t *m);
/* 1 and *value if present, else 0. */
int lr_strmap_get(const lr_strmap_t *m, const char *key, int64_t *value);
void lr_strmap_set(lr_strmap_t *m, const char *key, int64_t value);
void lr_strmap_clear(lr_strmap_t *m);

#endif
