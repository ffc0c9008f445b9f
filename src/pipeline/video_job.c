/* auface_process_video: one input from first to last frame — decode, landmarks (replayed
 * from an OpenFace CSV for now), the per-frame AU features, FaceAnalyser's running state,
 * and the outputs (CSV, .hog, aligned faces). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "au/analyser.h"
#include "io/atomic_file.h"
#include "io/bmp_file.h"
#include "io/csv_openface.h"
#include "io/hog_file.h"
#include "io/landmark_csv.h"
#include "io/source.h"
#include "pipeline/pipeline_internal.h"

#define AU_MAX_AUS 64

/* Everything one job opens; released in one place whatever happened. */
typedef struct job_state {
    auface_pipeline *p;
    const auface_job *job;
    au_source *src;
    au_landmark_csv *lms;
    au_analyser *analyser;
    au_csv_writer *csv;
    au_atomic_file hog_file;
    FILE *hog;                    /* open temporary .hog, NULL when not asked for */
    const char *reg_names[AU_MAX_AUS];
    const char *class_names[AU_MAX_AUS];
    au_tracker tracker;          /* own landmarks, when there is no landmark file */
    long frames;
    long succeeded;
} job_state;

/* One frame's landmarks, from the replayed file or from auface's own tracker. */
typedef struct frame_landmarks {
    int success;
    double confidence;
    float lm[2 * AU_PDM_MAX_POINTS];
    const float *fit_global;     /* the tracker's CalcParams, NULL for replay */
    const float *fit_local;
    au_track_result track;
} frame_landmarks;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static auface_status open_outputs(job_state *js)
{
    auface_pipeline *p = js->p;
    const au_models *m = p->models;
    int n_reg = au_models_num_reg(m), n_class = au_models_num_class(m);
    if (n_reg > AU_MAX_AUS || n_class > AU_MAX_AUS)
        return au_fail(&p->err, AUFACE_ERR_FORMAT, "too many AU models (%d, %d)", n_reg,
                       n_class);
    for (int i = 0; i < n_reg; i++)
        js->reg_names[i] = au_models_reg_name(m, i);
    for (int i = 0; i < n_class; i++)
        js->class_names[i] = au_models_class_name(m, i);
    au_csv_columns cols = {
        .outputs = p->cfg.outputs,
        .n_points = p->pdm.n,
        .n_modes = p->pdm.m,
        .n_reg = n_reg,
        .reg_names = js->reg_names,
        .n_class = n_class,
        .class_names = js->class_names,
    };
    auface_status st = au_csv_writer_open(&js->csv, js->job->output_csv, &cols, &p->err);
    if (st != AUFACE_OK)
        return st;
    if (js->job->output_hog) {
        js->hog = au_atomic_open(&js->hog_file, js->job->output_hog, &p->err);
        if (!js->hog)
            return p->err.status;
    }
    if (js->job->aligned_dir && mkdir(js->job->aligned_dir, 0777) != 0 && errno != EEXIST)
        return au_fail(&p->err, AUFACE_ERR_IO, "cannot create folder %s: %s",
                       js->job->aligned_dir, strerror(errno));
    return AUFACE_OK;
}

static auface_status open_inputs(job_state *js)
{
    auface_pipeline *p = js->p;
    auface_status st = au_source_open(&js->src, js->job->input, &p->err);
    if (st != AUFACE_OK)
        return st;
    if (js->job->landmarks_csv) {
        st = au_landmark_csv_open(&js->lms, js->job->landmarks_csv, &p->err);
    } else if ((st = au_pipeline_load_landmarker(p)) == AUFACE_OK) {
        au_tracker_config tc = {p->cfg.detect_interval, AU_TRACK_MIN_CONFIDENCE};
        au_tracker_init(&js->tracker, tc, &p->pdm, p->detector, p->pfld);
    }
    if (st != AUFACE_OK)
        return st;
    return au_analyser_create(&js->analyser, p->models, &p->err);
}

/* Reads the replayed landmarks of the frame with 0-based index `index`. */
static auface_status replay_landmarks(job_state *js, long index, float *lm, int *success)
{
    auface_pipeline *p = js->p;
    long frame_number;
    int r = au_landmark_csv_next(js->lms, &frame_number, success, lm, &p->err);
    if (r < 0)
        return p->err.status;
    if (r == 0)
        return au_fail(&p->err, AUFACE_ERR_LANDMARKS,
                       "%s: has landmarks for %ld frames, but %s has more frames",
                       js->job->landmarks_csv, index, js->job->input);
    if (frame_number != index + 1)
        return au_fail(&p->err, AUFACE_ERR_LANDMARKS,
                       "%s line %ld: frame %ld where frame %ld of %s was expected",
                       js->job->landmarks_csv, au_landmark_csv_line(js->lms), frame_number,
                       index + 1, js->job->input);
    return AUFACE_OK;
}

static auface_status write_aligned(job_state *js, long frame_number, const uint8_t *face)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/frame_det_00_%06ld.bmp", js->job->aligned_dir,
             frame_number);
    return au_bmp_write(path, face, AU_ALIGN_SIZE, AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3, &js->p->err);
}

/* The replayed file's confidence when it has one (OpenFace's detection_certainty),
 * otherwise 1 for a face and 0 without. */
static double replay_confidence(const job_state *js, int success)
{
    double c;
    return au_landmark_csv_confidence(js->lms, &c) ? c : (success ? 1.0 : 0.0);
}

static auface_status frame_landmarks_of(job_state *js, const au_frame *frame,
                                        frame_landmarks *fl)
{
    memset(fl, 0, sizeof *fl);
    if (js->lms) {
        auface_status st = replay_landmarks(js, frame->index, fl->lm, &fl->success);
        fl->confidence = replay_confidence(js, fl->success);
        return st;
    }
    auface_status st = au_tracker_step(&js->tracker, frame->bgr, frame->width, frame->height,
                                       frame->stride, frame->index, &fl->track, &js->p->err);
    if (st != AUFACE_OK)
        return st;
    fl->success = fl->track.success;
    fl->confidence = fl->track.confidence;
    memcpy(fl->lm, fl->track.landmarks, sizeof fl->lm);
    fl->fit_global = fl->track.global;
    fl->fit_local = fl->track.local;
    return AUFACE_OK;
}

static auface_status process_frame(job_state *js, const au_frame *frame)
{
    auface_pipeline *p = js->p;
    au_face_features *f = p->features;
    frame_landmarks fl;
    auface_status st = frame_landmarks_of(js, frame, &fl);
    if (st != AUFACE_OK)
        return st;
    const int success = fl.success;
    const float *lm = fl.lm;
    au_camera cam = au_camera_default(frame->width, frame->height);
    au_face_extract(&p->extractor, frame->bgr, frame->width, frame->height, frame->stride, lm,
                    success, fl.fit_global, fl.fit_local, cam, f);
    double reg[AU_MAX_AUS], cls[AU_MAX_AUS];
    st = au_analyser_add_frame(js->analyser, success, f->hog, f->geom, reg, cls, &p->err);
    if (st != AUFACE_OK)
        return st;
    au_csv_row row = {
        .frame = frame->index + 1,
        .face_id = 0,
        .timestamp = frame->timestamp,
        .confidence = fl.confidence,
        .success = success,
        .pose = f->pose,
        .landmarks2d = lm,
        .landmarks3d = f->landmarks3d,
        .global = f->global,
        .local = f->local,
    };
    if ((st = au_csv_writer_add(js->csv, &row, &p->err)) != AUFACE_OK)
        return st;
    if (js->hog &&
        (st = au_hog_write_frame_float(js->hog, js->job->output_hog, f->hog_cols, f->hog_rows,
                                       AU_FHOG_CHANNELS, success, f->hog, &p->err)) != AUFACE_OK)
        return st;
    if (js->job->aligned_dir && (st = write_aligned(js, frame->index + 1, f->aligned)) != AUFACE_OK)
        return st;
    js->frames++;
    js->succeeded += success;
    return AUFACE_OK;
}

static void final_aus(void *user, long index, double *reg, double *cls)
{
    const au_analyser *a = user;
    au_analyser_final_reg(a, index, reg);
    au_analyser_final_class(a, index, cls);
}

/* Writes what was processed; the first error (processing or writing) is kept. */
static auface_status finish_outputs(job_state *js, auface_status st)
{
    auface_pipeline *p = js->p;
    au_err write_err;
    au_err_clear(&write_err);
    auface_status wst = AUFACE_OK;
    if (js->frames == 0) {
        if (st == AUFACE_OK)
            st = au_fail(&p->err, AUFACE_ERR_VIDEO, "%s: no frame could be read",
                         js->job->input);
        return st;
    }
    wst = au_analyser_finish(js->analyser, &write_err);
    if (wst == AUFACE_OK)
        wst = au_csv_writer_finish(js->csv, final_aus, js->analyser, &write_err);
    if (wst == AUFACE_OK && js->hog) {
        js->hog = NULL;
        wst = au_atomic_commit(&js->hog_file, &write_err);
    }
    if (st == AUFACE_OK && wst != AUFACE_OK) {
        p->err = write_err;
        st = wst;
    }
    return st;
}

static void close_job(job_state *js)
{
    if (js->hog)
        au_atomic_abort(&js->hog_file);
    au_csv_writer_free(js->csv);
    au_analyser_free(js->analyser);
    au_landmark_csv_close(js->lms);
    au_source_close(js->src);
}

/* At the end of the input: frames the decoder skipped, or landmark rows left over (a
 * truncated video, or the wrong landmark file), make the job fail after its frames are
 * written. */
static auface_status check_input_end(job_state *js)
{
    auface_pipeline *p = js->p;
    long skipped = au_source_corrupt_frames(js->src);
    if (skipped > 0)
        return au_fail(&p->err, AUFACE_ERR_VIDEO,
                       "%s: %ld frame(s) could not be decoded and were skipped; the %ld "
                       "decodable frames were processed", js->job->input, skipped, js->frames);
    long frame_number;
    int success;
    float lm[2 * AU_PDM_MAX_POINTS];
    au_err probe;
    if (js->lms && au_landmark_csv_next(js->lms, &frame_number, &success, lm, &probe) != 0)
        return au_fail(&p->err, AUFACE_ERR_LANDMARKS,
                       "%s: the video ended after %ld frames but %s has more rows: is the video "
                       "truncated, or is this the landmark file of another video?",
                       js->job->input, js->frames, js->job->landmarks_csv);
    return AUFACE_OK;
}

static auface_status run_frames(job_state *js, auface_progress_fn progress, void *user)
{
    auface_pipeline *p = js->p;
    long total = au_source_frame_count(js->src);
    if (js->job->max_frames > 0 && (total < 0 || total > js->job->max_frames))
        total = js->job->max_frames;
    au_frame frame;
    for (;;) {
        if (js->job->max_frames > 0 && js->frames >= js->job->max_frames)
            return AUFACE_OK;
        int r = au_source_next(js->src, &frame, &p->err);
        if (r == 0)
            return check_input_end(js);
        if (r < 0)
            return p->err.status ? p->err.status : AUFACE_ERR_VIDEO;
        auface_status st = process_frame(js, &frame);
        if (st != AUFACE_OK)
            return st;
        if (progress && progress(user, js->frames, total))
            return AUFACE_OK;
    }
}

auface_status auface_process_video(auface_pipeline *p, const auface_job *job,
                                   auface_progress_fn progress, void *user,
                                   auface_summary *summary)
{
    if (!p)
        return AUFACE_ERR_ARG;
    au_err_clear(&p->err);
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (!job || !job->input || !job->output_csv)
        return au_fail(&p->err, AUFACE_ERR_ARG, "a job needs an input and an output CSV");
    double t0 = now_seconds();
    job_state js = {.p = p, .job = job};
    auface_status st = open_inputs(&js);
    if (st == AUFACE_OK)
        st = open_outputs(&js);
    if (st == AUFACE_OK) {
        st = run_frames(&js, progress, user);
        st = finish_outputs(&js, st);
    }
    if (summary) {
        summary->frames = js.frames;
        summary->frames_succeeded = js.succeeded;
        summary->frames_failed_decode = js.src ? au_source_corrupt_frames(js.src) : 0;
        summary->seconds = now_seconds() - t0;
    }
    close_job(&js);
    return st;
}
