/*
 * version.h - `leadrouter --version`: this build's version, the versions of
 * the libraries it was built with and runs with, and the version of the
 * Redis server its configuration points at (or that it is unreachable):
 * what a bug report needs.
 */
#ifndef LR_VERSION_H
#define LR_VERSION_H

#include <stdio.h>

#include "config.h"

/* The leadrouter version (CMake's project version). */
const char *lr_version(void);

/* Prints the versions to fp, asking cfg->redis_url's server with a short
 * timeout. */
void lr_version_print(FILE *fp, const lr_config_t *cfg);

#endif
