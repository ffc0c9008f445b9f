#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang, -fsanitize=fuzzer,address,undefined, in
# their own build folder) and runs each one for SECONDS, one after the other on one core.
#
#   bash scripts/fuzz.sh SECONDS [TARGET ...]
#
# Each harness first replays its regression files (fuzz/regressions/<target>/), then fuzzes
# from a temporary corpus seeded with copies of the real model and data files in the shared
# folder ($AUFACE_SHARED_DIR, default ../shared). Exits non-zero if any harness reports a
# finding (crash, leak, undefined behaviour, timeout, out-of-memory); the crashing inputs are
# kept in $FUZZ_BUILD/findings/ (add them to fuzz/regressions/<target>/ once fixed).
# Environment: FUZZ_BUILD (default build-fuzz), AUFACE_SHARED_DIR, FUZZ_JOBS (build, 2),
# FUZZ_SEED (libFuzzer's -seed; 0, the default, picks a new one each run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:?usage: scripts/fuzz.sh SECONDS [TARGET ...]}
shift
build=${FUZZ_BUILD:-build-fuzz}
shared=$(cd "${AUFACE_SHARED_DIR:-$root/../shared}" && pwd)
all_targets=(onnx ccnf_patches clnf_validator clnf_text mtcnn pdm au_models triangulation
             landmark_csv hog image)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }

CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DAUFACE_FUZZ=ON -DAUFACE_BUILD_TESTS=OFF \
  -DAUFACE_SANITIZE=OFF -DAUFACE_TSAN=OFF >/dev/null
cmake --build "$build" -j"${FUZZ_JOBS:-2}" --target fuzz_all

work=$(mktemp -d "${TMPDIR:-/tmp}/aufuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The harnesses write each input to a file: keep those in memory when /dev/shm is there.
fz_tmp="$work/tmp"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then fz_tmp=$(mktemp -d /dev/shm/aufuzz.XXXXXX); fi
mkdir -p "$fz_tmp" "$build/findings"
trap 'rm -rf "$work" "$fz_tmp"' EXIT

m=$shared/models/openface
seed() { # seed TARGET FILE...: copies the shared files into the target's corpus
  local dir=$work/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do cp -L "$f" "$dir/" ; done
}

# YuNet only: the parser is generic over nodes and tensors, and the 2-3 MB PFLD/RetinaFace
# files would slow every run tenfold.
seed onnx "$shared"/models/yunet/*.onnx
seed ccnf_patches "$m"/model/model_eye/patch_experts/*.txt \
  "$m"/model/patch_experts/ccnf_patches_0.25_general.txt
seed clnf_validator "$m"/model/detection_validation/validator_cnn.txt \
  "$m"/model/detection_validation/validator_general_68.txt
seed mtcnn "$m"/model/mtcnn_detector/*.dat
seed pdm "$m"/model/pdms/*.txt "$m"/model/model_eye/pdms/*.txt "$m"/model/model_inner/pdms/*.txt
seed au_models "$m"/AU_predictors/svm_combined/AU_1_static.dat \
  "$m"/AU_predictors/svm_combined/AU_1_dynamic.dat \
  "$m"/AU_predictors/svr_combined/AU_1_static_intensity.dat \
  "$m"/AU_predictors/svr_combined/AU_1_dynamic_intensity_comb.dat
seed triangulation "$m"/AU_predictors/tris_68_full.txt "$m"/model/tris_68.txt
seed landmark_csv "$shared"/reference/openface-2.2/sample1/sample1.csv \
  "$shared"/reference/openface-2.2/images/image_sequence/001.csv
head -n 5 "$shared"/reference/openface-2.2/default/default_landmarks.csv \
  >"$work/corpus/landmark_csv/default_landmarks_head.csv"
head -n 3 "$shared"/reference/openface-2.2/default/default.csv \
  >"$work/corpus/landmark_csv/default_head.csv"
seed hog "$shared"/reference/openface-2.2/sample1/sample1.hog
head -c $((3 * 17872)) "$shared"/reference/openface-2.2/default/default.hog \
  >"$work/corpus/hog/default_head.hog"
seed image "$shared"/media/sample1.jpg "$shared"/media/image_sequence/001.jpg
if command -v ffmpeg >/dev/null; then # small files of the other formats the decoder reads
  for ext in png bmp ppm pgm jpg; do
    ffmpeg -loglevel error -y -i "$shared"/media/sample1.jpg -vf scale=24:-1 \
      "$work/corpus/image/small.$ext"
  done
  # The small JPEG with an EXIF orientation (6: rotate 90 degrees clockwise) after SOI.
  small=$work/corpus/image/small.jpg
  { head -c 2 "$small"
    printf '\377\341\000\042Exif\000\000MM\000\052\000\000\000\010\000\001'
    printf '\001\022\000\003\000\000\000\001\000\006\000\000\000\000\000\000'
    tail -c +3 "$small"; } >"$work/corpus/image/small_exif6.jpg"
fi
# clnf_text: main list, CLNF module list, triangulation, PDM (fuzz/targets.c), with every
# file named only by its name in the harness's folder.
mkdir -p "$work/corpus/clnf_text"
for pdm in "$m"/model/pdms/In-the-wild_aligned_PDM_68.txt \
           "$m"/model/model_eye/pdms/pdm_28_eye_3D_closed.txt; do
  { printf 'LandmarkDetector clnf.txt\nLandmarkDetector_part main.txt inner 17 0 18 1\n'
    printf 'DetectionValidator tris.txt\nFaceDetConversion x\n\n%%%%\n'
    printf 'PDM pdm.txt\r\nTriangulations tris.txt\nPatchesCCNF main.txt\n\n%%%%\n'
    cat "$m"/model/tris_68.txt
    printf '\n%%%%\n'
    cat "$pdm"; } >"$work/corpus/clnf_text/$(basename "$pdm")"
done

status=0
summary=()
for t in "${targets[@]}"; do
  exe=$build/fuzz_$t
  corpus=$work/corpus/$t
  mkdir -p "$corpus"
  # Inputs may grow a little beyond the largest seed.
  max=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -n 1)
  max=$(( ${max:-4096} + 4096 ))
  regressions=()
  if [ -d "fuzz/regressions/$t" ]; then
    mapfile -t regressions < <(find "fuzz/regressions/$t" -type f | sort)
  fi
  if [ ${#regressions[@]} -gt 0 ]; then
    echo "== $t: replaying ${#regressions[@]} regression files"
    if ! TMPDIR=$fz_tmp "$exe" -rss_limit_mb=1536 "${regressions[@]}" \
        >"$work/$t.replay.log" 2>&1; then
      tail -n 40 "$work/$t.replay.log"
      echo "fuzz.sh: $t: a regression file crashes again" >&2
      status=1
      summary+=("$t: REGRESSION")
      continue
    fi
  fi
  echo "== $t: fuzzing for ${seconds}s (max_len $max)"
  log=$build/findings/$t.log
  set +e
  TMPDIR=$fz_tmp "$exe" "$corpus" -max_total_time="$seconds" -max_len="$max" -timeout=20 \
    -seed="${FUZZ_SEED:-0}" \
    -rss_limit_mb=1536 -print_final_stats=1 -artifact_prefix="$build/findings/$t-" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true
    echo "fuzz.sh: $t: finding (exit $rc), log $log" >&2
    status=1
    summary+=("$t: FINDING after ${execs:-?} runs")
  else
    summary+=("$t: ok, ${seconds}s, ${execs:-?} runs, ${cov:-cov ?}")
  fi
  rm -rf "$fz_tmp"/aufz.* 2>/dev/null || true
done

echo "== fuzz summary"
printf '  %s\n' "${summary[@]}"
exit $status
