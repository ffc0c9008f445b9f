# Several faces (issue 10 B, --max-faces): D1 = default.wmv and its mirror side by side.
# Each face keeps one face_id through the video and, against its half's single-face OpenFace
# reference (the right half's landmarks shifted by 640 px), has mean landmark distance
# <= 6 px and mean AU r >= 0.70 with PFLD, <= 0.5 px and every AU r >= 0.95 with CLNF; the
# output is byte-identical for 1 and 2 workers.
source "$(dirname "$0")/lib.sh"
MEDIA="$MEDIA" bash "$MEDIA/multi/make-d1.sh" "$WORK"
"$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers 2 \
  --output "$WORK/d1.csv"
ROWS="$(dirname "$0")/multi_face_rows.py"
# Face 0 is the larger face of the first frame; find which half each id is on.
for id in 0 1; do
  read -r n first last mean_x < <(python3 "$ROWS" "$WORK/d1.csv" "$id" "$WORK/face$id.csv")
  echo "face $id: $n rows (frames $first-$last), mean landmark x $mean_x"
  [ "$n" -eq 288 ] || fail "face $id has $n rows, expected one per frame (288)"
  if python3 -c "import sys; sys.exit(0 if float('$mean_x') < 640 else 1)"; then
    ref="$REF/default/default.csv"; shift=0
  else
    ref="$REF/multi/D1_right.csv"; shift=640
  fi
  python3 "$ROWS" "$WORK/d1.csv" "$id" "$WORK/face$id.csv" "$shift" >/dev/null
  echo "== face $id against $(basename "$ref")"
  "$COMPARE" "$WORK/face$id.csv" "$ref" --min-success 0.99 --max-landmark-px 6 \
    --min-mean-r 0.70 --r-min-std 0.01 | grep -E "mean r|landmarks:|success flags|RESULT"
done
[ "$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$WORK/d1.csv" | sort -u | tr '\n' ' ')" = "0 1 " ] ||
  fail "face ids other than 0 and 1"
# Byte-identical for any worker count (first 45 frames: a chunk boundary included).
for w in 1 2; do
  "$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers "$w" \
    --max-frames 45 --output "$WORK/d1_w$w.csv"
done
cmp "$WORK/d1_w1.csv" "$WORK/d1_w2.csv" || fail "--max-faces output differs for 1 and 2 workers"
# --split-faces: the same rows, one file per face.
"$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers 2 \
  --max-frames 45 --split-faces --output "$WORK/split.csv"
[ ! -e "$WORK/split.csv" ] || fail "--split-faces wrote the merged CSV"
for id in 0 1; do
  python3 "$ROWS" "$WORK/d1_w1.csv" "$id" "$WORK/w1_face$id.csv" >/dev/null
  python3 "$ROWS" "$WORK/split_face$id.csv" "$id" "$WORK/split_face$id.rows" >/dev/null
  cmp "$WORK/w1_face$id.csv" "$WORK/split_face$id.rows" || fail "split face $id differs"
done
# .hog per face (FILE_face<id>.hog), aligned faces named by face id as OpenFace, and the
# annotated video with every face.
"$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers 2 \
  --max-frames 30 --output "$WORK/extras.csv" --hog "$WORK/extras.hog" \
  --aligned "$WORK/extras_aligned" --tracked "$WORK/extras.mp4"
for id in 0 1; do
  size=$(stat -c %s "$WORK/extras_face$id.hog")
  [ "$size" -eq $((30 * (16 + 4464 * 4))) ] || fail "face $id .hog has $size bytes, not 30 records"
  n=$(ls "$WORK/extras_aligned" | grep -c "^frame_det_0${id}_0000[0-9][0-9].bmp$")
  [ "$n" -eq 30 ] || fail "face $id has $n aligned faces, expected 30"
done
[ ! -e "$WORK/extras.hog" ] || fail "a merged .hog was written"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
  -of csv=p=0 "$WORK/extras.mp4")
[ "$frames" -eq 30 ] || fail "the annotated video has $frames frames, expected 30"
# multi_face.avi: three people from the first frame, at least three tracks.
"$AUFACE" --video "$MEDIA/multi_face.avi" --models "$MODELS" --quiet --max-faces 4 \
  --workers 2 --max-frames 120 --output "$WORK/mf.csv"
tracks=$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$WORK/mf.csv" | sort -u | wc -l)
echo "multi_face.avi (120 frames): $tracks tracks"
[ "$tracks" -ge 3 ] || fail "multi_face.avi: $tracks tracks, expected at least 3"
# CLNF: each face as OpenFace's single-face run of its half (<= 0.5 px, every AU r >= 0.95).
"$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers 2 \
  --landmarks clnf --output "$WORK/clnf.csv"
for id in 0 1; do
  read -r n first last mean_x < <(python3 "$ROWS" "$WORK/clnf.csv" "$id" "$WORK/c$id.csv")
  echo "clnf face $id: $n rows (frames $first-$last), mean landmark x $mean_x"
  [ "$n" -eq 288 ] || fail "clnf face $id has $n rows, expected 288"
  if python3 -c "import sys; sys.exit(0 if float('$mean_x') < 640 else 1)"; then
    ref="$REF/default/default.csv"; shift=0
  else
    ref="$REF/multi/D1_right.csv"; shift=640
  fi
  python3 "$ROWS" "$WORK/clnf.csv" "$id" "$WORK/c$id.csv" "$shift" >/dev/null
  echo "== clnf face $id against $(basename "$ref")"
  "$COMPARE" "$WORK/c$id.csv" "$ref" --min-success 0.99 --max-landmark-px 0.5 \
    --min-r 0.95 --r-min-std 0.01 | grep -E "mean r|landmarks:|success flags|RESULT"
done
[ "$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$WORK/clnf.csv" | sort -u | tr '\n' ' ')" = "0 1 " ] ||
  fail "clnf: face ids other than 0 and 1"
for w in 1 2; do
  "$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers "$w" \
    --landmarks clnf --max-frames 30 --output "$WORK/clnf_w$w.csv"
done
cmp "$WORK/clnf_w1.csv" "$WORK/clnf_w2.csv" || fail "clnf --max-faces differs for 1 and 2 workers"
echo "ok: two faces followed on D1 with stable ids"
