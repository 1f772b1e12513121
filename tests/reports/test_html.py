"""The clinician report rendered from a typed Prediction and a FrameTable built in the test."""
from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from html import escape as html_escape
from html.parser import HTMLParser
import re
from dataclasses import replace

import pytest

from codebook.errors import InputError
from leveltwo.predict import Prediction
from reports.html import (clock, evidence_breakdown, headline, percentages, render_report, span, verdict,
                          write_report)
from report_fixtures import HOSTILE, annotated, make_frametable, make_prediction, segment

FPS = 24.0


@pytest.fixture()
def case():
    table = make_frametable(n_frames=264, fps=FPS, bursts={"body.shake": (100, 150), "audio.pause": (96, 140),
                                                           "face.gaze": (180, 220)}, absent=("text",))
    segs = [segment(96, 156, FPS, 0.78, [("body.shake", 0.45), ("audio.pause", 0.3)], [("LB", 0.2)],
                    transcript="well, um " + HOSTILE),
            segment(176, 229, FPS, 0.66, [("face.gaze", 0.7)])]
    pred = make_prediction(table, segs, missing=["language"], source="clip <b>bold</b> & 'x'.mp4")
    return table, pred


HOSTILE_STRINGS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</style><script>alert(2)</script>")


class PageParser(HTMLParser):
    """Every start tag and attribute of a page, the text it shows, and its script and style bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text, self._in = [], [], [], None
        self.script, self.style = "", ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.script += data.strip("\n")
        elif self._in == "style":
            self.style += data.strip("\n")
        else:
            self.text.append(data)


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser


def _asset(name: str) -> str:
    from importlib import resources

    return (resources.files("reports") / "data" / name).read_text(encoding="utf-8").strip("\n")


def _hostile_prediction(pred: Prediction) -> Prediction:
    """``pred`` as a hostile prediction.json would carry it: every free string and every key hostile."""
    hs = iter(HOSTILE_STRINGS * 40)
    h = lambda: next(hs)  # noqa: E731
    d = json.loads(pred.to_json())
    n = d["n_frames"]
    d.update(video_id=h(), source=h(), aggregation=h(), ahcue_version=h(), missing_modalities=["language", h()])
    d["model"].update(id=h(), kind=h(), adaptation=h(),
                      card={h(): h(), "training_data": h(), "description": h(), "created": h(),
                            "metrics": {h(): h(), "test": {h(): 0.5, "rule": h()}}})
    d["modality_evidence"][h()] = [0.0] * n
    d["pair_evidence"] = {h(): [0.0] * n}
    for seg in d["segments"]:
        seg["transcript"] = h()
        seg["cues"].append({"id": h(), "modality": h(), "name": h(), "share": 0.3, "activation": 0.9,
                            "active_fraction": 1.0})
        seg["pairs"].append({"id": h(), "share": 0.2, "modalities": [h(), h()], "sides": {h(): h()},
                             "description": h(), "incongruent": [{"id": h(), "share": 0.1, "description": h()}]})
        seg["within"] = [{"id": h(), "share": 0.2, "name": h(), "definition": h()},
                         {"id": h(), "share": 0.2, "name": h(), "definition": ""}]
        seg["modalities"].append({"id": h(), "share": 0.1})
    d["annotated_segments"] = [{"start_s": 1.0, "end_s": 2.0, "start_frame": 24, "end_frame": 47,
                                "cues": {h(): [h(), "body.shake"]}, "pairs": [h()]}]
    d["baseline"] = {HOSTILE_STRINGS[1]: {"kind": h(), "personal_s": 5.0, "stable_s": 30.0, "personal_weight": 0.5},
                     "face": {"kind": h(), "personal_s": h(), "declared_neutral": h()}, "body": h()}
    d["extractors"] = {h(): h()}
    d[h()] = h()  # an unknown top-level key, kept in extra
    return Prediction.from_json(json.dumps(d))


def test_hostile_prediction_json_injects_nothing(case):
    """Issue 20, defect 1: ``ahcue report`` re-renders a prediction.json that may come from anyone.
    Every string and key in it is hostile here; parsed as HTML, the page must hold exactly the tags,
    script and style of a benign report, and show the hostile strings as text."""
    from reports.video import ReportVideo

    table, pred = case
    benign = parse_page(render_report(pred, table, video=ReportVideo("clip.mp4", "linked")))
    hostile = _hostile_prediction(pred)
    video = ReportVideo(HOSTILE_STRINGS[1], HOSTILE_STRINGS[2])  # a hostile file name as the video's path
    page = parse_page(render_report(hostile, table, video=video))
    assert set(page.tags) <= set(benign.tags) and "img" not in page.tags
    assert page.tags.count("script") == 1 and page.tags.count("style") == 1
    assert page.script == _asset("report.js") and page.style == _asset("report.css")
    assert not [name for name, _ in page.attrs if name.startswith("on")]
    assert ("src", HOSTILE_STRINGS[1]) in page.attrs  # kept whole inside its attribute
    text = "".join(page.text)
    for s in HOSTILE_STRINGS:  # shown to the reader as text, not run
        assert s in text
    baseline_key = HOSTILE_STRINGS[1]
    assert f"{baseline_key} (5 s of evidence) had less than the 30 s" in text  # the baseline key (defect 1)


def _section(html: str, title: str) -> str:
    return html.split(f"<h2>{title}</h2>", 1)[1].split("<h2>", 1)[0]


def test_clock_span_and_headline(case):
    assert clock(4.0) == "0:04" and clock(59.6) == "1:00" and clock(125.25, 1) == "2:05.2"
    # tenths, start rounded up and end down: never a time outside the segment
    assert span(0.0, 2.083) == "0:00.0\u20130:02.0" and span(11.667, 15.083) == "0:11.7\u20130:15.0"
    table, pred = case
    assert headline(pred, table) == ("A/H likely (A/H score 0.78, threshold 0.50): 2 segments, at "
                                     "0:04.0\u20130:06.5 and 0:07.4\u20130:09.5")
    none = pred.replace(label=0, probability=0.31, segments=())
    assert headline(none) == "A/H not likely (A/H score 0.31, threshold 0.50): no segment above the threshold"
    assert headline(none.replace(label=1, probability=0.75)).endswith("no single segment long enough to mark")


def test_scores_near_the_threshold_read_borderline(case):
    table, pred = case
    # the case: 0.4991 printed as 0.50 beside a 0.50 threshold, called "not likely"
    low = pred.replace(probability=0.4991, label=0)
    assert verdict(low) == "borderline"
    text = headline(low, table)
    assert text.startswith("Borderline (A/H score 0.499, just below the threshold 0.50)")
    assert "0.50 " not in text.split("threshold")[0]
    high = pred.replace(probability=0.547, label=1)
    assert headline(high, table).startswith("Borderline (A/H score 0.55, just above the threshold 0.50)")
    html = render_report(high, table)
    assert 'class="headline borderline"' in html
    assert verdict(pred.replace(probability=0.56)) == "likely"


def test_headline_box_says_what_the_score_is(case):
    table, pred = case
    box = render_report(pred, table).split('id="headline">', 1)[1].split("</section>", 1)[0]
    assert "p =" not in box and "A/H score" in box
    assert "untrained codebook prior" in box and "not a p-value" in box and "not validated" in box
    trained = make_prediction(table, list(pred.segments), kind="conflict", trained=True)
    box = render_report(trained, table).split('id="headline">', 1)[1].split("</section>", 1)[0]
    assert "conflict model trained on A/H-annotated videos (model conflict-test)" in box
    assert "untrained" not in box


def test_report_has_headline_cards_model_and_notes(case):
    table, pred = case
    html = render_report(pred, table)
    assert len(re.findall(r'<section class="card"', html)) == 2
    assert "Shake" in html and "The head turns from side to side" in html and "45%" in html
    assert "Language-body" in html and "Words and body disagree" in html
    assert "Untrained codebook prior: weights set from the published BAH cue statistics, not trained on data." in html
    assert "supports and does not replace clinical judgement" in html
    missing = _section(html, "What was missing")
    assert "language" in missing and "no transcript" in missing
    assert "face" not in missing.split("</ul>")[0].split("<ul>")[1]
    assert '<svg class="timeline"' in html and "<img" not in html  # the chart is inline SVG, no image
    page = parse_page(html)
    assert not re.search(r'(src|href)="(https?:|//)', html) and page.tags.count("script") == 1
    assert page.script == _asset("report.js")  # the page's own script, inline: nothing loaded


def test_cards_list_active_cues_with_activation_and_shares_to_100(case):
    table, _ = case
    seg = segment(96, 156, FPS, 0.7, [("audio.fast", 0.2), ("audio.slow", 0.18), ("face.gaze", 0.12),
                                      ("language.hedging", 0.1)], [("FL", 0.05), ("AB", 0.003)],
                  context_share=0.3)
    # fast and slow carry share but never fire; gaze and hedging are the active cues
    seg = replace(seg, other_share=0.05, cues=tuple(
        replace(c, activation=act, active_fraction=frac)
        for c, (act, frac) in zip(seg.cues, [(0.2, 0.0), (0.25, 0.0), (0.63, 0.8), (0.57, 0.6)])))
    pred = make_prediction(table, [seg])
    card = render_report(pred, table).split('<section class="card"', 1)[1].split("</section>", 1)[0]
    assert "Fast" not in card and "Slow" not in card
    assert card.index("Gaze") < card.index("Hedging")
    assert "0.63" in card and "0.57" in card and "80%" in card
    # the breakdown adds to 100% and names the context and the unattributed part
    breakdown = card.split('class="breakdown"', 1)[1]
    values = [int(v) for v in re.findall(r"</span>(\d+)%", breakdown)]
    assert sum(values) == 100
    assert "temporal context" in breakdown and "not attributable to a cue" in breakdown
    assert "conflict between modalities" in breakdown
    # a pair at 0% is not a row
    assert "Audio-body" not in card
    assert evidence_breakdown(seg)["temporal context"] == 30


def test_model_stated_cards_list_the_cues_the_model_named(case):
    """A language model's explanation is the cues it named: they are listed (first) even where level one
    measured them inactive, instead of unnamed active cues at 0%; exact explanations are unchanged."""
    table, _ = case
    seg = segment(96, 156, FPS, 0.7, [("language.hedging", 0.5), ("language.correction", 0.5), ("body.shake", 0.0)])
    seg = replace(seg, cues=tuple(replace(c, activation=act, active_fraction=frac)
                                  for c, (act, frac) in zip(seg.cues, [(0.0, 0.0), (0.0, 0.0), (0.8, 0.9)])))
    exact = make_prediction(table, [seg])
    stated = replace(exact, model=replace(exact.model, explanation="model-stated"))

    def card(pred):
        return render_report(pred, table).split('<section class="card"', 1)[1].split("</section>", 1)[0]

    named = card(stated)
    assert "Hedging" in named and "Correction" in named and "50%" in named
    assert named.index("Hedging") < named.index("Head shake")  # the named cues first, the active unnamed one after
    assert "Hedging" not in card(exact) and "Head shake" in card(exact)


def test_thin_evidence_is_said(case):
    table, _ = case
    seg = segment(96, 156, FPS, 0.6, [("face.gaze", 0.06), ("body.nod", 0.05)], context_share=0.89)
    card = render_report(make_prediction(table, [seg]), table).split('<section class="card"', 1)[1]
    assert "Evidence is spread thin" in card


def test_percentages_add_to_100():
    assert sum(percentages({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}).values()) == 100
    assert percentages({"a": 0.0, "b": 0.0}) == {"a": 0, "b": 0}
    assert percentages({"a": 0.88, "b": 0.12}) == {"a": 88, "b": 12}


def test_no_person_cannot_be_assessed(case):
    table = make_frametable(absent=("face", "body", "audio", "text"))
    pred = make_prediction(table, [], missing=["face", "language", "audio", "body"], probability=0.05)
    html = render_report(pred, table)
    box = html.split('id="headline">', 1)[1].split("</section>", 1)[0]
    assert "Cannot assess A/H: no person was found" in box and "score" not in box.split("</div>")[0]
    assert "Not assessed" in _section(html, "Segments") and "no codebook cue was active" in html
    assert "A/H not likely" not in html and 'class="headline cannot"' in html
    assert "rests on the other modalities" not in html
    assert "Not enough evidence to assess A/H" in _section(html, "What was missing")


def test_face_and_language_missing_cannot_be_assessed():
    table = make_frametable(absent=("face", "text"))
    pred = make_prediction(table, [], missing=["face", "language"], probability=0.2)
    assert headline(pred, table).startswith("Cannot assess A/H: neither a face nor any words")


def test_no_audio_track_is_not_called_no_speech():
    table = make_frametable(absent=("audio",))
    silent = make_prediction(table, [], missing=["audio"], has_audio=False)
    missing = _section(render_report(silent, table), "What was missing")
    assert "no audio track" in missing and "no speech was detected" not in missing
    with_track = make_prediction(table, [], missing=["audio"], has_audio=True)
    assert "no speech was detected in the audio" in _section(render_report(with_track, table), "What was missing")


def test_everything_external_is_escaped(case):
    table, pred = case
    pred = make_prediction(table, list(pred.segments), kind="conflict", trained=True,
                           source="clip <b>bold</b> & 'x'.mp4",
                           card={"training_data": "BAH <script>alert(3)</script>", "metrics": {"test": {"AP": 0.2519}},
                                 "term_names": ["cue.face.gaze"]})
    pred = pred.replace(model=replace(pred.model, id="conflict-<i>x</i>"))
    html = render_report(pred, table)
    assert html.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the transcript
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html  # the model card
    assert "clip &lt;b&gt;bold&lt;/b&gt; &amp; &#x27;x&#x27;.mp4" in html  # the file name
    assert "<i>x</i>" not in html and "conflict-&lt;i&gt;x&lt;/i&gt;" in html
    assert "test / AP" in html and "0.2519" in html and "trained on" in html
    assert "cue.face.gaze" not in html.split('<section class="model">')[1]  # internals stay out
    assert "Untrained codebook prior" not in html


def test_no_segment_renders_calmly(case):
    table, pred = case
    pred = pred.replace(segments=(), label=0, probability=0.2, frame_probability=(0.2,) * table.meta.n_frames)
    html = render_report(pred, table)
    assert 'class="card"' not in html and "A/H not likely (A/H score 0.20" in html
    assert "nothing to explain segment by segment" in html


def test_timeline_shows_every_active_cue_and_the_glossary_defines_them():
    bursts = {c: (10 * i, 10 * i + 8) for i, c in enumerate(
        ["face.gaze", "face.frown", "face.smile", "body.shake", "body.nod", "body.tilt", "audio.pause",
         "audio.slow", "audio.fast", "language.hedging", "language.filler_sound", "language.no_opp",
         "language.repetition", "face.eyebrow", "face.nose", "face.open", "body.look_away"])}
    table = make_frametable(n_frames=240, bursts=bursts)
    html = render_report(make_prediction(table, []), table)
    caption = html.split("<figcaption>", 1)[1].split("</figcaption>", 1)[0]
    assert "every codebook cue active anywhere in the video" in caption and "17 in all" in caption
    assert len(re.findall(r'<g class="lane" tabindex="0"', html)) == 17  # one focusable lane per cue
    glossary = _section(html, "Glossary")
    from codebook.vocabulary import load_vocabulary
    voc = load_vocabulary()
    for cue in bursts:
        assert voc[cue].name in glossary and html_escape(voc[cue].definition) in glossary
    # when rows are capped, the caption names every cue left out
    from reports.html import OPTIONS, ReportOptions
    html = render_report(make_prediction(table, []), table, options=ReportOptions(max_timeline_rows=15))
    caption = html.split("<figcaption>", 1)[1].split("</figcaption>", 1)[0]
    assert "also active but not drawn" in caption and caption.count(", ") >= 1
    assert OPTIONS.max_timeline_rows >= 40


def test_chart_and_cards_share_one_valence_reference():
    """The issue's contradiction: a card said "face positive" where the chart drew face valence at 0,
    because the chart was centred on the video's median. The chart now draws valence as level one
    measured it (0 = the person's own neutral, the cards' reference), and says so once."""
    import numpy as np

    table = make_frametable(n_frames=120)
    table.data["affect.face.valence"] = np.float32(0.5)  # positive all along: its median is 0.5 too
    html = render_report(make_prediction(table, []), table)
    svg = html.split('<svg class="timeline"', 1)[1].split("</svg>", 1)[0]
    zero = float(re.search(r'<line class="zero" x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"', svg).group(1))
    face = re.search(r'<path class="affect" d="([^"]+)" stroke="#0072B2"', svg).group(1)
    ys = [float(v) for v in re.findall(r"[ML][\d.]+ ([\d.]+)", face)]
    assert len(ys) == 120 and max(ys) < zero - 10  # drawn above the zero line, not centred onto it
    caption = html.split("<figcaption>", 1)[1].split("</figcaption>", 1)[0]
    assert "0 is this person's own neutral" in caption and "the same reference the segment cards use" in caption
    assert "median" not in html


def test_write_report_rerenders_in_place_without_force(case, tmp_path):
    table, pred = case
    table.write(tmp_path / "features.parquet")
    (tmp_path / "prediction.json").write_text(pred.to_json())
    [path] = write_report(tmp_path)
    first = path.read_text()
    assert len(re.findall(r'<section class="card"', first)) == 2
    path.write_text("stale")
    [path] = write_report(tmp_path)  # no force needed: re-rendering is the command's job
    assert path.read_text() == first  # deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.parquet", "prediction.json", "report.html"]


def test_bad_prediction_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        write_report(tmp_path)
    (tmp_path / "prediction.json").write_text("{not json")
    with pytest.raises(InputError, match="prediction.json"):
        write_report(tmp_path)
    (tmp_path / "prediction.json").write_text(json.dumps({"probability": 0.3}))
    with pytest.raises(InputError, match="not a prediction.json"):
        write_report(tmp_path)


def test_annotated_segments_are_named_and_empty_fields_read_dash(case):
    table, pred = case
    pred = pred.replace(annotated_segments=(annotated(4.2, 6.1, FPS, {"body": ("body.shake",)}),))
    html = render_report(pred, table)
    assert "Annotators marked 1 A/H segment, at 0:04.2\u20130:06.1." in html
    assert "Sky-blue bars under the score: 1 segment marked A/H by the annotators." in html
    assert '<tr tabindex="0" data-seek-s="4.200">' in html  # the row seeks the video to its start
    assert re.search(r'<rect class="annot" [^>]*data-seek-s="4.200"', html)  # and so does its bar
    annotators = _section(html, "What the annotators marked")
    assert "0:04.2\u20130:06.1" in annotators and "Head shake (body)" in annotators
    assert "<td>\u2014</td>" in annotators  # no pairs noted


def test_renders_without_features(case):
    _, pred = case
    html = render_report(pred, None)  # features.parquet deleted: the report still renders
    assert len(re.findall(r'<section class="card"', html)) == 2 and '<svg class="timeline"' in html


def test_prediction_json_round_trips_through_the_report(case, tmp_path):
    table, pred = case
    back = Prediction.from_json(pred.to_json())
    assert back == pred and render_report(back, table) == render_report(pred, table)
def test_model_section_says_when_explanations_are_approximate_or_adapted():
    from types import SimpleNamespace

    from leveltwo.predict import ModelInfo
    from reports.html import _model_section

    exact = _model_section(SimpleNamespace(model=ModelInfo("conflict-x", "conflict", True, {})))
    assert "approximate" not in exact and "adapted" not in exact
    fusion = _model_section(SimpleNamespace(model=ModelInfo("fusion-x", "fusion", True, {},
                                                            explanation="approximate", adaptation="tta")))
    assert "explanations are approximate" in fusion
    assert "adapted to this person at test time" in fusion
    assert "<dt>test-time adaptation</dt><dd>tta</dd>" in fusion


def test_baseline_note_says_when_population_norms_were_blended_in(case):
    table, pred = case
    personal = render_report(pred.replace(baseline={"face": {"kind": "personal", "personal_s": 40.0,
                                                             "stable_s": 30.0, "personal_weight": 1.0}}), table)
    assert "not against other people" in personal and "blended with" not in personal
    short = {"face": {"kind": "blended", "personal_s": 10.0, "stable_s": 30.0, "personal_weight": 0.33}}
    blended = render_report(pred.replace(baseline=short), table)
    assert "blended with norms from other people" in blended and "not against other people" not in blended
    # per source: which one lacked what (the issue: "too short" on a 33.6 s clip, no source named)
    assert ("Baseline: face (10 s with a face) had less than the 30 s of this person a stable baseline needs, "
            "so 67% population norms were blended in.") in blended
    two = {**short, "audio": {"kind": "blended", "personal_s": 4.0, "stable_s": 5.0, "personal_weight": 0.8},
           "text": {"kind": "personal", "personal_s": 40.0, "stable_s": 30.0, "personal_weight": 1.0}}
    detail = render_report(pred.replace(baseline=two), table).split('<div class="detail">', 1)[1].split("</div>")[0]
    assert "audio (4 s of speech) had less than the 5 s" in detail and "20% population norms" in detail
    assert "face (10 s with a face)" in detail and "text" not in detail


def test_baseline_note_names_a_declared_neutral_recording(case):
    table, pred = case
    face = {"kind": "personal", "personal_s": 40.0, "stable_s": 30.0, "personal_weight": 1.0}
    plain = render_report(pred.replace(baseline={"face": face}), table)
    declared = render_report(pred.replace(baseline={"face": {**face, "declared_neutral": True}}), table)
    assert "declared neutral recording" not in plain
    assert "Facial affect is read against the person" in declared and "declared neutral recording." in declared


# --- one story per page (issue 23): each contradiction a new user found, rendered and checked ---


def test_body_pose_missing_but_head_gestures_active_is_one_story():
    """No body pose, yet head shake and nod were measured (from the face mesh): the page must not call
    body simply "missing" while its timeline shows body lanes."""
    table = make_frametable(n_frames=240, bursts={"body.shake": (40, 90), "body.nod": (120, 160)})
    for col in table.cue_columns():
        if col.startswith("cue.body.") and col not in ("cue.body.shake", "cue.body.nod"):
            table.data[col] = float("nan")  # the pose-based body cues: no pose, no value
    table.data["affect.body.valence"] = float("nan")
    table.meta.missing = ["body"]
    pred = make_prediction(table, [segment(40, 90, FPS, 0.7, [("body.shake", 0.5)])], missing=["body"])
    html = render_report(pred, table)
    missing = _section(html, "What was missing")
    assert "no body pose was found, so body cues could not be measured" not in missing
    assert ("the head gestures (head shake, head nod) come from the face mesh and were measured" in missing)
    assert "rests on face, language, audio, head gestures (from the face mesh) only" in missing
    lanes = re.findall(r'<g class="lane"[^>]*data-name="([^"]+)"[^>]*data-definition="([^"]+)"', html)
    named = dict(lanes)
    assert named["Head shake"].endswith("Measured from the face mesh&#x27;s head angles.")
    assert "Measured from the face mesh" in _section(html, "Glossary")
    # with the pose present, nothing is said about the face mesh
    full = make_frametable(n_frames=240, bursts={"body.shake": (40, 90)})
    assert "face mesh" not in render_report(make_prediction(full, []), full)


def test_fusion_model_cards_list_active_cues_and_say_approximate_up_front():
    """A fusion model attributes whole modalities: its segments carry no cue shares. The cards list
    the cues that were active (from the FrameTable) instead of "No codebook cue was active", and the
    headline box says the explanations are approximate."""
    table = make_frametable(n_frames=264, fps=FPS, bursts={"face.gaze": (96, 156), "audio.pause": (100, 150)})
    seg = segment(96, 156, FPS, 0.8, [], context_share=0.1)
    seg = replace(seg, modalities=(replace(seg.modalities[0], id="face", share=0.6),) if seg.modalities else
                  (__import__("leveltwo.predict", fromlist=["ModalityShare"]).ModalityShare("face", 0.6),))
    pred = make_prediction(table, [seg], kind="fusion", trained=True)
    pred = pred.replace(model=replace(pred.model, explanation="approximate"))
    html = render_report(pred, table)
    card = html.split('<section class="card"', 1)[1].split("</section>", 1)[0]
    assert "No codebook cue was active" not in card
    assert "This model weighs whole modalities, not single cues" in card
    assert "Gaze shift" in card and "Long pauses" in card and "100%" in card
    box = html.split('id="headline">', 1)[1].split("</section>", 1)[0]
    assert "Explanations are approximate" in box
    assert html.index("Explanations are approximate") < html.index("<h2>Segments</h2>")
    # the cues it lists are defined in the glossary
    assert "The eyes, not the head, move" in _section(html, "Glossary")
    # an exact model with a cue-free segment and no active cue still says so plainly
    quiet = make_frametable(n_frames=264, fps=FPS)
    exact = make_prediction(quiet, [segment(96, 156, FPS, 0.8, [])])
    assert "No codebook cue was active in this segment" in render_report(exact, quiet)


def test_within_modality_conflicts_are_named_defined_and_in_the_glossary(case):
    """The issue's "Conflict within audio ()": a within term with no definition gets one, and the
    glossary defines it."""
    table, pred = case
    seg = replace(pred.segments[0], within=({"id": "audio", "share": 0.12, "name": "Conflict within audio",
                                             "definition": ""},
                                            {"id": "language", "share": 0.2, "name": "Ambivalence in talk",
                                             "definition": "said something for a change and against it"},
                                            {"id": "body", "share": 0.001, "name": "Conflict within body",
                                             "definition": ""}))
    html = render_report(pred.replace(segments=(seg,) + pred.segments[1:]), table)
    card = html.split('<section class="card"', 1)[1].split("</section>", 1)[0]
    assert "()" not in card and "Conflict within audio" not in html
    assert "<strong>Conflict within the voice</strong>" in card
    assert "the voice&#x27;s own affect swung both ways" in card
    assert "<strong>Ambivalence in talk</strong>" in card and "12%" in card
    assert "Conflict within the body" not in html  # under 1% of the evidence: not shown, not defined
    glossary = _section(html, "Glossary")
    assert "Conflict within the voice" in glossary and "Ambivalence in talk" in glossary


def test_long_model_card_rule_wraps_inside_the_metrics_table(case):
    """A long rule in the card's metrics used to sit in a `nowrap` number cell and push the table off
    the page: text values get a wrapping cell; numbers stay right-aligned on one line."""
    table, pred = case
    rule = "selected where " + " and ".join(f"validation_ap_fold_{i} >= 0.25" for i in range(20))
    pred = make_prediction(table, list(pred.segments), kind="conflict", trained=True,
                           card={"metrics": {"test": {"AP": 0.2519, "selection_rule": rule}}})
    html = render_report(pred, table)
    metrics = html.split('<table class="metrics">', 1)[1].split("</table>", 1)[0]
    assert f'<td class="text">{html_escape(rule)}</td>' in metrics and '<td class="num">0.2519</td>' in metrics
    css = _asset("report.css")
    assert re.search(r"table\.metrics \{ table-layout: fixed; \}", css)
    assert re.search(r"table\.metrics td \{[^}]*overflow-wrap: anywhere", css)


def test_timeline_spells_out_abbreviated_cue_names():
    table = make_frametable(n_frames=240, bursts={"language.mot": (10, 40), "language.no_opp": (60, 90),
                                                  "face.close2": (100, 130)})
    html = render_report(make_prediction(table, []), table)
    names = re.findall(r'<text class="lane-name"[^>]*>([^<]+)</text>', html)
    assert {"Motivation to change", "No opportunity to change", "Eyes close (both)"} <= set(names)
    assert not {"Mot", "No opp", "Close 2"} & set(names)
    glossary = _section(html, "Glossary")
    assert "Motivation to change <span class=\"mod\">language (codebook: Mot)</span>" in glossary


def test_segment_cards_and_markers_seek_the_video(case):
    """The shared rule: any element with data-seek-s seeks the video; each card carries its segment's
    start and end (the script highlights the current one), and the timeline's numbered markers too."""
    table, pred = case
    html = render_report(pred, table)
    cards = re.findall(r'<section class="card" id="segment-(\d)" tabindex="0" data-seek-s="([\d.]+)" '
                       r'data-start-s="([\d.]+)" data-end-s="([\d.]+)">', html)
    assert [(int(i), float(a), float(b), float(c)) for i, a, b, c in cards] == [
        (i, round(s.start_s, 3), round(s.start_s, 3), round(s.end_s, 3)) for i, s in enumerate(pred.segments, start=1)]
    marks = re.findall(r'<g class="segmark" tabindex="0" data-segment="(\d)" data-seek-s="([\d.]+)"', html)
    assert [(int(i), float(t)) for i, t in marks] == [(1, round(pred.segments[0].start_s, 3)),
                                                       (2, round(pred.segments[1].start_s, 3))]
    assert 'data-seek-s' in _asset("report.js") and "closest(\"[data-seek-s]\")" in _asset("report.js")


# --- the video: linked, copied, embedded or left out (--video) ---

SAMPLE_VIDEO = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample" / "sample.mp4"


def _folder(tmp_path, source):
    table = make_frametable(n_frames=120, bursts={"face.gaze": (10, 40)})
    pred = make_prediction(table, [segment(10, 40, FPS, 0.8, [("face.gaze", 0.6)])], source=str(source))
    out = tmp_path / "out"
    out.mkdir()
    table.write(out / "features.parquet")
    (out / "prediction.json").write_text(pred.to_json())
    return out


def _video_src(html: str) -> str | None:
    m = re.search(r'<video id="video"[^>]* src="([^"]*)"', html)
    return m.group(1) if m else None


def test_video_is_linked_by_a_relative_path_by_default(tmp_path):
    video = tmp_path / "media" / "my clip.mp4"
    video.parent.mkdir()
    shutil.copy(SAMPLE_VIDEO, video)
    out = _folder(tmp_path, video)
    [path] = write_report(out)
    html = path.read_text()
    assert _video_src(html) == "../media/my%20clip.mp4"  # relative to report.html, URL-quoted
    assert (out / "../media/my clip.mp4").resolve() == video.resolve()
    assert sorted(p.name for p in out.iterdir()) == ["features.parquet", "prediction.json", "report.html"]


def test_video_copy_embed_and_none(tmp_path):
    out = _folder(tmp_path, SAMPLE_VIDEO)
    write_report(out, video="copy")
    assert _video_src((out / "report.html").read_text()) == "sample.mp4"
    assert (out / "sample.mp4").read_bytes() == SAMPLE_VIDEO.read_bytes()
    write_report(out, video="embed")
    src = _video_src((out / "report.html").read_text())
    assert src.startswith("data:video/mp4;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == SAMPLE_VIDEO.read_bytes()
    write_report(out, video="none")
    html = (out / "report.html").read_text()
    assert _video_src(html) is None and "No video in this report (rendered with --video none)." in html
    assert '<svg class="timeline"' in html  # the timeline stands without the video


def test_video_too_large_to_embed_or_missing_is_said(tmp_path):
    out = _folder(tmp_path, SAMPLE_VIDEO)
    (out / "report.html").write_text("earlier")
    with pytest.raises(InputError, match="more than the 0 MB a report embeds; use --video copy or link"):
        write_report(out, video="embed", embed_max_mb=0.01)
    assert (out / "report.html").read_text() == "earlier"  # nothing written
    (tmp_path / "b").mkdir()
    gone = _folder(tmp_path / "b", tmp_path / "nowhere" / "clip.mp4")
    [path] = write_report(gone)  # linking a video that is not there: the page says so
    html = path.read_text()
    assert _video_src(html) is None and "was not found from here, so this report cannot play it" in html
    with pytest.raises(InputError, match="video not found, so --video copy cannot put it in the report"):
        write_report(gone, video="copy")


def test_model_stated_explanations_are_said_to_be_the_models_own_words(case):
    """A zero-shot language model's explanations are the cues it named (``model.explanation ==
    'model-stated'``): the headline box and the model section say so, before any segment card."""
    from dataclasses import replace

    table, pred = case
    pred = replace(pred, model=replace(pred.model, explanation="model-stated"))
    import html as htmllib

    page = htmllib.unescape(render_report(pred, table))
    box = page[page.index('id="headline"'):page.index("</section>", page.index('id="headline"'))]
    assert "the model's own words" in box and "not a measured share of evidence" in box
    assert page.index("the model's own words") < page.index("<h2>Segments</h2>")
    assert "Explanations are approximate" not in page
