"""Peak memory of a long video processed from Python (not a test: run by hand).

    ffmpeg -stream_loop 21 -i ../shared/media/2015-10-15-15-14.avi -c copy /tmp/long10.avi
    PYTHONPATH=build/python /usr/bin/python3 tests/python/measure/memory.py /tmp/long10.avi

(22 copies of the 842-frame video: 18,524 frames, 10 min 17 s.) Prints frames, time and
this process's ru_maxrss after process_video with output_csv.
"""

import resource
import sys
import time
from pathlib import Path

import auface

MODELS = Path(__file__).resolve().parents[3].parent / "shared" / "models"


def main():
    video = sys.argv[1]
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    pipeline = auface.Pipeline(models=MODELS, workers=workers)
    start = time.perf_counter()
    results = pipeline.process_video(video, output_csv="/tmp/auface_memory.csv")
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"frames {len(results)}  seconds {seconds:.1f}  frames/s {len(results) / seconds:.1f}  "
          f"ru_maxrss {peak} KB ({peak / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
