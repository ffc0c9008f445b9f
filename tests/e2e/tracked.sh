# The annotated video (--tracked / --write-tracked): the frames, size and codec ffprobe
# reports, the drawing really on the landmarks of the CSV, batch naming and skipping, and
# bad output paths failing with a message and no file.
source "$(dirname "$0")/lib.sh"
VIDEO="$MEDIA/default.wmv"
run() { "$AUFACE" --models "$MODELS" --quiet "$@"; }

# stream_field FILE FIELD: one field of the video stream, frames counted by decoding.
stream_field() {
  ffprobe -v error -count_frames -select_streams v:0 -show_entries "stream=$2" \
    -of default=nw=1:nk=1 "$1"
}

run --video "$VIDEO" --output "$WORK/default.csv" --tracked "$WORK/default_tracked.mp4" \
  --max-frames 30
[ -s "$WORK/default_tracked.mp4" ] || fail "no annotated video written"
frames=$(stream_field "$WORK/default_tracked.mp4" nb_read_frames)
[ "$frames" = 30 ] || fail "annotated video has $frames frames, expected 30"
OUT="$WORK/default_tracked.mp4"
size=$(stream_field "$OUT" width)x$(stream_field "$OUT" height)
[ "$size" = "$(stream_field "$VIDEO" width)x$(stream_field "$VIDEO" height)" ] ||
  fail "annotated video is $size, the input is not"
codec=$(stream_field "$WORK/default_tracked.mp4" codec_name)
case "$codec" in h264|mpeg4) ;; *) fail "unexpected codec $codec" ;; esac
[ "$(stream_field "$WORK/default_tracked.mp4" pix_fmt)" = yuv420p ] || fail "not yuv420p"
[ "$(stream_field "$OUT" r_frame_rate)" = "$(stream_field "$VIDEO" r_frame_rate)" ] ||
  fail "frame rate differs from the input's"
echo "ok: 30 frames, $size, $codec, yuv420p, the input's frame rate"

# The first frame of input and output as rgb24, one pixel per line.
W=${size%x*}
ffmpeg -v error -i "$VIDEO" -frames:v 1 -f rawvideo -pix_fmt rgb24 - |
  od -An -v -tu1 -w3 > "$WORK/in.txt"
ffmpeg -v error -i "$WORK/default_tracked.mp4" -frames:v 1 -f rawvideo -pix_fmt rgb24 - |
  od -An -v -tu1 -w3 > "$WORK/out.txt"
# Landmark pixels of frame 1 (from the CSV): each must have changed and be drawn in the
# landmarks' red/blue (red or blue well above green), on at least 60 of the 68.
awk -F', *' -v W="$W" '
  FNR == 1 { file++ }
  file == 1 && FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  file == 1 && FNR == 2 { for (k = 0; k < 68; k++)
                            at[k] = int($(col["y_" k]) + 0.5) * W + int($(col["x_" k]) + 0.5) + 1
                          next }
  file == 2 { inpix[FNR] = $0; next }
  file == 3 { outpix[FNR] = $0 }
  function dist(p, q) { return p > q ? p - q : q - p }
  END {
    drawn = 0
    for (k = 0; k < 68; k++) {
      split(inpix[at[k]], a, " "); split(outpix[at[k]], b, " ")
      change = dist(a[1], b[1]) + dist(a[2], b[2]) + dist(a[3], b[3])
      hue = (b[1] > b[3] ? b[1] : b[3]) - b[2]
      if (change > 60 && hue > 80) drawn++
    }
    print drawn
  }' "$WORK/default.csv" FS=' +' "$WORK/in.txt" "$WORK/out.txt" > "$WORK/drawn.txt"
drawn=$(cat "$WORK/drawn.txt")
[ "$drawn" -ge 60 ] || fail "only $drawn of 68 landmark pixels carry the drawing"
# Far from the face (bottom-right corner) the picture is the input's, up to compression.
corner=$(( (479 - 5) * W + (W - 5) ))
read -r r0 g0 b0 < <(sed -n "${corner}p" "$WORK/in.txt")
read -r r1 g1 b1 < <(sed -n "${corner}p" "$WORK/out.txt")
d=$(( (r0 > r1 ? r0 - r1 : r1 - r0) + (g0 > g1 ? g0 - g1 : g1 - g0) ))
d=$(( d + (b0 > b1 ? b0 - b1 : b1 - b0) ))
[ "$d" -lt 30 ] || fail "the corner away from the face changed by $d"
echo "ok: $drawn of 68 landmark pixels drawn in the landmark colours; the background is the input's"

# Batch: <name>_tracked.mp4 beside the CSV, and a finished input is skipped.
run --video "$VIDEO" --out-dir "$WORK/batch" --write-tracked --max-frames 10
[ "$(stream_field "$WORK/batch/default_tracked.mp4" nb_read_frames)" = 10 ] ||
  fail "--write-tracked: no 10-frame default_tracked.mp4 in --out-dir"
"$AUFACE" --models "$MODELS" --video "$VIDEO" --out-dir "$WORK/batch" --write-tracked \
  --max-frames 10 2>"$WORK/skip.txt"
grep -q skipped "$WORK/skip.txt" || fail "finished input not skipped: $(cat "$WORK/skip.txt")"
# Without the video the input is not finished: it is done again.
rm "$WORK/batch/default_tracked.mp4"
run --video "$VIDEO" --out-dir "$WORK/batch" --write-tracked --max-frames 10
[ -s "$WORK/batch/default_tracked.mp4" ] || fail "missing annotated video not redone"
echo "ok: --write-tracked names, skips and redoes"

# Bad output paths: a clear message naming the path, exit status 1, found before the job
# runs (so no CSV either), no file left.
expect_failure "missing folder" "$WORK/nowhere/x.mp4" \
  "$AUFACE" --models "$MODELS" --video "$VIDEO" --output "$WORK/bad.csv" \
  --tracked "$WORK/nowhere/x.mp4" --max-frames 5
[ ! -e "$WORK/nowhere" ] || fail "missing folder was created"
[ ! -e "$WORK/bad.csv" ] || fail "the job ran although the annotated video could not be written"
mkdir "$WORK/out2"
expect_failure "unknown container" "not a video file name" \
  "$AUFACE" --models "$MODELS" --video "$VIDEO" --output "$WORK/bad.csv" \
  --tracked "$WORK/out2/x.notavideo" --max-frames 5
[ -z "$(ls -A "$WORK/out2")" ] || fail "files left after a failed render: $(ls "$WORK/out2")"
[ ! -e "$WORK/bad.csv" ] || fail "the job ran although the annotated video could not be written"
expect_failure "container without H.264/MPEG-4" "webm" \
  "$AUFACE" --models "$MODELS" --video "$VIDEO" --output "$WORK/out2/bad.csv" \
  --tracked "$WORK/out2/x.webm" --max-frames 5
[ -z "$(ls -A "$WORK/out2")" ] || fail "files left after a failed check: $(ls "$WORK/out2")"
expect_failure "--tracked with two inputs" "--tracked names one video" \
  "$AUFACE" --models "$MODELS" --video "$VIDEO" --video "$MEDIA/2015-10-15-15-14.avi" \
  --out-dir "$WORK/two" --tracked "$WORK/two.mp4"
expect_failure "--tracked on a still image" "not on a still image" \
  "$AUFACE" --models "$MODELS" --video "$MEDIA/sample1.jpg" --output "$WORK/img.csv" \
  --tracked "$WORK/img.mp4"
# In a batch, still images are done without an annotated video, and skipped next time.
mkdir "$WORK/mixed"
run --video "$MEDIA/sample1.jpg" --video "$MEDIA/image_sequence" --out-dir "$WORK/mixed" \
  --write-tracked --max-frames 3
[ -s "$WORK/mixed/sample1.csv" ] && [ ! -e "$WORK/mixed/sample1_tracked.mp4" ] ||
  fail "still image in a --write-tracked batch: $(ls "$WORK/mixed")"
[ "$(stream_field "$WORK/mixed/image_sequence_tracked.mp4" nb_read_frames)" = 3 ] ||
  fail "folder of images: no 3-frame image_sequence_tracked.mp4"
"$AUFACE" --models "$MODELS" --video "$MEDIA/sample1.jpg" --out-dir "$WORK/mixed" \
  --write-tracked 2>"$WORK/skip2.txt"
grep -q skipped "$WORK/skip2.txt" || fail "still image redone: $(cat "$WORK/skip2.txt")"
echo "ok: still images get no annotated video; folders of images do"
echo "tracked: all cases passed"
