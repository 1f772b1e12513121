"""Head pose and a head-aligned frame from the 3D face mesh alone (no canonical model needed).

MediaPipe's face mesh gives 478 points with x, y in image pixels and z (depth, same scale as x,
smaller = closer). We convert to a right-handed camera frame (X image-right, Y up, Z toward the
camera) and read the head's own axes off the mesh:

- across: from the right-face points (eye outer corner 33, cheek 234) to the left-face points
  (263, 454) -- symmetric, so yaw and roll have a true zero;
- up: nose base (2, the subnasale) to forehead (10), made orthogonal to *across* -- both points
  sit on the skull, so speaking (the jaw moving the chin) does not read as a nod;
- forward: across x up (the nose direction).

This is a rigid orientation fit on anatomical axes. It needs no canonical face model (the
mediapipe wheel does not ship one) and is a few vectorised numpy operations per frame. The pitch
zero is the mesh's own nose-base-forehead line, so a face looking straight at the camera reads within a
few degrees of 0; cues use pitch against the person's baseline anyway.

Angles (degrees), as seen from the camera:

- ``yaw`` > 0: the face turns toward the image's right (the person's left);
- ``pitch`` > 0: the face tilts up (chin up);
- ``roll`` > 0: the face rotates counter-clockwise in the displayed image.
"""
from __future__ import annotations

import numpy as np

VERSION = "1"  # 1: declared (the cache key read 0 before); bump when the angles change
RIGHT_SIDE = (33, 234)
LEFT_SIDE = (263, 454)
FOREHEAD, NOSE_BASE = 10, 2


def to_camera_frame(landmarks: np.ndarray) -> np.ndarray:
    """(n, k, 3) pixel landmarks (x right, y down, z away) -> right-handed (X right, Y up, Z toward camera)."""
    p = np.asarray(landmarks, np.float64).copy()
    p[..., 1] *= -1.0
    p[..., 2] *= -1.0
    return p


def head_axes(landmarks: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) whose columns are the head's across, up and forward axes.

    ``landmarks`` are (n, 478, 3) in pixel units as described in the module docstring.
    """
    p = to_camera_frame(landmarks)
    across = p[:, LEFT_SIDE].mean(1) - p[:, RIGHT_SIDE].mean(1)
    across /= np.linalg.norm(across, axis=-1, keepdims=True)
    up = p[:, FOREHEAD] - p[:, NOSE_BASE]
    up -= (up * across).sum(-1, keepdims=True) * across
    up /= np.linalg.norm(up, axis=-1, keepdims=True)
    forward = np.cross(across, up)
    return np.stack([across, up, forward], axis=-1)


def angles(rot: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yaw, pitch, roll) in degrees from :func:`head_axes` matrices; see the module docstring."""
    across, forward = rot[..., 0], rot[..., 2]
    yaw = np.degrees(np.arctan2(forward[..., 0], forward[..., 2]))
    pitch = np.degrees(np.arctan2(forward[..., 1], np.hypot(forward[..., 0], forward[..., 2])))
    roll = np.degrees(np.arctan2(across[..., 1], np.hypot(across[..., 0], across[..., 2])))
    return yaw, pitch, roll


def head_pose(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yaw, pitch, roll) in degrees, each (n,), from (n, 478, 3) pixel-unit mesh landmarks."""
    return angles(head_axes(landmarks))


def to_head_frame(landmarks: np.ndarray, rot: np.ndarray | None = None) -> np.ndarray:
    """Landmarks expressed in the head's own frame (x across to the person's left, y up, z forward).

    Origin at the mean of all points; units stay pixels. Measuring heights and offsets here
    removes head rotation from them (a brow height does not change when the head turns).
    """
    p = to_camera_frame(landmarks)
    rot = head_axes(landmarks) if rot is None else rot
    centred = p - p.mean(1, keepdims=True)
    return np.einsum("nkc,nca->nka", centred, rot)
