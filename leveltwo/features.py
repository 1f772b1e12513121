"""Windowed level-two features from a FrameTable: the named terms of the conflict detector.

Every frame gets a vector of *terms*, each non-negative and each named in the codebook's words:

- ``cue.<modality>.<cue>`` — the cue's activation averaged over a window around the frame
  (default 2 s centred; A/H segments last 4.3 s on average). NaN (modality absent) counts as no
  evidence: absence is never evidence of A/H, and the ``present`` channel records it.
- ``pair.<XY>`` for FL FA FB LA LB AB — cross-modal conflict. Per modality we take the
  confidence-weighted mean valence over the window ``v̄`` and the mean confidence ``c̄``; the term
  is ``|v̄_a - v̄_b| / 2 * c̄_a * c̄_b`` in [0, 1]. Windowed means (not frame-wise products) let a
  sparse signal (words) meet a dense one (face) that disagrees a second later. We use the absolute
  difference rather than a sign-disagreement indicator because valence near 0 is unreliable and a
  step from +0.1 to -0.1 should count little.
- ``within.<modality>`` — conflict inside one modality: the confidence-weighted standard deviation
  of its valence over the window times ``c̄`` (a valence that swings both ways). For language,
  when ``text.p_change`` and ``text.p_sustain`` exist, change talk and sustain talk in the same
  window count too: the term is ``max(spread, sqrt(p̄_change * p̄_sustain))``, and level one's
  ``text.stance_conflict`` (change and sustain phrases close together), windowed, when present,
  and level one's ambivalence in talk (``WITHIN_AMBIVALENCE``: ``text.ambivalence``, change and
  sustain talk by the stance model within 30 s), windowed, when present.

A second block, the *context* inputs, feeds the detector's one temporal-context term and the
xgboost baseline: per modality the summed cue evidence, the pair and within terms, each averaged
over the preceding and following ``context_s`` seconds and a centred ``2 * context_s`` window
(a 1D convolution with fixed box kernels; the causal variant uses only past windows), plus the
fraction of frames in the window where each source was present.

All window sums are cumulative-sum differences (O(n) per column), float32 out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codebook.vocabulary import MODALITIES, MODALITY_OF_LETTER, PAIRS, load_vocabulary
from levelone.pipeline.assemble import missing_sources
from levelone.frametable import MODALITY_SOURCE, WITHIN_AMBIVALENCE, FrameTable

SOURCE_OF: dict[str, str] = MODALITY_SOURCE
MODES = ("centred", "causal")


def cue_names() -> list[str]:
    """Cue term names in vocabulary order (the measurable cues)."""
    return [c.column for c in load_vocabulary().measurable]


def term_names() -> list[str]:
    return cue_names() + [f"pair.{p}" for p in PAIRS] + [f"within.{m}" for m in MODALITIES]


def term_modality(name: str) -> str | None:
    """The codebook modality a term belongs to ('pair.*' belong to two: None)."""
    kind, _, rest = name.partition(".")
    if kind == "cue":
        return rest.split(".", 1)[0]
    if kind == "within":
        return rest
    return None


def pair_modalities(pair: str) -> tuple[str, str]:
    return MODALITY_OF_LETTER[pair[0]], MODALITY_OF_LETTER[pair[1]]


def _summary_names() -> list[str]:
    return ([f"evidence.{m}" for m in MODALITIES] + [f"pair.{p}" for p in PAIRS]
            + [f"within.{m}" for m in MODALITIES])


def context_names(mode: str = "centred") -> list[str]:
    scopes = ("past", "past2") if mode == "causal" else ("past", "future", "around")
    names = [f"ctx.{s}.{n}" for s in scopes for n in _summary_names()]
    return names + [f"ctx.present.{m}" for m in MODALITIES]


def window_sum(x: np.ndarray, lo_off: int, hi_off: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum over frames ``i+lo_off .. i+hi_off`` (inclusive, clipped to the video) along axis 0.

    Returns (sums, counts); counts are the number of frames actually inside the video.
    """
    n = x.shape[0]
    c = np.zeros((n + 1,) + x.shape[1:], dtype=np.float64)
    np.cumsum(x, axis=0, out=c[1:])
    i = np.arange(n)
    lo = np.clip(i + lo_off, 0, n)
    hi = np.clip(i + hi_off + 1, 0, n)
    hi = np.maximum(hi, lo)
    return c[hi] - c[lo], (hi - lo).astype(np.float64)


def window_mean(x: np.ndarray, lo_off: int, hi_off: int) -> np.ndarray:
    """Mean over the window; 0 where the window falls outside the video."""
    s, cnt = window_sum(x, lo_off, hi_off)
    cnt = cnt.reshape((-1,) + (1,) * (x.ndim - 1))
    return np.where(cnt > 0, s / np.maximum(cnt, 1), 0.0)


def _offsets(w: int, mode: str) -> tuple[int, int]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    w = max(int(w), 1)
    return (-(w - 1), 0) if mode == "causal" else (-(w // 2), w - 1 - w // 2)


@dataclass(frozen=True)
class Features:
    """Per-frame term matrix (n, T) and context inputs (n, C) with their names."""
    terms: np.ndarray
    context: np.ndarray
    term_names: tuple[str, ...]
    context_names: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        return self.terms.shape[0]

    def matrix(self) -> np.ndarray:
        """Terms and context side by side (the xgboost baseline's input)."""
        return np.concatenate([self.terms, self.context], axis=1)


def _col(df, name: str, n: int) -> np.ndarray:
    if name in df.columns:
        return df[name].to_numpy(np.float64, na_value=np.nan)
    return np.full(n, np.nan)


def frame_features(table: FrameTable, window_s: float = 2.0, context_s: float = 4.0,
                   mode: str = "centred") -> Features:
    """The term and context features of every frame of ``table``."""
    df = table.data
    n = len(df)
    fps = float(table.meta.fps) if table.meta.fps else 24.0
    lo, hi = _offsets(round(window_s * fps), mode)

    cues = np.nan_to_num(np.stack([_col(df, c, n) for c in cue_names()], axis=1), nan=0.0)
    cue_terms = window_mean(np.clip(cues, 0.0, 1.0), lo, hi)

    # confidence-weighted windowed valence statistics per modality
    vbar, cbar, spread = {}, {}, {}
    for m in MODALITIES:
        v = _col(df, f"affect.{m}.valence", n)
        c = np.nan_to_num(_col(df, f"affect.{m}.confidence", n), nan=0.0)
        c = np.where(np.isnan(v), 0.0, np.clip(c, 0.0, 1.0))
        v = np.clip(np.nan_to_num(v, nan=0.0), -1.0, 1.0)
        s, cnt = window_sum(np.stack([c, c * v, c * v * v], axis=1), lo, hi)
        wsum = s[:, 0]
        mean_v = np.where(wsum > 1e-9, s[:, 1] / np.maximum(wsum, 1e-9), 0.0)
        var = np.where(wsum > 1e-9, s[:, 2] / np.maximum(wsum, 1e-9) - mean_v ** 2, 0.0)
        vbar[m] = mean_v
        cbar[m] = s[:, 0] / np.maximum(cnt, 1)
        spread[m] = np.sqrt(np.clip(var, 0.0, 1.0)) * cbar[m]

    pairs = []
    for p in PAIRS:
        a, b = pair_modalities(p)
        pairs.append(np.abs(vbar[a] - vbar[b]) / 2.0 * cbar[a] * cbar[b])
    pc, ps = _col(df, "text.p_change", n), _col(df, "text.p_sustain", n)
    if not (np.isnan(pc).all() or np.isnan(ps).all()):
        stance = window_mean(np.nan_to_num(np.stack([pc, ps], axis=1), nan=0.0), lo, hi)
        spread["language"] = np.maximum(spread["language"], np.sqrt(np.clip(stance[:, 0] * stance[:, 1], 0, 1)))
    sc = _col(df, "text.stance_conflict", n)
    if not np.isnan(sc).all():  # level one's own change-and-sustain evidence, when it provides it
        spread["language"] = np.maximum(spread["language"], window_mean(np.clip(np.nan_to_num(sc), 0, 1), lo, hi))
    for m, col in WITHIN_AMBIVALENCE.items():  # level one's ambivalence in talk (MI), when measured
        amb = _col(df, col, n)
        if not np.isnan(amb).all():
            spread[m] = np.maximum(spread[m], window_mean(np.clip(np.nan_to_num(amb), 0, 1), lo, hi))
    within = [spread[m] for m in MODALITIES]
    terms = np.concatenate([cue_terms, np.stack(pairs + within, axis=1)], axis=1)

    # context: modality summaries over neighbouring windows
    names = term_names()
    ev = [terms[:, [i for i, t in enumerate(names) if t.startswith(f"cue.{m}.")]].sum(axis=1) for m in MODALITIES]
    summary = np.concatenate([np.stack(ev, axis=1), terms[:, len(cue_names()):]], axis=1)
    wc = max(round(context_s * fps), 1)
    scopes = [(-wc, -1), (-2 * wc, -wc - 1)] if mode == "causal" else [(-wc, -1), (1, wc), (-wc, wc)]
    ctx = [window_mean(summary, a, b) for a, b in scopes]
    present = np.stack([_col(df, f"{SOURCE_OF[m]}.present", n) for m in MODALITIES], axis=1)
    ctx.append(window_mean(np.nan_to_num(present, nan=0.0).astype(np.float64), lo, hi))
    context = np.concatenate(ctx, axis=1)
    return Features(terms.astype(np.float32), context.astype(np.float32),
                    tuple(names), tuple(context_names(mode)))


def check_labels(feats, labels) -> None:
    """One 0/1 label array per table, as long as the table (a caller's bug otherwise)."""
    if labels is None or len(feats) != len(labels):
        raise ValueError("one label array per table is required")
    for f, y in zip(feats, labels):
        if len(y) != f.n_frames:
            raise ValueError(f"labels have {len(y)} frames, the table {f.n_frames}")


def missing_modalities(table: FrameTable) -> list[str]:
    """Codebook modalities with no evidence anywhere in the video."""
    gone = set(missing_sources(table.data))
    return [m for m in MODALITIES if SOURCE_OF[m] in gone]


__all__ = ["Features", "frame_features", "check_labels", "term_names", "cue_names", "context_names", "term_modality",
           "pair_modalities", "missing_modalities", "window_mean", "window_sum"]
