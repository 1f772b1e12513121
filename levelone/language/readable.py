"""Readable features of an utterance for the stance model, beside the sentence vector.

Why: the strongest entries of the 2026 A/H challenges added hesitation markers and
psycholinguistic counts to their text encoders. ahcue's language cues (:func:`levelone.language.cues.detect`)
already find fillers, hedges, "but"-clauses (``excuse``), repetitions, self-corrections and the
COM-B statements ("I can't", "I want to"); here they are counted per utterance, with a few counts
of the words themselves, so a linear stance head can weigh them and a reader can see what it weighs.
:func:`question_features` describes the other person's turn just before the utterance (an open
question, a closed question, or a statement such as a reflection), which shapes what kind of
answer follows.

Every feature is a fixed transform (``log1p`` of a count, or 0/1), so nothing is fitted here.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from levelone.language.lexicon import normalise

COUNTED_CUES: tuple[str, ...] = ("filler_sound", "filler_word", "hedging", "correction", "repetition", "excuse",
                                 "success", "fail", "cap", "no_cap", "mot", "no_mot", "opp", "no_opp",
                                 "positive_feeling", "negative_feeling")
_NEGATORS = {"not", "no", "never", "n't", "don't", "can't", "won't", "didn't", "doesn't", "isn't", "wasn't",
             "cannot", "nothing", "nobody", "nor", "wouldn't", "shouldn't", "couldn't", "aren't", "haven't"}
_FIRST_PERSON = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}
_WH = ("what", "how", "why", "when", "where", "which", "who", "tell me", "describe", "say more")
_WORD_GAP_S = 0.3  # spacing of the synthetic word times given to the cue detector (text has none)
UTTERANCE_FEATURES: tuple[str, ...] = (*(f"n_{c}" for c in COUNTED_CUES), "log_words", "question_mark", "n_but",
                                       "n_negation", "first_person_share")
QUESTION_FEATURES: tuple[str, ...] = ("prev_open_question", "prev_closed_question", "prev_statement",
                                      "prev_log_words")


def _words(text: str):
    from levelone.media.transcript import Word

    return [Word(t, k * _WORD_GAP_S, k * _WORD_GAP_S + _WORD_GAP_S / 2) for k, t in enumerate(str(text).split())]


def utterance_features(texts: Sequence[str]) -> np.ndarray:
    """(n, len(UTTERANCE_FEATURES)) float32: cue counts and word counts of each text."""
    from levelone.language.cues import detect
    from levelone.language.lexicon import load_lexicon

    lx = load_lexicon()
    out = np.zeros((len(texts), len(UTTERANCE_FEATURES)), dtype=np.float32)
    index = {c: k for k, c in enumerate(COUNTED_CUES)}
    for i, t in enumerate(texts):
        words = _words(t)
        for m in detect(words, lx):
            if m.cue in index:
                out[i, index[m.cue]] += 1
        tok = [normalise(w.text) for w in words]
        n = len(tok)
        out[i, :len(COUNTED_CUES)] = np.log1p(out[i, :len(COUNTED_CUES)])
        k = len(COUNTED_CUES)
        out[i, k] = np.log1p(n)
        out[i, k + 1] = float("?" in str(t))
        out[i, k + 2] = np.log1p(sum(x == "but" for x in tok))
        out[i, k + 3] = np.log1p(sum(x in _NEGATORS or x.endswith("n't") for x in tok))
        out[i, k + 4] = sum(x in _FIRST_PERSON for x in tok) / max(n, 1)
    return out


def question_kind(text: str) -> str:
    """'open' (a wh-question or an invitation to say more), 'closed' (another question) or 'statement'."""
    t = str(text).strip().lower()
    if not t:
        return "none"
    last = re.split(r"(?<=[.!])\s+", t)[-1]  # the turn's final sentence is what the client answers
    if any(re.search(rf"\b{w}\b", last) for w in _WH) and ("?" in last or last.startswith(("tell me", "describe"))):
        return "open"
    if "?" in last:
        return "closed"
    return "statement"


def question_features(previous: Sequence[str]) -> np.ndarray:
    """(n, len(QUESTION_FEATURES)) float32 from the other person's latest turn before each utterance
    ("" where there is none: all zeros)."""
    out = np.zeros((len(previous), len(QUESTION_FEATURES)), dtype=np.float32)
    for i, t in enumerate(previous):
        kind = question_kind(t)
        if kind == "none":
            continue
        out[i, ("open", "closed", "statement").index(kind)] = 1.0
        out[i, 3] = np.log1p(len(str(t).split()))
    return out


def previous_other(turns: Sequence[Sequence[tuple[bool, str]]]) -> list[str]:
    """The other person's latest turn before each utterance ("" when none)."""
    out = []
    for r in turns:
        prev = [t for me, t in list(r or ()) if not me and str(t).strip()]
        out.append(str(prev[-1]) if prev else "")
    return out
