"""The fine-tuned stance model's parts, ambivalence in talk, and how level two and explanations use it."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from levelone.language import stance as st
from levelone.language import textaffect as ta
from levelone.language.cues import TALK_WINDOW_S, talk_ambivalence, text_signals
from levelone.media.transcript import spread_words


@pytest.fixture(scope="module")
def enc():
    return ta.get_encoder("cpu")


def test_pair_keeps_the_utterance_and_the_latest_context(enc):
    cfg = st.StanceInput()
    turns = [(False, f"question number {i} about your drinking?") for i in range(30)] + [(True, "maybe")]
    ctx = st.context_text(turns, cfg.context_turns)
    assert ctx.startswith("other: question number 21") and ctx.endswith("self: maybe")  # the last 10 turns
    ids, types, n_a = st.pair_ids(enc.tokenizer, "I want to cut down.", ctx, cfg)
    alone, _, n_alone = st.pair_ids(enc.tokenizer, "I want to cut down.", "", cfg)
    assert ids[:n_a] == alone and n_a == n_alone == len(alone)  # [CLS] utterance [SEP] first, same pieces
    assert len(ids) == n_a + cfg.context_max_tokens + 1 and types == [0] * n_a + [1] * (len(ids) - n_a)
    assert enc.tokenizer.decode(ids[n_a:-1]).endswith("self : maybe")  # truncated from the left
    long_u = "word " * 300
    ids, _, n_a = st.pair_ids(enc.tokenizer, long_u, ctx, cfg)
    assert n_a == cfg.utterance_max_tokens and len(ids) <= cfg.max_tokens


def test_blocks_reproduce_the_packaged_encoder_and_kv_path_matches(enc):
    import torch

    cfg = st.StanceInput()
    pairs = [st.pair_ids(enc.tokenizer, u, c, cfg) for u, c in
             [("I really want to quit.", "other: what do you want?"), ("I like it.", ""), ("ok", "other: so?")]]
    ids = st.pad_batch([p[0] for p in pairs])
    types = st.pad_batch([p[1] for p in pairs])
    mask = st.pad_batch([[1] * len(p[0]) for p in pairs]).bool()
    with torch.inference_mode():
        hs = enc.model(input_ids=ids, token_type_ids=types, attention_mask=mask.long(),
                       output_hidden_states=True).hidden_states
        low = st.LowerEncoder(enc.model, 5)(ids, types, mask)
        assert float((low - hs[5])[mask].abs().max()) < 1e-4
        states = st.lower_states(enc.model, [p[0] for p in pairs], [p[1] for p in pairs], 5, dtype=torch.float32)
    net = st.net_from_encoder(enc.model, 1).eval()
    with torch.inference_mode():  # the untuned top block is the packaged last layer
        out = net.blocks[0](hs[5], mask)
        assert float((out - hs[6][:, : out.shape[1]])[mask].abs().max()) < 1e-4
    a = st.predict_logits(net, states, [p[2] for p in pairs])
    b = st.predict_kv(net, st.kv_items(net, states, [p[2] for p in pairs]))
    np.testing.assert_allclose(a, b, atol=2e-3)  # kv items are float16


def test_training_learns_a_separable_toy_task_and_roundtrips(enc, tmp_path):
    """Three word-defined classes: a few epochs of the real training loop must separate them."""
    from levelone.training import text as tt

    words = {0: "quit", 1: "weather", 2: "enjoy"}
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 90)
    texts = [f"I {words[int(k)]} it {'a lot' if i % 2 else 'now'}" for i, k in enumerate(y)]
    cfg = st.StanceInput()
    pairs = [st.pair_ids(enc.tokenizer, t, "", cfg) for t in texts]
    states = st.lower_states(enc.model, [p[0] for p in pairs], [p[1] for p in pairs], 5)
    net0 = st.net_from_encoder(enc.model, 1)
    items = st.kv_items(net0, states, [p[2] for p in pairs])
    tune = st.TuneConfig(epochs=4, batch_size=16, lr_layer=3e-4, lr_head=3e-3)
    net, hist = st.train_net(enc.model, items[:60], [], y[:60], (items[60:], y[60:]), tune, 0,
                             tt.class_weights(y[:60]), tt.macro_f1)
    assert len(hist["inner_macro_f1_per_epoch"]) == 4 and max(hist["inner_macro_f1_per_epoch"]) > 0.9
    model = st.StanceModel(net, cfg, 5, np.array([0.1, 0.0, -0.2]), np.zeros(3))
    path = model.save(tmp_path / "s.safetensors")
    back = st.StanceModel.load(enc.model, path)
    np.testing.assert_allclose(back.offset, [0.1, 0.0, -0.2])
    got = back.logits(enc, texts[60:], [""] * 30)
    ref = st.predict_logits(net, states[60:], [p[2] for p in pairs[60:]])
    np.testing.assert_allclose(got, ref, atol=2e-2)  # float16 storage
    assert tt.macro_f1(y[60:], got.argmax(1)) > 0.9
    (tmp_path / "bad.safetensors").write_bytes(b"nope")
    with pytest.raises(InputError):
        st.StanceModel.load(enc.model, tmp_path / "bad.safetensors")


def test_tuning_several_whole_layers_learns_and_runs_on_the_packaged_lower_layers(enc, tmp_path):
    """tune="layers": the top layers train whole on frozen states; the saved model, loaded on the
    packaged encoder, gives the same logits from raw text as the net on the training states."""
    from levelone.training import text as tt

    words = {0: "quit", 1: "weather", 2: "enjoy"}
    y = np.random.default_rng(1).integers(0, 3, 90)
    texts = [f"I {words[int(k)]} it {'a lot' if i % 2 else 'now'}" for i, k in enumerate(y)]
    cfg = st.StanceInput(context_turns=0, max_tokens=64)
    tune = st.TuneConfig(tune="layers", tuned_layers=2, epochs=3, batch_size=16, lr_layer=2e-4, lr_head=3e-3)
    lower = tt.frozen_layers(enc.model, tune)
    assert lower == 4 and tune.n_layers == 2 and not tune.uses_kv
    pairs = [st.pair_ids(enc.tokenizer, t, "", cfg) for t in texts]
    states = st.lower_states(enc.model, [p[0] for p in pairs], [p[1] for p in pairs], lower)
    items = st.state_items(states, [p[2] for p in pairs])
    net, hist = st.train_net(enc.model, items[:60], [], y[:60], (items[60:], y[60:]), tune, 0,
                             tt.class_weights(y[:60]), tt.macro_f1)
    assert len(net.blocks) == 2 and max(hist["inner_macro_f1_per_epoch"]) > 0.9
    untuned = st.net_from_encoder(enc.model, 2)
    moved = float((net.blocks[0].key.weight - untuned.blocks[0].key.weight).detach().abs().max())
    assert moved > 1e-5  # key/value projections are trained too
    path = st.StanceModel(net, cfg, lower, np.zeros(3), np.zeros(3)).save(tmp_path / "s2.safetensors")
    back = st.StanceModel.load(enc.model, path)
    assert back.lower_layer == 4 and len(back.net.blocks) == 2
    got = back.logits(enc, texts[60:], [""] * 30)
    np.testing.assert_allclose(got, st.predict_items(net, items[60:], tune), atol=2e-2)  # float16 storage
    assert tt.macro_f1(y[60:], got.argmax(1)) > 0.9


def test_talk_ambivalence_needs_both_kinds_within_the_window():
    change, sustain, neutral = [0.8, 0.15, 0.05], [0.1, 0.2, 0.7], [0.1, 0.8, 0.1]
    p = np.array([change, neutral, sustain, change])
    t = np.array([0.0, 5.0, 10.0, 100.0])
    got = talk_ambivalence(np.array([0.0, 10.0, 60.0, 100.0]), t, p, window_s=30.0)
    np.testing.assert_allclose(got, [0.7, 0.7, 0.0, 0.0])  # min(0.8, 0.7) near 0-10 s; one-sided at 100 s
    assert talk_ambivalence(np.array([0.0]), t[:2], p[:2]).item() == 0.0  # change + neutral only
    nan = np.full((1, 3), np.nan)
    assert talk_ambivalence(np.array([0.0]), np.array([0.0]), nan).item() == 0.0


class _FixedScorer:
    """Stance by keyword, so the frame placement is checked without a model."""

    def score(self, texts, contexts=None, turns=None):
        rows = []
        for t in texts:
            p = [0.8, 0.1, 0.1] if "quit" in t else [0.1, 0.1, 0.8] if "enjoy" in t else [0.1, 0.8, 0.1]
            rows.append({"valence": 0.0, "p_change": p[0], "p_neutral": p[1], "p_sustain": p[2], "confidence": 1.0})
        return pd.DataFrame(rows)


def test_text_ambivalence_column_on_frames():
    fps = 10.0
    words = spread_words("I want to quit.", 1.0, 2.0) + spread_words("But I enjoy it.", 20.0, 21.0) \
        + spread_words("The weather was fine.", 80.0, 81.0)
    sig = text_signals(words, fps, 1000)
    assert sig["text.ambivalence"].isna().all()  # no scorer, no stance: not measured
    sig = text_signals(words, fps, 1000, scorer=_FixedScorer())
    amb = sig["text.ambivalence"].to_numpy()
    t = np.arange(1000) / fps
    assert amb.dtype == np.float32
    assert amb[(t > 10) & (t < 12)].min() == pytest.approx(0.8)  # change at 1.5 s, sustain at 20.5 s
    assert amb[t > 60].max() == 0.0 and TALK_WINDOW_S == 30.0


def test_level_two_within_term_and_explanation_use_it():
    from codebook.vocabulary import MODALITIES
    from levelone.frametable import WITHIN_AMBIVALENCE, FrameMeta, FrameTable, required_columns
    from leveltwo.explain import explain_segment
    from leveltwo.features import frame_features

    n, fps = 200, 10.0
    data = {c: np.full(n, np.nan, np.float32) for c in required_columns()}
    data["frame"], data["time_s"] = np.arange(n), np.arange(n) / fps
    for m in MODALITIES:
        data[f"affect.{m}.confidence"] = np.zeros(n, np.float32)
    for s in ("face", "body", "audio", "text"):
        data[f"{s}.present"] = np.ones(n, bool)
    amb = np.zeros(n, np.float32)
    amb[100:150] = 0.9
    data[WITHIN_AMBIVALENCE["language"]] = amb
    table = FrameTable(pd.DataFrame(data), FrameMeta("v", "p", fps, n))
    f = frame_features(table)
    within = f.terms[:, list(f.term_names).index("within.language")]
    assert within[125] == pytest.approx(0.9, abs=1e-5) and within[20] == 0.0
    contrib = pd.DataFrame(f.terms, columns=list(f.term_names))
    ex = explain_segment(contrib, 110, 140, table.data)
    assert ex["within"][0]["id"] == "language" and ex["within"][0]["name"] == "Ambivalence in talk"
    assert ex["within"][0]["share"] == pytest.approx(1.0) and "quit" in ex["within"][0]["definition"]


def test_conversation_turns_and_command(tmp_path):
    import argparse

    from reports.commands import text_affect

    turns = ta.conversation_turns(["Do you drink?", "Yes.", "", "Why?"], [False, True, True, False])
    assert turns == [[], [(False, "Do you drink?")], [(False, "Do you drink?"), (True, "Yes.")],
                     [(False, "Do you drink?"), (True, "Yes.")]]
    src = tmp_path / "talk.csv"
    pd.DataFrame({"who": ["T", "C", "T", "C", "C"], "conv": [1, 1, 1, 1, 2],
                  "utt": ["Do you want to drink less?", "Yes, I should cut down.",
                          "What would that look like?", "No, I like it the way it is.", "Yes, I should cut down."]
                  }).to_csv(src, index=False)
    parser = argparse.ArgumentParser()
    text_affect.add_arguments(parser)
    out = tmp_path / "o.csv"
    args = parser.parse_args([str(src), "--column", "utt", "--speaker-column", "who", "--self", "C",
                              "--conversation-column", "conv", "-o", str(out)])
    got = text_affect.conversation(pd.read_csv(src, dtype=str, keep_default_na=False), args)
    assert got[1] == [(False, "Do you want to drink less?")] and got[4] == []
    assert got[3][-1] == (False, "What would that look like?") and got[3][1] == (True, "Yes, I should cut down.")
    assert text_affect.run(args) == 0
    res = pd.read_csv(out)
    assert res.loc[1, "p_change"] > res.loc[3, "p_change"] and res.loc[3, "p_sustain"] > res.loc[1, "p_sustain"]
    with pytest.raises(InputError, match="no column 'speaker'"):
        text_affect.run(parser.parse_args([str(src), "--column", "utt", "--speaker-column", "speaker",
                                           "-o", str(tmp_path / "x.csv")]))
