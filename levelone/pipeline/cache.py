"""The per-video cache of level one: keys, atomic Parquet entries and per-key locks.

Why it looks like this:

- **Keys.** A raw-signal entry is valid for one input and one set of extractors. The input part is
  :func:`file_fingerprint`: size, modification time (ns) and a SHA-256 of the first and last MiB.
  That reads 2 MiB whatever the video's size (a full hash of a 10 h dataset would cost minutes),
  and still changes when a file is replaced, re-encoded, truncated or touched. The extractor part
  is every level-one module's ``VERSION`` string plus a content hash of the shipped model and
  lexicon files (``levelone.pipeline.versions.signal_versions``), so a changed extractor invalidates its entries.
  :func:`cache_key` hashes both with any options that change the result (ASR on/off, the
  transcript file's fingerprint).
- **Atomic entries.** Each entry is one Parquet file written through :func:`codebook.atomic.atomic_path`
  (temp file beside the target, then ``os.replace``), so a killed run leaves either the old entry,
  the new one or none — never half a file. A file that does not read back (or whose key does not
  match) counts as absent and is recomputed. An entry being computed keeps its finished chunks in
  ``partial/<video>.<key>/`` (:mod:`levelone.pipeline.checkpoint`) until it is stored, so an
  interrupted run resumes where it stopped.
- **Locks.** Two runs on one cache serialise per key with an exclusive ``fcntl.flock`` on
  ``locks/<key>.lock``. The kernel drops a flock when its holder dies (even by SIGKILL), so a
  crashed run never leaves a stale lock behind; the waiting run then finds the entry (or computes
  it). Lock files are empty and harmless to delete when no run is active. POSIX only.
- **Where.** ``--cache-dir`` > ``$AHCUE_CACHE`` > ``<dataset>/.ahcue-cache`` (when writable) >
  ``$XDG_CACHE_HOME/ahcue`` (default ``~/.cache/ahcue``).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from codebook.atomic import atomic_path

CACHE_ENV = "AHCUE_CACHE"
CACHE_FORMAT = 1  # bump when the entry layout changes
EDGE_BYTES = 1 << 20  # the first and last MiB enter the content hash
RAW_META_KEY = b"ahcue.raw"


def file_fingerprint(path: str | os.PathLike) -> str:
    """A cheap identity for an input file: size, mtime and a hash of its first and last MiB."""
    path = Path(path)
    st = path.stat()
    h = hashlib.sha256()
    h.update(f"{st.st_size}:{st.st_mtime_ns}:".encode())
    with open(path, "rb") as f:
        h.update(f.read(EDGE_BYTES))
        if st.st_size > EDGE_BYTES:
            f.seek(max(EDGE_BYTES, st.st_size - EDGE_BYTES))
            h.update(f.read(EDGE_BYTES))
    return h.hexdigest()


def cache_key(fingerprint: str, versions: Mapping[str, str], options: Mapping[str, Any] | None = None) -> str:
    """The hex key of a raw-signal entry: input fingerprint x extractor versions x options."""
    payload = {"format": CACHE_FORMAT, "input": fingerprint, "versions": dict(sorted(versions.items())),
               "options": dict(sorted((options or {}).items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def safe_name(text: str) -> str:
    """A file-name-safe version of a video id (BAH names hold spaces; ids may hold slashes)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._")
    return name or "video"


def default_cache_dir(dataset_root: str | os.PathLike | None = None) -> Path:
    """Where the cache goes when the user names none (see the module docstring)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    if dataset_root is not None:
        root = Path(dataset_root)
        if os.access(root, os.W_OK):
            return root / ".ahcue-cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ahcue"


class Cache:
    """A cache folder: ``raw/`` signal entries, ``frametables/`` assembled tables, ``locks/``."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def raw_path(self, video_id: str, key: str) -> Path:
        return self.root / "raw" / f"{safe_name(video_id)}.{key[:20]}.parquet"

    def partial_dir(self, video_id: str, key: str) -> Path:
        """The checkpoints of an unfinished entry (:mod:`levelone.pipeline.checkpoint`), keyed like it."""
        return self.root / "partial" / f"{safe_name(video_id)}.{key[:20]}"

    def frametable_dir(self, tag: str) -> Path:
        return self.root / "frametables" / safe_name(tag)

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the exclusive lock of ``key`` (blocks while another process holds it)."""
        path = self.root / "locks" / f"{key[:20]}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @staticmethod
    def clear_stale_temps(target: Path) -> int:
        """Delete temp files a killed writer of ``target`` left behind (call holding its lock)."""
        n = 0
        for tmp in Path(target).parent.glob(f".{Path(target).name}.*.tmp"):
            try:
                tmp.unlink()
                n += 1
            except FileNotFoundError:
                pass
        return n

    def store_raw(self, video_id: str, key: str, data: pd.DataFrame, meta: Mapping[str, Any]) -> Path:
        """Write one raw-signal entry atomically, with ``meta`` (JSON) and the key in its schema."""
        path = self.raw_path(video_id, key)
        stored = {**meta, "key": key, "cache_format": CACHE_FORMAT}
        write_pieces(data, path, {RAW_META_KEY: json.dumps(stored).encode()})
        return path

    def load_raw(self, video_id: str, key: str) -> tuple[pd.DataFrame, dict] | None:
        """The entry's (signals, meta), or None when absent, unreadable or for another key."""
        path = self.raw_path(video_id, key)
        if not path.exists():
            return None
        meta = read_raw_meta(path)
        if meta is None or meta.get("key") != key:
            return None
        try:
            data = read_columns(path)
        except (OSError, pa.ArrowException, ValueError):
            return None
        return data, meta

    def has_raw(self, video_id: str, key: str) -> bool:
        """True when a valid entry exists (reads the whole file: a torn tail must not pass)."""
        return self.load_raw(video_id, key) is not None


ROW_GROUP_ROWS = 8192  # rows per Parquet row group of a table written in pieces (write_pieces)


def write_pieces(data: pd.DataFrame, path: str | os.PathLike, metadata: Mapping[bytes, bytes],
                 rows_per_group: int = ROW_GROUP_ROWS) -> None:
    """Write ``data`` (without its index) to ``path`` atomically, ``rows_per_group`` rows at a
    time, with ``metadata`` added to the schema's: what ``pq.write_table(pa.Table.from_pandas(data))``
    writes, read back the same, without a second copy of a long recording's table in Arrow."""
    with atomic_path(path) as tmp:
        writer = None
        try:
            for a in range(0, max(len(data), 1), rows_per_group):
                piece = data.iloc[a:a + rows_per_group]
                if writer is None:
                    table = pa.Table.from_pandas(piece, preserve_index=False)
                    schema = table.schema.with_metadata({**(table.schema.metadata or {}), **metadata})
                    writer = pq.ParquetWriter(tmp, schema, compression="zstd")
                writer.write_table(pa.Table.from_pandas(piece, schema=schema, preserve_index=False))
        finally:
            if writer is not None:
                writer.close()


def read_columns(path: str | os.PathLike) -> pd.DataFrame:
    """A Parquet file written from a DataFrame without its index, read back one column at a time:
    the same frame as ``pq.read_table(path).to_pandas()``, but a long recording's signals are held
    once (reading the whole table first holds them twice, and Arrow's allocator keeps what it took)."""
    pf = pq.ParquetFile(path)
    cols = {name: pf.read(columns=[name]).column(0).to_pandas().to_numpy() for name in pf.schema_arrow.names}
    pa.default_memory_pool().release_unused()
    return pd.DataFrame(cols, copy=False)


def read_raw_meta(path: str | os.PathLike) -> dict | None:
    """The JSON metadata of a raw entry, or None if the file is not a readable entry."""
    try:
        md = pq.read_schema(path).metadata or {}
        raw = md.get(RAW_META_KEY)
        return json.loads(raw) if raw else None
    except (OSError, pa.ArrowException, ValueError):
        return None
