/* Tests of common/thread_role: the calling thread gets the name asked for (cut to the 15
 * bytes Linux keeps) and, with au_thread_batch, the SCHED_BATCH class with its nice value
 * unchanged; other threads keep theirs. */
#define _GNU_SOURCE 1 /* SCHED_BATCH */
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "check.h"
#include "common/thread_role.h"

typedef struct seen {
    char name[16];
    int policy;
    int nice;
} seen;

static void look(seen *s)
{
    memset(s->name, 0, sizeof s->name);
    prctl(PR_GET_NAME, s->name, 0, 0, 0);
    s->policy = sched_getscheduler(0);
    s->nice = getpriority(PRIO_PROCESS, 0); /* Linux: the calling thread's */
}

static void *named_batch_thread(void *arg)
{
    seen *s = arg;
    au_thread_name_set("auface-a-very-long-name");
    au_thread_batch();
    look(s);
    return NULL;
}

static void test_role_of_a_thread(void)
{
    seen before, inside, after;
    look(&before);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, named_batch_thread, &inside) == 0);
    pthread_join(t, NULL);
    look(&after);
    CHECK(strcmp(inside.name, "auface-a-very-l") == 0); /* 15 bytes kept */
    CHECK(inside.policy == SCHED_BATCH);
    CHECK(inside.nice == before.nice);
    /* the creating thread is untouched */
    CHECK(strcmp(after.name, before.name) == 0);
    CHECK(after.policy == before.policy);
}

int main(void)
{
    test_role_of_a_thread();
    return check_report("test_thread_role");
}
