#include "common/memory_budget.h"

#include <unistd.h>

size_t au_machine_memory_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    return pages > 0 && page_size > 0 ? (size_t)pages * (size_t)page_size : 0;
}

size_t au_default_frame_budget_bytes(void)
{
    const size_t cap = (size_t)AU_DEFAULT_MAX_MEMORY_MB << 20;
    const size_t quarter_ram = au_machine_memory_bytes() / 4;
    return quarter_ram > 0 && quarter_ram < cap ? quarter_ram : cap;
}
