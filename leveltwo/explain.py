"""Explanations of a segment in the codebook's vocabulary: which cues, modalities and pairs carried it.

A term's *share of positive evidence* in a segment is the sum of its positive per-frame
contributions over the segment divided by the sum of all positive contributions of all terms
(cues, pairs, within-modality terms and the context term; the bias is not evidence). For the
ConflictDetector every term contribution is non-negative, so the shares are exact parts of the
evidence; for the xgboost baseline negative SHAP values are left out of both sums. A modality's
share sums its cue terms and its within-modality term; a pair's share sums its disagreement term
``pair.XY`` and the incongruent cue pairs that count for it (``incongruent.XY.*``); the context
term, the test-time ``adaptation`` term (when it ran) and any term no modality or pair owns are
reported as their own shares, so all shares of a segment add up to 1.

Each pair is explained by its two sides in words ("face positive, words negative"): for an
incongruent cue pair, its own description; for the disagreement term, the sign of each modality's
confidence-weighted affect over the segment on the dimension where they disagree most.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES, PAIRS, load_vocabulary
from levelone.frametable import WITHIN_AMBIVALENCE
from leveltwo.features import AFFECT_DIMENSIONS, incongruence, opposition, pair_modalities, term_modality, term_pair

# How a modality is named in a pair's description, and how each direction of a dimension reads.
MODALITY_WORD = {"face": "face", "language": "words", "audio": "voice", "body": "body"}
DIRECTION_WORD = {"valence": ("negative", "positive"), "arousal": ("subdued", "upbeat")}

# How explanations name a within-modality term when level one measured its ambivalence directly.
WITHIN_NAMES: dict[str, tuple[str, str]] = {
    "language": ("Ambivalence in talk",
                 "said something for a change and something against it close together (e.g. that they "
                 "want to quit, then that they enjoy it): change talk and sustain talk, motivational "
                 "interviewing's own definition of ambivalence"),
}


def positive_shares(contrib: pd.DataFrame, start_frame: int, end_frame: int) -> pd.Series:
    """Share of positive evidence of every term (bias excluded) over frames start..end inclusive."""
    seg = contrib.iloc[start_frame:end_frame + 1].drop(columns=["bias"], errors="ignore")
    pos = seg.clip(lower=0).sum(axis=0)
    total = float(pos.sum())
    return pos / total if total > 0 else pos * 0.0


def modality_evidence(contrib: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-frame contribution of each modality's terms (cues + within, or a fusion model's whole
    ``signal.<modality>`` block; half of each pair and incongruent term)."""
    out = {m: np.zeros(len(contrib)) for m in MODALITIES}
    for col in contrib.columns:
        kind = col.partition(".")[0]
        v = contrib[col].to_numpy(np.float64)
        if kind in ("cue", "within", "signal"):
            out[term_modality(col)] += v
        elif term_pair(col) is not None:
            a, b = pair_modalities(term_pair(col))
            out[a] += v / 2
            out[b] += v / 2
    return out


def cue_activity(activations: pd.DataFrame | None, column: str, start_frame: int, end_frame: int,
                 active_threshold: float) -> tuple[float, float]:
    """(mean activation, fraction of frames at or above ``active_threshold``) of one cue column
    over frames start..end inclusive; a cue of a missing modality (NaN) reports (0, 0)."""
    if activations is None or column not in activations.columns:
        return 0.0, 0.0
    a = np.nan_to_num(activations[column].iloc[start_frame:end_frame + 1].to_numpy(np.float64), nan=0.0)
    if a.size == 0:
        return 0.0, 0.0
    return float(a.mean()), float((a >= active_threshold).mean())


def pair_evidence(contrib: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-frame contribution of each inconsistency pair: its disagreement term plus its incongruent cue pairs."""
    out = {p: np.zeros(len(contrib)) for p in PAIRS}
    for col in contrib.columns:
        p = term_pair(col)
        if p is not None:
            out[p] += contrib[col].to_numpy(np.float64)
    return out


def _side(data: pd.DataFrame | None, modality: str, dim: str, a: int, b: int) -> float:
    """Confidence-weighted mean of a modality's affect dimension over frames a..b (NaN if none)."""
    col = f"affect.{modality}.{dim}"
    if data is None or col not in data.columns:
        return np.nan
    v = data[col].iloc[a:b + 1].to_numpy(np.float64)
    c = data[f"affect.{modality}.confidence"].iloc[a:b + 1].to_numpy(np.float64) \
        if f"affect.{modality}.confidence" in data.columns else np.ones_like(v)
    w = np.where(np.isfinite(v), np.nan_to_num(c), 0.0)
    return float((w * np.nan_to_num(v)).sum() / w.sum()) if w.sum() > 0 else np.nan


def describe_pair(pair: str, data: pd.DataFrame | None, a: int, b: int) -> tuple[dict[str, str], str]:
    """The two sides of a pair's disagreement over frames a..b: ({modality: direction}, "face positive,
    words negative"), on the affect dimension where they oppose most; empty when unknown."""
    ma, mb = pair_modalities(pair)
    best, best_dim, vals = -1.0, None, (np.nan, np.nan)
    for d in AFFECT_DIMENSIONS:
        va, vb = _side(data, ma, d, a, b), _side(data, mb, d, a, b)
        if np.isfinite(va) and np.isfinite(vb):
            o = float(opposition(va, vb)) + 1e-3 * (abs(va) + abs(vb))  # ties: the stronger readings
            if o > best:
                best, best_dim, vals = o, d, (va, vb)
    if best_dim is None:
        return {}, ""
    words = DIRECTION_WORD[best_dim]
    sides = {m: words[int(v > 0)] if abs(v) > 1e-3 else "neutral" for m, v in zip((ma, mb), vals)}
    return sides, ", ".join(f"{MODALITY_WORD[m]} {sides[m]}" for m in (ma, mb))


def explain_segment(contrib: pd.DataFrame, start_frame: int, end_frame: int,
                    activations: pd.DataFrame | None = None, top_k: int | None = None, min_share: float = 0.0,
                    active_threshold: float = 0.5) -> dict:
    """Cues, modalities and pairs of one segment with their shares, each list sorted by share (desc).

    ``cues`` holds every cue with a positive share or active in the segment (``top_k`` cuts it), each
    with its mean ``activation`` and ``active_fraction`` (frames >= ``active_threshold``) from
    ``activations`` (the FrameTable data; a cue of a missing modality reports 0). Shares add up to 1:
    the modalities' (cues + within-modality term), the pairs' (disagreement + incongruent cue pairs,
    each pair with its two ``sides`` in words), ``context_share`` (the temporal-context term),
    ``adaptation_share`` (test-time adaptation) and ``other_share`` (any further term a detector
    reports that no cue, modality or pair owns).
    """
    voc = load_vocabulary()
    shares = positive_shares(contrib, start_frame, end_frame)
    cues = []
    for col in contrib.columns:
        if not col.startswith("cue."):
            continue
        share = float(shares.get(col, 0.0))
        act, frac = cue_activity(activations, col, start_frame, end_frame, active_threshold)
        if share <= min_share and frac <= 0:
            continue
        cue = voc[col[4:]]
        cues.append({"id": cue.id, "modality": cue.modality, "name": cue.name, "share": round(share, 4),
                     "activation": round(act, 4), "active_fraction": round(frac, 4)})
    cues.sort(key=lambda c: (-c["share"], -c["activation"], c["id"]))
    modalities = []
    for m in MODALITIES:
        s = float(sum(v for k, v in shares.items() if term_modality(k) == m and not k.startswith("pair.")))
        modalities.append({"id": m, "share": round(s, 4)})
    modalities.sort(key=lambda c: (-c["share"], c["id"]))
    pairs = []
    for p in PAIRS:
        parts = {k: float(v) for k, v in shares.items() if term_pair(k) == p and v > 0}
        s = float(sum(parts.values()))
        if s <= min_share:
            continue
        incongruent = [{"id": k.split(".", 1)[1], "share": round(v, 4), "description": incongruence(k).description}
                       for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if k.startswith("incongruent.")]
        sides, description = describe_pair(p, activations, start_frame, end_frame)
        if incongruent and parts.get(f"pair.{p}", 0.0) < parts[f"incongruent.{incongruent[0]['id']}"]:
            top = incongruence(f"incongruent.{incongruent[0]['id']}")  # the cue pair carried it: its words
            sides, description = dict(top.side_words), top.description
        pairs.append({"id": p, "share": round(s, 4), "modalities": list(pair_modalities(p)), "sides": sides,
                      "description": description, "incongruent": incongruent})
    pairs.sort(key=lambda c: (-c["share"], c["id"]))
    within = []
    for m in MODALITIES:
        s = float(shares.get(f"within.{m}", 0.0))
        if s <= min_share:
            continue
        item = {"id": m, "share": round(s, 4), "name": f"Conflict within {m}", "definition": ""}
        col = WITHIN_AMBIVALENCE.get(m)
        if col and activations is not None and col in activations.columns:
            a = activations[col].iloc[start_frame:end_frame + 1].to_numpy(np.float64)
            act = float(np.nanmax(a)) if np.isfinite(a).any() else 0.0
            if act > 0 and m in WITHIN_NAMES:
                item.update(name=WITHIN_NAMES[m][0], definition=WITHIN_NAMES[m][1], activation=round(act, 4))
        within.append(item)
    within.sort(key=lambda c: (-c["share"], c["id"]))
    owned = sum(float(v) for k, v in shares.items()
                if k in ("context", "adaptation") or term_pair(k) is not None or term_modality(k) is not None)
    total = float(shares.sum())
    return {"cues": cues if top_k is None else cues[:top_k], "modalities": modalities, "pairs": pairs,
            "within": within, "context_share": round(float(shares.get("context", 0.0)), 4),
            "adaptation_share": round(float(shares.get("adaptation", 0.0)), 4),
            "other_share": round(max(0.0, total - owned), 4)}
