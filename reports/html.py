"""The clinician report: one self-contained ``report.html`` rendered from ``prediction.json``.

The report leads with the answer and says what the number behind it is (a score on a 0-1 scale,
from which model, trained on A/H data or the untrained codebook prior); scores within
``ReportOptions.borderline_margin`` of the threshold read "borderline"; a video without a face and
without words, or without a person, reads "cannot assess", with why. Then the video beside an
interactive timeline (every cue active anywhere), one card per predicted segment explained in the
codebook's own cue vocabulary (the cues active in it, ranked by their share of the evidence, with the whole evidence broken down
to 100%), the annotators' segments, a glossary of every cue and pair shown, what evidence was
missing and what the model is. It is rendered only from ``prediction.json`` and the FrameTable
(``features.parquet``), so ``ahcue report`` re-renders without running any model.

The page is one file: the CSS and the page's own script (``reports/data``) are inlined, the
timeline is inline SVG (:func:`reports.figures.timeline_svg`), and the video is linked by a
relative path, copied beside the report or embedded (:func:`reports.video.report_video`); it loads nothing from
the network. Every string that comes from a file (transcript, file names, model card, cue names,
the keys of any mapping) passes through :func:`html.escape`; the script reads only numbers and
escaped attributes, and any element with ``data-seek-s="<seconds>"`` seeks the video when clicked.
"""
from __future__ import annotations

import html
import json
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from codebook.atomic import atomic_path, write_text
from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary
from levelone.frametable import SOURCE_MODALITY
from leveltwo.predict import Prediction, Segment
from reports.video import EMBED_MAX_MB, ReportVideo, report_video

MISSING_WORDS = {
    "face": "no face was found, so facial cues and facial affect could not be measured",
    "language": "no transcript or no recognisable words, so language cues could not be measured",
    "audio": "no speech was detected in the audio, so vocal cues could not be measured",
    "body": "no body pose was found, so body cues could not be measured",
}
NO_AUDIO_TRACK = "the video has no audio track, so vocal cues could not be measured"
AUDIO_UNKNOWN = "no speech was found (no audio track, or no speech in it), so vocal cues could not be measured"
SOURCE_TO_MODALITY = SOURCE_MODALITY


@dataclass(frozen=True)
class ReportOptions:
    """What the report calls borderline, active and thin."""

    borderline_margin: float = 0.05   # |score - threshold| below this reads "borderline"
    active_threshold: float = 0.5     # a cue is active on a frame at or above this activation
    min_active_fraction: float = 0.1  # a cue is listed for a segment when active on this part of it
    min_active_frames: int = 3        # a cue gets a timeline row when active on this many frames
    thin_share: float = 0.10          # evidence is "spread thin" when no listed cue carries this much
    max_timeline_rows: int = 40       # beyond this the timeline names the cues it leaves out


OPTIONS = ReportOptions()


def _e(value) -> str:
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def clock(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (or ``m:ss.s`` with ``decimals=1``) for a time in seconds, rounded to nearest."""
    seconds = max(0.0, float(seconds))
    minutes, rest = divmod(seconds, 60.0)
    if decimals:
        text = f"{rest:0{3 + decimals}.{decimals}f}"
        if text.startswith("60"):
            minutes, text = minutes + 1, f"{0:0{3 + decimals}.{decimals}f}"
        return f"{int(minutes)}:{text}"
    whole = int(round(rest))
    if whole == 60:
        minutes, whole = minutes + 1, 0
    return f"{int(minutes)}:{whole:02d}"


def span(start_s: float, end_s: float) -> str:
    """'0:11.7–0:15.0': tenths, the start rounded up and the end down, so no time lies outside the span."""
    a = math.ceil(round(float(start_s) * 10, 6)) / 10
    b = math.floor(round(float(end_s) * 10, 6)) / 10
    if b < a:  # shorter than a tenth: the nearest tenth for both
        a = b = round(float(start_s), 1)
    return f"{clock(a, 1)}\u2013{clock(b, 1)}"


def _spans(segs) -> str:
    spans = [span(s.start_s, s.end_s) for s in segs]
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]


def missing_modalities(prediction: Prediction, table=None) -> list[str]:
    """Codebook modalities with no evidence, from the prediction and the FrameTable metadata."""
    missing = list(prediction.missing_modalities)
    if table is not None:
        for source in table.meta.missing or []:
            m = SOURCE_TO_MODALITY.get(source, source)
            if m not in missing:
                missing.append(m)
    return [m for m in MODALITIES if m in missing] + [m for m in missing if m not in MODALITIES]


def assessable(prediction: Prediction, table=None) -> tuple[bool, str]:
    """Whether the video can be assessed at all, and why not: A/H shows in what a person says and
    how their face moves; with neither, or with no person in view, a score would rest on too little."""
    missing = set(missing_modalities(prediction, table))
    if {"face", "body"} <= missing:
        return False, "no person was found in the video (no face and no body pose)"
    if {"face", "language"} <= missing:
        return False, "neither a face nor any words were available, and A/H shows mostly in these two"
    return True, ""


def _score(p: float, threshold: float) -> str:
    """The score with enough decimals that it never prints as the threshold it is not."""
    text = f"{p:.2f}"
    if text == f"{threshold:.2f}" and p != threshold:
        text = f"{p:.3f}"
    return text


def verdict(prediction: Prediction, options: ReportOptions = OPTIONS) -> str:
    """'likely', 'not likely', 'borderline' or 'cannot assess' (without the table's metadata)."""
    p, thr = float(prediction.probability), float(prediction.threshold)
    if prediction.aggregation == "majority":
        thr = 0.5
    if abs(p - thr) < options.borderline_margin:
        return "borderline"
    return "likely" if prediction.label else "not likely"


def headline(prediction: Prediction, table=None, options: ReportOptions = OPTIONS) -> str:
    """The one-line answer, e.g. ``A/H likely (score 0.78 of 1): 2 segments, at 0:04.0–0:09.0 and …``."""
    ok, why = assessable(prediction, table)
    if not ok:
        return f"Cannot assess A/H: {why}"
    p, thr = float(prediction.probability), float(prediction.threshold)
    segs = prediction.segments
    v = verdict(prediction, options)
    score = _score(p, thr)
    if v == "borderline":
        lean = "just above" if p >= thr else "just below"
        text = f"Borderline (A/H score {score}, {lean} the threshold {thr:.2f})"
    else:
        text = f"A/H {v} (A/H score {score}, threshold {thr:.2f})"
    if not segs:
        return f"{text}: " + ("no single segment long enough to mark" if prediction.label
                              else "no segment above the threshold")
    return f"{text}: {len(segs)} segment{'s' if len(segs) != 1 else ''}, at {_spans(segs)}"


def what_the_score_is(prediction: Prediction) -> str:
    """One sentence beside the headline: which model made the score and what it is not."""
    m = prediction.model
    if m.trained:
        made = f"from a {m.kind} model trained on A/H-annotated videos (model {m.id})"
    else:
        made = (f"from the untrained codebook prior ({m.kind}): its weights come from the published BAH cue "
                "statistics, not from learning on A/H data, so the score is not validated")
    return (f"The A/H score runs from 0 to 1 and is {made}. It is a model score, not a probability "
            f"that the person is ambivalent and not a p-value.")


def percentages(values: dict[str, float]) -> dict[str, int]:
    """Whole percentages that add up to exactly 100 (largest remainder); zero shares stay 0."""
    total = sum(max(0.0, v) for v in values.values())
    if total <= 0:
        return {k: 0 for k in values}
    raw = {k: 100.0 * max(0.0, v) / total for k, v in values.items()}
    out = {k: int(math.floor(r)) for k, r in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:100 - sum(out.values())]:
        out[k] += 1
    return out


def _share_bar(percent: int) -> str:
    width = max(2, int(round(0.8 * max(0, min(100, percent)))))
    return f'<span class="share" style="width:{width}px"></span>{percent}%'


def evidence_breakdown(seg: Segment) -> dict[str, int]:
    """The segment's evidence in whole percent, adding to 100: each modality's cues, the conflicts
    between modalities, the temporal context, and anything else the model does not attribute."""
    parts = {m: seg.modality_share(m) for m in MODALITIES}
    parts["conflict between modalities"] = seg.pair_share
    parts["temporal context"] = seg.context_share
    parts["not attributable to a cue"] = seg.other_share
    return percentages(parts)


def active_cues(seg: Segment, options: ReportOptions = OPTIONS, stated: bool = False) -> list:
    """The cues active on at least ``min_active_fraction`` of the segment, by share of evidence. With
    ``stated`` (a model-stated explanation: a language model named its cues), the cues the model named
    are listed too, first, even where level one did not measure them active: they are its explanation."""
    cues = [c for c in seg.cues if c.active_fraction >= options.min_active_fraction or (stated and c.share > 0)]
    return sorted(cues, key=lambda c: (-c.share, -c.activation, c.id))


def _pct(share: float) -> str:
    v = 100.0 * float(share)
    return "<1%" if 0 < v < 0.5 else f"{v:.0f}%"


# Within-modality conflict terms that level one did not name (it names language's "Ambivalence in
# talk"): what the detector's within term measures there, in words (leveltwo/features.py).
WITHIN_WORDS: dict[str, tuple[str, str]] = {
    "face": ("Conflict within the face",
             "the face's own affect swung both ways (positive and negative) within a few seconds"),
    "audio": ("Conflict within the voice",
              "the voice's own affect swung both ways within a few seconds"),
    "body": ("Conflict within the body",
             "the body's and head's own affect swung both ways within a few seconds"),
    "language": ("Conflict within the words",
                 "the words' own sentiment swung both ways within a few seconds"),
}


def within_terms(seg: Segment) -> list[tuple[str, str, float]]:
    """(name, definition, share) of a segment's within-modality conflicts with at least 1% of its
    evidence; a term the prediction left undefined gets :data:`WITHIN_WORDS`' name and definition."""
    out = []
    for w in seg.within:
        share = float(w.get("share", 0.0) or 0.0)
        if round(100 * share) < 1:
            continue
        name, definition = str(w.get("name", "") or ""), str(w.get("definition", "") or "")
        if not definition:
            name, definition = WITHIN_WORDS.get(str(w.get("id", "")), (name or "Conflict within one modality",
                                                                     "its own signals pulled both ways"))
        out.append((name, definition, share))
    return out


def cues_active_in(table, start_frame: int, end_frame: int,
                   options: ReportOptions = OPTIONS) -> list[tuple[str, float, float]]:
    """(cue id, mean activation, active fraction) of every cue active on at least
    ``min_active_fraction`` of frames start..end in the FrameTable, most active first."""
    if table is None:
        return []
    import numpy as np

    out = []
    for col in table.cue_columns():
        v = table.data[col].to_numpy(np.float64)[start_frame:end_frame + 1]
        if not v.size or not np.isfinite(v).any():
            continue
        frac = float((np.nan_to_num(v, nan=0.0) >= options.active_threshold).mean())
        if frac >= options.min_active_fraction:
            out.append((col[len("cue."):], float(np.nanmean(v)), frac))
    return sorted(out, key=lambda c: (-c[2], -c[1], c[0]))


def _name(cue_id: str, voc: Vocabulary, fallback: str = "") -> str:
    from reports.figures import cue_label

    return cue_label(cue_id, voc) if cue_id in voc else (fallback or cue_id)


def _cue_rows(seg: Segment, voc: Vocabulary, options: ReportOptions, table=None, approximate: bool = False,
              stated: bool = False) -> str:
    cues = active_cues(seg, options, stated)
    if not cues or approximate and not any(c.share > 0 for c in cues):
        # No cue carries a share (a fusion model weighs whole modalities): list the cues that were
        # active, from the FrameTable, and say why they have no share; never "no cue was active".
        active = cues_active_in(table, seg.start_frame, seg.end_frame, options)
        if not active and cues:
            active = [(c.id, c.activation, c.active_fraction) for c in cues]
        why = ("This model weighs whole modalities, not single cues, so no cue has a share of its own"
               if approximate else "None of them carried a share of the model's evidence")
        if active:
            rows = "".join(f"<tr><td><strong>{_e(_name(c, voc))}</strong> "
                           f"<span class=\"mod\">{_e(c.split('.')[0])}</span></td>"
                           f"<td class=\"num\">{act:.2f}</td><td class=\"num\">{100 * frac:.0f}%</td></tr>"
                           for c, act, frac in active)
            return (f'<p class="thin">{_e(why)}; the cues active in this segment were:</p>'
                    "<table><thead><tr><th>Active cue</th><th class=\"num\">Mean activation</th>"
                    "<th class=\"num\">Active for</th></tr></thead><tbody>" + rows + "</tbody></table>")
        if table is None and approximate:
            return (f'<p class="thin">{_e(why)}; which cues were active is not known without the '
                    'features file (features.parquet).</p>')
        return ('<p class="thin">No codebook cue was active in this segment; the evidence came from weak '
                'activity spread over many cues, conflicts and the temporal context.</p>')
    rows = []
    for cue in cues:
        name = _name(cue.id, voc, cue.name)
        width = max(2, int(round(80 * max(0.0, min(1.0, cue.share)))))
        rows.append(f"<tr><td><strong>{_e(name)}</strong> <span class=\"mod\">{_e(cue.modality)}</span></td>"
                    f"<td class=\"num\">{cue.activation:.2f}</td><td class=\"num\">{100 * cue.active_fraction:.0f}%</td>"
                    f"<td class=\"num\"><span class=\"share\" style=\"width:{width}px\"></span>{_pct(cue.share)}</td></tr>")
    listed = sum(c.share for c in cues)
    note = ""
    if max(c.share for c in cues) < options.thin_share:
        note = (f'<p class="thin">Evidence is spread thin: no active cue carries {100 * options.thin_share:.0f}% '
                f'of it; together the active cues carry {_pct(listed)}.</p>')
    return ("<table><thead><tr><th>Active cue</th><th class=\"num\">Mean activation</th>"
            "<th class=\"num\">Active for</th><th class=\"num\">Share of evidence</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + note)


def _breakdown(seg: Segment) -> str:
    parts = [(k, v) for k, v in evidence_breakdown(seg).items() if v > 0]
    cells = "".join(f"<tr><td>{_e(k)}</td><td class=\"num\">{_share_bar(v)}</td></tr>" for k, v in parts)
    return ("<table class=\"breakdown\"><thead><tr><th>Where the evidence came from</th><th class=\"num\">"
            f"Share (100% in all)</th></tr></thead><tbody>{cells}</tbody></table>")


def _pair_rows(seg: Segment, voc: Vocabulary) -> str:
    rows = []
    for name, definition, share in within_terms(seg):  # conflict inside one modality
        rows.append(f"<tr><td><strong>{_e(name)}</strong> <span class=\"mod\">({_e(definition)})</span></td>"
                    f"<td class=\"num\">{_pct(share)}</td></tr>")
    for pair in seg.pairs:
        if round(100 * pair.share) < 1:
            continue
        inc = voc.inconsistency(pair.id)
        name = inc.name if inc else pair.id
        sides = f" <span class=\"mod\">({_e(pair.description)})</span>" if pair.description else ""
        rows.append(f"<tr><td><strong>{_e(name)}</strong>{sides}</td><td class=\"num\">{_pct(pair.share)}</td></tr>")
    if not rows:
        return ""
    return ("<table><thead><tr><th>Conflicts</th><th class=\"num\">Share of evidence</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _card(i: int, seg: Segment, voc: Vocabulary, options: ReportOptions, table=None,
          approximate: bool = False, stated: bool = False) -> str:
    words = seg.transcript.strip()
    quote = (f'<div class="quote">&ldquo;{_e(words)}&rdquo;</div>' if words
             else '<div class="quote none">No words were recognised in this segment.</div>')
    return (f'<section class="card" id="segment-{i}" tabindex="0" data-seek-s="{float(seg.start_s):.3f}" '
            f'data-start-s="{float(seg.start_s):.3f}" data-end-s="{float(seg.end_s):.3f}">'
            f'<h3>Segment {i}: {span(seg.start_s, seg.end_s)} <span class="seek">&#9654; play from here</span></h3>'
            f'<div class="when">{seg.duration_s:.1f} s, frames {int(seg.start_frame)}&ndash;{int(seg.end_frame)}; '
            f'mean A/H score {float(seg.probability):.2f}</div>'
            + quote + _cue_rows(seg, voc, options, table, approximate, stated) + _pair_rows(seg, voc)
            + _breakdown(seg)
            + "</section>")


DASH = "\u2014"


def _annotated_section(prediction: Prediction, voc: Vocabulary) -> str:
    """The annotators' A/H segments and the cues they named, beside the model's cards."""
    if prediction.annotated_segments is None:
        return ""
    rows = []
    for seg in prediction.annotated_segments:
        cues = [f"{_name(c, voc)} ({m})" if c in voc else f"{c} ({m})" for m, ids in seg.cues.items() for c in ids]
        pairs = [(voc.inconsistency(p).name if voc.inconsistency(p) else p) for p in seg.pairs]
        rows.append(f'<tr tabindex="0" data-seek-s="{float(seg.start_s):.3f}"><td>{span(seg.start_s, seg.end_s)}</td>'
                    f"<td>{_e(', '.join(cues) or DASH)}</td>"
                    f"<td>{_e(', '.join(str(p) for p in pairs) or DASH)}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="3">The annotators marked no A/H segment.</td></tr>'
    return ('<h2>What the annotators marked</h2><table class="annotated"><thead><tr><th>Time</th><th>Cues</th>'
            f"<th>Conflicting modalities</th></tr></thead><tbody>{body}</tbody></table>")


def _glossary(cue_ids: list[str], pair_ids: list[str], voc: Vocabulary,
              within: list[tuple[str, str]] = (), table=None) -> str:
    """Codebook name and definition of every cue, pair and within-modality conflict the report shows."""
    items = []
    face_mesh = set(head_gestures(table))
    for cid in sorted(set(cue_ids), key=lambda c: (MODALITIES.index(c.split(".")[0]) if c.split(".")[0] in MODALITIES
                                                   else 9, _name(c, voc))):
        if cid in voc:
            cue = voc[cid]
            label = _name(cid, voc)
            also = f" (codebook: {cue.name})" if label != cue.name else ""
            source = " Measured from the face mesh's head angles." if cid in face_mesh else ""
            items.append(f"<dt>{_e(label)} <span class=\"mod\">{_e(cue.modality)}{_e(also)}</span></dt>"
                         f"<dd>{_e(cue.definition)}{_e(source)}</dd>")
    for pid in sorted(set(pair_ids)):
        inc = voc.inconsistency(pid)
        if inc:
            items.append(f"<dt>{_e(inc.name)} <span class=\"mod\">{_e(pid)}</span></dt><dd>{_e(inc.definition)}</dd>")
    for name, definition in sorted(set(within)):
        items.append(f"<dt>{_e(name)} <span class=\"mod\">within one modality</span></dt><dd>{_e(definition)}</dd>")
    if not items:
        return ""
    return ('<section class="glossary"><h2>Glossary</h2><p class="mod">Every cue and conflict named in this report, '
            'with the BAH annotation codebook\'s meaning (in our own words).</p><dl>' + "".join(items) + "</dl></section>")


def _flat_scalars(obj, prefix: str = "", depth: int = 0) -> list[tuple[str, str]]:
    """(key, value) pairs of a model card's scalar fields, two levels deep, for display."""
    out: list[tuple[str, str]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict) and depth < 2:
                out += _flat_scalars(v, key + " / ", depth + 1)
            elif isinstance(v, float):
                out.append((key, f"{v:.4g}"))
            elif isinstance(v, (str, int, bool)) or v is None:
                out.append((key, str(v)))
            elif isinstance(v, list) and len(v) <= 8 and all(isinstance(x, (str, int, float)) for x in v):
                out.append((key, ", ".join(str(x) for x in v)))
    return out


CARD_FIELDS = (("description", "what it is"), ("training_data", "trained on"), ("trained_on", "trained on"),
               ("threshold", "frame threshold"), ("constraint_weight", "codebook constraint weight"),
               ("created", "created"), ("ahcue_version", "ahcue version"))
APPROXIMATE = ("Its explanations are approximate (attributions estimated after the fact, not the model's own "
               "terms): read the shares per modality as a guide, not a measurement.")
MODEL_STATED = ("Its explanations are the codebook cues a language model named for each window: the model's own "
                "words, not a measured share of evidence.")
# Explanations that are not exact shares (model.explanation): what the headline box says up front,
# and what the model section says.
EXPLANATION_NOTES = {
    "approximate": ("Explanations are approximate. " + APPROXIMATE.removeprefix("Its explanations are approximate "),
                    APPROXIMATE),
    "model-stated": ("Explanations are the model's own words: the cues a language model named, not a measured "
                     "share of evidence.", MODEL_STATED)}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _model_section(prediction: Prediction) -> str:
    """Model id and kind, what it was trained on, and its metrics, from the model card."""
    model = prediction.model
    card = dict(model.card or {})
    if not model.trained:
        what = ("Untrained codebook prior: weights set from the published BAH cue statistics, "
                "not trained on data.")
    else:
        what = "A detector trained on annotated videos; its data and its scores are listed below."
    if model.explanation in EXPLANATION_NOTES:
        what += " " + EXPLANATION_NOTES[model.explanation][1]
    if model.adaptation != "none":
        what += (" It adapted to this person at test time; that adjustment is its own term"
                 " ('adaptation') in the explanation.")
    rows = [("model id", model.id), ("kind", model.kind), ("trained", "yes" if model.trained else "no"),
            ("explanation", model.explanation), ("test-time adaptation", model.adaptation)]
    for key, label in CARD_FIELDS:
        value = card.get(key)
        if value not in (None, "", [], {}):
            rows += [(label, v) for _, v in _flat_scalars({key: value})]
    metrics = _flat_scalars(card.get("metrics") or {})
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    if metrics:
        # Long values (a rule, a list) wrap inside their cell: only numbers stay on one line.
        body = "".join(f"<tr><td>{_e(k)}</td><td class=\"{'num' if _is_number(v) else 'text'}\">{_e(v)}</td></tr>"
                       for k, v in metrics[:40])
        table = f'<h3>Metrics in the model card</h3><table class="metrics"><tbody>{body}</tbody></table>'
    else:
        table = "<p class=\"mod\">The model card reports no evaluation metrics.</p>"
    return f'<section class="model"><h2>The model</h2><p>{_e(what)}</p><dl>{dl}</dl>{table}</section>'


def head_gestures(table) -> list[str]:
    """Body cues measured although body pose is missing: the head gestures, which level one reads
    from the face mesh's head angles (``levelone/body/cues.py``), not from the body pose."""
    if table is None or "body" not in (table.meta.missing or []):
        return []
    import numpy as np

    return [c[len("cue."):] for c in table.cue_columns()
            if c.startswith("cue.body.") and np.isfinite(table.data[c].to_numpy(np.float64)).any()]


def _missing_section(prediction: Prediction, table) -> str:
    missing = missing_modalities(prediction, table)
    head = head_gestures(table)
    if not missing:
        body = '<div class="missing">Nothing: face, language, audio and body all gave evidence.</div>'
        return "<h2>What was missing</h2>" + body
    has_audio = prediction.has_audio
    words = dict(MISSING_WORDS, audio=NO_AUDIO_TRACK if has_audio is False else
                 MISSING_WORDS["audio"] if has_audio else AUDIO_UNKNOWN)
    heard = prediction.transcript
    if heard is not None and heard.language_cues != "measured":  # e.g. French speech: heard, not measured
        words["language"] = f"{heard.language_cues}; the transcript is under \"What was heard\""
    if head:
        voc = load_vocabulary()
        names = ", ".join(_name(c, voc).lower() for c in head)
        words["body"] = ("no body pose was found, so shoulders, hands, posture and the other body cues could not "
                         f"be measured; the head gestures ({names}) come from the face mesh and were measured")
    items = "".join(f"<li><strong>{_e(m)}</strong>: {_e(words.get(m, 'no evidence in this video'))}.</li>"
                    for m in missing)
    ok, why = assessable(prediction, table)
    if not ok:
        lead = f"Not enough evidence to assess A/H: {why}."
    elif len(missing) == len(MODALITIES):
        lead = "No modality gave evidence."
    else:
        rest = [m for m in MODALITIES if m not in missing] + (["head gestures (from the face mesh)"] if head else [])
        lead = f"The estimate rests on {', '.join(rest)} only."
    return f'<h2>What was missing</h2><div class="missing">{_e(lead)}<ul>{items}</ul></div>'


def baseline_note(baseline: dict) -> str:
    """What the cues were measured against, in one sentence that agrees with the headline's detail."""
    neutral = (" Facial affect is read against the person's declared neutral recording."
               if (baseline.get("face") or {}).get("declared_neutral") else "")
    if any((v or {}).get("kind") != "personal" for v in baseline.values()):
        return ("Level one measured each signal against this person's own baseline, blended with norms from "
                "other people talking normally for the sources named above, which had too little of this "
                "person's evidence for a stable one." + neutral)
    return "Level one measured every signal against this person's own baseline, not against other people." + neutral


# What a source's baseline seconds count, for the per-source baseline sentence.
BASELINE_EVIDENCE = {"face": "with a face", "body": "with body pose", "audio": "of speech", "text": "of words"}


def baseline_words(baseline: dict) -> str:
    """Per source, which were measured against a blend with population norms and what each lacked:
    sources short by the same amount share one clause."""
    groups: dict[tuple[float, float], list[str]] = {}
    odd = []
    for src, v in sorted(baseline.items(), key=lambda kv: str(kv[0])):
        v = v if isinstance(v, dict) else {}
        if v.get("kind") == "personal":
            continue
        try:
            have, need = float(v.get("personal_s", 0) or 0), float(v.get("stable_s", 0) or 0)
            norms = 100 * (1 - float(v.get("personal_weight", 1)))
        except (TypeError, ValueError):
            odd.append(f"{src}: not measured against this person's own baseline alone")
            continue
        evidence = BASELINE_EVIDENCE.get(str(src), "of evidence")
        groups.setdefault((need, norms), []).append(f"{src} ({have:.0f} s {evidence})")
    clauses = []
    for (need, norms), items in groups.items():
        names = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
        clauses.append(f"{names} had less than the {need:.0f} s of this person a stable baseline needs, "
                       f"so {norms:.0f}% population norms were blended in")
    clauses += odd
    if not clauses:
        return " Cues measured against this person's own baseline." if baseline else ""
    return " Baseline: " + "; ".join(clauses) + "."


def _header(prediction: Prediction) -> str:
    source = prediction.source or prediction.video_id
    return ('<header class="top"><div class="product">ahcue &middot; ambivalence/hesitancy cue report</div>'
            f'<div class="video">Video: {_e(source)}</div></header>')


def _headline_section(prediction: Prediction, table, options: ReportOptions) -> str:
    ok, _ = assessable(prediction, table)
    v = verdict(prediction, options) if ok else "cannot"
    state = {"likely": " likely", "borderline": " borderline", "cannot": " cannot"}.get(v, "")
    annotated = prediction.annotated_segments
    annotated_line = ""
    if annotated is not None:
        annotated_line = (f"<div class=\"detail\">Annotators marked {len(annotated)} A/H segment"
                          f"{'s' if len(annotated) != 1 else ''}" + (f", at {_spans(annotated)}" if annotated else "")
                          + ".</div>")
    detail = (f"Video-level score by {_e(prediction.aggregation)}; frame threshold "
              f"{float(prediction.threshold):.2f}; {float(prediction.duration_s):.1f} s, "
              f"{int(prediction.n_frames)} frames at {float(prediction.fps):.2f} fps.") if ok else (
        f"{float(prediction.duration_s):.1f} s, {int(prediction.n_frames)} frames at {float(prediction.fps):.2f} fps.")
    detail += _e(baseline_words(dict(prediction.baseline or {})))
    what = what_the_score_is(prediction) if ok else (
        "No score is given: what the model would compute here rests on too little evidence to mean anything.")
    approx = ""
    if prediction.model.explanation in EXPLANATION_NOTES and ok:
        approx = f'<div class="approx">{_e(EXPLANATION_NOTES[prediction.model.explanation][0])}</div>'
    return (f'<section class="headline{state}" id="headline">'
            f'<div class="answer">{_e(headline(prediction, table, options))}</div>'
            f'<div class="what">{_e(what)}</div>{approx}<div class="detail">{detail}</div>{annotated_line}</section>')


def _notes(prediction: Prediction) -> str:
    return ('<div class="notes"><p>This report supports and does not replace clinical judgement. It points to '
            'moments worth a second look and says which behaviours drove the estimate.</p>'
            f'<p>{_e(baseline_note(dict(prediction.baseline or {})))}</p></div>')


def _player_section(prediction: Prediction, table, voc: Vocabulary, options: ReportOptions,
                    video: ReportVideo | None, beside_video: str = "") -> str:
    """The video beside the interactive timeline (inline SVG), with the timeline's caption;
    ``beside_video`` is an escaped fragment shown under the video (the transcript's place)."""
    from reports.figures import timeline_cues, timeline_svg

    shown, left_out = timeline_cues(prediction, table, options.active_threshold, options.min_active_frames,
                                    options.max_timeline_rows)
    face_mesh = set(head_gestures(table))
    svg = timeline_svg(prediction, table, voc, rows=shown, cue_threshold=options.active_threshold,
                       definitions={c: voc[c].definition + (" Measured from the face mesh's head angles."
                                                            if c in face_mesh else "")
                                    for c in shown if c in voc})
    n_annot = len(prediction.annotated_segments or ())
    annot_caption = (f" Sky-blue bars under the score: {n_annot} segment{'s' if n_annot != 1 else ''} marked A/H "
                     "by the annotators." if n_annot else "")
    if left_out:
        names = ", ".join(_name(c, voc) for c in left_out)
        rows_caption = (f"Middle: the {len(shown)} cues active most often (activation &ge; {options.active_threshold:.1f} "
                        f"on at least {options.min_active_frames} frames); also active but not drawn: {_e(names)}.")
    elif not shown:
        rows_caption = "Middle: no codebook cue was active anywhere in the video."
    else:
        rows_caption = (f"Middle: every codebook cue active anywhere in the video (activation &ge; "
                        f"{options.active_threshold:.1f} on at least {options.min_active_frames} frames), "
                        f"{len(shown)} in all; hover or focus a lane for its definition.")
    if video is None or video.src is None:
        screen = f'<p class="novideo">{_e(video.note if video else "No video is linked to this report.")}</p>'
    else:
        hidden = "" if not video.playable else " hidden"
        screen = (f'<video id="video" controls preload="metadata" playsinline src="{_e(video.src)}"></video>'
                  f'<p class="mod">{_e(video.note)}</p>'
                  f'<p class="mod" id="video-note"{hidden}>This browser cannot play this video file. Browsers play '
                  'MP4 (H.264) and WebM: convert it (e.g. <code>ffmpeg -i VIDEO video.mp4</code>) and render '
                  'again with <code>ahcue report</code>.</p>')
    keys = ('<p class="keys">Click a segment card, a numbered marker or any point of the timeline to play from '
            'there. Keys: <kbd>space</kbd> play/pause, <kbd>&larr;</kbd> <kbd>&rarr;</kbd> 5 s (with shift 1 s), '
            '<kbd>tab</kbd> to segments and cue lanes, <kbd>enter</kbd> to play from one. '
            'Now: <span id="clock">0:00.0</span></p>')
    caption = (f"<figcaption>Top: affect per modality as level one measured it: 0 is this person's own neutral "
               "(their baseline, or a recording declared neutral), the same reference the segment cards use when "
               f"they call a side positive or negative; the voice has arousal only (dashed). {rows_caption} Bottom: "
               "A/H score per frame with the threshold (dashed). Amber bands: predicted A/H segments, numbered as "
               f"the cards below.{annot_caption} Colours: the Okabe-Ito colour-blind-safe palette.</figcaption>")
    return (f'<h2>Video and timeline</h2><div class="player"><div class="screen">{screen}{keys}{beside_video}</div>'
            f'<figure class="chart">{svg}<div id="cue-tip" class="tip" role="tooltip" hidden></div>'
            f'{caption}</figure></div>')


def _segments_section(prediction: Prediction, table, voc: Vocabulary, options: ReportOptions) -> str:
    ok, _ = assessable(prediction, table)
    approximate = prediction.model.explanation == "approximate"
    stated = prediction.model.explanation == "model-stated"
    cards = "".join(_card(i, s, voc, options, table, approximate, stated) for i, s in enumerate(prediction.segments, start=1)) \
        or "<p>No segment reached the threshold, so there is nothing to explain segment by segment.</p>"
    if not ok:
        cards = "<p>Not assessed: there is too little evidence to mark or explain segments.</p>"
    return f"<h2>Segments</h2>{cards}"


def _glossary_section(prediction: Prediction, table, voc: Vocabulary, options: ReportOptions) -> str:
    from reports.figures import timeline_cues

    segs, annotated = prediction.segments, prediction.annotated_segments
    shown, _ = timeline_cues(prediction, table, options.active_threshold, options.min_active_frames,
                             options.max_timeline_rows)
    stated = prediction.model.explanation == "model-stated"
    cues = list(shown) + [c.id for s in segs for c in active_cues(s, options, stated)]
    if prediction.model.explanation == "approximate":
        cues += [c for s in segs for c, _, _ in cues_active_in(table, s.start_frame, s.end_frame, options)]
    cues += [c for a in (annotated or ()) for ids in a.cues.values() for c in ids]
    pairs = [p.id for s in segs for p in s.pairs if round(100 * p.share) >= 1]
    pairs += [p for a in (annotated or ()) for p in a.pairs]
    within = [(n, d) for s in segs for n, d, _ in within_terms(s)]
    return _glossary(cues, pairs, voc, within, table)


def _footer(prediction: Prediction) -> str:
    return (f"<footer>Generated by ahcue {_e(prediction.ahcue_version)} from prediction.json. Cue names and "
            "definitions follow the BAH annotation codebook (appendix H of the BAH dataset paper), in our own "
            "words; names the codebook abbreviates are spelled out.</footer>")


def _asset(name: str) -> str:
    return (resources.files("reports") / "data" / name).read_text(encoding="utf-8")


def render_report(prediction: Prediction, table=None, vocabulary: Vocabulary | None = None,
                  options: ReportOptions = OPTIONS, video: ReportVideo | None = None) -> str:
    """The complete, self-contained HTML report for one video: one section function per part, in
    reading order (other modules' sections drop in as one line each)."""
    from reports.people import render_people
    from reports.session_summary import render_session_summary
    from reports.transcript_view import render_transcript
    if not isinstance(prediction, Prediction):
        prediction = Prediction.from_json(prediction)
    voc = vocabulary or load_vocabulary()
    sections = [
        _header(prediction),
        _headline_section(prediction, table, options),
        render_session_summary(prediction),
        _notes(prediction),
        render_people(prediction),
        _player_section(prediction, table, voc, options, video),
        render_transcript(prediction),
        _segments_section(prediction, table, voc, options),
        _annotated_section(prediction, voc),
        _glossary_section(prediction, table, voc, options),
        _missing_section(prediction, table),
        _model_section(prediction),
        _footer(prediction),
    ]
    body = "\n".join(s for s in sections if s)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ahcue {_e(prediction.ahcue_version)}">
<title>ahcue report: {_e(prediction.video_id)}</title>
<style>
{_asset("report.css")}
</style>
</head>
<body>
<main>
{body}
</main>
<script>
{_asset("report.js")}
</script>
</body>
</html>
"""


def read_prediction(path: str | Path) -> Prediction:
    """Load ``prediction.json``; a missing or malformed file is the user's to fix."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "not found (run `ahcue analyze` first)") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a prediction.json") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(path, f"not a readable prediction.json ({str(err).splitlines()[0]})") from None
    try:
        return Prediction.from_json(data)
    except ValueError as err:
        raise InputError(path, f"not a prediction.json ({str(err).removeprefix('prediction.json: ')})") from None


def print_pdf(html_path: str | Path, pdf_path: str | Path, timeout_s: float = 120.0) -> Path:
    """Print the report to PDF with headless Chromium: its print stylesheet gives the static
    version (no video, the timeline as vector SVG, cards unbroken)."""
    exe = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    if exe is None:
        raise InputError(pdf_path, "cannot write a PDF: chromium is not installed")
    html_path = Path(html_path).resolve()
    with tempfile.TemporaryDirectory(prefix="ahcue-chromium-") as profile, atomic_path(pdf_path) as tmp:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
               html_path.as_uri()]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        if res.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            raise InputError(pdf_path, f"chromium could not print the report (exit {res.returncode})")
    return Path(pdf_path)


def write_report(out_dir: str | Path, pdf: bool = False, video: str = "link",
                 embed_max_mb: float = EMBED_MAX_MB) -> list[Path]:
    """Re-render ``report.html`` (and ``report.pdf``) in ``out_dir`` from its prediction and features;
    ``video`` says how the page gets the video (:func:`report_video`).

    Rendering over an existing report is this function's job, so it needs no ``force``: the report
    is derived from the folder's own ``prediction.json`` and replaced atomically.
    """
    from levelone.frametable import read

    out_dir = Path(out_dir)
    prediction = read_prediction(out_dir / "prediction.json")
    features = out_dir / "features.parquet"
    table = read(features) if features.exists() else None
    ref = report_video(prediction, out_dir, video, embed_max_mb)
    html_path = out_dir / "report.html"
    written = [write_text(html_path, render_report(prediction, table, video=ref))]
    if pdf:
        written.append(print_pdf(html_path, out_dir / "report.pdf"))
    return written
