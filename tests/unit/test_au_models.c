/* Tests of au/models: OpenFace 2.2's real AU model files (counts, shapes, cutoffs, class
 * values, name order), rejection of damaged copies, and prediction on small synthetic model
 * sets written to a temporary folder (PIPELINE_SPEC §8.1-8.3). */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "au/models.h"
#include "check.h"
#include "test_au_model_files.h"
#include "test_bytes.h"
#include "test_files.h"

#define REAL_DIR SHARED("models/openface/AU_predictors")

/* ---------------------------------------------------------------------------------------
 * Files
 * --------------------------------------------------------------------------------------- */

/* A copy of the real AU_predictors folder: text files copied, .dat files symlinked (so that
 * single files can be replaced by damaged copies). */
static void mirror_real(const char *dir)
{
    static const char *texts[] = { "main_dynamic_svms.txt", "main_static_svms.txt",
                                   "AU_all_best.txt", "AU_all_static.txt" };
    char src[1024], dst[1024];
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        snprintf(src, sizeof src, "%s/%s", REAL_DIR, texts[i]);
        snprintf(dst, sizeof dst, "%s/%s", dir, texts[i]);
        CHECK(test_copy_file(src, dst));
    }
    static const char *subdirs[] = { "svr_combined", "svm_combined" };
    for (int s = 0; s < 2; s++) {
        snprintf(src, sizeof src, "%s/%s", REAL_DIR, subdirs[s]);
        snprintf(dst, sizeof dst, "%s/%s", dir, subdirs[s]);
        mkdir(dst, 0700);
        DIR *d = opendir(src);
        CHECK(d != NULL);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char from[1400], to[1400];
            snprintf(from, sizeof from, "%s/%s", src, e->d_name);
            snprintf(to, sizeof to, "%s/%s", dst, e->d_name);
            CHECK(test_link_file(from, to));
        }
        closedir(d);
    }
}

/* Replaces the mirrored file `rel` by a copy of the real one, edited by `edit`. */
typedef void (*edit_fn)(unsigned char **buf, size_t *n);

static void damage(const char *dir, const char *rel, edit_fn edit)
{
    char src[1024], dst[1024];
    snprintf(src, sizeof src, "%s/%s", REAL_DIR, rel);
    snprintf(dst, sizeof dst, "%s/%s", dir, rel);
    size_t n;
    unsigned char *buf = test_read_file(src, &n);
    CHECK(buf != NULL);
    if (!buf)
        return;
    edit(&buf, &n);
    CHECK(test_replace_file(dst, buf, n));
    free(buf);
}

/* Deterministic values in [lo, hi). */
static double pseudo(uint64_t i, double lo, double hi)
{
    uint64_t x = i * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return lo + (hi - lo) * (double)(x >> 11) / 9007199254740992.0;
}

/* ---------------------------------------------------------------------------------------
 * The real OpenFace 2.2 files
 * --------------------------------------------------------------------------------------- */

static const char *const REG_SORTED[17] = { "AU01", "AU02", "AU04", "AU05", "AU06", "AU07",
                                            "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
                                            "AU20", "AU23", "AU25", "AU26", "AU45" };
static const char *const CLASS_SORTED[18] = { "AU01", "AU02", "AU04", "AU05", "AU06", "AU07",
                                              "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
                                              "AU20", "AU23", "AU25", "AU26", "AU28", "AU45" };

static int in_list(const char *name, const char *const *list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0)
            return 1;
    return 0;
}

/* CHECKs the number of models of each kind: SVR static, SVR dynamic, SVM static, SVM
 * dynamic. */
static void check_kind_counts(const au_models *m, const int counts[AU_MODEL_KINDS])
{
    static const au_model_kind kinds[AU_MODEL_KINDS] = { AU_SVR_STATIC, AU_SVR_DYNAMIC,
                                                         AU_SVM_STATIC, AU_SVM_DYNAMIC };
    for (int k = 0; k < AU_MODEL_KINDS; k++)
        CHECK(au_models_kind_count(m, kinds[k]) == counts[k]);
}

static void test_real_dynamic_set(void)
{
    au_models *m = test_load_au_models(REAL_DIR, 0);
    if (!m)
        return;
    CHECK(au_models_dynamic(m) == 1);
    check_kind_counts(m, (const int[AU_MODEL_KINDS]){ 6, 11, 8, 10 });
    CHECK(au_models_feature_dim(m) == 4702);
    CHECK(au_models_uses_median(m) == 1);
    CHECK(au_models_num_reg(m) == 17);
    CHECK(au_models_num_class(m) == 18);
    CHECK(strcmp(au_models_pdm_path(m), REAL_DIR "/In-the-wild_aligned_PDM_68.txt") == 0);
    CHECK(strcmp(au_models_triangulation_path(m), REAL_DIR "/tris_68_full.txt") == 0);

    /* PIPELINE_SPEC §8.1-8.2: the dynamic SVRs and their cutoffs. */
    static const char *const dyn_reg[11] = { "AU01", "AU02", "AU05", "AU09", "AU15", "AU17",
                                             "AU20", "AU23", "AU25", "AU26", "AU45" };
    static const double cutoffs[11] = { 0.55, 0.75, 0.8, 0.7, 0.55, 0.2,
                                        0.65, 0.65, 0.3, 0.3, 0.6 };
    for (int i = 0; i < 17 && i < au_models_num_reg(m); i++) {
        au_model_info info;
        au_models_reg_info(m, i, &info);
        CHECK(strcmp(au_models_reg_name(m, i), REG_SORTED[i]) == 0);
        CHECK(strcmp(info.name, REG_SORTED[i]) == 0);
        CHECK(info.dim == 4702);
        int dyn = in_list(info.name, dyn_reg, 11);
        CHECK(info.kind == (dyn ? AU_SVR_DYNAMIC : AU_SVR_STATIC));
        if (dyn) {
            for (int k = 0; k < 11; k++)
                if (strcmp(dyn_reg[k], info.name) == 0) {
                    CHECK_NEAR(info.cutoff, cutoffs[k], 1e-12);
                    /* File order within the kind (AU_all_best.txt lists them sorted). */
                    CHECK(info.index == k);
                }
        } else {
            CHECK(info.cutoff == -1.0);
        }
        CHECK(isfinite(info.bias));
    }
    /* Static SVRs in file order: AU04, 06, 07, 10, 12, 14. */
    au_model_info info;
    au_models_reg_info(m, 2, &info); /* AU04 */
    CHECK(info.index == 0);
    au_models_reg_info(m, 9, &info); /* AU14 */
    CHECK(info.index == 5);

    /* Presence: AU10, AU12, AU25 store (pos, neg) = (1, 0), all others (0, 1). */
    static const char *const dyn_cls[10] = { "AU01", "AU02", "AU09", "AU15", "AU17",
                                             "AU20", "AU25", "AU26", "AU28", "AU45" };
    static const char *const pos_one[3] = { "AU10", "AU12", "AU25" };
    for (int i = 0; i < 18 && i < au_models_num_class(m); i++) {
        au_models_class_info(m, i, &info);
        CHECK(strcmp(au_models_class_name(m, i), CLASS_SORTED[i]) == 0);
        CHECK(info.dim == 4702);
        CHECK(info.kind == (in_list(info.name, dyn_cls, 10) ? AU_SVM_DYNAMIC : AU_SVM_STATIC));
        if (in_list(info.name, pos_one, 3))
            CHECK(info.pos_class == 1.0 && info.neg_class == 0.0);
        else
            CHECK(info.pos_class == 0.0 && info.neg_class == 1.0);
        CHECK(info.cutoff == -1.0);
    }
    CHECK(au_models_reg_name(m, 17) == NULL);
    CHECK(au_models_class_name(m, -1) == NULL);

    /* A zero feature vector against zero medians: (0 - means)·SV + b must be finite, and the
     * presence values are each model's pos or neg value. */
    static double hog[AU_HOG_DIM], geom[AU_GEOM_DIM], hog_med[AU_HOG_DIM],
        geom_med[AU_GEOM_DIM];
    double reg[AU_MODELS_MAX], cls[AU_MODELS_MAX];
    au_models_predict_reg(m, hog, geom, hog_med, geom_med, reg);
    au_models_predict_class(m, hog, geom, hog_med, geom_med, cls);
    int finite = 1, valid = 1;
    for (int i = 0; i < 17; i++)
        finite &= isfinite(reg[i]) != 0;
    for (int i = 0; i < 18; i++)
        valid &= cls[i] == 0.0 || cls[i] == 1.0;
    CHECK(finite);
    CHECK(valid);
    au_models_free(m);
}

static void test_real_static_set(void)
{
    au_models *m = test_load_au_models(REAL_DIR, 1);
    if (!m)
        return;
    CHECK(au_models_dynamic(m) == 0);
    check_kind_counts(m, (const int[AU_MODEL_KINDS]){ 17, 0, 18, 0 });
    CHECK(au_models_uses_median(m) == 0);
    CHECK(au_models_num_reg(m) == 17);
    CHECK(au_models_num_class(m) == 18);
    for (int i = 0; i < 17; i++) {
        au_model_info info;
        au_models_reg_info(m, i, &info);
        CHECK(strcmp(info.name, REG_SORTED[i]) == 0);
        CHECK(info.dim == 4702 && info.cutoff == -1.0 && info.index == i);
    }
    for (int i = 0; i < 18; i++)
        CHECK(strcmp(au_models_class_name(m, i), CLASS_SORTED[i]) == 0);
    /* Static models ignore the medians: NULL is accepted. */
    static double hog[AU_HOG_DIM], geom[AU_GEOM_DIM];
    double reg[AU_MODELS_MAX];
    au_models_predict_reg(m, hog, geom, NULL, NULL, reg);
    CHECK(isfinite(reg[0]));
    au_models_free(m);
}

/* ---------------------------------------------------------------------------------------
 * Damaged copies
 * --------------------------------------------------------------------------------------- */

#define SVR1 "svr_combined/AU_1_dynamic_intensity_comb.dat"
/* Byte offsets in a type-1 model of 4702 values. */
#define OFF_MEANS_TYPE 20
#define OFF_MEANS_COLS 16
#define OFF_SV_ROWS (24 + 4702 * 8)
#define OFF_SV_DATA (OFF_SV_ROWS + 12)

static void cut_1000(unsigned char **b, size_t *n) { (void)b; *n = 1000; }
static void cut_in_bias(unsigned char **b, size_t *n) { (void)b; *n -= 3; }
static void means_int32(unsigned char **b, size_t *n) { (void)n; test_put_le32(*b + OFF_MEANS_TYPE, 4); }
static void regressor_9(unsigned char **b, size_t *n) { (void)n; test_put_le32(*b, 9); }
static void regressor_2(unsigned char **b, size_t *n) { (void)n; test_put_le32(*b, 2); }
static void sv_rows_4464(unsigned char **b, size_t *n) { (void)n; test_put_le32(*b + OFF_SV_ROWS, 4464); }
static void means_cols_4000(unsigned char **b, size_t *n) { (void)n; test_put_le32(*b + OFF_MEANS_COLS, 4000); }
static void sv_nan(unsigned char **b, size_t *n) { (void)n; test_put_le64d(*b + OFF_SV_DATA + 80, NAN); }
static void cutoff_1_5(unsigned char **b, size_t *n) { (void)n; test_put_le64d(*b + 4, 1.5); }
static void append_bytes(unsigned char **b, size_t *n)
{
    *b = realloc(*b, *n + 5);
    memset(*b + *n, 0, 5);
    *n += 5;
}

/* AU_all_best.txt edits. */
static void drop_name_line19(unsigned char **b, size_t *n)
{
    /* Line 19 is the first SVR line: remove its " AU01". */
    char *s = strstr((char *)*b, "AU_1_dynamic_intensity_comb.dat AU01");
    if (s) {
        size_t at = (size_t)(s - (char *)*b) + strlen("AU_1_dynamic_intensity_comb.dat");
        memmove(*b + at, *b + at + 5, *n - at - 5);
        *n -= 5;
    }
}
static void two_names(unsigned char **b, size_t *n)
{
    char *s = strstr((char *)*b, "AU_1_dynamic.dat AU01");
    size_t at = (size_t)(s - (char *)*b) + strlen("AU_1_dynamic.dat AU01");
    *b = realloc(*b, *n + 6);
    memmove(*b + at + 5, *b + at, *n - at + 1);
    memcpy(*b + at, ",AU99", 5);
    *n += 5;
}
static void duplicate_name(unsigned char **b, size_t *n)
{
    (void)n;
    char *s = strstr((char *)*b, "AU_2_dynamic_intensity_comb.dat AU02");
    s[strlen("AU_2_dynamic_intensity_comb.dat AU0")] = '1';
}
static void crlf_and_blanks(unsigned char **b, size_t *n)
{
    unsigned char *out = malloc(*n * 2 + 16);
    size_t k = 0;
    memcpy(out, "\r\n  \r\n", 6);
    k = 6;
    for (size_t i = 0; i < *n; i++) {
        if ((*b)[i] == '\n') {
            out[k++] = '\r';
            out[k++] = '\n';
            out[k++] = '\n'; /* a blank line after every line */
        } else {
            out[k++] = (*b)[i];
        }
    }
    memcpy(out + k, "\r\n\r\n", 4);
    k += 4;
    free(*b);
    *b = out;
    *n = k;
}
static void empty_text(unsigned char **b, size_t *n) { (void)b; *n = 0; }
static void drop_pdm_line(unsigned char **b, size_t *n)
{
    char *s = strstr((char *)*b, "PDM ");
    char *e = strchr(s, '\n');
    size_t at = (size_t)(s - (char *)*b), len = (size_t)(e - s) + 1;
    memmove(*b + at, *b + at + len, *n - at - len);
    *n -= len;
}
static void missing_model_list(unsigned char **b, size_t *n)
{
    free(*b);
    const char *t = "AUPredictor no_such_list.txt\nPDM a.txt\nTriangulation t.txt";
    *b = (unsigned char *)strdup(t);
    *n = strlen(t);
}

/* A damaged mirror: `rel` replaced by a copy of the real file edited by `edit` (removed if
 * edit is NULL). Loading it (as the static set if au_static) must fail with `status` and a
 * message containing needle1 and (if not NULL) needle2. */
typedef struct damaged_case {
    const char *rel;
    edit_fn edit;
    int au_static;
    auface_status status;
    const char *needle1, *needle2;
} damaged_case;

static void expect_failure(const damaged_case *c)
{
    char dir_buf[64];
    char *dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_au_models");
    CHECK(dir != NULL);
    if (!dir)
        return;
    mirror_real(dir);
    if (c->edit)
        damage(dir, c->rel, c->edit);
    else {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, c->rel);
        unlink(p);
    }
    au_models *m = (au_models *)dir; /* must be reset to NULL */
    au_err err;
    au_err_clear(&err);
    auface_status st = au_models_load(&m, dir, c->au_static, &err);
    CHECK(st == c->status);
    CHECK(m == NULL);
    int named = strstr(err.msg, c->needle1) != NULL && (!c->needle2 || strstr(err.msg, c->needle2));
    CHECK(named);
    if (st != c->status || !named)
        fprintf(stderr, "  case %s: status %d, message: %s\n", c->rel, (int)st, err.msg);
    if (st == AUFACE_OK)
        au_models_free(m);
    test_remove_tree(dir);
}

static void test_damaged_files(void)
{
    const char *svr1 = "AU_1_dynamic_intensity_comb.dat";
    const damaged_case cases[] = {
        {SVR1, cut_1000, 0, AUFACE_ERR_FORMAT, svr1, "truncated"},
        {SVR1, cut_in_bias, 0, AUFACE_ERR_FORMAT, svr1, "bias"},
        {SVR1, means_int32, 0, AUFACE_ERR_FORMAT, svr1, "OpenCV type 4"},
        {SVR1, regressor_9, 0, AUFACE_ERR_FORMAT, svr1, "unknown regressor type 9"},
        {SVR1, regressor_2, 0, AUFACE_ERR_UNSUPPORTED, svr1, "regressor type 2"},
        {SVR1, sv_rows_4464, 0, AUFACE_ERR_FORMAT, svr1, "support vectors are 4464 x 1"},
        {SVR1, means_cols_4000, 0, AUFACE_ERR_FORMAT, svr1, "means are 1 x 4000"},
        {SVR1, sv_nan, 0, AUFACE_ERR_FORMAT, svr1, "non-finite"},
        {SVR1, cutoff_1_5, 0, AUFACE_ERR_FORMAT, svr1, "cutoff"},
        {SVR1, append_bytes, 0, AUFACE_ERR_FORMAT, svr1, "unexpected bytes"},
        /* A missing model file (symlink removed). */
        {"svm_combined/AU_28_dynamic.dat", NULL, 0, AUFACE_ERR_MODELS, "AU_28_dynamic.dat",
         "cannot open"},
        /* The static set reads other files: the damaged dynamic model does not matter there,
         * but a damaged static one does. */
        {"svr_combined/AU_9_static_intensity.dat", cut_1000, 1, AUFACE_ERR_FORMAT,
         "AU_9_static_intensity.dat", "truncated"},
        /* Index files. */
        {"AU_all_best.txt", drop_name_line19, 0, AUFACE_ERR_FORMAT, "AU_all_best.txt line 19",
         NULL},
        {"AU_all_best.txt", two_names, 0, AUFACE_ERR_UNSUPPORTED, "AU_all_best.txt line 1",
         "AU01,AU99"},
        {"AU_all_best.txt", duplicate_name, 0, AUFACE_ERR_FORMAT,
         "AU_2_dynamic_intensity_comb.dat", "AU01 is already used"},
        {"AU_all_best.txt", empty_text, 0, AUFACE_ERR_MODELS, "AU_all_best.txt", "no AU model"},
        {"main_dynamic_svms.txt", NULL, 0, AUFACE_ERR_MODELS, "main_dynamic_svms.txt",
         "cannot open"},
        {"main_dynamic_svms.txt", drop_pdm_line, 0, AUFACE_ERR_MODELS, "main_dynamic_svms.txt",
         "no PDM line"},
        {"main_static_svms.txt", missing_model_list, 1, AUFACE_ERR_MODELS, "no_such_list.txt",
         "cannot open"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_failure(&cases[i]);

    /* CR LF line ends and blank lines are accepted and change nothing. */
    char dir_buf[64];
    char *dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_au_models");
    if (dir) {
        mirror_real(dir);
        damage(dir, "AU_all_best.txt", crlf_and_blanks);
        damage(dir, "main_dynamic_svms.txt", crlf_and_blanks);
        au_models *m = test_load_au_models(dir, 0);
        if (m) {
            CHECK(au_models_num_reg(m) == 17 && au_models_num_class(m) == 18);
            CHECK(au_models_kind_count(m, AU_SVR_DYNAMIC) == 11);
            char expect[1024];
            snprintf(expect, sizeof expect, "%s/tris_68_full.txt", dir);
            CHECK(strcmp(au_models_triangulation_path(m), expect) == 0);
        }
        au_models_free(m);
        test_remove_tree(dir);
    }

    au_models *m = NULL;
    au_err err;
    CHECK(au_models_load(&m, NULL, 0, &err) == AUFACE_ERR_ARG);
    CHECK(au_models_load(&m, "/nonexistent/folder", 0, &err) == AUFACE_ERR_MODELS);
    CHECK(strstr(err.msg, "/nonexistent/folder/main_dynamic_svms.txt") != NULL);
}

/* ---------------------------------------------------------------------------------------
 * Synthetic models: prediction against hand-computed values
 * --------------------------------------------------------------------------------------- */

#define D_ALL (AU_HOG_DIM + AU_GEOM_DIM)

static double means_half[D_ALL], means_quarter[D_ALL], means_rand[D_ALL], zeros[D_ALL];
static double sv_au02[D_ALL], sv_au45[D_ALL], sv_au01[D_ALL], sv_au05[D_ALL], sv_au04[D_ALL],
    sv_au28[D_ALL];

static void fill_synthetic_weights(void)
{
    for (int j = 0; j < D_ALL; j++) {
        means_half[j] = 0.5;
        means_quarter[j] = 0.25;
        means_rand[j] = 0.001 * (j % 7);
        sv_au45[j] = pseudo((uint64_t)j, -1.0, 1.0);
        sv_au28[j] = pseudo((uint64_t)j + 99999, -0.01, 0.01);
    }
    sv_au02[0] = 2.0;
    sv_au02[AU_HOG_DIM] = 3.0;
    sv_au01[1] = 1.0;
    sv_au01[AU_HOG_DIM + 1] = -2.0;
    sv_au05[2] = 1.0;
    sv_au04[3] = 1.0;
}

static void test_synthetic_prediction(void)
{
    fill_synthetic_weights();
    /* File order differs from name order; two dynamic SVRs with different means (only the
     * first's are used); a float32 file; SVM class values other than 0/1. */
    const test_au_model set[] = {
        { "a.dat", "AU02", 0, 0, 0.25, 0, 0, D_ALL, 6, means_half, sv_au02 },
        { "b.dat", "AU45", 1, 0.3, -0.7, 0, 0, D_ALL, 6, means_rand, sv_au45 },
        { "c.dat", "AU01", 1, -1, 0.0, 0, 0, D_ALL, 6, means_quarter, sv_au01 },
        { "d.dat", "AU05", 4, 0, -0.5, 1, 0, D_ALL, 5, zeros, sv_au05 },
        { "e.dat", "AU04", 5, 0, 0.0, 0, 1, D_ALL, 6, zeros, sv_au04 },
        { "f.dat", "AU28", 5, 0, 0.125, 0.25, 0.75, D_ALL, 6, means_half, sv_au28 },
    };
    char dir_buf[64];
    char *dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_au_models");
    CHECK(dir != NULL);
    if (!dir)
        return;
    test_write_au_set(dir, "main_dynamic_svms.txt", set, 6);
    au_models *m = test_load_au_models(dir, 0);
    if (!m) {
        test_remove_tree(dir);
        return;
    }
    CHECK(au_models_num_reg(m) == 3 && au_models_num_class(m) == 3);
    CHECK(strcmp(au_models_reg_name(m, 0), "AU01") == 0);
    CHECK(strcmp(au_models_reg_name(m, 1), "AU02") == 0);
    CHECK(strcmp(au_models_reg_name(m, 2), "AU45") == 0);
    CHECK(strcmp(au_models_class_name(m, 0), "AU04") == 0);
    CHECK(strcmp(au_models_class_name(m, 1), "AU05") == 0);
    CHECK(strcmp(au_models_class_name(m, 2), "AU28") == 0);
    au_model_info info;
    au_models_reg_info(m, 0, &info);
    CHECK(info.kind == AU_SVR_DYNAMIC && info.index == 1 && info.cutoff == -1.0);
    au_models_reg_info(m, 2, &info);
    CHECK(info.kind == AU_SVR_DYNAMIC && info.index == 0 && info.cutoff == 0.3);
    CHECK(info.bias == -0.7);
    au_models_class_info(m, 2, &info);
    CHECK(info.pos_class == 0.25 && info.neg_class == 0.75 && info.bias == 0.125);

    static double hog[AU_HOG_DIM], geom[AU_GEOM_DIM], hog_med[AU_HOG_DIM],
        geom_med[AU_GEOM_DIM];
    for (int j = 0; j < AU_HOG_DIM; j++) {
        hog[j] = (double)(float)pseudo((uint64_t)j + 1000000, 0.0, 0.5);
        hog_med[j] = pseudo((uint64_t)j + 2000000, 0.0, 0.3);
    }
    for (int j = 0; j < AU_GEOM_DIM; j++) {
        geom[j] = pseudo((uint64_t)j + 3000000, -10.0, 10.0);
        geom_med[j] = pseudo((uint64_t)j + 4000000, -5.0, 5.0);
    }
    hog[2] = 0.75;  /* AU05: x2 - 0 - 0.5 > 0 -> pos (1) */
    hog[3] = 0.125; /* AU04: x3 - median3 = 0 exactly -> not > 0 -> neg (1) */
    hog_med[3] = 0.125;

    double reg[3], cls[3];
    au_models_predict_reg(m, hog, geom, hog_med, geom_med, reg);
    au_models_predict_class(m, hog, geom, hog_med, geom_med, cls);

    /* AU01 uses the FIRST dynamic SVR's means (means_rand: 0.001·(j mod 7)), not its own. */
    double au01 = (hog[1] - means_rand[1] - hog_med[1]) * 1.0 +
                  (geom[1] - means_rand[AU_HOG_DIM + 1] - geom_med[1]) * -2.0;
    CHECK_NEAR(reg[0], au01, 1e-13);
    /* Had its own means been used, the value would differ by 0.25 - 0.001 - 2·(0.25 - 0.002). */
    CHECK(fabs(reg[0] - ((hog[1] - 0.25 - hog_med[1]) - 2 * (geom[1] - 0.25 - geom_med[1]))) >
          0.1);
    /* AU02, static: (x0 - 0.5)·2 + (g0 - 0.5)·3 + 0.25, no median. */
    CHECK_NEAR(reg[1], (hog[0] - 0.5) * 2.0 + (geom[0] - 0.5) * 3.0 + 0.25, 1e-13);
    /* AU45: a dense dot product, checked in long double. */
    long double sum = 0;
    for (int j = 0; j < D_ALL; j++) {
        long double x = j < AU_HOG_DIM ? hog[j] : geom[j - AU_HOG_DIM];
        long double med = j < AU_HOG_DIM ? hog_med[j] : geom_med[j - AU_HOG_DIM];
        sum += (x - means_rand[j] - med) * (long double)sv_au45[j];
    }
    CHECK_NEAR(reg[2], (double)(sum - 0.7L), 1e-10 * (1.0 + fabs((double)sum)));
    /* Presence. */
    CHECK(cls[0] == 1.0); /* AU04: score exactly 0 -> neg_class 1 */
    CHECK(cls[1] == 1.0); /* AU05: 0.75 - 0.5 > 0 -> pos_class 1 */
    long double s28 = 0.125L;
    for (int j = 0; j < D_ALL; j++) {
        long double x = j < AU_HOG_DIM ? hog[j] : geom[j - AU_HOG_DIM];
        long double med = j < AU_HOG_DIM ? hog_med[j] : geom_med[j - AU_HOG_DIM];
        /* AU28 is the second dynamic SVM: the first one's means (zeros) apply. */
        s28 += (x - 0.0L - med) * (long double)sv_au28[j];
    }
    CHECK(fabsl(s28) > 1e-6); /* the test data is not on the decision boundary */
    CHECK(cls[2] == (s28 > 0 ? 0.25 : 0.75));
    unsigned char codes[3];
    au_models_predict_class_codes(m, hog, geom, hog_med, geom_med, codes);
    CHECK(codes[0] == 0 && codes[1] == 1 && codes[2] == (s28 > 0));

    /* AU04 flips to pos_class (0) once its score is positive. */
    hog[3] = 0.25;
    au_models_predict_class(m, hog, geom, hog_med, geom_med, cls);
    CHECK(cls[0] == 0.0);
    /* AU05 (float32 file): 0.5 exactly -> score 0 -> neg_class 0. */
    hog[2] = 0.5;
    au_models_predict_class(m, hog, geom, hog_med, geom_med, cls);
    CHECK(cls[1] == 0.0);

    au_models_free(m);
    test_remove_tree(dir);
}

/* HOG-only models (D = 4464): the geometry is not used (may be NULL); a kind that mixes 4464
 * and 4702 is rejected. */
static void test_hog_only_models(void)
{
    fill_synthetic_weights();
    const test_au_model set[] = {
        { "a.dat", "AU02", 0, 0, 0.5, 0, 0, AU_HOG_DIM, 6, means_half, sv_au02 },
        { "b.dat", "AU07", 0, 0, -1.0, 0, 0, AU_HOG_DIM, 6, zeros, sv_au04 },
    };
    char dir_buf[64];
    char *dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_au_models");
    if (!dir)
        return;
    test_write_au_set(dir, "main_static_svms.txt", set, 2);
    au_models *m = test_load_au_models(dir, 1);
    if (m) {
        CHECK(au_models_feature_dim(m) == AU_HOG_DIM);
        CHECK(au_models_dynamic(m) == 0);
        static double hog[AU_HOG_DIM];
        hog[0] = 1.5;
        hog[3] = 4.0;
        double reg[2];
        au_models_predict_reg(m, hog, NULL, NULL, NULL, reg);
        CHECK_NEAR(reg[0], (1.5 - 0.5) * 2.0 + 0.5, 1e-15);
        /* AU07 is the second static SVR: the first one's means (0.5) apply. */
        CHECK_NEAR(reg[1], (4.0 - 0.5) - 1.0, 1e-15);
        au_models_free(m);
    }
    test_remove_tree(dir);

    const test_au_model mixed[] = {
        { "a.dat", "AU02", 0, 0, 0.5, 0, 0, AU_HOG_DIM, 6, means_half, sv_au02 },
        { "b.dat", "AU07", 0, 0, -1.0, 0, 0, D_ALL, 6, zeros, sv_au04 },
    };
    dir = test_make_temp_dir(dir_buf, sizeof dir_buf, "test_au_models");
    if (!dir)
        return;
    test_write_au_set(dir, "main_dynamic_svms.txt", mixed, 2);
    m = NULL;
    au_err err;
    CHECK(au_models_load(&m, dir, 0, &err) == AUFACE_ERR_FORMAT);
    CHECK(strstr(err.msg, "b.dat") != NULL && strstr(err.msg, "4702 features") != NULL);
    test_remove_tree(dir);
}

int main(void)
{
    test_real_dynamic_set();
    test_real_static_set();
    test_damaged_files();
    test_synthetic_prediction();
    test_hog_only_models();
    return check_report("test_au_models");
}
