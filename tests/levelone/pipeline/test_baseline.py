import numpy as np
import pandas as pd

from levelone.baseline import Baseline, squash


def test_robust_zscore_ignores_outliers_and_nans():
    rng = np.random.default_rng(1)
    calm = pd.DataFrame({"face.x": rng.normal(10.0, 2.0, 5000).astype(np.float32)})
    spikes = pd.DataFrame({"face.x": np.r_[np.full(50, 1e6), np.full(50, np.nan)].astype(np.float32)})
    b = Baseline.fit([calm, spikes])
    assert abs(b.median["face.x"] - 10.0) < 0.2
    assert abs(b.scale["face.x"] - 2.0) < 0.2  # 100 wild frames barely move a robust scale
    z = b.zscore(pd.DataFrame({"face.x": [10.0, 14.0, np.nan]}), "face.x")
    assert abs(z[0]) < 0.2 and abs(z[1] - 2.0) < 0.2 and np.isnan(z[2])


def test_same_signal_scores_differently_against_different_people():
    quiet = Baseline.fit([pd.DataFrame({"audio.rms_db": np.linspace(-40, -30, 100)})])
    loud = Baseline.fit([pd.DataFrame({"audio.rms_db": np.linspace(-20, -10, 100)})])
    frame = pd.DataFrame({"audio.rms_db": [-25.0]})
    assert quiet.zscore(frame, "audio.rms_db")[0] > 2 > -2 > loud.zscore(frame, "audio.rms_db")[0]


def test_json_round_trip_and_floor():
    b = Baseline.fit([pd.DataFrame({"a": np.ones(10, np.float32)})])
    assert b.scale["a"] == 1e-6
    floored = b.with_floor({"a": 0.5})
    assert floored.scale["a"] == 0.5
    assert Baseline.from_json(floored.to_json()) == floored
    assert np.isnan(b.zscore(pd.DataFrame({"b": [1.0]}), "b")[0])


def test_squash_is_half_at_threshold_and_monotonic():
    a = squash(np.array([-10, 2.0, 10, np.nan]), threshold=2.0)
    assert a[0] < 0.01 and abs(a[1] - 0.5) < 1e-6 and a[2] > 0.99 and np.isnan(a[3])
