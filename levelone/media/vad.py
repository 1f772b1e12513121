"""The Silero voice-activity detector faster-whisper ships, over a recording of any length in bounded memory.

``faster_whisper.vad.get_speech_timestamps`` pads the whole waveform (one copy) and stacks every
512-sample window with its 64-sample context (a second, larger one) before the model sees the
first batch: ~8 MB a minute at 16 kHz, 0.5 GB for an hour, beside the waveform itself.
:func:`speech_timestamps` gives exactly its result (``tests/levelone/media/test_vad.py`` compares
them on real speech) while cutting each batch of ``BATCH_WINDOWS`` windows straight from the
waveform: the same ONNX session, smaller batches (the LSTM state carries from one to the next as
there), the same decision rules, ported from faster-whisper 1.2.1 (MIT licence, itself after
Silero's ``get_speech_timestamps``).

The model is faster-whisper's own file, opened here with faster-whisper's session settings
(:func:`session`) but without importing the ``faster_whisper`` package: its ``__init__`` loads
the transcription stack (CTranslate2, tokenizers, Hugging Face Hub), which a recording whose
transcript is given, or one analysed with ``--no-asr``, never uses.
"""
from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codebook.errors import InputError
from levelone.media.audio import SignalFile

SR = 16000  # Hz: the only rate the model takes
WINDOW = 512  # samples per window (32 ms)
CONTEXT = 64  # samples of the previous window the model sees with each window
# Windows per model call: 32 s of audio. faster-whisper calls the model on 10,000 windows (5.3 minutes)
# at once, and the ONNX session's working memory grows with the batch: 130 MB above the loaded model
# for 10,000 windows, 16 MB for 1,000, on the 10-minute benchmark input (benchmarks/audio_memory.py).
# The probabilities are the same bit for bit (the LSTM state carries from call to call), for no more
# CPU time. With the larger batch, a recording over 5 minutes paid the whole of it, a 1-minute one
# a fifth: the audio step's peak grew with length.
BATCH_WINDOWS = 1000
MODEL_FILE = "assets/silero_vad_v6.onnx"  # inside the faster_whisper package


@dataclass(frozen=True)
class VadOptions:
    """The decision rules' settings, with the defaults of faster-whisper's ``VadOptions`` (its
    fields, read by :func:`speech_timestamps`, which takes either)."""

    threshold: float = 0.5
    neg_threshold: float | None = None  # None: threshold - 0.15, at least 0.01
    min_speech_duration_ms: int = 0
    max_speech_duration_s: float = float("inf")
    min_silence_duration_ms: int = 2000
    speech_pad_ms: int = 400


def model_path() -> Path:
    """The Silero VAD model faster-whisper ships, found without importing faster-whisper."""
    spec = importlib.util.find_spec("faster_whisper")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    path = Path(folders[0]) / MODEL_FILE if folders else None
    if path is None or not path.is_file():
        raise InputError("faster-whisper", f"its Silero VAD model ({MODEL_FILE}) is not installed; "
                                           "reinstall ahcue (pip install .)")
    return path


@functools.lru_cache(maxsize=1)
def session():
    """The ONNX session, once per process, with faster-whisper's settings (``SileroVADModel``):
    one thread each way, no memory arena, errors only."""
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.enable_cpu_mem_arena = False
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"], sess_options=opts)


def speech_probabilities(y: np.ndarray | SignalFile) -> np.ndarray:
    """Speech probability per 512-sample window, (1 + len(y) // 512,): faster-whisper's
    ``SileroVADModel.__call__`` on its padded waveform, batch by batch.

    faster-whisper pads with zeros to the next multiple of 512 (a whole window when the length
    is one already), and its context step writes zeros into the last 64 samples of the last
    window (a view); both are reproduced here, so the probabilities are the same, bit for bit.
    """
    model = session()
    if not isinstance(y, SignalFile):  # a file is read a batch at a time, like an array
        y = np.asarray(y, np.float32).reshape(-1)
    n = y.size // WINDOW + 1
    h = np.zeros((1, 1, 128), np.float32)
    c = np.zeros((1, 1, 128), np.float32)
    out = []
    for b0 in range(0, n, BATCH_WINDOWS):
        b1 = min(n, b0 + BATCH_WINDOWS)
        lo = b0 * WINDOW - CONTEXT  # the batch reads samples lo .. b1 * WINDOW of the padded signal
        seg = np.zeros((b1 - b0) * WINDOW + CONTEXT, np.float32)
        a, b = max(lo, 0), min(b1 * WINDOW, y.size)
        if b > a:
            seg[a - lo:b - lo] = y[a:b]
        if b1 == n:
            seg[-CONTEXT:] = 0.0  # faster-whisper's ``context[-1] = 0`` through a view of the last window
        windows = np.lib.stride_tricks.sliding_window_view(seg, WINDOW + CONTEXT)[::WINDOW]
        probs, h, c = model.run(None, {"input": np.ascontiguousarray(windows), "h": h, "c": c})
        out.append(probs)
    return np.concatenate(out, axis=0)


def speech_timestamps(y: np.ndarray | SignalFile, options: VadOptions) -> list[dict[str, int]]:
    """Speech segments ``{"start", "end"}`` in samples, as ``faster_whisper.vad.get_speech_timestamps(y,
    options)`` returns them for 16 kHz audio (``options``: :class:`VadOptions` or faster-whisper's)."""
    threshold = options.threshold
    neg_threshold = options.neg_threshold
    min_speech_samples = SR * options.min_speech_duration_ms / 1000
    speech_pad_samples = SR * options.speech_pad_ms / 1000
    max_speech_samples = SR * options.max_speech_duration_s - WINDOW - 2 * speech_pad_samples
    min_silence_samples = SR * options.min_silence_duration_ms / 1000
    min_silence_samples_at_max_speech = SR * 98 / 1000
    length = int(y.size) if isinstance(y, SignalFile) else int(np.asarray(y).size)
    if neg_threshold is None:
        neg_threshold = max(threshold - 0.15, 0.01)

    triggered = False
    speeches: list[dict] = []
    current: dict = {}
    temp_end = prev_end = next_start = 0
    for i, prob in enumerate(speech_probabilities(y)):
        at = WINDOW * i
        if prob >= threshold and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = at
        if prob >= threshold and not triggered:
            triggered = True
            current["start"] = at
            continue
        if triggered and at - current["start"] > max_speech_samples:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = at
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if prob < neg_threshold and triggered:
            if not temp_end:
                temp_end = at
            if at - temp_end > min_silence_samples_at_max_speech:
                prev_end = temp_end
            if at - temp_end < min_silence_samples:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > min_speech_samples:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
            continue
    if current and length - current["start"] > min_speech_samples:
        current["end"] = length
        speeches.append(current)

    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - speech_pad_samples))
        if i != len(speeches) - 1:
            silence = speeches[i + 1]["start"] - speech["end"]
            if silence < 2 * speech_pad_samples:
                speech["end"] += int(silence // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - silence // 2))
            else:
                speech["end"] = int(min(length, speech["end"] + speech_pad_samples))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - speech_pad_samples))
        else:
            speech["end"] = int(min(length, speech["end"] + speech_pad_samples))
    return speeches
