# Rows without a face (GAZE_SPEC §7) in a video made here: 12 black frames, 24 frames of
# default.wmv, 12 black frames. CLNF (OpenFace's detector runs on frames 1, 13, 25, ...):
# rows 1–12 are before the first detection, written with zero pose, 3D and eye landmarks
# (OpenFace prints values computed from zero landmarks there) and p_scale 1; rows 13–36 have
# the face (row 13 equals default.wmv's frame 1) and gaze; rows 37–48 fail, with zero gaze
# and the eye parts' last state. PFLD: every row without success has zero gaze and eyes.
# In both modes the printed gaze follows the printed 3D points and pose.
source "$(dirname "$0")/lib.sh"
ffmpeg -loglevel error -f lavfi -i "color=c=black:s=640x480:r=15" -i "$MEDIA/default.wmv" \
  -filter_complex "[0:v]trim=end_frame=12,setpts=PTS-STARTPTS,format=yuv420p,split[b1][b2];
    [1:v]trim=end_frame=24,setpts=PTS-STARTPTS,fps=15,format=yuv420p[f];
    [b1][f][b2]concat=n=3:v=1:a=0[v]" -map "[v]" -c:v ffv1 "$WORK/noface.mkv"
for mode in clnf pfld; do
  "$AUFACE" --video "$WORK/noface.mkv" --models "$MODELS" --quiet --landmarks $mode \
    --output "$WORK/$mode.csv"
  /usr/bin/python3 "$(dirname "$0")/gaze_recompute.py" "$WORK/$mode.csv" \
    || fail "$mode: gaze of the rows"
done
"$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --landmarks clnf \
  --max-frames 1 --output "$WORK/first.csv"
/usr/bin/python3 - "$WORK/clnf.csv" "$WORK/pfld.csv" "$WORK/first.csv" <<'PY' || fail "rows"
import csv, sys
def load(path):
    rows = list(csv.reader(open(path)))
    return [c.strip() for c in rows[0]], [[c.strip() for c in r] for r in rows[1:]]
h, clnf = load(sys.argv[1])
_, pfld = load(sys.argv[2])
_, first = load(sys.argv[3])
assert len(clnf) == len(pfld) == 48, "48 rows each"
gaze = [i for i, n in enumerate(h) if n.startswith("gaze_")]
eyes = [i for i, n in enumerate(h) if n.startswith("eye_lmk_")]
pose = [i for i, n in enumerate(h) if n.startswith("pose_")]
shape3d = [i for i, n in enumerate(h) if n[:2] in ("X_", "Y_", "Z_")]
success, p_scale = h.index("success"), h.index("p_scale")
zero = lambda row, cols: all(float(row[i]) == 0.0 for i in cols)
for k, row in enumerate(clnf):
    frame = k + 1
    if frame <= 12:
        assert row[success] == "0" and zero(row, gaze + eyes + pose + shape3d), frame
        assert row[p_scale] == "1.000", frame
    elif frame <= 36:
        assert row[success] == "1" and not zero(row, gaze) and not zero(row, eyes), frame
    else:
        assert row[success] == "0" and zero(row, gaze) and not zero(row, eyes), frame
last = h.index("p_33") + 1  # the AU columns depend on the rest of the video
assert clnf[12][0] == "13" and clnf[12][3:last] == first[0][3:last], \
    "row 13 differs from default.wmv's frame 1"
for k, row in enumerate(pfld):
    if row[success] == "0":
        assert zero(row, gaze + eyes), "pfld frame %d" % (k + 1)
    else:
        assert not zero(row, gaze), "pfld frame %d" % (k + 1)
print("ok: rows 1-12 zero, 13-36 with gaze, 37-48 failing with zero gaze (CLNF); "
      "%d PFLD rows without success, zero gaze and eyes" % sum(r[success] == "0" for r in pfld))
PY
