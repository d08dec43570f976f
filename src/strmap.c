/* strmap.c - see strmap.h. Linear probing, grows at 50% load. */
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

typedef struct lr_strmap_slot_s {
        char *key;
        int64_t value;
} lr_strmap_slot_t;

struct lr_strmap_s {
        lr_strmap_slot_t *slots;
        size_t size, cnt;
};

static uint64_t lr_strmap_hash(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        while (*s)
                h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
        return h;
}

lr_strmap_t *lr_strmap_new(void) {
        lr_strmap_t *m = calloc(1, sizeof(*m));
        m->size        = 64;
        m->slots       = calloc(m->size, sizeof(*m->slots));
        return m;
}

void lr_strmap_clear(lr_strmap_t *m) {
        size_t i;
        for (i = 0; i < m->size; i++) {
                free(m->slots[i].key);
                m->slots[i].key = NULL;
        }
        m->cnt = 0;
}

void lr_strmap_free(lr_strmap_t *m) {
        if (!m)
                return;
        lr_strmap_clear(m);
        free(m->slots);
        free(m);
}

static lr_strmap_slot_t *lr_strmap_find(const lr_strmap_t *m, const char *key) {
        size_t i = (size_t)lr_strmap_hash(key) & (m->size - 1);
        while (m->slots[i].key && strcmp(m->slots[i].key, key))
                i = (i + 1) & (m->size - 1);
        return &m->slots[i];
}

int lr_strmap_get(const lr_strmap_t *m, const char *key, int64_t *value) {
        const lr_strmap_slot_t *s = lr_strmap_find(m, key);
        if (!s->key)
                return 0;
        *value = s->value;
        return 1;
}

void lr_strmap_set(lr_strmap_t *m, const char *key, int64_t value) {
        lr_strmap_slot_t *s = lr_strmap_find(m, key);
        if (s->key) {
                s->value = value;
                return;
        }
        if ((m->cnt + 1) * 2 > m->size) {
                lr_strmap_slot_t *old = m->slots;
                size_t i, oldsize = m->size;
                m->size *= 2;
                m->slots = calloc(m->size, sizeof(*m->slots));
                m->cnt   = 0;
                for (i = 0; i < oldsize; i++) {
                        if (old[i].key) {
                                *lr_strmap_find(m, old[i].key) = old[i];
                                m->cnt++;
                        }
                }
                free(old);
                s = lr_strmap_find(m, key);
        }
        s->key   = strdup(key);
        s->value = value;
        m->cnt++;
}
