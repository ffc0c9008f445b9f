"""Frames one by one from cv2.VideoCapture: the video pipeline's landmarks and pose."""

import cv2
import numpy as np
import pytest

import auface
from conftest import DEFAULT_WMV, FRAMES, MODELS


def read_frames(path, n):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.fixture(scope="module")
def frames():
    frames = read_frames(DEFAULT_WMV, FRAMES)
    assert len(frames) == FRAMES and frames[0].shape == (480, 640, 3)
    return frames


def test_stream_gives_the_video_pipelines_landmarks(pipeline, results, frames):
    stream = pipeline.stream(fps=30.0)
    rows = [stream.process_frame(f) for f in frames]
    landmarks = np.array([[[r[f"x_{i}"], r[f"y_{i}"]] for i in range(68)] for r in rows])
    distance = np.linalg.norm(landmarks - results.landmarks, axis=2)
    assert distance.mean() <= 0.05, f"mean landmark distance {distance.mean():.4f} px"
    pose = np.array([[r[c] for c in ("pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry",
                                     "pose_Rz")] for r in rows])
    np.testing.assert_allclose(pose, results.pose, atol=0.01)
    assert [r["frame"] for r in rows] == list(range(1, FRAMES + 1))
    assert all(r["success"] == 1 for r in rows)
    assert rows[1]["timestamp"] == pytest.approx(1 / 30.0)


def test_stream_row_has_the_csv_names(pipeline, frames, results):
    row = pipeline.stream().process_frame(frames[0], timestamp=12.5)
    assert row["timestamp"] == 12.5
    names = list(row)
    assert names[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    for name in results.intensity_columns + results.presence_columns + ["pose_Rz", "x_67",
                                                                       "y_0", "gaze_angle_y"]:
        assert name in row
    assert all(0.0 <= row[c] <= 5.0 for c in results.intensity_columns)


def test_stream_reset_starts_again(pipeline, frames):
    with pipeline.stream() as stream:
        first = stream.process_frame(frames[0])
        stream.process_frame(frames[1])
        stream.reset()
        again = stream.process_frame(frames[0])
    assert again["frame"] == 1
    assert again["x_30"] == first["x_30"]


def test_stream_accepts_a_crop_and_rejects_wrong_arrays(pipeline, frames):
    stream = pipeline.stream()
    crop = frames[0][40:440, 80:560]       # rows padded: a view into the larger frame
    assert not crop.flags["C_CONTIGUOUS"]
    row = stream.process_frame(crop)
    assert row["success"] == 1
    with pytest.raises(ValueError, match="uint8"):
        stream.process_frame(frames[0].astype(np.float32))
    with pytest.raises(ValueError, match="H x W x 3"):
        stream.process_frame(frames[0][:, :, 0])


def test_stream_runs_beside_process_video(frames):
    """The stream has its own C pipeline: a video in between does not disturb it."""
    p = auface.Pipeline(models=MODELS, workers=1)
    s = p.stream()
    a = [s.process_frame(f)["x_30"] for f in frames[:3]]
    p.process_video(DEFAULT_WMV, max_frames=3)
    s.reset()
    b = [s.process_frame(f)["x_30"] for f in frames[:3]]
    assert a == b
