/*
 * xalloc.h - the one allocation-failure policy of leadrouter (librdkafka's
 * rd_malloc): an allocation that fails logs and aborts. The worker holds no
 * state that a restart cannot rebuild from Redis and Kafka, so there is
 * nothing sane to unwind to, and every caller is spared a branch it could
 * not test.
 */
#ifndef LR_XALLOC_H
#define LR_XALLOC_H

#include <stddef.h>

void *lr_xmalloc(size_t size);
void *lr_xcalloc(size_t n, size_t size);
void *lr_xrealloc(void *p, size_t size);
char *lr_xstrdup(const char *s); /* NULL stays NULL */
char *lr_xstrndup(const char *s, size_t n);

/* Grows *array (of elements of `size` bytes, *cap of them) to hold at least
 * `need`, doubling. */
void lr_xgrow(void *array, size_t *cap, size_t need, size_t size);

#endif
