"""The FrameTable: level one's output and level two's input.

One row per native video frame. Columns (all float32 unless said):

- ``frame`` (int64, 0-based) and ``time_s`` (frame / fps).
- raw signals, namespaced by source: ``face.*``, ``body.*``, ``audio.*``, ``text.*``; each source
  has a boolean ``<source>.present`` (face found, speech present, a word spoken). Missing evidence
  is NaN with ``present = False``, never a fake zero.
- per-modality affect for the codebook modalities ``face``, ``body``, ``audio``, ``language``:
  ``affect.<modality>.valence`` in [-1, 1] and ``affect.<modality>.confidence`` in [0, 1]
  (confidence 0 and valence NaN where there is no evidence), relative to the person's neutral
  (:mod:`levelone.affectnorms`); ``affect.<modality>.arousal`` in [-1, 1] for the modalities in
  ``AROUSAL_MODALITIES`` (face: expression model; audio: prosody). The voice carries arousal only:
  ``affect.audio.valence`` is always NaN and ``affect.audio.confidence`` is its arousal's.
- ``cue.<modality>.<cue>`` in [0, 1] for every measurable cue of the vocabulary, each measured
  against the person's own baseline. NaN where the modality is absent.

- within-modality ambivalence measured by level one itself, named in ``WITHIN_AMBIVALENCE``:
  ``text.ambivalence`` in [0, 1], change talk and sustain talk close together (MI's definition;
  NaN without a stance model).

Text sources (``text.*``) feed the codebook modality ``language``. File-level metadata (video and
participant ids, fps, frame count, extractor versions, the input hash) is stored as JSON in the
Parquet schema metadata under the key ``ahcue``; :attr:`FrameTable.fps` is the one frame rate level
two uses (no default: a table without one is an error).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from codebook.atomic import atomic_path
from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, load_vocabulary
from levelone.columns import ColumnSpec

SOURCES: tuple[str, ...] = ("face", "body", "audio", "text")
# The raw-signal source whose ``<source>.present`` flag says a codebook modality has evidence.
MODALITY_SOURCE: dict[str, str] = {"face": "face", "language": "text", "audio": "audio", "body": "body"}
SOURCE_MODALITY: dict[str, str] = {v: k for k, v in MODALITY_SOURCE.items()}
# Codebook modalities that also report ``affect.<modality>.arousal``.
AROUSAL_MODALITIES: tuple[str, ...] = ("face", "audio")
# Codebook modality -> level one's own within-modality ambivalence column (level two's within term).
WITHIN_AMBIVALENCE: dict[str, str] = {"language": "text.ambivalence"}
META_KEY = b"ahcue"
FORMAT_VERSION = 1
# The frame axis, written by levelone.pipeline.assemble (which imports this module, so it cannot
# declare them itself without an import cycle).
AXIS_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("frame", "int64", "frame", "levelone.pipeline.assemble", 0, None, required=True, doc="0..n-1"),
    ColumnSpec("time_s", "float32", "s", "levelone.pipeline.assemble", 0.0, None, required=True, doc="frame / fps"),
)
_REQUIRED = object()  # FrameTable.column's "no default for an absent optional column"


@cache
def schema() -> dict[str, ColumnSpec]:
    """Every FrameTable column, name -> spec: the axis plus what each producer module declares.

    Imported on first use (the producers pull in scipy), then cached for the process.
    """
    from levelone.audio import prosody, voices
    from levelone.body import cues as body
    from levelone.face import cues as face
    from levelone.language import cues as language
    from levelone.pipeline import vision

    out: dict[str, ColumnSpec] = {}
    for spec in (*AXIS_COLUMNS, *vision.COLUMNS, *face.COLUMNS, *body.COLUMNS, *prosody.COLUMNS, *voices.COLUMNS,
                 *language.COLUMNS):
        if spec.name in out:
            raise ValueError(f"{spec.name} declared by both {out[spec.name].producer} and {spec.producer}")
        out[spec.name] = spec
    return out


def column_spec(name: str) -> ColumnSpec:
    """The spec of a declared column; KeyError (a bug in the caller) for any other name."""
    try:
        return schema()[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a FrameTable column (not declared in levelone.frametable.schema())") from None


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
    # per source: personal baseline, population norms or a blend (short recordings), see
    # levelone.baseline.blend_with_population
    baseline: dict[str, dict] = field(default_factory=dict)
    # what was heard and how far to trust it (levelone.media.transcript.Transcription.to_dict):
    # source, model, language and its probability, words with uncertain flags; {} without speech
    transcript: dict = field(default_factory=dict)
    # who was in the frame and who was analysed (levelone.pipeline.vision.PeopleInFrame.summary)
    people: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps if self.fps else 0.0


@dataclass
class FrameTable:
    data: pd.DataFrame
    meta: FrameMeta

    @property
    def fps(self) -> float:
        """The video's frame rate from the metadata; ValueError when it has none (never a default)."""
        fps = self.meta.fps
        if not isinstance(fps, (int, float)) or not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"FrameTable {self.meta.video_id!r} has no valid fps in its metadata ({fps!r})")
        return float(fps)

    def column(self, name: str, dtype=np.float64, absent=_REQUIRED) -> np.ndarray:
        """One declared column as an array (NaN for missing values in float columns).

        A name the schema does not declare raises KeyError, as does a required column the table
        lacks. A declared optional column that is absent raises KeyError too, unless the caller
        says what absence means with ``absent`` (e.g. ``absent=np.nan``: no evidence).
        """
        spec = column_spec(name)
        if name in self.data.columns:
            col = self.data[name]
            return col.to_numpy(dtype, na_value=np.nan) if np.dtype(dtype).kind == "f" else col.to_numpy(dtype)
        if spec.required or absent is _REQUIRED:
            kind = "required" if spec.required else "optional"
            raise KeyError(f"FrameTable {self.meta.video_id!r} lacks the {kind} column {name!r}")
        return np.full(len(self.data), absent, dtype)

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
    if not isinstance(meta.fps, (int, float)) or not math.isfinite(meta.fps) or meta.fps <= 0:
        raise InputError(path, f"FrameTable metadata has no valid fps ({meta.fps!r})")
    return FrameTable(table.to_pandas(), meta)


def required_columns() -> list[str]:
    """Columns every FrameTable has, whatever the video: the schema's required ones.

    In a fixed order: the frame axis, the ``present`` flags (SOURCES order), affect (MODALITIES
    order), then the cues in vocabulary order.
    """
    cues = {c.column: i for i, c in enumerate(load_vocabulary().measurable)}
    axis = [c.name for c in AXIS_COLUMNS]

    def rank(name: str) -> tuple[int, int, int, str]:
        if name in axis:
            return 0, axis.index(name), 0, ""
        if name.endswith(".present"):
            return 1, SOURCES.index(name.split(".")[0]), 0, ""
        if name.startswith("affect."):
            return 2, MODALITIES.index(name.split(".")[1]), int(not name.endswith(".valence")), ""
        return 3, cues.get(name, len(cues)), 0, name

    return sorted((name for name, spec in schema().items() if spec.required), key=rank)


def check_columns(columns: list[str] | pd.DataFrame) -> None:
    """Check column names against the contract (every required column there, every column
    declared) and, for a DataFrame (the whole table or a piece of its rows), each column's dtype
    and range; raise ValueError (a bug in the producer) when broken."""
    names = list(columns.columns) if isinstance(columns, pd.DataFrame) else list(columns)
    specs = schema()
    missing = [c for c in required_columns() if c not in names]
    if missing:
        raise ValueError(f"FrameTable lacks columns: {missing[:8]}{'...' if len(missing) > 8 else ''}")
    undeclared = [c for c in names if c not in specs]
    if undeclared:
        raise ValueError(f"FrameTable has columns the schema does not declare: {undeclared[:8]}"
                         f"{'...' if len(undeclared) > 8 else ''} (declare them in the producer's COLUMNS)")
    if isinstance(columns, pd.DataFrame):
        for c in names:
            problem = specs[c].check(columns[c].to_numpy())
            if problem:
                raise ValueError(problem)


def validate(ft: FrameTable) -> None:
    """Check the contract; raise ValueError (a bug in the producer) when it is broken.

    Every required column is there, every column is declared by the schema and has its dtype and
    range (:func:`check_columns`), the rows are the frames 0..n-1 of the metadata, and the
    metadata has a frame rate.
    """
    df = ft.data
    check_columns(list(df.columns))
    ft.fps  # raises without a valid frame rate
    if len(df) != ft.meta.n_frames:
        raise ValueError(f"FrameTable has {len(df)} rows but meta says {ft.meta.n_frames} frames")
    if not np.array_equal(df["frame"].to_numpy(), np.arange(len(df))):
        raise ValueError("FrameTable 'frame' must be 0..n-1")
    check_columns(df)
