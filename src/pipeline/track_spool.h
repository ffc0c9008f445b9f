/* The landmarks of every tracked face of a video, spooled to a temporary file between the
 * two passes of the multi-face job (pipeline/multi_face.h), so memory does not grow with the
 * video: pass 1 adds the faces of each frame in frame order; pass 2 reads one face's frames
 * back as given landmarks for the single-face AU stage. */
#ifndef AU_PIPELINE_TRACK_SPOOL_H
#define AU_PIPELINE_TRACK_SPOOL_H

#include "pipeline/face_tracks.h"
#include "pipeline/frame_work.h"

typedef struct au_track_spool au_track_spool;

auface_status au_track_spool_create(au_track_spool **out, au_err *err);
void au_track_spool_free(au_track_spool *s);

/* Adds the face `face` of frame `index` (frames in order). */
auface_status au_track_spool_add(au_track_spool *s, long index, const au_tracked_face *face,
                                 au_err *err);

/* Ids seen (0 .. this − 1), and the first and last frame of `id`'s span; 0 when `id` has
 * no frame. */
int au_track_spool_ids(const au_track_spool *s);
int au_track_spool_span(const au_track_spool *s, int id, long *first, long *last);

/* Starts reading face `id` back from the beginning (one face at a time). */
auface_status au_track_spool_rewind(au_track_spool *s, int id, au_err *err);

/* Fills the given landmarks of `in` (its index set) for the face being read: its spooled
 * landmarks, or no face (success 0) on a frame of its span where it was not tracked.
 * Returns 1, 0 past the end of the span, < 0 on a read error (message in err). */
int au_track_spool_fill(au_track_spool *s, au_frame_input *in, au_err *err);

#endif
