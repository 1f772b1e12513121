"""MediaPipe on real video: faces found, presence switching where the face leaves or enters, no face
where there is none, and the per-frame table contract (one row per frame, float32 signals)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from levelone.baseline import Baseline
from levelone.body.cues import body_cues
from levelone.face.cues import face_cues
from levelone.media.video import iter_frames, probe
from levelone.pipeline.vision import confirmed_by_face, interpolate_skipped, vision_signals


@lru_cache(maxsize=None)
def _signals(path: str) -> pd.DataFrame:
    return vision_signals(path)


def _times(path: Path) -> np.ndarray:
    return np.array([t for _, t, _ in iter_frames(path, max_side=32)])


def _grid(shared_data: Path) -> list[Path]:
    clips = sorted((shared_data / "video" / "grid").glob("*.mpg"))
    if not clips:
        pytest.skip("no GRID clips")
    return clips


@pytest.mark.slow
def test_grid_faces_found(shared_data):
    for clip in _grid(shared_data):
        df = _signals(str(clip))
        assert len(df) == probe(clip).n_frames == 75, clip.name
        assert df["face.present"].mean() > 0.95, clip.name
        assert df["body.present"].mean() > 0.95, clip.name
        # a speaker facing the camera, reading: head nearly still and frontal
        assert df["face.yaw"].abs().median() < 15 and df["face.yaw"].std() < 3, clip.name


def test_table_contract(shared_data):
    clip = _grid(shared_data)[0]
    df = _signals(str(clip))
    assert df["face.present"].dtype == bool and df["body.present"].dtype == bool
    raw = [c for c in df.columns if not c.endswith(".present")]
    assert all(c.startswith(("face.", "body.")) for c in raw)
    assert all(df[c].dtype == np.float32 for c in raw)
    assert df.loc[df["face.present"], "face.eye_open_l"].notna().all()


def test_face_leaves(shared_data):
    """face_noface.mov: a face for the first 2.4 s (72 frames), then none."""
    p = shared_data / "video" / "pyfeat" / "face_noface.mov"
    df = _signals(str(p))
    t = _times(p)
    present = df["face.present"].to_numpy()
    assert present[t < 2.3].mean() > 0.95
    assert present[t > 2.55].mean() < 0.02
    assert df.loc[~df["face.present"], "face.yaw"].isna().all()


def test_face_enters(shared_data):
    """noface_face.mov: no face until ~3.95 s, then a face."""
    p = shared_data / "video" / "pyfeat" / "noface_face.mov"
    df = _signals(str(p))
    t = _times(p)
    present = df["face.present"].to_numpy()
    assert present[t < 3.8].mean() < 0.02
    assert present[(t > 4.1) & (t < 6.3)].mean() > 0.95
    first = t[np.argmax(present)]
    assert first == pytest.approx(3.95, abs=0.15)


def test_no_face(shared_data):
    df = _signals(str(shared_data / "video" / "pyfeat" / "no_face.mp4"))
    assert len(df) == 95
    assert not df["face.present"].any()
    assert not df["body.present"].any()  # Pose's false "person" in the sky is not confirmed by a face
    assert df.filter(like="face.").drop(columns="face.present").isna().all().all()
    cues = face_cues(df, Baseline.fit([df]), 24.0)
    assert cues.filter(like="cue.face").isna().all().all()
    assert (cues["affect.face.confidence"] == 0).all()


def test_cues_on_real_speaker(shared_data):
    """GRID speakers read a sentence facing the camera: no shakes, nods or looking away."""
    for clip in _grid(shared_data)[:4]:
        df = _signals(str(clip))
        base = Baseline.fit([df])
        body = body_cues(df, base, 25.0)
        face = face_cues(df, base, 25.0)
        for cue in ("shake", "nod", "look_away", "tilt"):
            assert body[f"cue.body.{cue}"].max() < 0.5, (clip.name, cue)
        gated = ["cue.face.hanging", "cue.face.mouth"]  # need to know when the person talks: no audio here
        assert face.drop(columns=gated).notna().all().all()
        assert face[gated].isna().all().all()  # not measured without audio, never read as silence
        assert 0 <= face["affect.face.confidence"].min() and face["affect.face.confidence"].max() <= 1


def test_interpolate_skipped():
    lm = np.full((5, 2, 1), np.nan)
    lm[0], lm[2], lm[4] = 0.0, 2.0, np.nan
    done = np.array([True, False, True, False, True])
    out = interpolate_skipped(lm, done)
    assert out[1, 0, 0] == pytest.approx(1.0)
    assert np.isnan(out[3]).all()  # no pose at frame 4: frame 3 is not invented


def test_confirmed_by_face():
    face = np.zeros(100, bool)
    face[40:45] = True
    ok = confirmed_by_face(face, fps=10.0, window_s=1.0)
    assert ok[30:55].all() and not ok[:30].any() and not ok[55:].any()


def test_chunked_face_signals_match(shared_data, monkeypatch):
    """Face mesh is turned into signals in chunks; a chunk size that splits the clip changes nothing."""
    import levelone.pipeline.vision as vision

    clip = str(_grid(shared_data)[0])
    whole = _signals(clip)
    monkeypatch.setattr(vision, "CHUNK", 32)  # 75 frames -> chunks of 32, 32, 11
    split = vision.vision_signals(clip)
    pd.testing.assert_frame_equal(whole, split)


def test_prefetch_keeps_order_raises_where_the_producer_failed_and_stops_early():
    from levelone.pipeline.vision import prefetch

    def items(fail_at: int | None):
        for i in range(50):
            if i == fail_at:
                raise ValueError(f"bad frame {i}")
            yield i

    assert list(prefetch(items(None), depth=3)) == list(range(50))
    got = []
    with pytest.raises(ValueError, match="bad frame 7"):
        for i in prefetch(items(7), depth=3):
            got.append(i)
    assert got == list(range(7))
    for i in prefetch(items(None), depth=2):  # a consumer that stops early does not hang
        if i == 3:
            break



def test_interpolate_skipped_in_place_equals_a_copy():
    rng = np.random.default_rng(0)
    lm = rng.normal(size=(40, 7, 4)).astype(np.float32)
    done = np.zeros(40, bool)
    done[::3] = True
    lm[~done] = np.nan
    lm[9] = np.nan  # a processed frame without a pose: its neighbours stay NaN
    copy = interpolate_skipped(lm, done)
    same = lm.copy()
    interpolate_skipped(same, done, out=same)
    np.testing.assert_array_equal(copy, same)
    assert np.isfinite(same[1]).all() and np.isnan(same[10]).all()


def test_a_checkpoint_with_all_33_pose_points_resumes_with_the_held_ones(tmp_path):
    """Chunks saved before the vision pass kept only POSE_POINTS still resume: the held points
    are taken from them."""
    from levelone.body.cues import POSE_POINTS
    from levelone.pipeline.checkpoint import Checkpoints
    from levelone.pipeline.vision import _restore

    ck = Checkpoints(tmp_path / "ck")
    full = np.arange(4 * 33 * 4, dtype=np.float32).reshape(4, 33, 4)
    ck.save("whole", 0, {"body": full, "face_columns": np.array(["face.x"]), "face:face.x": np.zeros(4, np.float32)})
    body = np.full((8, len(POSE_POINTS), 4), np.nan, np.float32)
    start, parts, _ = _restore(ck, "whole", 4, 8, {"body": body})
    assert start == 4 and len(parts) == 1
    np.testing.assert_array_equal(body[:4], full[:, list(POSE_POINTS)])
    assert np.isnan(body[4:]).all()
