/* Loading OpenFace's CLNF model set (landmark/clnf_model): every file of the real set parsed
 * to its last byte with the counts and shapes of CLNF_SPEC.md §2, and truncated or garbled
 * copies (in a temporary mirror of the model folder) rejected with a message that names the
 * file. Also reports the load time and the memory of the loaded model. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "landmark/clnf_model.h"
#include "test_bytes.h"
#include "test_clock.h"
#include "test_files.h"

#define MODEL_DIR SHARED("models/openface/model")

/* Every file the main list names (directly or through the part and CLNF lists). */
static const char *const model_files[] = {
    "main_clnf_general.txt",
    "clnf_general.txt",
    "tris_68.txt",
    "pdms/In-the-wild_aligned_PDM_68.txt",
    "patch_experts/ccnf_patches_0.25_general.txt",
    "patch_experts/ccnf_patches_0.35_general.txt",
    "patch_experts/ccnf_patches_0.5_general.txt",
    "model_inner/main_clnf_inner.txt",
    "model_inner/clnf_inner.txt",
    "model_inner/pdms/pdm_51_inner.txt",
    "model_inner/patch_experts/ccnf_patches_1.00_inner.txt",
    "model_eye/main_clnf_synth_left.txt",
    "model_eye/clnf_left_synth.txt",
    "model_eye/pdms/pdm_28_l_eye_3D_closed.txt",
    "model_eye/patch_experts/left_ccnf_patches_1.00_synth_lid_.txt",
    "model_eye/patch_experts/left_ccnf_patches_1.50_synth_lid_.txt",
    "model_eye/main_clnf_synth_right.txt",
    "model_eye/clnf_right_synth.txt",
    "model_eye/pdms/pdm_28_eye_3D_closed.txt",
    "model_eye/patch_experts/ccnf_patches_1.00_synth_lid_.txt",
    "model_eye/patch_experts/ccnf_patches_1.50_synth_lid_.txt",
    "detection_validation/validator_cnn.txt",
};
#define NUM_FILES (sizeof model_files / sizeof model_files[0])

static const char *const mirror_dirs[] = {
    "pdms", "patch_experts", "model_inner", "model_inner/pdms", "model_inner/patch_experts",
    "model_eye", "model_eye/pdms", "model_eye/patch_experts", "detection_validation",
};
#define NUM_DIRS (sizeof mirror_dirs / sizeof mirror_dirs[0])

static char mirror[256];

static void mirror_path(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", mirror, rel);
}

static int link_original(const char *rel)
{
    char src[512], dst[512];
    snprintf(src, sizeof src, "%s/%s", MODEL_DIR, rel);
    mirror_path(dst, sizeof dst, rel);
    return test_link_file(src, dst);
}

static int make_mirror(void)
{
    snprintf(mirror, sizeof mirror, "/tmp/test_clnf_model_XXXXXX");
    if (!mkdtemp(mirror))
        return 0;
    char p[512];
    for (size_t i = 0; i < NUM_DIRS; i++) {
        mirror_path(p, sizeof p, mirror_dirs[i]);
        if (mkdir(p, 0700) != 0)
            return 0;
    }
    for (size_t i = 0; i < NUM_FILES; i++)
        if (!link_original(model_files[i]))
            return 0;
    return 1;
}

static void remove_mirror(void)
{
    char p[512];
    for (size_t i = 0; i < NUM_FILES; i++) {
        mirror_path(p, sizeof p, model_files[i]);
        unlink(p);
    }
    for (size_t i = NUM_DIRS; i-- > 0;) {
        mirror_path(p, sizeof p, mirror_dirs[i]);
        rmdir(p);
    }
    rmdir(mirror);
}

/* The original file `rel` (NUL-terminated, see test_read_file). */
static unsigned char *read_original(const char *rel, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", MODEL_DIR, rel);
    return test_read_file(path, size);
}

/* Replaces the mirror's `rel` with the given bytes. */
static int put_file(const char *rel, const void *data, size_t size)
{
    char p[512];
    mirror_path(p, sizeof p, rel);
    return test_replace_file(p, data, size);
}

/* Loads the mirror's main list; CHECKs that it loads (the message is printed, after
 * `label`, if not). */
static au_clnf_model *load_mirror(const char *label)
{
    char p[512];
    mirror_path(p, sizeof p, "main_clnf_general.txt");
    au_clnf_model *m = NULL;
    au_err err;
    au_err_clear(&err);
    CHECK(au_clnf_model_load(&m, p, &err) == AUFACE_OK);
    if (!m)
        fprintf(stderr, "  %s: %s\n", label, err.msg);
    return m;
}

/* Loads the mirror's main list; expects failure with `status` and a message containing
 * every non-NULL needle. Restores the original file afterwards. */
static void expect_failure(const char *label, const char *restore_rel, auface_status status,
                           const char *needle1, const char *needle2, const char *needle3)
{
    char main_path[512];
    mirror_path(main_path, sizeof main_path, "main_clnf_general.txt");
    au_clnf_model *m = (au_clnf_model *)&m; /* must be reset to NULL */
    au_err err;
    au_err_clear(&err);
    auface_status st = au_clnf_model_load(&m, main_path, &err);
    int ok = st == status && m == NULL && (!needle1 || strstr(err.msg, needle1)) &&
             (!needle2 || strstr(err.msg, needle2)) && (!needle3 || strstr(err.msg, needle3));
    CHECK(ok);
    if (getenv("AU_TEST_VERBOSE"))
        printf("  %-28s -> %s\n", label, err.msg);
    if (!ok)
        fprintf(stderr, "  case '%s': status %d (expected %d), message: %s\n", label, (int)st,
                (int)status, err.msg);
    if (st == AUFACE_OK)
        au_clnf_model_free(m);
    if (restore_rel)
        CHECK(link_original(restore_rel));
}

/* Byte offset of the first patch expert in a 68-point, 7-view file with windows 7, 9, 11, 15
 * of 3 components each (CLNF_SPEC §2.4): scaling, views, 7 centre records (3x1 float64),
 * 7 visibility records (68x1 int32), the window table. */
static size_t first_expert_offset(void)
{
    size_t off = 8 + 4 + 7 * (12 + 3 * 8) + 7 * (12 + 68 * 4) + 4;
    static const int ws[4] = {7, 9, 11, 15};
    for (int w = 0; w < 4; w++)
        off += 8 + 3 * (12 + 4 * (size_t)ws[w] * ws[w] * ws[w] * ws[w]);
    return off;
}

/* ---- the real model set -------------------------------------------------------------- */

static int count_visible(const au_ccnf_patch_set *s, int view)
{
    int n = 0;
    for (int p = 0; p < s->num_points; p++)
        n += s->visibility[view * s->num_points + p] != 0;
    return n;
}

static void check_patch_set(const au_ccnf_patch_set *s, double scaling, int views, int points,
                            const int *windows, int num_windows, int components)
{
    CHECK(s->patch_scaling == scaling);
    CHECK(s->num_views == views);
    CHECK(s->num_points == points);
    CHECK(s->num_windows == num_windows);
    int win_ok = 1, experts_ok = 1;
    for (int w = 0; w < s->num_windows && w < num_windows; w++)
        win_ok &= s->windows[w].ws == windows[w] && s->windows[w].count == components;
    CHECK(win_ok);
    for (int v = 0; v < s->num_views; v++)
        for (int p = 0; p < s->num_points; p++) {
            const au_ccnf_expert *e = &s->experts[v * s->num_points + p];
            experts_ok &= e->width == 11 && e->height == 11;
            if (s->visibility[v * s->num_points + p])
                experts_ok &= e->num_neurons == 7 && e->num_betas == components;
            else
                experts_ok &= e->num_neurons == 0;
        }
    CHECK(experts_ok);
}

/* Laplacian (degree − adjacency) of the ws x ws grid graph whose neighbours are at the given
 * offsets (node index y·ws + x). */
static int is_grid_laplacian(const float *m, int ws, const int (*off)[2], int num_off)
{
    const int n = ws * ws;
    for (int i = 0; i < n; i++) {
        int y = i / ws, x = i % ws, degree = 0;
        for (int j = 0; j < n; j++) {
            int adj = 0;
            for (int k = 0; k < num_off; k++)
                adj |= j / ws == y + off[k][0] && j % ws == x + off[k][1];
            degree += adj;
            if (j != i && m[(size_t)i * n + j] != (adj ? -1.0f : 0.0f))
                return 0;
        }
        if (m[(size_t)i * n + i] != (float)degree)
            return 0;
    }
    return 1;
}

static void test_real_model(void)
{
    au_clnf_model *m = NULL;
    au_err err;
    au_err_clear(&err);
    double t0 = test_seconds();
    auface_status st = au_clnf_model_load(&m, MODEL_DIR "/main_clnf_general.txt", &err);
    double t1 = test_seconds();
    CHECK(st == AUFACE_OK);
    if (st != AUFACE_OK) {
        fprintf(stderr, "  %s\n", err.msg);
        return;
    }
    printf("  loaded the CLNF model set in %.1f ms; %.2f MB of heap\n", 1e3 * (t1 - t0),
           au_clnf_model_memory(m) / 1e6);

    /* Main model. */
    const au_clnf *c = au_clnf_model_main_const(m);
    CHECK(c->pdm.n == 68 && c->pdm.m == 34);
    CHECK(c->num_scales == 3);
    static const int main_windows[4] = {7, 9, 11, 15};
    static const double scalings[3] = {0.25, 0.35, 0.5};
    for (int s = 0; s < 3; s++)
        check_patch_set(&c->scales[s], scalings[s], 7, 68, main_windows, 4, 3);
    static const int yaw[7] = {0, -20, -45, -70, 70, 45, 20};
    static const int visible[7] = {68, 68, 68, 35, 35, 68, 68};
    int centres_ok = 1, vis_ok = 1;
    for (int s = 0; s < 3; s++)
        for (int v = 0; v < 7; v++) {
            const double *cv = c->scales[s].view_centres[v];
            centres_ok &= cv[0] == 0.0 && cv[1] == yaw[v] * M_PI / 180.0 && cv[2] == 0.0;
            vis_ok &= count_visible(&c->scales[s], v) == visible[v];
        }
    CHECK(centres_ok);
    CHECK(vis_ok);
    static const char *const vis3 =
        "11111111100000000111100000011111010011101100000011110000011101100011";
    static const char *const vis4 =
        "00000000111111111000000111111110010100000001111100011111110000110110";
    int strings_ok = 1;
    for (int p = 0; p < 68; p++) {
        strings_ok &= (c->scales[0].visibility[3 * 68 + p] != 0) == (vis3[p] == '1');
        strings_ok &= (c->scales[0].visibility[4 * 68 + p] != 0) == (vis4[p] == '1');
    }
    CHECK(strings_ok);

    /* 4 of the 8 610 neurons of the three main files have alpha <= 1e-4. */
    int neurons = 0, tiny = 0;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 7 * 68; i++) {
            const au_ccnf_expert *e = &c->scales[s].experts[i];
            neurons += e->num_neurons;
            for (int k = 0; k < e->num_neurons; k++)
                tiny += e->alpha[k] <= 1e-4;
        }
    CHECK(neurons == 8610);
    CHECK(tiny == 4);

    /* First expert of the 0.25 file: the values read with an independent byte walk
     * (first_expert_offset) and the weight-matrix rule of CCNF_patch_expert::Read. */
    {
        size_t size;
        unsigned char *raw = read_original("patch_experts/ccnf_patches_0.25_general.txt", &size);
        CHECK(raw != NULL);
        const au_ccnf_expert *e = au_clnf_expert(c, 0, 0, 0);
        if (raw && e) {
            size_t off = first_expert_offset();
            int32_t hdr[4];
            memcpy(hdr, raw + off, sizeof hdr);
            CHECK(hdr[0] == 5 && hdr[1] == 11 && hdr[2] == 11 && hdr[3] == 7);
            double nw, bias, alpha;
            memcpy(&nw, raw + off + 24, 8);
            memcpy(&bias, raw + off + 32, 8);
            memcpy(&alpha, raw + off + 40, 8);
            float w0[121];
            memcpy(w0, raw + off + 60, sizeof w0);
            CHECK(e->norm_weights[0] == nw && e->bias[0] == bias && e->alpha[0] == alpha);
            CHECK(memcmp(e->weights, w0, sizeof w0) == 0);
            int rule_ok = e->weight_matrix[0] == (float)bias;
            for (int r = 0; r < 11; r++)
                for (int col = 0; col < 11; col++)
                    rule_ok &= e->weight_matrix[1 + col * 11 + r] == w0[r * 11 + col] * (float)nw;
            CHECK(rule_ok);
            double last_conf;
            memcpy(&last_conf, raw + size - 8, 8);
            CHECK(au_clnf_expert(c, 0, 6, 67)->patch_confidence == last_conf);
        }
        free(raw);
    }

    /* Sigma components: 0 = 4-neighbour Laplacian, 1 = diagonal-neighbour Laplacian;
     * identical in the three main files and the inner file. */
    static const int four[4][2] = {{-1, 0}, {1, 0}, {0, -1}, {0, 1}};
    static const int diag[4][2] = {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}};
    int lap_ok = 1, same_ok = 1;
    const au_ccnf_patch_set *inner_set = &au_clnf_model_part(m, 0)->clnf.scales[0];
    for (int w = 0; w < 4; w++) {
        const au_ccnf_sigma_components *sc = &c->scales[0].windows[w];
        const size_t nn = (size_t)sc->ws * sc->ws * sc->ws * sc->ws;
        lap_ok &= is_grid_laplacian(sc->mats, sc->ws, four, 4);
        lap_ok &= is_grid_laplacian(sc->mats + nn, sc->ws, diag, 4);
        for (int s = 1; s < 3; s++)
            same_ok &= memcmp(sc->mats, c->scales[s].windows[w].mats, 3 * nn * sizeof(float)) == 0;
        same_ok &= memcmp(sc->mats, inner_set->windows[w].mats, 3 * nn * sizeof(float)) == 0;
    }
    CHECK(lap_ok);
    CHECK(same_ok);
    int count = -1;
    CHECK(au_clnf_sigma_components(c, 11, &count) == c->scales[2].windows[2].mats && count == 3);
    CHECK(au_clnf_sigma_components(c, 5, &count) == NULL && count == 0);

    /* Views (Patch_experts::GetViewIdx). */
    const au_ccnf_patch_set *s0 = &c->scales[0];
    CHECK(au_ccnf_patch_set_view(s0, 0.0f, 0.0f, 0.0f) == 0);
    CHECK(au_ccnf_patch_set_view(s0, 0.0f, -0.3f, 0.0f) == 1);
    CHECK(au_ccnf_patch_set_view(s0, 0.1f, 0.9f, -0.2f) == 5);
    CHECK(au_ccnf_patch_set_view(s0, 0.0f, 1.5f, 0.0f) == 4);
    CHECK(au_ccnf_patch_set_view(s0, 0.0f, -1.5f, 0.3f) == 3);
    CHECK(au_ccnf_patch_set_view(s0, 0.0f, (float)(10 * M_PI / 180), 0.0f) == 0); /* tie */
    CHECK(au_clnf_expert(c, 3, 0, 0) == NULL && au_clnf_expert(c, 0, 7, 0) == NULL &&
          au_clnf_expert(c, 0, 0, 68) == NULL && au_clnf_expert(c, 0, 0, -1) == NULL);

    /* Triangulations (drawing only). */
    static const int tris[7] = {97, 97, 82, 31, 97, 82, 31};
    CHECK(c->num_tri_views == 7);
    int tris_ok = c->num_tri_views == 7;
    for (int v = 0; tris_ok && v < 7; v++)
        tris_ok &= c->tri_views[v].count == tris[v];
    CHECK(tris_ok);
    CHECK(c->tri_views[0].tri[0] == 58 && c->tri_views[0].tri[1] == 67 &&
          c->tri_views[0].tri[2] == 59);

    /* Parts. */
    CHECK(au_clnf_model_num_parts(m) == 3);
    au_clnf_part *inner = au_clnf_model_find_part(m, "inner");
    au_clnf_part *left = au_clnf_model_find_part(m, "left_eye_28");
    au_clnf_part *right = au_clnf_model_find_part(m, "right_eye_28");
    CHECK(inner == au_clnf_model_part(m, 0) && left == au_clnf_model_part(m, 1) &&
          right == au_clnf_model_part(m, 2));
    CHECK(au_clnf_model_find_part(m, "mouth") == NULL && au_clnf_model_part(m, 3) == NULL);
    CHECK(au_clnf_model_part_const(m, 1) == left && au_clnf_model_part_const(m, 3) == NULL &&
          au_clnf_model_part_const(m, -1) == NULL);
    if (inner && left && right) {
        CHECK(inner->clnf.pdm.n == 51 && inner->clnf.pdm.m == 32);
        CHECK(inner->clnf.num_scales == 1 && inner->clnf.num_tri_views == 0);
        check_patch_set(&inner->clnf.scales[0], 1.0, 7, 51, main_windows, 4, 3);
        CHECK(count_visible(&inner->clnf.scales[0], 3) == 26 &&
              count_visible(&inner->clnf.scales[0], 0) == 51);
        int map_ok = inner->num_pairs == 51;
        for (int i = 0; map_ok && i < 51; i++)
            map_ok &= inner->pairs[i][0] == 17 + i && inner->pairs[i][1] == i;
        CHECK(map_ok);

        static const int left_windows[6] = {3, 5, 7, 9, 11, 15};
        static const int eye_scalings_x2[2] = {2, 3};
        for (int e = 0; e < 2; e++) {
            au_clnf_part *part = e == 0 ? left : right;
            CHECK(part->clnf.pdm.n == 28 && part->clnf.pdm.m == 10);
            CHECK(part->clnf.num_scales == 2);
            for (int s = 0; s < 2 && s < part->clnf.num_scales; s++)
                check_patch_set(&part->clnf.scales[s], eye_scalings_x2[s] / 2.0, 1, 28,
                                e == 0 ? left_windows : main_windows, e == 0 ? 6 : 4, 0);
            CHECK(au_clnf_sigma_components(&part->clnf, 3, &count) == NULL && count == 0);
            int eye_map = part->num_pairs == 6;
            for (int i = 0; eye_map && i < 6; i++)
                eye_map &= part->pairs[i][0] == (e == 0 ? 36 : 42) + i &&
                           part->pairs[i][1] == 8 + 2 * i;
            CHECK(eye_map);
        }
    }

    /* Validator. */
    const au_clnf_validator *val = au_clnf_model_validator(m);
    CHECK(val != NULL);
    if (val) {
        static const int vyaw[7] = {0, -20, -45, -70, 20, 45, 70};
        static const int pixels[7] = {2642, 2469, 1665, 1491, 2494, 1690, 1536};
        static const int ntris[7] = {97, 97, 36, 31, 97, 36, 31};
        CHECK(val->num_views == 7);
        int views_ok = val->num_views == 7;
        for (int v = 0; views_ok && v < 7; v++) {
            const au_validator_view *vv = &val->views[v];
            views_ok &= vv->orientation[0] == 0.0 && vv->orientation[1] == vyaw[v] * M_PI / 180.0;
            views_ok &= vv->num_pixels == pixels[v] && vv->num_tris == ntris[v];
            views_ok &= vv->map_w == 60 && vv->map_h == 60 && vv->num_landmarks == 68;
            views_ok &= fabsf(vv->min_y - -25.1299f) < 1e-4f;
            /* conv 1→10 9x9, ReLU, pool, conv 10→10 7x7, ReLU, pool, FC 1000→50, ReLU,
             * FC 50→30 */
            views_ok &= vv->depth == 9;
            if (vv->depth == 9) {
                const au_cnn_layer *L = vv->layers;
                views_ok &= L[0].type == AU_CNN_CONV && L[0].num_in == 1 && L[0].num_out == 10 &&
                            L[0].kh == 9 && L[0].kw == 9;
                views_ok &= L[1].type == AU_CNN_RELU && L[2].type == AU_CNN_MAXPOOL;
                views_ok &= L[3].type == AU_CNN_CONV && L[3].num_in == 10 &&
                            L[3].num_out == 10 && L[3].kh == 7 && L[3].kw == 7;
                views_ok &= L[4].type == AU_CNN_RELU && L[5].type == AU_CNN_MAXPOOL;
                views_ok &= L[6].type == AU_CNN_FC && L[6].num_in == 1000 && L[6].num_out == 50;
                views_ok &= L[7].type == AU_CNN_RELU;
                views_ok &= L[8].type == AU_CNN_FC && L[8].num_in == 50 && L[8].num_out == 30;
            }
            int masked = 0;
            for (int i = 0; i < 3600; i++)
                masked += vv->pixel_mask[i] != 0;
            views_ok &= masked == pixels[v];
        }
        CHECK(views_ok);
        CHECK(fabsf(val->views[0].min_x - -29.764f) < 1e-3f);
    }

    /* Σ preparation through the model: argument checks, then one view. */
    au_clnf *mc = au_clnf_model_main(m);
    CHECK(au_clnf_prepare_sigmas(mc, 3, 7, 0, &err) == AUFACE_ERR_ARG);
    CHECK(au_clnf_prepare_sigmas(mc, 2, 7, 7, &err) == AUFACE_ERR_ARG);
    size_t before = au_clnf_model_memory(m);
    double t2 = test_seconds();
    CHECK(au_clnf_prepare_sigmas(mc, 2, 7, 0, &err) == AUFACE_OK);
    double t3 = test_seconds();
    const au_ccnf_expert *e0 = au_clnf_expert(c, 2, 0, 0);
    CHECK(e0->num_sigmas == 1 && au_ccnf_find_sigma(e0, 7) != NULL);
    CHECK(au_clnf_expert(c, 2, 1, 0)->num_sigmas == 0);
    CHECK(au_clnf_model_memory(m) > before);
    printf("  Σ for scale 0.5, ws 7, view 0 (68 experts): %.1f ms, +%.2f MB\n", 1e3 * (t3 - t2),
           (au_clnf_model_memory(m) - before) / 1e6);
    au_clnf_model_free(m);
    au_clnf_model_free(NULL);
}

/* ---- damaged copies -------------------------------------------------------------------- */

static void test_truncated_binaries(void)
{
    static const char *const files[] = {
        "patch_experts/ccnf_patches_0.35_general.txt",
        "model_inner/patch_experts/ccnf_patches_1.00_inner.txt",
        "model_eye/patch_experts/left_ccnf_patches_1.50_synth_lid_.txt",
        "detection_validation/validator_cnn.txt",
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t size;
        unsigned char *raw = read_original(files[f], &size);
        CHECK(raw != NULL);
        if (!raw)
            continue;
        const char *base = strrchr(files[f], '/') + 1;
        const size_t cuts[] = {0, 3, 8, 13, 40, 200, size / 7, size / 3, size / 2,
                               size - 9, size - 8, size - 1};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            char label[128];
            snprintf(label, sizeof label, "%s cut at %zu", base, cuts[i]);
            CHECK(put_file(files[f], raw, cuts[i]));
            expect_failure(label, files[f], AUFACE_ERR_FORMAT, base, "truncated", NULL);
        }
        /* One byte too many. */
        raw[size] = 0;
        CHECK(put_file(files[f], raw, size + 1));
        expect_failure("extra byte", files[f], AUFACE_ERR_FORMAT, base, "unexpected bytes",
                       NULL);
        free(raw);
    }
}

/* One damaged copy: the original with `value` written at `offset` (from the start, or from
 * the end if negative) as an int32 (bytes == 4) or a float64 (bytes == 8); loading must fail
 * with `status` and a message containing every non-NULL needle. */
typedef struct garble {
    const char *label;
    long offset;
    int bytes;
    double value;
    auface_status status;
    const char *needle1, *needle2, *needle3;
} garble;

static void expect_garbled(const char *rel, const garble *cases, size_t n)
{
    size_t size;
    unsigned char *raw = read_original(rel, &size);
    CHECK(raw != NULL);
    if (!raw)
        return;
    unsigned char *buf = malloc(size);
    for (size_t i = 0; buf && i < n; i++) {
        const garble *g = &cases[i];
        unsigned char *at = buf + (g->offset < 0 ? size : 0) + g->offset;
        memcpy(buf, raw, size);
        if (g->bytes == 8)
            memcpy(at, &g->value, 8);
        else
            test_put_le32(at, (int32_t)g->value);
        CHECK(put_file(rel, buf, size));
        expect_failure(g->label, rel, g->status, g->needle1, g->needle2, g->needle3);
    }
    free(buf);
    free(raw);
}

static void test_garbled_patch_file(void)
{
    const char *file = "ccnf_patches_0.35_general.txt";
    const long e0 = (long)first_expert_offset();
    const garble cases[] = {
        {"views 0", 8, 4, 0, AUFACE_ERR_FORMAT, file, "number of views", NULL},
        {"views huge", 8, 4, 100000, AUFACE_ERR_FORMAT, file, "number of views", NULL},
        {"centre type", 12 + 8, 4, 9, AUFACE_ERR_FORMAT, file, "view 0", "view centre"},
        {"visibility type", 12 + 7 * 36 + 8, 4, 5, AUFACE_ERR_FORMAT, file, "visibility",
         "type 5"},
        {"visibility rows", 12 + 7 * 36 + 2 * 284, 4, 67, AUFACE_ERR_FORMAT, file, "view 2",
         "visibility"},
        {"window count", 12 + 7 * 36 + 7 * 284, 4, 1000, AUFACE_ERR_FORMAT, file,
         "number of window sizes", NULL},
        {"window size", 12 + 7 * 36 + 7 * 284 + 4, 4, -3, AUFACE_ERR_FORMAT, file,
         "window size", NULL},
        {"expert tag", e0, 4, 6, AUFACE_ERR_FORMAT, file, "view 0, landmark 0", "record tag"},
        {"neurons", e0 + 12, 4, 100, AUFACE_ERR_FORMAT, file, "landmark 0",
         "number of neurons"},
        {"neuron tag", e0 + 16, 4, 3, AUFACE_ERR_FORMAT, file, "landmark 0, neuron 0",
         "record tag"},
        {"neuron type", e0 + 20, 4, 3, AUFACE_ERR_UNSUPPORTED, file, "neuron 0",
         "neuron type 3"},
        {"weights rows", e0 + 48, 4, 12, AUFACE_ERR_FORMAT, file, "neuron 0", "weights"},
        /* Visibility of view 0 landmark 0 says "no expert" but the expert has 7 neurons. */
        {"visibility", 12 + 7 * 36 + 12, 4, 0, AUFACE_ERR_FORMAT, file, "view 0, landmark 0",
         "disagrees"},
        /* A NaN in the last patch confidence. */
        {"nan", -8, 8, NAN, AUFACE_ERR_FORMAT, "view 6, landmark 67", "patch confidence",
         "not a finite"},
    };
    expect_garbled("patch_experts/ccnf_patches_0.35_general.txt", cases,
                   sizeof cases / sizeof cases[0]);
}

static void test_garbled_validator(void)
{
    const char *file = "validator_cnn.txt";
    /* Layout: type, views, 7 orientation records (12 + 24), then view 0: mean (12 + 8P),
     * std (12 + 8P), depth, layer 0 type. */
    const long depth_off = 8 + 7 * 36 + 2 * (12 + 8 * 2642);
    const garble cases[] = {
        {"type 2", 0, 4, 2, AUFACE_ERR_UNSUPPORTED, file, "validator type 2", NULL},
        {"layer type", depth_off + 4, 4, 9, AUFACE_ERR_FORMAT, file, "view 0", "layer 0 type"},
        /* conv 3 input maps: the image has 1 */
        {"conv inputs", depth_off + 8, 4, 3, AUFACE_ERR_FORMAT, file, "input maps", NULL},
        /* orientation 0 columns: 5 elements */
        {"orientation", 8 + 4, 4, 5, AUFACE_ERR_FORMAT, file, "orientation", NULL},
    };
    expect_garbled("detection_validation/validator_cnn.txt", cases,
                   sizeof cases / sizeof cases[0]);
}

static void put_text(const char *rel, const char *text)
{
    CHECK(put_file(rel, text, strlen(text)));
}

static void test_bad_lists(void)
{
    static const char main_ok[] =
        "LandmarkDetector clnf_general.txt\n"
        "LandmarkDetector_part model_inner/main_clnf_inner.txt inner 17 0 18 1\n"
        "FaceDetConversion haarAlign.txt\n"
        "DetectionValidator detection_validation/validator_cnn.txt";
    const char *main_rel = "main_clnf_general.txt";

    /* A shorter but valid list loads (and haarAlign.txt, absent from the mirror, is ignored). */
    put_text(main_rel, main_ok);
    au_clnf_model *m = load_mirror("shorter list");
    if (m)
        CHECK(au_clnf_model_num_parts(m) == 1 && au_clnf_model_part(m, 0)->num_pairs == 2);
    au_clnf_model_free(m);
    put_text(main_rel, "LandmarkDetector clnf_missing.txt\n");
    expect_failure("missing clnf", NULL, AUFACE_ERR_IO, "clnf_missing.txt", "cannot open",
                   NULL);
    put_text(main_rel, "DetectionValidator detection_validation/validator_cnn.txt\n");
    expect_failure("no main", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt",
                   "no LandmarkDetector", NULL);
    put_text(main_rel, "LandmarkDetector clnf_general.txt\n"
                       "LandmarkDetector_part model_inner/main_clnf_inner.txt inner 17 0 18\n");
    expect_failure("odd pairs", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt", "line 2",
                   "pairs");
    put_text(main_rel, "LandmarkDetector clnf_general.txt\n"
                       "LandmarkDetector_part model_inner/main_clnf_inner.txt inner 17 0 18 x\n");
    expect_failure("non-integer", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt", "'x'",
                   NULL);
    put_text(main_rel, "LandmarkDetector clnf_general.txt\n"
                       "LandmarkDetector_part model_inner/main_clnf_inner.txt inner 17 60\n");
    expect_failure("part index", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt",
                   "part landmark 60", NULL);
    put_text(main_rel, "LandmarkDetector_part model_inner/main_clnf_inner.txt inner 67 0\n"
                       "LandmarkDetector model_inner/clnf_inner.txt\n");
    expect_failure("main index", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt",
                   "main landmark 67", NULL);
    put_text(main_rel, "LandmarkDetector clnf_general.txt\nLandmarkDetector clnf_general.txt\n");
    expect_failure("twice", NULL, AUFACE_ERR_FORMAT, "main_clnf_general.txt", "second", NULL);
    CHECK(link_original(main_rel));

    const char *clnf_rel = "clnf_general.txt";
    put_text(clnf_rel, "PDM pdms/In-the-wild_aligned_PDM_68.txt\n"
                       "PatchesCEN patch_experts/cen.dat\n");
    expect_failure("CEN", NULL, AUFACE_ERR_UNSUPPORTED, "clnf_general.txt", "PatchesCEN", NULL);
    put_text(clnf_rel, "PatchesCCNF patch_experts/ccnf_patches_0.5_general.txt\n");
    expect_failure("no PDM", NULL, AUFACE_ERR_FORMAT, "clnf_general.txt", "no PDM", NULL);
    put_text(clnf_rel, "PDM pdms/In-the-wild_aligned_PDM_68.txt\n");
    expect_failure("no patches", NULL, AUFACE_ERR_FORMAT, "clnf_general.txt", "no PatchesCCNF",
                   NULL);
    put_text(clnf_rel, "PDM pdms/In-the-wild_aligned_PDM_68.txt\n"
                       "PatchesCCNF model_inner/patch_experts/ccnf_patches_1.00_inner.txt\n");
    expect_failure("points", NULL, AUFACE_ERR_FORMAT, "clnf_general.txt", "51 landmarks",
                   NULL);
    /* CRLF line ends are accepted, as OpenFace strips the '\r'. */
    put_text(clnf_rel, "PDM pdms/In-the-wild_aligned_PDM_68.txt\r\n"
                       "PatchesCCNF patch_experts/ccnf_patches_0.5_general.txt\r\n");
    m = load_mirror("CRLF");
    if (m)
        CHECK(au_clnf_model_main_const(m)->num_scales == 1);
    au_clnf_model_free(m);
    CHECK(link_original(clnf_rel));

    /* A part list that names a validator is not supported. */
    put_text("model_inner/main_clnf_inner.txt",
             "LandmarkDetector clnf_inner.txt\nDetectionValidator x.txt\n");
    expect_failure("nested", "model_inner/main_clnf_inner.txt", AUFACE_ERR_UNSUPPORTED,
                   "main_clnf_inner.txt", "inside a part", NULL);

    /* Triangulation and PDM text files. */
    size_t size;
    unsigned char *tris = read_original("tris_68.txt", &size);
    if (tris) {
        tris[size] = '\0';
        char *p = strstr((char *)tris, "58 67 59");
        CHECK(p != NULL);
        if (p)
            p[3] = 'x';
        CHECK(put_file("tris_68.txt", tris, size));
        expect_failure("tris", "tris_68.txt", AUFACE_ERR_FORMAT, "tris_68.txt",
                       "triangulation 0", NULL);
        if (p)
            p[3] = '6';
        CHECK(put_file("tris_68.txt", tris, size / 2));
        expect_failure("tris cut", "tris_68.txt", AUFACE_ERR_FORMAT, "tris_68.txt", "truncated",
                       NULL);
        free(tris);
    }
    unsigned char *pdm = read_original("model_eye/pdms/pdm_28_eye_3D_closed.txt", &size);
    if (pdm) {
        CHECK(put_file("model_eye/pdms/pdm_28_eye_3D_closed.txt", pdm, size / 2));
        expect_failure("pdm cut", "model_eye/pdms/pdm_28_eye_3D_closed.txt", AUFACE_ERR_FORMAT,
                       "pdm_28_eye_3D_closed.txt", NULL, NULL);
        free(pdm);
    }
}

int main(void)
{
    test_real_model();
    if (!make_mirror()) {
        fprintf(stderr, "cannot create the temporary model mirror: %s\n", strerror(errno));
        CHECK(0);
        return check_report("test_clnf_model");
    }
    /* The mirror itself loads. */
    au_clnf_model_free(load_mirror("mirror"));
    test_truncated_binaries();
    test_garbled_patch_file();
    test_garbled_validator();
    test_bad_lists();
    remove_mirror();
    return check_report("test_clnf_model");
}
