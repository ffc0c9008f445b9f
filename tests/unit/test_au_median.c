/* Tests of au/median: OpenFace's histogram running median (FaceAnalyser::UpdateRunningMedian,
 * PIPELINE_SPEC §7.1) — hand-computed sequences, the count == 0 / count == 1 rules, the bin
 * rule, and a brute-force re-count on long random sequences. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "au/median.h"
#include "check.h"

/* A histogram with unit-width bins: [0, 10), 10 bins, centre of bin j = j + 0.5. */
static au_median *unit_median(int dim)
{
    au_median *m = NULL;
    au_err err;
    CHECK(au_median_create(&m, dim, 10, 0.0, 10.0, &err) == AUFACE_OK);
    return m;
}

static void test_hand_computed_sequence(void)
{
    au_median *m = unit_median(2);
    if (!m)
        return;
    const double *v = au_median_values(m);
    CHECK(v[0] == 0.0 && v[1] == 0.0);
    CHECK(au_median_count(m) == 0);

    /* count 1: the median is the descriptor itself, not a bin centre. */
    au_median_update(m, (const double[]){ 3.7, 8.2 }, 1);
    CHECK(au_median_count(m) == 1);
    CHECK(v[0] == 3.7 && v[1] == 8.2);

    /* count 2, cutoff (2+1)/2 = 1: first bin reaching 1. dim 0 bins {3, 1} -> 1;
     * dim 1 bins {8, 9} -> 8. */
    au_median_update(m, (const double[]){ 1.2, 9.9 }, 1);
    CHECK(v[0] == 1.5 && v[1] == 8.5);

    /* count 3, cutoff 2. dim 0 bins {1, 3, 5} -> 3; dim 1: -3 goes to bin 0 -> {0, 8, 9} -> 8. */
    au_median_update(m, (const double[]){ 5.5, -3.0 }, 1);
    CHECK(v[0] == 3.5 && v[1] == 8.5);

    /* count 4, cutoff 2. dim 0: 100 goes to the last bin (9) -> {1, 3, 5, 9} -> 3;
     * dim 1: 0.2 -> bin 0 -> {0, 0, 8, 9} -> 0. */
    au_median_update(m, (const double[]){ 100.0, 0.2 }, 1);
    CHECK(v[0] == 3.5 && v[1] == 0.5);

    /* A call that does not add recomputes the same median, whatever its descriptor. */
    au_median_update(m, (const double[]){ 7.0, 7.0 }, 0);
    CHECK(au_median_count(m) == 4);
    CHECK(v[0] == 3.5 && v[1] == 0.5);

    /* count 5, cutoff 3. dim 0 {1, 3, 5, 5, 9} -> 5; dim 1 {0, 0, 8, 9, 9} -> 8. */
    au_median_update(m, (const double[]){ 5.9, 9.5 }, 1);
    CHECK(v[0] == 5.5 && v[1] == 8.5);

    /* Reset: back to a fresh object. */
    au_median_reset(m);
    CHECK(au_median_count(m) == 0);
    CHECK(v[0] == 0.0 && v[1] == 0.0);
    au_median_update(m, (const double[]){ 4.25, 6.75 }, 1);
    CHECK(v[0] == 4.25 && v[1] == 6.75);
    au_median_free(m);
}

static void test_count_rules(void)
{
    /* count == 0 (only failed frames so far): cutoff 0, so bin 0's centre. */
    au_median *m = unit_median(3);
    if (!m)
        return;
    au_median_update(m, (const double[]){ 4.0, 7.0, 9.0 }, 0);
    CHECK(au_median_count(m) == 0);
    const double *v = au_median_values(m);
    CHECK(v[0] == 0.5 && v[1] == 0.5 && v[2] == 0.5);
    au_median_free(m);

    /* count == 1 then a call without adding: the median becomes THAT call's descriptor. */
    m = unit_median(2);
    if (!m)
        return;
    v = au_median_values(m);
    au_median_update(m, (const double[]){ 2.5, 2.5 }, 1);
    au_median_update(m, (const double[]){ 7.1, -1.0 }, 0);
    CHECK(au_median_count(m) == 1);
    CHECK(v[0] == 7.1 && v[1] == -1.0);
    /* The second addition: count 2, cutoff 1, bins {2, 6} -> 2. */
    au_median_update(m, (const double[]){ 6.0, 6.0 }, 1);
    CHECK(v[0] == 2.5 && v[1] == 2.5);
    au_median_free(m);
}

static void test_clamp_below(void)
{
    au_median *m = unit_median(2);
    if (!m)
        return;
    au_median_update(m, (const double[]){ -0.5, 0.25 }, 1);
    au_median_clamp_below(m, 0.0);
    const double *v = au_median_values(m);
    CHECK(v[0] == 0.0 && v[1] == 0.25);
    /* The next update recomputes every value from the histogram: -0.5 is in bin 0. */
    au_median_update(m, (const double[]){ 3.0, 3.0 }, 1);
    CHECK(v[0] == 0.5 && v[1] == 0.5);
    au_median_free(m);
}

/* OpenFace's constants: HOG [-0.005, 1] in 1000 bins, geometry [-60, 60] in 10000 bins. */
static void test_openface_bins(void)
{
    au_err err;
    au_median *hog = NULL, *geom = NULL;
    CHECK(au_median_create(&hog, 4, AU_MEDIAN_HOG_BINS, AU_MEDIAN_HOG_MIN, AU_MEDIAN_HOG_MAX,
                           &err) == AUFACE_OK);
    CHECK(au_median_create(&geom, 4, AU_MEDIAN_GEOM_BINS, AU_MEDIAN_GEOM_MIN,
                           AU_MEDIAN_GEOM_MAX, &err) == AUFACE_OK);
    if (!hog || !geom)
        return;
    /* (0 + 0.005)·1000/1.005 = 4.975 -> 4; (0.1 + 0.005)·1000/1.005 = 104.48 -> 104;
     * (0.5 + 0.005)·1000/1.005 = 502.49 -> 502; 1.0 -> 1000 -> capped at 999; below min -> 0. */
    CHECK(au_median_bin(hog, 0.0) == 4);
    CHECK(au_median_bin(hog, 0.1) == 104);
    CHECK(au_median_bin(hog, 0.5) == 502);
    CHECK(au_median_bin(hog, 1.0) == 999);
    CHECK(au_median_bin(hog, 7.0) == 999);
    CHECK(au_median_bin(hog, -0.2) == 0);
    CHECK(au_median_bin(hog, NAN) == 0);
    CHECK(au_median_bin(hog, INFINITY) == 999);
    /* Geometry: (2 + 60)·10000/120 = 5166.7 -> 5166; (-59.99 + 60)·10000/120 = 0.83 -> 0. */
    CHECK(au_median_bin(geom, 2.0) == 5166);
    CHECK(au_median_bin(geom, -59.99) == 0);
    CHECK(au_median_bin(geom, 59.999) == 9999);
    /* Zero (failed frames' geometry) lands where OpenCV's convertTo puts it: exactly at
     * beta = (60·10000)·(1/120), whatever side of 5000 that rounds to. */
    CHECK(au_median_bin(geom, 0.0) == (int)((60.0 * 10000.0) * (1.0 / 120.0)));

    /* Bin centres: min + j·(length/bins) + (0.5·length)/bins. */
    CHECK(au_median_bin_centre(hog, 104) == -0.005 + 104.0 * (1.005 / 1000.0) +
                                                (0.5 * 1.005) / 1000.0);
    CHECK_NEAR(au_median_bin_centre(hog, 104), 0.1000225, 1e-15);
    CHECK_NEAR(au_median_bin_centre(geom, 5166), 1.998, 1e-12);
    CHECK_NEAR(au_median_bin_centre(geom, 0), -59.994, 1e-12);

    /* Two descriptors: count 2, cutoff 1: the lower one's bin centre. */
    au_median_update(hog, (const double[]){ 0.1, 0.5, 0.0, 1.0 }, 1);
    au_median_update(hog, (const double[]){ 0.5, 0.1, -1.0, 0.9 }, 1);
    const double *v = au_median_values(hog);
    CHECK(v[0] == au_median_bin_centre(hog, 104));
    CHECK(v[1] == au_median_bin_centre(hog, 104));
    CHECK(v[2] == au_median_bin_centre(hog, 0));
    /* 0.9 -> (0.905)·1000/1.005 = 900.5 -> 900. */
    CHECK(v[3] == au_median_bin_centre(hog, 900));
    au_median_free(hog);
    au_median_free(geom);
}

static void test_invalid_arguments(void)
{
    au_err err;
    au_median *m = (au_median *)&err;
    CHECK(au_median_create(&m, 0, 10, 0, 1, &err) == AUFACE_ERR_ARG);
    CHECK(m == NULL);
    CHECK(au_median_create(&m, 3, 0, 0, 1, &err) == AUFACE_ERR_ARG);
    CHECK(au_median_create(&m, 3, 10, 1, 1, &err) == AUFACE_ERR_ARG);
    CHECK(au_median_create(&m, 3, 10, 0, INFINITY, &err) == AUFACE_ERR_ARG);
    CHECK(strstr(err.msg, "au_median_create") != NULL);
    /* Reversed bounds work as OpenFace's |max - min|. */
    CHECK(au_median_create(&m, 1, 10, 10.0, 0.0, &err) == AUFACE_OK);
    au_median_free(m);
    au_median_free(NULL);
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static double next_uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* The incremental median bin equals a full re-scan of the histogram, as OpenFace does it,
 * after every call of a long sequence with values clustered (as HOG values are) and spread,
 * with and without additions; after `reset_at` calls the median is reset and the re-scan
 * starts again from an empty histogram. */
static void rescan_case(int dim, int bins, double lo, double hi, int calls, int reset_at)
{
    au_median *m = NULL;
    au_err err;
    CHECK(au_median_create(&m, dim, bins, lo, hi, &err) == AUFACE_OK);
    int32_t *hist = calloc((size_t)dim * (size_t)bins, sizeof *hist);
    double *desc = malloc((size_t)dim * sizeof *desc);
    if (!m || !hist || !desc) {
        CHECK(hist && desc);
        au_median_free(m);
        free(hist);
        free(desc);
        return;
    }
    int count = 0, mismatches = 0;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    const double span = hi - lo;
    for (int call = 0; call < calls; call++) {
        if (call == reset_at) {
            au_median_reset(m);
            memset(hist, 0, (size_t)dim * (size_t)bins * sizeof *hist);
            count = 0;
        }
        for (int i = 0; i < dim; i++) {
            double u = next_uniform(&seed);
            /* Half the dimensions clustered near one value, the rest spread over and beyond
             * the range (to exercise the caps). */
            desc[i] = i % 2 ? lo + span * (0.33 + 0.005 * u + 0.001 * call / calls)
                            : lo - 0.125 * span + 1.25 * span * u;
        }
        int add = next_uniform(&seed) < 0.8;
        au_median_update(m, desc, add);
        if (add) {
            count++;
            for (int i = 0; i < dim; i++)
                hist[(size_t)i * bins + au_median_bin(m, desc[i])]++;
        }
        const double *v = au_median_values(m);
        int cutoff = (count + 1) / 2;
        for (int i = 0; i < dim; i++) {
            double expect;
            if (count == 1) {
                expect = desc[i];
            } else {
                int cum = 0, j = 0;
                for (j = 0; j < bins; j++) {
                    cum += hist[(size_t)i * bins + j];
                    if (cum >= cutoff)
                        break;
                }
                expect = au_median_bin_centre(m, j);
            }
            if (v[i] != expect)
                mismatches++;
        }
    }
    CHECK(mismatches == 0);
    CHECK(au_median_count(m) == count);
    au_median_free(m);
    free(hist);
    free(desc);
}

static void test_against_full_rescan(void)
{
    rescan_case(40, 200, -1.0, 3.0, 3000, 2000);
    /* the geometry histogram's size: sparse rows of 10 000 bins, values far apart */
    rescan_case(24, AU_MEDIAN_GEOM_BINS, AU_MEDIAN_GEOM_MIN, AU_MEDIAN_GEOM_MAX, 600, 300);
}

int main(void)
{
    test_hand_computed_sequence();
    test_count_rules();
    test_clamp_below();
    test_openface_bins();
    test_invalid_arguments();
    test_against_full_rescan();
    return check_report("test_au_median");
}
