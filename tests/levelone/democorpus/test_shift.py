"""``demo-corpus --shift``: held-out participants get their own style (a test of the mechanism that
adaptation must cope with, not a claim about people). Checked on the generator's own pieces
(splits, styles, speech and head-motion tracks), without rendering a corpus."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from levelone.democorpus.build import (REFERENCE, SHIFT_STYLES, PlantedSegment, _motion_track, _plan_tokens,
                                       _split_for, shift_test_count, style_for)


def test_shift_holds_out_one_styled_participant_per_style():
    n = 9
    splits = [_split_for(i, n, shift_test_count(n)) for i in range(n)]
    styles = [style_for(i, n, shift=True) for i in range(n)]
    assert splits == ["train"] * 5 + ["val"] + ["test"] * 3
    assert [s.name for s in styles] == ["reference"] * 6 + ["moves_head_more", "speaks_faster", "still"]
    assert [style_for(i, 7, True).name for i in range(5, 7)] == ["moves_head_more", "speaks_faster"]
    # the source (train + val) is one style; without shift nobody is styled and the split is as before
    assert all(style_for(i, n, shift=False) is REFERENCE for i in range(n))
    assert [_split_for(i, 4) for i in range(4)] == ["train", "train", "val", "test"]
    assert shift_test_count(4) == 1 and shift_test_count(30) == len(SHIFT_STYLES)


def _segment(n_frames: int) -> PlantedSegment:
    return PlantedSegment(1.0, 3.0, 24, 71, "yes_shake", {}, [], {"kind": "shake", "amp_deg": 30.0,
                                                                  "freq_hz": 2.0, "sign": 1.0}, 3)


def test_head_styles_change_the_motion_track():
    n = 240
    tracks = {s.name: _motion_track(n, [], np.random.default_rng(0), s) for s in (REFERENCE,) + SHIFT_STYLES}
    ref, more, still = tracks["reference"], tracks["moves_head_more"], tracks["still"]
    assert np.std(ref["yaw"]) == pytest.approx(1.2, rel=0.05)
    assert np.std(more["yaw"]) == pytest.approx(5.0, rel=0.05)
    assert np.std(still["yaw"]) == pytest.approx(0.6, rel=0.05)
    assert np.median(more["yaw"]) - np.median(ref["yaw"]) == pytest.approx(12.0, abs=1.0)  # habitual turn
    assert np.median(more["pitch"]) - np.median(ref["pitch"]) == pytest.approx(-6.0, abs=1.0)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is needed to synthesise speech")
def test_fast_speaker_talks_faster_with_shorter_planted_pauses():
    from levelone.democorpus.speech import SR, Synthesiser

    synth = Synthesiser("en-us+m3", pitch=50)
    fast = next(s for s in SHIFT_STYLES if s.name == "speaks_faster")
    out = {}
    for style in (REFERENCE, fast):
        tokens, spans, audio, ranges = _plan_tokens(np.random.default_rng(5), 4, 1, 4.0,
                                                    160 + style.rate_delta_wpm, synth, style)
        pauses = [e - s for t, (s, e) in zip(tokens, spans) if not t.text]
        words = sum(1 for t in tokens if t.text)
        out[style.name] = (audio.size / SR, pauses, words)
    (ref_s, ref_p, ref_w), (fast_s, fast_p, fast_w) = out["reference"], out["speaks_faster"]
    assert ref_w == fast_w  # the same words (same seed) ...
    assert fast_s < 0.85 * ref_s  # ... said faster
    assert ref_p and np.allclose(np.array(fast_p), 0.5 * np.array(ref_p), atol=0.011)
