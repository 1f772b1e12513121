"""Transcription's share of ``ahcue analyze`` on a 60 s clip of real people talking, before and after.

The clip: the five MARLIN clips and the VisualVoice restaurant clip (real, natural English talk,
``../shared/data/video/natural``) scaled to 640x360 at 25 fps and concatenated, cut to
``--seconds``. Measured here:

- ``analyze``: ``ahcue analyze`` in a fresh process with an empty cache (models loaded, every
  stage, transcription included), for this tree and, with ``--before SRC`` (a source tree of an
  older version, e.g. ``git archive 56bc4fd | tar -x -C SRC``), for that one;
- ``transcription``: in one warm process, the recogniser on the clip's audio: today's
  :func:`levelone.media.asr.recognise` (voice activity, language ID, decoding, guards) and the
  decoder as it was before issue 22 (tiny.en, temperature fallback), models loaded beforehand.

The share is transcription seconds over analyze seconds. The machine is shared: say its load.

    python benchmarks/asr_share.py --json out.json [--before /tmp/old-src] [--seconds 60]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_clip(shared: Path, seconds: float, out: Path) -> Path:
    clips = sorted((shared / "video/natural").glob("marlin_video0*.mp4")) + \
        [shared / "video/natural/visualvoice_noisy_restaurant.mp4"]
    inputs = sum((["-i", str(c)] for c in clips), [])
    chains = "".join(f"[{i}:v]scale=640:360,setsar=1,fps=25,format=yuv420p[v{i}];"
                     f"[{i}:a]aresample=16000,aformat=channel_layouts=mono[a{i}];" for i in range(len(clips)))
    joined = "".join(f"[v{i}][a{i}]" for i in range(len(clips)))
    graph = f"{chains}{joined}concat=n={len(clips)}:v=1:a=1[v][a]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-c:a", "aac", str(out.with_suffix(".once.mp4"))],
                   check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(out.with_suffix(".once.mp4")),
                    "-t", str(seconds), "-c:v", "libx264", "-c:a", "aac", str(out)], check=True)
    return out


def analyze_s(src: Path, video: Path, work: Path, tag: str) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(src),
           "AHCUE_CACHE": str(work / f"cache-{tag}")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reports.cli", "analyze", str(video), "-o", str(work / f"out-{tag}"),
                    "--quiet"], check=True, cwd=src, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--before", type=Path, help="source tree of the version to compare with")
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    shared = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
    from levelone.media import asr

    result: dict = {"seconds": args.seconds, "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        video = make_clip(shared, args.seconds, work / "talk60.mp4")
        y = asr.load_audio(video)
        asr._model(asr.ENGLISH_MODEL), asr._model(asr.MULTILINGUAL_MODEL)
        t0 = time.perf_counter()
        r = asr.recognise(y)
        result["recognise_s"] = round(time.perf_counter() - t0, 2)
        result["recognise"] = {"language": r.language, "language_probability": r.language_probability,
                               "words": len(r.words), "uncertain_share": round(r.uncertain_share, 3)}
        t0 = time.perf_counter()
        segs, _ = asr._model(asr.ENGLISH_MODEL).transcribe(y, language="en", word_timestamps=True, vad_filter=True,
                                                           beam_size=1)
        n_legacy = sum(len(s.words or ()) for s in segs)
        result["legacy_transcribe_s"] = round(time.perf_counter() - t0, 2)
        result["legacy_words"] = n_legacy
        result["analyze_after_s"] = round(analyze_s(REPO, video, work, "after"), 2)
        result["share_after"] = round(result["recognise_s"] / result["analyze_after_s"], 3)
        result["rtf_after"] = round(result["analyze_after_s"] / args.seconds, 3)
        if args.before is not None:
            result["analyze_before_s"] = round(analyze_s(args.before.resolve(), video, work, "before"), 2)
            result["share_before"] = round(result["legacy_transcribe_s"] / result["analyze_before_s"], 3)
            result["rtf_before"] = round(result["analyze_before_s"] / args.seconds, 3)
    result["load_average_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
