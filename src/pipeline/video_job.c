/* auface_process_video: one input from first to last frame. The scheduler runs decoding
 * and the per-frame work (landmarks, AU features) on workers; this file opens the inputs
 * and outputs, feeds the scheduler, and consumes results in frame order: FaceAnalyser's
 * running state, the CSV rows, the .hog records and the aligned faces. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "au/analyser.h"
#include "common/c_locale.h"
#include "io/atomic_file.h"
#include "io/bmp_file.h"
#include "io/csv_openface.h"
#include "io/hog_file.h"
#include "io/landmark_csv.h"
#include "io/source.h"
#include "pipeline/anchor_chain.h"
#include "pipeline/frame_prefetch.h"
#include "pipeline/multi_face.h"
#include "pipeline/track_spool.h"
#include "pipeline/pipeline_internal.h"
#include "pipeline/results.h"
#include "pipeline/scheduler.h"

#define AU_MAX_AUS 64

/* Everything one job opens; released in one place whatever happened. */
typedef struct job_state {
    auface_pipeline *p;
    const auface_job *job;
    au_source *src;
    au_frame_prefetch *prefetch;  /* CLNF with workers: decoding + grey ahead of the tracker */
    long corrupt_frames;          /* damaged frames before the last one read, when prefetching */
    au_landmark_csv *lms;
    au_clnf_tracker *clnf;        /* OpenFace's tracker, run while reading (frame order) */
    double clnf_seconds;          /* its share of the reader's time */
    au_anchor_chain *anchors;     /* PFLD: the faces to follow, chosen while reading (the
                                   * pipeline's) */
    const au_face_replay *face;   /* one face of a multi-face job, NULL otherwise */
    au_analyser *analyser;
    au_csv_schema schema;         /* the output's columns */
    double *row_values;           /* one row, schema.n_cols */
    au_csv_writer *csv;           /* NULL when the job asks for results only */
    auface_results *results;      /* NULL when the job does not ask for them */
    au_atomic_file hog_file;
    FILE *hog;                    /* open temporary .hog, NULL when not asked for */
    const char *reg_names[AU_MAX_AUS];
    const char *class_names[AU_MAX_AUS];
    auface_progress_fn progress;
    void *progress_user;
    long total;                   /* expected frames, -1 if unknown */
    long frames_read;
    int reached_max;              /* stopped at --max-frames */
    int stopped;                  /* the progress callback asked to stop */
    long frames;                  /* consumed (written) */
    long succeeded;
    au_stage_times times;
} job_state;

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
        .outputs = au_pipeline_outputs(p),
        .n_points = p->pdm.n,
        .n_modes = p->pdm.m,
        .n_reg = n_reg,
        .reg_names = js->reg_names,
        .n_class = n_class,
        .class_names = js->class_names,
    };
    auface_status st = au_csv_schema_init(&js->schema, &cols, &p->err);
    if (st != AUFACE_OK)
        return st;
    if (!(js->row_values = calloc((size_t)js->schema.n_cols, sizeof *js->row_values)))
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for a row");
    if (js->job->output_csv &&
        (st = au_csv_writer_open(&js->csv, js->job->output_csv, &js->schema, &p->err)) !=
            AUFACE_OK)
        return st;
    if (js->job->results &&
        (st = au_results_create(&js->results, &js->schema, &p->err)) != AUFACE_OK)
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

/* Frames decoded ahead of the CLNF tracker: the tracker runs on the scheduler's reader thread
 * and is the run's one sequential path, so with more than one worker the decoding, the frame
 * copy and the grey image go to a thread of their own (one worker stays one thread). It
 * decodes in bursts of up to depth − 1 frames (au_frame_prefetch_next). */
#define PREFETCH_DEPTH 4

static void start_prefetch(job_state *js)
{
    if (!js->clnf || js->p->cfg.workers <= 1)
        return;
    au_err ignored;
    /* Without the thread the reader decodes, as with one worker: same frames, same output. */
    if (au_frame_prefetch_create(&js->prefetch, js->src, PREFETCH_DEPTH, 1, &ignored) !=
        AUFACE_OK)
        js->prefetch = NULL;
}

static auface_status open_inputs(job_state *js)
{
    auface_pipeline *p = js->p;
    /* The decoder gets as many threads as the job has workers: one worker is the
     * sequential, single-threaded run. */
    auface_status st = au_source_open_threads(&js->src, js->job->input, p->cfg.workers,
                                              &p->err);
    if (st != AUFACE_OK)
        return st;
    int pfld_on_workers = 0;
    if (js->face) {
        st = au_track_spool_rewind(js->face->spool, js->face->face_id, &p->err);
    } else if (js->job->landmarks_csv) {
        st = au_landmark_csv_open(&js->lms, js->job->landmarks_csv, &p->err);
    } else {
        st = au_pipeline_load_landmarker(p);
        js->clnf = p->cfg.landmarks == AUFACE_LANDMARKS_CLNF ? p->clnf_tracker : NULL;
        pfld_on_workers = !js->clnf;
        if (js->clnf)
            au_clnf_tracker_reset(js->clnf);
    }
    if (st != AUFACE_OK)
        return st;
    start_prefetch(js);
    st = au_pipeline_prepare_workers(p, pfld_on_workers, 0);
    if (st == AUFACE_OK && pfld_on_workers)
        st = au_pipeline_anchor_chain(p, &js->anchors);
    if (st != AUFACE_OK)
        return st;
    js->total = au_source_frame_count(js->src);
    if (js->job->max_frames > 0 && (js->total < 0 || js->total > js->job->max_frames))
        js->total = js->job->max_frames;
    if ((st = au_analyser_create(&js->analyser, p->models, &p->err)) != AUFACE_OK)
        return st;
    /* the end-of-video re-prediction runs when the workers have nothing left to do */
    au_analyser_set_threads(js->analyser, p->num_workers);
    return AUFACE_OK;
}

/* ---- reading (one thread at a time, in frame order) ---------------------------------- */

/* The replayed landmarks of the frame with 0-based index `index`. */
static auface_status replay_landmarks(job_state *js, au_frame_input *in, au_err *err)
{
    long frame_number;
    int r = au_landmark_csv_next(js->lms, &frame_number, &in->replay_success,
                                 in->replay_landmarks, err);
    if (r < 0)
        return err->status;
    if (r == 0)
        return au_fail(err, AUFACE_ERR_LANDMARKS,
                       "%s: has landmarks for %ld frames, but %s has more frames",
                       js->job->landmarks_csv, in->index, js->job->input);
    if (frame_number != in->index + 1)
        return au_fail(err, AUFACE_ERR_LANDMARKS,
                       "%s line %ld: frame %ld where frame %ld of %s was expected",
                       js->job->landmarks_csv, au_landmark_csv_line(js->lms), frame_number,
                       in->index + 1, js->job->input);
    /* The file's confidence when it has one (OpenFace's detection_certainty), otherwise
     * 1 for a face and 0 without. */
    double c;
    in->replay_confidence = au_landmark_csv_confidence(js->lms, &c) ? c
                            : in->replay_success ? 1.0 : 0.0;
    in->replay = 1;
    in->replay_au_success = in->replay_success;
    float eyes[2 * AU_LANDMARK_CSV_EYE_POINTS];
    if (au_landmark_csv_eyes(js->lms, eyes))
        au_frame_input_set_eye_points(in, eyes);
    return AUFACE_OK;
}

/* OpenFace's tracker on the next frame; its landmarks then go to the workers as given
 * landmarks, so the per-frame AU stage still runs in parallel behind it. */
static auface_status clnf_landmarks(job_state *js, au_frame_input *in, const uint8_t *gray,
                                    au_err *err)
{
    au_clnf_frame cf;
    double t0 = au_now_seconds();
    auface_status st = gray ? au_clnf_tracker_step_gray(js->clnf, in->bgr, gray, in->width,
                                                        in->height, in->stride, &cf, err)
                            : au_clnf_tracker_step(js->clnf, in->bgr, in->width, in->height,
                                                   in->stride, &cf, err);
    js->clnf_seconds += au_now_seconds() - t0;
    if (st != AUFACE_OK)
        return st;
    au_frame_input_from_clnf(in, &cf);
    return AUFACE_OK;
}

/* The next frame of the input (from the prefetch thread when there is one) and, when that
 * made it, its grey image. */
static int next_frame(job_state *js, au_frame *f, const uint8_t **gray, au_err *err)
{
    if (!js->prefetch)
        return au_source_next(js->src, f, err);
    const au_prefetched_frame *pf = NULL;
    int r = au_frame_prefetch_next(js->prefetch, &pf, &js->corrupt_frames, err);
    if (r > 0) {
        *f = pf->frame;
        *gray = pf->gray;
    }
    return r;
}

static int read_frame(void *user, au_frame_input *in, uint8_t **pixels, size_t *capacity,
                      au_err *err)
{
    job_state *js = user;
    if (js->job->max_frames > 0 && js->frames_read >= js->job->max_frames) {
        js->reached_max = 1;
        return 0;
    }
    au_frame f;
    const uint8_t *gray = NULL;
    int r = next_frame(js, &f, &gray, err);
    /* One face of a multi-face job: the frames before its first are not its rows. */
    while (r > 0 && js->face && f.index < js->face->first_frame)
        r = next_frame(js, &f, &gray, err);
    if (r <= 0)
        return r;
    if (js->prefetch)
        au_frame_prefetch_take_pixels(js->prefetch, pixels, capacity);
    else if (!au_source_keep_frame(js->src, &f, pixels, capacity)) {
        au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a %dx%d frame", f.width, f.height);
        return -1;
    }
    memset(in, 0, sizeof *in);
    in->bgr = *pixels;
    in->width = f.width;
    in->height = f.height;
    in->stride = (size_t)f.width * 3;
    in->index = f.index;
    in->timestamp = f.timestamp;
    if (js->lms && replay_landmarks(js, in, err) != AUFACE_OK)
        return -1;
    if (js->clnf && clnf_landmarks(js, in, gray, err) != AUFACE_OK)
        return -1;
    if (js->anchors && au_anchor_chain_step(js->anchors, in, err) != AUFACE_OK)
        return -1;
    if (js->face && (r = au_track_spool_fill(js->face->spool, in, err)) <= 0) {
        js->reached_max = r == 0; /* past the face's last frame: its run is complete */
        return r;
    }
    /* A face's run is numbered from its first frame, as if its span were the whole video
     * (the scheduler's chunks start at frame 0); its rows get their frame back. */
    if (js->face)
        in->index -= js->face->first_frame;
    js->frames_read++;
    return 1;
}

/* ---- consuming (calling thread, frame order) ----------------------------------------- */

/* OpenFace's name: frame_det_<face id, 2 digits>_<frame, 6 digits>.bmp. */
static auface_status write_aligned(job_state *js, int face_id, long frame_number,
                                   const uint8_t *face, au_err *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/frame_det_%02d_%06ld.bmp", js->job->aligned_dir, face_id,
             frame_number);
    return au_bmp_write(path, face, AU_ALIGN_SIZE, AU_ALIGN_SIZE, AU_ALIGN_SIZE * 3, err);
}

static auface_status consume_frame(void *user, const au_frame_output *out, int *stop,
                                   au_err *err)
{
    job_state *js = user;
    const au_face_features *f = &out->features;
    double reg[AU_MAX_AUS], cls[AU_MAX_AUS];
    double t0 = au_now_seconds();
    auface_status st = au_analyser_add_frame(js->analyser, f->success, f->hog, f->geom, reg,
                                             cls, err);
    js->times.seconds[AU_STAGE_PREDICT] += au_now_seconds() - t0;
    if (st != AUFACE_OK)
        return st;
    au_csv_row row = {
        .frame = out->index + 1 + (js->face ? js->face->first_frame : 0),
        .face_id = js->face ? js->face->face_id : 0,
        .timestamp = out->timestamp,
        .confidence = out->confidence,
        .success = out->success,
        .gaze = out->gaze,
        .eye2d = out->eye2d,
        .eye3d = out->eye3d,
        .pose = f->pose,
        .landmarks2d = out->landmarks,
        .landmarks3d = f->landmarks3d,
        .global = f->global,
        .local = f->local,
    };
    au_csv_schema_fill(&js->schema, &row, js->row_values);
    if (js->csv && (st = au_csv_writer_add(js->csv, js->row_values, err)) != AUFACE_OK)
        return st;
    if (js->results && (st = au_results_append(js->results, js->row_values, err)) != AUFACE_OK)
        return st;
    if (js->hog &&
        (st = au_hog_write_frame_float(js->hog, js->job->output_hog, f->hog_cols, f->hog_rows,
                                       AU_FHOG_CHANNELS, out->success, f->hog, err)) !=
            AUFACE_OK)
        return st;
    if (js->job->aligned_dir &&
        (st = write_aligned(js, row.face_id, row.frame, f->aligned, err)) != AUFACE_OK)
        return st;
    js->frames++;
    js->succeeded += out->success;
    if (js->progress && js->progress(js->progress_user, js->frames, js->total)) {
        js->stopped = 1;
        *stop = 1;
    }
    return AUFACE_OK;
}

/* ---- ending ------------------------------------------------------------------------- */

/* At the end of the input: frames the decoder skipped, or landmark rows left over (a
 * truncated video, or the wrong landmark file), make the job fail after its frames are
 * written. */
static auface_status check_input_end(job_state *js)
{
    auface_pipeline *p = js->p;
    if (js->reached_max || js->stopped)
        return AUFACE_OK;
    /* Damaged frames the decoder skipped are not an error: the summary counts them. */
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

static void final_aus(void *user, long index, double *reg, double *cls)
{
    const au_analyser *a = user;
    au_analyser_final_reg(a, index, reg);
    au_analyser_final_class(a, index, cls);
}

/* Completes the in-memory rows with the final AU values and gives them to the caller. */
static void hand_over_results(job_state *js)
{
    double reg[AU_MAX_AUS], cls[AU_MAX_AUS];
    for (long i = 0; i < js->results->rows; i++) {
        final_aus(js->analyser, i, reg, cls);
        au_results_set_aus(js->results, i, reg, cls);
    }
    *js->job->results = js->results;
    js->results = NULL;
}

/* Commits the outputs of a complete run: the .hog first, the CSV last (its presence tells
 * a resumed batch the input is done). A CSV that cannot be committed takes the .hog back
 * with it, so a failed input leaves nothing under the final names. */
static auface_status commit_outputs(job_state *js, au_err *err)
{
    auface_status st = AUFACE_OK;
    int hog_committed = 0;
    if (js->hog) {
        js->hog = NULL;
        st = au_atomic_commit(&js->hog_file, err);
        hog_committed = st == AUFACE_OK;
    }
    if (st == AUFACE_OK && js->csv)
        st = au_csv_writer_finish(js->csv, final_aus, js->analyser, err);
    if (st != AUFACE_OK && hog_committed)
        unlink(js->job->output_hog);
    if (st != AUFACE_OK)
        return st;
    if (js->results)
        hand_over_results(js);
    if (js->job->partial_csv)
        unlink(js->job->partial_csv); /* an earlier failed run's rows, now superseded */
    return AUFACE_OK;
}

/* Adds a printf-style text to the end of the pipeline's error message. */
static void append_to_error(auface_pipeline *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void append_to_error(auface_pipeline *p, const char *fmt, ...)
{
    size_t len = strlen(p->err.msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err.msg + len, sizeof p->err.msg - len, fmt, ap);
    va_end(ap);
}

/* After a failure: the rows written so far (those of the frames before the failing one,
 * and its own when only a later output of that frame failed) go to the partial CSV when
 * the job asks for one; the error message says where they are (or why they are not). */
static void keep_partial(job_state *js)
{
    long rows = js->csv ? au_csv_writer_rows(js->csv) : 0;
    if (!js->job->partial_csv || rows == 0)
        return;
    au_err werr;
    if (au_csv_writer_finish_as(js->csv, js->job->partial_csv, final_aus, js->analyser,
                                &werr) == AUFACE_OK)
        append_to_error(js->p, "; the rows of the %ld frames done are kept in %s", rows,
                        js->job->partial_csv);
    else
        append_to_error(js->p, "; the rows of the %ld frames done could not be kept in %s: %s",
                        rows, js->job->partial_csv, werr.msg);
}

/* Ends the job: a complete run is committed; after a failure (`st`, or a failure to
 * commit) nothing appears under the final names and only the partial CSV is kept. */
static auface_status finish_outputs(job_state *js, auface_status st)
{
    auface_pipeline *p = js->p;
    if (js->frames == 0 && st == AUFACE_OK)
        st = au_fail(&p->err, AUFACE_ERR_VIDEO, "%s: no frame could be read", js->job->input);
    if (js->frames == 0 && (!js->csv || au_csv_writer_rows(js->csv) == 0))
        return st;
    au_err err;
    au_err_clear(&err);
    auface_status fst = au_analyser_finish(js->analyser, &err);
    if (fst != AUFACE_OK) { /* the AU values are unknown: nothing can be written */
        if (st == AUFACE_OK)
            p->err = err;
        return st == AUFACE_OK ? fst : st;
    }
    if (st == AUFACE_OK && (st = commit_outputs(js, &err)) != AUFACE_OK)
        p->err = err;
    if (st != AUFACE_OK)
        keep_partial(js);
    return st;
}

static void close_job(job_state *js)
{
    if (js->hog)
        au_atomic_abort(&js->hog_file);
    au_csv_writer_free(js->csv);
    auface_results_free(js->results);
    free(js->row_values);
    au_csv_schema_release(&js->schema);
    au_analyser_free(js->analyser);
    au_landmark_csv_close(js->lms);
    au_frame_prefetch_free(js->prefetch);
    au_source_close(js->src);
}

static auface_status run_frames(job_state *js)
{
    auface_pipeline *p = js->p;
    au_schedule s = {
        .workers = p->workers,
        .num_workers = p->num_workers,
        .chunk = p->cfg.detect_interval,
        .ring = au_pipeline_ring_size(p),
        .max_bytes = au_pipeline_frame_budget(p),
        .read = read_frame,
        .read_user = js,
        .consume = consume_frame,
        .consume_user = js,
    };
    auface_status st = au_schedule_run(&s, &js->times, &p->err);
    if (st == AUFACE_OK)
        st = check_input_end(js);
    return st;
}

static void fill_summary(const job_state *js, double seconds, auface_summary *summary)
{
    memset(summary, 0, sizeof *summary);
    summary->frames = js->frames;
    summary->frames_succeeded = js->succeeded;
    /* Frames the prefetch thread decoded after the last one read are not counted. */
    summary->frames_failed_decode = js->prefetch ? js->corrupt_frames
                                    : js->src    ? au_source_corrupt_frames(js->src)
                                                 : 0;
    summary->seconds = seconds;
    summary->workers = js->p->num_workers;
    for (int s = 0; s < AU_STAGE_COUNT && s < AUFACE_STAGE_COUNT; s++)
        summary->stage_seconds[s] = js->times.seconds[s];
    /* The CLNF tracker runs inside the reader: move its time from decode to landmarks. */
    summary->stage_seconds[AUFACE_STAGE_DECODE] -= js->clnf_seconds;
    summary->stage_seconds[AUFACE_STAGE_LANDMARKS] += js->clnf_seconds;
    /* So do the detections that choose the PFLD tracker's faces. */
    double anchor_seconds = au_anchor_chain_seconds(js->anchors);
    summary->stage_seconds[AUFACE_STAGE_DECODE] -= anchor_seconds;
    summary->stage_seconds[AUFACE_STAGE_DETECT] += anchor_seconds;
}

static auface_status process_video(auface_pipeline *p, const auface_job *job,
                                   const au_face_replay *face, auface_progress_fn progress,
                                   void *user, auface_summary *summary)
{
    if (!p)
        return AUFACE_ERR_ARG;
    au_err_clear(&p->err);
    if (summary)
        memset(summary, 0, sizeof *summary);
    if (job && job->results)
        *job->results = NULL;
    if (!job || !job->input || (!job->output_csv && !job->results))
        return au_fail(&p->err, AUFACE_ERR_ARG,
                       "a job needs an input and an output CSV or results");
    if (!face && p->cfg.max_faces > 1)
        return au_multi_face_process(p, job, progress, user, summary);
    double t0 = au_now_seconds();
    job_state js = {.p = p, .job = job, .face = face, .progress = progress,
                    .progress_user = user};
    auface_status st = open_inputs(&js);
    if (st == AUFACE_OK)
        st = open_outputs(&js);
    if (st == AUFACE_OK) {
        st = run_frames(&js);
        if (st == AUFACE_OK && js.stopped && job->stop_cancels)
            st = au_fail(&p->err, AUFACE_ERR_CANCELLED, "%s: cancelled after %ld frames",
                         job->input, js.frames);
        st = finish_outputs(&js, st);
    }
    if (summary)
        fill_summary(&js, au_now_seconds() - t0, summary);
    close_job(&js);
    return st;
}

/* The caller's progress callback, run in the caller's own locale (the job runs in "C"). */
typedef struct caller_progress {
    auface_progress_fn fn;
    void *user;
    locale_t locale;
} caller_progress;

static int progress_in_caller_locale(void *user, long frames_done, long total)
{
    const caller_progress *cp = user;
    locale_t job_locale = uselocale(cp->locale);
    int stop = cp->fn(cp->user, frames_done, total);
    uselocale(job_locale);
    return stop;
}

auface_status auface_process_video(auface_pipeline *p, const auface_job *job,
                                   auface_progress_fn progress, void *user,
                                   auface_summary *summary)
{
    au_c_locale_scope numbers; /* '.' decimals in every file read or written */
    au_c_locale_enter(&numbers);
    caller_progress cp = {progress, user, au_c_locale_caller(&numbers)};
    auface_status st = process_video(p, job, NULL, progress ? progress_in_caller_locale : NULL,
                                     &cp, summary);
    au_c_locale_leave(&numbers);
    return st;
}

auface_status au_process_face_replay(auface_pipeline *p, const auface_job *job,
                                     const au_face_replay *face, auface_summary *summary)
{
    return process_video(p, job, face, NULL, NULL, summary);
}
