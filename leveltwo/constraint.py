"""The codebook constraint: keep the evidence the model uses on A/H frames shaped like the codebook's.

On A/H frames, the detector's non-negative term contributions are split into four modality
evidences (each modality's cue terms plus its within-modality term) and six pair evidences. Their
shares are pulled toward the codebook's statistics — the share of cues by modality and of
inconsistency types, from the training annotations or BAH's published figures — by
``KL(target || model)``. The weight is a training parameter; weight 0 is the ablation reported
beside every trained model, since cue supervision can also hurt.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codebook.vocabulary import MODALITIES, PAIRS

# BAH's published statistics (docs/bah-format.md), used only if codebook.stats is not importable.
_PUBLISHED_MODALITY = {"face": 0.284, "language": 0.252, "body": 0.237, "audio": 0.227}
_PUBLISHED_PAIR = {"FL": 0.426, "LB": 0.266, "LA": 0.165, "FB": 0.101, "FA": 0.027, "AB": 0.016}


@dataclass(frozen=True)
class Targets:
    """Target shares: modality (in MODALITIES order), pair (in PAIRS order), cue shares by id."""
    modality: np.ndarray
    pair: np.ndarray
    cue: dict[str, float]
    source: str

    def to_json(self) -> dict:
        out = {"modality": dict(zip(MODALITIES, map(float, self.modality))),
               "pair": dict(zip(PAIRS, map(float, self.pair))), "source": self.source}
        if self.cue:
            out["cue"] = {k: float(v) for k, v in self.cue.items()}
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Targets":
        """Read :meth:`to_json`'s dict back (a model card's ``constraint_targets``)."""
        return cls(np.array([float(data["modality"][m]) for m in MODALITIES]),
                   np.array([float(data["pair"][p]) for p in PAIRS]),
                   {k: float(v) for k, v in (data.get("cue") or {}).items()}, str(data.get("source", "")))


def _normalise(values: dict, keys: tuple[str, ...]) -> np.ndarray:
    v = np.array([max(float(values.get(k, 0.0) or 0.0), 0.0) for k in keys], dtype=np.float64)
    v = v + 1e-3  # no zero target: KL stays finite and no modality is forbidden outright
    return v / v.sum()


def _flat_cue_shares(raw) -> dict[str, float]:
    """Cue shares as {cue_id: share within its modality}, accepting flat or per-modality dicts."""
    out: dict[str, float] = {}
    if not raw:
        return out
    for k, v in dict(raw).items():
        if isinstance(v, dict):
            for cid, s in v.items():
                out[cid if "." in cid else f"{k}.{cid}"] = float(s)
        else:
            out[str(k)] = float(v)
    return out


def targets_from(stats=None) -> Targets:
    """Targets from a ``codebook.stats.CueStatistics`` (default: the published BAH prior)."""
    if stats is None:
        try:
            from codebook.stats import CueStatistics
            stats = CueStatistics.published()
        except ImportError:
            return Targets(_normalise(_PUBLISHED_MODALITY, MODALITIES), _normalise(_PUBLISHED_PAIR, PAIRS), {},
                           "BAH published statistics (built-in copy)")
    mod = dict(getattr(stats, "modality_shares", {}) or {})
    pair = dict(getattr(stats, "pair_shares", {}) or {})
    mod = {("face" if k == "facial" else k): v for k, v in mod.items()}
    source = getattr(stats, "source", None) or getattr(stats, "description", None) or type(stats).__name__
    return Targets(_normalise(mod or _PUBLISHED_MODALITY, MODALITIES), _normalise(pair or _PUBLISHED_PAIR, PAIRS),
                   _flat_cue_shares(getattr(stats, "cue_shares", None)), str(source))


def group_matrices(term_names: list[str] | tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 matrices (T, 4) and (T, 6) mapping each term to its modality / pair evidence."""
    gm = np.zeros((len(term_names), len(MODALITIES)), np.float32)
    gp = np.zeros((len(term_names), len(PAIRS)), np.float32)
    for i, name in enumerate(term_names):
        kind, _, rest = name.partition(".")
        if kind == "cue":
            gm[i, MODALITIES.index(rest.split(".", 1)[0])] = 1
        elif kind == "within":
            gm[i, MODALITIES.index(rest)] = 1
        elif kind in ("pair", "incongruent"):  # incongruent.XY.<name> counts for pair XY
            gp[i, PAIRS.index(rest.split(".", 1)[0])] = 1
    return gm, gp


def kl(target: np.ndarray, shares: np.ndarray) -> float:
    """KL(target || shares) in nats."""
    s = np.clip(shares, 1e-8, None)
    return float(np.sum(target * (np.log(target) - np.log(s))))


def evidence_shares(contrib: np.ndarray, term_names, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(modality shares, pair shares) of the summed contributions on ``positive`` frames (numpy)."""
    gm, gp = group_matrices(term_names)
    c = np.clip(np.asarray(contrib, np.float64)[np.asarray(positive, bool)], 0, None).sum(axis=0)
    em, ep = c @ gm, c @ gp
    return em / max(em.sum(), 1e-12), ep / max(ep.sum(), 1e-12)


def constraint_loss(contrib, y, gm, gp, target_m, target_p):
    """Torch: KL(target || model shares) for modality and pair evidence on the batch's A/H frames.

    ``contrib`` (B, T) non-negative contributions, ``y`` (B,) 0/1; gm/gp/targets are tensors.
    Returns 0 when the batch has no A/H frame.
    """
    import torch

    pos = y > 0.5
    if not bool(pos.any()):
        return contrib.sum() * 0.0
    c = contrib[pos].float().sum(dim=0)
    loss = contrib.new_zeros((), dtype=torch.float32)
    for g, t in ((gm, target_m), (gp, target_p)):
        e = c @ g
        s = e / e.sum().clamp_min(1e-8)
        loss = loss + (t * (t.log() - s.clamp_min(1e-8).log())).sum()
    return loss
