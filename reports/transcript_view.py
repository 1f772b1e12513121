"""The report's "What was heard" panel: the transcript the language evidence came from.

Shown in every report, also when no segment was found, so a clinician can check what the
language cues rest on: where the words came from (a given file, or offline recognition with
its model), the language identified and its probability, and every word with its time, uncertain
words greyed (they never count as evidence; hovering shows why). Collapsed by default. Each
phrase time and word carries ``data-seek-s`` (seconds) so the report's script can seek the video.
Every string from ``prediction.json`` is escaped.
"""
from __future__ import annotations

import html

PHRASE_GAP_S = 0.6  # a pause this long starts a new line of the transcript



def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _clock(seconds: float) -> str:
    s = max(0.0, float(seconds))
    return f"{int(s // 60)}:{s % 60:04.1f}"


def _language(t) -> str:
    from levelone.media.transcript import language_name

    if t.source == "file":
        return "Language: not checked (transcript given; read as English)."
    if t.language is None:
        return "Language: not identified."
    return f"Language: {language_name(t.language)} (probability {float(t.language_probability):.2f})."


def _phrases(words) -> list[list]:
    out: list[list] = []
    for w in words:
        if out and float(w.start_s) - float(out[-1][-1].end_s) < PHRASE_GAP_S:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _word(w) -> str:
    seek = f'data-seek-s="{float(w.start_s):.2f}"'
    if w.uncertain:
        why = f"uncertain transcription: {w.reason}" if w.reason else "uncertain transcription"
        return f'<span class="w uncertain" {seek} title="{_e(why)}">{_e(w.text)}</span>'
    return f'<span class="w" {seek}>{_e(w.text)}</span>'


def render_transcript(prediction) -> str:
    """The transcript panel as an escaped HTML fragment (styled by reports/data/report.css)."""
    t = getattr(prediction, "transcript", None)
    head = "<section class=\"transcript\" id=\"transcript\"><h2>What was heard</h2>"
    if t is None:
        return head + ("<p>No transcript: none was given and no speech was recognised (no audio track, "
                       "recognition turned off, or an older prediction.json).</p></section>")
    source = (f"Words from the transcript file {_e(t.model)}." if t.source == "file" else
              f"Words recognised offline by {_e(t.model)} (deterministic: the same audio gives the same words).")
    parts = [head, f'<p class="lang">{_e(_language(t))} {source}</p>']
    says = [s for s in (t.note, "" if t.language_cues == "measured" else t.language_cues) if s]
    parts += [f'<p class="say">{_e(s[:1].upper() + s[1:])}.</p>' for s in says]
    n = len(t.words)
    if not n:
        parts.append("<p>No words were recognised.</p></section>")
        return "".join(parts)
    n_unc = sum(1 for w in t.words if w.uncertain)
    lines = "".join(f'<div class="phrase"><span class="t" data-seek-s="{float(p[0].start_s):.2f}">'
                    f'{_clock(p[0].start_s)}</span>{" ".join(_word(w) for w in p)}</div>' for p in _phrases(t.words))
    legend = ('<p class="legend"><span class="uncertain">grey words</span>: uncertain transcription '
              "(possibly not said; kept out of the language evidence). Click a time or word to go there in "
              "the video.</p>")
    parts.append(f"<details><summary>Transcript: {n} word{'s' if n != 1 else ''}, {n_unc} uncertain "
                 f"({100 * n_unc / n:.0f}%)</summary>{legend}{lines}</details></section>")
    return "".join(parts)
