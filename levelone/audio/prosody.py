"""Audio prosody: plain functions over a mono waveform ``y`` (float, [-1, 1]) at rate ``sr``.

Every analysis runs on a 10 ms hop (``HOP_S``) at 16 kHz; arrays named ``*_hop`` have one value per
hop (shape ``(n_hop,)``, hop ``k`` centred at ``k * HOP_S`` seconds). :func:`audio_signals` puts
them on the video frame axis (frame ``i`` covers ``[i / fps, (i + 1) / fps)``) and
:func:`audio_cues` turns them into codebook cue activations against the person's baseline.

Pitch: our own vectorised YIN (de Cheveigne & Kawahara 2002), the same cumulative mean normalised
difference librosa.yin computes, kept here because its minimum (the *aperiodicity*) is also the
voicing evidence librosa.yin throws away. Measured on 2 shared, busy cores (16 kHz, fmin 65 Hz,
fmax 400 Hz, 64 ms frames, 10 ms hop): librosa.pyin took 2.6 s for jfk.flac (11 s, 4x real time)
and 2.6 s for LibriSpeech 198-209-0000 (13.9 s, 5x); librosa.yin 0.07-0.10 s (~150x); this YIN
with its voicing decision 0.14-0.16 s (70-100x). Against pyin, voicing agrees on 79-82 % of hops
and f0 is within 1 semitone on 84-91 % of hops both call voiced. pyin's HMM is better on noisy
audio but 30x slower: a 10-minute BAH video would cost ~2.5 min of pyin alone, so voicing is
decided from YIN aperiodicity + energy above the recording's own noise floor.

Speech (for pauses, rate and ``audio.present``) comes from the Silero VAD that faster-whisper
ships when it is installed (``vad="auto"``), else from voicing + energy (``vad="energy"``): on the
GRID clip with word alignment Silero covers 96 % of word time and 0 % of the silences, energy +
voicing 86 % and 0-9 %; both find the same three long pauses in jfk.flac.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from levelone.columns import ColumnSpec, affect_columns, cue_columns, presence, signal_columns
from levelone.affectnorms import AUDIO_FULL_S, AUDIO_POPULATION_MEDIAN, AUDIO_POPULATION_SCALE, blend_reference
from levelone.baseline import Baseline, squash
from levelone.media.audio import SR, SignalFile, resample, to_mono
from levelone.params import apply_operating_points, from_section

HOP_S = 0.01
HOP = int(SR * HOP_S)
FRAME_LENGTH = 1024  # 64 ms: two periods of a 31 Hz voice, enough for fmin = 65 Hz
FMIN, FMAX = 65.0, 400.0
VERSION = "audio-5"  # 5: volume = windowed active speech level (energy mean) against its own median
_EPS = 1e-10


# ----------------------------------------------------------------------------- low-level signals

def _frames(y: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """Centred frames, shape (frame_length, n_hop) with n_hop = 1 + len(y) // hop."""
    pad = np.pad(y, (frame_length // 2, frame_length // 2))
    n = 1 + (pad.size - frame_length) // hop
    idx = np.arange(frame_length)[:, None] + hop * np.arange(n)[None, :]
    return pad[idx]


# Hops framed and transformed at once (10 s at 10 ms): memory flat in the length. The pitch
# tracker's working set is a few (1024, block) float64 matrices: 112 MB at 3,000 hops, which, on
# top of the vision pass, was the peak of a long recording's run (benchmarks/audio_memory.py,
# ``blocks``). Results are the same for any block size.
BLOCK_HOPS = 1000


def _frame_blocks(y: np.ndarray, frame_length: int, hop: int, block_hops: int | None = None):
    """:func:`_frames` in blocks of ``block_hops`` columns, so that a long recording's frame matrix
    and its FFTs (about 2 GB for 10 minutes at once) are never held whole; the columns, and so
    every per-hop result, are the same as one call's. Each block is cut from ``y`` with the
    centring zeros added at the recording's two ends only (no padded copy of the whole signal)."""
    block_hops = BLOCK_HOPS if block_hops is None else block_hops
    half = frame_length // 2
    n = 1 + (y.size + 2 * half - frame_length) // hop
    for start in range(0, max(n, 1), block_hops):
        stop = min(n, start + block_hops)
        lo, hi = start * hop - half, (stop - 1) * hop + frame_length - half  # samples of y the block reads
        seg = np.zeros(hi - lo, y.dtype)
        seg[max(0, -lo):max(0, -lo) + max(0, min(hi, y.size) - max(lo, 0))] = y[max(lo, 0):min(hi, y.size)]
        idx = np.arange(frame_length)[:, None] + hop * np.arange(stop - start)[None, :]
        yield seg[idx]


def _signal(y) -> np.ndarray | SignalFile:
    """``y`` as the block functions read it: a float32 array, or a :class:`SignalFile` as it is
    (read a block at a time by :func:`_frame_blocks`)."""
    return y if isinstance(y, SignalFile) else np.asarray(y, np.float32)


def rms_db(y: np.ndarray, sr: int = SR, hop_s: float = HOP_S, frame_s: float = 0.032) -> np.ndarray:
    """RMS energy per hop in dB re full scale (floor -120 dB), shape (1 + len(y) // hop,).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1]
    sr : int
        sample rate, Hz
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    frame_s : float
        analysis frame length, seconds

    Returns
    -------
    ndarray, shape (1 + n_samples // hop,)
        RMS level per hop, dB re full scale (floor -120 dB)
    """
    hop, fl = int(sr * hop_s), int(sr * frame_s)
    return np.concatenate([(10.0 * np.log10(np.mean(fr.astype(np.float64) ** 2, axis=0) + 1e-12)).astype(np.float32)
                           for fr in _frame_blocks(_signal(y), fl, hop)])


def yin(y: np.ndarray, sr: int = SR, fmin: float = FMIN, fmax: float = FMAX,
        frame_length: int = FRAME_LENGTH, hop_s: float = HOP_S,
        threshold: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """YIN f0 (Hz) and aperiodicity (0 = perfectly periodic, ~1 = noise) per hop.

    Returns two float32 arrays of shape (n_hop,); f0 is given for every hop (meaningful only where
    the aperiodicity is low). Frames are centred like librosa (hop k at k * hop_s seconds).

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1]
    sr : int
        sample rate, Hz
    fmin : float
        lowest f0 searched, Hz
    fmax : float
        highest f0 searched, Hz
    frame_length : int
        analysis frame, samples
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    threshold : float
        YIN's absolute threshold on the cumulative mean normalised difference

    Returns
    -------
    ndarray, shape (n_hop,)
        f0 per hop, Hz (float32; meaningful where the aperiodicity is low)
    ndarray, shape (n_hop,)
        aperiodicity per hop in [0, 1] (float32; 1 for silent hops)
    """
    hop = int(sr * hop_s)
    min_p = int(np.floor(sr / fmax))
    max_p = min(int(np.ceil(sr / fmin)), frame_length - 1)
    parts = [_yin_block(fr, sr, frame_length, min_p, max_p, threshold)
             for fr in _frame_blocks(_signal(y), frame_length, hop)]
    return (np.concatenate([f for f, _ in parts]).astype(np.float32),
            np.concatenate([a for _, a in parts]).astype(np.float32))


def _yin_block(fr: np.ndarray, sr: int, frame_length: int, min_p: int, max_p: int, threshold: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`yin` on frames ``fr`` (frame_length, n): f0 and aperiodicity per column."""
    # difference function via FFT cross-correlation (as librosa.yin)
    a = np.fft.rfft(fr, frame_length, axis=0)
    b = np.fft.rfft(fr[max_p:0:-1, :], frame_length, axis=0)
    acf = np.fft.irfft(a * b, frame_length, axis=0)[max_p:, :]
    acf[np.abs(acf) < 1e-6] = 0
    energy = np.cumsum(fr ** 2, axis=0)
    energy = energy[max_p:, :] - energy[:-max_p, :]
    energy[np.abs(energy) < 1e-6] = 0
    diff = energy[:1, :] + energy - 2 * acf
    num = diff[min_p:max_p + 1, :]
    cum = np.cumsum(diff[1:max_p + 1, :], axis=0) / np.arange(1, max_p + 1)[:, None]
    cmnd = num / (cum[min_p - 1:max_p, :] + _EPS)
    # first trough below threshold, else the global minimum
    trough = np.zeros_like(cmnd, bool)
    trough[1:-1] = (cmnd[1:-1] < cmnd[:-2]) & (cmnd[1:-1] <= cmnd[2:])
    trough[0] = cmnd[0] < cmnd[1]
    below = trough & (cmnd < threshold)
    period = np.where(below.any(axis=0), np.argmax(below, axis=0), np.argmin(cmnd, axis=0))
    cols = np.arange(cmnd.shape[1])
    # parabolic refinement
    p = np.clip(period, 1, cmnd.shape[0] - 2)
    left, c, r = cmnd[p - 1, cols], cmnd[p, cols], cmnd[p + 1, cols]
    denom = left - 2 * c + r
    shift = np.where(np.abs(denom) > _EPS, 0.5 * (left - r) / np.where(denom == 0, 1, denom), 0.0)
    shift = np.where((period == p) & (np.abs(shift) <= 1), shift, 0.0)
    f0 = sr / (min_p + period + shift)
    aper = np.clip(cmnd[period, cols], 0, 1)
    silent = energy[0] <= 0
    aper[silent] = 1.0
    return f0, aper


def noise_floor_db(level_db: np.ndarray) -> tuple[float, float]:
    """(floor, peak) of a recording in dB: its 5th and 99th percentile hop levels.

    Parameters
    ----------
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale (from :func:`rms_db`)

    Returns
    -------
    (float, float)
        (floor, peak) in dB: the 5th and 99th percentile of the non-silent hops
    """
    v = level_db[level_db > -119]
    if v.size == 0:
        return -120.0, -120.0
    return float(np.percentile(v, 5)), float(np.percentile(v, 99))


def energy_threshold_db(level_db: np.ndarray) -> float:
    """Level above which a hop can be speech: 6 dB above the floor and within 35 dB of the peak.
    When the recording has no quiet part (floor near peak: speech throughout), anything within
    10 dB of the peak counts.

    Parameters
    ----------
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale

    Returns
    -------
    float
        the level above which a hop can be speech, dB re full scale
    """
    floor, peak = noise_floor_db(level_db)
    return max(min(floor + 6.0, peak - 10.0), peak - 35.0, -60.0)


def voicing(f0: np.ndarray, aperiodicity: np.ndarray, level_db: np.ndarray,
            max_aperiodicity: float = 0.3) -> np.ndarray:
    """Voiced hops (bool): periodic, f0 inside the search range, and above the energy threshold.

    Parameters
    ----------
    f0 : ndarray, shape (n_hop,)
        f0 per hop, Hz (from :func:`yin`)
    aperiodicity : ndarray, shape (n_hop,)
        YIN aperiodicity per hop, [0, 1]
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale
    max_aperiodicity : float
        largest aperiodicity of a voiced hop

    Returns
    -------
    ndarray of bool, shape (n_hop,)
        voiced hops
    """
    v = (aperiodicity < max_aperiodicity) & (level_db > energy_threshold_db(level_db))
    v &= (f0 > FMIN * 1.02) & (f0 < FMAX * 0.98)
    # a lone voiced or unvoiced hop is a decision error more often than speech
    v = _close(_open(v, 3), 3)
    return v


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of True runs (stop exclusive)."""
    m = np.r_[False, np.asarray(mask, bool), False].astype(np.int8)
    d = np.diff(m)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def _close(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Fill False gaps shorter than ``max_gap`` hops that lie between True hops."""
    out = mask.copy()
    for a, b in _runs(~mask):
        if a > 0 and b < mask.size and b - a < max_gap:
            out[a:b] = True
    return out


def _open(mask: np.ndarray, min_len: int) -> np.ndarray:
    """Drop True runs shorter than ``min_len`` hops."""
    out = mask.copy()
    for a, b in _runs(mask):
        if b - a < min_len:
            out[a:b] = False
    return out


def speech_mask(voiced: np.ndarray, level_db: np.ndarray, hop_s: float = HOP_S,
                hang_s: float = 0.08, min_gap_s: float = 0.15, min_speech_s: float = 0.1) -> np.ndarray:
    """Speech hops (bool): voiced hops, extended over adjacent energetic hops (unvoiced consonants)
    by up to ``hang_s``, gaps shorter than ``min_gap_s`` closed, stretches under ``min_speech_s``
    dropped.

    Parameters
    ----------
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops (from :func:`voicing`)
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    hang_s : float
        extension over energetic unvoiced hops, seconds
    min_gap_s : float
        shorter gaps are closed, seconds
    min_speech_s : float
        shorter stretches are dropped, seconds

    Returns
    -------
    ndarray of bool, shape (n_hop,)
        speech hops
    """
    if not voiced.any():
        return np.zeros_like(voiced)
    hang = max(1, int(round(hang_s / hop_s)))
    energetic = level_db > energy_threshold_db(level_db) - 6.0
    s = maximum_filter1d(voiced.astype(np.uint8), 2 * hang + 1).astype(bool) & (energetic | voiced)
    s = _close(s, int(round(min_gap_s / hop_s)))
    return _open(s, int(round(min_speech_s / hop_s)))


def speech_mask_silero(y: np.ndarray, sr: int = SR, hop_s: float = HOP_S, min_gap_s: float = 0.15,
                       min_speech_s: float = 0.1, pad_s: float = 0.03) -> np.ndarray:
    """Speech hops (bool) from the Silero VAD that faster-whisper ships (ONNX, CPU, offline).

    A trained detector: on the GRID clip id2_vcd_swwp2s it marks 96 % of the aligned word time
    and none of the leading/trailing silence (energy + voicing: 86 % and 0-9 %), and it is what
    separates speech from household noise, which an energy floor cannot. ``y`` must be 16 kHz.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform at 16 kHz, float in [-1, 1]
    sr : int
        sample rate, Hz (16000)
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    min_gap_s : float
        shorter gaps are closed, seconds
    min_speech_s : float
        shorter stretches are dropped, seconds
    pad_s : float
        padding around each segment, seconds

    Returns
    -------
    ndarray of bool, shape (1 + n_samples // hop,)
        speech hops
    """
    from levelone.media.vad import VadOptions, speech_timestamps
    if sr != 16000:
        raise ValueError("the Silero VAD runs at 16 kHz")
    opts = VadOptions(threshold=0.5, min_speech_duration_ms=int(min_speech_s * 1000),
                      min_silence_duration_ms=int(min_gap_s * 1000), speech_pad_ms=int(pad_s * 1000))
    hop = int(sr * hop_s)
    mask = np.zeros(1 + y.size // hop, bool)
    for seg in speech_timestamps(y, opts):  # faster-whisper's, without two copies of the recording
        mask[seg["start"] // hop:-(-seg["end"] // hop)] = True
    return mask


def silero_available() -> bool:
    """Whether faster-whisper (and so its Silero VAD) is installed.

    Returns
    -------
    bool
        whether faster-whisper (and its Silero VAD) is installed
    """
    import importlib.util
    return importlib.util.find_spec("faster_whisper") is not None


def pauses(speech: np.ndarray, hop_s: float = HOP_S, min_s: float = 0.15) -> list[tuple[float, float]]:
    """Silent gaps inside speech as (start_s, end_s): between two speech stretches, >= ``min_s``.
    Leading and trailing silence is not a pause.

    Parameters
    ----------
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    min_s : float
        shortest pause, seconds

    Returns
    -------
    list of (float, float)
        (start_s, end_s) of each silent gap inside speech, seconds
    """
    out = []
    for a, b in _runs(~speech):
        if a > 0 and b < speech.size and (b - a) * hop_s >= min_s - 1e-9:
            out.append((a * hop_s, b * hop_s))
    return out


def syllable_nuclei(vowel_db: np.ndarray, voiced: np.ndarray, hop_s: float = HOP_S,
                    prominence_db: float = 2.0, min_distance_s: float = 0.06) -> np.ndarray:
    """Hop indices of syllable nuclei: peaks of the vowel-band (300-2500 Hz) level, lightly
    smoothed (20 ms), at least ``prominence_db`` above the dips around them and within 20 ms of a
    voiced hop (de Jong & Wempe 2009, simplified).

    Measured against syllables counted in the Whisper transcripts of jfk.flac and the three
    LibriSpeech clips it finds 70-95 % of them (it merges unstressed syllables), and it
    under-reacts to fast speech: the same clip played 1.3x faster reads only ~1.1x faster,
    0.7x reads ~0.8x. Rate cues compare against the person's own rate, so a constant undercount
    cancels; the compression makes the fast cue conservative.

    Parameters
    ----------
    vowel_db : ndarray, shape (n_hop,)
        vowel-band (300-2500 Hz) level per hop, dB
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    prominence_db : float
        smallest peak prominence, dB
    min_distance_s : float
        closest two nuclei, seconds

    Returns
    -------
    ndarray of int
        hop indices of the syllable nuclei, ascending
    """
    from scipy.signal import find_peaks  # here, not at the top: the FrameTable schema imports this module

    smooth = uniform_filter1d(vowel_db.astype(np.float64), max(1, int(round(0.02 / hop_s))))
    peaks, _ = find_peaks(smooth, prominence=prominence_db, distance=max(1, int(round(min_distance_s / hop_s))))
    near_voiced = maximum_filter1d(voiced.astype(np.uint8), 5).astype(bool)
    return peaks[near_voiced[peaks]] if peaks.size else peaks


def semitones(f0: np.ndarray, ref_hz: float = 100.0) -> np.ndarray:
    """Pitch in semitones relative to ``ref_hz``.

    Parameters
    ----------
    f0 : ndarray
        pitch, Hz (any shape; NaN or <= 0 give NaN)
    ref_hz : float
        the 0-semitone reference, Hz

    Returns
    -------
    ndarray, same shape as ``f0``
        pitch in semitones re ``ref_hz``
    """
    return (12.0 * np.log2(np.maximum(f0, _EPS) / ref_hz)).astype(np.float32)


def pitch_jitter(f0: np.ndarray, voiced: np.ndarray, max_jump_st: float = 3.0) -> np.ndarray:
    """Absolute hop-to-hop pitch change in semitones where both hops are voiced, else NaN.
    Jumps above ``max_jump_st`` are octave errors or voicing edges, not tremor, and are dropped.

    Parameters
    ----------
    f0 : ndarray, shape (n_hop,)
        f0 per hop, Hz
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    max_jump_st : float
        larger jumps are dropped, semitones

    Returns
    -------
    ndarray, shape (n_hop,)
        absolute hop-to-hop pitch change, semitones (NaN where not both hops are voiced)
    """
    st = semitones(f0)
    j = np.full(f0.shape, np.nan, np.float32)
    d = np.abs(np.diff(st))
    ok = voiced[1:] & voiced[:-1] & (d < max_jump_st)
    j[1:][ok] = d[ok]
    return j


# Slaney's mel scale (Auditory Toolbox): linear up to 1 kHz at 200/3 Hz per mel, logarithmic above
# it at 27 mels per factor of 6.4, the scale librosa uses by default.
MEL_LINEAR_HZ_PER_MEL = 200.0 / 3.0
MEL_BREAK_HZ = 1000.0
MEL_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Frequencies on Slaney's mel scale.

    Parameters
    ----------
    hz : ndarray
        frequencies, Hz

    Returns
    -------
    ndarray, the shape of ``hz``
        the same frequencies, mels (float64)
    """
    hz = np.asarray(hz, np.float64)
    mel = hz / MEL_LINEAR_HZ_PER_MEL
    high = hz >= MEL_BREAK_HZ
    mel[high] = MEL_BREAK_HZ / MEL_LINEAR_HZ_PER_MEL + np.log(hz[high] / MEL_BREAK_HZ) / MEL_LOG_STEP
    return mel


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Slaney mels back to frequencies (:func:`hz_to_mel` inverted).

    Parameters
    ----------
    mel : ndarray
        frequencies, mels

    Returns
    -------
    ndarray, the shape of ``mel``
        the same frequencies, Hz (float64)
    """
    mel = np.asarray(mel, np.float64)
    hz = MEL_LINEAR_HZ_PER_MEL * mel
    break_mel = MEL_BREAK_HZ / MEL_LINEAR_HZ_PER_MEL
    high = mel >= break_mel
    hz[high] = MEL_BREAK_HZ * np.exp(MEL_LOG_STEP * (mel[high] - break_mel))
    return hz


def mel_filters(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular mel filterbank, shape (n_mels, 1 + n_fft // 2), float32: band ``i`` rises from
    the ``i``-th to the ``i+1``-th of ``n_mels + 2`` frequencies equally spaced in mels between
    ``fmin`` and ``fmax`` (Hz), falls to the ``i+2``-th, and is scaled to unit area over its width
    in Hz (Slaney's normalisation): librosa's default ``filters.mel``.

    Written here because librosa builds it through numba: importing and compiling that cost the
    audio step 111 MB and 0.65 CPU s of a run that needs 24 numbers from it
    (``benchmarks/audio_memory.py``; ``tests/levelone/audio/test_long_audio.py`` checks the two agree).

    Parameters
    ----------
    sr : int
        sample rate, Hz
    n_fft : int
        FFT length, samples
    n_mels : int
        mel bands
    fmin : float
        lowest band edge, Hz
    fmax : float
        highest band edge, Hz

    Returns
    -------
    ndarray, shape (n_mels, 1 + n_fft // 2)
        the weight of each FFT bin in each band, float32
    """
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_lo, mel_hi = hz_to_mel(np.array([fmin, fmax]))
    edges = mel_to_hz(np.linspace(mel_lo, mel_hi, n_mels + 2))
    width = np.diff(edges)[:, None]
    offset = edges[:, None] - fft_hz[None, :]  # each band edge's distance above each FFT bin, Hz
    rising, falling = -offset[:-2] / width[:-1], offset[2:] / width[1:]
    weights = np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights


def spectral_blocks(y: np.ndarray, sr: int = SR, hop_s: float = HOP_S, n_fft: int = 512,
                    n_mels: int = 24) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`spectral_shape` a block of :data:`BLOCK_HOPS` hops at a time: (flatness, log-mel
    bands, vowel-band level) of each block in order, so that a pass over a long recording holds one
    block's bands, not the recording's (24 float32 bands are 96 B a hop, 35 MB an hour).
    The same values as :func:`spectral_shape`.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1] (or a :class:`SignalFile`)
    sr : int
        sample rate, Hz
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    n_fft : int
        FFT length, samples
    n_mels : int
        mel bands

    Yields
    ------
    (ndarray, ndarray, ndarray)
        one block's flatness per hop ([0, 1]), log-mel bands with shape (n_mels, block hops) in dB,
        and vowel-band level per hop in dB

    Returns
    -------
    iterator
        the blocks in order (see Yields)
    """
    hop = int(sr * hop_s)
    mel = mel_filters(sr, n_fft, n_mels, 100.0, min(6000.0, sr / 2))
    window = np.hanning(n_fft)[:, None].astype(np.float32)
    for fr in _frame_blocks(_signal(y), n_fft, hop):
        power = np.abs(np.fft.rfft(fr * window, axis=0)) ** 2 + 1e-14
        band = power[int(100 * n_fft / sr):int(6000 * n_fft / sr)]
        flat = (np.exp(np.mean(np.log(band), axis=0)) / np.mean(band, axis=0)).astype(np.float32)
        logmel = 10.0 * np.log10(mel @ power + 1e-10)
        logmel -= logmel.mean(axis=0, keepdims=True)
        vowel = (10.0 * np.log10(power[int(300 * n_fft / sr):int(2500 * n_fft / sr)].sum(axis=0)
                                 + 1e-10)).astype(np.float32)
        yield flat, logmel.astype(np.float32), vowel


def spectral_shape(y: np.ndarray, sr: int = SR, hop_s: float = HOP_S, n_fft: int = 512,
                   n_mels: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flatness in [0, 1] per hop, level-normalised log-mel spectrum in dB with shape
    (n_mels, n_hop), vowel-band 300-2500 Hz level in dB per hop).

    Flatness near 1 is broadband noise (breath). The log-mel bands, with each hop's mean removed,
    describe spectral *shape*: a held vowel or nasal ("uhh", "mmm") keeps them steady, words move
    them (band standard deviation ~0.4-3 dB for a held vowel, 4-13 dB for words on jfk.flac and
    the LibriSpeech clips). The whole matrix at once; :func:`spectral_pass` is what the audio step
    uses on a recording of any length.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1]
    sr : int
        sample rate, Hz
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    n_fft : int
        FFT length, samples
    n_mels : int
        mel bands

    Returns
    -------
    ndarray, shape (n_hop,)
        spectral flatness per hop, [0, 1]
    ndarray, shape (n_mels, n_hop)
        log-mel spectrum with each hop's mean removed, dB
    ndarray, shape (n_hop,)
        vowel-band (300-2500 Hz) level per hop, dB
    """
    flats, logmels, vowels = zip(*spectral_blocks(y, sr, hop_s, n_fft, n_mels))
    return np.concatenate(flats), np.concatenate(logmels, axis=1), np.concatenate(vowels)


TEMPO_SMOOTH_S = 0.03  # the log-mel bands are smoothed over this long before their change is taken


def spectral_pass(y: np.ndarray, runs: Sequence[tuple[int, int]] = (), sr: int = SR, hop_s: float = HOP_S,
                  smooth_s: float = TEMPO_SMOOTH_S) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """What the audio step takes from the spectrum, in one pass that never holds the whole
    log-mel matrix: (flatness per hop, spectral change per hop in dB/s, vowel-band level per hop,
    the log-mel columns of each run in ``runs``).

    The bands are needed whole only for their change from hop to hop (:func:`spectral_change`,
    worked here a block at a time as they are made) and, for the filler check, over a few short
    runs (:func:`filler_candidates`), whose columns are kept. The same values as
    :func:`spectral_shape` followed by :func:`spectral_change` and slicing.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1] (or a :class:`SignalFile`)
    runs : sequence of (int, int)
        hop ranges ``[a, b)`` whose log-mel columns to keep, in order, not overlapping
    sr : int
        sample rate, Hz
    hop_s : float
        hop between analysis frames, seconds
    smooth_s : float
        smoothing of the bands before their change is taken, seconds

    Returns
    -------
    ndarray, shape (n_hop,)
        spectral flatness per hop, [0, 1]
    ndarray, shape (n_hop,)
        mean absolute change of the smoothed bands from the previous hop, dB per second
    ndarray, shape (n_hop,)
        vowel-band (300-2500 Hz) level per hop, dB
    list of ndarray, each shape (n_mels, b - a)
        the log-mel columns of each run
    """
    flats, vowels = [], []
    kept: list[list[np.ndarray]] = [[] for _ in runs]

    def bands() -> Iterator[np.ndarray]:
        start, first = 0, 0  # hop of the block's first column; first run that may still overlap
        for flat, logmel, vowel in spectral_blocks(y, sr, hop_s):
            flats.append(flat)
            vowels.append(vowel)
            stop = start + logmel.shape[1]
            while first < len(runs) and runs[first][1] <= start:
                first += 1
            for k in range(first, len(runs)):
                a, b = runs[k]
                if a >= stop:
                    break
                kept[k].append(logmel[:, max(a, start) - start:min(b, stop) - start].copy())
            start = stop
            yield logmel

    change = spectral_change_of_blocks(bands(), max(1, int(round(smooth_s / hop_s)))) / hop_s
    cols = [np.concatenate(k, axis=1) if k else np.zeros((0, 0), np.float32) for k in kept]
    return np.concatenate(flats), change, np.concatenate(vowels), cols


def breaths(voiced: np.ndarray, speech: np.ndarray, level_db: np.ndarray, flatness: np.ndarray,
            hop_s: float = HOP_S, min_s: float = 0.3, max_s: float = 1.5,
            min_flatness: float = 0.1) -> np.ndarray:
    """Breath-like hops (bool): unvoiced stretches of ``min_s``-``max_s`` outside speech, at least
    6 dB above the silence floor and broadband (spectral flatness >= ``min_flatness``).

    Parameters
    ----------
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale
    flatness : ndarray, shape (n_hop,)
        spectral flatness per hop, [0, 1]
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    min_s : float
        shortest breath, seconds
    max_s : float
        longest breath, seconds
    min_flatness : float
        least flatness of a breath, [0, 1]

    Returns
    -------
    ndarray of bool, shape (n_hop,)
        breath-like hops
    """
    floor, _ = noise_floor_db(level_db)
    cand = (~voiced) & (~speech) & (level_db > floor + 6.0) & (flatness >= min_flatness)
    cand = _close(cand, 5)
    out = np.zeros_like(cand)
    for a, b in _runs(cand):
        if min_s <= (b - a) * hop_s <= max_s:
            out[a:b] = True
    return out


def filler_candidates(voiced: np.ndarray, speech: np.ndarray, f0: np.ndarray, hop_s: float = HOP_S,
                      min_s: float = 0.2, max_s: float = 1.2, max_range_st: float = 2.5,
                      min_pause_s: float = 0.15) -> list[tuple[int, int]]:
    """Hop ranges ``[a, b)`` that may be a filler sound (:func:`fillers`) by everything but their
    spectrum: a speech stretch of ``min_s``-``max_s``, bounded by silence of at least
    ``min_pause_s`` on both sides, mostly voiced, with flat pitch (10-90 % range under
    ``max_range_st``). A few a minute, so their log-mel columns are all :func:`fillers` needs.

    Parameters
    ----------
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    f0 : ndarray, shape (n_hop,)
        f0 per hop, Hz
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    min_s : float
        shortest filler, seconds
    max_s : float
        longest filler, seconds
    max_range_st : float
        largest 10-90 % pitch range, semitones
    min_pause_s : float
        silence needed on both sides, seconds

    Returns
    -------
    list of (int, int)
        candidate hop ranges, in order
    """
    out = []
    gap = int(round(min_pause_s / hop_s))
    st = semitones(f0)
    for a, b in _runs(speech):
        if not (min_s <= (b - a) * hop_s <= max_s):
            continue
        if a < gap or b + gap > speech.size or speech[a - gap:a].any() or speech[b:b + gap].any():
            continue
        v = voiced[a:b]
        if v.mean() < 0.7:
            continue
        s = st[a:b][v]
        if np.percentile(s, 90) - np.percentile(s, 10) > max_range_st:
            continue
        out.append((a, b))
    return out


def fillers(voiced: np.ndarray, runs: Sequence[tuple[int, int]], run_bands: Sequence[np.ndarray],
            max_band_std_db: float = 3.0) -> np.ndarray:
    """Filler-sound hops (bool): the candidate runs (:func:`filler_candidates`) whose spectral
    shape is steady, mean log-mel band standard deviation over their voiced hops under
    ``max_band_std_db``.

    Whisper drops "um"/"uh"; this finds the held vowel/nasal itself. A short flat word said alone
    can look the same: the language cue combines it with the transcript.

    Parameters
    ----------
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    runs : sequence of (int, int)
        candidate hop ranges ``[a, b)``
    run_bands : sequence of ndarray, each shape (n_mels, b - a)
        the level-normalised log-mel columns of each run, dB (:func:`spectral_pass`)
    max_band_std_db : float
        largest mean log-mel band standard deviation, dB

    Returns
    -------
    ndarray of bool, shape (n_hop,)
        filler-sound hops
    """
    out = np.zeros(voiced.size, bool)
    for (a, b), bands in zip(runs, run_bands):
        if bands[:, voiced[a:b]].std(axis=1).mean() <= max_band_std_db:
            out[a:b] = True
    return out


def spectral_change(logmel: np.ndarray, smooth_hops: int, block_hops: int | None = None) -> np.ndarray:
    """Mean absolute change of the bands from the previous hop (dB per hop; 0 at the first hop),
    after smoothing each band over ``smooth_hops`` hops: :func:`spectral_change_of_blocks` of the
    whole matrix.

    Parameters
    ----------
    logmel : ndarray, shape (n_mels, n_hop)
        level-normalised log-mel spectrum, dB
    smooth_hops : int
        smoothing of the bands, hops (a centred moving average)
    block_hops : int or None
        hops per block

    Returns
    -------
    ndarray, shape (n_hop,)
        mean absolute change of the smoothed bands from the previous hop, dB per hop (float64)
    """
    return spectral_change_of_blocks([logmel], smooth_hops, block_hops)


def spectral_change_of_blocks(blocks: Iterable[np.ndarray], smooth_hops: int,
                              block_hops: int | None = None) -> np.ndarray:
    """:func:`spectral_change` of the matrix that ``blocks`` (column blocks of any width, in
    order) make when joined, worked as they come, so that neither the whole matrix nor its float64
    copies are ever held: four (24, n_hop) float64 copies at once were 277 MB an hour.

    The change is worked ``block_hops`` columns at a time (default :data:`BLOCK_HOPS`), each read
    with the few columns either side that its smoothing and first difference need; the columns
    before the next one's reach are let go. The same numbers as one whole float64 matrix to
    rounding (the smoothing is a running sum, started again at each block), and exactly the same
    whatever widths the blocks come in.

    Parameters
    ----------
    blocks : iterable of ndarray, each shape (n_mels, width)
        consecutive columns of the level-normalised log-mel spectrum, dB
    smooth_hops : int
        smoothing of the bands, hops (a centred moving average)
    block_hops : int or None
        hops per block of work

    Returns
    -------
    ndarray, shape (n_hop,)
        mean absolute change of the smoothed bands from the previous hop, dB per hop (float64)
    """
    block_hops = BLOCK_HOPS if block_hops is None else block_hops
    reach = smooth_hops // 2 + 1  # columns beyond a block that its smoothed values and differences read
    source = iter(blocks)
    held, held_from, ended = None, 0, False  # the columns read and not yet let go; the first one's hop
    parts, a = [np.zeros(1)], 1
    while True:
        while not ended and (held is None or held_from + held.shape[1] < a + block_hops + reach):
            block = next(source, None)
            if block is None:
                ended = True
            else:
                held = block if held is None else np.concatenate([held, block], axis=1)
        n_known = 0 if held is None else held_from + held.shape[1]
        if a >= n_known:  # only once the blocks have ended
            return np.concatenate(parts)[:n_known]
        b = min(n_known, a + block_hops)
        lo, hi = max(0, a - 1 - reach), min(n_known, b + reach)
        lm = uniform_filter1d(held[:, lo - held_from:hi - held_from].astype(np.float64), smooth_hops, axis=1)
        parts.append(np.abs(np.diff(lm, axis=1)).mean(axis=0)[a - 1 - lo:b - 1 - lo])
        a = b
        drop = max(0, a - 1 - reach) - held_from
        held, held_from = held[:, drop:], held_from + drop


def spectral_tempo(change: np.ndarray, speech: np.ndarray, window: int, hop_s: float = HOP_S) -> np.ndarray:
    """How fast the spectrum changes during speech: the spectral change (:func:`spectral_pass`,
    the mean absolute change of the level-normalised log-mel bands, dB per second) averaged over the
    speech hops of a centred window of ``window`` hops; NaN outside speech or under 0.5 s of
    speech in the window.

    A tempo measure that follows time-stretching: articulation moves the spectrum from sound to
    sound, and speech slowed by ffmpeg's ``atempo=0.7`` makes each move take 1/0.7 as long, so this
    falls to ~0.7x, where counting syllable nuclei (:func:`syllable_nuclei`) reads ~0.8x.

    Parameters
    ----------
    change : ndarray, shape (n_hop,)
        spectral change per hop, dB per second
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    window : int
        centred window, hops
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)

    Returns
    -------
    ndarray, shape (n_hop,)
        spectral change during speech, dB per second (NaN outside speech or under 0.5 s of it)
    """
    sp = speech.astype(np.float64)
    sp_n = uniform_filter1d(sp, window, mode="constant") * window
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = uniform_filter1d(change * sp, window, mode="constant") * window / sp_n
    rate[(sp_n * hop_s < 0.5) | ~speech] = np.nan
    return rate


def voiced_rate(voiced: np.ndarray, speech: np.ndarray, window: int, hop_s: float = HOP_S,
                min_run_s: float = 0.03) -> np.ndarray:
    """Voiced stretches starting per second of speech over a centred window of ``window`` hops
    (NaN outside speech or under 0.5 s of speech in the window).

    A tempo measure that follows time-stretching exactly: ffmpeg's ``atempo=0.7`` lengthens every
    voiced stretch by 1/0.7 and keeps their number, so this rate falls to 0.7x, where syllable
    nuclei (:func:`syllable_nuclei`) read ~0.8x because slower speech shows more small peaks.

    Parameters
    ----------
    voiced : ndarray of bool, shape (n_hop,)
        voiced hops
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    window : int
        centred window, hops
    hop_s : float
        hop between analysis frames, seconds (0.01 s: 100 hops per second)
    min_run_s : float
        shortest voiced stretch counted, seconds

    Returns
    -------
    ndarray, shape (n_hop,)
        voiced stretches starting per second of speech, 1/s (NaN outside speech or under 0.5 s of
        it)
    """
    onsets = np.zeros(voiced.size)
    for a, b in _runs(voiced):
        if (b - a) * hop_s >= min_run_s:
            onsets[a] = 1.0
    sp_s = uniform_filter1d(speech.astype(np.float64), window, mode="constant") * window * hop_s
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = uniform_filter1d(onsets, window, mode="constant") * window / sp_s
    rate[(sp_s < 0.5) | ~speech] = np.nan
    return rate


# ----------------------------------------------------------------------------- frame axis

ACTIVE_LEVEL_RANGE_DB = 40.0  # speech hops this far under the loud end of the speech are silence


def active_speech(speech: np.ndarray, level_db: np.ndarray, range_db: float = ACTIVE_LEVEL_RANGE_DB,
                  loud_quantile: float = 0.95) -> np.ndarray:
    """Speech hops that carry sound: within ``range_db`` of the speech's ``loud_quantile`` level.

    A VAD pads its segments and bridges short gaps, so "speech" includes near-silent hops (digital
    silence reads -120 dBFS); averaging decibels over them makes a pause look like a drop in
    loudness. Like the active speech level of ITU-T P.56, the level is taken over active hops only.

    Parameters
    ----------
    speech : ndarray of bool, shape (n_hop,)
        speech hops
    level_db : ndarray, shape (n_hop,)
        hop levels, dB re full scale
    range_db : float
        active hops are within this of the loud end, dB
    loud_quantile : float
        quantile of the speech levels taken as its loud end, [0, 1]

    Returns
    -------
    ndarray of bool, shape (n_hop,)
        speech hops that carry sound
    """
    if not speech.any():
        return speech
    loud = float(np.quantile(level_db[speech], loud_quantile))
    return speech & (level_db >= loud - range_db)


def _window_mean(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving NaN-mean over ``n`` samples (NaN where the window holds no value)."""
    ok = np.isfinite(x)
    s = uniform_filter1d(np.where(ok, x, 0.0).astype(np.float64), n, mode="constant")
    c = uniform_filter1d(ok.astype(np.float64), n, mode="constant")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 1e-9, s / c, np.nan)


def _window_median(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving NaN-median over ``n`` samples (NaN where the window holds no value)."""
    return pd.Series(np.asarray(x, np.float64)).rolling(n, center=True, min_periods=1).median().to_numpy()


def _to_frames(x: np.ndarray, hop_frame: np.ndarray, n_frames: int) -> np.ndarray:
    """NaN-mean of hop values per video frame; NaN for frames without a finite hop value."""
    x = np.asarray(x, np.float64)
    ok = np.isfinite(x) & (hop_frame < n_frames)
    s = np.bincount(hop_frame[ok], x[ok], minlength=n_frames)[:n_frames]
    c = np.bincount(hop_frame[ok], minlength=n_frames)[:n_frames]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(c > 0, s / c, np.nan).astype(np.float32)


SIGNAL_COLUMNS = ("audio.rms_db", "audio.speech_db", "audio.speech", "audio.voiced", "audio.f0_st",
                  "audio.f0_var_st", "audio.jitter_st", "audio.rate", "audio.tempo", "audio.gap_s", "audio.gap_len_s",
                  "audio.breath", "audio.filler")
# The FrameTable columns this module writes (collected by levelone.frametable.schema): audio_signals'
# output, (unit, low, high) as in its docstring, and audio_cues' output.
SIGNAL_UNITS: dict[str, tuple[str, float | None, float | None]] = {
    "audio.rms_db": ("dBFS", None, None), "audio.speech_db": ("dBFS", None, None),
    "audio.speech": ("fraction of the frame", 0.0, 1.0), "audio.voiced": ("fraction of the frame", 0.0, 1.0),
    "audio.f0_st": ("semitones re 100 Hz", None, None), "audio.f0_var_st": ("semitones", 0.0, None),
    "audio.jitter_st": ("semitones", 0.0, None), "audio.rate": ("syllables/s", 0.0, None),
    "audio.tempo": ("dB/s", 0.0, None),
    "audio.gap_s": ("s", 0.0, None), "audio.gap_len_s": ("s", 0.0, None),
    "audio.breath": ("fraction of the frame", 0.0, 1.0), "audio.filler": ("fraction of the frame", 0.0, 1.0)}
COLUMNS: tuple[ColumnSpec, ...] = (
    (presence("audio", __name__, "speech covers at least half of the frame"),)
    + signal_columns(SIGNAL_COLUMNS, SIGNAL_UNITS, __name__) + cue_columns("audio", __name__)
    + affect_columns("audio", __name__, arousal=True))


def _empty(n_frames: int) -> pd.DataFrame:
    df = pd.DataFrame({"audio.present": np.zeros(n_frames, bool)})
    for c in SIGNAL_COLUMNS:
        df[c] = np.full(n_frames, np.nan, np.float32)
    return df


def audio_signals(y: np.ndarray, sr: int, fps: float, n_frames: int, vad: str = "auto") -> pd.DataFrame:
    """Prosody signals on the video frame axis: exactly ``n_frames`` rows.

    ``vad`` decides what is speech: ``"silero"`` (the trained VAD faster-whisper ships),
    ``"energy"`` (YIN voicing + energy above the recording's floor, no extra dependency) or
    ``"auto"`` (silero when faster-whisper is installed). Voicing and pitch always come from YIN.

    Columns (float32 unless said; NaN where there is no audio, or the signal is undefined there):

    - ``audio.present`` (bool): speech covers at least half of the frame.
    - ``audio.rms_db``: RMS level (dBFS) of the frame; ``audio.speech_db`` the same on active
      speech only (:func:`active_speech`: VAD-padded near-silence left out).
    - ``audio.speech``, ``audio.voiced``: fraction of the frame that is speech / voiced.
    - ``audio.f0_st``: f0 in semitones re 100 Hz (voiced only); ``audio.f0_var_st``: its standard
      deviation over a 2 s window (pitch animation).
    - ``audio.jitter_st``: mean hop-to-hop pitch change (semitones) over a 0.5 s window.
    - ``audio.rate``: syllable nuclei per second of speech in a 2 s window (NaN under 0.5 s speech).
    - ``audio.tempo``: spectral change speed during speech in a 2 s window (dB/s,
      :func:`spectral_tempo`), what the slow/fast cues compare with the person's usual tempo.
    - ``audio.gap_s``: duration (s) of the pause inside speech that covers the frame; 0 in
      speech, NaN in leading/trailing silence or a recording without speech.
    - ``audio.gap_len_s``: the same duration at the middle frame of each pause only (NaN
      elsewhere), so that a baseline over it is the person's per-pause statistics.
    - ``audio.breath``, ``audio.filler``: fraction of the frame in a breath / filler-sound event.

    Parameters
    ----------
    y : ndarray, shape (n_samples,)
        mono waveform, float in [-1, 1] (resampled to 16 kHz when ``sr`` differs)
    sr : int
        sample rate of ``y``, Hz
    fps : float
        video frame rate, frames per second
    n_frames : int
        video frames: the number of rows
    vad : str
        ``auto``, ``silero`` or ``energy``

    Returns
    -------
    DataFrame, n_frames rows
        the ``audio.*`` signals listed above, on the video frame axis
    """
    if isinstance(y, SignalFile):  # a long recording on disk, read a block at a time
        if y.sr != SR or sr != SR:
            raise ValueError(f"a SignalFile must hold {SR} Hz audio")
        silent = y.peak <= 1e-5
    else:
        y = to_mono(y) if y is not None else np.zeros(0, np.float32)
        silent = y.size == 0 or not np.any(np.abs(y) > 1e-5)
    if y.size == 0 or silent or n_frames <= 0:
        return _empty(max(n_frames, 0))
    if not isinstance(y, SignalFile):
        y = resample(y, sr, SR)
    level = rms_db(y)
    f0, aper = yin(y)
    voiced = voicing(f0, aper, level)
    if vad not in ("auto", "silero", "energy"):
        raise ValueError(f"vad must be 'auto', 'silero' or 'energy', not {vad!r}")
    if vad == "silero" or (vad == "auto" and silero_available()):
        speech = speech_mask_silero(y)[:level.size]
    else:
        speech = speech_mask(voiced, level)
    if not speech.any():
        df = _empty(n_frames)
        hop_frame = np.floor(np.arange(level.size) * HOP_S * fps + 1e-9).astype(np.int64)
        df["audio.rms_db"] = _to_frames(level, hop_frame, n_frames)
        df["audio.speech"] = np.where(np.isfinite(df["audio.rms_db"]), 0.0, np.nan).astype(np.float32)
        return df
    # a trained VAD may not call a held "uhh" speech: fillers are looked for in speech or voicing
    candidates = filler_candidates(voiced, speech | voiced, f0)
    flat, change, vowel_db, candidate_bands = spectral_pass(y, candidates)
    n = level.size
    hop_frame = np.floor(np.arange(n) * HOP_S * fps + 1e-9).astype(np.int64)
    w2, w05 = int(2.0 / HOP_S), int(0.5 / HOP_S)
    cols: dict[str, np.ndarray] = {}

    def put(name: str, per_hop: np.ndarray) -> None:
        cols[name] = _to_frames(per_hop, hop_frame, n_frames)

    # The per-hop arrays are an hour's 360,000 values each: each goes to the frame axis, and is
    # let go, as soon as nothing after needs it, so the audio step does not hold them all at once
    # (the log-mel bands, 24 times that, are never held whole: spectral_pass). The same
    # computations as one pass that kept them.
    put("audio.tempo", spectral_tempo(change, speech, w2))
    del change
    put("audio.filler", fillers(voiced, candidates, candidate_bands).astype(np.float64))
    del candidate_bands
    put("audio.breath", breaths(voiced, speech, level, flat).astype(np.float64))
    del flat
    nuclei = np.zeros(n)
    nuclei[syllable_nuclei(vowel_db, voiced)] = 1.0
    del vowel_db
    sp_s = uniform_filter1d(speech.astype(np.float64), w2, mode="constant") * w2 * HOP_S
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = uniform_filter1d(nuclei, w2, mode="constant") * w2 / sp_s
    rate[(sp_s < 0.5) | ~speech] = np.nan
    del nuclei, sp_s
    put("audio.rate", rate)
    del rate

    st = np.where(voiced, semitones(f0), np.nan)
    mean_st = _window_mean(st, w2)
    var_st = np.sqrt(np.maximum(_window_mean(st ** 2, w2) - mean_st ** 2, 0.0))
    del mean_st
    var_st[uniform_filter1d(voiced.astype(np.float64), w2, mode="constant") * w2 < 20] = np.nan
    put("audio.f0_st", st)
    put("audio.f0_var_st", var_st)
    del st, var_st
    jit = _window_mean(pitch_jitter(f0, voiced), w05)
    jit[~speech] = np.nan
    put("audio.jitter_st", jit)
    del jit, f0

    gap = np.full(n, np.nan)
    gap_len = np.full(n, np.nan)  # once per gap, so a baseline over it is per gap, not per frame
    first, last = np.flatnonzero(speech)[[0, -1]]
    gap[first:last + 1] = 0.0
    for a, b in pauses(speech):
        ia, ib = int(round(a / HOP_S)), int(round(b / HOP_S))
        gap[ia:ib] = b - a
        gap_len[(ia + ib) // 2] = b - a
    put("audio.gap_s", gap)
    put("audio.gap_len_s", gap_len)
    del gap, gap_len

    order = ("audio.rms_db", "audio.speech_db", "audio.speech", "audio.voiced", "audio.f0_st", "audio.f0_var_st",
             "audio.jitter_st", "audio.rate", "audio.tempo", "audio.gap_s", "audio.gap_len_s", "audio.breath",
             "audio.filler")
    put("audio.rms_db", level)
    put("audio.speech_db", np.where(active_speech(speech, level), level, np.nan))
    put("audio.speech", speech.astype(np.float64))
    put("audio.voiced", voiced.astype(np.float64))
    df = pd.DataFrame({c: cols.pop(c) for c in order})
    df.insert(0, "audio.present", (df["audio.speech"].fillna(0.0) >= 0.5).to_numpy())
    return df


# ----------------------------------------------------------------------------- cues

# Floors in signal units so a very steady speaker is not flagged for tiny changes.
FLOORS = {"audio.speech_db": 2.0, "audio.rate": 0.5, "audio.jitter_st": 0.05, "audio.f0_var_st": 0.5,
          "audio.gap_s": 0.1, "audio.gap_len_s": 0.1}


@dataclass(frozen=True)
class AudioCueParams:
    """Audio cue thresholds with their units: ``*_s`` seconds, ``*_z`` robust z-score against the
    person's baseline, ``*_ratio`` a fraction of the person's usual value. Values in force come
    from ``levelone/data/calibration.json`` (:func:`audio_params`)."""

    min_pause_s: float = 0.5         # a pause is at least this long, or the person's median gap if longer
    pause_width_s: float = 0.1
    slow_ratio: float = 0.9          # speech rate under this fraction of the person's usual rate is slow
    fast_ratio: float = 1.12
    rate_width_ratio: float = 0.02
    rate_window_s: float = 2.0       # rate is averaged over this window (centred) for the rate cues
    usual_tempo_quantile: float = 0.65  # the person's usual tempo: this quantile of their baseline tempo
    volume_db: float = 6.0           # speech level over the window this far from the person's usual level
    volume_width_db: float = 1.5
    volume_window_s: float = 1.5     # level averaged over this much time (centred)
    shaky_voice_z: float = 2.0
    width_z: float = 1.0


def audio_params(calibration: dict | None = None) -> AudioCueParams:
    """The audio parameters in force: ``calibration`` (default: the shipped one) over the code defaults.

    Parameters
    ----------
    calibration : dict or None
        a calibration (default: the shipped ``calibration.json``)

    Returns
    -------
    AudioCueParams
        the audio parameters in force
    """
    return from_section(AudioCueParams, "audio", calibration)


MIN_PAUSE_S = AudioCueParams.min_pause_s


def _baseline_for(signals: pd.DataFrame, baseline: Baseline | None) -> Baseline:
    """The given baseline, completed from this recording for columns it does not hold."""
    own = Baseline.fit([signals], columns=[c for c in SIGNAL_COLUMNS if c in signals.columns])
    if baseline is not None:
        med = {**own.median, **baseline.median}
        scale = {**own.scale, **baseline.scale}
        own = Baseline(med, scale, max(own.n_frames, baseline.n_frames))
    return own.with_floor(FLOORS)


RATE_COLUMN = "audio.tempo"


def level_change_db(signals: pd.DataFrame, baseline: Baseline, fps: float, window_s: float) -> np.ndarray:
    """Active speech level over a centred window of ``window_s`` minus the person's usual level of
    the same measure (dB; NaN where the window holds no speech).

    Per-frame levels swing 15-30 dB between syllables; a change in loudness is a stretch of speech,
    so the window's level is the energy mean of its active-speech frames (as the active speech level
    of ITU-T P.56: loud vowels carry it, not the share of quiet consonants). The usual level is the
    person's per-frame median (``baseline``) moved by this recording's difference between the median
    windowed level and the median frame level, so that both sides are the same statistic: against
    its own recording that is the median windowed level. The defect this replaces: the window's
    mean in *decibels* against the per-frame *median* read 2-3 dB quieter than usual everywhere
    (unedited jfk.flac and three LibriSpeech readers), and a 12 dB quieter stretch only 7-9 dB.

    Parameters
    ----------
    signals : DataFrame, n_frames rows
        ``audio.*`` signals
    baseline : Baseline
        the person's baseline
    fps : float
        frame rate, frames per second
    window_s : float
        centred window, seconds

    Returns
    -------
    ndarray, shape (n_frames,)
        windowed speech level minus the person's usual level, dB (NaN without speech)
    """
    db = signals["audio.speech_db"].to_numpy(np.float64) if "audio.speech_db" in signals \
        else np.full(len(signals), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        local = 10.0 * np.log10(_window_mean(10.0 ** (db / 10.0), max(1, int(round(window_s * fps)))))
    span = np.isfinite(signals["audio.gap_s"].to_numpy(np.float64)) if "audio.gap_s" in signals else np.isfinite(db)
    local = np.where(span, local, np.nan)
    if not np.isfinite(local).any():
        return local
    own_frame = float(np.nanmedian(np.where(span, db, np.nan)))
    usual = baseline.median.get("audio.speech_db", own_frame) + float(np.nanmedian(local)) - own_frame
    return local - usual


def rate_ratio(signals: pd.DataFrame, baseline: Baseline, fps: float, params: "AudioCueParams") -> np.ndarray:
    """Speech tempo over a centred window of ``rate_window_s`` divided by the person's usual tempo.

    The usual tempo is the ``usual_tempo_quantile`` of the person's tempo under their baseline
    (median + z(quantile) x robust scale): above the median, so that a slowed stretch inside the
    baseline does not become the norm. The baseline is the person's (over all their recordings) or,
    without one, this recording's own (:func:`_baseline_for`). Defined over the whole speech span,
    short pauses included (a slowed stretch is slow across its pauses too); NaN before the first and
    after the last speech.

    Parameters
    ----------
    signals : DataFrame, n_frames rows
        ``audio.*`` signals
    baseline : Baseline
        the person's baseline
    fps : float
        frame rate, frames per second
    params : AudioCueParams
        the audio parameters

    Returns
    -------
    ndarray, shape (n_frames,)
        windowed speech tempo / the person's usual tempo (dimensionless; NaN outside speech)
    """
    from scipy.stats import norm

    col = RATE_COLUMN if RATE_COLUMN in signals else "audio.rate"
    rate = signals[col].to_numpy(np.float64) if col in signals else np.full(len(signals), np.nan)
    usual = baseline.median.get(col, np.nan) + norm.ppf(params.usual_tempo_quantile) * baseline.scale.get(col, 0.0)
    if not np.isfinite(usual) or usual <= 0:
        return np.full(len(signals), np.nan)
    local = _window_mean(rate, max(1, int(round(params.rate_window_s * fps))))
    span = np.isfinite(signals["audio.gap_s"].to_numpy(np.float64)) if "audio.gap_s" in signals else np.isfinite(rate)
    return np.where(span, local / usual, np.nan)


def pause_threshold_s(baseline: Baseline, min_pause_s: float = MIN_PAUSE_S) -> float:
    """Pause threshold (s): the person's median silent gap inside speech, at least ``min_pause_s``.

    Parameters
    ----------
    baseline : Baseline
        the person's baseline
    min_pause_s : float
        the least threshold, seconds

    Returns
    -------
    float
        pause threshold, seconds
    """
    return max(min_pause_s, baseline.median.get("audio.gap_len_s", 0.0))


def audio_cues(signals: pd.DataFrame, baseline: Baseline | None, fps: float,
               params: AudioCueParams | None = None, calibration: dict | None = None) -> pd.DataFrame:
    """Audio cue activations in [0, 1] and prosodic affect, one row per frame.

    ``cue.audio.pause|slow|fast|volume|shaky_voice|breath`` (every measurable audio cue of the
    vocabulary), ``affect.audio.arousal`` in [-1, 1] with ``affect.audio.confidence`` in [0, 1]
    (:func:`prosodic_arousal`), and ``affect.audio.valence``, always NaN.
    Event cues (pause, breath) are 0 outside events when the recording has speech; continuous cues
    are NaN where their signal is undefined; everything is NaN (confidence 0) without speech.

    Parameters
    ----------
    signals : DataFrame, n_frames rows
        ``audio.*`` signals (:func:`audio_signals`)
    baseline : Baseline or None
        the person's baseline (None: this recording's own)
    fps : float
        frame rate, frames per second
    params : AudioCueParams or None
        default: :func:`audio_params`
    calibration : dict or None
        default: the shipped calibration

    Returns
    -------
    DataFrame, n_frames rows
        ``cue.audio.*`` in [0, 1], ``affect.audio.arousal`` in [-1, 1], ``affect.audio.confidence``
        in [0, 1], ``affect.audio.valence`` (NaN)
    """
    p = audio_params(calibration) if params is None else params
    n = len(signals)
    b = _baseline_for(signals, baseline)
    has_speech = "audio.present" in signals and bool(signals["audio.present"].fillna(False).astype(bool).any())
    nan = np.full(n, np.nan, np.float32)
    out = pd.DataFrame(index=signals.index)
    if not has_speech:
        for c in ("pause", "slow", "fast", "volume", "shaky_voice", "breath"):
            out[f"cue.audio.{c}"] = nan
        out["affect.audio.valence"] = nan
        out["affect.audio.arousal"] = nan
        out["affect.audio.confidence"] = np.zeros(n, np.float32)
        return out

    gap = signals["audio.gap_s"].to_numpy(np.float64)
    thr = pause_threshold_s(b, p.min_pause_s)
    cue: dict[str, np.ndarray] = {}
    cue["pause"] = np.where(np.isfinite(gap) & (gap > 0), 1 / (1 + np.exp(-(gap - thr) / p.pause_width_s)), 0.0)
    ratio = rate_ratio(signals, b, fps, p)
    cue["slow"] = squash((p.slow_ratio - ratio) / p.rate_width_ratio, 0.0)
    cue["fast"] = squash((ratio - p.fast_ratio) / p.rate_width_ratio, 0.0)
    cue["volume"] = squash(np.abs(level_change_db(signals, b, fps, p.volume_window_s)), p.volume_db, p.volume_width_db)
    cue["shaky_voice"] = squash(b.zscore(signals, "audio.jitter_st"), p.shaky_voice_z, p.width_z)
    cue["breath"] = np.nan_to_num(signals["audio.breath"].to_numpy(np.float32)).clip(0, 1)
    for k, v in apply_operating_points(cue, "audio", calibration).items():
        out[f"cue.audio.{k}"] = np.asarray(v, np.float32)

    arousal, confidence = prosodic_arousal(signals, b, fps, baseline)
    out["affect.audio.valence"] = nan  # prosody carries no valence better than chance: see prosodic_arousal
    out["affect.audio.arousal"] = arousal
    out["affect.audio.confidence"] = confidence
    return out


# ----------------------------------------------------------------------------- affect

# Prosodic signals that rise with arousal (activation), each read against the person's reference.
AROUSAL_SIGNALS = ("audio.speech_db", "audio.f0_st", "audio.f0_var_st", "audio.rate")
# Signals whose level depends on the recording (microphone gain), not only on the person: their
# reference is always the person's own recordings, never the population's.
RECORDING_RELATIVE = ("audio.speech_db",)
AROUSAL_WINDOW_S = 1.0  # smoothing of the per-frame arousal (s)
AROUSAL_UNIT = 2.0  # z-units (mean over the signals) that map to tanh(1) = 0.76 arousal
AROUSAL_MIN_SPEECH = 0.2  # least fraction of speech in the window for an arousal reading
AROUSAL_MAX_CONFIDENCE = 0.6  # prosody's confidence at full speech support


def arousal_reference(personal: Baseline, speech_s: float) -> Baseline:
    """Per-signal reference for arousal: the person's median and scale blended with the population's
    (:data:`levelone.affectnorms.AUDIO_POPULATION_MEDIAN`) until ``AUDIO_FULL_S`` seconds of speech.

    Parameters
    ----------
    personal : Baseline
        the person's baseline
    speech_s : float
        seconds of their speech it rests on

    Returns
    -------
    Baseline
        per-signal reference, blended with the population's
    """
    med, scale = {}, {}
    for c in AROUSAL_SIGNALS:
        own_s = np.inf if c in RECORDING_RELATIVE else speech_s
        med[c] = blend_reference(personal.median.get(c, np.nan), AUDIO_POPULATION_MEDIAN[c], own_s, AUDIO_FULL_S)
        scale[c] = max(blend_reference(personal.scale.get(c, np.nan), AUDIO_POPULATION_SCALE[c], own_s,
                                       AUDIO_FULL_S), FLOORS.get(c, 0.0))
    return Baseline(med, scale, personal.n_frames)


def prosodic_arousal(signals: pd.DataFrame, personal: Baseline, fps: float,
                     given: Baseline | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Vocal arousal in [-1, 1] and its confidence, one value per frame.

    Louder, higher, more varied pitch and faster speech than the person's reference read as
    activated (anger, fear, joy), quieter, lower, flatter and slower as deactivated (sadness,
    calm): the mean robust z-score of :data:`AROUSAL_SIGNALS` over a ``AROUSAL_WINDOW_S`` window,
    ``tanh(z / AROUSAL_UNIT)``. NaN (confidence 0) where the window holds too little speech.

    Why no valence: prosody separates activation well and pleasantness barely (anger and joy are
    both loud and high). The former valence proxy ("animated reads positive") was an arousal
    measure: on the six CREMA-D emotions of actor 1001 it read fear above happiness and anger
    positive (neutral clip as baseline: fear +0.45, anger +0.34, happiness +0.75; each clip alone:
    all six within -0.04..+0.16, 1 of 5 signs right), no better than chance as valence. So
    ``affect.audio.valence`` is NaN and level two reads the voice's arousal (benchmarks/affect.py).
    Voice quality (spectral tilt) is not among the signals yet: no raw column carries it.

    Parameters
    ----------
    signals : DataFrame, n_frames rows
        ``audio.*`` signals
    personal : Baseline
        the person's baseline
    fps : float
        frame rate, frames per second
    given : Baseline or None
        a reference to use as it is (default: :func:`arousal_reference`)

    Returns
    -------
    ndarray, shape (n_frames,)
        arousal in [-1, 1] (NaN with too little speech)
    ndarray, shape (n_frames,)
        confidence in [0, 1]
    """
    speech = signals["audio.speech"].fillna(0.0).to_numpy(np.float64) if "audio.speech" in signals \
        else np.zeros(len(signals))
    base = given if given is not None else personal
    speech_s = base.n_frames / fps * float(np.mean(speech > 0.5)) if fps and len(speech) else 0.0
    ref = arousal_reference(personal, speech_s)
    stack = np.vstack([ref.zscore(signals, c) for c in AROUSAL_SIGNALS]).astype(np.float64)
    ok = np.isfinite(stack)
    with np.errstate(invalid="ignore"):
        z = np.where(ok.any(0), np.nansum(stack, 0) / np.maximum(ok.sum(0), 1), np.nan)
    win = max(1, int(round(AROUSAL_WINDOW_S * fps)))
    z = _window_mean(z, win)
    support = uniform_filter1d(speech, win, mode="constant")
    arousal = np.tanh(z / AROUSAL_UNIT)
    arousal[support < AROUSAL_MIN_SPEECH] = np.nan
    confidence = np.where(np.isfinite(arousal), AROUSAL_MAX_CONFIDENCE * np.clip(support, 0, 1), 0.0)
    return arousal.astype(np.float32), confidence.astype(np.float32)
