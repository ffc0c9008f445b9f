# Honest outcomes: a file under its final name is always a complete run over every frame
# the decoder could give; a failed input leaves nothing there (only NAME.partial.csv with
# --keep-partial), whose rows do not depend on the worker count, and a resumed batch
# retries it; damaged frames are skipped with a warning; no message names an output that
# was not written; --output replaces its file.
source "$(dirname "$0")/lib.sh"
VIDEO="$MEDIA/default.wmv"; LMS="$REF/default/default_landmarks.csv"
trap 'umount "$WORK/small" 2>/dev/null || true; rm -rf "$WORK"' EXIT
run() { "$AUFACE" --models "$MODELS" "$@"; }
rows() { echo $(($(wc -l < "$1") - 1)); }
no_claim() { ! grep -q -- "-> " "$WORK/err.txt" || fail "$1: the message names an output: $(cat "$WORK/err.txt")"; }

# A video cut off in the middle: every frame the decoder gives is a complete run.
head -c 1000000 "$VIDEO" > "$WORK/cut.wmv"
run --video "$WORK/cut.wmv" --output "$WORK/cut.csv" --quiet
n=$(rows "$WORK/cut.csv")
[ "$n" -gt 50 ] && [ "$n" -lt 288 ] || fail "truncated video: $n rows"
echo "ok: truncated video: exit 0, $n rows"

# Against the landmark file of the whole video it fails: nothing under the final name,
# the frames done kept as cutl.partial.csv with --keep-partial, and the message says so.
expect_failure "truncated video, landmark replay" "kept in $WORK/cutl.partial.csv" \
  run --video "$WORK/cut.wmv" --landmarks-from "$LMS" --output "$WORK/cutl.csv" --keep-partial
[ ! -e "$WORK/cutl.csv" ] || fail "a failed input left its CSV"
[ "$(rows "$WORK/cutl.partial.csv")" -eq "$n" ] || fail "partial CSV: $(rows "$WORK/cutl.partial.csv") rows, expected $n"
no_claim "landmark mismatch"
expect_failure "the same without --keep-partial" "video ended after" \
  run --video "$WORK/cut.wmv" --landmarks-from "$LMS" --output "$WORK/cutm.csv"
[ ! -e "$WORK/cutm.csv" ] && [ ! -e "$WORK/cutm.partial.csv" ] || fail "files left without --keep-partial"

# A failure in the middle (an unreadable landmark row at frame 50): the partial CSV holds
# exactly frames 1..49 for every worker count.
awk -F, -v OFS=, 'NR == 51 { $20 = "oops" } { print }' "$LMS" > "$WORK/bad_row.csv"
for w in 1 2 8; do
  expect_failure "bad landmark row, $w workers" "not a number" \
    run --video "$VIDEO" --landmarks-from "$WORK/bad_row.csv" --output "$WORK/bad$w.csv" \
    --keep-partial --workers "$w" --quiet
  [ ! -e "$WORK/bad$w.csv" ] || fail "bad landmark row: CSV left under the final name"
  [ "$(rows "$WORK/bad$w.partial.csv")" -eq 49 ] || fail "bad row, $w workers: $(rows "$WORK/bad$w.partial.csv") rows"
done
cmp "$WORK/bad1.partial.csv" "$WORK/bad2.partial.csv" && cmp "$WORK/bad1.partial.csv" "$WORK/bad8.partial.csv" \
  || fail "partial CSVs differ between worker counts"
echo "ok: a failure at frame 50 keeps frames 1..49 for 1, 2 and 8 workers"

# A damaged frame in the middle of a video: skipped, counted, reported; the input succeeds.
ffmpeg -v error -y -i "$VIDEO" -frames:v 60 -c:v mjpeg -q:v 5 "$WORK/mj.avi"
set -- $(LC_ALL=C grep -obUaP '\xff\xd8\xff' "$WORK/mj.avi" | cut -d: -f1 | sed -n '30p;31p')
dd if=/dev/zero of="$WORK/mj.avi" bs=1 seek="$1" count=$(($2 - $1 - 16)) conv=notrunc 2>/dev/null
for w in 1 2; do
  run --video "$WORK/mj.avi" --output "$WORK/mj$w.csv" --workers "$w" --progress-json \
    > "$WORK/mj.json" 2> "$WORK/err.txt" || fail "damaged frame: exit status $?"
  grep -q '"status":"ok".*"frames_failed_decode":1' "$WORK/mj.json" || fail "damaged frame not counted: $(cat "$WORK/mj.json" | tail -1)"
  grep -q "warning: 1 damaged frame" "$WORK/err.txt" || fail "no warning: $(cat "$WORK/err.txt")"
  [ "$(rows "$WORK/mj$w.csv")" -eq 59 ] || fail "damaged frame: $(rows "$WORK/mj$w.csv") rows"
done
cmp "$WORK/mj1.csv" "$WORK/mj2.csv" || fail "damaged video: 1 and 2 workers differ"
echo "ok: damaged frame skipped, counted and reported; exit 0"

# An output folder that cannot take files: fails before the frames, names the folder.
touch "$WORK/afile"
expect_failure "unwritable output folder" "cannot create folder $WORK/afile" \
  run --video "$VIDEO" --output "$WORK/afile/x.csv" --max-frames 5
no_claim "unwritable output folder"

# A disk that fills up: at the end (CSV) and on the way (aligned faces, in the consumer).
mkdir -p "$WORK/small"
if mount -t tmpfs -o size=200k tmpfs "$WORK/small" 2>/dev/null; then
  expect_failure "disk full at the end" "write failed" \
    run --video "$VIDEO" --output "$WORK/small/full.csv" --max-frames 100
  no_claim "disk full"
  [ -z "$(ls "$WORK/small")" ] || fail "disk full: files left: $(ls "$WORK/small")"
  for w in 1 2; do
    expect_failure "disk full while writing aligned faces, $w workers" "kept in" \
      run --video "$VIDEO" --output "$WORK/al$w.csv" --aligned "$WORK/small/aligned" \
      --keep-partial --workers "$w" --max-frames 60
    [ ! -e "$WORK/al$w.csv" ] || fail "aligned faces failed but the CSV exists"
    rm -rf "$WORK/small/aligned"
  done
  cmp "$WORK/al1.partial.csv" "$WORK/al2.partial.csv" || fail "consumer failure: partial CSVs differ"
  echo "ok: disk full: nothing under final names, same partial rows for 1 and 2 workers"
else
  echo "SKIPPED: cannot mount a small tmpfs here (disk-full cases)"
fi

# A resumed batch retries a failed input (and skips the finished one).
printf '%s\n%s\n' "$VIDEO" "$WORK/later.wmv" > "$WORK/list.txt"
rc=0; run --video-list "$WORK/list.txt" --out-dir "$WORK/batch" --max-frames 5 --quiet || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$WORK/batch/later.csv" ] || fail "failed input: exit $rc, files $(ls "$WORK/batch")"
cp "$VIDEO" "$WORK/later.wmv"
run --video-list "$WORK/list.txt" --out-dir "$WORK/batch" --max-frames 5 2> "$WORK/err.txt"
grep -q "default.wmv: skipped" "$WORK/err.txt" && [ -e "$WORK/batch/later.csv" ] || fail "resume: $(cat "$WORK/err.txt")"
echo "ok: a resumed batch retries the failed input"

# --output replaces its file (OpenFace's behaviour); --keep-partial removes a stale partial.
echo "old" > "$WORK/replace.csv"; echo "old" > "$WORK/replace.partial.csv"
run --video "$VIDEO" --output "$WORK/replace.csv" --max-frames 5 --quiet --keep-partial
[ "$(rows "$WORK/replace.csv")" -eq 5 ] || fail "--output did not replace the file"
[ ! -e "$WORK/replace.partial.csv" ] || fail "a stale partial file survived a successful run"
echo "ok: --output replaces its file"
if ls "$WORK" "$WORK/batch" | grep -q '\.tmp\.'; then fail "temporary files left"; fi
echo "outcomes: all cases passed"
