"""Cross-modal conflict means disagreement: opposite directions score, agreement does not, however
strong; the codebook's incongruent cue pairs are explicit terms; absence is never evidence."""
from __future__ import annotations

import numpy as np
import pytest

from codebook.vocabulary import PAIRS
from leveltwo.detector import ConflictDetector
from leveltwo.explain import describe_pair, explain_segment, pair_evidence
from leveltwo.features import INCONGRUENT, context_names, frame_features, opposition, pair_modalities, term_pair
from leveltwo.models import codebook_prior
from leveltwo.predict import Prediction, predict_video
from synthetic import make_corpus, make_video


def _table(n: int = 240, **affect):
    """A synthetic table whose affect columns are constant: ``face=(valence, confidence)`` etc."""
    t, _, _ = make_video(np.random.default_rng(0), n, "p000_v0", n_segments=0)
    for m in ("face", "language", "audio", "body"):
        v, c = affect.get(m, (0.0, 0.0))
        t.data[f"affect.{m}.valence"] = np.float32(v)
        t.data[f"affect.{m}.confidence"] = np.float32(c)
    for m in ("face", "audio"):
        t.data[f"affect.{m}.arousal"] = np.float32(np.nan)
    for c in t.cue_columns():
        t.data[c] = np.float32(0.0)
    return t


def _term(t, name: str) -> np.ndarray:
    f = frame_features(t)
    return f.terms[:, f.term_names.index(name)]


def test_opposition_is_zero_when_agreeing_and_symmetric_when_opposed():
    assert opposition(0.9, 0.1) == 0.0 and opposition(-0.9, -0.8) == 0.0 and opposition(0.9, 0.0) == 0.0
    assert opposition(0.8, -0.8) == pytest.approx(0.8)
    assert opposition(-0.1, 0.1) == pytest.approx(0.1)


def test_agreeing_strong_signals_give_no_conflict():
    agree = _term(_table(face=(0.9, 1.0), language=(0.1, 1.0)), "pair.FL")
    assert agree.max() == pytest.approx(0.0, abs=1e-6)  # the old |v_a - v_b| gave 0.4 here
    both_strong = _term(_table(face=(-0.9, 1.0), language=(-0.9, 1.0)), "pair.FL")
    assert both_strong.max() == pytest.approx(0.0, abs=1e-6)
    opposed = _term(_table(face=(0.8, 1.0), language=(-0.8, 1.0)), "pair.FL")
    assert opposed.min() == pytest.approx(0.8, abs=1e-4)
    unsure = _term(_table(face=(0.8, 0.5), language=(-0.8, 0.5)), "pair.FL")
    assert unsure.min() == pytest.approx(0.8 * 0.25, abs=1e-4)  # scaled by both confidences


def test_face_and_voice_disagree_on_arousal():
    t = _table(face=(0.0, 1.0), audio=(np.nan, 1.0))
    t.data["affect.face.arousal"] = np.float32(0.6)
    t.data["affect.audio.arousal"] = np.float32(-0.6)
    assert _term(t, "pair.FA").min() == pytest.approx(0.6, abs=1e-4)
    t.data["affect.audio.arousal"] = np.float32(0.9)
    assert _term(t, "pair.FA").max() == pytest.approx(0.0, abs=1e-6)
    assert _term(t, "pair.FL").max() == 0.0  # language has no affect here: nothing to disagree with


def test_incongruent_cue_pairs_need_both_sides():
    t = _table()
    t.data["cue.body.nod"] = np.float32(1.0)
    name = "incongruent.LB.nod_negative_words"
    assert _term(t, name).max() == 0.0  # a nod alone is no inconsistency
    t.data["cue.language.negative"] = np.float32(1.0)
    assert _term(t, name).min() == pytest.approx(1.0)
    assert _term(t, "incongruent.LB.shake_positive_words").max() == 0.0
    assert {i.pair for i in INCONGRUENT} <= set(PAIRS)
    for i in INCONGRUENT:  # each names both sides of its own pair
        assert {m for m, _ in i.side_words} == set(pair_modalities(i.pair))
    assert term_pair(name) == "LB" and term_pair("pair.FA") == "FA" and term_pair("cue.body.nod") is None


def test_explanations_name_the_two_sides():
    t = _table(face=(0.7, 0.9), language=(-0.6, 0.9))
    sides, text = describe_pair("FL", t.data, 0, 100)
    assert sides == {"face": "positive", "language": "negative"} and text == "face positive, words negative"
    model = codebook_prior()
    ex = explain_segment(model.explain(t), 0, 100, t.data)
    fl = next(p for p in ex["pairs"] if p["id"] == "FL")
    assert fl["description"] == "face positive, words negative" and fl["share"] > 0.3
    t.data["cue.body.nod"] = np.float32(1.0)
    t.data["cue.language.negative"] = np.float32(1.0)
    t.data["affect.face.valence"] = np.float32(0.0)
    ex = explain_segment(model.explain(t), 0, 100, t.data)
    lb = next(p for p in ex["pairs"] if p["id"] == "LB")
    assert lb["description"] == "body nods, words negative"
    assert lb["sides"] == {"body": "nods", "language": "negative"}
    assert lb["incongruent"][0]["id"] == "LB.nod_negative_words"


def test_prediction_carries_pair_and_context_evidence():
    tables, _, _ = make_corpus(1, seed=5)
    model = codebook_prior()
    pred = predict_video(model, tables[0])
    d = pred.to_dict()
    keys = list(d)
    assert keys.index("pair_evidence") == keys.index("modality_evidence") + 1
    assert set(d["pair_evidence"]) == set(PAIRS)
    assert all(len(v) == tables[0].meta.n_frames for v in d["pair_evidence"].values())
    contrib = model.explain(tables[0])
    assert np.allclose(d["pair_evidence"]["FL"], np.round(pair_evidence(contrib)["FL"], 4))
    for seg in d["segments"]:
        assert 0.0 <= seg["context_share"] <= 1.0
    assert Prediction.from_json(pred.to_json()).to_dict()["pair_evidence"] == d["pair_evidence"]


def test_presence_flags_are_not_context_inputs_and_do_not_move_a_trained_model():
    assert not any("present" in c for c in context_names("centred") + context_names("causal"))
    tables, labels, _ = make_corpus(16, seed=3)
    model = ConflictDetector(epochs=5, patience=5, seed=0, device="cpu").fit(tables[:12], labels[:12])
    t = tables[12]
    before = model.explain(t).to_numpy().sum(axis=1)
    t.data["body.present"] = ~t.data["body.present"].to_numpy(bool)
    after = model.explain(t).to_numpy().sum(axis=1)
    assert np.abs(after - before).max() < 1e-9
