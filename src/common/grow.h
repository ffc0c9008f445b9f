/* A byte buffer that grows to what is needed and is reused (frame copies, decoded images). */
#ifndef AU_COMMON_GROW_H
#define AU_COMMON_GROW_H

#include <stddef.h>
#include <stdint.h>

/* Makes *buf (malloc'd, *cap bytes, or NULL and 0) hold at least `need` bytes, reallocating
 * only when it is too small (the contents are kept). Returns 1, or 0 when out of memory
 * (*buf and *cap unchanged). */
int au_grow_bytes(uint8_t **buf, size_t *cap, size_t need);

#endif
