/*
 * auface.h — facial Action Units from video, numerically compatible with OpenFace 2.2.
 *
 * auface turns face video (or still images, or folders of images) into OpenFace 2.2
 * FeatureExtraction's per-frame output: 17 AU intensities (AU01_r … AU45_r, 0–5), 18 AU
 * presences (AU01_c … AU45_c, AU28 included), head pose, 2D/3D landmarks and the PDM
 * parameters, in the same CSV layout and number formats, so that scripts written for
 * OpenFace read auface's files unchanged.
 *
 * Usage, in short:
 *
 *     auface_config cfg;
 *     auface_config_default(&cfg);
 *     cfg.models_dir = "/path/to/models";          // or NULL: search the default places
 *     auface_pipeline *p;
 *     auface_status st = auface_pipeline_create(&cfg, &p);
 *     if (st != AUFACE_OK) { fprintf(stderr, "%s\n", auface_pipeline_errmsg(p)); ... }
 *     st = auface_process_video(p, &job, NULL, NULL, &summary);
 *     auface_pipeline_destroy(p);
 *
 * Threading: a pipeline holds the models (read-only once loaded) and per-call scratch. One
 * pipeline must not be used by two threads at once; create one pipeline per thread (models
 * are loaded per pipeline). There is no global mutable state in the library.
 *
 * Errors: every function that can fail returns an auface_status. AUFACE_OK is 0; every
 * other value names a class of failure, auface_strerror() gives its generic text and
 * auface_pipeline_errmsg() the detailed message of the pipeline's last failure (which file,
 * which frame, which value).
 *
 * Licence note: the OpenFace models that auface loads are licensed for academic and
 * non-profit, non-commercial research only; see the README.
 */
#ifndef AUFACE_H
#define AUFACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AUFACE_VERSION_MAJOR 0
#define AUFACE_VERSION_MINOR 1
#define AUFACE_VERSION_PATCH 0

/* Returns the library version as "MAJOR.MINOR.PATCH". */
const char *auface_version(void);

/* ------------------------------------------------------------------------------------
 * Status codes
 * ------------------------------------------------------------------------------------ */
typedef enum auface_status {
    AUFACE_OK = 0,
    AUFACE_ERR_ARG,          /* an argument or option is invalid (NULL, out of range, unknown) */
    AUFACE_ERR_NOMEM,        /* an allocation failed */
    AUFACE_ERR_IO,           /* a file could not be opened, read, written or renamed */
    AUFACE_ERR_FORMAT,       /* a file is malformed or truncated (model, PDM, CSV, ...) */
    AUFACE_ERR_MODELS,       /* the model folder was not found or is incomplete */
    AUFACE_ERR_VIDEO,        /* the video could not be opened or decoded */
    AUFACE_ERR_LANDMARKS,    /* a landmark file does not fit the video (columns, frame count) */
    AUFACE_ERR_UNSUPPORTED,  /* the input asks for something auface does not implement */
    AUFACE_ERR_INTERNAL,     /* a bug: please report it with the message */
    AUFACE_ERR_CANCELLED     /* the progress callback stopped a job whose stop_cancels is set */
} auface_status;

/* Generic, static English text for a status code; never NULL. */
const char *auface_strerror(auface_status status);

/* ------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------ */

/* Column groups of the output CSV, as OpenFace's -pose -2Dfp -3Dfp -pdmparams -aus flags.
 * The frame/face_id/timestamp/confidence/success block is always written. */
enum {
    AUFACE_OUT_POSE = 1u << 0,      /* pose_Tx … pose_Rz */
    AUFACE_OUT_2D = 1u << 1,        /* x_0 … x_67, y_0 … y_67 */
    AUFACE_OUT_3D = 1u << 2,        /* X_0 … Z_67 */
    AUFACE_OUT_PDM = 1u << 3,       /* p_scale … p_ty, p_0 … p_33 */
    AUFACE_OUT_AUS = 1u << 4,       /* AU*_r then AU*_c, post-processed as OpenFace does */
    AUFACE_OUT_GAZE = 1u << 5,      /* gaze_0_x … gaze_angle_y, eye_lmk_x_0 … eye_lmk_Z_55
                                       (OpenFace's -gaze): OpenFace's eye models and gaze;
                                       left out when the model set has no eye parts */
    AUFACE_OUT_ALL = 0x3f
};

/* How auface places the 68 landmarks when no landmark file is given. */
typedef enum auface_landmarks {
    AUFACE_LANDMARKS_PFLD = 0,       /* PFLD network, tracked (default): fastest */
    AUFACE_LANDMARKS_CLNF            /* OpenFace's own CLNF tracker: OpenFace's landmarks and
                                        therefore OpenFace's AUs */
} auface_landmarks;

/* Face detector used to find (and re-find) the face when auface places its own landmarks. */
typedef enum auface_detector {
    AUFACE_DETECTOR_DEFAULT = 0,     /* RetinaFace with PFLD, MTCNN with CLNF */
    AUFACE_DETECTOR_RETINAFACE,      /* RetinaFace mobilenet0.25 (PFLD only) */
    AUFACE_DETECTOR_YUNET,           /* YuNet 2023mar: faster (PFLD only) */
    AUFACE_DETECTOR_MTCNN            /* OpenFace's MTCNN (CLNF only, as OpenFace) */
} auface_detector;

typedef struct auface_config {
    /* Model folder laid out as auface's models/ (openface/AU_predictors/…). NULL searches
     * $AUFACE_MODELS, ./models, ../shared/models, then the install prefix. */
    const char *models_dir;
    /* 0: OpenFace's dynamic AU models (main_dynamic_svms.txt, the default of
     * FeatureExtraction); 1: the static ones (main_static_svms.txt, OpenFace's -au_static). */
    int au_static;
    /* Bitwise OR of AUFACE_OUT_* (default AUFACE_OUT_ALL). */
    unsigned outputs;
    /* Landmarks (default AUFACE_LANDMARKS_PFLD) and face detector (default: the one that
     * goes with the landmarks). */
    auface_landmarks landmarks;
    auface_detector detector;
    /* Own landmarks: the detector runs on every detect_interval-th frame and whenever the
     * tracked landmarks stop fitting a face; in between, each frame is cropped from the
     * previous frame's landmarks. 1 = detect on every frame. Default 30. */
    int detect_interval;
    /* Worker threads extracting per-frame features; 0 = the CPUs this process may use
     * (its affinity mask, lowered to its cgroup's CPU quota); 1 = sequential (no threads).
     * The output is identical for every value. */
    int workers;
    /* Frames in flight between the decoder and the writer (memory is about this many
     * decoded frames; raised to what the workers need to run in parallel, then lowered to
     * what max_memory_mb holds). Default 30. */
    int batch_size;
    /* Bound, in MiB, on the decoded frames (and their results) held in flight; at least
     * one frame is always held. 0 = the default, min(2048, physical RAM / 4). A small
     * bound lets fewer workers run at once (each needs frames of its own chunk of
     * detect_interval frames); the output is identical for every value. Models, worker
     * scratch and the AU history are not counted. */
    int max_memory_mb;
    /* Camera intrinsics in pixels, as OpenFace's -fx -fy -cx -cy. A value <= 0 takes
     * OpenFace's default from the frame size: cx = W/2, cy = H/2,
     * fx = fy = (500·W/640 + 500·H/480)/2. As in OpenFace, fx decides the focal pair and
     * cx the centre pair (fx <= 0: both focal lengths default; fx given with fy <= 0: fy =
     * fx; cx given with cy <= 0: cy = H/2). They move pose, 3D landmarks and gaze. */
    float fx, fy, cx, cy;
    /* Explicit model files, each an alternative to its place in models_dir (NULL: take it
     * from the model folder). With all five given, no model folder is needed for PFLD mode
     * (CLNF mode still reads its landmark models from the folder). */
    const char *detector_model_file;   /* RetinaFace (or YuNet, per `detector`) .onnx */
    const char *pfld_model_file;       /* PFLD 68-point .onnx */
    const char *pdm_file;              /* In-the-wild_aligned_PDM_68.txt */
    const char *triangulation_file;    /* tris_68_full.txt */
    const char *au_models_dir;         /* folder with main_dynamic_svms.txt (AU_predictors) */
    /* Faces followed in a video (PFLD or CLNF landmarks). 1 (or 0): the default, one face, as
     * FeatureExtraction. N > 1: up to N faces, each under a stable face_id (0, 1, …) with
     * its own tracker, running medians, dynamic AU prediction and post-processing, as if
     * filmed alone; one CSV row per (frame, tracked face), by frame then face_id; the job's
     * output_hog becomes one NAME_face<id>.hog per face, aligned faces are named
     * frame_det_<face id>_<frame>.bmp; landmark replay needs max_faces 1. */
    int max_faces;
    /* With max_faces > 1: one CSV per face, NAME_face0.csv, NAME_face1.csv, … (NAME = the
     * job's output_csv without ".csv") instead of one CSV. */
    int split_faces;
} auface_config;

/* Fills `cfg` with the defaults described above. */
void auface_config_default(auface_config *cfg);

/* ------------------------------------------------------------------------------------
 * Pipeline
 * ------------------------------------------------------------------------------------ */
typedef struct auface_pipeline auface_pipeline;

/* Loads the AU models named by `cfg` and creates a pipeline in `*out`. On failure `*out`
 * is still set when memory allowed (so auface_pipeline_errmsg can explain), and must be
 * destroyed. Errors: AUFACE_ERR_ARG (invalid configuration: a value out of range),
 * AUFACE_ERR_UNSUPPORTED (a detector that does not go with the landmarks: MTCNN with PFLD,
 * RetinaFace or YuNet with CLNF), AUFACE_ERR_MODELS (no model folder), AUFACE_ERR_FORMAT /
 * AUFACE_ERR_IO (a model file). Numbers in text models are read with '.' decimals whatever
 * the application's locale (every entry point runs in the "C" locale on its own thread).
 * Cost: reads ~6 MB of AU model files. The landmark models are loaded by the first job that
 * needs them: PFLD + RetinaFace ~5 MB in a few ms; CLNF + MTCNN ~80 MB and ~0.5 s to prepare
 * its patch experts. Worker threads' runtimes are made once and reused by later jobs. */
auface_status auface_pipeline_create(const auface_config *cfg, auface_pipeline **out);

/* Frees the pipeline and everything it owns. NULL is a no-op. */
void auface_pipeline_destroy(auface_pipeline *p);

/* Detailed message of the pipeline's last failure ("" if none). Valid until the next call
 * on the same pipeline. */
const char *auface_pipeline_errmsg(const auface_pipeline *p);

/* Every row of a job in memory: the CSV's columns (names and order as the CSV), one row per
 * frame, values as doubles equal to what the CSV prints before rounding (AU columns are the
 * post-processed values). Owned by the caller; free with auface_results_free. */
typedef struct auface_results auface_results;

/* One input to process and where to write its results. */
typedef struct auface_job {
    const char *input;           /* video file, image file, or folder of images */
    const char *output_csv;      /* OpenFace-layout CSV, written atomically (temp + rename);
                                    may be NULL when `results` is given */
    /* Optional: an OpenFace FeatureExtraction CSV whose 68 2D landmarks (x_0..x_67,
     * y_0..y_67) and success flag are used instead of auface's own landmark detection
     * (landmark replay); its eye landmarks (eye_lmk_x_0..55, eye_lmk_y_0..55) too when it
     * has them, otherwise the eyes are fitted from the 68 points. Its rows must cover every
     * frame of the input. */
    const char *landmarks_csv;
    const char *output_hog;      /* optional: OpenFace binary .hog file */
    const char *aligned_dir;     /* optional: folder for frame_det_00_NNNNNN.bmp faces */
    long max_frames;             /* 0 = all frames */
    /* Optional: receives every row in memory (see auface_results_*); set on success only,
     * like the CSV. NULL otherwise. */
    auface_results **results;
    /* Optional: when the job fails after processing frames, the rows of those frames are
     * written here (same layout as output_csv, AU post-processing over the frames done),
     * and the error message names the file; on success an older file here is removed.
     * NULL: a failed job keeps nothing. Needs output_csv. */
    const char *partial_csv;
    /* 0 (default): a stop asked by the progress callback ends the job successfully with the
     * frames done, as max_frames would. 1: such a stop is a cancellation (Ctrl-C): the job
     * fails with AUFACE_ERR_CANCELLED and, like any failed job, leaves nothing under the
     * output names. */
    int stop_cancels;
} auface_job;

/* Stages whose time a job reports (summed over worker threads, so with several workers
 * their sum exceeds the wall-clock time). */
typedef enum auface_stage {
    AUFACE_STAGE_DECODE,         /* reading and decoding frames */
    AUFACE_STAGE_DETECT,         /* face detection (and the landmarks of that frame) */
    AUFACE_STAGE_LANDMARKS,      /* tracked landmarks and their fit */
    AUFACE_STAGE_CALCPARAMS,     /* PDM fit for the AU stage, pose, 3D landmarks */
    AUFACE_STAGE_ALIGN,          /* similarity warp and mask */
    AUFACE_STAGE_HOG,            /* FHOG and geometry */
    AUFACE_STAGE_PREDICT,        /* running medians and AU prediction */
    AUFACE_STAGE_COUNT
} auface_stage;

/* Name of a stage ("decode", "detect", ...), or NULL when out of range. */
const char *auface_stage_name(auface_stage stage);

/* What happened to one job. */
typedef struct auface_summary {
    long frames;                 /* frames processed (the CSV's rows when the job succeeded) */
    long frames_succeeded;       /* frames with success = 1 */
    long frames_failed_decode;   /* damaged frames the decoder skipped (not an error: the
                                    CSV has every frame that could be decoded; warn) */
    double seconds;              /* wall-clock time of the job */
    double stage_seconds[AUFACE_STAGE_COUNT]; /* wall-clock seconds spent in each stage,
                                 measured on each thread and summed over threads (see
                                 auface_stage); with CLNF landmarks the tracker's time,
                                 detection included, is under AUFACE_STAGE_LANDMARKS */
    int workers;                 /* worker threads the job ran on (1 = sequential) */
} auface_summary;

/* Called after each frame; `total` is -1 when the frame count is unknown. Return non-zero
 * to stop early: the job then succeeds with the frames processed so far (as --max-frames
 * would), or fails with AUFACE_ERR_CANCELLED when the job's stop_cancels is set. It runs in
 * the caller's locale. */
typedef int (*auface_progress_fn)(void *user, long frames_done, long total);

/* Processes one input from first to last frame and writes the outputs named by `job`.
 * A frame without a face is written with success = 0.
 *
 * Outcomes: AUFACE_OK means a complete run over every frame the decoder could give (up to
 * max_frames, or until `progress` asked to stop): the CSV and .hog are written, replacing
 * files of those names. Damaged frames in the middle of a video are skipped, not an error:
 * summary->frames_failed_decode counts them. Any failure (the input cannot be opened or
 * stops with a read error, a worker or the writer fails, AUFACE_ERR_LANDMARKS when a
 * landmark file and the video disagree) leaves nothing under the CSV and .hog names (an
 * existing file there is left as it was), only the partial CSV when `partial_csv` is
 * given; aligned faces already written stay in aligned_dir. The rows a failed job
 * processed are exactly those before the failing frame, whatever the worker count. The
 * .hog file is committed before the CSV, so an existing CSV means the job finished.
 *
 * `progress` may be NULL; it is called on the calling thread, in frame order. Threads:
 * with cfg.workers != 1 the work runs on worker threads; the call returns when they are
 * done. Numbers are read and written with '.' decimals whatever the caller's locale. */
auface_status auface_process_video(auface_pipeline *p, const auface_job *job,
                                   auface_progress_fn progress, void *user,
                                   auface_summary *summary);

/* ------------------------------------------------------------------------------------
 * Still images: OpenFace's FaceLandmarkImg
 * ------------------------------------------------------------------------------------
 * Each image on its own, every face the detector finds, in the detector's order (MTCNN's
 * descending score with CLNF, RetinaFace's/YuNet's with PFLD). With CLNF landmarks each
 * face is fitted as FaceLandmarkImg does (one upright start, windows 11/9/7/5, the
 * validator's certainty as `confidence`); the AUs always come from OpenFace's static models
 * (main_static_svms.txt, whatever cfg.au_static says), clipped to [0, 5], computed for
 * rejected faces too. The camera intrinsics come from each image's size unless cfg gives
 * them. Output: FaceLandmarkImg's CSV layout (`face, confidence, …`, confidence with 3
 * decimals, AU*_c with 1, ", " between fields), one row per face; `.hog` records in row
 * order (+1 for an accepted face, −1 otherwise); aligned faces `face_det_NNNNNN.bmp`.
 * Gaze (with AUFACE_OUT_GAZE and a model set with eye parts) is written for every face,
 * accepted or not, as FaceLandmarkImg does. */

typedef struct auface_image auface_image; /* BGR pixels, defined with the streaming API */

typedef struct auface_image_job {
    const char *input;           /* image file (JPEG, PNG, BMP, ... as cv::imread reads it,
                                    EXIF orientation applied); NULL when `image` is given */
    const auface_image *image;   /* the caller's BGR pixels instead of a file (may be NULL) */
    /* FaceLandmarkImg-layout CSV, written atomically (temp + rename), committed after the
     * other outputs. An image without a face gets the header line only (OpenFace writes no
     * file), so a finished image always has its CSV. May be NULL. */
    const char *output_csv;
    const char *output_hog;      /* optional: .hog, one record per face */
    const char *aligned_dir;     /* optional: folder for face_det_NNNNNN.bmp (NNNNNN = face) */
    /* Optional: receives one row per face (0 rows without a face); NULL on failure. */
    auface_results **results;
} auface_image_job;

/* Processes one image on the calling thread. `summary` (may be NULL): frames = faces found,
 * frames_succeeded = faces accepted. Errors: AUFACE_ERR_ARG (no input, both or neither of
 * input/image, no output), the image cannot be read (AUFACE_ERR_IO, AUFACE_ERR_FORMAT),
 * model loading errors on first use, AUFACE_ERR_IO writing. Cost: the first call loads the
 * static AU models (~3 MB) and the landmark models; a 640x400 image with one face takes
 * ≈ 30 ms with CLNF. */
auface_status auface_process_image(auface_pipeline *p, const auface_image_job *job,
                                   auface_summary *summary);

/* Called once per image of auface_process_images as it finishes (in completion order,
 * never two at a time): its index in `jobs`, status, summary and, on failure, the message. */
typedef void (*auface_image_done_fn)(void *user, int index, auface_status status,
                                     const auface_summary *summary, const char *errmsg);

/* Processes `count` independent images on cfg.workers threads (each image on one thread;
 * the outputs are the same as one auface_process_image call per image). `done` may be
 * NULL. Returns AUFACE_OK when every image succeeded, else the status of the first failed
 * image in `jobs` order (auface_pipeline_errmsg has its message); the others are still
 * processed. */
auface_status auface_process_images(auface_pipeline *p, const auface_image_job *jobs,
                                    int count, auface_image_done_fn done, void *user);

/* ------------------------------------------------------------------------------------
 * Results in memory
 * ------------------------------------------------------------------------------------ */

/* Number of rows (frames) and of columns. */
long auface_results_rows(const auface_results *r);
int auface_results_cols(const auface_results *r);

/* Name of column `col` ("frame", "AU01_r", ...), NULL when out of range. */
const char *auface_results_column_name(const auface_results *r, int col);

/* Index of the column called `name`, or -1. */
int auface_results_column_index(const auface_results *r, const char *name);

/* Decimals the CSV prints column `col` with (0 for integer columns), -1 when out of range. */
int auface_results_column_decimals(const auface_results *r, int col);

/* The values, row-major: rows × cols doubles; valid until auface_results_free. */
const double *auface_results_data(const auface_results *r);

/* Writes the results as the CSV the job would have written (same bytes), atomically.
 * On failure returns the status and, when `errbuf` is not NULL, a message in it. */
auface_status auface_results_write_csv(const auface_results *r, const char *path,
                                       char *errbuf, size_t errbuf_size);

/* Frees the results. NULL is a no-op. */
void auface_results_free(auface_results *r);

/* ------------------------------------------------------------------------------------
 * Annotated ("tracked") video, as OpenFace's -tracked output
 * ------------------------------------------------------------------------------------ */

/* Writes `output_video`: the frames of `input` with, drawn from `results` (a job's results
 * for this input, e.g. from auface_job.results), the 68 landmarks, the head-pose box (a
 * 200 mm cube projected with the pose and the camera intrinsics), the eye landmarks and
 * gaze lines when the results have gaze columns, and a panel with the strongest AU
 * intensities (post-processed values, as in the CSV) — drawn as OpenFace's Visualizer
 * draws them; landmarks, box and gaze only where confidence > 0.4, as OpenFace. Each part
 * is drawn when its columns are in the results. One output frame per results row (a job
 * with max_frames gives that many frames).
 * The container follows the file name (.mp4, .mkv, .avi, ...); the video is H.264
 * (libx264) when FFmpeg has it, else MPEG-4 part 2; yuv420p; the input's frame rate (30
 * for images; a variable-rate input comes out at its nominal constant rate) and size (an
 * odd width or height loses its last column or row). Written atomically (temporary file
 * + rename): on failure no file exists under `output_video`.
 * fx, fy, cx, cy: the intrinsics the job used (auface_config's, with the same rules:
 * values <= 0 are not given and take OpenFace's defaults from the frame size).
 * Errors: AUFACE_ERR_ARG (NULL arguments, empty results, an unknown container, results
 * whose frame numbers do not follow the input), AUFACE_ERR_VIDEO (the input cannot be
 * decoded or has fewer frames than the results), AUFACE_ERR_IO (the output folder is
 * missing or not writable, disk full), AUFACE_ERR_UNSUPPORTED (no encoder for the
 * container), AUFACE_ERR_NOMEM; with a message naming the file in `errbuf` when not NULL.
 * Cost: decodes the input again, draws and encodes every frame: about as much CPU as a
 * one-worker PFLD job (measured on default.wmv, 640x480: 6 ms a frame, of which libx264
 * "superfast" ~4.5, decoding ~1, drawing ~0.5; the encoder uses its own threads); memory:
 * two frames plus the encoder's look-ahead (~20 frames). Thread-safe: uses no pipeline;
 * `results` is only read. */
auface_status auface_render_tracked(const char *input, const auface_results *results,
                                    const char *output_video, float fx, float fy, float cx,
                                    float cy, char *errbuf, size_t errbuf_size);

/* ------------------------------------------------------------------------------------
 * Streaming: frames one by one (camera, your own decoder)
 * ------------------------------------------------------------------------------------
 * Frames given to auface_process_frame form one stream (one person's video) until
 * auface_stream_reset. Without the end of the video, OpenFace's end-of-video
 * post-processing cannot run; intensities are therefore corrected as OpenFace does for a
 * webcam (FaceAnalyser::CorrectOnlineAUs: the 10th percentile of the person's predictions so
 * far is taken as neutral and subtracted; clipped to [0, 5]), and presences are the raw
 * per-frame decisions. Landmarks come from auface's own detector and tracker; the stream is
 * sequential: it runs on the calling thread with one worker, whatever cfg.workers (in CLNF
 * mode the tracker still splits its per-landmark work over cfg.workers threads, as for
 * videos). */

#define AUFACE_MAX_AUS 32
#define AUFACE_LANDMARKS 68

typedef struct auface_image {
    const uint8_t *bgr;          /* 8-bit B, G, R bytes, row-major */
    int width, height;
    size_t stride;               /* bytes per row, >= 3 * width */
} auface_image;

typedef struct auface_frame_result {
    long frame;                  /* 1-based position in the stream */
    double timestamp;            /* as given */
    int success;                 /* 1 when a face was found and fitted */
    double confidence;           /* 0..1 */
    float landmarks[2 * AUFACE_LANDMARKS]; /* x_0..x_67 then y_0..y_67, pixels */
    double pose[6];              /* Tx, Ty, Tz (mm), Rx, Ry, Rz (radians) */
    int num_intensities;         /* 17; names from auface_intensity_name */
    double intensity[AUFACE_MAX_AUS];
    int num_presences;           /* 18; names from auface_presence_name */
    double presence[AUFACE_MAX_AUS];
    /* gaze_0_x/y/z, gaze_1_x/y/z (unit vectors, camera coordinates), gaze_angle_x/y
     * (radians), as OpenFace; zeros without a face, or when the configuration's outputs
     * leave out AUFACE_OUT_GAZE (which saves the eye fits) or the model set has no eye
     * parts. */
    double gaze[8];
} auface_frame_result;

/* Processes the next frame of the pipeline's stream. Cost: one frame of the sequential
 * pipeline. Errors: AUFACE_ERR_ARG for a NULL or empty image; model loading errors on the
 * first call. */
auface_status auface_process_frame(auface_pipeline *p, const auface_image *image,
                                   double timestamp, auface_frame_result *result);

/* Starts a new stream (another person or video): forgets tracking, medians and history. */
void auface_stream_reset(auface_pipeline *p);

/* Names ("AU01", ...) of the intensities and presences in result order; NULL when out of
 * range. */
const char *auface_intensity_name(const auface_pipeline *p, int index);
const char *auface_presence_name(const auface_pipeline *p, int index);

#ifdef __cplusplus
}
#endif
#endif /* AUFACE_H */
