"""A BAH split as level two sees it: FrameTables (from level one's cache) with per-frame labels.

Level one extracts every video of the root once (cached, resumable); each split then pairs its
videos' FrameTables with the annotators' frame labels. BAH's frame labels have one entry per
decoded frame; where a decoder disagrees by a few frames the labels are cut or padded with their
last value (counted in :attr:`Split.adjusted`), a larger mismatch is an error naming the video.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codebook.errors import InputError

MAX_FRAME_MISMATCH = 0.02  # fraction of a video's frames a label/decoder mismatch may reach


@dataclass
class Split:
    name: str
    tables: list = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    video_labels: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    annotations: list = field(default_factory=list)
    adjusted: int = 0

    @property
    def n_frames(self) -> int:
        return int(sum(len(y) for y in self.labels))

    def describe(self) -> str:
        pos = sum(int(y.sum()) for y in self.labels)
        return (f"{self.name}: {len(self.tables)} videos ({sum(self.video_labels)} with A/H), "
                f"{self.n_frames} frames ({100.0 * pos / max(self.n_frames, 1):.1f}% A/H)")


def extract_tables(root: str | Path, cache_dir=None, workers: int = 1, asr: bool = True,
                   progress: bool = True) -> dict[str, Path]:
    """FrameTable paths of every video of a BAH root, keyed by level one's video id (file stem)."""
    from levelone.pipeline.extract import plan, run

    result = run(plan(root), workers=workers, cache_dir=cache_dir, asr=asr, progress=progress)
    if result.failures:
        first = result.failures[0]
        raise InputError(root, f"level one failed on {len(result.failures)} videos (first: {first})")
    return dict(result.tables)


def _align(labels: np.ndarray, n: int, key: str) -> tuple[np.ndarray, bool]:
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == n:
        return labels, False
    if abs(len(labels) - n) > max(2, MAX_FRAME_MISMATCH * n) or len(labels) == 0:
        raise InputError(key, f"annotation has {len(labels)} frame labels but the video decodes to {n} frames")
    if len(labels) > n:
        return labels[:n], True
    return np.concatenate([labels, np.full(n - len(labels), labels[-1])]), True


def load_split(root: str | Path, split: str, tables: dict[str, Path]) -> Split:
    """The videos of ``split`` with their FrameTables (from ``tables``) and frame labels."""
    from codebook.bah import BAHDataset
    from levelone.frametable import read

    out = Split(split)
    for v in BAHDataset(root).videos(split):
        vid = Path(v.path).stem
        if vid not in tables:
            raise InputError(v.path, "no FrameTable for this video (level one did not extract it)")
        table = read(tables[vid])
        ann = v.annotation
        if ann is not None:
            labels = ann.labels()
        elif int(v.label) == 0:
            labels = np.zeros(table.meta.n_frames, np.int64)
        else:
            raise InputError(v.path, "A/H video without frame annotations in video_annotation_transcript.yaml")
        labels, adjusted = _align(labels, table.meta.n_frames, v.key)
        out.adjusted += adjusted
        out.tables.append(table)
        out.labels.append(labels)
        out.video_labels.append(int(v.label))
        out.keys.append(v.key)
        out.annotations.append(ann)
    if not out.tables:
        raise InputError(root, f"split {split!r} lists no videos")
    return out
