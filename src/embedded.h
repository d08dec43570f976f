/*
 * embedded.h - files compiled into the binary (cmake/embed.cmake): the
 * Redis Functions library and the Avro schemas, so that the binary runs
 * from anywhere with no data files beside it.
 */
#ifndef LR_EMBEDDED_H
#define LR_EMBEDDED_H

#include <stddef.h>

typedef struct lr_embedded_s {
        const char *name; /* base name, e.g. "functions.lua" */
        const char *data; /* NUL-terminated */
        size_t len;
} lr_embedded_t;

extern const lr_embedded_t lr_embedded[];
extern const size_t lr_embedded_cnt;

/* The embedded file called name, or NULL. */
const lr_embedded_t *lr_embedded_find(const char *name);

#endif
