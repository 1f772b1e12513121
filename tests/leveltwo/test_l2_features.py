"""Level two reads the FrameTable only through its schema: no undeclared columns, no default fps."""
from __future__ import annotations

import numpy as np
import pytest

from leveltwo.features import frame_features
from leveltwo.predict import predict_video
from leveltwo.models import load_model
from synthetic import make_video


@pytest.fixture()
def table():
    return make_video(np.random.default_rng(3), 240, "p1_v1", n_segments=1)[0]


def test_a_missing_required_column_is_an_error_not_nan(table):
    full = frame_features(table)
    del table.data["cue.face.gaze"]
    with pytest.raises(KeyError, match="cue.face.gaze"):
        frame_features(table)
    assert full.terms.shape == (240, len(full.term_names))


def test_optional_stance_columns_are_read_when_present(table):
    base = frame_features(table).terms[:, list(frame_features(table).term_names).index("within.language")]
    table.data["text.stance_conflict"] = np.ones(240, np.float32)
    raised = frame_features(table).terms[:, list(frame_features(table).term_names).index("within.language")]
    assert np.all(raised >= base) and np.allclose(raised, 1.0)


@pytest.mark.parametrize("fps", [0.0, float("nan")])
def test_no_default_frame_rate(table, fps):
    table.meta.fps = fps
    with pytest.raises(ValueError, match="no valid fps"):
        frame_features(table)
    with pytest.raises(ValueError, match="no valid fps"):
        predict_video(load_model(None), table)
