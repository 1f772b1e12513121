"""The fusion comparator (leveltwo.fusion) on synthetic FrameTables with planted cues: the detectors'
interface, a better-than-chance ranking, an explanation that sums to the logit and is labelled
approximate, and the safetensors model directory. A test of the mechanism, not accuracy on people."""
from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from codebook.errors import InputError
from leveltwo.fusion import FusionDetector, column_modality
from leveltwo.models import load_model
from leveltwo.predict import predict_video
from synthetic import make_corpus


@pytest.fixture(scope="module")
def corpus():
    return {"train": make_corpus(16, seed=31), "val": make_corpus(4, seed=32), "test": make_corpus(6, seed=33)}


@pytest.fixture(scope="module")
def fitted(corpus):
    tr, va = corpus["train"], corpus["val"]
    model = FusionDetector(epochs=3, patience=2, hidden=8, fused=16, seed=0, device="cpu")
    assert model.fit(tr[0], tr[1], va[0], va[1]) is model
    return model


def test_columns_are_grouped_by_modality():
    assert column_modality("cue.body.shake") == "body"
    assert column_modality("text.p_change") == "language"
    assert column_modality("affect.audio.valence") == "audio"
    assert column_modality("frame") is None and column_modality("time_s") is None


def test_beats_chance_and_keeps_shapes(fitted, corpus):
    tables, labels, _ = corpus["test"]
    probs = [fitted.predict_proba(t) for t in tables]
    assert all(p.shape == (t.meta.n_frames,) and np.all((p >= 0) & (p <= 1)) for p, t in zip(probs, tables))
    y = np.concatenate(labels)
    # chance AP is the positive rate; the planted cues are easy, so ask for much more
    assert average_precision_score(y, np.concatenate(probs)) > max(0.6, 2 * y.mean())
    assert fitted.metrics_["best_epoch"] >= 1 and "val" in fitted.metrics_


def test_explanation_sums_to_the_logit_and_is_labelled_approximate(fitted, corpus):
    table = corpus["test"][0][0]
    ex = fitted.explain(table)
    assert list(ex.columns) == ["signal.face", "signal.language", "signal.audio", "signal.body", "bias"]
    np.testing.assert_allclose(ex.to_numpy().sum(axis=1), fitted.logit(table), atol=1e-9)
    pred = predict_video(fitted, table).to_dict()
    assert pred["model"]["kind"] == "fusion" and pred["model"]["explanation"] == "approximate"
    for seg in pred["segments"]:
        assert seg["cues"] == []  # nothing is claimed at cue level
        assert sum(m["share"] for m in seg["modalities"]) == pytest.approx(1.0, abs=1e-3) or \
            sum(m["share"] for m in seg["modalities"]) == 0.0


def test_save_load_round_trip_and_tamper_check(fitted, corpus, tmp_path):
    d = fitted.save(tmp_path / "fusion")
    assert sorted(p.name for p in d.iterdir()) == ["card.json", "model.safetensors"]
    card = json.loads((d / "card.json").read_text())
    assert card["kind"] == "fusion" and card["explanation"] == "approximate"
    again = load_model(d)
    t = corpus["test"][0][1]
    np.testing.assert_allclose(again.predict_proba(t), fitted.predict_proba(t), rtol=1e-6)
    (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:-3] + b"xyz")
    with pytest.raises(InputError):
        load_model(d)


def test_presence_flags_are_not_inputs(fitted, corpus):
    """Absence is never evidence (issue 20, defect 7): no ``*.present`` column is an input, so
    flipping the flags alone leaves every probability unchanged."""
    assert not [c for cols in fitted.columns_.values() for c in cols if c.endswith(".present")]
    assert any(c.startswith("cue.body.") for c in fitted.columns_["body"])  # the signals still are
    table = corpus["test"][0][2]
    flipped = type(table)(table.data.copy(), table.meta)
    for c in [c for c in flipped.data.columns if c.endswith(".present")]:
        flipped.data[c] = ~flipped.data[c].to_numpy(bool)
    np.testing.assert_array_equal(fitted.predict_proba(flipped), fitted.predict_proba(table))
