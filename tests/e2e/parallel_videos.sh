# Several videos at once (--parallel-videos, and its default with CLNF): every output
# byte-identical to one video at a time, the JSON progress lines whole, a failing input
# reported while the others are processed.
source "$(dirname "$0")/lib.sh"
A="$MEDIA/2015-10-15-15-14.avi"; B="$MEDIA/default.wmv"; C="$MEDIA/changeLighting.wmv"
run() { "$AUFACE" --models "$MODELS" --quiet --max-frames 40 "$@"; }
names="2015-10-15-15-14 changeLighting default"

# One video at a time, one worker: the reference.
run --video "$A" --video "$B" --video "$C" --out-dir "$WORK/one" --landmarks clnf \
  --workers 1 --write-hog

# CLNF: two at a time, asked for and by default (--workers 2 and three videos).
run --video "$A" --video "$B" --video "$C" --out-dir "$WORK/two" --landmarks clnf \
  --workers 2 --parallel-videos 2 --write-hog
"$AUFACE" --models "$MODELS" --max-frames 40 --video "$A" --video "$B" --video "$C" \
  --out-dir "$WORK/auto" --landmarks clnf --workers 2 --write-hog 2>"$WORK/auto.txt"
# (two pipelines at 256 MB must fit in a quarter of the RAM: 2 GB or more)
ram_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
if [ "$ram_kb" -ge $((2 * 4 * 256 * 1024)) ]; then
  grep -q "2 videos at once, 1 worker each" "$WORK/auto.txt" ||
    fail "CLNF with 2 workers and 3 videos did not run 2 at once: $(cat "$WORK/auto.txt")"
fi
for n in $names; do
  for d in two auto; do
    cmp "$WORK/$d/$n.csv" "$WORK/one/$n.csv" || fail "$d: $n.csv differs"
    cmp "$WORK/$d/$n.hog" "$WORK/one/$n.hog" || fail "$d: $n.hog differs"
  done
done
echo "ok: CLNF, 2 videos at once (explicit and default): CSV and .hog identical"

# PFLD: three at a time, each with its share of 3 workers, against one at a time.
run --video "$A" --video "$B" --video "$C" --out-dir "$WORK/pfld1" --workers 1
run --video "$A" --video "$B" --video "$C" --out-dir "$WORK/pfld3" --workers 3 \
  --parallel-videos 3
for n in $names; do
  cmp "$WORK/pfld3/$n.csv" "$WORK/pfld1/$n.csv" || fail "pfld, 3 at once: $n.csv differs"
done
echo "ok: PFLD, 3 videos at once: CSV identical"

# PFLD by default: one at a time below twice as many videos as workers, one per worker from
# there on (where two pipelines fit in a quarter of the RAM, as above).
ln -s "$A" "$WORK/A2.avi"
"$AUFACE" --models "$MODELS" --max-frames 40 --video "$A" --video "$B" --video "$C" \
  --out-dir "$WORK/pfld_few" --workers 2 2>"$WORK/few.txt"
! grep -q "at once" "$WORK/few.txt" || fail "PFLD, 3 videos on 2 workers ran several at once"
"$AUFACE" --models "$MODELS" --max-frames 40 --video "$A" --video "$B" --video "$C" \
  --video "$WORK/A2.avi" --out-dir "$WORK/pfld_many" --workers 2 2>"$WORK/many.txt"
if [ "$ram_kb" -ge $((2 * 4 * 256 * 1024)) ]; then
  grep -q "2 videos at once, 1 worker each" "$WORK/many.txt" ||
    fail "PFLD, 4 videos on 2 workers did not run 2 at once: $(cat "$WORK/many.txt")"
fi
for n in $names; do
  cmp "$WORK/pfld_many/$n.csv" "$WORK/pfld1/$n.csv" || fail "pfld default, 4 videos: $n.csv differs"
done
cmp "$WORK/pfld_many/A2.csv" "$WORK/pfld1/2015-10-15-15-14.csv" || fail "pfld default: A2.csv differs"
echo "ok: PFLD default: 3 videos one at a time, 4 videos two at once, CSV identical"

# Progress as JSON from several videos at once: every line whole, one "done" per input.
"$AUFACE" --models "$MODELS" --quiet --max-frames 40 --progress-json --landmarks clnf \
  --workers 2 --parallel-videos 2 --video "$A" --video "$B" --video "$C" \
  --out-dir "$WORK/json" > "$WORK/progress.jsonl"
/usr/bin/python3 - "$WORK/progress.jsonl" <<'PY' || fail "progress lines are not whole JSON objects"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
done = sorted(e["index"] for e in events if e["event"] == "done")
assert done == [1, 2, 3], done
assert all(e["status"] == "ok" for e in events if e["event"] == "done")
assert any(e["event"] == "progress" for e in events)
PY
echo "ok: JSON progress of 2 videos at once: $(wc -l < "$WORK/progress.jsonl") whole lines"

# A failing input among them: reported, the others processed, exit status 1.
rc=0
run --video "$WORK/missing.avi" --video "$B" --video "$C" --out-dir "$WORK/mixed" \
  --landmarks clnf --workers 2 --parallel-videos 2 2>"$WORK/mixed.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "a missing input among parallel videos: exit $rc"
grep -q "missing.avi" "$WORK/mixed.txt" || fail "the missing input is not named: $(cat "$WORK/mixed.txt")"
for n in changeLighting default; do
  cmp "$WORK/mixed/$n.csv" "$WORK/one/$n.csv" || fail "mixed: $n.csv differs"
done
echo "ok: a failing input among parallel videos is reported, the others are done"

expect_failure "--parallel-videos 0" "--parallel-videos" \
  "$AUFACE" --models "$MODELS" --video "$A" --parallel-videos 0
echo "parallel_videos: all cases passed"
