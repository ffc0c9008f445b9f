#include "pipeline/image_worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "detect/retinaface.h"
#include "detect/yunet.h"
#include "face/calcparams.h"
#include "face/gaze.h"
#include "io/atomic_file.h"
#include "io/bmp_file.h"
#include "io/csv_schema.h"
#include "io/hog_file.h"
#include "io/source.h"
#include "landmark/clnf_image.h"
#include "landmark/eye_parts.h"
#include "landmark/pfld.h"
#include "pipeline/face_frame.h"
#include "pipeline/results.h"
#include "pipeline/tracker.h"

#define MAX_AUS 64
/* RetinaFace/YuNet faces kept per image (MTCNN in CLNF mode has no limit). */
#define MAX_NN_FACES 256

struct au_image_worker {
    const au_image_models *m;
    au_face_extractor extractor;
    au_clnf_image *clnf;                /* CLNF mode */
    au_retinaface *retinaface;          /* PFLD mode, one of the two detectors */
    au_yunet *yunet;
    au_pfld *pfld;
    au_face_box nn_boxes[MAX_NN_FACES];
    au_csv_schema schema;
    double *row;                        /* one row of the schema */
    const char *reg_names[MAX_AUS];
    const char *class_names[MAX_AUS];
    au_face_features features;          /* large: kept here, not on the stack */
    int gaze;                           /* write gaze: eye parts exist and it is asked for */
    int eye_part[2];                    /* CLNF mode: the eyes among the fit's parts */
    const au_pdm *eye_pdms[2];
    au_eye_fitter *eye_fitter;          /* PFLD mode: eyes fitted from the 68 landmarks */
    float gaze_values[AU_GAZE_VALUES];
    float eye2d[2 * AU_EYE_POINTS];
    float eye3d[3 * AU_EYE_POINTS];
    double hog[AU_HOG_DIM];
    au_stage_times times;
};

/* One face's landmark stage, whatever made it. */
typedef struct face_landmarks {
    int success;
    double confidence;
    const au_clnf_fit_result *clnf; /* CLNF mode: the whole fit (its eye parts), else NULL */
    const float *landmarks;   /* 2n planar */
    const float *global;      /* the landmark fit's own parameters: OpenFace writes them as */
    const float *local;       /* p_* and derives pose and 3D landmarks from them */
} face_landmarks;

/* The outputs of the image being processed. */
typedef struct image_outputs {
    const auface_image_job *job;
    auface_results *results;
    au_atomic_file hog_file;
    FILE *hog;
    int faces, accepted;
} image_outputs;

/* ---- set-up ----------------------------------------------------------------------- */

static auface_status init_schema(au_image_worker *w, au_err *err)
{
    const au_models *aus = w->m->static_aus;
    int n_reg = au_models_num_reg(aus), n_class = au_models_num_class(aus);
    if (n_reg > MAX_AUS || n_class > MAX_AUS)
        return au_fail(err, AUFACE_ERR_FORMAT, "too many AU models (%d, %d)", n_reg, n_class);
    for (int i = 0; i < n_reg; i++)
        w->reg_names[i] = au_models_reg_name(aus, i);
    for (int i = 0; i < n_class; i++)
        w->class_names[i] = au_models_class_name(aus, i);
    au_csv_columns cols = {
        .outputs = w->gaze ? w->m->outputs : w->m->outputs & ~(unsigned)AUFACE_OUT_GAZE,
        .n_points = w->m->pdm->n,
        .n_modes = w->m->pdm->m,
        .n_reg = n_reg,
        .reg_names = w->reg_names,
        .n_class = n_class,
        .class_names = w->class_names,
    };
    auface_status st = au_csv_schema_init_image(&w->schema, &cols, err);
    if (st == AUFACE_OK && !(w->row = calloc((size_t)w->schema.n_cols, sizeof *w->row)))
        st = au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a row");
    return st;
}

/* Gaze needs both 28-point eye parts (without them OpenFace leaves the gaze block out). */
static auface_status prepare_gaze(au_image_worker *w, au_err *err)
{
    const au_image_models *m = w->m;
    w->gaze = (m->outputs & AUFACE_OUT_GAZE) && m->eye_model &&
              au_eye_part_pdms(m->eye_model, w->eye_pdms) &&
              au_clnf_eye_parts(m->eye_model, w->eye_part);
    if (!w->gaze || m->clnf_model)
        return AUFACE_OK;
    return au_eye_fitter_create(&w->eye_fitter, m->eye_model, err);
}

static auface_status create_landmarker(au_image_worker *w, au_err *err)
{
    const au_image_models *m = w->m;
    if (m->clnf_model)
        return au_clnf_image_create(&w->clnf, m->clnf_model, m->mtcnn, m->clnf_params, err);
    auface_status st = au_pfld_create(&w->pfld, m->pfld_model, err);
    if (st != AUFACE_OK)
        return st;
    return m->detector_kind == AU_DETECTOR_YUNET
               ? au_yunet_create(&w->yunet, m->detector_model, err)
               : au_retinaface_create(&w->retinaface, m->detector_model, err);
}

auface_status au_image_worker_create(au_image_worker **out, const au_image_models *models,
                                     au_err *err)
{
    *out = NULL;
    au_image_worker *w = calloc(1, sizeof *w);
    if (!w)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for an image worker");
    w->m = models;
    auface_status st = au_face_extractor_init(&w->extractor, models->pdm, models->tris, err);
    if (st == AUFACE_OK)
        st = prepare_gaze(w, err);
    if (st == AUFACE_OK)
        st = init_schema(w, err);
    if (st == AUFACE_OK)
        st = create_landmarker(w, err);
    if (st != AUFACE_OK) {
        au_image_worker_free(w);
        return st;
    }
    *out = w;
    return AUFACE_OK;
}

void au_image_worker_free(au_image_worker *w)
{
    if (!w)
        return;
    au_clnf_image_free(w->clnf);
    au_eye_fitter_free(w->eye_fitter);
    au_pfld_destroy(w->pfld);
    au_retinaface_destroy(w->retinaface);
    au_yunet_destroy(w->yunet);
    au_face_extractor_release(&w->extractor);
    au_csv_schema_release(&w->schema);
    free(w->row);
    free(w);
}

/* ---- one face --------------------------------------------------------------------- */

/* FaceAnalyser::PredictStaticAUsAndComputeFeatures steps 7–8: static SVR/SVM on
 * [hog, geometry], intensities clipped to [0, 5]. */
static void predict_static_aus(au_image_worker *w, double *reg, double *cls)
{
    const au_face_features *f = &w->features;
    const int n = f->hog_rows * f->hog_cols * AU_FHOG_CHANNELS;
    for (int i = 0; i < n && i < AU_HOG_DIM; i++)
        w->hog[i] = (double)f->hog[i];
    au_models_predict_reg(w->m->static_aus, w->hog, f->geom, NULL, NULL, reg);
    au_models_predict_class(w->m->static_aus, w->hog, f->geom, NULL, NULL, cls);
    for (int i = 0; i < au_models_num_reg(w->m->static_aus); i++)
        reg[i] = reg[i] < 0.0 ? 0.0 : reg[i] > 5.0 ? 5.0 : reg[i];
}

/* The AU features of a face: CalcParams, alignment and mask, FHOG and geometry, for every
 * face whatever its success (there is no black-face branch for images); pose and 3D
 * landmarks from the landmark fit's own parameters, with the image's intrinsics. */
static void face_features(au_image_worker *w, const auface_image *img, const face_landmarks *fl,
                          au_camera cam)
{
    au_face_features *f = &w->features;
    au_face_extract_timed(&w->extractor, img->bgr, img->width, img->height, img->stride,
                          fl->landmarks, 1, NULL, NULL, cam, f,
                          w->times.seconds + AU_STAGE_CALCPARAMS,
                          w->times.seconds + AU_STAGE_ALIGN, w->times.seconds + AU_STAGE_HOG);
    const au_pdm *pdm = w->m->pdm;
    memcpy(f->global, fl->global, sizeof f->global);
    memcpy(f->local, fl->local, sizeof(float) * (size_t)pdm->m);
    au_head_pose(pdm, f->global, f->local, fl->landmarks, cam, f->pose);
    au_landmarks_3d(pdm, f->global, f->local, fl->landmarks, cam, f->landmarks3d);
}

/* The eye parts of the face: the CLNF fit's own (whether or not the fit used them, as
 * FaceLandmarkImg reads them), or fitted here from the 68 landmarks. */
static auface_status face_eyes(au_image_worker *w, const auface_image *img,
                               const face_landmarks *fl, au_eyes *eyes, au_err *err)
{
    memset(eyes, 0, sizeof *eyes);
    if (!fl->clnf)
        return au_eye_fitter_fit(w->eye_fitter, img->bgr, img->width, img->height, img->stride,
                                 fl->landmarks, fl->global[0], eyes, err);
    eyes->valid = 1;
    for (int e = 0; e < 2; e++) {
        const au_clnf_part_result *part = &fl->clnf->parts[w->eye_part[e]];
        memcpy(eyes->global[e], part->global, sizeof eyes->global[e]);
        memcpy(eyes->local[e], part->local, sizeof eyes->local[e]);
        memcpy(eyes->landmarks[e], part->landmarks, sizeof eyes->landmarks[e]);
    }
    return AUFACE_OK;
}

/* Eye landmarks and gaze of the face (GAZE_SPEC §3–§6) with the image's intrinsics; for
 * every face, accepted or not (FaceLandmarkImg does not gate gaze by success). */
static auface_status face_gaze(au_image_worker *w, const auface_image *img,
                               const face_landmarks *fl, au_camera cam, au_err *err)
{
    memset(w->gaze_values, 0, sizeof w->gaze_values);
    au_eyes eyes;
    auface_status st = face_eyes(w, img, fl, &eyes, err);
    if (st != AUFACE_OK)
        return st;
    const au_face_features *f = &w->features;
    au_eyes_landmarks(&eyes, w->eye_pdms, cam, w->eye2d, w->eye3d);
    if (eyes.valid) {
        const float rot[3] = {(float)f->pose[3], (float)f->pose[4], (float)f->pose[5]};
        au_gaze_estimate(w->eye3d, f->landmarks3d, w->m->pdm->n, rot, w->gaze_values);
    }
    return AUFACE_OK;
}

/* The CSV row of face `face`, in the schema's layout. */
static void fill_face_row(au_image_worker *w, int face, const face_landmarks *fl)
{
    const au_face_features *f = &w->features;
    au_csv_row row = {
        .face_id = face,
        .confidence = fl->confidence,
        .success = fl->success,
        .gaze = w->gaze_values,
        .eye2d = w->eye2d,
        .eye3d = w->eye3d,
        .pose = f->pose,
        .landmarks2d = fl->landmarks,
        .landmarks3d = f->landmarks3d,
        .global = f->global,
        .local = f->local,
    };
    au_csv_schema_fill(&w->schema, &row, w->row);
}

static auface_status write_aligned(const image_outputs *io, int face, const uint8_t *aligned,
                                   au_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/face_det_%06d.bmp", io->job->aligned_dir, face);
    return au_bmp_write(path, aligned, AU_ALIGN_SIZE, AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3, err);
}

/* Everything FaceLandmarkImg does with one face after its landmarks. */
static auface_status add_face(au_image_worker *w, const auface_image *img, au_camera cam,
                              const face_landmarks *fl, image_outputs *io, au_err *err)
{
    const int face = io->faces;
    face_features(w, img, fl, cam);
    auface_status st;
    if (w->gaze && (st = face_gaze(w, img, fl, cam, err)) != AUFACE_OK)
        return st;
    double reg[MAX_AUS], cls[MAX_AUS];
    double t0 = au_now_seconds();
    predict_static_aus(w, reg, cls);
    w->times.seconds[AU_STAGE_PREDICT] += au_now_seconds() - t0;
    fill_face_row(w, face, fl);
    st = au_results_append(io->results, w->row, err);
    if (st != AUFACE_OK)
        return st;
    au_results_set_aus(io->results, io->results->rows - 1, reg, cls);
    const au_face_features *f = &w->features;
    if (io->hog && (st = au_hog_write_frame_float(io->hog, io->job->output_hog, f->hog_cols,
                                                  f->hog_rows, AU_FHOG_CHANNELS, fl->success,
                                                  f->hog, err)) != AUFACE_OK)
        return st;
    if (io->job->aligned_dir && (st = write_aligned(io, face, f->aligned, err)) != AUFACE_OK)
        return st;
    io->faces++;
    io->accepted += fl->success;
    return AUFACE_OK;
}

/* ---- the faces of an image ---------------------------------------------------------- */

static auface_status clnf_faces(au_image_worker *w, const auface_image *img, au_camera cam,
                                image_outputs *io, au_err *err)
{
    double t0 = au_now_seconds();
    int n = au_clnf_image_detect(w->clnf, img->bgr, img->width, img->height, img->stride, err);
    w->times.seconds[AU_STAGE_DETECT] += au_now_seconds() - t0;
    if (n < 0)
        return err->status;
    for (int i = 0; i < n; i++) {
        au_clnf_image_face cf;
        t0 = au_now_seconds();
        auface_status st = au_clnf_image_fit(w->clnf, au_clnf_image_box(w->clnf, i), &cf, err);
        w->times.seconds[AU_STAGE_LANDMARKS] += au_now_seconds() - t0;
        if (st != AUFACE_OK)
            return st;
        face_landmarks fl = {cf.success, cf.certainty, cf.fit, cf.fit->landmarks,
                             cf.fit->global, cf.fit->local};
        if ((st = add_face(w, img, cam, &fl, io, err)) != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}

static int detect_nn(au_image_worker *w, const auface_image *img, au_err *err)
{
    return w->yunet ? au_yunet_detect(w->yunet, img->bgr, img->width, img->height, img->stride,
                                      w->nn_boxes, MAX_NN_FACES, err)
                    : au_retinaface_detect(w->retinaface, img->bgr, img->width, img->height,
                                           img->stride, w->nn_boxes, MAX_NN_FACES, err);
}

/* PFLD in every detected box; confidence and success as in video mode (the landmarks' fit
 * to the face model, tracker.h). */
static auface_status pfld_faces(au_image_worker *w, const auface_image *img, au_camera cam,
                                image_outputs *io, au_err *err)
{
    double t0 = au_now_seconds();
    int n = detect_nn(w, img, err);
    w->times.seconds[AU_STAGE_DETECT] += au_now_seconds() - t0;
    if (n < 0)
        return err->status;
    for (int i = 0; i < n; i++) {
        float landmarks[2 * AU_PDM_MAX_POINTS], global[6], local[AU_PDM_MAX_MODES];
        t0 = au_now_seconds();
        au_err crop_err;
        /* A box outside the image cannot be cropped: not a face. */
        if (au_pfld_fit(w->pfld, img->bgr, img->width, img->height, img->stride,
                        &w->nn_boxes[i], landmarks, &crop_err) != AUFACE_OK)
            continue;
        au_calc_params(w->m->pdm, landmarks, global, local);
        double confidence = au_fit_confidence(w->m->pdm, landmarks, global, local);
        w->times.seconds[AU_STAGE_LANDMARKS] += au_now_seconds() - t0;
        face_landmarks fl = {confidence >= AU_TRACK_MIN_CONFIDENCE, confidence, NULL,
                             landmarks, global, local};
        auface_status st = add_face(w, img, cam, &fl, io, err);
        if (st != AUFACE_OK)
            return st;
    }
    return AUFACE_OK;
}

/* OpenFace's intrinsics: -fx -fy (both) and -cx -cy (both) when given, else from this
 * image's size (ImageCapture, IMAGE_SPEC §1.4). */
static au_camera image_camera(const au_image_models *m, int width, int height)
{
    au_camera cam = au_camera_default(width, height);
    if (m->fx > 0 && m->fy > 0) {
        cam.fx = m->fx;
        cam.fy = m->fy;
    }
    if (m->cx > 0 && m->cy > 0) {
        cam.cx = m->cx;
        cam.cy = m->cy;
    }
    return cam;
}

/* ---- one image ---------------------------------------------------------------------- */

static auface_status open_outputs(au_image_worker *w, image_outputs *io, au_err *err)
{
    const auface_image_job *job = io->job;
    auface_status st = au_results_create(&io->results, &w->schema, err);
    if (st != AUFACE_OK)
        return st;
    if (job->output_hog && !(io->hog = au_atomic_open(&io->hog_file, job->output_hog, err)))
        return err->status;
    if (job->aligned_dir && mkdir(job->aligned_dir, 0777) != 0 && errno != EEXIST)
        return au_fail(err, AUFACE_ERR_IO, "cannot create folder %s: %s", job->aligned_dir,
                       strerror(errno));
    return AUFACE_OK;
}

/* The .hog, then the CSV (last: it marks the image as done), then the results. */
static auface_status commit_outputs(image_outputs *io, au_err *err)
{
    auface_status st = AUFACE_OK;
    if (io->hog) {
        io->hog = NULL;
        st = au_atomic_commit(&io->hog_file, err);
    }
    if (st == AUFACE_OK && io->job->output_csv) {
        char msg[sizeof err->msg];
        st = auface_results_write_csv(io->results, io->job->output_csv, msg, sizeof msg);
        if (st != AUFACE_OK)
            au_fail(err, st, "%s", msg);
    }
    if (st == AUFACE_OK && io->job->results) {
        *io->job->results = io->results;
        io->results = NULL;
    }
    return st;
}

static void close_outputs(image_outputs *io)
{
    if (io->hog)
        au_atomic_abort(&io->hog_file);
    auface_results_free(io->results);
}

/* Decodes the job's file (its first frame, for formats FFmpeg reads) into `img`; the
 * pixels belong to *src. */
static auface_status read_image(const char *path, au_source **src, auface_image *img,
                                au_err *err)
{
    auface_status st = au_source_open(src, path, err);
    if (st != AUFACE_OK)
        return st;
    if (au_source_kind(*src) == AU_SOURCE_IMAGE_FOLDER)
        return au_fail(err, AUFACE_ERR_ARG, "%s: a folder, not an image", path);
    au_frame f;
    int r = au_source_next(*src, &f, err);
    if (r < 0)
        return err->status;
    if (r == 0)
        return au_fail(err, AUFACE_ERR_FORMAT, "%s: no picture in the file", path);
    img->bgr = f.bgr;
    img->width = f.width;
    img->height = f.height;
    img->stride = f.stride;
    return AUFACE_OK;
}

static auface_status process_pixels(au_image_worker *w, const auface_image *img,
                                    image_outputs *io, au_err *err)
{
    au_camera cam = image_camera(w->m, img->width, img->height);
    auface_status st = open_outputs(w, io, err);
    if (st == AUFACE_OK)
        st = w->clnf ? clnf_faces(w, img, cam, io, err) : pfld_faces(w, img, cam, io, err);
    if (st == AUFACE_OK)
        st = commit_outputs(io, err);
    return st;
}

auface_status au_image_worker_run(au_image_worker *w, const auface_image_job *job,
                                  auface_summary *summary, au_err *err)
{
    double t0 = au_now_seconds();
    memset(&w->times, 0, sizeof w->times);
    image_outputs io = {.job = job};
    au_source *src = NULL;
    auface_image pixels = {0};
    auface_status st = AUFACE_OK;
    if (job->image)
        pixels = *job->image;
    else
        st = read_image(job->input, &src, &pixels, err);
    w->times.seconds[AU_STAGE_DECODE] += au_now_seconds() - t0;
    if (st == AUFACE_OK)
        st = process_pixels(w, &pixels, &io, err);
    close_outputs(&io);
    au_source_close(src);
    if (summary) {
        memset(summary, 0, sizeof *summary);
        summary->workers = 1;
        summary->frames = io.faces;
        summary->frames_succeeded = io.accepted;
        summary->seconds = au_now_seconds() - t0;
        for (int s = 0; s < AU_STAGE_COUNT && s < AUFACE_STAGE_COUNT; s++)
            summary->stage_seconds[s] = w->times.seconds[s];
    }
    return st;
}
