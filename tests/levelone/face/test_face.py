"""Face geometry, head pose and face cues on a real face (skimage's astronaut) and edits of its mesh."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from codebook.vocabulary import load_vocabulary
from levelone.baseline import Baseline
from levelone.face.cues import EYE_L, EYE_R, MOUTH_L, MOUTH_R, face_cues, face_signals
from levelone.face.headpose import head_pose

FPS = 25.0


def _mesh(image: np.ndarray) -> np.ndarray:
    import mediapipe as mp

    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True,
                                         max_num_faces=1) as fm:
        res = fm.process(np.ascontiguousarray(image))
    assert res.multi_face_landmarks, "no face found"
    h, w = image.shape[:2]
    return np.array([[p.x * w, p.y * h, p.z * w] for p in res.multi_face_landmarks[0].landmark])


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data, transform

    img = data.astronaut()
    rotated = {a: (transform.rotate(img, a, mode="edge") * 255).astype(np.uint8) for a in (15, -15)}
    return img, {0: _mesh(img), **{a: _mesh(im) for a, im in rotated.items()}, "mirror": _mesh(img[:, ::-1])}


def test_roll_on_rotated_image(astronaut):
    _, mesh = astronaut
    roll = {k: float(head_pose(v[None])[2][0]) for k, v in mesh.items()}
    assert abs(roll[0]) < 5  # she holds her head almost level
    assert roll[15] == pytest.approx(15, abs=5)  # counter-clockwise in the image = positive
    assert roll[-15] == pytest.approx(-15, abs=5)
    assert roll[15] - roll[0] == pytest.approx(15, abs=2.5)
    assert roll[0] - roll[-15] == pytest.approx(15, abs=2.5)


def test_mirror_flips_yaw_and_roll(astronaut):
    _, mesh = astronaut
    y0, p0, r0 = (float(a[0]) for a in head_pose(mesh[0][None]))
    ym, pm, rm = (float(a[0]) for a in head_pose(mesh["mirror"][None]))
    assert ym == pytest.approx(-y0, abs=1.5)
    assert rm == pytest.approx(-r0, abs=1.5)
    assert pm == pytest.approx(p0, abs=2.0)


def _rotate(mesh: np.ndarray, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    """Rotate pixel-convention landmarks rigidly about their centroid (camera frame Y up, Z toward camera)."""
    p = mesh * np.array([1, -1, -1.0])
    c = p.mean(0)
    a, b = np.radians(yaw), np.radians(pitch)
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), np.sin(b)], [0, -np.sin(b), np.cos(b)]])
    q = (p - c) @ (ry @ rx).T + c
    return q * np.array([1, -1, -1.0])


def test_yaw_pitch_signs_and_magnitudes(astronaut):
    _, mesh = astronaut
    y0, p0, r0 = (float(a[0]) for a in head_pose(mesh[0][None]))
    y, p, _ = (float(a[0]) for a in head_pose(_rotate(mesh[0], yaw=20)[None]))
    assert y - y0 == pytest.approx(20, abs=1.5)  # turning toward the image's right
    y, p, _ = (float(a[0]) for a in head_pose(_rotate(mesh[0], pitch=15)[None]))
    assert p - p0 == pytest.approx(15, abs=1.5)  # rotation lifting the nose: chin up


def test_signals_plausible_and_rotation_invariant(astronaut):
    img, mesh = astronaut
    h, w = img.shape[:2]
    s = face_signals(np.stack([mesh[0], _rotate(mesh[0], yaw=20, pitch=10)]), (w, h))
    assert all(s[c].dtype == np.float32 for c in s.columns)
    first = s.iloc[0]
    assert 0.15 < first["face.eye_open_l"] < 0.45 and 0.15 < first["face.eye_open_r"] < 0.45
    assert 0.7 < first["face.mouth_width"] < 1.2
    assert first["face.mouth_lift"] > 0.02  # she smiles: corners above the lip centre
    assert first["face.brow_inner_l"] > 0.1 and first["face.brow_gap"] > 0.2
    assert 0 < first["face.cx"] < 1 and 0 < first["face.size"] < 0.3
    for c in ("face.eye_open_l", "face.brow_inner_r", "face.mouth_lift", "face.lip_open", "face.iris_y"):
        assert s[c].iloc[1] == pytest.approx(s[c].iloc[0], abs=0.01), c


def test_nan_rows_stay_nan(astronaut):
    _, mesh = astronaut
    lm = np.stack([mesh[0], np.full((478, 3), np.nan)])
    s = face_signals(lm, (512, 512))
    assert s.iloc[0].notna().all() and s.iloc[1].isna().all()
    with pytest.raises(ValueError):
        face_signals(np.zeros((3, 468, 3)))


def _series(mesh: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` frames of the still face with landmark jitter like MediaPipe's (~0.3 px)."""
    rng = np.random.default_rng(seed)
    return mesh[None] + rng.normal(0, 0.3, (n, *mesh.shape))


def _close_eye(lm: np.ndarray, eye: dict) -> None:
    for up, low in zip(eye["upper"], eye["lower"]):
        lm[..., up, :2] = lm[..., low, :2]


def _cues(lm: np.ndarray) -> pd.DataFrame:
    """Face cues of a still face beside an audio track that holds no speech (the mouth cues'
    speech gate needs audio; without any, they are not measured)."""
    s = face_signals(lm, (512, 512))
    s.insert(0, "face.present", s["face.eye_open_l"].notna())
    return face_cues(s.assign(**{"audio.present": True, "audio.speech": 0.0}), Baseline.fit([s]), FPS)


def test_close2_held_closure_but_not_a_blink(astronaut):
    _, mesh = astronaut
    lm = _series(mesh[0], 150)
    for eye in (EYE_L, EYE_R):
        _close_eye(lm[40:60], eye)  # 0.8 s closed
        _close_eye(lm[110:112], eye)  # an ordinary 80 ms blink
    c = _cues(lm)["cue.face.close2"].to_numpy()
    assert c[42:58].min() > 0.8
    assert c[110:112].max() < 0.5
    assert np.median(c[:30]) < 0.2


def test_close1_wink(astronaut):
    _, mesh = astronaut
    lm = _series(mesh[0], 100)
    _close_eye(lm[50:60], EYE_L)
    c = _cues(lm)
    assert c["cue.face.close1"].iloc[50:60].min() > 0.8
    assert c["cue.face.close1"].iloc[:40].max() < 0.2
    assert c["cue.face.close2"].iloc[50:60].max() < 0.5  # one eye is not both


def test_smile_raises_cue_and_valence(astronaut):
    _, mesh = astronaut
    lm = _series(mesh[0], 100)
    iod = np.linalg.norm(mesh[0][[33, 133]].mean(0) - mesh[0][[263, 362]].mean(0))
    for corner, dx in ((MOUTH_R, -1), (MOUTH_L, 1)):
        lm[50:75, corner, 1] -= 0.08 * iod  # corners up (pixel y down)
        lm[50:75, corner, 0] += dx * 0.05 * iod  # and wider
    c = _cues(lm)
    assert c["cue.face.smile"].iloc[52:73].min() > 0.9
    assert c["cue.face.smile"].iloc[:45].max() < 0.3
    assert c["affect.face.valence"].iloc[52:73].mean() > 0.5
    assert c["affect.face.valence"].iloc[:45].abs().max() < 0.2
    assert c["affect.face.confidence"].iloc[52:73].mean() > c["affect.face.confidence"].iloc[:45].mean()
    assert c["cue.face.pout"].iloc[52:73].max() < 0.2


def test_every_measurable_face_cue_present_and_bounded(astronaut):
    _, mesh = astronaut
    lm = _series(mesh[0], 60)
    lm[20:25] = np.nan  # face lost
    c = _cues(lm)
    wanted = {cue.column for cue in load_vocabulary().by_modality("face") if cue.measurable}
    assert wanted <= set(c.columns)
    cues = c[[x for x in c.columns if x.startswith("cue.")]]
    assert cues.iloc[20:25].isna().all().all() and (c["affect.face.confidence"].iloc[20:25] == 0).all()
    v = cues.drop(index=range(20, 25)).to_numpy()
    assert np.isfinite(v).all() and v.min() >= 0 and v.max() <= 1
    assert all(c[x].dtype == np.float32 for x in c.columns)


def test_expression_model_on_a_smiling_face(astronaut):
    from levelone.face import affect as facial_affect
    facial_affect.require()  # shipped with ahcue: never skipped
    img, mesh = astronaut
    p = facial_affect.expression(img, mesh[0])
    assert p.shape == (7,) and p.sum() == pytest.approx(1, abs=1e-4)
    assert facial_affect.EMOTIONS[int(np.argmax(p))] == "happy" and p.max() > 0.9
    assert facial_affect.expression_valence(p[None])[0] > 0.7
    crop = facial_affect.face_crop(img, mesh[0])
    assert crop.shape == (64, 64) and -1 <= crop.min() and crop.max() <= 1
    assert facial_affect.face_crop(img, mesh[0] + 5000) is None  # off-frame


def test_expression_valence_enters_face_affect(astronaut):
    """A still face that the model reads as sad gets negative valence even at its own baseline."""
    _, mesh = astronaut
    lm = _series(mesh[0], 40)
    s = face_signals(lm, (512, 512))
    s.insert(0, "face.present", True)
    from levelone.face.affect import EMOTIONS

    for e in EMOTIONS:
        s[f"face.expr_{e}"] = np.float32(0.9 if e == "sad" else 0.1 / 6)
    c = face_cues(s, Baseline.fit([s]), FPS)
    assert (c["affect.face.valence"] < -0.3).all()
    assert (c["affect.face.confidence"] > 0.3).all()


def test_without_any_audio_the_speech_gated_mouth_cues_are_not_measured(astronaut):
    """Absence is never evidence: with no audio at all (no track), whether the person talks is
    unknown, so an open mouth is neither 'hanging' nor 'mouth' (NaN: not measured); with an audio
    track that holds no speech, the same open mouth reads as hanging."""
    n, mesh = 240, astronaut[1][0]
    sig = face_signals(_series(mesh, n), (512, 512))
    sig.insert(0, "face.present", sig["face.eye_open_l"].notna())
    base = Baseline.fit([sig.iloc[:120]])
    for c in ("face.lip_open", "face.jaw_open"):  # the mouth hangs open from 5 s on
        v = sig[c].to_numpy(np.float64).copy()
        v[120:] += 8 * float(np.nanstd(v[:120])) + 0.05 * abs(float(np.nanmedian(v[:120])))
        sig[c] = v.astype(np.float32)
    silent_track = face_cues(sig.assign(**{"audio.present": True, "audio.speech": 0.0}), base, FPS)
    no_track = face_cues(sig.assign(**{"audio.present": False}), base, FPS)
    assert np.nanmax(silent_track["cue.face.hanging"].to_numpy()[150:]) > 0.5
    assert no_track["cue.face.hanging"].isna().all() and no_track["cue.face.mouth"].isna().all()
    assert no_track["cue.face.smile"].notna().all()  # the other face cues are measured as before
