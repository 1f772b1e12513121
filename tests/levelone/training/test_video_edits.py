"""Face and body cues on controlled edits of real video (issue 24): a head tilt made by rotating the
frames in-plane, the same person's own emotional takes spliced into his neutral one (CREMA-D 1001),
a frozen face and a cut-away. Hit rate inside the edited span, false rate outside, the shipped
calibration in force; ``benchmarks/controlled_edits.py --parts video`` measures the same on more clips.

Goal per tested cue: hit >= 0.6, false <= 0.1. Where a cue misses, the test is a strict xfail that
states the measured figure and the behaviour behind it (thresholds are not moved to pass).
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from levelone.training import video_edits as V

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is needed to write edited video")

# faces within FRONTAL_MAX_DEG of frontal over the span: there an in-plane rotation is a head roll
TILT_CLIPS = ("natural/marlin_video01.mp4", "natural/marlin_video04.mp4")
FACE_CUES = tuple(f"face.{c}" for c in ("close2", "close1", "squint", "frown", "eyebrow", "gaze", "eye_roll", "open",
                                        "smile", "pout", "lip_press", "hanging", "mouth", "nose"))
HEAD_CUES = tuple(f"body.{c}" for c in ("look_away", "shake", "tilt", "throw", "nod"))
BODY_CUES = HEAD_CUES + tuple(f"body.{c}" for c in ("sigh", "shrug", "hands", "posture", "scratch", "restless"))
# cues that read movement: stillness must not raise them
MOTION_CUES = ("face.mouth", "face.eye_roll", "body.nod", "body.shake", "body.throw", "body.restless",
               "body.hands", "body.scratch")


def _decoded(path) -> np.ndarray:
    from levelone.media.video import iter_frames
    return np.stack([rgb for _, _, rgb in iter_frames(path)]).astype(np.int16)


def test_edits_touch_only_their_span(shared_data, tmp_path):
    """The edit mechanics, without the models: same frame count, frames outside the span as they were
    (up to the encoder), inside rotated, held or black."""
    src = shared_data / "video" / "natural" / "marlin_video05.mp4"  # 3 s, 320x240
    original = _decoded(src)
    for edit in ("tilt", "freeze", "cut_away"):
        clip = getattr(V, edit)(src, tmp_path / f"{edit}.mp4", start_s=1.0, span_s=1.0)
        frames = _decoded(clip.path)
        assert frames.shape == original.shape and clip.inside.size == len(frames)
        assert clip.inside.sum() == round(clip.fps) and clip.inside[round(clip.fps)]
        diff = np.abs(frames - original).mean(axis=(1, 2, 3))
        assert diff[~clip.inside].max() < 4.0  # re-encoded only
        inside = frames[clip.inside]
        if edit == "tilt":
            assert diff[clip.inside].mean() > 3 * diff[~clip.inside].mean() + 5
        elif edit == "freeze":
            assert np.abs(inside - inside[0]).mean(axis=(1, 2, 3)).max() < 1.5  # one picture held (encoder noise only)
        else:
            assert inside.max() <= 16  # black (yuv420 black is 16 or less in rgb)


@pytest.fixture(scope="module")
def tilted(shared_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("tilt")
    runs = []
    for rel in TILT_CLIPS:
        src = shared_data / "video" / rel
        clip = V.tilt(src, work / src.name, centre=V.face_centre(src, V.EDIT_AT_S))
        runs.append((V.clip_table(clip, src.stem), clip.inside))
    return runs


@pytest.mark.slow
def test_in_plane_head_tilt_reads_as_tilt(tilted):
    r = V.rates(tilted, "body.tilt")
    print("body.tilt", r)
    assert r["hit"] >= 0.6
    assert r["false"] <= 0.1
    # a tilt is a roll: the in-plane rotation about the face is no head turn
    assert V.rates(tilted, "body.shake")["hit"] <= 0.1


def _splice(shared_data, tmp_path_factory, emotion: str):
    work = tmp_path_factory.mktemp(f"splice-{emotion}")
    d = shared_data / "video" / "cremad"
    clip = V.splice(d / "1001_DFA_NEU_XX.flv", d / f"1001_DFA_{emotion}_XX.flv", work / f"{emotion}.mp4")
    return [(V.clip_table(clip, "cremad-1001"), clip.inside)]


@pytest.fixture(scope="module")
def happy(shared_data, tmp_path_factory):
    return _splice(shared_data, tmp_path_factory, "HAP")


@pytest.fixture(scope="module")
def fearful(shared_data, tmp_path_factory):
    return _splice(shared_data, tmp_path_factory, "FEA")


@pytest.fixture(scope="module")
def disgusted(shared_data, tmp_path_factory):
    return _splice(shared_data, tmp_path_factory, "DIS")


def _xfail(measured: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=measured)


# (fixture of the splice, cue): his own emotional take should raise the cue inside and nothing outside.
SPLICE_CASES = [
    ("happy", "face.smile"),
    ("fearful", "face.eyebrow"),
    pytest.param("fearful", "face.open", marks=_xfail(
        "measured hit 0.585, false 0.0: the first 0.5 s of the 2.2 s fearful take come before the expression "
        "(eyes at their usual openness), and after it the widening (2-3 robust SD) hovers about the cue's 1.5 SD "
        "threshold, so open reads 0.2-0.9 from frame to frame")),
    pytest.param("disgusted", "face.frown", marks=_xfail(
        "measured hit 0.086, false 0.0: in his disgusted take the inner brows drop far (about 10 robust SD) but "
        "the gap between them narrows only 1-3 SD; face.frown is the lesser of the two tests, so it hovers at "
        "0.2-0.7 and reaches 0.5 in few frames")),
    pytest.param("disgusted", "face.nose", marks=_xfail(
        "measured hit 0.457, false 0.0: the nostrils widen (3-6 robust SD) from 0.3 s into the disgusted take, "
        "but under the calibrated operating point (0.82 of the raw activation) half the take stays under 0.5; "
        "the cue fires more on his happy take (0.80: a smile widens the nostrils too)")),
]


@pytest.mark.slow
@pytest.mark.parametrize("take,cue", SPLICE_CASES)
def test_his_own_take_reads_as_its_cue(request, take, cue):
    r = V.rates(request.getfixturevalue(take), cue)
    print(cue, r)
    assert r["frames_inside"] >= 50 and r["frames_outside"] >= 200  # 1.9-2.2 s inside 4 x 2.0 s
    assert r["hit"] >= 0.6 and r["false"] <= 0.1


@pytest.fixture(scope="module")
def marlin_absence(shared_data, tmp_path_factory):
    """marlin_video01 unedited, with a frozen frame and with a cut-away, each at 3-6 s."""
    work = tmp_path_factory.mktemp("absence")
    src = shared_data / "video" / "natural" / "marlin_video01.mp4"
    out = {}
    for kind in ("freeze", "cut_away"):
        clip = getattr(V, kind)(src, work / f"{kind}.mp4")
        out[kind] = (V.clip_table(clip, src.stem), clip.inside)
    inside = out["freeze"][1]
    out["unedited"] = (V.clip_table(V.EditedClip(src, np.zeros(inside.size, bool), clip.fps, "unedited"), src.stem),
                       inside)
    return out


@pytest.mark.slow
def test_cut_away_is_unmeasured_never_active(marlin_absence):
    table, inside = marlin_absence["cut_away"]
    assert not table.data["face.present"].to_numpy(bool)[inside].any()
    for cue in FACE_CUES + BODY_CUES:
        v = table.data[f"cue.{cue}"].to_numpy(np.float64)[inside]
        assert np.isnan(v).all(), cue  # absence is not evidence: no face, no value
    for cue in ("face.smile", "body.tilt"):  # and measured again once he is back
        assert np.isfinite(table.data[f"cue.{cue}"].to_numpy(np.float64)[~inside]).mean() >= 0.6


@pytest.mark.slow
def test_frozen_face_raises_no_movement_cue(marlin_absence):
    """A frozen picture is a face held still: nothing that reads movement may fire on it (the codebook
    names no cue for stillness; face.hanging, a mouth held open in silence, is gated off while the
    sound runs on)."""
    frozen, inside = marlin_absence["freeze"]
    unedited, _ = marlin_absence["unedited"]
    assert frozen.data["face.present"].to_numpy(bool)[inside].all()
    held = V.interior(inside, frozen.meta.fps)  # at its ends the picture jumps (a throw at the join is real)
    assert held.sum() >= 2 * frozen.meta.fps
    for cue in MOTION_CUES + ("face.hanging",):
        still = V.rates([(frozen, held)], cue)["hit"]
        moving = V.rates([(unedited, held)], cue)["hit"]
        print(cue, still, moving)
        assert still <= moving + 1e-9, cue
    assert V.rates([(frozen, inside)], "face.hanging")["hit"] == 0.0
    assert V.rates([(frozen, inside)], "body.nod")["hit"] == 0.0


@pytest.mark.slow
def test_cut_away_keeps_the_person_around_it(shared_data, tmp_path):
    """The face before and after a cut-away is one person: never on screen together, so no
    region pass cuts the frame between "them" (before issue 24's round 6 the restaurant clip
    lost the face in every frame that way)."""
    src = shared_data / "video" / "natural" / "visualvoice_noisy_restaurant.mp4"
    clip = V.cut_away(src, tmp_path / "cut.mp4")
    table = V.clip_table(clip, src.stem)
    present = table.data["face.present"].to_numpy(bool)[~clip.inside]
    print("face present outside the cut-away", present.mean())
    assert present.mean() >= 0.9


def test_closed_eyes_frame_finds_a_blink_or_none():
    import pandas as pd

    from levelone.frametable import FrameMeta, FrameTable

    fps, n = 25.0, 200
    eyes = np.full(n, 0.3, np.float32)
    eyes[120] = 0.05  # a blink at 4.8 s, before the last 2 s + 1 s
    eyes[190] = 0.01  # too close to the end to hold for 2 s
    df = pd.DataFrame({"frame": np.arange(n), "face.eye_open_l": eyes, "face.eye_open_r": eyes})
    table = FrameTable(df, FrameMeta("v", "p", fps, n))
    assert V.closed_eyes_frame(table) == 120
    df["face.eye_open_l"] = df["face.eye_open_r"] = np.where(np.arange(n) == 120, 0.2, 0.3).astype(np.float32)
    assert V.closed_eyes_frame(FrameTable(df, FrameMeta("v", "p", fps, n))) is None  # 2/3 open is no blink
    span = np.zeros(n, bool)
    span[50:125] = True
    held = V.interior(span, fps)
    assert held.sum() == 75 - 2 * 12 and held[62] and not held[61] and held[112] and not held[113]


@pytest.fixture(scope="module")
def held_blink(shared_data, tmp_path_factory):
    """The Pexels clip with its blink's most-closed frame (eyes shut) held for 2 s, and the clip unedited."""
    src = shared_data / "video" / "pyfeat" / "WolfgangLanger_Pexels.mp4"
    n = V.probe_frames(src)
    orig = V.clip_table(V.EditedClip(src, np.zeros(n, bool), 0.0, "unedited"), src.stem)
    k = V.closed_eyes_frame(orig)
    assert k is not None
    clip = V.freeze(src, tmp_path_factory.mktemp("blink") / "held.mp4", start_s=k / orig.meta.fps,
                    span_s=V.CLOSURE_S)
    return V.clip_table(clip, src.stem), clip.inside, orig


@pytest.mark.slow
def test_held_blink_reads_as_eyes_closed(held_blink):
    table, inside, orig = held_blink
    r = V.rates([(table, inside)], "face.close2")
    same = V.rates([(orig, inside)], "face.close2")
    print("face.close2", r, "unedited", same)
    assert r["hit"] >= 0.6 and r["frames_inside"] == 48  # 2 s at 23.976 fps
    # Outside the held span the edit may move close2 only a little: the held 2 s are a tenth of this clip
    # and enter the person's baseline (eye openness, usual blink rate) like any behaviour of theirs.
    # Measured under the round-6 calibration: 0.193 against 0.149 unedited on the same frames.
    assert r["false"] <= same["false"] + 0.05


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="measured false 0.193 outside the held blink (the unedited clip reads the "
                                       "same frames 0.149): the Pexels man blinks often and narrows his eyes, and "
                                       "close2 also reads a blink rate above his own; above the 0.1 goal on this clip")
def test_held_blink_false_rate_meets_goal(held_blink):
    table, inside, _ = held_blink
    assert V.rates([(table, inside)], "face.close2")["false"] <= 0.1
