"""BAH's metrics against hand-computed values and, where the formula agrees, scikit-learn."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, average_precision_score, f1_score

from leveltwo import metrics as M


def test_avgf1_hand_computed():
    y = [1, 1, 0, 0, 0]
    p = [1, 0, 1, 0, 0]
    # class 1: tp=1 fp=1 fn=1 -> F1 0.5; class 0: tp=2 fp=1 fn=1 -> F1 2/3
    assert M.avg_f1(y, p) == pytest.approx((0.5 + 2 / 3) / 2)
    assert M.avg_f1(y, p) == pytest.approx(f1_score(y, p, average="macro"))


def test_avgf1_needs_both_classes():
    with pytest.raises(ValueError):
        M.avg_f1([1, 1, 1], [1, 0, 1])


def test_war_and_confusion():
    y = np.array([1, 0, 1, 1, 0, 0, 0])
    p = np.array([1, 0, 0, 1, 1, 0, 0])
    assert M.war(y, p) == pytest.approx(accuracy_score(y, p)) == pytest.approx(5 / 7)
    assert M.confusion(y, p).tolist() == [[3, 1], [1, 2]]


def test_ap_hand_computed():
    # p1 = [0.9, 0.6, 0.4, 0.1], labels [1, 0, 1, 0]
    # t <= 0.1: P=0.5 R=1;  0.1<t<=0.4: P=2/3 R=1;  0.4<t<=0.6: P=0.5 R=0.5;  0.6<t<=0.9: P=1 R=0.5;
    # t > 0.9: nothing predicted, P=0 R=0. Trapezoid over recall: segment R 0->0.5 between P (0 and 1)
    # and the vertical drops at R=0.5 and R=1 add no area: 0.5*(0+1)/2 ... plus R 0.5->1 between
    # P(0.5) at R=0.5 (t in (0.4,0.6]) and P(2/3) at R=1 (t in (0.1,0.4]) = 0.5*(0.5+2/3)/2
    y, p = [1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]
    assert M.average_precision(y, p) == pytest.approx(0.25 + 0.5 * (0.5 + 2 / 3) / 2)


def test_ap_differs_from_sklearn():
    y, p = [1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]
    ours, theirs = M.average_precision(y, p), average_precision_score(y, p)
    assert theirs == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)  # step-wise sum: 0.8333
    assert abs(ours - theirs) > 0.2


def test_ap_needs_a_positive():
    with pytest.raises(ValueError):
        M.average_precision([0, 0], [0.2, 0.3])


def test_pr_curve_threshold_rule_p_ge_t():
    _, prec, rec = M.pr_curve([1, 0], [0.5, 0.2])
    assert rec[500] == 1.0 and prec[500] == 1.0  # p = 0.5 >= t = 0.5 is positive
    assert rec[501] == 0.0 and prec[501] == 0.0  # nothing predicted: precision 0


def test_ap_counts_the_drop_to_zero_precision():
    """The official curve includes thresholds above every score (precision 0, recall 0), so a perfect
    ranking whose top score is 0.95 scores 0.5; positives spread up to 0.9995 score about 0.98."""
    y = np.array([0, 1] * 50)
    assert M.average_precision(y, np.where(y == 1, 0.95, 0.05)) == pytest.approx(0.5)
    p = np.zeros(100)
    p[y == 1] = np.linspace(0.5, 0.9995, 50)
    assert M.average_precision(y, p) == pytest.approx(0.98, abs=0.01)


def test_aggregations():
    p = np.array([0.9] * 30 + [0.1] * 70)
    assert M.aggregate(p, "majority") == pytest.approx(0.3)
    assert M.aggregate(p, "mean_probability") == pytest.approx(0.34)
    assert M.aggregate(p, "sliding_max_24") == pytest.approx(0.9)
    logit = 0.3 * np.log(9) + 0.7 * np.log(1 / 9)
    assert M.aggregate(p, "mean_logits") == pytest.approx(1 / (1 + np.exp(-logit)))
    with pytest.raises(ValueError):
        M.aggregate(p, "median")


def test_video_level_majority_and_report():
    probs = [np.array([0.9, 0.8, 0.2]), np.array([0.1, 0.2, 0.6]), np.array([0.7, 0.7, 0.7])]
    out = M.video_level([1, 0, 0], probs, "majority")
    assert out["confusion"] == [[1, 1], [0, 1]]
    rep = M.report([np.array([1, 1, 0]), np.array([0, 0, 0]), np.array([0, 0, 1])], probs, [1, 0, 1], 0.65)
    assert set(rep) == {"fixed_0.5", "tuned"}
    assert set(rep["tuned"]["video"]) == set(M.AGGREGATIONS)
    assert rep["fixed_0.5"]["frame"]["n"] == 9


def test_tune_threshold_picks_the_separating_value():
    y = np.array([0] * 50 + [1] * 50)
    p = np.concatenate([np.linspace(0.0, 0.69, 50), np.linspace(0.71, 1.0, 50)])
    thr = M.tune_threshold(y, p)
    assert 0.69 < thr <= 0.71
    assert M.avg_f1(y, p >= thr) == 1.0
