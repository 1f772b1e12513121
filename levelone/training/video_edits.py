"""Controlled edits of real video, each with a known edited span (issue 24): does a face or body cue
fire on the behaviour it names (hit rate inside the span), and stay quiet elsewhere (false rate
outside)? The audio and language twins live in ``benchmarks/controlled_edits.py``.

Edits, on decoded frames (PyAV, downscaled to the vision pass's own ``MAX_SIDE``), re-encoded with
ffmpeg (libx264, near-lossless) with the source's own audio, so speech gating works as on the original:

- :func:`tilt`: an in-plane rotation of the whole frame about the face's centre, ramped in and out,
  held for a span. To a frontal camera a head roll *is* an in-plane rotation of the face, and
  ``body.tilt`` reads only the face mesh's roll, so the face the tracker sees is the one a real
  tilt gives. Caveat: the shoulders and background rotate too (a real tilt bends the neck only);
  the cues that read the shoulders (``body.shrug``, ``body.posture``) see a rotated torso inside the
  span, so only ``body.tilt``'s rates are read from this edit.
- :func:`freeze`: one frame repeated for a span (a frozen face; the audio runs on).
- :func:`cut_away`: black frames for a span (the face leaves the frame); every face and head cue
  must be unmeasured (NaN) there, never active.
- :func:`splice`: the same person's own recording under another emotion spliced between copies of
  their neutral one (CREMA-D actor 1001, same sentence, same camera): real behaviour of the same
  face, not a warp.

Each edit returns an :class:`EditedClip` (the file and a per-frame ``inside`` mask);
:func:`clip_table` runs level one on it as a single-video analysis would (no speech recognition:
these are face and body cues), with the shipped calibration in force. Research code: nothing at
analysis time imports it.
"""
from __future__ import annotations

import itertools
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from levelone.frametable import FrameTable

ROTATE_DEG = 15.0       # a clear head tilt; the cue's own threshold is 8 degrees from the baseline
RAMP_S = 0.4            # a real tilt takes a few hundred ms; a faster ramp reads as a head throw
SPAN_S = 3.0            # length of every frame edit
EDIT_AT_S = 3.0         # where frame edits start
SPLICE_NEUTRAL_COPIES = (2, 2)  # neutral clips before and after the spliced one
CRF = 12                # libx264 quality: near-lossless, the same for inside and outside frames
# An in-plane rotation is a head roll only for a face that looks at the camera: turned by yaw, the
# rotation about the camera's axis becomes part roll, part pitch in the head's own frame (the
# restaurant interview, yaw ~35 degrees, read a 15-degree rotation as 5-10 degrees of roll).
FRONTAL_MAX_DEG = 15.0  # median |yaw| over the span of the unedited clip, for a tilt edit to be faithful
JOIN_S = 0.5            # at each end of a frozen span the picture jumps; movement cues there read the join
CLOSURE_S = 2.0         # a blink's closed-eye frame held this long: eyes held shut (face.close2's behaviour)
# A frame counts as eyes shut under this fraction of the clip's median openness: well under the cue's own
# 0.5, since a frame caught part-way through a blink (marlin_video01: 0.45) is not a closure, and a held
# frame re-read by the tracking mesh opens up a little (0.125 -> 0.17 there).
CLOSED_RATIO = 0.35


@dataclass(frozen=True)
class EditedClip:
    """An edited video on disk and which of its decoded frames the edit touched."""

    path: Path
    inside: np.ndarray   # (n,) bool, one per decoded frame
    fps: float
    edit: str            # what was done, in words


def _rate(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def _frames(src: Path) -> tuple[Iterator[np.ndarray], float]:
    from levelone.media.video import probe, iter_frames
    from levelone.pipeline.vision import MAX_SIDE

    fps = float(probe(src).fps)
    return (rgb for _, _, rgb in iter_frames(src, max_side=MAX_SIDE)), fps


def _encode(frames: Iterable[np.ndarray], fps: float, out: Path, audio: list[str]) -> int:
    """Write ``frames`` (equal-sized rgb24) to ``out`` with libx264 at ``fps``; ``audio`` are the
    ffmpeg input arguments of the sound track (input 1). Returns the number of frames written."""
    it = iter(frames)
    first = next(it)
    h, w = first.shape[:2]
    cmd = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
           "-r", str(_rate(fps)), "-i", "-", *audio, "-map", "0:v:0"]
    if audio:
        cmd += ["-map", "1:a:0?", "-c:a", "aac", "-b:a", "128k"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(CRF), "-pix_fmt", "yuv420p", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    n = 0
    try:
        for rgb in itertools.chain([first], it):
            proc.stdin.write(np.ascontiguousarray(rgb, np.uint8).tobytes())
            n += 1
    finally:
        proc.stdin.close()
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed writing {out}: {err.strip()[:300]}")
    return n


def probe_frames(src: Path) -> int:
    """The number of frames that decode from ``src`` (the FrameTable's rows)."""
    from levelone.media.video import iter_frames
    return sum(1 for _ in iter_frames(src, max_side=64))


def span_frames(n: int, fps: float, start_s: float, span_s: float) -> tuple[int, int]:
    """[a, b) frame indices of a ``span_s`` edit from ``start_s`` in an ``n``-frame clip."""
    a = int(round(start_s * fps))
    return a, min(n, a + int(round(span_s * fps)))


def _edit_frames(src: Path, out: Path, start_s: float, span_s: float,
                 fn: Callable[[int, np.ndarray, int, int], np.ndarray], what: str) -> EditedClip:
    from levelone.media.video import probe

    n_listed = probe(src).n_frames
    frames, fps = _frames(src)
    a, b = span_frames(n_listed, fps, start_s, span_s)
    n = _encode((fn(i, rgb, a, b) for i, rgb in enumerate(frames)), fps, out, ["-i", str(src)])
    inside = np.zeros(n, bool)
    inside[a:b] = True
    return EditedClip(out, inside, fps, what)


def face_centre(src: Path, at_s: float) -> tuple[float, float] | None:
    """Pixel centre (x, y) of the face MediaPipe's detector finds in the frame at ``at_s`` (the
    decoded, ``MAX_SIDE``-scaled frame); None when there is none."""
    from levelone.pipeline.vision import _detector, face_boxes

    frames, fps = _frames(src)
    target = int(round(at_s * fps))
    for i, rgb in enumerate(frames):
        if i == target:
            boxes = face_boxes(_detector().process(rgb))
            if not len(boxes):
                return None
            x0, y0, x1, y1 = boxes[0]
            h, w = rgb.shape[:2]
            return float((x0 + x1) / 2 * w), float((y0 + y1) / 2 * h)
    return None


def tilt(src: Path, out: Path, deg: float = ROTATE_DEG, start_s: float = EDIT_AT_S, span_s: float = SPAN_S,
         ramp_s: float = RAMP_S, centre: tuple[float, float] | None = None) -> EditedClip:
    """Rotate the frames in-plane by ``deg`` (positive: counter-clockwise on screen) about ``centre``
    (pixels; default the frame centre) for ``span_s`` from ``start_s``, ramped linearly over
    ``ramp_s`` at each end; uncovered corners black."""
    import cv2

    def fn(i: int, rgb: np.ndarray, a: int, b: int) -> np.ndarray:
        if not a <= i < b:
            return rgb
        ramp = max(1, int(round(ramp_s * fps)))
        k = min(1.0, (i - a + 1) / ramp, (b - i) / ramp)
        h, w = rgb.shape[:2]
        c = centre if centre is not None else (w / 2, h / 2)
        m = cv2.getRotationMatrix2D(c, deg * k, 1.0)
        return cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    from levelone.media.video import probe
    fps = float(probe(src).fps)
    return _edit_frames(src, out, start_s, span_s, fn,
                        f"frames rotated {deg:g} degrees in-plane about the "
                        f"{'face' if centre is not None else 'frame centre'} for {span_s:g} s "
                        f"(ramped over {ramp_s:g} s)")


def freeze(src: Path, out: Path, start_s: float = EDIT_AT_S, span_s: float = SPAN_S) -> EditedClip:
    """Repeat the frame at ``start_s`` for ``span_s`` (the sound runs on)."""
    held: list[np.ndarray] = []

    def fn(i: int, rgb: np.ndarray, a: int, b: int) -> np.ndarray:
        if i == a:
            held.append(rgb)
        return held[0] if a <= i < b else rgb

    return _edit_frames(src, out, start_s, span_s, fn, f"one frame repeated for {span_s:g} s (a frozen face)")


def cut_away(src: Path, out: Path, start_s: float = EDIT_AT_S, span_s: float = SPAN_S) -> EditedClip:
    """Black frames for ``span_s`` from ``start_s``: the face leaves the picture (the sound runs on)."""
    def fn(i: int, rgb: np.ndarray, a: int, b: int) -> np.ndarray:
        return np.zeros_like(rgb) if a <= i < b else rgb

    return _edit_frames(src, out, start_s, span_s, fn, f"black frames for {span_s:g} s (a cut-away)")


def splice(neutral: Path, other: Path, out: Path, copies: tuple[int, int] = SPLICE_NEUTRAL_COPIES) -> EditedClip:
    """``other`` spliced between ``copies`` of ``neutral`` (same person, camera and size), sound
    included: the person's own recording under another emotion inside their neutral one."""
    from levelone.media.video import read_audio

    sr = 16000
    order = [neutral] * copies[0] + [other] + [neutral] * copies[1]
    fps = None
    counts, sounds = [], []
    for p in order:
        frames, f = _frames(p)
        fps = f if fps is None else fps
        counts.append(sum(1 for _ in frames))
        y = read_audio(p, sr=sr)
        want = int(round(counts[-1] / fps * sr))  # each clip's sound as long as its pictures: stays in sync
        sounds.append(np.pad(y[:want], (0, max(0, want - y.size))))
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "audio.f32"
        raw.write_bytes(np.concatenate(sounds).astype(np.float32).tobytes())
        n = _encode((rgb for p in order for rgb in _frames(p)[0]), fps, out,
                    ["-f", "f32le", "-ar", str(sr), "-ac", "1", "-i", str(raw)])
    inside = np.zeros(n, bool)
    a = sum(counts[:copies[0]])
    inside[a:a + counts[copies[0]]] = True
    return EditedClip(out, inside, fps, f"{other.stem} spliced between {copies[0]}+{copies[1]} copies of "
                                        f"{neutral.stem} (same person, sentence and camera)")


def clip_table(clip: EditedClip, person: str, calibration: dict | None = None) -> FrameTable:
    """Level one on an edited clip as ``ahcue analyze`` runs one video: its own baseline (blended
    with the population's), the shipped calibration (default) in force, no speech recognition."""
    from levelone.params import shipped_calibration
    from levelone.pipeline.assemble import signal_columns
    from levelone.pipeline.extract import VideoJob, raw_signals
    from levelone.training.calibrate import RefClip, clip_table as _table

    raw = raw_signals(VideoJob(clip.path.stem, person, clip.path), asr=False)
    if len(raw.data) != clip.inside.size:
        raise RuntimeError(f"{clip.path}: {len(raw.data)} frames decoded, {clip.inside.size} written")
    cal = shipped_calibration() if calibration is None else calibration
    return _table(RefClip(clip.path.stem, person, clip.path), signal_columns(raw.data), raw.fps, cal)


def span_yaw(table: FrameTable, inside: np.ndarray) -> float:
    """Median |yaw| (degrees) of the face over the ``inside`` frames: is the face frontal there?"""
    v = np.abs(table.data["face.yaw"].to_numpy(np.float64)[inside])
    return float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")


def closed_eyes_frame(table: FrameTable, span_s: float = CLOSURE_S, margin_s: float = 1.0) -> int | None:
    """The frame where both eyes are most closed (a blink), at least ``margin_s`` from the start and
    ``span_s + margin_s`` from the end; None when no frame is under ``CLOSED_RATIO`` of the usual
    openness (no blink to hold)."""
    d = table.data
    eo = np.fmax(d["face.eye_open_l"].to_numpy(np.float64), d["face.eye_open_r"].to_numpy(np.float64))
    fps = table.meta.fps
    lo, hi = int(round(margin_s * fps)), len(eo) - int(round((span_s + margin_s) * fps))
    if hi <= lo or not np.isfinite(eo[lo:hi]).any():
        return None
    k = lo + int(np.nanargmin(eo[lo:hi]))
    return k if eo[k] < CLOSED_RATIO * np.nanmedian(eo) else None


def interior(inside: np.ndarray, fps: float, join_s: float = JOIN_S) -> np.ndarray:
    """``inside`` without ``join_s`` at each end of each span (where a frozen picture jumps)."""
    from scipy import ndimage

    k = int(round(join_s * fps))
    return ndimage.binary_erosion(inside, np.ones(2 * k + 1, bool), border_value=0) if k else inside.copy()


def rates(runs: Iterable[tuple[FrameTable, np.ndarray]], cue: str, threshold: float = 0.5) -> dict:
    """Pooled over ``runs`` of (table, inside): hit rate inside, false rate outside (frames with a
    value), the frames behind each and the share of inside frames where ``cue`` is unmeasured (NaN)."""
    ins, outs, nan_in, n_in = [], [], 0, 0
    for table, inside in runs:
        v = table.data[f"cue.{cue}"].to_numpy(np.float64)
        has = np.isfinite(v)
        ins.append(v[inside & has] >= threshold)
        outs.append(v[~inside & has] >= threshold)
        nan_in += int((inside & ~has).sum())
        n_in += int(inside.sum())
    i, o = np.concatenate(ins), np.concatenate(outs)
    return {"hit": round(float(i.mean()), 3) if i.size else None,
            "false": round(float(o.mean()), 3) if o.size else None,
            "frames_inside": int(i.size), "frames_outside": int(o.size),
            "nan_share_inside": round(nan_in / n_in, 3) if n_in else None}
