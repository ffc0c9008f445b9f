/* Planning a run over many inputs: expanding --video / --video-dir / --video-list into a
 * list, naming each input's outputs, choosing this machine's shard, and skipping inputs
 * whose outputs are already complete (so an interrupted batch resumes where it stopped).
 *
 * Completeness: every output is written atomically and the CSV is committed last, so an
 * existing CSV (and, when asked for, an existing .hog and annotated video) means the input
 * was finished; an input that failed leaves none of them, so a resumed batch retries it.
 * A single input named with `output` is always processed: its file is replaced, as
 * OpenFace does. */
#ifndef AU_PIPELINE_BATCH_H
#define AU_PIPELINE_BATCH_H

#include "common/error.h"

typedef struct au_batch_options {
    const char *const *videos;   /* inputs given one by one, in order */
    int n_videos;
    const char *video_dir;       /* every video file in this folder, sorted by name */
    const char *video_list;      /* a text file with one path per line ('#' comments) */
    const char *images_dir;      /* every image in this folder, each on its own (image mode) */
    const char *image_list;      /* a text file with one image path per line (image mode) */
    const char *out_dir;         /* outputs as OUT_DIR/<name>.csv; NULL with a single input */
    const char *output;          /* explicit CSV path (single input only) */
    const char *hog;             /* explicit .hog path (single input only) */
    const char *aligned;         /* explicit aligned-face folder (single input only) */
    const char *tracked;         /* explicit annotated-video path (single input only) */
    int write_hog;               /* OUT_DIR/<name>.hog */
    int write_aligned;           /* OUT_DIR/<name>_aligned/ */
    int write_tracked;           /* OUT_DIR/<name>_tracked.mp4 */
    int overwrite;               /* redo inputs whose outputs exist */
    int shard_index, shard_count;/* process inputs i with i % count == index; count 0 = all */
} au_batch_options;

typedef struct au_batch_item {
    char *input;
    char *csv;
    char *hog;                   /* NULL when not written */
    char *aligned;               /* NULL when not written */
    char *tracked;               /* annotated video; NULL when not written */
    int complete;                /* outputs exist and --overwrite was not given: skip */
    int image;                   /* a still image (FaceLandmarkImg's mode): from --images,
                                    --image-list, or a single image file given as an input */
} au_batch_item;

typedef struct au_batch {
    au_batch_item *items;
    int count;
    int total_inputs;            /* before sharding */
} au_batch;

/* Builds the plan. Errors: no input, an unreadable folder or list, --output with several
 * inputs, two inputs that would write the same output name, a bad shard. */
auface_status au_batch_plan(const au_batch_options *opt, au_batch *out, au_err *err);

void au_batch_free(au_batch *b);

/* The partial file of a CSV path ("out/a.csv" -> "out/a.partial.csv"; ".partial.csv" is
 * appended to a name without ".csv"), newly allocated; NULL when out of memory. */
char *au_batch_partial_name(const char *csv);

/* 1 if `name` ends in a video file extension auface looks for in a folder. */
int au_batch_is_video_name(const char *name);

/* 1 if `name` ends in an image extension (.jpg .jpeg .png .bmp, any case: the list of
 * OpenFace's -fdir) auface looks for in an --images folder. */
int au_batch_is_image_name(const char *name);

#endif
