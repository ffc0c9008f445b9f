# Camera intrinsics (-fx -fy -cx -cy, also --fx ...) as OpenFace uses them (GAZE_SPEC §1,
# PIPELINE_SPEC §13), on 30 frames of default.wmv (640x480: default fx = fy = 500,
# cx = 320, cy = 240) with --landmarks clnf: giving the defaults changes nothing; doubling
# the focal length leaves the 2D landmarks alone, doubles the depth (pose_Tz, Z_i = fx/s +
# rotated depth) and moves the gaze, which still follows the printed 3D points and pose;
# moving cx by 10 px moves each X_i by −10·Z_i/fx; OpenFace's spelling gives the same bytes;
# --fx alone sets both focal lengths; a non-positive value is a usage error.
source "$(dirname "$0")/lib.sh"
run() { "$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --landmarks clnf \
  --max-frames 30 "$@"; }
run --output "$WORK/default.csv"
run --fx 500 --fy 500 --cx 320 --cy 240 --output "$WORK/same.csv"
cmp "$WORK/default.csv" "$WORK/same.csv" || fail "the default intrinsics given explicitly differ"
run --fx 1000 --fy 1000 --output "$WORK/fx1000.csv"
run -fx 1000 -fy 1000 --output "$WORK/fx1000_of.csv"
run --fx 1000 --output "$WORK/fx1000_alone.csv"
run --cx 330 --output "$WORK/cx330.csv"
cmp "$WORK/fx1000.csv" "$WORK/fx1000_of.csv" || fail "-fx/-fy differ from --fx/--fy"
cmp "$WORK/fx1000.csv" "$WORK/fx1000_alone.csv" || fail "--fx alone does not set fy"
/usr/bin/python3 "$(dirname "$0")/gaze_recompute.py" "$WORK/fx1000.csv" || fail "fx 1000 gaze"
/usr/bin/python3 - "$WORK/default.csv" "$WORK/fx1000.csv" "$WORK/cx330.csv" <<'PY' || fail "intrinsics"
import csv, sys
def load(path):
    rows = list(csv.reader(open(path)))
    h = [c.strip() for c in rows[0]]
    return [{n: float(v) for n, v in zip(h, r)} for r in rows[1:]]
base, fx2, cx = (load(p) for p in sys.argv[1:4])
gaze_moved = 0.0
for b, f, c in zip(base, fx2, cx):
    assert all(b["x_%d" % i] == f["x_%d" % i] for i in range(68)), "2D landmarks moved"
    ratio = f["pose_Tz"] / b["pose_Tz"]
    assert 1.97 < ratio < 2.03, "pose_Tz ratio %.4f" % ratio
    for i in range(68):
        expect = b["Z_%d" % i] + (1000 - 500) / b["p_scale"]
        # p_scale has 3 decimals (500/s within 0.2), Z one
        assert abs(f["Z_%d" % i] - expect) < 0.3, "Z_%d: %.1f, expected %.1f" % (
            i, f["Z_%d" % i], expect)
        shift = -10 * b["Z_%d" % i] / 500
        assert abs(c["X_%d" % i] - b["X_%d" % i] - shift) < 0.11, "X_%d after cx 330" % i
    gaze_moved += sum(abs(f[n] - b[n]) for n in ("gaze_0_x", "gaze_0_y", "gaze_1_x", "gaze_1_y"))
assert gaze_moved / (4 * len(base)) > 1e-3, "gaze did not move with the focal length"
print("ok: fx 1000 doubles pose_Tz and shifts Z by 500/s; cx 330 shifts X by -Z/50; gaze moves"
      " by %.4f on average" % (gaze_moved / (4 * len(base))))
PY
expect_failure "negative focal length" "positive number" \
  "$AUFACE" --video "$MEDIA/default.wmv" --fx -5 --output "$WORK/x.csv"
echo "gaze_camera: all cases passed"
