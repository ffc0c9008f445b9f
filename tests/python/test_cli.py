"""python3 -m auface is the auface program; python3 -m auface.bench benchmarks."""

import subprocess

import pytest

from conftest import CLI, DEFAULT_WMV, FRAMES, MODELS, WORKERS, run_python


def test_python_m_auface_writes_the_programs_bytes(cli_csv, tmp_path):
    out = tmp_path / "m.csv"
    r = run_python(["-m", "auface", "--models", str(MODELS), "--video", str(DEFAULT_WMV),
                    "--output", str(out), "--max-frames", str(FRAMES), "--workers",
                    str(WORKERS)])
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == cli_csv
    assert f"{FRAMES} frames" in r.stderr


def test_the_originals_module_name_runs_the_same_program(cli_csv, tmp_path):
    out = tmp_path / "p.csv"
    r = run_python(["-m", "auface.parallel_pipeline", "--models", str(MODELS), "--video",
                    str(DEFAULT_WMV), "--output", str(out), "--max-frames", str(FRAMES),
                    "--workers", str(WORKERS), "--quiet"])
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == cli_csv


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["--bogus"], ["--workers", "x"],
                                  ["--video"]])
def test_same_messages_and_exit_status_as_the_program(args):
    if not CLI.exists():
        pytest.skip("the auface program is not built")
    native = subprocess.run([str(CLI), *args], capture_output=True, text=True)
    ours = run_python(["-m", "auface", *args])
    assert (ours.returncode, ours.stdout, ours.stderr) == \
           (native.returncode, native.stdout, native.stderr)


def test_missing_input_fails_with_status_1(tmp_path):
    r = run_python(["-m", "auface", "--models", str(MODELS), "--video",
                    str(tmp_path / "none.avi"), "--output", str(tmp_path / "o.csv")])
    assert r.returncode == 1 and "none.avi" in r.stderr
    assert not (tmp_path / "o.csv").exists()


def test_bench_prints_the_originals_figures():
    r = run_python(["-m", "auface.bench", "--video", str(DEFAULT_WMV), "--workers", "2",
                    "--max-frames", "40", "--models", str(MODELS)])
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("Sequential (1 worker): 40 frames") for line in lines)
    assert any(line.startswith("Parallel (2 workers): 40 frames") for line in lines)
    overall = [l for l in lines if l.startswith("Overall FPS: ")]
    speedup = [l for l in lines if l.startswith("Speedup vs sequential: ")]
    assert overall and float(overall[0].split()[-1]) > 0
    assert speedup and speedup[0].endswith("x")
    assert "Identical outputs: yes" in lines
