"""End to end on the generated BAH-format demo corpus: level one extraction, `ahcue train`,
`ahcue evaluate`, explanations against the annotators' (planted) cues, xgboost beside it.

This is a system test of the pipeline on planted, synthetic A/H moments (espeak speech, real faces
moved on purpose). Passing it says the parts fit together and can find what was planted; it says
nothing about accuracy on real people.
"""
from __future__ import annotations

import json

import pytest

from reports.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(demo_corpus, demo_tables, tmp_path_factory):
    """Train both detectors on the level-one tables the session already extracted (corpus cache)."""
    d = tmp_path_factory.mktemp("l2e2e")
    common = ["--no-asr", "--quiet"]
    assert main(["train", str(demo_corpus), "--kind", "conflict", "-o", str(d / "conflict"), "--device", "cpu",
                 "--epochs", "60", *common]) == 0
    assert main(["train", str(demo_corpus), "--kind", "xgboost", "-o", str(d / "xgb"), "--device", "cpu",
                 *common]) == 0
    for name in ("conflict", "xgb"):
        assert main(["evaluate", str(demo_corpus), "--model", str(d / name), "--split", "test",
                     "-o", str(d / f"eval-{name}"), *common]) == 0
    return d


def test_card_reports_constraint_and_ablation(trained):
    card = json.loads((trained / "conflict" / "card.json").read_text())
    assert card["kind"] == "conflict" and card["trained"] is True
    assert card["constraint_weight"] == 0.1
    abl = card["metrics"]["ablation_constraint_0"]
    assert abl["val"] is None or "fixed_0.5" in abl["val"]
    assert "evidence_val" in card["metrics"]


def test_frame_avgf1_on_test(trained, capsys):
    conflict = json.loads((trained / "eval-conflict" / "metrics.json").read_text())
    xgb = json.loads((trained / "eval-xgb" / "metrics.json").read_text())
    f = conflict["tuned"]["frame"]
    with capsys.disabled():
        print(f"\n[system test on the generated demo corpus, not accuracy on people] test frames "
              f"{f['n']}: conflict AVGF1 {f['avgf1']:.3f} AP {f['ap']:.3f} (tuned thr {f['threshold']:.2f}); "
              f"xgboost AVGF1 {xgb['tuned']['frame']['avgf1']:.3f} AP {xgb['tuned']['frame']['ap']:.3f}")
    assert f["avgf1"] >= 0.80
    # predictions.csv lets anyone recompute the frame metrics
    import pandas as pd
    from leveltwo.metrics import avg_f1
    preds = pd.read_csv(trained / "eval-conflict" / "predictions.csv")
    assert len(preds) == f["n"]
    assert avg_f1(preds["label"], preds["p1"] >= f["threshold"]) == pytest.approx(f["avgf1"])
    for png in ("pr_curve.png", "confusion.png"):
        assert (trained / "eval-conflict" / png).read_bytes()[:4] == b"\x89PNG"


def test_explanations_name_the_planted_cue(trained, demo_corpus):
    from codebook.bah import BAHDataset
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.models import load_model
    from leveltwo.predict import predict_video

    model = load_model(trained / "conflict")
    tables = extract_tables(demo_corpus, cache_dir=None, asr=False, progress=False)
    split = load_split(demo_corpus, "test", tables)
    measurable = {c.id for c in BAHDataset(demo_corpus).vocab.measurable}
    detected = hits = 0
    for table, ann in zip(split.tables, split.annotations):
        if ann is None:
            continue
        pred = predict_video(model, table, ann)
        for seg in ann.segments:
            planted = {c for ids in seg.cues.values() for c in ids} & measurable
            if not planted:
                continue
            over = [s for s in pred.segments if s.start_frame <= seg.end_frame and s.end_frame >= seg.start_frame]
            if not over:
                continue
            detected += 1
            top = {c.id for s in over for c in s.cues[:3]}
            hits += bool(planted & top)
    assert detected > 0
    assert hits / detected >= 0.8, f"planted cue in top 3 for {hits} of {detected} detected segments"


def test_compare_says_when_it_scores_on_training_videos(trained, demo_corpus, capsys):
    """`compare --split all` with a trained model names the optimism; `--split test` does not."""
    model = str(trained / "conflict")
    assert main(["compare", str(demo_corpus), "--model", model, "--split", "all", "--json", "--quiet",
                 "--no-asr"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert "trained and selected on" in summary["warning"] and "--split test" in summary["warning"]
    assert main(["compare", str(demo_corpus), "--model", model, "--split", "all", "--quiet", "--no-asr"]) == 0
    assert "note: split 'all' includes the train/val videos" in capsys.readouterr().out
    assert main(["compare", str(demo_corpus), "--model", model, "--split", "test", "--json", "--quiet",
                 "--no-asr"]) == 0
    assert "warning" not in json.loads(capsys.readouterr().out)
def test_fusion_comparator_and_tta_from_the_cli(trained, demo_corpus):
    """`train --kind fusion` and `evaluate --adapt tta` run from the command line; the fusion card
    says its explanations are approximate, every card records the training segment durations."""
    d, common = trained, ["--no-asr", "--quiet"]
    assert main(["train", str(demo_corpus), "--kind", "fusion", "-o", str(d / "fusion"), "--device", "cpu",
                 "--epochs", "8", *common]) == 0
    card = json.loads((d / "fusion" / "card.json").read_text())
    assert card["kind"] == "fusion" and card["explanation"] == "approximate"
    for name in ("conflict", "fusion"):
        durations = json.loads((d / name / "card.json").read_text())["segment_durations"]
        assert durations["mean_s"] > 0 and durations["min_duration_s"] < durations["mean_s"]
    assert main(["evaluate", str(demo_corpus), "--model", str(d / "fusion"), "--split", "test",
                 "-o", str(d / "eval-fusion"), *common]) == 0
    fusion = json.loads((d / "eval-fusion" / "metrics.json").read_text())
    chance = fusion["tuned"]["frame"]["n_positive"] / fusion["tuned"]["frame"]["n"]
    assert fusion["tuned"]["frame"]["ap"] > chance  # it beats chance (BAH's AP; a system test)
    assert main(["evaluate", str(demo_corpus), "--model", str(d / "conflict"), "--split", "test", "--adapt", "tta",
                 "-o", str(d / "eval-conflict-tta"), *common]) == 0
    tta = json.loads((d / "eval-conflict-tta" / "metrics.json").read_text())
    assert tta["model"]["adaptation"] == "tta" and tta["tuned"]["frame"]["n"] == fusion["tuned"]["frame"]["n"]
