"""Pipeline and Stream: the Python face of the C library's auface_pipeline."""

import errno
import os
import sys
import time

from . import _core
from ._results import Results

_OUTPUT_GROUPS = {"pose": _core.OUT_POSE, "2dfp": _core.OUT_2D, "3dfp": _core.OUT_3D,
                  "pdmparams": _core.OUT_PDM, "aus": _core.OUT_AUS, "gaze": _core.OUT_GAZE}


def _output_bits(outputs):
    """None = every column group; otherwise names from _OUTPUT_GROUPS (as the CLI's flags)."""
    if outputs is None:
        return _core.OUT_ALL
    if isinstance(outputs, str):
        outputs = [outputs]
    bits = 0
    for name in outputs:
        key = name.lower().lstrip("-")
        if key not in _OUTPUT_GROUPS:
            raise ValueError(f"unknown output group {name!r}; choose from "
                             f"{', '.join(_OUTPUT_GROUPS)}")
        bits |= _OUTPUT_GROUPS[key]
    if not bits:
        raise ValueError("outputs must name at least one column group")
    return bits


def _camera(fx, fy, cx, cy):
    """The C configuration's intrinsics: 0 takes OpenFace's default from the frame size; a
    focal length given alone serves for both axes, as the program's --fx."""
    if fy is None:
        fy = fx
    values = dict(fx=fx, fy=fy, cx=cx, cy=cy)
    for name, value in values.items():
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be > 0 pixels (None: the default); got {value!r}")
    return {name: 0.0 if value is None else float(value) for name, value in values.items()}


def _check_files_exist(paths):
    """Explicit model files are checked when the pipeline is made, so a wrong path fails
    there and not at the first video (the C library loads the networks lazily)."""
    for path in paths:
        if path is not None and not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, f"model file not found: {os.fspath(path)}",
                                    os.fspath(path))


class _TerminalProgress:
    """A one-line progress bar on stderr (drawn only when stderr is a terminal)."""

    WIDTH = 30

    def __init__(self, label, stream=None):
        self._stream = stream or sys.stderr
        self._label = label
        self._start = time.monotonic()
        self._drawn = False

    def __call__(self, done, total):
        elapsed = time.monotonic() - self._start
        fps = done / elapsed if elapsed > 0 else 0.0
        if total and total > 0:
            filled = int(self.WIDTH * min(done, total) / total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            eta = (total - done) / fps if fps > 0 else 0.0
            text = f"\r{self._label} [{bar}] {done}/{total} frames  {fps:.1f} frames/s  " \
                   f"ETA {eta:.0f} s "
        else:
            text = f"\r{self._label} {done} frames  {fps:.1f} frames/s "
        self._stream.write(text)
        self._stream.flush()
        self._drawn = True

    def close(self):
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()


def _progress_callback(progress, label):
    """progress=True: a terminal bar (or nothing when stderr is not a terminal); a
    callable: itself; False/None: nothing."""
    if callable(progress):
        return progress
    if progress and sys.stderr.isatty():
        return _TerminalProgress(label)
    return None


class Pipeline:
    """Computes OpenFace 2.2 FeatureExtraction outputs (AUs, pose, landmarks, ...).

    Arguments (all optional):
      models           model folder laid out as auface's models/ (default: $AUFACE_MODELS,
                       ./models, ../shared/models, then the install prefix)
      workers          worker threads; None = all CPUs, 1 = sequential. The results are
                       identical for every value.
      batch_size       frames in flight between decoder and workers (memory bound)
      landmarks        'pfld' (fast, default) or 'clnf' (OpenFace's own tracker)
      detector         None (the one that goes with `landmarks`), 'retinaface', 'yunet',
                       or 'mtcnn' (with clnf)
      detect_interval  run the detector every N frames and when tracking is lost
      au_static        OpenFace's static AU models (-au_static)
    Keyword-only: explicit model files instead of their place in `models`
    (detector_model, pfld_model, pdm_file, triangulation_file, au_models_dir), and
    `outputs`, the CSV column groups ('pose', '2dfp', '3dfp', 'pdmparams', 'aus', 'gaze';
    None = all, as the auface program without column flags), and the camera intrinsics
    fx, fy, cx, cy in pixels (as --fx --fy --cx --cy; None: OpenFace's defaults from the
    frame size; fx alone sets fy too, as the program does); `max_memory_mb`, the bound on
    decoded frames in flight (as --max-memory; None: min(2048, RAM/4)); `max_faces`, the
    faces followed per video (as --max-faces; each with its own face_id and AU history).

    One Pipeline can process many videos one after another; its C pipeline is used by one
    thread at a time (calls from several threads wait for each other). Use one Pipeline per
    thread to run videos in parallel.
    """

    def __init__(self, models=None, workers=None, batch_size=30, landmarks="pfld",
                 detector=None, detect_interval=30, au_static=False, *, detector_model=None,
                 pfld_model=None, pdm_file=None, triangulation_file=None, au_models_dir=None,
                 outputs=None, fx=None, fy=None, cx=None, cy=None, max_memory_mb=None,
                 max_faces=1):
        if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
            raise ValueError(f"workers must be a number >= 1, or None for all CPUs; "
                             f"got {workers!r}")
        _check_files_exist([detector_model, pfld_model, pdm_file, triangulation_file,
                            au_models_dir])
        self._config = dict(
            models_dir=models, workers=0 if workers is None else int(workers),
            batch_size=int(batch_size), landmarks=landmarks, detector=detector,
            detect_interval=int(detect_interval), au_static=bool(au_static),
            outputs=_output_bits(outputs), detector_model_file=detector_model,
            pfld_model_file=pfld_model, pdm_file=pdm_file,
            triangulation_file=triangulation_file, au_models_dir=au_models_dir,
            max_memory_mb=0 if max_memory_mb is None else int(max_memory_mb),
            max_faces=int(max_faces), **_camera(fx, fy, cx, cy))
        self._core = _core.Pipeline(**self._config)

    @property
    def workers(self):
        """Worker threads asked for (0: all CPUs)."""
        return self._config["workers"]

    def process_video(self, video_path, output_csv=None, max_frames=None, progress=False,
                      landmarks_csv=None):
        """Processes a video (or an image, or a folder of images) and returns its Results.

        output_csv     also write the CSV (replacing an existing file, atomically): the same
                       bytes as ``auface --video V --output CSV`` with the same settings
        max_frames     stop after this many frames (None: all)
        progress       True: a progress bar on stderr when it is a terminal; a callable:
                       called as progress(frames_done, total) about ten times a second
                       (total is -1 when unknown)
        landmarks_csv  an OpenFace CSV whose landmarks replace auface's own (replay)

        The work runs with the GIL released. Ctrl-C raises KeyboardInterrupt within a
        tenth of a second and writes nothing.
        """
        if max_frames is not None and int(max_frames) < 0:
            raise ValueError(f"max_frames must be >= 0 (0 or None: all); got {max_frames!r}")
        video_path = os.fspath(video_path)
        callback = _progress_callback(progress, os.path.basename(video_path))
        try:
            core = self._core.process_video(
                video_path, int(max_frames or 0), callback, landmarks_csv,
                None if output_csv is None else os.fspath(output_csv))
        finally:
            if isinstance(callback, _TerminalProgress):
                callback.close()
        return Results(core)

    def process_image(self, image, output_csv=None):
        """Processes one still image as OpenFace's FaceLandmarkImg: every face the detector
        finds, in its order, one row per face (0 rows without a face), static AU models,
        FaceLandmarkImg's columns (``face, confidence, ...``).

        image       a path, or a BGR uint8 array (H x W x 3, e.g. from cv2.imread)
        output_csv  also write the CSV (the bytes of ``auface IMAGE --output CSV``)
        """
        if not hasattr(image, "__array_interface__") and not isinstance(image, memoryview):
            image = os.fspath(image)
        results = Results(self._core.process_image(image))
        if output_csv is not None:
            results.to_csv(output_csv)
        return results

    def stream(self, fps=30.0):
        """A Stream for frames one by one (camera, your own decoder), with its own C
        pipeline (same settings), so it can run beside this pipeline's videos."""
        return Stream(_core.Pipeline(**self._config), fps)


class Stream:
    """Frames one by one, as ``auface_process_frame``: each frame's landmarks, pose, gaze
    and AUs. Intensities are corrected online as OpenFace does for a webcam (no end of video
    to post-process), presences are the per-frame decisions."""

    def __init__(self, core_pipeline, fps=30.0):
        if fps <= 0:
            raise ValueError(f"fps must be > 0; got {fps!r}")
        self._core = core_pipeline
        self._fps = float(fps)
        self._frames = 0

    def process_frame(self, frame, timestamp=None):
        """frame: H x W x 3 uint8 BGR array (as cv2.VideoCapture.read() gives). timestamp:
        seconds (default: frames so far / fps). Returns a dict from the CSV's column names
        (frame, face_id, timestamp, confidence, success, gaze_*, pose_*, x_*, y_*, AU*_r,
        AU*_c) to values."""
        import numpy as np  # with the first frame, not with the package (see _results)

        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"frame must be an H x W x 3 uint8 BGR array; got "
                             f"{frame.dtype} {frame.shape}")
        if frame.strides[1:] != (3, 1):
            frame = np.ascontiguousarray(frame)
        if timestamp is None:
            timestamp = self._frames / self._fps
        row = self._core.process_frame(frame, float(timestamp))
        self._frames += 1
        return row

    def reset(self):
        """Starts a new stream (another person or video): forgets tracking and history."""
        self._core.reset_stream()
        self._frames = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.reset()
        return False
