"""Head gestures that mean something (issue 13): a nod is a pitch-dominant back-and-forth, a shake a
yaw-dominant one, and head motion that comes with speech is neither."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from levelone.body.cues import body_params, head_cues

FPS = 25.0


def _trace(n: int, rng, noise_deg: float = 0.3) -> np.ndarray:
    return rng.normal(0, noise_deg, n)


def _gesture(axis: str, amp_deg: float = 8.0, hz: float = 2.0, seconds: float = 8.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    t = np.arange(n) / FPS
    yaw, pitch, roll = _trace(n, rng), _trace(n, rng), _trace(n, rng)
    span = (t >= 3.0) & (t < 5.0)
    wave = amp_deg * np.sin(2 * np.pi * hz * (t - 3.0)) * span
    if axis == "pitch":
        pitch = pitch + wave
    else:
        yaw = yaw + wave
    return yaw, pitch, roll, span


def test_pitch_back_and_forth_is_a_nod_not_a_shake():
    yaw, pitch, roll, span = _gesture("pitch")
    cue = head_cues(yaw, pitch, roll, FPS)
    assert (cue["nod"][span] >= 0.5).mean() >= 0.6
    assert (cue["shake"] >= 0.5).mean() == 0.0
    assert (cue["nod"][~span] >= 0.5).mean() <= 0.2  # the window reaches a little past the gesture


def test_yaw_back_and_forth_is_a_shake_not_a_nod():
    yaw, pitch, roll, span = _gesture("yaw")
    cue = head_cues(yaw, pitch, roll, FPS)
    assert (cue["shake"][span] >= 0.5).mean() >= 0.6
    assert (cue["nod"] >= 0.5).mean() == 0.0


def test_speech_related_head_motion_on_both_axes_is_neither():
    """Talking moves the head a few degrees on both axes at syllable rate, throughout: neither axis
    dominates, so neither a nod nor a shake."""
    rng = np.random.default_rng(3)
    n = int(10 * FPS)
    t = np.arange(n) / FPS
    speech = np.ones(n)
    pitch = 2.5 * np.sin(2 * np.pi * 3.0 * t + rng.uniform(0, 6)) + 1.5 * np.sin(2 * np.pi * 1.3 * t) + _trace(n, rng)
    yaw = 2.0 * np.sin(2 * np.pi * 2.2 * t + rng.uniform(0, 6)) + 1.5 * np.sin(2 * np.pi * 0.9 * t) + _trace(n, rng)
    cue = head_cues(yaw, pitch, _trace(n, rng), FPS, speech=speech)
    assert (cue["nod"] >= 0.5).mean() <= 0.05
    assert (cue["shake"] >= 0.5).mean() <= 0.05


@pytest.mark.parametrize("axis", ["pitch", "yaw"])
def test_speech_related_head_motion_is_neither(axis):
    """A speaker whose head bobs on one axis all the time while talking (4 degrees at 1.5 Hz, larger
    than ``swing_min_deg`` and than the tracker's jitter): only the speech-motion floor
    (``swing_speech_factor`` times the person's own speech-related motion) keeps it from reading as
    nods (shakes). Without that floor the same traces are gestures (the control below)."""
    rng = np.random.default_rng(3)
    n = int(10 * FPS)
    t = np.arange(n) / FPS
    main = 4.0 * (np.sin(2 * np.pi * 1.5 * t + rng.uniform(0, 6)) + 0.6 * np.sin(2 * np.pi * 1.3 * t)) + _trace(n, rng)
    other = 1.5 * (np.sin(2 * np.pi * 2.2 * t + rng.uniform(0, 6)) + 0.75 * np.sin(2 * np.pi * 0.9 * t)) \
        + _trace(n, rng)
    yaw, pitch = (other, main) if axis == "pitch" else (main, other)
    cue_name = "nod" if axis == "pitch" else "shake"
    params = body_params()
    cue = head_cues(yaw, pitch, _trace(n, rng), FPS, speech=np.ones(n), params=params)
    assert (cue["nod"] >= 0.5).mean() <= 0.05
    assert (cue["shake"] >= 0.5).mean() <= 0.05
    control = head_cues(yaw, pitch, _trace(n, rng), FPS, speech=np.ones(n),
                        params=dataclasses.replace(params, swing_speech_factor=0.0))
    assert (control[cue_name] >= 0.5).mean() >= 0.5


def test_a_nod_stands_out_against_speech_motion():
    rng = np.random.default_rng(5)
    n = int(10 * FPS)
    t = np.arange(n) / FPS
    pitch = 1.5 * np.sin(2 * np.pi * 3.0 * t) + _trace(n, rng)
    yaw = 1.5 * np.sin(2 * np.pi * 2.2 * t) + _trace(n, rng)
    span = (t >= 5.0) & (t < 6.5)
    pitch = pitch + 10.0 * np.sin(2 * np.pi * 2.0 * (t - 5.0)) * span
    cue = head_cues(yaw, pitch, _trace(n, rng), FPS, speech=np.ones(n))
    assert (cue["nod"][span] >= 0.5).mean() >= 0.5
    assert not ((cue["nod"] >= 0.5) & (cue["shake"] >= 0.5)).any()
