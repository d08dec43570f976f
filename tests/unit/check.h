/*
 * check.h - the few assertion macros the unit tests share. A failed check
 * prints file:line and the expression and makes the test exit non-zero.
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
