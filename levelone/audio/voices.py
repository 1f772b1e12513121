"""Whose voice: each stretch of speech attributed to the participant, to someone else, or unsure.

The audio track of a recording carries everyone in the room (an interviewer, a clinician in a
video call, a relative). Only the participant's speech may feed their prosody cues, their
baseline and the words that become their language. The evidence is audio-visual synchrony: a
speaker's mouth opens and closes with the loudness of their voice (syllables, ~4-6 Hz), a
listener's mouth does not. Per frame, over a window of ``window_s`` seconds around it:

- the correlation of each visible mouth's opening (:func:`levelone.face.people.lip_opening`,
  the participant's and each other person's) with the voice's amplitude envelope (the square
  root of the frame's RMS amplitude, from ``audio.rms_db``), both with their slow trend removed
  (a centred moving average over ``detrend_s``) so that what is compared is the syllable rhythm,
  not merely that a mouth is open while someone talks (two people reading the same kind of
  sentence open their mouths at the same moments); the best lag within ``max_lag_s``. The
  window never leaves its stretch of speech (runs closer than ``bridge_s`` joined, widened by
  ``pad_s``), so one turn's voice is not compared with the next speaker's mouth. Chosen on every
  ordered pair of the 16 GRID clips (one clip's voice against its own speaker's and another
  speaker's moving mouth, ``benchmarks/voices.py``): a 2 s window, no lag (the correlation
  changes sign within ~2 frames of lag at the syllable rate, so searching lags helps the wrong
  mouth as much as the right one) and a 0.28 s trend;
- how much the participant's mouth moves at all (standard deviation of its opening).

A speech frame is **the participant's** (1) when their mouth follows the voice (correlation
``>= min_sync``) clearly better than any other mouth (by ``margin``); **someone else's** (0)
when another visible mouth follows it clearly better, or when the participant's mouth is still
(``still`` or less) while the voice goes on (an off-screen voice: an interviewer, a clinician
behind the camera); **unsure** (0.5) otherwise (face turned away, too little face in the
window, both mouths alike). The decisions are smoothed over ``smooth_s``. Non-speech frames
are NaN. Unsure speech stays the participant's (nothing is taken away on weak evidence), so
a recording of one person talking keeps all its speech.
"""
from __future__ import annotations

from dataclasses import dataclass

from typing import Sequence

import numpy as np
import pandas as pd
from scipy.ndimage import median_filter, uniform_filter1d

from levelone.columns import ColumnSpec, signal

VERSION = "2"  # 2: a transcript file's speakers outrank audio-visual synchrony (declare_speakers)

COLUMNS: tuple[ColumnSpec, ...] = (
    signal("audio.self", "1 participant / 0 someone else / 0.5 unsure", __name__, 0.0, 1.0,
           doc="whose speech the frame's speech is (NaN: no speech), from audio-visual synchrony"),)


@dataclass(frozen=True)
class VoiceParams:
    """Attribution thresholds (module doc); ``*_s`` seconds, ``still`` in mouth-opening units
    (inner-lip gap / eye-corner distance)."""

    window_s: float = 2.0
    max_lag_s: float = 0.0
    detrend_s: float = 0.28
    min_sync: float = 0.1
    margin: float = 0.05
    still: float = 0.02
    min_mouth_share: float = 0.6  # of the window's frames with a measured mouth
    smooth_s: float = 0.6
    bridge_s: float = 0.3  # speech less than this apart is one stretch; windows never leave their stretch
    pad_s: float = 0.2  # ... widened by this much each side (a mouth opens before the sound starts)
    speech_min: float = 0.5  # a frame is speech when this much of it is speech (audio.present's rule)


def _rolling(x: np.ndarray, n: int) -> np.ndarray:
    return uniform_filter1d(x, n, mode="constant")


def detrend(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` minus its centred moving average over ``n`` frames (NaN stays NaN)."""
    ok = np.isfinite(x)
    if not ok.any() or n < 2:
        return x
    filled = np.interp(np.arange(len(x)), np.flatnonzero(ok), x[ok])
    return np.where(ok, x - uniform_filter1d(filled, n, mode="nearest"), np.nan)


def envelope(level_db: np.ndarray) -> np.ndarray:
    """Square root of the RMS amplitude from a level in dBFS (what the mouth's opening follows best)."""
    return 10.0 ** (np.asarray(level_db, np.float64) / 40.0)


def sync(mouth: np.ndarray, level: np.ndarray, window: int, max_lag: int, min_share: float) -> np.ndarray:
    """(n,) correlation of ``mouth`` with ``level`` over a centred window, best lag in
    [-max_lag, max_lag] frames; NaN where the window has too little mouth (under ``min_share`` of
    its frames inside the array) or no variation."""
    n = len(mouth)
    best = np.full(n, np.nan)
    for lag in range(-max_lag, max_lag + 1):
        e = np.full(n, np.nan)
        if lag >= 0:
            e[:n - lag] = level[lag:]
        else:
            e[-lag:] = level[:n + lag]
        ok = np.isfinite(mouth) & np.isfinite(e)
        w = ok.astype(np.float64)
        m, loud = np.where(ok, mouth, 0.0), np.where(ok, e, 0.0)
        cnt = _rolling(w, window) * window
        with np.errstate(invalid="ignore", divide="ignore"):
            mm, ll = _rolling(m, window) * window / cnt, _rolling(loud, window) * window / cnt
            cov = _rolling(m * loud, window) * window / cnt - mm * ll
            vm = _rolling(m * m, window) * window / cnt - mm ** 2
            vl = _rolling(loud * loud, window) * window / cnt - ll ** 2
            r = cov / np.sqrt(vm * vl)
        r[(cnt < min_share * _rolling(np.ones(n), window) * window) | (vm <= 1e-8) | (vl <= 1e-6)] = np.nan
        best = np.fmax(best, r)
    return best


def movement(mouth: np.ndarray, window: int, min_share: float) -> np.ndarray:
    """(n,) standard deviation of the mouth opening over a centred window (NaN: too little mouth)."""
    ok = np.isfinite(mouth)
    m = np.where(ok, mouth, 0.0)
    cnt = _rolling(ok.astype(np.float64), window) * window
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _rolling(m, window) * window / cnt
        sd = np.sqrt(np.maximum(_rolling(m * m, window) * window / cnt - mean ** 2, 0.0))
    sd[cnt < min_share * window] = np.nan  # a full window: a mouth is called still on ample evidence only
    return sd


def attribute(speech: np.ndarray, level_db: np.ndarray, mouths: np.ndarray, fps: float,
              params: VoiceParams = VoiceParams()) -> np.ndarray:
    """(n,) float32: 1 participant, 0 someone else, 0.5 unsure, NaN no speech (module doc).

    ``speech`` the fraction of each frame that is speech, ``level_db`` the frame's level,
    ``mouths`` (1 + k, n) mouth openings: the participant's first, then each other person's.
    """
    speech = np.nan_to_num(np.asarray(speech, np.float64), nan=0.0) >= params.speech_min
    n = len(speech)
    out = np.full(n, np.nan, np.float32)
    if not speech.any():
        return out
    mouths = np.asarray(mouths, np.float64).reshape(-1, n)
    trend = int(round(params.detrend_s * fps))
    level = detrend(envelope(level_db), trend)
    own = mouths[0]  # as measured: "still" is about how much the mouth moves at all
    mouths = np.array([detrend(m, trend) for m in mouths])
    pad = int(round(params.pad_s * fps))
    for a, b in stretches(speech, int(round(params.bridge_s * fps))):
        lo, hi = max(0, a - pad), min(n, b + pad)
        window = max(3, min(int(round(params.window_s * fps)), hi - lo))
        lag = int(round(params.max_lag_s * fps))
        r = np.array([sync(m[lo:hi], level[lo:hi], window, lag, params.min_mouth_share) for m in mouths])
        r_self = r[0]
        r_other = np.full(hi - lo, np.nan)
        for other in r[1:]:
            r_other = np.fmax(r_other, other)
        move = movement(own[lo:hi], window, params.min_mouth_share)
        decision = np.full(hi - lo, 0.5)
        fin_s, fin_o = np.isfinite(r_self), np.isfinite(r_other)
        mine = (r_self >= params.min_sync) & (~fin_o | (r_self >= np.where(fin_o, r_other, 0) + params.margin))
        theirs = (r_other >= params.min_sync) & (~fin_s | (r_other >= np.where(fin_s, r_self, 0) + params.margin))
        still = np.isfinite(move) & (move <= params.still)
        decision[mine] = 1.0
        decision[~mine & (theirs | still)] = 0.0
        inside = speech[lo:hi]
        k = max(1, int(round(params.smooth_s * fps)) | 1)
        d = decision[inside]
        out[lo:hi][inside] = median_filter(d, size=min(k, len(d) | 1), mode="nearest")
    return out


def stretches(speech: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """[start, end) frame runs of speech, runs less than ``bridge`` frames apart joined."""
    idx = np.flatnonzero(speech)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > bridge + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]]) + 1
    return list(zip(starts.tolist(), ends.tolist()))


def self_column(audio: pd.DataFrame, mouths: np.ndarray, fps: float, params: VoiceParams = VoiceParams()) -> np.ndarray:
    """``audio.self`` for an audio signal table (``audio.speech``, ``audio.rms_db``) and the mouths."""
    n = len(audio)
    if "audio.speech" not in audio or "audio.rms_db" not in audio:
        return np.full(n, np.nan, np.float32)
    m = np.asarray(mouths, np.float64)
    if m.shape[1] != n:  # align to the audio rows (vision and audio can differ by a frame)
        fit = np.full((m.shape[0], n), np.nan)
        k = min(n, m.shape[1])
        fit[:, :k] = m[:, :k]
        m = fit
    return attribute(audio["audio.speech"].to_numpy(np.float64), audio["audio.rms_db"].to_numpy(np.float64), m, fps,
                     params)


# audio signals that belong to whoever is speaking (levelone.audio.prosody's), and the two that
# describe the pauses between speech
GAP_COLUMNS = ("audio.gap_s", "audio.gap_len_s")


def keep_participant(audio: pd.DataFrame) -> pd.DataFrame:
    """The participant's audio evidence only, from an audio table with ``audio.self``.

    Frames of someone else's speech (``audio.self`` 0) lose every prosody signal and
    ``audio.present``, so their voice feeds neither the participant's cues nor their baseline.
    A pause followed by someone else's speech is not the participant's hesitation (it is the
    other speaker's pause, or the end of the participant's turn): its gap signals go too. A
    pause followed by the participant's speech stays, *including* the silence between someone
    else's question and the participant's answer: the response latency is judged by the
    pause cue (``audio.pause``), against the participant's usual gaps. The codebook has no
    separate latency cue (its table 12 lists pauses as "silent gaps between words or ideas"),
    and a cue of our own would have no annotations to be trained or compared with.
    """
    from levelone.audio.prosody import SIGNAL_COLUMNS

    s = audio["audio.self"].to_numpy(np.float64)
    other = s == 0
    if not other.any():
        return audio
    out = audio.copy()
    cols = [c for c in SIGNAL_COLUMNS if c in out.columns]
    out.loc[other, cols] = np.nan
    out.loc[other, "audio.present"] = False
    # whose speech comes next, for every frame (NaN after the last speech)
    nxt = np.full(len(s), np.nan)
    upcoming = np.nan
    for i in range(len(s) - 1, -1, -1):
        if np.isfinite(s[i]):
            upcoming = s[i]
        nxt[i] = upcoming
    theirs_next = ~np.isfinite(s) & (nxt == 0)
    gaps = [c for c in GAP_COLUMNS if c in out.columns]
    out.loc[theirs_next, gaps] = np.nan
    return out


def declare_speakers(self_col: np.ndarray, fps: float, mine: Sequence = (), theirs: Sequence = ()) -> np.ndarray:
    """``audio.self`` where a transcript file says who spoke: speech frames inside the person's own
    words become theirs (1), inside another speaker's turn someone else's (0); elsewhere the
    audio-visual attribution stands.

    A transcript the user gives is their statement of whose words are whose (BAH's holds only the
    participant; a diarised one is split by ``--speaker``), so it outranks mouth/voice synchrony,
    which a still, hidden or badly lit mouth can mislead. ``mine`` and ``theirs`` are anything with
    ``start_s``/``end_s`` (words, turns). Frames without speech stay NaN.
    """
    out = np.array(self_col, np.float64, copy=True)
    speech = np.isfinite(out)
    for spans, value in ((theirs, 0.0), (mine, 1.0)):
        for span in spans:
            a = max(0, int(np.floor(span.start_s * fps)))
            b = min(out.size, max(a + 1, int(np.ceil(span.end_s * fps))))
            out[a:b][speech[a:b]] = value
    return out


def split_words(words: list, self_col: np.ndarray, fps: float, other: str = "someone else",
                turn_gap_s: float = 1.0) -> tuple[list, list]:
    """(the participant's words, other people's turns): a word whose speech frames are mostly
    someone else's (``audio.self`` 0) is theirs; consecutive such words less than ``turn_gap_s``
    apart make one :class:`levelone.media.transcript.Turn` (conversation context)."""
    from levelone.media.transcript import Turn

    mine, theirs = [], []
    for w in words:
        a = int(np.floor(w.start_s * fps))
        b = max(a + 1, int(np.ceil(w.end_s * fps)))
        v = self_col[max(0, a):min(len(self_col), b)]
        v = v[np.isfinite(v)]
        (theirs if v.size and np.mean(v == 0) > 0.5 else mine).append(w)
    turns: list = []
    for w in theirs:
        if turns and w.start_s - turns[-1].end_s < turn_gap_s:
            t = turns[-1]
            turns[-1] = Turn(t.speaker, t.start_s, w.end_s, f"{t.text} {w.text}")
        else:
            turns.append(Turn(other, w.start_s, w.end_s, w.text))
    return mine, turns


def speech_shares(self_col: np.ndarray) -> dict[str, float]:
    """Share of the speech frames attributed to the participant, to others and unsure."""
    s = np.asarray(self_col, np.float64)
    sp = np.isfinite(s)
    if not sp.any():
        return {"participant": 0.0, "others": 0.0, "unsure": 0.0}
    return {"participant": round(float(np.mean(s[sp] == 1)), 4), "others": round(float(np.mean(s[sp] == 0)), 4),
            "unsure": round(float(np.mean((s[sp] > 0) & (s[sp] < 1))), 4)}


def other_turns(self_col: np.ndarray, fps: float, min_s: float = 0.3) -> list[tuple[float, float]]:
    """(start_s, end_s) of each stretch of someone else's speech (gaps under ``min_s`` bridged)."""
    s = np.asarray(self_col, np.float64)
    idx = np.flatnonzero(s == 0)
    out: list[list[float]] = []
    for i in idx:
        t0, t1 = i / fps, (i + 1) / fps
        if out and t0 - out[-1][1] < min_s:
            out[-1][1] = t1
        else:
            out.append([t0, t1])
    return [(round(a, 3), round(b, 3)) for a, b in out if b - a >= min_s]
