#!/bin/bash
# The README's speed table, measured in one run: every mode with each given build in turn
# (e.g. the previous version beside this one), so that the machine's drift between runs
# affects every build alike. Prints the CPU model, then one Markdown row per mode and build:
# frames/s with 1 worker, with N workers (and the ratio), peak memory.
#
#   scripts/speed-table.sh [--runs K] [--workers N] SHARED_DIR BUILD_DIR [BUILD_DIR ...]
#
# Each build directory must hold auface-bench. Modes: PFLD with every column, PFLD without
# gaze, CLNF, and PFLD on a 1920x1080 H.264 encoding of the same video (made once with
# ffmpeg into a temporary folder, 300 frames). Medians of K runs (default 3) per figure, as
# auface-bench reports them; its CSVs must be byte-identical for 1 and N workers or the
# script stops.
set -euo pipefail

runs=3
workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then
  echo "usage: $0 [--runs K] [--workers N] SHARED_DIR BUILD_DIR [BUILD_DIR ...]" >&2
  exit 2
fi
shared=$1
shift
video="$shared/media/2015-10-15-15-14.avi"
models="$shared/models"
for b in "$@"; do
  [ -x "$b/auface-bench" ] || { echo "$0: no auface-bench in $b" >&2; exit 2; }
done
[ -f "$video" ] || { echo "$0: $video is missing" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ffmpeg -nostdin -loglevel error -i "$video" -vf scale=1920:1080 -c:v libx264 -crf 18 \
  -frames:v 300 "$tmp/hd.mp4"

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) usable CPUs"
echo "| mode | build | frames/s, 1 worker | frames/s, $workers workers | peak memory |"
echo "|---|---|---|---|---|"

# One row: the mode's label, the build, then auface-bench's arguments.
row() {
  local label=$1 build=$2
  shift 2
  local json
  json=$("$build/auface-bench" --models "$models" --workers "$workers" --runs "$runs" --json "$@")
  /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[3])
if not r.get("identical", False):
    sys.exit("%s: the outputs of 1 and N workers differ" % sys.argv[1])
print("| %s | %s | %.1f | %.1f, x%.2f | %.0f MB |" % (sys.argv[1], sys.argv[2],
      r["sequential_fps"], r["fps"], r["speedup"], r["peak_rss_mb"]))
' "$label" "$build" "$json"
}

for b in "$@"; do row "pfld, all columns" "$b" --video "$video"; done
for b in "$@"; do row "pfld, no gaze" "$b" --video "$video" --no-gaze; done
for b in "$@"; do row "clnf, all columns" "$b" --video "$video" --landmarks clnf; done
for b in "$@"; do row "pfld, 1920x1080 H.264" "$b" --video "$tmp/hd.mp4"; done
