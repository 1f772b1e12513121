"""Size and render time of ``report.html`` on a 10-minute recording, and how long it takes to open.

``python benchmarks/report.py --json PATH``: builds a 10-minute recording by normalising the real
clips in ``../shared/data/video/natural`` (640x360, 25 fps, H.264 + AAC; a silent track where a clip
has none) and concatenating them until the length is reached; runs ``ahcue analyze --no-asr`` on it
once (level one is the slow part and is not what this measures; its time is reported for context);
then times, ``--repeats`` times each, (a) rendering the report in process from ``prediction.json``
and ``features.parquet`` (what ``ahcue report`` does) and (b) headless Chromium loading the page and
running its script (``--dump-dom``, minus the same for an empty page). Reports the median.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NATURAL = ROOT.parent / "shared" / "data" / "video" / "natural"
WIDTH, HEIGHT, FPS = 640, 360, 25


def has_audio(path: Path) -> bool:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_type",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True).stdout
    return "audio" in out


def duration_s(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def build_recording(work: Path, minutes: float) -> Path:
    """``work/recording.mp4``: the natural clips, normalised and concatenated to ``minutes``."""
    target = work / "recording.mp4"
    if target.is_file():
        return target
    parts = []
    for clip in sorted(NATURAL.glob("*.mp4")):
        out = work / f"part_{clip.stem}.mp4"
        audio = ["-i", str(clip)] if has_audio(clip) else ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
        vf = (f"scale={WIDTH}:{HEIGHT}:force_original_aspect_ratio=decrease,"
              f"pad={WIDTH}:{HEIGHT}:(ow-iw)/2:(oh-ih)/2,fps={FPS},format=yuv420p")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), *audio, "-map", "0:v", "-map", "1:a",
                        "-vf", vf, "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-c:a", "aac",
                        "-ar", "48000", "-ac", "2", "-shortest", str(out)], check=True)
        parts.append((out, duration_s(out)))
    listing, total = [], 0.0
    while total < 60 * minutes:
        for out, d in parts:
            listing.append(f"file '{out.name}'")
            total += d
            if total >= 60 * minutes:
                break
    (work / "parts.txt").write_text("\n".join(listing) + "\n")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(work / "parts.txt"),
                    "-t", f"{60 * minutes:.3f}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "26",
                    "-c:a", "aac", str(target)], check=True)
    return target


def analyse(video: Path, out: Path) -> float | None:
    """``ahcue analyze --no-asr`` once (skipped when ``out`` already holds its result); seconds taken."""
    if (out / "prediction.json").is_file() and (out / "features.parquet").is_file():
        return None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reports.cli", "analyze", str(video), "-o", str(out), "--no-asr",
                    "--quiet", "--force"], check=True, env=env, cwd=str(ROOT))
    return time.perf_counter() - t


def render_times(out: Path, repeats: int) -> tuple[list[float], list[float], int]:
    """(render seconds, of which the timeline SVG, report size in bytes) as ``ahcue report`` renders."""
    sys.path.insert(0, str(ROOT))
    from levelone.frametable import read
    from reports.figures import timeline_cues, timeline_svg
    from reports.html import OPTIONS, read_prediction, render_report
    from reports.video import report_video

    total, svg = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        prediction = read_prediction(out / "prediction.json")
        table = read(out / "features.parquet")
        html = render_report(prediction, table, video=report_video(prediction, out, "link"))
        (out / "report.html").write_text(html, encoding="utf-8")
        total.append(time.perf_counter() - t)
        t = time.perf_counter()
        rows = timeline_cues(prediction, table, OPTIONS.active_threshold, OPTIONS.min_active_frames,
                             OPTIONS.max_timeline_rows)[0]
        timeline_svg(prediction, table, rows=rows)
        svg.append(time.perf_counter() - t)
    return total, svg, len((out / "report.html").read_bytes())


def open_times(html: Path, repeats: int) -> list[float]:
    """Seconds for headless Chromium to load the page and run its script, beyond an empty page."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        return []

    def once(url: str) -> float:
        with tempfile.TemporaryDirectory() as profile:
            t = time.perf_counter()
            subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", f"--user-data-dir={profile}", "--dump-dom", url],
                           capture_output=True, timeout=300, check=True)
            return time.perf_counter() - t

    blank = statistics.median(once("about:blank") for _ in range(repeats))
    return [once(html.resolve().as_uri()) - blank for _ in range(repeats)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ahcue-bench-report",
                   help="kept between runs: the recording and its analysis are reused")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    video = build_recording(args.work, args.minutes)
    out = args.work / "out"
    analyse_s = analyse(video, out)
    render, svg, size = render_times(out, args.repeats)
    opened = open_times(out / "report.html", args.repeats)
    prediction = json.loads((out / "prediction.json").read_text())
    result = {
        "recording": {"duration_s": round(duration_s(video), 1), "n_frames": prediction["n_frames"],
                      "fps": prediction["fps"], "size_mb": round(video.stat().st_size / 1e6, 1),
                      "segments": len(prediction["segments"])},
        "analyze_no_asr_s": None if analyse_s is None else round(analyse_s, 1),
        "report_html_bytes": size,
        "render_s_median": round(statistics.median(render), 3),
        "timeline_svg_s_median": round(statistics.median(svg), 3),
        "chromium_open_s_median": round(statistics.median(opened), 3) if opened else None,
        "repeats": args.repeats, "load_average": os.getloadavg(),
    }
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
