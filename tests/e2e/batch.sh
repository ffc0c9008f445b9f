# Many inputs in one run: outputs byte-identical to single runs (and across worker counts),
# completed inputs skipped unless --overwrite, shards that split the inputs between them,
# and an interrupted batch that resumes to the same outputs.
source "$(dirname "$0")/lib.sh"
A="$MEDIA/2015-10-15-15-14.avi"; B="$MEDIA/default.wmv"; C="$MEDIA/changeLighting.wmv"
run() { "$AUFACE" --models "$MODELS" --quiet "$@"; }

# Single runs, sequential, as the reference.
mkdir -p "$WORK/single"
run --video "$A" --output "$WORK/single/2015-10-15-15-14.csv" --workers 1
run --video "$B" --output "$WORK/single/default.csv" --workers 1
run --video "$C" --output "$WORK/single/changeLighting.csv" --workers 1

# Two workers give the same bytes as one.
run --video "$A" --output "$WORK/w2.csv" --workers 2
cmp "$WORK/w2.csv" "$WORK/single/2015-10-15-15-14.csv" || fail "--workers 2 differs from --workers 1"
echo "ok: --workers 2 output is byte-identical to --workers 1"

# A batch into --out-dir gives the single runs' files.
run --video "$A" --video "$B" --out-dir "$WORK/batch" --workers 2
for n in 2015-10-15-15-14 default; do
  cmp "$WORK/batch/$n.csv" "$WORK/single/$n.csv" || fail "batch output $n.csv differs"
done
echo "ok: batch outputs identical to single runs"

# Completed inputs are skipped; --overwrite redoes them.
before=$(stat -c %Y "$WORK/batch/default.csv")
"$AUFACE" --models "$MODELS" --video "$A" --video "$B" --out-dir "$WORK/batch" 2>"$WORK/skip.txt"
grep -q "skipped" "$WORK/skip.txt" || fail "second run did not skip: $(cat "$WORK/skip.txt")"
[ "$(stat -c %Y "$WORK/batch/default.csv")" = "$before" ] || fail "skipped output was rewritten"
sleep 1
run --video "$B" --out-dir "$WORK/batch" --overwrite
[ "$(stat -c %Y "$WORK/batch/default.csv")" != "$before" ] || fail "--overwrite did not redo"
echo "ok: skip and --overwrite"

# A list file and shards: 0/2 and 1/2 split three inputs between them, without overlap.
printf '# three inputs\n%s\n%s\n\n%s\n' "$A" "$B" "$C" > "$WORK/list.txt"
run --video-list "$WORK/list.txt" --out-dir "$WORK/shard0" --shard 0/2 --max-frames 5
run --video-list "$WORK/list.txt" --out-dir "$WORK/shard1" --shard 1/2 --max-frames 5
[ "$(ls "$WORK/shard0")" = "$(printf '2015-10-15-15-14.csv\nchangeLighting.csv')" ] || fail "shard 0/2: $(ls "$WORK/shard0")"
[ "$(ls "$WORK/shard1")" = "default.csv" ] || fail "shard 1/2: $(ls "$WORK/shard1")"
echo "ok: shards 0/2 and 1/2 split the list"

# Interrupted batch: kill during the second of three inputs, then resume.
mkdir -p "$WORK/resume"
"$AUFACE" --models "$MODELS" --quiet --progress-json --workers 2 \
  --video "$C" --video "$A" --video "$B" --out-dir "$WORK/resume" --write-hog \
  > "$WORK/progress.jsonl" &
pid=$!
for _ in $(seq 1 400); do
  grep -q '"index":2,"count":3,"input":"[^"]*","frames_done":[1-9]' "$WORK/progress.jsonl" && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
grep -q '"index":2' "$WORK/progress.jsonl" || fail "the batch never reached the second input"
[ -e "$WORK/resume/changeLighting.csv" ] || fail "first input was not finished before the kill"
[ ! -e "$WORK/resume/2015-10-15-15-14.csv" ] || fail "a partial CSV sits under the final name"
echo "ok: killed during input 2; only finished outputs under final names: $(ls "$WORK/resume" | tr '\n' ' ')"
ls "$WORK/resume" | grep -q '\.tmp\.' || fail "the killed run left no temporary file (test is not testing)"
run --video "$C" --video "$A" --video "$B" --out-dir "$WORK/resume" --workers 2 --write-hog
! ls "$WORK/resume" | grep -q '\.tmp\.' || fail "stale temporary files remain after resuming: $(ls "$WORK/resume")"
for n in changeLighting 2015-10-15-15-14 default; do
  cmp "$WORK/resume/$n.csv" "$WORK/single/$n.csv" || fail "resumed output $n.csv differs"
done
echo "ok: resumed batch finished with outputs identical to single runs"

# A failing input is reported, the others are processed, and the exit status says so.
rc=0
run --video "$WORK/missing.avi" --video "$B" --out-dir "$WORK/mixed" --max-frames 5 2>"$WORK/mixed.txt" || rc=$?
[ "$rc" -eq 1 ] || fail "batch with a missing input exited $rc"
[ -e "$WORK/mixed/default.csv" ] || fail "the good input after a failing one was not processed"
echo "ok: a failing input does not stop the batch (exit 1 at the end)"
echo "batch: all cases passed"
