"""The default model's quiet shift: the most sensitive shift that keeps the reference speakers quiet,
and its nested held-out check (issue 24)."""
from __future__ import annotations

import numpy as np
import pytest

from leveltwo.metrics import aggregate
from leveltwo.models import QUIET_AGGREGATION, clip_quiet_shift
from leveltwo.quiet import quiet_calibration, signed_clip_shift


def _bump(height: float, n: int = 100, width: int = 30) -> np.ndarray:
    """A clip at logit -6 with one ``width``-frame stretch at ``height``."""
    x = np.full(n, -6.0)
    x[40:40 + width] = height
    return x


def _flagged(x: np.ndarray, shift: float) -> bool:
    return aggregate(1 / (1 + np.exp(-(x - shift))), QUIET_AGGREGATION, 0.5) >= 0.5


def test_the_loudest_clip_decides_and_nothing_is_added():
    logits = {"a": [_bump(1.0)], "b": [_bump(2.0)], "c": [np.full(100, -6.0)], "d": [np.full(100, -6.0)]}
    cal = quiet_calibration(logits, frame_rate=0.5)
    need_b = clip_quiet_shift(_bump(2.0))
    assert cal["quiet_shift_logit"] == pytest.approx(need_b, abs=2e-4)  # no margin on top
    assert cal["quiet_shift_logit"] >= need_b  # rounded towards quiet
    assert cal["in_sample"] == {"clips_flagged": 0, "clips": 4}
    assert not _flagged(_bump(2.0), cal["quiet_shift_logit"])
    assert _flagged(_bump(2.0), cal["quiet_shift_logit"] - 0.01)  # the most sensitive: any lower flags b
    assert cal["heldout"]["loudest_speaker"] == "b"
    assert cal["heldout"]["unseen_speaker_flag_bound"] == pytest.approx(1 / 5)


def test_held_out_speaker_is_scored_without_itself():
    logits = {"a": [_bump(1.0)], "b": [_bump(4.0)], "c": [np.full(100, -1.0)], "d": [np.full(100, -1.0)]}
    cal = quiet_calibration(logits, frame_rate=0.5)
    per = cal["heldout"]["per_speaker"]
    # b held out: fitted on a, c, d the rule says a's bump, which b's louder stretch exceeds
    assert per["b"]["shift_logit"] == pytest.approx(clip_quiet_shift(_bump(1.0)), abs=2e-4)
    assert per["b"]["clips_flagged"] == 1 and per["b"]["frame_positive_rate"] == pytest.approx(0.3)
    # everyone else is scored with a shift fitted with b in it: quiet
    assert all(per[s]["clips_flagged"] == 0 for s in "acd")
    assert cal["heldout"]["clips_flagged"] == 1 and cal["heldout"]["clips"] == 4
    assert cal["heldout"]["speakers_flagged"] == 1


def test_quiet_reference_lets_the_bias_rise_until_it_would_speak():
    logits = {s: [np.full(80, -5.0)] for s in "abc"}
    cal = quiet_calibration(logits)
    # the most sensitive operating point that keeps them quiet: the bias rises by ~5 logits
    assert cal["quiet_shift_logit"] == pytest.approx(-5.0, abs=1e-3)
    assert cal["heldout"]["frame_positive_rate"] == 0.0 and cal["heldout"]["clips_flagged"] == 0
    assert signed_clip_shift(np.full(80, -5.0)) == pytest.approx(-5.0, abs=1e-6)
    assert signed_clip_shift(_bump(1.0)) == pytest.approx(clip_quiet_shift(_bump(1.0)), abs=1e-6)
    with pytest.raises(ValueError):
        quiet_calibration({"a": [np.zeros(5)], "b": [np.zeros(5)]})
