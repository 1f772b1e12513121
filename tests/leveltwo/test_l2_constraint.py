"""The codebook constraint moves evidence shares on A/H frames toward its targets; weight 0 does not."""
import numpy as np
import pytest

from codebook.vocabulary import MODALITIES, PAIRS
from leveltwo.constraint import Targets, evidence_shares, group_matrices, kl, targets_from
from leveltwo.detector import ConflictDetector
from synthetic import make_corpus


def test_targets_from_published():
    t = targets_from()
    assert t.modality.sum() == pytest.approx(1) and t.pair.sum() == pytest.approx(1)
    assert t.modality[MODALITIES.index("face")] == pytest.approx(0.284, abs=0.01)
    assert t.pair[PAIRS.index("FL")] == pytest.approx(0.426, abs=0.01)


def test_group_matrices():
    gm, gp = group_matrices(["cue.face.gaze", "within.body", "pair.LB"])
    assert gm.tolist() == [[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]]
    assert gp[2].tolist() == [0, 0, 0, 0, 1, 0]


def test_evidence_shares_hand_computed():
    names = ["cue.face.gaze", "cue.body.shake", "pair.FL", "pair.AB"]
    contrib = np.array([[1.0, 3.0, 2.0, 2.0], [9.0, 9.0, 9.0, 9.0]])
    ms, ps = evidence_shares(contrib, names, np.array([True, False]))
    assert ms.tolist() == pytest.approx([0.25, 0, 0, 0.75])
    assert ps.tolist() == pytest.approx([0.5, 0, 0, 0, 0, 0.5])


@pytest.fixture(scope="module")
def data():
    return make_corpus(32, seed=21), make_corpus(8, seed=22)


def _kl_after(weight, data, target):
    (tr, val) = data
    m = ConflictDetector(epochs=15, patience=15, constraint_weight=weight, targets=target, device="cpu", seed=1)
    m.fit(tr[0], tr[1], val[0], val[1])
    contrib = np.concatenate([m.contributions(m.features(t))[:, :len(m.term_names_)] for t in val[0]])
    ms, _ = evidence_shares(contrib, m.term_names_, np.concatenate(val[1]).astype(bool))
    return kl(target.modality, ms), ms


def test_constraint_moves_shares_toward_target(data):
    # an extreme target: almost all evidence from language, far from what the planted data favours
    target = Targets(np.array([0.05, 0.85, 0.05, 0.05]), targets_from().pair, {}, "test")
    kl0, ms0 = _kl_after(0.0, data, target)
    kl1, ms1 = _kl_after(2.0, data, target)
    assert kl1 < 0.75 * kl0
    assert ms1[1] > ms0[1] + 0.05  # language's share of evidence grew
