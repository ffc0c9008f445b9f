/* Which detection is "the same face": the rule that keeps a tracker on its person when a
 * detector sees several faces.
 *
 * A detection continues a reference box (the face being followed) when its centre lies
 * within AU_ANCHOR_MAX_SHIFT of the reference's mean side from the reference's centre; of
 * several, the closest continues it. Centre distance rather than IoU because the reference
 * may be a whole detection interval (1 s) old, and a face that moved by half its width has
 * a low IoU yet is plainly the same face; the faces of two different people are at least
 * about a face width apart centre to centre. */
#ifndef AU_PIPELINE_FACE_ANCHOR_H
#define AU_PIPELINE_FACE_ANCHOR_H

#include "detect/face_box.h"

/* The largest centre shift, in reference mean sides ((w + h) / 2), that still counts as the
 * same face. */
#define AU_ANCHOR_MAX_SHIFT 0.75f

/* Index of the largest box (by area), -1 when there is none. */
int au_anchor_largest(const au_face_box *boxes, int count);

/* Index of the box that continues `reference` (see above), -1 when none does. */
int au_anchor_continuing(const au_face_box *boxes, int count, const au_face_box *reference);

/* The box to follow: the one continuing `reference` when there is a reference (non-NULL)
 * and a box continues it, otherwise the largest; -1 when there is no box. */
int au_anchor_choose(const au_face_box *boxes, int count, const au_face_box *reference);

#endif
