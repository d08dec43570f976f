/*
 * inmem.c - see inmem.h. Kept apart from tenant.c so that the in-memory
 * users of the core need nothing of tenant.h, the core's private layout.
 */
#include "inmem.h"
#include "tenant.h"

void lr_tenant_forget_changes(lr_tenant_t *t) {
        lr_tenant_outbox_ack(t, lr_tenant_outbox_mark(t));
        lr_tenant_clear_changes(t);
}
