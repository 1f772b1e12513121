"""Evaluation outputs on a synthetic split: metrics.json, predictions.csv that recompute the metrics,
and the two figures; refusing to overwrite without force."""
import json

import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from leveltwo.dataset import Split, _align
from leveltwo.evaluate import AGGREGATION_MEANING, evaluate_split, summary, write_evaluation
from leveltwo.metrics import AGGREGATIONS, average_precision
from leveltwo.models import load_model
from synthetic import make_corpus


def _split():
    tables, labels, _ = make_corpus(6, seed=51)
    labels[0][:] = 0  # one video without A/H
    return Split("test", tables, labels, [int(y.max()) for y in labels], [t.meta.video_id for t in tables],
                 [None] * len(tables))


def test_evaluate_writes_everything(tmp_path):
    split = _split()
    result, preds = evaluate_split(load_model(None), split)
    assert set(result) >= {"fixed_0.5", "tuned", "model", "split"}
    assert set(result["fixed_0.5"]["video"]) == set(AGGREGATIONS)
    assert len(preds) == split.n_frames and list(preds.columns) == ["video", "frame", "label", "p1"]
    write_evaluation(tmp_path, result, preds)
    back = pd.read_csv(tmp_path / "predictions.csv")
    assert average_precision(back["label"], back["p1"]) == pytest.approx(result["fixed_0.5"]["frame"]["ap"], abs=1e-4)
    assert json.loads((tmp_path / "metrics.json").read_text())["split"]["videos"] == 6
    assert (tmp_path / "pr_curve.png").read_bytes()[:4] == b"\x89PNG"
    text = summary(result)
    assert "frame AVGF1" in text
    # every video-level line is labelled as such and says what its aggregation is (issue 20)
    video_lines = [line for line in text.splitlines() if line.strip().startswith("video")]
    assert len(video_lines) == 2 * len(AGGREGATIONS)
    assert all(line.strip().startswith("video-level ") and line.rstrip().endswith("]") for line in video_lines)
    assert "highest mean over any 24 consecutive frames" in text and "(6 videos)" in text
    assert set(AGGREGATION_MEANING) == set(AGGREGATIONS)
    with pytest.raises(InputError):
        write_evaluation(tmp_path, result, preds)


def test_label_alignment():
    y, adj = _align(np.array([0, 1, 1]), 3, "k")
    assert not adj and y.tolist() == [0, 1, 1]
    y, adj = _align(np.ones(100, int), 101, "k")
    assert adj and len(y) == 101 and y[-1] == 1
    with pytest.raises(InputError, match="frame labels"):
        _align(np.ones(50, int), 100, "k")
