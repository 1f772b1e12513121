"""Language cues: each detector on hand-written sentences (positive and negative examples),
correction on Disfl-QA, and the frame-axis signals and cues."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from codebook.vocabulary import load_vocabulary
from levelone.baseline import Baseline
from levelone.language.cues import detect, language_cues, sentences, text_signals
from levelone.media.transcript import Word, spread_words


def words_of(text: str, start_s: float = 0.0, s_per_word: float = 0.4) -> list[Word]:
    return spread_words(text, start_s, start_s + s_per_word * len(text.split()))


def cues_in(text: str) -> set[str]:
    return {m.cue for m in detect(words_of(text))}


@pytest.mark.parametrize("text, cue", [
    ("Um, I walk sometimes.", "filler_sound"),
    ("I walk, uhh, sometimes.", "filler_sound"),
    ("It's, you know, hard to start.", "filler_word"),
    ("Well, I walk sometimes.", "filler_word"),
    ("It was, like, really far.", "filler_word"),
    ("I was you know basically done.", "filler_word"),  # stacked fillers, no commas written
    ("I think I could try it.", "hedging"),
    ("Maybe I will go next week.", "hedging"),
    ("I'm not sure it helps.", "hedging"),
    ("Walking is good for you, right?", "hedging"),
    ("I go on Mondays, sorry, on Tuesdays.", "correction"),
    ("What did no who told you that?", "correction"),
    ("I eat salad, I mean soup, most days.", "correction"),
    ("I went to the the gym.", "repetition"),
    ("I want to I want to stop.", "repetition"),
    ("I would walk, but my knee hurts.", "excuse"),
    ("I managed to quit smoking last year.", "success"),
    ("I gave up after a week.", "fail"),
    ("I can walk to work.", "cap"),
    ("I can't run anymore.", "no_cap"),
    ("I don't know how to cook healthy food.", "no_cap"),
    ("I want to eat better.", "mot"),
    ("I don't want to change anything.", "no_mot"),
    ("I don't really want to go.", "no_mot"),
    ("I have time in the evenings.", "opp"),
    ("I don't have time for the gym.", "no_opp"),
    ("It's too expensive for me.", "no_opp"),
    ("I love cooking with my kids.", "positive_feeling"),
    ("Running is not fun.", "negative_feeling"),
])
def test_each_cue_fires_on_its_example(text, cue):
    assert cue in cues_in(text)


@pytest.mark.parametrize("text, cue", [
    ("I walk on Mondays.", "filler_sound"),
    ("I like apples a lot.", "filler_word"),
    ("Well done is better than well said.", "filler_word"),
    ("Do you know the way home?", "filler_word"),
    ("What kind of food do you eat?", "hedging"),
    ("Is it right?", "hedging"),
    ("Sorry, I was late today.", "correction"),
    ("Do you want tea or coffee?", "correction"),
    ("I'd rather walk than drive.", "correction"),
    ("I know that that is true.", "repetition"),
    ("I walk every day.", "excuse"),
    ("I can't run anymore.", "cap"),
    ("I don't want to change anything.", "mot"),
    ("I don't have time for the gym.", "opp"),
    ("I can't afford it.", "no_cap"),  # an opportunity problem, not a capability one
    ("I have time in the evenings.", "no_opp"),
    ("I managed to quit smoking last year.", "fail"),
])
def test_cues_do_not_fire_on_near_misses(text, cue):
    assert cue not in cues_in(text)


def test_stacked_filler_words_are_marked_whole():
    """Two filler phrases in a row mark each other as fillers even with no comma written: the
    whole "you know basically" is marked, not only a part that a comma happens to set off."""
    spans = {(m.first, m.last) for m in detect(words_of("So I was you know basically done.")) if m.cue == "filler_word"}
    assert {(3, 4), (5, 5)} <= spans
    assert not any(m.cue == "filler_word" for m in detect(words_of("I know you know the answer.")))


def test_negation_moves_constructs():
    assert cues_in("I can't afford it.") >= {"no_opp"}
    assert cues_in("I never managed to stop.") >= {"fail"}
    assert "success" not in cues_in("I never managed to stop.")


def test_sentences_split_at_punctuation_and_pauses():
    ws = words_of("I walk. Sometimes I run")
    ws.append(Word("again", ws[-1].end_s + 1.5, ws[-1].end_s + 1.9))
    assert sentences(ws) == [(0, 1), (2, 4), (5, 5)]


def test_correction_separates_disfluent_from_fluent_questions(shared_data):
    """Disfl-QA (Gupta et al. 2021, CC BY 4.0): the same question, fluent and with a self-repair."""
    pairs = json.loads((shared_data / "text/disfl_qa/dev.json").read_text(encoding="utf-8"))
    fluent = np.mean([any(m.cue == "correction" for m in detect(words_of(v["original"]))) for v in pairs.values()])
    disfl = np.mean([any(m.cue == "correction" for m in detect(words_of(v["disfluent"]))) for v in pairs.values()])
    assert disfl > 0.6 and fluent < 0.02, (disfl, fluent)


def test_text_signals_place_cues_on_frames():
    fps = 10.0
    ws = words_of("I want to walk more.", 1.0) + words_of("But I don't have time.", 5.0)
    sig = text_signals(ws, fps, 120)
    assert len(sig) == 120 and sig["text.present"].dtype == bool
    t = np.arange(120) / fps
    assert sig["text.present"][(t > 1.1) & (t < 2.9)].all() and not sig["text.present"][t < 0.9].any()
    assert not sig["text.present"][(t > 3.1) & (t < 4.9)].any()
    mot = sig["text.mot"].to_numpy()
    assert mot[(t >= 1.0) & (t < 2.2)].min() == 1.0 and mot[t > 3.0].max() == 0.0
    no_opp = sig["text.no_opp"].to_numpy()
    assert no_opp[(t > 5.5) & (t < 7.0)].min() == 1.0 and no_opp[t < 5.0].max() == 0.0
    # change (mot) and sustain (no_opp) 4 s apart fall inside one 8 s window
    assert sig["text.stance_conflict"][(t > 3) & (t < 6)].min() == 1.0
    assert sig["text.valence"].isna().all()  # no scorer: no sentence scores
    assert all(sig[c].dtype == np.float32 for c in sig.columns if c != "text.present")


def test_no_words_means_no_evidence():
    sig = text_signals([], 25.0, 40)
    assert not sig["text.present"].any() and sig.filter(like="text.h").isna().all().all()
    cues = language_cues(sig, None, 25.0)
    assert cues.filter(like="cue.").isna().all().all()
    assert (cues["affect.language.confidence"] == 0).all()


def test_language_cues_cover_vocabulary_with_a_lexicon_scorer():
    from levelone.language.textaffect import LexiconAffect
    fps = 10.0
    ws = words_of("I love walking with my friends.", 0.5) + words_of("I hate the gym, it is awful.", 5.0)
    scorer = LexiconAffect()
    sig = text_signals(ws, fps, 100, scorer=scorer)
    # the person's other answers: plain, neutral statements
    usual = text_signals(words_of("I walk to work. I eat lunch at noon. The bus comes at eight."), fps, 80, scorer)
    cues = language_cues(sig, Baseline.fit([usual]), fps)
    ids = {c.column for c in load_vocabulary().by_modality("language") if c.measurable}
    assert ids <= set(cues.columns)
    for c in ids | {"affect.language.confidence"}:
        assert cues[c].dropna().between(0, 1).all(), c
    t = np.arange(100) / fps
    first, second = (t > 0.6) & (t < 2.5), (t > 5.2) & (t < 7.5)
    assert cues["affect.language.valence"][first].min() > 0.3
    assert cues["affect.language.valence"][second].max() < -0.3
    assert cues["cue.language.positive"][first].min() > 0.7 > 0.3 > cues["cue.language.positive"][second].max()
    assert cues["cue.language.negative"][second].min() > 0.7
    assert (cues["affect.language.confidence"][first] > 0).all()
    # a person whose answers are usually this negative: the same sentence is less remarkable
    glum = Baseline({"text.valence": -0.7}, {"text.valence": 0.2})
    sig_scores = sig.drop(columns=["text.negative"])  # scorer evidence only, no feeling phrase
    assert (language_cues(sig_scores, glum, fps)["cue.language.negative"][second].max()
            < 0.5 < language_cues(sig_scores, Baseline.fit([usual]), fps)["cue.language.negative"][second].min())


def test_audio_filler_raises_the_filler_sound_cue():
    fps = 10.0
    sig = text_signals(words_of("I walk sometimes.", 0.0), fps, 50)
    sig["audio.filler"] = np.zeros(50, np.float32)
    sig.loc[30:35, "audio.filler"] = 1.0  # a held "uhh" Whisper did not write
    cues = language_cues(sig, None, fps)
    assert cues["cue.language.filler_sound"][30:36].min() == 1.0
    assert cues["cue.language.filler_sound"][:25].max() == 0.0


def test_a_users_lexicon_replaces_the_packaged_one(tmp_path):
    from codebook.errors import InputError
    from levelone.language.lexicon import load_lexicon
    import yaml
    from importlib import resources
    data = yaml.safe_load((resources.files("levelone") / "data" / "lexicon.yaml").read_text(encoding="utf-8"))
    data["hedging"] = ["ish"]
    path = tmp_path / "lex.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    mine = load_lexicon(path)
    assert {m.cue for m in detect(words_of("It is fine ish."), mine)} == {"hedging"}
    assert "hedging" not in {m.cue for m in detect(words_of("Maybe it is."), mine)}
    del data["cap"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError, match="'cap'"):
        load_lexicon(path)


def test_comb_constructs_follow_motivational_interviewing_talk_types(shared_data):
    """AnnoMI (Wu et al., ICASSP 2022; public domain): client utterances that MI experts labelled
    change talk carry change constructs (mot, cap, opp, success) more often than sustain or
    neutral talk, and sustain talk carries their negations more often. The lexicon was written
    from the BAH codebook, not tuned here; recall is modest because MI talk types are broader."""
    from levelone.language.cues import CHANGE, SUSTAIN
    df = pd.read_csv(shared_data / "annomi/AnnoMI-simple.csv")
    client = df[df["interlocutor"] == "client"]
    share = {}
    for talk in ("change", "neutral", "sustain"):
        texts = client.loc[client["client_talk_type"] == talk, "utterance_text"].astype(str)
        found = [{m.cue for m in detect(spread_words(t, 0.0, 1.0))} for t in texts]
        share[talk] = (np.mean([bool(f & set(CHANGE)) for f in found]),
                       np.mean([bool(f & set(SUSTAIN)) for f in found]))
    assert share["change"][0] > 1.5 * share["sustain"][0] and share["change"][0] > 3 * share["neutral"][0]
    assert share["sustain"][1] > 1.5 * share["change"][1] and share["sustain"][1] > 3 * share["neutral"][1]
