#include "pipeline/face_tracks.h"

#include <stdlib.h>
#include <string.h>

#include "detect/mtcnn.h"
#include "pipeline/face_anchor.h"

#define TRACKS_MAX_BOXES 64

/* One id's state: followed now (active) or ended, waiting to be revived. */
typedef struct track {
    int id;
    int active;
    int slot;                                /* CLNF: its tracker, in ft->slots */
    int failures;                            /* CLNF: failed frames in a row */
    float previous[2 * AU_PDM_MAX_POINTS];   /* last good landmarks */
    au_face_box reference;                   /* their box (where the face was last) */
    double last_seen;                        /* timestamp of the last good frame */
} track;

struct au_face_tracks {
    au_tracker *fitter;       /* PFLD; NULL with CLNF */
    int n_points;
    int detect_interval;
    int max_faces;
    /* CLNF: one tracker per slot (max_faces), made when first needed, and the detector */
    au_face_tracks_clnf clnf;
    au_clnf_tracker **slots;
    int *slot_used;
    au_mtcnn_scratch *mtcnn_scratch;
    int scratch_w, scratch_h;
    au_mtcnn_box raw[TRACKS_MAX_BOXES]; /* the CLNF detections as MTCNN made them */
    track *tracks;            /* indexed by id */
    int n_tracks;
    int capacity;
    /* The current frame's detections, made at most once per frame. */
    int detected;
    int n_boxes;
    au_face_box boxes[TRACKS_MAX_BOXES];
    int claimed[TRACKS_MAX_BOXES];
};

/* The current frame. */
typedef struct frame_ref {
    const uint8_t *bgr;
    int w, h;
    size_t stride;
    long index;
    double timestamp;
} frame_ref;

auface_status au_face_tracks_create(au_face_tracks **out, int max_faces, au_tracker *fitter,
                                    au_err *err)
{
    *out = NULL;
    au_face_tracks *ft = calloc(1, sizeof *ft);
    if (!ft)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for face tracks");
    ft->fitter = fitter;
    ft->n_points = fitter->pdm->n;
    ft->detect_interval = fitter->cfg.detect_interval;
    ft->max_faces = max_faces > 0 ? max_faces : 1;
    *out = ft;
    return AUFACE_OK;
}

auface_status au_face_tracks_create_clnf(au_face_tracks **out, int max_faces,
                                         const au_face_tracks_clnf *clnf, au_err *err)
{
    *out = NULL;
    au_face_tracks *ft = calloc(1, sizeof *ft);
    int slots = max_faces > 0 ? max_faces : 1;
    if (!ft || !(ft->slots = calloc((size_t)slots, sizeof *ft->slots)) ||
        !(ft->slot_used = calloc((size_t)slots, sizeof *ft->slot_used))) {
        au_face_tracks_free(ft);
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for face tracks");
    }
    ft->clnf = *clnf;
    ft->n_points = au_clnf_model_main_const(clnf->model)->pdm.n;
    ft->detect_interval = clnf->detect_interval > 0 ? clnf->detect_interval : 1;
    ft->max_faces = slots;
    *out = ft;
    return AUFACE_OK;
}

void au_face_tracks_free(au_face_tracks *ft)
{
    if (!ft)
        return;
    for (int i = 0; ft->slots && i < ft->max_faces; i++)
        au_clnf_tracker_free(ft->slots[i]);
    free(ft->slots);
    free(ft->slot_used);
    au_mtcnn_scratch_free(ft->mtcnn_scratch);
    free(ft->tracks);
    free(ft);
}

int au_face_tracks_ids(const au_face_tracks *ft)
{
    return ft->n_tracks;
}

/* MTCNN on the whole frame into ft->raw, and as boxes into ft->boxes; their count. */
static int detect_mtcnn(au_face_tracks *ft, const frame_ref *f, au_err *err)
{
    if (!ft->mtcnn_scratch || f->w > ft->scratch_w || f->h > ft->scratch_h) {
        au_mtcnn_scratch_free(ft->mtcnn_scratch);
        ft->mtcnn_scratch = NULL;
        if (au_mtcnn_scratch_create(&ft->mtcnn_scratch, ft->clnf.mtcnn, f->w, f->h,
                                    AU_MTCNN_DEFAULT_MIN_FACE, err) != AUFACE_OK)
            return -1;
        ft->scratch_w = f->w;
        ft->scratch_h = f->h;
    }
    int count = au_mtcnn_detect(ft->clnf.mtcnn, f->bgr, f->w, f->h, f->stride,
                                AU_MTCNN_DEFAULT_MIN_FACE, ft->raw, TRACKS_MAX_BOXES,
                                ft->mtcnn_scratch, err);
    for (int i = 0; i < count; i++) {
        const au_mtcnn_box *b = &ft->raw[i];
        ft->boxes[i] = (au_face_box){.x1 = b->x, .y1 = b->y, .x2 = b->x + b->w,
                                     .y2 = b->y + b->h, .score = b->confidence};
    }
    return count;
}

static auface_status detect_once(au_face_tracks *ft, const frame_ref *f, au_err *err)
{
    if (ft->detected)
        return AUFACE_OK;
    au_tracker *t = ft->fitter;
    int count = t ? t->detect(t->detector, f->bgr, f->w, f->h, f->stride, ft->boxes,
                              TRACKS_MAX_BOXES, err)
                  : detect_mtcnn(ft, f, err);
    if (count < 0)
        return err ? err->status : AUFACE_ERR_INTERNAL;
    ft->detected = 1;
    ft->n_boxes = count;
    memset(ft->claimed, 0, sizeof ft->claimed);
    return AUFACE_OK;
}

/* Index (in ft->boxes) of the unclaimed detection continuing `reference`, -1 if none. */
static int unclaimed_continuing(const au_face_tracks *ft, const au_face_box *reference)
{
    au_face_box free_boxes[TRACKS_MAX_BOXES];
    int map[TRACKS_MAX_BOXES], n = 0;
    for (int i = 0; i < ft->n_boxes; i++)
        if (!ft->claimed[i]) {
            free_boxes[n] = ft->boxes[i];
            map[n++] = i;
        }
    int j = au_anchor_continuing(free_boxes, n, reference);
    return j < 0 ? -1 : map[j];
}

/* Claims every detection that continues `box` (the face a track now holds), so no new
 * track starts on it. */
static void claim_covered(au_face_tracks *ft, const au_face_box *box)
{
    for (;;) {
        int j = unclaimed_continuing(ft, box);
        if (j < 0)
            return;
        ft->claimed[j] = 1;
    }
}

/* Landmarks in `box` into r (success 0 when they do not fit a face). */
static void fit(au_face_tracks *ft, const frame_ref *f, const au_face_box *box,
                au_track_result *r)
{
    au_err crop_err;
    memset(r, 0, sizeof *r);
    /* A box that lies outside the image cannot be cropped: no face there. */
    if (au_tracker_fit_box(ft->fitter, f->bgr, f->w, f->h, f->stride, box, r, &crop_err) !=
        AUFACE_OK)
        r->success = 0;
}

/* Fits track `tr` in the detection that continues it, claiming it; r->success 0 if none. */
static auface_status fit_detection(au_face_tracks *ft, const frame_ref *f, track *tr,
                                   au_track_result *r, au_err *err)
{
    memset(r, 0, sizeof *r);
    auface_status st = detect_once(ft, f, err);
    if (st != AUFACE_OK)
        return st;
    int j = unclaimed_continuing(ft, &tr->reference);
    if (j < 0)
        return AUFACE_OK;
    ft->claimed[j] = 1;
    fit(ft, f, &ft->boxes[j], r);
    r->detected = 1;
    return AUFACE_OK;
}

/* Whether `box` continues a face already held this frame by a lower id. */
static int held_by_lower_id(const au_face_tracks *ft, const track *tr)
{
    for (int i = 0; i < tr->id; i++)
        if (ft->tracks[i].active &&
            au_anchor_continuing(&ft->tracks[i].reference, 1, &tr->reference) == 0)
            return 1;
    return 0;
}

static void keep(track *tr, const au_track_result *r, int n, double timestamp)
{
    memcpy(tr->previous, r->landmarks, sizeof(float) * 2 * (size_t)n);
    au_box_from_landmarks(r->landmarks, n, &tr->reference);
    tr->last_seen = timestamp;
}

/* Follows an active track onto this frame; ends it when its face is lost. */
static auface_status follow(au_face_tracks *ft, const frame_ref *f, int scheduled, track *tr,
                            au_track_result *r, au_err *err)
{
    const int n = ft->n_points;
    auface_status st = AUFACE_OK;
    r->success = 0;
    if (scheduled)
        st = fit_detection(ft, f, tr, r, err);
    if (st == AUFACE_OK && !r->success) {
        au_face_box box;
        au_box_from_landmarks(tr->previous, n, &box);
        fit(ft, f, &box, r);
    }
    if (st == AUFACE_OK && !r->success && !scheduled)
        st = fit_detection(ft, f, tr, r, err);
    if (st != AUFACE_OK)
        return st;
    if (!r->success) {
        tr->active = 0;
        return AUFACE_OK;
    }
    au_face_box before = tr->reference;
    keep(tr, r, n, f->timestamp);
    if (held_by_lower_id(ft, tr)) {
        tr->active = 0;
        tr->reference = before;
        r->success = 0;
        return AUFACE_OK;
    }
    if (ft->detected)
        claim_covered(ft, &tr->reference);
    return AUFACE_OK;
}

/* ---- CLNF: one tracker per followed face -------------------------------------------- */

/* The detection a CLNF tracker gets when it asks for one: detection `fixed` for a track
 * being started, otherwise the unclaimed detection that continues the track's face. */
typedef struct clnf_pick {
    au_face_tracks *ft;
    const frame_ref *f;
    const track *tr;          /* NULL: `fixed` */
    int fixed;
} clnf_pick;

static int pick_detection(void *user, const uint8_t *bgr, int w, int h, size_t stride,
                          float box[4], au_err *err)
{
    (void)bgr, (void)w, (void)h, (void)stride;
    clnf_pick *pick = user;
    au_face_tracks *ft = pick->ft;
    int j = pick->fixed;
    if (pick->tr) {
        if (detect_once(ft, pick->f, err) != AUFACE_OK)
            return -1;
        if ((j = unclaimed_continuing(ft, &pick->tr->reference)) < 0)
            return 0;
        ft->claimed[j] = 1;
    }
    const au_mtcnn_box *b = &ft->raw[j];
    box[0] = b->x;
    box[1] = b->y;
    box[2] = b->w;
    box[3] = b->h;
    return 1;
}

/* A free slot's tracker, reset for a new face (made on first use); its index in *slot. */
static auface_status take_slot(au_face_tracks *ft, int *slot, au_err *err)
{
    int i = 0;
    while (i < ft->max_faces && ft->slot_used[i])
        i++;
    if (i == ft->max_faces)
        return au_fail(err, AUFACE_ERR_INTERNAL, "no free CLNF tracker for a new face");
    if (!ft->slots[i]) {
        auface_status st = au_clnf_tracker_create(&ft->slots[i], ft->clnf.model,
                                                  ft->clnf.mtcnn, ft->clnf.params,
                                                  ft->clnf.threads, err);
        if (st != AUFACE_OK)
            return st;
    }
    au_clnf_tracker_reset(ft->slots[i]);
    ft->slot_used[i] = 1;
    *slot = i;
    return AUFACE_OK;
}

static void end_clnf_track(au_face_tracks *ft, track *tr)
{
    tr->active = 0;
    ft->slot_used[tr->slot] = 0;
}

static void face_from_clnf(const au_clnf_frame *cf, int n, au_tracked_face *face)
{
    face->clnf = 1;
    face->frame = *cf;
    face->result.success = cf->success;
    face->result.confidence = cf->certainty;
    face->result.detected = cf->detected;
    memcpy(face->result.landmarks, cf->landmarks, sizeof(float) * 2 * (size_t)n);
    memcpy(face->result.global, cf->global, sizeof face->result.global);
    memcpy(face->result.local, cf->local, sizeof face->result.local);
}

/* One CLNF step of slot `slot` with detections from `pick`, into face. */
static auface_status step_clnf(au_face_tracks *ft, const frame_ref *f, int slot,
                               clnf_pick *pick, au_tracked_face *face, au_err *err)
{
    au_clnf_frame cf;
    auface_status st = au_clnf_tracker_step_from(ft->slots[slot], f->bgr, f->w, f->h,
                                                 f->stride, pick_detection, pick, &cf, err);
    if (st == AUFACE_OK)
        face_from_clnf(&cf, ft->n_points, face);
    return st;
}

/* Follows an active track onto this frame with its CLNF tracker. Its frame is given
 * (*emit) unless the track turned out to hold a lower id's face; it ends after
 * AU_TRACK_CLNF_FAILURES failed frames in a row. */
static auface_status follow_clnf(au_face_tracks *ft, const frame_ref *f, track *tr,
                                 au_tracked_face *face, int *emit, au_err *err)
{
    clnf_pick pick = {ft, f, tr, -1};
    *emit = 0;
    auface_status st = step_clnf(ft, f, tr->slot, &pick, face, err);
    if (st != AUFACE_OK)
        return st;
    au_face_box now, before = tr->reference;
    au_box_from_landmarks(face->frame.landmarks, ft->n_points, &now);
    tr->reference = now;
    if (held_by_lower_id(ft, tr)) {
        tr->reference = before;
        end_clnf_track(ft, tr);
        return AUFACE_OK;
    }
    if (ft->detected)
        claim_covered(ft, &now);
    if (face->frame.detection_success) {
        tr->failures = 0;
        tr->last_seen = f->timestamp;
    } else {
        /* a failed fit does not say where the face is: revival looks where it was seen */
        tr->reference = before;
        if (++tr->failures >= AU_TRACK_CLNF_FAILURES)
            end_clnf_track(ft, tr);
    }
    *emit = 1;
    return AUFACE_OK;
}

/* Starts a CLNF tracker on detection j (the initial multi-hypothesis fit); *ok when the
 * validator accepts the face, and then the track holds the slot in *slot. */
static auface_status start_clnf(au_face_tracks *ft, const frame_ref *f, int j, int *slot,
                                au_tracked_face *face, int *ok, au_err *err)
{
    *ok = 0;
    auface_status st = take_slot(ft, slot, err);
    if (st != AUFACE_OK)
        return st;
    clnf_pick pick = {ft, f, NULL, j};
    st = step_clnf(ft, f, *slot, &pick, face, err);
    *ok = st == AUFACE_OK && face->frame.detection_success;
    if (!*ok)
        ft->slot_used[*slot] = 0;
    return st;
}

/* Follows an active track onto this frame with its landmarker; *emit when the frame is
 * one of the track's. */
static auface_status follow_track(au_face_tracks *ft, const frame_ref *f, int scheduled,
                                  track *tr, au_tracked_face *face, int *emit, au_err *err)
{
    memset(face, 0, sizeof *face);
    face->id = tr->id;
    if (!ft->fitter)
        return follow_clnf(ft, f, tr, face, emit, err);
    auface_status st = follow(ft, f, scheduled, tr, &face->result, err);
    *emit = st == AUFACE_OK && tr->active;
    return st;
}

/* Fits a new face in detection j; *ok when it is one (a CLNF track then holds *slot). */
static auface_status start_face(au_face_tracks *ft, const frame_ref *f, int j, int *slot,
                                au_tracked_face *face, int *ok, au_err *err)
{
    memset(face, 0, sizeof *face);
    *slot = -1;
    if (!ft->fitter)
        return start_clnf(ft, f, j, slot, face, ok, err);
    fit(ft, f, &ft->boxes[j], &face->result);
    *ok = face->result.success;
    return AUFACE_OK;
}

static int active_count(const au_face_tracks *ft)
{
    int n = 0;
    for (int i = 0; i < ft->n_tracks; i++)
        n += ft->tracks[i].active;
    return n;
}

/* The ended track whose face `box` is, within the revival time; -1 if none (the closest
 * wins). */
static int revivable(const au_face_tracks *ft, const au_face_box *box, double timestamp)
{
    au_face_box refs[TRACKS_MAX_BOXES];
    int map[TRACKS_MAX_BOXES], n = 0;
    for (int i = 0; i < ft->n_tracks && n < TRACKS_MAX_BOXES; i++) {
        const track *tr = &ft->tracks[i];
        if (!tr->active && timestamp - tr->last_seen <= AU_TRACK_REVIVE_SECONDS) {
            refs[n] = tr->reference;
            map[n++] = i;
        }
    }
    int j = au_anchor_continuing(refs, n, box);
    return j < 0 ? -1 : map[j];
}

static track *new_track(au_face_tracks *ft, au_err *err)
{
    if (ft->n_tracks == ft->capacity) {
        int cap = ft->capacity ? 2 * ft->capacity : 8;
        track *grown = realloc(ft->tracks, sizeof *grown * (size_t)cap);
        if (!grown) {
            au_fail(err, AUFACE_ERR_NOMEM, "out of memory for face tracks");
            return NULL;
        }
        ft->tracks = grown;
        ft->capacity = cap;
    }
    track *tr = &ft->tracks[ft->n_tracks];
    memset(tr, 0, sizeof *tr);
    tr->id = ft->n_tracks++;
    return tr;
}

/* Index of the largest unclaimed detection, -1 if none. */
static int largest_unclaimed(const au_face_tracks *ft)
{
    int best = -1;
    float best_area = 0.0f;
    for (int i = 0; i < ft->n_boxes; i++) {
        const au_face_box *b = &ft->boxes[i];
        float area = (b->x2 - b->x1) * (b->y2 - b->y1);
        if (!ft->claimed[i] && area > best_area) {
            best_area = area;
            best = i;
        }
    }
    return best;
}

/* Starts tracks on the detections no track holds, largest first, up to max_faces; their
 * faces are added to faces[*count]. */
static auface_status start_tracks(au_face_tracks *ft, const frame_ref *f,
                                  au_tracked_face *faces, int *count, au_err *err)
{
    const int n = ft->n_points;
    /* The faces already followed are not new, whenever this frame's detection ran. */
    for (int i = 0; i < ft->n_tracks; i++)
        if (ft->tracks[i].active)
            claim_covered(ft, &ft->tracks[i].reference);
    int active = active_count(ft);
    while (active < ft->max_faces) {
        int j = largest_unclaimed(ft);
        if (j < 0)
            return AUFACE_OK;
        ft->claimed[j] = 1;
        au_tracked_face face;
        int ok, slot;
        auface_status st = start_face(ft, f, j, &slot, &face, &ok, err);
        if (st != AUFACE_OK)
            return st;
        if (!ok)
            continue;
        int old = revivable(ft, &ft->boxes[j], f->timestamp);
        track *tr = old >= 0 ? &ft->tracks[old] : new_track(ft, err);
        if (!tr) {
            if (slot >= 0)
                ft->slot_used[slot] = 0;
            return err ? err->status : AUFACE_ERR_NOMEM;
        }
        tr->active = 1;
        tr->slot = slot;
        tr->failures = 0;
        keep(tr, &face.result, n, f->timestamp);
        claim_covered(ft, &tr->reference);
        active++;
        face.result.detected = 1;
        face.id = tr->id;
        faces[(*count)++] = face;
    }
    return AUFACE_OK;
}

/* Whether an ended track may still take its id back at `timestamp`. */
static int awaiting_revival(const au_face_tracks *ft, double timestamp)
{
    for (int i = 0; i < ft->n_tracks; i++)
        if (!ft->tracks[i].active &&
            timestamp - ft->tracks[i].last_seen <= AU_TRACK_REVIVE_SECONDS)
            return 1;
    return 0;
}

/* Orders the faces of a frame by id (a revived id may come after higher ones). */
static void sort_by_id(au_tracked_face *faces, int count)
{
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && faces[j - 1].id > faces[j].id; j--) {
            au_tracked_face tmp = faces[j];
            faces[j] = faces[j - 1];
            faces[j - 1] = tmp;
        }
}

auface_status au_face_tracks_step(au_face_tracks *ft, const uint8_t *bgr, int w, int h,
                                  size_t stride, long index, double timestamp,
                                  au_tracked_face *faces, int *count, au_err *err)
{
    frame_ref f = {bgr, w, h, stride, index, timestamp};
    int scheduled = index % ft->detect_interval == 0;
    *count = 0;
    ft->detected = 0;
    ft->n_boxes = 0;
    for (int i = 0; i < ft->n_tracks; i++) {
        track *tr = &ft->tracks[i];
        if (!tr->active)
            continue;
        int emit;
        auface_status st = follow_track(ft, &f, scheduled, tr, &faces[*count], &emit, err);
        if (st != AUFACE_OK)
            return st;
        if (emit && *count < ft->max_faces)
            (*count)++;
    }
    int active = active_count(ft);
    /* New faces are looked for at the detection schedule, while no face is followed, on
     * frames where a lost face made the detector run anyway, and every few frames while a
     * lost face may still come back under its id (so a face hidden for a moment is taken up
     * again when it reappears, not at the next scheduled detection). */
    int awaited = index % AU_TRACK_AWAIT_INTERVAL == 0 && awaiting_revival(ft, timestamp);
    if ((scheduled || active == 0 || ft->detected || awaited) && active < ft->max_faces) {
        auface_status st = detect_once(ft, &f, err);
        if (st == AUFACE_OK)
            st = start_tracks(ft, &f, faces, count, err);
        if (st != AUFACE_OK)
            return st;
    }
    sort_by_id(faces, *count);
    return AUFACE_OK;
}
