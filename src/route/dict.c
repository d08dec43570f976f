/* dict.c - see dict.h. Grows at 50% load. */
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "xalloc.h"

struct lr_dict_slot_s {
        const char *key;
        void *value;
};

uint64_t lr_fnv1a(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        while (*s)
                h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
        return h;
}

uint64_t lr_dict_hash(const char *s) {
        uint64_t h = lr_fnv1a(s);
        return h ^ (h >> 29);
}

void lr_dict_init(lr_dict_t *d) {
        memset(d, 0, sizeof(*d));
}

void lr_dict_destroy(lr_dict_t *d) {
        free(d->slots);
        memset(d, 0, sizeof(*d));
}

static size_t lr_dict_find(const lr_dict_t *d, const char *key) {
        size_t mask = d->size - 1, i = lr_dict_hash(key) & mask;
        while (d->slots[i].key && strcmp(d->slots[i].key, key))
                i = (i + 1) & mask;
        return i;
}

void *lr_dict_get(const lr_dict_t *d, const char *key) {
        if (!d->cnt)
                return NULL;
        return d->slots[lr_dict_find(d, key)].value;
}

const char *lr_dict_key(const lr_dict_t *d, const char *key) {
        if (!d->cnt)
                return NULL;
        return d->slots[lr_dict_find(d, key)].key;
}

static void lr_dict_resize(lr_dict_t *d, size_t size) {
        struct lr_dict_slot_s *old = d->slots;
        size_t i, n = d->size;
        d->slots = lr_xcalloc(size, sizeof(*d->slots));
        d->size  = size;
        for (i = 0; i < n; i++)
                if (old[i].key)
                        d->slots[lr_dict_find(d, old[i].key)] = old[i];
        free(old);
}

void lr_dict_set(lr_dict_t *d, const char *key, void *value) {
        size_t i;
        if ((d->cnt + 1) * 2 > d->size)
                lr_dict_resize(d, d->size ? d->size * 2 : 16);
        i = lr_dict_find(d, key);
        if (!d->slots[i].key)
                d->cnt++;
        d->slots[i].key   = key;
        d->slots[i].value = value;
}

void *lr_dict_del(lr_dict_t *d, const char *key) {
        size_t mask, i, j;
        void *v;
        if (!d->cnt)
                return NULL;
        mask = d->size - 1;
        i    = lr_dict_find(d, key);
        if (!d->slots[i].key)
                return NULL;
        v = d->slots[i].value;
        /* Backward shift: move later entries of the run into the hole
         * when their home slot is not between the hole and them. */
        for (j = (i + 1) & mask; d->slots[j].key; j = (j + 1) & mask) {
                size_t home = lr_dict_hash(d->slots[j].key) & mask;
                if ((j > i && (home <= i || home > j)) ||
                    (j < i && (home <= i && home > j))) {
                        d->slots[i] = d->slots[j];
                        i           = j;
                }
        }
        d->slots[i].key   = NULL;
        d->slots[i].value = NULL;
        d->cnt--;
        return v;
}

int lr_dict_next(const lr_dict_t *d, size_t *i, const char **key,
                 void **value) {
        while (*i < d->size) {
                struct lr_dict_slot_s *s = &d->slots[(*i)++];
                if (s->key) {
                        if (key)
                                *key = s->key;
                        if (value)
                                *value = s->value;
                        return 1;
                }
        }
        return 0;
}
