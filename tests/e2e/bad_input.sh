# Bad input never crashes or silently writes a wrong file: each case exits non-zero with a
# message naming the problem, and leaves nothing under the output's name (outcomes.sh has
# the partial files, damaged videos and write failures).
source "$(dirname "$0")/lib.sh"
LMS="$REF/default/default_landmarks.csv"
VIDEO="$MEDIA/default.wmv"

expect_failure "unknown flag" "unknown option '--frobnicate'" "$AUFACE" --frobnicate
expect_failure "no input" "no input" "$AUFACE" --output "$WORK/x.csv"
expect_failure "missing value" "--output needs a value" "$AUFACE" --video "$VIDEO" --output
expect_failure "missing video" "$WORK/nope.avi" \
  "$AUFACE" --video "$WORK/nope.avi" --landmarks-from "$LMS" --output "$WORK/x.csv" --models "$MODELS"
[ ! -e "$WORK/x.csv" ] || fail "missing video left an output file"

echo "this is not a video" > "$WORK/text.avi"
expect_failure "text file as video" "$WORK/text.avi" \
  "$AUFACE" --video "$WORK/text.avi" --landmarks-from "$LMS" --output "$WORK/x.csv" --models "$MODELS"
[ ! -e "$WORK/x.csv" ] || fail "unreadable video left an output file"

# A 16-bit PNM whose samples are missing (found by fuzz_image: stb_image reads past its end).
printf 'P522 1522 15112\n\n`\0025112\n\n`\002\006' > "$WORK/short16.pgm"
expect_failure "short 16-bit PNM" "16 bits" \
  "$AUFACE" --models "$MODELS" --video "$WORK/short16.pgm" --output "$WORK/x.csv"
printf 'P5 4 4 255\n0123' > "$WORK/short8.pgm"
expect_failure "PNM shorter than its pixels" "holds 4 bytes of samples" \
  "$AUFACE" --models "$MODELS" --video "$WORK/short8.pgm" --output "$WORK/x.csv"
expect_failure "missing model folder" "$WORK/nomodels" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$LMS" --output "$WORK/x.csv" --models "$WORK/nomodels"

# A model folder with one truncated .dat file.
mkdir -p "$WORK/models/openface"
cp -r "$MODELS/openface/AU_predictors" "$WORK/models/openface/"
chmod -R u+w "$WORK/models"
dat="$WORK/models/openface/AU_predictors/svr_combined/AU_12_static_intensity_comb.dat"
head -c 1000 "$dat" > "$dat.tmp" && mv "$dat.tmp" "$dat"
expect_failure "truncated model" "AU_12_static_intensity_comb.dat" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$LMS" --output "$WORK/x.csv" --models "$WORK/models"

# A PDM that stops in the middle of the components.
cp -r "$MODELS/openface/AU_predictors" "$WORK/models/openface/" && chmod -R u+w "$WORK/models"
pdm="$WORK/models/openface/AU_predictors/In-the-wild_aligned_PDM_68.txt"
head -n 300 "$pdm" > "$pdm.tmp" && mv "$pdm.tmp" "$pdm"
expect_failure "truncated PDM" "In-the-wild_aligned_PDM_68.txt" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$LMS" --output "$WORK/x.csv" --models "$WORK/models"

# A landmark file with fewer rows than the video: the input failed, so no CSV.
head -n 101 "$LMS" > "$WORK/short.csv"
expect_failure "short landmark file" "has landmarks for 100 frames" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$WORK/short.csv" --output "$WORK/short_out.csv" --models "$MODELS"
[ ! -e "$WORK/short_out.csv" ] || fail "short landmark file: a CSV was left under the final name"
! grep -q -- "->" "$WORK/err.txt" || fail "short landmark file: the message claims an output"

# A landmark file without the y_ columns.
cut -d, -f1-73 "$LMS" > "$WORK/noy.csv"
expect_failure "landmark file without y columns" "y_0" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$WORK/noy.csv" --output "$WORK/x.csv" --models "$MODELS"

# A video cut off in the middle, with the landmark file of the whole video: they disagree.
head -c 1000000 "$VIDEO" > "$WORK/cut.wmv"
expect_failure "truncated video against its landmark file" "video ended after" \
  "$AUFACE" --video "$WORK/cut.wmv" --landmarks-from "$LMS" --output "$WORK/cut.csv" \
  --models "$MODELS" --quiet
[ ! -e "$WORK/cut.csv" ] || fail "truncated video: a CSV was left under the final name"

# An output folder below a file cannot be made: named once, exit 1; missing levels are made.
touch "$WORK/plainfile"
expect_failure "output folder below a file" "cannot create folder $WORK/plainfile/out" \
  "$AUFACE" --video "$VIDEO" --landmarks-from "$LMS" --out-dir "$WORK/plainfile/out" \
  --models "$MODELS" --quiet
"$AUFACE" --video "$VIDEO" --landmarks-from "$LMS" --out-dir "$WORK/new/a/b" --models "$MODELS" \
  --quiet --max-frames 3 || fail "nested output folder: exit status $?"
[ -s "$WORK/new/a/b/default.csv" ] || fail "nested output folder: no CSV in $WORK/new/a/b"
rm -rf "$WORK/new" "$WORK/plainfile"

# No temporary files are left behind in the output folder.
if ls "$WORK" | grep -q '\.tmp'; then fail "temporary files left: $(ls "$WORK")"; fi
echo "bad_input: all cases passed"
