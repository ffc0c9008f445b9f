"""Compares the gaze block of two OpenFace-layout CSVs (helper of the gaze e2e scripts).

usage: gaze_compare.py OURS.csv OPENFACE.csv [--max-eye-px X] [--max-gaze X]
                       [--min-r-x R] [--min-r-y R] [--max-deg-x D] [--max-deg-y D]

Prints the mean distance of the 56 2D eye landmarks (px), the mean absolute difference of
the gaze vector components and of the two gaze angles, the share of gaze fields printed
identically, and for each angle Pearson's r and the mean difference in degrees; exits 1
when a given threshold is not met.
"""
import csv
import math
import sys


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    names = [c.strip() for c in rows[0]]
    return names, [[c.strip() for c in r] for r in rows[1:] if r]


def column(names, rows, name):
    i = names.index(name)
    return [r[i] for r in rows]


def pearson(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    return cov / math.sqrt(va * vb) if va > 0 and vb > 0 else float("nan")


def main(argv):
    ours_names, ours = load(argv[1])
    ref_names, ref = load(argv[2])
    limits = dict(zip(argv[3::2], map(float, argv[4::2])))
    n = min(len(ours), len(ref))
    ours, ref = ours[:n], ref[:n]
    dist = 0.0
    for i in range(56):
        xo = column(ours_names, ours, "eye_lmk_x_%d" % i)
        yo = column(ours_names, ours, "eye_lmk_y_%d" % i)
        xr = column(ref_names, ref, "eye_lmk_x_%d" % i)
        yr = column(ref_names, ref, "eye_lmk_y_%d" % i)
        for a, b, c, d in zip(xo, yo, xr, yr):
            dist += math.hypot(float(a) - float(c), float(b) - float(d))
    eye_px = dist / (56 * n)
    vec, same, fields = 0.0, 0, 0
    for name in ["gaze_%d_%s" % (e, c) for e in (0, 1) for c in "xyz"] + \
            ["gaze_angle_x", "gaze_angle_y"]:
        o, r = column(ours_names, ours, name), column(ref_names, ref, name)
        same += sum(a == b for a, b in zip(o, r))
        fields += n
        if name.startswith("gaze_angle"):
            continue
        vec += sum(abs(float(a) - float(b)) for a, b in zip(o, r))
    vec /= 6 * n
    print("eye landmarks: mean %.4f px; gaze vectors: mean |diff| %.6f; gaze fields printed "
          "identically: %.1f %%" % (eye_px, vec, 100.0 * same / fields))
    failed = []
    if eye_px > limits.get("--max-eye-px", float("inf")):
        failed.append("eye landmarks %.4f px" % eye_px)
    if vec > limits.get("--max-gaze", float("inf")):
        failed.append("gaze vectors %.6f" % vec)
    for axis in "xy":
        o = [float(v) for v in column(ours_names, ours, "gaze_angle_" + axis)]
        r = [float(v) for v in column(ref_names, ref, "gaze_angle_" + axis)]
        mad = sum(abs(a - b) for a, b in zip(o, r)) / n
        rr = pearson(o, r)
        print("gaze_angle_%s: r %.4f, mean |diff| %.5f rad = %.3f deg" %
              (axis, rr, mad, math.degrees(mad)))
        if mad > limits.get("--max-gaze", float("inf")):
            failed.append("gaze_angle_%s %.5f rad" % (axis, mad))
        if not rr >= limits.get("--min-r-" + axis, -2.0):
            failed.append("gaze_angle_%s r %.4f" % (axis, rr))
        if math.degrees(mad) > limits.get("--max-deg-" + axis, float("inf")):
            failed.append("gaze_angle_%s %.3f deg" % (axis, math.degrees(mad)))
    if failed:
        print("FAIL: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
