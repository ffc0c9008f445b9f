# `cmake --install` into a temporary prefix, then build examples/process_video.c against the
# installed header and library through pkg-config, as a user would: once linked to the
# shared library (plain `pkg-config --libs`), once to the static archive (`--static`), and
# run both on 10 frames of default.wmv.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX="$WORK/prefix"
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 ||
  fail "cmake --install failed: $(tail -20 "$WORK/install.log")"

for f in include/auface.h lib/libauface.a lib/pkgconfig/auface.pc bin/auface \
         bin/auface-compare bin/auface-bench share/auface/models/README.md; do
  [ -f "$PREFIX/$f" ] || fail "not installed: $f"
done
ls "$PREFIX"/lib/libauface.so* >/dev/null 2>&1 || fail "not installed: lib/libauface.so"
# Models are documented, never installed.
[ -z "$(find "$PREFIX/share/auface/models" -type f ! -name README.md)" ] ||
  fail "model files were installed: $(find "$PREFIX/share/auface/models" -type f)"

# The archive holds all of auface, the generated ONNX parser included.
nm -g --defined-only "$PREFIX/lib/libauface.a" >"$WORK/archive.nm" 2>/dev/null
grep -q ' T auface_process_video$' "$WORK/archive.nm" ||
  fail "libauface.a does not define auface_process_video"
grep -q ' T onnx__model_proto__unpack$' "$WORK/archive.nm" ||
  fail "libauface.a lacks the ONNX parser (auface_nn_proto)"
# The shared library exports the public API only.
nm -D --defined-only "$PREFIX/lib/libauface.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' >"$WORK/so.nm"
grep -qx 'auface_pipeline_create' "$WORK/so.nm" ||
  fail "libauface.so does not export auface_pipeline_create"
! grep -v '^auface_' "$WORK/so.nm" >"$WORK/leaked.txt" ||
  fail "libauface.so exports internal symbols: $(head -5 "$WORK/leaked.txt")"

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
[ "$(pkg-config --modversion auface)" = "$(sed -n 's/^project(auface VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")" ] ||
  fail "pkg-config --modversion auface: $(pkg-config --modversion auface 2>&1)"
[ "$(pkg-config --variable=prefix auface)" = "$PREFIX" ] ||
  fail "auface.pc prefix is $(pkg-config --variable=prefix auface), not $PREFIX"

# A sanitized build's objects need the sanitizer runtimes at link time.
extra_flags=()
if grep -q '^AUFACE_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  extra_flags=(-fsanitize=address,undefined)
fi
# Built outside the source tree, so only the installed header can be found.
cp "$SRC/examples/process_video.c" "$WORK/"
CC=${CC:-cc}
# Shared: a plain pkg-config link, with an rpath so the example finds libauface.so.
"$CC" -std=c17 -Wall -Wextra -Werror "${extra_flags[@]}" "$WORK/process_video.c" \
  -o "$WORK/example_shared" $(pkg-config --cflags --libs auface) \
  -Wl,-rpath,"$(pkg-config --variable=libdir auface)" 2>"$WORK/cc.log" ||
  fail "compiling the example against the shared library: $(cat "$WORK/cc.log")"
# Static: -Bstatic picks libauface.a over libauface.so; --static adds the dependencies
# (its own -lauface is dropped so that nothing can pull the shared library in).
static_libs=$(pkg-config --static --libs auface)
static_libs=${static_libs//-lauface /}
# shellcheck disable=SC2086
"$CC" -std=c17 -Wall -Wextra -Werror "${extra_flags[@]}" "$WORK/process_video.c" \
  -o "$WORK/example_static" $(pkg-config --cflags auface) \
  -Wl,-Bstatic -lauface -Wl,-Bdynamic $static_libs 2>"$WORK/cc.log" ||
  fail "compiling the example against the static archive: $(cat "$WORK/cc.log")"
# Also the exact command of the README: cc x.c $(pkg-config --cflags --libs --static auface).
"$CC" "${extra_flags[@]}" "$WORK/process_video.c" -o "$WORK/example_plain_static" \
  $(pkg-config --cflags --libs --static auface) -Wl,-rpath,"$PREFIX/lib" 2>"$WORK/cc.log" ||
  fail "cc with pkg-config --cflags --libs --static: $(cat "$WORK/cc.log")"

readelf -d "$WORK/example_shared" | grep -q 'NEEDED.*libauface\.so' ||
  fail "example_shared is not linked to libauface.so"
! readelf -d "$WORK/example_static" | grep -q 'NEEDED.*libauface' ||
  fail "example_static depends on libauface.so"

for kind in shared static plain_static; do
  "$WORK/example_$kind" --models "$MODELS" --max-frames 10 "$MEDIA/default.wmv" \
    "$WORK/$kind.csv" >"$WORK/$kind.out" 2>"$WORK/$kind.err" ||
    fail "example_$kind failed: $(cat "$WORK/$kind.err")"
  rows=$(( $(wc -l <"$WORK/$kind.csv") - 1 ))
  [ "$rows" -eq 10 ] || fail "example_$kind wrote $rows rows, expected 10"
  echo "ok: example linked $kind wrote 10 rows"
done
# The installed library computes what the build tree's CLI does.
"$PREFIX/bin/auface" --video "$MEDIA/default.wmv" --models "$MODELS" --max-frames 10 --quiet \
  --output "$WORK/cli.csv" || fail "installed auface failed"
cmp -s "$WORK/cli.csv" "$WORK/shared.csv" || fail "the example's CSV differs from auface's"
cmp -s "$WORK/shared.csv" "$WORK/static.csv" || fail "shared and static examples differ"
echo "ok: installed into $PREFIX; example built with pkg-config (shared and static)"
