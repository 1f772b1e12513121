"""The default model's quiet shift, fitted and checked with reference speakers held out.

Why here: the shift is a level-two quantity (the codebook prior's logits on level-one FrameTables),
so it cannot live in ``levelone/training``; ``ahcue calibrate`` (:mod:`reports.commands.calibrate`)
only calls :func:`quiet_calibration` and writes what it returns to
``leveltwo/data/prior_calibration.json``.

The shift has two parts, both measured:

- **measured shift**: the smallest bias shift that keeps the speaker-balanced frame positive rate
  of the reference speakers at or under ``QUIET_FRAME_RATE`` and none of their clips flagged
  (``sliding_max_24 >= 0.5``). It is negative (the bias *rises*) when the reference speakers stay
  quiet with room to spare: the operating point is the most sensitive one specificity allows;
- **held-out margin**: what that rule, fitted without a speaker, falls short of keeping that
  speaker's own clips unflagged, at most over speakers (leave one speaker out). It is the error the
  rule makes on a person it has not seen, so it is added once to the shift fitted on everyone.

Choosing the operating point this way takes the highest sensitivity that specificity allows (no
further margin "to be safe"): the sensitivity side is checked on planted A/H, not fitted to it.
The held-out figures are nested: speaker ``s`` is scored with the shift and margin fitted on the
other speakers only, so no number in the card has seen the speaker it describes.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from leveltwo.models import (
    QUIET_AGGREGATION,
    QUIET_FRAME_RATE,
    clip_quiet_shift,
    frame_rate_shift,
)

EDGE_LOGIT = 1e-6  # a frame exactly at the threshold counts as positive: stay just above it

RULE = ("bias shift = max(shift keeping the speaker-balanced frame positive rate of the reference speakers "
        "<= 2%, largest shift keeping any of their clips unflagged by sliding_max_24 >= 0.5), negative when the "
        "bias can rise (the most sensitive operating point that keeps them quiet) + held-out margin "
        "(how far that rule fitted without a speaker falls short of keeping that speaker's clips unflagged, "
        "the largest over speakers); held-out numbers are nested: each speaker scored with shift and margin "
        "fitted without them")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def signed_clip_shift(logits: np.ndarray, threshold: float = 0.5, aggregation: str = QUIET_AGGREGATION,
                      bound: float = 64.0) -> float:
    """The smallest bias shift (logits, negative = bias raised) that keeps one clip's video score
    under ``threshold``: below it the clip is flagged, at or above it not."""
    from leveltwo.metrics import aggregate

    def flagged(d: float) -> bool:
        return aggregate(_sigmoid(logits - d), aggregation, threshold) >= threshold

    if flagged(0.0):
        return clip_quiet_shift(logits, threshold, aggregation)
    lo, hi = -bound, 0.0  # not flagged at hi
    if not flagged(lo):
        return lo
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if flagged(mid) else (lo, mid)
    return hi


class _Shifts:
    """Per-clip shifts computed once; the shift of any speaker subset from them."""

    def __init__(self, logits: Mapping[str, list[np.ndarray]], threshold: float, frame_rate: float,
                 aggregation: str):
        self.logits, self.threshold, self.frame_rate = dict(logits), threshold, frame_rate
        self.need = {s: max((signed_clip_shift(x, threshold, aggregation) for x in v), default=-np.inf)
                     for s, v in self.logits.items()}

    def measured(self, speakers: list[str]) -> float:
        """The most sensitive shift (may be negative) keeping ``speakers`` quiet."""
        frame = frame_rate_shift({s: self.logits[s] for s in speakers}, self.threshold, self.frame_rate) + EDGE_LOGIT
        return float(max(frame, max((self.need[s] for s in speakers), default=-np.inf)))

    def margin(self, speakers: list[str]) -> float:
        """The largest held-out shortfall of the measured rule over ``speakers``."""
        short = [self.need[s] - self.measured([o for o in speakers if o != s]) for s in speakers]
        return float(max([0.0, *short]))


def quiet_calibration(logits: Mapping[str, list[np.ndarray]], threshold: float = 0.5,
                      frame_rate: float = QUIET_FRAME_RATE, aggregation: str = QUIET_AGGREGATION) -> dict:
    """The default model's quiet shift from ``logits`` (speaker -> per-clip frame logits of the
    unshifted codebook prior on held-out reference FrameTables) and its nested held-out check.

    Returns the ``prior_calibration.json`` content: ``quiet_shift_logit`` (= measured + margin),
    ``measured_shift_logit``, ``heldout_margin_logit``, ``heldout`` (frame positive rate, clips
    flagged, per speaker) and the ``rule``.
    """
    from leveltwo.metrics import aggregate

    if len(logits) < 3:
        raise ValueError("the quiet shift needs at least 3 reference speakers (one held out, two to fit)")
    sh = _Shifts(logits, threshold, frame_rate, aggregation)
    speakers = sorted(logits)
    per_speaker: dict[str, dict] = {}
    pos = frames = flagged = n_clips = 0
    for spk in speakers:
        rest = [s for s in speakers if s != spk]
        shift = sh.measured(rest) + sh.margin(rest)
        probs = [_sigmoid(x - shift) for x in logits[spk]]
        f = sum(int((p >= threshold).sum()) for p in probs)
        n = sum(len(p) for p in probs)
        g = sum(int(aggregate(p, aggregation, threshold) >= threshold) for p in probs)
        per_speaker[spk] = {"frame_positive_rate": round(f / max(n, 1), 4), "clips_flagged": g,
                            "clips": len(probs), "shift_logit": round(shift, 4)}
        pos, frames, flagged, n_clips = pos + f, frames + n, flagged + g, n_clips + len(probs)
    measured, margin = sh.measured(speakers), sh.margin(speakers)
    rates = [v["frame_positive_rate"] for v in per_speaker.values()]
    return {"quiet_shift_logit": round(measured + margin, 4), "measured_shift_logit": round(measured, 4),
            "heldout_margin_logit": round(margin, 4),
            "heldout": {"frame_positive_rate": round(pos / max(frames, 1), 4),
                        "frame_positive_rate_speaker_mean": round(float(np.mean(rates)), 4),
                        "clips_flagged": flagged, "clips": n_clips, "speakers": len(speakers),
                        "per_speaker": per_speaker},
            "rule": RULE}


def prior_logits(tables) -> dict[str, list[np.ndarray]]:
    """Speaker -> per-clip frame logits of the unshifted codebook prior on level-one ``tables``."""
    from leveltwo.models import codebook_prior

    base = codebook_prior(quiet=0.0)
    out: dict[str, list[np.ndarray]] = {}
    for t in tables:
        out.setdefault(t.meta.participant_id, []).append(base.explain(t).to_numpy(np.float64).sum(axis=1))
    return out


__all__ = ["RULE", "prior_logits", "quiet_calibration", "signed_clip_shift"]
