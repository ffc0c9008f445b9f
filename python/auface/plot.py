"""AU intensity time series: one panel per AU, time on x, 0-5 on y, no-face frames as gaps.

    python3 -m auface.plot RESULTS.csv -o aus.png [--aus AU06_r,AU12_r]

reads any auface or OpenFace FeatureExtraction CSV. In Python: ``Results.plot`` or
``plot_aus``. Figures are drawn without pyplot, so nothing here needs a display or changes
the caller's matplotlib backend.
"""

import argparse
import sys

import numpy as np

PANEL_HEIGHT_IN = 1.0
FIGURE_WIDTH_IN = 10.0


def plot_aus(timestamp, success, names, values, path=None, title=None):
    """Draws `values` (frames x len(names)) against `timestamp` (seconds), one panel per
    column; frames where `success` is false are left out of the lines (gaps). Saves to
    `path` when given (format from its extension) and returns the matplotlib Figure."""
    from matplotlib.figure import Figure  # lazily: matplotlib is needed for plots only

    names = list(names)
    if not names:
        raise ValueError("no AU intensity columns to plot")
    values = np.asarray(values, dtype=float).reshape(len(timestamp), len(names))
    shown = np.where(np.asarray(success, dtype=bool)[:, None], values, np.nan)
    fig = Figure(figsize=(FIGURE_WIDTH_IN, 0.6 + PANEL_HEIGHT_IN * len(names)),
                 layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name, column in zip(axes, names, shown.T):
        ax.plot(timestamp, column, linewidth=0.9)
        ax.set_ylim(0, 5)
        ax.set_yticks([0, 5])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        ax.grid(True, linewidth=0.3)
    axes[-1].set_xlabel("time (s)")
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def read_csv(path):
    """(column names, frames x columns float array) of an auface or OpenFace CSV (both
    write ", " between fields)."""
    import pandas as pd

    frame = pd.read_csv(path, skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return list(frame.columns), frame.to_numpy(dtype=float)


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python3 -m auface.plot",
        description="Plot AU intensities over time from an auface or OpenFace CSV.")
    parser.add_argument("csv", help="auface or OpenFace FeatureExtraction CSV")
    parser.add_argument("-o", "--output", required=True,
                        help="image to write (PNG, SVG, PDF, ... by extension)")
    parser.add_argument("--aus", help="comma-separated columns, e.g. AU06_r,AU12_r "
                                      "(default: every AU intensity)")
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    try:
        columns, data = read_csv(args.csv)
    except (OSError, ValueError) as e:
        print(f"auface.plot: cannot read {args.csv}: {e}", file=sys.stderr)
        return 1
    index = {c: i for i, c in enumerate(columns)}
    names = ([a.strip() for a in args.aus.split(",") if a.strip()] if args.aus else
             [c for c in columns if c.startswith("AU") and c.endswith("_r")])
    missing = [n for n in names + ["timestamp", "success"] if n not in index]
    if missing or not names:
        print(f"auface.plot: {args.csv} has no column {missing[0] if missing else 'AU*_r'}",
              file=sys.stderr)
        return 1
    values = data[:, [index[n] for n in names]]
    try:
        plot_aus(data[:, index["timestamp"]], data[:, index["success"]] != 0, names, values,
                 path=args.output, title=args.csv)
    except (OSError, ValueError) as e:
        print(f"auface.plot: cannot write {args.output}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
