"""The FrameTable: level one's output and level two's input.

One row per native video frame. Columns (all float32 unless said):

- ``frame`` (int64, 0-based) and ``time_s`` (frame / fps).
- raw signals, namespaced by source: ``face.*``, ``body.*``, ``audio.*``, ``text.*``; each source
  has a boolean ``<source>.present`` (face found, speech present, a word spoken). Missing evidence
  is NaN with ``present = False``, never a fake zero.
- per-modality affect for the codebook modalities ``face``, ``body``, ``audio``, ``language``:
  ``affect.<modality>.valence`` in [-1, 1] and ``affect.<modality>.confidence`` in [0, 1]
  (confidence 0 and valence NaN where there is no evidence).
- ``cue.<modality>.<cue>`` in [0, 1] for every measurable cue of the vocabulary, each measured
  against the person's own baseline. NaN where the modality is absent.

- within-modality ambivalence measured by level one itself, named in ``WITHIN_AMBIVALENCE``:
  ``text.ambivalence`` in [0, 1], change talk and sustain talk close together (MI's definition;
  NaN without a stance model).

Text sources (``text.*``) feed the codebook modality ``language``. File-level metadata (video and
participant ids, fps, frame count, extractor versions, the input hash) is stored as JSON in the
Parquet schema metadata under the key ``ahcue``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from codebook.atomic import atomic_path
from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary

SOURCES: tuple[str, ...] = ("face", "body", "audio", "text")
# The raw-signal source whose ``<source>.present`` flag says a codebook modality has evidence.
MODALITY_SOURCE: dict[str, str] = {"face": "face", "language": "text", "audio": "audio", "body": "body"}
SOURCE_MODALITY: dict[str, str] = {v: k for k, v in MODALITY_SOURCE.items()}
# Codebook modality -> level one's own within-modality ambivalence column (level two's within term).
WITHIN_AMBIVALENCE: dict[str, str] = {"language": "text.ambivalence"}
META_KEY = b"ahcue"
FORMAT_VERSION = 1


@dataclass
class FrameMeta:
    video_id: str
    participant_id: str
    fps: float
    n_frames: int
    source: str = ""  # the input path as given
    input_hash: str = ""  # hash of the input file(s) and extractor versions
    versions: dict[str, str] = field(default_factory=dict)  # extractor name -> version
    missing: list[str] = field(default_factory=list)  # sources with no evidence at all
    format_version: int = FORMAT_VERSION

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps if self.fps else 0.0


@dataclass
class FrameTable:
    data: pd.DataFrame
    meta: FrameMeta

    def cue_columns(self) -> list[str]:
        return [c for c in self.data.columns if c.startswith("cue.")]

    def affect(self, modality: str) -> tuple[np.ndarray, np.ndarray]:
        """(valence, confidence) arrays for a codebook modality."""
        return (self.data[f"affect.{modality}.valence"].to_numpy(np.float32),
                self.data[f"affect.{modality}.confidence"].to_numpy(np.float32))

    def write(self, path: str | Path) -> Path:
        """Write atomically (temp file, then rename)."""
        validate(self)
        table = pa.Table.from_pandas(self.data, preserve_index=False)
        md = dict(table.schema.metadata or {})
        md[META_KEY] = json.dumps(asdict(self.meta)).encode()
        table = table.replace_schema_metadata(md)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp, compression="zstd")
        return Path(path)


def read(path: str | Path) -> FrameTable:
    """Read a FrameTable written by :meth:`FrameTable.write`."""
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as err:
        raise InputError(path, f"not a readable FrameTable ({str(err).splitlines()[0]})") from None
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise InputError(path, "Parquet file has no ahcue metadata; not a FrameTable")
    meta = FrameMeta(**json.loads(raw))
    if meta.format_version != FORMAT_VERSION:
        raise InputError(path, f"FrameTable format {meta.format_version}, this ahcue reads {FORMAT_VERSION}")
    return FrameTable(table.to_pandas(), meta)


def required_columns(vocabulary: Vocabulary | None = None) -> list[str]:
    """Columns every FrameTable has, whatever the video."""
    voc = vocabulary or load_vocabulary()
    cols = ["frame", "time_s"] + [f"{s}.present" for s in SOURCES]
    for m in MODALITIES:
        cols += [f"affect.{m}.valence", f"affect.{m}.confidence"]
    cols += [c.column for c in voc.measurable]
    return cols


def validate(ft: FrameTable) -> None:
    """Check the contract; raise ValueError (a bug in the producer) when it is broken."""
    df = ft.data
    missing = [c for c in required_columns() if c not in df.columns]
    if missing:
        raise ValueError(f"FrameTable lacks columns: {missing[:8]}{'...' if len(missing) > 8 else ''}")
    if len(df) != ft.meta.n_frames:
        raise ValueError(f"FrameTable has {len(df)} rows but meta says {ft.meta.n_frames} frames")
    if not np.array_equal(df["frame"].to_numpy(), np.arange(len(df))):
        raise ValueError("FrameTable 'frame' must be 0..n-1")
    for c in df.columns:
        if c.startswith("cue.") or c.endswith(".confidence"):
            v = df[c].to_numpy(np.float64)
            v = v[~np.isnan(v)]
            if v.size and (v.min() < -1e-6 or v.max() > 1 + 1e-6):
                raise ValueError(f"{c} outside [0, 1]")
        elif c.endswith(".valence"):
            v = df[c].to_numpy(np.float64)
            v = v[~np.isnan(v)]
            if v.size and (v.min() < -1 - 1e-6 or v.max() > 1 + 1e-6):
                raise ValueError(f"{c} outside [-1, 1]")
