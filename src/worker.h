/*
 * worker.h - `leadrouter run`: the consume -> apply -> publish -> commit
 * loop, and the one place that decides, for every error, retry (Redis,
 * registry), dead-letter (bad message) or exit (fatal Kafka error).
 */
#ifndef LR_WORKER_H
#define LR_WORKER_H

#include <signal.h>

#include "config.h"

/* Runs until *stop is set (SIGINT/SIGTERM) or a fatal error.
 * Returns the process exit status: 0 clean shutdown, 1 fatal error. */
int lr_worker_run(const lr_config_t *cfg, volatile sig_atomic_t *stop);

#endif
