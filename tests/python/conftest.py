"""Shared fixtures of the Python package's tests.

Run by ctest as `python.pytest` (cmake/python.cmake), which sets PYTHONPATH to the built
package and AUFACE_SHARED_DIR, AUFACE_CLI (the auface program) and AUFACE_BUILD_DIR. By hand:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest tests/python
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import auface

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("AUFACE_SHARED_DIR", REPO.parent / "shared")).resolve()
MODELS = SHARED / "models"
MEDIA = SHARED / "media"
DEFAULT_WMV = MEDIA / "default.wmv"          # 288 frames, 640x480
LONG_AVI = MEDIA / "2015-10-15-15-14.avi"    # 842 frames, 640x480
OPENFACE_CSV = SHARED / "reference" / "openface-2.2" / "default" / "default.csv"
BUILD = Path(os.environ.get("AUFACE_BUILD_DIR", REPO / "build")).resolve()
CLI = Path(os.environ.get("AUFACE_CLI", BUILD / "auface"))

# The frames most tests process: enough for tracking and re-detection, fast to run.
FRAMES = 60
WORKERS = 2


def python_env():
    """Environment for a child Python that imports the package under test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(auface.__file__).parent.parent),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["MPLBACKEND"] = "Agg"
    return env


def run_python(args, **kwargs):
    """Runs /usr/bin/python3 (this interpreter) with `args` and the package importable."""
    return subprocess.run([sys.executable, *args], env=python_env(), capture_output=True,
                          text=True, **kwargs)


@pytest.fixture(scope="session")
def pipeline():
    return auface.Pipeline(models=MODELS, workers=WORKERS)


@pytest.fixture(scope="session")
def results(pipeline):
    """default.wmv's first FRAMES frames with WORKERS workers."""
    return pipeline.process_video(DEFAULT_WMV, max_frames=FRAMES)


@pytest.fixture(scope="session")
def cli_csv(tmp_path_factory):
    """The auface program's CSV for the same input and settings as `results`."""
    if not CLI.exists():
        pytest.skip(f"the auface program is not built ({CLI})")
    out = tmp_path_factory.mktemp("cli") / "default.csv"
    subprocess.run([str(CLI), "--models", str(MODELS), "--video", str(DEFAULT_WMV),
                    "--output", str(out), "--max-frames", str(FRAMES), "--workers",
                    str(WORKERS), "--quiet"], check=True)
    return out.read_bytes()
