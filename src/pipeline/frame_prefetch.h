/* Decoding ahead of a reader that does heavy sequential work per frame: one thread decodes
 * the next frames of a source (and, if asked, makes OpenFace's grey image of each) into a
 * small ring while the reader works on the current one.
 *
 * Why: with OpenFace's tracker (--landmarks clnf) the scheduler's reader thread runs the
 * tracker, which must see the frames in order; everything else on that thread lengthens
 * the one sequential path of the run. Decoding, the frame copy and the grey conversion do not
 * depend on the tracker, so they move here and overlap with it.
 *
 * The frames, their order, their timestamps and the first error are exactly those of
 * calling au_source_next in a loop: the thread stops at the first error or the end and the
 * reader receives that outcome after the frames before it. Frames decoded ahead but never
 * asked for are dropped (an error among them is not reported: the reader never reached it).
 *
 * Memory: `depth` frames, each its BGR pixels (3·w·h bytes) and, with grey, w·h more. */
#ifndef AU_PIPELINE_FRAME_PREFETCH_H
#define AU_PIPELINE_FRAME_PREFETCH_H

#include <stdint.h>

#include "io/source.h"

typedef struct au_frame_prefetch au_frame_prefetch;

/* One decoded frame, valid until the next au_frame_prefetch_next or _free. */
typedef struct au_prefetched_frame {
    au_frame frame;         /* pixels tightly packed: stride = 3·width */
    const uint8_t *gray;    /* au_bgr_to_gray_opencv of the frame, width bytes per row; NULL
                               unless asked for */
    long corrupt_frames;    /* au_source_corrupt_frames as this frame was delivered */
} au_prefetched_frame;

/* Starts decoding `src` (which belongs to the prefetcher's thread until _free; the caller
 * must not use it meanwhile) into `depth` (>= 1) slots, making grey images if `with_gray`.
 * Errors: AUFACE_ERR_ARG, AUFACE_ERR_NOMEM, AUFACE_ERR_INTERNAL when the thread cannot be
 * started (the caller may then read the source itself). */
auface_status au_frame_prefetch_create(au_frame_prefetch **out, au_source *src, int depth,
                                       int with_gray, au_err *err);

/* The next frame in order: 1 with *frame set, 0 at the end of the source, < 0 on the
 * source's error (its message in err); after 0 or < 0 every later call returns the same.
 * `corrupt_frames` receives the damaged-frame count up to this point in either case. */
int au_frame_prefetch_next(au_frame_prefetch *pf, const au_prefetched_frame **frame,
                           long *corrupt_frames, au_err *err);

/* Hands the current frame's pixels (from the last _next that returned 1) to the caller
 * without copying: *pixels (a malloc'd buffer of *capacity bytes, or NULL) and the frame's
 * buffer change places, so *pixels then holds the frame, packed, and the prefetcher decodes
 * into the caller's old buffer later. The frame's `bgr` must no longer be used. Once per
 * frame. */
void au_frame_prefetch_take_pixels(au_frame_prefetch *pf, uint8_t **pixels, size_t *capacity);

/* Stops the thread (after the frame it is decoding, if any) and frees everything; the
 * source is the caller's again. NULL is a no-op. */
void au_frame_prefetch_free(au_frame_prefetch *pf);

#endif
