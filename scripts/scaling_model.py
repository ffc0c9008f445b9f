#!/usr/bin/env python3
"""Measures auface with 1, 2 and 4 workers on one video and fits the scaling model of
docs/SCALING.md, then predicts the frames/s on a machine with more cores.

    scripts/scaling_model.py --video /tmp/hd.mp4 [--bench build/auface-bench] [--runs 3]
                             [--cores 16] [--models DIR] [--max-frames N]

Model (all times in ms per frame, from the sequential run's stage breakdown):
  R  reader: what the thread that reads frames spends on one (waiting for the decoder and
     converter threads, handing frames over, copying the picture into the frame ring);
  W  worker: detect + landmarks + calcparams + align + hog;
  S  sequencer: predict (AU prediction and the CSV row, in frame order);
  D  decoder CPU: decoding + BGR conversion on one thread (`ffmpeg -benchmark -threads 1
     ... -pix_fmt bgr24 -f null -`), spread over the decoder and converter threads.
  fps(N workers, M cores) = e * min(N / W, 1 / R, 1 / S, M / (D + R + W + S))
The last term shares the cores between everything; e (<= 1) is the efficiency fitted as
the median of measured / ideal over the 2- and 4-worker runs (locks, thread hand-offs,
caches, other load on the machine). Quote medians of several runs: VMs are noisy."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

WORKER_STAGES = ("detect", "landmarks", "calcparams", "align", "hog")


def run_bench(args, workers):
    cmd = [args.bench, "--video", args.video, "--workers", str(workers), "--runs",
           str(args.runs), "--json"]
    if args.models:
        cmd += ["--models", args.models]
    if args.max_frames:
        cmd += ["--max-frames", str(args.max_frames)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def decoder_cpu_ms(video, frames):
    """Decode + BGR conversion CPU per frame on one thread, by the ffmpeg CLI (the same
    libavcodec and swscale); None when ffmpeg is not there."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-benchmark", "-threads", "1", "-i", video]
    if frames:
        cmd += ["-frames:v", str(frames)]
    cmd += ["-an", "-pix_fmt", "bgr24", "-f", "null", "-"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        return None
    m = re.search(r"bench: utime=([0-9.]+)s", res.stderr)
    n = re.findall(r"frame=\s*([0-9]+)", res.stderr)
    if not m or not n or int(n[-1]) == 0:
        return None
    return 1000.0 * float(m.group(1)) / int(n[-1])


def model_fps(n, m, c, e=1.0):
    return e * min(n / c["W"], 1.0 / c["R"], 1.0 / c["S"],
                   m / (c["D"] + c["R"] + c["W"] + c["S"])) * 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--video", required=True)
    ap.add_argument("--bench", default=os.path.join("build", "auface-bench"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cores", type=int, default=16, help="cores of the machine to predict")
    ap.add_argument("--models")
    ap.add_argument("--max-frames", type=int, default=0)
    ap.add_argument("--reader-ms", type=float, default=None,
                    help="reader's own time per frame for the prediction (default: the "
                    "sequential run's decode stage, which also counts waiting for the "
                    "decoder threads and is pessimistic on a busy machine)")
    args = ap.parse_args()

    here = os.cpu_count() or 1
    b2 = run_bench(args, 2)
    b4 = run_bench(args, 4)
    seq_fps = statistics.median(b2["sequential_fps_runs"] + b4["sequential_fps_runs"])
    measured = {1: seq_fps, 2: b2["fps"], 4: b4["fps"]}
    stage = {k: statistics.mean([b2["stage_ms"][k], b4["stage_ms"][k]]) for k in b2["stage_ms"]}
    c = {"R": stage["decode"], "S": stage["predict"],
         "W": sum(stage[k] for k in WORKER_STAGES)}
    d = decoder_cpu_ms(args.video, args.max_frames)
    c["D"] = d if d is not None else 0.0

    ideal = {n: model_fps(n, here, c) for n in measured}
    ratios = [measured[n] / ideal[n] for n in (2, 4) if ideal[n] > 0]
    e = min(1.0, statistics.median(ratios)) if ratios else 1.0

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"video        {args.video} ({b2['frames']} frames)")
    print(f"machine      {here} CPUs, {cpu}")
    print(f"constants    R {c['R']:.3f}  W {c['W']:.3f}  S {c['S']:.3f}  "
          f"D {c['D']:.3f} ms/frame{'' if d is not None else ' (no ffmpeg: D unknown, 0)'}")
    print(f"efficiency   e = {e:.3f}")
    print("workers  measured fps  model fps  speedup(measured)")
    for n in (1, 2, 4):
        print(f"{n:7d}  {measured[n]:12.1f}  {model_fps(n, here, c, e if n > 1 else 1.0):9.1f}"
              f"  {measured[n] / measured[1]:6.2f}")
    m = args.cores
    if args.reader_ms is not None:
        c["R"] = args.reader_ms
        print(f"reader       R = {c['R']:.3f} ms/frame for the prediction (--reader-ms)")
    pred = model_fps(m, m, c, e)
    bounds = {"workers N/W": m / c["W"], "reader 1/R": 1.0 / c["R"],
              "sequencer 1/S": 1.0 / c["S"], "cores M/(D+R+W+S)":
              m / (c["D"] + c["R"] + c["W"] + c["S"])}
    limit = min(bounds, key=bounds.get)
    print(f"predicted    {m} workers on {m} cores: {pred:.0f} frames/s = "
          f"{pred / measured[1]:.1f}x one worker here (bound: {limit})")
    for k, v in bounds.items():
        print(f"  {k:18s} {1000.0 * v:8.0f} frames/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
