"""python3 -m auface ...: the auface program (same flags, messages and exit status).

The program's own C code runs in this process (auface._core.cli_main), so there is no
second binary to find or keep in step.
"""

import signal
import sys

from . import main

if __name__ == "__main__":
    # Ctrl-C ends the program as it ends the C binary: the default action, not a Python
    # exception that could only be raised after the C code returns. Outputs are written
    # under temporary names and renamed at the end, so no partial CSV is left behind.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Python ignores SIGPIPE; the program ends on it (e.g. --progress-json piped to head).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
