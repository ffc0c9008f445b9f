#include "pipeline/multi_face.h"
#include "pipeline/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "detect/retinaface.h"
#include "common/cpu_count.h"
#include "detect/yunet.h"
#include "io/atomic_file.h"
#include "io/source.h"
#include "pipeline/face_tracks.h"
#include "pipeline/track_spool.h"

/* ---- pass 1: follow the faces, spool their landmarks ---------------------------------- */

/* What pass 1 opens; released in one place. */
typedef struct tracking_pass {
    au_source *src;
    au_retinaface *retinaface;
    au_yunet *yunet;
    au_pfld *pfld;
    au_tracker fitter;
    au_face_tracks *tracks;
    long frames, frames_with_face;
    int stopped;              /* the progress callback asked to stop */
} tracking_pass;

static auface_status open_tracking(auface_pipeline *p, const auface_job *job,
                                   tracking_pass *tp)
{
    auface_status st = au_pipeline_load_landmarker(p);
    if (st == AUFACE_OK)
        st = au_source_open_threads(&tp->src, job->input, p->cfg.workers, &p->err);
    if (st == AUFACE_OK && p->cfg.landmarks == AUFACE_LANDMARKS_CLNF) {
        /* each face's tracker spreads its fits over the threads the job may use */
        int threads = p->cfg.workers > 0 ? p->cfg.workers : au_usable_cpus(256);
        au_face_tracks_clnf clnf = {p->clnf_model, p->mtcnn, &p->clnf_params, threads,
                                    p->cfg.detect_interval};
        return au_face_tracks_create_clnf(&tp->tracks, p->cfg.max_faces, &clnf, &p->err);
    }
    if (st == AUFACE_OK)
        st = au_pfld_create(&tp->pfld, p->pfld_model, &p->err);
    if (st != AUFACE_OK)
        return st;
    au_tracker_config tc = {p->cfg.detect_interval, AU_TRACK_MIN_CONFIDENCE};
    if (p->cfg.detector == AUFACE_DETECTOR_YUNET) {
        st = au_yunet_create(&tp->yunet, p->detector_model, &p->err);
        au_tracker_init(&tp->fitter, tc, &p->pdm, au_detect_with_yunet, tp->yunet, tp->pfld);
    } else {
        st = au_retinaface_create(&tp->retinaface, p->detector_model, &p->err);
        au_tracker_init(&tp->fitter, tc, &p->pdm, au_detect_with_retinaface, tp->retinaface, tp->pfld);
    }
    if (st == AUFACE_OK)
        st = au_face_tracks_create(&tp->tracks, p->cfg.max_faces, &tp->fitter, &p->err);
    return st;
}

static void close_tracking(tracking_pass *tp)
{
    au_face_tracks_free(tp->tracks);
    au_retinaface_destroy(tp->retinaface);
    au_yunet_destroy(tp->yunet);
    au_pfld_destroy(tp->pfld);
    au_source_close(tp->src);
}

/* The frames of the input (up to job->max_frames), each face's landmarks into `spool`. */
static auface_status run_tracking(auface_pipeline *p, const auface_job *job, tracking_pass *tp,
                                  au_track_spool *spool, auface_progress_fn progress,
                                  void *user)
{
    long total = au_source_frame_count(tp->src);
    if (job->max_frames > 0 && (total < 0 || total > job->max_frames))
        total = job->max_frames;
    au_tracked_face *faces = calloc((size_t)p->cfg.max_faces, sizeof *faces);
    if (!faces)
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for tracked faces");
    auface_status st = AUFACE_OK;
    au_frame f;
    int r = 0;
    while ((job->max_frames <= 0 || tp->frames < job->max_frames) &&
           (r = au_source_next(tp->src, &f, &p->err)) > 0) {
        int count;
        st = au_face_tracks_step(tp->tracks, f.bgr, f.width, f.height, f.stride, f.index,
                                 f.timestamp, faces, &count, &p->err);
        for (int i = 0; st == AUFACE_OK && i < count; i++)
            st = au_track_spool_add(spool, f.index, &faces[i], &p->err);
        if (st != AUFACE_OK)
            break;
        tp->frames++;
        tp->frames_with_face += count > 0;
        if (progress && progress(user, tp->frames, total)) {
            tp->stopped = 1;
            break;
        }
    }
    if (st == AUFACE_OK && r < 0)
        st = p->err.status;
    free(faces);
    return st;
}

/* ---- pass 2: the single-face job per face --------------------------------------------- */

/* NAME_face<id>.EXT for `output` = NAME.EXT (or NAME without that extension). */
static void face_file_path(const char *output, const char *ext, int id, char *path, size_t cap)
{
    size_t len = strlen(output), ext_len = strlen(ext);
    if (len >= ext_len && strcmp(output + len - ext_len, ext) == 0)
        len -= ext_len;
    snprintf(path, cap, "%.*s_face%d%s", (int)len, output, id, ext);
}

/* Where face `id`'s CSV goes: its own file (split_faces) or a part merged afterwards. */
static void face_csv_path(const auface_pipeline *p, const char *output, int id, char *path,
                          size_t cap)
{
    if (p->cfg.split_faces)
        face_file_path(output, ".csv", id, path, cap);
    else
        snprintf(path, cap, "%s.face%d.part", output, id);
}

/* Pass 2 for face `id`; its aligned faces go to the job's folder under their face id, as
 * OpenFace names them. */
static auface_status replay_face(auface_pipeline *p, const auface_job *job,
                                 au_track_spool *spool, int id, const char *csv,
                                 auface_results **results)
{
    long first, last;
    if (!au_track_spool_span(spool, id, &first, &last))
        return AUFACE_OK;
    auface_job face_job = *job;
    char *hog = NULL;
    if (job->output_hog) {
        size_t cap = strlen(job->output_hog) + 32;
        if (!(hog = malloc(cap)))
            return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for the faces' files");
        /* a HOG record has no face id: one file per face */
        face_file_path(job->output_hog, ".hog", id, hog, cap);
        face_job.output_hog = hog;
    }
    face_job.output_csv = csv;
    face_job.results = results;
    face_job.max_frames = 0;     /* the span ends the run */
    face_job.partial_csv = NULL;
    au_face_replay face = {spool, id, first};
    auface_status st = au_process_face_replay(p, &face_job, &face, NULL);
    free(hog);
    return st;
}

/* ---- merging the faces' CSVs ---------------------------------------------------------- */

/* One face's CSV being merged: its current row and that row's frame number. */
typedef struct part_reader {
    FILE *f;
    char *line;
    size_t cap;
    long frame;               /* -1 when the file is done */
} part_reader;

static void part_advance(part_reader *r)
{
    r->frame = -1;
    if (getline(&r->line, &r->cap, r->f) > 0)
        r->frame = strtol(r->line, NULL, 10);
}

/* The reader with the lowest frame (the lowest face id on a tie), -1 when all are done. */
static int next_part(const part_reader *parts, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (parts[i].frame >= 0 && (best < 0 || parts[i].frame < parts[best].frame))
            best = i;
    return best;
}

static auface_status merge_rows(part_reader *parts, int n, FILE *out, const char *output,
                                au_err *err)
{
    /* Every part has the same header: write the first one's. */
    if (fputs(parts[0].line, out) == EOF)
        return au_fail(err, AUFACE_ERR_IO, "cannot write %s", output);
    for (int i = 0; i < n; i++)
        part_advance(&parts[i]);
    for (int i; (i = next_part(parts, n)) >= 0; part_advance(&parts[i]))
        if (fputs(parts[i].line, out) == EOF)
            return au_fail(err, AUFACE_ERR_IO, "cannot write %s", output);
    return AUFACE_OK;
}

/* Merges the faces' CSVs `paths` into `output` (atomically). */
static auface_status merge_parts(char **paths, int n, const char *output, au_err *err)
{
    part_reader *parts = calloc((size_t)n, sizeof *parts);
    if (!parts)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for merging the faces' rows");
    auface_status st = AUFACE_OK;
    for (int i = 0; i < n && st == AUFACE_OK; i++) {
        if (!(parts[i].f = fopen(paths[i], "rb")) ||
            getline(&parts[i].line, &parts[i].cap, parts[i].f) <= 0)
            st = au_fail(err, AUFACE_ERR_IO, "cannot read back %s", paths[i]);
    }
    au_atomic_file af = {0};
    FILE *out = st == AUFACE_OK ? au_atomic_open(&af, output, err) : NULL;
    if (st == AUFACE_OK && !out)
        st = err->status;
    if (st == AUFACE_OK)
        st = merge_rows(parts, n, out, output, err);
    if (st == AUFACE_OK)
        st = au_atomic_commit(&af, err);
    else
        au_atomic_abort(&af);
    for (int i = 0; i < n; i++) {
        if (parts[i].f)
            fclose(parts[i].f);
        free(parts[i].line);
    }
    free(parts);
    return st;
}

/* ---- the job -------------------------------------------------------------------------- */

static auface_status check_job(auface_pipeline *p, const auface_job *job)
{
    if (!job || !job->input || (!job->output_csv && !job->results))
        return au_fail(&p->err, AUFACE_ERR_ARG, "a multi-face job needs an input and an "
                       "output CSV or results");
    if (job->landmarks_csv)
        return au_fail(&p->err, AUFACE_ERR_UNSUPPORTED, "with several faces (max_faces %d) "
                       "landmarks cannot be replayed from a file: that needs max_faces 1",
                       p->cfg.max_faces);
    return AUFACE_OK;
}

/* Pass 2 and the output: each face's CSV and results, then (unless split) their merge. */
static auface_status write_faces(auface_pipeline *p, const auface_job *job,
                                 au_track_spool *spool)
{
    int ids = au_track_spool_ids(spool);
    if (ids == 0)
        return au_fail(&p->err, AUFACE_ERR_VIDEO, "%s: no face was found", job->input);
    char **paths = calloc((size_t)ids, sizeof *paths);
    auface_results **results = calloc((size_t)ids, sizeof *results);
    if (!paths || !results) {
        free(paths);
        free(results);
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for the faces' files");
    }
    auface_status st = AUFACE_OK;
    int made = 0;
    for (int id = 0; id < ids && st == AUFACE_OK; id++) {
        if (job->output_csv) {
            size_t cap = strlen(job->output_csv) + 32;
            if (!(paths[id] = malloc(cap))) {
                st = au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for the faces' files");
                break;
            }
            face_csv_path(p, job->output_csv, id, paths[id], cap);
        }
        st = replay_face(p, job, spool, id, paths[id], job->results ? &results[id] : NULL);
        made = id + 1;
    }
    if (st == AUFACE_OK && job->output_csv && !p->cfg.split_faces)
        st = merge_parts(paths, made, job->output_csv, &p->err);
    if (st == AUFACE_OK && job->results)
        st = au_results_merge_by_frame(results, made, job->results, &p->err);
    for (int id = 0; id < made; id++)
        if (paths[id] && (!p->cfg.split_faces || st != AUFACE_OK))
            unlink(paths[id]);
    for (int id = 0; id < ids; id++) {
        free(paths[id]);
        auface_results_free(results[id]);
    }
    free(paths);
    free(results);
    return st;
}

auface_status au_multi_face_process(auface_pipeline *p, const auface_job *job,
                                    auface_progress_fn progress, void *user,
                                    auface_summary *summary)
{
    double t0 = au_now_seconds();
    auface_status st = check_job(p, job);
    if (st != AUFACE_OK)
        return st;
    au_track_spool *spool = NULL;
    tracking_pass tp;
    memset(&tp, 0, sizeof tp);
    st = au_track_spool_create(&spool, &p->err);
    if (st == AUFACE_OK)
        st = open_tracking(p, job, &tp);
    if (st == AUFACE_OK)
        st = run_tracking(p, job, &tp, spool, progress, user);
    if (st == AUFACE_OK && tp.stopped && job->stop_cancels)
        st = au_fail(&p->err, AUFACE_ERR_CANCELLED, "%s: cancelled after %ld frames",
                     job->input, tp.frames);
    if (st == AUFACE_OK && tp.frames == 0)
        st = au_fail(&p->err, AUFACE_ERR_VIDEO, "%s: no frame could be read", job->input);
    if (st == AUFACE_OK)
        st = write_faces(p, job, spool);
    if (summary) {
        summary->frames = tp.frames;
        summary->frames_succeeded = tp.frames_with_face;
        summary->frames_failed_decode = tp.src ? au_source_corrupt_frames(tp.src) : 0;
        summary->workers = p->num_workers;
        summary->seconds = au_now_seconds() - t0;
    }
    close_tracking(&tp);
    au_track_spool_free(spool);
    return st;
}
