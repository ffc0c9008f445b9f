# The process environment does not change what auface computes: the same bytes under a
# locale with a decimal comma as under "C", and as many default workers as the CPUs the
# process may use (taskset), not as the machine has.
source "$(dirname "$0")/lib.sh"
VIDEO="$MEDIA/default.wmv"
run() { "$AUFACE" --models "$MODELS" --video "$VIDEO" --max-frames 20 --quiet "$@"; }

if locale -a 2>/dev/null | grep -qix 'de_DE.utf8'; then
  LC_ALL=C run --output "$WORK/c.csv" --workers 2
  LC_ALL=de_DE.UTF-8 run --output "$WORK/de.csv" --workers 2
  cmp "$WORK/c.csv" "$WORK/de.csv" || fail "output under LC_ALL=de_DE.UTF-8 differs from LC_ALL=C"
  grep -q '0\.' "$WORK/de.csv" || fail "no '.' decimals under de_DE"
  echo "ok: LC_ALL=de_DE.UTF-8 gives the bytes of LC_ALL=C"
else
  echo "SKIPPED: locale de_DE.UTF-8 not installed (locale-gen, as .ci/run does)"
fi

# workers_used ARGS...: the worker count the done event reports.
workers_used() {
  "$@" --progress-json | grep '"event":"done"' | sed 's/.*"workers":\([0-9]*\).*/\1/'
}
n=$(workers_used taskset -c 0 "$AUFACE" --models "$MODELS" --video "$VIDEO" --max-frames 5 \
    --quiet --output "$WORK/t.csv")
[ "$n" = 1 ] || fail "taskset -c 0: $n workers by default, expected 1"
echo "ok: taskset -c 0 -> 1 worker"
if [ "$(nproc --all)" -ge 2 ]; then
  n=$(workers_used taskset -c 0,1 "$AUFACE" --models "$MODELS" --video "$VIDEO" --max-frames 5 \
      --quiet --output "$WORK/t.csv")
  [ "$n" = 2 ] || fail "taskset -c 0,1: $n workers by default, expected 2"
  echo "ok: taskset -c 0,1 -> 2 workers"
fi
n=$(workers_used taskset -c 0 "$AUFACE" --models "$MODELS" --video "$VIDEO" --max-frames 5 \
    --quiet --output "$WORK/t.csv" --workers 3)
[ "$n" = 3 ] || fail "--workers 3 under taskset gave $n workers"
echo "ok: --workers N still wins"
echo "environment: all cases passed"
