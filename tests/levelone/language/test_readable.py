"""Readable stance features: cue counts of an utterance and the kind of the preceding turn."""
from __future__ import annotations

import numpy as np

from levelone.language import readable as rd


def test_utterance_features_count_the_cues():
    f = rd.utterance_features(["Um, I think I want to quit, but I can't, I mean I really can't.", "Yeah.", ""])
    row = dict(zip(rd.UTTERANCE_FEATURES, f[0]))
    for cue in ("filler_sound", "hedging", "excuse", "mot", "no_cap"):
        assert row[f"n_{cue}"] > 0, cue
    assert row["n_success"] == 0 and row["n_fail"] == 0
    assert np.isclose(row["n_but"], np.log1p(1)) and np.isclose(row["log_words"], np.log1p(15))
    assert np.isclose(row["n_negation"], np.log1p(2)) and np.isclose(row["first_person_share"], 5 / 15)
    assert f.shape == (3, len(rd.UTTERANCE_FEATURES)) and not f[2].any()  # nothing said: all zeros
    assert dict(zip(rd.UTTERANCE_FEATURES, f[1]))["n_hedging"] == 0


def test_question_kind_of_the_preceding_turn():
    kinds = [rd.question_kind(t) for t in ("What brings you here today?", "Do you smoke?", "So you feel stuck.",
                                           "Okay. How would that be for you?", "Tell me more about that.", "")]
    assert kinds == ["open", "closed", "statement", "open", "open", "none"]
    prev = rd.previous_other([[(False, "Do you drink?"), (True, "Sometimes.")], [(True, "Hi.")], []])
    assert prev == ["Do you drink?", "", ""]
    q = rd.question_features(prev)
    assert q[0, 1] == 1 and q[0, 0] == q[0, 2] == 0 and np.isclose(q[0, 3], np.log1p(3)) and not q[1:].any()
