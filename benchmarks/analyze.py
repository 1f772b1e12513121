"""``ahcue analyze`` latency on a 30 s talking-head video, as a user runs it.

The clip is the bundled sample (``levelone/data/sample/sample.mp4``, 24 fps, speech) looped to
30 s with ffmpeg. Two figures, each the median of ``--repeats`` runs after one warm-up:

- *cold*: ``ahcue analyze`` in a fresh process with an empty cache — what a user waits for,
  model loading included;
- *warm*: :func:`reports.analyze.analyze` again in one process with a fresh output folder and an
  empty cache — the per-video cost once models are loaded.

Both transcribe the audio with the offline Whisper tiny.en (no transcript given), so every stage
runs. Peak memory is ``ru_maxrss`` of the cold child processes: an upper bound, since Linux
seeds a child's figure with its parent's size at fork.

    python benchmarks/analyze.py --json out.json [--repeats 3] [--seconds 30]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "levelone" / "data" / "sample" / "sample.mp4"
# Run as a script, this folder comes first on sys.path and benchmarks/levelone.py would shadow the
# levelone package: put the repository first.
sys.path.insert(0, str(REPO))


def make_clip(seconds: float, out: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(SAMPLE), "-t", str(seconds),
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)], check=True)
    return out


def cold_run(video: Path, work: Path, i: int) -> float:
    out, cache = work / f"cold-{i}", work / f"cache-cold-{i}"
    cmd = [sys.executable, "-m", "reports.cli", "analyze", str(video), "-o", str(out), "--quiet"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, env={**_env(), "AHCUE_CACHE": str(cache)},
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def warm_run(video: Path, work: Path, i: int) -> float:
    from reports.analyze import analyze

    os.environ["AHCUE_CACHE"] = str(work / f"cache-warm-{i}")
    start = time.perf_counter()
    analyze(video, work / f"warm-{i}", progress=False)
    return time.perf_counter() - start


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seconds", type=float, default=30.0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = make_clip(args.seconds, work / "clip30.mp4")
        cold_run(video, work, -1)  # warm-up: disk caches, bytecode
        cold = [cold_run(video, work, i) for i in range(args.repeats)]
        warm_run(video, work, -1)  # loads the models in this process
        warm = [warm_run(video, work, i) for i in range(args.repeats)]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "video_s": args.seconds,
        "cold_s": round(statistics.median(cold), 2), "cold_runs_s": [round(x, 2) for x in cold],
        "warm_s": round(statistics.median(warm), 2), "warm_runs_s": [round(x, 2) for x in warm],
        "cold_x_realtime": round(statistics.median(cold) / args.seconds, 3),
        "warm_x_realtime": round(statistics.median(warm) / args.seconds, 3),
        "peak_rss_mib_cold_process": round(peak, 1),
    }
    print(f"analyze, {args.seconds:.0f} s video: cold {result['cold_s']} s "
          f"({result['cold_x_realtime']}x real time), warm {result['warm_s']} s "
          f"({result['warm_x_realtime']}x), peak RSS {result['peak_rss_mib_cold_process']} MiB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
