"""Fault tolerance of dataset extraction (issue 7): killed workers, a killed run, concurrent runs,
bad videos. The pipeline machinery is exercised with a small real extractor defined here
(:func:`luma_signals`: mean luma of every decoded frame and audio RMS per frame, decoded with
:mod:`levelone.media.video` from real GRID clips), so these tests do not depend on the MediaPipe and
speech modules; the last test repeats the kill-and-resume check with the real `ahcue extract`.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from levelone.baseline import Baseline, squash

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
GRID = ["bbaf2n", "brbk7n", "lbax4n", "lbbc2a", "lrwp9a", "lwbsza", "pwij3p", "sbia1a"]
VERSIONS = {"luma": "1"}
# The mean luma is stored under a declared face signal: FrameTables refuse undeclared columns.
LUMA = "face.brow_gap"


# ------------------------------------------------------------------ a small real extractor
def luma_signals(job, asr):
    """Stage-1 stand-in that really decodes: per-frame mean luma and per-frame audio RMS (dB).

    ``AHCUE_TEST_FRAME_DELAY_S`` slows decoding so a test can kill a run mid-video.
    """
    from levelone.pipeline.extract import RawSignals
    from levelone.media.video import iter_frames, probe, read_audio

    info = probe(job.path)
    delay = float(os.environ.get("AHCUE_TEST_FRAME_DELAY_S", "0"))
    luma = []
    for _, _, rgb in iter_frames(job.path, max_side=96):
        luma.append(float(rgb.mean()))
        if delay:
            time.sleep(delay)
    n = len(luma)
    y = read_audio(job.path)
    edges = np.linspace(0, len(y), n + 1).astype(int)
    rms = np.array([np.sqrt(np.mean(y[a:b] ** 2)) if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])])
    rms_db = 20 * np.log10(rms + 1e-6)
    return RawSignals(pd.DataFrame({LUMA: np.asarray(luma, np.float32), "face.present": np.ones(n, bool),
                                    "audio.rms_db": rms_db.astype(np.float32), "audio.present": rms_db > -50}),
                      float(info.fps), n)


def luma_cues(signals: pd.DataFrame, baseline: Baseline, fps: float) -> pd.DataFrame:
    """A baseline-relative cue for the assembly stage: brighter than the person's usual frame."""
    z = baseline.zscore(signals, LUMA)
    return pd.DataFrame({"cue.face.open": squash(z, 1.0),
                         "affect.face.valence": np.clip(z / 3, -1, 1).astype(np.float32),
                         "affect.face.confidence": np.where(np.isnan(z), 0, 0.5).astype(np.float32)})


CUES = {"face": luma_cues}


def main(argv: list[str]) -> int:
    """``python test_faults.py ROOT CACHE OUT WORKERS``: one run with the extractor above."""
    from levelone.pipeline.extract import plan, run

    root, cache, out, workers = argv
    result = run(plan(root), out=out, workers=int(workers), cache_dir=cache, progress=False,
                 signals=luma_signals, versions=VERSIONS, cue_functions=CUES)
    print(json.dumps(result.to_json()))
    return 2 if result.failures else 0


# ------------------------------------------------------------------------------- helpers
def make_bah(root: Path, grid: Path, per_person: dict[str, list[str]]) -> Path:
    """A minimal BAH root (split/ + Videos/) holding real GRID clips; one name has spaces."""
    lines = []
    for pid, clips in per_person.items():
        for q, clip in enumerate(clips, start=1):
            stamp = "2024-10-02 16-19-36" if q == 2 else "2024-10-02_16-19-36"
            rel = f"Videos/{pid}/Visite_1/{pid}_Question_{q}_{stamp}_Video.mpg"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(grid / f"{clip}.mpg", root / rel)
            lines.append(f"{rel},{q % 2},so, um, I think, maybe")
    (root / "split").mkdir(parents=True, exist_ok=True)
    (root / "split" / "train.txt").write_text("\n".join(lines) + "\n")
    return root


def launch(root: Path, cache: Path, out: Path, workers: int, delay: float = 0.0) -> subprocess.Popen:
    env = {**os.environ, "AHCUE_TEST_FRAME_DELAY_S": str(delay), "PYTHONPATH": f"{REPO}"}
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_faults; " \
           f"sys.exit(test_faults.main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, str(root), str(cache), str(out), str(workers)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float = 240) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode in (0, 2), err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def raw_entries(cache: Path) -> list[Path]:
    return sorted((cache / "raw").glob("*.parquet")) if (cache / "raw").is_dir() else []


def wait_for(predicate, timeout: float = 120.0) -> None:
    t0 = time.time()
    while not predicate():
        if time.time() - t0 > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def worker_pids(parent: int) -> list[int]:
    """The spawn workers of a process (not its resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
    pids = []
    for pid in map(int, out):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except FileNotFoundError:
            continue
        if "spawn_main" in cmd:
            pids.append(pid)
    return pids


def tables(out: Path) -> dict[str, pd.DataFrame]:
    from levelone.frametable import read
    return {p.name: read(p).data for p in sorted(out.glob("*.parquet"))}


def assert_same_tables(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert sorted(a) == sorted(b) and a
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def no_temps(*folders: Path) -> bool:
    return not any(p.name.endswith(".tmp") for f in folders if f.exists() for p in f.rglob("*"))


@pytest.fixture(scope="module")
def dataset(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bah")
    return make_bah(root, shared_data / "video" / "grid", {"P01": GRID[:4], "P02": GRID[4:]})


@pytest.fixture(scope="module")
def reference(dataset, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """An uninterrupted run with one worker: what every resumed run must equal."""
    base = tmp_path_factory.mktemp("ref")
    summary = finish(launch(dataset, base / "cache", base / "out", 1))
    assert summary["computed"] == 8 and not summary["failures"]
    return tables(base / "out")


# --------------------------------------------------------------------------------- tests
def test_worker_sigkill_loses_nothing_finished_and_run_recovers(dataset, reference, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    proc = launch(dataset, cache, out, workers=2, delay=0.03)
    wait_for(lambda: len(raw_entries(cache)) >= 1)
    finished = {p: p.stat().st_mtime_ns for p in raw_entries(cache)}
    victims = []
    wait_for(lambda: bool(victims.extend(worker_pids(proc.pid)) or victims))
    os.kill(victims[0], signal.SIGKILL)
    summary = finish(proc)
    # the pool broke; the run retried the videos in flight and finished all eight
    assert not summary["failures"] and len(summary["tables"]) == 8 and summary["worker_restarts"] >= 1
    assert summary["computed"] + summary["cached"] == 8
    for p, mtime in finished.items():  # entries finished before the kill were not recomputed
        assert p.stat().st_mtime_ns == mtime
    assert_same_tables(tables(out), reference)
    assert no_temps(cache, out)


def test_run_killed_midway_resumes_to_the_uninterrupted_result(dataset, reference, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    proc = launch(dataset, cache, out, workers=2, delay=0.03)
    wait_for(lambda: len(raw_entries(cache)) >= 2)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, mid-write included
    proc.communicate()
    before = raw_entries(cache)
    assert 2 <= len(before) < 8
    from levelone.pipeline.cache import read_raw_meta
    assert all(read_raw_meta(p) is not None for p in before)  # whatever is there reads back
    summary = finish(launch(dataset, cache, out, workers=2))
    assert summary["cached"] == len(before) and summary["computed"] == 8 - len(before)
    assert not summary["failures"]
    assert_same_tables(tables(out), reference)
    assert no_temps(cache, out)
    again = finish(launch(dataset, cache, out, workers=2))  # a third run has nothing to do
    assert again["computed"] == 0 and again["assembled"] == 0 and again["up_to_date"] == 8


def test_two_concurrent_runs_share_one_cache(dataset, reference, tmp_path):
    cache = tmp_path / "cache"
    a = launch(dataset, cache, tmp_path / "out_a", workers=1, delay=0.01)
    b = launch(dataset, cache, tmp_path / "out_b", workers=1, delay=0.01)
    sa, sb = finish(a), finish(b)
    assert not sa["failures"] and not sb["failures"]
    assert sa["computed"] + sb["computed"] == 8  # the per-key lock: each video computed once
    assert len(raw_entries(cache)) == 8
    assert_same_tables(tables(tmp_path / "out_a"), reference)
    assert_same_tables(tables(tmp_path / "out_b"), reference)
    assert no_temps(cache)


def test_bad_video_is_reported_and_the_rest_finish(dataset, tmp_path, shared_data):
    root = make_bah(tmp_path / "bah", shared_data / "video" / "grid", {"P01": GRID[:2], "P02": GRID[2:3]})
    bad = next((root / "Videos" / "P02").rglob("*.mpg"))
    bad.write_bytes(b"this is not a video\n" * 100)
    summary = finish(launch(root, tmp_path / "cache", tmp_path / "out", workers=1))
    assert len(summary["failures"]) == 1 and summary["failures"][0]["path"] == str(bad.resolve())
    assert "not a video ahcue can decode" in summary["failures"][0]["problem"]
    assert len(summary["tables"]) == 2


def test_baseline_is_per_participant(dataset, reference):
    """Cues are z-scored against the person's own frames (all their videos), not the dataset's
    (each person's 12 s are blended with the population norms, as every short recording is)."""
    from levelone.baseline import blend_with_population

    by_pid: dict[str, list[pd.DataFrame]] = {}
    for name, df in reference.items():
        by_pid.setdefault(name.split("_")[0], []).append(df)
    assert sorted(by_pid) == ["P01", "P02"] and all(len(v) == 4 for v in by_pid.values())
    fps = 25.0
    pooled = blend_with_population(Baseline.fit([df[[LUMA]] for dfs in by_pid.values() for df in dfs]), fps)[0]
    for pid, dfs in by_pid.items():
        own = blend_with_population(Baseline.fit([df[[LUMA]] for df in dfs]), fps)[0]
        both = pd.concat(dfs)
        expected = np.clip(own.zscore(both, LUMA) / 3, -1, 1)
        np.testing.assert_allclose(both["affect.face.valence"].to_numpy(), expected, atol=1e-5)
        dataset_level = np.clip(pooled.zscore(both, LUMA) / 3, -1, 1)
        assert np.abs(dataset_level - expected).mean() > 0.05  # the grouping matters on this data
        assert abs(np.mean(both["affect.face.valence"] > 0) - 0.5) < 0.05


def _cli_kill_and_resume(root: Path, tmp_path: Path, n_videos: int, extra: list[str]) -> dict:
    """`ahcue extract ROOT --workers 2` killed mid-run, re-run: every table valid, equal to a clean run."""
    from levelone.frametable import read, validate
    ahcue = [sys.executable, "-m", "reports.cli", "extract", str(root), "--workers", "2", "--quiet", "--json",
             *extra]

    def cli(cache: Path, out: Path) -> subprocess.Popen:
        return subprocess.Popen(ahcue + ["--cache-dir", str(cache), "-o", str(out)], cwd=REPO,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    clean = cli(tmp_path / "c1", tmp_path / "o1")
    out, err = clean.communicate(timeout=1200)
    assert clean.returncode == 0, err[-2000:]
    proc = cli(tmp_path / "c2", tmp_path / "o2")
    wait_for(lambda: len(raw_entries(tmp_path / "c2")) >= 1, timeout=600)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    from levelone.pipeline.cache import read_raw_meta
    for p in raw_entries(tmp_path / "c2"):  # whatever the kill left reads back whole
        meta = read_raw_meta(p)
        assert meta is not None and len(pd.read_parquet(p)) == meta["n_frames"]
    resumed = cli(tmp_path / "c2", tmp_path / "o2")
    out, err = resumed.communicate(timeout=1200)
    assert resumed.returncode == 0, err[-2000:]
    summary = json.loads(out)
    assert summary["cached"] >= 1 and summary["computed"] + summary["cached"] == n_videos
    a = {p.name: read(p) for p in sorted((tmp_path / "o1").glob("*.parquet"))}
    b = {p.name: read(p) for p in sorted((tmp_path / "o2").glob("*.parquet"))}
    assert sorted(a) == sorted(b) and len(a) == n_videos
    for name in a:
        validate(b[name])
        pd.testing.assert_frame_equal(a[name].data, b[name].data)
        assert a[name].meta.input_hash == b[name].meta.input_hash
    assert no_temps(tmp_path / "c2", tmp_path / "o2")
    return b


@pytest.mark.slow
def test_cli_kill_and_resume_with_the_real_extractors(shared_data, tmp_path):
    """Four GRID clips of two people, no transcripts (--no-asr): face, body and audio for real."""
    root = make_bah(tmp_path / "bah", shared_data / "video" / "grid", {"P01": GRID[:2], "P02": GRID[2:4]})
    tables = _cli_kill_and_resume(root, tmp_path, 4, ["--no-asr"])
    for t in tables.values():
        assert t.meta.missing == ["text"] and t.data["face.present"].mean() > 0.95
    assert sorted({t.meta.participant_id for t in tables.values()}) == ["P01", "P02"]


@pytest.mark.slow
def test_cli_kill_and_resume_on_the_demo_corpus(demo_corpus, tmp_path):
    """Issue 7 on the generated BAH-format corpus (transcripts from its Whisper-style .yml files)."""
    from codebook.bah import BAHDataset
    videos = BAHDataset(demo_corpus).videos()
    tables = _cli_kill_and_resume(demo_corpus, tmp_path, len(videos), [])
    assert {t.meta.participant_id for t in tables.values()} == {v.participant_id for v in videos}
    assert all(t.data["text.present"].any() for t in tables.values())  # the BAH transcripts were used
