/* OpenFace MTCNN: .dat loader (real files, truncated copies, synthetic file), CNN layers on
 * tiny tensors against values computed from the formulas, and the detector against
 * OpenFace's frame-1 box on default.wmv (CLNF_SPEC.md §13). Also prints the boxes found on
 * ../shared/media/sample1..6.jpg and the time per 640x480 frame. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "detect/mtcnn.h"
#include "detect/mtcnn_cnn.h"
#include "detect/mtcnn_model.h"
#include "test_bytes.h"
#include "test_clock.h"
#include "test_files.h"
#include "test_images.h"

#define MTCNN_DIR SHARED("models/openface/model/mtcnn_detector")

/* OpenFace 2.2's MTCNN box on frame 1 of default.wmv (CLNF_SPEC.md §13): x, y, w, h. */
static const double openface_frame1_box[4] = {147.371201, 179.349548, 190.917023, 197.190750};

/* ---- loader ------------------------------------------------------------------------------- */

static void test_load_real(void)
{
    au_err err;
    au_mtcnn_net net;
    CHECK(au_mtcnn_net_load(&net, MTCNN_DIR "/PNet.dat", &err) == AUFACE_OK);
    /* CLNF_SPEC.md §2.9: conv 3→10 3x3, PReLU, maxpool k2 s2, conv 10→16, PReLU, conv 16→32,
     * PReLU, FC 32→6. */
    CHECK(net.n_layers == 8);
    if (net.n_layers == 8) {
        CHECK(net.layers[0].type == AU_MTCNN_CONV && net.layers[0].n_in == 3 &&
              net.layers[0].n_out == 10 && net.layers[0].kh == 3 && net.layers[0].kw == 3);
        CHECK(net.layers[2].type == AU_MTCNN_MAXPOOL && net.layers[2].kw == 2 &&
              net.layers[2].sx == 2);
        CHECK(net.layers[7].type == AU_MTCNN_FC && net.layers[7].n_in == 32 &&
              net.layers[7].n_out == 6);
    }
    au_mtcnn_net_free(&net);
    CHECK(au_mtcnn_net_load(&net, MTCNN_DIR "/ONet.dat", &err) == AUFACE_OK);
    CHECK(net.n_layers > 0 && net.layers[net.n_layers - 1].type == AU_MTCNN_FC &&
          net.layers[net.n_layers - 1].n_out == 16);
    au_mtcnn_net_free(&net);

    au_mtcnn *m = NULL;
    CHECK(au_mtcnn_load(&m, MTCNN_DIR, &err) == AUFACE_OK);
    au_mtcnn_free(m);
    m = NULL;
    CHECK(au_mtcnn_load(&m, MTCNN_DIR "/MTCNN_detector.txt", &err) == AUFACE_OK);
    au_mtcnn_free(m);
    m = NULL;
    CHECK(au_mtcnn_load(&m, MTCNN_DIR "/no_such_index.txt", &err) == AUFACE_ERR_IO);
    CHECK(m == NULL && strstr(err.msg, "no_such_index.txt") != NULL);
}

/* Truncated copies of each .dat must be rejected with a message naming the file, directly
 * and through an index file. */
static void test_load_truncated(void)
{
    char dir[64];
    if (!test_make_temp_dir(dir, sizeof dir, "test_mtcnn")) {
        CHECK(!"mkdtemp");
        return;
    }
    static const char *const nets[3] = {"PNet.dat", "RNet.dat", "ONet.dat"};
    char index[512], path[512], src[512];
    snprintf(index, sizeof index, "%s/MTCNN_detector.txt", dir);
    for (int which = 0; which < 3; which++) {
        snprintf(src, sizeof src, "%s/%s", MTCNN_DIR, nets[which]);
        size_t size;
        unsigned char *data = test_read_file(src, &size);
        CHECK(data != NULL);
        if (!data)
            continue;
        /* The other two nets intact, this one cut at several places (inside the header,
         * inside a layer header, inside a weight block, one byte short). */
        for (int j = 0; j < 3; j++) {
            snprintf(path, sizeof path, "%s/%s", dir, nets[j]);
            if (j != which) {
                char s2[512];
                snprintf(s2, sizeof s2, "%s/%s", MTCNN_DIR, nets[j]);
                CHECK(test_copy_file(s2, path));
            }
        }
        const size_t cuts[] = {0, 2, 9, 57, size / 2, size - 1};
        snprintf(path, sizeof path, "%s/%s", dir, nets[which]);
        for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
            CHECK(test_write_file(path, data, cuts[c]));
            au_err err = {0};
            au_mtcnn_net net;
            CHECK(au_mtcnn_net_load(&net, path, &err) == AUFACE_ERR_FORMAT);
            CHECK(strstr(err.msg, nets[which]) != NULL && strstr(err.msg, "truncated"));
            CHECK(net.layers == NULL);
            CHECK(test_write_file(index, "PNet PNet.dat\nRNet RNet.dat\r\nONet ONet.dat\n", 43));
            au_mtcnn *m = NULL;
            au_err err2 = {0};
            CHECK(au_mtcnn_load(&m, dir, &err2) == AUFACE_ERR_FORMAT);
            CHECK(m == NULL && strstr(err2.msg, nets[which]) != NULL);
        }
        /* Trailing garbage is rejected too. */
        unsigned char *longer = malloc(size + 4);
        memcpy(longer, data, size);
        memset(longer + size, 0, 4);
        CHECK(test_write_file(path, longer, size + 4));
        au_err err = {0};
        au_mtcnn_net net;
        CHECK(au_mtcnn_net_load(&net, path, &err) == AUFACE_ERR_FORMAT);
        CHECK(strstr(err.msg, "unexpected bytes") != NULL);
        free(longer);
        CHECK(test_write_file(path, data, size));
        free(data);
    }
    /* An index that misses a network. */
    CHECK(test_write_file(index, "PNet PNet.dat\nONet ONet.dat\n", 28));
    au_mtcnn *m = NULL;
    au_err err = {0};
    CHECK(au_mtcnn_load(&m, index, &err) == AUFACE_ERR_MODELS && strstr(err.msg, "RNet"));
    /* Networks swapped: RNet cannot take PNet's role (RNet is not fully convolutional). */
    CHECK(test_write_file(index, "PNet RNet.dat\nRNet RNet.dat\nONet ONet.dat\n", 42));
    CHECK(au_mtcnn_load(&m, index, &err) == AUFACE_ERR_FORMAT && strstr(err.msg, "PNet"));
    test_remove_tree(dir);
}

/* A hand-made file: conv 2 maps → 1 kernel of 2x3 (rows x cols), then FC 1 x 2. Checks the
 * kernel rearrangement into im2col order (map, column, row). */
static void test_load_synthetic(void)
{
    test_bytes b = {0};
    test_bytes_i32(&b, 2);     /* depth */
    test_bytes_i32(&b, 0);     /* conv */
    test_bytes_i32(&b, 2);     /* num_in */
    test_bytes_i32(&b, 1);     /* num_kernels */
    test_bytes_f32(&b, 0.5f);  /* bias */
    for (int m = 0; m < 2; m++) {
        test_bytes_i32(&b, 2);
        test_bytes_i32(&b, 3);
        test_bytes_i32(&b, 5);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                test_bytes_f32(&b, (float)(100 * m + 10 * r + c)); /* element (r, c) of map m */
    }
    test_bytes_i32(&b, 2);     /* FC */
    test_bytes_i32(&b, 2), test_bytes_i32(&b, 1), test_bytes_i32(&b, 5);
    test_bytes_f32(&b, 1.0f), test_bytes_f32(&b, 2.0f);
    test_bytes_i32(&b, 1), test_bytes_i32(&b, 2), test_bytes_i32(&b, 5);
    test_bytes_f32(&b, 3.0f), test_bytes_f32(&b, 4.0f);
    char path[] = "/tmp/test_mtcnn_synth_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) {
        free(b.p);
        return;
    }
    close(fd);
    CHECK(test_write_file(path, b.p, b.n));
    au_mtcnn_net net;
    au_err err;
    CHECK(au_mtcnn_net_load(&net, path, &err) == AUFACE_OK);
    if (net.n_layers == 2) {
        const au_mtcnn_layer *L = &net.layers[0];
        CHECK(L->kh == 2 && L->kw == 3 && L->n_in == 2 && L->n_out == 1);
        CHECK(L->bias[0] == 0.5f);
        for (int m = 0; m < 2; m++)
            for (int xx = 0; xx < 3; xx++)
                for (int yy = 0; yy < 2; yy++)
                    CHECK(L->weights[m * 6 + xx * 2 + yy] == (float)(100 * m + 10 * yy + xx));
        CHECK(net.layers[1].n_in == 1 && net.layers[1].n_out == 2);
        CHECK(net.layers[1].weights[0] == 3.0f && net.layers[1].weights[1] == 4.0f);
    }
    au_mtcnn_net_free(&net);
    /* Wrong element type in a Mat record. */
    test_put_le32(b.p + 28, 6); /* first kernel's type → CV_64FC1 */
    CHECK(test_write_file(path, b.p, b.n));
    CHECK(au_mtcnn_net_load(&net, path, &err) == AUFACE_ERR_FORMAT && strstr(err.msg, "type 6"));
    unlink(path);
    free(b.p);
}

/* ---- layers --------------------------------------------------------------------------- */

/* Number of outputs of a valid, stride-1 convolution of `in` (t.maps x t.h x t.w) that
 * differ from the formula evaluated in double: out[k][y][x] = bias[k] +
 * sum over m, r, c of wts[k][m][r][c] · in[m][y + r][x + c] (wts: kernels x maps x kh x kw). */
static int conv_mismatches(const float *out, const float *in, au_mtcnn_tensor t,
                           const float *wts, const float *bias, int kernels, int kh, int kw)
{
    const int oh = t.h - kh + 1, ow = t.w - kw + 1;
    int bad = 0;
    for (int k = 0; k < kernels; k++)
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                double s = bias[k];
                for (int m = 0; m < t.maps; m++)
                    for (int r = 0; r < kh; r++)
                        for (int c = 0; c < kw; c++)
                            s += (double)wts[((k * t.maps + m) * kh + r) * kw + c] *
                                 in[(m * t.h + y + r) * t.w + x + c];
                bad += out[(k * oh + y) * ow + x] != (float)s;
            }
    return bad;
}

/* Inputs are small integers or halves and weights quarters, so every float sum below is
 * exact and the expected values follow from the formulas in double. */
static void test_conv(void)
{
    enum { M = 2, H = 4, W = 11, K = 5, KH = 2, KW = 3, OH = H - KH + 1, OW = W - KW + 1 };
    float in[M * H * W], wts[K][M][KH][KW], bias[K], lw[K * M * KH * KW];
    for (int i = 0; i < M * H * W; i++)
        in[i] = (float)((i * 7) % 13) - 6.0f + (i % 2 ? 0.5f : 0.0f);
    for (int k = 0; k < K; k++) {
        bias[k] = 0.25f * (float)(k - 2);
        for (int m = 0; m < M; m++)
            for (int r = 0; r < KH; r++)
                for (int c = 0; c < KW; c++) {
                    wts[k][m][r][c] = 0.25f * (float)(((k + 3 * m + 5 * r + 7 * c) % 9) - 4);
                    lw[k * M * KH * KW + m * KH * KW + c * KH + r] = wts[k][m][r][c];
                }
    }
    au_mtcnn_layer L = {AU_MTCNN_CONV, M, K, KH, KW, 0, 0, lw, bias};
    au_mtcnn_tensor t = {M, H, W}, o;
    CHECK(au_mtcnn_layer_shape(&L, t, &o, "conv", 1, NULL) == AUFACE_OK);
    CHECK(o.maps == K && o.h == OH && o.w == OW);
    float out[K * OH * OW], work[M * KH * KW * OH * OW];
    CHECK(au_mtcnn_conv_work_floats(&L, t) == sizeof work / sizeof work[0]);
    au_mtcnn_conv(&L, in, t, work, out);
    CHECK(conv_mismatches(out, in, t, &wts[0][0][0][0], bias, K, KH, KW) == 0);

    /* Narrow rows (OW < 8) take the per-point path. */
    enum { W2 = 6, OW2 = W2 - KW + 1 };
    au_mtcnn_tensor t2 = {M, H, W2};
    float out2[K * OH * OW2];
    au_mtcnn_conv(&L, in, t2, work, out2);
    CHECK(conv_mismatches(out2, in, t2, &wts[0][0][0][0], bias, K, KH, KW) == 0);

    au_mtcnn_tensor wrong = {3, H, W};
    au_err err;
    CHECK(au_mtcnn_layer_shape(&L, wrong, &o, "net.dat", 4, &err) == AUFACE_ERR_FORMAT &&
          strstr(err.msg, "net.dat: layer 4"));
}

/* ---- OpenBLAS summation model, stated independently ------------------------------------
 * What OpenBLAS 0.3.21's Haswell sgemm does for element (i, j) of an m x n product with k
 * terms (see mtcnn_cnn.c): k blocks of level3.c (Q = 320), each block one FMA chain, or
 * two (even/odd k) in an m8n4/m8n6 tile; block sums added to C. The tile is found here by
 * walking the kernel's schedule, not by the closed form the library uses. */
static int model_split(int m, int n, int i, int j)
{
    int j0 = 0, width = 0; /* level3.c column chunks: 12, then 4 while > 4, then the rest */
    for (int rem = n;;) {
        int c = rem >= 12 ? 12 : rem > 4 ? 4 : rem;
        if (j < j0 + c) {
            width = c;
            break;
        }
        j0 += c;
        rem -= c;
    }
    if (i / 8 >= m / 8 || width < 4)
        return 0;
    if (width == 4)
        return 1;
    if (m < 16)
        return 0;
    int left = j - j0 < 6, panel = i / 8;
    int tile_split[64][2] = {{0}}; /* [panel][half]: 1 = m8n6 */
    tile_split[0][0] = 1;          /* H */
    for (int p = 0;;) {            /* R(p,p+1), L(p+1,p+2), ... then T */
        p++;
        if (m - 8 * p < 16) {
            tile_split[p][0] = 1;
            break;
        }
        p++;
        if (m - 8 * p < 16) {
            tile_split[p][1] = 1;
            break;
        }
    }
    return tile_split[panel][left ? 0 : 1];
}

static float model_element(const float *x, const float *y, int k, int split)
{
    float c = 0.0f;
    for (int ls = 0; ls < k;) {
        int len = k - ls;
        if (len >= 640)
            len = 320;
        else if (len > 320)
            len = (len / 2 + 7) / 8 * 8;
        int paired = split ? len / 8 * 8 : 0;
        float even = 0.0f, odd = 0.0f;
        for (int t = 0; t < len; t++) {
            if (t < paired && t % 2)
                odd = fmaf(x[ls + t], y[ls + t], odd);
            else
                even = fmaf(x[ls + t], y[ls + t], even);
        }
        c = c + (even + odd);
        ls += len;
    }
    return c;
}

static void test_conv_blas_order(void)
{
    /* Random data, so the order of the sums shows in the last bits. Shapes: 10 and 28
     * channels (tail rows), 16/32 (all panels), 361 terms (two k blocks), 117 and 23 pixels
     * (4-column chunks and a narrow remainder). */
    static const int cfg[][5] = {{3, 3, 3, 10, 13}, {40, 3, 3, 28, 13}, {10, 3, 3, 16, 9},
                                 {16, 3, 3, 32, 15}, {64, 2, 2, 48, 5}, {7, 2, 3, 5, 30}};
    unsigned seed = 12345;
    int bad = 0, total = 0;
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        const int nin = cfg[c][0], kh = cfg[c][1], kw = cfg[c][2], nout = cfg[c][3];
        const int h = kh + cfg[c][4] - 1 + (int)(c % 3), w = kw + cfg[c][4] - 1;
        const int oh = h - kh + 1, ow = w - kw + 1, n = oh * ow, taps = nin * kh * kw;
        float *wt = malloc(sizeof(float) * (size_t)(nout * taps)), *bias = malloc(sizeof(float) * (size_t)nout);
        float *in = malloc(sizeof(float) * (size_t)(nin * h * w)), *out = malloc(sizeof(float) * (size_t)(nout * n));
        float *work = malloc(sizeof(float) * (size_t)(taps * n));
        float *x = malloc(sizeof(float) * (size_t)(taps + 1)), *y = malloc(sizeof(float) * (size_t)(taps + 1));
        for (int i = 0; i < nout * taps; i++)
            wt[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
        for (int i = 0; i < nout; i++)
            bias[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
        for (int i = 0; i < nin * h * w; i++)
            in[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 8388608.0f - 1.0f;
        au_mtcnn_layer L = {AU_MTCNN_CONV, nin, nout, kh, kw, 0, 0, wt, bias};
        au_mtcnn_tensor t = {nin, h, w};
        au_mtcnn_conv(&L, in, t, work, out);
        for (int k = 0; k < nout; k++)
            for (int p = 0; p < n; p++) {
                int py = p / ow, px = p % ow;
                for (int m = 0; m < nin; m++) /* im2col order: map, kernel column, kernel row */
                    for (int xx = 0; xx < kw; xx++)
                        for (int yy = 0; yy < kh; yy++) {
                            int tap = (m * kw + xx) * kh + yy;
                            x[tap] = wt[k * taps + tap];
                            y[tap] = in[(m * h + py + yy) * w + px + xx];
                        }
                x[taps] = bias[k];
                y[taps] = 1.0f;
                float want = model_element(x, y, taps + 1, model_split(nout, n, k, p));
                bad += memcmp(&want, &out[k * n + p], sizeof want) != 0;
                total++;
            }
        free(wt), free(bias), free(in), free(out), free(work), free(x), free(y);
    }
    printf("convolution vs the OpenBLAS summation model: %d of %d values differ\n", bad, total);
    CHECK(bad == 0);

    /* A fully connected layer with >= 100 outputs (cblas_sgemm path): 576 inputs = two
     * k blocks of 288, added to the bias in order. */
    enum { NIN = 576, NOUT = 128 };
    float *W = malloc(sizeof(float) * NIN * NOUT), b[NOUT], v[NIN], out[NOUT];
    for (int i = 0; i < NIN * NOUT; i++)
        W[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < NOUT; i++)
        b[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < NIN; i++)
        v[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 8388608.0f - 1.0f;
    au_mtcnn_layer F = {AU_MTCNN_FC, NIN, NOUT, 0, 0, 0, 0, W, b};
    au_mtcnn_tensor col = {1, NIN, 1};
    au_mtcnn_fc(&F, v, col, out);
    bad = 0;
    for (int k = 0; k < NOUT; k++) {
        float c = b[k];
        for (int blk = 0; blk < 2; blk++) {
            float acc = 0.0f;
            for (int i = 288 * blk; i < 288 * (blk + 1); i++)
                acc = fmaf(W[i * NOUT + k], v[i], acc);
            c = c + acc;
        }
        bad += memcmp(&c, &out[k], sizeof c) != 0;
    }
    CHECK(bad == 0);
    free(W);
}

static void test_prelu(void)
{
    float slopes[3] = {0.5f, 0.25f, -2.0f};
    au_mtcnn_layer L = {AU_MTCNN_PRELU, 3, 3, 0, 0, 0, 0, slopes, NULL};
    float in[6] = {-2.0f, 3.0f, -4.0f, 0.0f, -1.0f, 5.0f}, out[6];
    au_mtcnn_tensor maps = {3, 1, 2};
    au_mtcnn_prelu(&L, in, maps, out);
    const float want_maps[6] = {-1.0f, 3.0f, -1.0f, 0.0f, 2.0f, 5.0f};
    CHECK(memcmp(out, want_maps, sizeof out) == 0);
    /* A column vector: slope k for element k (in place). */
    float v[3] = {-2.0f, -4.0f, 7.0f};
    au_mtcnn_tensor col = {1, 3, 1};
    au_mtcnn_prelu(&L, v, col, v);
    CHECK(v[0] == -1.0f && v[1] == -1.0f && v[2] == 7.0f);
}

static void test_maxpool(void)
{
    /* 6x6 input, kernel 3, stride 2: roundf(3/2 = 1.5) + 1 = 3 outputs per side; the last
     * window starts at 4 and is cut at the border (columns 4..5). */
    float in[36];
    for (int i = 0; i < 36; i++)
        in[i] = (float)((i * 11) % 17);
    au_mtcnn_layer L = {AU_MTCNN_MAXPOOL, 0, 0, 3, 3, 2, 2, NULL, NULL};
    au_mtcnn_tensor t = {1, 6, 6}, o;
    CHECK(au_mtcnn_layer_shape(&L, t, &o, "pool", 1, NULL) == AUFACE_OK);
    CHECK(o.h == 3 && o.w == 3);
    float out[9];
    au_mtcnn_maxpool(&L, in, t, out);
    int bad = 0;
    for (int yo = 0; yo < 3; yo++)
        for (int xo = 0; xo < 3; xo++) {
            float best = -1e30f;
            for (int y = 2 * yo; y < 2 * yo + 3 && y < 6; y++)
                for (int x = 2 * xo; x < 2 * xo + 3 && x < 6; x++)
                    best = in[y * 6 + x] > best ? in[y * 6 + x] : best;
            bad += out[yo * 3 + xo] != best;
        }
    CHECK(bad == 0);
    /* RNet/ONet sizes of CLNF_SPEC.md §9.3: 22 → 11 (k3 s2), 9 → 4 (k3 s2), 46 → 23,
     * 21 → 10, 8 → 4 (k2 s2). */
    au_mtcnn_tensor s22 = {1, 22, 22}, s9 = {1, 9, 9}, s46 = {1, 46, 46}, s21 = {1, 21, 21};
    CHECK(au_mtcnn_layer_shape(&L, s22, &o, "", 1, NULL) == 0 && o.w == 11);
    CHECK(au_mtcnn_layer_shape(&L, s9, &o, "", 1, NULL) == 0 && o.w == 4);
    CHECK(au_mtcnn_layer_shape(&L, s46, &o, "", 1, NULL) == 0 && o.w == 23);
    CHECK(au_mtcnn_layer_shape(&L, s21, &o, "", 1, NULL) == 0 && o.w == 10);
    au_mtcnn_layer L2 = {AU_MTCNN_MAXPOOL, 0, 0, 2, 2, 2, 2, NULL, NULL};
    au_mtcnn_tensor s8 = {1, 8, 8};
    CHECK(au_mtcnn_layer_shape(&L2, s8, &o, "", 1, NULL) == 0 && o.w == 4);
}

/* CHECKs the two outputs of an FC layer of 6 inputs against the formula in double:
 * out[k] = b[k] + sum over i of W[i][k]·in[i] (W: 6 x 2). */
static void check_fc_6x2(const float out[2], const float W[12], const float b[2],
                         const float in[6])
{
    for (int k = 0; k < 2; k++) {
        double s = b[k];
        for (int i = 0; i < 6; i++)
            s += (double)W[i * 2 + k] * in[i];
        CHECK(out[k] == (float)s);
    }
}

static void test_fc(void)
{
    /* W is in x out (file layout), bias per output. */
    float W[6 * 2], b[2] = {0.5f, -1.0f};
    for (int i = 0; i < 12; i++)
        W[i] = 0.25f * (float)(i - 5);
    au_mtcnn_layer L = {AU_MTCNN_FC, 6, 2, 0, 0, 0, 0, W, b};
    /* Several maps, maps != in: 3 maps of 2x1 flattened column by column = 6 inputs. */
    float in[6] = {1, -2, 3, 0.5f, -1, 2}; /* map m, row y: in[m*2 + y] */
    au_mtcnn_tensor t = {3, 2, 1}, o;
    CHECK(au_mtcnn_layer_shape(&L, t, &o, "", 1, NULL) == 0 && o.maps == 1 && o.h == 2 &&
          o.w == 1);
    float out[2];
    au_mtcnn_fc(&L, in, t, out);
    check_fc_6x2(out, W, b, in);
    /* Column-major flattening: maps of 1x2 (one row, two columns) are read column by column,
     * which for a single row is the row itself; a 2x2 map shows the transpose. */
    float W4[4 * 1] = {1.0f, 10.0f, 100.0f, 1000.0f}, b1[1] = {0.0f};
    au_mtcnn_layer L4 = {AU_MTCNN_FC, 4, 1, 0, 0, 0, 0, W4, b1};
    float sq[8] = {1, 2, 3, 4, 0, 0, 0, 0}; /* two maps 2x2; map 0 = [[1 2] [3 4]] */
    au_mtcnn_layer L8 = {AU_MTCNN_FC, 8, 1, 0, 0, 0, 0, NULL, b1};
    float W8[8] = {1.0f, 10.0f, 100.0f, 1000.0f, 0, 0, 0, 0};
    L8.weights = W8;
    au_mtcnn_tensor t8 = {2, 2, 2};
    au_mtcnn_fc(&L8, sq, t8, out);
    CHECK(out[0] == 1.0f + 30.0f + 200.0f + 4000.0f); /* order 1, 3, 2, 4 */
    (void)L4;
    /* Several maps, maps == in: a 1x1 convolution over 6 maps of 1x3, bias added after. */
    float px[18];
    for (int i = 0; i < 18; i++)
        px[i] = (float)(i % 5) - 2.0f;
    au_mtcnn_tensor tp = {6, 1, 3};
    CHECK(au_mtcnn_layer_shape(&L, tp, &o, "", 1, NULL) == 0 && o.maps == 2 && o.w == 3);
    float outp[6];
    au_mtcnn_fc(&L, px, tp, outp);
    for (int k = 0; k < 2; k++)
        for (int p = 0; p < 3; p++) {
            double s = 0.0;
            for (int c = 0; c < 6; c++)
                s += (double)W[c * 2 + k] * px[c * 3 + p];
            CHECK(outp[k * 3 + p] == (float)s + b[k]);
        }
    /* A single column → a row. */
    au_mtcnn_tensor col = {1, 6, 1};
    CHECK(au_mtcnn_layer_shape(&L, col, &o, "", 1, NULL) == 0 && o.h == 1 && o.w == 2);
    au_mtcnn_fc(&L, in, col, out);
    check_fc_6x2(out, W, b, in);
}

/* ---- detector --------------------------------------------------------------------------- */

static void test_frame1(const au_mtcnn *m)
{
    int w, h;
    uint8_t *bgr = test_load_bgr(SHARED("reference/nn/media/default_f000.png"), &w, &h);
    CHECK(bgr != NULL && w == 640 && h == 480);
    if (!bgr)
        return;
    au_err err;
    au_mtcnn_scratch *s = NULL;
    CHECK(au_mtcnn_scratch_create(&s, m, w, h, AU_MTCNN_DEFAULT_MIN_FACE, &err) == AUFACE_OK);
    if (!s) {
        free(bgr);
        return;
    }
    au_mtcnn_box boxes[16];
    int n = au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, AU_MTCNN_DEFAULT_MIN_FACE, boxes, 16,
                            s, &err);
    CHECK(n >= 1);
    /* FeatureExtraction takes the widest box (CLNF_SPEC.md §8.2 B.1). */
    int widest = 0;
    for (int i = 1; i < n && i < 16; i++)
        if (boxes[i].w > boxes[widest].w)
            widest = i;
    const au_mtcnn_box face = boxes[widest];
    if (n >= 1) {
        const au_mtcnn_box *b = &face;
        printf("default.wmv frame 1: %d face(s); widest (%.6f, %.6f, %.6f, %.6f) conf %.6f\n", n,
               b->x, b->y, b->w, b->h, b->confidence);
        printf("  difference from OpenFace: %.2e %.2e %.2e %.2e px\n",
               b->x - openface_frame1_box[0], b->y - openface_frame1_box[1],
               b->w - openface_frame1_box[2], b->h - openface_frame1_box[3]);
        CHECK_NEAR(b->x, openface_frame1_box[0], 1e-3);
        CHECK_NEAR(b->y, openface_frame1_box[1], 1e-3);
        CHECK_NEAR(b->w, openface_frame1_box[2], 1e-3);
        CHECK_NEAR(b->h, openface_frame1_box[3], 1e-3);
        /* Bit-exact numerics give the same floats: equal to the 6 printed decimals (a float
         * step here is 1.5e-5 px, so any other float would differ by more). */
        for (int i = 0; i < 4; i++)
            CHECK_NEAR((&b->x)[i], openface_frame1_box[i], 1e-6);
    }
    /* Deterministic and independent of the row stride. */
    size_t stride = 3 * (size_t)w + 13;
    uint8_t *padded = calloc((size_t)h, stride);
    for (int y = 0; y < h; y++)
        memcpy(padded + (size_t)y * stride, bgr + (size_t)y * 3 * (size_t)w, 3 * (size_t)w);
    au_mtcnn_box again[16];
    int n2 = au_mtcnn_detect(m, padded, w, h, stride, AU_MTCNN_DEFAULT_MIN_FACE, again, 16, s,
                             &err);
    CHECK(n2 == n && memcmp(again, boxes, (size_t)(n < 16 ? n : 16) * sizeof *boxes) == 0);
    free(padded);

    /* Argument checks. */
    CHECK(au_mtcnn_detect(m, bgr, w + 1, h, 3 * (size_t)(w + 1), 60.0f, boxes, 16, s, &err) ==
          -1 && err.status == AUFACE_ERR_ARG);
    CHECK(au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, 30.0f, boxes, 16, s, &err) == -1);
    CHECK(au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w - 1, 60.0f, boxes, 16, s, &err) == -1);
    /* max_out 0 still counts. */
    CHECK(au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, 60.0f, NULL, 0, s, &err) == n);
    /* Frames smaller than the scratch's; no pyramid level when min(w, h) < min_face. */
    CHECK(au_mtcnn_detect(m, bgr, 1, 1, 3 * (size_t)w, 60.0f, boxes, 16, s, &err) == 0);
    CHECK(au_mtcnn_detect(m, bgr, 59, 480, 3 * (size_t)w, 60.0f, boxes, 16, s, &err) == 0);
    /* A larger min_face only drops pyramid levels; the face here is ~190 px wide. */
    CHECK(au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, 150.0f, boxes, 16, s, &err) == 1);
    /* default_f000_tl.png is rows 120..479, columns 150..639 of this frame: the face now
     * touches the top-left corner, so the crops extend past the border. The same face is
     * found, shifted by the crop (within a few px: the pyramid differs). */
    {
        int tw, th;
        uint8_t *tl = test_load_bgr(SHARED("reference/nn/media/default_f000_tl.png"), &tw, &th);
        CHECK(tl != NULL && tw == 490 && th == 360);
        if (tl) {
            int nt = au_mtcnn_detect(m, tl, tw, th, 3 * (size_t)tw, 60.0f, again, 16, s, &err);
            printf("default_f000_tl.png: %d face(s), first (%.2f, %.2f, %.2f, %.2f)\n", nt,
                   again[0].x, again[0].y, again[0].w, again[0].h);
            CHECK(nt == 1);
            if (nt == 1 && n >= 1) {
                CHECK(fabsf(again[0].x + 150.0f - face.x) < 0.1f * face.w);
                CHECK(fabsf(again[0].y + 120.0f - face.y) < 0.1f * face.h);
            }
            free(tl);
        }
    }

    /* Speed on the 640x480 frame. */
    int reps = 10;
    double t0 = 1e3 * test_seconds();
    for (int i = 0; i < reps; i++)
        au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, AU_MTCNN_DEFAULT_MIN_FACE, boxes, 16, s,
                        &err);
    printf("  %.2f ms per 640x480 frame (mean of %d runs, scratch %zu bytes)\n",
           (1e3 * test_seconds() - t0) / reps, reps,
           au_mtcnn_scratch_bytes(m, w, h, AU_MTCNN_DEFAULT_MIN_FACE));
    au_mtcnn_scratch_free(s);
    free(bgr);
}

static void test_samples(const au_mtcnn *m)
{
    for (int i = 1; i <= 6; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/media/sample%d.jpg", AU_SHARED_DIR, i);
        int w, h;
        uint8_t *bgr = test_load_bgr(path, &w, &h);
        CHECK(bgr != NULL);
        if (!bgr)
            continue;
        au_err err;
        au_mtcnn_scratch *s = NULL;
        CHECK(au_mtcnn_scratch_create(&s, m, w, h, AU_MTCNN_DEFAULT_MIN_FACE, &err) == 0);
        au_mtcnn_box boxes[64];
        double t0 = 1e3 * test_seconds();
        int n = s ? au_mtcnn_detect(m, bgr, w, h, 3 * (size_t)w, AU_MTCNN_DEFAULT_MIN_FACE,
                                    boxes, 64, s, &err)
                  : -1;
        double ms = 1e3 * test_seconds() - t0;
        printf("sample%d.jpg (%dx%d): %d face(s), %.1f ms\n", i, w, h, n, ms);
        for (int k = 0; k < n && k < 64; k++) {
            printf("  (%.2f, %.2f, %.2f, %.2f) conf %.4f\n", boxes[k].x, boxes[k].y, boxes[k].w,
                   boxes[k].h, boxes[k].confidence);
            /* Plausible: inside the image (give or take the calibration margin), a size a
             * face can have, a probability. */
            CHECK(boxes[k].w >= 0.5f * AU_MTCNN_DEFAULT_MIN_FACE && boxes[k].w <= (float)w);
            CHECK(boxes[k].x > -0.2f * boxes[k].w && boxes[k].x + boxes[k].w < w + 0.2f * boxes[k].w);
            CHECK(boxes[k].confidence >= 0.7f && boxes[k].confidence <= 1.0f);
        }
        if (i == 1)
            CHECK(n >= 1);
        au_mtcnn_scratch_free(s);
        free(bgr);
    }
}

int main(void)
{
    test_load_real();
    test_load_truncated();
    test_load_synthetic();
    test_conv();
    test_conv_blas_order();
    test_prelu();
    test_maxpool();
    test_fc();

    au_mtcnn *m = NULL;
    au_err err;
    if (au_mtcnn_load(&m, MTCNN_DIR, &err) != AUFACE_OK) {
        fprintf(stderr, "%s\n", err.msg);
        CHECK(!"load MTCNN");
    } else {
        test_frame1(m);
        test_samples(m);
        au_mtcnn_free(m);
    }
    return check_report("test_mtcnn");
}
