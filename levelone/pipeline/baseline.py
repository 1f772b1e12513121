"""Personal baseline: robust per-person statistics every cue is measured against.

The codebook judges most cues against the person's own baseline ("a difference compared to the
participant's baseline"). A :class:`Baseline` holds, per raw signal column, the median and a robust
scale (1.4826 x MAD, floored) over all frames of all the person's recordings when a dataset is
extracted, or over the one video otherwise. Cue functions turn raw signals into robust z-scores with
:func:`zscore` and compare them with thresholds in baseline units, so one threshold serves people
with different faces, voices and cameras.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

MAD_TO_SD = 1.4826


@dataclass
class Baseline:
    """Per-column robust location and scale, fitted on one person's frames."""

    median: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    n_frames: int = 0

    @classmethod
    def fit(cls, frames: Iterable[pd.DataFrame], columns: Iterable[str] | None = None,
            min_scale: float = 1e-6) -> "Baseline":
        """Fit on the raw-signal frames of every recording of one person (NaNs ignored).

        Boolean and non-numeric columns are skipped. ``min_scale`` keeps a constant signal from
        turning every small change into a huge z-score; signal modules can pass a larger floor in
        the signal's units via :meth:`with_floor`.
        """
        frames = [f for f in frames if len(f)]
        if not frames:
            return cls()
        df = pd.concat(frames, ignore_index=True)
        cols = list(columns) if columns is not None else [
            c for c in df.columns
            if pd.api.types.is_float_dtype(df[c]) and not c.endswith(".present")]
        med, scale = {}, {}
        for c in cols:
            v = df[c].to_numpy(np.float64)
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            m = float(np.median(v))
            s = float(MAD_TO_SD * np.median(np.abs(v - m)))
            med[c], scale[c] = m, max(s, min_scale)
        return cls(med, scale, int(len(df)))

    def with_floor(self, floors: dict[str, float]) -> "Baseline":
        """A copy whose scales are at least ``floors[column]`` (in the signal's units)."""
        scale = {c: max(s, floors.get(c, 0.0)) for c, s in self.scale.items()}
        return Baseline(dict(self.median), scale, self.n_frames)

    def zscore(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """Robust z-score of one column; NaN where the column or its baseline is missing."""
        if column not in df.columns or column not in self.median:
            return np.full(len(df), np.nan, np.float32)
        v = df[column].to_numpy(np.float64)
        return ((v - self.median[column]) / self.scale[column]).astype(np.float32)

    def to_json(self) -> str:
        return json.dumps({"median": self.median, "scale": self.scale, "n_frames": self.n_frames})

    @classmethod
    def from_json(cls, text: str) -> "Baseline":
        d = json.loads(text)
        return cls(d["median"], d["scale"], d["n_frames"])


def squash(z: np.ndarray, threshold: float, width: float = 1.0) -> np.ndarray:
    """Map a baseline-unit score to an activation in [0, 1]: 0.5 at ``threshold``, logistic.

    ``width`` is how many baseline units take the activation from 0.27 to 0.73. NaN stays NaN.
    """
    z = np.asarray(z, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 / (1.0 + np.exp(-(z - threshold) / width))).astype(np.float32)
