/* auface_process_frame: the sequential pipeline one frame at a time, with OpenFace's online
 * (webcam) AU correction in place of the end-of-video post-processing. */
#include <stdlib.h>
#include <string.h>

#include "au/analyser.h"
#include "au/online.h"
#include "common/c_locale.h"
#include "pipeline/pipeline_internal.h"

struct au_stream {
    au_analyser *analyser;
    au_online_correction online;
    au_frame_output out;
    long frames;
};

void au_stream_free(struct au_stream *s)
{
    if (!s)
        return;
    au_analyser_free(s->analyser);
    free(s);
}

static auface_status open_stream(auface_pipeline *p)
{
    const int clnf = p->cfg.landmarks == AUFACE_LANDMARKS_CLNF;
    auface_status st = au_pipeline_load_landmarker(p);
    if (st == AUFACE_OK)
        st = au_pipeline_prepare_workers(p, !clnf, 1); /* a stream is sequential */
    if (st == AUFACE_OK && clnf)
        au_clnf_tracker_reset(p->clnf_tracker);
    if (st != AUFACE_OK)
        return st;
    struct au_stream *s = calloc(1, sizeof *s);
    if (!s)
        return au_fail(&p->err, AUFACE_ERR_NOMEM, "out of memory for a stream");
    if ((st = au_analyser_create(&s->analyser, p->models, &p->err)) != AUFACE_OK) {
        free(s);
        return st;
    }
    au_analyser_set_online(s->analyser);
    au_online_reset(&s->online, au_models_num_reg(p->models));
    au_worker_reset(p->workers[0]);
    p->stream = s;
    return AUFACE_OK;
}

void auface_stream_reset(auface_pipeline *p)
{
    if (!p)
        return;
    au_stream_free(p->stream);
    p->stream = NULL;
}

/* OpenFace's tracker gives the landmarks; the worker then runs the AU stage on them. */
static auface_status clnf_landmarks(auface_pipeline *p, au_frame_input *in)
{
    au_clnf_frame cf;
    auface_status st = au_clnf_tracker_step(p->clnf_tracker, in->bgr, in->width, in->height,
                                            in->stride, &cf, &p->err);
    if (st != AUFACE_OK)
        return st;
    au_frame_input_from_clnf(in, &cf);
    return AUFACE_OK;
}

static void fill_result(const auface_pipeline *p, const au_frame_output *o, const double *reg,
                        const double *cls, auface_frame_result *r)
{
    memset(r, 0, sizeof *r);
    r->frame = o->index + 1;
    r->timestamp = o->timestamp;
    r->success = o->success;
    r->confidence = o->confidence;
    memcpy(r->landmarks, o->landmarks, sizeof r->landmarks);
    memcpy(r->pose, o->features.pose, sizeof r->pose);
    for (int k = 0; k < AU_GAZE_FIELDS; k++)
        r->gaze[k] = o->gaze[k];
    r->num_intensities = au_models_num_reg(p->models);
    r->num_presences = au_models_num_class(p->models);
    memcpy(r->intensity, reg, sizeof(double) * (size_t)r->num_intensities);
    memcpy(r->presence, cls, sizeof(double) * (size_t)r->num_presences);
}

static auface_status process_frame(auface_pipeline *p, const auface_image *image,
                                   double timestamp, auface_frame_result *result)
{
    if (!p)
        return AUFACE_ERR_ARG;
    au_err_clear(&p->err);
    if (!image || !image->bgr || image->width < 1 || image->height < 1 ||
        image->stride < (size_t)image->width * 3 || !result)
        return au_fail(&p->err, AUFACE_ERR_ARG, "auface_process_frame: invalid image or result");
    if (au_models_num_reg(p->models) > AUFACE_MAX_AUS ||
        au_models_num_class(p->models) > AUFACE_MAX_AUS)
        return au_fail(&p->err, AUFACE_ERR_UNSUPPORTED, "more AU models than AUFACE_MAX_AUS");
    auface_status st;
    if (!p->stream && (st = open_stream(p)) != AUFACE_OK)
        return st;
    struct au_stream *s = p->stream;
    au_frame_input in = {.bgr = image->bgr, .width = image->width, .height = image->height,
                         .stride = image->stride, .index = s->frames, .timestamp = timestamp};
    if (p->cfg.landmarks == AUFACE_LANDMARKS_CLNF &&
        (st = clnf_landmarks(p, &in)) != AUFACE_OK)
        return st;
    if ((st = au_worker_process(p->workers[0], &in, &s->out, &p->err)) != AUFACE_OK)
        return st;
    double reg[AUFACE_MAX_AUS], cls[AUFACE_MAX_AUS];
    const au_face_features *f = &s->out.features;
    st = au_analyser_add_frame(s->analyser, f->success, f->hog, f->geom, reg, cls, &p->err);
    if (st != AUFACE_OK)
        return st;
    au_online_correct(&s->online, reg, s->out.success);
    fill_result(p, &s->out, reg, cls, result);
    s->frames++;
    return AUFACE_OK;
}

auface_status auface_process_frame(auface_pipeline *p, const auface_image *image,
                                   double timestamp, auface_frame_result *result)
{
    au_c_locale_scope numbers; /* models are read on the first frame: '.' decimals */
    au_c_locale_enter(&numbers);
    auface_status st = process_frame(p, image, timestamp, result);
    au_c_locale_leave(&numbers);
    return st;
}

const char *auface_intensity_name(const auface_pipeline *p, int index)
{
    if (!p || index < 0 || index >= au_models_num_reg(p->models))
        return NULL;
    return au_models_reg_name(p->models, index);
}

const char *auface_presence_name(const auface_pipeline *p, int index)
{
    if (!p || index < 0 || index >= au_models_num_class(p->models))
        return NULL;
    return au_models_class_name(p->models, index);
}
