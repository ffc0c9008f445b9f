# --max-memory bounds the decoded frames in flight without changing the output: the same
# bytes for 1, 2 and 8 workers under a tiny budget (a frame or two), a small one and none.
source "$(dirname "$0")/lib.sh"
VIDEO="$MEDIA/2015-10-15-15-14.avi"
run() { "$AUFACE" --models "$MODELS" --video "$VIDEO" --max-frames 100 --quiet "$@"; }

run --output "$WORK/ref.csv" --workers 1
for w in 1 2 8; do
  for mb in 1 20; do
    run --output "$WORK/w${w}_m$mb.csv" --workers "$w" --max-memory "$mb"
    cmp "$WORK/ref.csv" "$WORK/w${w}_m$mb.csv" || fail "--workers $w --max-memory $mb differs"
  done
done
run --output "$WORK/w8.csv" --workers 8
cmp "$WORK/ref.csv" "$WORK/w8.csv" || fail "--workers 8 with the default budget differs"
echo "ok: byte-identical for --workers 1/2/8 with --max-memory 1, 20 and the default"

# The budget is a whole number of MB >= 1.
expect_failure "budget of 0" "--max-memory needs a whole number >= 1" run --output "$WORK/x.csv" --max-memory 0
expect_failure "budget that is not a number" "--max-memory" run --output "$WORK/x.csv" --max-memory lots
echo "memory_budget: all cases passed"
