"""BAH's evaluation metrics, computed exactly as the official evaluation code does.

- AVGF1: unweighted mean of the F1 of class 1 (A/H) and class 0; both classes must be present.
- AP: thresholds t = 0.000, 0.001, ..., 0.999; predict positive when ``p >= t``; precision is 0
  when nothing is predicted positive; AP is the trapezoidal area under (recall, precision). This
  is *not* sklearn's ``average_precision_score`` (a step-wise sum), whose value differs.
- WAR: weighted average recall, i.e. accuracy.

Frame level pools every frame of every video of a split. Video level first aggregates each
video's frames with one of :data:`AGGREGATIONS`. Hard predictions use a threshold on p1 (0.5 is
BAH's argmax of two softmax outputs); :func:`tune_threshold` picks the one maximising AVGF1 on
validation, and reports carry both.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

AP_THRESHOLDS = np.round(np.arange(0, 1000) / 1000.0, 3)
AGGREGATIONS: tuple[str, ...] = ("majority", "mean_logits", "mean_probability", "sliding_max_24")


def _check_binary(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y).astype(np.int64).ravel()
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return y


def confusion(y_true: Sequence[int], y_pred: Sequence[int]) -> np.ndarray:
    """2x2 confusion matrix, rows = true class (0, 1), columns = predicted class."""
    t, p = _check_binary(y_true), _check_binary(y_pred)
    if t.shape != p.shape:
        raise ValueError("y_true and y_pred differ in length")
    out = np.zeros((2, 2), dtype=np.int64)
    np.add.at(out, (t, p), 1)
    return out


def _f1(tp: int, fp: int, fn: int) -> float:
    denom = 2 * tp + fp + fn
    return 0.0 if denom == 0 else 2.0 * tp / denom


def avg_f1(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Mean of the F1 of class 1 and class 0. Raises ValueError unless both classes are present."""
    t = _check_binary(y_true)
    if not (t == 1).any() or not (t == 0).any():
        raise ValueError("AVGF1 needs both classes present in y_true")
    cm = confusion(t, y_pred)
    f1_pos = _f1(cm[1, 1], cm[0, 1], cm[1, 0])
    f1_neg = _f1(cm[0, 0], cm[1, 0], cm[0, 1])
    return float((f1_pos + f1_neg) / 2.0)


def war(y_true: Sequence[int], y_pred: Sequence[int]) -> float:
    """Weighted average recall (= accuracy)."""
    cm = confusion(y_true, y_pred)
    return float(np.trace(cm) / max(cm.sum(), 1))


def pr_curve(y_true: Sequence[int], p1: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, precision, recall) at BAH's 1000 thresholds, vectorised by sorting once."""
    t = _check_binary(y_true)
    p = np.asarray(p1, dtype=np.float64).ravel()
    if t.shape != p.shape:
        raise ValueError("y_true and p1 differ in length")
    n_pos = int(t.sum())
    if n_pos == 0:
        raise ValueError("AP needs at least one positive")
    order = np.argsort(p, kind="stable")
    ps, ts = p[order], t[order]
    # frames with p >= thr are those from searchsorted(left) onwards
    start = np.searchsorted(ps, AP_THRESHOLDS, side="left")
    pos_suffix = np.concatenate([np.cumsum(ts[::-1])[::-1], [0]])
    tp = pos_suffix[start].astype(np.float64)
    predicted = (len(ps) - start).astype(np.float64)
    precision = np.where(predicted > 0, tp / np.maximum(predicted, 1), 0.0)
    recall = tp / n_pos
    return AP_THRESHOLDS.copy(), precision, recall


def average_precision(y_true: Sequence[int], p1: Sequence[float]) -> float:
    """BAH's AP: trapezoidal area under (recall, precision) over thresholds 0.000..0.999."""
    _, precision, recall = pr_curve(y_true, p1)
    # recall decreases as the threshold grows; integrate over increasing recall
    return float(abs(np.trapezoid(precision, recall)))


def scores(y_true: Sequence[int], p1: Sequence[float], threshold: float = 0.5) -> dict:
    """AVGF1, AP, WAR and the confusion matrix for probabilities ``p1`` at ``threshold``."""
    t = _check_binary(y_true)
    p = np.asarray(p1, dtype=np.float64).ravel()
    pred = (p >= threshold).astype(np.int64)
    return {"avgf1": avg_f1(t, pred), "ap": average_precision(t, p), "war": war(t, pred),
            "threshold": float(threshold), "confusion": confusion(t, pred).tolist(),
            "n": int(t.size), "n_positive": int(t.sum())}


def tune_threshold(y_true: Sequence[int], p1: Sequence[float]) -> float:
    """The threshold in 0.01..0.99 maximising AVGF1 (first best on ties, so deterministic)."""
    t = _check_binary(y_true)
    p = np.asarray(p1, dtype=np.float64).ravel()
    grid = np.round(np.arange(1, 100) / 100.0, 2)
    best, best_thr = -1.0, 0.5
    for thr in grid:
        f = avg_f1(t, (p >= thr).astype(np.int64))
        if f > best + 1e-12:
            best, best_thr = f, float(thr)
    return best_thr


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def sliding_max(p1: np.ndarray, window: int = 24) -> float:
    """Max over windows of the ``window``-frame sliding mean of p1 (whole mean if shorter)."""
    p = np.asarray(p1, dtype=np.float64)
    if p.size <= window:
        return float(p.mean())
    c = np.concatenate([[0.0], np.cumsum(p)])
    return float(((c[window:] - c[:-window]) / window).max())


def aggregate(p1: Sequence[float], how: str, threshold: float = 0.5) -> float:
    """One video's A/H probability from its frame probabilities.

    'majority' returns the fraction of frames predicted positive at ``threshold`` (so a video is
    positive at 0.5 when most frames are), 'mean_logits' the sigmoid of the mean logit,
    'mean_probability' the mean p1, 'sliding_max_24' the max of the 24-frame sliding mean.
    """
    p = np.asarray(p1, dtype=np.float64).ravel()
    if p.size == 0:
        raise ValueError("a video needs at least one frame")
    fns: dict[str, Callable[[], float]] = {
        "majority": lambda: float((p >= threshold).mean()),
        "mean_logits": lambda: float(1 / (1 + np.exp(-_logit(p).mean()))),
        "mean_probability": lambda: float(p.mean()),
        "sliding_max_24": lambda: sliding_max(p, 24),
    }
    if how not in fns:
        raise ValueError(f"unknown aggregation {how!r}; choose from {AGGREGATIONS}")
    return fns[how]()


def frame_level(labels: Sequence[np.ndarray], probs: Sequence[np.ndarray], threshold: float = 0.5) -> dict:
    """Frame-level scores, frames of all videos pooled."""
    return scores(np.concatenate([np.asarray(x) for x in labels]),
                  np.concatenate([np.asarray(x) for x in probs]), threshold)


def video_level(video_labels: Sequence[int], probs: Sequence[np.ndarray], how: str,
                threshold: float = 0.5) -> dict:
    """Video-level scores for one aggregation; the frame threshold feeds 'majority'."""
    vp = np.array([aggregate(p, how, threshold) for p in probs])
    # majority: the vote fraction is compared with 0.5 (most frames), other aggregations with the threshold
    video_thr = 0.5 if how == "majority" else threshold
    out = scores(np.asarray(video_labels), vp, video_thr)
    out["aggregation"] = how
    return out


def report(frame_labels: Sequence[np.ndarray], probs: Sequence[np.ndarray], video_labels: Sequence[int],
           tuned_threshold: float | None = None) -> dict:
    """Frame and video-level scores at 0.5 and (when given) a validation-tuned threshold."""
    thresholds = {"fixed_0.5": 0.5}
    if tuned_threshold is not None:
        thresholds["tuned"] = float(tuned_threshold)
    out: dict = {}
    for name, thr in thresholds.items():
        out[name] = {"frame": frame_level(frame_labels, probs, thr),
                     "video": {how: _safe(video_level, video_labels, probs, how, thr) for how in AGGREGATIONS}}
    return out


def _safe(fn, *args):
    """Video-level scores are undefined when a split has one class only; say so instead of failing."""
    try:
        return fn(*args)
    except ValueError as err:
        return {"error": str(err)}
