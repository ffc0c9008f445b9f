"""The original pyAUface Quick Start, with only the import changed and explicit model paths
from the shared model folder."""

import numpy as np
import pytest

from conftest import DEFAULT_WMV, FRAMES, MODELS

WEIGHTS = dict(
    retinaface_model=str(MODELS / "retinaface" / "retinaface_mobilenet0.25_640.onnx"),
    pfld_model=str(MODELS / "pfld" / "pfld_68.onnx"),
    pdm_file=str(MODELS / "openface" / "AU_predictors" / "In-the-wild_aligned_PDM_68.txt"),
    au_models_dir=str(MODELS / "openface" / "AU_predictors"),
    triangulation_file=str(MODELS / "openface" / "model" / "tris_68_full.txt"),
)


def test_quick_start(tmp_path, monkeypatch):
    # No model folder anywhere: the explicit files must be enough.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUFACE_MODELS", raising=False)
    from auface import ParallelAUPipeline

    # Initialize with 6 workers (adjust based on CPU cores)
    pipeline = ParallelAUPipeline(
        retinaface_model=WEIGHTS["retinaface_model"],
        pfld_model=WEIGHTS["pfld_model"],
        pdm_file=WEIGHTS["pdm_file"],
        au_models_dir=WEIGHTS["au_models_dir"],
        triangulation_file=WEIGHTS["triangulation_file"],
        num_workers=6,  # Number of parallel workers
        batch_size=30   # Frames to process per batch
    )

    # Process video
    results = pipeline.process_video(
        video_path=str(DEFAULT_WMV),
        output_csv='results.csv'
    )

    print(f"Processed {len(results)} frames")
    assert len(results) == 288
    assert (tmp_path / "results.csv").read_bytes().count(b"\n") == 289
    # What the original's DataFrame offered.
    assert results["success"].sum() == 288
    assert results.shape[0] == 288 and "AU12_r" in results.columns


def test_sequential_name_gives_the_same_values(results):
    from auface import FullPythonAUPipeline

    pipeline = FullPythonAUPipeline(**WEIGHTS, verbose=False)
    sequential = pipeline.process_video(str(DEFAULT_WMV), max_frames=FRAMES)
    # Without the model folder there is no eye model, so no gaze columns (as OpenFace
    # without its eye model); every other column is the same, value for value.
    assert set(sequential.columns) <= set(results.columns)
    assert not any(c.startswith("gaze_") for c in sequential.columns)
    np.testing.assert_array_equal(sequential.to_numpy(), results[sequential.columns])


def test_original_options_are_accepted():
    from auface import ParallelAUPipeline

    ParallelAUPipeline(**WEIGHTS, num_workers=2, use_calc_params=True, use_coreml=False,
                       track_faces=False, use_batched_predictor=True, verbose=False)
    with pytest.raises(TypeError, match="no_such_option"):
        ParallelAUPipeline(**WEIGHTS, no_such_option=1)
