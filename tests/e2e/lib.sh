# Shared helpers of the end-to-end scripts: $1 = build folder, $2 = shared folder.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
AUFACE="$BUILD/auface"
COMPARE="$BUILD/auface-compare"
REF="$SHARED/reference/openface-2.2"
MEDIA="$SHARED/media"
MODELS="$SHARED/models"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_failure "description" "message substring" command...: the command must exit
# non-zero and print the substring on stderr.
expect_failure() {
  local what=$1 needle=$2; shift 2
  local rc=0
  "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  [ "$rc" -ne 0 ] || fail "$what: exit status 0"
  [ "$rc" -lt 128 ] || fail "$what: crashed (status $rc): $(cat "$WORK/err.txt")"
  grep -qF -- "$needle" "$WORK/err.txt" || fail "$what: message lacks '$needle': $(cat "$WORK/err.txt")"
  echo "ok: $what -> $(head -c 300 "$WORK/err.txt")"
}
