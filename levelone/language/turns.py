"""The turns of a conversation before each utterance: one notion shared by level one's language
cues (:func:`levelone.language.cues.conversation_context`) and ``text-affect``
(:mod:`levelone.language.textaffect`). Its own module so that the cue detector and the stance
scorer, which reads the cues' counts (:mod:`levelone.language.readable`), import no cycle."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _text(t) -> str:
    return "" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t)


def conversation_turns(texts: Sequence[str], is_self: Sequence[bool]) -> list[list[tuple[bool, str]]]:
    """For rows of one conversation in order: the turns before each row (for ``score(turns=)``)."""
    out, seen = [], []
    for t, me in zip(texts, is_self):
        out.append(list(seen))
        if _text(t).strip():
            seen.append((bool(me), _text(t)))
    return out
