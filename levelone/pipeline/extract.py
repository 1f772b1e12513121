"""Level one end to end: a video, a folder of videos or a BAH root -> FrameTables, cached and resumable.

Two stages, one module per job (the FrameTable contract they produce: levelone/frametable.py):

- :mod:`levelone.pipeline.inputs`: what the input names (videos, participants, transcripts).
- :mod:`levelone.pipeline.versions`: every ingredient of the cache keys (extractor versions,
  options, the assembled table's input hash).
- Stage 1, **raw signals** per video, the heavy part (:mod:`levelone.pipeline.signals`): vision
  with audio and text in a thread beside it, one Parquet entry per video in the cache
  (:mod:`levelone.pipeline.cache`). Videos run in the local process pool
  (:mod:`levelone.pipeline.pool`); each worker writes its own entry atomically, so a crash loses
  only the videos in flight and a re-run skips everything already cached.
- Stage 2, **assembly**, cheap (:mod:`levelone.pipeline.frametables`): per participant a
  :class:`levelone.baseline.Baseline` over the raw signals of all their videos (a BAH
  root; a single video or a plain folder: the video itself), then the four cue modules -> a
  validated FrameTable (:mod:`levelone.pipeline.assemble`), written in row groups as each
  modality's cues are made, so a long recording's table is never held whole.

Transcripts: an explicit file (single video), BAH's Whisper ``.yml`` (BAH root), a sidecar file
with the video's stem and a known extension (``.srt .vtt .eaf .json .yml``), else offline ASR
(faster-whisper, Whisper tiny.en) unless ``asr=False``; with none, ``text.*`` is absent, ``text.present``
False and ``meta.missing`` names ``text``.

Outputs: one video -> ``out`` (default inside the cache); a dataset -> ``out/<video_id>.parquet``
(default ``<cache>/frametables/<root name>-<hash>/``). An output whose ``meta.input_hash`` matches
is up to date and kept; another one is replaced only with ``force`` (always in the cache).

Datasets keep going past a bad video: each failure is one line (file and problem) in
:attr:`ExtractResult.failures`; :func:`extract` raises one :class:`InputError` after finishing
the rest, and ``ahcue extract`` exits 2.
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Mapping

from codebook.errors import InputError
from levelone.pipeline.assemble import CueFunction
from levelone.pipeline.cache import Cache, default_cache_dir, safe_name
from levelone.pipeline.frametables import run_stage2
from levelone.pipeline.inputs import Plan, VideoJob, is_bah_root, plan
from levelone.pipeline.pool import run_stage1
from levelone.pipeline.results import ExtractResult, Failure
from levelone.pipeline.signals import RawSignals, SignalFunction, raw_signals
from levelone.pipeline.versions import data_version, module_version, signal_key, signal_versions

__all__ = ["ExtractResult", "Failure", "Plan", "RawSignals", "VideoJob", "data_version", "extract",
           "is_bah_root", "module_version", "plan", "raw_signals", "run"]


ENGINES = ("pool", "ray")


def run(plan_: Plan, *, out: str | os.PathLike | None = None, workers: int | None = 1,
        cache_dir: str | os.PathLike | None = None, asr: bool = True, force: bool = False,
        progress: bool = True, signals: SignalFunction = raw_signals,
        versions: Mapping[str, str] | None = None,
        cue_functions: Mapping[str, CueFunction] | None = None, engine: str = "pool",
        address: str | None = None) -> ExtractResult:
    """Run both stages over a :class:`Plan`; never raises for one bad video of a dataset.

    ``signals``/``versions`` replace the stage-1 extractor and its versions (a module-level function,
    so worker processes can import it); ``cue_functions`` replaces the cue modules of stage 2.
    ``engine``: ``pool`` (local processes, ``workers`` of them, default 1) or ``ray``
    (:mod:`levelone.pipeline.cluster`: a local Ray instance, or the cluster at ``address``;
    ``workers`` None: half the cores locally, every CPU of a cluster).
    """
    t_start = time.perf_counter()
    if engine not in ENGINES:
        raise InputError(None, f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if address is not None and engine != "ray":
        raise InputError(None, "--address needs --engine ray")
    if workers is None and engine == "pool":
        workers = 1
    if workers is not None and workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {workers}")
    if engine == "ray":
        from levelone.pipeline.cluster import import_ray
        import_ray()  # fail in one line now, not after planning
    cache = Cache(cache_dir if cache_dir is not None else
                  default_cache_dir(None if plan_.kind == "video" else plan_.root))
    versions = dict(signal_versions() if versions is None else versions)
    result = ExtractResult(cache_dir=cache.root, engine=engine)
    single = plan_.kind == "video"
    if not single and out is not None and Path(out).exists() and not Path(out).is_dir():
        raise InputError(out, "exists and is not a folder (a dataset's -o is a folder)")

    keys: dict[str, str] = {}
    todo: list[tuple[VideoJob, str]] = []
    ok_jobs: list[VideoJob] = []
    for job in plan_.jobs:
        try:
            keys[job.video_id] = signal_key(job, versions, asr)
        except OSError as err:
            result.failures.append(Failure(str(job.path), f"cannot read ({err.strerror or err})"))
            continue
        ok_jobs.append(job)
        if cache.has_raw(job.video_id, keys[job.video_id]):
            result.cached += 1
        else:
            todo.append((job, keys[job.video_id]))
    if not todo:
        done: set[str] = set()
    elif engine == "ray":
        from levelone.pipeline.cluster import RaySettings, run_stage1_ray
        done = run_stage1_ray(todo, cache, RaySettings(address=address, workers=workers), asr, signals,
                              versions, result, progress, keep_going=not single)
    else:
        done = run_stage1(todo, cache, workers, asr, signals, result, progress, keep_going=not single)
    cached_ids = {j.video_id for j in ok_jobs} - {j.video_id for j, _ in todo}
    ready = [j for j in ok_jobs if j.video_id in done or j.video_id in cached_ids]
    if single and result.failures:
        f = result.failures[0]
        raise InputError(f.path, f.problem)

    if single:
        job = plan_.jobs[0]
        target = Path(out) if out is not None else \
            cache.frametable_dir("videos") / f"{safe_name(job.video_id)}.{keys[job.video_id][:16]}.parquet"
        targets, overwrite = {job.video_id: target}, force or out is None
        result.out = target
    else:
        tag = f"{plan_.root.resolve().name}-{hashlib.sha256(str(plan_.root.resolve()).encode()).hexdigest()[:8]}"
        out_dir = Path(out) if out is not None else cache.frametable_dir(tag)
        targets = {j.video_id: out_dir / f"{safe_name(j.video_id)}.parquet" for j in ready}
        overwrite = force or out is None  # the cache's own folder is always refreshed
        result.out = out_dir
    run_stage2(ready, keys, targets, cache, overwrite, cue_functions, result,
                lambda j: str(j.path), versions)
    if single and result.failures:
        f = result.failures[0]
        raise InputError(f.path, f.problem)
    result.wall_s = time.perf_counter() - t_start
    return result


def extract(input: str | os.PathLike, out: str | os.PathLike | None = None, workers: int | None = 1,
            cache_dir: str | os.PathLike | None = None, transcript: str | os.PathLike | None = None,
            asr: bool = True, force: bool = False, progress: bool = True, engine: str = "pool",
            address: str | None = None, speaker: str | None = None,
            neutral: str | os.PathLike | None = None, person: str | None = None) -> list[Path]:
    """Extract level one for a video, a folder of videos or a BAH root; returns the FrameTable paths.

    ``out``: for a video, the FrameTable path (default: inside the cache); for a dataset, a folder
    of ``<video_id>.parquet`` files (default: inside the cache). An existing output is replaced only
    with ``force`` (one already up to date is kept). A dataset keeps going past bad videos and then
    raises one :class:`InputError` naming how many failed and the first one. ``speaker`` names the
    person in multi-speaker transcripts (:func:`levelone.media.transcript.load_conversation`);
    ``neutral`` is a recording of the same person declared neutral (one video only; see
    :func:`levelone.pipeline.inputs.plan`); ``person`` which face is the participant (``--person``).
    """
    p = plan(input, transcript, speaker, neutral, person)
    result = run(p, out=out, workers=workers, cache_dir=cache_dir, asr=asr, force=force, progress=progress,
                 engine=engine, address=address)
    if result.failures:
        first = result.failures[0]
        raise InputError(input, f"{len(result.failures)} of {len(p.jobs)} videos failed "
                                f"(first: {first}); the others are done")
    return [result.tables[j.video_id] for j in p.jobs if j.video_id in result.tables and not j.neutral]

