# Gaze and eye landmarks (OpenFace's 714-column CSV, GAZE_SPEC.md) on default.wmv against
# OpenFace 2.2: the header is OpenFace's byte for byte; --landmarks clnf (the tracker's own
# eye parts) within 0.1 px mean on the 56 eye landmarks and 0.005 mean on gaze vectors and
# angles; PFLD (eye parts fitted from PFLD's points on the workers) agrees in direction
# (r of the angles) and is byte-identical for 1 and 2 workers; replay uses a file's eye
# landmarks when it has them and fits the eye parts otherwise; --gaze alone writes
# OpenFace's -gaze columns.
source "$(dirname "$0")/lib.sh"
OF="$REF/default/default.csv"
gaze_compare() { /usr/bin/python3 "$(dirname "$0")/gaze_compare.py" "$@"; }
run() { "$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet "$@"; }

run --landmarks clnf --workers 2 --output "$WORK/clnf.csv"
[ "$(head -1 "$WORK/clnf.csv")" = "$(head -1 "$OF")" ] || fail "header differs from OpenFace's"
[ "$(head -1 "$WORK/clnf.csv" | tr ',' '\n' | wc -l)" -eq 714 ] || fail "not 714 columns"
echo "ok: header identical to OpenFace's (714 columns)"
gaze_compare "$WORK/clnf.csv" "$OF" --max-eye-px 0.1 --max-gaze 0.005 || fail "CLNF gaze"
echo "ok: CLNF eye landmarks and gaze within the issue's targets"

run --workers 1 --output "$WORK/pfld1.csv"
run --workers 2 --output "$WORK/pfld2.csv"
cmp "$WORK/pfld1.csv" "$WORK/pfld2.csv" || fail "PFLD gaze differs between 1 and 2 workers"
[ "$(head -1 "$WORK/pfld1.csv")" = "$(head -1 "$OF")" ] || fail "PFLD header differs"
gaze_compare "$WORK/pfld1.csv" "$OF" --min-r-x 0.93 --min-r-y 0.75 --max-deg-x 5.5 \
  --max-deg-y 2.5 || fail "PFLD gaze"
echo "ok: PFLD gaze agrees with OpenFace's; 1 and 2 workers byte-identical"

run --landmarks-from "$OF" --output "$WORK/replay.csv"
gaze_compare "$WORK/replay.csv" "$OF" --max-eye-px 0.00001 --max-gaze 0.005 \
  || fail "replay with eye columns"
run --landmarks-from "$REF/default/default_landmarks.csv" --output "$WORK/replay68.csv"
gaze_compare "$WORK/replay68.csv" "$OF" --max-eye-px 0.5 --max-gaze 0.03 \
  || fail "replay without eye columns"
echo "ok: replay takes the file's eye landmarks, or fits them from its 68 points"

# OpenFace's -gaze alone: frame..success and the gaze block, the values of the full file.
run --landmarks clnf -gaze --output "$WORK/gaze_only.csv"
[ "$(head -1 "$WORK/gaze_only.csv")" = "$(head -1 "$OF" | cut -d, -f1-293)" ] \
  || fail "--gaze header: $(head -1 "$WORK/gaze_only.csv" | head -c 200)"
cut -d, -f1-293 "$WORK/clnf.csv" | tr -d ' ' > "$WORK/a.txt"
tr -d ' ' < "$WORK/gaze_only.csv" > "$WORK/b.txt"
cmp "$WORK/a.txt" "$WORK/b.txt" || fail "--gaze values differ from the full file's"
echo "ok: --gaze writes OpenFace's gaze columns alone"
