#include "tool_memory.h"

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

void au_tool_limit_malloc_arenas(void)
{
#ifdef M_ARENA_MAX
    (void)mallopt(M_ARENA_MAX, 2);
#endif
}
