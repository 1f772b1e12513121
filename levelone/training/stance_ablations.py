"""Stance (change / neutral / sustain talk) on frozen sentence vectors: every ablation row of the
model card, on honest folds, from one function.

Why: the card's ablation table used to be made by scripts outside the repository, on folds that
let one conversation sit in training and test folds. Here each row is a named input recipe
(:data:`ROWS`: encoder, context, readable features), cross-validated with the same class-weighted
logistic head and in-fold offsets (:func:`levelone.training.stance_cv.evaluate_stance`) on folds grouped
by conversation (:mod:`levelone.training.conversations`). ``benchmarks/stance_ablations.py``
runs them; ``ahcue train-text`` ships the row named by :data:`SHIPPED_ROW`.

Sentence vectors are computed once per encoder and cached (``cache_dir``), keyed by the encoder's
package version and every text, so a rerun costs only the logistic fits (seconds per row).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from levelone.language.textaffect import STANCE_CLASSES, STANCE_CONTEXT_TURNS

ENCODERS: tuple[str, ...] = ("minilm", "mpnet", "use")
ENCODER_NAMES = {"minilm": "all-MiniLM-L6-v2", "mpnet": "all-mpnet-base-v2",
                 "use": "universal-sentence-encoder-multilingual v3"}


def named_encoder(name: str):
    """A :class:`~levelone.language.textaffect.SentenceEncoder` for ``minilm`` or ``mpnet``; for ``use``
    the multilingual :class:`~levelone.language.multilingual.UseEncoder`."""
    from levelone.language.textaffect import get_encoder, get_mpnet_encoder

    if name == "minilm":
        return get_encoder("cpu")
    if name == "mpnet":
        return get_mpnet_encoder("cpu")
    if name == "use":
        from levelone.language.multilingual import get_use_encoder

        return get_use_encoder()
    raise ValueError(f"encoder {name!r} is not one of {ENCODERS}")


def encoder_tag(name: str) -> str:
    """Encoder name and package version: part of every cache key."""
    from levelone.language.mpnet import mpnet_version
    from levelone.language.multilingual import use_version
    from levelone.language.textaffect import encoder_version

    version = {"mpnet": mpnet_version, "use": use_version}.get(name, encoder_version)()
    return f"{name}-{version}"


def embed_cached(name: str, texts: list[str], cache_dir: Path | None, batch_size: int = 32,
                 log: Callable[[str], None] = print) -> tuple[np.ndarray, dict]:
    """Unit vectors of ``texts`` with encoder ``name`` -> (vectors, timing). Cached in ``cache_dir``."""
    from codebook.atomic import atomic_path

    h = hashlib.sha256(encoder_tag(name).encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    path = Path(cache_dir) / f"vec-{name}-{h.hexdigest()[:24]}.npy" if cache_dir else None
    if path is not None and path.is_file():
        return np.load(path, allow_pickle=False), {"from_cache": True}
    enc = named_encoder(name)
    t0, c0 = time.perf_counter(), time.process_time()
    x = enc.encode(texts, batch_size)
    took = {"texts": len(texts), "wall_s": round(time.perf_counter() - t0, 1),
            "cpu_s": round(time.process_time() - c0, 1), "from_cache": False}
    log(f"{name}: encoded {len(texts)} texts in {took['wall_s']} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, x, allow_pickle=False)
    return x, took


def context_texts(turns: pd.Series, n_turns: int = STANCE_CONTEXT_TURNS) -> list[str]:
    """The distinct texts the context vectors read (sorted: one cache key per data set)."""
    return sorted({str(t) for r in turns for _, t in list(r)[-n_turns:] if str(t).strip()})


def encoder_inputs(name: str, mi: pd.DataFrame, cache_dir: Path | None, log: Callable[[str], None] = print,
                   context: bool = True) -> tuple[np.ndarray, np.ndarray | None, dict]:
    """(utterance vectors, context vectors (n, 2 dim) or None without ``context``, encoding facts)
    for encoder ``name``."""
    from levelone.language.textaffect import context_vectors

    x, t1 = embed_cached(name, list(mi["text"]), cache_dir, log=log)
    if not context:
        return x, None, {"utterances": t1}
    uniq = context_texts(mi["turns"])
    v, t2 = embed_cached(name, uniq, cache_dir, log=log)
    table = dict(zip(uniq, v))
    ctx = context_vectors(lambda ts: np.array([table[t] for t in ts]), mi["turns"], x.shape[1])
    return x, ctx, {"utterances": t1, "context_texts": t2}


# ---------------------------------------------------------------------------------------------
# rows: what the logistic head reads


@dataclass(frozen=True)
class Row:
    """One ablation row: the encoders whose utterance vectors the head reads, and what else it reads."""

    name: str
    encoders: tuple[str, ...]
    # encoder of the context vectors (mean per speaker of the last STANCE_CONTEXT_TURNS turns); "" none
    context: str = ""
    readable: bool = False  # + :func:`levelone.language.readable.utterance_features`
    question: bool = False  # + the other person's preceding turn: open / closed question / statement
    c: float = 1.0  # inverse L2 strength of the logistic head


# Context vectors come from MiniLM only: all-mpnet-base-v2 on the 7,253 distinct context texts
# took longer than the shared 2-core machine allowed in this round (utterances: 4,817 texts).
ROWS: tuple[Row, ...] = (
    Row("minilm", ("minilm",)),
    Row("minilm+context", ("minilm",), context="minilm"),
    Row("minilm+readable", ("minilm",), readable=True),
    Row("minilm+context+readable+question", ("minilm",), context="minilm", readable=True, question=True),
    Row("readable+question only", (), readable=True, question=True),
)
# Rows on all-mpnet-base-v2 vectors (the five-wheel encoder, levelone.language.mpnet): run by
# `benchmarks/stance_ablations.py --mpnet` (encoding AnnoMI's utterances: 162 CPU s, one thread).
# Not in `train-text`'s table: they are not shipped (+0.008 macro-F1 over minilm+readable, within
# fold noise, and a lower sessions AUC; benchmarks/README), and the card's run stays minutes.
MPNET_ROWS: tuple[Row, ...] = (
    Row("mpnet", ("mpnet",)),
    Row("mpnet+readable", ("mpnet",), readable=True),
    Row("mpnet+context+readable+question", ("mpnet",), context="minilm", readable=True, question=True),
)
# Rows on the multilingual encoder (levelone.language.multilingual): the heads level one uses for
# non-English speech (`ahcue train-text --encoder use`). The utterance alone: the readable counts
# come from English lexicons, and the conversation did not transfer for the English heads.
MULTILINGUAL_ROWS: tuple[Row, ...] = (
    Row("use", ("use",)),
    Row("use+context", ("use",), context="use"),
)


def needed_encoders(rows: tuple[Row, ...]) -> tuple[str, ...]:
    """The encoders whose vectors ``rows`` read."""
    return tuple(e for e in ENCODERS if any(e in r.encoders or e == r.context for r in rows))


LEARNING_CURVE_SHARES: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)  # share of each training part's conversations


def row_inputs(row: Row, vec: dict, feats: dict) -> np.ndarray:
    """The head's input matrix for ``row`` from per-encoder (utterance, context) vectors and features."""
    parts = [vec[e][0] for e in row.encoders]
    if row.context:
        parts.append(vec[row.context][1])
    if row.readable:
        parts.append(feats["readable"])
    if row.question:
        parts.append(feats["question"])
    return np.hstack(parts).astype(np.float64)


def stance_data(shared: Path, cache_dir: Path | None, encoders: tuple[str, ...] = ENCODERS,
                log: Callable[[str], None] = print, context: tuple[str, ...] = ENCODERS) -> dict:
    """AnnoMI client talk, labels, honest groups, vectors per encoder (context vectors for the
    encoders in ``context``) and readable features."""
    from levelone.language.readable import previous_other, question_features, utterance_features
    from levelone.training.stance_cv import load_annomi_dialogue

    mi = load_annomi_dialogue(shared)
    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    vec, enc = {}, {}
    for e in encoders:
        x, ctx, enc[e] = encoder_inputs(e, mi, cache_dir, log, context=e in context)
        vec[e] = (x, ctx)
    c0 = time.process_time()
    feats = {"readable": utterance_features(list(mi["text"])),
             "question": question_features(previous_other(mi["turns"]))}
    enc["readable_cpu_s"] = round(time.process_time() - c0, 1)
    return {"mi": mi, "y": y, "groups": mi["conversation"].to_numpy(), "vec": vec, "feats": feats, "encoding": enc}


def evaluate_row(row: Row, data: dict, seed: int) -> dict:
    """Cross-validate ``row`` on the honest folds -> the card's row (with out-of-fold logits)."""
    from levelone.training.stance_cv import StanceConfig, evaluate_stance, validate_talk_ambivalence
    from levelone.language.textaffect import softmax

    x = row_inputs(row, data["vec"], data["feats"])
    r = evaluate_stance(x, data["y"], data["groups"], StanceConfig(context=bool(row.context), hidden=0, c=row.c), seed)
    amb = validate_talk_ambivalence(data["mi"], softmax(r["oof_logits"]))
    return {"row": row.name, "encoders": [ENCODER_NAMES[e] for e in row.encoders],
            "context": ENCODER_NAMES.get(row.context, ""),
            "readable": row.readable, "question": row.question, "c": row.c, "inputs": int(x.shape[1]),
            **{k: v for k, v in r.items() if k != "variant"},
            "session_auc": amb["conversation_level"]["auc"],
            "window_auc": {w: a["auc"] for w, a in amb["window_level"].items()},
            "_talk_ambivalence": amb}


def learning_curve(row: Row, data: dict, seed: int, shares: tuple[float, ...] = LEARNING_CURVE_SHARES) -> dict:
    """Macro-F1 (mean over the honest folds, class-weighted head without logit offsets) when each
    training part keeps only a share of its conversations (chosen at random, seeded): does more
    talk still help?"""
    from levelone.training.stance_cv import StanceConfig, _r, fit_stance, grouped_folds, macro_f1

    x, y, groups = row_inputs(row, data["vec"], data["feats"]), data["y"], data["groups"]
    cfg = StanceConfig(context=bool(row.context), hidden=0, c=row.c)
    out = {}
    for share in shares:
        scores, n_tr = [], []
        for f, (tr, te) in enumerate(grouped_folds(y, groups, seed)):
            ug = np.unique(groups[tr])
            keep = np.random.default_rng(seed + f).choice(ug, max(3, int(round(len(ug) * share))), replace=False)
            tr = tr[np.isin(groups[tr], keep)]
            head = fit_stance(x[tr], y[tr], groups[tr], cfg, seed, tune=False)  # no offsets: 4x cheaper
            scores.append(macro_f1(y[te], head.forward(x[te]).argmax(1)))
            n_tr.append(len(tr))
        out[f"{share:g}"] = {"macro_f1_mean": _r(np.mean(scores)), "macro_f1_per_fold": _r(scores),
                             "mean_training_utterances": int(np.mean(n_tr))}
    return {"row": row.name, "offsets": "none (argmax of the class-weighted head)",
            "shares_of_training_conversations": out}


def run_ablations(shared: Path, cache_dir: Path | None, seed: int = 0, rows: tuple[Row, ...] = ROWS,
                  curve_row: str | None = None, log: Callable[[str], None] = print) -> dict:
    """Every row in ``rows`` on the honest folds, plus the learning curve of ``curve_row``."""
    from levelone.training.conversations import series_merges
    from levelone.training.stance_cv import N_FOLDS, _read_annomi

    need = needed_encoders(rows)
    ctx = tuple(e for e in ENCODERS if any(r.context == e for r in rows))
    data = stance_data(shared, cache_dir, need, log, ctx)
    out_rows = []
    for row in rows:
        r = evaluate_row(row, data, seed)
        log(f"{row.name}: macro-F1 {r['macro_f1_mean']} session AUC {r['session_auc']} ({r['cpu_s']} CPU s)")
        out_rows.append({k: v for k, v in r.items() if not k.startswith("_") and k != "oof_logits"})
    result = {
        "split": f"{N_FOLDS}-fold StratifiedGroupKFold by conversation (video, series merged; seed {seed}); logit "
                 "offsets tuned on inner grouped folds of each training part only",
        "groups": series_merges(_read_annomi(shared, "video_url", "video_title")),
        "rows": out_rows,
        "encoding": data["encoding"],
    }
    if curve_row is not None:
        row = next(r for r in rows if r.name == curve_row)
        result["learning_curve"] = learning_curve(row, data, seed)
    return result
