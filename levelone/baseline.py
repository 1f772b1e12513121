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

VERSION = "1"  # 1: declared (the cache key read 0 before); bump when z-scores change
MAD_TO_SD = 1.4826


@dataclass
class Baseline:
    """Per-column robust location and scale, fitted on one person's frames."""

    median: dict[str, float] = field(default_factory=dict)
    scale: dict[str, float] = field(default_factory=dict)
    n_frames: int = 0
    count: dict[str, int] = field(default_factory=dict)  # finite values behind each column

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
        df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)  # one recording: no copy
        cols = list(columns) if columns is not None else [
            c for c in df.columns
            if pd.api.types.is_float_dtype(df[c]) and not c.endswith(".present")]
        med, scale, count = {}, {}, {}
        for c in cols:
            v = df[c].to_numpy(np.float64)
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            m = float(np.median(v))
            s = float(MAD_TO_SD * np.median(np.abs(v - m)))
            med[c], scale[c], count[c] = m, max(s, min_scale), int(v.size)
        return cls(med, scale, int(len(df)), count)

    def with_floor(self, floors: dict[str, float]) -> "Baseline":
        """A copy whose scales are at least ``floors[column]`` (in the signal's units)."""
        scale = {c: max(s, floors.get(c, 0.0)) for c, s in self.scale.items()}
        return Baseline(dict(self.median), scale, self.n_frames, dict(self.count))

    def zscore(self, df: pd.DataFrame, column: str) -> np.ndarray:
        """Robust z-score of one column; NaN where the column or its baseline is missing."""
        if column not in df.columns or column not in self.median:
            return np.full(len(df), np.nan, np.float32)
        v = df[column].to_numpy(np.float64)
        return ((v - self.median[column]) / self.scale[column]).astype(np.float32)

    def to_json(self) -> str:
        return json.dumps({"median": self.median, "scale": self.scale, "n_frames": self.n_frames,
                           "count": self.count})

    @classmethod
    def from_json(cls, text: str) -> "Baseline":
        d = json.loads(text)
        return cls(d["median"], d["scale"], d["n_frames"], d.get("count", {}))


# Which raw source a column's evidence comes from, for the short-recording rule.
def _source(column: str) -> str:
    return column.split(".", 1)[0]


def blend_with_population(personal: Baseline, fps: float, population: dict | None = None
                          ) -> tuple[Baseline, dict[str, dict]]:
    """The personal baseline blended with population norms while it is too short to be stable.

    ``population`` is the calibration's ``population`` section (``median``, ``scale``: per
    column over the reference speakers; ``stable_s``: per source, the seconds of evidence after
    which a personal scale is as stable as the reference speakers' own; ``shared_levels``: columns
    whose *level* is comparable between people, e.g. pause length). Per column, the personal
    weight is ``min(1, seconds of personal evidence / stable_s)``: the scale is blended always,
    the median only for ``shared_levels`` (a face's brow height is that face's own).

    Returns the blended baseline and, per source, what was used: ``kind`` (``personal``,
    ``blended`` or ``population``), ``personal_s``, ``stable_s`` and ``personal_weight``.
    """
    if population is None:
        from levelone.params import shipped_calibration
        population = shipped_calibration().get("population", {})
    pmed, pscale = population.get("median", {}), population.get("scale", {})
    stable = population.get("stable_s", {})
    shared = set(population.get("shared_levels", ()))
    med, scale = dict(personal.median), dict(personal.scale)
    used: dict[str, dict] = {}
    for c in sorted(set(pscale) | set(personal.scale)):
        src = _source(c)
        if src not in stable or c not in pscale:
            continue
        seconds = personal.count.get(c, 0) / fps if fps > 0 else 0.0
        w = min(1.0, seconds / stable[src]) if stable[src] > 0 else 1.0
        if c in personal.scale:
            scale[c] = w * personal.scale[c] + (1 - w) * pscale[c]
            if c in shared:
                med[c] = w * personal.median[c] + (1 - w) * pmed[c]
        else:
            med[c], scale[c] = pmed[c], pscale[c]
        info = used.setdefault(src, {"personal_s": 0.0, "stable_s": float(stable[src])})
        info["personal_s"] = max(info["personal_s"], round(seconds, 2))
    for src, info in used.items():
        w = min(1.0, info["personal_s"] / info["stable_s"]) if info["stable_s"] > 0 else 1.0
        info["personal_weight"] = round(w, 3)
        info["kind"] = "personal" if w >= 1.0 else "population" if w <= 0.0 else "blended"
    return Baseline(med, scale, personal.n_frames, dict(personal.count)), used


def squash(z: np.ndarray, threshold: float, width: float = 1.0) -> np.ndarray:
    """Map a baseline-unit score to an activation in [0, 1]: 0.5 at ``threshold``, logistic.

    ``width`` is how many baseline units take the activation from 0.27 to 0.73. NaN stays NaN.
    """
    z = np.asarray(z, np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        return (1.0 / (1.0 + np.exp(-(z - threshold) / width))).astype(np.float32)


def speaker_weighted(parts: Iterable[tuple[np.ndarray, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(values, weights) of clips' values given as (values, speaker), each speaker weighing the same
    in total however many frames their clips have."""
    parts = list(parts)
    per_speaker: dict[str, int] = {}
    for v, s in parts:
        per_speaker[s] = per_speaker.get(s, 0) + v.size
    values = np.concatenate([v for v, _ in parts])
    weights = np.concatenate([np.full(v.size, 1.0 / per_speaker[s]) for v, s in parts])
    return values, weights


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` when each value counts ``weights`` times (lower value on a
    tie: the first whose cumulative weight share reaches ``q``). Speaker-balanced rates use it:
    each frame weighs 1 / (its speaker's frames)."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(np.asarray(weights, np.float64)[order]) / np.sum(weights)
    return float(values[order][min(np.searchsorted(cum, q, side="left"), values.size - 1)])
