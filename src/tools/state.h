/*
 * state.h - `leadrouter state export|import` (see state.c).
 */
#ifndef LR_STATE_H
#define LR_STATE_H

#include <stdio.h>

#include "config.h"
#include "store.h"

/* Writes the tenant's stored state as one JSON document to out. */
int lr_state_export(lr_store_t *st, const char *tenant, FILE *out, char *errstr,
                    size_t errstr_size);

/* Reads a state file: the tenant it was exported from and its keys (free
 * with lr_store_raw_free, and *tenant with free(), also after an error). */
int lr_state_read(FILE *in, char **tenant, lr_store_raw_key_t **keys,
                  size_t *cnt, char *errstr, size_t errstr_size);

/* The options of `state` besides --config/--set. */
typedef struct lr_state_args_s {
        const char *verb, *tenant, *file;
        int replace;
} lr_state_args_t;

int lr_state_args_opt(int argc, char **argv, int i, void *args);

/* `leadrouter state export --tenant T [--file F]` / `state import [--tenant
 * T] [--replace] [--file F]`. Returns the exit status. */
int lr_state_main(const lr_config_t *cfg, const lr_state_args_t *a);

#endif
