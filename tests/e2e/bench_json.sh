# auface-bench --json on 60 frames of default.wmv with 2 workers: stdout must be exactly one
# JSON object with the documented keys and sane values, and the sequential and parallel CSVs
# must be byte-identical.
source "$(dirname "$0")/lib.sh"
BENCH="$BUILD/auface-bench"
"$BENCH" --video "$MEDIA/default.wmv" --models "$MODELS" --max-frames 60 --workers 2 --json \
  >"$WORK/bench.json" 2>"$WORK/bench.err" ||
  fail "auface-bench exited with status $?: $(cat "$WORK/bench.err")"
python3 - "$WORK/bench.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
try:
    r = json.loads(text)  # fails on anything but exactly one JSON value
except ValueError as e:
    sys.exit(f"FAIL: stdout is not one JSON object ({e}): {text[:300]!r}")
if not isinstance(r, dict):
    sys.exit(f"FAIL: stdout is JSON but not an object: {text[:300]!r}")
stages = ["decode", "detect", "landmarks", "calcparams", "align", "hog", "predict"]
keys = ["video", "frames", "fps", "sequential_fps", "speedup", "peak_rss_mb", "stage_ms",
        "workers", "identical"]
missing = [k for k in keys if k not in r] + [f"stage_ms.{s}" for s in stages
                                              if s not in r.get("stage_ms", {})]
problems = [f"missing key {k}" for k in missing]
if not problems:
    if r["frames"] != 60: problems.append(f"frames = {r['frames']}, expected 60")
    if r["workers"] != 2: problems.append(f"workers = {r['workers']}, expected 2")
    if r["identical"] is not True: problems.append("identical is not true")
    if not r["video"].endswith("default.wmv"): problems.append(f"video = {r['video']!r}")
    for k in ["fps", "sequential_fps", "speedup", "peak_rss_mb"]:
        if not (isinstance(r[k], (int, float)) and r[k] > 0):
            problems.append(f"{k} = {r[k]!r}, expected a positive number")
    # Memory: models, two decoders and the frames in flight; far below a gigabyte.
    if r["peak_rss_mb"] > 1024: problems.append(f"peak_rss_mb = {r['peak_rss_mb']}")
    # The speedup is fps / sequential_fps, as printed (3 decimals).
    if abs(r["speedup"] - r["fps"] / r["sequential_fps"]) > 0.01:
        problems.append("speedup is not fps / sequential_fps")
    ms = r["stage_ms"]
    for s in stages:
        if not (isinstance(ms[s], (int, float)) and ms[s] >= 0):
            problems.append(f"stage_ms.{s} = {ms[s]!r}")
    # Every frame is decoded and has its AUs predicted; the stages of one frame cannot take
    # longer than the frame did (sequential run: stage times add up to at most wall time).
    for s in ["decode", "predict"]:
        if not ms[s] > 0: problems.append(f"stage_ms.{s} = {ms[s]}, expected > 0")
    if sum(ms.values()) > 1000.0 / r["sequential_fps"] * 1.05:
        problems.append(f"stage_ms sum {sum(ms.values()):.3f} exceeds the time per frame "
                        f"{1000.0 / r['sequential_fps']:.3f} ms")
if problems:
    sys.exit("FAIL: " + "; ".join(problems) + f"\n{text}")
print(f"ok: {r['frames']} frames, {r['sequential_fps']:.1f} fps sequential, "
      f"{r['fps']:.1f} fps with 2 workers, {r['peak_rss_mb']:.0f} MB, identical")
PY

# The human-readable form and the usage errors.
"$BENCH" --video "$MEDIA/default.wmv" --models "$MODELS" --max-frames 10 --workers 2 \
  >"$WORK/table.txt" 2>/dev/null || fail "auface-bench (table) exited with status $?"
for word in frames sequential_fps speedup peak_rss_mb identical decode predict; do
  grep -q "$word" "$WORK/table.txt" || fail "table lacks '$word': $(cat "$WORK/table.txt")"
done
expect_failure "bench without --video" "--video FILE is required" "$BENCH" --json
expect_failure "bench with --workers 0" "--workers" "$BENCH" --video "$MEDIA/default.wmv" --workers 0
expect_failure "bench on a missing video" "no-such-video.mp4" \
  "$BENCH" --video "$WORK/no-such-video.mp4" --models "$MODELS" --json
[ ! -s "$WORK/out.txt" ] || fail "a failed run printed on stdout: $(cat "$WORK/out.txt")"
