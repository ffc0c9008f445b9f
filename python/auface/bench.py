"""Sequential against parallel throughput, as the original's benchmark_parallel.py:

    python3 -m auface.bench --video V --workers N --max-frames M

runs the video once with one worker and once with N, in this process, checks that both give
the same values, and prints frames/s, "Overall FPS" and "Speedup vs sequential". Exit status
1 when the two runs disagree (auface's output must not depend on the worker count).
"""

import argparse
import os
import sys
import time

import numpy as np

from ._pipeline import Pipeline


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python3 -m auface.bench",
                                     description="Sequential vs parallel frames/s.")
    parser.add_argument("--video", required=True, help="input video")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers of the parallel run (default: all CPUs)")
    parser.add_argument("--max-frames", type=int, default=None,
                        help="frames to process (default: all)")
    parser.add_argument("--batch-size", type=int, default=30)
    parser.add_argument("--landmarks", choices=("pfld", "clnf"), default="pfld")
    parser.add_argument("--models", default=None, help="model folder")
    return parser.parse_args(argv)


def _timed_run(args, workers):
    """(results, seconds) of one run; the pipeline is made (models loaded) before timing."""
    pipeline = Pipeline(models=args.models, workers=workers, batch_size=args.batch_size,
                        landmarks=args.landmarks)
    start = time.perf_counter()
    results = pipeline.process_video(args.video, max_frames=args.max_frames)
    return results, time.perf_counter() - start


def main(argv=None):
    args = _parse_args(argv)
    if args.workers < 1:
        print("auface.bench: --workers must be >= 1", file=sys.stderr)
        return 2
    print(f"Video: {args.video}  landmarks: {args.landmarks}  workers: {args.workers}")
    seq, seq_s = _timed_run(args, 1)
    seq_fps = len(seq) / seq_s
    print(f"Sequential (1 worker): {len(seq)} frames in {seq_s:.2f} s = {seq_fps:.1f} FPS")
    par, par_s = _timed_run(args, args.workers)
    par_fps = len(par) / par_s
    print(f"Parallel ({args.workers} workers): {len(par)} frames in {par_s:.2f} s = "
          f"{par_fps:.1f} FPS")
    print(f"Overall FPS: {par_fps:.1f}")
    print(f"Speedup vs sequential: {par_fps / seq_fps:.2f}x")
    same = seq.columns == par.columns and np.array_equal(seq.to_numpy(), par.to_numpy())
    print(f"Identical outputs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
