"""Faces for the demo corpus: real face images animated with known head rotations.

The sources are real photographs of people: scikit-image's astronaut portrait and the GRID corpus
clips in ``../shared/data/video/grid`` (one speaker per clip, whose own lip movement plays on in a
ping-pong loop). Head rotation is rendered as a smooth displacement: a yaw of ``a`` moves
the middle of the face (the nose) sideways by ``R sin(a)`` (``R`` half a face wide)
and less toward the face's edges, so one cheek compresses and the other stretches -- the image
evidence a landmark-based pose estimator reads. (An exact cylinder model folds pixels at the
hidden edge and leaves a duplicated ear; the Gaussian fall-off keeps the map monotonic.) Pitch is
the same model on the vertical axis; roll is an in-plane rotation about the face centre. The
displacement fades out away from the face so the background and shoulders stay put.

Angles follow :mod:`levelone.face.headpose`: yaw > 0 turns the face toward the image's right, pitch > 0
lifts the chin, roll > 0 rotates the face counter-clockwise on screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

FRAME_W, FRAME_H = 360, 288  # GRID's frame size; every demo video uses it


@dataclass
class FaceSource:
    """Frames of one real person and where the face is in them (pixels, in the output frame)."""

    name: str
    frames: list[np.ndarray]  # RGB uint8, FRAME_H x FRAME_W
    cx: float
    cy: float
    face_w: float

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` of an endless ping-pong loop over the source frames."""
        n = len(self.frames)
        if n == 1:
            return self.frames[0]
        k = i % (2 * n - 2)
        return self.frames[k if k < n else 2 * n - 2 - k]


def find_face(rgb: np.ndarray) -> tuple[float, float, float]:
    """Centre x, centre y and width (pixels) of the most confident face (MediaPipe detector)."""
    from levelone.face.mediapipe_runtime import ignore_protobuf_deprecation, import_mediapipe

    ignore_protobuf_deprecation()
    mp = import_mediapipe()

    with mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5) as det:
        res = det.process(np.ascontiguousarray(rgb))
    if not res.detections:
        raise RuntimeError("no face found in a demo-corpus source image")
    box = max(res.detections, key=lambda d: d.score[0]).location_data.relative_bounding_box
    h, w = rgb.shape[:2]
    return (box.xmin + box.width / 2) * w, (box.ymin + box.height / 2) * h, box.width * w


def astronaut_source() -> FaceSource:
    """scikit-image's astronaut portrait (Eileen Collins, public domain), cropped to a webcam-like
    frame with the face about a third of the frame wide."""
    import cv2
    from skimage import data

    img = data.astronaut()
    cx, cy, fw = find_face(img)
    cw = fw / 0.30
    ch = cw * FRAME_H / FRAME_W
    x0 = int(np.clip(cx - cw / 2, 0, img.shape[1] - cw))
    y0 = int(np.clip(cy - ch * 0.42, 0, img.shape[0] - ch))
    crop = img[y0:y0 + int(ch), x0:x0 + int(cw)]
    frame = cv2.resize(crop, (FRAME_W, FRAME_H), interpolation=cv2.INTER_AREA)
    s = FRAME_W / crop.shape[1]
    return FaceSource("skimage-astronaut", [frame], (cx - x0) * s, (cy - y0) * s, fw * s)


def grid_source(path: str | Path, max_frames: int = 75) -> FaceSource:
    """The frames of one GRID clip (a real speaker facing the camera)."""
    import av

    frames = []
    with av.open(str(path)) as c:
        for fr in c.decode(video=0):
            frames.append(fr.to_ndarray(format="rgb24"))
            if len(frames) >= max_frames:
                break
    if not frames or frames[0].shape[:2] != (FRAME_H, FRAME_W):
        raise RuntimeError(f"{path}: expected {FRAME_W}x{FRAME_H} GRID frames")
    cx, cy, fw = find_face(frames[0])
    return FaceSource(f"grid-{Path(path).stem}", frames, cx, cy, fw)


# ----------------------------------------------------------------------------- head motion
def _envelope(n: int, fps: float, ramp_s: float = 0.25) -> np.ndarray:
    """1 inside a segment with raised-cosine ramps of ``ramp_s`` at both ends."""
    t = np.arange(n) / fps
    dur = n / fps
    r = min(ramp_s, dur / 3)
    up = np.clip(t / r, 0, 1)
    down = np.clip((dur - t) / r, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def planted_motion(kind: str, n: int, fps: float, amp_deg: float, freq_hz: float, sign: float = 1.0
                   ) -> dict[str, np.ndarray]:
    """Per-frame yaw/pitch/roll (degrees) of one planted head movement lasting ``n`` frames.

    shake: yaw oscillation; nod: pitch oscillation starting downward;
    tilt: held roll; look_away: held yaw (sign picks the side) plus a little downward pitch.
    """
    t = np.arange(n) / fps
    env = _envelope(n, fps)
    zero = np.zeros(n)
    if kind == "shake":
        return {"yaw": amp_deg * env * np.sin(2 * np.pi * freq_hz * t), "pitch": zero, "roll": zero}
    if kind == "nod":  # up and down, ``freq_hz`` cycles a second, starting downward
        return {"yaw": zero, "pitch": -amp_deg * env * np.sin(2 * np.pi * freq_hz * t), "roll": zero}
    if kind == "tilt":
        return {"yaw": zero, "pitch": zero, "roll": sign * amp_deg * env}
    if kind == "look_away":
        return {"yaw": sign * amp_deg * env, "pitch": -0.3 * amp_deg * env, "roll": zero}
    raise ValueError(f"unknown head motion {kind!r}")


def jitter(n: int, fps: float, rng: np.random.Generator, deg: float = 1.2, px: float = 1.5
           ) -> dict[str, np.ndarray]:
    """Small smooth natural head movement: low-pass filtered noise (~0.5 Hz)."""
    k = max(3, int(fps))
    kernel = np.hanning(2 * k + 1)
    kernel /= kernel.sum()

    def smooth(scale: float) -> np.ndarray:
        x = np.convolve(rng.standard_normal(n + 4 * k), kernel, mode="same")[2 * k:2 * k + n]
        return scale * x / (x.std() + 1e-9)

    return {"yaw": smooth(deg), "pitch": smooth(deg), "roll": smooth(deg * 0.6),
            "dx": smooth(px), "dy": smooth(px)}


# ----------------------------------------------------------------------------- rendering
class HeadRenderer:
    """Warps a source frame to a given head pose with one ``cv2.remap`` per frame."""

    def __init__(self, source: FaceSource):
        self.src = source
        ys, xs = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float64)
        self._xs, self._ys = xs, ys
        # Half a face width for both axes: a larger radius slides the whole face (read as
        # translation, not rotation); this one moves the nose against the face's outline.
        self._rx = self._ry = 0.5 * source.face_w
        # where the rotation acts: a soft window around the head
        self._wy = np.exp(-(((ys - source.cy) / (1.6 * source.face_w)) ** 2))
        self._wx = np.exp(-(((xs - source.cx) / (1.4 * source.face_w)) ** 2))

    @staticmethod
    def _turn(u: np.ndarray, angle: float, sigma: float = 0.6) -> np.ndarray:
        """Source offset (in radii) seen at output offset ``u`` after turning by ``angle``.

        The centre of the face moves by ``sin(angle)`` radii and the shift falls off as a
        Gaussian bump, so one cheek compresses and the other stretches; the map stays monotonic (no
        folded pixels) while ``sin(angle) < 1.65 sigma``: 45 degrees at sigma 0.6, 30 at 0.3.
        """
        return u - np.sin(angle) * np.exp(-0.5 * (u / sigma) ** 2)

    def render(self, i: int, yaw: float, pitch: float, roll: float, dx: float, dy: float) -> np.ndarray:
        import cv2

        s = self.src
        # inverse of (roll about the face centre, then shift): output pixel -> rotated-head pixel
        a = np.deg2rad(roll)
        x0, y0 = self._xs - s.cx - dx, self._ys - s.cy - dy
        # on screen (y down) a counter-clockwise rotation by a is x' = x cos a + y sin a, y' = -x sin a + y cos a
        x1 = x0 * np.cos(a) - y0 * np.sin(a)
        y1 = x0 * np.sin(a) + y0 * np.cos(a)
        # inverse cylinder in x (yaw) and y (pitch), both faded outside the head
        xs = x1 + (self._rx * self._turn(x1 / self._rx, np.deg2rad(yaw), sigma=0.5) - x1) * self._wy
        ys = y1 + (self._ry * self._turn(y1 / self._ry, -np.deg2rad(pitch), sigma=0.6) - y1) * self._wx
        return cv2.remap(s.frame(i), (xs + s.cx).astype(np.float32), (ys + s.cy).astype(np.float32),
                         interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def crop_box(self, dx: float, dy: float) -> tuple[int, int, int]:
        """Square face-crop box (x0, y0, side) in the output frame, following the head's shift."""
        side = int(round(1.7 * self.src.face_w))
        x0 = int(round(self.src.cx + dx - side / 2))
        y0 = int(round(self.src.cy + dy - side / 2 - 0.08 * side))
        return x0, y0, side


def face_crop(frame: np.ndarray, box: tuple[int, int, int], size: int = 256) -> np.ndarray:
    """A ``size`` x ``size`` crop of ``box`` (x0, y0, side), padding with edge pixels if needed."""
    import cv2

    x0, y0, side = box
    pad = side
    padded = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad:y0 + pad + side, x0 + pad:x0 + pad + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
