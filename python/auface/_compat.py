"""The original pyAUface/pyfaceau names, so its Quick Start runs with only the import
changed: ``from auface import ParallelAUPipeline``.

Both classes run auface's C pipeline (the same results for every worker count).
``process_video`` returns a ``Results``, which answers what the original's pandas DataFrame
was used for (``len``, ``shape``, ``columns``, ``results['AU12_r']``, ``to_csv``);
``to_pandas()`` gives a real DataFrame. The CSV is OpenFace's layout (the same bytes as the
auface program), not the original's own layout.
"""

from ._pipeline import Pipeline

# Options of the original's constructors that have no counterpart here (its CoreML, CLNF
# refinement and predictor switches): accepted and ignored, so existing calls still work.
_IGNORED_OPTIONS = frozenset({
    "use_calc_params", "use_coreml", "use_batched_predictor", "mtcnn_backend",
    "patch_expert_file", "use_clnf_refinement", "enforce_clnf_pdm", "use_nnclnf",
    "max_clnf_iterations", "clnf_convergence_threshold", "debug_mode"})


class _OriginalPipeline:
    """Shared by the two original names: explicit model files, `verbose` as a progress
    bar, `track_faces=False` as detection on every frame."""

    def __init__(self, retinaface_model=None, pfld_model=None, pdm_file=None,
                 au_models_dir=None, triangulation_file=None, *, workers, batch_size=30,
                 track_faces=True, verbose=True, models=None, **options):
        unknown = set(options) - _IGNORED_OPTIONS
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword argument(s): "
                            f"{', '.join(sorted(unknown))}")
        self.verbose = verbose
        self.num_workers = workers
        self.batch_size = batch_size
        self._pipeline = Pipeline(
            models=models, workers=workers, batch_size=batch_size,
            detect_interval=30 if track_faces else 1, detector_model=retinaface_model,
            pfld_model=pfld_model, pdm_file=pdm_file, triangulation_file=triangulation_file,
            au_models_dir=au_models_dir)

    def process_video(self, video_path, output_csv=None, max_frames=None):
        """Processes `video_path`; writes `output_csv` when given; returns Results."""
        return self._pipeline.process_video(video_path, output_csv=output_csv,
                                            max_frames=max_frames, progress=self.verbose)


class ParallelAUPipeline(_OriginalPipeline):
    """ParallelAUPipeline(retinaface_model, pfld_model, pdm_file, au_models_dir,
    triangulation_file, num_workers=6, batch_size=30, ...): worker threads in one process
    (the original used worker processes)."""

    def __init__(self, retinaface_model=None, pfld_model=None, pdm_file=None,
                 au_models_dir=None, triangulation_file=None, num_workers=6, batch_size=30,
                 **options):
        super().__init__(retinaface_model, pfld_model, pdm_file, au_models_dir,
                         triangulation_file, workers=num_workers, batch_size=batch_size,
                         **options)


class FullPythonAUPipeline(_OriginalPipeline):
    """FullPythonAUPipeline(retinaface_model, pfld_model, pdm_file, au_models_dir,
    triangulation_file, ...): the sequential pipeline (one worker)."""

    def __init__(self, retinaface_model=None, pfld_model=None, pdm_file=None,
                 au_models_dir=None, triangulation_file=None, **options):
        super().__init__(retinaface_model, pfld_model, pdm_file, au_models_dir,
                         triangulation_file, workers=1, **options)
