"""Whether the face on screen is still the same person: cuts in the picture, and a face-recognition
descriptor of the analysed face at the start of each stretch between them.

Faces are followed by where they are (:mod:`levelone.face.people`), which cannot tell two people
apart when an edited recording cuts from one to the other in the same place: an interview that cuts
to the interviewer, clips of several people joined into one file. Their face, head, body and voice
would become the participant's evidence and the participant's baseline. This module finds those
stretches; :mod:`levelone.pipeline.vision` takes them out of the participant's evidence.

- **Segments**: the video is cut into stretches at every cut in the picture (the mean absolute
  change of a ``THUMB_SIZE`` grey thumbnail between two frames reaches ``cut_diff``), where the
  analysed face comes back after ``reappear_s`` without it, and every ``recheck_s`` (a change
  the cut detector missed is still seen).
- **Who is in a segment**: dlib's ResNet face descriptor (128 numbers; ``dlib-bin``, Boost licence,
  with the CC0 models of ``face_recognition_models``: the 5-point aligner and the descriptor
  network) of the analysed face, up to ``samples`` times per segment, ``sample_gap_s`` apart, the
  first ``settle_s`` after the segment starts (the mesh has settled on the new face); the second
  only when the first is close to no one seen before. ~90 CPU ms each: a one-shot recording pays
  for one descriptor per ``recheck_s``, and one shorter than that for none (the frames are kept
  until a second segment gives something to compare with).
- **Identities** (:func:`assign_identities`): in time order, a segment is the identity it comes
  closest to (the smallest distance between any of its descriptors and any kept for the identity)
  when that distance is under ``same_person_distance``, else a new identity. Different people are
  0.64-0.94 apart on the reference clips, one person 0.12-0.46 (``levelone/data/identity.json``,
  derived by :mod:`levelone.training.identity` with speakers held out).
- **The participant** is the identity whose face was measured in the most frames; segments of any
  other identity are someone else (:meth:`IdentityTracker.others`).

Everything is deterministic: the same frames give the same descriptors and the same identities.
"""
from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from codebook.errors import InputError

VERSION = "1"
THUMB_SIZE = (32, 18)  # (width, height) px of the grey thumbnail cuts are looked for in
THUMB_STEP = 4  # the thumbnail is made from every 4th pixel of every 4th row
DESCRIPTOR_SIZE = 128
MAX_KEPT = 16  # descriptors kept per identity (the earliest ones; they stand for the identity)
PARAMS_FILE = "identity.json"
_GREY = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R BT.601 luma weights


@dataclass(frozen=True)
class IdentityParams:
    """Thresholds with units: ``*_s`` seconds, ``cut_diff`` grey levels (0-255) of mean absolute
    change between consecutive thumbnails, ``same_person_distance`` Euclidean distance between
    two dlib face descriptors. Values in force: :func:`identity_params` (the shipped file)."""

    cut_diff: float = 40.0
    same_person_distance: float = 0.6
    settle_s: float = 0.2
    sample_gap_s: float = 0.5
    samples: int = 2
    recheck_s: float = 30.0
    reappear_s: float = 0.5


def params_path() -> Path:
    return Path(str(resources.files("levelone") / "data" / PARAMS_FILE))


@lru_cache(maxsize=1)
def identity_params() -> IdentityParams:
    """The shipped thresholds (``levelone/data/identity.json``) over the code defaults."""
    path = params_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        return IdentityParams()
    except ValueError as err:
        raise InputError(str(path), f"not valid JSON ({err})") from None
    from levelone.params import from_section
    return from_section(IdentityParams, "identity", {"params": {"identity": data.get("params", {})}})


def thumbnail(rgb: np.ndarray, size: tuple[int, int] = THUMB_SIZE, step: int = THUMB_STEP) -> np.ndarray:
    """A (height, width) float32 grey thumbnail of an RGB frame, 0-255: every ``step``-th pixel of
    every ``step``-th row, area-averaged (0.17 ms a 640x360 frame from all pixels, 0.02 from these)."""
    import cv2

    small = cv2.resize(np.asarray(rgb)[::step, ::step], size, interpolation=cv2.INTER_AREA).astype(np.float32)
    return small @ _GREY


def cut_score(before: np.ndarray, after: np.ndarray) -> float:
    """Mean absolute change between two thumbnails, grey levels: a hard cut changes most of the
    picture (tens of levels), motion and compression a few."""
    return float(np.mean(np.abs(after - before)))


def models_dir() -> Path | None:
    """Where ``face_recognition_models`` keeps its model files (found without importing the
    package, whose ``__init__`` needs ``pkg_resources``); None when it is not installed."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models"
    return path if path.is_dir() else None


MODEL_FILES = ("shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat")
_MODELS: dict[str, object] = {}


def require() -> None:
    """Raise :class:`InputError` unless dlib and the two model files are installed: a recording
    whose identities cannot be checked is not analysed as if they had been."""
    if importlib.util.find_spec("dlib") is None:
        raise InputError("dlib", "not installed (pip install dlib-bin): needed to tell people apart across cuts")
    folder = models_dir()
    missing = [f for f in MODEL_FILES if folder is None or not (folder / f).is_file()]
    if missing:
        raise InputError("face_recognition_models", f"not installed or incomplete (missing {', '.join(missing)}): "
                                                    "pip install face_recognition_models")


def _models():
    if "recognise" not in _MODELS:
        require()
        import dlib

        folder = models_dir()
        _MODELS["align"] = dlib.shape_predictor(str(folder / MODEL_FILES[0]))
        _MODELS["recognise"] = dlib.face_recognition_model_v1(str(folder / MODEL_FILES[1]))
    return _MODELS["align"], _MODELS["recognise"]


def release() -> None:
    """Let go of the descriptor models (48 MB once loaded): a video's identities are decided at the
    end of its vision pass, and what follows (stage two) does not need them."""
    _MODELS.clear()


def descriptor(rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The (128,) float32 dlib face descriptor of the face in ``box`` (x0, y0, x1, y1 pixels) of an
    RGB uint8 frame: aligned by the 5-point model, then the ResNet on the 150 px aligned chip."""
    import dlib

    align, recognise = _models()
    img = np.ascontiguousarray(rgb, dtype=np.uint8)
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    shape = align(img, dlib.rectangle(x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))
    return np.asarray(recognise.compute_face_descriptor(img, shape), np.float32)


def landmark_box(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) pixels around a face mesh's points."""
    xy = np.asarray(landmarks, np.float64)[:, :2]
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


@dataclass
class Segment:
    """A stretch of the video between two boundaries: its first frame, the descriptors of the face
    measured in it, how many of its frames had a face, and the frames (with the face's box) whose
    descriptors are not computed yet (:meth:`IdentityTracker.resolve`)."""

    start: int
    samples: list[np.ndarray] = field(default_factory=list)
    face_frames: int = 0
    pending: list[tuple[np.ndarray, tuple[float, float, float, float]]] = field(default_factory=list)

    @property
    def taken(self) -> int:
        return len(self.samples) + len(self.pending)


def assign_identities(segments: list[Segment], same_person_distance: float) -> list[int | None]:
    """Each segment's identity (0, 1, ... in order of first appearance; None without a descriptor):
    the closest identity so far when under ``same_person_distance`` (single linkage over the
    descriptors kept, at most ``MAX_KEPT`` each), else a new one."""
    kept: list[list[np.ndarray]] = []
    out: list[int | None] = []
    for seg in segments:
        if not seg.samples:
            out.append(None)
            continue
        s = np.stack(seg.samples)
        dist = [float(np.min(np.linalg.norm(s[:, None] - np.stack(k)[None], axis=-1))) for k in kept]
        if dist and min(dist) < same_person_distance:
            who = int(np.argmin(dist))
        else:
            who = len(kept)
            kept.append([])
        room = MAX_KEPT - len(kept[who])
        kept[who].extend(seg.samples[:max(room, 0)])
        out.append(who)
    return out


def _describe(seg: Segment) -> None:
    while seg.pending:
        rgb, box = seg.pending.pop(0)
        seg.samples.append(descriptor(rgb, box))


class IdentityTracker:
    """Follows the analysed face frame by frame (:meth:`frame`) and says which frames show someone
    other than the participant (:meth:`others`). See the module doc."""

    def __init__(self, fps: float, params: IdentityParams | None = None):
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.params = identity_params() if params is None else params
        self.segments: list[Segment] = []
        self._thumb: np.ndarray | None = None
        self._last_face = -1  # last frame with a face
        self._next_sample = 0  # frame from which the current segment's next descriptor is taken
        self.cuts = 0

    def _frames(self, seconds: float) -> int:
        return max(1, int(round(seconds * self.fps)))

    def _start(self, i: int) -> None:
        self.segments.append(Segment(i))
        self._next_sample = i + self._frames(self.params.settle_s)
        if len(self.segments) == 2:  # now there is someone to compare with
            self.resolve()

    def frame(self, i: int, rgb: np.ndarray, landmarks: np.ndarray | None) -> None:
        """Frame ``i`` (RGB) and the analysed face's mesh in it (pixels of the whole frame), or None."""
        p = self.params
        thumb = thumbnail(rgb)
        cut = self._thumb is not None and cut_score(self._thumb, thumb) >= p.cut_diff
        self._thumb = thumb
        seg = self.segments[-1] if self.segments else None
        came_back = landmarks is not None and self._last_face >= 0 and i - self._last_face >= self._frames(p.reappear_s)
        if seg is None or cut or came_back or i - seg.start >= self._frames(p.recheck_s):
            self.cuts += int(cut)
            self._start(i)
            seg = self.segments[-1]
        if landmarks is None:
            return
        self._last_face = i
        seg.face_frames += 1
        if seg.taken < p.samples and i >= self._next_sample and not self._known(seg):
            seg.pending.append((rgb, landmark_box(landmarks)))  # the frame is kept, not copied
            self._next_sample = i + self._frames(p.sample_gap_s)
            if len(self.segments) > 1:
                _describe(seg)

    def _known(self, seg: Segment) -> bool:
        """Whether a descriptor of ``seg`` is already within the same-person distance of one of an
        earlier segment: then a second one would not change that it is someone seen before (a
        descriptor is ~90 CPU ms; a new face gets its second before it is called new)."""
        if not seg.samples or len(self.segments) < 2:
            return False
        earlier = [s for other in self.segments[:-1] for s in other.samples]
        if not earlier:
            return False
        d = np.linalg.norm(np.stack(seg.samples)[:, None] - np.stack(earlier)[None], axis=-1)
        return bool(d.min() < self.params.same_person_distance)

    def resolve(self) -> None:
        """Compute the descriptors of the frames kept for them. Until a second segment begins there
        is no one to compare with, so a recording of one stretch never loads the descriptor model
        (a 20 s clip pays nothing); after that each is computed as its frame comes."""
        for seg in self.segments:
            _describe(seg)

    def identities(self) -> list[int | None]:
        if len(self.segments) > 1:
            self.resolve()
        return assign_identities(self.segments, self.params.same_person_distance)

    def participant(self, ids: list[int | None] | None = None) -> int | None:
        """The identity whose face was measured in the most frames (the earliest on a tie); ``ids``:
        :meth:`identities`, when the caller has them already."""
        frames: dict[int, int] = {}
        for seg, who in zip(self.segments, self.identities() if ids is None else ids):
            if who is not None:
                frames[who] = frames.get(who, 0) + seg.face_frames
        return max(sorted(frames), key=lambda k: frames[k]) if frames else None

    def others(self, n_frames: int) -> np.ndarray:
        """(n_frames,) bool: frames of segments whose face is someone other than the participant."""
        out = np.zeros(n_frames, bool)
        ids = self.identities()
        main = self.participant(ids)
        bounds = [s.start for s in self.segments] + [n_frames]
        for k, (seg, who) in enumerate(zip(self.segments, ids)):
            if who is not None and who != main:
                out[seg.start:bounds[k + 1]] = True
        return out

    def state(self) -> dict[str, np.ndarray]:
        """Everything followed so far as named arrays (exact), to continue with :meth:`set_state`
        (frames kept for a descriptor are described first: a saved state holds no frames)."""
        self.resolve()
        samples = [s for seg in self.segments for s in seg.samples]
        return {"identity_starts": np.array([s.start for s in self.segments], np.int64),
                "identity_faces": np.array([s.face_frames for s in self.segments], np.int64),
                "identity_counts": np.array([len(s.samples) for s in self.segments], np.int64),
                "identity_samples": np.array(samples, np.float32).reshape(-1, DESCRIPTOR_SIZE),
                "identity_thumb": (self._thumb if self._thumb is not None else
                                   np.zeros((0, 0), np.float32)).astype(np.float32),
                "identity_marks": np.array([self._last_face, self._next_sample, self.cuts], np.int64)}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Continue from what :meth:`state` saved."""
        self.segments = []
        at = 0
        for start, faces, count in zip(state["identity_starts"], state["identity_faces"], state["identity_counts"]):
            samples = [np.array(v, np.float32) for v in state["identity_samples"][at:at + int(count)]]
            at += int(count)
            self.segments.append(Segment(int(start), samples, int(faces)))
        thumb = np.asarray(state["identity_thumb"], np.float32)
        self._thumb = thumb if thumb.size else None
        self._last_face, self._next_sample, self.cuts = (int(v) for v in state["identity_marks"])

    def summary(self, n_frames: int) -> dict:
        """The JSON-ready record: cuts seen, segments, identities and the stretches of someone else."""
        others = self.others(n_frames)
        edges = np.flatnonzero(np.diff(np.r_[0, others.astype(np.int8), 0]))
        spans = [[round(a / self.fps, 3), round(b / self.fps, 3)] for a, b in zip(edges[::2], edges[1::2])]
        ids = [w for w in self.identities() if w is not None]
        return {"cuts": int(self.cuts), "segments": len(self.segments), "identities": len(set(ids)),
                "someone_else_s": spans}
