#include "common/grow.h"

#include <stdlib.h>

int au_grow_bytes(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 1;
    uint8_t *grown = realloc(*buf, need);
    if (!grown)
        return 0;
    *buf = grown;
    *cap = need;
    return 1;
}
