/*
 * log.h - one-line log records on stderr: "<iso time> <level> <module>: msg".
 * LEADROUTER_LOG_LEVEL=debug|info|warn|error picks the threshold.
 */
#ifndef LR_LOG_H
#define LR_LOG_H

typedef enum {
        LR_LOG_DEBUG = 0,
        LR_LOG_INFO,
        LR_LOG_WARN,
        LR_LOG_ERROR
} lr_log_level_t;

void lr_log(lr_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define lr_debug(mod, ...) lr_log(LR_LOG_DEBUG, mod, __VA_ARGS__)
#define lr_info(mod, ...) lr_log(LR_LOG_INFO, mod, __VA_ARGS__)
#define lr_warn(mod, ...) lr_log(LR_LOG_WARN, mod, __VA_ARGS__)
#define lr_error(mod, ...) lr_log(LR_LOG_ERROR, mod, __VA_ARGS__)

#endif
