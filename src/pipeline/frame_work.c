#include "pipeline/frame_work.h"

#include "detect/retinaface.h"
#include "detect/yunet.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct au_worker {
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

static int detect_retinaface(void *d, const uint8_t *bgr, int w, int h, size_t stride,
                             au_face_box *out, int max_out, au_err *err)
{
    return au_retinaface_detect(d, bgr, w, h, stride, out, max_out, err);
}

static int detect_yunet(void *d, const uint8_t *bgr, int w, int h, size_t stride,
                        au_face_box *out, int max_out, au_err *err)
{
    return au_yunet_detect(d, bgr, w, h, stride, out, max_out, err);
}

static auface_status create_detector(au_worker *w, au_detector_kind kind,
                                     const au_nn_model *model, au_tracker_config cfg,
                                     const au_pdm *pdm, au_err *err)
{
    auface_status st;
    if (kind == AU_DETECTOR_YUNET) {
        st = au_yunet_create(&w->yunet, model, err);
        if (st == AUFACE_OK)
            au_tracker_init(&w->tracker, cfg, pdm, detect_yunet, w->yunet, w->pfld);
    } else {
        st = au_retinaface_create(&w->retinaface, model, err);
        if (st == AUFACE_OK)
            au_tracker_init(&w->tracker, cfg, pdm, detect_retinaface, w->retinaface, w->pfld);
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
    au_pfld_destroy(w->pfld);
    au_retinaface_destroy(w->retinaface);
    au_yunet_destroy(w->yunet);
    au_face_extractor_release(&w->extractor);
    free(w);
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
    auface_status st = au_tracker_step(&w->tracker, in->bgr, in->width, in->height, in->stride,
                                       in->index, track, err);
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
    au_head_pose(pdm, f->global, f->local, out->landmarks, cam, f->pose);
    au_landmarks_3d(pdm, f->global, f->local, out->landmarks, cam, f->landmarks3d);
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
    au_camera cam = au_camera_default(in->width, in->height);
    au_face_extract_timed(&w->extractor, in->bgr, in->width, in->height, in->stride,
                          out->landmarks, au_success, fit_global, fit_local, cam,
                          &out->features, w->times.seconds + AU_STAGE_CALCPARAMS,
                          w->times.seconds + AU_STAGE_ALIGN, w->times.seconds + AU_STAGE_HOG);
    out->features.success = au_success;
    if (in->have_tracker_params)
        use_tracker_params(w, in, cam, out);
    return AUFACE_OK;
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
}

void au_worker_take_times(au_worker *w, au_stage_times *add_to)
{
    for (int s = 0; s < AU_STAGE_COUNT; s++)
        add_to->seconds[s] += w->times.seconds[s];
    memset(&w->times, 0, sizeof w->times);
}
