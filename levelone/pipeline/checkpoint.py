"""Checkpoints of stage one: an interrupted long run resumes at its first unfinished chunk.

The vision pass (:func:`levelone.pipeline.vision.run_models`) works through a video in chunks of
``CHECKPOINT_S`` seconds of media. After each chunk it writes that chunk's per-frame results and
the trackers' state at its end (:meth:`levelone.body.pose.PoseTracker.state`,
:meth:`levelone.face.people.FaceTracker.state`) to one ``.npz`` file, atomically
(:func:`codebook.atomic.atomic_path`: a kill leaves the chunk whole or absent). The folder is keyed
like the raw-signal entry it leads to (``partial/<video>.<key>/``: the video's fingerprint and
every extractor version), so a changed extractor or input never reads an old chunk. A rerun reads
the finished chunks and starts at the first missing one, with the trackers set back to the saved
state; the face mesh (MediaPipe's graph, whose tracking state cannot be saved) restarts at every
chunk boundary in every run, resumed or not, so a resumed run's output is identical to an
uninterrupted one. The folder is removed once the raw-signal entry is in the cache
(:func:`levelone.pipeline.signals.compute_entry`).

A finished speech recognition is kept the same way (``asr.json``, the exact record), so a
resumed run does not transcribe again; audio prosody is recomputed (seconds, not minutes).
Arrays only (``allow_pickle=False``): a checkpoint never runs code when read.
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np

from codebook.atomic import atomic_path

CHECKPOINT_S = 60.0  # seconds of media per checkpointed chunk (and per face-mesh restart)


def chunk_frames(fps: float, checkpoint_s: float = CHECKPOINT_S) -> int:
    """Frames per chunk: ``checkpoint_s`` seconds at ``fps`` (at least one frame)."""
    return max(1, int(round(checkpoint_s * (fps or 25.0))))


class Checkpoints:
    """One video's checkpoint folder: ``<part>.<chunk>.npz`` files and ``asr.json``.

    ``part`` names a pass over the video (the whole frame, or a participant's region), so chunks
    of different passes never mix.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def _path(self, part: str, chunk: int) -> Path:
        return self.folder / f"{part}.{chunk:06d}.npz"

    def save(self, part: str, chunk: int, arrays: dict[str, np.ndarray]) -> None:
        """Write one chunk atomically."""
        with atomic_path(self._path(part, chunk)) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)

    def load(self, part: str, chunk: int) -> dict[str, np.ndarray] | None:
        """One chunk's arrays, or None when absent or unreadable (then it is computed again)."""
        path = self._path(part, chunk)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return None

    def finished(self, part: str) -> int:
        """How many chunks of ``part`` are done in a row from the start."""
        k = 0
        while self._path(part, k).exists():
            k += 1
        return k

    def save_json(self, name: str, value: dict) -> None:
        with atomic_path(self.folder / f"{name}.json") as tmp:
            tmp.write_text(json.dumps(value), encoding="utf-8")

    def load_json(self, name: str) -> dict | None:
        path = self.folder / f"{name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Delete the folder (the stage result is cached: nothing here is needed any more)."""
        shutil.rmtree(self.folder, ignore_errors=True)
