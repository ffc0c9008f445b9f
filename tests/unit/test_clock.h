/* Clocks for the timings the unit tests print (never asserted: they depend on the
 * machine).
 *
 * Header-only (see test_files.h for why). */
#ifndef AU_TEST_CLOCK_H
#define AU_TEST_CLOCK_H

#include <time.h>

/* Wall-clock seconds from an arbitrary start (CLOCK_MONOTONIC). */
static inline double test_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): timings that other
 * processes running at the same time (ctest -j) do not inflate. */
static inline double test_thread_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
