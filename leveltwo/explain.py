"""Explanations of a segment in the codebook's vocabulary: which cues, modalities and pairs carried it.

A term's *share of positive evidence* in a segment is the sum of its positive per-frame
contributions over the segment divided by the sum of all positive contributions of all terms
(cues, pairs, within-modality terms and the context term; the bias is not evidence). For the
ConflictDetector every term contribution is non-negative, so the shares are exact parts of the
evidence; for the xgboost baseline negative SHAP values are left out of both sums. A modality's
share sums its cue terms and its within-modality term; the context term, the test-time
``adaptation`` term (when it ran) and any term no modality or pair owns are reported as their own
shares, so all shares of a segment add up to 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES, PAIRS, load_vocabulary
from leveltwo.features import pair_modalities, term_modality


def positive_shares(contrib: pd.DataFrame, start_frame: int, end_frame: int) -> pd.Series:
    """Share of positive evidence of every term (bias excluded) over frames start..end inclusive."""
    seg = contrib.iloc[start_frame:end_frame + 1].drop(columns=["bias"], errors="ignore")
    pos = seg.clip(lower=0).sum(axis=0)
    total = float(pos.sum())
    return pos / total if total > 0 else pos * 0.0


def modality_evidence(contrib: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-frame contribution of each modality's terms (cues + within, or a fusion model's whole
    ``signal.<modality>`` block; half of each pair term)."""
    out = {m: np.zeros(len(contrib)) for m in MODALITIES}
    for col in contrib.columns:
        kind, _, rest = col.partition(".")
        v = contrib[col].to_numpy(np.float64)
        if kind in ("cue", "within", "signal"):
            out[term_modality(col)] += v
        elif kind == "pair":
            a, b = pair_modalities(rest)
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


def explain_segment(contrib: pd.DataFrame, start_frame: int, end_frame: int,
                    activations: pd.DataFrame | None = None, top_k: int | None = None, min_share: float = 0.0,
                    active_threshold: float = 0.5) -> dict:
    """Cues, modalities and pairs of one segment with their shares, each list sorted by share (desc).

    ``cues`` holds every cue with a positive share or active in the segment (``top_k`` cuts it), each
    with its mean ``activation`` and ``active_fraction`` (frames >= ``active_threshold``) from
    ``activations`` (the FrameTable data; a cue of a missing modality reports 0). Shares add up to 1:
    the modalities' (cues + within-modality term), the pairs', ``context_share`` (the temporal-context
    term) and ``other_share`` (any further term a detector reports that no cue, modality or pair owns).
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
        s = float(shares.get(f"pair.{p}", 0.0))
        if s > min_share:
            pairs.append({"id": p, "share": round(s, 4), "modalities": list(pair_modalities(p))})
    pairs.sort(key=lambda c: (-c["share"], c["id"]))
    owned = sum(float(v) for k, v in shares.items()
                if k in ("context", "adaptation") or k.startswith("pair.") or term_modality(k) is not None)
    total = float(shares.sum())
    return {"cues": cues if top_k is None else cues[:top_k], "modalities": modalities, "pairs": pairs,
            "context_share": round(float(shares.get("context", 0.0)), 4),
            "adaptation_share": round(float(shares.get("adaptation", 0.0)), 4),
            "other_share": round(max(0.0, total - owned), 4)}
