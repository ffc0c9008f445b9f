"""Several faces from Python: max_faces gives each person a stable face_id, rows by frame
then face_id, and the same bytes as the program's --max-faces."""

import subprocess

import numpy as np

import auface

from conftest import CLI, DEFAULT_WMV, MODELS

FRAMES = 40


def two_faces_video(folder):
    """default.wmv beside its mirror image: two people, one on each half."""
    path = folder / "two.mkv"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(DEFAULT_WMV), "-frames:v",
                    str(FRAMES), "-filter_complex", "[0:v]split[a][b];[b]hflip[m];[a][m]hstack",
                    "-c:v", "ffv1", str(path)], check=True)
    return path


def test_each_face_keeps_its_id_and_matches_the_program(tmp_path):
    video = two_faces_video(tmp_path)
    pipeline = auface.Pipeline(models=MODELS, workers=2, max_faces=2)
    ours = tmp_path / "python.csv"
    results = pipeline.process_video(video, output_csv=ours)
    assert len(results) == 2 * FRAMES
    frames, ids = results["frame"], results["face_id"]
    assert list(frames) == sorted(frames)
    assert list(ids) == [0, 1] * FRAMES
    nose_x = results["x_30"]
    assert np.all(nose_x[ids == 0] < 640) and np.all(nose_x[ids == 1] >= 640)
    program = tmp_path / "program.csv"
    subprocess.run([str(CLI), "--models", str(MODELS), "--quiet", "--workers", "2",
                    "--max-faces", "2", "--video", str(video), "--output", str(program)],
                   check=True)
    assert ours.read_bytes() == program.read_bytes()
