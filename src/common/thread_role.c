#define _GNU_SOURCE 1 /* SCHED_BATCH */
#include "common/thread_role.h"

#ifdef __linux__
#include <sched.h>
#include <sys/prctl.h>
#endif

void au_thread_name_set(const char *name)
{
#ifdef __linux__
    /* PR_SET_NAME names the calling thread only and copies at most 15 bytes plus the NUL. */
    (void)prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

void au_thread_batch(void)
{
#ifdef __linux__
    /* pid 0: the calling thread. Any unprivileged thread may move between SCHED_OTHER and
     * SCHED_BATCH (sched(7)), so this needs no privilege and can be undone. */
    const struct sched_param param = {.sched_priority = 0};
    (void)sched_setscheduler(0, SCHED_BATCH, &param);
#endif
}
