"""Builds auface._core for `pip install --no-build-isolation .` by running the project's
own CMake build (the same flags, sources and generated ONNX parser as `cmake --build`),
for the interpreter running pip, and copying the module into the wheel.

Environment: CMAKE_BUILD_PARALLEL_LEVEL (default 2) sets the build's parallel jobs;
AUFACE_CMAKE_ARGS adds arguments to the CMake configure step.
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    """build_ext that delegates the extension to CMake's auface_python_ext target."""

    def build_extension(self, ext):
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
            "-DAUFACE_BUILD_TESTS=OFF", "-DAUFACE_PYTHON=ON",
            f"-DPython3_EXECUTABLE={sys.executable}",
        ] + shlex.split(os.environ.get("AUFACE_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "auface_python_ext",
                        "-j", jobs], check=True)
        built = sorted((build_dir / "python" / "auface").glob("_core*.so"))
        if not built:
            raise RuntimeError("CMake did not build auface._core: are this Python's headers "
                               "(python3-dev) and NumPy installed? See the CMake output above.")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    ext_modules=[Extension("auface._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    # Keep setuptools' scratch out of the CMake build folder `build/` and out of python/.
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
)
