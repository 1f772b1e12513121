"""Audio decoding helpers: mono conversion and resampling to the analysis rate.

Decoding belongs with decoding: the ASR and prosody modules both take their waveform through these,
so neither borrows from the other.
"""
from __future__ import annotations

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
