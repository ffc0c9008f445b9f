# Single-face mode keeps its person (issue 10 A): on a 2x2 grid of four people the PFLD
# tracker's scheduled re-detections (every 30 frames) must not move it to another face
# while it tracks one, and the output stays byte-identical for 1 and 2 workers.
source "$(dirname "$0")/lib.sh"
# Top: default.wmv | its mirror; bottom: 2015-10-15-15-14.avi | its mirror (all 640x480),
# 15 frames/s, lossless; 130 frames cover the scheduled detections at 91 and 121 where the
# largest-face rule used to jump.
ffmpeg -nostdin -hide_banner -loglevel error -y -i "$MEDIA/default.wmv" \
  -i "$MEDIA/2015-10-15-15-14.avi" -filter_complex \
  "[0:v]fps=15,scale=640:480,split[a][a2];[a2]hflip[b];[1:v]fps=15,scale=640:480,split[c][c2];[c2]hflip[d];[a][b]hstack[top];[c][d]hstack[bot];[top][bot]vstack=shortest=1[v]" \
  -map '[v]' -frames:v 130 -c:v ffv1 -pix_fmt bgr0 "$WORK/grid.mkv"
for w in 1 2; do
  "$AUFACE" --video "$WORK/grid.mkv" --models "$MODELS" --quiet --workers "$w" \
    --output "$WORK/grid_w$w.csv"
done
cmp "$WORK/grid_w1.csv" "$WORK/grid_w2.csv" || fail "output differs between 1 and 2 workers"
# The quadrant of the landmarks' centre on every successful frame: one quadrant only.
python3 - "$WORK/grid_w1.csv" <<'PY' || fail "the tracked face changed quadrant"
import csv, sys
rows = csv.reader(open(sys.argv[1]))
head = [c.strip() for c in next(rows)]
ix, iy, ok = head.index("x_0"), head.index("y_0"), head.index("success")
seen, tracked = {}, 0
for row in rows:
    row = [c.strip() for c in row]
    if row[ok] != "1":
        continue
    tracked += 1
    cx = sum(float(v) for v in row[ix:ix + 68]) / 68
    cy = sum(float(v) for v in row[iy:iy + 68]) / 68
    seen.setdefault((cx >= 640, cy >= 480), row[0])
print("tracked frames:", tracked, "quadrants (first frame):", seen)
sys.exit(0 if len(seen) == 1 and tracked >= 100 else 1)
PY
echo "ok: one person followed over the grid video, byte-identical for 1 and 2 workers"
