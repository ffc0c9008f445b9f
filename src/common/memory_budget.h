/* How much memory the frames in flight may take by default: what the machine has, and the
 * default bound a job (and the CLI, when it shares the bound among several videos) derives
 * from it. */
#ifndef AU_COMMON_MEMORY_BUDGET_H
#define AU_COMMON_MEMORY_BUDGET_H

#include <stddef.h>

/* The default of auface_config.max_memory_mb's cap (MiB); RAM / 4 when that is less. */
#define AU_DEFAULT_MAX_MEMORY_MB 2048

/* The machine's physical memory in bytes; 0 when the system does not say. */
size_t au_machine_memory_bytes(void);

/* The default bound on the frames in flight: AU_DEFAULT_MAX_MEMORY_MB, or a quarter of the
 * machine's memory when that is less. */
size_t au_default_frame_budget_bytes(void);

#endif
