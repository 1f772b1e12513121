"""Explanations of a segment in the codebook's vocabulary: which cues, modalities and pairs carried it.

A term's *share of positive evidence* in a segment is the sum of its positive per-frame
contributions over the segment divided by the sum of all positive contributions of all terms
(cues, pairs, within-modality terms and the context term; the bias is not evidence). For the
ConflictDetector every term contribution is non-negative, so the shares are exact parts of the
evidence; for the xgboost baseline negative SHAP values are left out of both sums. A modality's
share sums its cue terms and its within-modality term; the context term is reported by none, so
shares add up to at most 1 and the rest is what context carried.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES, PAIRS, load_vocabulary
from leveltwo.features import pair_modalities, term_modality
from levelone.frametable import WITHIN_AMBIVALENCE

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
    """Per-frame contribution of each modality's terms (cues + within; half of each pair term)."""
    out = {m: np.zeros(len(contrib)) for m in MODALITIES}
    for col in contrib.columns:
        kind, _, rest = col.partition(".")
        v = contrib[col].to_numpy(np.float64)
        if kind in ("cue", "within"):
            out[term_modality(col)] += v
        elif kind == "pair":
            a, b = pair_modalities(rest)
            out[a] += v / 2
            out[b] += v / 2
    return out


def explain_segment(contrib: pd.DataFrame, start_frame: int, end_frame: int,
                    activations: pd.DataFrame | None = None, top_k: int = 5, min_share: float = 0.0) -> dict:
    """Top cues, modalities and pairs of one segment, each with its share, sorted by share (desc).

    ``activations`` (optional) is the FrameTable data, for each cue's mean activation in the
    segment (NaN-free; a cue of a missing modality reports 0).
    """
    voc = load_vocabulary()
    shares = positive_shares(contrib, start_frame, end_frame)
    cues = []
    for col, share in shares.items():
        if not col.startswith("cue.") or share <= min_share:
            continue
        cue = voc[col[4:]]
        act = 0.0
        if activations is not None and col in activations.columns:
            a = activations[col].iloc[start_frame:end_frame + 1].to_numpy(np.float64)
            act = float(np.nanmean(a)) if np.isfinite(a).any() else 0.0
        cues.append({"id": cue.id, "modality": cue.modality, "name": cue.name, "share": round(float(share), 4),
                     "activation": round(act, 4)})
    cues.sort(key=lambda c: (-c["share"], c["id"]))
    modalities = []
    for m in MODALITIES:
        s = float(sum(v for k, v in shares.items() if term_modality(k) == m and not k.startswith("pair.")))
        modalities.append({"id": m, "share": round(s, 4)})
    modalities.sort(key=lambda c: (-c["share"], c["id"]))
    pairs = []
    for p in PAIRS:
        s = float(shares.get(f"pair.{p}", 0.0))
        if s > min_share:
            pairs.append({"id": p, "share": round(s, 4), "modalities": list(pair_modalities(p))})
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
    return {"cues": cues[:top_k], "modalities": modalities, "pairs": pairs, "within": within,
            "context_share": round(float(shares.get("context", 0.0)), 4)}
