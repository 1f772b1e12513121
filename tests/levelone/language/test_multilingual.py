"""Multilingual text heads: offline encoder, French direction, level one's use of them, the card."""
from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from levelone.language import multilingual as ml
from levelone.language.cues import LEXICAL_CUES, language_cues, text_signals
from levelone.media.transcript import HeardWord, Transcription, spread_words
from levelone.pipeline.signals import read_other_language

# The card's figures (ahcue train-text --encoder use --cache-dir DIR); floors a little below them
VALENCE_FLOOR = 0.60  # measured: see text_heads_multilingual.json metrics.valence.spearman_mean
STANCE_FLOOR = 0.45  # measured: metrics.stance.macro_f1_mean (conversation-grouped folds)

POSITIVE_FR = "J'adore cette journée, je suis vraiment heureuse et tout se passe merveilleusement bien."
NEGATIVE_FR = "C'est horrible, je déteste ça, tout va mal et je me sens très triste."
CHANGE_FR = "Je veux vraiment arrêter de fumer, c'est important pour ma santé et pour mes enfants."
SUSTAIN_FR = "Je n'ai aucune envie d'arrêter de fumer, j'aime fumer et ça me détend."


def _no_network(*args, **kwargs):
    raise OSError("network access attempted by the multilingual encoder")


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    """The shipped multilingual heads on French sentences, with the network cut."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        ml.get_use_encoder.cache_clear()
        model = ml.MultilingualAffect()
        frame = model.score([POSITIVE_FR, NEGATIVE_FR, CHANGE_FR, SUSTAIN_FR, "  "])
        enc = model.encoder
        pair = enc.encode(["Je veux arrêter de fumer.", "I want to stop smoking.", "Il pleut sur la ville ce soir."])
    assert not any(home.rglob("*")), "the encoder wrote into the home folder (a download cache?)"
    return frame, pair


def test_translations_lie_close_in_the_encoder(scores):
    _, v = scores
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3  # French ~ its English translation, not another French sentence


def test_french_valence_and_stance_point_the_right_way(scores):
    frame, _ = scores
    assert frame.loc[0, "valence"] > 0.2 > -0.2 > frame.loc[1, "valence"]
    assert frame.loc[2, "p_change"] > frame.loc[3, "p_change"]
    assert frame.loc[3, "p_sustain"] > frame.loc[2, "p_sustain"]
    np.testing.assert_allclose(frame.loc[:3, ["p_change", "p_neutral", "p_sustain"]].sum(axis=1), 1.0, atol=1e-6)
    assert frame.loc[:3, "confidence"].between(0.3, 1).all()  # French is not down-weighted as "not English"
    assert np.isnan(frame.loc[4, "valence"]) and frame.loc[4, "confidence"] == 0.0


def test_card_figures_come_from_the_honest_folds():
    card = json.loads(ml.MULTI_CARD_FILE.read_text())
    assert card["command"].startswith("ahcue train-text --encoder use")
    assert card["encoder"]["package"] == ml.USE_PACKAGE and card["encoder"]["package_version"] == ml.use_version()
    assert card["metrics"]["valence"]["spearman_mean"] >= VALENCE_FLOOR
    stance = card["metrics"]["stance"]
    assert "by conversation" in stance["split"] and stance["macro_f1_mean"] >= STANCE_FLOOR
    assert "unmeasured" in card["data"]["languages"]


def _french(language="fr") -> Transcription:
    words = spread_words(f"{CHANGE_FR} {SUSTAIN_FR}", 0.5, 9.5)
    return Transcription("asr", "whisper-base", language, 0.99,
                         tuple(HeardWord(w.text, w.start_s, w.end_s) for w in words), voiced=((0.4, 9.6),))


def test_level_one_reads_french_with_the_multilingual_heads():
    rec = read_other_language(_french())
    assert rec.scored_by == ml.SCORED_BY
    assert len(rec.evidence_words()) == len(rec.words) and rec.not_measured() is None
    assert rec.language_cues() == "language cues from the multilingual encoder, trained on English data: French speech"
    d = rec.to_dict()
    assert d["scored_by"] == ml.SCORED_BY and Transcription.from_dict(d).to_dict() == d  # kept in the cache/meta
    # English speech and a language the encoder does not know are left as they were
    english = _french("en")
    assert read_other_language(english) is english and "scored_by" not in english.to_dict()
    swedish = read_other_language(_french("sv"))
    assert swedish.scored_by == "" and swedish.evidence_words() == []
    assert swedish.language_cues() == "language cues not measured: Swedish speech"


def test_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(ml, "USE_PACKAGE", "ahcue-no-such-package")
    with pytest.warns(UserWarning, match="pip install"):
        rec = read_other_language(_french())
    assert rec.scored_by == "" and rec.evidence_words() == []  # never silently scored by the English heads
    assert rec.language_cues() == "language cues not measured: French speech"
    assert "ahcue-no-such-package" in rec.note and "make setup" in rec.note
    with pytest.raises(ml.MissingMultilingual, match="pip install"):
        ml.UseEncoder()


def test_text_signals_without_english_lexicons():
    fps, n = 10.0, 100
    words = read_other_language(_french()).evidence_words()
    sig = text_signals(words, fps, n, ml.MultilingualAffect(), voiced=((0.4, 9.6),), lexical=False)
    assert sig["text.present"].any()
    for c in LEXICAL_CUES:
        assert sig[f"text.{c}"].isna().all()  # not looked for: not measured, never 0
    spoken = sig["text.present"].to_numpy()
    assert np.isfinite(sig["text.valence"].to_numpy()[spoken]).all()
    assert np.isfinite(sig["text.p_change"].to_numpy()[spoken]).all()
    cues = language_cues(sig, None, fps)
    assert cues["cue.language.hedging"].isna().all() and cues["cue.language.excuse"].isna().all()
    assert np.isfinite(cues["cue.language.mot"]).all()  # the stance model's change talk is measured
    assert (cues["affect.language.confidence"].to_numpy()[spoken] > 0).any()
    # the same words with the lexicons on (what English speech gets): lexical columns are measured
    english = text_signals(words, fps, n, ml.MultilingualAffect(), voiced=((0.4, 9.6),))
    assert not english["text.hedging"].isna().any()


def test_the_context_head_reads_the_conversation(scores):
    frame, _ = scores
    card = json.loads(ml.MULTI_CARD_FILE.read_text())
    assert card["metrics"]["stance"]["context_helps"]  # else no context head ships and this test is moot
    asked = ml.MultilingualAffect().score([CHANGE_FR, SUSTAIN_FR], contexts=["Voulez-vous arrêter de fumer ?"] * 2)
    alone = frame.loc[2:3, ["p_change", "p_neutral", "p_sustain"]].to_numpy()
    with_ctx = asked[["p_change", "p_neutral", "p_sustain"]].to_numpy()
    assert np.abs(with_ctx - alone).max() > 0.05  # the question changed the scores
    assert with_ctx[0, 0] > with_ctx[1, 0] and with_ctx[1, 2] > with_ctx[0, 2]


def _train_text(argv):
    import argparse

    from reports.commands import train_text

    parser = argparse.ArgumentParser()
    train_text.add_arguments(parser)
    return train_text.run(parser.parse_args(argv))


def test_train_text_use_checks_before_work(tmp_path, monkeypatch, shared_data):
    from codebook.errors import InputError

    (tmp_path / "text_heads_multilingual.json").write_text("{}")
    with pytest.raises(InputError, match="already exists"):
        _train_text(["--encoder", "use", "--output", str(tmp_path), "--data", str(shared_data)])
    monkeypatch.setattr(ml, "USE_PACKAGE", "ahcue-no-such-package")
    with pytest.raises(InputError, match="pip install"):
        _train_text(["--encoder", "use", "--output", str(tmp_path / "new"), "--data", str(shared_data)])
    assert not (tmp_path / "new").exists()
