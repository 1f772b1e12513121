"""Column specs: how a level-one module declares the FrameTable columns it writes.

Each producer module (``levelone.pipeline.vision``, ``levelone.face.cues``, ``levelone.body.cues``,
``levelone.audio.prosody``, ``levelone.language.cues``) holds a ``COLUMNS`` tuple of
:class:`ColumnSpec` next to the code that fills them, and :func:`levelone.frametable.schema`
collects them into the one contract level two reads. This module is a leaf (it imports only the
vocabulary), so producers can declare columns without importing the FrameTable module, and the
FrameTable module can import the producers without an import cycle.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from codebook.vocabulary import load_vocabulary

DTYPES: tuple[str, ...] = ("float32", "bool", "int64")


@dataclass(frozen=True)
class ColumnSpec:
    """One FrameTable column.

    ``low``/``high`` bound the values inclusively (None: unbounded); NaN is always allowed in a
    float column (missing evidence). ``required`` columns are in every FrameTable whatever the
    video (assembly fills absent ones as missing evidence); optional ones may be absent.
    ``producer`` is the module that computes the column.
    """
    name: str
    dtype: str
    unit: str
    producer: str
    low: float | None = None
    high: float | None = None
    required: bool = False
    doc: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"{self.name}: dtype must be one of {DTYPES}, not {self.dtype!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"{self.name}: low {self.low} > high {self.high}")

    def check(self, values: np.ndarray, tolerance: float = 1e-6) -> str | None:
        """Why ``values`` break this spec (dtype, then range), or None when they keep it."""
        if str(values.dtype) != self.dtype:
            return f"{self.name} has dtype {values.dtype}, the schema says {self.dtype}"
        if self.dtype == "bool" or (self.low is None and self.high is None):
            return None
        v = values.astype(np.float64)
        v = v[~np.isnan(v)]
        if not v.size:
            return None
        if self.low is not None and v.min() < self.low - tolerance:
            return f"{self.name} below {self.low} (min {v.min():.6g} {self.unit})"
        if self.high is not None and v.max() > self.high + tolerance:
            return f"{self.name} above {self.high} (max {v.max():.6g} {self.unit})"
        return None


def signal(name: str, unit: str, producer: str, low: float | None = None, high: float | None = None,
           doc: str = "") -> ColumnSpec:
    """An optional float32 raw signal (``face.* body.* audio.* text.*``)."""
    return ColumnSpec(name, "float32", unit, producer, low, high, required=False, doc=doc)


def signal_columns(names: tuple[str, ...], units: dict[str, tuple[str, float | None, float | None]],
                   producer: str) -> tuple[ColumnSpec, ...]:
    """Optional float32 signals ``names``, each with its ``(unit, low, high)`` from ``units``."""
    lacking = [n for n in names if n not in units]
    if lacking:
        raise ValueError(f"{producer}: no unit declared for {lacking}")
    return tuple(signal(n, units[n][0], producer, units[n][1], units[n][2]) for n in names)


def presence(source: str, producer: str, doc: str) -> ColumnSpec:
    """The required ``<source>.present`` flag."""
    return ColumnSpec(f"{source}.present", "bool", "flag", producer, required=True, doc=doc)


def cue_columns(modality: str, producer: str) -> tuple[ColumnSpec, ...]:
    """``cue.<modality>.<cue>`` for every measurable cue of the vocabulary, in [0, 1], required."""
    return tuple(ColumnSpec(c.column, "float32", "activation", producer, 0.0, 1.0, required=True,
                            doc=f"{c.name}, against the person's baseline; NaN where {modality} is absent")
                 for c in load_vocabulary().measurable if c.modality == modality)


def affect_columns(modality: str, producer: str, arousal: bool = False) -> tuple[ColumnSpec, ...]:
    """``affect.<modality>.valence`` in [-1, 1] and ``.confidence`` in [0, 1], required; with
    ``arousal``, also ``affect.<modality>.arousal`` in [-1, 1] (relative to the person's neutral)."""
    specs = (ColumnSpec(f"affect.{modality}.valence", "float32", "valence", producer, -1.0, 1.0, required=True,
                        doc="NaN where there is no evidence"),
             ColumnSpec(f"affect.{modality}.confidence", "float32", "probability", producer, 0.0, 1.0,
                        required=True, doc="0 where there is no evidence"))
    if arousal:
        specs += (ColumnSpec(f"affect.{modality}.arousal", "float32", "arousal", producer, -1.0, 1.0,
                             required=True, doc="NaN where there is no evidence"),)
    return specs
