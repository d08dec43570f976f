/* gini.h - the Gini coefficient of leads per rep, as simulate and the
 * replay's what-if report fairness. */
#ifndef LR_GINI_H
#define LR_GINI_H

#include <stddef.h>
#include <stdint.h>

/* Gini coefficient of x[0..n) (0 = equal shares, 0 for an empty or all-zero
 * x). */
double lr_gini(const int64_t *x, size_t n);

#endif
