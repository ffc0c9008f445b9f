"""Results against the auface program's CSV: the same bytes, columns and values."""

import numpy as np
import pandas as pd
import pytest

import auface
from conftest import DEFAULT_WMV, FRAMES


def test_output_csv_is_byte_identical_to_the_cli(pipeline, cli_csv, tmp_path):
    out = tmp_path / "py.csv"
    out.write_text("an older file that must be replaced\n")
    pipeline.process_video(str(DEFAULT_WMV), output_csv=str(out), max_frames=FRAMES)
    assert out.read_bytes() == cli_csv
    assert [p.name for p in tmp_path.iterdir()] == ["py.csv"]  # no temporary left


def test_to_csv_is_byte_identical_to_the_cli(results, cli_csv, tmp_path):
    results.to_csv(tmp_path / "again.csv", index=False)
    assert (tmp_path / "again.csv").read_bytes() == cli_csv


def test_columns_are_the_csv_header(results, cli_csv):
    header = cli_csv.split(b"\n", 1)[0].decode()
    assert results.columns == header.split(", ")
    assert results.shape == (FRAMES, len(results.columns))
    assert len(results) == FRAMES
    assert results.to_numpy().shape == results.shape
    assert "AU12_r" in results and "nope" not in results
    assert list(results) == results.columns


def test_values_match_the_printed_csv(results, cli_csv, tmp_path):
    """Every value rounds to what the CSV prints (half a unit of its last digit)."""
    path = tmp_path / "cli.csv"
    path.write_bytes(cli_csv)
    printed = pd.read_csv(path, skipinitialspace=True).to_numpy(dtype=float)
    decimals = np.array(results._core.decimals, dtype=float)
    tolerance = 0.5 * 10.0 ** -decimals + 1e-9
    assert np.all(np.abs(results.to_numpy() - printed) <= tolerance)


def test_groups_have_their_shapes_and_columns(results):
    n = len(results)
    assert results.aus.shape == (n, 17)
    assert results.presence.shape == (n, 18)
    assert results.landmarks.shape == (n, 68, 2)
    assert results.pose.shape == (n, 6)
    assert results.intensity_columns[0] == "AU01_r" and results.intensity_columns[-1] == "AU45_r"
    assert "AU28_c" in results.presence_columns
    np.testing.assert_array_equal(results.aus[:, 8], results["AU12_r"])
    np.testing.assert_array_equal(results.landmarks[:, 30, 0], results["x_30"])
    np.testing.assert_array_equal(results.landmarks[:, 30, 1], results["y_30"])
    np.testing.assert_array_equal(results.pose[:, 5], results["pose_Rz"])
    assert results.success.dtype == bool and results.success.all()  # a face in every frame
    assert np.all(np.diff(results.timestamp) > 0)
    np.testing.assert_array_equal(results.frame, np.arange(1, n + 1))
    assert np.all((results.aus >= 0) & (results.aus <= 5))
    assert set(np.unique(results.presence)) <= {0.0, 1.0}
    assert results[["AU06_r", "AU12_r"]].shape == (n, 2)


def test_gaze_when_the_columns_are_present(results):
    if "gaze_0_x" in results:
        assert results.gaze.shape == (len(results), 8)
        np.testing.assert_array_equal(results.gaze[:, 7], results["gaze_angle_y"])
    else:
        with pytest.raises(KeyError, match="gaze"):
            results.gaze


def test_arrays_are_read_only_views(results):
    with pytest.raises(ValueError):
        results.to_numpy()[0, 0] = 1.0
    with pytest.raises(KeyError, match="nope"):
        results["nope"]


def test_to_pandas(results):
    df = results.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == results.columns and df.shape == results.shape
    assert df["frame"].dtype == np.int64 and df["success"].dtype == np.int64
    np.testing.assert_array_equal(df["AU12_r"].to_numpy(), results["AU12_r"])
    df.loc[0, "AU12_r"] = 99.0  # the DataFrame is a copy: the results do not change
    assert results["AU12_r"][0] != 99.0


def test_results_outlive_their_pipeline():
    from conftest import MODELS

    r = auface.Pipeline(models=MODELS, workers=1).process_video(DEFAULT_WMV, max_frames=5)
    arr = r.to_numpy()
    del r
    assert arr.shape[0] == 5 and np.isfinite(arr).all()


def test_selected_output_groups(tmp_path):
    """outputs= selects column groups as the CLI's flags: the same bytes as --pose --aus."""
    import subprocess
    from conftest import CLI, MODELS

    r = auface.Pipeline(models=MODELS, workers=1, outputs=["pose", "aus"]).process_video(
        DEFAULT_WMV, output_csv=tmp_path / "py.csv", max_frames=5)
    assert r.columns[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert r.aus.shape == (5, 17) and r.pose.shape == (5, 6)
    with pytest.raises(KeyError, match="2D landmark"):
        r.landmarks
    if CLI.exists():
        subprocess.run([str(CLI), "--models", str(MODELS), "--video", str(DEFAULT_WMV),
                        "--output", str(tmp_path / "cli.csv"), "--max-frames", "5",
                        "--workers", "1", "--pose", "--aus", "--quiet"], check=True)
        assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()


def test_camera_intrinsics_as_the_cli(tmp_path):
    """fx (alone: both focal lengths) moves the pose exactly as the program's --fx."""
    import subprocess
    from conftest import CLI, MODELS

    r = auface.Pipeline(models=MODELS, workers=1, fx=800).process_video(
        DEFAULT_WMV, output_csv=tmp_path / "py.csv", max_frames=3)
    default = auface.Pipeline(models=MODELS, workers=1).process_video(DEFAULT_WMV,
                                                                      max_frames=3)
    assert not np.array_equal(r["pose_Tz"], default["pose_Tz"])
    np.testing.assert_array_equal(np.asarray(r), r.to_numpy())
    if CLI.exists():
        subprocess.run([str(CLI), "--models", str(MODELS), "--video", str(DEFAULT_WMV),
                        "--output", str(tmp_path / "cli.csv"), "--max-frames", "3",
                        "--workers", "1", "--fx", "800", "--quiet"], check=True)
        assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()


def test_writing_the_csv_does_not_import_numpy(tmp_path):
    """A one-shot script pays no NumPy import (the package's start-up cost over the CLI)."""
    from conftest import MODELS, run_python

    code = ("import sys, auface; "
            f"auface.Pipeline(models={str(MODELS)!r}, workers=1).process_video("
            f"{str(DEFAULT_WMV)!r}, output_csv={str(tmp_path / 'x.csv')!r}, max_frames=2); "
            "print('numpy' in sys.modules)")
    r = run_python(["-c", code])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
    assert (tmp_path / "x.csv").exists()
