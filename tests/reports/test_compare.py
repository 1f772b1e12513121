"""Explanation-vs-annotator metrics on constructed cases with hand-computed answers."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from leveltwo.predict import AnnotatedSegment, ModelInfo, Prediction, Segment
from report_fixtures import segment
from reports.compare import (Explanation, activation_explanation, bootstrap_ci, cases_for_video, derangement,
                             evaluate, explain_span, frame_overlap, frequency_explanation, score, summary_table,
                             temporal_iou, write_outputs)

FPS = 24.0
# Four annotated segments, each with a different modality and cue, and a pair on two of them.
PLANTED = [("body.shake", "LB"), ("audio.pause", None), ("face.gaze", "FL"), ("language.filler_sound", None)]


def annotated(start: int, end: int, cue: str, pair: str | None = None) -> AnnotatedSegment:
    return AnnotatedSegment(start / FPS, (end + 1) / FPS, start, end, {cue.split(".")[0]: (cue,)},
                            (pair,) if pair else ())


def frames(start: int, end: int) -> Segment:
    return Segment(start / FPS, (end + 1) / FPS, start, end, 0.8)


def prediction(segments: list, annotations: list, n_frames: int = 1000) -> Prediction:
    return Prediction("v", "v.mp4", FPS, n_frames, n_frames / FPS, ModelInfo("m", "conflict", True), 0.8,
                      "sliding_max_24", 0.5, 1, (), (0.5,) * n_frames, {}, tuple(segments), tuple(annotations))


def perfect_case() -> Prediction:
    anns, segs = [], []
    for i, (cue, pair) in enumerate(PLANTED):
        a, b = 100 + 200 * i, 199 + 200 * i
        anns.append(annotated(a, b, cue, pair))
        segs.append(segment(a, b, FPS, 0.8, [(cue, 0.6), ("body.nod", 0.05)], [(pair, 0.3)] if pair else []))
    return prediction(segs, anns)


def test_temporal_iou_by_hand():
    ann = annotated(10, 29, "body.shake")
    assert temporal_iou(ann, [frames(20, 39)]) == pytest.approx(10 / 30)
    # two overlapping predictions: union 5..14 and 25..44 -> inter 5 + 5 = 10, union 10..29 + 5..9 + 30..44 = 40
    two = [frames(5, 14), frames(25, 44)]
    assert temporal_iou(ann, two) == pytest.approx(10 / 40)
    assert temporal_iou(ann, [frames(50, 60)]) == 0.0


def test_frame_overlap_by_hand():
    pred = prediction([frames(10, 19), frames(50, 59)], [], n_frames=100)
    ann = [annotated(15, 24, "body.shake"), annotated(90, 120, "face.gaze")]  # the second runs past the end
    assert frame_overlap(pred, ann) == (5, 10 + 10 + 5 + 10)
    rows, summary = evaluate(cases_for_video(perfect_case()), overlaps=[(5, 35), (15, 15)])
    assert summary["frame_iou"] == pytest.approx(20 / 50)


def test_score_by_hand():
    ann = AnnotatedSegment(0, 1, 0, 23, {"body": ("body.shake",), "audio": ("audio.pause",)}, ("LB", "FL"))
    e = Explanation(cues=[("face.gaze", 0.4), ("audio.pause", 0.3), ("body.shake", 0.1)],
                    modalities={"face": 0.4, "audio": 0.3, "body": 0.1, "language": 0.05},
                    pairs={"LB": 0.2, "FA": 0.15, "AB": 0.05})
    s = score(e, ann)
    assert s["modality_precision"] == pytest.approx(2 / 3) and s["modality_recall"] == 1.0
    assert s["modality_f1"] == pytest.approx(0.8)
    assert (s["cue_hit@1"], s["cue_hit@3"], s["cue_hit@5"], s["cue_mrr"]) == (0.0, 1.0, 1.0, 0.5)
    assert s["pair_jaccard"] == pytest.approx(1 / 3)  # {LB} of {LB, FL, FA}
    assert s["pair_hit@1"] == 1.0
    missed = score(None, ann)
    assert missed["cue_hit@5"] == 0.0 and missed["modality_f1"] == 0.0 and missed["pair_jaccard"] == 0.0
    # an annotator cue level one cannot measure is left out of the cue metrics
    only_unmeasurable = score(e, AnnotatedSegment(0, 1, 0, 23, {"audio": ("audio.laugh",)}))
    assert math.isnan(only_unmeasurable["cue_mrr"]) and math.isnan(only_unmeasurable["pair_jaccard"])


def test_derangement_has_no_fixed_point_and_is_seeded():
    for n in (2, 3, 7, 50):
        p = derangement(n, seed=3)
        assert sorted(p) == list(range(n)) and not np.any(p == np.arange(n))
        assert np.array_equal(p, derangement(n, seed=3))


def test_perfect_explanation_and_shuffled_control():
    pred = perfect_case()
    rows, summary = evaluate(cases_for_video(pred), seed=0)
    model, control = summary["modes"]["segment"]["model"], summary["modes"]["segment"]["shuffled"]
    assert len(rows) == 4 and summary["n_segments"] == 4
    assert model["cue_hit@1"] == 1.0 and model["cue_mrr"] == 1.0 and model["modality_f1"] == 1.0
    assert model["pair_jaccard"] == 1.0 and summary["temporal_iou"] == 1.0 and summary["detected"] == 1.0
    # every segment gets another segment's explanation: the planted cue is never in it
    assert control["cue_hit@1"] == 0.0 and control["modality_f1"] == 0.0
    assert control["cue_mrr"] < model["cue_mrr"] - 0.5


def test_missed_segment_scores_zero_in_segment_mode_but_span_mode_explains_it():
    pred = perfect_case()
    pred = pred.replace(segments=pred.segments[:1] + pred.segments[2:])  # the pause segment is not detected
    n = 1000
    contrib = pd.DataFrame(0.0, index=range(n), columns=["cue.body.shake", "cue.audio.pause", "cue.face.gaze",
                                                         "cue.language.filler_sound", "pair.LB", "pair.FL",
                                                         "context", "bias"])
    for i, (cue, pair) in enumerate(PLANTED):
        a, b = 100 + 200 * i, 199 + 200 * i
        contrib.loc[a:b, f"cue.{cue}"] = 1.0
        contrib.loc[a:b, "cue.body.shake"] += 0.1  # a weaker second cue everywhere
        if pair:
            contrib.loc[a:b, f"pair.{pair}"] = 0.5
    contrib["bias"] = -3.0
    rows, summary = evaluate(cases_for_video(pred, contributions=contrib), seed=1)
    assert rows[1]["detected"] is False and rows[1]["segment.cue_hit@5"] == 0.0 and rows[1]["temporal_iou"] == 0.0
    assert rows[1]["segment.frequency.cue_hit@5"] == 0.0  # baselines explain the same (no) frames
    assert rows[1]["span.cue_hit@1"] == 1.0 and rows[1]["span.top_cues"] == "audio.pause;body.shake"
    span, control = summary["modes"]["span"]["model"], summary["modes"]["span"]["shuffled"]
    assert span["cue_hit@1"] == 1.0 and summary["modes"]["segment"]["model"]["cue_hit@1"] == 0.75
    assert control["cue_hit@1"] < span["cue_hit@1"]


def test_explain_span_shares():
    contrib = pd.DataFrame({"cue.body.shake": [1.0, 1.0, 0.0, 0.0], "cue.face.gaze": [0.0, 0.5, 0.5, 0.0],
                            "pair.FB": [0.0, 0.5, 0.0, 0.0], "context": [0.0, 0.0, 0.0, 0.0],
                            "bias": [-2.0] * 4})
    e = explain_span(contrib, 0, 2)  # shake 2.0, gaze 1.0, FB 0.5 of 3.5
    assert e.ranked_cues == ["body.shake", "face.gaze"]
    assert dict(e.cues)["body.shake"] == pytest.approx(2 / 3.5, abs=1e-4)
    assert e.pairs["FB"] == pytest.approx(0.5 / 3.5, abs=1e-4)


def test_outputs_and_table(tmp_path):
    rows, summary = evaluate(cases_for_video(perfect_case()), seed=0)
    paths = write_outputs(tmp_path, rows, summary)
    assert [p.name for p in paths] == ["comparison.csv", "comparison.json", "comparison.png"]
    lines = paths[0].read_text().splitlines()
    assert len(lines) == 5 and lines[0].startswith("video_id,segment,start_s")
    doc = json.loads(paths[1].read_text())
    assert doc["modes"]["segment"]["model"]["cue_hit@1"] == 1.0
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError, match="already exists"):
        write_outputs(tmp_path, rows, summary)
    table = summary_table(summary)
    assert "cue_hit@1" in table and "1.000" in table and "segment mode" in table


def test_baselines_and_bootstrap_intervals():
    pred = perfect_case()
    n = 1000
    acts = pd.DataFrame(0.1, index=range(n), columns=["cue.body.shake", "cue.audio.pause", "cue.face.gaze",
                                                      "cue.language.filler_sound", "cue.body.nod"])
    acts.loc[:, "cue.body.nod"] = 0.95  # the raw activation ranking always puts nod first
    for i, (cue, _) in enumerate(PLANTED):
        acts.loc[100 + 200 * i:199 + 200 * i, f"cue.{cue}"] = 0.6
    rows, summary = evaluate(cases_for_video(pred, activations=acts), seed=0)
    seg = summary["modes"]["segment"]
    assert set(seg) >= {"model", "shuffled", "activation", "frequency", "ci"}
    assert seg["activation"]["cue_hit@1"] == 0.0 and seg["activation"]["cue_hit@3"] == 1.0
    assert seg["activation"]["cue_mrr"] == pytest.approx(0.5)
    # the frequency ranking is the same for every segment: gaze (the most named cue) ranks high
    freq = frequency_explanation()
    assert freq.ranked_cues[:4] == ["face.gaze", "language.filler_sound", "body.shake", "audio.pause"]
    assert 0.0 <= seg["frequency"]["cue_mrr"] < seg["model"]["cue_mrr"] == 1.0
    lo, hi = seg["ci"]["model"]["cue_hit@1"]
    assert lo == hi == 1.0  # every segment a hit: no spread
    lo, hi = seg["ci"]["frequency"]["cue_mrr"]
    assert lo <= seg["frequency"]["cue_mrr"] <= hi
    assert bootstrap_ci([0.0, 1.0] * 50, seed=1) == pytest.approx([0.4, 0.6], abs=0.05)
    assert activation_explanation(acts, []) is None
    table = summary_table(summary)
    assert "activation" in table and "frequency" in table and "95% CI" in table


def test_shuffled_control_is_omitted_where_it_would_equal_the_model():
    one = prediction([segment(100, 199, FPS, 0.8, [("body.shake", 0.6)])], [annotated(100, 199, "body.shake")])
    rows, summary = evaluate(cases_for_video(one), seed=0)
    assert math.isnan(summary["modes"]["segment"]["shuffled"]["cue_mrr"])
    assert any("shuffled control omitted" in n for n in summary["notes"])
    # one predicted segment covering two annotated ones: both get the same explanation
    wide = prediction([segment(100, 399, FPS, 0.8, [("body.shake", 0.6)])],
                      [annotated(100, 199, "body.shake"), annotated(200, 399, "audio.pause")])
    rows, summary = evaluate(cases_for_video(wide), seed=0)
    assert math.isnan(summary["modes"]["segment"]["shuffled"]["cue_hit@1"])
    assert "same explanation" in summary["notes"][0]


def test_says_when_the_comparison_cannot_tell_anything():
    """Two segments with the same annotated cue and explanations that differ only below the top:
    the shuffled control scores exactly as the model, and the intervals come from 2 segments. The
    summary (and the terminal table) says both (issue 20: `compare --split test` on a tiny corpus)."""
    anns = [annotated(100, 199, "body.shake"), annotated(300, 399, "body.shake")]
    segs = [segment(100, 199, FPS, 0.8, [("body.shake", 0.6), ("body.nod", 0.1)]),
            segment(300, 399, FPS, 0.8, [("body.shake", 0.6), ("face.gaze", 0.1)])]
    rows, summary = evaluate(cases_for_video(prediction(segs, anns)), seed=0)
    seg = summary["modes"]["segment"]
    assert seg["shuffled"]["cue_mrr"] == seg["model"]["cue_mrr"] == 1.0  # the control is computed, and equal
    notes = " ".join(summary["notes"])
    assert "segment mode: the shuffled control scores the same as the model on every metric" in notes
    assert "only 2 segment(s)" in notes
    assert "cannot tell the explanations from chance" in summary_table(summary)
    # four distinct segments, the control far below the model: no such note about the control
    rows, summary = evaluate(cases_for_video(perfect_case()), seed=0)
    assert not any("scores the same as the model" in n for n in summary["notes"])
    assert any("only 4 segment(s)" in n for n in summary["notes"])
