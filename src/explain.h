/*
 * explain.h - the one human sentence published with every decision
 * (LeadAssigned.explanation, SPEC §2), built from the decision alone so a
 * replay or an audit can rebuild it word for word.
 */
#ifndef LR_EXPLAIN_H
#define LR_EXPLAIN_H

#include "leadrouter/event.h"

/* A malloc()ed sentence explaining decision `a` (the caller frees it), or
 * NULL when out of memory. */
char *lr_explain(const lr_assigned_t *a);

/* Human phrase for a LeadAssigned.skipped `why` symbol ("in a meeting" for
 * IN_MEETING, ...); an unknown symbol is returned as given. */
const char *lr_explain_why(const char *why);

#endif
