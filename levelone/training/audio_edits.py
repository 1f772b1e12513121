"""Controlled edits of real speech, and audio operating points chosen from both sides (issue 24).

A cue's operating point fitted on ordinary speech alone (:func:`levelone.training.calibrate.fit_operating_points`)
says how rarely it fires on ordinary talk, not whether it fires on the behaviour it names. Real
speech edited in a known span (a pause inserted, a stretch slowed or sped with ffmpeg's ``atempo``,
a stretch lowered 12 dB, a shaking voice) gives the other side: the share of frames inside the
edit where the cue is active. :func:`two_sided_points` moves an audio cue's operating point down
from the quiet one only as far as its edits need to reach :data:`HIT_TARGET`, and only when ordinary
speech of the training speakers then stays under :data:`SENSITIVE_MAX_RATE`; a cue that cannot reach
the target within that keeps its quiet point (its measurement, not its threshold, is the limit).

The edits are the ones ``benchmarks/controlled_edits.py`` reports (it imports :data:`AUDIO_EDITS`),
so the benchmark measures the same behaviour the calibration was shown.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from levelone.baseline import speaker_weighted

SR = 16000
EDIT_FPS = 25.0       # frame axis of the edited audio-only clips (as the reference set's audio clips)
EDIT_AT_S = 3.0       # where the stretch edits start
PAUSE_AT_S = 5.0      # where the 2 s pause is inserted
HIT_TARGET = 0.6      # issue 24: a tested cue is active on >= 60 % of the frames inside its edit
SENSITIVE_MAX_RATE = 0.05  # ordinary speech (training speakers, each weighing the same) may reach this
# share of active frames when that is what it takes to reach HIT_TARGET; the card's held-out target
# for every cue is 8 % and 2 % on average over cues (levelone.training.calibrate.TARGET_*).


def ffmpeg_filter(y: np.ndarray, filt: str, sr: int = SR) -> np.ndarray:
    """``y`` (mono float32 at ``sr``) through an ffmpeg audio filter chain ``filt``."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "f32le", "-ar", str(sr), "-ac", "1", "-i", "-",
                          "-filter:a", filt, "-f", "f32le", "-ar", str(sr), "-ac", "1", "-"],
                         input=np.asarray(y, np.float32).tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, np.float32)


def _stretch(y: np.ndarray, factor: float, seconds: float) -> tuple[np.ndarray, tuple[float, float]]:
    a, b = int(EDIT_AT_S * SR), int((EDIT_AT_S + seconds) * SR)
    part = ffmpeg_filter(y[a:b], f"atempo={factor}")
    return np.concatenate([y[:a], part, y[b:]]), (EDIT_AT_S, EDIT_AT_S + part.size / SR)


def _span_filter(y: np.ndarray, filt: str, seconds: float, gain: float = 1.0
                 ) -> tuple[np.ndarray, tuple[float, float]]:
    a, b = int(EDIT_AT_S * SR), int((EDIT_AT_S + seconds) * SR)
    part = ffmpeg_filter(y[a:b], filt)[: b - a] * gain
    return np.concatenate([y[:a], part, y[a + part.size:]]), (EDIT_AT_S, EDIT_AT_S + part.size / SR)


def _pause(y: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    at = int(PAUSE_AT_S * SR)
    return np.concatenate([y[:at], np.zeros(2 * SR, np.float32), y[at:]]), (PAUSE_AT_S, PAUSE_AT_S + 2.0)


@dataclass(frozen=True)
class AudioEdit:
    """One controlled edit: ``key`` names its benchmark row, ``cue`` the audio cue it should raise
    (``audio.<cue>``), ``fits`` whether the calibration uses it to choose that cue's operating point."""

    key: str
    cue: str
    what: str
    apply: Callable[[np.ndarray], tuple[np.ndarray, tuple[float, float]]]
    fits: bool = True


# Shaky voice: a voice that shakes wavers in pitch and in loudness together at 4-8 Hz (vocal
# tremor), so the main edit is a 6 Hz tremolo (amplitude, ffmpeg ``tremolo``) on top of a 6 Hz
# vibrato (pitch, ffmpeg ``vibrato``, about +-0.8 semitone at depth 0.5); the vibrato alone is kept
# as a second row to show which half the cue (pitch jitter) can see.
AUDIO_EDITS: tuple[AudioEdit, ...] = (
    AudioEdit("audio.pause", "pause", "2 s of silence inserted at 5 s", _pause),
    AudioEdit("audio.slow", "slow", "4 s slowed to 0.7x (ffmpeg atempo)", lambda y: _stretch(y, 0.7, 4.0)),
    # Measured, not fitted: 60% of a 1.5x span reaches only 0.016 (the cue's rate measure barely
    # moves), about the level ordinary speech reaches in 5% of its frames; in the folds where that
    # tipped the rule, the held-out speaker read fast in up to 35% of frames (calibration 2026-12-07).
    AudioEdit("audio.fast", "fast", "4 s sped to 1.5x (ffmpeg atempo)", lambda y: _stretch(y, 1.5, 4.0),
              fits=False),
    AudioEdit("audio.volume", "volume", "3 s lowered 12 dB",
              lambda y: _span_filter(y, "anull", 3.0, gain=10 ** (-12 / 20))),
    AudioEdit("audio.shaky_voice", "shaky_voice",
              "3 s with a 6 Hz tremolo of 0.5 depth and a 6 Hz vibrato of 0.5 depth (ffmpeg tremolo, vibrato)",
              lambda y: _span_filter(y, "tremolo=f=6:d=0.5,vibrato=f=6:d=0.5", 3.0)),
    AudioEdit("audio.shaky_voice.vibrato_only", "shaky_voice",
              "3 s with a 6 Hz vibrato of 0.5 depth only (ffmpeg vibrato)",
              lambda y: _span_filter(y, "vibrato=f=6:d=0.5", 3.0), fits=False),
)


@dataclass(frozen=True)
class EditedClip:
    """The raw audio signals of one edited clip with its edit's frames marked."""

    key: str
    cue: str
    speaker: str
    signals: pd.DataFrame
    inside: np.ndarray  # bool, one per frame: inside the edited span
    fits: bool = True   # the calibration chooses the cue's operating point with it


def edited_clips(clips: Mapping[str, tuple[str, np.ndarray]], edits: Sequence[AudioEdit] = AUDIO_EDITS,
                 fps: float = EDIT_FPS) -> list[EditedClip]:
    """Every edit applied to every clip (``clip id -> (speaker, 16 kHz waveform)``), with its
    level-one audio signals (:func:`levelone.audio.prosody.audio_signals`)."""
    from levelone.audio.prosody import audio_signals

    out = []
    for _, (speaker, y) in sorted(clips.items()):
        for e in edits:
            z, (a_s, b_s) = e.apply(np.asarray(y, np.float32))
            n = int(len(z) / SR * fps)
            inside = np.zeros(n, bool)
            inside[int(round(a_s * fps)):int(round(b_s * fps))] = True
            out.append(EditedClip(e.key, e.cue, speaker, audio_signals(z, SR, fps, n), inside, e.fits))
    return out


def edit_activations(edited: Sequence[EditedClip], calibration: Mapping | None, fps: float = EDIT_FPS
                     ) -> list[tuple[EditedClip, np.ndarray]]:
    """Each edited clip's own cue's activation per frame under ``calibration`` (the clip's own
    baseline, as a single recording is analysed)."""
    from levelone.audio.prosody import audio_cues

    return [(e, audio_cues(e.signals, None, fps, calibration=dict(calibration) if calibration is not None else None)
             [f"cue.audio.{e.cue}"].to_numpy(np.float64)) for e in edited]


def rates(pairs: Sequence[tuple[EditedClip, np.ndarray]], threshold: float = 0.5) -> dict:
    """Pooled hit rate inside and false rate outside the edits (frames with a value)."""
    ins = np.concatenate([v[e.inside & np.isfinite(v)] for e, v in pairs])
    outs = np.concatenate([v[~e.inside & np.isfinite(v)] for e, v in pairs])
    return {"hit": round(float(np.mean(ins >= threshold)), 3) if ins.size else None,
            "false": round(float(np.mean(outs >= threshold)), 3) if outs.size else None,
            "frames_inside": int(ins.size), "frames_outside": int(outs.size)}


def level_for_rate(values: np.ndarray, weights: np.ndarray, rate: float) -> float:
    """The lowest activation level that at most ``rate`` of the (weighted) values reach (>=).

    Ties matter: most frames of an event cue sit at exactly 0, and a quantile that lands on a tie
    would make every tied frame active."""
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, np.float64)[order], np.asarray(weights, np.float64)[order]
    share_ge = np.cumsum(w[::-1])[::-1] / w.sum()  # share of weight at or above each sorted value
    first = np.r_[True, v[1:] != v[:-1]]           # the first of each run of equal values
    ok = first & (share_ge <= rate)
    return float(v[ok][0]) if ok.any() else float(np.nextafter(v[-1], np.inf))


def level_for_hit(values: np.ndarray, hit: float) -> float:
    """The highest activation level that at least ``hit`` of ``values`` reach (>=)."""
    v = np.sort(np.asarray(values, np.float64))
    if not v.size:
        return float("nan")
    return float(v[min(v.size - 1, int(np.floor((1.0 - hit) * v.size + 1e-9)))])  # v[k] and above: n - k values


def two_sided_points(natural: Mapping[str, Sequence[tuple[np.ndarray, str]]],
                     pairs: Sequence[tuple[EditedClip, np.ndarray]], quiet: Mapping[str, float],
                     hit_target: float = HIT_TARGET, max_rate: float = SENSITIVE_MAX_RATE) -> dict[str, dict]:
    """Per audio cue with a fitting edit, its operating point chosen from both sides.

    ``natural``: cue id -> [(raw activations of one ordinary-speech clip, its speaker)], no operating
    point applied; ``pairs``: the edits' raw activations (:func:`edit_activations` without operating
    points); ``quiet``: the quiet operating points fitted on ordinary speech alone (a cue absent there
    sits at 0.5). The point becomes the level that ``hit_target`` of the edited frames reach when that
    is below the quiet point and ordinary speech reaches it in at most ``max_rate`` of its frames (each
    speaker weighing the same); otherwise the quiet point stays. Returns cue id -> {"level", "quiet",
    "hit_level", "sensitive_floor", "moved"} (levels are raw activations, the cue's new 0.5).
    """
    out: dict[str, dict] = {}
    for cue in sorted({e.cue for e, _ in pairs}):
        cid = f"audio.{cue}"
        inside = [v[e.inside & np.isfinite(v)] for e, v in pairs if e.cue == cue]
        parts = natural.get(cid, [])
        if not inside or not parts:
            continue
        values, weights = speaker_weighted(parts)
        q = max(0.5, float(quiet.get(cid, 0.5)))
        hit_level = level_for_hit(np.concatenate(inside), hit_target)
        floor = level_for_rate(values, weights, max_rate)
        moved = bool(floor <= hit_level < q)
        out[cid] = {"level": hit_level if moved else q, "quiet": q, "hit_level": hit_level,
                    "sensitive_floor": floor, "moved": moved}
    return out


__all__ = ["AUDIO_EDITS", "AudioEdit", "EditedClip", "edited_clips", "edit_activations", "rates",
           "level_for_rate", "level_for_hit", "two_sided_points", "ffmpeg_filter", "HIT_TARGET",
           "SENSITIVE_MAX_RATE"]
