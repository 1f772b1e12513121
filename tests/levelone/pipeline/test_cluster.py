"""`ahcue extract --engine ray` (issue 12): real Ray, a local instance with 2 CPUs.

The demo corpus extracted on Ray equals the serial result (the session's ``demo_tables``); a Ray
worker SIGKILLed mid-video is retried and the tables still equal it; a bad video among good ones
is one failure line, not the end of the run. Ray takes ~5-15 s to start, so each test starts it once.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from codebook.errors import InputError

REPO = Path(__file__).resolve().parents[3]
GRID = ["bbaf2n", "brbk7n"]
TASK_TITLE = "ray::remote_signals"  # Ray's process title while a worker runs our task


def _tables(paths) -> dict[str, pd.DataFrame]:
    from levelone.frametable import read
    return {Path(p).name: read(p).data for p in paths}


# Ray runs each task with one torch thread, the serial path with the process's threads: the text
# model's sums come in another order, and float32 rounding moves stance probabilities by ~1e-7.
# Near zero, text.stance_conflict (2p - 1, clipped) shows that as a large *relative* difference
# (0.0050107 vs 0.0050111), so the comparison allows this absolute difference as well.
THREAD_ORDER_ATOL = 1e-5


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b) and a
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], atol=THREAD_ORDER_ATOL)


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (the driver -> raylet -> Ray workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        for kid in children.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def _busy_ray_workers(root: int) -> list[int]:
    pids = []
    for pid in _descendants(root):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith(TASK_TITLE):
            pids.append(pid)
    return pids


def _wait_for(predicate, timeout: float) -> None:
    t0 = time.time()
    while not predicate():
        if time.time() - t0 > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


# ----------------------------------------------------------------------- without Ray / unit level
def test_engine_ray_without_ray_is_one_line_with_the_install_command(shared_data, tmp_path, monkeypatch, capsys):
    from reports.cli import main
    video = tmp_path / "clip.mpg"
    video.symlink_to(shared_data / "video" / "grid" / f"{GRID[0]}.mpg")
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    assert main(["extract", str(tmp_path), "--engine", "ray", "--cache-dir", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'ahcue[cluster]'" in err[0] and "ray==2.60.0" in err[0]
    assert not (tmp_path / "c").exists()  # refused before any work
    monkeypatch.delitem(sys.modules, "ray")
    assert main(["extract", str(tmp_path), "--address", "auto"]) == 2  # --address needs --engine ray
    assert "--address needs --engine ray" in capsys.readouterr().err


def test_task_refuses_a_node_whose_file_or_code_differs(shared_data, tmp_path):
    """A node with another copy of the video, or another ahcue, must not fill the driver's cache."""
    from levelone.pipeline.cluster import remote_signals
    from levelone.pipeline.inputs import VideoJob
    from levelone.pipeline.signals import RawSignals
    from levelone.pipeline.versions import signal_key, signal_versions

    video = tmp_path / "a.mpg"
    video.write_bytes((shared_data / "video" / "grid" / f"{GRID[0]}.mpg").read_bytes())
    job = VideoJob("a", "a", video)
    versions = signal_versions()
    key = signal_key(job, versions, asr=False)

    def tiny(job, asr):
        return RawSignals(pd.DataFrame({"face.present": [True, False]}), 25.0, 2)

    data, info = remote_signals(job, False, tiny, key, versions, True)
    assert len(data) == 2 and info["n_frames"] == 2 and info["pid"] == os.getpid()
    with pytest.raises(InputError, match="differs on node .* from the driver's copy"):
        remote_signals(job, False, tiny, "0" * 64, versions, True)
    with pytest.raises(InputError, match="install the same version on every node"):
        remote_signals(job, False, tiny, key, {**versions, "levelone.pipeline.vision": "old"}, True)
    with pytest.raises(InputError, match="not found on node"):
        remote_signals(VideoJob("b", "b", tmp_path / "b.mpg"), False, tiny, key, versions, True)


# -------------------------------------------------------------------------------- real Ray runs
@pytest.mark.slow  # ~30 s idle, over a minute on a busy 2-core machine (Ray start + two model loads)
def test_bad_video_among_good_ones_is_reported_and_the_cache_is_shared_with_the_pool(shared_data, tmp_path):
    from levelone.pipeline.extract import plan, run
    folder = tmp_path / "videos"
    folder.mkdir()
    for clip in GRID:
        (folder / f"{clip}.mpg").symlink_to(shared_data / "video" / "grid" / f"{clip}.mpg")
    (folder / "broken.mpg").write_bytes(b"this is not a video\n" * 100)
    cache = tmp_path / "cache"
    result = run(plan(folder), engine="ray", workers=2, cache_dir=cache, out=tmp_path / "out", asr=False,
                 progress=False)
    assert [Path(f.path).name for f in result.failures] == ["broken.mpg"]
    assert "not a video ahcue can decode" in result.failures[0].problem
    assert sorted(result.tables) == GRID and result.computed == 2 and result.engine == "ray"
    assert sorted(result.video_s) == GRID and all(s > 0 for s in result.video_s.values())
    # the driver wrote the entries: the local pool finds them done
    again = run(plan(folder), workers=1, cache_dir=cache, out=tmp_path / "out", asr=False, progress=False)
    assert again.computed == 0 and again.cached == 2 and again.up_to_date == 2
    assert len(again.failures) == 1


@pytest.mark.slow
def test_ray_extraction_of_the_demo_corpus_equals_the_serial_one(demo_corpus, demo_tables, tmp_path):
    from levelone.pipeline.extract import plan, run
    result = run(plan(demo_corpus), engine="ray", workers=2, cache_dir=tmp_path / "cache", out=tmp_path / "out",
                 asr=False, progress=False)
    assert not result.failures and result.computed == len(demo_tables)
    _assert_same(_tables(result.tables.values()), _tables(demo_tables.values()))
    # models load once per worker process, not once per video
    assert 1 <= result.worker_processes <= 2 and result.cold_starts == result.worker_processes
    assert result.cold_starts < len(demo_tables)


@pytest.mark.slow
def test_ray_worker_killed_mid_run_is_retried_and_the_tables_are_unchanged(demo_corpus, demo_tables, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    cmd = [sys.executable, "-m", "reports.cli", "extract", str(demo_corpus), "--engine", "ray", "--workers", "2",
           "--no-asr", "--cache-dir", str(cache), "-o", str(out), "--json", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(lambda: bool(list((cache / "raw").glob("*.parquet"))) if (cache / "raw").is_dir() else False,
                  timeout=600)
        victims: list[int] = []
        _wait_for(lambda: bool(victims.extend(_busy_ray_workers(proc.pid)) or victims), timeout=120)
        os.kill(victims[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout)
    # the killed task was retried: without a retry its video would be a failure here
    assert not summary["failures"] and summary["computed"] + summary["cached"] == len(demo_tables)
    assert not Path(f"/proc/{victims[0]}").exists()
    _assert_same(_tables(Path(p) for p in summary["tables"].values()), _tables(demo_tables.values()))
    assert not any(p.name.endswith(".tmp") for p in cache.rglob("*"))
