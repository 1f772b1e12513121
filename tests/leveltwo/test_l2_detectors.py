"""One conformance suite run over every level-two detector (the shared fit/predict/explain/save/load
contract of :class:`leveltwo.base.Detector`), on synthetic FrameTables with planted cues (a fixture,
not accuracy on people). A new detector is added to ``DETECTORS`` (and to
``leveltwo.models.detector_classes``); ``test_every_detector_is_in_the_suite`` checks both agree."""
from __future__ import annotations

import inspect
import json
import warnings

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from codebook.errors import InputError
from codebook.version import __version__, major
from leveltwo.base import Detector, ModelVersionWarning, NotFittedError
from leveltwo.detector import ConflictDetector
from leveltwo.fusion import FusionDetector
from leveltwo.llm import LLMDetector
from leveltwo.metrics import average_precision, frame_level
from leveltwo.models import detector_classes, load_model
from leveltwo.xgb import XGBDetector
from synthetic import make_corpus

DETECTORS = {
    "conflict": lambda: ConflictDetector(epochs=40, patience=8, seed=0, device="cpu"),
    "xgboost": lambda: XGBDetector(n_estimators=80, seed=0, device="cpu"),
    # zero-shot: the 135M test model on 10 s windows (few prompts); fit only tunes the threshold
    "llm": lambda: LLMDetector(model="smollm2-135m", window_s=10.0, seed=0, device="cpu"),
    "fusion": lambda: FusionDetector(epochs=4, patience=2, hidden=8, fused=16, seed=0, device="cpu"),
}
ZERO_SHOT = {"llm"}  # learn nothing from the planted cues: their accuracy is measured in benchmarks/llm.py
FIT_VIDEOS = {"llm": 3}  # a zero-shot detector needs few videos to tune its threshold (each window is a prompt)
# Detectors whose explanation is per term (cue, pair, within, context); the fusion comparator
# explains whole modality blocks (``signal.<modality>``), checked by its own rows below.
TERM_EXPLAINED = ("conflict", "xgboost", "llm")


@pytest.fixture(scope="module")
def corpus():
    return {"train": make_corpus(48, seed=11), "val": make_corpus(12, seed=12), "test": make_corpus(12, seed=13)}


@pytest.fixture(scope="module", params=list(DETECTORS))
def fitted(request, corpus):
    tr, va = corpus["train"], corpus["val"]
    model = DETECTORS[request.param]()
    n = FIT_VIDEOS.get(request.param)
    if n:
        out = model.fit(tr[0][:n], tr[1][:n])
    else:
        out = model.fit(tr[0], tr[1], va[0], va[1])
    assert out is model  # fit returns self
    return request.param, model


def test_predict_proba_shape_and_range(fitted, corpus):
    _, model = fitted
    for table in corpus["test"][0][:3]:
        p = model.predict_proba(table)
        assert p.shape == (table.meta.n_frames,)
        assert np.all((p >= 0) & (p <= 1))


def test_learns_planted_cues(fitted, corpus):
    name, model = fitted
    if name in ZERO_SHOT:
        pytest.skip("zero-shot detector: learns nothing from planted cues (benchmarks/llm.py measures it on people)")
    tables, labels, _ = corpus["test"]
    probs = [model.predict_proba(t) for t in tables]
    y, p = np.concatenate(labels), np.concatenate(probs)
    # ranking quality with sklearn's AP: BAH's AP also punishes saturated probabilities (see metrics)
    assert average_precision_score(y, p) > 0.85, name
    assert average_precision(y, p) > (0.8 if name == "conflict" else 0.3), name
    assert frame_level(labels, probs, model.threshold_)["avgf1"] > 0.8, name


def test_explain_rows_sum_to_logit(fitted, corpus):
    name, model = fitted
    table = corpus["test"][0][0]
    ex = model.explain(table)
    assert ex.shape[0] == table.meta.n_frames
    if name in TERM_EXPLAINED:
        assert {"cue.body.shake", "pair.FL", "within.language", "context", "bias"} <= set(ex.columns)
    else:
        assert list(ex.columns) == ["signal.face", "signal.language", "signal.audio", "signal.body", "bias"]
    p = model.predict_proba(table)
    logit = np.log(p / (1 - p))
    tol = 1e-3 if name == "xgboost" else 1e-6  # TreeSHAP in float32; the others exact (up to the logit's round trip)
    np.testing.assert_allclose(ex.to_numpy().sum(axis=1), logit, atol=tol)
    if name == "conflict":
        assert (ex.drop(columns=["context", "bias"]).to_numpy() >= 0).all()  # non-negative evidence


def test_explanations_name_the_planted_cue(fitted, corpus):
    """Term-explained detectors name the planted cue among the top 3; the fusion comparator, which
    explains modality blocks only, names the planted cue's modality as the top block."""
    name, model = fitted
    if name in ZERO_SHOT:
        pytest.skip("zero-shot detector: its named cues are scored against annotators by compare (test_l2_llm.py)")
    hits = total = 0
    for table, planted in zip(corpus["test"][0], corpus["test"][2]):
        ex = model.explain(table)
        for seg in planted:
            span = slice(seg.start_frame, seg.end_frame + 1)
            if name in TERM_EXPLAINED:
                cues = ex[[c for c in ex.columns if c.startswith("cue.")]]
                hits += seg.cue in cues.iloc[span].clip(lower=0).sum().nlargest(3).index
            else:
                blocks = ex[[c for c in ex.columns if c.startswith("signal.")]]
                hits += blocks.iloc[span].sum().idxmax() == "signal." + seg.cue.split(".")[1]  # cue.<modality>.<id>
            total += 1
    assert total > 5 and hits / total >= 0.8, (name, hits, total)


def test_save_load_round_trip(fitted, corpus, tmp_path):
    _, model = fitted
    model.save(tmp_path / "m")
    with pytest.raises(InputError):
        model.save(tmp_path / "m")  # refuses to overwrite without force
    model.save(tmp_path / "m", force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)  # same version: no warning
        again = load_model(tmp_path / "m")
    assert type(again) is type(model)
    table = corpus["test"][0][1]
    np.testing.assert_array_equal(again.predict_proba(table), model.predict_proba(table))
    np.testing.assert_array_equal(again.explain(table).to_numpy(), model.explain(table).to_numpy())
    assert again.threshold_ == model.threshold_
    assert _json(again.get_params()) == _json(model.get_params())
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["kind"] == fitted[0] and card["trained"] is True and len(card["weights_sha256"]) == 64
    assert card == json.loads(json.dumps(again.card_))
    assert {k: v for k, v in card.items() if not k.startswith("weights_")} == json.loads(json.dumps(again.card()))


def _json(params: dict) -> dict:
    return {k: (v.to_json() if hasattr(v, "to_json") else v) for k, v in params.items()}


# ------------------------------------------------------------------ the estimator contract
def test_every_detector_is_in_the_suite():
    assert {type(make()) for make in DETECTORS.values()} == set(detector_classes())
    assert all(issubclass(cls, Detector) for cls in detector_classes())


@pytest.mark.parametrize("name", list(DETECTORS))
def test_get_params_come_from_the_init_signature(name):
    model = DETECTORS[name]()
    names = [p for p in inspect.signature(type(model).__init__).parameters if p != "self"]
    params = model.get_params()
    assert list(params) == names and {"device", "verbose", "seed", "window_s"} <= set(params)
    if name == "conflict":
        assert "targets" in params
    clone = type(model)(**params)
    assert clone.get_params() == params
    assert model.set_params(seed=7, window_s=3.0) is model
    assert model.get_params()["seed"] == 7 and model.window_s == 3.0
    with pytest.raises(ValueError, match="not a hyper-parameter"):
        model.set_params(windw_s=1.0)
    assert "seed=7" in repr(model) and "device" in repr(model)  # repr shows what differs from the defaults


@pytest.mark.parametrize("name", list(DETECTORS))
def test_unfitted_detector_refuses_to_predict_explain_or_save(name, corpus, tmp_path):
    model = DETECTORS[name]()
    table = corpus["test"][0][0]
    for call in (lambda: model.predict_proba(table), lambda: model.explain(table), model.card,
                 lambda: model.save(tmp_path / "m")):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
    assert not (tmp_path / "m").exists()
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))


def test_fit_keeps_the_hyper_parameters(fitted):
    name, model = fitted
    assert _json(model.get_params()) == _json(DETECTORS[name]().get_params())
    assert all(hasattr(model, a) for a in type(model).fitted_attributes)


def test_conflict_fitted_targets_are_targets_(tmp_path):
    tr = make_corpus(6, seed=21)
    model = ConflictDetector(epochs=2, device="cpu").fit(tr[0], tr[1])
    assert model.targets is None  # the hyper-parameter stays as given
    assert model.targets_.source and model.targets_.modality.shape == (4,)
    again = ConflictDetector.load(model.save(tmp_path / "m"))
    assert again.targets is None and again.targets_.to_json() == model.targets_.to_json()


def test_card_records_versions_and_warns_across_major_versions(fitted, tmp_path):
    _, model = fitted
    card = model.card()
    assert card["ahcue_version"] == __version__ == card["versions"]["ahcue"]
    assert card["versions"]["numpy"] == np.__version__
    assert set(card["hyper_parameters"]) == set(model.get_params())
    d = model.save(tmp_path / "m")
    saved = json.loads((d / "card.json").read_text())
    saved["ahcue_version"] = f"{(major(__version__) or 0) + 1}.0.0"
    (d / "card.json").write_text(json.dumps(saved))
    with pytest.warns(ModelVersionWarning, match="different major version"):
        again = load_model(d)
    assert again.card()["id"] == card["id"]  # still usable: the warning says, it does not refuse


def test_tampered_weights_rejected(fitted, tmp_path):
    _, model = fitted
    d = model.save(tmp_path / "m")
    card = json.loads((d / "card.json").read_text())
    w = d / card["weights_file"]
    data = bytearray(w.read_bytes())
    data[-2] ^= 0x01
    w.write_bytes(bytes(data))
    with pytest.raises(InputError, match="hash"):
        load_model(d)


def test_pickle_in_dir_rejected(fitted, tmp_path):
    _, model = fitted
    d = model.save(tmp_path / "m")
    (d / "evil.pkl").write_bytes(b"\x80\x04K\x01.")
    with pytest.raises(InputError, match="pickle"):
        load_model(d)


def test_missing_dir_and_card(tmp_path):
    with pytest.raises(InputError):
        load_model(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="card.json"):
        load_model(tmp_path / "empty")


def test_conflict_training_is_deterministic_on_cpu():
    tr, va = make_corpus(8, seed=31), make_corpus(3, seed=32)
    a = ConflictDetector(epochs=3, seed=5, device="cpu").fit(tr[0], tr[1], va[0], va[1])
    b = ConflictDetector(epochs=3, seed=5, device="cpu").fit(tr[0], tr[1], va[0], va[1])
    for k in a.params_:
        np.testing.assert_array_equal(a.params_[k], b.params_[k])
    c = ConflictDetector(epochs=3, seed=6, device="cpu").fit(tr[0], tr[1], va[0], va[1])
    assert not np.array_equal(a.params_["ctx_w1"], c.params_["ctx_w1"])


def test_missing_modality_is_not_evidence():
    """A modality that is absent (NaN cues, present False) contributes exactly 0, never evidence."""
    from synthetic import make_video
    tables, labels, _ = make_corpus(16, seed=41)
    model = ConflictDetector(epochs=5, device="cpu").fit(tables, labels)
    table, _, _ = make_video(np.random.default_rng(0), 400, "x_1", missing=("body",))
    ex = model.explain(table)
    body = [c for c in ex.columns if c.startswith("cue.body.") or c == "within.body"]
    assert np.all(ex[body].to_numpy() == 0)
    pairs = [c for c in ex.columns if c.startswith("pair.") and "B" in c[5:]]
    assert np.all(ex[pairs].to_numpy() == 0)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_fit_validates_every_hyper_parameter(name, corpus):
    """scikit-learn's ``_parameter_constraints`` style (issue 20): every hyper-parameter has a
    declared set of accepted values, and fit refuses a bad one by name before any work."""
    model = DETECTORS[name]()
    assert set(type(model)._parameter_constraints) == set(model.get_params())
    tables, labels, _ = corpus["val"]
    bad = {"window_s": -1.0, "seed": -3, "device": "tpu", "verbose": "yes"}
    for param, value in bad.items():
        with pytest.raises(ValueError, match=f"{param} must be .*got {value!r}"):
            DETECTORS[name]().set_params(**{param: value}).fit(tables, labels)
    if "epochs" in model.get_params():
        with pytest.raises(ValueError, match=r"epochs must be an int in \[1, inf\], got 2.5"):
            DETECTORS[name]().set_params(epochs=2.5).fit(tables, labels)
