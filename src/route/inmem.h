/*
 * inmem.h - a tenant that lives in memory only (replay, and any other user
 * of the core that never writes to the store). The core records every
 * change for persist.c to turn into a store write; without a write that
 * record only grows, costing memory in proportion to the history and time
 * in the dirty lists' linear removals. lr_tenant_forget_changes() drops
 * it, as a write would, and acks the outbox (nothing will re-publish it).
 */
#ifndef LR_INMEM_H
#define LR_INMEM_H

#include "route.h"

/* Forgets the changes recorded since the last call (or the last store
 * write) and the outbox: what a write and a delivered outbox would clear.
 * The routing state itself is unchanged. */
void lr_tenant_forget_changes(lr_tenant_t *t);

#endif
