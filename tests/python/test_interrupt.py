"""Ctrl-C (SIGINT) stops a long job with KeyboardInterrupt and leaves no file."""

import signal
import subprocess
import sys
import textwrap
import time

from conftest import LONG_AVI, MODELS, python_env

CHILD = textwrap.dedent("""
    import sys, auface
    p = auface.Pipeline(models=sys.argv[1], workers=1)
    started = []
    def progress(done, total):
        if not started:
            started.append(done)
            print("running", flush=True)
    try:
        p.process_video(sys.argv[2], output_csv=sys.argv[3], progress=progress)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    print("finished", flush=True)
""")


def wait_for_line(proc, expected, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.strip() == expected:
            return
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"child never printed {expected!r}: {proc.stderr.read()}")


def test_sigint_raises_keyboard_interrupt_and_writes_nothing(tmp_path):
    out = tmp_path / "long.csv"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(MODELS), str(LONG_AVI),
                             str(out)], env=python_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_line(proc, "running", timeout=30)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        reaction = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 3, (proc.returncode, stdout, stderr)
    assert "interrupted" in stdout and "finished" not in stdout
    assert reaction < 2.0, f"took {reaction:.2f} s to stop"
    assert list(tmp_path.iterdir()) == []  # neither the CSV nor a temporary file


def test_sigint_ends_python_m_auface_without_a_csv(tmp_path):
    out = tmp_path / "long.csv"
    proc = subprocess.Popen([sys.executable, "-m", "auface", "--models", str(MODELS),
                             "--video", str(LONG_AVI), "--output", str(out), "--workers", "1",
                             "--progress-json"], env=python_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()   # the first progress line: the job runs
        assert '"event":"progress"' in line, line + proc.stderr.read()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGINT   # as the C program: ended by the signal
    assert not out.exists()
