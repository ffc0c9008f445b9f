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
    AUFACE_ERR_INTERNAL      /* a bug: please report it with the message */
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
    AUFACE_OUT_GAZE = 1u << 5,      /* gaze_0_x … gaze_angle_y, eye_lmk_x_0 … eye_lmk_Z_55 */
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
    /* Worker threads extracting per-frame features; 0 = all online CPUs; 1 = sequential
     * (no threads). The output is identical for every value. */
    int workers;
    /* Frames in flight between the decoder and the writer (memory is about this many
     * decoded frames; raised to what the workers need to run in parallel). Default 30. */
    int batch_size;
    /* Camera intrinsics in pixels, as OpenFace's -fx -fy -cx -cy. A value <= 0 takes
     * OpenFace's default from the frame size: cx = W/2, cy = H/2,
     * fx = fy = (500·W/640 + 500·H/480)/2. They move pose, 3D landmarks and gaze. */
    float fx, fy, cx, cy;
    /* Explicit model files, each an alternative to its place in models_dir (NULL: take it
     * from the model folder). With all five given, no model folder is needed for PFLD mode
     * (CLNF mode still reads its landmark models from the folder). */
    const char *detector_model_file;   /* RetinaFace (or YuNet, per `detector`) .onnx */
    const char *pfld_model_file;       /* PFLD 68-point .onnx */
    const char *pdm_file;              /* In-the-wild_aligned_PDM_68.txt */
    const char *triangulation_file;    /* tris_68_full.txt */
    const char *au_models_dir;         /* folder with main_dynamic_svms.txt (AU_predictors) */
} auface_config;

/* Fills `cfg` with the defaults described above. */
void auface_config_default(auface_config *cfg);

/* ------------------------------------------------------------------------------------
 * Pipeline
 * ------------------------------------------------------------------------------------ */
typedef struct auface_pipeline auface_pipeline;

/* Loads the AU models named by `cfg` and creates a pipeline in `*out`. On failure `*out`
 * is still set when memory allowed (so auface_pipeline_errmsg can explain), and must be
 * destroyed. Errors: AUFACE_ERR_ARG (invalid configuration, e.g. MTCNN with PFLD),
 * AUFACE_ERR_MODELS (no model folder), AUFACE_ERR_FORMAT / AUFACE_ERR_IO (a model file).
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
     * (landmark replay). Its rows must cover every frame of the input. */
    const char *landmarks_csv;
    const char *output_hog;      /* optional: OpenFace binary .hog file */
    const char *aligned_dir;     /* optional: folder for frame_det_00_NNNNNN.bmp faces */
    long max_frames;             /* 0 = all frames */
    /* Optional: receives every row in memory (see auface_results_*); set on success and,
     * like the CSV, when frames were processed before a decoding error. NULL otherwise. */
    auface_results **results;
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
    long frames;                 /* frames written to the CSV */
    long frames_succeeded;       /* frames with success = 1 */
    long frames_failed_decode;   /* frames the decoder could not decode (skipped) */
    double seconds;              /* wall-clock time of the job */
    double stage_seconds[AUFACE_STAGE_COUNT]; /* CPU seconds per stage (see auface_stage);
                                 with CLNF landmarks the tracker's time, detection included,
                                 is under AUFACE_STAGE_LANDMARKS */
} auface_summary;

/* Called after each frame; `total` is -1 when the frame count is unknown. Return non-zero
 * to stop early (the frames processed so far are still written). */
typedef int (*auface_progress_fn)(void *user, long frames_done, long total);

/* Processes one input from first to last frame and writes the outputs named by `job`.
 * A frame without a face is written with success = 0. Returns AUFACE_OK when every output
 * was written; on failure no file exists under the output names except when frames
 * were processed before a decoding error, in which case they are written and the
 * status reports the error (AUFACE_ERR_VIDEO for skipped or missing frames,
 * AUFACE_ERR_LANDMARKS when a landmark file and the video disagree). The .hog file is
 * committed before the CSV, so an existing CSV means the job finished. `progress` may be
 * NULL; it is called on the calling thread, in frame order. Threads: with cfg.workers != 1
 * the work runs on worker threads; the call returns when they are done. */
auface_status auface_process_video(auface_pipeline *p, const auface_job *job,
                                   auface_progress_fn progress, void *user,
                                   auface_summary *summary);

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
 * Streaming: frames one by one (camera, your own decoder)
 * ------------------------------------------------------------------------------------
 * Frames given to auface_process_frame form one stream (one person's video) until
 * auface_stream_reset. Without the end of the video, OpenFace's end-of-video
 * post-processing cannot run; intensities are therefore corrected as OpenFace does for a
 * webcam (FaceAnalyser::CorrectOnlineAUs: the 10th percentile of the person's predictions so
 * far is taken as neutral and subtracted; clipped to [0, 5]), and presences are the raw
 * per-frame decisions. Landmarks come from auface's own detector and tracker; the stream is
 * sequential (the pipeline's worker count does not apply). */

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
     * (radians), as OpenFace; zeros without a face. */
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
