"""Text affect: offline loading, sanity numbers, edge cases, the model card's metrics, the CLI."""
from __future__ import annotations

import argparse
import json
import socket

import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from levelone.language import textaffect as ta
from levelone.training import text as tt
# Conversation-grouped folds (levelone.training.conversations); the card's figures:
STANCE_FLOOR = 0.52  # measured 0.527 (shipped: MiniLM vector + readable cue counts, the utterance)
WINDOW_AUC_FLOOR = 0.60  # measured 0.618 (30 s windows holding change AND sustain talk)
SESSION_AUC_FLOOR = 0.64  # measured 0.664 (the 84 of 133 sessions holding both)


def _no_network(*args, **kwargs):
    raise OSError("network access attempted during text affect loading/scoring")


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """Load encoder + heads and score everything once, with the network cut and no hub cache."""
    texts = [
        "I love this, it makes me so happy",
        "I hate it, it is awful",
        "I really want to start exercising, I know it would help me",
        "I don't want to quit, smoking relaxes me",
        "",
        "   ",
        "I walked to the shop and back again today. " * 120,  # ~1,100 word pieces
        "Quiero dejar de fumar pero me cuesta mucho, fumar me relaja por las tardes",
        "I want to stop smoking but it is hard, smoking relaxes me in the evenings",
        "我不想戒烟，吸烟让我放松",
    ]
    empty_home = tmp_path_factory.mktemp("hf_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setenv("HF_HOME", str(empty_home))
        mp.setenv("HF_HUB_CACHE", str(empty_home / "hub"))
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket.socket, "connect_ex", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        ta.get_encoder.cache_clear()
        model = ta.TextAffect(batch_size=4)
        frame = model.score(texts)
        ctx = model.score(
            ["Yes, I think I should cut down.", "No, I like it the way it is."],
            ["Do you want to drink less?", "Do you want to drink less?"],
        )
    assert not any(empty_home.rglob("*.safetensors")), "something was fetched into the hub cache"
    return model, texts, frame, ctx


def test_columns_and_ranges(scored):
    _, texts, frame, ctx = scored
    assert list(frame.columns) == list(ta.COLUMNS)
    assert len(frame) == len(texts)
    ok = frame["valence"].notna()
    assert ok.sum() == len(texts) - 2
    assert frame.loc[ok, "valence"].between(-1, 1).all()
    p = frame.loc[ok, ["p_change", "p_neutral", "p_sustain"]].to_numpy()
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)
    assert (p >= 0).all()
    assert frame["confidence"].between(0, 1).all()
    np.testing.assert_allclose(ctx[["p_change", "p_neutral", "p_sustain"]].sum(axis=1), 1.0, atol=1e-6)


def test_valence_sanity(scored):
    _, _, frame, _ = scored
    assert frame.loc[0, "valence"] > 0.3
    assert frame.loc[1, "valence"] < -0.3


def test_stance_sanity(scored):
    _, _, frame, ctx = scored
    probs = frame[["p_change", "p_neutral", "p_sustain"]]
    assert probs.iloc[2].idxmax() == "p_change"
    assert probs.iloc[3].idxmax() == "p_sustain"
    assert ctx.loc[0, "p_change"] > ctx.loc[1, "p_change"]
    assert ctx.loc[1, "p_sustain"] > ctx.loc[0, "p_sustain"]


def test_empty_text_has_no_evidence(scored):
    _, _, frame, _ = scored
    for i in (4, 5):
        assert np.isnan(frame.loc[i, ["valence", "p_change", "p_neutral", "p_sustain"]].to_numpy(float)).all()
        assert frame.loc[i, "confidence"] == 0.0


def test_long_text_is_windowed(scored):
    model, texts, frame, _ = scored
    assert model.encoder.word_pieces(texts[6]) > 512
    assert np.isfinite(frame.loc[6, ["valence", "p_change", "p_neutral", "p_sustain"]].to_numpy(float)).all()
    # every window counts, not only the first 256 pieces: half glowing, half bitter text lands
    # between its halves (truncation would give the glowing half's score)
    good, bad = "What a wonderful, lovely, happy day. " * 60, "What an awful, miserable, hateful day. " * 60
    both = model.score([good, bad, good + bad])["valence"].to_numpy()
    assert model.encoder.word_pieces(good) > 300
    assert both[1] + 0.2 < both[2] < both[0] - 0.2


def test_non_english_is_scored_with_low_confidence(scored):
    _, _, frame, _ = scored
    spanish, english, chinese = frame.loc[7], frame.loc[8], frame.loc[9]
    for row in (spanish, chinese):
        assert np.isfinite(row[["valence", "p_change", "p_neutral", "p_sustain"]].to_numpy(float)).all()
    assert english["confidence"] > 0.4
    assert spanish["confidence"] < 0.5 * english["confidence"]
    assert chinese["confidence"] == 0.0


def test_batch_size_does_not_change_scores(scored):
    model, texts, frame, _ = scored
    other = ta.TextAffect(batch_size=1).score(texts[:4])
    np.testing.assert_allclose(other.to_numpy(float), frame.iloc[:4].to_numpy(float), atol=1e-4)


def test_lexicon_affect_same_interface():
    lex = ta.LexiconAffect().score(["I love this, it makes me so happy", "I hate it, it is awful", ""])
    assert list(lex.columns) == list(ta.COLUMNS)
    assert lex.loc[0, "valence"] > 0.3 and lex.loc[1, "valence"] < -0.3
    assert np.isnan(lex.loc[2, "valence"]) and lex.loc[2, "confidence"] == 0.0


# --- the shipped heads and their card ---------------------------------------------------------


def test_shipped_heads_match_card():
    from levelone.language.readable import UTTERANCE_FEATURES
    from levelone.training.stance_ablations import ROWS

    card = json.loads(ta.CARD_FILE.read_text())
    heads = ta.TextHeads.load()
    st = card["metrics"]["stance"]
    assert heads.valence.n_in == card["encoder"]["dim"] == 384
    row = next(r for r in ROWS if r.name == card["heads"]["stance"]["row"] == tt.SHIPPED_ROW)
    assert heads.stance_inputs == tt.stance_inputs(row) == ta.StanceInputs("minilm", readable=True)
    assert heads.stance.n_in == card["heads"]["stance"]["n_inputs"] == 384 + len(UTTERANCE_FEATURES)
    assert card["encoder"]["package_version"] == ta.encoder_version()
    # the context head ships only where it helped on held-out conversations; here it did not
    assert (heads.stance_ctx is not None) == st["context_helps"] is False
    assert st["fine_tuned"]["shipped"] is False and "macro_f1_mean" not in st["fine_tuned"]  # no leaky figure
    assert card["seed"] == 0 and "ahcue train-text" in card["command"]
    assert {f["path"].rsplit("/", 1)[-1] for f in card["data"]["valence"]["files"]} == set(tt.VADER_FILES.values())
    assert all(f["bytes"] > 0 for f in card["data"]["valence"]["files"] + card["data"]["stance"]["files"])


def test_card_metrics_meet_targets():
    from levelone.training.stance_ablations import LEARNING_CURVE_SHARES, ROWS

    metrics = json.loads(ta.CARD_FILE.read_text())["metrics"]
    val = metrics["valence"]
    assert len(val["spearman_per_fold"]) == len(val["vader_spearman_per_fold"]) == 5
    # ours beats VADER's lexicon on every held-out fold, not only on average
    assert all(o > v for o, v in zip(val["spearman_per_fold"], val["vader_spearman_per_fold"]))
    assert val["spearman_mean"] >= 0.65 and val["spearman_mean"] > val["vader_spearman_mean"] + 0.05
    st = metrics["stance"]
    assert "by conversation" in st["split"] and st["groups"]["groups"] == 84
    assert set(st["per_class_f1"]) == set(ta.STANCE_CLASSES) and min(st["per_class_f1"].values()) > 0.3
    rows = st["ablations"]["rows"]  # every row is one that benchmarks/stance_ablations.py reproduces
    assert [r["row"] for r in rows] == [r.name for r in ROWS]
    assert all(len(r["macro_f1_per_fold"]) == 5 and np.asarray(r["confusion_pooled"]).sum() == 4817 for r in rows)
    assert st["target_macro_f1"] == 0.60 and max(r["macro_f1_mean"] for r in rows) < st["target_macro_f1"]
    curve = st["learning_curve"]["shares_of_training_conversations"]
    assert list(curve) == [f"{s:g}" for s in LEARNING_CURVE_SHARES]
    assert curve["1"]["mean_training_utterances"] > curve["0.25"]["mean_training_utterances"] * 3


def _f1_per_class(confusion) -> np.ndarray:
    """Per-class F1 of a confusion matrix (rows: true class, columns: predicted)."""
    c = np.asarray(confusion, np.float64)
    return 2 * np.diag(c) / (c.sum(axis=0) + c.sum(axis=1))


def test_card_headline_numbers_follow_from_its_records():
    """Every headline number of the card is recomputed here from the per-fold (or pooled) records it
    summarises, so an edited or stale summary fails; the floors below then read recomputed numbers."""
    metrics = json.loads(ta.CARD_FILE.read_text())["metrics"]
    val = metrics["valence"]
    assert val["spearman_mean"] == pytest.approx(np.mean(val["spearman_per_fold"]), abs=5e-5)
    assert val["vader_spearman_mean"] == pytest.approx(np.mean(val["vader_spearman_per_fold"]), abs=5e-5)
    st = metrics["stance"]
    rows = {r["row"]: r for r in st["ablations"]["rows"]}
    for r in rows.values():
        # 4-decimal folds and a 4-decimal mean
        assert r["macro_f1_mean"] == pytest.approx(np.mean(r["macro_f1_per_fold"]), abs=1e-4), r["row"]
    shipped = rows[tt.SHIPPED_ROW]
    assert st["macro_f1_mean"] == pytest.approx(shipped["macro_f1_mean"], abs=5e-5)
    f1 = _f1_per_class(shipped["confusion_pooled"])
    np.testing.assert_allclose([st["per_class_f1"][c] for c in ta.STANCE_CLASSES], f1, atol=5e-3)


def test_card_stance_floor():
    """Macro-F1 on conversation-grouped folds floors at what was measured (the 0.60 target is not
    reached), and ambivalence in talk separates windows and sessions holding change AND sustain
    talk from the rest."""
    st = json.loads(ta.CARD_FILE.read_text())["metrics"]["stance"]
    assert st["macro_f1_mean"] == st["macro_f1_mean_utterance_only"] >= STANCE_FLOOR
    amb = st["talk_ambivalence"]
    assert amb["window_level"]["30s"]["auc"] >= WINDOW_AUC_FLOOR and amb["window_level"]["30s"]["positives"] > 100
    assert st["session_auc"] == amb["conversation_level"]["auc"] >= SESSION_AUC_FLOOR
    assert amb["conversation_level"]["sessions_with_both"] == 84


@pytest.mark.slow
def test_card_ablation_row_is_reproduced(shared_data, tmp_path):
    """The shipped row, recomputed from the data (MiniLM vectors, readable counts, honest folds),
    gives the card's numbers."""
    from levelone.training import stance_ablations as sa

    card = {r["row"]: r for r in json.loads(ta.CARD_FILE.read_text())["metrics"]["stance"]["ablations"]["rows"]}
    row = next(r for r in sa.ROWS if r.name == tt.SHIPPED_ROW)
    got = sa.evaluate_row(row, sa.stance_data(shared_data, tmp_path, ("minilm",), context=()), seed=0)
    # float64 L-BFGS: only the thread count's summation order may move the 4th decimal
    assert got["macro_f1_per_fold"] == pytest.approx(card[row.name]["macro_f1_per_fold"], abs=2e-3)
    assert got["session_auc"] == pytest.approx(card[row.name]["session_auc"], abs=2e-3)


def test_context_vectors_average_each_speaker_over_the_last_turns():
    vec = {"a": [1.0, 0.0], "b": [0.0, 1.0], "c": [3.0, 3.0], "old": [9.0, 9.0]}
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.array([vec[t] for t in texts])

    turns = [[(False, "old"), (False, "a"), (True, "b"), (False, "c")], [], [(True, "b"), (False, "  ")]]
    got = ta.context_vectors(encode, turns, 2, n_turns=3)
    np.testing.assert_allclose(got[0], [2.0, 1.5, 0.0, 1.0])  # other: mean(a, c); self: b; "old" is 4 turns back
    np.testing.assert_allclose(got[1], 0.0)  # nothing said before
    np.testing.assert_allclose(got[2], [0.0, 0.0, 0.0, 1.0])  # blank turns count as nothing
    assert calls == [["a", "b", "c"]]  # each distinct text encoded once
    assert ta.context_vectors(encode, turns, 2, n_turns=0).sum() == 0


def test_without_a_context_head_the_conversation_changes_nothing(scored):
    """The shipped heads hold no context head (context did not help on held-out conversations):
    level one and text-affect score the utterance alone, whatever conversation they are given."""
    model, _, _, _ = scored
    assert model.heads.stance_ctx is None
    texts = ["Yeah, I guess I could try cutting down a bit.", "I don't see a problem with it."]
    turns = [[(False, "How do you feel about your drinking?"), (True, "It worries me sometimes.")],
             [(False, "What do you enjoy about smoking?")]]
    alone, with_turns = model.score(texts), model.score(texts, turns=turns)
    np.testing.assert_allclose(with_turns.to_numpy(float), alone.to_numpy(float), atol=1e-9)


def test_heads_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    heads = ta.TextHeads(
        ta.Head((rng.normal(size=(1, 4)).astype(np.float32),), (np.zeros(1, np.float32),)),
        ta.Head((rng.normal(size=(8, 4)).astype(np.float32), rng.normal(size=(3, 8)).astype(np.float32)),
                (np.zeros(8, np.float32), np.ones(3, np.float32)), np.array([0.5, 0, -0.5], np.float32)),
    )
    heads.save(tmp_path / "h.safetensors")
    back = ta.TextHeads.load(tmp_path / "h.safetensors")
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(back.stance.forward(x), heads.stance.forward(x), rtol=1e-6)
    assert back.stance_ctx is None
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(InputError):
        ta.TextHeads.load(tmp_path / "bad.safetensors")


# --- training helpers on real data and on numbers with known answers ---------------------------


def test_loaders_read_the_real_data(shared_data):
    val = tt.load_vader(shared_data)
    assert val["source"].value_counts().to_dict() == {"movie": 10605, "nyt": 5190, "tweets": 4200, "amazon": 3708}
    assert val["valence"].between(-1, 1).all()
    mi = tt.load_annomi(shared_data)
    assert mi["label"].value_counts().to_dict() == {"neutral": 3102, "change": 1174, "sustain": 541}
    assert mi["transcript_id"].nunique() == 133
    raw = pd.read_csv(shared_data / tt.ANNOMI_FILE).sort_values(["transcript_id", "utterance_id"])
    first_client = raw[(raw.transcript_id == 0) & (raw.interlocutor == "client")].iloc[0]
    before = raw[(raw.transcript_id == 0) & (raw.utterance_id < first_client.utterance_id)
                 & (raw.interlocutor == "therapist")].iloc[-1]
    assert mi.loc[0, "context"] == before.utterance_text


def test_ridge_recovers_a_linear_map():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 10))
    w = rng.normal(size=10)
    head, alpha = tt.fit_ridge(x, x @ w + 0.3, alphas=(1e-3, 1.0))
    np.testing.assert_allclose(head.weights[0][0], w, atol=1e-2)
    assert abs(float(head.biases[0][0]) - 0.3) < 1e-2 and alpha == 1e-3


def test_macro_f1_and_offsets():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(2)
    y = rng.choice(3, size=600, p=[0.25, 0.65, 0.10])
    logits = rng.normal(size=(600, 3)) + np.eye(3)[y] * 1.0 + np.array([0, 1.0, 0])  # biased to neutral
    pred = logits.argmax(1)
    assert tt.macro_f1(y, pred) == pytest.approx(f1_score(y, pred, average="macro"))
    off = tt.tune_offsets(logits, y)
    assert tt.macro_f1(y, (logits + off).argmax(1)) > tt.macro_f1(y, pred) + 0.02
    assert off[1] == 0 and off[0] > 0  # neutral is the reference; a minority class is pushed up


# --- the commands ------------------------------------------------------------------------------


def _cli(module, argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


def _max_decimals(path) -> int:
    """The most decimal places of any score in a text-affect output CSV (read as text)."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    cells = [v for c in ("valence", "p_change", "p_neutral", "p_sustain", "confidence") for v in table[c] if v]
    return max(len(v.partition(".")[2]) for v in cells)


def test_text_affect_command(scored, tmp_path, capsys):
    from reports.commands import text_affect

    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3], "utt": ["I love this, it makes me so happy", "", "I hate it, it is awful"],
                  "q": ["How was it?", "And?", "How was it?"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert _cli(text_affect, [str(src), "--column", "utt", "--context-column", "q", "-o", str(out)]) == 0
    got = pd.read_csv(out)
    assert list(got.columns) == ["id", "utt", "q", "valence", "p_change", "p_neutral", "p_sustain", "stance",
                                 "confidence"]  # README's and --help's order
    assert _max_decimals(out) == 4  # the model's scores at the lexicon's precision
    assert got.loc[0, "valence"] > 0.3 and got.loc[2, "valence"] < -0.3
    for i in (0, 2):  # the label is the most probable stance
        probs = {s: got.loc[i, f"p_{s}"] for s in ("change", "neutral", "sustain")}
        assert got.loc[i, "stance"] == max(probs, key=probs.get)
    assert np.isnan(got.loc[1, "stance"])  # empty text: no label (read back as NaN)
    assert np.isnan(got.loc[1, "valence"]) and got.loc[1, "confidence"] == 0
    with pytest.raises(InputError, match="already exists"):
        _cli(text_affect, [str(src), "--column", "utt", "-o", str(out)])
    assert _cli(text_affect, [str(src), "--column", "utt", "-o", str(out), "--force", "--lexicon"]) == 0
    assert pd.read_csv(out)["p_change"].isna().all() and pd.read_csv(out)["stance"].isna().all()
    assert _max_decimals(out) == 4
    with pytest.raises(InputError, match="no column 'text'"):
        _cli(text_affect, [str(src), "--column", "text", "-o", str(tmp_path / "x.csv")])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00a,b\n\x00\x01")
    with pytest.raises(InputError):
        _cli(text_affect, [str(bad), "--column", "a", "-o", str(tmp_path / "y.csv")])
    with pytest.raises(InputError, match="not found"):
        _cli(text_affect, [str(tmp_path / "missing.csv"), "--column", "a", "-o", str(tmp_path / "z.csv")])


def test_train_text_refuses_to_overwrite_before_work(tmp_path):
    from reports.commands import train_text

    (tmp_path / "text_heads.json").write_text("{}")
    with pytest.raises(InputError, match="already exists"):
        _cli(train_text, ["--output", str(tmp_path)])
    with pytest.raises(InputError, match="shared data folder not found"):
        _cli(train_text, ["--output", str(tmp_path / "new"), "--data", str(tmp_path / "nope")])


def test_level_one_gives_the_stance_model_the_interviewer_as_context(scored, tmp_path):
    """A transcript with the interviewer's turns: with heads that hold a context head, the person's
    sentences after the interviewer spoke are scored with it, the ones before alone; the
    interviewer's words are no cue."""
    from levelone.language.cues import conversation_context, text_signals
    from levelone.media.transcript import Turn, spread_words

    d = scored[0].encoder.dim
    rng = np.random.default_rng(5)
    heads = ta.TextHeads(scored[0].heads.valence, scored[0].heads.stance,
                         ta.Head((rng.normal(size=(3, 3 * d)).astype(np.float32),), (np.zeros(3, np.float32),)),
                         scored[0].heads.stance_inputs, ta.StanceInputs("minilm", context="minilm"))
    model = ta.TextAffect(heads=heads.save(tmp_path / "ctx.safetensors"))
    fps, n = 10.0, 120
    words = spread_words("I smoke a pack a day.", 0.0, 2.0) + spread_words("I guess I could cut down.", 6.0, 8.0)
    others = [Turn("counsellor", 3.0, 5.0, "What would you like to change about smoking?")]
    alone = text_signals(words, fps, n, model)
    talk = text_signals(words, fps, n, model, others=others)
    cols = ["text.p_change", "text.p_sustain"]
    first, second = slice(0, 20), slice(60, 80)
    np.testing.assert_allclose(talk.loc[first, cols], alone.loc[first, cols])  # nobody spoke before it
    assert np.abs(talk.loc[second, cols].to_numpy() - alone.loc[second, cols].to_numpy()).max() > 1e-3
    assert not talk.loc[30:50, "text.present"].any()  # the interviewer's turn is not the person speaking
    ctx = conversation_context([(0.0, 2.0), (6.0, 8.0)], ["I smoke a pack a day.", "I guess I could cut down."], others)
    assert ctx == [[], [(True, "I smoke a pack a day."), (False, "What would you like to change about smoking?")]]


def test_stance_recipes_in_the_heads_file_drive_the_runtime(scored, tmp_path):
    """A heads file says what each stance head reads (encoder, context, readable counts, the kind of
    the preceding turn); scoring builds exactly that input, in that order, and reads the recipe back."""
    from levelone.language import readable as rd

    model = scored[0]
    d, nu, nq = model.encoder.dim, len(rd.UTTERANCE_FEATURES), len(rd.QUESTION_FEATURES)
    rng = np.random.default_rng(3)
    head = lambda n_in: ta.Head((rng.normal(size=(3, n_in)).astype(np.float32),),  # noqa: E731
                                (np.zeros(3, np.float32),), np.array([0.1, 0, -0.2], np.float32))
    u_in = ta.StanceInputs("minilm", readable=True)
    c_in = ta.StanceInputs("minilm", context="minilm", readable=True, question=True)
    heads = ta.TextHeads(model.heads.valence, head(d + nu), head(d + 2 * d + nu + nq), u_in, c_in)
    heads.save(tmp_path / "h.safetensors")
    back = ta.TextHeads.load(tmp_path / "h.safetensors")
    assert (back.stance_inputs, back.stance_ctx_inputs) == (u_in, c_in)
    texts = ["Um, I guess I could cut down, but I like it.", "I don't want to stop."]
    turns = [[(False, "What would you like to change?")], []]
    got = ta.TextAffect(heads=tmp_path / "h.safetensors").score(texts, turns=turns)
    x = model.encoder.encode(texts)
    f = rd.utterance_features(texts)
    c = ta.context_vectors(model.encoder.encode, turns[:1], d)
    q = rd.question_features(["What would you like to change?"])
    want = np.vstack([heads.stance_ctx.forward(np.hstack([x[:1], c, f[:1], q])),  # the conversation is known
                      heads.stance.forward(np.hstack([x[1:], f[1:]]))])  # nothing before it: the utterance head
    np.testing.assert_allclose(got[["p_change", "p_neutral", "p_sustain"]].to_numpy(), ta.softmax(want), atol=1e-5)
    old = ta.TextHeads(model.heads.valence, head(d), head(3 * d))  # a file from before the recipes
    old.save(tmp_path / "old.safetensors", {})
    back = ta.TextHeads.load(tmp_path / "old.safetensors")
    assert back.stance_inputs == ta.StanceInputs() and back.stance_ctx_inputs == ta.StanceInputs(context="minilm")
