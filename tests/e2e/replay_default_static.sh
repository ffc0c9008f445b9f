# As replay_default, with OpenFace's static AU models (-au_static).
source "$(dirname "$0")/lib.sh"
"$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --au-static \
  --landmarks-from "$REF/default/default_landmarks.csv" --output "$WORK/static.csv"
"$COMPARE" "$WORK/static.csv" "$REF/default_au_static/default.csv" \
  --min-r 0.995 --max-mae 0.01 --min-agree 0.98
