"""Speech for the demo corpus: espeak-ng synthesis one token at a time, so every word's time is known.

Why one espeak-ng call per token: a TTS engine does not report word boundaries, but if each word
(or filler) is synthesised on its own, trimmed of the engine's lead-in/lead-out silence and
concatenated with chosen gaps, the start and end of every word on the final track are exact. The
cost is a little prosody (no coarticulation across words), which the corpus can afford: it is a
test fixture, not a model of natural speech.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from codebook.errors import InputError

SR = 22050  # espeak-ng's native output rate


@dataclass(frozen=True)
class Token:
    """One thing to say (``text``) or a silence (``text == ""``, ``pause_s`` > 0)."""

    text: str
    rate: int = 160          # espeak-ng words per minute
    gap_s: float = 0.09      # silence after the token
    pause_s: float = 0.0     # for silences: their length


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise InputError(None, "espeak-ng is not installed (apt-get install espeak-ng); the demo corpus needs it")
    return exe


def _wav_samples(data: bytes) -> np.ndarray:
    """PCM16 mono samples from espeak-ng's streamed WAV (its header carries a bogus length)."""
    i = data.find(b"data")
    if data[:4] != b"RIFF" or i < 0:
        raise RuntimeError("espeak-ng returned no WAV data")
    body = data[i + 8:]
    body = body[: len(body) // 2 * 2]
    return np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0


def trim(y: np.ndarray, sr: int = SR, threshold: float = 0.01) -> np.ndarray:
    """Drop leading/trailing samples quieter than ``threshold`` (keeps 10 ms either side)."""
    loud = np.flatnonzero(np.abs(y) > threshold)
    if loud.size == 0:
        return y[:0]
    pad = int(0.01 * sr)
    return y[max(0, loud[0] - pad): loud[-1] + 1 + pad]


class Synthesiser:
    """espeak-ng with one voice and pitch, caching each (text, rate) it has already said."""

    def __init__(self, voice: str, pitch: int = 50):
        self.voice = voice
        self.pitch = pitch
        self._exe = _espeak()
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def say(self, text: str, rate: int) -> np.ndarray:
        key = (text, rate)
        if key not in self._cache:
            out = subprocess.run(
                [self._exe, "-v", self.voice, "-s", str(rate), "-p", str(self.pitch), "--stdout", text],
                check=True, capture_output=True)
            self._cache[key] = trim(_wav_samples(out.stdout))
        return self._cache[key]

    def render(self, tokens: list[Token], lead_s: float = 0.5) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """Concatenate the tokens after ``lead_s`` of silence.

        Returns the track and, per token, its ``(start_s, end_s)`` on the track (for a word, the
        voiced sound without the gap after it; for a pause, the silence).
        """
        parts = [np.zeros(int(round(lead_s * SR)), np.float32)]
        n = parts[0].size
        spans: list[tuple[float, float]] = []
        for tok in tokens:
            if not tok.text:
                k = int(round(tok.pause_s * SR))
                parts.append(np.zeros(k, np.float32))
                spans.append((n / SR, (n + k) / SR))
                n += k
                continue
            y = self.say(tok.text, tok.rate)
            spans.append((n / SR, (n + y.size) / SR))
            gap = np.zeros(int(round(tok.gap_s * SR)), np.float32)
            parts += [y, gap]
            n += y.size + gap.size
        return np.concatenate(parts), spans


def pcm16_wav(y: np.ndarray, sr: int = SR) -> bytes:
    """A mono 16-bit WAV file's bytes."""
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(y, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
    return buf.getvalue()
