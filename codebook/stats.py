"""Cue statistics of annotated A/H segments, and the published BAH statistics as the default prior.

Level two's codebook constraint keeps the share of evidence each modality and each
inconsistency pair carries near these numbers. They are computed from training annotations
when there are enough segments with cues (:func:`prior_or_published`), else the published BAH
figures (``data/bah_published_stats.json``) are used.

Definitions (per A/H segment, i.e. label 1; each cue counted once per segment):
- ``modality_shares``: cue mentions of a modality / all cue mentions (unresolved strings count
  for their modality: the annotator did mark a cue there).
- ``cue_shares[m][cue_id]``: mentions of a resolved cue / resolved mentions in modality ``m``.
- ``pair_shares``: mentions of an inconsistency pair / all pair mentions.
- ``cooccurrence[a][b]``: segments with cues in both ``a`` and ``b`` (diagonal: with ``a``);
  :meth:`CueStatistics.cooccurrence_probability` divides by segments with modality cues.
- ``all_four_share``: segments with cues in all four modalities / segments with modality cues.
- durations: mean, sample sd (ddof=1), min, max, in seconds and in frames (end inclusive).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from codebook import atomic
from codebook.annotations import Segment, VideoAnnotation
from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, PAIRS

MIN_SEGMENTS_WITH_CUES = 50  # below this, computed shares are too noisy to replace the prior


def _summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "sd": None, "min": None, "max": None}
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max())}


@dataclass
class CueStatistics:
    """Shares are fractions in [0, 1]; ``None`` where a source does not say (the published
    statistics give no co-occurrence matrix or full cue shares)."""

    modality_shares: dict[str, float]
    pair_shares: dict[str, float]
    cue_shares: dict[str, dict[str, float]] = field(default_factory=dict)
    top_cues: dict[str, str] = field(default_factory=dict)
    cooccurrence: dict[str, dict[str, int]] | None = None
    all_four_share: float | None = None
    n_segments: int = 0
    n_segments_with_cues: int = 0
    n_with_inconsistency: int = 0
    n_with_modality_cues: int = 0  # segments with a face/language/audio/body cue (pairs aside)
    duration_s: dict[str, float | None] = field(default_factory=dict)
    duration_frames: dict[str, float | None] = field(default_factory=dict)
    source: str = ""
    is_published: bool = False  # True for the BAH paper's figures

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_annotations(cls, items: Iterable[VideoAnnotation | Segment], source: str = "") -> "CueStatistics":
        """Statistics over the A/H segments of videos (or of bare segments)."""
        segments: list[Segment] = []
        n_videos = 0
        for item in items:
            if isinstance(item, VideoAnnotation):
                n_videos += 1
                segments.extend(item.segments)
            else:
                segments.append(item)
        segments = [s for s in segments if s.label]
        mentions = {m: 0 for m in MODALITIES}
        cue_counts: dict[str, dict[str, int]] = {m: {} for m in MODALITIES}
        pair_counts = {p: 0 for p in PAIRS}
        co = {a: {b: 0 for b in MODALITIES} for a in MODALITIES}
        n_with_cues = n_with_modality = n_inc = n_all_four = 0
        for seg in segments:
            present = set()
            for m in MODALITIES:
                ids = seg.cues.get(m, ())
                unresolved = [u for u in seg.unresolved if u.partition(":")[0] == m]
                mentions[m] += len(ids) + len(unresolved)
                for cid in ids:
                    cue_counts[m][cid] = cue_counts[m].get(cid, 0) + 1
                if ids or unresolved:
                    present.add(m)
            for p in seg.pairs:
                pair_counts[p] += 1
            n_with_cues += bool(present or seg.pairs)
            n_inc += bool(seg.pairs)
            n_with_modality += bool(present)
            n_all_four += len(present) == len(MODALITIES)
            for a in present:
                for b in present:
                    co[a][b] += 1
        total = sum(mentions.values())
        total_pairs = sum(pair_counts.values())
        cue_shares = {m: {c: n / sum(cc.values()) for c, n in sorted(cc.items(), key=lambda kv: (-kv[1], kv[0]))}
                      for m, cc in cue_counts.items() if cc}
        return cls(
            modality_shares={m: (mentions[m] / total if total else 0.0) for m in MODALITIES},
            pair_shares={p: (pair_counts[p] / total_pairs if total_pairs else 0.0) for p in PAIRS},
            cue_shares=cue_shares,
            top_cues={m: next(iter(s)) for m, s in cue_shares.items()},
            cooccurrence=co,
            all_four_share=n_all_four / n_with_modality if n_with_modality else None,
            n_segments=len(segments), n_segments_with_cues=n_with_cues, n_with_inconsistency=n_inc,
            n_with_modality_cues=n_with_modality,
            duration_s=_summary([s.duration_s for s in segments]),
            duration_frames=_summary([float(s.n_frames) for s in segments]),
            source=source or f"computed from {len(segments)} A/H segments"
                             + (f" of {n_videos} videos" if n_videos else ""),
        )

    @classmethod
    def published(cls) -> "CueStatistics":
        """The BAH paper's statistics (docs/bah-format.md, "Published cue statistics")."""
        ref = resources.files("codebook") / "data" / "bah_published_stats.json"
        return cls.from_json(ref.read_text(encoding="utf-8"), source_path=str(ref))

    # -- derived --------------------------------------------------------------------------
    def cooccurrence_probability(self) -> dict[str, dict[str, float]] | None:
        """``cooccurrence`` divided by the segments carrying any modality cue."""
        if self.cooccurrence is None:
            return None
        n = max(self.n_with_modality_cues, 1)
        return {a: {b: c / n for b, c in row.items()} for a, row in self.cooccurrence.items()}

    def modality_vector(self) -> np.ndarray:
        """Modality shares in :data:`MODALITIES` order (face, language, audio, body)."""
        return np.asarray([self.modality_shares.get(m, 0.0) for m in MODALITIES], dtype=float)

    def pair_vector(self) -> np.ndarray:
        """Pair shares in :data:`PAIRS` order (FL FA FB LA LB AB)."""
        return np.asarray([self.pair_shares.get(p, 0.0) for p in PAIRS], dtype=float)

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], source_path: str | None = None) -> "CueStatistics":
        try:
            obj = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
            shares = [*obj.modality_shares.values(), *obj.pair_shares.values()]
            if any(not isinstance(v, (int, float)) or math.isnan(v) or not 0 <= v <= 1 for v in shares):
                raise ValueError("shares must be numbers in [0, 1]")
            unknown = (set(obj.modality_shares) - set(MODALITIES)) | (set(obj.pair_shares) - set(PAIRS))
            if unknown:
                raise ValueError(f"unknown modality or pair {sorted(unknown)}")
        except (TypeError, ValueError, AttributeError) as err:
            raise InputError(source_path, f"not cue statistics ({err})") from None
        return obj

    @classmethod
    def from_json(cls, text: str, source_path: str | None = None) -> "CueStatistics":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(source_path, f"bad JSON ({err.msg})", line=err.lineno) from None
        if not isinstance(data, dict):
            raise InputError(source_path, "not cue statistics (expected a JSON object)")
        return cls.from_dict(data, source_path)

    def save(self, path: str | Path, force: bool = False) -> Path:
        atomic.check_writable(path, force)
        return atomic.write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "CueStatistics":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(path, f"cannot read cue statistics ({err.__class__.__name__})") from None
        return cls.from_json(text, source_path=str(path))


def prior_or_published(stats: CueStatistics | None, min_segments_with_cues: int = MIN_SEGMENTS_WITH_CUES
                       ) -> CueStatistics:
    """``stats`` when computed from at least ``min_segments_with_cues`` segments with cues,
    else the published BAH statistics."""
    if stats is not None and stats.n_segments_with_cues >= min_segments_with_cues:
        return stats
    return CueStatistics.published()
