# The auface-bench benchmark, the library example, and the test that runs the example.
#
# Included by the top-level CMakeLists.txt after the test-suite block (it uses
# AUFACE_SHARED_DIR, defined there). Both programs use only the public API (auface.h).

add_executable(auface-bench tools/auface_bench.c tools/tool_memory.c)
target_link_libraries(auface-bench PRIVATE auface_core)

# examples/process_video.c is what users copy; building it with the project keeps it
# compiling against the current header, and the test below keeps it working.
add_executable(process_video examples/process_video.c)
target_link_libraries(process_video PRIVATE auface_core)

if(AUFACE_BUILD_TESTS)
  # Runs the example on the first 30 frames of default.wmv: it must exit 0 and write a CSV
  # with a header and exactly 30 rows.
  add_test(NAME example.process_video
    COMMAND bash -c [[
      set -euo pipefail
      work=$(mktemp -d)
      trap 'rm -rf "$work"' EXIT
      "$1" --models "$2/models" --max-frames 30 "$2/media/default.wmv" "$work/default.csv" \
        >"$work/stdout.txt"
      rows=$(( $(wc -l <"$work/default.csv") - 1 ))
      [ "$rows" -eq 30 ] || { echo "FAIL: expected 30 rows in the CSV, found $rows" >&2; exit 1; }
      head -c 9 "$work/default.csv" | grep -qx 'frame, fa' ||
        { echo "FAIL: the CSV does not start with OpenFace's header" >&2; exit 1; }
      grep -q '30 frames' "$work/stdout.txt" ||
        { echo "FAIL: summary lacks '30 frames': $(cat "$work/stdout.txt")" >&2; exit 1; }
      echo "ok: process_video wrote 30 rows"
    ]] process_video $<TARGET_FILE:process_video> ${AUFACE_SHARED_DIR})
  set_tests_properties(example.process_video PROPERTIES LABELS e2e TIMEOUT 120)
endif()
