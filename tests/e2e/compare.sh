# auface-compare, the judge of the other end-to-end tests, fails closed: OpenFace's own
# output passes against itself with every threshold at its strictest (gaze and eye
# landmarks included), and fails when perturbed or when anything cannot be compared.
source "$(dirname "$0")/lib.sh"
CSV="$REF/default/default.csv"; HOG="$REF/default/default.hog"

# expect_compare STATUS "description" args...: auface-compare must exit with STATUS.
expect_compare() {
  local want=$1 what=$2; shift 2
  local rc=0
  "$COMPARE" "$@" >"$WORK/out.txt" 2>&1 || rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit status $rc, expected $want: $(tail -5 "$WORK/out.txt")"
  echo "ok: $what (exit $rc)"
}
# column_of NAME: the 1-based index of a column of the reference CSV.
column_of() { head -1 "$CSV" | tr ',' '\n' | sed 's/^ *//' | grep -nx "$1" | cut -d: -f1; }
# perturb COLUMN DELTA OUT: the reference with DELTA added to COLUMN on data row 10.
perturb() {
  awk -F, -v OFS=, -v c="$(column_of "$1")" -v d="$2" 'NR == 11 { $c = $c + d } { print }' \
    "$CSV" > "$3"
}

STRICT=(--min-r 1 --max-mae 0 --min-agree 1 --min-mean-r 1 --min-success 1
        --max-landmark-px 0 --max-gaze-diff 0 --max-eye-px 0)
expect_compare 0 "reference against itself, strictest thresholds" "$CSV" "$CSV" "${STRICT[@]}" \
  --hog "$HOG" "$HOG" --min-hog-frames 1
grep -q "gaze direction: mean angle 0.0000 deg" "$WORK/out.txt" || fail "no gaze report: $(cat "$WORK/out.txt")"
grep -q "eye landmarks: mean distance 0.0000 px" "$WORK/out.txt" || fail "no eye landmark report"
grep -q "gaze gaze_angle_x" "$WORK/out.txt" || fail "no per-column gaze report"

perturb gaze_0_x 0.2 "$WORK/gaze.csv"
expect_compare 1 "perturbed gaze vector" "$WORK/gaze.csv" "$CSV" --max-gaze-diff 0.01
expect_compare 0 "perturbed gaze vector within a loose bound" "$WORK/gaze.csv" "$CSV" --max-gaze-diff 5
perturb eye_lmk_x_3 30 "$WORK/eye.csv"
expect_compare 1 "perturbed eye landmark" "$WORK/eye.csv" "$CSV" --max-eye-px 0.0001
perturb x_5 30 "$WORK/lm.csv"
expect_compare 1 "perturbed face landmark" "$WORK/lm.csv" "$CSV" --max-landmark-px 0.0001
perturb AU12_r 3 "$WORK/au.csv"
expect_compare 1 "perturbed AU intensity" "$WORK/au.csv" "$CSV" --max-mae 0.001

# Columns that cannot be compared fail, thresholds or not.
cut -d, -f1-4,6- "$CSV" > "$WORK/nosuccess.csv"
expect_compare 1 "success column missing" "$WORK/nosuccess.csv" "$CSV"
first_x=$(column_of x_0)
cut -d, -f1-$((first_x - 1)),$((first_x + 136))- "$CSV" > "$WORK/nolandmarks.csv"
expect_compare 1 "2D landmark columns missing" "$WORK/nolandmarks.csv" "$CSV"
cut -d, -f1-5,14- "$CSV" > "$WORK/nogaze.csv"
expect_compare 0 "gaze columns absent, no gaze threshold" "$WORK/nogaze.csv" "$CSV"
expect_compare 1 "gaze columns absent, gaze threshold given" "$WORK/nogaze.csv" "$CSV" --max-gaze-diff 1

# Different row counts, HOG record counts, fields and thresholds that are not numbers.
head -n 200 "$CSV" > "$WORK/short.csv"
expect_compare 1 "fewer rows" "$WORK/short.csv" "$CSV"
head -c $((17872 * 100)) "$HOG" > "$WORK/short.hog"
expect_compare 1 "fewer HOG records" "$CSV" "$CSV" --hog "$WORK/short.hog" "$HOG"
expect_compare 1 "more HOG records" "$CSV" "$CSV" --hog "$HOG" "$WORK/short.hog"
sed '5s/^\([^,]*\),/\1x,/' "$CSV" > "$WORK/text.csv"
expect_compare 2 "a field that is not a number" "$WORK/text.csv" "$CSV"
expect_compare 2 "threshold that is not a number" "$CSV" "$CSV" --min-r abc
expect_compare 2 "threshold with trailing text" "$CSV" "$CSV" --max-mae 0.1x
expect_compare 2 "threshold without value" "$CSV" "$CSV" --max-mae

# --r-min-std also decides which AUs enter the mean r.
perturb AU45_r 0 "$WORK/same.csv"
expect_compare 0 "--r-min-std with --min-mean-r" "$WORK/same.csv" "$CSV" --r-min-std 0.05 --min-mean-r 0.999
grep -q "mean r over [0-9]* AUs with ref_std > 0.05" "$WORK/out.txt" || fail "mean r does not name its std bound"
echo "compare: all cases passed"
