"""How ``report.html`` gets the analysed video: a relative link, a copy beside the report, or the
file embedded in the page (``--video link|copy|embed|none``).

Light on purpose: ``ahcue analyze`` and ``ahcue report`` read :data:`VIDEO_MODES` to build their
command line, and importing the page's renderer (:mod:`reports.html`) for it would load pandas and
level two in every ``ahcue`` process before its first line of work.
"""
from __future__ import annotations

import base64
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from codebook.atomic import atomic_path
from codebook.errors import InputError

if TYPE_CHECKING:
    from leveltwo.predict import Prediction

# Containers browsers play (Chromium, Firefox, Safari): anything else is linked but may not play.
VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mp4", ".webm": "video/webm",
               ".ogv": "video/ogg", ".ogg": "video/ogg"}
VIDEO_MODES = ("link", "copy", "embed", "none")
EMBED_MAX_MB = 25.0  # --video embed refuses larger files: a report that big is slow to open and to mail


@dataclass(frozen=True)
class ReportVideo:
    """The video the report plays: ``src`` is what the page loads (a relative path or a ``data:``
    URI), ``None`` when there is none; ``note`` says how it is referenced or why it is absent."""

    src: str | None
    note: str
    playable: bool = True



def find_video(prediction: Prediction, out_dir: str | Path) -> Path | None:
    """The analysed video: ``prediction.source`` as given (relative to the working folder), or a
    file of that name beside the report (``--video copy`` put it there)."""
    if not prediction.source:
        return None
    src = Path(prediction.source)
    for candidate in (src if src.is_absolute() else Path.cwd() / src, Path(out_dir) / src.name):
        if candidate.is_file():
            return candidate.resolve()
    return None


def check_video_mode(video: str | Path, mode: str, embed_max_mb: float = EMBED_MAX_MB) -> None:
    """Refuse an unknown ``--video`` mode, or a video too large to embed, before any work is done."""
    if mode not in VIDEO_MODES:
        raise InputError(mode, f"not a video mode (one of {', '.join(VIDEO_MODES)})")
    size_mb = Path(video).stat().st_size / 1e6 if Path(video).is_file() else 0.0
    if mode == "embed" and size_mb > embed_max_mb:
        raise InputError(video, f"is {size_mb:.1f} MB, more than the {embed_max_mb:.0f} MB a report embeds; "
                                "use --video copy or link")


def report_video(prediction: Prediction, out_dir: str | Path, mode: str = "link",
                 embed_max_mb: float = EMBED_MAX_MB) -> ReportVideo:
    """How ``report.html`` in ``out_dir`` gets its video (see :data:`VIDEO_MODES`).

    ``link``: a relative path from the report to the file (nothing copied; the default);
    ``copy``: the file copied next to the report, then linked; ``embed``: inside the HTML as a
    ``data:`` URI, refused above ``embed_max_mb``; ``none``: no video. A video that cannot be found is
    said on the page with ``link``, and an error with ``copy`` or ``embed`` (they were asked for).
    """
    check_video_mode(prediction.source or "", mode if mode != "embed" else "link")
    if mode == "none":
        return ReportVideo(None, "No video in this report (rendered with --video none).")
    out_dir = Path(out_dir).resolve()
    path = find_video(prediction, out_dir)
    if path is None:
        if mode != "link":
            raise InputError(prediction.source or "video",
                             f"video not found, so --video {mode} cannot put it in the report")
        return ReportVideo(None, f"The analysed video ({prediction.source}) was not found from here, so this report "
                                 "cannot play it; the timeline still works. Render again where the video is "
                                 "(ahcue report OUTDIR), or with --video copy.")
    mime = VIDEO_TYPES.get(path.suffix.lower())
    if mode == "embed":
        size_mb = path.stat().st_size / 1e6
        if size_mb > embed_max_mb:
            raise InputError(path, f"is {size_mb:.1f} MB, more than the {embed_max_mb:.0f} MB a report embeds; "
                                   "use --video copy or link")
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return ReportVideo(f"data:{mime or 'video/mp4'};base64,{data}",
                           f"The video ({path.name}) is embedded in this file.", mime is not None)
    if mode == "copy":
        dest = out_dir / path.name
        if dest.resolve() != path:
            with atomic_path(dest) as tmp:
                shutil.copyfile(path, tmp)
        path = dest
        note = f"The video is the copy next to this report ({path.name}); keep them together."
    else:
        note = ("The video is linked by a relative path; keep the report and the video where they are "
                "(or render with --video copy or embed).")
    rel = Path(os.path.relpath(path, out_dir)).as_posix()
    return ReportVideo(quote(rel), note, mime is not None)
