#include "pipeline/face_tracks.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/face_anchor.h"

#define TRACKS_MAX_BOXES 64

/* One id's state: followed now (active) or ended, waiting to be revived. */
typedef struct track {
    int id;
    int active;
    float previous[2 * AU_PDM_MAX_POINTS];   /* last good landmarks */
    au_face_box reference;                   /* their box (where the face was last) */
    double last_seen;                        /* timestamp of the last good frame */
} track;

struct au_face_tracks {
    au_tracker *fitter;
    int max_faces;
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
    ft->max_faces = max_faces > 0 ? max_faces : 1;
    *out = ft;
    return AUFACE_OK;
}

void au_face_tracks_free(au_face_tracks *ft)
{
    if (!ft)
        return;
    free(ft->tracks);
    free(ft);
}

int au_face_tracks_ids(const au_face_tracks *ft)
{
    return ft->n_tracks;
}

static auface_status detect_once(au_face_tracks *ft, const frame_ref *f, au_err *err)
{
    if (ft->detected)
        return AUFACE_OK;
    au_tracker *t = ft->fitter;
    int count = t->detect(t->detector, f->bgr, f->w, f->h, f->stride, ft->boxes,
                          TRACKS_MAX_BOXES, err);
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
    const int n = ft->fitter->pdm->n;
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
    const int n = ft->fitter->pdm->n;
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
        au_track_result r;
        fit(ft, f, &ft->boxes[j], &r);
        if (!r.success)
            continue;
        int old = revivable(ft, &ft->boxes[j], f->timestamp);
        track *tr = old >= 0 ? &ft->tracks[old] : new_track(ft, err);
        if (!tr)
            return err ? err->status : AUFACE_ERR_NOMEM;
        tr->active = 1;
        keep(tr, &r, n, f->timestamp);
        claim_covered(ft, &tr->reference);
        active++;
        r.detected = 1;
        faces[(*count)++] = (au_tracked_face){tr->id, r};
    }
    return AUFACE_OK;
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
    int scheduled = index % ft->fitter->cfg.detect_interval == 0;
    *count = 0;
    ft->detected = 0;
    ft->n_boxes = 0;
    for (int i = 0; i < ft->n_tracks; i++) {
        track *tr = &ft->tracks[i];
        if (!tr->active)
            continue;
        au_track_result r;
        auface_status st = follow(ft, &f, scheduled, tr, &r, err);
        if (st != AUFACE_OK)
            return st;
        if (tr->active && *count < ft->max_faces)
            faces[(*count)++] = (au_tracked_face){tr->id, r};
    }
    int active = active_count(ft);
    /* New faces are looked for at the detection schedule, while no face is followed, and
     * on frames where a lost face made the detector run anyway. */
    if ((scheduled || active == 0 || ft->detected) && active < ft->max_faces) {
        auface_status st = detect_once(ft, &f, err);
        if (st == AUFACE_OK)
            st = start_tracks(ft, &f, faces, count, err);
        if (st != AUFACE_OK)
            return st;
    }
    sort_by_id(faces, *count);
    return AUFACE_OK;
}
