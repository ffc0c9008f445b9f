"""`cmake --install` puts an importable package under the prefix."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILD, DEFAULT_WMV, MODELS


def test_cmake_install_gives_an_importable_package(tmp_path):
    if not (BUILD / "CMakeCache.txt").exists() or not shutil.which("cmake"):
        pytest.skip(f"no CMake build folder at {BUILD}")
    prefix = tmp_path / "prefix"
    r = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(prefix)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    inits = list(prefix.glob("lib/python3*/*-packages/auface/__init__.py"))
    assert len(inits) == 1, list(prefix.rglob("auface"))
    site = inits[0].parent.parent
    assert list((site / "auface").glob("_core*.so"))
    code = ("import auface, sys; "
            f"r = auface.Pipeline(models={str(MODELS)!r}, workers=1)"
            f".process_video({str(DEFAULT_WMV)!r}, max_frames=3); "
            "print(auface.__file__, len(r))")
    # From an unrelated folder, with only the installed package on the path.
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    path, frames = r.stdout.split()
    assert Path(path).is_relative_to(site) and frames == "3"
