"""Results: the rows of one processed video, as the CSV the auface program writes.

NumPy is imported on first use of the values, not with the package: a script that only
writes the CSV (``Pipeline().process_video(v, output_csv=c)``) does not pay for it.
"""

_POSE = ("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz")
_GAZE = ("gaze_0_x", "gaze_0_y", "gaze_0_z", "gaze_1_x", "gaze_1_y", "gaze_1_z",
         "gaze_angle_x", "gaze_angle_y")
_LANDMARKS = 68


class Results:
    """Every row of one job, in the CSV's columns and order.

    The values are the C library's doubles, held once: ``to_numpy()`` and the group
    properties (``aus``, ``pose``, ...) are read-only NumPy views or small copies, never a
    parse of text. ``Results`` answers the common pandas-DataFrame questions directly
    (``len``, ``shape``, ``columns``, ``results['AU12_r']``, ``'AU12_r' in results``,
    ``to_csv``); ``to_pandas()`` gives a real DataFrame for the rest.
    """

    def __init__(self, core_results):
        self._core = core_results
        self._array = None
        self._columns = list(core_results.columns)
        self._index = {name: i for i, name in enumerate(self._columns)}

    @property
    def _data(self):
        """The values as a rows x cols array: the buffer protocol of _core.Results gives a
        zero-copy, read-only view, made on first use."""
        if self._array is None:
            import numpy as np

            self._array = np.asarray(self._core)
        return self._array

    # ---- DataFrame-like basics -------------------------------------------------------
    def __len__(self):
        return self._core.rows

    def __repr__(self):
        return f"<auface.Results: {len(self)} frames x {len(self._columns)} columns>"

    @property
    def shape(self):
        """(frames, columns), as DataFrame.shape."""
        return (self._core.rows, len(self._columns))

    @property
    def columns(self):
        """The CSV's column names, in order."""
        return list(self._columns)

    def keys(self):
        """The column names (as DataFrame.keys())."""
        return self.columns

    def __iter__(self):
        # A DataFrame iterates over its column names.
        return iter(self.columns)

    def __contains__(self, name):
        return name in self._index

    def __getitem__(self, key):
        """``results['AU12_r']``: one column (1-D, read-only); a list of names: frames x n."""
        if isinstance(key, str):
            return self._data[:, self._column(key)]
        if isinstance(key, (list, tuple)) and all(isinstance(k, str) for k in key):
            return self._data[:, [self._column(k) for k in key]]
        raise TypeError("index Results by a column name or a list of column names "
                        "(use to_numpy() or to_pandas() for rows)")

    def _column(self, name):
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"no column {name!r} in these results") from None

    def _group(self, names, what):
        missing = [n for n in names if n not in self._index]
        if missing:
            raise KeyError(f"these results have no {what} columns ({missing[0]} ...): the "
                           f"pipeline's outputs excluded them")
        return self._data[:, [self._index[n] for n in names]]

    # ---- arrays ------------------------------------------------------------------------
    def to_numpy(self):
        """frames x columns float64 array (read-only view; ``.copy()`` to modify)."""
        return self._data

    values = property(to_numpy, doc="Same as to_numpy() (as DataFrame.values).")

    def __array__(self, dtype=None):
        """np.asarray(results): the frames x columns values."""
        return self._data if dtype is None else self._data.astype(dtype)

    @property
    def intensity_columns(self):
        """Names of the AU intensity columns (AU01_r ... AU45_r)."""
        return [c for c in self._columns if c.startswith("AU") and c.endswith("_r")]

    @property
    def presence_columns(self):
        """Names of the AU presence columns (AU01_c ... AU45_c)."""
        return [c for c in self._columns if c.startswith("AU") and c.endswith("_c")]

    @property
    def aus(self):
        """frames x 17 AU intensities (0..5), columns as ``intensity_columns``."""
        names = self.intensity_columns
        return self._group(names or ["AU01_r"], "AU intensity")

    @property
    def presence(self):
        """frames x 18 AU presences (0 or 1), columns as ``presence_columns``."""
        names = self.presence_columns
        return self._group(names or ["AU01_c"], "AU presence")

    @property
    def landmarks(self):
        """frames x 68 x 2 landmark positions in pixels ([..., 0] = x, [..., 1] = y)."""
        import numpy as np

        xs = self._group([f"x_{i}" for i in range(_LANDMARKS)], "2D landmark")
        ys = self._group([f"y_{i}" for i in range(_LANDMARKS)], "2D landmark")
        return np.stack([xs, ys], axis=-1)

    @property
    def pose(self):
        """frames x 6: pose_Tx, pose_Ty, pose_Tz (mm), pose_Rx, pose_Ry, pose_Rz (radians)."""
        return self._group(_POSE, "pose")

    @property
    def gaze(self):
        """frames x 8: gaze_0_x/y/z, gaze_1_x/y/z, gaze_angle_x/y (when the CSV has them)."""
        return self._group(_GAZE, "gaze")

    @property
    def success(self):
        """Boolean per frame: a face was found and fitted."""
        return self["success"] != 0

    @property
    def timestamp(self):
        """Seconds from the start of the video, per frame."""
        return self["timestamp"]

    @property
    def frame(self):
        """1-based frame numbers, as the CSV's ``frame`` column."""
        return self["frame"].astype("int64")

    # ---- conversions ----------------------------------------------------------------------
    def to_pandas(self):
        """A pandas DataFrame with the CSV's columns (integer columns as int64)."""
        import pandas as pd  # imported here: pandas is needed for this method only

        frame = pd.DataFrame(self._data, columns=self._columns, copy=True)
        for name, decimals in zip(self._columns, self._core.decimals):
            if decimals == 0:
                frame[name] = frame[name].astype("int64")
        return frame

    def to_csv(self, path, index=False):
        """Writes the CSV the auface program writes for the same input and settings (the
        same bytes), atomically, replacing ``path``. ``index`` is accepted for pandas
        compatibility; the file never has an index column."""
        del index
        self._core.write_csv(path)

    def plot(self, path=None, aus=None):
        """Draws the AU intensities over time (one panel per AU, frames without a face as
        gaps) and returns the matplotlib Figure; saves it to ``path`` when given (the format
        follows the extension). ``aus``: names such as ``['AU06_r', 'AU12_r']`` (default: all
        intensities)."""
        import numpy as np

        from .plot import plot_aus

        names = list(aus) if aus else self.intensity_columns
        values = np.column_stack([self[n] for n in names]) if names else None
        return plot_aus(self.timestamp, self.success, names, values, path=path)
