"""Who is in the frame: every face, followed as an identity through the video, and the participant.

ahcue analyses one person. A recording can hold others (an interviewer in a split screen, a
video call's gallery, a relative in the room); their face, body and voice must never become the
participant's evidence. This module is plain numpy over face boxes (the detector is MediaPipe's
full-range face detector, run by :mod:`levelone.pipeline.vision`):

- **Identities** (:class:`FaceTracker`): each detected face continues the identity whose last
  box centre is nearest, within ``match_widths`` face widths; a face unseen for up to ``keep_s``
  seconds (turned away, occluded, a detector miss) keeps its identity when it comes back near
  where it was. Faces are matched greedily, nearest pair first; a face that matches no identity
  starts a new one.
- **People** (:meth:`FaceTracker.people`): identities seen for at least ``min_person_s`` seconds
  in all (shorter ones are detector noise or a passer-by), numbered 1, 2, ... from left to right
  by their median position, which is how the report lists them and how ``--person INDEX`` names
  them.
- **The participant** (:func:`choose_person`): by default the person **on screen longest, then
  the largest** (median face area; "longest" ties when within ``TIE_SHARE`` of each other).
  ``--person left|right|largest|INDEX`` overrides it.
- **Their region** (:func:`person_region`): the part of the frame where models look for the
  participant: the whole frame, cut half-way between the participant's and each other person's
  face centres (vertically when they sit side by side, horizontally when one is above the other).
  Face mesh, expression and pose see only that region, so they cannot pick up the other person.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from codebook.errors import InputError

VERSION = "1"

DETECT_EVERY_S = 0.2  # faces are looked for this often (seconds; at least every frame)
KEEP_S = 3.0  # an identity unseen this long is kept: a face that comes back near it is the same person
MATCH_WIDTHS = 1.0  # a face continues an identity whose last centre is within this many face widths
MIN_PERSON_S = 1.0  # an identity seen for less than this in all is not a person
TIE_SHARE = 0.1  # on-screen times within this fraction of the longest count as a tie (then: largest)
DEFAULT_RULE = "on screen longest, then largest"
RULES = ("left", "right", "largest")


@dataclass(frozen=True)
class Person:
    """One identity seen in the video. Boxes are (x0, y0, x1, y1) as fractions of the frame."""

    index: int  # 1-based, left to right
    seen_s: float  # seconds of the video in which the face was detected
    first_s: float
    last_s: float
    box: tuple[float, float, float, float]  # median box
    still_s: float  # a time at which the face was seen (for a still frame)

    @property
    def area(self) -> float:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["box"] = [round(float(v), 4) for v in self.box]
        for k in ("seen_s", "first_s", "last_s", "still_s"):
            d[k] = round(float(d[k]), 3)
        return d


class FaceTracker:
    """Face boxes per sampled frame -> identities by position continuity (see the module doc)."""

    def __init__(self, fps: float, keep_s: float = KEEP_S, match_widths: float = MATCH_WIDTHS):
        self.fps, self.keep_s, self.match_widths = float(fps), keep_s, match_widths
        self._frames: list[list[int]] = []  # per identity: frames seen
        self._boxes: list[list[np.ndarray]] = []
        self._sample_frames = 0  # how many frames were sampled (to turn counts into seconds)
        self._step = 1
        self._pairs: dict[tuple[int, int], int] = {}  # (identity, identity): sampled frames seen together

    def update(self, frame: int, boxes: np.ndarray, step: int = 1) -> None:
        """Faces (k, 4) found at ``frame``, which stands for ``step`` frames of video."""
        self._step = step
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        live = [i for i, fr in enumerate(self._frames) if (frame - fr[-1]) / self.fps <= self.keep_s]
        pairs = []
        for j, b in enumerate(boxes):
            c, w = (b[:2] + b[2:]) / 2, max(b[2] - b[0], 1e-6)
            for i in live:
                last = self._boxes[i][-1]
                d = np.hypot(*((last[:2] + last[2:]) / 2 - c)) / max(w, last[2] - last[0])
                if d <= self.match_widths:
                    pairs.append((d, i, j))
        used_i, used_j = set(), set()
        for _, i, j in sorted(pairs):
            if i in used_i or j in used_j:
                continue
            used_i.add(i)
            used_j.add(j)
            self._frames[i].append(frame)
            self._boxes[i].append(boxes[j])
        for j, b in enumerate(boxes):
            if j not in used_j:
                self._frames.append([frame])
                self._boxes.append([b])
                used_i.add(len(self._frames) - 1)
        seen = sorted(used_i)  # the identities in this frame
        for k, first in enumerate(seen):
            for second in seen[k + 1:]:
                self._pairs[(first, second)] = self._pairs.get((first, second), 0) + 1

    def state(self) -> dict[str, np.ndarray]:
        """The identities followed so far as named arrays (exact), to continue with :meth:`from_state`."""
        lengths = np.array([len(fr) for fr in self._frames], np.int64)
        frames = np.array([f for fr in self._frames for f in fr], np.int64)
        boxes = np.array([b for bx in self._boxes for b in bx], np.float64).reshape(-1, 4)
        return {"tracker_lengths": lengths, "tracker_frames": frames, "tracker_boxes": boxes,
                "tracker_numbers": np.array([self.fps, self.keep_s, self.match_widths], np.float64),
                "tracker_counts": np.array([self._sample_frames, self._step], np.int64),
                "tracker_pairs": np.array([(a, b, k) for (a, b), k in sorted(self._pairs.items())],
                                          np.int64).reshape(-1, 3)}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> "FaceTracker":
        """A tracker that continues where the one that gave ``state`` (:meth:`state`) stopped."""
        fps, keep_s, match_widths = (float(v) for v in state["tracker_numbers"])
        out = cls(fps, keep_s, match_widths)
        out.set_state(state)
        return out

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Continue from what :meth:`state` saved (the identities and counts; settings are kept)."""
        ends = np.cumsum(state["tracker_lengths"])
        starts = ends - state["tracker_lengths"]
        self._frames = [[int(f) for f in state["tracker_frames"][a:b]] for a, b in zip(starts, ends)]
        self._boxes = [list(state["tracker_boxes"][a:b].copy()) for a, b in zip(starts, ends)]
        self._sample_frames, self._step = (int(v) for v in state["tracker_counts"])
        pairs = state.get("tracker_pairs", np.zeros((0, 3), np.int64))
        self._pairs = {(int(a), int(b)): int(k) for a, b, k in pairs}

    def n_people(self, min_person_s: float = MIN_PERSON_S) -> int:
        """How many identities have been seen long enough to count as people so far."""
        return sum(len(fr) * self._step / self.fps >= min_person_s for fr in self._frames)

    def together(self, min_person_s: float = MIN_PERSON_S) -> bool:
        """Whether two faces have been on screen at the same time for ``min_person_s`` seconds in all.

        Only then does the participant need a region of the frame of their own: people who follow
        one another (a cut from one speaker to the next, someone who leaves before another comes)
        are never in the same frame, and a region would not tell them apart.
        """
        return any(k * self._step / self.fps >= min_person_s for k in self._pairs.values())

    def _ranked(self, min_person_s: float) -> list[tuple[float, list[int], list[np.ndarray]]]:
        """(median centre x, frames, boxes) of each identity that is a person, left to right."""
        out = []
        for fr, bx in zip(self._frames, self._boxes):
            if len(fr) * self._step / self.fps >= min_person_s:
                b = np.median(np.array(bx), axis=0)
                out.append((float((b[0] + b[2]) / 2), fr, bx))
        return sorted(out, key=lambda p: p[0])

    def people(self, min_person_s: float = MIN_PERSON_S) -> list[Person]:
        """The people seen, numbered left to right (see the module doc)."""
        out = []
        for k, (_, fr, bx) in enumerate(self._ranked(min_person_s)):
            b = np.median(np.array(bx), axis=0)
            out.append(Person(k + 1, len(fr) * self._step / self.fps, fr[0] / self.fps, fr[-1] / self.fps,
                              tuple(map(float, b)), fr[len(fr) // 2] / self.fps))
        return out

    def on_screen(self, index: int, n_frames: int, margin_s: float = KEEP_S,
                  min_person_s: float = MIN_PERSON_S) -> np.ndarray:
        """(n_frames,) bool: frames within ``margin_s`` seconds of one where person ``index`` (as
        :meth:`people` numbers them) was detected; where they may be on screen."""
        _, frames, _ = self._ranked(min_person_s)[index - 1]
        half = int(round(margin_s * self.fps)) + self._step
        near = np.zeros(n_frames + 1, np.int64)
        for f in frames:  # +1 at each window's start, -1 after its end
            near[max(f - half, 0)] += 1
            near[min(f + half + 1, n_frames)] -= 1
        return np.cumsum(near[:n_frames]) > 0


def parse_person(value: str | None) -> str | None:
    """``--person``'s value checked: ``left``, ``right``, ``largest`` or a positive index; InputError otherwise."""
    if value is None:
        return None
    v = str(value).strip().lower()
    if v in RULES or (v.isdigit() and int(v) >= 1):
        return v
    raise InputError("--person", f"{value!r} is not left, right, largest or a person's number (1, 2, ...)")


def choose_person(people: list[Person], rule: str | None, source: str = "--person") -> tuple[Person | None, str]:
    """(the participant, the rule that chose them, in words). ``rule`` None is the default rule;
    no one is chosen (None) when no face was seen and the rule does not need one.

    Raises InputError when ``rule`` cannot name anyone: ``left``/``right`` with fewer than two
    people, an index beyond the people seen.
    """
    rule = parse_person(rule)
    n = len(people)
    if n == 0:
        if rule in (None, "largest", "1"):
            return None, DEFAULT_RULE if rule is None else f"--person {rule}"
        raise InputError(source, f"--person {rule}: no face was found in the recording")
    if rule is None:
        longest = max(p.seen_s for p in people)
        tied = [p for p in people if p.seen_s >= (1 - TIE_SHARE) * longest]
        return max(tied, key=lambda p: p.area), DEFAULT_RULE
    if rule in ("left", "right"):
        if n < 2:
            raise InputError(source, f"--person {rule}: only one person is in the recording")
        return (people[0] if rule == "left" else people[-1]), f"--person {rule}"
    if rule == "largest":
        return max(people, key=lambda p: p.area), "--person largest"
    k = int(rule)
    if k > n:
        raise InputError(source, f"--person {k}: the recording shows {n} {'person' if n == 1 else 'people'}"
                                 f" (1{'' if n == 1 else f'-{n}'}, left to right)")
    return people[k - 1], f"--person {k}"


def person_region(people: list[Person], chosen: Person, width: int, height: int) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) as fractions of the frame: the frame cut half-way towards every other
    person (module doc); ``width``/``height`` only set the aspect ratio."""
    x0, y0, x1, y1 = 0.0, 0.0, 1.0, 1.0
    cx, cy = chosen.centre
    for p in people:
        if p.index == chosen.index:
            continue
        ox, oy = p.centre
        dx, dy = ox - cx, (oy - cy) * height / width  # compare distances in pixels
        if abs(dx) >= abs(dy):
            mid = (cx + ox) / 2
            x0, x1 = (x0, min(x1, mid)) if dx > 0 else (max(x0, mid), x1)
        else:
            mid = (cy + oy) / 2
            y0, y1 = (y0, min(y1, mid)) if dy > 0 else (max(y0, mid), y1)
    return x0, y0, x1, y1


def detect_stride(fps: float, every_s: float = DETECT_EVERY_S) -> int:
    """Frames between two face detections."""
    return max(1, int(round(every_s * fps)))


# Face mesh points for the mouth opening of any face (inner lips, outer eye corners).
LIP_UPPER_IN, LIP_LOWER_IN, EYE_OUTER_R, EYE_OUTER_L = 13, 14, 33, 263


def lip_opening(landmarks: np.ndarray) -> float:
    """Inner-lip gap over the outer-eye-corner distance of one face's mesh (>= 468 points, pixels).

    The same measure for the participant and the others, so their mouths can be compared with the
    voice (:mod:`levelone.audio.voices`); image-plane distances, as a ratio it is scale-free.
    """
    lm = np.asarray(landmarks, np.float64)
    eyes = np.hypot(*(lm[EYE_OUTER_R, :2] - lm[EYE_OUTER_L, :2]))
    return float(np.hypot(*(lm[LIP_UPPER_IN, :2] - lm[LIP_LOWER_IN, :2])) / eyes) if eyes > 0 else float("nan")
