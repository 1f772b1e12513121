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
import json
from collections import defaultdict
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from codebook.atomic import atomic_path
from codebook.vocabulary import MODALITIES
from levelone.baseline import Baseline, blend_with_population
from levelone.frametable import (META_KEY, SOURCES, FrameMeta, FrameTable, check_columns, required_columns,
                                  validate)

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


def _prepare(raw: pd.DataFrame, baseline: Baseline, meta: FrameMeta, population: dict | None
             ) -> tuple[Baseline, FrameMeta, pd.DataFrame, list[str]]:
    """What both assembly paths start from: the blended baseline, the metadata with the baseline
    used and the sources missing, and the signals aligned to the frames with every ``present`` flag."""
    from levelone.face.cues import NEUTRAL_KEYS

    baseline, used = blend_with_population(baseline, meta.fps, population)
    if NEUTRAL_KEYS["valence"] in baseline.median and "face" in used:
        used = {**used, "face": {**used["face"], "declared_neutral": True}}
    n = meta.n_frames
    signals = align_rows(signal_columns(raw), n)
    for s in SOURCES:
        col = f"{s}.present"
        signals[col] = signals[col].fillna(False).astype(bool) if col in signals else np.zeros(n, bool)
    missing = missing_sources(signals)
    return baseline, replace(meta, baseline=used, missing=missing), signals, missing


def _cue_outputs(signals: pd.DataFrame, baseline: Baseline, meta: FrameMeta, missing: list[str],
                 cue_functions: Mapping[str, CueFunction] | None) -> Iterator[pd.DataFrame]:
    """Each modality's ``cue.*``/``affect.*`` columns in turn (modalities whose sources are all
    missing are not asked), so a caller can store one before the next is computed."""
    funcs = load_cue_functions() if cue_functions is None else cue_functions
    for modality, fn in funcs.items():
        sources = CUE_STAGES[modality][2]
        if all(s in missing for s in sources):
            continue
        out = align_rows(fn(signals, baseline, meta.fps), meta.n_frames)
        yield out[[c for c in out.columns if c.startswith((f"cue.{modality}.", f"affect.{modality}."))]]


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
    :func:`write_assembled` writes the same table without holding it whole (long recordings).
    """
    baseline, meta, signals, missing = _prepare(raw, baseline, meta, population)
    n = meta.n_frames
    parts = [pd.DataFrame({"frame": np.arange(n, dtype=np.int64),
                           "time_s": (np.arange(n) / meta.fps).astype(np.float32)}), signals,
             *_cue_outputs(signals, baseline, meta, missing, cue_functions)]
    data = pd.concat(parts, axis=1)
    data = data.loc[:, ~data.columns.duplicated(keep="last")]
    data = _add_missing_columns(data)
    table = FrameTable(data, meta)
    validate(table)
    return table


# Frames per Parquet row group when a FrameTable is written in pieces (write_assembled): 8192 rows
# of ~120 float32 columns are ~4 MB, whatever the recording's length.
ROW_GROUP_FRAMES = 8192


def _final_dtype(name: str, values: np.ndarray) -> np.ndarray:
    """A column as :func:`_add_missing_columns` leaves it: numbers float32 (``frame`` and the
    ``present`` flags as they are), an affect confidence 0 where it is NaN."""
    if name == "frame" or name.endswith(".present"):
        return values
    if values.dtype.kind in "iuf":
        values = values.astype(np.float32, copy=False)
    if name.startswith("affect.") and name.endswith(".confidence"):
        values = np.where(np.isnan(values), np.float32(0.0), values)
    return values


def write_assembled(raw: pd.DataFrame, baseline: Baseline, meta: FrameMeta, path: str | Path,
                    cue_functions: Mapping[str, CueFunction] | None = None, population: dict | None = None,
                    rows_per_group: int = ROW_GROUP_FRAMES) -> FrameMeta:
    """Assemble one video's FrameTable and write it to ``path`` without holding the table whole.

    The same columns, order, dtypes, values and metadata as ``assemble(...).write(path)``
    (``tests/levelone/pipeline/test_stream_assembly.py``), so a long recording's memory does not
    grow with the table: the cues are computed as :func:`assemble` computes them (over the whole
    recording, against the whole session's baseline: nothing about what is measured changes),
    each modality's columns go to a temporary file as soon as they are made, and the Parquet file
    is written ``rows_per_group`` frames at a time from the signals and those files, each piece
    checked against the schema (:func:`levelone.frametable.check_columns`). Written atomically.
    Returns the table's metadata.
    """
    import tempfile

    baseline, meta, signals, missing = _prepare(raw, baseline, meta, population)
    n = meta.n_frames
    if not (isinstance(meta.fps, (int, float)) and np.isfinite(meta.fps) and meta.fps > 0):
        raise ValueError(f"FrameTable {meta.video_id!r} has no valid fps in its metadata ({meta.fps!r})")
    with tempfile.TemporaryDirectory(prefix="ahcue-assemble-") as tmp:
        # where each column comes from, in the order assemble's concat gives (a later duplicate wins)
        origin: dict[str, tuple[str, object]] = {"frame": ("axis", None), "time_s": ("axis", None)}
        for c in signals.columns:
            origin.pop(c, None)
            origin[c] = ("signals", None)
        for k, out in enumerate(_cue_outputs(signals, baseline, meta, missing, cue_functions)):
            for j, c in enumerate(out.columns):
                values = _final_dtype(c, out[c].to_numpy())
                spill = Path(tmp) / f"{k}.{j}.bin"
                values.tofile(spill)
                origin.pop(c, None)
                origin[c] = ("spill", (spill, values.dtype))
            del out
        for c in required_columns():
            if c not in origin:
                origin[c] = ("absent", np.dtype(np.float32))
        check_columns(list(origin))

        def piece(a: int, b: int) -> pd.DataFrame:
            cols: dict[str, np.ndarray] = {}
            for c, (kind, how) in origin.items():
                if kind == "axis":
                    cols[c] = np.arange(a, b, dtype=np.int64) if c == "frame" else \
                        (np.arange(a, b) / meta.fps).astype(np.float32)
                elif kind == "signals":
                    cols[c] = _final_dtype(c, signals[c].to_numpy()[a:b])
                elif kind == "spill":
                    spill, dtype = how
                    cols[c] = np.fromfile(spill, dtype, count=b - a, offset=a * dtype.itemsize)
                else:
                    cols[c] = np.zeros(b - a, np.float32) if c.endswith(".confidence") else \
                        np.full(b - a, np.nan, np.float32)
            return pd.DataFrame(cols, copy=False)

        with atomic_path(path) as target:
            writer = None
            try:
                for a in range(0, max(n, 1), rows_per_group):
                    part = piece(a, min(n, a + rows_per_group))
                    check_columns(part)
                    if writer is None:
                        table = pa.Table.from_pandas(part, preserve_index=False)
                        md = dict(table.schema.metadata or {})
                        md[META_KEY] = json.dumps(asdict(meta)).encode()
                        schema = table.schema.with_metadata(md)
                        writer = pq.ParquetWriter(target, schema, compression="zstd")
                    table = pa.Table.from_pandas(part, schema=schema, preserve_index=False)
                    writer.write_table(table)
                    del part, table
            finally:
                if writer is not None:
                    writer.close()
    pa.default_memory_pool().release_unused()
    return meta


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
