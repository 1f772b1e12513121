"""What an input names: a video, a folder of videos or a BAH root -> the videos to extract.

Participants: a BAH root's ``Videos/<pid>/`` (via :class:`codebook.bah.BAHDataset`); elsewhere the
file stem (each file is taken to be its own person). Transcripts: an explicit file (single video),
BAH's Whisper ``.yml`` (BAH root), else a sidecar file with the video's stem and a known extension.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from codebook.errors import InputError
from levelone.pipeline.cache import safe_name

# Extensions a folder scan picks up; a single file is accepted by probing its content instead.
VIDEO_EXTENSIONS = (".mp4", ".mov", ".mpg", ".mpeg", ".avi", ".webm", ".mkv", ".flv", ".m4v", ".wmv", ".3gp",
                    ".ts", ".mts", ".m2ts", ".ogv", ".vob", ".mxf", ".asf", ".f4v", ".divx")
TRANSCRIPT_EXTENSIONS = (".srt", ".vtt", ".eaf", ".json", ".yml", ".yaml")


@dataclass(frozen=True)
class VideoJob:
    """One video to extract; picklable, it travels to the worker processes."""

    video_id: str
    participant_id: str
    path: Path
    transcript: Path | None = None
    speaker: str | None = None  # the person's label in a multi-speaker transcript (load_conversation)
    neutral: bool = False  # a recording of the person declared neutral: baseline and reference only
    person: str | None = None  # --person: which face is the participant (levelone.face.people.choose_person)


@dataclass
class Plan:
    """What an input names: ``kind`` is ``video``, ``folder`` or ``bah``."""

    kind: str
    root: Path
    jobs: list[VideoJob]


def is_bah_root(path: str | os.PathLike) -> bool:
    """A BAH root holds ``split/`` and ``Videos/``."""
    p = Path(path)
    return (p / "split").is_dir() and (p / "Videos").is_dir()


def _sidecar_transcript(video: Path, say: bool = False) -> Path | None:
    """The transcript file beside ``video`` (same stem, a transcript extension), or None.

    A ``.json`` that is not a transcript (e.g. ``ahcue predict x.mp4 --json > x.json``, which the
    shell creates empty before the command runs) is passed over. With ``say`` (a single video), one
    line on stderr says which file is used, or why a candidate is not.
    """
    for ext in TRANSCRIPT_EXTENSIONS:
        cand = video.with_suffix(ext)
        if not cand.is_file():
            continue
        problem = _not_a_transcript(cand)
        if problem:
            if say:
                print(f"ahcue: not reading {cand} as the transcript: {problem}", file=sys.stderr)
            continue
        if say:
            print(f"ahcue: transcript: {cand} (beside the video; --transcript FILE names another)", file=sys.stderr)
        return cand
    return None


def _not_a_transcript(path: Path) -> str | None:
    """Why a ``.json`` beside a video is not a transcript (None when it may be one)."""
    if path.suffix.lower() != ".json":
        return None
    import json

    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "empty or not JSON"
    if isinstance(data, dict) and ("frame_probability" in data or "ahcue_version" in data):
        return "it is an ahcue prediction, not a transcript"
    items = data.get("segments", data.get("words", data.get("chunks"))) if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) and any(k in i for k in ("text", "word", "words"))
                                              for i in items[:20]):
        return "no words or segments in it (not a transcript)"
    return None


def plan(input: str | os.PathLike, transcript: str | os.PathLike | None = None, speaker: str | None = None,
         neutral: str | os.PathLike | None = None, person: str | None = None) -> Plan:
    """Resolve an input path to the videos it names, with participant ids and transcripts.

    ``speaker`` names the person in every video's transcript (a JSON speaker label or an ELAN
    tier; :func:`levelone.media.transcript.load_conversation`). ``neutral`` (one video only) is a
    recording of the same person declared neutral: it joins their baseline and is the reference
    of their facial affect (:func:`levelone.face.cues.declare_neutral`), and gets no FrameTable.
    ``person`` (``--person``) says which face is the participant where several are seen
    (:func:`levelone.face.people.choose_person`); not to the neutral recording (its default rule).
    """
    from levelone.face.people import parse_person

    person = parse_person(person)  # a malformed --person fails now
    p = _plan(input, transcript)
    if person is not None:
        p.jobs = [replace(j, person=person) for j in p.jobs]
    if neutral is not None:
        p.jobs.append(_neutral_job(p, Path(neutral)))
    if speaker is not None:
        if p.kind == "video" and p.jobs[0].transcript is None:
            raise InputError(input, "--speaker names a speaker of a transcript: give one with --transcript")
        p.jobs = [j if j.neutral else replace(j, speaker=speaker) for j in p.jobs]
    if p.kind == "video" and p.jobs[0].transcript is not None:  # a wrong speaker fails now, not after vision
        from levelone.media.transcript import load_conversation
        load_conversation(p.jobs[0].transcript, speaker=speaker)
    return p


def _neutral_job(p: Plan, path: Path) -> VideoJob:
    if p.kind != "video":
        raise InputError(path, "--neutral applies to a single video, not to a folder or dataset")
    if not path.is_file():
        raise InputError(path, "neutral recording not found")
    from levelone.media.video import check_video

    check_video(path)
    video = p.jobs[0]
    if path.resolve() == video.path.resolve():
        raise InputError(path, "the neutral recording is the video itself")
    return VideoJob(f"{video.video_id}.neutral", video.participant_id, path, _sidecar_transcript(path), neutral=True)


def _plan(input: str | os.PathLike, transcript: str | os.PathLike | None) -> Plan:
    path = Path(input)
    if not path.exists():
        raise InputError(path, "not found")
    if transcript is not None and not Path(transcript).is_file():
        raise InputError(transcript, "transcript file not found")
    if path.is_file():
        from levelone.media.video import check_video

        check_video(path)  # decided by content, not extension
        tr = Path(transcript) if transcript is not None else _sidecar_transcript(path, say=True)
        return Plan("video", path.parent, [VideoJob(path.stem, path.stem, path, tr)])
    if transcript is not None:
        raise InputError(transcript, "--transcript applies to a single video, not to a folder")
    if is_bah_root(path):
        return Plan("bah", path, _bah_jobs(path))
    videos = sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if not videos:
        raise InputError(path, "no videos found (looked for " + " ".join(VIDEO_EXTENSIONS) + ")")
    jobs = []
    for v in videos:
        vid = v.relative_to(path).with_suffix("").as_posix()
        jobs.append(VideoJob(vid, v.stem, v, _sidecar_transcript(v)))
    _check_unique(path, jobs)
    return Plan("folder", path, jobs)


def _bah_jobs(root: Path) -> list[VideoJob]:
    from codebook.bah import BAHDataset

    seen: dict[str, VideoJob] = {}
    for v in BAHDataset(root).videos():  # every split present, in file order
        path = Path(v.path)
        tr = v.transcript_path
        tr = Path(tr) if tr is not None and Path(tr).is_file() else None
        seen.setdefault(str(path), VideoJob(path.stem, str(v.participant_id), path, tr))
    if not seen:
        raise InputError(root, "BAH root lists no videos in split/*.txt")
    jobs = list(seen.values())
    _check_unique(root, jobs)
    return jobs


def _check_unique(root: Path, jobs: list[VideoJob]) -> None:
    names: dict[str, VideoJob] = {}
    for j in jobs:
        other = names.setdefault(safe_name(j.video_id), j)
        if other is not j:
            raise InputError(root, f"two videos map to one output name: {other.path} and {j.path}")
