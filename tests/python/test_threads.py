"""The GIL is released while a video is processed, and progress is reported."""

import threading
import time

import auface
from conftest import DEFAULT_WMV, MODELS


def count_for(seconds):
    """Iterations of a pure-Python loop in `seconds` (this thread alone)."""
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        n += 1
    return n


def test_another_thread_runs_during_process_video():
    # One worker: the C job takes one core and leaves the other to the Python thread.
    pipeline = auface.Pipeline(models=MODELS, workers=1)
    pipeline.process_video(DEFAULT_WMV, max_frames=2)   # loads the networks
    alone_rate = count_for(0.2) / 0.2

    counter = {"n": 0}
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter["n"] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        time.sleep(0.05)
        start_n, start_t = counter["n"], time.perf_counter()
        pipeline.process_video(DEFAULT_WMV, max_frames=60)
        during_n, during_t = counter["n"] - start_n, time.perf_counter() - start_t
    finally:
        stop.set()
        thread.join()
    # With the GIL held through the job the other thread would barely move; released, it
    # runs at a good fraction of its speed alone (Event.is_set() makes it slower anyway).
    assert during_t > 0.1
    assert during_n / during_t > 0.1 * alone_rate, (during_n / during_t, alone_rate)


def test_two_pipelines_in_two_threads_give_the_same_results(results):
    out = {}

    def run(key):
        p = auface.Pipeline(models=MODELS, workers=1)
        out[key] = p.process_video(DEFAULT_WMV, max_frames=len(results)).to_numpy()

    threads = [threading.Thread(target=run, args=(k,)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (out["a"] == results.to_numpy()).all() and (out["b"] == out["a"]).all()


def test_progress_callable_gets_frames_done_and_total(pipeline):
    calls = []
    r = pipeline.process_video(DEFAULT_WMV, max_frames=40,
                               progress=lambda done, total: calls.append((done, total)))
    assert calls, "the progress callable was never called"
    assert calls[-1] == (len(r), len(r))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_an_exception_in_the_progress_callable_stops_the_job(pipeline, tmp_path):
    def fail(done, total):
        raise RuntimeError("stop here")

    out = tmp_path / "x.csv"
    try:
        pipeline.process_video(DEFAULT_WMV, output_csv=out, progress=fail)
    except RuntimeError as e:
        assert str(e) == "stop here"
    else:
        raise AssertionError("the callable's exception was not raised")
    assert not out.exists()


def test_the_pipeline_refuses_a_call_from_its_own_progress_callable(pipeline):
    errors = []

    def reenter(done, total):
        try:
            pipeline.process_video(DEFAULT_WMV, max_frames=1)
        except RuntimeError as e:
            errors.append(str(e))

    pipeline.process_video(DEFAULT_WMV, max_frames=5, progress=reenter)
    assert errors and "busy" in errors[0]
