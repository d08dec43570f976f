/*
 * numparse.h - whole-string integer parsing with a range, for command-line
 * options and config values: one wording of the error everywhere.
 */
#ifndef LR_NUMPARSE_H
#define LR_NUMPARSE_H

#include <stddef.h>

/* Parses all of s as a base-10 integer in lo..hi into *out. 0, or -1 with
 * errstr `<name>: "<s>" is not an integer in <lo>..<hi>`. */
int lr_parse_ll(const char *name, const char *s, long long lo, long long hi,
                long long *out, char *errstr, size_t errstr_size);

/* The same into an int (lo and hi within int's range). */
int lr_parse_int(const char *name, const char *s, int lo, int hi, int *out,
                 char *errstr, size_t errstr_size);

/* A command-line option: like lr_parse_ll, the error printed to stderr as
 * "<cmd>: <error>". */
int lr_parse_opt(const char *cmd, const char *opt, const char *s, long long lo,
                 long long hi, long long *out);

#endif
