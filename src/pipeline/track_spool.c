#include "pipeline/track_spool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One face on one frame, as written (the file lives and dies within this process). A
 * record with `clnf` set is followed by the CLNF tracker's frame (au_clnf_frame), which the
 * single-face job takes as it is (au_frame_input_from_clnf); PFLD records have none. */
typedef struct spool_record {
    long index;
    int id;
    int success;
    double confidence;
    float landmarks[2 * AU_PDM_MAX_POINTS];
    int clnf;
} spool_record;

typedef struct span {
    long first, last;
} span;

struct au_track_spool {
    FILE *f;
    span *spans;              /* by id; first = -1 when the id has no frame */
    int n_ids;
    /* reading back one face */
    int reading_id;
    int have_pending;         /* `pending` is its next record */
    spool_record pending;
    au_clnf_frame pending_frame; /* with pending.clnf */
};

auface_status au_track_spool_create(au_track_spool **out, au_err *err)
{
    *out = NULL;
    au_track_spool *s = calloc(1, sizeof *s);
    if (!s)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the face spool");
    if (!(s->f = tmpfile())) {
        free(s);
        return au_fail(err, AUFACE_ERR_IO, "cannot create a temporary file for the faces' "
                       "landmarks: %s", strerror(errno));
    }
    *out = s;
    return AUFACE_OK;
}

void au_track_spool_free(au_track_spool *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s->spans);
    free(s);
}

static auface_status grow_spans(au_track_spool *s, int id, au_err *err)
{
    if (id < s->n_ids)
        return AUFACE_OK;
    span *grown = realloc(s->spans, sizeof *grown * (size_t)(id + 1));
    if (!grown)
        return au_fail(err, AUFACE_ERR_NOMEM, "out of memory for the face spool");
    s->spans = grown;
    for (int i = s->n_ids; i <= id; i++)
        s->spans[i] = (span){-1, -1};
    s->n_ids = id + 1;
    return AUFACE_OK;
}

auface_status au_track_spool_add(au_track_spool *s, long index, const au_tracked_face *face,
                                 au_err *err)
{
    auface_status st = grow_spans(s, face->id, err);
    if (st != AUFACE_OK)
        return st;
    spool_record r;
    memset(&r, 0, sizeof r);
    r.index = index;
    r.id = face->id;
    r.success = face->result.success;
    r.confidence = face->result.confidence;
    memcpy(r.landmarks, face->result.landmarks, sizeof r.landmarks);
    r.clnf = face->clnf;
    if (fwrite(&r, sizeof r, 1, s->f) != 1 ||
        (r.clnf && fwrite(&face->frame, sizeof face->frame, 1, s->f) != 1))
        return au_fail(err, AUFACE_ERR_IO, "cannot write the faces' landmarks to a temporary "
                       "file: %s", strerror(errno));
    span *sp = &s->spans[face->id];
    if (sp->first < 0)
        sp->first = index;
    sp->last = index;
    return AUFACE_OK;
}

int au_track_spool_ids(const au_track_spool *s)
{
    return s->n_ids;
}

int au_track_spool_span(const au_track_spool *s, int id, long *first, long *last)
{
    if (id < 0 || id >= s->n_ids || s->spans[id].first < 0)
        return 0;
    *first = s->spans[id].first;
    *last = s->spans[id].last;
    return 1;
}

auface_status au_track_spool_rewind(au_track_spool *s, int id, au_err *err)
{
    if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0)
        return au_fail(err, AUFACE_ERR_IO, "cannot read back the faces' landmarks: %s",
                       strerror(errno));
    s->reading_id = id;
    s->have_pending = 0;
    return AUFACE_OK;
}

/* Reads the face's next record into s->pending; 0 at the end of the file, < 0 on error. */
static int next_record(au_track_spool *s, au_err *err)
{
    spool_record r;
    while (fread(&r, sizeof r, 1, s->f) == 1) {
        if (r.id != s->reading_id) {
            if (r.clnf && fseek(s->f, (long)sizeof s->pending_frame, SEEK_CUR) != 0)
                break;
            continue;
        }
        if (r.clnf && fread(&s->pending_frame, sizeof s->pending_frame, 1, s->f) != 1)
            break;
        s->pending = r;
        s->have_pending = 1;
        return 1;
    }
    if (ferror(s->f) || !feof(s->f)) {
        au_fail(err, AUFACE_ERR_IO, "cannot read back the faces' landmarks: %s",
                strerror(errno));
        return -1;
    }
    return 0;
}

int au_track_spool_fill(au_track_spool *s, au_frame_input *in, au_err *err)
{
    long first, last;
    if (!au_track_spool_span(s, s->reading_id, &first, &last) || in->index > last)
        return 0;
    while (!s->have_pending || s->pending.index < in->index) {
        int r = next_record(s, err);
        if (r < 0)
            return r;
        if (r == 0)
            break;
    }
    if (s->have_pending && s->pending.index == in->index && s->pending.clnf) {
        au_frame_input_from_clnf(in, &s->pending_frame);
        return 1;
    }
    in->replay = 1;
    if (s->have_pending && s->pending.index == in->index) {
        in->replay_success = s->pending.success;
        in->replay_confidence = s->pending.confidence;
        memcpy(in->replay_landmarks, s->pending.landmarks, sizeof in->replay_landmarks);
    } else {
        in->replay_success = 0;
        in->replay_confidence = 0.0;
        memset(in->replay_landmarks, 0, sizeof in->replay_landmarks);
    }
    in->replay_au_success = in->replay_success;
    return 1;
}
