#include "pipeline/frame_work.h"

#include "detect/retinaface.h"
#include "detect/yunet.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "face/calcparams.h"

struct au_worker {
    au_worker_options opt;
    const au_pdm *eye_pdms[2];    /* left_eye_28, right_eye_28 (with opt.eye_model) */
    au_eye_fitter *eye_fitter;    /* with opt.eye_model */
    au_face_extractor extractor;
    au_retinaface *retinaface;
    au_yunet *yunet;
    au_pfld *pfld;
    au_tracker tracker;
    int own_landmarks;
    au_stage_times times;
};

double au_now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static auface_status create_detector(au_worker *w, au_detector_kind kind,
                                     const au_nn_model *model, au_tracker_config cfg,
                                     const au_pdm *pdm, au_err *err)
{
    auface_status st;
    if (kind == AU_DETECTOR_YUNET) {
        st = au_yunet_create(&w->yunet, model, err);
        if (st == AUFACE_OK)
            au_tracker_init(&w->tracker, cfg, pdm, au_detect_with_yunet, w->yunet, w->pfld);
    } else {
        st = au_retinaface_create(&w->retinaface, model, err);
        if (st == AUFACE_OK)
            au_tracker_init(&w->tracker, cfg, pdm, au_detect_with_retinaface, w->retinaface, w->pfld);
    }
    return st;
}

auface_status au_worker_create(au_worker **out, const au_pdm *pdm, const au_triangulation *tris,
                               au_detector_kind kind, const au_nn_model *detector_model,
                               const au_nn_model *pfld_model, au_tracker_config tracker_cfg,
                               au_err *err)
{
    *out = NULL;
    au_worker *w = calloc(1, sizeof *w);
    if (!w)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for a worker");
    auface_status st = au_face_extractor_init(&w->extractor, pdm, tris, err);
    if (st == AUFACE_OK && detector_model && pfld_model) {
        w->own_landmarks = 1;
        st = au_pfld_create(&w->pfld, pfld_model, err);
        if (st == AUFACE_OK)
            st = create_detector(w, kind, detector_model, tracker_cfg, pdm, err);
    }
    if (st != AUFACE_OK) {
        au_worker_destroy(w);
        return st;
    }
    *out = w;
    return AUFACE_OK;
}

void au_worker_destroy(au_worker *w)
{
    if (!w)
        return;
    au_eye_fitter_free(w->eye_fitter);
    au_pfld_destroy(w->pfld);
    au_retinaface_destroy(w->retinaface);
    au_yunet_destroy(w->yunet);
    au_face_extractor_release(&w->extractor);
    free(w);
}

auface_status au_worker_set_options(au_worker *w, const au_worker_options *opt, au_err *err)
{
    au_eye_fitter_free(w->eye_fitter);
    w->eye_fitter = NULL;
    w->opt = *opt;
    if (!opt->eye_model)
        return AUFACE_OK;
    if (!au_eye_part_pdms(opt->eye_model, w->eye_pdms)) {
        w->opt.eye_model = NULL;
        return au_fail(err, AUFACE_ERR_UNSUPPORTED, "the CLNF model set has no eye parts");
    }
    auface_status st = au_eye_fitter_create(&w->eye_fitter, opt->eye_model, err);
    if (st != AUFACE_OK)
        w->opt.eye_model = NULL;
    return st;
}

void au_worker_reset(au_worker *w)
{
    if (w->own_landmarks)
        au_tracker_reset(&w->tracker);
}

static auface_status own_landmarks(au_worker *w, const au_frame_input *in, au_frame_output *out,
                                   au_track_result *track, au_err *err)
{
    double t0 = au_now_seconds();
    auface_status st = au_tracker_step_anchored(&w->tracker, in->bgr, in->width, in->height,
                                                in->stride, in->index, &in->anchor, track, err);
    double spent = au_now_seconds() - t0;
    /* The tracker's time is landmarks and their fit, plus the detector when it ran; the
     * split is approximate but tells where the time goes. */
    w->times.seconds[track->detected ? AU_STAGE_DETECT : AU_STAGE_LANDMARKS] += spent;
    out->success = track->success;
    out->confidence = track->confidence;
    memcpy(out->landmarks, track->landmarks, sizeof out->landmarks);
    return st;
}

/* OpenFace writes its tracker's parameters as p_* and derives pose and 3D landmarks from
 * them (GetPose, GetShape), whatever the AU stage's own fit says. */
static void use_tracker_params(au_worker *w, const au_frame_input *in, au_camera cam,
                               au_frame_output *out)
{
    const au_pdm *pdm = w->extractor.pdm;
    au_face_features *f = &out->features;
    memcpy(f->global, in->tracker_global, sizeof f->global);
    memcpy(f->local, in->tracker_local, sizeof(float) * (size_t)pdm->m);
    if (!in->tracker_fitted) {
        /* Before the tracker's first fit OpenFace solves the pose from 68 zero points and
         * back-projects them (values without meaning): written as zeros. */
        memset(f->pose, 0, sizeof f->pose);
        memset(f->landmarks3d, 0, sizeof f->landmarks3d);
        return;
    }
    au_head_pose(pdm, f->global, f->local, out->landmarks, cam, f->pose);
    au_landmarks_3d(pdm, f->global, f->local, out->landmarks, cam, f->landmarks3d);
}

/* Eye points given without their PDM parameters (a landmark file): each eye's parameters
 * by PDM::CalcParams on its 28 points, for GetShape. Not valid when an eye has no point. */
static void eye_params_from_points(const au_worker *w, au_eyes *eyes)
{
    for (int e = 0; e < 2 && eyes->valid; e++)
        eyes->valid = au_calc_params(w->eye_pdms[e], eyes->landmarks[e], eyes->global[e],
                                     eyes->local[e]) > 0;
}

/* The eye landmarks and gaze of the frame into out (GAZE_SPEC §3–§7, §9): from the
 * tracker's eye parts, from given eye points, or fitted here from the 68 landmarks; gaze
 * only on frames with success = 1. */
static auface_status eyes_and_gaze(au_worker *w, const au_frame_input *in, au_camera cam,
                                   au_frame_output *out, au_err *err)
{
    memset(out->gaze, 0, sizeof out->gaze);
    memset(out->eye2d, 0, sizeof out->eye2d);
    memset(out->eye3d, 0, sizeof out->eye3d);
    if (!w->opt.eye_model)
        return AUFACE_OK;
    const au_face_features *f = &out->features;
    au_eyes eyes = in->eyes;
    if (in->eye_source == AU_EYE_SOURCE_POINTS) {
        eye_params_from_points(w, &eyes);
    } else if (in->eye_source == AU_EYE_SOURCE_FIT) {
        eyes.valid = 0;
        if (out->success && f->global[0] > 0) {
            auface_status st = au_eye_fitter_fit(w->eye_fitter, in->bgr, in->width, in->height,
                                                 in->stride, out->landmarks, f->global[0],
                                                 &eyes, err);
            if (st != AUFACE_OK)
                return st;
        }
    }
    au_eyes_landmarks(&eyes, w->eye_pdms, cam, out->eye2d, out->eye3d);
    if (out->success && eyes.valid) {
        const float rot[3] = {(float)f->pose[3], (float)f->pose[4], (float)f->pose[5]};
        au_gaze_estimate(out->eye3d, f->landmarks3d, w->extractor.pdm->n, rot, out->gaze);
    }
    return AUFACE_OK;
}

auface_status au_worker_process(au_worker *w, const au_frame_input *in, au_frame_output *out,
                                au_err *err)
{
    out->index = in->index;
    out->timestamp = in->timestamp;
    au_track_result track;
    const float *fit_global = NULL, *fit_local = NULL;
    int au_success;
    if (in->replay) {
        out->success = in->replay_success;
        au_success = in->replay_au_success;
        out->confidence = in->replay_confidence;
        memcpy(out->landmarks, in->replay_landmarks, sizeof out->landmarks);
    } else if (w->own_landmarks) {
        auface_status st = own_landmarks(w, in, out, &track, err);
        if (st != AUFACE_OK)
            return st;
        fit_global = track.global;
        fit_local = track.local;
        au_success = out->success;
    } else {
        return au_fail(err, AUFACE_ERR_INTERNAL, "frame %ld: no landmark source", in->index + 1);
    }
    au_camera cam = au_camera_for_frame(w->opt.fx, w->opt.fy, w->opt.cx, w->opt.cy, in->width,
                                        in->height);
    au_face_extract_timed(&w->extractor, in->bgr, in->width, in->height, in->stride,
                          out->landmarks, au_success, fit_global, fit_local, cam,
                          &out->features, w->times.seconds + AU_STAGE_CALCPARAMS,
                          w->times.seconds + AU_STAGE_ALIGN, w->times.seconds + AU_STAGE_HOG);
    out->features.success = au_success;
    if (in->have_tracker_params)
        use_tracker_params(w, in, cam, out);
    double t0 = au_now_seconds();
    auface_status st = eyes_and_gaze(w, in, cam, out, err);
    w->times.seconds[AU_STAGE_LANDMARKS] += au_now_seconds() - t0;
    return st;
}

void au_frame_input_set_eye_points(au_frame_input *in, const float *eyes112)
{
    const int n = AU_EYE_PART_POINTS;
    in->eye_source = AU_EYE_SOURCE_POINTS;
    in->eyes.valid = 1;
    for (int e = 0; e < 2; e++)
        for (int i = 0; i < n; i++) {
            in->eyes.landmarks[e][i] = eyes112[e * n + i];
            in->eyes.landmarks[e][n + i] = eyes112[AU_EYES_POINTS + e * n + i];
        }
}

void au_frame_input_from_clnf(au_frame_input *in, const au_clnf_frame *cf)
{
    in->replay = 1;
    in->replay_success = cf->success;
    in->replay_au_success = cf->detection_success;
    in->replay_confidence = cf->certainty;
    memcpy(in->replay_landmarks, cf->landmarks, sizeof in->replay_landmarks);
    in->have_tracker_params = 1;
    memcpy(in->tracker_global, cf->global, sizeof in->tracker_global);
    memcpy(in->tracker_local, cf->local, sizeof in->tracker_local);
    in->tracker_fitted = cf->fitted;
    in->eye_source = AU_EYE_SOURCE_STATE;
    in->eyes = cf->eyes;
}

void au_worker_take_times(au_worker *w, au_stage_times *add_to)
{
    for (int s = 0; s < AU_STAGE_COUNT; s++)
        add_to->seconds[s] += w->times.seconds[s];
    memset(&w->times, 0, sizeof w->times);
}
