"""Short recordings: a personal baseline with too little evidence is blended with the population
norms of the calibration, and the FrameTable says which was used (issue 13)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from levelone.frametable import FrameMeta
from levelone.pipeline.assemble import assemble
from levelone.baseline import Baseline, blend_with_population

POP = {"median": {"audio.gap_len_s": 0.6, "face.brow_gap": 0.9},
       "scale": {"audio.gap_len_s": 0.3, "face.brow_gap": 0.05},
       "stable_s": {"audio": 10.0, "face": 30.0}, "shared_levels": ["audio.gap_len_s"]}


def _baseline(seconds: float, fps: float = 25.0) -> Baseline:
    n = int(seconds * fps)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"face.brow_gap": rng.normal(1.2, 0.01, n).astype(np.float32),
                       "audio.gap_len_s": rng.normal(1.0, 0.1, n).astype(np.float32)})
    return Baseline.fit([df])


def test_short_recording_leans_on_population_norms():
    b, used = blend_with_population(_baseline(3.0), 25.0, POP)
    assert used["face"]["kind"] == "blended" and used["face"]["personal_weight"] == 0.1
    assert used["audio"]["personal_weight"] == 0.3
    assert b.scale["face.brow_gap"] > 0.04  # mostly the population's scale, not 3 s of jitter
    assert b.median["face.brow_gap"] == _baseline(3.0).median["face.brow_gap"]  # a face's level is its own
    assert 0.6 < b.median["audio.gap_len_s"] < 1.0  # pause length is comparable between people


def test_long_recording_is_personal():
    personal = _baseline(40.0)
    b, used = blend_with_population(personal, 25.0, POP)
    assert {v["kind"] for v in used.values()} == {"personal"}
    assert b.scale == personal.scale and b.median == personal.median


def test_frametable_records_the_baseline_used():
    n, fps = 75, 25.0
    raw = pd.DataFrame({"face.present": np.ones(n, bool), "face.brow_gap": np.full(n, 1.0, np.float32)})
    t = assemble(raw, Baseline.fit([raw[["face.brow_gap"]]]), FrameMeta("v", "p", fps, n), {}, POP)
    assert t.meta.baseline["face"]["kind"] == "blended"
    assert t.meta.baseline["face"]["personal_s"] == 3.0
