"""Named cue parameters and the shipped calibration they take their values from.

Every modality declares its tunable numbers as one frozen dataclass with the unit in each field
name (``FaceCueParams``, ``BodyCueParams``, ``AudioCueParams``, ``LanguageCueParams``), the way
librosa exposes ``pyin``'s tunables. The code defaults are the documented starting values; the
values actually used come from ``levelone/data/calibration.json``, written by ``ahcue calibrate``
(:mod:`levelone.training.calibrate`) from real reference speech, speakers held out.

Besides each modality's thresholds the calibration holds, per cue, an **operating point**: the raw
activation level that ordinary speech of the reference speakers rarely exceeds. :func:`recentre`
moves the cue's 0.5 to that level (a logistic shift, exact for a cue that is a single
:func:`~levelone.baseline.squash`: it is a threshold change in baseline units), so a cue is
active only when the behaviour stands out against ordinary talk. A level below 0.5 makes a cue
*more* sensitive than its code threshold; the calibration ships one only for an audio cue whose
controlled edits of real speech need it and whose ordinary-speech rate allows it
(:func:`levelone.training.audio_edits.two_sided_points`).

The parameters in force are hashed into the level-one cache key (:func:`params_digest`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, TypeVar

import numpy as np

from codebook.errors import InputError

VERSION = "1"  # 1: declared (the cache key read 0 before); the parameters in force are keyed by their digest
CALIBRATION_FILE = "calibration.json"
_LEVEL_EPS = 1e-12  # activations and operating points are kept inside (0, 1) so their logits are finite
T = TypeVar("T")


def calibration_path() -> Path:
    """Where the shipped calibration lives (``levelone/data/calibration.json``)."""
    return Path(str(resources.files("levelone") / "data" / CALIBRATION_FILE))


@lru_cache(maxsize=1)
def shipped_calibration() -> dict[str, Any]:
    """The shipped calibration as a dict.

    A missing file is an :class:`InputError` naming it, never a quiet fall back to the code
    defaults: uncalibrated cues fire far more often on ordinary talk, and nothing would say so.
    """
    path = calibration_path()
    if not path.is_file():
        raise InputError(path, "shipped cue calibration missing from this installation; reinstall ahcue "
                               "(pip install .) or regenerate it with `ahcue calibrate`")
    return json.loads(path.read_text(encoding="utf-8"))


def from_section(cls: type[T], section: str, calibration: Mapping[str, Any] | None = None) -> T:
    """``cls()`` with the fields the calibration's ``params.<section>`` sets (unknown keys ignored)."""
    cal = shipped_calibration() if calibration is None else calibration
    values = dict(cal.get("params", {}).get(section, {}))
    names = {f.name for f in fields(cls)}
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in values.items() if k in names}
    return replace(cls(), **kw)  # type: ignore[type-var]


def operating_points(modality: str, calibration: Mapping[str, Any] | None = None) -> dict[str, float]:
    """cue id (``<modality>.<cue>``) -> raw activation level that becomes 0.5 (:func:`recentre`
    keeps it inside (0, 1))."""
    cal = shipped_calibration() if calibration is None else calibration
    ops = cal.get("operating_points", {})
    return {k: float(v) for k, v in ops.items() if k.startswith(modality + ".")}


def recentre(activation: np.ndarray, level: float) -> np.ndarray:
    """Shift a [0, 1] activation logistically so that ``level`` maps to 0.5 (NaN stays NaN).

    ``sigmoid(logit(a) - logit(level))``: order-preserving, 0 and 1 stay 0 and 1, and for
    ``a = squash(z, t, w)`` it equals ``squash(z, t + w * logit(level), w)`` (a level under 0.5
    lowers the threshold).
    """
    a = np.clip(np.asarray(activation, np.float64), 0.0, 1.0)
    level = float(np.clip(level, _LEVEL_EPS, 1.0 - _LEVEL_EPS))
    if level == 0.5:
        return a
    eps = _LEVEL_EPS
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logit = np.log(np.clip(a, eps, 1 - eps)) - np.log(np.clip(1 - a, eps, 1))
        shift = np.log(level / (1 - level))
        out = 1.0 / (1.0 + np.exp(-(logit - shift)))
    out = np.where(a >= 1.0, 1.0, np.where(a <= 0.0, 0.0, out))
    return np.where(np.isfinite(a), out, np.nan)


def apply_operating_points(cues: Mapping[str, np.ndarray], modality: str,
                           calibration: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """``cues`` (short cue name -> activation) with each cue's calibrated operating point applied."""
    ops = operating_points(modality, calibration)
    return {k: recentre(v, ops[f"{modality}.{k}"]) if f"{modality}.{k}" in ops else v for k, v in cues.items()}


def params_digest(*params: object, calibration: Mapping[str, Any] | None = None) -> str:
    """Short hash of parameter dataclasses and the calibration in force, for cache keys."""
    cal = shipped_calibration() if calibration is None else calibration
    payload = {"params": [asdict(p) for p in params], "calibration": cal}  # type: ignore[call-overload]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]
