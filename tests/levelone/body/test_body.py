"""Head-pose dynamics and pose-based body cues on synthetic traces with known motions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from codebook.vocabulary import load_vocabulary
from levelone.baseline import Baseline
from levelone.body.cues import body_cues, decouple, head_cues, pose_signals
from levelone.temporal import hold, periodicity, sustained, swings, tophat

FPS = 25.0


def _noise(n: int, sd: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sd, n)


def _head(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    return {"yaw": 3 + _noise(n, 0.4, seed), "pitch": -5 + _noise(n, 0.4, seed + 1),
            "roll": 1 + _noise(n, 0.4, seed + 2)}


def test_helpers():
    x = np.zeros(20)
    x[5:7] = 1  # brief
    x[10:18] = 1  # held
    assert sustained(x, 4)[5:7].max() == 0 and sustained(x, 4)[10:18].min() == 1
    assert tophat(x, 4)[5:7].min() == 1 and tophat(x, 4)[10:18].max() == 0
    assert hold(x, 5)[3] == 1 and hold(x, 5)[2] == 0
    tri = np.concatenate([np.linspace(0, 10, 11), np.linspace(9, 0, 10), np.linspace(1, 10, 10)])
    assert swings(tri, 4.0) == [(0, 10), (10, 20), (20, 30)]
    assert swings(tri, 11.0) == []


def test_shake_inside_yaw_oscillation_only():
    n = int(10 * FPS)
    h = _head(n)
    t = np.arange(n) / FPS
    inside = (t >= 4) & (t < 6)
    h["yaw"] += np.where(inside, 10 * np.sin(2 * np.pi * 2.0 * (t - 4)), 0)  # "no": 2 Hz, +-10 deg
    c = head_cues(h["yaw"], h["pitch"], h["roll"], FPS)
    assert c["shake"][inside].mean() > 0.9
    assert c["shake"][t < 3].max() < 0.1 and c["shake"][t > 7].max() < 0.1
    assert c["nod"].max() < 0.1


def test_nod_inside_pitch_oscillation_only():
    n = int(10 * FPS)
    h = _head(n, seed=3)
    t = np.arange(n) / FPS
    inside = (t >= 2) & (t < 3.5)
    h["pitch"] += np.where(inside, 6 * np.sin(2 * np.pi * 1.5 * (t - 2)), 0)
    c = head_cues(h["yaw"], h["pitch"], h["roll"], FPS)
    assert c["nod"][(t >= 2.3) & (t < 3.2)].mean() > 0.9
    assert c["nod"][t > 5].max() < 0.1
    assert c["shake"].max() < 0.1


def test_speech_coupled_pitch_is_not_a_nod():
    """Pitch that follows the mouth opening (as on GRID clips) is removed before nod detection."""
    n = int(6 * FPS)
    t = np.arange(n) / FPS
    speaking = (t >= 2) & (t < 4)
    mouth = 0.1 + np.where(speaking, 0.08 * np.sin(2 * np.pi * 1.5 * t) ** 2, 0)  # 3 syllables a second
    pitch = -5 + 80 * (mouth - 0.1) + _noise(n, 0.3, 5)  # ~6 deg swings with each syllable
    h = _head(n)
    plain = head_cues(h["yaw"], pitch, h["roll"], FPS)
    decoupled = head_cues(h["yaw"], pitch, h["roll"], FPS, mouth=mouth)
    assert plain["nod"][speaking].mean() > 0.5
    assert decoupled["nod"].max() < 0.1
    assert np.std(decouple(pitch, mouth)) < 0.5


def test_look_away_tilt_and_throw():
    n = int(8 * FPS)
    h = _head(n, seed=7)
    t = np.arange(n) / FPS
    away = (t >= 2) & (t < 3.5)
    h["yaw"] += np.where(away, 25, 0)  # turned 25 deg for 1.5 s
    tilt = (t >= 5) & (t < 6.5)
    h["roll"] += np.where(tilt, 15, 0)
    c = head_cues(h["yaw"], h["pitch"], h["roll"], FPS)
    assert c["look_away"][(t >= 2.2) & (t < 3.3)].min() > 0.9
    assert c["look_away"][t < 1.5].max() < 0.1
    assert c["tilt"][(t >= 5.2) & (t < 6.3)].min() > 0.9 and c["tilt"][t < 4.5].max() < 0.1
    # the 25 deg jump in one frame is a fast throw of the head; the still head is not
    assert c["throw"][np.abs(t - 2) < 0.1].max() > 0.9
    assert c["throw"][(t > 0.5) & (t < 1.5)].max() < 0.1


def _pose(n: int, seed: int = 0) -> np.ndarray:
    """(n, 33, 4) landmarks of an upright person in a 640x480 frame, with jitter."""
    rng = np.random.default_rng(seed)
    lm = np.zeros((n, 33, 4))
    lm[..., 3] = 0.05  # most points invisible
    base = {0: (320, 150), 11: (400, 280), 12: (240, 280), 23: (380, 470), 24: (260, 470)}
    for k, (x, y) in base.items():
        lm[:, k, 0], lm[:, k, 1], lm[:, k, 3] = x, y, 0.99
    lm[..., :2] += rng.normal(0, 0.5, (n, 33, 2))
    return lm


def _signals(pose: np.ndarray, head: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    s = pose_signals(pose, (640, 480))
    n = len(s)
    head = head or _head(n)
    s.insert(0, "body.present", s["body.shoulder_width"].notna())
    s.insert(0, "face.present", np.ones(n, bool))
    for k, v in head.items():
        s[f"face.{k}"] = v.astype(np.float32)
    s["face.lip_open"] = np.float32(0.02)
    return s


def test_pose_signals_units():
    s = pose_signals(_pose(3), (640, 480))
    assert s["body.shoulder_width"].iloc[0] == pytest.approx(160 / 640, abs=0.01)
    assert s["body.shoulder_raise_l"].iloc[0] == pytest.approx(-130 / 160, abs=0.02)
    assert s["body.wrist_lx"].isna().all()  # wrists not visible
    assert all(s[c].dtype == np.float32 for c in s.columns)
    lost = _pose(2)
    lost[1] = np.nan
    assert pose_signals(lost, (640, 480)).iloc[1].isna().all()


def test_shrug_and_hand_to_face():
    n = int(8 * FPS)
    pose = _pose(n)
    t = np.arange(n) / FPS
    shrug = (t >= 2) & (t < 3)
    pose[shrug, 11, 1] -= 30  # both shoulders up 30 px
    pose[shrug, 12, 1] -= 30
    scratch = (t >= 5) & (t < 6.5)
    pose[scratch, 15, 3] = 0.95  # left wrist at the cheek, rubbing up and down
    pose[scratch, 15, 0] = 350
    pose[scratch, 15, 1] = 170 + 15 * np.sin(2 * np.pi * 3 * t[scratch])
    c = body_cues(_signals(pose), None, FPS)
    assert c["cue.body.shrug"][shrug].min() > 0.9 and c["cue.body.shrug"][t < 1.5].max() < 0.2
    assert c["cue.body.scratch"][(t >= 5.1) & (t < 6.4)].mean() > 0.8
    assert c["cue.body.scratch"][t < 4.5].max() < 0.1
    assert c["cue.body.hands"][(t >= 5.1) & (t < 6.4)].mean() > 0.8
    assert c["cue.body.hands"][t < 4.5].max() < 0.2


def test_restless_sway():
    n = int(12 * FPS)
    pose = _pose(n, seed=2)
    t = np.arange(n) / FPS
    sway = (t >= 6)
    pose[sway, :, 0] += 12 * np.sin(2 * np.pi * 1.0 * t[sway])[:, None]  # 1 Hz sway
    c = body_cues(_signals(pose), None, FPS)["cue.body.restless"].to_numpy()
    assert c[t >= 8].mean() > 0.8
    assert c[t < 4].max() < 0.3
    r, sd = periodicity(np.sin(2 * np.pi * t), FPS)
    assert r[50:-50].min() > 0.9


def test_every_body_cue_bounded_masked_and_valenced():
    n = int(6 * FPS)
    t = np.arange(n) / FPS
    h = _head(n, seed=4)
    h["pitch"] += np.where((t >= 1) & (t < 2.5), 6 * np.sin(2 * np.pi * 1.5 * (t - 1)), 0)
    h["yaw"] += np.where((t >= 4) & (t < 5.5), 10 * np.sin(2 * np.pi * 2 * (t - 4)), 0)
    pose = _pose(n)
    pose[100:110] = np.nan  # pose lost
    s = _signals(pose, h)
    s.loc[20:22, "face.present"] = False
    for k in ("yaw", "pitch", "roll"):
        s.loc[20:22, f"face.{k}"] = np.nan
    c = body_cues(s, Baseline.fit([s]), FPS)
    wanted = {cue.column for cue in load_vocabulary().by_modality("body") if cue.measurable}
    assert wanted <= set(c.columns)
    assert c["cue.body.nod"].iloc[20:22].isna().all() and c["cue.body.shrug"].iloc[100:110].isna().all()
    assert c["cue.body.shrug"].iloc[20:22].notna().all()
    cues = c[sorted(wanted)].to_numpy()
    fin = cues[np.isfinite(cues)]
    assert fin.min() >= 0 and fin.max() <= 1
    v = c["affect.body.valence"].to_numpy()
    assert np.nanmean(v[(t >= 1.4) & (t < 2.2)]) > 0.5  # nodding
    assert np.nanmean(v[(t >= 4.3) & (t < 5.2)]) < -0.5  # shaking
    conf = c["affect.body.confidence"].to_numpy()
    assert conf[(t >= 4.3) & (t < 5.2)].mean() > conf[(t > 3) & (t < 3.5)].mean()


@pytest.mark.parametrize("n", [1, 2, 5])
def test_very_short_clips(n):
    """A clip of one or a few frames still gives every cue, bounded, without errors."""
    from levelone.face.cues import face_cues, face_signals

    s = _signals(_pose(n), _head(n))
    c = body_cues(s, None, FPS)
    assert len(c) == n and np.nanmax(c.filter(like="cue.").to_numpy(), initial=0) <= 1
    rng = np.random.default_rng(0)
    lm = rng.normal(0, 1, (n, 478, 3)) + np.linspace(0, 300, 478)[None, :, None]
    f = face_cues(face_signals(lm, (640, 480)), None, FPS)
    assert len(f) == n


def test_pose_signals_from_the_held_points_in_blocks_equal_all_33_at_once(monkeypatch):
    """The vision pass keeps only POSE_POINTS and pose_signals works in row blocks (long
    recordings): the same values, bit for bit, as all 33 landmarks in one piece."""
    import levelone.body.cues as body

    lm = _pose(1000, seed=3).astype(np.float32)
    lm[100:130] = np.nan  # a lost pose
    lm[400:420, body.SHOULDER_L, 3] = 0.1  # a shoulder out of sight
    whole = pose_signals(lm, (640, 480))
    monkeypatch.setattr(body, "POSE_BLOCK_FRAMES", 64)
    held = pose_signals(lm[:, list(body.POSE_POINTS)], (640, 480), body.POSE_POINTS)
    pd.testing.assert_frame_equal(whole, held, check_exact=True)
    assert whole["body.shoulder_width"].iloc[100:130].isna().all()
    assert whole["body.shoulder_width"].iloc[:100].notna().all()
    with pytest.raises(ValueError, match="lack the points"):
        pose_signals(lm[:, :5], (640, 480), tuple(range(5)))
