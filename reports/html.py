"""The clinician report: one self-contained ``report.html`` rendered from ``prediction.json``.

The report leads with the answer (A/H likely or not, how confident, where), then the timeline
figure, then one card per predicted segment explained in the codebook's own cue vocabulary, then
what the model is and what evidence was missing. It is rendered only from ``prediction.json`` and
the FrameTable (``features.parquet``), so ``ahcue report`` re-renders without running any model.

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
from importlib import resources
from pathlib import Path

from codebook.atomic import atomic_path, check_writable, write_text
from codebook.errors import InputError
from codebook.vocabulary import Vocabulary, load_vocabulary
from levelone.frametable import SOURCE_MODALITY

MISSING_WORDS = {
    "face": "no face was found, so facial cues and facial affect could not be measured",
    "language": "no transcript or no recognisable words, so language cues could not be measured",
    "audio": "no speech was detected in the audio, so vocal cues could not be measured",
    "body": "no body pose was found, so body cues could not be measured",
}
SOURCE_TO_MODALITY = SOURCE_MODALITY


def _e(value) -> str:
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def clock(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (or ``m:ss.s`` with ``decimals=1``) for a time in seconds."""
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


def headline(prediction: dict) -> str:
    """The one-line answer, e.g. ``A/H likely (p = 0.78): 2 segments, at 0:04-0:09 and 0:21-0:25``."""
    p = float(prediction["probability"])
    segs = prediction.get("segments", [])
    likely = bool(int(prediction.get("label", p >= prediction.get("threshold", 0.5))))
    text = f"{'A/H likely' if likely else 'A/H not likely'} (p = {p:.2f})"
    if not segs:
        return f"{text}: " + ("no single segment long enough to mark" if likely else "no segment above the threshold")
    return f"{text}: {len(segs)} segment{'s' if len(segs) != 1 else ''}, at {_spans(segs)}"


def _spans(segs: list[dict]) -> str:
    """'0:04-0:07 and 0:21-0:25': starts floored and ends ceiled, so no span rounds to nothing."""
    spans = [f"{clock(math.floor(s['start_s']))}-{clock(math.ceil(s['end_s']))}" for s in segs]
    return spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]


def missing_modalities(prediction: dict, table=None) -> list[str]:
    """Codebook modalities with no evidence, from the prediction and the FrameTable metadata."""
    missing = list(prediction.get("missing_modalities") or [])
    if table is not None:
        for source in table.meta.missing or []:
            m = SOURCE_TO_MODALITY.get(source, source)
            if m not in missing:
                missing.append(m)
    return [m for m in ("face", "language", "audio", "body") if m in missing] + \
        [m for m in missing if m not in MISSING_WORDS]


def _share_bar(share: float) -> str:
    width = max(2, int(round(80 * max(0.0, min(1.0, float(share))))))
    return f'<span class="share" style="width:{width}px"></span>{100 * float(share):.0f}%'


def _cue_rows(seg: dict, voc: Vocabulary, top: int) -> str:
    rows = []
    for cue in seg.get("cues", [])[:top]:
        cid = str(cue.get("id", ""))
        known = voc[cid] if cid in voc else None
        name = known.name if known else cue.get("name", cid)
        definition = known.definition if known else ""
        modality = cue.get("modality", cid.split(".")[0])
        rows.append(f"<tr><td><strong>{_e(name)}</strong> <span class=\"mod\">{_e(modality)}</span></td>"
                    f"<td>{_e(definition)}</td><td class=\"num\">{_share_bar(cue.get('share', 0.0))}</td></tr>")
    if not rows:
        return '<p class="mod">No single cue carried the evidence here (context and conflict terms did).</p>'
    return ("<table><thead><tr><th>Cue</th><th>What the codebook means by it</th>"
            "<th>Share of evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _pair_rows(seg: dict, voc: Vocabulary) -> str:
    rows = []
    for w in seg.get("within", []):  # conflict inside one modality, e.g. ambivalence in talk
        if float(w.get("share", 0.0)) > 0:
            rows.append(f"<tr><td><strong>{_e(w.get('name', ''))}</strong></td><td>{_e(w.get('definition', ''))}</td>"
                        f"<td class=\"num\">{_share_bar(w.get('share', 0.0))}</td></tr>")
    for pair in seg.get("pairs", []):
        if float(pair.get("share", 0.0)) <= 0:
            continue
        inc = voc.inconsistency(str(pair.get("id", "")))
        name = inc.name if inc else pair.get("id", "")
        definition = inc.definition if inc else ""
        rows.append(f"<tr><td><strong>{_e(name)}</strong></td><td>{_e(definition)}</td>"
                    f"<td class=\"num\">{_share_bar(pair.get('share', 0.0))}</td></tr>")
    if not rows:
        return '<p class="mod">No conflict between modalities contributed to this segment.</p>'
    return ("<table><thead><tr><th>Conflicting modalities</th><th>What the codebook means by it</th>"
            "<th>Share</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _card(i: int, seg: dict, voc: Vocabulary, top: int) -> str:
    duration = float(seg["end_s"]) - float(seg["start_s"])
    words = str(seg.get("transcript") or "").strip()
    quote = (f'<div class="quote">&ldquo;{_e(words)}&rdquo;</div>' if words
             else '<div class="quote none">No words were recognised in this segment.</div>')
    mods = ", ".join(f"{_e(m['id'])} {100 * float(m['share']):.0f}%" for m in seg.get("modalities", []))
    return (f'<section class="card" id="segment-{i}"><h3>Segment {i}: {clock(seg["start_s"], 1)} &ndash; '
            f'{clock(seg["end_s"], 1)}</h3>'
            f'<div class="when">{duration:.1f} s, frames {int(seg["start_frame"])}&ndash;{int(seg["end_frame"])}; '
            f'mean A/H probability {float(seg["probability"]):.2f}'
            + (f"; evidence by modality: {mods}" if mods else "") + "</div>"
            + quote + _cue_rows(seg, voc, top) + _pair_rows(seg, voc) + "</section>")


def _annotated_section(prediction: dict, voc: Vocabulary) -> str:
    """The annotators' A/H segments and the cues they named, beside the model's cards."""
    if "annotated_segments" not in prediction:
        return ""
    rows = []
    for seg in prediction.get("annotated_segments") or []:
        cues = []
        for m, ids in (seg.get("cues") or {}).items():
            for cid in ids:
                cues.append(f"{voc[cid].name} ({m})" if cid in voc else str(cid))
        pairs = [(voc.inconsistency(p).name if voc.inconsistency(str(p)) else str(p)) for p in seg.get("pairs") or []]
        rows.append(f"<tr><td>{clock(seg['start_s'], 1)} &ndash; {clock(seg['end_s'], 1)}</td>"
                    f"<td>{_e(', '.join(cues) or 'no cues noted')}</td><td>{_e(', '.join(pairs))}</td></tr>")
    body = "".join(rows) or '<tr><td colspan="3">The annotators marked no A/H segment.</td></tr>'
    return ("<h2>What the annotators marked</h2><table><thead><tr><th>Time</th><th>Cues</th>"
            f"<th>Conflicting modalities</th></tr></thead><tbody>{body}</tbody></table>")


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


def _model_section(model: dict) -> str:
    """Model id and kind, what it was trained on, and its metrics, from the model card."""
    kind = str(model.get("kind", "unknown"))
    trained = bool(model.get("trained", False))
    card = model.get("card") or {}
    if not trained:
        what = ("Untrained codebook prior: weights set from the published BAH cue statistics, "
                "not trained on data.")
    else:
        what = "A detector trained on annotated videos; its data and its scores are listed below."
    rows = [("model id", str(model.get("id", ""))), ("kind", kind), ("trained", "yes" if trained else "no")]
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


def render_report(prediction: dict, table=None, vocabulary: Vocabulary | None = None,
                  top_cues: int = 5) -> str:
    """The complete, self-contained HTML report for one video."""
    from reports.figures import timeline_png

    voc = vocabulary or load_vocabulary()
    css = (resources.files("reports") / "data" / "report.css").read_text(encoding="utf-8")
    segs = prediction.get("segments", [])
    likely = bool(int(prediction.get("label", 0)))
    source = str(prediction.get("source") or prediction.get("video_id", ""))
    png = base64.b64encode(timeline_png(prediction, table, voc)).decode("ascii")
    missing = missing_modalities(prediction, table)
    if missing:
        items = "".join(f"<li><strong>{_e(m)}</strong>: {_e(MISSING_WORDS.get(m, 'no evidence in this video'))}.</li>"
                        for m in missing)
        missing_html = (f'<div class="missing">The decision rests on the '
                        f'other modalities only:<ul>{items}</ul></div>')
    else:
        missing_html = '<div class="missing">Nothing: face, language, audio and body all gave evidence.</div>'
    n_annot = len(prediction.get("annotated_segments") or [])
    annot_caption = (f" Blue bars: {n_annot} segment{'s' if n_annot != 1 else ''} marked A/H by the annotators."
                     if n_annot else "")
    cards = "".join(_card(i, s, voc, top_cues) for i, s in enumerate(segs, start=1)) or \
        "<p>No segment reached the threshold, so there is nothing to explain segment by segment.</p>"
    annotated = prediction.get("annotated_segments") or []
    annotated_line = (f"<div class=\"detail\">Annotators marked {len(annotated)} A/H segment"
                      f"{'s' if len(annotated) != 1 else ''}" + (f", at {_spans(annotated)}" if annotated else "")
                      + ".</div>") if "annotated_segments" in prediction else ""
    detail = (f"Video-level probability by {_e(prediction.get('aggregation', ''))}; frame threshold "
              f"{float(prediction.get('threshold', 0.5)):.2f}; {float(prediction.get('duration_s', 0)):.1f} s, "
              f"{int(prediction.get('n_frames', 0))} frames at {float(prediction.get('fps', 0)):.2f} fps.")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ahcue {_e(prediction.get('ahcue_version', ''))}">
<title>ahcue report: {_e(prediction.get('video_id', ''))}</title>
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
<section class="headline{' likely' if likely else ''}" id="headline">
<div class="answer">{_e(headline(prediction))}</div>
<div class="detail">{detail}</div>
{annotated_line}
</section>
<div class="notes">
<p>This report supports and does not replace clinical judgement. It points to moments worth a second look and says which behaviours drove the estimate.</p>
<p>Level one measured every signal against this person's own baseline in this recording, not against other people.</p>
</div>
<h2>Timeline</h2>
<figure>
<img alt="Timeline: valence per modality, active cues, and A/H probability over time" src="data:image/png;base64,{png}">
<figcaption>Top: valence per modality against the person's baseline. Middle: codebook cues active above 0.5. Bottom: A/H probability with the threshold (dashed). Amber bands: predicted A/H segments, numbered as the cards below.{annot_caption}</figcaption>
</figure>
<h2>Segments</h2>
{cards}
{_annotated_section(prediction, voc)}
<h2>What was missing</h2>
{missing_html}
{_model_section(prediction.get('model') or {})}
<footer>Generated by ahcue {_e(prediction.get('ahcue_version', ''))} from prediction.json. Cue names and definitions follow the BAH annotation codebook (appendix H of the BAH dataset paper), in our own words.</footer>
</main>
</body>
</html>
"""


def read_prediction(path: str | Path) -> dict:
    """Load ``prediction.json``; a missing or malformed file is the user's to fix."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "not found (run `ahcue analyze` first)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(path, f"not a readable prediction.json ({str(err).splitlines()[0]})") from None
    needed = ("probability", "fps", "n_frames", "frame_probability", "segments")
    if not isinstance(data, dict) or any(k not in data for k in needed):
        raise InputError(path, f"not a prediction.json (needs {', '.join(needed)})")
    return data


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


def write_report(out_dir: str | Path, force: bool = False, pdf: bool = False) -> list[Path]:
    """Render ``report.html`` (and ``report.pdf``) in ``out_dir`` from its prediction and features."""
    from levelone.frametable import read

    out_dir = Path(out_dir)
    prediction = read_prediction(out_dir / "prediction.json")
    features = out_dir / "features.parquet"
    table = read(features) if features.exists() else None
    html_path = check_writable(out_dir / "report.html", force)
    if pdf:
        check_writable(out_dir / "report.pdf", force)
    written = [write_text(html_path, render_report(prediction, table))]
    if pdf:
        written.append(print_pdf(html_path, out_dir / "report.pdf"))
    return written
