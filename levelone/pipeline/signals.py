"""Stage one for one video: raw signals (vision, audio, text) and their cache entry.

Vision (MediaPipe face mesh + pose, :func:`levelone.pipeline.vision.vision_signals`) runs on the
decoded frames while audio prosody and the transcript's text signals run in a thread beside it.
A transcript file is read before vision starts, so a bad one fails in a second, not after the
whole video. If the text affect heads are not installed the sentence scores are NaN (a warning
says so) and the lexical language cues still run. :func:`compute_entry` is what a worker runs:
it checks the cache under the video's lock, computes, and writes the entry atomically.
"""
from __future__ import annotations

import inspect
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from codebook.errors import InputError
from levelone.pipeline.assemble import align_rows, signal_columns
from levelone.pipeline.cache import Cache
from levelone.pipeline.checkpoint import CHECKPOINT_S, Checkpoints
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.memory import trim
from levelone.pipeline.results import progress_bar

if TYPE_CHECKING:
    from levelone.media.transcript import Transcription

SAMPLE_RATE = 16000


@dataclass
class RawSignals:
    """One video's raw signals: ``data`` has one row per frame of ``<source>.*`` columns;
    ``people`` who was in the frame and who was analysed (:meth:`PeopleInFrame.summary`)."""

    data: pd.DataFrame
    fps: float
    n_frames: int
    transcript: dict | None = None  # Transcription.to_dict() of the words text signals came from
    people: dict | None = None  # levelone.pipeline.vision.PeopleInFrame.summary()


SignalFunction = Callable[[VideoJob, bool], RawSignals]

_text_scorer = None
_multi_scorer = None
_scorer_lock = threading.Lock()


def _scorer():
    """The text affect model, loaded once per process; None when its heads are not installed.

    Without the heads the sentence scores (``text.valence``, stance) are NaN and the lexical
    language cues still run. This is safe for the cache: the heads file's content hash is part of
    every key (:func:`levelone.pipeline.versions.signal_versions`, ``absent`` here), so entries made
    without it are recomputed once it is installed; FrameMeta.versions shows it too.
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


def _multilingual_scorer():
    """The multilingual text heads (:mod:`levelone.language.multilingual`), loaded once per process."""
    global _multi_scorer
    with _scorer_lock:
        if _multi_scorer is None:
            from levelone.language.multilingual import MultilingualAffect

            _multi_scorer = MultilingualAffect()
            _multi_scorer.heads  # load now: a broken file fails here, not mid-recording
        return _multi_scorer


def read_other_language(record: Transcription) -> Transcription:
    """Speech recognised in a language other than English: mark it for the multilingual text heads
    when the encoder knows the language and they are installed (``scored_by``); otherwise the
    language cues stay off and, where installing the encoder would help, the note says what to
    install (and a warning says it once). English speech and given transcripts are returned as they are."""
    import dataclasses
    import warnings

    if record.source == "file" or record.evidence_language or record.language is None or not record.words:
        return record
    from levelone.language import multilingual as ml

    if not ml.knows(record.language):
        return record
    problem = ml.unavailable()
    if problem is None:
        return dataclasses.replace(record, scored_by=ml.SCORED_BY)
    warnings.warn(f"language cues off for {record.language} speech: {problem}")
    return dataclasses.replace(record, note="; ".join(n for n in (record.note, problem) if n))


def _audio_part(path: Path, fps: float, n_frames: int, has_audio: bool) -> pd.DataFrame:
    if not has_audio:
        return pd.DataFrame({"audio.present": np.zeros(n_frames, bool)})
    import tempfile

    from levelone.audio.prosody import audio_signals
    from levelone.media.video import audio_to_file

    # the waveform goes to a temporary file and is analysed a block at a time: in memory it
    # would be 3.84 MB per minute of recording (230 MB an hour), the one part of the audio
    # analysis that grew with the length
    with tempfile.TemporaryDirectory(prefix="ahcue-audio-") as tmp:
        y = audio_to_file(path, Path(tmp) / "audio.f32", sr=SAMPLE_RATE)
        if y.size == 0:
            return pd.DataFrame({"audio.present": np.zeros(n_frames, bool)})
        return audio_signals(y, SAMPLE_RATE, fps, n_frames)


def _text_part(job: VideoJob, words: list | None, others: list, fps: float, n_frames: int, asr: bool,
               has_audio: bool, checkpoints: Checkpoints | None = None) -> tuple[pd.DataFrame, Transcription | None]:
    """Text signals and the transcript record they came from: the given words (``others``: other
    speakers' turns, context only), else ASR (when allowed and there is sound).

    Only certain words in a language the text models know become evidence
    (:meth:`levelone.media.transcript.Transcription.evidence_words`): noise that Whisper turned
    into words, or speech too short to identify give no text signals. French (or other non-English)
    speech is scored by the multilingual heads when they are installed (:func:`read_other_language`;
    the English lexical cues stay off), and gives no text signals otherwise.
    A finished recognition is kept in ``checkpoints`` (exact, unrounded), so a resumed run does
    not transcribe again.
    """
    from levelone.media.transcript import Transcription

    record = None
    if words is not None:
        record = Transcription.from_words(words, job.transcript)
    elif asr and has_audio:
        from levelone.media.asr import recognise
        kept = checkpoints.load_json("asr") if checkpoints is not None else None
        if kept is not None:  # a resumed run: recognised before the interruption
            heard = Transcription.from_dict(kept)
        else:
            heard = recognise(job.path)
            if checkpoints is not None:
                checkpoints.save_json("asr", _exact_dict(heard))
        record = read_other_language(heard)
    evidence = record.evidence_words() if record is not None else []
    return _text_signals(evidence, others, fps, n_frames, record), record


def _exact_dict(record: Transcription) -> dict:
    """``record`` as :meth:`Transcription.from_dict` reads it, times unrounded (``to_dict`` rounds
    them to the millisecond; a resumed run must see the very same words)."""
    import dataclasses
    return dataclasses.asdict(record)


def _text_signals(words: list, others: list, fps: float, n_frames: int, record) -> pd.DataFrame:
    if not words:  # no transcript, or nothing usable said: no text evidence (and no model to load)
        return pd.DataFrame({"text.present": np.zeros(n_frames, bool)})
    from levelone.language.cues import text_signals
    if record is not None and record.scored_by:  # another language: the multilingual heads, no English lexicons
        return text_signals(words, fps, n_frames, _multilingual_scorer(), others=others, voiced=record.voiced,
                            lexical=False)
    return text_signals(words, fps, n_frames, _scorer(), others=others,
                        voiced=record.voiced if record is not None else ())


def _whose_speech(audio: pd.DataFrame, mouths: np.ndarray, fps: float, n: int,
                  declared: tuple[list, list] | None = None) -> pd.DataFrame:
    """``audio.self`` added (:mod:`levelone.audio.voices`) and the audio signals of speech that
    is someone else's taken out (:func:`levelone.audio.voices.keep_participant`). ``declared``:
    (the person's words, other speakers' turns) of a given transcript, which outrank the
    audio-visual attribution (:func:`levelone.audio.voices.declare_speakers`)."""
    from levelone.audio.voices import declare_speakers, keep_participant, self_column

    audio = align_rows(audio, n)
    if "audio.speech" not in audio:
        return audio
    audio = audio.copy()
    own = self_column(audio, mouths, fps)
    if declared is not None:
        own = declare_speakers(own, fps, *declared).astype(own.dtype)
    audio["audio.self"] = own
    return keep_participant(audio)


def _import_heavy(has_audio: bool, text: bool, asr: bool) -> None:
    """Import what the audio and text steps need (torch & co, ~2 s in a fresh process), in the one
    thread that runs before both; ``asr``: speech recognition will run (faster-whisper's
    transcription stack, which the audio step's voice-activity detector does without).

    Two threads importing torch (or packages that import it) at once in a fresh process can see a
    half-initialised module ("partially initialized module 'torch' has no attribute 'Tensor'",
    seen in a fresh Ray worker), so the audio and text steps wait for this one; it runs beside
    vision, whose own imports and models are loaded before any thread starts
    (:func:`levelone.pipeline.vision.load_models`). The imports happen once per process.
    """
    import importlib

    names = ((("librosa", "onnxruntime") if has_audio else ()) + (("faster_whisper",) if asr else ())
             + (("torch", "transformers") if text else ()))
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional piece missing is reported where it is used
            pass


def _after(ready: Future, fn: Callable, *args):
    """``fn(*args)`` once ``ready`` is done (its error, if any, is raised here)."""
    ready.result()
    return fn(*args)


def _frame_bar(bar) -> Callable[[int, int], None]:
    """Progress callback of the vision pass: moves ``bar``; a resumed run's first call starts
    the bar at its first unfinished frame, so the rate (and ETA) counts only work done now."""
    def update(done: int, total: int) -> None:
        if bar.n == 0 and done > 1:
            bar.n = bar.last_print_n = bar.initial = done
            bar.refresh()
        else:
            bar.update(done - bar.n)
    return update


def raw_signals(job: VideoJob, asr: bool = True, frame_progress: bool = False,
                checkpoints: Checkpoints | None = None, checkpoint_s: float = CHECKPOINT_S,
                progress: Callable[[int, int], None] | None = None) -> RawSignals:
    """Stage 1 for one video: vision on the frames, audio and text in threads beside it.

    Rows follow the decoded frames (vision's row count); audio and text rows, computed on the
    probed frame count, are aligned to it. ``frame_progress`` shows a per-frame bar (one video)
    whose total is the probed frame count, so tqdm's rate and ETA cover the whole video; audio
    and text run beside the frames, and when they are still running as the frames end, the bar
    says what it waits for (speech recognition can outlast the frames). ``checkpoints``: where
    finished chunks of ``checkpoint_s`` seconds are kept and a rerun resumes
    (:mod:`levelone.pipeline.checkpoint`). ``progress(done, total)``: called after each frame.
    In a fresh process the heavy imports of the audio and text steps overlap vision instead of
    delaying its start.
    """
    from levelone.audio.voices import split_words
    from levelone.media.video import probe
    from levelone.pipeline.vision import load_models, vision_people

    info = probe(job.path)
    words, others = None, []
    if job.transcript is not None:  # read first: a bad transcript fails before minutes of vision
        from levelone.media.transcript import load_conversation
        words, others = load_conversation(job.transcript, duration_s=info.duration_s, speaker=job.speaker)
    load_models()  # vision's imports and graphs, before any other thread imports anything
    recognise_speech = words is None and asr and info.has_audio
    text_needed = bool(words) or recognise_speech
    bar = progress_bar(info.n_frames, frame_progress, job.path.name, unit="frame")
    move = _frame_bar(bar) if frame_progress else None
    on_frame = move if progress is None else (progress if move is None else
                                              (lambda done, total: (move(done, total), progress(done, total))))
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ahcue-av") as pool, bar:
        ready = pool.submit(_import_heavy, info.has_audio, text_needed, recognise_speech)
        audio = pool.submit(_after, ready, _audio_part, job.path, info.fps, info.n_frames, info.has_audio)
        text = pool.submit(_after, ready, _text_part, job, words, others, info.fps, info.n_frames, asr,
                           info.has_audio, checkpoints)
        vision, people = vision_people(job.path, info, progress=on_frame, person=job.person,
                                       checkpoints=checkpoints, checkpoint_s=checkpoint_s)
        vision = signal_columns(vision)
        trim()  # what the frames and models freed goes back before the signals are joined
        n = len(vision) if len(vision) else info.n_frames
        declared = (words, others) if words is not None else None  # a given transcript says who spoke
        if frame_progress and not audio.done():
            bar.set_postfix_str("frames done; waiting for the audio analysis")
        audio_part = _whose_speech(signal_columns(audio.result()), people.mouths, float(info.fps), n, declared)
        if frame_progress and not text.done():
            bar.set_postfix_str("frames done; waiting for " + ("speech recognition" if words is None else "text"))
        text_part, record = text.result()
        said = record.evidence_words() if record is not None else []
        if said and declared is None and "audio.self" in audio_part:
            # recognised words someone else said are conversation context, as a diarised transcript's are
            mine, theirs = split_words(said, audio_part["audio.self"].to_numpy(np.float64), float(info.fps))
            if theirs:
                text_part = _text_signals(mine, sorted([*others, *theirs], key=lambda t: t.start_s),
                                          float(info.fps), info.n_frames, record)
        parts = [align_rows(vision, n), audio_part, align_rows(signal_columns(text_part), n)]
        del vision, audio_part, text_part
    data = pd.concat(parts, axis=1)
    del parts  # the pieces go as soon as they are joined: one copy of the signals, not two
    if data.columns.duplicated().any():
        data = data.loc[:, ~data.columns.duplicated()]
    return RawSignals(data, float(info.fps), int(n),
                      None if record is None else record.to_dict(), people.summary())


def compute_entry(job: VideoJob, cache_root: str, key: str, asr: bool, signals: SignalFunction,
                  frame_progress: bool = False) -> tuple[str, float]:
    """Worker body: compute and store one entry unless a valid one exists (checked under its lock).

    Returns ("cached" | "computed", seconds spent computing). Finished chunks of an interrupted
    run of :func:`raw_signals` are in ``cache.partial_dir`` (:mod:`levelone.pipeline.checkpoint`):
    this run resumes from them, and removes them once the entry is stored.
    """
    cache = Cache(cache_root)
    if cache.has_raw(job.video_id, key):
        return "cached", 0.0
    with cache.lock(key):
        if cache.has_raw(job.video_id, key):  # another run finished it while we waited
            return "cached", 0.0
        cache.clear_stale_temps(cache.raw_path(job.video_id, key))  # left by a killed writer
        t0 = time.perf_counter()
        checkpoints = Checkpoints(cache.partial_dir(job.video_id, key))
        kwargs = {"frame_progress": True} if frame_progress else {}
        if "checkpoints" in inspect.signature(signals).parameters:  # raw_signals (or a partial of it)
            kwargs["checkpoints"] = checkpoints
        raw = signals(job, asr, **kwargs)
        meta = {"video_id": job.video_id, "participant_id": job.participant_id, "source": str(job.path),
                "fps": raw.fps, "n_frames": raw.n_frames, "transcript": raw.transcript}
        if getattr(raw, "people", None) is not None:
            meta["people"] = raw.people
        cache.store_raw(job.video_id, key, raw.data.reset_index(drop=True), meta)
        checkpoints.remove()  # the entry is stored: the chunks that led to it are not needed
        return "computed", time.perf_counter() - t0
