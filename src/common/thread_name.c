#include "common/thread_name.h"

#ifdef __linux__
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
