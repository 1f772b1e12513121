"""One reader for every annotation format: ELAN ``.eaf``, the CSV ``ahcue`` documents, BAH's YAML.

:func:`read_annotation` picks the reader by suffix and checks that the file is about the video at
hand (the media an ELAN file links, a CSV's ``video_id``, the YAML entry's key). It sits above
:mod:`codebook.annotations`, :mod:`codebook.bah` and :mod:`codebook.eaf`, which it dispatches to.
"""
from __future__ import annotations

from pathlib import Path

from codebook.annotations import read_csv
from codebook.errors import InputError

def _find_video(entries: dict, video: Path) -> str | None:
    """The BAH annotation key naming this video file (by file name, then by stem)."""
    for match in (lambda k: Path(k).name == video.name, lambda k: Path(k).stem == video.stem):
        keys = [k for k in entries if match(str(k))]
        if len(keys) == 1:
            return keys[0]
    return None


def _eaf_media_names(path: Path) -> list[str]:
    """File names of the media an ELAN file links (empty when it links none)."""
    from pympi.Elan import Eaf

    try:
        descriptors = Eaf(str(path)).media_descriptors
    except Exception:  # unreadable here: read_eaf reports it properly
        return []
    names = []
    for d in descriptors:
        url = d.get("RELATIVE_MEDIA_URL") or d.get("MEDIA_URL") or ""
        if url:
            names.append(Path(url.replace("file://", "")).name)
    return names


def _same_video(name: str, video: Path, video_id: str | None) -> bool:
    name = Path(str(name)).name
    return name in (video.name, str(video)) or Path(name).stem in (video.stem, video_id)


def read_annotation(spec: str | Path, fps: float, n_frames: int | None, video: str | Path,
                     video_id: str | None = None):
    """The annotators' record of one video from any annotation format: ``.eaf``, ``.csv`` or BAH's
    annotation YAML (``FILE::KEY`` names the entry; a bare ``FILE`` finds the entry whose key ends
    in the video's file name). A CSV's ``video_id`` column, or the media an ELAN file links, must
    name this video. ``fps``/``n_frames``: the video's, to place the segments on its frames.
    """
    from codebook.bah import annotation_from_entry, load_yaml
    from codebook.eaf import read_eaf

    text = str(spec)
    key = None
    if "::" in text:
        text, key = text.split("::", 1)
    path = Path(text)
    video = Path(video)
    vid = video_id or video.stem
    if not path.is_file():
        raise InputError(path, "annotation file not found")
    suffix = path.suffix.lower()
    if suffix == ".eaf":
        media = _eaf_media_names(path)
        if media and not any(_same_video(m, video, vid) for m in media):
            raise InputError(path, f"links {media[0]!r}, not {video.name!r}: annotations for another video")
        return read_eaf(path, fps, video_id=vid, n_frames=n_frames)
    if suffix == ".csv":
        videos = read_csv(path, fps)
        chosen = [a for a in videos if _same_video(a.video_id, video, vid)]
        if len(chosen) != 1:
            raise InputError(path, f"no rows for video id {vid!r} (ids: {', '.join(a.video_id for a in videos[:5])})")
        return chosen[0]
    if suffix in (".yaml", ".yml"):
        entries = load_yaml(path)
        if not isinstance(entries, dict):
            raise InputError(path, "not a BAH annotation YAML (expected a mapping keyed by video path)")
        key = key or _find_video(entries, video)
        if key is None or key not in entries:
            raise InputError(path, f"no entry for {video.name!r} (name it as FILE::KEY)")
        return annotation_from_entry(key, entries[key], fps=fps, source=path)
    raise InputError(path, "annotations must be .eaf, .csv or BAH's annotation .yaml")
