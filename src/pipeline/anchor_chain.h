/* The faces a video job's PFLD tracker follows, chosen on the reader thread in frame order.
 *
 * Why here: workers own chunks of frames that start at the tracker's scheduled detections
 * and must not depend on earlier chunks (byte-identical output for any worker count). If
 * each chunk chose its face alone (the largest), the tracked person would change at chunk
 * starts in a video with several people. The reader instead runs the detector on each
 * scheduled frame (one detection per detect interval, cheap next to decoding) and keeps a
 * chain of anchors: the detection that continues the previous anchor (face_anchor.h), else
 * the largest. The chosen box travels with the chunk's first frame (au_frame_input.anchor),
 * so a chunk depends only on its frames and its anchor. */
#ifndef AU_PIPELINE_ANCHOR_CHAIN_H
#define AU_PIPELINE_ANCHOR_CHAIN_H

#include "pipeline/frame_work.h"

typedef struct au_anchor_chain au_anchor_chain;

/* A chain detecting with `model` (a network of `kind`, shared read-only) every
 * `detect_interval`-th frame. */
auface_status au_anchor_chain_create(au_anchor_chain **out, au_detector_kind kind,
                                     const au_nn_model *model, int detect_interval, au_err *err);
void au_anchor_chain_free(au_anchor_chain *c);

/* Forgets the face followed so far and the time spent (a new video); the detector's plan
 * and buffers are kept. */
void au_anchor_chain_reset(au_anchor_chain *c);

/* On a scheduled frame of `in` (frames in order), detects and fills in->anchor with the face
 * to follow; other frames are left without anchor. */
auface_status au_anchor_chain_step(au_anchor_chain *c, au_frame_input *in, au_err *err);

/* Seconds spent detecting since the chain was made or reset. */
double au_anchor_chain_seconds(const au_anchor_chain *c);

#endif
