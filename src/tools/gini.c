/* gini.c - see gini.h. */
#include <math.h>

#include "gini.h"

double lr_gini(const int64_t *x, size_t n) {
        double sum = 0, diff = 0;
        size_t i, j;

        for (i = 0; i < n; i++) {
                sum += (double)x[i];
                for (j = 0; j < n; j++)
                        diff += fabs((double)x[i] - (double)x[j]);
        }
        return sum > 0 ? diff / (2.0 * (double)n * sum) : 0;
}
