"""Per-participant test-time adaptation (leveltwo.tta) on synthetic FrameTables: a test of the
mechanism (per participant, deterministic, no-op with an empty cache, exact explanation sum)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from leveltwo.detector import ConflictDetector
from leveltwo.tta import TestTimeAdapter, TTAParams, adapt, participant_of
from synthetic import make_corpus


@pytest.fixture(scope="module")
def fitted():
    tr, va = make_corpus(24, seed=21), make_corpus(8, seed=22)
    return ConflictDetector(epochs=15, patience=5, seed=0, device="cpu").fit(tr[0], tr[1], va[0], va[1])


@pytest.fixture(scope="module")
def test_tables():
    tables, labels, _ = make_corpus(8, seed=23)  # participants p000 (videos 0-3) and p001 (videos 4-7)
    return tables, labels


def _with_participant(table, pid):
    return type(table)(table.data, dataclasses.replace(table.meta, participant_id=pid))


def test_explanation_sums_exactly_to_the_adapted_logit(fitted, test_tables):
    tta = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    for t in test_tables[0][:4]:
        ex = tta.explain(t)
        assert list(ex.columns) == fitted.term_names_ + ["context", "adaptation", "bias"]
        base = fitted.explain(t)
        # every other term is the detector's own, exactly; the adapted logit is their sum plus adaptation
        np.testing.assert_allclose(ex.drop(columns="adaptation").to_numpy(), base.to_numpy(), rtol=0, atol=0)
        np.testing.assert_allclose(ex.to_numpy().sum(axis=1), base.to_numpy().sum(axis=1) + ex["adaptation"],
                                   rtol=1e-12)
    # the cache filled and the term acted: it is not a silent no-op here
    assert np.abs(ex["adaptation"]).max() > 0.05
    assert np.abs(ex["adaptation"]).max() <= 1.5 + 1e-9


def test_predict_proba_matches_explain(fitted, test_tables):
    t = test_tables[0][0]
    a = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    b = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    ex = a.explain(t)
    np.testing.assert_allclose(b.predict_proba(t), 1 / (1 + np.exp(-ex.to_numpy().sum(axis=1))), rtol=1e-12)


def test_no_op_when_the_cache_is_empty(fitted, test_tables):
    t = test_tables[0][1]
    never = TestTimeAdapter(fitted, TTAParams(margin_sd=1e9))  # no frame is ever confident
    np.testing.assert_array_equal(never.explain(t)["adaptation"].to_numpy(), 0.0)
    np.testing.assert_allclose(never.predict_proba(t), fitted.predict_proba(t), rtol=1e-12)
    # a fresh participant starts with an empty cache: the first frames are untouched
    fresh = TestTimeAdapter(fitted, TTAParams(min_cache=24))
    a = fresh.explain(t)["adaptation"].to_numpy()
    assert np.all(a[:24] == 0.0)
    assert adapt(fitted, "none") is fitted


def test_state_is_per_participant(fitted, test_tables):
    tables = test_tables[0]
    a_tables, b_table = tables[:3], tables[4]
    assert participant_of(b_table) != participant_of(a_tables[0])
    alone = TestTimeAdapter(fitted, TTAParams(min_cache=5)).explain(b_table)["adaptation"].to_numpy()
    shared = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    for t in a_tables:
        shared.explain(t)
    after = shared.explain(b_table)["adaptation"].to_numpy()
    np.testing.assert_array_equal(after, alone)  # participant A's frames never reach B
    assert set(shared.caches_) == {participant_of(a_tables[0]), participant_of(b_table)}
    # while the same participant's earlier videos do change its later ones
    same = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    same.explain(a_tables[0])
    warm = same.explain(a_tables[1])["adaptation"].to_numpy()
    cold = TestTimeAdapter(fitted, TTAParams(min_cache=5)).explain(a_tables[1])["adaptation"].to_numpy()
    assert not np.allclose(warm, cold)
    shared.reset(participant_of(b_table))
    np.testing.assert_array_equal(shared.explain(b_table)["adaptation"].to_numpy(), alone)


def test_deterministic_given_a_seed(fitted, test_tables):
    small = TTAParams(min_cache=5, cache_per_class=16)  # small reservoir: sampling decides what stays
    runs = []
    for seed in (3, 3, 4):
        tta = TestTimeAdapter(fitted, small, seed=seed)
        runs.append(np.concatenate([tta.explain(_with_participant(t, "same")).adaptation.to_numpy()
                                    for t in test_tables[0]]))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])  # the seed is what fixes the reservoir


def test_prediction_json_carries_the_adaptation_and_its_share(fitted, test_tables):
    from leveltwo.predict import Prediction, predict_video

    tta = TestTimeAdapter(fitted, TTAParams(min_cache=5))
    tables, labels = test_tables
    last = max(range(4), key=lambda i: labels[i].sum())  # participant p000's video with most A/H
    for i in [i for i in range(4) if i != last] + [last]:  # its other videos first: the cache warms up
        pred = predict_video(tta, tables[i])
    d = pred.to_dict()
    assert d["model"]["adaptation"] == "tta" and d["model"]["explanation"] == "exact"
    assert d["model"]["card"]["adaptation"]["params"]["min_cache"] == 5
    assert d["segments"], "the planted segment should be found"
    for seg in d["segments"]:
        assert 0.0 <= seg["adaptation_share"] <= 1.0
    assert Prediction.from_json(pred.to_json()) == pred
    plain = predict_video(fitted, test_tables[0][0]).to_dict()
    assert plain["model"]["adaptation"] == "none"
    assert all("adaptation_share" not in s for s in plain["segments"])
