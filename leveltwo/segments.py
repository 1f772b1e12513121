"""Frame probabilities to A/H segments: smoothing, hysteresis, gap merging, minimum duration.

Defaults follow BAH's segment statistics (mean A/H segment 4.3 s): smooth over 0.5 s so a single
noisy frame neither opens nor breaks a segment; open at ``threshold``, stay open down to
``threshold - hysteresis``; merge segments separated by less than 0.5 s; drop those shorter than
0.5 s. Frames are 0-based and ``end_frame`` is inclusive, as in BAH's ``fr_detailed_ah``.
"""
from __future__ import annotations

from dataclasses import dataclass

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
