/* Runs the frames of one video through workers and hands the results to a consumer in frame
 * order.
 *
 * Sequential (one worker): read, process and consume each frame in turn on the calling
 * thread. Parallel: one reader thread decodes into a bounded ring of frame slots; worker
 * threads each own whole chunks of `chunk` consecutive frames (chunks start at the tracker's
 * scheduled detections, so a chunk does not depend on earlier frames and the output equals
 * the sequential one); the calling thread consumes results strictly in frame order (running
 * medians, predictions, output rows). A frame's slot is released only after its result is
 * consumed, so memory is bounded by the ring whatever the video length.
 *
 * Memory: the ring has `ring` slots, of which only as many are filled at once as fit in
 * `max_bytes` (the frame size is known after the first frame; one slot is always allowed).
 * Any ring of one slot or more makes progress: the oldest unconsumed frame is always read
 * and owned by the worker whose chunk holds it. A smaller ring only lets fewer workers run
 * at once; the chunks, and so the output, stay the same.
 *
 * Errors: the run ends at the first failure in frame order, exactly as the sequential run
 * would: a reader error at frame n or a worker error at frame n lets frames 0..n−1 be
 * processed and consumed and nothing after; a consumer error (or stop request) at frame n
 * ends consumption there. What was consumed therefore never depends on thread timing. */
#ifndef AU_PIPELINE_SCHEDULER_H
#define AU_PIPELINE_SCHEDULER_H

#include "pipeline/frame_work.h"

/* Fills `in` with the next frame (pixels copied into `pixels`, which holds `capacity` bytes;
 * reallocated through *pixels when too small). Returns 1 with a frame, 0 at the end, < 0 on
 * error (message in err). Called from one thread at a time, in frame order; in->index counts
 * up by one from the first frame's (which need not be 0: a chunk then starts at that
 * frame, as a sequential run restarts its tracking there). */
typedef int (*au_read_frame_fn)(void *user, au_frame_input *in, uint8_t **pixels,
                                size_t *capacity, au_err *err);

/* Consumes the result of one frame, in frame order; returns AUFACE_OK to go on. A non-zero
 * `stop` request (e.g. progress callback asked to stop) ends the run early without error. */
typedef auface_status (*au_consume_fn)(void *user, const au_frame_output *out, int *stop,
                                       au_err *err);

typedef struct au_schedule {
    au_worker **workers;
    int num_workers;
    int chunk;                /* frames per chunk (the tracker's detect interval) */
    int ring;                 /* frame slots in flight (>= 1) */
    size_t max_bytes;         /* bound on the bytes of the frames in flight; 0 = none */
    au_read_frame_fn read;
    void *read_user;
    au_consume_fn consume;
    void *consume_user;
} au_schedule;

/* Runs until the reader reports the end or an error, or the consumer stops. Returns the
 * first error in frame order (see above). The decode time is added to
 * times->seconds[AU_STAGE_DECODE] and the workers' stage times to the other entries. */
auface_status au_schedule_run(const au_schedule *s, au_stage_times *times, au_err *err);

/* The slots a ring may fill at once: `ring`, lowered to what `max_bytes` holds of slots of
 * `slot_bytes` each (0 = no bound), at least 1. */
int au_schedule_slots_within(int ring, size_t max_bytes, size_t slot_bytes);

#endif
