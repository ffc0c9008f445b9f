# OpenFace's own tracker (--landmarks clnf, MTCNN) on default.wmv against OpenFace 2.2 run
# with the same model. Issue thresholds: mean 2D landmark distance <= 0.5 px, success flags
# equal on >= 99 % of frames, every AU_r with r >= 0.98 (and MAE <= 0.02 here); beyond
# them, the CSV and the .hog are byte-identical to OpenFace's; the output with two workers
# is byte-identical to one.
source "$(dirname "$0")/lib.sh"
"$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --landmarks clnf \
  --workers 1 --output "$WORK/clnf.csv" --hog "$WORK/clnf.hog"
"$COMPARE" "$WORK/clnf.csv" "$REF/default/default.csv" \
  --max-landmark-px 0.5 --min-success 0.99 --min-r 0.98 --max-mae 0.02
cmp "$WORK/clnf.csv" "$REF/default/default.csv" || fail "CLNF CSV differs from OpenFace's"
cmp "$WORK/clnf.hog" "$REF/default/default.hog" || fail "CLNF .hog differs from OpenFace's"
echo "ok: CLNF CSV and .hog byte-identical to OpenFace's"
"$AUFACE" --video "$MEDIA/default.wmv" --models "$MODELS" --quiet --landmarks clnf \
  --workers 2 --output "$WORK/clnf2.csv"
cmp "$WORK/clnf.csv" "$WORK/clnf2.csv" || fail "--workers 2 differs from --workers 1 in CLNF mode"
echo "ok: CLNF output identical with two workers"
