"""Frame probabilities to A/H segments: smoothing, hysteresis, gap merging, minimum duration.

Open at ``threshold``, stay open down to ``threshold - hysteresis``; smooth first so a single noisy
frame neither opens nor breaks a segment; merge segments separated by short gaps; drop segments
too short to be A/H. How short is "too short" comes from data (:class:`SegmentPrior`): ``train``
records the duration statistics of the training annotations in the model card, and a model
without them (the shipped codebook prior) uses BAH's published ones (mean 4.29 s, sd 58.7
frames at ~24 fps). A/H segment durations are right-skewed, so they are modelled as log-normal
with that mean and sd; its ``min_quantile`` (5%) quantile is the shortest plausible segment --
1.57 s for BAH -- and decoding keeps segments of at least half of it (0.79 s), merges gaps
shorter than half of it and smooths over a quarter of it (0.39 s).
:func:`decode_segments`'s own defaults (0.5 s each) remain for callers that pass no prior.
Frames are 0-based and ``end_frame`` is inclusive, as in BAH's ``fr_detailed_ah``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class FrameSegment:
    start_frame: int
    end_frame: int  # inclusive

    def seconds(self, fps: float) -> tuple[float, float]:
        """(start_s, end_s) with end_s at the end of the last frame."""
        return self.start_frame / fps, (self.end_frame + 1) / fps


def smooth(p: np.ndarray, width: int, method: str = "mean") -> np.ndarray:
    """Centred moving mean or median of ``width`` frames (edges use the frames available)."""
    p = np.asarray(p, dtype=np.float64)
    if width <= 1 or p.size == 0:
        return p.copy()
    if method == "median":
        from scipy.ndimage import median_filter
        return median_filter(p, size=width, mode="nearest")
    if method != "mean":
        raise ValueError("method must be 'mean' or 'median'")
    c = np.concatenate([[0.0], np.cumsum(p)])
    i = np.arange(p.size)
    lo = np.clip(i - width // 2, 0, p.size)
    hi = np.clip(i - width // 2 + width, 0, p.size)
    return (c[hi] - c[lo]) / (hi - lo)


def hysteresis(p: np.ndarray, high: float, low: float) -> np.ndarray:
    """Boolean mask: on where p >= high, staying on while p >= low."""
    on = np.zeros(p.size, dtype=bool)
    state = False
    for i, v in enumerate(p):
        state = v >= high or (state and v >= low)
        on[i] = state
    return on


def runs(mask: np.ndarray) -> list[FrameSegment]:
    """Maximal runs of True as inclusive frame segments."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]]).astype(np.int8)
    d = np.diff(m)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [FrameSegment(int(a), int(b)) for a, b in zip(starts, ends)]


def decode_segments(p: np.ndarray, fps: float, threshold: float = 0.5, hysteresis_width: float = 0.1,
                    smooth_s: float = 0.5, method: str = "mean", min_duration_s: float = 0.5,
                    merge_gap_s: float = 0.5) -> list[FrameSegment]:
    """A/H segments from per-frame probabilities ``p`` at frame rate ``fps``."""
    ps = smooth(p, int(round(smooth_s * fps)), method)
    segs = runs(hysteresis(ps, threshold, threshold - hysteresis_width))
    gap = int(round(merge_gap_s * fps))
    merged: list[FrameSegment] = []
    for s in segs:
        if merged and s.start_frame - merged[-1].end_frame - 1 < gap:
            merged[-1] = FrameSegment(merged[-1].start_frame, s.end_frame)
        else:
            merged.append(s)
    min_len = int(round(min_duration_s * fps))
    return [s for s in merged if s.end_frame - s.start_frame + 1 >= min_len]


# ------------------------------------------------------------------ durations learnt from annotations
MIN_SEGMENTS = 5  # fewer annotated segments than this: the published prior is used instead


@dataclass(frozen=True)
class SegmentPrior:
    """A/H segment durations (seconds) and the decoding they imply.

    ``min_quantile``: the quantile taken as the shortest plausible A/H segment; ``min_fraction``,
    ``gap_fraction`` and ``smooth_fraction``: the minimum decoded duration, the merged gap and the
    smoothing window as fractions of it. A decoded segment is the core of an annotated one (the
    threshold trims its rising and falling edges), hence half of the shortest plausible duration.
    """

    mean_s: float
    sd_s: float
    n_segments: int
    source: str
    min_quantile: float = 0.05
    min_fraction: float = 0.5
    gap_fraction: float = 0.5
    smooth_fraction: float = 0.25

    @classmethod
    def published(cls) -> "SegmentPrior":
        """BAH's published statistics (the sd is given in frames: converted with the mean's fps)."""
        from codebook.stats import CueStatistics

        st = CueStatistics.published()
        mean_s, mean_f, sd_f = st.duration_s["mean"], st.duration_frames["mean"], st.duration_frames["sd"]
        return cls(float(mean_s), float(sd_f) * float(mean_s) / float(mean_f), int(st.n_segments or 0),
                   "published BAH statistics")

    @classmethod
    def from_durations(cls, durations_s: Sequence[float], source: str) -> "SegmentPrior":
        """From annotated segment durations; too few of them give the published prior (said in ``source``)."""
        d = np.asarray([float(x) for x in durations_s if x and x > 0], np.float64)
        if d.size < MIN_SEGMENTS:
            prior = cls.published()
            return cls(prior.mean_s, prior.sd_s, prior.n_segments,
                       f"published BAH statistics ({source}: only {d.size} segments)")
        return cls(float(d.mean()), float(d.std(ddof=1)), int(d.size), source)

    @classmethod
    def from_annotations(cls, annotations: Iterable, source: str = "training annotations") -> "SegmentPrior":
        durs = [s.end_s - s.start_s for a in annotations if a is not None
                for s in a.segments if getattr(s, "label", 1)]
        return cls.from_durations(durs, source)

    @classmethod
    def from_dict(cls, d: dict) -> "SegmentPrior":
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update({k: round(v, 4) for k, v in self.decoding().items()})
        return out

    def quantile(self, q: float) -> float:
        """The log-normal (matched to mean and sd) quantile ``q``, in seconds."""
        from scipy.stats import norm

        sigma2 = math.log1p((self.sd_s / self.mean_s) ** 2)
        mu = math.log(self.mean_s) - sigma2 / 2
        return float(math.exp(mu + math.sqrt(sigma2) * norm.ppf(q)))

    def decoding(self) -> dict[str, float]:
        """``decode_segments`` keyword arguments: min_duration_s, merge_gap_s, smooth_s."""
        shortest = self.quantile(self.min_quantile)
        return {"min_duration_s": self.min_fraction * shortest, "merge_gap_s": self.gap_fraction * shortest,
                "smooth_s": self.smooth_fraction * shortest}


def model_prior(model) -> SegmentPrior:
    """The model's recorded training durations, else the published BAH prior."""
    d = getattr(model, "segment_durations_", None)
    return SegmentPrior.from_dict(d) if d else SegmentPrior.published()


# ------------------------------------------------------------------ segment-level scores
def iou(a: FrameSegment, b: FrameSegment) -> float:
    inter = min(a.end_frame, b.end_frame) - max(a.start_frame, b.start_frame) + 1
    if inter <= 0:
        return 0.0
    union = (a.end_frame - a.start_frame + 1) + (b.end_frame - b.start_frame + 1) - inter
    return inter / union


def segment_scores(pred: Sequence[FrameSegment], true: Sequence[FrameSegment], min_iou: float = 0.5) -> dict:
    """Greedy one-to-one matching at IoU >= ``min_iou``: tp, fp, fn, and each true segment's best IoU."""
    pairs = sorted(((iou(p, t), i, j) for i, p in enumerate(pred) for j, t in enumerate(true)), reverse=True)
    used_p, used_t, tp = set(), set(), 0
    for v, i, j in pairs:
        if v < min_iou:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            tp += 1
    best = [max((iou(p, t) for p in pred), default=0.0) for t in true]
    return {"tp": tp, "fp": len(pred) - tp, "fn": len(true) - tp, "best_iou": best}


def segment_f1(results: Iterable[dict]) -> dict:
    """Pooled segment F1 and mean best IoU of true segments over many videos' ``segment_scores``."""
    results = list(results)
    tp, fp, fn = (sum(r[k] for r in results) for k in ("tp", "fp", "fn"))
    ious = [v for r in results for v in r["best_iou"]]
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {"segment_f1": f1, "mean_iou": float(np.mean(ious)) if ious else float("nan"),
            "tp": tp, "fp": fp, "fn": fn}


# ------------------------------------------------------------------ a session's summary
RATE_PER_S = 600.0  # segments are counted per 10 minutes of recording
STRONGEST_K = 5  # strongest moments a summary lists


def session_summary(p: np.ndarray, fps: float, segments: Sequence[FrameSegment], threshold: float,
                    rate_per_s: float = RATE_PER_S, top_k: int = STRONGEST_K) -> dict:
    """What a recording of any length shows, in quantities that do not grow with its length.

    Why: a sliding-max video score can only rise as a recording gets longer (ten minutes of ordinary
    talk reads "A/H likely" from one loud stretch), and a segment count grows with minutes. The
    share of time inside A/H segments, the segments per ``rate_per_s`` seconds and the share of
    frames at or above ``threshold`` mean the same at 1 and at 60 minutes; the ``top_k`` strongest
    segments (by mean frame probability, ties by time) say where to look.
    """
    p = np.asarray(p, np.float64)
    n = int(p.size)
    duration_s = n / fps if fps > 0 else 0.0
    in_seg = sum(s.end_frame - s.start_frame + 1 for s in segments)
    strongest = sorted(segments, key=lambda s: (-float(p[s.start_frame:s.end_frame + 1].mean()), s.start_frame))
    return {"duration_s": round(duration_s, 3),
            "ah_time_share": round(in_seg / n, 4) if n else 0.0,
            "frames_over_threshold_share": round(float((p >= threshold).mean()), 4) if n else 0.0,
            "segments": len(segments),
            "segments_per_10_min": round(len(segments) * rate_per_s / duration_s, 3) if duration_s else 0.0,
            "strongest": [{"start_s": round(s.start_frame / fps, 3), "end_s": round((s.end_frame + 1) / fps, 3),
                           "probability": round(float(p[s.start_frame:s.end_frame + 1].mean()), 4)}
                          for s in strongest[:top_k]]}
