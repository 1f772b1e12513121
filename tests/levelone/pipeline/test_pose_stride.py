"""Pose at the shipped rate (``POSE_RATE_HZ``: every 3rd frame at 24-25 fps) against pose on every frame: the body cues
must switch on and off on the same frames (issue 12's criterion: >= 95 % of frames per cue).

Real clips from ``../shared/data``; the full table over more clips and strides is
``benchmarks/pose_rate.py`` (benchmarks/README.md).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from levelone.body.cues import body_cues
from levelone.media.video import probe
from levelone.baseline import Baseline
from levelone.pipeline.vision import POSE_RATE_HZ, pose_stride_for, vision_signals

ACTIVE = 0.5


def _body(path, stride: int) -> pd.DataFrame:
    info = probe(path)
    s = vision_signals(path, info, pose_stride=stride)
    return pd.concat([s[["body.present"]], body_cues(s, Baseline.fit([s]), info.fps)], axis=1)


def _agreement(ref: pd.DataFrame, other: pd.DataFrame) -> dict[str, float]:
    """Per cue, the share of frames where both are active (> 0.5) or both are not (NaN = not)."""
    return {c: float(((np.nan_to_num(ref[c].to_numpy()) > ACTIVE) ==
                      (np.nan_to_num(other[c].to_numpy()) > ACTIVE)).mean())
            for c in ref.columns if c.startswith("cue.")}


@pytest.mark.slow
@pytest.mark.parametrize("clip, floor", [
    # A read sentence and an acted emotion: no pose-based cue fires at full rate; striding must
    # neither make one fire (interpolated landmarks) nor lose the body.
    ("video/grid/bbaf2n.mpg", 0.95), ("video/cremad/1001_DFA_HAP_XX.flv", 0.95),
    # The Pexels close-up, where hands, shrug, posture and restlessness fire on 2-13 % of the
    # frames: MediaPipe's full-body region is 7x the frame height and the shoulder line barely
    # shows. Measured at stride 2: sigh 0.947, posture 0.966, the rest >= 0.98, so the 0.95
    # criterion is not met on this clip (benchmarks/README.md); this case guards against
    # regressions, with room for other CPUs' XNNPACK numerics (a broken stride, e.g. no
    # interpolation, drops presence to ~0.5).
    ("video/pyfeat/WolfgangLanger_Pexels.mp4", 0.92)])
def test_strided_pose_moves_no_body_cue(shared_data, clip, floor):
    stride = pose_stride_for(probe(shared_data / clip).fps)
    assert stride > 1
    full, strided = _body(shared_data / clip, 1), _body(shared_data / clip, stride)
    assert (full["body.present"] == strided["body.present"]).mean() >= 0.95
    agree = _agreement(full, strided)
    assert len(agree) >= 10
    worst = min(agree, key=agree.get)
    assert agree[worst] >= floor, f"{worst}: {agree[worst]:.3f} of frames agree"


@pytest.mark.parametrize("fps, stride", [(24.0, 3), (23.976, 3), (25.0, 3), (29.97, 4), (30.0, 4), (60.0, 8),
                                          (15.0, 2), (10.0, 1), (0.0, 1)])
def test_pose_runs_at_a_rate_in_time_not_a_fixed_stride(fps, stride):
    # about POSE_RATE_HZ samples a second whatever the frame rate (the same body cues at 24 and 30 fps)
    assert POSE_RATE_HZ == 8.0
    assert pose_stride_for(fps) == stride
