"""Audio operating points chosen from both sides: ordinary speech (how rarely a cue fires) and
controlled edits (whether it fires on its behaviour). Synthetic activations stand in for the
cue values here; the shipped calibration on real edits is checked in
tests/levelone/audio/test_controlled_edits.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from levelone.training.audio_edits import (HIT_TARGET, SENSITIVE_MAX_RATE, EditedClip, level_for_hit,
                                           level_for_rate, two_sided_points)


def _edit(values: np.ndarray, inside_from: int) -> tuple[EditedClip, np.ndarray]:
    inside = np.zeros(values.size, bool)
    inside[inside_from:] = True
    return EditedClip("audio.volume", "volume", "spk-edit", pd.DataFrame(), inside), values


def test_level_for_rate_respects_ties():
    # 97 % of the frames sit at exactly 0: a level of 0 would make all of them active
    v = np.r_[np.zeros(97), [0.2, 0.4, 0.9]]
    level = level_for_rate(v, np.ones(v.size), 0.05)
    assert level == pytest.approx(0.2) and np.mean(v >= level) <= 0.05
    assert level_for_rate(np.zeros(10), np.ones(10), 0.05) > 0.0  # nothing may fire


def test_level_for_hit_is_reached_by_the_target_share():
    v = np.linspace(0.0, 1.0, 101)
    level = level_for_hit(v, 0.6)
    assert np.mean(v >= level) >= 0.6 > np.mean(v > level)


def test_two_sided_point_moves_down_only_as_far_as_the_edits_need_and_speech_allows():
    rng = np.random.default_rng(0)
    natural = {"audio.volume": [(rng.uniform(0.0, 0.3, 500), f"s{i}") for i in range(9)]
               + [(rng.uniform(0.0, 1.0, 500), "s9")]}  # one lively speaker: the quiet point is high
    weights = np.ones(5000) / 5000
    values = np.concatenate([v for v, _ in natural["audio.volume"]])
    quiet = {"audio.volume": level_for_rate(values, weights, 0.02)}
    # edits whose inside frames reach 0.35-0.9: the quiet point (~0.8) misses most of them
    pairs = [_edit(np.r_[np.zeros(100), rng.uniform(0.35, 0.9, 100)], 100) for _ in range(3)]
    r = two_sided_points(natural, pairs, quiet)["audio.volume"]
    inside = np.concatenate([v[e.inside] for e, v in pairs])
    assert r["moved"] and r["level"] < r["quiet"]
    assert np.mean(inside >= r["level"]) >= HIT_TARGET > np.mean(inside >= r["quiet"])
    assert np.mean(values >= r["level"]) <= SENSITIVE_MAX_RATE  # each speaker weighs the same here
    # edits ordinary speech cannot be told from: the quiet point stays
    faint = [_edit(np.r_[np.zeros(100), rng.uniform(0.0, 0.3, 100)], 100) for _ in range(3)]
    r = two_sided_points(natural, faint, quiet)["audio.volume"]
    assert not r["moved"] and r["level"] == pytest.approx(max(0.5, quiet["audio.volume"]))
