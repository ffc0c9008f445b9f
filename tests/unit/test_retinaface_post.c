/* Tests for detect/retinaface_post: priors (known values from biubug6's PriorBox formula),
 * decoding + NMS on hand-made outputs whose answers follow from the formulas, and the real
 * reference data of ../shared/reference/nn/retinaface (raw network outputs -> dets.txt,
 * images -> input tensors, checked value by value or by the manifest's sha256). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "detect/retinaface_post.h"
#include "test_files.h"
#include "test_images.h"
#include "test_manifest.h"
#include "test_nn_reference.h"

#define NET 640
#define REF_DIR SHARED("reference/nn/retinaface")

/* --- SHA-256 (FIPS 180-4), to compare regenerated inputs with the manifest's digests ------ */

static uint32_t rotr(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                      K[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_hex(const uint8_t *data, size_t len, char hex[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t i = 0;
    for (; i + 64 <= len; i += 64)
        sha256_block(h, data + i);
    uint8_t tail[128] = {0};
    size_t rest = len - i;
    memcpy(tail, data + i, rest);
    tail[rest] = 0x80;
    size_t tail_len = rest + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int k = 0; k < 8; k++)
        tail[tail_len - 1 - k] = (uint8_t)(bits >> (8 * k));
    for (size_t k = 0; k < tail_len; k += 64)
        sha256_block(h, tail + k);
    for (int k = 0; k < 8; k++)
        snprintf(hex + 8 * k, 9, "%08x", h[k]);
}

static void test_sha256_known_answers(void)
{
    char hex[65];
    sha256_hex((const uint8_t *)"abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex((const uint8_t *)m, strlen(m), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
}

/* --- priors ------------------------------------------------------------------------------- */

static void test_priors(void)
{
    /* Priors are the double formula rounded once to float. */
    CHECK(au_retinaface_num_priors(640, 640) == 16800);
    /* 640x480: (60·80 + 30·40 + 15·20)·2 */
    CHECK(au_retinaface_num_priors(640, 480) == 12600);
    /* 100x60: ceil → (8·13 + 4·7 + 2·4)·2 = 280 */
    CHECK(au_retinaface_num_priors(100, 60) == 280);
    CHECK(au_retinaface_num_priors(0, 640) == 0);

    float *p = malloc(16800 * 4 * sizeof *p);
    au_retinaface_priors(640, 640, p);
    /* prior 0 and 1: cell (0,0) of level 0, min sizes 16 and 32 */
    CHECK(p[0] == (float)(4.0 / 640));
    CHECK(p[1] == (float)(4.0 / 640));
    CHECK(p[2] == (float)(16.0 / 640));
    CHECK(p[3] == (float)(16.0 / 640));
    CHECK(p[6] == (float)(32.0 / 640));
    /* prior 2: next column (j = 1) */
    CHECK(p[8] == (float)(12.0 / 640));
    CHECK(p[9] == (float)(4.0 / 640));
    /* prior 160: row 1, column 0 */
    CHECK(p[160 * 4 + 0] == (float)(4.0 / 640));
    CHECK(p[160 * 4 + 1] == (float)(12.0 / 640));
    /* prior 12800: first of level 1 (step 16, min size 64) */
    CHECK(p[12800 * 4 + 0] == (float)(8.0 / 640));
    CHECK(p[12800 * 4 + 2] == (float)(64.0 / 640));
    /* last prior: level 2, cell (19,19), min size 512 */
    CHECK(p[16799 * 4 + 0] == (float)(624.0 / 640));
    CHECK(p[16799 * 4 + 1] == (float)(624.0 / 640));
    CHECK(p[16799 * 4 + 3] == (float)(512.0 / 640));
    free(p);

    /* Non-square input: cx and w relative to the width, cy and h to the height. */
    float q[280 * 4];
    au_retinaface_priors(100, 60, q);
    CHECK(q[2 * 4 + 0] == (float)(12.0 / 100)); /* column 1 */
    CHECK(q[2 * 4 + 1] == (float)(4.0 / 60));
    CHECK(q[2 * 4 + 2] == (float)(16.0 / 100));
    CHECK(q[2 * 4 + 3] == (float)(16.0 / 60));
    CHECK(q[(13 * 2) * 4 + 1] == (float)(12.0 / 60)); /* row 1 starts after 13 columns */
    CHECK(q[208 * 4 + 0] == (float)(8.0 / 100));      /* level 1 starts at 8·13·2 = 208 */
    CHECK(q[208 * 4 + 2] == (float)(64.0 / 100));
}

/* --- decoding and NMS on hand-made outputs ------------------------------------------------ */

/* One prior per face, all centred at (0.5, 0.5) with size 0.2 on a 100x100 input. */
#define SYN 6
typedef struct synthetic {
    float priors[SYN * 4], loc[SYN * 4], conf[SYN * 2], landms[SYN * 10];
} synthetic;

static void synthetic_init(synthetic *s)
{
    memset(s, 0, sizeof *s);
    for (int r = 0; r < SYN; r++) {
        s->priors[4 * r + 0] = 0.5f;
        s->priors[4 * r + 1] = 0.5f;
        s->priors[4 * r + 2] = 0.2f;
        s->priors[4 * r + 3] = 0.2f;
        s->conf[2 * r] = 1.0f;
    }
}

static void set_score(synthetic *s, int r, float score)
{
    s->conf[2 * r] = 1.0f - score;
    s->conf[2 * r + 1] = score;
}

/* Moves prior r's box right by dx pixels of the 100-px input: d_cx = dx/100 / (0.1·0.2). */
static void shift_x(synthetic *s, int r, double dx)
{
    s->loc[4 * r] = (float)(dx / 100.0 / (0.1 * 0.2));
}

static void test_decode_formulas(void)
{
    synthetic s;
    synthetic_init(&s);
    unsigned char scratch[4096];
    CHECK(au_retinaface_scratch_bytes(SYN) <= sizeof scratch);
    au_face_box out[SYN];

    /* One face: loc = (1, -1, ln 2 / 0.2, 0) -> cx = 0.5 + 0.02, cy = 0.5 − 0.02, w = 0.4,
     * h = 0.2; landmark k at (0.5 + d·0.02, ...). With scale 0.5 pixels double. */
    set_score(&s, 0, 0.9f);
    s.loc[0] = 1.0f;
    s.loc[1] = -1.0f;
    s.loc[2] = (float)(log(2.0) / 0.2);
    s.landms[0] = 2.0f;  /* x0 = 0.5 + 2·0.1·0.2 = 0.54 */
    s.landms[9] = -1.0f; /* y4 = 0.5 − 0.02 = 0.48 */
    int n = au_retinaface_decode(s.loc, s.conf, s.landms, s.priors, SYN, 100, 100, 0.5, 0.5,
                                 0.4, out, SYN, scratch);
    CHECK(n == 1);
    CHECK_NEAR(out[0].score, 0.9, 1e-7);
    CHECK_NEAR(out[0].x1, (0.52 - 0.2) * 200, 1e-3);
    CHECK_NEAR(out[0].x2, (0.52 + 0.2) * 200, 1e-3);
    CHECK_NEAR(out[0].y1, (0.48 - 0.1) * 200, 1e-3);
    CHECK_NEAR(out[0].y2, (0.48 + 0.1) * 200, 1e-3);
    CHECK_NEAR(out[0].landmarks[0], 0.54 * 200, 1e-3);
    CHECK_NEAR(out[0].landmarks[1], 0.5 * 200, 1e-3);
    CHECK_NEAR(out[0].landmarks[9], 0.48 * 200, 1e-3);

    /* Threshold is strict: a score of exactly 0.5 is dropped. */
    synthetic_init(&s);
    set_score(&s, 0, 0.5f);
    CHECK(au_retinaface_decode(s.loc, s.conf, s.landms, s.priors, SYN, 100, 100, 1.0, 0.5, 0.4,
                               out, SYN, scratch) == 0);

    /* NMS with "+1" areas. Boxes are [40, 60] squares (21 px with +1) shifted by d in x:
     * IoU = (21 − d) / (21 + d). d = 8.6 gives 0.4189 > 0.4 -> suppressed (without the +1,
     * (20 − d)/(20 + d) = 0.3986 would keep it); d = 9 gives 12/30 = 0.4 -> kept (≤ 0.4).
     * Scores are given out of order to check the sorting. */
    synthetic_init(&s);
    set_score(&s, 0, 0.6f); /* shifted by 9 from the best: kept */
    shift_x(&s, 0, 9.0);
    set_score(&s, 1, 0.95f); /* the best */
    set_score(&s, 2, 0.8f);  /* shifted by 8.6: suppressed */
    shift_x(&s, 2, 8.6);
    set_score(&s, 3, 0.4f);  /* below the threshold */
    set_score(&s, 4, 0.7f);  /* shifted by -30: no overlap, kept */
    shift_x(&s, 4, -30.0);
    n = au_retinaface_decode(s.loc, s.conf, s.landms, s.priors, SYN, 100, 100, 1.0, 0.5, 0.4,
                             out, SYN, scratch);
    CHECK(n == 3);
    CHECK_NEAR(out[0].score, 0.95, 1e-7);
    CHECK_NEAR(out[1].score, 0.7, 1e-7);
    CHECK_NEAR(out[2].score, 0.6, 1e-7);
    CHECK_NEAR(out[0].x1, 40.0, 1e-4);
    CHECK_NEAR(out[1].x1, 10.0, 1e-3);
    CHECK_NEAR(out[2].x1, 49.0, 1e-3);

    /* max_out keeps the first faces of the full result. */
    n = au_retinaface_decode(s.loc, s.conf, s.landms, s.priors, SYN, 100, 100, 1.0, 0.5, 0.4,
                             out, 2, scratch);
    CHECK(n == 2);
    CHECK_NEAR(out[1].score, 0.7, 1e-7);

    /* A lower NMS threshold (0.3) also removes the box at IoU 0.4. */
    n = au_retinaface_decode(s.loc, s.conf, s.landms, s.priors, SYN, 100, 100, 1.0, 0.5, 0.3,
                             out, SYN, scratch);
    CHECK(n == 2);
}

/* --- reference data ----------------------------------------------------------------------- */

/* Decodes the stored raw outputs of `name` and compares with name.dets.txt. */
static void check_decode_case(const char *name, const char *manifest, const float *priors,
                              void *scratch)
{
    char path[512];
    double scale = 0;
    CHECK(test_manifest_number(manifest, name, "scale_s", &scale));
    snprintf(path, sizeof path, "%s/%s.loc.f32", REF_DIR, name);
    float *loc = test_read_f32(path, 16800 * 4);
    snprintf(path, sizeof path, "%s/%s.conf.f32", REF_DIR, name);
    float *conf = test_read_f32(path, 16800 * 2);
    snprintf(path, sizeof path, "%s/%s.landms.f32", REF_DIR, name);
    float *landms = test_read_f32(path, 16800 * 10);
    double ref[64][TEST_DET_VALUES];
    snprintf(path, sizeof path, "%s/%s.dets.txt", REF_DIR, name);
    int n_ref = test_read_dets(path, ref, 64);
    CHECK(loc && conf && landms && n_ref > 0 && scale > 0);
    if (loc && conf && landms && n_ref > 0 && scale > 0) {
        au_face_box out[64];
        int n = au_retinaface_decode(loc, conf, landms, priors, 16800, NET, NET, scale, 0.5, 0.4,
                                     out, 64, scratch);
        CHECK(n == n_ref);
        double max_score = 0, max_px = 0;
        for (int i = 0; i < n && i < n_ref; i++) {
            const float box[4] = {out[i].x1, out[i].y1, out[i].x2, out[i].y2};
            max_score = fmax(max_score, fabs(out[i].score - ref[i][0]));
            for (int k = 0; k < 4; k++)
                max_px = fmax(max_px, fabs(box[k] - ref[i][1 + k]));
            for (int k = 0; k < 10; k++)
                max_px = fmax(max_px, fabs(out[i].landmarks[k] - ref[i][5 + k]));
        }
        /* dets.txt prints scores with %.6f: 5e-7 of rounding on top of the 1e-5 tolerance. */
        CHECK(max_score <= 1e-5 + 5e-7);
        CHECK(max_px <= 0.01);
        printf("  decode %-13s %2d faces (ref %2d), max |score| diff %.2g, "
               "max coord diff %.2g px\n",
               name, n, n_ref, max_score, max_px);
    }
    free(loc);
    free(conf);
    free(landms);
}

static void test_decode_reference(void)
{
    char *manifest = test_read_file(REF_DIR "/manifest.json", NULL);
    CHECK(manifest != NULL);
    if (!manifest)
        return;
    float *priors = malloc(16800 * 4 * sizeof *priors);
    void *scratch = malloc(au_retinaface_scratch_bytes(16800));
    CHECK(au_retinaface_num_priors(NET, NET) == 16800);
    au_retinaface_priors(NET, NET, priors);
    const char *cases[] = {"sample2", "sample4", "sample6", "default_f000"};
    for (int i = 0; i < 4; i++)
        check_decode_case(cases[i], manifest, priors, scratch);
    free(priors);
    free(scratch);
    free(manifest);
}

/* Regenerates the input of `name` from its image and compares it with the stored tensor (if
 * `stored` is set) and with the manifest's sha256 of the tensor. `tolerance` applies to the
 * stored comparison (JPEGs: stb_image and libjpeg-turbo differ by a few levels). */
static void check_input_case(const char *name, const char *image, const char *manifest,
                             int stored, double tolerance, int expect_sha)
{
    int w, h;
    uint8_t *bgr = test_load_bgr(image, &w, &h);
    CHECK(bgr != NULL);
    if (!bgr)
        return;
    float *input = malloc((size_t)3 * NET * NET * sizeof *input);
    double s = -1;
    au_retinaface_input(bgr, w, h, (size_t)w * 3, NET, NET, input, &s);
    double expected_s = 0;
    CHECK(test_manifest_number(manifest, name, "scale_s", &expected_s));
    CHECK_NEAR(s, expected_s, 1e-12);

    if (stored) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.input.f32", REF_DIR, name);
        float *ref = test_read_f32(path, (size_t)3 * NET * NET);
        CHECK(ref != NULL);
        if (ref) {
            long differ = 0;
            double max_diff = 0;
            for (long i = 0; i < 3L * NET * NET; i++) {
                double d = fabs((double)input[i] - ref[i]);
                differ += d > 0;
                max_diff = fmax(max_diff, d);
            }
            CHECK(max_diff <= tolerance);
            printf("  input  %-16s s=%.6f: %ld of %d values differ, max %.3g (tolerance %g)\n",
                   name, s, differ, 3 * NET * NET, max_diff, tolerance);
        }
        free(ref);
    }
    if (expect_sha) {
        /* sha256 of the tensor as little-endian float32 bytes (this test runs on x86-64). */
        char hex[65], expected[65];
        sha256_hex((const uint8_t *)input, (size_t)3 * NET * NET * sizeof *input, hex);
        int have = test_manifest_string(manifest, name, "sha256_input_f32", expected,
                                        sizeof expected);
        CHECK(have);
        int same = have && strcmp(hex, expected) == 0;
        CHECK(same);
        printf("  input  %-16s s=%.6f: sha256 %s the manifest's\n", name, s,
               same ? "equals" : "DIFFERS FROM");
    }
    free(input);
    free(bgr);
}

static void test_input_reference(void)
{
    char *manifest = test_read_file(REF_DIR "/manifest.json", NULL);
    CHECK(manifest != NULL);
    if (!manifest)
        return;
    /* PNG frames: bit-exact (s = 1 copies; default_f000_tl is resized by s = 1.306). */
    check_input_case("default_f000", SHARED("reference/nn/media/default_f000.png"), manifest, 1,
                     0.0, 1);
    check_input_case("default_f100", SHARED("reference/nn/media/default_f100.png"), manifest, 0,
                     0.0, 1);
    check_input_case("default_f200", SHARED("reference/nn/media/default_f200.png"), manifest, 0,
                     0.0, 1);
    check_input_case("default_f000_tl", SHARED("reference/nn/media/default_f000_tl.png"),
                     manifest, 0, 0.0, 1);
    /* JPEGs decoded by stb_image instead of OpenCV's libjpeg-turbo: a few levels apart
     * (measured: max 1 at s = 1, 1.7 and 2.7 after the 0.31–0.33 resizes). */
    check_input_case("sample4", SHARED("media/sample4.jpg"), manifest, 1, 4.0, 0);
    check_input_case("sample2", SHARED("media/sample2.jpg"), manifest, 1, 4.0, 0);
    check_input_case("sample6", SHARED("media/sample6.jpg"), manifest, 1, 4.0, 0);
    free(manifest);
}

/* Pad area and placement without reference data: a 2x3 image into a 4x4 "network". */
static void test_input_layout(void)
{
    const uint8_t img[2 * 9] = {10, 20, 30, 40, 50, 60, 70, 80, 90,
                                1,  2,  3,  4,  5,  6,  7,  8,  9};
    float in[3 * 12]; /* planes of 3 x 4 */
    double s = 0;
    au_retinaface_input(img, 3, 2, 9, 3, 4, in, &s); /* min(3/3, 4/2) = 1 */
    CHECK(s == 1.0);
    CHECK(in[0] == 10 - 104.f);                       /* B of (0,0) */
    CHECK(in[12 + 2] == 80 - 117.f);                  /* G of (2,0) */
    CHECK(in[24 + 1 * 3 + 1] == 6 - 123.f);           /* R of (1,1) */
    CHECK(in[2 * 3] == 0.f && in[24 + 11] == 0.f);    /* rows 2–3 are padding */
    au_retinaface_input(img, 3, 2, 9, 0, 4, in, &s);
    CHECK(s == 0.0);
}

int main(void)
{
    test_sha256_known_answers();
    test_priors();
    test_decode_formulas();
    test_input_layout();
    test_decode_reference();
    test_input_reference();
    return check_report("test_retinaface_post");
}
