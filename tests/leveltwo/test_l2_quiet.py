"""The default model's quiet shift: measured part, held-out margin, nested held-out check (issue 24)."""
from __future__ import annotations

import numpy as np
import pytest

from leveltwo.models import clip_quiet_shift
from leveltwo.quiet import quiet_calibration, signed_clip_shift


def _bump(height: float, n: int = 100, width: int = 30) -> np.ndarray:
    """A clip at logit -6 with one ``width``-frame stretch at ``height``."""
    x = np.full(n, -6.0)
    x[40:40 + width] = height
    return x


def test_margin_is_the_held_out_shortfall_and_the_shift_adds_it():
    logits = {"a": [_bump(1.0)], "b": [_bump(2.0)], "c": [np.full(100, -6.0)], "d": [np.full(100, -6.0)]}
    cal = quiet_calibration(logits, frame_rate=0.5)
    need_b, need_a = clip_quiet_shift(_bump(2.0)), clip_quiet_shift(_bump(1.0))
    assert cal["measured_shift_logit"] == pytest.approx(need_b, abs=1e-3)  # the loudest clip decides
    # b held out: the rule fitted on a, c, d gives need_a, so it falls short by need_b - need_a
    assert cal["heldout_margin_logit"] == pytest.approx(need_b - need_a, abs=1e-3)
    assert cal["quiet_shift_logit"] == pytest.approx(2 * need_b - need_a, abs=1e-3)


def test_held_out_speaker_is_scored_without_itself():
    logits = {"a": [_bump(1.0)], "b": [_bump(4.0)], "c": [np.full(100, -1.0)], "d": [np.full(100, -1.0)]}
    cal = quiet_calibration(logits, frame_rate=0.5)
    per = cal["heldout"]["per_speaker"]
    # b held out: fitted on a, c, d the rule says 1 (a's bump) and its own held-out margin 2 (a vs c, d)
    assert per["b"]["shift_logit"] == pytest.approx(3.0, abs=1e-3)
    # b's own loud stretch is not in the shift it is scored with: it is flagged held out
    assert per["b"]["clips_flagged"] == 1 and per["b"]["frame_positive_rate"] == pytest.approx(0.3)
    assert per["b"]["shift_logit"] < clip_quiet_shift(_bump(4.0))
    # everyone else is scored with a shift fitted with b in it: quiet
    assert all(per[s]["clips_flagged"] == 0 for s in "acd")
    assert cal["heldout"]["clips_flagged"] == 1 and cal["heldout"]["clips"] == 4


def test_quiet_reference_lets_the_bias_rise_until_it_would_speak():
    logits = {s: [np.full(80, -5.0)] for s in "abc"}
    cal = quiet_calibration(logits)
    # the most sensitive operating point that keeps them quiet: the bias rises by ~5 logits
    assert cal["quiet_shift_logit"] == pytest.approx(-5.0, abs=1e-3) and cal["heldout_margin_logit"] == 0.0
    assert cal["heldout"]["frame_positive_rate"] == 0.0 and cal["heldout"]["clips_flagged"] == 0
    assert signed_clip_shift(np.full(80, -5.0)) == pytest.approx(-5.0, abs=1e-6)
    assert signed_clip_shift(_bump(1.0)) == pytest.approx(clip_quiet_shift(_bump(1.0)), abs=1e-6)
    with pytest.raises(ValueError):
        quiet_calibration({"a": [np.zeros(5)], "b": [np.zeros(5)]})
