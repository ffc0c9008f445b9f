# auface's own landmarks (RetinaFace or YuNet + PFLD, tracked) on default.wmv against
# OpenFace 2.2 with its CLNF landmarks. Issue thresholds: success on >= 99 % of frames,
# mean 2D landmark distance <= 6 px, mean Pearson r over the varying AU_r >= 0.70.
source "$(dirname "$0")/lib.sh"
for detector in retinaface yunet; do
  "$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --detector "$detector" \
    --output "$WORK/$detector.csv"
  echo "== $detector"
  "$COMPARE" "$WORK/$detector.csv" "$REF/default/default.csv" \
    --min-success 0.99 --max-landmark-px 6 --min-mean-r 0.70 --r-min-std 0.01
done
