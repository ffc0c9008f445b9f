"""Rows of one face of a multi-face auface CSV, for auface-compare.

usage: multi_face_rows.py CSV FACE_ID OUT [X_SHIFT]
Writes the rows with face_id FACE_ID (header kept) to OUT, with face_id set to 0 and X_SHIFT
subtracted from every 2D x column (x_*, eye_lmk_x_*), so a face of one half of a side-by-side
video compares with a single-face run of that half. Prints the face's frame count, first and
last frame, and the mean x of its landmarks (before the shift) on successful frames."""
import sys

src, face, out = sys.argv[1], sys.argv[2], sys.argv[3]
shift = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
with open(src) as f:
    header = f.readline()
    names = [c.strip() for c in header.split(",")]
    xcols = [i for i, n in enumerate(names) if n.startswith("x_") or n.startswith("eye_lmk_x_")]
    x68 = [i for i, n in enumerate(names) if n.startswith("x_")]
    id_col, ok_col = names.index("face_id"), names.index("success")
    frames, xs = [], []
    with open(out, "w") as o:
        o.write(header)
        for line in f:
            cells = line.rstrip("\n").split(", ")
            if cells[id_col].strip() != face:
                continue
            frames.append(int(cells[0]))
            if cells[ok_col].strip() == "1":
                xs.append(sum(float(cells[i]) for i in x68) / len(x68))
            cells[id_col] = "0"
            if shift:
                for i in xcols:
                    cells[i] = "%.1f" % (float(cells[i]) - shift) if "." in cells[i] else cells[i]
            o.write(", ".join(cells) + "\n")
mean_x = sum(xs) / len(xs) if xs else -1
print(len(frames), frames[0] if frames else -1, frames[-1] if frames else -1, "%.1f" % mean_x)
