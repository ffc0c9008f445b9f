/* The fuzz targets (see targets.h). Each one exercises a parser end to end: load, then free,
 * so that the error paths' clean-up is fuzzed as well as the reading. */
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "au/models.h"
#include "detect/mtcnn_model.h"
#include "face/paw.h"
#include "face/pdm.h"
#include "io/hog_file.h"
#include "io/landmark_csv.h"
#include "io/source_backends.h"
#include "landmark/clnf_model.h"
#include "nn/onnx_model.h"

/* ---------------------------------------------------------------------------------------
 * A temporary folder holding the input and its companion files
 * ------------------------------------------------------------------------------------- */

#define FZ_MAX_FILES 8

typedef struct fz_dir {
    char path[512];
    int n_files;
    char files[FZ_MAX_FILES][600];
} fz_dir;

/* Creates the folder under $TMPDIR (or /tmp). 0 on success. */
static int fz_dir_make(fz_dir *d)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    d->n_files = 0;
    if (snprintf(d->path, sizeof d->path, "%s/aufz.XXXXXX", base) >= (int)sizeof d->path)
        return -1;
    return mkdtemp(d->path) ? 0 : -1;
}

/* Writes `size` bytes as file `name` of the folder; its full path goes to d->files. */
static const char *fz_write(fz_dir *d, const char *name, const void *data, size_t size)
{
    if (d->n_files == FZ_MAX_FILES)
        return NULL;
    char *path = d->files[d->n_files];
    char full[sizeof d->files[0]]; /* not straight into d: GCC's -Wrestrict sees one object */
    snprintf(full, sizeof full, "%s/%s", d->path, name);
    memcpy(path, full, sizeof full);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    d->n_files++; /* removed by fz_dir_remove even if the write fails */
    int ok = (size == 0 || fwrite(data, 1, size, f) == size);
    ok = (fclose(f) == 0) && ok;
    return ok ? path : NULL;
}

static const char *fz_write_text(fz_dir *d, const char *name, const char *text)
{
    return fz_write(d, name, text, strlen(text));
}

static void fz_dir_remove(fz_dir *d)
{
    for (int i = 0; i < d->n_files; i++)
        unlink(d->files[i]);
    rmdir(d->path);
}

/* Writes the single input file `name` and returns its path, or NULL with *st and err set. */
static const char *fz_single(fz_dir *d, const char *name, const uint8_t *data, size_t size,
                             auface_status *st, au_err *err)
{
    if (fz_dir_make(d) != 0) {
        *st = au_fail(err, AUFACE_ERR_IO, "fuzz: cannot create a temporary folder");
        return NULL;
    }
    const char *path = fz_write(d, name, data, size);
    if (!path) {
        fz_dir_remove(d);
        *st = au_fail(err, AUFACE_ERR_IO, "fuzz: cannot write %s", name);
    }
    return path;
}

/* ---------------------------------------------------------------------------------------
 * Targets
 * ------------------------------------------------------------------------------------- */

static auface_status fuzz_onnx(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "model.onnx", data, size, &st, err);
    if (!path)
        return st;
    au_onnx_model *m = NULL;
    st = au_onnx_model_load(&m, path, err);
    if (st == AUFACE_OK) {
        /* The accessors the planner uses walk every node's attributes. */
        for (int i = 0; i < m->n_nodes; i++)
            (void)au_onnx_attr_int(&m->nodes[i], "axis", 0);
        (void)au_onnx_find_initializer(m, "");
    }
    au_onnx_model_free(m);
    fz_dir_remove(&d);
    return st;
}

/* A CLNF model set: main.txt = `main_list`, clnf.txt = `clnf_list`, and `data` as file
 * `name` (which one of the lists names). */
static auface_status clnf_with_file(const char *main_list, const char *clnf_list,
                                    const char *name, const uint8_t *data, size_t size,
                                    au_err *err)
{
    fz_dir d;
    if (fz_dir_make(&d) != 0)
        return au_fail(err, AUFACE_ERR_IO, "fuzz: cannot create a temporary folder");
    const char *main_path = fz_write_text(&d, "main.txt", main_list);
    auface_status st = AUFACE_OK;
    if (!main_path || !fz_write_text(&d, "clnf.txt", clnf_list) ||
        !fz_write(&d, name, data, size))
        st = au_fail(err, AUFACE_ERR_IO, "fuzz: cannot write the model files");
    if (st == AUFACE_OK) {
        au_clnf_model *m = NULL;
        st = au_clnf_model_load(&m, main_path, err);
        au_clnf_model_free(m);
    }
    fz_dir_remove(&d);
    return st;
}

/* The patch file is read first (the list names no PDM, so loading then fails with "no PDM
 * module", after the patch set was parsed and freed). */
static auface_status fuzz_ccnf_patches(const uint8_t *data, size_t size, au_err *err)
{
    return clnf_with_file("LandmarkDetector clnf.txt\n", "PatchesCCNF patches.bin\n",
                          "patches.bin", data, size, err);
}

/* The validator line comes first; the main model named after it does not exist. */
static auface_status fuzz_clnf_validator(const uint8_t *data, size_t size, au_err *err)
{
    return clnf_with_file("DetectionValidator validator.bin\nLandmarkDetector missing.txt\n",
                          "", "validator.bin", data, size, err);
}

/* The text files of a CLNF model set, as up to four parts separated by AU_FUZZ_SEPARATOR:
 * the main list (main.txt), the CLNF module list (clnf.txt), a triangulation file
 * (tris.txt) and a PDM (pdm.txt). The lists may name any of the four files, in any role;
 * inputs with a '/' are rejected so that they cannot name files outside the folder. */
static auface_status fuzz_clnf_text(const uint8_t *data, size_t size, au_err *err)
{
    if (memchr(data, '/', size))
        return au_fail(err, AUFACE_ERR_ARG, "fuzz: clnf_text inputs may not contain '/'");
    static const char *const names[4] = {"main.txt", "clnf.txt", "tris.txt", "pdm.txt"};
    const size_t sep_len = strlen(AU_FUZZ_SEPARATOR);
    fz_dir d;
    if (fz_dir_make(&d) != 0)
        return au_fail(err, AUFACE_ERR_IO, "fuzz: cannot create a temporary folder");
    auface_status st = AUFACE_OK;
    const uint8_t *p = data, *end = data + size;
    for (int i = 0; i < 4 && st == AUFACE_OK; i++) {
        const uint8_t *stop = end;
        if (i < 3) {
            for (const uint8_t *s = p; (size_t)(end - s) >= sep_len; s++)
                if (!memcmp(s, AU_FUZZ_SEPARATOR, sep_len)) {
                    stop = s;
                    break;
                }
        }
        if (!fz_write(&d, names[i], p, (size_t)(stop - p)))
            st = au_fail(err, AUFACE_ERR_IO, "fuzz: cannot write %s", names[i]);
        p = stop < end ? stop + sep_len : end;
    }
    if (st == AUFACE_OK) {
        au_clnf_model *m = NULL;
        st = au_clnf_model_load(&m, d.files[0], err);
        au_clnf_model_free(m);
    }
    fz_dir_remove(&d);
    return st;
}

static auface_status fuzz_mtcnn(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "net.dat", data, size, &st, err);
    if (!path)
        return st;
    au_mtcnn_net net;
    memset(&net, 0, sizeof net);
    st = au_mtcnn_net_load(&net, path, err);
    au_mtcnn_net_free(&net);
    fz_dir_remove(&d);
    return st;
}

static auface_status fuzz_pdm(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "pdm.txt", data, size, &st, err);
    if (!path)
        return st;
    au_pdm pdm;
    st = au_pdm_load(&pdm, path, err);
    if (st == AUFACE_OK) {
        /* A loaded PDM must synthesise a shape without reading outside its arrays. */
        float *p_local = calloc((size_t)pdm.m + 1, sizeof *p_local);
        float *shape = malloc(3 * (size_t)pdm.n * sizeof *shape + 1);
        if (p_local && shape)
            au_pdm_shape3d(&pdm, p_local, shape);
        free(p_local);
        free(shape);
        au_pdm_free(&pdm);
    }
    fz_dir_remove(&d);
    return st;
}

/* An AU predictor folder whose only model file is the input. */
static auface_status fuzz_au_models(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    if (fz_dir_make(&d) != 0)
        return au_fail(err, AUFACE_ERR_IO, "fuzz: cannot create a temporary folder");
    auface_status st = AUFACE_OK;
    if (!fz_write_text(&d, "main_static_svms.txt",
                       "AUPredictor list.txt\nPDM pdm.txt\nTriangulation tris.txt\n") ||
        !fz_write_text(&d, "list.txt", "model.dat AU01\n") ||
        !fz_write(&d, "model.dat", data, size))
        st = au_fail(err, AUFACE_ERR_IO, "fuzz: cannot write the model files");
    if (st == AUFACE_OK) {
        au_models *m = NULL;
        st = au_models_load(&m, d.path, 1, err);
        au_models_free(m);
    }
    fz_dir_remove(&d);
    return st;
}

static auface_status fuzz_triangulation(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "tris.txt", data, size, &st, err);
    if (!path)
        return st;
    au_triangulation t = {0, NULL};
    st = au_triangulation_load(&t, path, 68, err);
    au_triangulation_free(&t);
    fz_dir_remove(&d);
    return st;
}

static auface_status fuzz_landmark_csv(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "landmarks.csv", data, size, &st, err);
    if (!path)
        return st;
    au_landmark_csv *r = NULL;
    st = au_landmark_csv_open(&r, path, err);
    if (st == AUFACE_OK) {
        float lm[2 * AU_LANDMARK_CSV_POINTS];
        long frame;
        int success, got;
        double confidence;
        while ((got = au_landmark_csv_next(r, &frame, &success, lm, err)) > 0)
            (void)au_landmark_csv_confidence(r, &confidence);
        if (got < 0)
            st = err ? err->status : AUFACE_ERR_FORMAT;
    }
    au_landmark_csv_close(r);
    fz_dir_remove(&d);
    return st;
}

static auface_status fuzz_hog(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "features.hog", data, size, &st, err);
    if (!path)
        return st;
    au_hog_reader *r = NULL;
    st = au_hog_reader_open(&r, path, err);
    if (st == AUFACE_OK) {
        au_hog_record rec;
        int got;
        float sum = 0.0f;
        while ((got = au_hog_reader_next(r, &rec, err)) > 0) {
            size_t n = (size_t)rec.num_cols * rec.num_rows * rec.num_channels;
            sum += rec.data[0] + rec.data[n - 1]; /* both ends of the record are readable */
        }
        (void)sum;
        if (got < 0)
            st = err ? err->status : AUFACE_ERR_FORMAT;
    }
    au_hog_reader_close(r);
    fz_dir_remove(&d);
    return st;
}

/* One image file through the image backend (stb_image decode, EXIF orientation). */
static auface_status fuzz_image(const uint8_t *data, size_t size, au_err *err)
{
    fz_dir d;
    auface_status st;
    const char *path = fz_single(&d, "image.jpg", data, size, &st, err);
    if (!path)
        return st;
    au_images *im = NULL;
    st = au_images_open_file(&im, path, err);
    if (st == AUFACE_OK) {
        au_frame f;
        if (au_images_next(im, &f, err) > 0 && f.width > 0 && f.height > 0) {
            /* Touch the last pixel: the buffer must hold the whole oriented image. */
            volatile uint8_t last = f.bgr[(size_t)(f.height - 1) * f.stride + 3 * (size_t)f.width - 1];
            (void)last;
        }
    }
    au_images_close(im);
    fz_dir_remove(&d);
    return st;
}

const au_fuzz_target au_fuzz_targets[] = {
    {"onnx", fuzz_onnx},
    {"ccnf_patches", fuzz_ccnf_patches},
    {"clnf_validator", fuzz_clnf_validator},
    {"clnf_text", fuzz_clnf_text},
    {"mtcnn", fuzz_mtcnn},
    {"pdm", fuzz_pdm},
    {"au_models", fuzz_au_models},
    {"triangulation", fuzz_triangulation},
    {"landmark_csv", fuzz_landmark_csv},
    {"hog", fuzz_hog},
    {"image", fuzz_image},
    {NULL, NULL},
};

const au_fuzz_target *au_fuzz_find(const char *name)
{
    for (const au_fuzz_target *t = au_fuzz_targets; t->name; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}
