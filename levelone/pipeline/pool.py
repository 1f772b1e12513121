"""The local worker pool of stage one: videos in parallel processes, surviving dead workers.

Videos run in a process pool (``spawn`` context: MediaPipe and torch do not survive ``fork``
after initialisation); each worker writes its own cache entry atomically, so a crash loses only
the videos in flight and a re-run skips everything already cached. Threads are shared between
workers (:func:`limit_threads`) instead of each taking every core.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable

from codebook.errors import InputError
from levelone.pipeline.cache import Cache
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.results import ExtractResult, Failure, progress_bar
from levelone.pipeline.signals import SignalFunction, compute_entry, raw_signals


def limit_threads(threads: int) -> None:
    """Worker initializer: share the cores between workers instead of each taking them all.

    Runs in a fresh (spawned) worker before torch, OpenMP or Whisper start, so their thread pools
    read these settings; ``AHCUE_THREADS`` is what :mod:`levelone.media.asr` gives Whisper.
    """
    for var in ("AHCUE_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def run_stage1(todo: list[tuple[VideoJob, str]], cache: Cache, workers: int, asr: bool,
               signals: SignalFunction, result: ExtractResult, progress: bool,
               keep_going: bool = True) -> set[str]:
    """Compute the missing entries; returns the ids done. Failures go to ``result.failures``.

    A worker that dies (SIGKILL, out of memory, a crash in native code) breaks the pool: finished
    entries are already on disk, the rest are retried once in a fresh pool, then each alone in its
    own process so only the video that kills its worker is reported.
    """
    done: set[str] = set()

    def record(job: VideoJob, fut_result: Callable[[], tuple[str, float]]) -> bool:
        try:
            status, seconds = fut_result()
        except BrokenProcessPool:
            return False
        except InputError as err:
            if not keep_going:
                raise
            same = err.path is None or Path(err.path) == Path(job.path)  # else: its transcript, say
            result.failures.append(Failure(str(job.path), err.problem if same else str(err)))
        except Exception as err:  # a bug on one video must not stop a dataset: report and go on
            if not keep_going:
                raise
            result.failures.append(Failure(str(job.path), f"{type(err).__name__}: {err}".splitlines()[0]))
        else:
            done.add(job.video_id)
            result.computed += status == "computed"
            result.cached += status == "cached"
            result.compute_s += seconds
            if status == "computed":
                result.video_s[job.video_id] = round(seconds, 3)
        return True

    per_frame = progress and workers <= 1 and len(todo) == 1 and signals is raw_signals
    bar = progress_bar(len(todo), progress and not per_frame, "signals")  # one video: a frame bar instead
    try:
        if workers <= 1:
            for job, key in todo:
                record(job, lambda: compute_entry(job, str(cache.root), key, asr, signals, per_frame))
                bar.update()
            return done
        ctx = multiprocessing.get_context("spawn")
        remaining, attempt = list(todo), 0
        while remaining:
            size = workers if attempt < 2 else 1  # attempt 2+: isolate each video in its own process
            batches = [remaining] if size > 1 else [[item] for item in remaining]
            broken: list[tuple[VideoJob, str]] = []
            for batch in batches:
                n_proc = min(size, len(batch))
                pool = ProcessPoolExecutor(max_workers=n_proc, mp_context=ctx, initializer=limit_threads,
                                           initargs=(max(1, (os.cpu_count() or 1) // n_proc),))
                try:
                    futs: dict[Future, tuple[VideoJob, str]] = {
                        pool.submit(compute_entry, job, str(cache.root), key, asr, signals): (job, key)
                        for job, key in batch}
                    for fut in as_completed(futs):
                        job, key = futs[fut]
                        if record(job, fut.result):
                            bar.update()
                        else:
                            broken.append((job, key))
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
                pool.shutdown(wait=True)
            if broken and attempt >= 2:
                for job, _ in broken:
                    result.failures.append(Failure(str(job.path), "its worker process died "
                                                   "(killed, out of memory or a native crash)"))
                    bar.update()
                break
            remaining, attempt = broken, attempt + 1
            result.worker_restarts += bool(broken)
        return done
    finally:
        bar.close()
