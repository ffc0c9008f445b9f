/* Tests for face/fhog: map sizes, hand-derived answers on synthetic images (flat images,
 * step edges, the two gradient tie rules, the block normalisation), and OpenFace 2.2's
 * own HOG of its aligned faces (default.hog). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "check.h"
#include "face/fhog.h"

enum { SIZE = 112, CELL = 8, MAP = 12, FEATS = MAP * MAP * AU_FHOG_CHANNELS };
enum { SCRATCH_MAX = 16384 };

/* OpenFace 2.2 reference (FeatureExtraction on default.wmv). */
#define REF_DIR SHARED("reference/openface-2.2/default")
enum { REF_FRAMES = 288 };

typedef struct image {
    uint8_t px[SIZE * SIZE * 3]; /* B, G, R */
} image;

static void fill_columns(image *im, const uint8_t blue[SIZE], const uint8_t green[SIZE],
                         const uint8_t red[SIZE])
{
    for (int y = 0; y < SIZE; y++)
        for (int x = 0; x < SIZE; x++) {
            uint8_t *p = im->px + (y * SIZE + x) * 3;
            p[0] = blue[x];
            p[1] = green[x];
            p[2] = red[x];
        }
}

/* Column profile: `low` left of column `edge`, `high` from it on. */
static void step_profile(uint8_t prof[SIZE], int edge, uint8_t low, uint8_t high)
{
    for (int x = 0; x < SIZE; x++)
        prof[x] = x < edge ? low : high;
}

static void extract(const image *im, float *out)
{
    float scratch[SCRATCH_MAX];
    au_fhog_extract_bgr(im->px, SIZE, SIZE, SIZE * 3, CELL, scratch, out);
}

static float feat(const float *f, int row, int col, int ch)
{
    return f[(row * MAP + col) * AU_FHOG_CHANNELS + ch];
}

static int count_nonzero(const float *f, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += f[i] != 0.0f;
    return k;
}

/* dlib: cells = (int)(size/cell + 0.5), map = cells - 2, empty below 3 cells. */
static void test_dims(void)
{
    int r, c;
    au_fhog_dims(112, 112, 8, &r, &c);
    CHECK(r == 12 && c == 12);
    au_fhog_dims(100, 20, 8, &r, &c); /* 12.5 -> 13 cells; 2.5 -> 3 cells */
    CHECK(r == 1 && c == 11);
    au_fhog_dims(15, 112, 8, &r, &c); /* 1.875 -> 2 cells: empty map */
    CHECK(r == 0 && c == 0);
    au_fhog_dims(112, 112, 1, &r, &c); /* dlib's cell_size 1 variant is not provided */
    CHECK(r == 0 && c == 0);
    CHECK(au_fhog_scratch_floats(15, 112, 8) == 0);
    CHECK(au_fhog_scratch_floats(112, 112, 8) > 0);
    CHECK(au_fhog_scratch_floats(112, 112, 8) <= SCRATCH_MAX);
}

/* No gradient anywhere: every histogram is 0, and min(0, nn)*n = 0 for every channel. */
static void test_flat_images(void)
{
    static float out[FEATS];
    image im;
    memset(im.px, 0, sizeof im.px);
    for (int i = 0; i < FEATS; i++)
        out[i] = -1.0f;
    extract(&im, out);
    CHECK(count_nonzero(out, FEATS) == 0);

    for (int i = 0; i < SIZE * SIZE; i++) {
        im.px[3 * i] = 37;
        im.px[3 * i + 1] = 200;
        im.px[3 * i + 2] = 91;
    }
    for (int i = 0; i < FEATS; i++)
        out[i] = -1.0f;
    extract(&im, out);
    CHECK(count_nonzero(out, FEATS) == 0);
}

/* A grey vertical step of height 100 between columns 55 and 56. Only pixels x = 55, 56
 * have a gradient, (+100, 0) for a rising step (bin 0) or (-100, 0) for a falling one
 * (bin 9). Bilinear centres (x+0.5)/8 - 0.5 = 6.4375 and 6.5625 put all their votes in
 * cells 6 and 7 (weights 0.5625 + 0.4375 = 1 each), and each interior cell row collects a
 * total y weight of 8: H[bin] = 800 in cells (1..12, 6..7), output columns 5 and 6.
 * Every 2x2 block around them has energy >= 2*800^2, so h/sqrt(n) >= 0.5 is truncated to
 * 0.2 in all four normalisations: channel bin and the unsigned channel 18 + bin%9 are
 * 0.5*4*0.2 = 0.4, the texture channels 0.2357*0.2, everything else 0. */
static void check_vertical_edge(const float *out, int bin)
{
    int off_target = 0;
    for (int r = 0; r < MAP; r++)
        for (int c = 0; c < MAP; c++)
            for (int ch = 0; ch < AU_FHOG_CHANNELS; ch++) {
                float v = feat(out, r, c, ch);
                int on_edge = c == 5 || c == 6;
                if (on_edge && (ch == bin || ch == 18 + bin % 9))
                    CHECK_NEAR(v, 0.4, 1e-6);
                else if (on_edge && ch >= 27)
                    CHECK_NEAR(v, 0.2357 * 0.2, 1e-6);
                else
                    off_target += v != 0.0f;
            }
    CHECK(off_target == 0);
}

static void test_vertical_step_edge(void)
{
    static float out[FEATS];
    uint8_t prof[SIZE];
    image im;

    step_profile(prof, 56, 0, 100);
    fill_columns(&im, prof, prof, prof);
    extract(&im, out);
    check_vertical_edge(out, 0);

    step_profile(prof, 56, 100, 0);
    fill_columns(&im, prof, prof, prof);
    extract(&im, out);
    check_vertical_edge(out, 9);
}

/* A horizontal step (gradient (0, +100)): u4 = (0.1736, 0.9848) and u5 = (-0.1736, 0.9848)
 * give the same dot product 98.48; the first direction wins, so all votes go to bin 4. */
static void test_horizontal_step_edge(void)
{
    static float out[FEATS];
    image im;
    for (int y = 0; y < SIZE; y++)
        memset(im.px + y * SIZE * 3, y < 56 ? 0 : 100, SIZE * 3);
    extract(&im, out);
    int bin4 = 0, others = 0;
    for (int r = 0; r < MAP; r++)
        for (int c = 0; c < MAP; c++)
            for (int ch = 0; ch < 27; ch++) {
                float v = feat(out, r, c, ch);
                if ((r == 5 || r == 6) && (ch == 4 || ch == 22))
                    bin4 += fabsf(v - 0.4f) < 1e-6f;
                else
                    others += v != 0.0f;
            }
    CHECK(bin4 == 2 * MAP * 2);
    CHECK(others == 0);
}

/* Two colour channels step in opposite directions at the same edge, so at every edge pixel
 * they tie: (+100, 0) vs (-100, 0), squared length 10000. dlib's 8-wide SIMD columns
 * (x = 1..104) give a tie to the later channel (green over red, blue over the winner), its
 * scalar columns (x = 105..110) to the earlier one. `rising`/`falling` say which channel
 * holds the rising step; the winner's direction shows up as bin 0 (rising) or 9. */
static void tie_image(image *im, int edge, int rising_ch, int falling_ch)
{
    uint8_t prof[3][SIZE];
    memset(prof, 0, sizeof prof);
    step_profile(prof[rising_ch], edge, 0, 100);
    step_profile(prof[falling_ch], edge, 100, 0);
    fill_columns(im, prof[0], prof[1], prof[2]);
}

enum { BLUE = 0, GREEN = 1, RED = 2 };

static void test_gradient_ties(void)
{
    static float out[FEATS];
    image im;

    /* SIMD columns 55, 56: red rises, green falls -> green (falling, bin 9). */
    tie_image(&im, 56, RED, GREEN);
    extract(&im, out);
    check_vertical_edge(out, 9);

    /* SIMD columns: green rises, blue falls -> blue (bin 9). This also fails if the byte
     * order were taken as R, G, B. */
    tie_image(&im, 56, GREEN, BLUE);
    extract(&im, out);
    check_vertical_edge(out, 9);

    /* Scalar columns 105, 106 (centres 12.6875, 12.8125: cells 12 and 13, output column 11
     * holds cell 12): the earlier channel keeps the tie. Red rises -> red (bin 0), and
     * green rises against blue -> green (bin 0). */
    const int pairs[2][2] = {{RED, GREEN}, {GREEN, BLUE}};
    for (int i = 0; i < 2; i++) {
        tie_image(&im, 106, pairs[i][0], pairs[i][1]);
        extract(&im, out);
        int rising = 0, falling = 0;
        for (int r = 0; r < MAP; r++) {
            rising += feat(out, r, 11, 0) > 0.1f;
            falling += feat(out, r, 11, 9) != 0.0f;
        }
        CHECK(rising == MAP);
        CHECK(falling == 0);
    }

    /* The same colours in scalar columns with the roles swapped: green rises, red falls;
     * red (falling) keeps the tie, bin 9. */
    tie_image(&im, 106, GREEN, RED);
    extract(&im, out);
    int falling = 0;
    for (int r = 0; r < MAP; r++)
        falling += feat(out, r, 11, 9) > 0.1f && feat(out, r, 11, 0) == 0.0f;
    CHECK(falling == MAP);
}

/* Block normalisation below the truncation: a weak rising step (10) at columns 55/56
 * (H = a = 80 in cells 6, 7) next to a strong one (200) at columns 71/72 (H = b = 1600 in
 * cells 8, 9, centres 8.4375 and 8.5625). Output cell (5, 6) = cell (6, 7):
 *   blocks with columns 7..8 (normalisations 1, 2): energy 2a^2 + 2b^2, h = a/sqrt(.) =
 *   1/sqrt(802) = 0.0353 (not truncated); blocks with columns 6..7 (3, 4): 4a^2, h = 0.5
 *   -> 0.2. So channel 0 = 0.5*(2/sqrt(802) + 0.4), texture 27, 28 = 0.2357/sqrt(802),
 *   29, 30 = 0.2357*0.2 (dlib's order n1..n4). */
static void test_block_normalisation(void)
{
    static float out[FEATS];
    uint8_t prof[SIZE];
    image im;
    for (int x = 0; x < SIZE; x++)
        prof[x] = x < 56 ? 0 : x < 72 ? 10 : 210;
    fill_columns(&im, prof, prof, prof);
    extract(&im, out);

    const double weak = 1.0 / sqrt(802.0);
    CHECK_NEAR(feat(out, 5, 6, 0), 0.5 * (2 * weak + 0.4), 1e-6);
    CHECK_NEAR(feat(out, 5, 6, 18), 0.5 * (2 * weak + 0.4), 1e-6);
    CHECK_NEAR(feat(out, 5, 6, 27), 0.2357 * weak, 1e-6);
    CHECK_NEAR(feat(out, 5, 6, 28), 0.2357 * weak, 1e-6);
    CHECK_NEAR(feat(out, 5, 6, 29), 0.2357 * 0.2, 1e-6);
    CHECK_NEAR(feat(out, 5, 6, 30), 0.2357 * 0.2, 1e-6);
    CHECK(feat(out, 5, 6, 9) == 0.0f);
}

/* Row padding: the same pixels with a larger stride (padding bytes set to noise) give the
 * same map; an odd-sized image with another cell size stays within its bounds (checked
 * under AddressSanitizer) and produces features in dlib's range. */
static void test_stride_and_odd_sizes(void)
{
    static float a[FEATS], b[FEATS];
    static uint8_t padded[SIZE * (SIZE * 3 + 13)];
    image im;
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof im.px; i++) {
        seed = seed * 1103515245u + 12345u;
        im.px[i] = (uint8_t)(seed >> 16);
    }
    for (size_t i = 0; i < sizeof padded; i++)
        padded[i] = (uint8_t)(i * 7);
    for (int y = 0; y < SIZE; y++)
        memcpy(padded + y * (SIZE * 3 + 13), im.px + y * SIZE * 3, SIZE * 3);
    float scratch[SCRATCH_MAX];
    au_fhog_extract_bgr(im.px, SIZE, SIZE, SIZE * 3, CELL, scratch, a);
    au_fhog_extract_bgr(padded, SIZE, SIZE, SIZE * 3 + 13, CELL, scratch, b);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(count_nonzero(a, FEATS) > FEATS / 2);

    int rows, cols;
    au_fhog_dims(101, 75, 6, &rows, &cols); /* 16.83 -> 17 cells, 12.5 -> 13 cells */
    CHECK(rows == 11 && cols == 15);
    size_t need = au_fhog_scratch_floats(101, 75, 6);
    float *s = malloc(need * sizeof *s);
    float *f = malloc((size_t)rows * cols * AU_FHOG_CHANNELS * sizeof *f);
    CHECK(s != NULL && f != NULL);
    if (s && f) {
        au_fhog_extract_bgr(im.px, 101, 75, SIZE * 3, 6, s, f);
        int in_range = 0;
        for (int i = 0; i < rows * cols * AU_FHOG_CHANNELS; i++) {
            int ch = i % AU_FHOG_CHANNELS;
            /* orientation channels: 0.5 * 4 * 0.2; texture: 0.2357 * 18 * 0.2 */
            double hi = ch < 27 ? 0.4 : 0.2357 * 18 * 0.2;
            in_range += f[i] >= 0.0f && f[i] <= hi + 1e-6;
        }
        CHECK(in_range == rows * cols * AU_FHOG_CHANNELS);
    }
    free(s);
    free(f);
}

/* OpenFace's aligned face of frame `frame` (1-based), converted from stb's RGB to BGR. */
static int load_aligned(int frame, image *im)
{
    char path[512];
    snprintf(path, sizeof path, REF_DIR "/aligned/frame_det_00_%06d.bmp", frame);
    int w, h, n;
    uint8_t *rgb = stbi_load(path, &w, &h, &n, 3);
    if (!rgb) {
        fprintf(stderr, "%s: %s\n", path, stbi_failure_reason());
        return 0;
    }
    int ok = w == SIZE && h == SIZE;
    if (ok)
        for (int i = 0; i < SIZE * SIZE; i++) {
            im->px[3 * i] = rgb[3 * i + 2];
            im->px[3 * i + 1] = rgb[3 * i + 1];
            im->px[3 * i + 2] = rgb[3 * i];
        }
    stbi_image_free(rgb);
    return ok;
}

/* default.hog (RecorderHOG::Write): per frame int32 cols, int32 rows, int32 channels,
 * float32 valid flag, then cols*rows*31 float32 in Extract_FHOG_descriptor's order. */
static void test_openface_reference(void)
{
    static float ref[FEATS], out[FEATS];
    FILE *fp = fopen(REF_DIR "/default.hog", "rb");
    CHECK(fp != NULL);
    if (!fp)
        return;
    image im;
    double max_diff = 0.0;
    long identical = 0;
    int frames = 0, headers_ok = 0;
    for (int frame = 1; frame <= REF_FRAMES; frame++) {
        int32_t dims[3];
        float valid;
        if (fread(dims, sizeof dims[0], 3, fp) != 3 || fread(&valid, sizeof valid, 1, fp) != 1 ||
            fread(ref, sizeof ref[0], FEATS, fp) != FEATS)
            break;
        headers_ok += dims[0] == MAP && dims[1] == MAP && dims[2] == AU_FHOG_CHANNELS &&
                      valid == 1.0f;
        if (!load_aligned(frame, &im))
            break;
        extract(&im, out);
        for (int i = 0; i < FEATS; i++) {
            double d = fabs((double)out[i] - (double)ref[i]);
            max_diff = d > max_diff ? d : max_diff;
            identical += out[i] == ref[i];
        }
        frames++;
    }
    fclose(fp);
    CHECK(frames == REF_FRAMES);
    CHECK(headers_ok == REF_FRAMES);
    CHECK(max_diff <= 1e-5);
    /* With dlib's exact operation order (and no FMA contraction: strict ISO C) the values
     * are bit-identical; another summation order of the four normalised values already
     * leaves about 20% of them one rounding step away. */
    CHECK(identical >= (long)(0.99 * frames * FEATS));
    printf("test_fhog: %d OpenFace frames, max |HOG - default.hog| = %.3g, %ld of %ld values "
           "bit-identical\n",
           frames, max_diff, identical, (long)frames * FEATS);
}

int main(void)
{
    test_dims();
    test_flat_images();
    test_vertical_step_edge();
    test_horizontal_step_edge();
    test_gradient_ties();
    test_block_normalisation();
    test_stride_and_odd_sizes();
    test_openface_reference();
    return check_report("test_fhog");
}
