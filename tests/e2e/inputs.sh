# Inputs other than one face on video: a still image, a folder of images, a video with
# several faces, a video without any face, and a corrupt network file.
source "$(dirname "$0")/lib.sh"
run() { "$AUFACE" --models "$MODELS" --quiet "$@"; }
rows() { echo $(($(wc -l < "$1") - 1)); }
successes() { awk -F', *' 'NR > 1 { s += $5 } END { print s + 0 }' "$1"; }

# A single image is FaceLandmarkImg's mode (tests/e2e/images.sh): one row per face, in
# its layout (face, confidence, ...).
run --video "$MEDIA/sample1.jpg" --output "$WORK/sample1.csv"
[ "$(rows "$WORK/sample1.csv")" -eq 1 ] && head -1 "$WORK/sample1.csv" | grep -q "^face, confidence," \
  || fail "sample1.jpg: expected one face row: $(cat "$WORK/sample1.csv" | head -c 300)"
echo "ok: sample1.jpg gives one face row"

run --video "$MEDIA/image_sequence" --output "$WORK/sequence.csv"
[ "$(rows "$WORK/sequence.csv")" -eq 30 ] || fail "image_sequence: $(rows "$WORK/sequence.csv") rows"
[ "$(successes "$WORK/sequence.csv")" -ge 29 ] || fail "image_sequence: faces on only $(successes "$WORK/sequence.csv") frames"
echo "ok: image_sequence gives 30 rows, $(successes "$WORK/sequence.csv") with a face"

run --video "$MEDIA/multi_face.avi" --output "$WORK/multi.csv" --max-frames 200
[ "$(rows "$WORK/multi.csv")" -eq 200 ] || fail "multi_face.avi: $(rows "$WORK/multi.csv") rows"
echo "ok: multi_face.avi runs through ($(successes "$WORK/multi.csv") of 200 frames with a face)"

# A video without a face: every row is written, with success 0.
ffmpeg -loglevel error -f lavfi -i "testsrc=size=320x240:rate=10" -frames:v 20 \
  -pix_fmt yuv420p "$WORK/noface.mp4"
run --video "$WORK/noface.mp4" --output "$WORK/noface.csv" 2>"$WORK/noface.err"
grep -q "no face was found in any frame" "$WORK/noface.err" \
  || fail "no-face video: no warning on stderr: $(cat "$WORK/noface.err")"
[ "$(rows "$WORK/noface.csv")" -eq 20 ] && [ "$(successes "$WORK/noface.csv")" -eq 0 ] \
  || fail "no-face video: $(rows "$WORK/noface.csv") rows, $(successes "$WORK/noface.csv") successes"
echo "ok: a video without a face gives 20 rows with success 0"

# A truncated network file is named in the error.
mkdir -p "$WORK/models"
cp -r "$MODELS/openface" "$MODELS/pfld" "$WORK/models/"
mkdir -p "$WORK/models/retinaface"
head -c 100000 "$MODELS/retinaface/retinaface_mobilenet0.25_640.onnx" \
  > "$WORK/models/retinaface/retinaface_mobilenet0.25_640.onnx"
expect_failure "truncated RetinaFace model" "retinaface_mobilenet0.25_640.onnx" \
  "$AUFACE" --models "$WORK/models" --video "$MEDIA/default.wmv" --output "$WORK/x.csv"
[ ! -e "$WORK/x.csv" ] || fail "a corrupt model left an output file"
echo "inputs: all cases passed"
