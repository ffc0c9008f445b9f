/* Replays the fuzzers' findings in a normal build: every file of fuzz/regressions/<target>/
 * goes through the same target function as the libFuzzer harness (fuzz/targets.c) and must
 * give a clean error, with a message, instead of a crash (the ASan build of the unit tests
 * in .ci/run checks the "clean" part). A file whose name starts with "ok-" must load.
 *
 * The targets are also run once on the real model and data files they are seeded from, so a
 * harness that stopped reaching its parser (a renamed companion file, a changed entry
 * point) shows up here rather than as a fuzzer that quietly fuzzes nothing. */
#include "check.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuzz/targets.c"

/* Reads a whole file; NULL if it cannot. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    *size = n;
    return buf;
}

/* Runs `target` on file `path`; returns the status, or -1000 if the file is unreadable. */
static int run_file(const char *target, const char *path, au_err *err)
{
    const au_fuzz_target *t = au_fuzz_find(target);
    size_t size = 0;
    uint8_t *data = slurp(path, &size);
    if (!t || !data) {
        fprintf(stderr, "cannot run %s on %s\n", target, path);
        free(data);
        return -1000;
    }
    au_err_clear(err);
    int st = t->run(data, size, err);
    free(data);
    return st;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regression file of one target, in name order. */
static int replay_target(const char *target)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof dir_path, "%s/%s", AU_FUZZ_REGRESSIONS_DIR, target);
    DIR *dir = opendir(dir_path);
    if (!dir)
        return 0; /* no findings for this target */
    char *names[1024];
    int n = 0;
    const struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < 1024)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(dir);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    for (int i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        au_err err;
        int st = run_file(target, path, &err), good;
        if (!strncmp(names[i], "ok-", 3)) {
            good = st == AUFACE_OK;
        } else {
            /* A clean error whose message names the file read (under the target's folder). */
            good = st != AUFACE_OK && st != -1000 && strstr(err.msg, "aufz.") != NULL;
        }
        CHECK(good);
        if (!good)
            fprintf(stderr, "  %s/%s: status %d: %s\n", target, names[i], st, err.msg);
        free(names[i]);
    }
    return n;
}

/* The target reaches its parser and accepts a real file (or, for the CLNF files, which are
 * loaded without the rest of their model set, fails only after parsing it). */
static void seed_loads(const char *target, const char *rel, const char *expect_in_msg)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", AU_SHARED_DIR, rel);
    au_err err;
    int st = run_file(target, path, &err);
    if (expect_in_msg) {
        CHECK(st != AUFACE_OK && strstr(err.msg, expect_in_msg) != NULL);
    } else {
        CHECK(st == AUFACE_OK);
    }
    if (expect_in_msg ? !strstr(err.msg, expect_in_msg) : st != AUFACE_OK)
        fprintf(stderr, "  %s on %s: status %d: %s\n", target, rel, st, err.msg);
}

int main(void)
{
    int files = 0;
    for (const au_fuzz_target *t = au_fuzz_targets; t->name; t++)
        files += replay_target(t->name);
    printf("replayed %d regression files\n", files);

    seed_loads("onnx", "models/yunet/face_detection_yunet_2023mar.onnx", NULL);
    seed_loads("ccnf_patches", "models/openface/model/model_eye/patch_experts/"
                               "ccnf_patches_1.00_synth_lid_.txt", "no PDM module");
    seed_loads("clnf_validator", "models/openface/model/detection_validation/validator_cnn.txt",
               "missing.txt");
    seed_loads("mtcnn", "models/openface/model/mtcnn_detector/PNet.dat", NULL);
    seed_loads("pdm", "models/openface/model/pdms/In-the-wild_aligned_PDM_68.txt", NULL);
    seed_loads("au_models", "models/openface/AU_predictors/svm_combined/AU_1_static.dat",
               NULL);
    seed_loads("triangulation", "models/openface/AU_predictors/tris_68_full.txt", NULL);
    seed_loads("landmark_csv", "reference/openface-2.2/sample1/sample1.csv", NULL);
    seed_loads("hog", "reference/openface-2.2/sample1/sample1.hog", NULL);
    seed_loads("image", "media/sample1.jpg", NULL);
    return check_report("test_fuzz_regressions");
}
