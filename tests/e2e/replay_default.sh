# Landmark replay on default.wmv with OpenFace's full-precision landmarks: the AU columns,
# the HOG and the aligned faces must match OpenFace 2.2's own outputs (issue thresholds:
# r >= 0.995 and MAE <= 0.01 for every AU_r, >= 98 % agreement for every AU_c; HOG within
# 1e-3 on >= 99 % of frames; aligned faces within 1 grey level on average).
source "$(dirname "$0")/lib.sh"
"$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet \
  --landmarks-from "$REF/default/default_landmarks.csv" \
  --output "$WORK/default.csv" --hog "$WORK/default.hog" --aligned "$WORK/aligned"
"$COMPARE" "$WORK/default.csv" "$REF/default/default.csv" \
  --min-r 0.995 --max-mae 0.01 --min-agree 0.98 \
  --hog "$WORK/default.hog" "$REF/default/default.hog" --min-hog-frames 0.99 \
  --aligned "$WORK/aligned" "$REF/default/aligned" --max-aligned-diff 1.0
