"""The default model's quiet shift, fitted on reference speakers and checked with them held out.

Why here: the shift is a level-two quantity (the codebook prior's logits on level-one FrameTables),
so it cannot live in ``levelone/training``; ``ahcue calibrate`` (:mod:`reports.commands.calibrate`)
only calls :func:`quiet_calibration` and writes what it returns to
``leveltwo/data/prior_calibration.json``.

The shift is the smallest bias shift that keeps the speaker-balanced frame positive rate of the
reference speakers at or under ``QUIET_FRAME_RATE`` and none of their clips flagged
(``sliding_max_24 >= 0.5``). It is negative (the bias *rises*) when the reference speakers stay
quiet with room to spare: the operating point is the most sensitive one specificity allows, and
the sensitivity side is checked on planted A/H (``benchmarks/planted_sensitivity.py``), not
fitted to it.

Why no margin on top: for a person the reference speakers never included, the shift keeps them
unflagged unless their clips need more than every reference speaker's did. With ``n`` speakers
exchangeable with the new one, that happens with probability at most ``1 / (n + 1)`` (the new
person is the loudest of ``n + 1``), whatever the distribution (the conformal argument); the
file records that bound. A margin fitted as the largest leave-one-speaker-out shortfall is the gap
between the two loudest speakers: it moved by 0.23 logits when one clip's defect was fixed, cost
every user sensitivity, and still left the loudest speaker flagged when held out (a fitted
maximum never covers the point it is fitted without).

The held-out figures are nested: speaker ``s`` is scored with the shift fitted on the other
speakers only, so no number in the card has seen the speaker it describes. At most the loudest
speaker can be flagged that way; which one it is, and why, is in the card.
"""
from __future__ import annotations

from collections.abc import Mapping

import math

import numpy as np

from leveltwo.models import (
    QUIET_AGGREGATION,
    QUIET_FRAME_RATE,
    clip_quiet_shift,
    frame_rate_shift,
)

SHIFT_STEP_LOGIT = 1e-4  # the shipped shift's resolution (logits), rounded towards quiet
EDGE_LOGIT = 1e-6  # a frame exactly at the threshold counts as positive: stay just above it

RULE = ("bias shift = max(shift keeping the speaker-balanced frame positive rate of the reference speakers "
        "<= 2%, largest shift keeping any of their clips unflagged by sliding_max_24 >= 0.5), negative when the "
        "bias can rise (the most sensitive operating point that keeps them quiet); a new speaker exchangeable "
        "with the n reference speakers has a clip flagged with probability <= 1/(n+1) (conformal bound); "
        "held-out numbers are nested: each speaker scored with the shift fitted without them")


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


def quiet_calibration(logits: Mapping[str, list[np.ndarray]], threshold: float = 0.5,
                      frame_rate: float = QUIET_FRAME_RATE, aggregation: str = QUIET_AGGREGATION) -> dict:
    """The default model's quiet shift from ``logits`` (speaker -> per-clip frame logits of the
    unshifted codebook prior on held-out reference FrameTables) and its nested held-out check.

    Returns the ``prior_calibration.json`` content: ``quiet_shift_logit`` (the measured shift),
    ``in_sample`` (clips flagged with it: none, by construction, recomputed),
    ``heldout`` (frame positive rate, clips flagged, per speaker, and the conformal bound on an unseen
    speaker being flagged) and the ``rule``.
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
        shift = sh.measured(rest)
        probs = [_sigmoid(x - shift) for x in logits[spk]]
        f = sum(int((p >= threshold).sum()) for p in probs)
        n = sum(len(p) for p in probs)
        g = sum(int(aggregate(p, aggregation, threshold) >= threshold) for p in probs)
        per_speaker[spk] = {"frame_positive_rate": round(f / max(n, 1), 4), "clips_flagged": g,
                            "clips": len(probs), "shift_logit": round(shift, 4)}
        pos, frames, flagged, n_clips = pos + f, frames + n, flagged + g, n_clips + len(probs)
    shift = math.ceil(sh.measured(speakers) / SHIFT_STEP_LOGIT) * SHIFT_STEP_LOGIT  # rounded up: still quiet
    in_sample = sum(int(aggregate(_sigmoid(x - shift), aggregation, threshold) >= threshold)
                    for v in logits.values() for x in v)
    rates = [v["frame_positive_rate"] for v in per_speaker.values()]
    return {"quiet_shift_logit": round(shift, 6),
            "in_sample": {"clips_flagged": in_sample, "clips": n_clips},
            "heldout": {"frame_positive_rate": round(pos / max(frames, 1), 4),
                        "loudest_speaker": max(speakers, key=lambda k: sh.need[k]),
                        "speakers_flagged": sum(int(v["clips_flagged"] > 0) for v in per_speaker.values()),
                        "unseen_speaker_flag_bound": round(1.0 / (len(speakers) + 1), 4),
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
