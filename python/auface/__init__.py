"""auface: OpenFace 2.2 FeatureExtraction-compatible facial Action Units from video.

    import auface
    results = auface.Pipeline().process_video("video.mp4", output_csv="video.csv")
    results.aus          # frames x 17 AU intensities (0..5)
    results.to_pandas()  # the CSV's columns as a DataFrame

Also: ``Pipeline.stream()`` for frames one by one, the original pyAUface names
``ParallelAUPipeline`` and ``FullPythonAUPipeline``, and the command lines
``python3 -m auface`` (the auface program), ``python3 -m auface.bench`` and
``python3 -m auface.plot``.

The OpenFace models auface uses are licensed for academic and non-profit, non-commercial
research only.
"""

from . import _core
from ._compat import FullPythonAUPipeline, ParallelAUPipeline
from ._pipeline import Pipeline, Stream
from ._results import Results

Error = _core.Error
__version__ = _core.version()

__all__ = ["Pipeline", "Stream", "Results", "Error", "ParallelAUPipeline",
           "FullPythonAUPipeline", "main", "__version__"]


def main(argv=None):
    """Runs the auface program with `argv` (default: sys.argv[1:]); returns its exit
    status (0 ok, 1 an input failed, 2 usage error)."""
    import sys

    args = sys.argv[1:] if argv is None else [str(a) for a in argv]
    return _core.cli_main(["auface", *args])
