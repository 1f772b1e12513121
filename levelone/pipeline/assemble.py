"""Stage two of level one: raw signals + the person's baseline -> a complete FrameTable.

Raw signals (``face.* body.* audio.* text.*``, one row per frame) are the expensive, cached part;
everything here is cheap and re-run whenever a baseline or a cue module changes. Baselines are
fitted per participant over the raw signals of all that person's videos (dataset mode) or over the
one video (single-video mode), as the codebook judges cues against the person's own baseline.

Whatever evidence is missing (no face, no audio track, no transcript, a cue module that measures
only some cues), the table leaves here with every column of the contract: NaN cues, NaN valence
with confidence 0, ``<source>.present`` False, and the source named in ``meta.missing``.
"""
from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import replace
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES
from levelone.baseline import Baseline, blend_with_population
from levelone.frametable import SOURCES, FrameMeta, FrameTable, required_columns, validate

VERSION = "2"  # bump when assembly changes what a FrameTable holds

CueFunction = Callable[[pd.DataFrame, Baseline, float], pd.DataFrame]

# codebook modality -> (module, function, raw sources it reads). Body cues use head pose from the
# face mesh as well as the pose landmarks, so they run when either is present.
CUE_STAGES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "face": ("levelone.face.cues", "face_cues", ("face",)),
    "body": ("levelone.body.cues", "body_cues", ("face", "body")),
    "audio": ("levelone.audio.prosody", "audio_cues", ("audio",)),
    # audio too: filler sounds found in the waveform reach cue.language.filler_sound without a transcript
    "language": ("levelone.language.cues", "language_cues", ("text", "audio")),
}


def load_cue_functions() -> dict[str, CueFunction]:
    """The real cue functions of the four modalities (imported on first use)."""
    return {m: getattr(importlib.import_module(mod), fn) for m, (mod, fn, _) in CUE_STAGES.items()}


def fit_baselines(raw: Mapping[str, pd.DataFrame], participant_of: Mapping[str, str]) -> dict[str, Baseline]:
    """One :class:`Baseline` per participant, fitted on the raw signals of all their videos."""
    groups: dict[str, list[pd.DataFrame]] = defaultdict(list)
    for video_id, frames in raw.items():
        groups[participant_of[video_id]].append(signal_columns(frames))
    return {pid: Baseline.fit(frames) for pid, frames in groups.items()}


def signal_columns(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw-signal columns only (``<source>.*``), without the frame axis."""
    return raw[[c for c in raw.columns if c.split(".", 1)[0] in SOURCES]]


def missing_sources(raw: pd.DataFrame) -> list[str]:
    """Sources with no evidence in any frame (no ``present`` column, or never present)."""
    out = []
    for s in SOURCES:
        col = f"{s}.present"
        if col not in raw.columns or not raw[col].fillna(False).astype(bool).any():
            out.append(s)
    return out


def align_rows(df: pd.DataFrame, n_frames: int) -> pd.DataFrame:
    """Cut or pad a per-frame table to ``n_frames`` rows (padding is NaN, or False for flags)."""
    df = df.reset_index(drop=True)
    if len(df) == n_frames:
        return df
    if len(df) > n_frames:
        return df.iloc[:n_frames].reset_index(drop=True)
    pad = df.reindex(range(n_frames))
    for c in df.columns:
        if c.endswith(".present"):
            pad[c] = pad[c].fillna(False).astype(bool)
    return pad


def assemble(raw: pd.DataFrame, baseline: Baseline, meta: FrameMeta,
             cue_functions: Mapping[str, CueFunction] | None = None,
             population: dict | None = None) -> FrameTable:
    """Build and validate the FrameTable of one video.

    ``raw`` holds one row per frame of ``face.* body.* audio.* text.*`` columns; ``cue_functions``
    maps a codebook modality to its cue function (default: the real modules). A modality whose raw
    sources are all missing is not asked for cues; its columns are filled as missing evidence.
    A baseline with too little evidence is blended with the population norms (``population``,
    default: the shipped calibration's), and ``meta.baseline`` records what was used, including
    ``face.declared_neutral`` when the person's neutral face comes from a declared recording.
    """
    from levelone.face.cues import NEUTRAL_KEYS

    baseline, used = blend_with_population(baseline, meta.fps, population)
    if NEUTRAL_KEYS["valence"] in baseline.median and "face" in used:
        used = {**used, "face": {**used["face"], "declared_neutral": True}}
    meta = replace(meta, baseline=used)
    n = meta.n_frames
    signals = align_rows(signal_columns(raw), n)
    for s in SOURCES:
        col = f"{s}.present"
        signals[col] = signals[col].fillna(False).astype(bool) if col in signals else np.zeros(n, bool)
    missing = missing_sources(signals)
    funcs = load_cue_functions() if cue_functions is None else cue_functions
    parts = [pd.DataFrame({"frame": np.arange(n, dtype=np.int64),
                           "time_s": (np.arange(n) / meta.fps).astype(np.float32)}), signals]
    for modality, fn in funcs.items():
        sources = CUE_STAGES[modality][2]
        if all(s in missing for s in sources):
            continue
        out = align_rows(fn(signals, baseline, meta.fps), n)
        keep = [c for c in out.columns if c.startswith((f"cue.{modality}.", f"affect.{modality}."))]
        parts.append(out[keep])
    data = pd.concat(parts, axis=1)
    data = data.loc[:, ~data.columns.duplicated(keep="last")]
    data = _add_missing_columns(data)
    table = FrameTable(data, replace(meta, missing=missing))
    validate(table)
    return table


def _add_missing_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Add every required column that is absent and fix dtypes: NaN cues, confidence 0."""
    extra = {}
    for col in required_columns():
        if col in data.columns:
            continue
        extra[col] = np.zeros(len(data), np.float32) if col.endswith(".confidence") else \
            np.full(len(data), np.nan, np.float32)
    if extra:
        data = pd.concat([data, pd.DataFrame(extra, index=data.index)], axis=1)
    for m in MODALITIES:
        conf = f"affect.{m}.confidence"
        data[conf] = data[conf].astype(np.float32).fillna(0.0)
    for c in data.columns:
        if c == "frame" or c.endswith(".present"):
            continue
        if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c]):
            data[c] = data[c].astype(np.float32)
    return data


def union_columns(tables: Iterable[pd.DataFrame]) -> list[str]:
    """All raw-signal columns seen across a dataset, in first-seen order."""
    seen: dict[str, None] = {}
    for t in tables:
        seen.update(dict.fromkeys(signal_columns(t).columns))
    return list(seen)
