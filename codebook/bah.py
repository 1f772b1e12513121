"""The BAH dataset index: read a BAH root exactly as released (the layout in docs/bah-format.md), unchanged.

Quirks handled here so no caller meets them: split lines whose unquoted transcripts contain
commas (split on the first two commas only), file names with spaces or ``-DESKTOP-...``
suffixes, face crops ``frame-<N>.jpg`` without zero padding (sorted numerically), Whisper
transcripts tagged ``!!python/tuple`` whose chunk times restart every ~30 s, and a ~91 MB
annotation YAML loaded once, lazily, with libyaml's C loader when available (about 30 s of CPU
for 89 MB), then kept as a JSON copy in the user cache (under a second on later runs).

YAML is only read through safe loaders; the one extra tag accepted is ``!!python/tuple``
(built as a plain tuple). Any other ``!!python/...`` tag is an :class:`InputError`, never code.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import numpy as np
import yaml

from codebook import atomic
from codebook.annotations import Segment, VideoAnnotation, parse_cues, segments_from_frame_labels
from codebook.errors import InputError
from codebook.vocabulary import Vocabulary, load_vocabulary

SPLITS: tuple[str, ...] = ("train", "val", "test")
DEFAULT_FPS = 24.0  # BAH's usual rate; only used when a video's rate cannot be inferred
ANNOTATION_FILE = "video_annotation_transcript.yaml"
_SAFE_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEXT_BASE = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_NULLS = {"", "~", "null", "Null", "NULL"}
_QUESTION = re.compile(r"_Question_(\d+)_", re.IGNORECASE)
_FRAME = re.compile(r"frame-(\d+)\.jpg$", re.IGNORECASE)
_CACHE_MIN_BYTES = 1_000_000  # smaller annotation files parse faster than a cache lookup pays
_STANDARD_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0)
_WORD_S = 0.4  # seconds per word, to close a last chunk whose end Whisper left null


def default_cache_dir() -> Path:
    """``$AHCUE_CACHE/codebook`` (the variable level one's cache honours too), else
    ``$XDG_CACHE_HOME/ahcue/codebook``, else ``~/.cache/ahcue/codebook``."""
    if os.environ.get("AHCUE_CACHE"):
        return Path(os.environ["AHCUE_CACHE"]).expanduser() / "codebook"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ahcue" / "codebook"


# ----------------------------------------------------------------------------- safe YAML
class TupleSafeLoader(_SAFE_BASE):  # type: ignore[misc, valid-type]
    """The safe loader plus ``!!python/tuple`` (as a tuple); nothing else from ``python/``."""


class TupleTextLoader(_TEXT_BASE):  # type: ignore[misc, valid-type]
    """Every scalar as the text written (no YAML 1.1 guessing: annotator ``NO`` and a transcript
    ``yes`` stay strings, ``00:01:05`` is not turned into 65); ``!!python/tuple`` as a tuple.
    Used for the annotation file, whose fields :func:`annotation_from_entry` converts itself
    (and 10-20 % faster to parse than the safe loader)."""


def _construct_tuple(loader: yaml.BaseLoader, node: yaml.Node) -> tuple:
    return tuple(loader.construct_sequence(node, deep=True))


def _refuse(loader: yaml.BaseLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark)


for _loader in (TupleSafeLoader, TupleTextLoader):
    _loader.add_constructor("tag:yaml.org,2002:python/tuple", _construct_tuple)
# The base constructor would build ANY tag by node kind; keep the standard ones as text and
# refuse the rest (``!!python/object/apply:...`` and friends) as the safe loader does.
for _tag in ("str", "int", "float", "bool", "null", "timestamp", "binary"):
    TupleTextLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", lambda loader, node: loader.construct_scalar(node))
TupleTextLoader.add_constructor("tag:yaml.org,2002:seq",
                                lambda loader, node: loader.construct_sequence(node, deep=True))
TupleTextLoader.add_constructor("tag:yaml.org,2002:map", lambda loader, node: loader.construct_mapping(node, deep=True))
TupleTextLoader.add_constructor(None, _refuse)


def load_yaml(path: str | Path, text_only: bool = False) -> Any:
    """Parse a YAML file safely (:class:`TupleSafeLoader`, or :class:`TupleTextLoader` with
    ``text_only``); every failure is an InputError that names the file (and the line where the
    parser stopped)."""
    path = Path(path)
    loader = TupleTextLoader if text_only else TupleSafeLoader
    try:
        with path.open("rb") as fh:
            return yaml.load(fh, Loader=loader)  # noqa: S506 - safe/base loader subclasses
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "could not determine a constructor" in str(err):
            problem = f"unsafe or unknown YAML tag refused ({problem})"
        raise InputError(path, f"bad YAML: {problem}", line=None if mark is None else mark.line + 1) from None


# ----------------------------------------------------------------------------- transcripts
@dataclass(frozen=True)
class Chunk:
    """A Whisper chunk on one monotonic timeline (seconds from the start of the video)."""

    text: str
    start_s: float
    end_s: float
    language: str | None = None


def _pair(value: Any) -> tuple[float | None, float | None]:
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(None if v is None else float(v) for v in value)  # type: ignore[return-value]
    raise ValueError(f"timestamp {value!r} is not a [start, end] pair")


def rebuild_timeline(raw: list[tuple[str, float | None, float | None]]) -> list[tuple[str, float, float]]:
    """Turn chunk times that restart near 0 (one Whisper window every ~30 s) into one timeline.

    A chunk starting more than 1 s before the previous chunk ended opens a new window; the
    window is placed at the previous chunk's end (Whisper seeks to its last timestamp). A
    missing end becomes the next chunk's start, or for the last chunk its start plus
    0.4 s per word; a missing start becomes the previous end. Times never decrease.
    """
    out: list[list[Any]] = []
    offset = 0.0
    prev_end = 0.0  # absolute
    for text, s, e in raw:
        if s is not None and out and s + offset < prev_end - 1.0:
            offset = prev_end
        start = prev_end if s is None else max(s + offset, out[-1][1] if out else 0.0)
        if out and out[-1][2] is None:
            out[-1][2] = max(out[-1][1], start)
        end = None if e is None else max(start, e + offset)
        out.append([text, start, end])
        prev_end = end if end is not None else start
    if out and out[-1][2] is None:
        out[-1][2] = out[-1][1] + max(0.5, _WORD_S * len(str(out[-1][0]).split()))
    return [(t, round(float(s), 6), round(float(e), 6)) for t, s, e in out]


def read_transcript(path: str | Path) -> list[Chunk]:
    """A BAH Whisper transcript (``text``, ``chunks: [{language, text, timestamp}]``) as chunks
    on one monotonic timeline."""
    path = Path(path)
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError(path, "not a BAH transcript (expected a mapping with 'text' and 'chunks')")
    chunks = data.get("chunks") or []
    if not isinstance(chunks, list):
        raise InputError(path, "'chunks' is not a list")
    raw, langs = [], []
    for i, ch in enumerate(chunks):
        if not isinstance(ch, dict):
            raise InputError(path, f"chunk {i + 1} is not a mapping")
        try:
            s, e = _pair(ch.get("timestamp"))
        except (TypeError, ValueError) as err:
            raise InputError(path, f"chunk {i + 1}: {err}") from None
        raw.append((str(ch.get("text") or "").strip(), s, e))
        langs.append(ch.get("language"))
    return [Chunk(t, s, e, lang) for (t, s, e), lang in zip(rebuild_timeline(raw), langs)]


# ----------------------------------------------------------------------------- helpers
def parse_time(text: Any) -> float:
    """``HH:MM:SS.mmm`` (or ``MM:SS.mmm``, or plain seconds) to seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    parts = str(text).strip().replace(",", ".").split(":")
    if not 1 <= len(parts) <= 3:
        raise ValueError(f"bad time {text!r}")
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def _safe_relpath(text: str, where: Path, line: int | None) -> str:
    """A dataset-relative path, refused if it could leave the root."""
    rel = text.strip().replace("\\", "/")
    if not rel:
        raise InputError(where, "empty video path", line=line)
    p = PurePosixPath(rel)
    if p.is_absolute() or re.match(r"^[A-Za-z]:", rel) or ".." in p.parts:
        raise InputError(where, f"path {rel!r} escapes the dataset root", line=line)
    return rel


def _frame_number(path: str) -> int | None:
    m = _FRAME.search(str(path))
    return int(m.group(1)) if m else None


def _null(value: Any) -> Any:
    """None for YAML nulls, whether typed (None) or read as text ('null', '~', '')."""
    return None if value is None or (isinstance(value, str) and value.strip() in _NULLS) else value


def _int(value: Any) -> int:
    """An int from a typed or a text YAML scalar ('1', '1.0', 1, True)."""
    return int(float(value)) if isinstance(value, str) else int(value)


def _as_list(value: Any) -> list:
    value = _null(value)
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def estimate_fps(frames: list[tuple[int, int]], times: list[tuple[float, float]]) -> float | None:
    """Frame rate implied by segments given both in frames and in seconds (least squares through
    the origin over start and end points later than 1 s, snapped to a standard rate within
    0.2 %), or None."""
    f, t = [], []
    for (f0, f1), (t0, t1) in zip(frames, times):
        for fr, ti in ((f0, t0), (f1 + 1, t1)):
            if ti > 1.0:
                f.append(fr)
                t.append(ti)
    if not t:
        return None
    ft, tt = np.asarray(f, float), np.asarray(t, float)
    fps = float(ft @ tt / (tt @ tt))
    # times are rounded to the millisecond: snap to a standard rate when that close to one
    standard = min(_STANDARD_FPS, key=lambda r: abs(r - fps))
    return standard if abs(standard - fps) <= 0.002 * standard else fps


def annotation_from_entry(key: str, entry: Any, fps: float | None = None, vocab: Vocabulary | None = None,
                          source: Path | None = None) -> VideoAnnotation:
    """One video's record of ``video_annotation_transcript.yaml`` as a VideoAnnotation.

    ``fps`` should be the video's native rate; without it the rate implied by the
    frame/time segment pairs is used, else :data:`DEFAULT_FPS`.
    """
    where = source or Path(ANNOTATION_FILE)
    if not isinstance(entry, dict):
        raise InputError(where, f"entry {key!r} is not a mapping")
    vocab = vocab or load_vocabulary()
    try:
        frames_raw = _as_list(entry.get("fr_detailed_ah"))
        if len(frames_raw) == 2 and not any(isinstance(v, (list, tuple)) for v in frames_raw):
            frames_raw = [frames_raw]  # one segment written flat: [start, end]
        frames = [(_int(a), _int(b)) for a, b in frames_raw]
        times_raw = _as_list(entry.get("time_detailed_ah"))
        if len(times_raw) == 2 and not any(isinstance(v, (list, tuple)) for v in times_raw):
            times_raw = [times_raw]
        times = [(parse_time(a), parse_time(b)) for a, b in times_raw]
        labelled = [(_frame_number(p), _int(v)) for p, v in _as_list(entry.get("frame_annotation"))]
    except (TypeError, ValueError) as err:
        raise InputError(where, f"entry {key!r}: malformed segments or frame labels ({err})") from None
    if frames and times and len(frames) != len(times):
        raise InputError(where, f"entry {key!r}: {len(frames)} frame segments but {len(times)} time segments")
    fps = float(fps) if fps else (estimate_fps(frames, times) or DEFAULT_FPS)
    if labelled and all(n is not None for n, _ in labelled):
        labelled.sort(key=lambda nv: nv[0])
    frame_labels = np.asarray([v for _, v in labelled], dtype=np.int8) if labelled else None
    if not frames and not times and frame_labels is not None and frame_labels.any():
        # segments not listed: rebuild them from the per-frame labels
        frames = [(s.start_frame, s.end_frame) for s in segments_from_frame_labels(frame_labels, fps)]
    cues_raw = _as_list(entry.get("all_cues"))
    certainty = _as_list(entry.get("certainty_ah"))
    annotators = _as_list(entry.get("annotator_id"))
    n = max(len(frames), len(times))
    segments, extra = [], []
    for i in range(max(n, len(cues_raw))):
        cue_map = cues_raw[i] if i < len(cues_raw) and isinstance(cues_raw[i], dict) else {}
        if i < len(cues_raw) and cues_raw[i] and not isinstance(cues_raw[i], dict):
            cue_map = {"unknown": cues_raw[i]}
        cues, pairs, unresolved = parse_cues(cue_map, vocab)
        try:
            cert = _int(certainty[i]) if i < len(certainty) and _null(certainty[i]) is not None else None
        except (TypeError, ValueError):
            raise InputError(where, f"entry {key!r}: certainty {certainty[i]!r} is not an integer") from None
        who = annotators[i] if len(annotators) > 1 and i < len(annotators) else (annotators[0] if annotators else None)
        kw = dict(cues=cues, pairs=pairs, certainty=cert, annotator=None if _null(who) is None else str(who),
                  unresolved=unresolved)
        if i >= n:
            extra.append(Segment(0.0, 0.0, 0, 0, **kw))  # an `all_cues` entry without a segment
        elif frames and times:
            segments.append(Segment(times[i][0], times[i][1], frames[i][0], frames[i][1], **kw))
        elif frames:
            segments.append(Segment.from_frames(frames[i][0], frames[i][1], fps, **kw))
        else:
            segments.append(Segment.from_seconds(times[i][0], times[i][1], fps, **kw))
    label = _null(entry.get("global_ah"))
    try:
        label = _int(label) if label is not None else int(bool(segments))
    except (TypeError, ValueError):
        raise InputError(where, f"entry {key!r}: global_ah {label!r} is not 0 or 1") from None
    transcript = _null(entry.get("transcript"))
    return VideoAnnotation(video_id=key, fps=fps, n_frames=None if frame_labels is None else len(frame_labels),
                           label=label, frame_labels=frame_labels, segments=segments,
                           transcript=None if transcript is None else str(transcript),
                           unassigned_cues=tuple(extra))


# ----------------------------------------------------------------------------- the index
@dataclass(frozen=True)
class BAHVideo:
    """One video of a BAH split. ``annotation`` and ``face_crops`` load on first use."""

    key: str  # 'Videos/<pid>/Visite_1/<file>.mp4', as in the split files
    path: Path  # absolute path of the video
    participant_id: str
    question: int | None  # 1-7 from '_Question_<q>_'
    split: str
    label: int
    transcript_text: str = ""
    dataset: "BAHDataset | None" = field(default=None, repr=False, compare=False)

    @cached_property
    def annotation(self) -> VideoAnnotation | None:
        """The annotators' record (None when the annotation YAML has no entry for this video)."""
        return None if self.dataset is None else self.dataset.annotation(self.key)

    @property
    def transcript_path(self) -> Path | None:
        return None if self.dataset is None else self.dataset.transcript_path(self.key)

    @cached_property
    def face_crops(self) -> list[Path]:
        return [] if self.dataset is None else self.dataset.face_crops(self.key)


class BAHDataset:
    """A BAH root on disk. Nothing heavy happens until asked for: split files are read per call,
    the annotation YAML once (thread-safe) on the first annotation lookup."""

    def __init__(self, root: str | Path, vocab: Vocabulary | None = None,
                 cache_dir: str | Path | None = None, use_cache: bool = True):
        self.root = Path(root).expanduser()
        self._cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._use_cache = use_cache
        if not self.root.is_dir():
            raise InputError(self.root, "BAH root not found (expected a folder with split/ and Videos/)")
        if not (self.root / "split").is_dir():
            raise InputError(self.root / "split", "missing: not a BAH root (no split/ folder)")
        self._vocab = vocab
        self._lock = threading.Lock()
        self._annotations: dict | None = None
        self._by_name: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"BAHDataset({str(self.root)!r})"

    def __getstate__(self) -> dict:
        """Picklable for worker pools: the lock and the (large) parsed annotations stay behind."""
        state = dict(self.__dict__)
        state.update(_lock=None, _annotations=None, _by_name=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def vocab(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = load_vocabulary()
        return self._vocab

    @property
    def splits(self) -> list[str]:
        """The splits present on disk, in train/val/test order."""
        return [s for s in SPLITS if (self.root / "split" / f"{s}.txt").is_file()]

    def _split_file(self, folder: str, split: str) -> Path:
        if split not in SPLITS:
            raise InputError(None, f"unknown split {split!r} (use one of {', '.join(SPLITS)})")
        path = self.root / folder / f"{split}.txt"
        if not path.is_file():
            raise InputError(path, "split file not found")
        return path

    def _lines(self, path: Path) -> Iterator[tuple[int, str]]:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(path, f"cannot read ({err})") from None
        for lineno, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield lineno, line.rstrip("\r")

    def videos(self, split: str | None = None) -> list[BAHVideo]:
        """The videos of one split (or of every split present), in file order."""
        if split is None:
            return [v for s in self.splits for v in self.videos(s)]
        path = self._split_file("split", split)
        out = []
        for lineno, line in self._lines(path):
            fields = line.split(",", 2)
            if len(fields) < 3:
                raise InputError(path, f"expected 'video_path,label,transcript', found {len(fields)} field(s)",
                                 line=lineno)
            rel, label_text, transcript = fields
            try:
                label = int(float(label_text.strip()))  # "1" or "1.0"
            except (ValueError, OverflowError):
                if lineno == 1 and not rel.strip().lower().startswith("videos/"):
                    continue  # a header line, although BAH has none
                raise InputError(path, f"label {label_text.strip()!r} is not 0 or 1", line=lineno) from None
            if label not in (0, 1):
                raise InputError(path, f"label {label} is not 0 or 1", line=lineno)
            key = _safe_relpath(rel, path, lineno)
            out.append(self._video(key, split, label, transcript.strip()))
        return out

    def _video(self, key: str, split: str, label: int, transcript: str) -> BAHVideo:
        parts = PurePosixPath(key).parts
        pid = parts[1] if len(parts) > 2 and parts[0] == "Videos" else (parts[0] if len(parts) > 1 else "")
        q = _QUESTION.search(PurePosixPath(key).name)
        return BAHVideo(key=key, path=(self.root / key).resolve(), participant_id=pid,
                        question=int(q.group(1)) if q else None, split=split, label=label,
                        transcript_text=transcript, dataset=self)

    def split_frames(self, split: str) -> list[tuple[str, int]]:
        """``(frame_path, label)`` per line of ``split-frames/<split>.txt`` (paths relative to
        ``cropped-aligned-faces/``)."""
        path = self._split_file("split-frames", split)
        out = []
        for lineno, line in self._lines(path):
            rel, sep, label = line.rpartition(",")
            if not sep:
                raise InputError(path, "expected 'frame_path,label'", line=lineno)
            try:
                out.append((_safe_relpath(rel, path, lineno), int(label.strip())))
            except ValueError:
                raise InputError(path, f"label {label.strip()!r} is not 0 or 1", line=lineno) from None
        return out

    # -- the annotation YAML -------------------------------------------------------------
    @property
    def annotation_path(self) -> Path:
        return self.root / ANNOTATION_FILE

    def raw_annotations(self) -> dict:
        """The whole annotation YAML (parsed once; later calls reuse it)."""
        with self._lock:
            if self._annotations is None:
                path = self.annotation_path
                if not path.is_file():
                    self._annotations = {}
                else:
                    data = self._read_cache(path)
                    if data is None:
                        data = load_yaml(path, text_only=True)
                        if data is None:
                            data = {}
                        if not isinstance(data, dict):
                            raise InputError(path, "expected a mapping keyed by video path")
                        self._write_cache(path, data)
                    self._annotations = data
            return self._annotations

    # Parsing ~91 MB of YAML takes tens of seconds even with libyaml; a JSON copy keyed by the
    # file's path, size and mtime loads in about a second. The cache is only an optimisation:
    # any problem reading or writing it falls back to the YAML.
    def _cache_file(self, path: Path) -> Path | None:
        if not self._use_cache:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        digest = hashlib.sha1(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:20]
        return self._cache_dir / f"bah-annotations-{digest}.json"

    def _read_cache(self, path: Path) -> dict | None:
        cache = self._cache_file(path)
        if cache is None or not cache.is_file():
            return None
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write_cache(self, path: Path, data: dict) -> None:
        cache = self._cache_file(path)
        if cache is None or path.stat().st_size < _CACHE_MIN_BYTES:
            return
        try:
            text = json.dumps(data)  # fails on dates or odd keys: then it is simply not cached
            if json.loads(text) != data:
                return  # JSON would change the data (tuples, non-string keys): keep the YAML path
            atomic.write_text(cache, text)
        except (OSError, TypeError, ValueError):
            pass

    def annotation(self, key: str, fps: float | None = None) -> VideoAnnotation | None:
        """The annotators' record of one video; pass the decoder's ``fps`` when known."""
        raw = self.raw_annotations()
        entry = raw.get(key)
        if entry is None:  # tolerate './Videos/...' or keys given with another folder prefix
            entry = raw.get(self._key_by_name().get(PurePosixPath(key).name, ""))
        if entry is None:
            return None
        return annotation_from_entry(key, entry, fps=fps, vocab=self.vocab, source=self.annotation_path)

    def _key_by_name(self) -> dict[str, str]:
        """Annotation keys by video file name (built once, only when an exact key misses)."""
        if self._by_name is None:
            names: dict[str, str] = {}
            for k in self.raw_annotations():
                names.setdefault(PurePosixPath(str(k)).name, str(k))
            self._by_name = names
        return self._by_name

    def annotations(self, split: str | None = None) -> list[VideoAnnotation]:
        """Every annotated video of a split (or of all splits)."""
        return [a for v in self.videos(split) if (a := self.annotation(v.key)) is not None]

    # -- per-video files -----------------------------------------------------------------
    def transcript_path(self, key: str) -> Path | None:
        folder = self.root / "transcription" / key
        exact = folder / f"{PurePosixPath(key).stem}.yml"
        if exact.is_file():
            return exact
        others = sorted(folder.glob("*.yml")) if folder.is_dir() else []
        return others[0] if others else None

    def face_crops(self, key: str) -> list[Path]:
        """Face crop paths of one video in frame order (``frame-<N>.jpg``, N unpadded)."""
        folder = self.root / "cropped-aligned-faces" / key
        if not folder.is_dir():
            return []
        numbered = [(n, p) for p in folder.iterdir() if (n := _frame_number(p.name)) is not None]
        return [p for _, p in sorted(numbered)]

    # -- small metadata files ------------------------------------------------------------
    @cached_property
    def metadata(self) -> dict[str, dict]:
        """``meta_data.yml``: participant id -> {Age, Gender, ...} (empty when absent)."""
        path = self.root / "meta_data.yml"
        data = load_yaml(path) if path.is_file() else {}
        if not isinstance(data, dict):
            raise InputError(path, "expected a mapping keyed by participant id")
        return {str(k): v for k, v in data.items()}

    @cached_property
    def class_ids(self) -> dict[str, int]:
        """``class_id.yaml`` (``With A-H: 1``, ``No A-H: 0``); BAH's values when absent."""
        path = self.root / "class_id.yaml"
        data = load_yaml(path) if path.is_file() else {"With A-H": 1, "No A-H": 0}
        if not isinstance(data, dict):
            raise InputError(path, "expected a mapping of class name to id")
        return {str(k): int(v) for k, v in data.items()}

    def video_list(self) -> list[str]:
        """The first column of ``bah-video.csv`` (header ``video-path``), or [] when absent."""
        import csv

        path = self.root / "bah-video.csv"
        if not path.is_file():
            return []
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r]
        if rows and rows[0][0].strip().lower() in ("video-path", "video_path"):
            rows = rows[1:]
        return [r[0].strip() for r in rows]
