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
# check_faces CSV NAME COMPARE-THRESHOLDS...: faces 0 and 1 each have a row on every frame
# and, on their half (found from the landmarks' mean x), meet the thresholds against the
# half's single-face OpenFace reference.
check_faces() {
  local csv=$1 name=$2 id n first last mean_x ref dx; shift 2
  for id in 0 1; do
    read -r n first last mean_x < <(python3 "$ROWS" "$csv" "$id" "$WORK/$name$id.csv")
    echo "$name face $id: $n rows (frames $first-$last), mean landmark x $mean_x"
    [ "$n" -eq 288 ] || fail "$name face $id has $n rows, expected one per frame (288)"
    if python3 -c "import sys; sys.exit(0 if float('$mean_x') < 640 else 1)"; then
      ref="$REF/default/default.csv"; dx=0
    else
      ref="$REF/multi/D1_right.csv"; dx=640
    fi
    python3 "$ROWS" "$csv" "$id" "$WORK/$name$id.csv" "$dx" >/dev/null
    echo "== $name face $id against $(basename "$ref")"
    "$COMPARE" "$WORK/$name$id.csv" "$ref" --min-success 0.99 --r-min-std 0.01 "$@" |
      grep -E "mean r|landmarks:|success flags|RESULT"
  done
  [ "$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$csv" | sort -u | tr '\n' ' ')" = "0 1 " ] ||
    fail "$name: face ids other than 0 and 1"
}
check_faces "$WORK/d1.csv" pfld --max-landmark-px 6 --min-mean-r 0.70
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
# A face that leaves and comes back (the right half blacked out from frame 101): after 10
# frames (0.7 s) it takes its id back as soon as it reappears; after 60 frames (4 s, past
# the 2 s revival time) it gets a new id at the next scheduled detection.
for gap in 10 60; do
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$WORK/D1.mkv" -frames:v 200 \
    -vf "drawbox=x=640:y=0:w=640:h=480:t=fill:c=black:enable='between(n,100,$((99 + gap)))'" \
    -c:v libx264 -crf 18 -pix_fmt yuv420p "$WORK/gap$gap.mp4"
  "$AUFACE" --video "$WORK/gap$gap.mp4" --models "$MODELS" --quiet --max-faces 2 \
    --workers 2 --output "$WORK/gap$gap.csv"
done
python3 - "$WORK/gap10.csv" "$WORK/gap60.csv" <<'PY' || fail "a face that came back got the wrong id"
import csv, sys
def rows(path):
    r = csv.reader(open(path))
    head = [c.strip() for c in next(r)]
    f, i, s = head.index("frame"), head.index("face_id"), head.index("success")
    return [(int(row[f]), int(row[i]), int(row[s])) for row in r]
short, long = rows(sys.argv[1]), rows(sys.argv[2])
back = [s for f, i, s in short if i == 1 and 111 <= f <= 115]
ids_short = sorted({i for _, i, _ in short})
ids_long = {i: [f for f, j, s in long if j == i and s] for i in {i for _, i, _ in long}}
print("gap 10: ids", ids_short, "face 1 success on frames 111-115:", back)
print("gap 60: ids", sorted(ids_long), "first success of id 2:", min(ids_long.get(2, [0])))
ok = ids_short == [0, 1] and back == [1] * 5
ok = ok and sorted(ids_long) == [0, 1, 2] and max(ids_long[1]) < 110 and min(ids_long[2]) > 160
sys.exit(0 if ok else 1)
PY
# multi_face.avi: three people from the first frame, at least three tracks.
"$AUFACE" --video "$MEDIA/multi_face.avi" --models "$MODELS" --quiet --max-faces 4 \
  --workers 2 --max-frames 120 --output "$WORK/mf.csv"
tracks=$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$WORK/mf.csv" | sort -u | wc -l)
echo "multi_face.avi (120 frames): $tracks tracks"
[ "$tracks" -ge 3 ] || fail "multi_face.avi: $tracks tracks, expected at least 3"
# CLNF: each face as OpenFace's single-face run of its half (<= 0.5 px, every AU r >= 0.95).
"$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers 2 \
  --landmarks clnf --output "$WORK/clnf.csv"
check_faces "$WORK/clnf.csv" clnf --max-landmark-px 0.5 --min-r 0.95
for w in 1 2; do
  "$AUFACE" --video "$WORK/D1.mkv" --models "$MODELS" --quiet --max-faces 2 --workers "$w" \
    --landmarks clnf --max-frames 30 --output "$WORK/clnf_w$w.csv"
done
cmp "$WORK/clnf_w1.csv" "$WORK/clnf_w2.csv" || fail "clnf --max-faces differs for 1 and 2 workers"
echo "ok: two faces followed on D1 with stable ids"
