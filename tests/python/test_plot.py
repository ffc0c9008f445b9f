"""AU plots: real PNG files, from Results and from any auface or OpenFace CSV."""

import struct

import numpy as np
import pytest

from conftest import OPENFACE_CSV, run_python

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_results_plot_writes_a_png(results, tmp_path):
    out = tmp_path / "aus.png"
    fig = results.plot(out, aus=["AU06_r", "AU12_r"])
    width, height = png_size(out)
    assert width >= 800 and height >= 150
    assert out.stat().st_size > 10_000
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylim() == (0.0, 5.0)


def test_frames_without_a_face_are_gaps(results):
    from auface.plot import plot_aus

    success = results.success.copy()
    success[10:20] = False
    fig = plot_aus(results.timestamp, success, ["AU12_r"], results["AU12_r"][:, None])
    y = fig.axes[0].lines[0].get_ydata()
    assert np.isnan(y[10:20]).all() and not np.isnan(y[:10]).any()


def test_plot_command_on_an_auface_csv(results, tmp_path):
    csv = tmp_path / "r.csv"
    results.to_csv(csv)
    out = tmp_path / "all.png"
    r = run_python(["-m", "auface.plot", str(csv), "-o", str(out)])
    assert r.returncode == 0, r.stderr
    width, height = png_size(out)
    assert height > 1000  # 17 panels


def test_plot_command_on_an_openface_csv(tmp_path):
    if not OPENFACE_CSV.exists():
        pytest.skip("no OpenFace reference CSV")
    out = tmp_path / "of.png"
    r = run_python(["-m", "auface.plot", str(OPENFACE_CSV), "-o", str(out), "--aus",
                    "AU06_r,AU12_r"])
    assert r.returncode == 0, r.stderr
    png_size(out)
    assert out.stat().st_size > 10_000


def test_plot_command_names_a_missing_column(results, tmp_path):
    csv = tmp_path / "r.csv"
    results.to_csv(csv)
    r = run_python(["-m", "auface.plot", str(csv), "-o", str(tmp_path / "x.png"), "--aus",
                    "AU99_r"])
    assert r.returncode == 1 and "AU99_r" in r.stderr
    assert not (tmp_path / "x.png").exists()
