/* Minimal test harness: CHECK macros that count failures and report the location, and
 * a closing line "N passed, N failed" that CI reads. */
#ifndef AU_TEST_CHECK_H
#define AU_TEST_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed;
static int check_failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            check_passed++;                                                            \
        } else {                                                                       \
            check_failed++;                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double check_a_ = (double)(a), check_b_ = (double)(b);                         \
        if (fabs(check_a_ - check_b_) <= (double)(tol)) {                              \
            check_passed++;                                                            \
        } else {                                                                       \
            check_failed++;                                                            \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %g\n", \
                    __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));    \
        }                                                                              \
    } while (0)

/* Path of a file under the shared folder (models, media, reference). */
#define SHARED(rel) AU_SHARED_DIR "/" rel

static inline int check_report(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
