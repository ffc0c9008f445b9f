# Still images as OpenFace's FaceLandmarkImg: --images on image_sequence against OpenFace's
# 30 CSVs (all 30 byte-identical), sample1's .hog and CSV and sample2's 3-face CSV byte-identical,
# the same bytes for 1 and 2 workers, --combine, resuming, shards, an
# image without a face (header-only CSV, reported), and folders without --images staying
# FeatureExtraction sequences.
source "$(dirname "$0")/lib.sh"
SEQ="$MEDIA/image_sequence"
run() { "$AUFACE" --models "$MODELS" --landmarks clnf "$@"; }

run --images "$SEQ" --out-dir "$WORK/w1" --workers 1 --quiet
run --images "$SEQ" --out-dir "$WORK/w2" --workers 2 --combine "$WORK/all.csv" 2>"$WORK/log.txt"
grep -q "images/s" "$WORK/log.txt" || fail "no images/s summary: $(tail -3 "$WORK/log.txt")"
diff -r "$WORK/w1" "$WORK/w2" >/dev/null || fail "--workers 2 differs from --workers 1"
echo "ok: 30 images, --workers 2 byte-identical to --workers 1; $(grep images/s "$WORK/log.txt")"

/usr/bin/python3 - "$REF/images/image_sequence" "$WORK/w2" <<'PY' || fail "image_sequence differs from OpenFace"
import os, sys
ref_dir, our_dir = sys.argv[1:3]
names = sorted(os.listdir(ref_dir))
assert names == sorted(os.listdir(our_dir)), "file names differ"
worst = {"lm": 0.0, "au_r": 0.0}
identical = 0
for n in names:
    ref = open(os.path.join(ref_dir, n)).read().splitlines()
    ours = open(os.path.join(our_dir, n)).read().splitlines()
    identical += ref == ours
    assert ref[0] == ours[0], n + ": header differs"
    assert len(ref) == len(ours) == 2, n + ": rows"
    h = ref[0].split(", ")
    r, o = ref[1].split(", "), ours[1].split(", ")
    for i, name in enumerate(h):
        d = abs(float(r[i]) - float(o[i]))
        if name in ("face", "confidence") or name.endswith("_c"):
            assert r[i] == o[i], "%s: %s %s != %s" % (n, name, o[i], r[i])
        elif name[:2] in ("x_", "y_"):
            worst["lm"] = max(worst["lm"], d)
        elif name.endswith("_r"):
            worst["au_r"] = max(worst["au_r"], d)
assert worst["lm"] <= 0.1 + 1e-9 and worst["au_r"] <= 0.1 + 1e-9, worst
assert identical == 30, "only %d of 30 CSVs byte-identical (30 expected)" % identical
print("ok: 30 CSVs: %d byte-identical; headers, faces, confidences, presences equal; "
      "landmarks within %.1f px, intensities within %.2f" % (identical, worst["lm"], worst["au_r"]))
PY

# sample1.jpg: the .hog and the CSV byte-identical to FaceLandmarkImg's.
run --video "$MEDIA/sample1.jpg" --output "$WORK/sample1.csv" --hog "$WORK/sample1.hog" --quiet
cmp "$WORK/sample1.hog" "$REF/sample1/sample1.hog" || fail "sample1.hog differs from OpenFace's"
/usr/bin/python3 - "$WORK/sample1.csv" "$REF/sample1/sample1.csv" <<'PY' || fail "sample1.csv"
import sys
ours, ref = (open(p).read().splitlines() for p in sys.argv[1:3])
assert ours[0] == ref[0] and len(ours) == len(ref) == 2
diff = [i for i, (a, b) in enumerate(zip(ours[1].split(", "), ref[1].split(", "))) if a != b]
print("sample1.csv: %d of %d fields differ" % (len(diff), len(ref[0].split(", "))))
sys.exit(0 if not diff else 1)
PY

# sample2.jpg: three faces, two rejected by the validator, gaze for all (one of them grazes
# its eyeball, which magnifies any ulp of the pose or the pupil): byte-identical.
run --video "$MEDIA/sample2.jpg" --output "$WORK/sample2.csv" --quiet
cmp "$WORK/sample2.csv" "$REF/images/sample2.csv" || fail "sample2.csv differs from OpenFace's"
echo "ok: sample2.csv byte-identical"

# --combine: the image's path first, one row per face, in name order.
[ "$(wc -l < "$WORK/all.csv")" = 31 ] || fail "--combine: $(wc -l < "$WORK/all.csv") lines"
head -1 "$WORK/all.csv" | grep -q "^path, face, confidence, gaze_0_x" || fail "--combine header"
sed -n 2p "$WORK/all.csv" | grep -qF "$SEQ/001.jpg, 0, " || fail "--combine first row"
tail -n +2 "$WORK/w2/001.csv" | cmp - <(sed -n 2p "$WORK/all.csv" | sed "s|^$SEQ/001.jpg, ||") \
  || fail "--combine row differs from the image's CSV"
echo "ok: --combine"

# Resuming: finished images are skipped; removed ones are redone to the same bytes.
cp -r "$WORK/w2" "$WORK/saved"
rm "$WORK/w2/007.csv" "$WORK/w2/021.csv"
run --images "$SEQ" --out-dir "$WORK/w2" --workers 2 2>"$WORK/resume.txt"
[ "$(grep -c ": skipped, " "$WORK/resume.txt")" = 28 ] || fail "resume: $(grep -c ": skipped, " "$WORK/resume.txt") skipped"
diff -r "$WORK/w2" "$WORK/saved" >/dev/null || fail "resumed outputs differ"
echo "ok: resume redoes only the missing images"

# Shards split the images without overlap, to the same bytes.
run --images "$SEQ" --out-dir "$WORK/s0" --shard 0/2 --quiet
run --images "$SEQ" --out-dir "$WORK/s1" --shard 1/2 --quiet
[ "$(ls "$WORK/s0" | wc -l)" = 15 ] && [ "$(ls "$WORK/s1" | wc -l)" = 15 ] || fail "shards"
for f in "$WORK"/s0/*.csv "$WORK"/s1/*.csv; do
  cmp "$f" "$WORK/saved/$(basename "$f")" || fail "shard output $(basename "$f") differs"
done
echo "ok: shards"

# An image without a face: a header-only CSV, reported.
/usr/bin/python3 -c "import cv2, numpy; cv2.imwrite('$WORK/black.png', numpy.zeros((120, 160, 3), numpy.uint8))"
run --video "$WORK/black.png" --out-dir "$WORK/none" --progress-json >"$WORK/json.txt" 2>"$WORK/none.txt"
grep -q "no face" "$WORK/none.txt" || fail "no-face image not reported: $(cat "$WORK/none.txt")"
grep -q '"status":"no_face"' "$WORK/json.txt" || fail "no-face JSON: $(cat "$WORK/json.txt")"
[ "$(wc -l < "$WORK/none/black.csv")" = 1 ] || fail "no-face CSV is not header-only"
echo "ok: no face -> header-only CSV, reported"

# A folder without --images stays a FeatureExtraction sequence.
run --video "$SEQ" --output "$WORK/seq.csv" --quiet --max-frames 2
head -1 "$WORK/seq.csv" | grep -q "^frame, face_id, timestamp" || fail "sequence layout"
[ "$(wc -l < "$WORK/seq.csv")" = 3 ] || fail "sequence rows"
echo "ok: folder without --images is a sequence"
