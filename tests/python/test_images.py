"""Pipeline.process_image: still images as OpenFace's FaceLandmarkImg, from a path or from
a BGR array, with the CLI's bytes and OpenFace's faces."""

import subprocess

import cv2
import numpy as np

import auface

from conftest import CLI, MEDIA, MODELS, SHARED

SAMPLE2_CSV = SHARED / "reference" / "openface-2.2" / "images" / "sample2.csv"


def test_every_face_in_openface_order_with_its_confidence():
    pipeline = auface.Pipeline(models=str(MODELS), landmarks="clnf")
    results = pipeline.process_image(MEDIA / "sample2.jpg")
    reference = np.genfromtxt(SAMPLE2_CSV, delimiter=",", names=True)
    assert len(results) == len(reference) == 3
    assert results.columns[:2] == ["face", "confidence"]
    assert list(results["face"]) == list(reference["face"])
    assert np.allclose(results["confidence"], reference["confidence"], atol=0.0005)
    assert results.aus.shape == (3, 17)


def test_array_input_equals_path_input_and_the_cli(tmp_path):
    pipeline = auface.Pipeline(models=str(MODELS), landmarks="clnf")
    from_path = tmp_path / "path.csv"
    from_array = tmp_path / "array.csv"
    pipeline.process_image(MEDIA / "sample1.jpg", output_csv=from_path)
    pipeline.process_image(cv2.imread(str(MEDIA / "sample1.jpg")), output_csv=from_array)
    by_cli = tmp_path / "cli.csv"
    subprocess.run([str(CLI), "--models", str(MODELS), "--landmarks", "clnf", "--quiet",
         "--video", str(MEDIA / "sample1.jpg"), "--output", str(by_cli)], check=True)
    assert from_path.read_bytes() == from_array.read_bytes() == by_cli.read_bytes()


def test_an_image_without_a_face_gives_no_rows():
    pipeline = auface.Pipeline(models=str(MODELS))
    results = pipeline.process_image(np.zeros((120, 160, 3), np.uint8))
    assert len(results) == 0
    assert "AU12_r" in results.columns
