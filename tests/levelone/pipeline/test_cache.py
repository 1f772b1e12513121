"""The level-one cache: keys, atomic entries, corrupt entries, locks across processes."""
from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from levelone.pipeline.cache import (EDGE_BYTES, Cache, cache_key, default_cache_dir, file_fingerprint, read_raw_meta,
                                     safe_name)
from levelone.pipeline.extract import RawSignals, VideoJob, module_version, plan, run


def _signals(n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"face.x": np.arange(n, dtype=np.float32), "face.present": np.ones(n, bool)})


def test_fingerprint_follows_content_size_and_mtime(tmp_path):
    f = tmp_path / "v.mp4"
    data = bytearray(os.urandom(3 * EDGE_BYTES))
    f.write_bytes(data)
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    a = file_fingerprint(f)
    assert a == file_fingerprint(f)  # stable
    data[-1] ^= 0xFF  # last byte: inside the hashed tail
    f.write_bytes(data)
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    b = file_fingerprint(f)
    assert b != a
    data[0] ^= 0xFF  # first byte: inside the hashed head
    f.write_bytes(data)
    os.utime(f, ns=(1_000_000_000, 1_000_000_000))
    assert file_fingerprint(f) not in (a, b)
    os.utime(f, ns=(2_000_000_000, 2_000_000_000))  # touched: treated as a new input
    c = file_fingerprint(f)
    f.write_bytes(bytes(data) + b"x")
    os.utime(f, ns=(2_000_000_000, 2_000_000_000))
    assert file_fingerprint(f) != c  # one byte longer


def test_key_changes_with_any_extractor_version_or_option():
    v = {"levelone.pipeline.vision": "1", "levelone.audio.prosody": "audio-1"}
    k = cache_key("fp", v, {"asr": True})
    assert k == cache_key("fp", dict(reversed(list(v.items()))), {"asr": True})  # order-free
    assert k != cache_key("fp", {**v, "levelone.audio.prosody": "audio-2"}, {"asr": True})
    assert k != cache_key("fp", {**v, "levelone.face.cues": "1"}, {"asr": True})
    assert k != cache_key("fp", v, {"asr": False})
    assert k != cache_key("fp2", v, {"asr": True})
    assert len(k) == 64


def test_module_version_reads_the_constant_without_importing(tmp_path, monkeypatch):
    import sys
    (tmp_path / "ahcue_probe_mod.py").write_text('import nonexistent_heavy_thing\nVERSION = "vision-7"\n')
    (tmp_path / "ahcue_probe_nover.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert module_version("ahcue_probe_mod") == "vision-7"
    assert "ahcue_probe_mod" not in sys.modules
    assert module_version("ahcue_probe_nover") == "0"
    assert module_version("ahcue_no_such_module") == "absent"
    (tmp_path / "ahcue_probe_ann.py").write_text(
        'def f():\n    VERSION = "inner"\nVERSIONS = ("a",)\nVERSION: str = "2"  # 2: a comment\nVERSION = "late"\n')
    assert module_version("ahcue_probe_ann") == "2"  # the first top-level assignment, annotated or not
    assert module_version("levelone.audio.prosody") == importlib.import_module("levelone.audio.prosody").VERSION


def test_store_and_load_round_trip_and_wrong_key(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("fp", {"a": "1"})
    path = cache.store_raw("P1 video/1", key, _signals(), {"fps": 25.0, "n_frames": 50})
    assert path.parent == tmp_path / "raw" and " " not in path.name and "/" not in path.name
    data, meta = cache.load_raw("P1 video/1", key)
    pd.testing.assert_frame_equal(data, _signals())
    assert meta["fps"] == 25.0 and meta["key"] == key
    assert cache.load_raw("P1 video/1", cache_key("fp", {"a": "2"})) is None
    assert [p.name for p in tmp_path.rglob("*.tmp")] == []


def test_truncated_or_garbage_entry_reads_as_absent(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("fp", {})
    path = cache.store_raw("v", key, _signals(), {})
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])  # what a non-atomic writer killed midway would leave
    assert cache.load_raw("v", key) is None and read_raw_meta(path) is None
    path.write_bytes(b"PAR1" + b"\0" * 100)
    assert cache.load_raw("v", key) is None


def test_stale_temp_files_of_a_killed_writer_are_cleared(tmp_path):
    cache = Cache(tmp_path)
    key = cache_key("fp", {})
    target = cache.raw_path("v", key)
    target.parent.mkdir(parents=True)
    (target.parent / f".{target.name}.abc123.tmp").write_bytes(b"half")
    (target.parent / ".other.parquet.x.tmp").write_bytes(b"not ours")
    assert Cache.clear_stale_temps(target) == 1
    assert sorted(p.name for p in target.parent.iterdir()) == [".other.parquet.x.tmp"]


def _count_signals(job: VideoJob, asr: bool) -> RawSignals:
    """A real (if tiny) extractor: the byte histogram entropy of the file, per 'frame' of 4 KiB
    (stored under a declared signal name, since FrameTables refuse undeclared columns)."""
    data = np.frombuffer(Path(job.path).read_bytes(), np.uint8)
    n = max(1, len(data) // 4096)
    chunks = np.array_split(data, n)
    ent = [float(-(p[p > 0] * np.log2(p[p > 0])).sum()) for p in
           (np.bincount(c, minlength=256) / max(1, len(c)) for c in chunks)]
    _count_signals.calls += 1
    return RawSignals(pd.DataFrame({"face.brow_gap": np.asarray(ent, np.float32),
                                    "face.present": np.ones(n, bool)}), 25.0, n)


_count_signals.calls = 0


def test_corrupt_cached_entry_is_recomputed(shared_data, tmp_path):
    video = shared_data / "video" / "grid" / "bbaf2n.mpg"
    p = plan(video)
    kw = dict(cache_dir=tmp_path / "c", progress=False, signals=_count_signals, versions={"t": "1"}, cue_functions={})
    _count_signals.calls = 0
    r1 = run(p, out=tmp_path / "a.parquet", **kw)
    assert (r1.computed, r1.cached, _count_signals.calls) == (1, 0, 1)
    r2 = run(p, out=tmp_path / "b.parquet", **kw)
    assert (r2.computed, r2.cached, _count_signals.calls) == (0, 1, 1)  # served from the cache
    entry = next((tmp_path / "c" / "raw").glob("*.parquet"))
    entry.write_bytes(entry.read_bytes()[:200])
    r3 = run(p, out=tmp_path / "c.parquet", **kw)
    assert (r3.computed, r3.cached, _count_signals.calls) == (1, 0, 2)
    from levelone.frametable import read
    a, c = read(tmp_path / "a.parquet"), read(tmp_path / "c.parquet")
    pd.testing.assert_frame_equal(a.data, c.data)
    r4 = run(p, out=tmp_path / "d.parquet", **{**kw, "versions": {"t": "2"}})  # new extractor version
    assert (r4.computed, _count_signals.calls) == (1, 3)


def _hold_lock(root: str, key: str, hold_s: float, log: str) -> None:
    with Cache(root).lock(key):
        with open(log, "a") as f:
            f.write(f"in {time.monotonic():.4f}\n")
        time.sleep(hold_s)
        with open(log, "a") as f:
            f.write(f"out {time.monotonic():.4f}\n")


def test_lock_excludes_another_process_and_dies_with_its_holder(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    log = tmp_path / "log"
    procs = [ctx.Process(target=_hold_lock, args=(str(tmp_path), "k" * 64, 0.5, str(log))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    events = [line.split()[0] for line in log.read_text().splitlines()]
    assert events == ["in", "out", "in", "out"]  # never two holders at once
    # a holder killed by SIGKILL releases the lock (the kernel drops a dead process's flock)
    killed = ctx.Process(target=_hold_lock, args=(str(tmp_path), "k" * 64, 60, str(log)))
    killed.start()
    t0 = time.time()
    while "in" not in log.read_text().splitlines()[-1]:
        assert time.time() - t0 < 30
        time.sleep(0.02)
    killed.kill()
    killed.join(10)
    t0 = time.monotonic()
    with Cache(tmp_path).lock("k" * 64):
        assert time.monotonic() - t0 < 5


def test_default_cache_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.delenv("AHCUE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir(tmp_path) == tmp_path / ".ahcue-cache"
    assert default_cache_dir(None) == tmp_path / "xdg" / "ahcue"
    monkeypatch.setenv("AHCUE_CACHE", str(tmp_path / "env"))
    assert default_cache_dir(tmp_path) == tmp_path / "env"


@pytest.mark.parametrize("name,expected", [("P1_Question_1_2024-10-02 16-19-36_Video",
                                            "P1_Question_1_2024-10-02_16-19-36_Video"),
                                           ("sub/clip", "sub_clip"), ("..", "video")])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_written_in_pieces_and_read_by_columns_round_trip(tmp_path):
    """A long recording's raw entry is written a row group at a time and read a column at a time:
    the same frame, dtypes and schema metadata as one piece read whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from levelone.pipeline.cache import read_columns, write_pieces

    n = 1000
    data = pd.DataFrame({"face.present": np.arange(n) % 3 > 0, "audio.speech": np.linspace(0, 1, n, dtype=np.float32)})
    data.loc[::7, "audio.speech"] = np.nan
    write_pieces(data, tmp_path / "pieces.parquet", {b"k": b"v"}, rows_per_group=128)
    table = pa.Table.from_pandas(data, preserve_index=False)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"k": b"v"}), tmp_path / "whole.parquet")
    assert pq.ParquetFile(tmp_path / "pieces.parquet").metadata.num_row_groups == 8
    assert pq.read_schema(tmp_path / "pieces.parquet").equals(pq.read_schema(tmp_path / "whole.parquet"),
                                                               check_metadata=True)
    for got in (read_columns(tmp_path / "pieces.parquet"), pq.read_table(tmp_path / "pieces.parquet").to_pandas()):
        pd.testing.assert_frame_equal(got, data, check_exact=True)
