#!/bin/bash
# multi-face-bench.sh BUILD_DIR [SHARED_DIR] — frames/s with 1, 2 and 4 faces (--max-faces 4).
# Builds three H.264 videos of one 1280x960 canvas, 150 frames at 15 frames/s, holding 1, 2
# or 4 of the sample people (default.wmv, its mirror, 2015-10-15-15-14.avi, its mirror; the
# other quadrants black), then times auface on each, PFLD and CLNF, with 1 and 2 workers.
# Prints one line per run: landmarks, workers, faces, tracks found, rows, seconds, frames/s.
set -euo pipefail
BUILD=$(cd "${1:?usage: multi-face-bench.sh BUILD_DIR [SHARED_DIR]}" && pwd)
SHARED=$(cd "${2:-$(dirname "$0")/../../shared}" && pwd)
MEDIA=$SHARED/media
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
grid() { # grid OUT KEEP: KEEP = quadrants shown (a b c d), the others black
  local out=$1 keep=$2 graph q
  graph="[0:v]fps=15,scale=640:480,split[a][a2];[a2]hflip[b];"
  graph+="[1:v]fps=15,scale=640:480,split[c][c2];[c2]hflip[d];"
  for q in a b c d; do
    case " $keep " in *" $q "*) ;; *) graph+="[$q]drawbox=t=fill:c=black[${q}k];" ;; esac
  done
  for q in a b c d; do case " $keep " in *" $q "*) eval "$q=$q" ;; *) eval "$q=${q}k" ;; esac; done
  graph+="[$a][$b]hstack[top];[$c][$d]hstack[bot];[top][bot]vstack=shortest=1[v]"
  ffmpeg -nostdin -hide_banner -loglevel error -y -i "$MEDIA/default.wmv" \
    -i "$MEDIA/2015-10-15-15-14.avi" -filter_complex "$graph" -map '[v]' -frames:v 150 \
    -c:v libx264 -crf 18 -pix_fmt yuv420p "$out"
}
grid "$WORK/faces1.mp4" "a"
grid "$WORK/faces2.mp4" "a b"
grid "$WORK/faces4.mp4" "a b c d"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
printf '%-6s %7s %5s %6s %5s %8s %8s\n' landmarks workers faces tracks rows seconds frames/s
for lm in pfld clnf; do
  for w in 1 2; do
    for n in 1 2 4; do
      start=$(date +%s.%N)
      "$BUILD/auface" --video "$WORK/faces$n.mp4" --models "$SHARED/models" --quiet \
        --landmarks "$lm" --max-faces 4 --workers "$w" --output "$WORK/out.csv"
      end=$(date +%s.%N)
      tracks=$(awk -F', ' 'NR > 1 { print $2 + 0 }' "$WORK/out.csv" | sort -u | wc -l)
      rows=$(($(wc -l < "$WORK/out.csv") - 1))
      awk -v lm="$lm" -v w="$w" -v n="$n" -v t="$tracks" -v r="$rows" -v s="$start" -v e="$end" \
        'BEGIN { printf "%-9s %7d %5d %6d %5d %8.2f %8.1f\n", lm, w, n, t, r, e - s, 150 / (e - s) }'
    done
  done
done
