/*
 * check.h - the few assertion macros the unit tests share. A failed check
 * prints file:line and the expression and makes the test exit non-zero.
 * Also check_source_file(): a file of the source tree (LR_SOURCE_DIR, set
 * by tests/CMakeLists.txt), e.g. a test-only schema of tests/schemas/.
 */
#ifndef LR_CHECK_H
#define LR_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lr_check_failures;

#define CHECK(cond)                                                            \
        do {                                                                   \
                if (!(cond)) {                                                 \
                        fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
                                __LINE__, #cond);                              \
                        lr_check_failures++;                                   \
                }                                                              \
        } while (0)

#define CHECK_INT(a, b)                                                        \
        do {                                                                   \
                long long _a = (long long)(a), _b = (long long)(b);            \
                if (_a != _b) {                                                \
                        fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",  \
                                __FILE__, __LINE__, #a, _a, _b);               \
                        lr_check_failures++;                                   \
                }                                                              \
        } while (0)

#define CHECK_NEAR(a, b, eps)                                                  \
        do {                                                                   \
                double _a = (a), _b = (b);                                     \
                if (!(fabs(_a - _b) <= (eps))) {                               \
                        fprintf(stderr, "%s:%d: %s == %.9g, expected %.9g\n",  \
                                __FILE__, __LINE__, #a, _a, _b);               \
                        lr_check_failures++;                                   \
                }                                                              \
        } while (0)

#define CHECK_STR(a, b)                                                        \
        do {                                                                   \
                const char *_a = (a), *_b = (b);                               \
                if (!_a || !_b || strcmp(_a, _b)) {                            \
                        fprintf(stderr,                                        \
                                "%s:%d: %s == \"%s\", expected \"%s\"\n",      \
                                __FILE__, __LINE__, #a, _a ? _a : "(null)",    \
                                _b ? _b : "(null)");                           \
                        lr_check_failures++;                                   \
                }                                                              \
        } while (0)

#ifdef LR_SOURCE_DIR
/* The contents of LR_SOURCE_DIR/relpath, malloc()ed and NUL-terminated, or
 * NULL (said on stderr). */
static inline char *check_source_file(const char *relpath) {
        char path[1024];
        FILE *f;
        long n;
        char *buf = NULL;

        snprintf(path, sizeof(path), "%s/%s", LR_SOURCE_DIR, relpath);
        if (!(f = fopen(path, "rb"))) {
                fprintf(stderr, "cannot open %s\n", path);
                return NULL;
        }
        if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
            fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
            fread(buf, 1, (size_t)n, f) == (size_t)n) {
                buf[n] = '\0';
        } else {
                fprintf(stderr, "cannot read %s\n", path);
                free(buf);
                buf = NULL;
        }
        fclose(f);
        return buf;
}
#endif

#define CHECK_DONE()                                                           \
        do {                                                                   \
                if (lr_check_failures) {                                       \
                        fprintf(stderr, "%d check(s) failed\n",                \
                                lr_check_failures);                            \
                        return 1;                                              \
                }                                                              \
                printf("ok\n");                                                \
                return 0;                                                      \
        } while (0)

#endif
