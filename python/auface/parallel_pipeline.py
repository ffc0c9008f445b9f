"""The original's module names: ``from auface.parallel_pipeline import ParallelAUPipeline``
and ``python3 -m auface.parallel_pipeline --video V --output CSV --workers N`` (the auface
program's flags, which include the original's --video --output --workers --max-frames)."""

import signal
import sys

from . import main
from ._compat import ParallelAUPipeline

__all__ = ["ParallelAUPipeline", "main"]

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as python3 -m auface
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
