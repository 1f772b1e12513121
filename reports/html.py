"""The clinician report: one self-contained ``report.html`` rendered from ``prediction.json``.

The report leads with the answer and says what the number behind it is (a score on a 0-1 scale,
from which model, trained on A/H data or the untrained codebook prior); scores within
``ReportOptions.borderline_margin`` of the threshold read "borderline"; a video without a face and
without words, or without a person, reads "cannot assess", with why. Then the timeline figure (every
cue active anywhere), one card per predicted segment explained in the codebook's own cue vocabulary
(the cues active in it, ranked by their share of the evidence, with the whole evidence broken down
to 100%), the annotators' segments, a glossary of every cue and pair shown, what evidence was
missing and what the model is. It is rendered only from ``prediction.json`` and the FrameTable
(``features.parquet``), so ``ahcue report`` re-renders without running any model.

Every string that comes from outside this module (transcript, file names, model card, cue names)
passes through :func:`html.escape`; the figure is an embedded base64 PNG; there is no script and no
external asset, so the file can be mailed, archived and printed as is.
"""
from __future__ import annotations

import base64
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
from reports.session_summary import render_session_summary

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


def active_cues(seg: Segment, options: ReportOptions = OPTIONS) -> list:
    """The cues active on at least ``min_active_fraction`` of the segment, by share of evidence."""
    cues = [c for c in seg.cues if c.active_fraction >= options.min_active_fraction]
    return sorted(cues, key=lambda c: (-c.share, -c.activation, c.id))


def _pct(share: float) -> str:
    v = 100.0 * float(share)
    return "<1%" if 0 < v < 0.5 else f"{v:.0f}%"


def _cue_rows(seg: Segment, voc: Vocabulary, options: ReportOptions) -> str:
    cues = active_cues(seg, options)
    rows = []
    for cue in cues:
        name = voc[cue.id].name if cue.id in voc else cue.name
        width = max(2, int(round(80 * max(0.0, min(1.0, cue.share)))))
        rows.append(f"<tr><td><strong>{_e(name)}</strong> <span class=\"mod\">{_e(cue.modality)}</span></td>"
                    f"<td class=\"num\">{cue.activation:.2f}</td><td class=\"num\">{100 * cue.active_fraction:.0f}%</td>"
                    f"<td class=\"num\"><span class=\"share\" style=\"width:{width}px\"></span>{_pct(cue.share)}</td></tr>")
    if not rows:
        return ('<p class="thin">No codebook cue was active in this segment; the evidence came from weak '
                'activity spread over many cues, conflicts between modalities and the temporal context.</p>')
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
    for w in seg.within:  # conflict inside one modality, e.g. ambivalence in talk
        if round(100 * float(w.get("share", 0.0))) >= 1:
            rows.append(f"<tr><td><strong>{_e(w.get('name', ''))}</strong> <span class=\"mod\">({_e(w.get('definition', ''))})</span></td>"
                        f"<td class=\"num\">{_pct(float(w.get('share', 0.0)))}</td></tr>")
    for pair in seg.pairs:
        if round(100 * pair.share) < 1:
            continue
        inc = voc.inconsistency(pair.id)
        name = inc.name if inc else pair.id
        sides = f" <span class=\"mod\">({_e(pair.description)})</span>" if pair.description else ""
        rows.append(f"<tr><td><strong>{_e(name)}</strong>{sides}</td><td class=\"num\">{_pct(pair.share)}</td></tr>")
    if not rows:
        return ""
    return ("<table><thead><tr><th>Conflicting modalities</th><th class=\"num\">Share of evidence</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _card(i: int, seg: Segment, voc: Vocabulary, options: ReportOptions) -> str:
    words = seg.transcript.strip()
    quote = (f'<div class="quote">&ldquo;{_e(words)}&rdquo;</div>' if words
             else '<div class="quote none">No words were recognised in this segment.</div>')
    return (f'<section class="card" id="segment-{i}"><h3>Segment {i}: {span(seg.start_s, seg.end_s)}</h3>'
            f'<div class="when">{seg.duration_s:.1f} s, frames {seg.start_frame}&ndash;{seg.end_frame}; '
            f'mean A/H score {seg.probability:.2f}</div>'
            + quote + _cue_rows(seg, voc, options) + _pair_rows(seg, voc) + _breakdown(seg) + "</section>")


DASH = "\u2014"


def _annotated_section(prediction: Prediction, voc: Vocabulary) -> str:
    """The annotators' A/H segments and the cues they named, beside the model's cards."""
    if prediction.annotated_segments is None:
        return ""
    rows = []
    for seg in prediction.annotated_segments:
        cues = [f"{voc[c].name} ({m})" if c in voc else str(c) for m, ids in seg.cues.items() for c in ids]
        pairs = [(voc.inconsistency(p).name if voc.inconsistency(p) else p) for p in seg.pairs]
        rows.append(f"<tr><td>{span(seg.start_s, seg.end_s)}</td>"
                    f"<td>{_e(', '.join(cues) or DASH)}</td><td>{_e(', '.join(pairs) or DASH)}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="3">The annotators marked no A/H segment.</td></tr>'
    return ("<h2>What the annotators marked</h2><table><thead><tr><th>Time</th><th>Cues</th>"
            f"<th>Conflicting modalities</th></tr></thead><tbody>{body}</tbody></table>")


def _glossary(cue_ids: list[str], pair_ids: list[str], voc: Vocabulary) -> str:
    """Codebook name and definition of every cue and pair the report shows."""
    items = []
    for cid in sorted(set(cue_ids), key=lambda c: (MODALITIES.index(c.split(".")[0]) if c.split(".")[0] in MODALITIES
                                                   else 9, voc[c].name if c in voc else c)):
        if cid in voc:
            cue = voc[cid]
            items.append(f"<dt>{_e(cue.name)} <span class=\"mod\">{_e(cue.modality)}</span></dt>"
                         f"<dd>{_e(cue.definition)}</dd>")
    for pid in sorted(set(pair_ids)):
        inc = voc.inconsistency(pid)
        if inc:
            items.append(f"<dt>{_e(inc.name)} <span class=\"mod\">{_e(pid)}</span></dt><dd>{_e(inc.definition)}</dd>")
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


def _model_section(prediction: Prediction) -> str:
    """Model id and kind, what it was trained on, and its metrics, from the model card."""
    model = prediction.model
    card = dict(model.card or {})
    if not model.trained:
        what = ("Untrained codebook prior: weights set from the published BAH cue statistics, "
                "not trained on data.")
    else:
        what = "A detector trained on annotated videos; its data and its scores are listed below."
    if model.explanation == "approximate":
        what += (" Its explanations are approximate (attributions estimated after the fact, not the"
                 " model's own terms).")
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
        body = "".join(f"<tr><td>{_e(k)}</td><td class=\"num\">{_e(v)}</td></tr>" for k, v in metrics[:40])
        table = f"<h3>Metrics in the model card</h3><table><tbody>{body}</tbody></table>"
    else:
        table = "<p class=\"mod\">The model card reports no evaluation metrics.</p>"
    return f'<section class="model"><h2>The model</h2><p>{_e(what)}</p><dl>{dl}</dl>{table}</section>'


def _missing_html(prediction: Prediction, table) -> str:
    missing = missing_modalities(prediction, table)
    if not missing:
        return '<div class="missing">Nothing: face, language, audio and body all gave evidence.</div>'
    has_audio = prediction.has_audio
    words = dict(MISSING_WORDS, audio=NO_AUDIO_TRACK if has_audio is False else
                 MISSING_WORDS["audio"] if has_audio else AUDIO_UNKNOWN)
    items = "".join(f"<li><strong>{_e(m)}</strong>: {_e(words.get(m, 'no evidence in this video'))}.</li>"
                    for m in missing)
    ok, why = assessable(prediction, table)
    if not ok:
        lead = f"Not enough evidence to assess A/H: {why}."
    elif len(missing) == len(MODALITIES):
        lead = "No modality gave evidence."
    else:
        rest = [m for m in MODALITIES if m not in missing]
        lead = f"The estimate rests on {', '.join(rest)} only."
    return f'<div class="missing">{_e(lead)}<ul>{items}</ul></div>'


def baseline_note(baseline: dict) -> str:
    """What the cues were measured against, in one sentence that agrees with the headline's detail."""
    neutral = (" Facial affect is read against the person's declared neutral recording."
               if baseline.get("face", {}).get("declared_neutral") else "")
    if any(v.get("kind") != "personal" for v in baseline.values()):
        return ("Level one measured each signal against this person's own baseline, blended with norms from "
                "other people talking normally where the recording is too short for a stable one (see above)."
                + neutral)
    return "Level one measured every signal against this person's own baseline, not against other people." + neutral


def _baseline_words(baseline: dict) -> str:
    """One sentence: which sources were measured against population norms (short recordings)."""
    short = [f"{src} ({v.get('personal_s', 0):.0f} s of {v.get('stable_s', 0):.0f} s needed, "
             f"{100 * (1 - float(v.get('personal_weight', 1))):.0f}% population norms)"
             for src, v in sorted(baseline.items()) if v.get("kind") != "personal"]
    if not short:
        return " Cues measured against this person's own baseline." if baseline else ""
    return " Too short for a stable personal baseline, blended with population norms: " + "; ".join(short) + "."


def render_report(prediction: Prediction, table=None, vocabulary: Vocabulary | None = None,
                  options: ReportOptions = OPTIONS) -> str:
    """The complete, self-contained HTML report for one video."""
    from reports.figures import timeline_cues, timeline_png

    if not isinstance(prediction, Prediction):
        prediction = Prediction.from_json(prediction)
    voc = vocabulary or load_vocabulary()
    css = (resources.files("reports") / "data" / "report.css").read_text(encoding="utf-8")
    segs = prediction.segments
    ok, _ = assessable(prediction, table)
    v = verdict(prediction, options) if ok else "cannot"
    state = {"likely": " likely", "borderline": " borderline", "cannot": " cannot"}.get(v, "")
    source = prediction.source or prediction.video_id
    shown, left_out = timeline_cues(prediction, table, options.active_threshold, options.min_active_frames,
                                    options.max_timeline_rows)
    png = base64.b64encode(timeline_png(prediction, table, voc, rows=shown,
                                        cue_threshold=options.active_threshold)).decode("ascii")
    n_annot = len(prediction.annotated_segments or ())
    annot_caption = (f" Blue bars: {n_annot} segment{'s' if n_annot != 1 else ''} marked A/H by the annotators."
                     if n_annot else "")
    if left_out:
        names = ", ".join(voc[c].name if c in voc else c for c in left_out)
        rows_caption = (f"Middle: the {len(shown)} cues active most often (activation &ge; {options.active_threshold:.1f} "
                        f"on at least {options.min_active_frames} frames); also active but not drawn: {_e(names)}.")
    elif not shown:
        rows_caption = "Middle: no codebook cue was active anywhere in the video."
    else:
        rows_caption = (f"Middle: every codebook cue active anywhere in the video (activation &ge; "
                        f"{options.active_threshold:.1f} on at least {options.min_active_frames} frames), "
                        f"{len(shown)} in all; the glossary below defines each.")
    cards = "".join(_card(i, s, voc, options) for i, s in enumerate(segs, start=1)) or \
        "<p>No segment reached the threshold, so there is nothing to explain segment by segment.</p>"
    if not ok:
        cards = "<p>Not assessed: there is too little evidence to mark or explain segments.</p>"
    annotated = prediction.annotated_segments
    annotated_line = ""
    if annotated is not None:
        annotated_line = (f"<div class=\"detail\">Annotators marked {len(annotated)} A/H segment"
                          f"{'s' if len(annotated) != 1 else ''}" + (f", at {_spans(annotated)}" if annotated else "")
                          + ".</div>")
    detail = (f"Video-level score by {_e(prediction.aggregation)}; frame threshold "
              f"{prediction.threshold:.2f}; {prediction.duration_s:.1f} s, "
              f"{prediction.n_frames} frames at {prediction.fps:.2f} fps.") if ok else (
        f"{prediction.duration_s:.1f} s, {prediction.n_frames} frames at {prediction.fps:.2f} fps.")
    detail += _baseline_words(dict(prediction.baseline or {}))
    glossary_cues = list(shown) + [c.id for s in segs for c in active_cues(s, options)]
    glossary_cues += [c for a in (annotated or ()) for ids in a.cues.values() for c in ids]
    glossary_pairs = [p.id for s in segs for p in s.pairs if round(100 * p.share) >= 1]
    glossary_pairs += [p for a in (annotated or ()) for p in a.pairs]
    what = what_the_score_is(prediction) if ok else (
        "No score is given: what the model would compute here rests on too little evidence to mean anything.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ahcue {_e(prediction.ahcue_version)}">
<title>ahcue report: {_e(prediction.video_id)}</title>
<style>
{css}
</style>
</head>
<body>
<main>
<header class="top">
<div class="product">ahcue &middot; ambivalence/hesitancy cue report</div>
<div class="video">Video: {_e(source)}</div>
</header>
<section class="headline{state}" id="headline">
<div class="answer">{_e(headline(prediction, table, options))}</div>
<div class="what">{_e(what)}</div>
<div class="detail">{detail}</div>
{annotated_line}
{render_session_summary(prediction)}
</section>
<div class="notes">
<p>This report supports and does not replace clinical judgement. It points to moments worth a second look and says which behaviours drove the estimate.</p>
<p>{_e(baseline_note(dict(prediction.baseline or {})))}</p>
</div>
<h2>Timeline</h2>
<figure>
<img alt="Timeline: valence per modality, active cues, and the A/H score over time" src="data:image/png;base64,{png}">
<figcaption>Top: valence per modality, centred on this person's typical (median) level in this video, so 0 is their usual and the line shows moves away from it. {rows_caption} Bottom: A/H score per frame with the threshold (dashed). Amber bands: predicted A/H segments, numbered as the cards below.{annot_caption}</figcaption>
</figure>
<h2>Segments</h2>
{cards}
{_annotated_section(prediction, voc)}
{_glossary(glossary_cues, glossary_pairs, voc)}
<h2>What was missing</h2>
{_missing_html(prediction, table)}
{_model_section(prediction)}
<footer>Generated by ahcue {_e(prediction.ahcue_version)} from prediction.json. Cue names and definitions follow the BAH annotation codebook (appendix H of the BAH dataset paper), in our own words.</footer>
</main>
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
    """Print the report to PDF with headless Chromium (its print CSS applies)."""
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


def write_report(out_dir: str | Path, pdf: bool = False) -> list[Path]:
    """Re-render ``report.html`` (and ``report.pdf``) in ``out_dir`` from its prediction and features.

    Rendering over an existing report is this function's job, so it needs no ``force``: the report
    is derived from the folder's own ``prediction.json`` and replaced atomically.
    """
    from levelone.frametable import read

    out_dir = Path(out_dir)
    prediction = read_prediction(out_dir / "prediction.json")
    features = out_dir / "features.parquet"
    table = read(features) if features.exists() else None
    html_path = out_dir / "report.html"
    written = [write_text(html_path, render_report(prediction, table))]
    if pdf:
        written.append(print_pdf(html_path, out_dir / "report.pdf"))
    return written
