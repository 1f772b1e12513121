"""Streaming video decode with PyAV: probe a file, stream RGB frames, read the audio track.

Why these choices:

- ``n_frames`` is the number of frames the decoder yields, counted by demuxing the video packets
  (cheap: no decoding) and dropping the packets an MP4/MOV edit list marks as discarded. The
  container's own frame count is missing for MPEG-PS (.mpg) and counts discarded packets in MP4,
  so it is only used to detect a truncated file (fewer packets present than the container lists).
- ``fps`` is the stream's *average* rate (frames / duration). For constant-rate video this is the
  nominal rate (25, 24000/1001, ...). Variable-rate phone video (e.g. HEVC .mov files tagged
  120 fps whose frames alternate between 1/24 s and 1/30 s) has a nominal tag that is only a
  timestamp resolution; indexing those frames on a 120 fps grid would invent four copies of every
  frame. We index frames by decode order on the average rate instead, and :func:`iter_frames`
  also yields each frame's true presentation time, so the drift is visible and bounded.
- Phone videos store portrait recordings landscape with a display matrix; frames are turned as
  ffmpeg's own player turns them (``frame.rotation``, counter-clockwise quarter turns), and
  ``width``/``height`` are the displayed size.
- Frames are converted and (optionally) downscaled in one libswscale step straight from the
  decoder's YUV planes, so a 7680x4320 input never exists as a full-size RGB array; only the
  current frame is held.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from codebook.errors import InputError

VERSION = "1"


@dataclass(frozen=True)
class VideoInfo:
    """What level one needs to know about a video before decoding it."""

    path: str
    fps: float
    n_frames: int
    width: int
    height: int
    duration_s: float
    has_video: bool
    has_audio: bool
    codec: str


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a directory, not a video file")
    if not path.is_file():
        raise InputError(path, "not a file")
    if path.stat().st_size == 0:
        raise InputError(path, "empty file (0 bytes)")


def _open(path: str | Path):
    """Open a container with PyAV; every failure a user can fix becomes an InputError."""
    import av

    path = Path(path)
    _check_file(path)
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise InputError(path, f"not a video ahcue can decode{_reason(err)}") from None


def _reason(err: BaseException) -> str:
    """': <ffmpeg's reason>' without error numbers or the repeated path ('' when it says nothing)."""
    import re

    text = _first_line(err)
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    text = re.sub(r":\s*'[^']*'$", "", text).strip()
    if not text or text == type(err).__name__:
        return ""
    return f" ({text[0].lower()}{text[1:]})"


def check_video(path: str | Path) -> None:
    """Raise :class:`InputError` unless PyAV opens ``path`` as a container with a video stream.

    Decided by probing the file's content (headers only, cheap), not its extension, so .flv, .m4v,
    .wmv, .3gp, .ts, .ogv ... work whenever ffmpeg reads them.
    """
    with _open(path) as container:
        if not container.streams.video:
            raise InputError(path, "not a video ahcue can decode (no video stream)")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _rate(stream) -> float:
    for r in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if r is not None and Fraction(r) > 0:
            return float(r)
    return 0.0


def _snap(fps: float, stream) -> float:
    """The measured rate, replaced by the stream's exact nominal rate when they agree within 0.2%."""
    for r in (stream.base_rate, stream.average_rate, stream.guessed_rate):
        if r is not None and Fraction(r) > 0 and abs(float(r) - fps) <= 0.002 * fps:
            return float(r)
    return fps


PROBES_KEPT = 64  # videos whose probe is remembered per process (a dataset's planning probes each once)


def probe(path: str | Path) -> VideoInfo:
    """Describe a video: rate, exact frame count, size, duration and which streams it has.

    Counting the frames reads every packet (a second for an hour of video), and a run asks twice
    (when planning, and again before the frames), so the answer is kept per process for the same
    file unchanged (path, size, modification time). Raises :class:`InputError` for a missing,
    empty, unreadable, video-less or truncated file.
    """
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return _probe(path, -1, -1)  # _open names the problem
    return _probe(path, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=PROBES_KEPT)
def _probe(path: Path, size: int, mtime_ns: int) -> VideoInfo:
    """:func:`probe` of ``path`` as it is at ``size`` bytes and ``mtime_ns`` (the cache key)."""
    import av

    with _open(path) as container:
        if not container.streams.video:
            raise InputError(path, "no video stream")
        stream = container.streams.video[0]
        has_audio = bool(container.streams.audio)
        listed = int(stream.frames or 0)
        n_packets = n_frames = 0
        first_pts = last_pts = None
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue  # the demuxer's end-of-stream marker
                n_packets += 1
                if packet.is_discard:
                    continue  # dropped by an edit list: the decoder never outputs it
                n_frames += 1
                if packet.pts is not None:
                    first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
                    last_pts = packet.pts if last_pts is None else max(last_pts, packet.pts)
        except av.error.FFmpegError as err:
            raise InputError(path, f"corrupt video data ({_first_line(err)})") from None
        if n_frames == 0:
            raise InputError(path, "video stream has no frames")
        if listed and n_packets < listed:
            raise InputError(path, f"truncated: the container lists {listed} video frames, "
                                   f"only {n_packets} are present")
        fps = _rate(stream)
        if first_pts is not None and stream.time_base is not None and n_frames > 1 and last_pts > first_pts:
            span = float((last_pts - first_pts) * stream.time_base)
            duration = span * n_frames / (n_frames - 1)  # n frame intervals, not n - 1
            fps = _snap(n_frames / duration, stream)
            duration = n_frames / fps  # so that frame / fps is the FrameTable's time axis
        else:
            duration = n_frames / fps if fps else 0.0
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
        if _quarter_turns(path) % 2:
            width, height = height, width  # a portrait phone video stored landscape
        return VideoInfo(path=str(path), fps=fps, n_frames=n_frames, width=width, height=height,
                         duration_s=float(duration), has_video=True, has_audio=has_audio,
                         codec=str(stream.codec_context.name))


def _turns(frame) -> int:
    """Quarter turns counter-clockwise that display needs (the stream's display matrix), 0-3."""
    return int(round(float(getattr(frame, "rotation", 0) or 0) / 90.0)) % 4


def _quarter_turns(path: Path) -> int:
    """:func:`_turns` of the first decodable frame (0 if none decodes)."""
    import av

    try:
        with _open(path) as container:
            for frame in container.decode(video=0):
                return _turns(frame)
    except av.error.FFmpegError:
        pass
    return 0


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) shrunk to fit ``max_side`` keeping the aspect ratio, even-sized; never enlarged."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    s = max_side / max(width, height)
    return max(2, int(round(width * s / 2)) * 2), max(2, int(round(height * s / 2)) * 2)


def iter_frames(path: str | Path, max_side: int | None = None,
                start: int = 0) -> Iterator[tuple[int, float, np.ndarray]]:
    """Stream ``(index, time_s, rgb)`` for every decoded frame, in presentation order.

    ``start``: the first frame yielded (a resumed run). Earlier frames are decoded but not
    converted: decoding from the start is what keeps every index and time stamp exactly those
    of a run from frame 0 (seeking lands on key frames and loses the count), at ~1-3 ms a frame
    against the ~25 ms a frame of the models.

    ``rgb`` is a fresh ``(h, w, 3)`` uint8 array, downscaled so its longer side is at most
    ``max_side`` (the scaling happens inside libswscale, from the decoder's planes).
    ``time_s`` is the frame's presentation time relative to the first frame; ``index`` counts
    frames from 0 and matches the rows of the FrameTable (see the module docstring for VFR).
    Raises :class:`InputError` if the data is corrupt or ends early.
    """
    import av

    path = Path(path)
    with _open(path) as container:
        if not container.streams.video:
            raise InputError(path, "no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ctx = stream.codec_context
        out_w, out_h = scaled_size(ctx.width, ctx.height, max_side)  # coded size; rotated after
        fps = _rate(stream) or 25.0
        tb = stream.time_base
        t0 = None
        index = 0
        listed = int(stream.frames or 0)
        n_discard = 0
        try:
            for frame in _decode(container, stream):
                if frame is None:
                    n_discard += 1
                    continue
                if frame.pts is not None and tb is not None:
                    t = float(frame.pts * tb)
                    t0 = t if t0 is None else t0
                    time_s = t - t0
                else:
                    time_s = index / fps
                if index < start:
                    index += 1
                    continue
                rgb = frame.to_ndarray(format="rgb24", width=out_w, height=out_h)
                turns = _turns(frame)
                rgb = np.ascontiguousarray(np.rot90(rgb, turns) if turns else rgb)
                yield index, time_s, rgb
                index += 1
        except av.error.FFmpegError as err:
            raise InputError(path, f"corrupt or truncated video data after frame {index} "
                                   f"({_first_line(err)})") from None
        if listed and index + n_discard < listed:
            raise InputError(path, f"corrupt or truncated video data: decoded {index} of the "
                                   f"{listed - n_discard} frames the container lists")


def _decode(container, stream):
    """Decoded frames in order, with a None for each packet an edit list discards (to count them)."""
    for packet in container.demux(stream):
        if packet.size and packet.is_discard:
            yield None
        yield from packet.decode()


def _audio_pieces(path: Path, sr: int):
    """The first audio stream's samples as float32 mono pieces at ``sr`` Hz, in order, and the
    stream's expected duration in seconds first (0 when the container does not say); nothing
    when there is no audio stream."""
    import av

    with _open(path) as container:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
        yield float(container.duration) / av.time_base if container.duration else 0.0
        try:
            for frame in _decode(container, stream):
                if frame is None:  # a packet the edit list discards
                    continue
                for out in resampler.resample(frame):
                    yield out.to_ndarray().reshape(-1)
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1)
        except av.error.FFmpegError as err:
            raise InputError(path, f"corrupt audio data ({_first_line(err)})") from None


def read_audio(path: str | Path, sr: int = 16000) -> np.ndarray:
    """The first audio stream as float32 mono at ``sr`` Hz; an empty array if there is none.

    Decoded into one buffer sized from the container's duration (grown if the stream runs
    longer), never a list of pieces joined at the end: that join held the waveform twice
    (an hour at 16 kHz: 230 MB each). :func:`audio_to_file` keeps it on disk instead.
    """
    pieces = _audio_pieces(Path(path), sr)
    expected_s = next(pieces, None)
    if expected_s is None:
        return np.zeros(0, np.float32)
    buf = np.empty(int(expected_s * sr) + sr, np.float32)  # one second of margin
    filled = 0
    for a in pieces:
        if filled + a.size > buf.size:
            bigger = np.empty(max(2 * buf.size, filled + a.size), np.float32)
            bigger[:filled] = buf[:filled]
            buf = bigger
        buf[filled:filled + a.size] = a
        filled += a.size
    return buf[:filled].copy() if filled < buf.size - sr else buf[:filled]


def audio_to_file(path: str | Path, target: str | Path, sr: int = 16000):
    """:func:`read_audio`'s waveform written to ``target`` as it is decoded: a
    :class:`levelone.media.audio.SignalFile` (empty when there is no audio stream), so a long
    recording's waveform is never in memory whole."""
    from levelone.media.audio import SignalFile

    out = SignalFile(target, sr)
    try:
        pieces = _audio_pieces(Path(path), sr)
        next(pieces, None)  # the expected duration: not needed here
        for a in pieces:
            out.append(a)
    finally:
        out.close()
    return out
