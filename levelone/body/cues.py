"""Body signals from MediaPipe pose, head-pose dynamics, codebook body cues and body affect.

Plain functions, librosa style (the temporal helpers they use live in :mod:`levelone.temporal`):
:func:`pose_signals` turns (n, 33, 4) pose landmarks (x, y in pixels, z, visibility) into the raw
  ``body.*`` columns, and :func:`body_cues` turns ``face.yaw/pitch/roll`` plus ``body.*`` into
  ``cue.body.<id>`` in [0, 1] and ``affect.body.valence|confidence``.

Raw ``body.*`` units: positions and the shoulder width are fractions of the frame's longer side
(``body.torso_x/y``, ``body.shoulder_width``); ``body.shoulder_raise_l/r`` is the shoulder's height
relative to the nose in shoulder widths (higher = shrug; about -0.6 normally);
``body.shoulder_y`` is the shoulder line's height (up positive, fraction of the longer side);
``body.wrist_l*/r*`` are wrist positions relative to the shoulder centre in shoulder widths (x
image-right, y up), NaN when the wrist is not visible; ``body.wrist_vis_l/r`` is MediaPipe's
visibility in [0, 1]; ``body.wrist_face_l/r`` is the wrist-to-nose distance in shoulder widths.

Speeds and oscillations are derived inside :func:`body_cues` (they need ``fps``) and normalised
against this video's own robust statistics; levels are normalised against the person's baseline.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from levelone.columns import ColumnSpec, affect_columns, cue_columns, signal_columns
from levelone.baseline import MAD_TO_SD, Baseline, squash
from levelone.temporal import (gradient, hold, interpolate_gaps, jitter, oscillation, periodicity, robust_z,
                               smooth, sustained)
from levelone.params import apply_operating_points, from_section

VERSION = "2"

NOSE, SHOULDER_L, SHOULDER_R, WRIST_L, WRIST_R, HIP_L, HIP_R = 0, 11, 12, 15, 16, 23, 24
VISIBLE = 0.5

SIGNALS: tuple[str, ...] = (
    "body.shoulder_width", "body.shoulder_raise_l", "body.shoulder_raise_r", "body.shoulder_y",
    "body.torso_x", "body.torso_y", "body.wrist_vis_l", "body.wrist_vis_r", "body.wrist_lx",
    "body.wrist_ly", "body.wrist_rx", "body.wrist_ry", "body.wrist_face_l", "body.wrist_face_r")

SCALE_FLOORS: dict[str, float] = {
    "body.shoulder_raise_l": 0.02, "body.shoulder_raise_r": 0.02, "body.wrist_vis_l": 0.1,
    "body.wrist_vis_r": 0.1, "face.yaw": 1.0, "face.pitch": 1.0, "face.roll": 1.0,
}

CUES: tuple[str, ...] = ("look_away", "shake", "tilt", "throw", "sigh", "nod", "shrug", "hands",
                         "posture", "scratch", "restless")
HEAD_CUES = frozenset({"look_away", "shake", "tilt", "throw", "nod"})

# The FrameTable columns this module writes (collected by levelone.frametable.schema): pose_signals'
# raw body.* signals, (unit, low, high) as in the module docstring, and body_cues' output.
SIGNAL_UNITS: dict[str, tuple[str, float | None, float | None]] = {
    "body.shoulder_width": ("frame's longer side", 0.0, None),
    "body.shoulder_raise_l": ("shoulder widths", None, None), "body.shoulder_raise_r": ("shoulder widths", None, None),
    "body.shoulder_y": ("frame's longer side", None, None), "body.torso_x": ("frame's longer side", None, None),
    "body.torso_y": ("frame's longer side", None, None), "body.wrist_vis_l": ("probability", 0.0, 1.0),
    "body.wrist_vis_r": ("probability", 0.0, 1.0), "body.wrist_lx": ("shoulder widths", None, None),
    "body.wrist_ly": ("shoulder widths", None, None), "body.wrist_rx": ("shoulder widths", None, None),
    "body.wrist_ry": ("shoulder widths", None, None), "body.wrist_face_l": ("shoulder widths", 0.0, None),
    "body.wrist_face_r": ("shoulder widths", 0.0, None)}
COLUMNS: tuple[ColumnSpec, ...] = (signal_columns(SIGNALS, SIGNAL_UNITS, __name__) + cue_columns("body", __name__)
                                   + affect_columns("body", __name__))




@dataclass(frozen=True)
class BodyCueParams:
    """Body cue thresholds with their units: ``*_deg`` head angle in degrees, ``*_s`` seconds,
    ``*_z`` robust z-score (baseline units), ``*_sw`` shoulder widths, ``*_sw_per_s`` shoulder widths
    per second, ``*_hz`` Hz. Head angles are already independent of the face's size in pixels.
    Values in force come from ``levelone/data/calibration.json`` (:func:`body_params`)."""

    smooth_s: float = 0.1               # head-angle smoothing before any head cue
    look_away_deg: float = 12.0
    look_away_width_deg: float = 2.0
    look_away_hold_s: float = 0.5
    tilt_deg: float = 8.0
    tilt_width_deg: float = 1.5
    tilt_hold_s: float = 0.5
    # nod / shake: a back-and-forth of swings on the dominant axis
    swing_min_deg: float = 4.0          # a swing is at least this large ...
    swing_speech_factor: float = 3.0    # ... and this many times the person's speech-related head motion
    swing_jitter_factor: float = 4.0    # ... and this many times the tracker's frame-to-frame noise
    swing_window_s: float = 1.5         # two swings inside this window are one back-and-forth
    swing_max_s: float = 1.0            # a swing slower than this is a drift, not a gesture
    swings_for_gesture: float = 1.5     # swing count at which nod/shake reads 0.5
    swings_width: float = 0.4
    motion_band_s: tuple[float, float] = (0.1, 1.0)  # band-pass (smoothing lengths) for head motion
    dominance_ratio: float = 1.5        # nod: pitch motion this many times the yaw motion (shake: vice versa)
    dominance_width: float = 0.25       # logistic width on log(ratio)
    throw_z: float = 5.0
    throw_deg_per_s: float = 60.0
    throw_width_deg_per_s: float = 15.0
    throw_floor_deg_per_s: float = 5.0
    throw_hold_s: float = 0.3
    sigh_band_s: tuple[float, float] = (0.3, 4.0)
    sigh_z: float = 3.0
    sigh_hold_s: float = 1.0
    shrug_z: float = 2.0                # both shoulders up (mean z) ...
    shrug_one_z: float = 3.0            # ... or one shoulder clearly up
    shrug_hold_s: float = 0.3           # held at least this long (pose jitter is shorter)
    shrug_min_sw: float = 0.06          # and the shoulders rise at least this much (shoulder widths)
    hands_z: float = 2.0
    hands_speed_sw_per_s: float = 0.5
    hands_speed_z: float = 2.5
    posture_window_s: float = 5.0
    posture_sw: float = 0.15            # torso shift (shoulder widths) or log scale change
    posture_width_sw: float = 0.04
    scratch_near_sw: float = 0.7        # wrist within this distance of the nose
    scratch_speed_sw_per_s: float = 0.3
    scratch_hold_s: float = 0.3
    restless_window_s: float = 3.0
    restless_band_hz: tuple[float, float] = (0.5, 3.0)
    restless_periodicity: float = 0.5   # autocorrelation peak in the band
    restless_amplitude_ratio: float = 2.0  # window SD / the person's quieter moments
    restless_quiet_quantile: float = 0.2
    width_z: float = 0.5


def body_params(calibration: dict | None = None) -> BodyCueParams:
    """The body parameters in force: ``calibration`` (default: the shipped one) over the code defaults."""
    return from_section(BodyCueParams, "body", calibration)


# ----------------------------------------------------------------------------- raw pose signals
# The landmarks pose_signals reads: the vision pass keeps only these (112 bytes a frame, not 528).
POSE_POINTS: tuple[int, ...] = (NOSE, SHOULDER_L, SHOULDER_R, WRIST_L, WRIST_R, HIP_L, HIP_R)
POSE_BLOCK_FRAMES = 4096  # frames turned into signals at a time (float64 working copies stay small)


def pose_signals(landmarks: np.ndarray, frame_size: tuple[int, int],
                 points: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Raw ``body.*`` signals (float32) from (n, 33, 4) pose landmarks: x, y pixels, z, visibility.

    Rows whose landmarks are NaN (no pose found) or whose shoulders are not visible are NaN.
    ``points``: the MediaPipe landmark ids the second axis holds (None: all 33 in order;
    :data:`POSE_POINTS`: only the ones read here, as the vision pass keeps them). A pose is found
    or lost whole, so a row's held landmarks are finite exactly when all 33 are. Worked through
    ``POSE_BLOCK_FRAMES`` rows at a time: every value is computed from its own row, so the
    result is the same as in one piece, and an hour's landmarks never exist in float64.
    """
    held = tuple(range(33)) if points is None else tuple(points)
    lm = np.asarray(landmarks)
    if lm.ndim != 3 or lm.shape[1:] != (len(held), 4):
        raise ValueError(f"pose landmarks must be (n, {len(held)}, 4), got {lm.shape}")
    lacking = [p for p in POSE_POINTS if p not in held]
    if lacking:
        raise ValueError(f"pose landmarks lack the points {lacking} that pose_signals reads")
    at = {p: k for k, p in enumerate(held)}
    blocks = [_pose_block(lm[a:a + POSE_BLOCK_FRAMES], frame_size, at)
              for a in range(0, max(len(lm), 1), POSE_BLOCK_FRAMES)]
    return pd.DataFrame({k: np.concatenate([blk[k] for blk in blocks]) for k in blocks[0]})


def _pose_block(landmarks: np.ndarray, frame_size: tuple[int, int], at: dict[int, int]) -> dict[str, np.ndarray]:
    """:func:`pose_signals` of some rows; ``at`` maps a landmark id to its index on axis 1."""
    lm = np.asarray(landmarks, np.float64)
    w, h = frame_size
    side = float(max(w, h))
    vis = lm[..., 3]
    ok = np.isfinite(lm).all(axis=(1, 2)) & (vis[:, at[SHOULDER_L]] >= VISIBLE) & (vis[:, at[SHOULDER_R]] >= VISIBLE)
    xy = lm[..., :2].copy()
    xy[..., 1] *= -1.0  # y up
    sh_l, sh_r, nose = xy[:, at[SHOULDER_L]], xy[:, at[SHOULDER_R]], xy[:, at[NOSE]]
    sw = np.linalg.norm(sh_l - sh_r, axis=-1)
    sw = np.where(sw > 1e-6, sw, np.nan)
    centre = (sh_l + sh_r) / 2
    hips_ok = (vis[:, at[HIP_L]] >= VISIBLE) & (vis[:, at[HIP_R]] >= VISIBLE)
    torso = np.where(hips_ok[:, None], (centre + (xy[:, at[HIP_L]] + xy[:, at[HIP_R]]) / 2) / 2, centre)
    out = {
        "body.shoulder_width": sw / side,
        "body.shoulder_raise_l": (sh_l[:, 1] - nose[:, 1]) / sw,
        "body.shoulder_raise_r": (sh_r[:, 1] - nose[:, 1]) / sw,
        "body.shoulder_y": (centre[:, 1] + h) / side,
        "body.torso_x": torso[:, 0] / side,
        "body.torso_y": (torso[:, 1] + h) / side,
        "body.wrist_vis_l": vis[:, at[WRIST_L]],
        "body.wrist_vis_r": vis[:, at[WRIST_R]],
    }
    for tag, idx in (("l", at[WRIST_L]), ("r", at[WRIST_R])):
        seen = vis[:, idx] >= VISIBLE
        rel = (xy[:, idx] - centre) / sw[:, None]
        out[f"body.wrist_{tag}x"] = np.where(seen, rel[:, 0], np.nan)
        out[f"body.wrist_{tag}y"] = np.where(seen, rel[:, 1], np.nan)
        out[f"body.wrist_face_{tag}"] = np.where(seen, np.linalg.norm(xy[:, idx] - nose, axis=-1) / sw, np.nan)
    return {k: np.where(ok, v, np.nan).astype(np.float32) for k, v in out.items()}


# ----------------------------------------------------------------------------- cues
def _col(df: pd.DataFrame, c: str) -> np.ndarray:
    return df[c].to_numpy(np.float64) if c in df.columns else np.full(len(df), np.nan)


def _fill_baseline(baseline: Baseline | None, signals: pd.DataFrame) -> Baseline:
    """The person's baseline for the body and head columns, with any it lacks fitted on this video."""
    cols = [c for c in signals.columns if (c.startswith("body.") or c in ("face.yaw", "face.pitch", "face.roll"))
            and pd.api.types.is_float_dtype(signals[c])]
    own = Baseline.fit([signals[cols]]) if cols else Baseline()
    if baseline is not None:
        own.median.update({k: v for k, v in baseline.median.items() if k in own.median})
        own.scale.update({k: v for k, v in baseline.scale.items() if k in own.scale})
    return own.with_floor(SCALE_FLOORS)


def decouple(x: np.ndarray, driver: np.ndarray) -> np.ndarray:
    """``x`` minus its least-squares linear dependence on ``driver`` (both (n,), NaN-aware).

    Speaking moves the head: on GRID clips head pitch rises 4-6 degrees with every mouth opening
    (correlation ~0.7). Removing the part of pitch that the lip opening predicts keeps speech from
    reading as nodding, while a nod, which the mouth does not predict, stays.
    """
    x = np.asarray(x, np.float64)
    d = np.asarray(driver, np.float64)
    ok = np.isfinite(x) & np.isfinite(d)
    if ok.sum() < 10 or np.std(d[ok]) < 1e-9:
        return x.copy()
    dc = d[ok] - d[ok].mean()
    beta = float((dc * (x[ok] - x[ok].mean())).sum() / (dc ** 2).sum())
    if beta <= 0:
        return x.copy()  # only the known coupling (mouth opens, head rises) is removed
    return x - beta * np.where(np.isfinite(d), d - d[ok].mean(), 0.0)


def band_motion(x: np.ndarray, fps: float, band_s: tuple[float, float]) -> np.ndarray:
    """Head motion in the gesture band: a short average minus a long one (degrees, NaN-aware)."""
    short, long = (max(1, int(round(t * fps))) for t in band_s)
    filled = interpolate_gaps(x)
    return np.where(np.isfinite(x), smooth(filled, short) - smooth(filled, long), np.nan)


def motion_scale(motion: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Robust size (1.4826 MAD about 0, degrees) of band-passed head motion, over frames with
    ``weight >= 0.5`` (speech) when there are at least 10 of them, else over all frames."""
    m = np.asarray(motion, np.float64)
    ok = np.isfinite(m)
    if weight is not None:
        sp = ok & (np.nan_to_num(weight) >= 0.5)
        if sp.sum() >= 10:
            ok = sp
    return float(MAD_TO_SD * np.median(np.abs(m[ok]))) if ok.any() else 0.0


def dominance(a: np.ndarray, b: np.ndarray, fps: float, p: "BodyCueParams") -> np.ndarray:
    """How much axis ``a``'s gesture-band motion dominates axis ``b``'s over the swing window, in
    [0, 1]: 0.5 where a's RMS is ``dominance_ratio`` times b's."""
    n = max(1, int(round(p.swing_window_s * fps)))
    ra = np.sqrt(smooth(np.nan_to_num(a) ** 2, n)) + 1e-3
    rb = np.sqrt(smooth(np.nan_to_num(b) ** 2, n)) + 1e-3
    return squash(np.log(ra / rb), np.log(p.dominance_ratio), p.dominance_width).astype(np.float64)


def head_cues(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray, fps: float,
              centre: tuple[float, float, float] | None = None,
              mouth: np.ndarray | None = None, speech: np.ndarray | None = None,
              params: "BodyCueParams | None" = None) -> dict[str, np.ndarray]:
    """look_away, shake, tilt, throw and nod activations (n,) from head angles in degrees.

    ``centre`` is the person's baseline (yaw, pitch, roll); the medians of these traces otherwise.
    ``mouth`` (lip opening, any unit) lets the nod detector ignore speech-driven pitch (:func:`decouple`).
    A nod is a pitch-dominant back-and-forth, a shake a yaw-dominant one (:func:`dominance`); a
    swing counts only when it is larger than ``swing_speech_factor`` times the person's own
    speech-related head motion on that axis (``speech``: per-frame speech fraction; all frames
    when absent), so talking with an animated head does not read as gestures.
    """
    p = body_params() if params is None else params
    angs = [np.asarray(a, np.float64) for a in (yaw, pitch, roll)]
    if centre is None:
        centre = tuple(float(np.nanmedian(a)) if np.isfinite(a).any() else 0.0 for a in angs)
    k = max(1, int(round(p.smooth_s * fps)))
    sy, sp, sr = (smooth(a, k) for a in angs)
    nod_trace = sp if mouth is None else smooth(decouple(angs[1], mouth), k)
    dy, dp, dr = sy - centre[0], sp - centre[1], sr - centre[2]
    cue: dict[str, np.ndarray] = {}
    cue["look_away"] = sustained(squash(np.hypot(dy, dp), p.look_away_deg, p.look_away_width_deg),
                                 int(round(p.look_away_hold_s * fps)))
    cue["tilt"] = sustained(squash(np.abs(dr), p.tilt_deg, p.tilt_width_deg), int(round(p.tilt_hold_s * fps)))
    m_yaw, m_pitch = band_motion(angs[0], fps, p.motion_band_s), band_motion(nod_trace, fps, p.motion_band_s)
    dom = {"shake": dominance(m_yaw, m_pitch, fps, p), "nod": dominance(m_pitch, m_yaw, fps, p)}
    for name, trace, motion in (("shake", sy, m_yaw), ("nod", nod_trace, m_pitch)):
        amp = max(p.swing_min_deg, p.swing_jitter_factor * jitter(trace),
                  p.swing_speech_factor * motion_scale(motion, speech))
        count = oscillation(trace, fps, amp, p.swing_window_s, p.swing_max_s)
        cue[name] = squash(count, p.swings_for_gesture, p.swings_width) * dom[name]
    speed = np.sqrt(sum(gradient(interpolate_gaps(a)) ** 2 for a in (sy, sp, sr))) * fps  # deg/s
    burst = np.fmin(squash(robust_z(speed, floor=p.throw_floor_deg_per_s), p.throw_z, 1.0),
                    squash(speed, p.throw_deg_per_s, p.throw_width_deg_per_s))
    cue["throw"] = hold(burst, int(round(p.throw_hold_s * fps)))
    return cue


def body_cues(signals: pd.DataFrame, baseline: Baseline | None, fps: float,
              params: BodyCueParams | None = None, calibration: dict | None = None) -> pd.DataFrame:
    """``cue.body.<id>`` in [0, 1] for every measurable body cue, plus ``affect.body.valence|confidence``.

    Head cues (look away, shake, tilt, throw, nod) need ``face.yaw/pitch/roll`` and are NaN where
    there is no face; torso and arm cues need ``body.*`` and are NaN where no pose was found.
    ``params``/``calibration`` default to the shipped calibration (:mod:`levelone.params`).
    """
    p = body_params(calibration) if params is None else params
    w = p.width_z
    n = len(signals)
    base = _fill_baseline(baseline, signals)
    face_ok = _col(signals, "face.yaw")
    face_ok = np.isfinite(face_ok) if "face.present" not in signals else signals["face.present"].to_numpy(bool)
    body_ok = np.isfinite(_col(signals, "body.shoulder_width")) if "body.present" not in signals \
        else signals["body.present"].to_numpy(bool)

    def z(c: str) -> np.ndarray:
        return base.zscore(signals, c).astype(np.float64)

    def frames(seconds: float) -> int:
        return int(round(seconds * fps))

    centre = tuple(base.median.get(f"face.{a}", np.nan) for a in ("yaw", "pitch", "roll"))
    speech = _col(signals, "audio.speech") if "audio.speech" in signals else None
    cue = head_cues(_col(signals, "face.yaw"), _col(signals, "face.pitch"), _col(signals, "face.roll"), fps,
                    centre if np.isfinite(centre).all() else None, mouth=_col(signals, "face.lip_open"),
                    speech=speech, params=p)

    sw = interpolate_gaps(_col(signals, "body.shoulder_width"))
    # sigh: a slow rise and fall of the shoulder line, 1-3 s, band-passed as a difference of averages
    shoulder = interpolate_gaps(_col(signals, "body.shoulder_y")) / np.where(sw > 0, sw, np.nan)
    bump = smooth(shoulder, frames(p.sigh_band_s[0])) - smooth(shoulder, frames(p.sigh_band_s[1]))
    cue["sigh"] = hold(squash(robust_z(bump, floor=0.01), p.sigh_z, 0.7), frames(p.sigh_hold_s))
    z_l, z_r = z("body.shoulder_raise_l"), z("body.shoulder_raise_r")
    rise_l, rise_r = (_col(signals, f"body.shoulder_raise_{t}") - base.median.get(f"body.shoulder_raise_{t}", np.nan)
                      for t in ("l", "r"))

    def enough(rise: np.ndarray) -> np.ndarray:  # a rise of at least shrug_min_sw, whatever the baseline's scale
        return squash((rise - p.shrug_min_sw) / (0.25 * p.shrug_min_sw), 0.0)

    both = squash((z_l + z_r) / 2, p.shrug_z, w) * enough((rise_l + rise_r) / 2)
    one = squash(np.fmax(z_l, z_r), p.shrug_one_z, w) * enough(np.fmax(rise_l, rise_r))
    cue["shrug"] = sustained(np.fmax(both, one), frames(p.shrug_hold_s))
    # hands: wrists shown more than usual, or moving
    vis = np.fmax(_col(signals, "body.wrist_vis_l"), _col(signals, "body.wrist_vis_r"))
    speeds = []
    for tag in ("l", "r"):
        wx, wy = _col(signals, f"body.wrist_{tag}x"), _col(signals, f"body.wrist_{tag}y")
        speeds.append(np.nan_to_num(np.hypot(gradient(smooth(wx, 3)), gradient(smooth(wy, 3))) * fps))
    wspeed = np.fmax(*speeds)  # shoulder widths per second
    moving = squash(wspeed, p.hands_speed_sw_per_s, 0.3 * p.hands_speed_sw_per_s) * \
        squash(robust_z(wspeed, floor=0.1), p.hands_speed_z, w)
    cue["hands"] = np.fmax(squash(np.fmax(z("body.wrist_vis_l"), z("body.wrist_vis_r")), p.hands_z, w),
                           np.nan_to_num(vis) * moving)
    # posture: the torso leaves its running position, or leans in/out (scale change)
    win = max(3, frames(p.posture_window_s) | 1)
    tx, ty = interpolate_gaps(_col(signals, "body.torso_x")), interpolate_gaps(_col(signals, "body.torso_y"))
    if np.isfinite(tx).all() and n:
        d = np.hypot(tx - ndimage.median_filter(tx, win, mode="nearest"),
                     ty - ndimage.median_filter(ty, win, mode="nearest")) / sw
        lean = np.abs(np.log(sw / ndimage.median_filter(sw, win, mode="nearest")))
        cue["posture"] = squash(np.fmax(d, lean), p.posture_sw, p.posture_width_sw)
    else:
        cue["posture"] = np.zeros(n)
    # scratch: a visible wrist near the face, moving
    near = np.fmax(*[np.nan_to_num(squash(-(_col(signals, f"body.wrist_face_{t}") - p.scratch_near_sw) / 0.1, 0.0))
                     for t in ("l", "r")])
    cue["scratch"] = hold(near * squash(wspeed, p.scratch_speed_sw_per_s, p.scratch_speed_sw_per_s / 3),
                          frames(p.scratch_hold_s))
    # restless: rhythmic torso or head motion (autocorrelation peak in the band over a window)
    traces = [tx / np.nanmedian(sw) if np.isfinite(sw).any() else tx,
              interpolate_gaps(_col(signals, "face.roll")) / 10.0, interpolate_gaps(_col(signals, "face.yaw")) / 10.0]
    rest = np.zeros(n)
    for tr in traces:
        if not np.isfinite(tr).all():
            continue
        r, sd = periodicity(tr, fps, p.restless_window_s, band_hz=p.restless_band_hz)
        # movement well above the person's quieter moments and above the tracker's own noise
        quiet = max(float(np.quantile(sd, p.restless_quiet_quantile)) if sd.size else 0.0,
                    jitter(tr) / np.sqrt(2), 1e-3)
        amp = squash(sd / quiet, p.restless_amplitude_ratio, 0.4)
        rest = np.fmax(rest, squash(r, p.restless_periodicity, 0.1) * amp)
    cue["restless"] = rest
    cue = apply_operating_points({k: np.nan_to_num(v) for k, v in cue.items()}, "body", calibration)

    out = {}
    for k in CUES:
        ok = face_ok if k in HEAD_CUES else (body_ok if k != "restless" else (face_ok | body_ok))
        out[f"cue.body.{k}"] = np.where(ok, np.clip(np.nan_to_num(cue[k]), 0, 1), np.nan).astype(np.float32)
    valence, confidence = _valence(out, face_ok | body_ok)
    out["affect.body.valence"] = valence
    out["affect.body.confidence"] = confidence
    return pd.DataFrame(out, index=signals.index)


def _evidence(a: np.ndarray) -> np.ndarray:
    return np.clip(2 * np.nan_to_num(a, nan=0.0) - 1, 0, 1)


# Valence each body cue carries when it stands out (agreement +, withdrawal / discomfort -), weighed
# by how clearly the codebook reads it as affect: a nod or shake is a yes or no; looking away, a hand
# at the face or a shrug lean negative; a posture shift or restlessness only a little.
BODY_VALENCE: dict[str, float] = {"nod": 1.0, "shake": -1.0, "look_away": -0.5, "scratch": -0.5, "shrug": -0.5,
                                  "posture": -0.3, "restless": -0.3}
# A gesture stands out only above the share of the recording it usually fills: the activation's
# quantile STANDOUT_QUANTILE over the person's frames is their usual level (a detector that fires on
# ordinary speech motion most of the time then says nothing about affect).
STANDOUT_QUANTILE = 0.5
IDLE_CONFIDENCE = 0.2  # confidence of "nothing stands out": neutral, weakly


def standout(a: np.ndarray, present: np.ndarray, quantile: float = STANDOUT_QUANTILE) -> np.ndarray:
    """Evidence (activation above 0.5, rescaled to [0, 1]) above its usual level in this recording."""
    ev = _evidence(a)
    usual = float(np.quantile(ev[present], quantile)) if present.any() else 0.0
    return np.clip((ev - usual) / max(1.0 - usual, 1e-6), 0, 1)


def _valence(cues: dict[str, np.ndarray], present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Body valence from what the body does (:data:`BODY_VALENCE`), neutral when nothing stands out.

    Each cue's evidence counts only above its usual level in the recording (:func:`standout`);
    valence is the strongest positive minus the strongest negative evidence. Confidence is
    ``IDLE_CONFIDENCE`` when nothing stands out, rises with the strongest evidence, and halves when
    positive and negative gestures coincide.
    """
    signed = {k: w * standout(cues[f"cue.body.{k}"], present) for k, w in BODY_VALENCE.items()}
    zero = np.zeros(len(present))
    pos = np.fmax.reduce([np.clip(v, 0, None) for v in signed.values()] + [zero])
    neg = np.fmax.reduce([np.clip(-v, 0, None) for v in signed.values()] + [zero])
    valence = np.clip(pos - neg, -1, 1)
    strength = np.fmax(pos, neg)
    confidence = (IDLE_CONFIDENCE + (1 - IDLE_CONFIDENCE) * strength) * (1 - 0.5 * np.fmin(pos, neg))
    return (np.where(present, valence, np.nan).astype(np.float32),
            np.where(present, confidence, 0.0).clip(0, 1).astype(np.float32))
