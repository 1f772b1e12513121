"""Memory and time of level one as a recording grows: 1, 10 and 60 minutes of natural talk (issue 24).

The inputs are built from ``../shared/data/video/natural/`` with ffmpeg: every clip scaled and
padded to 640x360 at 24 fps with 16 kHz mono audio (silence for the FG-NET clip, which has none),
the speech clips alternating with 40 s pieces of FG-NET (about 4.5 minutes), and that round looped
to each length. Each length runs as a fresh ``ahcue extract INPUT --no-asr`` process on an empty
cache; recorded: peak resident memory (the largest process, and the whole process tree sampled from
/proc), wall time and CPU seconds. CPU seconds are what the linearity check uses: wall time on a
machine other work shares measures the other work too.

    nice -n 10 python benchmarks/long_recordings.py --json benchmarks/long_recordings.json --minutes 1 10 60
    python benchmarks/long_recordings.py --json F --minutes 10 [--asr]   # speed (issue 24: >= 4x real time)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS, SR = 640, 360, 24, 16000


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *args], check=True)


def _has_audio(path: Path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=index",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True, check=True)
    return bool(out.stdout.strip())


SILENT_PIECE_S = 40.0  # the FG-NET conversation (200 s, no audio track) is cut into pieces this long


def _normalise(clip: Path, out: Path, start_s: float | None = None, length_s: float | None = None) -> Path:
    """``clip`` (or a piece of it) at 640x360, 24 fps, 16 kHz mono; silence where it has no audio."""
    video = (f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
             f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,fps={FPS},format=yuv420p")
    cut = (["-ss", f"{start_s:.3f}"] if start_s is not None else []) + \
        (["-t", f"{length_s:.3f}"] if length_s is not None else [])
    enc = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac", "-shortest", str(out)]
    if _has_audio(clip):
        _ffmpeg(*cut, "-i", str(clip), "-vf", video, "-ar", str(SR), "-ac", "1", *enc)
    else:
        _ffmpeg(*cut, "-i", str(clip), "-f", "lavfi", "-i", f"anullsrc=r={SR}:cl=mono", "-vf", video, *enc)
    return out


def build_round(natural: Path, work: Path) -> Path:
    """The natural clips, normalised and joined end to end (about 4.5 minutes).

    The speech clips alternate with 40 s pieces of the silent FG-NET conversation, so that every
    minute of a longer input holds about the same mix of speech and silence as the first one (a
    first minute of FG-NET alone would measure no audio analysis at all)."""
    clips = sorted(natural.glob("*.mp4"))
    speech = [c for c in clips if _has_audio(c)]
    silent = [c for c in clips if not _has_audio(c)]
    pieces: list[tuple[Path, float | None, float | None]] = []
    for clip in silent:
        length = _duration(clip)
        pieces += [(clip, t, min(SILENT_PIECE_S, length - t))
                   for t in [k * SILENT_PIECE_S for k in range(int(-(-length // SILENT_PIECE_S)))]]
    order: list[tuple[Path, float | None, float | None]] = []
    for k in range(max(len(speech), len(pieces))):
        if k < len(speech):
            order.append((speech[k], None, None))
        if k < len(pieces):
            order.append(pieces[k])
    parts = [_normalise(clip, work / f"part{i:02d}.mp4", start, length)
             for i, (clip, start, length) in enumerate(order)]
    listing = work / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in parts))
    joined = work / "round.mp4"
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(joined))
    return joined


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def build_input(joined: Path, minutes: float, work: Path) -> Path:
    out = work / f"natural_{minutes:g}min.mp4"
    _ffmpeg("-stream_loop", "-1", "-i", str(joined), "-t", f"{minutes * 60:.3f}", "-c", "copy", str(out))
    return out


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and every process below it, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_extract(video: Path, work: Path, sample_s: float = 0.5, asr: bool = False) -> dict:
    """A fresh ``ahcue extract --no-asr`` (``asr``: with speech recognition) on an empty cache: wall
    seconds, CPU seconds (user + system of the process and its children, from ``wait4``: what the
    work cost whatever else the machine ran), peak RSS of the largest process (``ru_maxrss``) and
    of the whole process tree (sampled from /proc every ``sample_s`` seconds)."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "reports.cli", "extract", str(video), *([] if asr else ["--no-asr"]),
           "--cache-dir", str(cache), "-o", str(work / (video.stem + ".parquet")), "--force", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT))
    tree_peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal tree_peak
        while not stop.is_set():
            tree_peak = max(tree_peak, _tree_rss_bytes(proc.pid))
            stop.wait(sample_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"extract failed on {video}")
    shutil.rmtree(cache, ignore_errors=True)
    return {"wall_s": round(wall, 1), "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_rss_gb": round(usage.ru_maxrss / 1024 ** 2, 3), "peak_tree_rss_gb": round(tree_peak / 1024 ** 3, 3)}


def summarise(rows: list[dict]) -> dict:
    """The issue's two checks where the lengths were run: memory of each length against 1 minute's
    (target: within 10%), and CPU seconds of the longest against its length times the per-minute
    cost of the 10-minute run (target: within 1.1x)."""
    by = {r["minutes"]: r for r in rows}
    out: dict = {}
    if 1.0 in by:
        base = by[1.0]["peak_rss_gb"]
        out["peak_rss_vs_1min"] = {f"{m:g}": round(r["peak_rss_gb"] / base, 3) for m, r in by.items()}
    if 10.0 in by:
        per_min = by[10.0]["cpu_s"] / 10.0
        out["cpu_s_per_media_min_10min"] = round(per_min, 2)
        out["cpu_vs_linear_from_10min"] = {f"{m:g}": round(r["cpu_s"] / (m * per_min), 3)
                                           for m, r in by.items() if m > 10.0}
    if 1.0 in by and len(by) > 1:
        top = max(by)
        out["peak_rss_growth_mb_per_media_min"] = round(
            (by[top]["peak_rss_gb"] - by[1.0]["peak_rss_gb"]) * 1000 / (top - 1.0), 2)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, metavar="PATH")
    ap.add_argument("--minutes", type=float, nargs="+", default=[1.0, 10.0, 60.0])
    ap.add_argument("--data", default=os.environ.get("AHCUE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--work", default=None, help="folder for the built inputs (default: a temporary one)")
    ap.add_argument("--asr", action="store_true", help="with speech recognition (default: --no-asr, as with a "
                                                         "given transcript)")
    args = ap.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="ahcue-long-"))
    work.mkdir(parents=True, exist_ok=True)
    joined = build_round(Path(args.data) / "video" / "natural", work)
    rows = []
    for m in args.minutes:
        video = build_input(joined, m, work)
        load_before = os.getloadavg()
        r = {"minutes": m, "asr": args.asr, **run_extract(video, work, asr=args.asr)}
        r["x_real_time"] = round(m * 60 / r["wall_s"], 3)  # media seconds per wall second (> 1: faster)
        r["wall_s_per_media_min"] = round(r["wall_s"] / m, 1)
        r["cpu_s_per_media_min"] = round(r["cpu_s"] / m, 2)
        r["load_average_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
        rows.append(r)
        print(f"{m:g} min: wall {r['wall_s']} s ({r['x_real_time']}x real time), CPU {r['cpu_s']} s "
              f"({r['cpu_s_per_media_min']} s per media minute), peak RSS {r['peak_rss_gb']} GB "
              f"(process tree {r['peak_tree_rss_gb']} GB)", flush=True)
        Path(args.json).write_text(json.dumps({
            "input": "natural clips joined (speech clips alternating with 40 s pieces of the silent FG-NET "
                     "conversation), 640x360 24 fps, ahcue extract " + ("with ASR" if args.asr else "--no-asr")
                     + ", empty cache, fresh process",
            "cpus": os.cpu_count(), "runs": rows, "checks": summarise(rows)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
