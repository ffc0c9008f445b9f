/* The still images of an `auface` run (--images, --image-list, single image inputs): all of
 * them at once on the workers (auface_process_images), resumable and shardable like videos,
 * and the --combine file. */
#ifndef AU_TOOLS_IMAGE_RUN_H
#define AU_TOOLS_IMAGE_RUN_H

#include "auface.h"
#include "cli_args.h"
#include "pipeline/batch.h"

typedef struct au_image_tally {
    int done, skipped, failed;
    int no_face;            /* done, but no face was found (header-only CSV) */
    long faces;
} au_image_tally;

/* Processes the plan's image items that are not complete, reporting each (stderr unless
 * --quiet, JSON lines with --progress-json; `index` numbering as the plan's), and a
 * summary line with the images per second. With --landmarks-from the images are left to
 * the video path (a replayed landmark file describes one-frame videos). */
void au_run_images(auface_pipeline *p, const au_cli_args *args, const au_batch *plan,
                   au_image_tally *tally);

/* --combine: the CSVs of every image item of the plan (this shard), in plan order, as one
 * CSV (written atomically) whose first column is the image's path. Images without a CSV
 * (failed) are reported and left out. Returns 1 on success, 0 after printing why not. */
int au_write_combined(const au_batch *plan, const char *path);

#endif
