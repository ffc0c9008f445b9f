"""Python's cost over the auface program (not a test: run by hand, numbers in the README).

    /usr/bin/python3 tests/python/measure/overhead.py [BUILD_DIR] [REPEATS] [WORKERS]

Runs the same job alternately as the program (`auface --video V --output CSV`) and from
Python (`python3 -c "import auface; auface.Pipeline(...).process_video(V, output_csv=CSV)"`,
interpreter start and import included) and prints the median wall and CPU (user + sys)
times of the child processes, their ratio, and whether the two CSVs are the same bytes.
CPU time is the steadier figure on a shared machine.
"""

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
VIDEO = SHARED / "media" / "2015-10-15-15-14.avi"
MODELS = SHARED / "models"


def run(cmd, env):
    """(wall seconds, CPU seconds) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build").resolve()
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    cli_csv, py_csv = Path("/tmp/auface_overhead_cli.csv"), Path("/tmp/auface_overhead_py.csv")
    commands = {
        "cli": [str(build / "auface"), "--models", str(MODELS), "--video", str(VIDEO),
                "--output", str(cli_csv), "--workers", str(workers), "--overwrite", "--quiet"],
        "python": [sys.executable, "-c",
                   f"import auface; auface.Pipeline(models={str(MODELS)!r}, "
                   f"workers={workers}).process_video({str(VIDEO)!r}, "
                   f"output_csv={str(py_csv)!r})"],
    }
    env = {"PYTHONPATH": str(build / "python"), "PATH": "/usr/bin:/bin"}
    times = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            times[name].append(run(cmd, env))
    for name, runs in times.items():
        walls, cpus = [round(w, 2) for w, _ in runs], [round(c, 2) for _, c in runs]
        print(f"{name:7s} wall {walls}  cpu {cpus}")
    for i, what in enumerate(("wall", "cpu")):
        c = statistics.median(r[i] for r in times["cli"])
        p = statistics.median(r[i] for r in times["python"])
        print(f"median {what}: cli {c:.2f} s, python {p:.2f} s, python/cli {p / c:.3f}")
    print("same bytes:", cli_csv.read_bytes() == py_csv.read_bytes())


if __name__ == "__main__":
    main()
