"""Face mesh landmarks read from the message's wire bytes are the values read field by field."""
from __future__ import annotations

import numpy as np
import pytest

landmark_pb2 = pytest.importorskip("mediapipe.framework.formats.landmark_pb2")

from levelone.pipeline.vision import face_landmarks, landmark_array, landmarks_from_wire  # noqa: E402


def _field_by_field(landmarks) -> np.ndarray:
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], np.float32).reshape(-1, 3)


def test_wire_bytes_give_the_fields():
    rng = np.random.default_rng(0)
    msg = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in rng.normal(0.5, 0.4, (478, 3)).astype(np.float32):
        msg.landmark.add(x=float(x), y=float(y), z=float(z))
    msg.landmark.add(x=0.0, y=-0.0, z=float("inf"))  # zeros are still written (proto2 optional): same layout
    fast = landmarks_from_wire(msg.SerializeToString(), len(msg.landmark))
    assert fast is not None  # the mesh's layout is read from the bytes
    np.testing.assert_array_equal(fast, _field_by_field(msg))
    np.testing.assert_array_equal(landmark_array(msg), _field_by_field(msg))


@pytest.mark.parametrize("fields", [{"x": 0.25}, {"x": 0.1, "y": 0.2, "z": 0.3, "visibility": 0.9}, {}])
def test_other_layouts_are_read_field_by_field(fields):
    msg = landmark_pb2.NormalizedLandmarkList()
    for k in range(4):
        msg.landmark.add(**{name: v * (k + 1) for name, v in fields.items()})
    if fields and set(fields) != {"x", "y", "z"}:
        assert landmarks_from_wire(msg.SerializeToString(), 4) is None
    np.testing.assert_array_equal(landmark_array(msg), _field_by_field(msg))
    assert landmark_array(landmark_pb2.NormalizedLandmarkList()).shape == (0, 3)


def test_pixels_are_the_normalised_values_scaled_in_double():
    class Result:
        multi_face_landmarks = [landmark_pb2.NormalizedLandmarkList()]
    for x, y, z in ((0.1, 0.7, -0.03), (0.3333333, 0.9999, 0.5)):
        Result.multi_face_landmarks[0].landmark.add(x=x, y=y, z=z)
    got = face_landmarks(Result, 641, 359)
    want = np.array([(p.x * 641, p.y * 359, p.z * 641) for p in Result.multi_face_landmarks[0].landmark], np.float32)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
