"""Audio decoding helpers: mono conversion and resampling to the analysis rate, and a waveform kept on disk.

Decoding belongs with decoding: the ASR and prosody modules both take their waveform through these,
so neither borrows from the other.

:class:`SignalFile` holds a long recording's waveform in a file instead of memory (16 kHz float32
is 3.84 MB a minute, 230 MB an hour): the prosody analysis reads it a block at a time
(:func:`levelone.audio.prosody.audio_signals`), so its memory does not grow with the length.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SR = 16000  # Hz: the rate every audio model in level one reads (Whisper, Silero VAD, prosody)


def to_mono(y: np.ndarray) -> np.ndarray:
    """Mono float32 from (n,), (channels, n) or (n, channels) audio."""
    y = np.asarray(y, np.float32)
    if y.ndim == 2:
        y = y.mean(axis=0 if y.shape[0] < y.shape[1] else 1)
    y = y.reshape(-1)
    # a copy only when there is something to replace: an hour at 16 kHz is 230 MB
    return y if np.isfinite(y).all() else np.nan_to_num(y)


def resample(y: np.ndarray, sr: int, target: int = SR) -> np.ndarray:
    """Resample mono ``y`` to ``target`` Hz (soxr through librosa; imported lazily)."""
    if sr == target or y.size == 0:
        return y.astype(np.float32, copy=False)
    import librosa
    return librosa.resample(y, orig_sr=sr, target_sr=target, res_type="soxr_hq").astype(np.float32)


class SignalFile:
    """A mono float32 waveform in a file, read a slice at a time: ``signal[a:b]`` is an array,
    ``signal.size`` its length in samples, ``signal.peak`` the largest absolute sample.

    Written once with :meth:`append` (pieces as a decoder gives them), then read; plain reads
    (no memory map), so only the slice asked for is ever in the process's memory.
    """

    dtype = np.dtype(np.float32)

    def __init__(self, path: str | os.PathLike, sr: int = SR):
        self.path, self.sr = Path(path), sr
        self.size = 0
        self.peak = 0.0
        self._out = open(self.path, "wb")

    def append(self, piece: np.ndarray) -> None:
        """Add samples at the end (made mono float32 and finite as :func:`to_mono` does)."""
        piece = to_mono(piece)
        if piece.size:
            self.peak = max(self.peak, float(np.max(np.abs(piece))))
            piece.tofile(self._out)
            self.size += piece.size

    def close(self) -> "SignalFile":
        """Finish writing; the signal can be read from now on."""
        self._out.close()
        return self

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, item: slice) -> np.ndarray:
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("a SignalFile is read by contiguous slices")
        a, b, _ = item.indices(self.size)
        if b <= a:
            return np.zeros(0, np.float32)
        return np.fromfile(self.path, np.float32, count=b - a, offset=a * self.dtype.itemsize)
