"""The annotation model: A/H segments with their codebook cues, per video, and a plain CSV form.

A :class:`Segment` carries both clocks (``start_s``/``end_s`` and ``start_frame``/``end_frame``,
end frame inclusive as in BAH's ``fr_detailed_ah``) so no reader has to guess a frame rate twice.
Cue strings are resolved to vocabulary ids; strings that name no codebook cue are kept in
``Segment.unresolved`` as ``"<modality>:<text>"`` so nothing an annotator wrote is lost.
Readers for BAH's YAML live in :mod:`codebook.bah`, ELAN in :mod:`codebook.eaf`.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from codebook import atomic
from codebook.errors import InputError
from codebook.vocabulary import BAH_KEYS, MODALITIES, PAIRS, Vocabulary, load_vocabulary

# Keys a cue mapping may use for each modality (BAH's own keys, ours, and common variants).
CUE_KEYS: dict[str, str] = {**BAH_KEYS, "face": "face", "facial cues": "face", "language cues": "language",
                            "audio cues": "audio", "body cues": "body", "body language": "body"}
PAIR_KEYS = ("inconsistencies", "inconsistency", "cross-modal", "pairs", "cross-modal inconsistency")
CSV_COLUMNS = ("video_id", "start_s", "end_s", "label", *MODALITIES, "pairs", "certainty", "annotator")
_TOL_S = 5e-4  # half a millisecond
_EMPTY_CUE = {"~", "null", "none", "n/a", "na", "-"}  # how YAML read as text or annotators say "no cue"


# ----------------------------------------------------------------------------- time conversion
def seconds_to_frame(t_s: float, fps: float) -> int:
    """The 0-based frame showing time ``t_s`` (frame k covers [k/fps, (k+1)/fps)).

    Times within half a millisecond of a frame boundary snap to it: ELAN and BAH store
    milliseconds, and 5/24 s written as 208 ms must still read back as frame 5.
    """
    return max(0, int(math.floor((t_s + _TOL_S) * fps)))


def end_seconds_to_frame(end_s: float, fps: float) -> int:
    """The last frame (inclusive) of an interval ending at ``end_s`` (same half-ms snapping)."""
    return max(0, int(math.ceil((end_s - _TOL_S) * fps)) - 1)


def frame_to_seconds(frame: int, fps: float) -> float:
    """Start time of ``frame``."""
    return frame / fps


# ----------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Segment:
    """One annotated interval (an A/H segment when ``label`` is 1) and the cues seen in it."""

    start_s: float
    end_s: float
    start_frame: int
    end_frame: int  # inclusive
    label: int = 1
    cues: dict[str, tuple[str, ...]] = field(default_factory=dict)  # modality -> cue ids
    pairs: tuple[str, ...] = ()  # cross-modal inconsistency ids: FL FA FB LA LB AB
    certainty: int | None = None
    annotator: str | None = None
    unresolved: tuple[str, ...] = ()  # "<modality>:<text>" strings matching no codebook cue

    @classmethod
    def from_seconds(cls, start_s: float, end_s: float, fps: float, **kw: Any) -> "Segment":
        start_frame = seconds_to_frame(start_s, fps)
        return cls(float(start_s), float(end_s), start_frame,
                   max(start_frame, end_seconds_to_frame(end_s, fps)), **kw)

    @classmethod
    def from_frames(cls, start_frame: int, end_frame: int, fps: float, **kw: Any) -> "Segment":
        return cls(frame_to_seconds(start_frame, fps), frame_to_seconds(end_frame + 1, fps),
                   int(start_frame), int(end_frame), **kw)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def n_frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    @property
    def cue_ids(self) -> tuple[str, ...]:
        """Every resolved cue id, modality by modality."""
        return tuple(c for m in MODALITIES for c in self.cues.get(m, ()))

    @property
    def has_cues(self) -> bool:
        return bool(self.cue_ids or self.pairs or self.unresolved)


@dataclass(frozen=True)
class VideoAnnotation:
    """Everything annotated for one video: video label, per-frame labels, segments, transcript."""

    video_id: str
    fps: float
    n_frames: int | None
    label: int | None
    frame_labels: np.ndarray | None = None  # (n_frames,) int8 0/1
    segments: list[Segment] = field(default_factory=list)
    transcript: str | None = None
    # BAH's `all_cues` may hold more entries than there are segments; those are kept here.
    unassigned_cues: tuple[Segment, ...] = ()

    def labels(self) -> np.ndarray:
        """Per-frame labels: the stored ones, else rebuilt from the A/H segments."""
        if self.frame_labels is not None:
            return self.frame_labels
        if self.n_frames is None:
            raise ValueError(f"{self.video_id}: frame count unknown, cannot build frame labels")
        return frame_labels_from_segments(self.segments, self.n_frames)


def frame_labels_from_segments(segments: Iterable[Segment], n_frames: int) -> np.ndarray:
    """0/1 per frame: 1 inside any segment whose label is 1 (end frame inclusive, clipped)."""
    out = np.zeros(int(n_frames), dtype=np.int8)
    for seg in segments:
        if seg.label:
            lo, hi = max(0, seg.start_frame), min(int(n_frames) - 1, seg.end_frame)
            if hi >= lo:
                out[lo:hi + 1] = 1
    return out


def segments_from_frame_labels(labels: np.ndarray, fps: float) -> list[Segment]:
    """Runs of 1 in a per-frame label array, as segments (the inverse of the function above)."""
    labels = np.asarray(labels).astype(bool)
    edges = np.diff(np.concatenate([[0], labels.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [Segment.from_frames(int(s), int(e), fps) for s, e in zip(starts, ends)]


# ----------------------------------------------------------------------------- cue strings
def split_cue_value(value: Any) -> list[str]:
    """A cue field as annotators leave it — a string, a comma/semicolon-separated string, a list
    of strings, or empty — as a list of non-empty stripped strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in split_cue_value(v)]
    if isinstance(value, float) and math.isnan(value):
        return []
    parts = (s.strip() for s in re.split(r"[,;\n]", str(value)))
    return [s for s in parts if s and s.lower() not in _EMPTY_CUE]


def _resolve_one(vocab: Vocabulary, text: str, modality: str) -> str | None:
    cue = vocab.resolve(text, modality)
    if cue is None:  # "gaze (looking down)" -> "gaze"
        stripped = re.sub(r"\(.*?\)", "", text).strip()
        if stripped and stripped != text:
            cue = vocab.resolve(stripped, modality)
    return cue.id if cue is not None else None


_MODALITY_WORDS = {"f": "face", "face": "face", "facial": "face", "l": "language", "language": "language",
                   "speech": "language", "verbal": "language", "a": "audio", "audio": "audio",
                   "voice": "audio", "tone": "audio", "b": "body", "body": "body"}


def _resolve_pair(vocab: Vocabulary, text: str) -> str | None:
    stripped = re.sub(r"\(.*?\)", "", text).strip()
    inc = vocab.inconsistency(text) or (vocab.inconsistency(stripped) if stripped else None)
    if inc is None:  # "Face and language", "face/language", "F-L (smiles while saying no)"
        words = re.split(r"[^a-z]+", stripped.lower())
        mods = [_MODALITY_WORDS[w] for w in words if w in _MODALITY_WORDS]
        if len(mods) == 2 and mods[0] != mods[1]:
            inc = vocab.inconsistency(f"{mods[0][0]}{mods[1][0]}")
    return inc.id if inc is not None else None


def parse_cues(raw: Mapping[str, Any] | None, vocab: Vocabulary | None = None
               ) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...]]:
    """Resolve a cue mapping (BAH ``all_cues`` entry: ``facial``, ``language``, ``audio``,
    ``body``, ``inconsistencies``) to ``(cues, pairs, unresolved)``.

    Order of first mention is kept and duplicates dropped; unknown strings go to ``unresolved``
    as ``"<modality>:<text>"`` (``"pairs:<text>"`` for inconsistencies, ``"<key>:<text>"`` for an
    unknown key).
    """
    vocab = vocab or load_vocabulary()
    cues: dict[str, list[str]] = {}
    pairs: list[str] = []
    unresolved: list[str] = []
    for key, value in (raw or {}).items():
        k = str(key).strip().lower()
        texts = split_cue_value(value)
        if k in PAIR_KEYS:
            for text in texts:
                pid = _resolve_pair(vocab, text)
                if pid is None:
                    unresolved.append(f"pairs:{text}")
                elif pid not in pairs:
                    pairs.append(pid)
            continue
        modality = CUE_KEYS.get(k)
        for text in texts:
            cid = _resolve_one(vocab, text, modality) if modality else None
            if cid is None:
                unresolved.append(f"{modality or k}:{text}")
            elif cid not in cues.setdefault(modality, []):
                cues[modality].append(cid)
    ordered = {m: tuple(cues[m]) for m in MODALITIES if cues.get(m)}
    pairs_sorted = tuple(p for p in PAIRS if p in pairs)
    return ordered, pairs_sorted, tuple(dict.fromkeys(unresolved))


# ----------------------------------------------------------------------------- CSV
def write_csv(path: str | Path, annotations: Iterable[VideoAnnotation], force: bool = False) -> Path:
    """One row per segment: ``video_id,start_s,end_s,label,face,language,audio,body,pairs,
    certainty,annotator`` with cue lists ``;``-separated (unresolved strings are written as they
    were, under their modality)."""
    path = atomic.check_writable(path, force)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ann in annotations:
        for seg in ann.segments:
            per_mod = {m: [c.split(".", 1)[1] for c in seg.cues.get(m, ())] for m in MODALITIES}
            pairs = list(seg.pairs)
            for u in seg.unresolved:
                mod, _, text = u.partition(":")
                (pairs if mod == "pairs" else per_mod.setdefault(mod, [])).append(text)
            writer.writerow([ann.video_id, repr(float(seg.start_s)), repr(float(seg.end_s)), seg.label,
                             *(";".join(per_mod[m]) for m in MODALITIES), ";".join(pairs),
                             "" if seg.certainty is None else seg.certainty, seg.annotator or ""])
    return atomic.write_text(path, buf.getvalue())


def read_csv(path: str | Path, fps: float, vocab: Vocabulary | None = None) -> list[VideoAnnotation]:
    """Read :func:`write_csv`'s format (columns other than video_id/start_s/end_s are optional);
    one :class:`VideoAnnotation` per video id, in order of first appearance."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(path, f"cannot read annotation CSV ({err.__class__.__name__}: {err})") from None
    rows = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (rows.fieldnames or [])]
    missing = [c for c in ("video_id", "start_s", "end_s") if c not in fields]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", line=1)
    vocab = vocab or load_vocabulary()
    videos: dict[str, list[Segment]] = {}
    for lineno, row in enumerate(rows, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        try:
            start_s, end_s = float(row["start_s"]), float(row["end_s"])
            label = int(row.get("label") or 1)
            certainty = int(row["certainty"]) if row.get("certainty") else None
        except ValueError as err:
            raise InputError(path, f"bad number ({err})", line=lineno) from None
        if not end_s >= start_s >= 0:
            raise InputError(path, f"segment ends before it starts ({start_s} > {end_s})", line=lineno)
        raw = {m: row.get(m, "") for m in MODALITIES}
        raw["inconsistencies"] = row.get("pairs", "")
        cues, pairs, unresolved = parse_cues(raw, vocab)
        seg = Segment.from_seconds(start_s, end_s, fps, label=label, cues=cues, pairs=pairs,
                                   certainty=certainty, annotator=row.get("annotator") or None,
                                   unresolved=unresolved)
        videos.setdefault(row["video_id"], []).append(seg)
    return [VideoAnnotation(video_id=vid, fps=fps, n_frames=None,
                            label=int(any(s.label for s in segs)), segments=segs)
            for vid, segs in videos.items()]


def with_segments(ann: VideoAnnotation, segments: list[Segment]) -> VideoAnnotation:
    """A copy of ``ann`` with other segments (frozen records are replaced, never mutated)."""
    return replace(ann, segments=list(segments))
