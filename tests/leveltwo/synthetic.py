"""Synthetic FrameTables with planted A/H segments: a fixture for level-two unit tests and benchmarks.

Each video follows the FrameTable contract (every required column, NaN + ``present`` False where a
modality is missing). Outside the planted segments cues are low noise with rare spurious bursts;
inside, the planted cue rises and the language valence turns against the face valence (an FL
inconsistency). It tests that level two *can* find planted structure; it says nothing about
accuracy on real people.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from levelone.frametable import AROUSAL_MODALITIES, SOURCES, FrameMeta, FrameTable, required_columns

PLANTABLE = ("cue.body.shake", "cue.audio.pause", "cue.language.filler_sound", "cue.face.gaze")


@dataclass(frozen=True)
class Planted:
    start_frame: int
    end_frame: int  # inclusive
    cue: str


def _smooth(rng: np.random.Generator, n: int, k: int = 24) -> np.ndarray:
    x = rng.standard_normal(n + k)
    c = np.cumsum(x)
    return ((c[k:] - c[:-k]) / np.sqrt(k))[:n]


def make_video(rng: np.random.Generator, n_frames: int, video_id: str, fps: float = 24.0,
               missing: tuple[str, ...] = (), plant: tuple[str, ...] = PLANTABLE,
               n_segments: int | None = None) -> tuple[FrameTable, np.ndarray, list[Planted]]:
    """One synthetic video: (table, frame labels, planted segments)."""
    cols = required_columns()
    data: dict[str, np.ndarray] = {"frame": np.arange(n_frames, dtype=np.int64),
                                   "time_s": (np.arange(n_frames) / fps).astype(np.float32)}
    labels = np.zeros(n_frames, dtype=np.int64)
    planted: list[Planted] = []
    k = rng.integers(0, 3) if n_segments is None else n_segments
    for _ in range(k):
        length = int(rng.integers(int(2 * fps), int(6 * fps)))
        if length >= n_frames:
            break
        start = int(rng.integers(0, n_frames - length))
        labels[start:start + length] = 1
        planted.append(Planted(start, start + length - 1, str(rng.choice(plant))))
    for c in cols:
        if c.startswith("cue."):
            base = np.clip(rng.random(n_frames) * 0.15, 0, 1)
            burst = rng.random(n_frames) < 0.004  # rare spurious activations
            base[np.convolve(burst, np.ones(12), "same") > 0] = 0.7
            data[c] = base.astype(np.float32)
    for p in planted:
        seg = slice(p.start_frame, p.end_frame + 1)
        data[p.cue][seg] = np.clip(0.75 + 0.2 * rng.standard_normal(p.end_frame - p.start_frame + 1), 0, 1)
    for m in ("face", "language", "audio", "body"):
        v = np.tanh(0.3 * _smooth(rng, n_frames))
        data[f"affect.{m}.valence"] = v.astype(np.float32)
        data[f"affect.{m}.confidence"] = np.full(n_frames, 0.6, np.float32)
    for m in AROUSAL_MODALITIES:  # arousal is not part of the planted structure
        data[f"affect.{m}.arousal"] = np.full(n_frames, np.nan, np.float32)
    for p in planted:  # language and face disagree inside planted segments
        seg = slice(p.start_frame, p.end_frame + 1)
        data["affect.language.valence"][seg] = 0.7
        data["affect.face.valence"][seg] = -0.6
    for s in SOURCES:
        data[f"{s}.present"] = np.ones(n_frames, dtype=bool)
    for m in missing:
        src = "text" if m == "language" else m
        data[f"{src}.present"][:] = False
        for c in cols:
            if c.startswith(f"cue.{m}.") or c.startswith(f"affect.{m}.valence"):
                data[c] = np.full(n_frames, np.nan, np.float32)
            if c == f"affect.{m}.confidence":
                data[c] = np.zeros(n_frames, np.float32)
    df = pd.DataFrame({c: data[c] for c in cols})
    meta = FrameMeta(video_id=video_id, participant_id=video_id.split("_")[0], fps=fps, n_frames=n_frames,
                     source=f"synthetic:{video_id}", missing=[("text" if m == "language" else m) for m in missing])
    return FrameTable(df, meta), labels, planted


def make_corpus(n_videos: int, seed: int = 0, frames: tuple[int, int] = (400, 900),
                missing_rate: float = 0.1) -> tuple[list[FrameTable], list[np.ndarray], list[list[Planted]]]:
    """``n_videos`` synthetic videos; about ``missing_rate`` of them lack one modality."""
    rng = np.random.default_rng(seed)
    tables, labels, planted = [], [], []
    for i in range(n_videos):
        n = int(rng.integers(frames[0], frames[1]))
        missing = (str(rng.choice(["language", "audio", "face"])),) if rng.random() < missing_rate else ()
        plant = tuple(c for c in PLANTABLE if c.split(".")[1] not in missing) or PLANTABLE
        t, y, p = make_video(rng, n, f"p{i // 4:03d}_v{i}", missing=missing, plant=plant)
        tables.append(t)
        labels.append(y)
        planted.append(p)
    return tables, labels, planted
