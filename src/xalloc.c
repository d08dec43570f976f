/* xalloc.c - see xalloc.h. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

static void *lr_xcheck(void *p) {
        if (!p) {
                lr_error("xalloc", "out of memory");
                abort();
        }
        return p;
}

void *lr_xmalloc(size_t size) {
        return lr_xcheck(malloc(size ? size : 1));
}

void *lr_xcalloc(size_t n, size_t size) {
        return lr_xcheck(calloc(n ? n : 1, size ? size : 1));
}

void *lr_xrealloc(void *p, size_t size) {
        return lr_xcheck(realloc(p, size ? size : 1));
}

char *lr_xstrdup(const char *s) {
        return s ? lr_xcheck(strdup(s)) : NULL;
}

char *lr_xstrndup(const char *s, size_t n) {
        char *d = lr_xmalloc(n + 1);
        memcpy(d, s, n);
        d[n] = '\0';
        return d;
}

void lr_xgrow(void *array, size_t *cap, size_t need, size_t size) {
        void **a = array;
        size_t c = *cap;
        if (need <= c)
                return;
        if (c < 8)
                c = 8;
        while (c < need)
                c *= 2;
        *a   = lr_xrealloc(*a, c * size);
        *cap = c;
}
