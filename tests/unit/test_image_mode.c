/* Still-image mode (auface_process_image[s], OpenFace's FaceLandmarkImg) against OpenFace
 * 2.2's own outputs (../shared/reference/openface-2.2/sample1, images/sample2.csv):
 *   - sample1.jpg, CLNF: the CSV's header and layout byte for byte (711 columns), confidence
 *     and presences equal, landmarks and the rest within the CSV's last digit, intensities
 *     within 0.05; the .hog record's header and flag;
 *   - sample2.jpg, CLNF: 3 faces in OpenFace's order (MTCNN score, not left to right) with
 *     OpenFace's confidences, landmarks within 0.5 px mean per face, presences equal;
 *   - sample2.jpg, PFLD: every face OpenFace finds is found;
 *   - an image without a face: header-only CSV, no row;
 *   - several images on 2 threads write the same bytes as one call per image.
 * The fit is chaotic in the box (one float ulp of the MTCNN box moves sample1's landmarks by
 * up to 0.09 px), so the tolerances are those of the digits OpenFace prints (README). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auface.h"
#include "check.h"
#include "test_files.h"
#include "test_openface_csv.h"

#define REF_DIR SHARED("reference/openface-2.2")
#define MAX_FIELDS 1024
#define MAX_ROWS 16

/* A CSV read whole: header names and rows of fields (strings, as printed). */
typedef struct csv_table {
    char *text;
    char *header[MAX_FIELDS];
    int cols;
    char *rows[MAX_ROWS][MAX_FIELDS];
    int n_rows;
} csv_table;

static int read_csv(const char *path, csv_table *t)
{
    memset(t, 0, sizeof *t);
    size_t n;
    char *raw = test_read_file(path, &n);
    if (!raw)
        return 0;
    t->text = realloc(raw, n + 1);
    t->text[n] = '\0';
    char *save = NULL, *line = strtok_r(t->text, "\n", &save);
    if (!line)
        return 1;
    t->cols = test_csv_split(line, t->header, MAX_FIELDS);
    while ((line = strtok_r(NULL, "\n", &save)) && t->n_rows < MAX_ROWS)
        test_csv_split(line, t->rows[t->n_rows++], MAX_FIELDS);
    return 1;
}

static int column(const csv_table *t, const char *name)
{
    return test_csv_column(t->header, t->cols, name);
}

/* Largest |ours − reference| over the columns whose names start with `prefix` and end with
 * `suffix` in row `r`. */
static double max_diff(const csv_table *ours, const csv_table *ref, int r, const char *prefix,
                       const char *suffix)
{
    double worst = 0.0;
    for (int c = 0; c < ours->cols; c++) {
        const char *name = ours->header[c];
        size_t n = strlen(name), ns = strlen(suffix);
        if (strncmp(name, prefix, strlen(prefix)) != 0 || n < ns ||
            strcmp(name + n - ns, suffix) != 0)
            continue;
        int rc = column(ref, name);
        if (rc < 0)
            return INFINITY;
        double d = fabs(atof(ours->rows[r][c]) - atof(ref->rows[r][rc]));
        worst = d > worst ? d : worst;
    }
    return worst;
}

/* Mean distance between the 68 landmarks of row r of `a` and row s of `b`. */
static double landmark_distance(const csv_table *a, int r, const csv_table *b, int s)
{
    double sum = 0.0;
    for (int i = 0; i < 68; i++) {
        char xn[16], yn[16];
        snprintf(xn, sizeof xn, "x_%d", i);
        snprintf(yn, sizeof yn, "y_%d", i);
        double dx = atof(a->rows[r][column(a, xn)]) - atof(b->rows[s][column(b, xn)]);
        double dy = atof(a->rows[r][column(a, yn)]) - atof(b->rows[s][column(b, yn)]);
        sum += sqrt(dx * dx + dy * dy);
    }
    return sum / 68.0;
}

static int same_strings(const csv_table *ours, const csv_table *ref, int r, const char *suffix)
{
    for (int c = 0; c < ours->cols; c++) {
        size_t n = strlen(ours->header[c]);
        if (n > 2 && strcmp(ours->header[c] + n - 2, suffix) == 0 &&
            strcmp(ours->rows[r][c], ref->rows[r][column(ref, ours->header[c])]) != 0)
            return 0;
    }
    return 1;
}

/* 1 when the first lines of the two files are equal byte for byte. */
static int same_header(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *ta = test_read_file(a, &na), *tb = test_read_file(b, &nb);
    const char *ea = ta ? memchr(ta, '\n', na) : NULL, *eb = tb ? memchr(tb, '\n', nb) : NULL;
    int same = ea && eb && ea - ta == eb - tb && memcmp(ta, tb, (size_t)(ea - ta)) == 0;
    free(ta);
    free(tb);
    return same;
}

static auface_pipeline *make_pipeline(auface_landmarks landmarks, int workers)
{
    auface_config cfg;
    auface_config_default(&cfg);
    cfg.models_dir = SHARED("models");
    cfg.landmarks = landmarks;
    cfg.workers = workers;
    auface_pipeline *p = NULL;
    if (auface_pipeline_create(&cfg, &p) != AUFACE_OK) {
        fprintf(stderr, "pipeline: %s\n", auface_pipeline_errmsg(p));
        auface_pipeline_destroy(p);
        return NULL;
    }
    return p;
}

static void test_sample1(auface_pipeline *p, const char *dir)
{
    char csv[512], hog[512];
    snprintf(csv, sizeof csv, "%s/sample1.csv", dir);
    snprintf(hog, sizeof hog, "%s/sample1.hog", dir);
    auface_results *res = NULL;
    auface_image_job job = {.input = SHARED("media/sample1.jpg"), .output_csv = csv,
                            .output_hog = hog, .results = &res};
    auface_summary sum;
    CHECK(auface_process_image(p, &job, &sum) == AUFACE_OK);
    CHECK(sum.frames == 1 && sum.frames_succeeded == 1);
    CHECK(res && auface_results_rows(res) == 1 && auface_results_cols(res) == 711);
    CHECK(strcmp(auface_results_column_name(res, 0), "face") == 0);
    CHECK(auface_results_column_decimals(res, 1) == 3);
    CHECK(auface_results_column_decimals(res, auface_results_column_index(res, "AU45_c")) == 1);
    auface_results_free(res);
    CHECK(same_header(csv, REF_DIR "/sample1/sample1.csv"));
    csv_table ours, ref;
    CHECK(read_csv(csv, &ours) && read_csv(REF_DIR "/sample1/sample1.csv", &ref));
    CHECK(ours.cols == 711 && ours.n_rows == 1 && ref.n_rows == 1);
    if (ours.n_rows == 1 && ref.n_rows == 1) {
        CHECK(strcmp(ours.rows[0][1], ref.rows[0][1]) == 0); /* confidence 0.983 */
        CHECK(max_diff(&ours, &ref, 0, "x_", "") <= 0.1 + 1e-9);
        CHECK(max_diff(&ours, &ref, 0, "y_", "") <= 0.1 + 1e-9);
        CHECK(max_diff(&ours, &ref, 0, "AU", "_r") <= 0.05 + 1e-9);
        CHECK(max_diff(&ours, &ref, 0, "gaze_angle", "") <= 0.01);
        CHECK(same_strings(&ours, &ref, 0, "_c"));
    }
    free(ours.text);
    free(ref.text);
    size_t n_ours, n_ref;
    uint8_t *h_ours = test_read_file(hog, &n_ours), *h_ref =
        test_read_file(REF_DIR "/sample1/sample1.hog", &n_ref);
    CHECK(h_ours && h_ref && n_ours == n_ref && memcmp(h_ours, h_ref, 16) == 0);
    free(h_ours);
    free(h_ref);
}

static void test_sample2_clnf(auface_pipeline *p, const char *dir)
{
    char csv[512];
    snprintf(csv, sizeof csv, "%s/sample2.csv", dir);
    auface_image_job job = {.input = SHARED("media/sample2.jpg"), .output_csv = csv};
    auface_summary sum;
    CHECK(auface_process_image(p, &job, &sum) == AUFACE_OK);
    CHECK(sum.frames == 3 && sum.frames_succeeded == 1);
    csv_table ours, ref;
    CHECK(read_csv(csv, &ours) && read_csv(REF_DIR "/images/sample2.csv", &ref));
    CHECK(ours.n_rows == 3 && ref.n_rows == 3);
    for (int r = 0; r < 3 && r < ours.n_rows && r < ref.n_rows; r++) {
        CHECK(strcmp(ours.rows[r][0], ref.rows[r][0]) == 0);
        CHECK(strcmp(ours.rows[r][1], ref.rows[r][1]) == 0);
        double d = landmark_distance(&ours, r, &ref, r);
        printf("sample2 face %d: landmarks %.3f px mean from OpenFace's, AU_r within %.2f\n", r,
               d, max_diff(&ours, &ref, r, "AU", "_r"));
        CHECK(d <= 0.5);
        CHECK(same_strings(&ours, &ref, r, "_c"));
        /* measured 0.13 (AU07, faces 0 and 2): see the README's accuracy notes */
        CHECK(max_diff(&ours, &ref, r, "AU", "_r") <= 0.15);
    }
    free(ours.text);
    free(ref.text);
}

/* Every OpenFace face has a PFLD face whose landmark centre lies within its landmarks' box. */
static void test_sample2_pfld(const char *dir)
{
    auface_pipeline *p = make_pipeline(AUFACE_LANDMARKS_PFLD, 1);
    CHECK(p != NULL);
    if (!p)
        return;
    char csv[512];
    snprintf(csv, sizeof csv, "%s/sample2_pfld.csv", dir);
    auface_image_job job = {.input = SHARED("media/sample2.jpg"), .output_csv = csv};
    CHECK(auface_process_image(p, &job, NULL) == AUFACE_OK);
    csv_table ours, ref;
    CHECK(read_csv(csv, &ours) && read_csv(REF_DIR "/images/sample2.csv", &ref));
    CHECK(ours.n_rows >= ref.n_rows);
    for (int r = 0; r < ref.n_rows; r++) {
        int found = 0;
        for (int s = 0; s < ours.n_rows; s++)
            found |= landmark_distance(&ours, s, &ref, r) < 60.0;
        CHECK(found);
    }
    free(ours.text);
    free(ref.text);
    auface_pipeline_destroy(p);
}

static void test_no_face(auface_pipeline *p, const char *dir)
{
    static uint8_t black[64 * 64 * 3];
    auface_image img = {black, 64, 64, 64 * 3};
    char csv[512];
    snprintf(csv, sizeof csv, "%s/black.csv", dir);
    auface_results *res = NULL;
    auface_image_job job = {.image = &img, .output_csv = csv, .results = &res};
    auface_summary sum;
    CHECK(auface_process_image(p, &job, &sum) == AUFACE_OK);
    CHECK(sum.frames == 0 && res && auface_results_rows(res) == 0);
    auface_results_free(res);
    size_t n;
    char *text = test_read_file(csv, &n);
    CHECK(text && n > 0 && memchr(text, '\n', n) == text + n - 1); /* the header alone */
    free(text);
    auface_image_job bad = {.output_csv = csv};
    CHECK(auface_process_image(p, &bad, NULL) == AUFACE_ERR_ARG);
}

/* Images on 2 threads: the same bytes as one call per image. */
static void test_parallel(auface_pipeline *one, const char *dir)
{
    auface_pipeline *p = make_pipeline(AUFACE_LANDMARKS_CLNF, 2);
    CHECK(p != NULL);
    if (!p)
        return;
    static const char *const names[3] = {"001", "015", "030"};
    auface_image_job jobs[3];
    char inputs[3][512], par[3][512], seq[3][512];
    for (int i = 0; i < 3; i++) {
        snprintf(inputs[i], sizeof inputs[i], "%s/media/image_sequence/%s.jpg", AU_SHARED_DIR,
                 names[i]);
        snprintf(par[i], sizeof par[i], "%s/par_%s.csv", dir, names[i]);
        snprintf(seq[i], sizeof seq[i], "%s/seq_%s.csv", dir, names[i]);
        jobs[i] = (auface_image_job){.input = inputs[i], .output_csv = par[i]};
        auface_image_job alone = {.input = inputs[i], .output_csv = seq[i]};
        CHECK(auface_process_image(one, &alone, NULL) == AUFACE_OK);
    }
    CHECK(auface_process_images(p, jobs, 3, NULL, NULL) == AUFACE_OK);
    for (int i = 0; i < 3; i++) {
        size_t na = 0, nb = 0;
        char *a = test_read_file(par[i], &na), *b = test_read_file(seq[i], &nb);
        CHECK(a && b && na == nb && memcmp(a, b, na) == 0);
        free(a);
        free(b);
    }
    auface_pipeline_destroy(p);
}

int main(void)
{
    char dir[256];
    CHECK(test_make_temp_dir(dir, sizeof dir, "image_mode") != NULL);
    auface_pipeline *p = make_pipeline(AUFACE_LANDMARKS_CLNF, 1);
    CHECK(p != NULL);
    if (p) {
        test_sample1(p, dir);
        test_sample2_clnf(p, dir);
        test_no_face(p, dir);
        test_parallel(p, dir);
        auface_pipeline_destroy(p);
    }
    test_sample2_pfld(dir);
    test_remove_tree(dir);
    return check_report("test_image_mode");
}
