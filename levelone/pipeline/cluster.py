"""Stage one on Ray: one task per video, on a local Ray instance or an existing cluster.

Same semantics as the local pool (:mod:`levelone.pipeline.pool`): the per-video cache decides
what is done (the driver only submits videos without a valid entry), a failed video is one line
in ``result.failures`` and the run goes on, and a worker that dies (SIGKILL, out of memory, a
node lost) has its task retried by Ray (``max_retries``) before the video is reported.

**Where the cache lives: with the driver.** A task computes one video's raw signals and returns
them; the driver (the machine that runs ``ahcue extract``) writes the entry into its cache with
the same atomic write and per-key lock as the pool. So two nodes never write one file, the cache
needs no shared filesystem, and NFS's unreliable cross-client locking never matters; two drivers
sharing one cache folder serialise on the same lock as two local runs do. What every node needs
is the *videos and transcripts at the same path* (shared read-only storage or identical copies)
and the same ahcue version: each task re-derives the video's cache key from the file it sees and
from its own extractor versions, and refuses (one failure line naming the node) when either
differs from the driver's, so a stale copy or an old install can never fill the cache with wrong
signals under a right key.

Models load once per worker process, not once per video: Ray reuses its worker processes across
tasks and the models are per-process singletons (:mod:`levelone.pipeline.vision`,
:func:`levelone.pipeline.signals._scorer`); each result says whether its process was already warm.

Ray is optional (``pip install 'ahcue[cluster]'``); without it ``--engine ray`` is one error line.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from codebook.errors import InputError
from levelone.pipeline.cache import Cache
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.results import ExtractResult, Failure, progress_bar
from levelone.pipeline.signals import SignalFunction
from levelone.pipeline.versions import signal_key, signal_versions

RAY_REQUIREMENT = "ray==2.60.0"
INSTALL_HINT = f"pip install 'ahcue[cluster]' (or: pip install {RAY_REQUIREMENT})"
THREAD_VARS = ("AHCUE_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class RaySettings:
    """How stage one uses Ray.

    ``address`` None starts a private local instance (``num_cpus = workers * cpus_per_task``, no
    dashboard, worker logs not forwarded, its temp folder under the system temp dir and removed at
    the end); otherwise ``ray.init(address)`` joins a running cluster (``auto`` finds the local
    node's). ``workers``: tasks in flight at once (None: a local instance gets
    :func:`local_workers` CPUs; on a cluster, every CPU it has).
    ``cpus_per_task`` is also each task's thread budget (torch, OpenMP, Whisper). ``max_retries``:
    Ray re-runs a task whose worker died this many times before the video is reported.
    ``local_object_store_bytes``: shared memory for results in transit on a local instance (a 30
    minute video's signals are ~20 MB).
    """

    address: str | None = None
    workers: int | None = None
    cpus_per_task: int = 1
    max_retries: int = 3
    local_object_store_bytes: int = 512 << 20


def import_ray():
    """The ``ray`` module, or one :class:`InputError` line saying how to install it."""
    try:
        import ray
    except ImportError:
        raise InputError(None, f"--engine ray needs Ray, which is not installed: {INSTALL_HINT}") from None
    return ray


def remote_signals(job: VideoJob, asr: bool, signals: SignalFunction, key: str,
                   versions: Mapping[str, str], check_code: bool) -> tuple[pd.DataFrame, dict]:
    """Task body on a worker: check this node sees the driver's file and code, then compute.

    Returns the signals and a small record (fps, frame count, seconds, node, pid, warm).
    """
    node = socket.gethostname()
    if not Path(job.path).is_file():
        raise InputError(job.path, f"not found on node {node}: every node must see the videos at the same path")
    if check_code and signal_versions() != dict(versions):
        raise InputError(None, f"ahcue on node {node} differs from the driver's (extractor versions); "
                               "install the same version on every node")
    try:
        same = signal_key(job, versions, asr) == key
    except OSError as err:
        raise InputError(job.path, f"cannot read on node {node} ({err.strerror or err})") from None
    if not same:
        raise InputError(job.path, f"differs on node {node} from the driver's copy (or its transcript does)")
    vision = sys.modules.get("levelone.pipeline.vision")
    warm = bool(vision is not None and getattr(vision, "_MODELS", None))
    t0 = time.perf_counter()
    raw = signals(job, asr)
    info = {"fps": float(raw.fps), "n_frames": int(raw.n_frames), "seconds": time.perf_counter() - t0,
            "node": node, "pid": os.getpid(), "warm": warm,
            "transcript": getattr(raw, "transcript", None)}
    return raw.data.reset_index(drop=True), info


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def local_workers() -> int:
    """Default videos at once on a local instance: half the cores, as one video keeps ~2 busy
    (decode, face mesh and pose each on a thread; MediaPipe's and torch's own threads)."""
    return max(1, (os.cpu_count() or 2) // 2)


def _start(ray, settings: RaySettings) -> str | None:
    """Start or join Ray; returns the local temp folder to remove afterwards (None when joined)."""
    threads = str(settings.cpus_per_task)
    env = {var: threads for var in THREAD_VARS}
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    common = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                  configure_logging=True)
    if settings.address is not None:
        try:
            ray.init(address=settings.address, runtime_env={"env_vars": env}, **common)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise InputError(None, f"cannot join the Ray cluster at {settings.address}: "
                                   f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        return None
    workers = settings.workers or local_workers()
    # The local workers import this very checkout, whatever else is installed.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), os.environ.get("PYTHONPATH")) if p)
    tmp = tempfile.mkdtemp(prefix="ahcue-ray-")
    try:
        ray.init(address="local", num_cpus=workers * settings.cpus_per_task, _temp_dir=tmp,
                 object_store_memory=settings.local_object_store_bytes, runtime_env={"env_vars": env}, **common)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


class _RayletNotices:
    """Keep the raylet's notices ("A worker died or was killed while executing a task ...") off
    stdout, where Ray's driver prints them whatever ``log_to_driver`` says and where they would
    corrupt ``ahcue extract --json``; they go to the ``ahcue.ray`` logger instead. The run reports
    what they are about itself (a retried task, or a failure line). Patches Ray's private
    ``print_to_stdstream`` (ray==2.60.0) for the duration of a run and restores it.
    """

    def __init__(self) -> None:
        self._module, self._original = None, None

    def __enter__(self) -> "_RayletNotices":
        try:
            import ray._private.worker as module
        except ImportError:
            return self
        original = getattr(module, "print_to_stdstream", None)
        if original is None:
            return self
        log = logging.getLogger("ahcue.ray")

        def quiet(data, ignore_prefix):
            if data.get("pid") == "raylet":
                for line in data.get("lines", []):
                    log.info("raylet: %s", line)
                return None
            return original(data, ignore_prefix)

        self._module, self._original = module, original
        module.print_to_stdstream = quiet
        return self

    def __exit__(self, *exc) -> None:
        if self._module is not None:
            self._module.print_to_stdstream = self._original


def _capacity(ray, settings: RaySettings) -> int:
    """Tasks to keep in flight: the user's ``workers``, else what the cluster can run now."""
    if settings.workers:
        return settings.workers
    cpus = ray.cluster_resources().get("CPU", 1)
    return max(1, int(cpus // settings.cpus_per_task))


def _failure_of(ray, job: VideoJob, err: Exception, retries: int) -> Failure:
    """One line for a task that failed: the user's error, a bug's first line, or a dead worker."""
    from ray.exceptions import RayTaskError

    cause = err.cause if isinstance(err, RayTaskError) else err
    if isinstance(cause, InputError):
        same = cause.path is None or Path(cause.path) == Path(job.path)
        return Failure(str(job.path), cause.problem if same else str(cause))
    if isinstance(err, RayTaskError):
        return Failure(str(job.path), f"{type(cause).__name__}: {cause}".splitlines()[0])
    return Failure(str(job.path), f"its Ray worker died {retries + 1} times (killed, out of memory, "
                                  f"a native crash or a lost node): {type(err).__name__}")


def _store(cache: Cache, job: VideoJob, key: str, data: pd.DataFrame, info: Mapping) -> None:
    """Write one returned entry into the driver's cache (atomic, under the key's lock)."""
    meta = {"video_id": job.video_id, "participant_id": job.participant_id, "source": str(job.path),
            "fps": info["fps"], "n_frames": info["n_frames"],
            "transcript": info.get("transcript")}
    with cache.lock(key):
        if cache.has_raw(job.video_id, key):  # another run sharing this cache wrote it meanwhile
            return
        cache.clear_stale_temps(cache.raw_path(job.video_id, key))
        cache.store_raw(job.video_id, key, data, meta)


def run_stage1_ray(todo: list[tuple[VideoJob, str]], cache: Cache, settings: RaySettings, asr: bool,
                   signals: SignalFunction, versions: Mapping[str, str], result: ExtractResult,
                   progress: bool, keep_going: bool = True) -> set[str]:
    """Compute the missing entries on Ray; returns the ids done. Failures go to ``result.failures``."""
    ray = import_ray()
    from ray.exceptions import RayError

    check_code = dict(versions) == signal_versions()  # only when the real extractors are in use
    with _RayletNotices():
        tmp = _start(ray, settings)
        try:
            return _drive(ray, RayError, todo, cache, settings, asr, signals, versions, check_code, result,
                          progress, keep_going)
        finally:
            ray.shutdown()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)


def _drive(ray, RayError, todo, cache: Cache, settings: RaySettings, asr: bool, signals: SignalFunction,
           versions: Mapping[str, str], check_code: bool, result: ExtractResult, progress: bool,
           keep_going: bool) -> set[str]:
    """Submit tasks (at most the capacity in flight), store results as they come, report failures."""
    done: set[str] = set()
    bar = progress_bar(len(todo), progress, "signals (ray)")
    try:
        task = ray.remote(num_cpus=settings.cpus_per_task, max_retries=settings.max_retries,
                          retry_exceptions=False)(remote_signals)
        queue = list(reversed(todo))
        inflight: dict = {}
        processes: set[tuple[str, int]] = set()
        while queue or inflight:
            while queue and len(inflight) < _capacity(ray, settings):
                job, key = queue.pop()
                inflight[task.remote(job, asr, signals, key, versions, check_code)] = (job, key)
            (ref,), _ = ray.wait(list(inflight), num_returns=1)
            job, key = inflight.pop(ref)
            try:
                data, info = ray.get(ref)
            except RayError as err:
                failure = _failure_of(ray, job, err, settings.max_retries)
                if not keep_going:
                    raise InputError(failure.path, failure.problem) from None
                result.failures.append(failure)
            else:
                _store(cache, job, key, data, info)
                done.add(job.video_id)
                result.computed += 1
                result.compute_s += info["seconds"]
                result.video_s[job.video_id] = round(info["seconds"], 3)
                processes.add((info["node"], info["pid"]))
                result.cold_starts += not info["warm"]
            bar.update()
            bar.set_postfix(done=len(done), failed=len(result.failures), refresh=False)
        result.worker_processes = len(processes)
        return done
    finally:
        bar.close()
