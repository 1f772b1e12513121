"""The language-cue word lists (``levelone/data/lexicon.yaml``) as token tuples, loaded once.

Tokens are normalised with :func:`normalise`: lower case, curly apostrophes straightened, and
surrounding punctuation stripped, so "I’m," and "i'm" are one token.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


from codebook.errors import InputError
from codebook.yamlfile import read_yaml, safe_load

_PUNCT = re.compile(r"^[^\w']+|[^\w']+$")

PHRASE_LISTS = ("filler_sound", "filler_word", "filler_word_clause_initial", "hedging", "tag_question",
                "correction_strong", "correction_weak", "positive_feeling", "negative_feeling", "excuse",
                "success", "fail", "cap", "no_cap", "mot", "no_mot", "opp", "no_opp", "negators")


def normalise(word: str) -> str:
    """Lower-case token without surrounding punctuation ("Well," -> "well", "I’m" -> "i'm")."""
    w = word.lower().replace("\u2019", "'").replace("\u2018", "'")
    w = _PUNCT.sub("", w)
    return w.strip("'") if w not in ("'cause", "n't") else w


@dataclass(frozen=True)
class Lexicon:
    phrases: dict[str, tuple[tuple[str, ...], ...]]  # list name -> phrases as token tuples
    filler_sound_pattern: re.Pattern
    negation_flips: dict[str, str]
    repetition_ignore: frozenset[str]

    def __getitem__(self, name: str) -> tuple[tuple[str, ...], ...]:
        return self.phrases[name]

    def is_filler_sound(self, token: str) -> bool:
        return token in self.phrases["filler_sound"] or bool(self.filler_sound_pattern.match(token))

    @property
    def negators(self) -> frozenset[str]:
        return frozenset(p[0] for p in self.phrases["negators"] if len(p) == 1) | {"n't"}


def _parse(data: object, where: str) -> Lexicon:
    if not isinstance(data, dict):
        raise InputError(where, "not a lexicon (expected a mapping of word lists)")
    phrases = {}
    for name in PHRASE_LISTS:
        raw = data.get(name)
        if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
            raise InputError(where, f"lexicon list {name!r} missing or not a list of strings")
        phrases[name] = tuple(tuple(normalise(t) for t in p.split()) for p in raw)
    try:
        pattern = re.compile(str(data.get("filler_sound_pattern", "^$")))
    except re.error as err:
        raise InputError(where, f"bad filler_sound_pattern ({err})") from None
    return Lexicon(phrases, pattern, dict(data.get("negation_flips") or {}),
                   frozenset(str(w) for w in data.get("repetition_ignore") or ()))


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The packaged lexicon, or a user's file in the same layout."""
    if path is None:
        return _packaged()
    return _parse(read_yaml(path, "lexicon"), str(path))


@lru_cache(maxsize=1)
def _packaged() -> Lexicon:
    ref = resources.files("levelone") / "data" / "lexicon.yaml"
    return _parse(safe_load(ref.read_text(encoding="utf-8")), str(ref))
