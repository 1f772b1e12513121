"""Body valence comes from what stands out in the body's behaviour, and is neutral otherwise."""
from __future__ import annotations

import numpy as np

from levelone.body.cues import CUES, IDLE_CONFIDENCE, _valence


def _cues(n: int, **active) -> dict[str, np.ndarray]:
    out = {f"cue.body.{k}": np.full(n, 0.1, np.float32) for k in CUES}
    for k, (a, b) in active.items():
        out[f"cue.body.{k}"][a:b] = 0.95
    return out


def test_nothing_stands_out_reads_neutral():
    n = 200
    v, c = _valence(_cues(n), np.ones(n, bool))
    assert np.abs(v).max() == 0.0 and np.allclose(c, IDLE_CONFIDENCE)
    # a detector firing on most of the recording (ordinary speech head motion) is the person's usual
    v, _ = _valence(_cues(n, nod=(0, 150)), np.ones(n, bool))
    assert np.abs(v).max() == 0.0


def test_a_gesture_that_stands_out_carries_its_valence():
    n = 200
    present = np.ones(n, bool)
    v, c = _valence(_cues(n, nod=(50, 80)), present)
    assert v[50:80].min() > 0.8 and v[:50].max() == 0.0 and c[50:80].min() > 0.8
    v, _ = _valence(_cues(n, shake=(100, 130)), present)
    assert v[100:130].max() < -0.8
    v, _ = _valence(_cues(n, scratch=(10, 30), shrug=(120, 140)), present)
    assert -0.6 < v[10:30].max() < -0.3 and -0.6 < v[120:140].max() < -0.3
    v, _ = _valence(_cues(n, nod=(50, 80)), np.zeros(n, bool))
    assert np.isnan(v).all()  # no face, no pose: unknown
