"""Errors are exceptions carrying the C library's message."""

import pytest

import auface
from conftest import DEFAULT_WMV, MODELS


def test_missing_video_is_file_not_found(pipeline, tmp_path):
    missing = tmp_path / "no_such_video.mp4"
    with pytest.raises(FileNotFoundError) as e:
        pipeline.process_video(missing, output_csv=tmp_path / "out.csv")
    assert "no_such_video.mp4" in str(e.value) and "cannot open" in str(e.value)
    assert e.value.filename == str(missing)
    assert not (tmp_path / "out.csv").exists()


def test_missing_model_folder_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="main_dynamic_svms.txt"):
        auface.Pipeline(models=tmp_path / "nowhere")


def test_missing_model_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="pfld_missing.onnx"):
        auface.Pipeline(models=MODELS, pfld_model=tmp_path / "pfld_missing.onnx")
    with pytest.raises(FileNotFoundError):
        auface.Pipeline(models=MODELS, au_models_dir=tmp_path)  # no AU models in it


@pytest.mark.parametrize("kwargs, text", [
    (dict(workers=0), "workers"),
    (dict(workers=-3), "workers"),
    (dict(batch_size=0), "batch_size 0"),
    (dict(detect_interval=0), "detect_interval 0"),
    (dict(landmarks="dlib"), "landmarks"),
    (dict(detector="haar"), "detector"),
    (dict(outputs=["colour"]), "output group"),
    (dict(fx=-500), "fx"),
])
def test_bad_arguments_are_value_errors(kwargs, text):
    with pytest.raises(ValueError, match=text):
        auface.Pipeline(models=MODELS, **kwargs)


def test_negative_max_frames_is_a_value_error(pipeline):
    with pytest.raises(ValueError, match="max_frames"):
        pipeline.process_video(DEFAULT_WMV, max_frames=-1)


def test_other_failures_are_auface_errors_with_the_status():
    with pytest.raises(auface.Error, match="MTCNN") as e:
        auface.Pipeline(models=MODELS, landmarks="pfld", detector="mtcnn")
    assert e.value.status == "AUFACE_ERR_UNSUPPORTED"


def test_unreadable_video_is_an_auface_error(pipeline, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    with pytest.raises(auface.Error) as e:
        pipeline.process_video(broken)
    assert "broken.mp4" in str(e.value)
    assert e.value.status.startswith("AUFACE_ERR_")


def test_write_failure_is_an_auface_error(results, tmp_path):
    with pytest.raises(auface.Error, match="no_dir"):
        results.to_csv(tmp_path / "no_dir" / "x.csv")


def test_a_failed_argument_parse_releases_each_path_once():
    """The C constructor's path arguments are released exactly once when a later argument
    is rejected (a double release would corrupt the interpreter's reference counts)."""
    import sys

    held = b"/some/model/dir"

    class Path:
        def __fspath__(self):
            return held

    before = sys.getrefcount(held)
    for _ in range(3):
        with pytest.raises(TypeError):
            auface._core.Pipeline(models_dir=Path(), pfld_model_file=Path(), fx="wide")
    assert sys.getrefcount(held) == before
