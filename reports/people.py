"""The report's "People in the recording" section: who was seen, who was analysed, whose speech
was set aside.

:func:`render_people` turns ``prediction.people`` (:class:`leveltwo.predict.People`) into an
escaped HTML fragment: one line when the person was alone; otherwise a still frame of the video
with the analysed person boxed and the others marked, how each was chosen, the share of speech
that was someone else's, and a strip of the other speakers' turns over the video's length whose
turns seek the report's video when clicked (``data-seek-s``). Nothing here reads a FrameTable:
the prediction says it all, and the still frame is read from the video when it can be found.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path

STILL_MAX_SIDE = 480  # pixels of the embedded still frame's longer side
MAX_LISTED = 5  # stretches of someone else listed by time; the rest are counted
FEW_FACE_SHARE = 0.5  # below this part of the video with the analysed face, face evidence is said to be thin


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, float(seconds)), 60.0)
    return f"{int(m)}:{s:04.1f}"


def still_frame(source: str | Path, at_s: float, max_side: int = STILL_MAX_SIDE) -> tuple[bytes, int, int] | None:
    """(JPEG bytes, width, height) of the video's frame at ``at_s``, or None when it cannot be read."""
    try:
        import cv2

        from levelone.media.video import iter_frames, probe

        info = probe(source)
        target = int(round(at_s * info.fps)) if info.fps else 0
        for i, _t, rgb in iter_frames(source, max_side=max_side):
            if i >= target:
                ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
                return (buf.tobytes(), rgb.shape[1], rgb.shape[0]) if ok else None
    except Exception:  # noqa: BLE001 - a missing or unreadable video only costs the picture
        return None
    return None


def _figure(people, source: str | None) -> str:
    analysed = people.analysed
    seen = next((p for p in people.faces if p.index == analysed), people.faces[0])
    frame = still_frame(source, seen.still_s) if source else None
    w, h = (frame[1], frame[2]) if frame else (640, 360)
    parts = [f'<svg class="people-still" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
             f'aria-label="Still frame at {_e(_clock(seen.still_s))} with the analysed person boxed">']
    if frame:
        data = base64.b64encode(frame[0]).decode("ascii")
        parts.append(f'<image href="data:image/jpeg;base64,{data}" x="0" y="0" width="{w}" height="{h}"/>')
    else:
        parts.append(f'<rect x="0" y="0" width="{w}" height="{h}" fill="#eee"/>')
    for p in people.faces:
        x0, y0, x1, y1 = (p.box[0] * w, p.box[1] * h, p.box[2] * w, p.box[3] * h)
        mine = p.index == analysed
        colour = "#1a7f37" if mine else "#cf222e"
        dash = "" if mine else ' stroke-dasharray="6 4"'
        label = f"person {p.index}" + (" (analysed)" if mine else "")
        parts.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="none" '
                     f'stroke="{colour}" stroke-width="3"{dash}/>')
        parts.append(f'<text x="{x0:.1f}" y="{max(12.0, y0 - 4):.1f}" fill="{colour}" font-size="14" '
                     f'font-weight="bold">{_e(label)}</text>')
    parts.append("</svg>")
    caption = (f"Frame at {_clock(seen.still_s)}. Green box: the person analysed; red dashed: others." if frame else
               "The video could not be read for a still frame; the boxes show where each face was.")
    return (f'<figure class="people" data-seek-s="{seen.still_s:.3f}">{"".join(parts)}'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _turns_strip(people, duration_s: float) -> str:
    if not people.other_turns or duration_s <= 0:
        return ""
    spans = []
    for t in people.other_turns:
        left = 100.0 * t.start_s / duration_s
        width = max(0.5, 100.0 * (t.end_s - t.start_s) / duration_s)
        spans.append(f'<span class="other-turn" data-seek-s="{t.start_s:.3f}" title="someone else speaks '
                     f'{_e(_clock(t.start_s))}&ndash;{_e(_clock(t.end_s))}" style="position:absolute;left:{left:.2f}%;'
                     f'width:{width:.2f}%;top:0;bottom:0;background:#cf222e;cursor:pointer"></span>')
    listed = ", ".join(f'<a href="#" data-seek-s="{t.start_s:.3f}">{_e(_clock(t.start_s))}&ndash;'
                       f'{_e(_clock(t.end_s))}</a>' for t in people.other_turns)
    return ('<div class="other-turns" style="position:relative;height:14px;background:#f0f0f0;margin:6px 0" '
            f'aria-label="Other speakers\' turns over the video">{"".join(spans)}</div>'
            f"<p>Someone else speaks at {listed} (click to watch).</p>")


def render_people(prediction, source: str | None = None) -> str:
    """The "People in the recording" section of the report, as escaped HTML ("" for a prediction
    made before people were tracked). ``source`` is the video to take the still frame from
    (default: the prediction's source)."""
    people = getattr(prediction, "people", None)
    if people is None:
        return ""
    source = prediction.source if source is None else source
    out = ['<section class="people" id="people"><h2>People in the recording</h2>']
    n = len(people.faces)
    speech = dict(people.speech or {})
    others_pct = int(round(100 * speech.get("others", 0.0)))
    unsure_pct = int(round(100 * speech.get("unsure", 0.0)))
    if people.analysed is None:
        out.append("<p>No face was found in the recording: face, head and body evidence cannot be assessed.</p>")
    elif people.alone:
        out.append("<p>One person in the recording.</p>")
    else:
        if n >= 2:
            out.append(_figure(people, source))
            seen = "; ".join(f"person {p.index}: on screen {p.seen_s:.1f} s" for p in people.faces)
            out.append(f"<p>{n} people were seen ({_e(seen)}). Analysed: person {people.analysed}, chosen by "
                       f"{_e(people.rule)}. Only their face, head and body were measured; the others' were not.</p>")
        elif not people.someone_else:  # a cut to someone else is said below
            out.append("<p>One face in the recording; someone else is heard (off screen).</p>")
    if people.someone_else:
        shown = sum(t.end_s - t.start_s for t in people.someone_else)
        when = ", ".join(f"{_clock(t.start_s)}\u2013{_clock(t.end_s)}" for t in people.someone_else[:MAX_LISTED])
        more = f" and {len(people.someone_else) - MAX_LISTED} more" if len(people.someone_else) > MAX_LISTED else ""
        out.append(f"<p>The camera cut to someone else in this person's place {len(people.someone_else)} "
                   f"time{'s' if len(people.someone_else) != 1 else ''} ({shown:.1f} s in all: {_e(when)}{more}): "
                   "a different face (face recognition), so their face, head and body there were not measured as "
                   "this person's, and speech that follows their mouth was set aside.</p>")
    if people.analysed is not None and people.face_share < FEW_FACE_SHARE:
        out.append(f"<p>The analysed person's face was found in only {int(round(100 * people.face_share))}% of the "
                   "video: their face and head cannot be assessed for the rest.</p>")
    if speech and (others_pct or people.other_turns):
        out.append(f"<p>{others_pct}% of the speech was someone else's and was set aside: it does not count as this "
                   f"person's voice or words (their words are kept only as the conversation's context)"
                   + (f"; {unsure_pct}% could not be attributed either way and was kept" if unsure_pct else "")
                   + ".</p>")
    out.append(_turns_strip(people, float(prediction.duration_s)))
    out.append("</section>")
    return "".join(out)


__all__ = ["render_people", "still_frame"]
