/*
 * numparse.c - see numparse.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "numparse.h"

int lr_parse_ll(const char *name, const char *s, long long lo, long long hi,
                long long *out, char *errstr, size_t errstr_size) {
        char *end;
        long long v;

        errno = 0;
        v     = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < lo || v > hi) {
                snprintf(errstr, errstr_size,
                         "%s: \"%s\" is not an integer in %lld..%lld", name, s,
                         lo, hi);
                return -1;
        }
        *out = v;
        return 0;
}

int lr_parse_opt(const char *cmd, const char *opt, const char *s, long long lo,
                 long long hi, long long *out) {
        char errstr[512];
        if (!lr_parse_ll(opt, s, lo, hi, out, errstr, sizeof(errstr)))
                return 0;
        fprintf(stderr, "%s: %s\n", cmd, errstr);
        return -1;
}

int lr_parse_int(const char *name, const char *s, int lo, int hi, int *out,
                 char *errstr, size_t errstr_size) {
        long long v;
        if (lr_parse_ll(name, s, lo, hi, &v, errstr, errstr_size))
                return -1;
        *out = (int)v;
        return 0;
}
