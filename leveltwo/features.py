"""Windowed level-two features from a FrameTable: the named terms of the conflict detector.

Every frame gets a vector of *terms*, each non-negative and each named in the codebook's words:

- ``cue.<modality>.<cue>`` — the cue's activation averaged over a window around the frame
  (default 2 s centred; A/H segments last 4.3 s on average). NaN (modality absent) counts as no
  evidence: absence is never evidence of A/H, and the ``present`` channel records it.
- ``pair.<XY>`` for FL FA FB LA LB AB — cross-modal *disagreement*. Per modality and affect
  dimension (valence; arousal where level one measures it: face and voice) we take the
  confidence-weighted mean over the window ``v̄`` (already relative to the person's neutral) and
  the mean confidence ``c̄``; the term is ``sqrt(max(0, -v̄_a · v̄_b)) · c̄_a · c̄_b`` on the
  dimension both modalities have, the larger of the two when they share both. It is high only when
  the two point in opposite directions (one positive, one negative) and ~0 when they agree,
  however strongly (the former ``|v̄_a - v̄_b|`` counted +0.9 against +0.1 as conflict, so a pair
  mostly measured one modality's distance from neutral). A step from +0.1 to -0.1 counts 0.1.
  Windowed means (not frame-wise products) let a sparse signal (words) meet a dense one (face)
  that disagrees a second later.
- ``incongruent.<XY>.<name>`` — the codebook's own incongruent cue pairs (:data:`INCONGRUENT`):
  a nod with negative words, a head shake with positive words, a smile with negative words, an
  upbeat voice (arousal above the person's neutral) with negative words, a positive face with a
  flat voice. Each is the product of the two sides' windowed evidence (a cue's activation above
  0.5, rescaled to [0, 1]; an affect's part on the named side); it counts for pair XY.
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
(a 1D convolution with fixed box kernels; the causal variant uses only past windows). The
``<source>.present`` flags are deliberately *not* inputs: absence is never evidence, and a model
that sees them can move its logit because a modality is missing (issue 13).

All window sums are cumulative-sum differences (O(n) per column), float32 out.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codebook.vocabulary import MODALITIES, MODALITY_OF_LETTER, PAIRS, load_vocabulary
from levelone.pipeline.assemble import missing_sources
from levelone.frametable import AROUSAL_MODALITIES, MODALITY_SOURCE, WITHIN_AMBIVALENCE, FrameTable

SOURCE_OF: dict[str, str] = MODALITY_SOURCE
MODES = ("centred", "causal")
AFFECT_DIMENSIONS = ("valence", "arousal")


@dataclass(frozen=True)
class Incongruence:
    """One of the codebook's incongruent cue pairs: two sides that, together, disagree."""
    pair: str  # the inconsistency pair it counts for (FL, LB, ...)
    name: str
    sides: tuple[str, str]  # FrameTable columns: a cue (evidence above 0.5), an affect (its positive
    # part) or "-" and an affect (its negative part)
    description: str  # what a reader sees: "body nods, words negative"
    side_words: tuple[tuple[str, str], ...] = ()  # (modality, what it does) for both sides

    @property
    def term(self) -> str:
        return f"incongruent.{self.pair}.{self.name}"


# The codebook's examples of cross-modal inconsistency (vocabulary.yaml, inconsistencies) that cues
# and affect level one measures can express directly. The voice has arousal but no valence, so the
# face-voice example "a sad or flat tone while smiling" is its own term: positive face, subdued voice.
INCONGRUENT: tuple[Incongruence, ...] = (
    Incongruence("LB", "nod_negative_words", ("cue.body.nod", "cue.language.negative"), "body nods, words negative",
                 (("body", "nods"), ("language", "negative"))),
    Incongruence("LB", "shake_positive_words", ("cue.body.shake", "cue.language.positive"),
                 "head shakes, words positive", (("body", "shakes"), ("language", "positive"))),
    Incongruence("FL", "smile_negative_words", ("cue.face.smile", "cue.language.negative"),
                 "face smiles, words negative", (("face", "smiles"), ("language", "negative"))),
    Incongruence("LA", "upbeat_voice_negative_words", ("affect.audio.arousal", "cue.language.negative"),
                 "voice upbeat, words negative", (("audio", "upbeat"), ("language", "negative"))),
    Incongruence("FA", "smile_flat_voice", ("affect.face.valence", "-affect.audio.arousal"),
                 "face positive, voice flat", (("face", "positive"), ("audio", "flat"))),
)


def cue_names() -> list[str]:
    """Cue term names in vocabulary order (the measurable cues)."""
    return [c.column for c in load_vocabulary().measurable]


def term_names() -> list[str]:
    return (cue_names() + [f"pair.{p}" for p in PAIRS] + [f"within.{m}" for m in MODALITIES]
            + [i.term for i in INCONGRUENT])


def term_pair(name: str) -> str | None:
    """The inconsistency pair a term counts for (``pair.XY`` and ``incongruent.XY.*``), else None."""
    kind, _, rest = name.partition(".")
    return rest.split(".", 1)[0] if kind in ("pair", "incongruent") else None


def incongruence(name: str) -> Incongruence | None:
    return next((i for i in INCONGRUENT if i.term == name), None)


def term_modality(name: str) -> str | None:
    """The codebook modality a term belongs to (pair and incongruent terms belong to two: None).

    ``signal.<modality>`` is a whole modality block (the fusion comparator's attribution)."""
    kind, _, rest = name.partition(".")
    if kind == "cue":
        return rest.split(".", 1)[0]
    if kind in ("within", "signal"):
        return rest
    return None


def pair_modalities(pair: str) -> tuple[str, str]:
    return MODALITY_OF_LETTER[pair[0]], MODALITY_OF_LETTER[pair[1]]


def _summary_names() -> list[str]:
    return ([f"evidence.{m}" for m in MODALITIES] + [f"pair.{p}" for p in PAIRS]
            + [f"within.{m}" for m in MODALITIES])


def context_names(mode: str = "centred") -> list[str]:
    """Context input names; no ``present`` flags among them (absence is never evidence)."""
    scopes = ("past", "past2") if mode == "causal" else ("past", "future", "around")
    return [f"ctx.{s}.{n}" for s in scopes for n in _summary_names()]


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


def frame_features(table: FrameTable, window_s: float = 2.0, context_s: float = 4.0,
                   mode: str = "centred") -> Features:
    """The term and context features of every frame of ``table``."""
    fps = table.fps
    lo, hi = _offsets(round(window_s * fps), mode)

    cues = np.nan_to_num(np.stack([table.column(c) for c in cue_names()], axis=1), nan=0.0)
    cue_terms = window_mean(np.clip(cues, 0.0, 1.0), lo, hi)

    n = len(table.data)
    stats = {m: affect_stats(table, m, n, lo, hi) for m in MODALITIES}
    pairs = []
    for p in PAIRS:
        a, b = pair_modalities(p)
        pairs.append(disagreement(stats[a], stats[b], n))
    spread = {m: np.max([sd for _, _, sd in stats[m].values()] + [np.zeros(n)], axis=0) for m in MODALITIES}
    pc, ps = table.column("text.p_change", absent=np.nan), table.column("text.p_sustain", absent=np.nan)
    if not (np.isnan(pc).all() or np.isnan(ps).all()):
        stance = window_mean(np.nan_to_num(np.stack([pc, ps], axis=1), nan=0.0), lo, hi)
        spread["language"] = np.maximum(spread["language"], np.sqrt(np.clip(stance[:, 0] * stance[:, 1], 0, 1)))
    sc = table.column("text.stance_conflict", absent=np.nan)
    if not np.isnan(sc).all():  # level one's own change-and-sustain evidence, when it provides it
        spread["language"] = np.maximum(spread["language"], window_mean(np.clip(np.nan_to_num(sc), 0, 1), lo, hi))
    for m, col in WITHIN_AMBIVALENCE.items():  # level one's ambivalence in talk (MI), when measured
        amb = table.column(col, absent=np.nan)
        if not np.isnan(amb).all():
            spread[m] = np.maximum(spread[m], window_mean(np.clip(np.nan_to_num(amb), 0, 1), lo, hi))
    within = [spread[m] for m in MODALITIES]
    incongruent = [incongruent_term(table, i, n, lo, hi) for i in INCONGRUENT]
    terms = np.concatenate([cue_terms, np.stack(pairs + within + incongruent, axis=1)], axis=1)

    # context: modality summaries over neighbouring windows
    names = term_names()
    ev = [terms[:, [i for i, t in enumerate(names) if t.startswith(f"cue.{m}.")]].sum(axis=1) for m in MODALITIES]
    n_cues = len(cue_names())
    summary = np.concatenate([np.stack(ev, axis=1), terms[:, n_cues:n_cues + len(PAIRS) + len(MODALITIES)]], axis=1)
    wc = max(round(context_s * fps), 1)
    scopes = [(-wc, -1), (-2 * wc, -wc - 1)] if mode == "causal" else [(-wc, -1), (1, wc), (-wc, wc)]
    context = np.concatenate([window_mean(summary, a, b) for a, b in scopes], axis=1)
    return Features(terms.astype(np.float32), context.astype(np.float32),
                    tuple(names), tuple(context_names(mode)))


def affect_stats(table: FrameTable, modality: str, n: int, lo: int,
                 hi: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per affect dimension the modality has: windowed (mean value v̄, mean confidence c̄, spread · c̄).

    Frames where the dimension is NaN carry no weight (confidence 0 there); a dimension with no
    finite value in the table is left out.
    """
    conf = np.clip(np.nan_to_num(table.column(f"affect.{modality}.confidence"), nan=0.0), 0.0, 1.0)
    out = {}
    for d in AFFECT_DIMENSIONS:
        if d == "arousal" and modality not in AROUSAL_MODALITIES:  # e.g. body: valence only
            continue
        v = table.column(f"affect.{modality}.{d}", absent=np.nan)
        if not np.isfinite(v).any():
            continue
        c = np.where(np.isnan(v), 0.0, conf)
        v = np.clip(np.nan_to_num(v, nan=0.0), -1.0, 1.0)
        s, cnt = window_sum(np.stack([c, c * v, c * v * v], axis=1), lo, hi)
        wsum = s[:, 0]
        mean_v = np.where(wsum > 1e-9, s[:, 1] / np.maximum(wsum, 1e-9), 0.0)
        var = np.where(wsum > 1e-9, s[:, 2] / np.maximum(wsum, 1e-9) - mean_v ** 2, 0.0)
        cbar = wsum / np.maximum(cnt, 1)
        out[d] = (mean_v, cbar, np.sqrt(np.clip(var, 0.0, 1.0)) * cbar)
    return out


def opposition(va: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """How much two affect readings point in opposite directions: sqrt(max(0, -va·vb)) in [0, 1].

    0 when they agree in sign however strong, or when either is neutral; the geometric mean of the
    two magnitudes when they disagree (+0.8 against -0.8 gives 0.8, +0.1 against -0.1 gives 0.1).
    """
    return np.sqrt(np.clip(-np.asarray(va) * np.asarray(vb), 0.0, 1.0))


def disagreement(a: dict, b: dict, n: int) -> np.ndarray:
    """Pair term (n,) from two :func:`affect_stats`: opposition scaled by both confidences, the
    largest over the dimensions both have (0 when they share none)."""
    shared = [d for d in AFFECT_DIMENSIONS if d in a and d in b]
    if not shared:
        return np.zeros(n)
    return np.max([opposition(a[d][0], b[d][0]) * a[d][1] * b[d][1] for d in shared], axis=0)


def side_evidence(table: FrameTable, column: str, n: int) -> np.ndarray:
    """One side of an incongruent pair per frame in [0, 1]: a cue's activation above 0.5 (rescaled),
    an affect's positive part (``affect.audio.arousal`` above the person's neutral), or with a
    leading ``-`` its negative part."""
    sign = -1.0 if column.startswith("-") else 1.0
    v = np.nan_to_num(table.column(column.lstrip("-"), absent=np.nan), nan=0.0)
    if column.startswith("cue."):
        return np.clip(2.0 * v - 1.0, 0.0, 1.0)
    return np.clip(sign * v, 0.0, 1.0)


def incongruent_term(table: FrameTable, inc: Incongruence, n: int, lo: int, hi: int) -> np.ndarray:
    """Windowed evidence of both sides of an incongruent pair, multiplied (0 unless both are there)."""
    a, b = (window_mean(side_evidence(table, c, n), lo, hi) for c in inc.sides)
    return np.clip(a * b, 0.0, 1.0)


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
           "term_pair", "pair_modalities", "missing_modalities", "window_mean", "window_sum", "INCONGRUENT",
           "Incongruence", "incongruence", "opposition", "disagreement", "affect_stats", "AFFECT_DIMENSIONS"]
