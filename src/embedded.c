/* embedded.c - lookup over the files cmake/embed.cmake compiled in. */
#include <string.h>

#include "embedded.h"

const lr_embedded_t *lr_embedded_find(const char *name) {
        size_t i;
        for (i = 0; i < lr_embedded_cnt; i++)
                if (!strcmp(lr_embedded[i].name, name))
                        return &lr_embedded[i];
        return NULL;
}
