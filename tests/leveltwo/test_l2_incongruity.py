"""A real incongruity test on acted emotion (CREMA-D actor 1001, ../shared/data/video/cremad).

Level one's per-modality affect must point the right way on one real person, and level two's
face-voice conflict must be lower when face and voice come from the same take than when one
emotion's video is remuxed with the audio of an emotion of opposite arousal (ffmpeg
``-map 0:v -map 1:a``). Six 2 s clips of one actor: a check of direction, not of accuracy on people.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from levelone.face.cues import declare_neutral
from levelone.frametable import FrameMeta
from levelone.pipeline.assemble import assemble, signal_columns
from levelone.baseline import Baseline
from levelone.pipeline.extract import VideoJob, raw_signals
from leveltwo.features import frame_features, term_pair

pytestmark = pytest.mark.slow
EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
FPS = 29.97


@pytest.fixture(scope="module")
def cremad(shared_data):
    folder = shared_data / "video" / "cremad"
    if not folder.is_dir():
        pytest.skip(f"CREMA-D clips not found in {folder}")
    return folder


@pytest.fixture(scope="module")
def raws(cremad):
    return {e: raw_signals(VideoJob(e, "1001", cremad / f"1001_DFA_{e}_XX.flv"), asr=False).data for e in EMOTIONS}


def _table(raw, baseline=None):
    b = baseline if baseline is not None else Baseline.fit([signal_columns(raw)])
    return assemble(raw, b, FrameMeta("clip", "1001", FPS, len(raw)))


def _mean(t, col: str) -> float:
    v = t.data[col].to_numpy(np.float64)
    return float(np.nanmean(v))


def _fa(t) -> float:
    f = frame_features(t)
    cols = [i for i, n in enumerate(f.term_names) if term_pair(n) == "FA"]
    return float(f.terms[:, cols].sum(axis=1).mean())


def test_face_valence_is_centred_on_the_persons_neutral(raws):
    neutral = declare_neutral(Baseline.fit([signal_columns(raws["NEU"])]), raws["NEU"])
    v = {e: _mean(_table(raws[e], neutral), "affect.face.valence") for e in EMOTIONS}
    assert abs(v["NEU"]) < 0.15
    assert v["HAP"] > 0.3 and v["HAP"] == max(v.values())
    for e in ("ANG", "FEA", "SAD"):
        assert v[e] < 0, (e, v)


def test_voice_arousal_separates_activated_from_calm_emotions(raws):
    a = {e: _mean(_table(raws[e]), "affect.audio.arousal") for e in EMOTIONS}
    assert min(a["ANG"], a["FEA"], a["HAP"]) > max(a["NEU"], a["SAD"]), a
    for e in EMOTIONS:  # prosody carries no valence measurably better than chance: none is claimed
        assert _table(raws[e]).data["affect.audio.valence"].isna().all()


def test_body_stays_neutral_when_nothing_stands_out(raws):
    for e in EMOTIONS:  # ordinary speech head motion (was +0.68 on the fear clip from spurious nods)
        assert abs(_mean(_table(raws[e]), "affect.body.valence")) < 0.1, e


def test_mismatched_face_and_voice_conflict_more_than_matched(cremad, raws, tmp_path):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    matched = [_fa(_table(raws[e])) for e in ("HAP", "SAD")]
    mismatched = []
    for video, audio in (("HAP", "SAD"), ("SAD", "HAP")):  # opposite valence and arousal
        out = tmp_path / f"{video}_video_{audio}_audio.mp4"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(cremad / f"1001_DFA_{video}_XX.flv"),
                        "-i", str(cremad / f"1001_DFA_{audio}_XX.flv"), "-map", "0:v", "-map", "1:a",
                        "-c:v", "libx264", "-crf", "18", "-c:a", "aac", "-shortest", str(out)], check=True)
        mismatched.append(_fa(_table(raw_signals(VideoJob(out.stem, "1001", out), asr=False).data)))
    assert np.mean(mismatched) > np.mean(matched) + 0.02, (matched, mismatched)
    assert mismatched[0] > max(matched)  # a happy face over a sad voice: the clearest disagreement
