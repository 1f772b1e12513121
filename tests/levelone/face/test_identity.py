"""Who is on screen after a cut (levelone.face.identity): cuts, face descriptors, identities."""
from __future__ import annotations

import numpy as np
import pytest

from levelone.face import identity as ident
from levelone.training.identity import best_threshold

pytest.importorskip("dlib")


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def test_segments_join_the_identity_they_come_close_to():
    a, b = np.zeros(128, np.float32), np.zeros(128, np.float32)
    a[0], b[1] = 1.0, 1.0
    segs = [ident.Segment(0, [a, a + 0.01]), ident.Segment(10, [b]), ident.Segment(20, []),
            ident.Segment(30, [a + 0.02]), ident.Segment(40, [a * 3, b + 0.01])]
    # single linkage: a segment with one descriptor close to b is b, whatever its other one
    assert ident.assign_identities(segs, same_person_distance=0.6) == [0, 1, None, 0, 1]
    assert ident.assign_identities(segs[:2], same_person_distance=2.0) == [0, 0]


def test_best_threshold_separates_and_weights_classes_equally():
    same = np.array([0.1, 0.2, 0.3, 0.35])
    different = np.array([0.7, 0.8, 0.9] * 10)
    t = best_threshold(same, different)
    assert 0.35 < t < 0.7
    # one outlier of 'different' below the 'same' cloud does not drag the threshold under it
    t2 = best_threshold(same, np.r_[different, 0.15])
    assert 0.35 < t2 < 0.7


def test_a_cut_is_a_large_change_of_the_picture():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (360, 640, 3), np.uint8)
    noisy = np.clip(frame.astype(np.int16) + rng.integers(-6, 7, frame.shape), 0, 255).astype(np.uint8)
    t0, t1 = ident.thumbnail(frame), ident.thumbnail(noisy)
    assert t0.shape == (18, 32)
    assert ident.cut_score(t0, t1) < 3
    black = ident.thumbnail(np.zeros_like(frame))
    assert ident.cut_score(t0, black) > ident.identity_params().cut_diff


def _frames(path, start_s: float, stop_s: float):
    from levelone.media.video import iter_frames
    for i, t, rgb in iter_frames(path, max_side=640):
        if start_s <= t < stop_s:
            yield rgb


@pytest.fixture(scope="module")
def meshes():
    from levelone.pipeline import vision as V
    V.load_models()
    return V


def _run(V, tracker, clips, first: int = 0):
    """Feed ``tracker`` the frames of (path, start_s, stop_s) pieces one after another, numbered
    from ``first``, with the face mesh of each frame; returns the number of frames fed."""
    mesh, pose = V._models()
    i = first
    for path, a, b in clips:
        V._restart(mesh, pose)
        for rgb in _frames(path, a, b):
            rgb = np.ascontiguousarray(rgb[:, :, :3])
            rgb.flags.writeable = False
            lm = V.face_landmarks(mesh.process(rgb), rgb.shape[1], rgb.shape[0])
            tracker.frame(i, rgb, lm)
            i += 1
    return i - first


def test_a_cut_to_another_person_is_someone_else(meshes, shared_data):
    nat = shared_data / "video" / "natural"
    tracker = ident.IdentityTracker(25.0)
    first = _run(meshes, tracker, [(nat / "marlin_video04.mp4", 0.0, 6.0)])
    n = _run(meshes, tracker, [(nat / "marlin_video03.mp4", 0.0, 3.0)], first) + first
    assert tracker.cuts >= 1
    others = tracker.others(n)
    assert not others[:first].any()  # the person on screen longest is the participant
    assert others[first + 2:].mean() > 0.9  # a few frames may fall before the cut is seen
    assert tracker.summary(n)["identities"] == 2


def test_the_same_person_after_a_cut_away_is_the_participant(meshes, shared_data):
    clip = shared_data / "video" / "natural" / "marlin_video04.mp4"
    tracker = ident.IdentityTracker(25.0)
    n = _run(meshes, tracker, [(clip, 0.0, 4.0), (shared_data / "video" / "pyfeat" / "no_face.mp4", 0.0, 2.0),
                               (clip, 8.0, 12.0)])
    assert tracker.cuts >= 2 and len(tracker.segments) >= 3
    assert not tracker.others(n).any()
    assert tracker.summary(n)["identities"] == 1


def test_one_stretch_never_loads_the_descriptor(meshes, shared_data, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a recording of one stretch needs no descriptor")
    monkeypatch.setattr(ident, "descriptor", refuse)
    tracker = ident.IdentityTracker(25.0)
    n = _run(meshes, tracker, [(shared_data / "video" / "natural" / "marlin_video04.mp4", 0.0, 5.0)])
    assert len(tracker.segments) == 1 and tracker.segments[0].pending
    assert not tracker.others(n).any()


def test_a_saved_state_continues_to_the_same_identities(meshes, shared_data):
    nat = shared_data / "video" / "natural"
    pieces = [(nat / "marlin_video04.mp4", 0.0, 4.0), (nat / "marlin_video03.mp4", 0.0, 2.0)]
    whole = ident.IdentityTracker(25.0)
    n = _run(meshes, whole, pieces)
    first = ident.IdentityTracker(25.0)
    k = _run(meshes, first, pieces[:1])
    resumed = ident.IdentityTracker(25.0)
    resumed.set_state({key: v.copy() for key, v in first.state().items()})
    assert _run(meshes, resumed, pieces[1:], k) + k == n
    np.testing.assert_array_equal(resumed.others(n), whole.others(n))
    assert resumed.summary(n) == whole.summary(n)


def test_set_aside_takes_someone_elses_frames_out_of_the_evidence():
    import pandas as pd

    from levelone.pipeline.vision import set_aside
    n = 6
    face = pd.DataFrame({"face.eye_open_l": np.arange(n, dtype=np.float32), "face.smile": np.ones(n, np.float32)})
    body = np.ones((n, 7, 4), np.float32)
    expr = np.ones((n, 7), np.float32)
    mouths = np.vstack([np.linspace(0.1, 0.6, n), np.full(n, 0.3)]).astype(np.float32)  # analysed face, one other
    shown = np.array([False, False, True, True, False, False])
    out = set_aside(shown, face, body, expr, mouths)
    assert face["face.eye_open_l"].isna().tolist() == shown.tolist() and face["face.smile"].isna().sum() == 2
    assert np.isnan(body[shown]).all() and np.isfinite(body[~shown]).all() and np.isnan(expr[shown]).all()
    assert out.shape == (3, n)  # their mouth has a row of its own, last
    np.testing.assert_array_equal(out[2, shown], mouths[0, shown])
    assert np.isnan(out[2, ~shown]).all() and np.isnan(out[0, shown]).all()
    np.testing.assert_array_equal(out[0, ~shown], mouths[0, ~shown])
    np.testing.assert_array_equal(out[1], mouths[1])
    same = set_aside(np.zeros(n, bool), face, body, expr, out)
    assert same is out  # no one else shown: nothing changes


@pytest.mark.slow
def test_vision_sets_aside_a_joined_clip_of_someone_else(shared_data, tmp_path):
    """Two people's clips joined into one file, in the same place on screen: before identities were
    checked they were one person; now the one on screen longer is the participant and the other's
    frames carry no face evidence, their mouth following the voice on a row of its own."""
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is needed to join the clips")
    from levelone.pipeline.vision import vision_people
    nat = shared_data / "video" / "natural"
    joined = tmp_path / "joined.mp4"
    norm = "scale=640:360:force_original_aspect_ratio=decrease,pad=640:360:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(nat / "marlin_video04.mp4"),
                    "-i", str(nat / "marlin_video03.mp4"),
                    "-filter_complex", f"[0:v]{norm}[a];[1:v]{norm}[b];[a][b]concat=n=2:v=1:a=0[v]", "-map", "[v]",
                    "-c:v", "libx264", "-preset", "ultrafast", str(joined)], check=True)
    frame, people = vision_people(joined)
    fps = 25.0
    spans = people.identity["someone_else_s"]
    assert people.identity["identities"] == 2 and len(spans) == 1
    start, end = spans[0]
    assert abs(start - 19.0) < 0.2 and end == pytest.approx(len(frame) / fps, abs=0.05)
    later = frame.index >= int(round(start * fps))
    assert not frame.loc[later, "face.present"].any() and frame.loc[~later, "face.present"].mean() > 0.9
    assert people.mouths.shape[0] == 2 and np.isfinite(people.mouths[1, later]).mean() > 0.8
    assert people.summary()["identity"] == people.identity
