"""Other people in the recording, on composites built from real clips with ffmpeg.

- side by side (``hstack``) of two GRID speakers, the audio of the left one only;
- turn taking: both faces, the voice alternating between them every 3 s (L, R, L, R);
- an off-screen voice: JFK's voice over a GRID face held still for 4 s, then the GRID clip itself;
- a natural clip of one person: the detector changes nothing.

The GRID speakers are reading (their mouths move in every clip, sound or not), so the silent
side's mouth moves too: attribution has to come from synchrony, not from movement alone.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from levelone.media.video import probe
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.signals import raw_signals

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
TURN_S = 3.0


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def _pad(i: int, tag: str) -> str:
    # GRID's audio is 2.95 s for 3.00 s of video: pad each piece to the turn so turns stay in sync
    return f"[{i}:a]apad=whole_dur={TURN_S},atrim=0:{TURN_S},asetpts=N/SR/TB[{tag}]"


@pytest.fixture(scope="session")
def composites(shared_data, tmp_path_factory) -> dict[str, Path]:
    grid, more = shared_data / "video" / "grid", shared_data / "video" / "grid_more"
    jfk = shared_data / "audio" / "jfk_whisper" / "jfk.flac"
    s1, s1b, s2, s2b = grid / "bbaf2n.mpg", more / "spk_s1_b.mpg", grid / "pwij3p.mpg", grid / "id2_vcd_swwp2s.mpg"
    for p in (s1, s1b, s2, s2b, jfk, grid / "lbax4n.mpg"):
        if not p.is_file():
            pytest.skip(f"{p} not found")
    out = tmp_path_factory.mktemp("people")
    enc = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-c:a", "aac"]
    _ffmpeg("-i", str(s1), "-i", str(s2), "-filter_complex", "[0:v][1:v]hstack=inputs=2[v]",
            "-map", "[v]", "-map", "0:a", *enc, "-shortest", str(out / "side_by_side.mp4"))
    # left: speaker s1's two clips twice; right: speaker s2's; the voice: L, R, L, R
    _ffmpeg("-i", str(s1), "-i", str(s1b), "-i", str(s2), "-i", str(s2b), "-filter_complex",
            "[0:v][1:v][0:v][1:v]concat=n=4:v=1:a=0[l];[2:v][3:v][3:v][2:v]concat=n=4:v=1:a=0[r];"
            "[l][r]hstack=inputs=2[v];" + ";".join(_pad(i, f"a{k}") for k, i in enumerate((0, 3, 0, 2)))
            + ";[a0][a1][a2][a3]concat=n=4:v=0:a=1[a]", "-map", "[v]", "-map", "[a]", *enc, str(out / "turns.mp4"))
    # the face held still for 4 s while JFK speaks, then the clip with its own voice
    _ffmpeg("-i", str(grid / "lbax4n.mpg"), "-i", str(jfk), "-filter_complex",
            "[0:v]trim=end_frame=1,loop=loop=99:size=1:start=0,setpts=N/25/TB[still];"
            "[still][0:v]concat=n=2:v=1:a=0,fps=25[v];"
            "[1:a]atrim=0:4,aresample=44100,aformat=channel_layouts=stereo,asetpts=N/SR/TB[j];"
            "[0:a]aresample=44100,aformat=channel_layouts=stereo,asetpts=N/SR/TB[g];[j][g]concat=n=2:v=0:a=1[a]",
            "-map", "[v]", "-map", "[a]", *enc, str(out / "offscreen.mp4"))
    return {"side_by_side": out / "side_by_side.mp4", "turns": out / "turns.mp4", "offscreen": out / "offscreen.mp4"}


_RAW: dict = {}


def _raw(path: Path, person: str | None = None):
    key = (str(path), person)
    if key not in _RAW:
        _RAW[key] = raw_signals(VideoJob(path.stem, path.stem, path, person=person), asr=False)
    return _RAW[key]


def _speech(raw) -> np.ndarray:
    return np.isfinite(raw.data["audio.self"].to_numpy(np.float64))


@pytest.mark.slow
def test_side_by_side_the_speaking_side_is_the_voice(composites):
    left = _raw(composites["side_by_side"], "left")
    own = left.data["audio.self"].to_numpy(np.float64)
    sp = _speech(left)
    assert sp.sum() >= 25  # GRID: ~1-2 s of speech
    assert np.mean(own[sp] == 1) >= 0.9
    right = _raw(composites["side_by_side"], "right")
    own = right.data["audio.self"].to_numpy(np.float64)
    assert np.mean(own[_speech(right)] == 0) >= 0.9
    # the silent person analysed: their prosody is empty (the voice was someone else's)
    assert not right.data["audio.present"].any()
    assert right.data["audio.f0_st"].isna().all()


@pytest.mark.slow
def test_side_by_side_only_the_named_face_is_measured(composites):
    for person, side in (("left", slice(0.0, 0.5)), ("right", slice(0.5, 1.0)), ("1", slice(0.0, 0.5))):
        raw = _raw(composites["side_by_side"], person)
        info = raw.people
        assert len(info["people"]) == 2, person
        chosen = next(p for p in info["people"] if p["index"] == info["analysed"])
        other = next(p for p in info["people"] if p["index"] != info["analysed"])
        x0, _, x1, _ = info["region"]
        # the other face lies outside the region where the models looked
        assert other["box"][2] <= x0 + 1e-6 or other["box"][0] >= x1 - 1e-6, person
        assert x0 <= chosen["box"][0] and chosen["box"][2] <= x1
        cx = raw.data["face.cx"].dropna().to_numpy()
        assert raw.data["face.present"].mean() > 0.95
        assert ((cx > side.start) & (cx < side.stop)).all(), person
        # the body from the same side (never the other person's); the frame's width is its longer side
        sx = raw.data["body.torso_x"].dropna().to_numpy()
        assert sx.size > 0.9 * len(raw.data)
        assert ((sx > side.start) & (sx < side.stop)).all(), person


@pytest.mark.slow
def test_turn_taking_each_turn_attributed(composites):
    raw = _raw(composites["turns"], "left")
    own = raw.data["audio.self"].to_numpy(np.float64)
    fps = raw.fps
    for k in range(4):
        seg = own[int(k * TURN_S * fps):int((k + 1) * TURN_S * fps)]
        sp = np.isfinite(seg)
        assert sp.sum() >= 20, k
        expected = 1.0 if k % 2 == 0 else 0.0  # the left person (analysed) speaks in turns 0 and 2
        assert np.mean(seg[sp] == expected) >= 0.9, (k, seg[sp])


@pytest.mark.slow
def test_off_screen_voice_is_someone_else(composites):
    raw = _raw(composites["offscreen"])
    assert len(raw.people["people"]) == 1
    own = raw.data["audio.self"].to_numpy(np.float64)
    fps = raw.fps
    jfk, grid = own[:int(4 * fps)], own[int(4 * fps):]
    assert np.isfinite(jfk).sum() >= 50
    assert np.mean(jfk[np.isfinite(jfk)] == 0) >= 0.9
    assert np.mean(grid[np.isfinite(grid)] == 1) >= 0.9
    # JFK's voice feeds none of the participant's prosody
    assert not raw.data["audio.present"].iloc[:int(4 * fps)].any()
    f0 = raw.data["audio.f0_st"].to_numpy(np.float64)
    assert np.isnan(f0[own == 0]).all()
    assert np.isnan(f0[:int(4 * fps)]).mean() >= 0.95  # a voiced edge outside speech may keep its pitch
    assert raw.data["audio.present"].iloc[int(4 * fps):].sum() >= 25


@pytest.mark.slow
def test_one_person_alone_is_unchanged(shared_data):
    """On a natural clip of one person the detector only watches: the same signals as the models
    alone, and one person reported."""
    from levelone.pipeline import vision

    clip = shared_data / "video" / "natural" / "marlin_video01.mp4"
    if not clip.is_file():
        pytest.skip("natural clip not found")
    info = probe(clip)
    frame, people = vision.vision_people(clip, info)
    assert len(people.people) == 1 and people.chosen.index == 1 and people.region is None
    face, _body, expr, _size, mouths = vision.run_models(clip, info)
    pd.testing.assert_frame_equal(frame[face.columns].reset_index(drop=True), face)
    np.testing.assert_array_equal(frame[[c for c in frame.columns if c.startswith("face.expr_")]].to_numpy(), expr)
    assert mouths.shape == (1, info.n_frames)


@pytest.mark.slow
def test_the_detector_thread_stops_the_pass_where_detecting_inline_does(composites, tmp_path):
    """The face detector runs on a thread of its own (vision.DetectThread). The first pass over
    two people side by side still stops at the frame where detecting inline, frame by frame, finds
    them together, with the same faces followed; and no chunk from that frame on is saved (chunks
    of 0.25 s, so several end before the stop and one falls after it)."""
    from levelone.face.people import FaceTracker, detect_stride
    from levelone.media.video import iter_frames
    from levelone.pipeline import vision
    from levelone.pipeline.checkpoint import Checkpoints, chunk_frames

    chunk_s = 0.25
    path = composites["side_by_side"]
    info = probe(path)
    vision.load_models()
    detector, stride = vision._detector(), detect_stride(info.fps)
    inline = FaceTracker(info.fps)
    expected = None
    for i, _t, rgb in iter_frames(path, max_side=vision.MAX_SIDE):
        if i % stride == 0:
            inline.update(i, vision.face_boxes(detector.process(rgb)), stride)
            if inline.together():
                expected = i
                break
    assert expected is not None and expected > 2 * chunk_frames(info.fps, chunk_s)
    threaded = FaceTracker(info.fps)
    checkpoints = Checkpoints(tmp_path / "chunks")
    with pytest.raises(vision.MorePeople) as stop:
        vision.run_models(path, info, tracker=threaded, stop_when_together=True, checkpoints=checkpoints,
                          checkpoint_s=chunk_s)
    assert stop.value.frame == expected
    ours, theirs = threaded.state(), inline.state()
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
    per_chunk = chunk_frames(info.fps, chunk_s)
    saved = [k for k in range(info.n_frames // per_chunk) if checkpoints.load("whole", k) is not None]
    assert saved and all((k + 1) * per_chunk <= expected for k in saved)
    assert saved[-1] == expected // per_chunk - 1  # every chunk before the stop was saved
