"""Language cues from timed words: lexical detectors, sentence affect, and their frame signals.

:func:`detect` finds cue phrases in a word list (filler sounds and words, hedging incl. tag
questions, corrections, repetitions, excuses and the COM-B statements with negation handling:
"I can't" is ``no_cap``, "I don't want" ``no_mot``, "I don't have time" ``no_opp``).
:func:`text_signals` spreads them, and the sentence scores of a scorer (``levelone.language.textaffect``
or its VADER ``LexiconAffect``), onto the video frame axis; :func:`language_cues` turns the signals
into ``cue.language.*`` and ``affect.language.*`` against the person's baseline.

Matching is on normalised tokens (:func:`levelone.language.lexicon.normalise`) with the punctuation that
ASR writes kept for clause boundaries ("Well, ..." is a filler, "well done" is not).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import pandas as pd
from scipy.ndimage import maximum_filter1d

from levelone.columns import ColumnSpec, affect_columns, cue_columns, presence, signal_columns
from levelone.baseline import Baseline, squash
from levelone.language.lexicon import Lexicon, load_lexicon, normalise
from levelone.language.turns import conversation_turns
from levelone.media.transcript import Turn, Word
from levelone.params import apply_operating_points, from_section

VERSION = "language-5"  # 3: text.unworded / text.unworded_rate (what the recogniser erased); 4: lexical=False;
# 5: stacked filler words mark each other, stance probabilities placed per clause, COM-B statements span their clause
HOLD_S = 0.5  # a cue stays on this long after its last word: listeners register it after it ends
SENTENCE_HOLD_S = 1.0
SENTENCE_PAUSE_S = 0.8  # a silent gap this long ends a sentence even without punctuation
CLAUSE_PAUSE_S = 0.3  # a silent gap this long ends a clause (an intonation phrase) inside a sentence
STANCE_COLUMNS = ("p_change", "p_neutral", "p_sustain")  # placed per clause (see text_signals)
STATEMENT_MAX_S = 1.0  # a COM-B or feeling statement runs on to its clause's end, at most this long
# past its trigger phrase: "I can" is the trigger, "I can do it" the statement the codebook names
CONFLICT_WINDOW_S = 8.0  # about two mean BAH A/H segments
# Ambivalence in talk (MI: change talk and sustain talk from one person close together): a
# sentence counts when its talk type is decided as change/sustain; the window spans a few
# question-answer exchanges (AnnoMI: median 5 s between utterances; the card reports the
# separation for 10, 30 and 60 s).
TALK_WINDOW_S = 30.0
VALENCE_UNIT = 0.25  # valence change that counts as one unit for the positive/negative cues
# What the recogniser erased (Whisper drops "um", "uh" and false starts and stretches the next
# word's time over them, or leaves the time uncovered): voiced time no word accounts for.
UNWORDED_MIN_S = 0.3  # an uncovered or unexplained stretch shorter than this is ordinary timing
STRETCH_FACTOR = 2.0  # a word lasting this many times its expected length hides something
UNWORDED_WINDOW_S = 5.0  # the rate of unworded time is measured over this centred window


@dataclass(frozen=True)
class LanguageCueParams:
    """Thresholds of the continuous language cues (lexical cues are events and have none):
    sentence valence in valence units (``*_valence``, [-1, 1] scale) and stance probabilities
    (``*_p``). Values in force come from ``levelone/data/calibration.json`` (:func:`language_params`)."""

    valence_unit: float = VALENCE_UNIT     # valence change counted as one unit
    valence_units: float = 1.0             # positive/negative: this many units beyond the usual tone
    min_valence: float = 0.05              # and at least this far from neutral
    stance_p: float = 0.5                  # change/sustain probability that counts as mot/no_mot evidence
    stance_width_p: float = 0.1
    unworded_units: float = 1.0            # erased speech: this many baseline units above the usual rate
    unworded_floor_ratio: float = 0.05     # smallest scale of the unworded rate (share of voiced time)


def language_params(calibration: dict | None = None) -> LanguageCueParams:
    """The language parameters in force: ``calibration`` (default: the shipped one) over the code defaults."""
    return from_section(LanguageCueParams, "language", calibration)

LEXICAL_CUES = ("filler_sound", "filler_word", "hedging", "correction", "repetition", "excuse",
                "success", "fail", "cap", "no_cap", "mot", "no_mot", "opp", "no_opp")
COMB = ("no_opp", "opp", "no_mot", "mot", "fail", "success", "no_cap", "cap",
        "negative_feeling", "positive_feeling")  # overlap priority, most specific first
CHANGE = ("mot", "cap", "opp", "success")
SUSTAIN = ("no_mot", "no_cap", "no_opp", "fail")
SCORE_COLUMNS = ("valence", "p_change", "p_neutral", "p_sustain", "confidence")
LANGUAGE_CUES = ("filler_sound", "filler_word", "hedging", "correction", "repetition", "positive",
                 "negative", "excuse", "success", "fail", "cap", "no_cap", "mot", "no_mot", "opp", "no_opp")

# The FrameTable columns this module writes (collected by levelone.frametable.schema): text_signals'
# output (see its docstring) and language_cues' output.
SIGNAL_UNITS: dict[str, tuple[str, float | None, float | None]] = {
    **{f"text.{c}": ("activation", 0.0, 1.0) for c in (*LEXICAL_CUES, "positive", "negative")},
    "text.valence": ("valence", -1.0, 1.0), "text.p_change": ("probability", 0.0, 1.0),
    "text.p_neutral": ("probability", 0.0, 1.0), "text.p_sustain": ("probability", 0.0, 1.0),
    "text.confidence": ("probability", 0.0, 1.0), "text.stance_conflict": ("activation", 0.0, 1.0),
    "text.ambivalence": ("activation", 0.0, 1.0), "text.unworded": ("activation", 0.0, 1.0),
    "text.unworded_rate": ("share", 0.0, 1.0)}
COLUMNS: tuple[ColumnSpec, ...] = (
    (presence("text", __name__, "a word is being spoken during the frame"),)
    + signal_columns(tuple(SIGNAL_UNITS), SIGNAL_UNITS, __name__) + cue_columns("language", __name__)
    + affect_columns("language", __name__))

_WH = {"what", "who", "whom", "whose", "when", "where", "why", "how", "which"}
_CLASSES = (_WH,
            {"i", "you", "he", "she", "we", "they", "it"},
            {"the", "a", "an", "this", "that", "these", "those", "my", "your", "his", "her", "its",
             "our", "their"},
            {"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would",
             "should", "have", "has", "had"})
_KIND_OF_OBJECT = {"what", "a", "this", "that", "the", "any", "some", "which", "every", "no", "one", "each"}
_WOULD = {"i'd", "would", "we'd", "you'd", "they'd", "he'd", "she'd", "'d"}


class Scorer(Protocol):
    """Sentence scores; ``turns[i]`` (when given) are the conversation's turns before text ``i``
    as ``(is_the_person, text)``, for a stance model that reads context."""

    def score(self, texts: list[str], turns: Sequence[list[tuple[bool, str]]] | None = None) -> pd.DataFrame: ...


def conversation_context(spans: Sequence[tuple[float, float]], texts: Sequence[str],
                         others: Sequence[Turn]) -> list[list[tuple[bool, str]]]:
    """Per sentence of the person, the turns before it: their own earlier sentences and the other
    speakers' turns that started before it, in time order, as ``(is_the_person, text)`` (the
    same turns :func:`levelone.language.turns.conversation_turns` gives ``text-affect``).

    Empty until another speaker has spoken: the context model was trained on conversations (MI
    sessions), so a sentence is scored with context only once there is one.
    """
    events = sorted([(start, True, t) for (start, _), t in zip(spans, texts)] +
                    [(o.start_s, False, o.text) for o in others], key=lambda e: e[0])
    before = conversation_turns([t for _, _, t in events], [me for _, me, _ in events])
    mine = [b for (_, me, _), b in zip(events, before) if me]
    return [b if any(not me for me, _ in b) else [] for b in mine]


@dataclass(frozen=True)
class Match:
    """A cue found in the words: word indices ``first``..``last`` inclusive."""

    cue: str
    first: int
    last: int


# ----------------------------------------------------------------------------- structure

def _ends_clause(text: str) -> bool:
    return text.rstrip().endswith((",", ";", ":", ".", "?", "!", "—", "-", "…"))


def sentences(words: Sequence[Word], pause_s: float = SENTENCE_PAUSE_S) -> list[tuple[int, int]]:
    """Sentences as (first, last) word indices: split after . ? ! and at silent gaps >= pause_s."""
    out, start = [], 0
    for i, w in enumerate(words):
        end_here = w.text.rstrip().endswith((".", "?", "!", "…"))
        if i + 1 < len(words) and words[i + 1].start_s - w.end_s >= pause_s:
            end_here = True
        if end_here or i == len(words) - 1:
            out.append((start, i))
            start = i + 1
    return out


def clauses(words: Sequence[Word], spans: Sequence[tuple[int, int]] | None = None,
            pause_s: float = CLAUSE_PAUSE_S) -> list[tuple[int, int]]:
    """Clauses as (first, last) word indices: each sentence (:func:`sentences`) split after a
    word that ends a clause (, ; : and the like) and at silent gaps >= ``pause_s``."""
    out = []
    for a, b in (sentences(words) if spans is None else spans):
        start = a
        for i in range(a, b):
            if _ends_clause(words[i].text) or words[i + 1].start_s - words[i].end_s >= pause_s:
                out.append((start, i))
                start = i + 1
        out.append((start, b))
    return out


def _find(tokens: list[str], phrases: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    """(first, last) of every occurrence of every phrase ("*" matches one token)."""
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for p in phrases:
        if p:
            by_first.setdefault(p[0], []).append(p)
    hits = []
    for i, t in enumerate(tokens):
        for p in by_first.get(t, []) + by_first.get("*", []):
            n = len(p)
            if i + n <= len(tokens) and all(q == "*" or q == tokens[i + k] for k, q in enumerate(p)):
                hits.append((i, i + n - 1))
    return hits


def _negated(tokens: list[str], raw: Sequence[str], first: int, last: int, negators: frozenset[str]) -> bool:
    """A negator within three tokens before the phrase (same clause), or "not" right after it."""
    for k in range(first - 1, max(-1, first - 4), -1):
        if _ends_clause(raw[k]):
            break
        if tokens[k] in negators or tokens[k].endswith("n't"):
            return True
    return last + 1 < len(tokens) and tokens[last + 1] in ("not", "never") and not _ends_clause(raw[last])


def _echoes(a: str, b: str) -> bool:
    """Same word or same closed class: a restart repeats the frame of what was just said."""
    return a == b or any(a in c and b in c for c in _CLASSES)


# ----------------------------------------------------------------------------- detectors

def detect(words: Sequence[Word], lexicon: Lexicon | None = None) -> list[Match]:
    """Every lexical cue in ``words``, sorted by position."""
    lx = lexicon or load_lexicon()
    raw = [w.text for w in words]
    tok = [normalise(t) for t in raw]
    n = len(tok)
    if n == 0:
        return []
    sent_start = np.zeros(n, np.int64)
    sent_of = np.zeros(n, np.int64)
    sents = sentences(words)
    for s_idx, (a, b) in enumerate(sents):
        sent_start[a:b + 1] = a
        sent_of[a:b + 1] = s_idx
    clause_start = np.array([i == sent_start[i] or _ends_clause(raw[i - 1]) for i in range(n)])
    is_fs = np.array([lx.is_filler_sound(t) for t in tok])
    out: list[Match] = []

    # filler sounds
    out += [Match("filler_sound", i, i) for i in np.flatnonzero(is_fs)]

    # filler words: set off by clause boundaries, next to a filler sound, or stacked on another
    # filler word ("you know basically": a recogniser often writes no comma between them)
    def set_off(a: int, b: int) -> bool:
        return (clause_start[a] or _ends_clause(raw[b]) or b == n - 1
                or (a > 0 and is_fs[a - 1]) or (b + 1 < n and is_fs[b + 1]))
    fillers = _find(tok, lx["filler_word"])
    starts, ends = {a for a, _ in fillers}, {b for _, b in fillers}
    for a, b in fillers:
        if set_off(a, b) or (a - 1 in ends and sent_of[a - 1] == sent_of[a]) \
                or (b + 1 in starts and sent_of[b + 1] == sent_of[b]):
            out.append(Match("filler_word", a, b))
    for a, b in _find(tok, lx["filler_word_clause_initial"]):
        opens = b + 1 < n and sent_of[b + 1] == sent_of[a]  # a clause follows in the sentence
        if clause_start[a] and opens and (_ends_clause(raw[b]) or is_fs[b + 1]):
            out.append(Match("filler_word", a, b))
    for i in range(1, n):  # "..., like, ..."
        if tok[i] == "like" and _ends_clause(raw[i - 1]) and _ends_clause(raw[i]):
            out.append(Match("filler_word", i, i))

    # hedging and tag questions
    for a, b in _find(tok, lx["hedging"]):
        if tok[a] == "kind" and a > 0 and tok[a - 1] in _KIND_OF_OBJECT:
            continue  # "what kind of ..." names a kind
        out.append(Match("hedging", a, b))
    for a, b in sents:
        if not raw[b].rstrip().endswith("?"):
            continue
        for p in lx["tag_question"]:
            first = b - len(p) + 1
            if first - a >= 3 and tuple(tok[first:b + 1]) == p and _ends_clause(raw[first - 1]):
                out.append(Match("hedging", first, b))
                break

    # corrections: strong repair markers inside a sentence, weak ones followed by a restart
    for a, b in _find(tok, lx["correction_strong"]):
        if a - sent_start[a] < 2:
            continue  # "Sorry, ..." opening a sentence is an apology, not a repair
        if tok[a] == "rather" and b == a and ((a > 0 and tok[a - 1] in _WOULD) or (a + 1 < n and tok[a + 1] == "than")):
            continue
        out.append(Match("correction", a, min(n - 1, b + 2)))
    weak = {p[0] for p in lx["correction_weak"] if len(p) == 1}
    for i in range(n):
        if tok[i] not in weak or i - sent_start[i] < 2:
            continue
        j = i + 1
        while j < n and (tok[j] in weak or is_fs[j]) and sent_of[j] == sent_of[i]:
            j += 1
        if j >= n or sent_of[j] != sent_of[i]:
            continue
        before = [tok[k] for k in range(max(sent_start[i], i - 6), i)]
        if tok[i] == "or":
            restart = tok[j] in _WH and any(t in _WH for t in before)
        else:
            restart = any(_echoes(tok[j], t) for t in before)
        if restart:
            out.append(Match("correction", i, j))

    # repetitions: the same word or bigram twice in a row, filler sounds skipped
    idx = [i for i in range(n) if not is_fs[i] and tok[i]]
    for k in range(1, len(idx)):
        i, j = idx[k - 1], idx[k]
        if tok[i] == tok[j] and tok[i] not in lx.repetition_ignore and sent_of[i] == sent_of[j]:
            out.append(Match("repetition", i, j))
    for size in (2, 3):  # "I want, I want to ..."
        for k in range(len(idx) - 2 * size + 1):
            span = idx[k:k + 2 * size]
            first, second = [tok[i] for i in span[:size]], [tok[i] for i in span[size:]]
            if first == second and len(set(first)) > 1 and sent_of[span[0]] == sent_of[span[-1]]:
                out.append(Match("repetition", span[0], span[-1]))

    # excuses
    out += [Match("excuse", a, b) for a, b in _find(tok, lx["excuse"])]

    # COM-B and feelings: longest, most specific match wins; negation flips the construct
    cands = []
    for prio, cue in enumerate(COMB):
        for a, b in _find(tok, lx[cue]):
            cands.append((-(b - a), prio, a, b, cue))
    cands.sort()
    taken = np.zeros(n, bool)
    negators = lx.negators
    for _, _, a, b, cue in cands:
        if taken[a:b + 1].any():
            continue
        taken[a:b + 1] = True
        if cue in lx.negation_flips and _negated(tok, raw, a, b, negators):
            cue = lx.negation_flips[cue]
        out.append(Match(cue, a, b))
    return sorted(out, key=lambda m: (m.first, m.last, m.cue))


# ----------------------------------------------------------------------------- frame axis

def _frame_span(start_s: float, end_s: float, fps: float, n_frames: int) -> tuple[int, int]:
    """Frames [a, b) touched by [start_s, end_s): at least one frame."""
    a = int(np.floor(start_s * fps + 1e-9))
    b = max(a + 1, int(np.ceil(end_s * fps - 1e-9)))
    return max(0, min(a, n_frames)), max(0, min(b, n_frames))


def talk_ambivalence(at_s: np.ndarray, sentence_s: np.ndarray, p: np.ndarray,
                     window_s: float = TALK_WINDOW_S) -> np.ndarray:
    """Ambivalence in talk at each time of ``at_s``, in [0, 1].

    ``p`` (n, 3): change/neutral/sustain probabilities of sentences centred at ``sentence_s``.
    A sentence is change (sustain) talk when that class has its largest probability; the value
    is the smaller of the strongest change-talk and the strongest sustain-talk probability among
    sentences within ``window_s / 2`` of the time (0 when either is missing: one-sided talk is
    not ambivalence). Sentences without scores (NaN rows) are left out.
    """
    at = np.asarray(at_s, dtype=float)
    p = np.asarray(p, dtype=float).reshape(-1, 3)
    ok = np.isfinite(p).all(axis=1) & np.isfinite(np.asarray(sentence_s, dtype=float))
    if not ok.any():
        return np.zeros(len(at))
    p, t = p[ok], np.asarray(sentence_s, dtype=float)[ok]
    kind = p.argmax(axis=1)
    change = np.where(kind == 0, p[:, 0], 0.0)
    sustain = np.where(kind == 2, p[:, 2], 0.0)
    out = np.zeros(len(at))
    for start in range(0, len(at), 4096):  # bounded memory on long videos
        near = np.abs(at[start:start + 4096, None] - t[None, :]) <= window_s / 2
        out[start:start + 4096] = np.minimum((near * change).max(axis=1), (near * sustain).max(axis=1))
    return out


def unworded_speech(words: Sequence[Word], voiced: Sequence[tuple[float, float]],
                    min_s: float = UNWORDED_MIN_S, stretch: float = STRETCH_FACTOR) -> list[tuple[float, float]]:
    """Voiced time no word accounts for, as (start_s, end_s) stretches: what the recogniser erased.

    Two forms, both inside voice-activity spans ``voiced``: a gap of at least ``min_s`` between
    two words of one voiced span, and the first part of a word that lasts more than ``stretch``
    times its expected length (its letters times this recording's median seconds per letter, the
    person's own pace) by at least ``min_s`` (Whisper gives a dropped "um" to the next word).
    """
    ws = [w for w in words if _letters(w.text)]
    if not ws or not voiced:
        return []
    per_letter = float(np.median([(w.end_s - w.start_s) / _letters(w.text) for w in ws]))

    def span_of(t: float) -> int:
        return next((i for i, (a, b) in enumerate(voiced) if a <= t <= b), -1)

    out = []
    for prev, w in zip([None] + ws[:-1], ws):
        if prev is not None and w.start_s - prev.end_s >= min_s and span_of(prev.end_s) == span_of(w.start_s) >= 0:
            out.append((prev.end_s, w.start_s))
        expected = per_letter * _letters(w.text)
        excess = (w.end_s - w.start_s) - expected
        if w.end_s - w.start_s > stretch * expected and excess >= min_s and span_of(w.start_s) >= 0:
            out.append((w.start_s, w.start_s + excess))
    return out


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def unworded_signals(words: Sequence[Word], voiced: Sequence[tuple[float, float]], fps: float,
                     n_frames: int, window_s: float = UNWORDED_WINDOW_S) -> dict[str, np.ndarray]:
    """``text.unworded`` (1 over erased stretches) and ``text.unworded_rate`` (its share of the voiced
    time in a centred ``window_s`` window); NaN without voice-activity spans (a given transcript)."""
    if not voiced:
        return {c: np.full(n_frames, np.nan, np.float32) for c in ("text.unworded", "text.unworded_rate")}
    erased = np.zeros(n_frames, np.float32)
    for a, b in unworded_speech(words, voiced):
        fa, fb = _frame_span(a, b, fps, n_frames)
        erased[fa:fb] = 1.0
    speech = np.zeros(n_frames, np.float32)
    for a, b in voiced:
        fa, fb = _frame_span(a, b, fps, n_frames)
        speech[fa:fb] = 1.0
    half = max(1, int(round(window_s * fps))) // 2

    def window_sum(x: np.ndarray) -> np.ndarray:  # centred moving sum, exactly n_frames long
        c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
        idx = np.arange(n_frames)
        return c[np.minimum(idx + half + 1, n_frames)] - c[np.maximum(idx - half, 0)]

    rate = window_sum(erased * speech) / np.maximum(window_sum(speech), 1.0)
    return {"text.unworded": erased, "text.unworded_rate": np.clip(rate, 0, 1).astype(np.float32)}


def text_signals(words: Sequence[Word], fps: float, n_frames: int, scorer: Scorer | None = None,
                 lexicon: Lexicon | None = None, others: Sequence[Turn] = (),
                 voiced: Sequence[tuple[float, float]] = (), lexical: bool = True) -> pd.DataFrame:
    """Language signals on the frame axis: exactly ``n_frames`` rows.

    ``lexical=False`` (speech in a language other than English, scored by the multilingual heads):
    the English lexicon's phrases are not looked for, so the lexical cue columns are NaN (not
    measured, never 0) and the stance conflict rests on the scorer's probabilities alone.

    ``words`` are the person's; ``others`` are the other speakers' turns (an interviewer's), read
    only as the stance model's context (:func:`conversation_context`), never as the person's talk.

    - ``text.present`` (bool): a word is being spoken during the frame.
    - ``text.<cue>`` for the lexical cues (filler_sound, filler_word, hedging, correction,
      repetition, excuse, success, fail, cap, no_cap, mot, no_mot, opp, no_opp) and
      ``text.positive``/``text.negative`` (feeling phrases): 1 over the phrase plus ``HOLD_S``; a
      COM-B or feeling phrase runs on over the rest of its clause (:func:`clauses`, at most
      ``STATEMENT_MAX_S`` past the phrase): the statement, not only its trigger.
    - ``text.valence|p_change|p_neutral|p_sustain|confidence``: the scorer's sentence scores over
      the sentence plus ``SENTENCE_HOLD_S`` (NaN between sentences or without a scorer).
    - ``text.stance_conflict``: change and sustain evidence both inside an 8 s window (the smaller
      of the two window maxima); evidence is a change/sustain phrase (mot, cap, opp, success vs
      their negatives and fail) or a stance probability above 0.5, rescaled to [0, 1].
    - ``text.ambivalence``: ambivalence in talk — sentences the stance model calls change talk
      and sustain talk within ``TALK_WINDOW_S`` (:func:`talk_ambivalence`); NaN without a
      stance scorer.
    - ``text.unworded`` / ``text.unworded_rate``: voiced time no word accounts for
      (:func:`unworded_signals`; needs the recogniser's voice-activity spans ``voiced``, NaN without).

    Without words every column is NaN and ``text.present`` is False.
    """
    words = [w for w in words if normalise(w.text)]
    cols = [f"text.{c}" for c in (*LEXICAL_CUES, "positive", "negative", *SCORE_COLUMNS, "stance_conflict",
                                  "ambivalence", "unworded", "unworded_rate")]
    if not words or n_frames <= 0:
        df = pd.DataFrame({"text.present": np.zeros(max(n_frames, 0), bool)})
        for c in cols:
            df[c] = np.full(max(n_frames, 0), np.nan, np.float32)
        return df
    present = np.zeros(n_frames, bool)
    for w in words:
        a, b = _frame_span(w.start_s, w.end_s, fps, n_frames)
        present[a:b] = True
    data = {f"text.{c}": np.zeros(n_frames, np.float32) for c in (*LEXICAL_CUES, "positive", "negative")}
    rename = {"positive_feeling": "positive", "negative_feeling": "negative"}
    clause_last = np.zeros(len(words), np.int64)
    for a, b in clauses(words):
        clause_last[a:b + 1] = b
    for m in detect(words, lexicon) if lexical else ():
        last = m.last
        if m.cue in COMB:  # the statement, not only its trigger phrase
            while last < clause_last[m.last] and words[last + 1].end_s - words[m.last].end_s <= STATEMENT_MAX_S:
                last += 1
        a, b = _frame_span(words[m.first].start_s, words[last].end_s + HOLD_S, fps, n_frames)
        data[f"text.{rename.get(m.cue, m.cue)}"][a:b] = 1.0

    for c in (*SCORE_COLUMNS, "ambivalence"):
        data[f"text.{c}"] = np.full(n_frames, np.nan, np.float32)
    if scorer is not None:
        spans = sentences(words)
        scores = _score_spans(words, spans, scorer, others)
        if len(scores) != len(spans):
            raise ValueError(f"scorer returned {len(scores)} rows for {len(spans)} sentences")
        for (a, b), (_, row) in zip(spans, scores.iterrows()):
            fa, fb = _frame_span(words[a].start_s, words[b].end_s + SENTENCE_HOLD_S, fps, n_frames)
            for c in SCORE_COLUMNS:
                if c in row.index:
                    data[f"text.{c}"][fa:fb] = row[c]
        probs = scores.reindex(columns=["p_change", "p_neutral", "p_sustain"]).to_numpy(float)
        if np.isfinite(probs).all(axis=1).any():  # a scorer with stance (not the lexicon)
            mid = np.array([(words[a].start_s + words[b].end_s) / 2 for a, b in spans])
            data["text.ambivalence"] = talk_ambivalence(np.arange(n_frames) / fps, mid, probs).astype(np.float32)
            _place_clause_stance(data, words, spans, scorer, others, fps, n_frames)

    win = max(1, int(round(CONFLICT_WINDOW_S * fps)))
    def majority(p: np.ndarray) -> np.ndarray:  # stance probability beyond a coin flip, 0 if unknown
        return np.clip(2.0 * np.nan_to_num(p) - 1.0, 0.0, 1.0)
    change = np.max(np.vstack([data[f"text.{c}"] for c in CHANGE] + [majority(data["text.p_change"])]), axis=0)
    sustain = np.max(np.vstack([data[f"text.{c}"] for c in SUSTAIN] + [majority(data["text.p_sustain"])]), axis=0)
    if not lexical:  # the phrases were not looked for: not measured, not absent
        for c in (*LEXICAL_CUES, "positive", "negative"):
            data[f"text.{c}"][:] = np.nan
    data.update(unworded_signals(words, voiced, fps, n_frames))
    data["text.stance_conflict"] = np.minimum(maximum_filter1d(change, win),
                                              maximum_filter1d(sustain, win)).astype(np.float32)
    df = pd.DataFrame({"text.present": present})
    for c in cols:
        df[c] = data[c].astype(np.float32)
    return df


def _score_spans(words: Sequence[Word], spans: Sequence[tuple[int, int]], scorer: "Scorer",
                 others: Sequence[Turn]) -> pd.DataFrame:
    """The scorer's rows for the text of each (first, last) word span, with the other speakers'
    turns as conversation context when there are any."""
    texts = [" ".join(w.text.strip() for w in words[a:b + 1]) for a, b in spans]
    if not others:
        return scorer.score(texts)
    times = [(words[a].start_s, words[b].end_s) for a, b in spans]
    return scorer.score(texts, turns=conversation_context(times, texts, others))


def _place_clause_stance(data: dict[str, np.ndarray], words: Sequence[Word], spans: Sequence[tuple[int, int]],
                         scorer: "Scorer", others: Sequence[Turn], fps: float, n_frames: int) -> None:
    """Stance probabilities over the frames of each clause, scored on the clause alone.

    Why: a change-talk phrase said inside a long sentence ("... I want to stop ...") makes the
    stance model call the whole sentence change talk, and spreading that over the sentence marks
    many seconds of other talk as motivation (controlled edits: 33 % of the frames outside the
    phrase). A clause carries one statement; its frames run to the next clause, the last clause to
    the sentence's end plus ``SENTENCE_HOLD_S``. Sentences of one clause keep their sentence score.
    Valence and the talk-type ambivalence stay per sentence."""
    units = clauses(words, spans)
    if len(units) == len(spans):
        return
    scores = _score_spans(words, units, scorer, others)
    last_of = {b for _, b in spans}
    for k, ((a, b), (_, row)) in enumerate(zip(units, scores.iterrows())):
        end_s = words[b].end_s + SENTENCE_HOLD_S if b in last_of else words[units[k + 1][0]].start_s
        fa, fb = _frame_span(words[a].start_s, end_s, fps, n_frames)
        for c in STANCE_COLUMNS:
            if c in row.index:
                data[f"text.{c}"][fa:fb] = row[c]


# ----------------------------------------------------------------------------- cues

def language_cues(signals: pd.DataFrame, baseline: Baseline | None, fps: float,
                  params: LanguageCueParams | None = None, calibration: dict | None = None) -> pd.DataFrame:
    """``cue.language.<id>`` for every measurable language cue and ``affect.language.*``.

    Lexical cues pass through (they are already events); ``audio.filler``, when the frame holds
    it, raises ``filler_sound`` (Whisper drops "um"). ``positive``/``negative`` combine feeling
    phrases with sentence valence against the person's baseline; ``mot``/``no_mot`` add the
    scorer's change/sustain-talk probability. No words: NaN cues and confidence 0.
    """
    prm = language_params(calibration) if params is None else params
    n = len(signals)
    out = pd.DataFrame(index=signals.index)
    has_words = "text.present" in signals and bool(signals["text.present"].any())
    audio_filler = (signals["audio.filler"].to_numpy(np.float32) if "audio.filler" in signals
                    else np.full(n, np.nan, np.float32))
    if not has_words:
        for c in LANGUAGE_CUES:
            out[f"cue.language.{c}"] = np.full(n, np.nan, np.float32)
        if np.isfinite(audio_filler).any():  # sounds can be fillers even when nothing was transcribed
            out["cue.language.filler_sound"] = np.nan_to_num(audio_filler).clip(0, 1)
        out["affect.language.valence"] = np.full(n, np.nan, np.float32)
        out["affect.language.confidence"] = np.zeros(n, np.float32)
        return out

    def col(name: str) -> np.ndarray:
        return np.nan_to_num(signals[name].to_numpy(np.float32)) if name in signals else np.zeros(n, np.float32)

    def looked_for(name: str) -> bool:  # False: the lexicon's phrases were not searched (another language)
        return name not in signals or bool(np.isfinite(signals[name].to_numpy(np.float32)).any())

    for c in LEXICAL_CUES:
        out[f"cue.language.{c}"] = col(f"text.{c}") if looked_for(f"text.{c}") else np.full(n, np.nan, np.float32)
    out["cue.language.filler_sound"] = np.maximum.reduce([col("text.filler_sound"), np.nan_to_num(audio_filler),
                                                          erased_speech(signals, baseline, prm)]).clip(0, 1)

    # Valence relative to the person's usual tone, but counted from neutral: someone who is always
    # upbeat needs more to register as positive; someone glum still gets positive statements.
    own = Baseline.fit([signals], columns=["text.valence"])
    b = baseline if baseline is not None and "text.valence" in baseline.median else own
    med = b.median.get("text.valence", 0.0)
    val = signals["text.valence"].to_numpy(np.float32) if "text.valence" in signals else np.full(n, np.nan, np.float32)
    pos = np.nan_to_num(squash((val - max(med, 0.0)) / prm.valence_unit, prm.valence_units) * (val > prm.min_valence))
    neg = np.nan_to_num(squash((min(med, 0.0) - val) / prm.valence_unit, prm.valence_units) * (val < -prm.min_valence))
    out["cue.language.positive"] = np.maximum(col("text.positive"), pos)
    out["cue.language.negative"] = np.maximum(col("text.negative"), neg)
    # change/sustain talk probability above 0.5 counts as motivation evidence
    def stance(name: str) -> np.ndarray:  # probability above 0.5 -> evidence; no score -> none
        p = signals[name].to_numpy(np.float32) if name in signals else np.full(n, np.nan, np.float32)
        return np.nan_to_num(squash((p - prm.stance_p) / prm.stance_width_p, 1.0))
    out["cue.language.mot"] = np.maximum(col("text.mot"), stance("text.p_change"))
    out["cue.language.no_mot"] = np.maximum(col("text.no_mot"), stance("text.p_sustain"))
    for k, v in apply_operating_points({c: out[f"cue.language.{c}"].to_numpy() for c in LANGUAGE_CUES},
                                       "language", calibration).items():
        out[f"cue.language.{k}"] = np.asarray(v, np.float32)
    conf = col("text.confidence").clip(0, 1)
    out["affect.language.valence"] = np.where(np.isfinite(val), np.clip(val, -1, 1), np.nan).astype(np.float32)
    out["affect.language.confidence"] = np.where(np.isfinite(val), conf, 0.0).astype(np.float32)
    return out[[f"cue.language.{c}" for c in LANGUAGE_CUES] + ["affect.language.valence", "affect.language.confidence"]]


def erased_speech(signals: pd.DataFrame, baseline: Baseline | None, params: LanguageCueParams) -> np.ndarray:
    """Filler evidence from what the recogniser erased: over ``text.unworded`` stretches, the rate of
    unworded time against the person's usual rate (their baseline; this recording's own when the
    baseline lacks it). 0 where it was not measured (absence is not evidence)."""
    n = len(signals)
    if "text.unworded" not in signals or "text.unworded_rate" not in signals:
        return np.zeros(n, np.float32)
    rate = signals["text.unworded_rate"].to_numpy(np.float32)
    if not np.isfinite(rate).any():
        return np.zeros(n, np.float32)
    own = Baseline.fit([signals], columns=["text.unworded_rate"])
    b = baseline if baseline is not None and "text.unworded_rate" in baseline.median else own
    med = b.median.get("text.unworded_rate", 0.0)
    scale = max(b.scale.get("text.unworded_rate", 0.0), params.unworded_floor_ratio)
    act = squash((rate - med) / scale, params.unworded_units)
    return np.nan_to_num(act * np.nan_to_num(signals["text.unworded"].to_numpy(np.float32))).astype(np.float32)

