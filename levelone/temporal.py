"""Temporal helpers over (n,) per-frame arrays at a frame rate, shared by the face and body cues.

Plain functions, librosa style: hold/sustain/top-hat filters, robust z-scores, smoothing, gap
interpolation, swing and oscillation detection, periodicity.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from levelone.baseline import MAD_TO_SD

VERSION = "1"  # part of the stage-2 cache key (levelone.pipeline.versions.CUE_MODULES)


def _filled(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(x, np.float64), nan=0.0)


def _odd(n: int) -> int:
    """Window lengths are made odd so that filters stay centred on the frame."""
    return max(1, int(n)) | 1


def hold(x: np.ndarray, n: int) -> np.ndarray:
    """Running maximum over a centred window of ``n`` frames (keeps a brief event visible).

    Parameters
    ----------
    x : ndarray, shape (n,)
        per-frame activation (NaN read as 0)
    n : int
        window length in frames (made odd)

    Returns
    -------
    ndarray, shape (n,)
        running maximum, float64
    """
    return ndimage.maximum_filter1d(_filled(x), _odd(n), mode="nearest")


def sustained(x: np.ndarray, n: int) -> np.ndarray:
    """Grey opening: keeps only activation held for at least ``n`` frames (a blink is not a closure).

    Parameters
    ----------
    x : ndarray, shape (n,)
        per-frame activation (NaN read as 0)
    n : int
        minimum duration in frames (made odd)

    Returns
    -------
    ndarray, shape (n,)
        ``x`` where it holds for ``n`` frames or more, float64
    """
    n = _odd(n)
    return ndimage.maximum_filter1d(ndimage.minimum_filter1d(_filled(x), n, mode="nearest"), n, mode="nearest")


def tophat(x: np.ndarray, n: int) -> np.ndarray:
    """White top-hat: the part of ``x`` in excursions shorter than ``n`` frames (brief events only).

    Parameters
    ----------
    x : ndarray, shape (n,)
        per-frame activation (NaN read as 0)
    n : int
        longest brief excursion in frames

    Returns
    -------
    ndarray, shape (n,)
        the part of ``x`` in excursions shorter than ``n`` frames, >= 0
    """
    return np.clip(_filled(x) - sustained(x, n), 0, None)


def gradient(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.gradient`` per frame that also accepts a trace of 0 or 1 frames (zeros).

    Parameters
    ----------
    x : ndarray
        per-frame values, any shape
    axis : int
        the frame axis

    Returns
    -------
    ndarray, same shape as ``x``
        change per frame (units of ``x`` per frame)
    """
    x = np.asarray(x, np.float64)
    return np.gradient(x, axis=axis) if x.shape[axis] > 1 else np.zeros_like(x)


def robust_z(x: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """(x - median) / (1.4826 MAD) over the finite values of ``x`` itself.

    Parameters
    ----------
    x : ndarray, shape (n,)
        a signal in any unit (NaN allowed)
    floor : float
        smallest scale, in the units of ``x``

    Returns
    -------
    ndarray, shape (n,)
        robust z-scores (dimensionless); all NaN when ``x`` has no finite value
    """
    x = np.asarray(x, np.float64)
    v = x[np.isfinite(x)]
    if v.size == 0:
        return np.full_like(x, np.nan)
    m = np.median(v)
    return (x - m) / max(MAD_TO_SD * np.median(np.abs(v - m)), floor)


def smooth(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving average over ``n`` frames, NaN-aware (NaN where there is no data).

    Parameters
    ----------
    x : ndarray, shape (n,)
        a signal in any unit (NaN: no data)
    n : int
        window length in frames

    Returns
    -------
    ndarray, shape (n,)
        centred moving average in the units of ``x``; NaN where ``x`` is NaN
    """
    x = np.asarray(x, np.float64)
    n = min(n, len(x))
    if n <= 1:
        return x.copy()
    ok = np.isfinite(x)
    k = np.ones(n)
    num = np.convolve(np.where(ok, x, 0.0), k, mode="same")
    den = np.convolve(ok.astype(float), k, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(ok, out, np.nan)


def interpolate_gaps(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN gaps (edges held); all-NaN stays all-NaN.

    Parameters
    ----------
    x : ndarray, shape (n,)
        a signal in any unit with NaN gaps

    Returns
    -------
    ndarray, shape (n,)
        ``x`` with gaps linearly filled, edges held
    """
    x = np.asarray(x, np.float64)
    ok = np.isfinite(x)
    if ok.all() or not ok.any():
        return x.copy()
    idx = np.arange(len(x))
    return np.interp(idx, idx[ok], x[ok])


def jitter(x: np.ndarray) -> float:
    """Robust SD of frame-to-frame changes: the tracker's noise level on this signal.

    Parameters
    ----------
    x : ndarray, shape (n,)
        a tracked signal in any unit

    Returns
    -------
    float
        robust SD of its frame-to-frame change, in the units of ``x`` per frame (0 with < 2 finite
        frames)
    """
    d = np.diff(np.asarray(x, np.float64))
    d = d[np.isfinite(d)]
    return float(MAD_TO_SD * np.median(np.abs(d - np.median(d)))) if d.size else 0.0


def swings(x: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Monotone excursions of at least ``threshold`` between turning points (zig-zag), as (start, end) frames.

    NaN breaks the trace. A head shake of "no" is a run of such swings in alternating directions.

    Parameters
    ----------
    x : ndarray, shape (n,)
        an angle trace in degrees (any unit works; NaN breaks the trace)
    threshold : float
        smallest excursion, in the units of ``x``

    Returns
    -------
    list of (int, int)
        (start_frame, end_frame) of each monotone swing, in order
    """
    out: list[tuple[int, int]] = []
    x = np.asarray(x, np.float64)
    start = ext = None  # index of the last confirmed turning point and of the running extreme
    direction = 0
    for i, v in enumerate(x):
        if not np.isfinite(v):
            start = ext = None
            direction = 0
            continue
        if start is None:
            start = ext = i
            continue
        if direction == 0:
            if abs(v - x[start]) >= threshold:
                direction = 1 if v > x[start] else -1
                ext = i
            elif abs(v - x[start]) > abs(x[ext] - x[start]):
                ext = i
            continue
        if (v - x[ext]) * direction > 0:
            ext = i  # still moving the same way
        elif abs(v - x[ext]) >= threshold:
            out.append((start, ext))  # reversal confirmed: the swing start -> ext is complete
            start, ext, direction = ext, i, -direction
    if direction != 0 and start is not None and abs(x[ext] - x[start]) >= threshold:
        out.append((start, ext))
    return out


def oscillation(x: np.ndarray, fps: float, threshold: float, window_s: float = 1.5,
                max_swing_s: float = 1.0) -> np.ndarray:
    """Number of fast swings (each shorter than ``max_swing_s``) overlapping a centred window.

    ``x`` is a (n,) angle trace; returns a (n,) float count. Two swings inside 1.5 s are one
    back-and-forth, the signature of a shake (yaw) or a nod (pitch).

    Parameters
    ----------
    x : ndarray, shape (n,)
        an angle trace in degrees
    fps : float
        frame rate, frames per second
    threshold : float
        smallest swing, degrees
    window_s : float
        centred counting window, seconds
    max_swing_s : float
        a slower swing is a drift, not a gesture, seconds

    Returns
    -------
    ndarray, shape (n,)
        number of fast swings overlapping each frame's window (float64)
    """
    n = len(x)
    count = np.zeros(n)
    half = int(round(window_s * fps / 2))
    for s, e in swings(x, threshold):
        if (e - s) <= max_swing_s * fps:
            count[max(0, s - half):min(n, e + half + 1)] += 1
    return count


def periodicity(x: np.ndarray, fps: float, window_s: float = 3.0, hop_s: float = 0.25,
                band_hz: tuple[float, float] = (0.5, 3.0)) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame (autocorrelation peak in ``band_hz``, window SD) over sliding windows; 0 where the
    autocorrelation has no local maximum in the band (drifts and steps are not rhythm).

    The window's linear trend is removed first; values are interpolated from a hop grid to frames.
    NaN-free input expected (see :func:`interpolate_gaps`).

    Parameters
    ----------
    x : ndarray, shape (n,)
        a NaN-free signal in any unit
    fps : float
        frame rate, frames per second
    window_s : float
        analysis window, seconds
    hop_s : float
        hop between windows, seconds
    band_hz : (float, float)
        rhythm band searched (low, high), Hz

    Returns
    -------
    ndarray, shape (n,)
        autocorrelation peak in the band, in [0, 1] (0: no rhythm)
    ndarray, shape (n,)
        standard deviation of the detrended window, in the units of ``x``
    """
    x = np.asarray(x, np.float64)
    n = len(x)
    win = max(4, int(round(window_s * fps)))
    hop = max(1, int(round(hop_s * fps)))
    lag_lo = max(1, int(np.floor(fps / band_hz[1])))
    lag_hi = min(win - 2, int(np.ceil(fps / band_hz[0])))
    if n < win or lag_hi <= lag_lo or not np.isfinite(x).all():
        return np.zeros(n), np.zeros(n)
    centres, peaks, sds = [], [], []
    t = np.arange(win)
    for s in range(0, n - win + 1, hop):
        seg = x[s:s + win]
        seg = seg - np.polyval(np.polyfit(t, seg, 1), t)
        var = float((seg ** 2).sum())
        if var <= 1e-12:
            r = 0.0
        else:
            # only a true peak counts: a slow drift or a step is highly correlated at every short
            # lag but has no peak, and is not rhythmic
            lags = range(max(1, lag_lo - 1), min(win - 1, lag_hi + 2))
            ac = [float((seg[:-lag] * seg[lag:]).sum() / var) * win / (win - lag) for lag in lags]
            tops = [ac[i] for i in range(1, len(ac) - 1) if ac[i] >= ac[i - 1] and ac[i] >= ac[i + 1]]
            r = max(tops, default=0.0)
        centres.append(s + win / 2)
        peaks.append(min(r, 1.0))
        sds.append(np.sqrt(var / win))
    idx = np.arange(n)
    return np.interp(idx, centres, peaks), np.interp(idx, centres, sds)
