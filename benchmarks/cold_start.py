"""A fresh ``ahcue extract VIDEO`` (empty cache, new interpreter): what a user waits for, before and after.

The ``cold_process`` stage of ``benchmarks/levelone.py`` times this checkout alone, after minutes of
other stages. Here the runs of two source trees alternate (this checkout and ``--before``, e.g. a
``git worktree`` of an earlier commit), so that the machine's drift (this VM's speed moves by
~10 % within minutes) falls on both alike. Each run is ``python -m reports.cli extract VIDEO
--quiet`` with an empty cache and a new output, run from the tree's root with ``PYTHONPATH``
set to it; wall time from start to exit, CPU time of the process and its children (all threads),
their system CPU time and minor page faults (memory mapped and touched afresh).
``--asr both`` times each clip without speech recognition (``--no-asr``: what BAH, which ships
its transcripts, costs) and with it.

    python benchmarks/cold_start.py --before /tmp/wt-before --repeats 7 --json cold.json
    python benchmarks/cold_start.py --clips --parts --repeats 5 --json parts.json   # the parts alone

``--parts`` times, alone and in fresh interpreters: MediaPipe's import, plain and through
:func:`levelone.face.mediapipe_runtime.import_mediapipe`; the Silero VAD's start (import and
session) through faster-whisper's package and as :func:`levelone.media.vad.session` opens it (CPU
seconds); and the end of a process holding an extract's modules and models, from its last
statement to its exit, ended the ordinary way and as ``ahcue`` ends it (:func:`reports.cli.run`).

Both trees' packages are compiled to bytecode first (``compileall``), as ``pip install`` leaves an
installed package and as any later run finds them; ``--source-only`` leaves them uncompiled (where
``PYTHONDONTWRITEBYTECODE`` is set, as in this project's sandbox, every process then compiles the
ahcue modules it imports).

``x_faster`` is media duration / median wall time: above 1 is faster than real time.
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
sys.path.insert(0, str(REPO))

from benchmarks.levelone import CLIPS  # noqa: E402


def children_usage() -> tuple[float, float, int]:
    """(CPU s, system CPU s, minor page faults) of the waited-for children so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime, r.ru_stime, r.ru_minflt


def cold_run(tree: Path, video: Path, asr: bool) -> tuple[float, float, float, int]:
    """(wall s, CPU s, system CPU s, minor page faults) of one fresh ``ahcue extract`` of
    ``video`` with ``tree``'s code."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "reports.cli", "extract", str(video), "-o", str(Path(tmp) / "f.parquet"),
               "--cache-dir", str(Path(tmp) / "c"), "--quiet"] + ([] if asr else ["--no-asr"])
        u0, t0 = children_usage(), time.perf_counter()
        subprocess.run(cmd, cwd=tree, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
        wall = time.perf_counter() - t0
        u1 = children_usage()
        return (wall, *(b - a for a, b in zip(u0, u1)))


IMPORT_PLAIN = "import mediapipe"
IMPORT_DEFERRED = "from levelone.face.mediapipe_runtime import import_mediapipe; import_mediapipe()"
# The Silero VAD's session, through faster-whisper's package and opened directly (levelone.media.vad)
VAD_PACKAGE = "from faster_whisper.vad import get_vad_model; get_vad_model()"
VAD_DIRECT = "from levelone.media.vad import session; session()"
# A process holding what a fresh extract has loaded (its modules and vision's models), then ended
# the ordinary way or as ``reports.cli.run`` ends it.
LOADED = ("import levelone.pipeline.extract, levelone.pipeline.signals, levelone.audio.prosody, "
          "levelone.audio.voices, levelone.language.cues, reports.cli\n"
          "from levelone.pipeline.vision import load_models; load_models()\n")


def last_number(code: str) -> float:
    """The last number ``code`` prints, run in a fresh interpreter of this tree."""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    return float(done.stdout.split()[-1])


def import_cpu_s(statement: str) -> float:
    """CPU seconds of ``statement`` in a fresh interpreter of this tree (numpy imported before it)."""
    return last_number("import os, numpy\nc = sum(os.times()[:2])\n" + statement +
                       "\nprint(sum(os.times()[:2]) - c)\n")


def teardown_s(fast: bool) -> float:
    """Seconds from the last statement of a process holding an extract's modules and models to its
    end, ended the ordinary way or (``fast``) with ``os._exit`` after the exit handlers, as ``run`` does."""
    end = ("import atexit, sys; atexit._run_exitfuncs(); sys.stdout.flush(); os._exit(0)\n" if fast else "")
    last_statement = last_number("import os, time\n" + LOADED + "print(time.time(), flush=True)\n" + end)
    return time.time() - last_statement


def parts(repeats: int) -> dict:
    """Medians of the start-up and ending costs this round removed, measured alone in this tree."""
    def median(measure, *args) -> float:
        return round(statistics.median(measure(*args) for _ in range(repeats)), 3)

    return {"import_mediapipe_cpu_s": median(import_cpu_s, IMPORT_PLAIN),
            "import_mediapipe_deferred_cpu_s": median(import_cpu_s, IMPORT_DEFERRED),
            "vad_through_faster_whisper_cpu_s": median(import_cpu_s, VAD_PACKAGE),
            "vad_direct_cpu_s": median(import_cpu_s, VAD_DIRECT),
            "teardown_ordinary_s": median(teardown_s, False),
            "teardown_as_run_s": median(teardown_s, True)}


PACKAGES = ("codebook", "levelone", "leveltwo", "reports")


def compile_bytecode(tree: Path) -> None:
    """Compile ``tree``'s packages to ``__pycache__`` (ignored by git), as an installed package has them."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=tree, check=True,
                   stdout=subprocess.DEVNULL)


def revision(tree: Path) -> str:
    done = subprocess.run(["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def summary(tree: str, clip: str, asr: bool, runs: list[tuple], n_frames: int, duration_s: float) -> dict:
    """Medians over ``runs`` of :func:`cold_run`."""
    wall, cpu, system, faults = (statistics.median(r[k] for r in runs) for k in range(4))
    return {"tree": tree, "clip": clip, "asr": asr, "median_s": round(wall, 3),
            "runs_s": [round(r[0], 3) for r in runs], "x_realtime": round(wall / duration_s, 4),
            "x_faster": round(duration_s / wall, 2), "cpu_s": round(cpu, 2), "system_cpu_s": round(system, 2),
            "minor_page_faults": int(faults), "cpu_ms_per_frame": round(1000 * cpu / n_frames, 2),
            "n_frames": n_frames, "duration_s": round(duration_s, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, default=None, help="another source tree, run alternately with this one")
    ap.add_argument("--clips", nargs="*", choices=sorted(CLIPS), default=["pexels_640x360"])
    ap.add_argument("--repeats", type=int, default=5, help="runs per tree, clip and ASR setting")
    ap.add_argument("--asr", choices=("off", "on", "both"), default="off")
    ap.add_argument("--parts", action="store_true", help="also time MediaPipe's import (plain and "
                    "deferred), the VAD's start (through faster-whisper and direct) and the interpreter's "
                    "teardown (ordinary and as the command ends), alone")
    ap.add_argument("--source-only", action="store_true",
                    help="do not compile the trees to bytecode first (see the module doc)")
    ap.add_argument("--json", default=None, help="write the results here")
    args = ap.parse_args(argv)
    from levelone.media.video import probe

    trees = {"this": REPO} | ({"before": args.before.resolve()} if args.before else {})
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.asr]
    if not args.source_only:
        for tree in trees.values():
            compile_bytecode(tree)
    load_before = os.getloadavg()[0]
    rows = []
    for clip in args.clips:
        info = probe(CLIPS[clip])
        for asr in modes:
            runs: dict[str, list] = {name: [] for name in trees}
            for _ in range(args.repeats):
                for name, tree in trees.items():
                    runs[name].append(cold_run(tree, CLIPS[clip], asr))
            for name in trees:
                r = summary(name, clip, asr, runs[name], info.n_frames, info.duration_s)
                rows.append(r)
                print(f"{name:6s} {clip:15s} asr={'on ' if asr else 'off'} {r['median_s']:7.3f} s "
                      f"({r['x_faster']:.2f}x faster than real time)  {r['cpu_ms_per_frame']:6.1f} CPU ms/frame  "
                      f"system {r['system_cpu_s']:.2f} s  {r['minor_page_faults']} page faults  "
                      f"runs {r['runs_s']}", flush=True)
    measured = parts(args.repeats) if args.parts else None
    if measured:
        print("parts:", measured, flush=True)
    result = {"benchmark": "cold_start", "rows": rows, "parts": measured,
              "revisions": {n: revision(t) for n, t in trees.items()},
              "bytecode": "source" if args.source_only else "compiled",
              "repeats": args.repeats, "cores": os.cpu_count(), "load_avg_1min_before": round(load_before, 2),
              "load_avg_1min_after": round(os.getloadavg()[0], 2)}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
