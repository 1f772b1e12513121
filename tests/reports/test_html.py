"""The clinician report rendered from a prediction dict and a FrameTable built in the test."""
from __future__ import annotations

import json
import re

import pytest

from codebook.errors import InputError
from reports.html import clock, headline, render_report, write_report
from report_fixtures import HOSTILE, make_frametable, make_prediction, segment

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


def test_clock_and_headline(case):
    assert clock(4.0) == "0:04" and clock(59.6) == "1:00" and clock(125.25, 1) == "2:05.2"
    _, pred = case
    assert headline(pred) == "A/H likely (p = 0.78): 2 segments, at 0:04-0:07 and 0:07-0:10"
    pred = dict(pred, label=0, probability=0.31, segments=[])
    assert headline(pred) == "A/H not likely (p = 0.31): no segment above the threshold"
    assert headline(dict(pred, label=1, probability=0.55)).endswith("no single segment long enough to mark")


def test_report_has_headline_cards_model_and_notes(case):
    table, pred = case
    html = render_report(pred, table)
    assert "A/H likely (p = 0.78): 2 segments, at 0:04-0:07 and 0:07-0:10" in html
    assert len(re.findall(r'<section class="card"', html)) == 2
    # plain-word cues with their codebook definitions, evidence shares, pairs with definitions
    assert "Shake" in html and "The head turns from side to side" in html and "45%" in html
    assert "Language-body" in html and "Words and body disagree" in html
    assert "Untrained codebook prior: weights set from the published BAH cue statistics, not trained on data." in html
    assert "supports and does not replace clinical judgement" in html
    assert "this person&#x27;s own baseline" in html or "this person's own baseline" in html
    # what was missing names the modality
    missing = html.split("<h2>What was missing</h2>", 1)[1].split("<h2>", 1)[0]
    assert "language" in missing and "no transcript" in missing
    assert "face" not in missing.split("</ul>")[0].split("<ul>")[1]
    # self-contained: the figure is embedded, nothing is fetched
    assert 'src="data:image/png;base64,' in html
    assert not re.search(r'(src|href)="(https?:|//)', html) and "<script" not in html.lower()


def test_everything_external_is_escaped(case):
    table, pred = case
    pred["model"] = {"id": "conflict-<i>x</i>", "kind": "conflict", "trained": True,
                     "card": {"training_data": "BAH <script>alert(3)</script>", "metrics": {"test": {"AP": 0.2519}},
                              "term_names": ["cue.face.gaze"]}}
    html = render_report(pred, table)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the transcript
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html  # the model card
    assert "clip &lt;b&gt;bold&lt;/b&gt; &amp; &#x27;x&#x27;.mp4" in html  # the file name
    assert "<i>x</i>" not in html and "conflict-&lt;i&gt;x&lt;/i&gt;" in html
    assert "test / AP" in html and "0.2519" in html and "trained on" in html
    assert "cue.face.gaze" not in html.split('<section class="model">')[1]  # internals stay out
    assert "Untrained codebook prior" not in html


def test_no_segment_renders_calmly(case):
    table, pred = case
    pred.update(segments=[], label=0, probability=0.2, frame_probability=[0.2] * table.meta.n_frames)
    html = render_report(pred, table)
    assert 'class="card"' not in html and "A/H not likely (p = 0.20)" in html
    assert "nothing to explain segment by segment" in html


def test_write_report_rerenders_from_files(case, tmp_path):
    table, pred = case
    table.write(tmp_path / "features.parquet")
    (tmp_path / "prediction.json").write_text(json.dumps(pred))
    [path] = write_report(tmp_path)
    first = path.read_text()
    assert len(re.findall(r'<section class="card"', first)) == 2
    with pytest.raises(InputError, match="already exists"):
        write_report(tmp_path)
    [path] = write_report(tmp_path, force=True)
    assert path.read_text() == first  # deterministic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.parquet", "prediction.json", "report.html"]


def test_bad_prediction_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        write_report(tmp_path)
    (tmp_path / "prediction.json").write_text("{not json")
    with pytest.raises(InputError, match="prediction.json"):
        write_report(tmp_path)


def test_annotated_segments_are_named(case):
    table, pred = case
    pred["annotated_segments"] = [{"start_s": 4.2, "end_s": 6.1, "start_frame": 100, "end_frame": 146,
                                   "cues": {"body": ["body.shake"]}, "pairs": []}]
    html = render_report(pred, table)
    assert "Annotators marked 1 A/H segment, at 0:04-0:07." in html
    assert "Blue bars: 1 segment marked A/H by the annotators." in html
    annotators = html.split("<h2>What the annotators marked</h2>", 1)[1].split("<h2>", 1)[0]
    assert "0:04.2 &ndash; 0:06.1" in annotators and "Shake (body)" in annotators


def test_renders_without_features(case):
    _, pred = case
    html = render_report(pred, None)  # features.parquet deleted: the report still renders
    assert len(re.findall(r'<section class="card"', html)) == 2 and 'src="data:image/png;base64,' in html


def test_model_section_says_when_explanations_are_approximate_or_adapted():
    from reports.html import _model_section

    exact = _model_section({"id": "conflict-x", "kind": "conflict", "trained": True, "card": {}})
    assert "approximate" not in exact and "adapted" not in exact
    fusion = _model_section({"id": "fusion-x", "kind": "fusion", "trained": True, "card": {},
                             "explanation": "approximate", "adaptation": "tta"})
    assert "explanations are approximate" in fusion
    assert "adapted to this person at test time" in fusion
    assert "<dt>test-time adaptation</dt><dd>tta</dd>" in fusion
