"""Facial signals, codebook face cues and facial affect from MediaPipe face-mesh landmarks.

Input landmarks are ``(n, 478, 3)`` float arrays in *pixel units of the processed frame*: x right,
y down, z depth on the x scale (MediaPipe's normalised x, y, z multiplied by width, height, width),
so distances are isotropic. Frames without a face are all-NaN.

Geometry is measured in the head's own frame (:mod:`levelone.face.headpose`) so heights and offsets do
not change when the head turns, and lengths are divided by the inter-ocular distance (IOD, between
the two eye centres) so they do not change with the distance to the camera. Signal units:

- ``face.eye_open_l/r``: eyelid gap / eye width (ratio, ~0.25-0.35 open, < 0.1 closed);
- ``face.brow_inner_l/r``, ``face.brow_outer_l/r``: brow height above the eye-corner line (IOD);
- ``face.brow_gap``: distance between the inner brow ends (IOD);
- ``face.iris_x``, ``face.iris_y``: iris centre offset from the eye-corner midpoint, both eyes
  averaged, in eye widths; x toward the person's left, y up (gaze);
- ``face.mouth_lift``: mouth-corner height above the lip centre (IOD; smile > 0, corners down < 0);
- ``face.mouth_width``, ``face.lip_open`` (inner lip gap), ``face.lip_thickness`` (red-lip height,
  upper + lower), ``face.lip_protrusion`` (lip centre ahead of the corners), ``face.jaw_open``
  (nose base to chin), ``face.nose_brow`` (nose tip to the point between the brows),
  ``face.nostril_width``, ``face.chin`` (lower lip to chin): all IOD;
- ``face.yaw``, ``face.pitch``, ``face.roll``: degrees (signs in :mod:`levelone.face.headpose`);
- ``face.expr_<emotion>`` (from :mod:`levelone.pipeline.vision`, not from landmarks): FER2013 class
  probabilities of :mod:`levelone.face.affect`, used for facial valence;
- ``face.cx``, ``face.cy`` (face centre, fraction of frame width/height) and ``face.size`` (IOD /
  the frame's longer side): where the face is, for posture.

Cues (:func:`face_cues`) compare robust z-scores against the person's :class:`Baseline` and map
them to [0, 1] with :func:`levelone.baseline.squash`; thresholds and temporal rules follow the
``measurement`` text of each face cue in ``codebook/data/vocabulary.yaml``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from levelone.columns import ColumnSpec, affect_columns, cue_columns, signal_columns
from levelone.baseline import Baseline, squash
from levelone.temporal import gradient, hold, robust_z, sustained, tophat
from levelone.affectnorms import FACE_FULL_S, FACE_POPULATION, blend_reference, centre, personal_weight
from levelone.face.affect import EMOTIONS, expression_arousal, expression_valence
from levelone.face.headpose import angles, head_axes, to_head_frame
from levelone.params import apply_operating_points, from_section

VERSION = "4"  # 3: a declared neutral keeps the baseline's evidence counts;
#               4: without any audio the speech-gated mouth cues (hanging, mouth) are not measured


@dataclass(frozen=True)
class FaceCueParams:
    """Face cue thresholds. ``*_z``: robust z-score against the person's baseline (baseline units);
    ``*_ratio``: fraction of the person's usual value; ``*_iod``: inter-ocular distances; ``*_s``:
    seconds. Values in force come from ``levelone/data/calibration.json`` (:func:`face_params`)."""

    closed_ratio: float = 0.5          # eyes closed: openness under this fraction of usual
    closed_width_ratio: float = 0.08   # logistic width of that test
    close1_open_ratio: float = 0.75    # one eye closed: the other above this fraction of usual
    close_hold_s: float = 0.25         # a closure must last this long (a blink does not)
    blink_window_s: float = 3.0        # window for the local blink rate
    blink_excess_ratio: float = 2.0    # local blink rate / usual rate that counts as blinking more
    blink_excess_width_ratio: float = 0.4
    squint_z: float = 1.5
    squint_hold_s: float = 0.5         # held: a narrowing shorter than this is a slow blink
    frown_gap_z: float = 1.5
    frown_inner_z: float = 1.0
    eyebrow_z: float = 2.0
    gaze_z: float = 2.5
    eye_roll_z: float = 2.0
    eye_roll_max_s: float = 1.5        # an eye roll is a brief excursion
    open_z: float = 1.5
    smile_z: float = 1.5
    pout_z: float = 1.5
    lip_press_z: float = 1.5
    lips_closed_iod: float = 0.04      # inner-lip gap under which the lips count as closed
    lips_closed_width_iod: float = 0.01
    hanging_z: float = 2.0
    hanging_hold_s: float = 1.0
    mouth_speed_z: float = 3.0         # robust z of the mouth-shape speed
    mouth_speed_width_z: float = 1.0
    mouth_hold_s: float = 0.2
    nose_z: float = 2.5
    width_z: float = 0.5               # logistic width of the z-score tests


def face_params(calibration: dict | None = None) -> FaceCueParams:
    """The face parameters in force: ``calibration`` (default: the shipped one) over the code defaults.

    Parameters
    ----------
    calibration : dict or None
        a calibration (default: the shipped ``calibration.json``)

    Returns
    -------
    FaceCueParams
        the face parameters in force
    """
    return from_section(FaceCueParams, "face", calibration)

# MediaPipe face-mesh indices (r = the person's right, on the image's left).
EYE_R = {"outer": 33, "inner": 133, "upper": (160, 159, 158), "lower": (144, 145, 153), "iris": 468}
EYE_L = {"outer": 263, "inner": 362, "upper": (387, 386, 385), "lower": (373, 374, 380), "iris": 473}
BROW_R = {"inner": (107, 55), "outer": (70, 46)}
BROW_L = {"inner": (336, 285), "outer": (300, 276)}
MOUTH_R, MOUTH_L = 61, 291
LIP_UPPER_OUT, LIP_UPPER_IN, LIP_LOWER_IN, LIP_LOWER_OUT = 0, 13, 14, 17
NOSE_TIP, NOSE_BASE, BETWEEN_BROWS = 1, 2, 168
NOSTRIL_R, NOSTRIL_L = 129, 358
CHIN = 152

SIGNALS: tuple[str, ...] = (
    "face.eye_open_l", "face.eye_open_r", "face.brow_inner_l", "face.brow_inner_r",
    "face.brow_outer_l", "face.brow_outer_r", "face.brow_gap", "face.iris_x", "face.iris_y",
    "face.mouth_lift", "face.mouth_width", "face.lip_open", "face.lip_thickness",
    "face.lip_protrusion", "face.jaw_open", "face.nose_brow", "face.nostril_width", "face.chin",
    "face.yaw", "face.pitch", "face.roll", "face.cx", "face.cy", "face.size")

# Smallest baseline scale per signal, in its own units: a very still face must not turn landmark
# jitter into large z-scores. Roughly the frame-to-frame jitter of MediaPipe on a still face.
SCALE_FLOORS: dict[str, float] = {
    "face.eye_open_l": 0.02, "face.eye_open_r": 0.02, "face.brow_inner_l": 0.01,
    "face.brow_inner_r": 0.01, "face.brow_outer_l": 0.01, "face.brow_outer_r": 0.01,
    "face.brow_gap": 0.01, "face.iris_x": 0.02, "face.iris_y": 0.02, "face.mouth_lift": 0.01,
    "face.mouth_width": 0.015, "face.lip_open": 0.01, "face.lip_thickness": 0.01,
    "face.lip_protrusion": 0.01, "face.jaw_open": 0.015, "face.nose_brow": 0.01,
    "face.nostril_width": 0.008, "face.chin": 0.01, "face.yaw": 1.0, "face.pitch": 1.0,
    "face.roll": 1.0,
}

CUES: tuple[str, ...] = ("close2", "close1", "squint", "frown", "eyebrow", "gaze", "eye_roll", "open",
                         "smile", "pout", "lip_press", "hanging", "mouth", "nose")

# Columns that, when present beside the face signals, say the person is speaking.
SPEECH_COLUMNS: tuple[str, ...] = ("audio.speech", "audio.present")

# The FrameTable columns this module writes (collected by levelone.frametable.schema): the face-mesh
# geometry of face_signals, (unit, low, high) as in the module docstring, and face_cues' output.
SIGNAL_UNITS: dict[str, tuple[str, float | None, float | None]] = {
    "face.eye_open_l": ("eyelid gap / eye width", 0.0, None), "face.eye_open_r": ("eyelid gap / eye width", 0.0, None),
    "face.brow_inner_l": ("IOD", None, None), "face.brow_inner_r": ("IOD", None, None),
    "face.brow_outer_l": ("IOD", None, None), "face.brow_outer_r": ("IOD", None, None),
    "face.brow_gap": ("IOD", 0.0, None), "face.iris_x": ("eye widths", None, None),
    "face.iris_y": ("eye widths", None, None), "face.mouth_lift": ("IOD", None, None),
    "face.mouth_width": ("IOD", 0.0, None), "face.lip_open": ("IOD", 0.0, None),
    "face.lip_thickness": ("IOD", 0.0, None), "face.lip_protrusion": ("IOD", None, None),
    "face.jaw_open": ("IOD", 0.0, None), "face.nose_brow": ("IOD", 0.0, None),
    "face.nostril_width": ("IOD", 0.0, None), "face.chin": ("IOD", 0.0, None),
    "face.yaw": ("deg", -180.0, 180.0), "face.pitch": ("deg", -180.0, 180.0), "face.roll": ("deg", -180.0, 180.0),
    "face.cx": ("fraction of frame width", None, None), "face.cy": ("fraction of frame height", None, None),
    "face.size": ("IOD / frame's longer side", 0.0, None)}
COLUMNS: tuple[ColumnSpec, ...] = (signal_columns(SIGNALS, SIGNAL_UNITS, __name__) + cue_columns("face", __name__)
                                   + affect_columns("face", __name__, arousal=True))


def _dist(p: np.ndarray, a, b) -> np.ndarray:
    pa = p[:, list(a)].mean(1) if isinstance(a, tuple) else p[:, a]
    pb = p[:, list(b)].mean(1) if isinstance(b, tuple) else p[:, b]
    return np.linalg.norm(pa - pb, axis=-1)


def eye_openness(landmarks: np.ndarray, eye: dict) -> np.ndarray:
    """Eyelid gap / eye width for one eye, (n,): mean of three vertical lid pairs, 3D distances.

    Parameters
    ----------
    landmarks : ndarray, shape (n, 478, 3)
        face-mesh landmarks (any consistent unit)
    eye : dict
        the eye's landmark indices (``LEFT_EYE``/``RIGHT_EYE``)

    Returns
    -------
    ndarray, shape (n,)
        eyelid gap / eye width (dimensionless)
    """
    gap = np.mean([_dist(landmarks, up, low) for up, low in zip(eye["upper"], eye["lower"])], axis=0)
    return gap / _dist(landmarks, eye["outer"], eye["inner"])


def interocular(landmarks: np.ndarray) -> np.ndarray:
    """Distance between the two eye centres (corner midpoints), (n,), in the landmarks' units.

    Parameters
    ----------
    landmarks : ndarray, shape (n, 478, 3)
        face-mesh landmarks

    Returns
    -------
    ndarray, shape (n,)
        inter-ocular distance (IOD), in the landmarks' units
    """
    c_r = landmarks[:, [EYE_R["outer"], EYE_R["inner"]]].mean(1)
    c_l = landmarks[:, [EYE_L["outer"], EYE_L["inner"]]].mean(1)
    return np.linalg.norm(c_l - c_r, axis=-1)


def brow_heights(head: np.ndarray, iod: np.ndarray, brow: dict, eye: dict) -> tuple[np.ndarray, np.ndarray]:
    """(inner, outer) brow height above the eye-corner midpoint, head frame, IOD units.

    Parameters
    ----------
    head : ndarray, shape (n, 478, 3)
        landmarks in the head frame
    iod : ndarray, shape (n,)
        inter-ocular distance per frame
    brow : dict
        the brow's landmark indices
    eye : dict
        the eye's landmark indices

    Returns
    -------
    ndarray, shape (n,)
        inner brow height above the eye-corner midpoint, IOD units
    ndarray, shape (n,)
        outer brow height, IOD units
    """
    eye_y = head[:, [eye["outer"], eye["inner"]], 1].mean(1)
    inner = head[:, list(brow["inner"]), 1].mean(1) - eye_y
    outer = head[:, list(brow["outer"]), 1].mean(1) - eye_y
    return inner / iod, outer / iod


def iris_offset(head: np.ndarray, eye: dict) -> tuple[np.ndarray, np.ndarray]:
    """Iris centre minus eye-corner midpoint in the head frame, (x, y) in eye widths.

    Parameters
    ----------
    head : ndarray, shape (n, 478, 3)
        landmarks in the head frame (with iris points)
    eye : dict
        the eye's landmark indices

    Returns
    -------
    ndarray, shape (n,)
        horizontal iris offset from the eye-corner midpoint, eye widths
    ndarray, shape (n,)
        vertical offset, eye widths
    """
    mid = head[:, [eye["outer"], eye["inner"]]].mean(1)
    width = np.linalg.norm(head[:, eye["outer"]] - head[:, eye["inner"]], axis=-1)
    off = head[:, eye["iris"]] - mid
    return off[:, 0] / width, off[:, 1] / width


def mouth_measures(head: np.ndarray, iod: np.ndarray) -> dict[str, np.ndarray]:
    """Mouth-corner lift, width, inner-lip opening, lip thickness and protrusion (IOD units).

    Parameters
    ----------
    head : ndarray, shape (n, 478, 3)
        landmarks in the head frame
    iod : ndarray, shape (n,)
        inter-ocular distance per frame

    Returns
    -------
    dict of str to ndarray, shape (n,)
        corner lift, width, inner-lip opening, lip thickness, protrusion; IOD units
    """
    corners = head[:, [MOUTH_R, MOUTH_L]]
    centre = head[:, [LIP_UPPER_IN, LIP_LOWER_IN]].mean(1)
    lift = corners[:, :, 1].mean(1) - centre[:, 1]
    return {
        "face.mouth_lift": lift / iod,
        "face.mouth_width": _dist(head, MOUTH_R, MOUTH_L) / iod,
        "face.lip_open": _dist(head, LIP_UPPER_IN, LIP_LOWER_IN) / iod,
        "face.lip_thickness": (_dist(head, LIP_UPPER_OUT, LIP_UPPER_IN)
                               + _dist(head, LIP_LOWER_IN, LIP_LOWER_OUT)) / iod,
        "face.lip_protrusion": (head[:, [LIP_UPPER_OUT, LIP_LOWER_OUT], 2].mean(1)
                                - corners[:, :, 2].mean(1)) / iod,
    }


def face_signals(landmarks: np.ndarray, frame_size: tuple[int, int] | None = None) -> pd.DataFrame:
    """All ``face.*`` raw signals (float32, one row per frame) from (n, 478, 3) landmarks.

    ``frame_size`` = (width, height) of the frames the landmarks are in, for ``face.cx/cy/size``
    (NaN without it). All-NaN landmark rows give all-NaN signal rows.

    Parameters
    ----------
    landmarks : ndarray, shape (n, 478, 3)
        face-mesh landmarks, x and y in pixels (NaN rows: no face)
    frame_size : (int, int) or None
        (width, height) of the frames, pixels

    Returns
    -------
    DataFrame, n rows
        every ``face.*`` raw signal, float32
    """
    lm = np.asarray(landmarks, np.float64)
    if lm.ndim != 3 or lm.shape[1:] != (478, 3):
        raise ValueError(f"landmarks must be (n, 478, 3), got {lm.shape}")
    n = len(lm)
    out: dict[str, np.ndarray] = {c: np.full(n, np.nan) for c in SIGNALS}
    ok = np.isfinite(lm).all(axis=(1, 2))
    if ok.any():
        p = lm[ok]
        rot = head_axes(p)
        head = to_head_frame(p, rot)
        iod = interocular(p)
        vals: dict[str, np.ndarray] = {}
        vals["face.eye_open_l"] = eye_openness(p, EYE_L)
        vals["face.eye_open_r"] = eye_openness(p, EYE_R)
        vals["face.brow_inner_l"], vals["face.brow_outer_l"] = brow_heights(head, iod, BROW_L, EYE_L)
        vals["face.brow_inner_r"], vals["face.brow_outer_r"] = brow_heights(head, iod, BROW_R, EYE_R)
        vals["face.brow_gap"] = _dist(head, BROW_R["inner"], BROW_L["inner"]) / iod
        xr, yr = iris_offset(head, EYE_R)
        xl, yl = iris_offset(head, EYE_L)
        vals["face.iris_x"], vals["face.iris_y"] = (xr + xl) / 2, (yr + yl) / 2
        vals.update(mouth_measures(head, iod))
        vals["face.jaw_open"] = _dist(head, NOSE_BASE, CHIN) / iod
        vals["face.nose_brow"] = _dist(head, NOSE_TIP, BETWEEN_BROWS) / iod
        vals["face.nostril_width"] = _dist(head, NOSTRIL_R, NOSTRIL_L) / iod
        vals["face.chin"] = _dist(head, LIP_LOWER_OUT, CHIN) / iod
        vals["face.yaw"], vals["face.pitch"], vals["face.roll"] = angles(rot)
        if frame_size is not None:
            w, h = frame_size
            vals["face.cx"] = p[:, :, 0].mean(1) / w
            vals["face.cy"] = p[:, :, 1].mean(1) / h
            vals["face.size"] = iod / max(w, h)
        for k, v in vals.items():
            out[k][ok] = v
    return pd.DataFrame({k: v.astype(np.float32) for k, v in out.items()})


def _speech(signals: pd.DataFrame) -> np.ndarray | None:
    """Probability-like speech flag (n,) from an audio column beside the face signals; None when
    the recording carries no audio evidence at all (no audio track, or no audio column).

    Then whether the person is talking is unknown, and a talking mouth must not read as a
    hanging one: absence of audio is never evidence (the 200 s FG-NET conversation, filmed
    without sound, read ``face.hanging`` in 28% of its frames when no audio counted as silence).
    """
    for c in SPEECH_COLUMNS:
        if c in signals.columns:
            v = signals[c].to_numpy(np.float64)
            if c == "audio.present" and not np.nan_to_num(v).any():
                return None
            return np.nan_to_num(v, nan=0.0).clip(0, 1)
    return None


def blink_rate_excess(closed: np.ndarray, fps: float, window_s: float = 3.0) -> np.ndarray:
    """Blinks in a centred window divided by the video's blink count in a window of that length.

    ``closed`` is a (n,) closure activation; a blink is an upward crossing of 0.5. Returns the
    ratio (1 = the person's usual rate here); NaN-free.

    Parameters
    ----------
    closed : ndarray, shape (n,)
        eye-closure activation in [0, 1]
    fps : float
        frame rate, frames per second
    window_s : float
        centred window, seconds

    Returns
    -------
    ndarray, shape (n,)
        blinks in the window / the video's usual count for that length (1: usual)
    """
    c = np.nan_to_num(closed, nan=0.0) > 0.5
    onsets = np.flatnonzero(c[1:] & ~c[:-1]) + 1
    n = len(c)
    if n == 0:
        return np.zeros(0)
    win = min(n, max(1, int(round(window_s * fps))))
    marks = np.zeros(n)
    marks[onsets] = 1.0
    local = np.convolve(marks, np.ones(win), mode="same")
    usual = max(len(onsets) * win / n, 0.5)  # at least one blink every 2 windows: avoid 0-division
    return local / usual


def face_cues(signals: pd.DataFrame, baseline: Baseline | None, fps: float,
              params: FaceCueParams | None = None, calibration: dict | None = None) -> pd.DataFrame:
    """``cue.face.<id>`` in [0, 1] for every measurable face cue, plus ``affect.face.valence|arousal|confidence``.

    ``signals`` holds the ``face.*`` columns (and optionally a speech column, see
    ``SPEECH_COLUMNS``, which gates *hanging* and *mouth*). ``baseline`` is the person's
    :class:`Baseline`; columns it lacks are normalised against this video. NaN where no face.
    ``params``/``calibration`` default to the shipped calibration (:mod:`levelone.params`).

    Parameters
    ----------
    signals : DataFrame, n rows
        ``face.*`` signals (:func:`face_signals`), optionally a speech column
    baseline : Baseline or None
        the person's baseline (None: this video's own)
    fps : float
        frame rate, frames per second
    params : FaceCueParams or None
        default: :func:`face_params`
    calibration : dict or None
        default: the shipped calibration

    Returns
    -------
    DataFrame, n rows
        ``cue.face.*`` in [0, 1], ``affect.face.valence|arousal`` in [-1, 1],
        ``affect.face.confidence`` in [0, 1]
    """
    p = face_params(calibration) if params is None else params
    w = p.width_z
    base = _fill_baseline(baseline, signals).with_floor(SCALE_FLOORS)
    present = signals["face.present"].to_numpy(bool) if "face.present" in signals else \
        signals["face.eye_open_l"].notna().to_numpy()

    def z(col: str) -> np.ndarray:
        return base.zscore(signals, col).astype(np.float64)

    def ratio(col: str) -> np.ndarray:
        return signals[col].to_numpy(np.float64) / max(base.median.get(col, np.nan), 1e-6)

    def frames(seconds: float) -> int:
        return int(round(seconds * fps))

    speech = _speech(signals)
    quiet = np.zeros(len(signals)) if speech is None else 1.0 - speech
    zo_l, zo_r = z("face.eye_open_l"), z("face.eye_open_r")
    r_l, r_r = ratio("face.eye_open_l"), ratio("face.eye_open_r")
    # closure: both eyes under closed_ratio of their usual openness
    closed = squash(-(np.fmax(r_l, r_r) - p.closed_ratio) / p.closed_width_ratio, 0.0)
    cue: dict[str, np.ndarray] = {}
    cue["close2"] = np.fmax(sustained(closed, frames(p.close_hold_s)),
                            squash(blink_rate_excess(closed, fps, p.blink_window_s), p.blink_excess_ratio,
                                   p.blink_excess_width_ratio) * present)
    lo, hi = np.fmin(r_l, r_r), np.fmax(r_l, r_r)
    cue["close1"] = squash((p.closed_ratio - lo) / p.closed_width_ratio, 0.0) * \
        squash((hi - p.close1_open_ratio) / p.closed_width_ratio, 0.0)
    z_open = (zo_l + zo_r) / 2
    cue["squint"] = sustained(squash(-z_open, p.squint_z, w) * (1 - closed), frames(p.squint_hold_s))
    z_gap = z("face.brow_gap")
    z_inner = (z("face.brow_inner_l") + z("face.brow_inner_r")) / 2
    cue["frown"] = np.fmin(squash(-z_gap, p.frown_gap_z, w), squash(-z_inner, p.frown_inner_z, w))
    z_outer = np.fmax(np.abs(z("face.brow_outer_l")), np.abs(z("face.brow_outer_r")))
    cue["eyebrow"] = squash(z_outer, p.eyebrow_z, w)
    z_ix, z_iy = z("face.iris_x"), z("face.iris_y")
    cue["gaze"] = squash(np.hypot(z_ix, z_iy), p.gaze_z, w) * (1 - closed)
    up = squash(z_iy, p.eye_roll_z, w) * (1 - closed)
    cue["eye_roll"] = tophat(up, frames(p.eye_roll_max_s))  # brief excursions only
    cue["open"] = squash(np.fmin(zo_l, zo_r), p.open_z, w)
    z_lift, z_width = z("face.mouth_lift"), z("face.mouth_width")
    cue["smile"] = squash(0.6 * z_lift + 0.4 * z_width, p.smile_z, w)
    cue["pout"] = squash(0.5 * (-z_width) + 0.5 * (-z_lift) + 0.25 * np.fmax(z("face.lip_protrusion"), 0), p.pout_z, w)
    lips_closed = squash(-(signals["face.lip_open"].to_numpy(np.float64) - p.lips_closed_iod) / p.lips_closed_width_iod,
                         0.0)
    cue["lip_press"] = squash(-z("face.lip_thickness"), p.lip_press_z, w) * lips_closed
    z_lipopen = np.fmax(z("face.lip_open"), z("face.jaw_open"))
    cue["hanging"] = sustained(squash(z_lipopen, p.hanging_z, w) * quiet, frames(p.hanging_hold_s))
    shape = np.stack([z("face.lip_open"), z_width, z_lift])
    speed = np.sqrt((gradient(shape, axis=1) ** 2).sum(0)) * fps  # baseline units per second
    explained = np.fmax.reduce([cue["smile"], cue["pout"], cue["lip_press"]])
    cue["mouth"] = hold(squash(robust_z(speed), p.mouth_speed_z, p.mouth_speed_width_z) * quiet * (1 - explained),
                        frames(p.mouth_hold_s))
    cue["nose"] = squash(np.fmax(np.abs(z("face.nose_brow")), np.abs(z("face.nostril_width"))), p.nose_z, w)
    if speech is None:  # no audio at all: whether the person talks is unknown, so these are not measured
        cue["hanging"] = cue["mouth"] = np.full(len(signals), np.nan)
    cue = apply_operating_points(cue, "face", calibration)

    out = {f"cue.face.{k}": np.where(present, np.clip(v, 0, 1), np.nan).astype(np.float32)
           for k, v in cue.items()}
    valence, arousal, confidence = _affect(cue, signals, present, baseline, fps)
    out["affect.face.valence"] = valence
    out["affect.face.arousal"] = arousal
    out["affect.face.confidence"] = confidence
    return pd.DataFrame(out, index=signals.index)


def _evidence(a: np.ndarray) -> np.ndarray:
    """Activation above the 0.5 threshold, rescaled to [0, 1] (0 at or below threshold)."""
    return np.clip(2 * np.nan_to_num(a, nan=0.0) - 1, 0, 1)


# Weight of the mesh geometry (smile up; frown, pout, lip press down, each against the person's
# baseline face) beside the expression model's centred valence, once the baseline is the person's
# usual face (FACE_FULL_S seconds of it; less in proportion). Geometry is evidence of a *change* from
# that face only: against a 2 s clip's own baseline it is noise, and on CREMA-D it hurt (weight 0.5
# at full strength moved the happy clip from +0.35 to +0.21 and the disgusted one to +0.06, since the
# smile measure also widens on disgust and fear; benchmarks/affect.py). Not fitted: no labelled long
# recordings here; a quarter of the model's unit lets a clear smile tip a neutral reading only.
GEOMETRY_WEIGHT = 0.25
# Yaw (degrees) up to which the face counts as frontal, and at which it stops counting.
FRONTAL_DEG, PROFILE_DEG = 30.0, 60.0


# Baseline entries that, when present, hold the expression reading of the person's declared neutral
# face (:func:`declare_neutral`) and are used as the reference at full weight.
NEUTRAL_KEYS = {"valence": "face.neutral_valence", "arousal": "face.neutral_arousal"}


def declare_neutral(baseline: Baseline, signals: pd.DataFrame) -> Baseline:
    """A copy of ``baseline`` whose facial-affect reference is ``signals``' expression reading.

    For a recording known to show the person's neutral face (a calibration recording, CREMA-D's
    neutral clip): its median reading becomes the person's neutral whatever its length, instead of
    being blended with the population's as an unlabelled short recording is.

    Parameters
    ----------
    baseline : Baseline
        the person's baseline
    signals : DataFrame
        ``face.*`` signals of the neutral recording

    Returns
    -------
    Baseline
        a copy whose facial-affect reference is that recording's reading
    """
    cols = [f"face.expr_{e}" for e in EMOTIONS]
    probs = signals[cols].to_numpy(np.float64)
    ok = np.isfinite(probs).all(axis=1)
    if not ok.any():
        raise ValueError("the declared neutral recording has no face with expression probabilities")
    med = np.median(probs[ok], axis=0)[None, :]
    median = {**baseline.median, NEUTRAL_KEYS["valence"]: float(expression_valence(med)[0]),
              NEUTRAL_KEYS["arousal"]: float(expression_arousal(med)[0])}
    return replace(baseline, median=median, scale=dict(baseline.scale), count=dict(baseline.count))


def expression_reference(baseline: Baseline | None, signals: pd.DataFrame, fps: float,
                         mapping=expression_valence, population: float | None = None) -> float:
    """The expression model's reading of the person's neutral face (a valence or arousal value).

    A declared neutral (:func:`declare_neutral`) is used as it is. Otherwise the person's own
    reading is ``mapping`` of their median class probabilities (from ``baseline`` when it holds
    them, else from this video), blended with the population's
    (:data:`levelone.affectnorms.FACE_POPULATION`) until the person has ``FACE_FULL_S`` seconds
    of face (:func:`levelone.affectnorms.blend_reference`).

    Parameters
    ----------
    baseline : Baseline or None
        the person's baseline
    signals : DataFrame
        ``face.*`` signals of this video
    fps : float
        frame rate, frames per second
    mapping : callable
        class probabilities -> valence or arousal
    population : float or None
        the population's reading (default: ``FACE_POPULATION``)

    Returns
    -------
    float
        the reading of the person's neutral face, in [-1, 1]
    """
    cols = [f"face.expr_{e}" for e in EMOTIONS]
    key = "arousal" if mapping is expression_arousal else "valence"
    if baseline is not None and NEUTRAL_KEYS[key] in baseline.median:
        return float(baseline.median[NEUTRAL_KEYS[key]])
    if population is None:
        population = FACE_POPULATION[key]
    if baseline is not None and all(c in baseline.median for c in cols):
        med = np.array([baseline.median[c] for c in cols])
        n = baseline.n_frames
    else:
        probs = signals[cols].to_numpy(np.float64) if all(c in signals for c in cols) else np.full((0, 7), np.nan)
        ok = np.isfinite(probs).all(axis=1)
        med = np.median(probs[ok], axis=0) if ok.any() else np.full(7, np.nan)
        n = int(ok.sum())
    personal = float(mapping(med[None, :])[0]) if np.isfinite(med).all() else np.nan
    return blend_reference(personal, population, n / fps if fps else 0.0, FACE_FULL_S)


def _baseline_s(baseline: Baseline | None, signals: pd.DataFrame, fps: float) -> float:
    """Seconds of recording the person's baseline rests on (this video's length without one)."""
    n = baseline.n_frames if baseline is not None and baseline.n_frames else len(signals)
    return n / fps if fps else 0.0


def _affect(cue: dict[str, np.ndarray], signals: pd.DataFrame, present: np.ndarray,
            baseline: Baseline | None, fps: float):
    """Facial (valence, arousal, confidence): the expression model centred on the person's neutral,
    plus the mesh geometry's change from their baseline face.

    valence = clip(model valence - the person's neutral reading + w x geometry), w = GEOMETRY_WEIGHT
    scaled by how much of a personal baseline there is (:func:`levelone.affectnorms.personal_weight`);
    arousal = model arousal - the person's neutral reading (NaN without the model: the mesh alone
    gives no absolute arousal). The model's class coordinates come from the literature
    (:data:`levelone.face.affect.CLASS_VALENCE`), the neutral from the person or the population
    (:func:`expression_reference`). Confidence is high where the face is near-frontal, the evidence
    strong, the model sure of its class, and geometry and model agree in sign.
    """
    pos = _evidence(cue["smile"])
    neg = np.fmax.reduce([_evidence(cue["frown"]), _evidence(cue["pout"]), 0.7 * _evidence(cue["lip_press"])])
    geometry = np.clip(pos - neg, -1, 1)
    agreement = 1 - np.fmin(pos, neg)  # smile and frown at once: unsure
    cols = [f"face.expr_{e}" for e in EMOTIONS]
    arousal = np.full(len(signals), np.nan)
    if all(c in signals.columns for c in cols) and signals[cols].notna().any().any():
        probs = signals[cols].to_numpy(np.float64)
        model = centre(expression_valence(probs),
                       expression_reference(baseline, signals, fps, expression_valence))
        arousal = centre(expression_arousal(probs),
                         expression_reference(baseline, signals, fps, expression_arousal))
        has = np.isfinite(model)
        model = np.nan_to_num(model)
        w = GEOMETRY_WEIGHT * personal_weight(_baseline_s(baseline, signals, fps), FACE_FULL_S)
        valence = np.where(has, np.clip(model + w * geometry, -1, 1), geometry)
        agreement = agreement * (1 - 0.5 * np.clip(-geometry * model, 0, 1))
        sure = np.where(has, 0.5 + 0.5 * np.nan_to_num(np.nanmax(np.where(np.isfinite(probs), probs, -1), axis=1)), 1.0)
    else:
        valence, sure = geometry, 1.0
    yaw = np.abs(signals["face.yaw"].to_numpy(np.float64))
    frontal = np.clip((PROFILE_DEG - np.nan_to_num(yaw, nan=90)) / (PROFILE_DEG - FRONTAL_DEG), 0, 1)
    confidence = frontal * agreement * sure * (0.3 + 0.7 * np.abs(valence))
    valence = np.where(present, valence, np.nan).astype(np.float32)
    arousal = np.where(present, arousal, np.nan).astype(np.float32)
    confidence = np.where(present, confidence, 0.0).clip(0, 1).astype(np.float32)
    return valence, arousal, confidence


def _fill_baseline(baseline: Baseline | None, signals: pd.DataFrame) -> Baseline:
    """The person's baseline, with any face column it lacks fitted on this video."""
    own = Baseline.fit([signals[[c for c in SIGNALS if c in signals.columns]]])
    if baseline is None:
        return own
    med, scale = dict(own.median), dict(own.scale)
    med.update({k: v for k, v in baseline.median.items() if k.startswith("face.")})
    scale.update({k: v for k, v in baseline.scale.items() if k.startswith("face.")})
    return Baseline(med, scale, max(baseline.n_frames, own.n_frames))
