/* log.c - see log.h. Records are written with one write() each so lines of
 * concurrent threads do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int lr_log_threshold(void) {
        static int level = -1;
        if (level < 0) {
                const char *s = getenv("LEADROUTER_LOG_LEVEL");
                level         = LR_LOG_INFO;
                if (s && !strcasecmp(s, "debug"))
                        level = LR_LOG_DEBUG;
                else if (s && !strcasecmp(s, "warn"))
                        level = LR_LOG_WARN;
                else if (s && !strcasecmp(s, "error"))
                        level = LR_LOG_ERROR;
        }
        return level;
}

void lr_log(lr_log_level_t level, const char *module, const char *fmt, ...) {
        static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
        char line[2048];
        struct timespec ts;
        struct tm tm;
        size_t of;
        va_list ap;
        int r;

        if ((int)level < lr_log_threshold())
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        of = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
        r  = snprintf(line + of, sizeof(line) - of,
                      ".%03ldZ %s %s: ", ts.tv_nsec / 1000000, names[level],
                      module);
        of += (size_t)r;
        va_start(ap, fmt);
        r = vsnprintf(line + of, sizeof(line) - of - 1, fmt, ap);
        va_end(ap);
        of += r < 0 ? 0 : (size_t)r;
        if (of > sizeof(line) - 2)
                of = sizeof(line) - 2;
        line[of++] = '\n';
        if (write(STDERR_FILENO, line, of) < 0)
                return;
}
