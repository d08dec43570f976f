/*
 * dict.h - string -> pointer hash map (open addressing, linear probing,
 * backward-shift deletion) for the routing core's reps, leads and events.
 * Keys are borrowed: each value owns its key string (a rep its id), so a
 * tenant holds every id once.
 */
#ifndef LR_DICT_H
#define LR_DICT_H

#include <stddef.h>
#include <stdint.h>

typedef struct lr_dict_s {
        struct lr_dict_slot_s *slots;
        size_t size, cnt;
} lr_dict_t;

void lr_dict_init(lr_dict_t *d);
void lr_dict_destroy(lr_dict_t *d); /* keys and values are the caller's */
void *lr_dict_get(const lr_dict_t *d, const char *key);
/* Inserts or replaces; key must live as long as the entry. */
void lr_dict_set(lr_dict_t *d, const char *key, void *value);
/* The stored key equal to key (the pointer the entry borrows), or NULL. */
const char *lr_dict_key(const lr_dict_t *d, const char *key);
/* Removes key; returns its value, NULL when absent. */
void *lr_dict_del(lr_dict_t *d, const char *key);

/* Iteration: for (i = 0; lr_dict_next(d, &i, &k, &v);) ... The order is
 * the table's, not sorted; do not insert or delete while iterating. */
int lr_dict_next(const lr_dict_t *d, size_t *i, const char **key, void **value);

uint64_t lr_dict_hash(const char *s);
/* FNV-1a of a string: the base of lr_dict_hash and of seen.c's fingerprints. */
uint64_t lr_fnv1a(const char *s);

#endif
