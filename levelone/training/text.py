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
- stance: the encoder's top layer + a linear head fine-tuned (:mod:`levelone.language.stance`) in
  5-fold CV grouped by ``transcript_id`` (a session never straddles train and test), stratified
  on the label as far as groups allow — the same folds as the frozen-vector heads before it.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from codebook.errors import InputError
from levelone.language.textaffect import STANCE_CLASSES, Head, TextHeads, softmax

VADER_DIR = Path("text") / "vader_groundtruth"
VADER_FILES: dict[str, str] = {
    "tweets": "tweets_GroundTruth.txt",
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
ANNOMI_FILE = Path("annomi") / "AnnoMI-simple.csv"
N_FOLDS = 5
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


def _read_annomi(shared: Path, *extra_columns: str) -> pd.DataFrame:
    """AnnoMI's utterances in session order, checked for the columns the loaders need."""
    path = Path(shared) / ANNOMI_FILE
    try:
        d = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(path, f"cannot read AnnoMI ({err})") from err
    need = {"transcript_id", "utterance_id", "interlocutor", "utterance_text", "client_talk_type", *extra_columns}
    if missing := need - set(d.columns):
        raise InputError(path, f"missing columns {sorted(missing)}")
    return d.sort_values(["transcript_id", "utterance_id"]).reset_index(drop=True)


def load_annomi(shared: Path) -> pd.DataFrame:
    """AnnoMI client utterances -> DataFrame(text, context, label, transcript_id, topic).

    ``context`` is the latest therapist utterance before the client's in the same session
    ("" at a session's start).
    """
    d = _read_annomi(shared, "topic")
    therapist = d["utterance_text"].where(d["interlocutor"] == "therapist")
    d["context"] = therapist.groupby(d["transcript_id"]).shift(1)
    d["context"] = d["context"].groupby(d["transcript_id"]).ffill().fillna("")
    # shift(1) then ffill: the latest therapist text strictly before each row
    c = d[(d["interlocutor"] == "client") & d["client_talk_type"].isin(STANCE_CLASSES)]
    c = c.rename(columns={"utterance_text": "text", "client_talk_type": "label"})
    return c[["text", "context", "label", "transcript_id", "topic"]].reset_index(drop=True)


def _clock_s(stamp: str) -> float:
    """'hh:mm:ss' (AnnoMI's timestamps) -> seconds; NaN when unreadable."""
    try:
        parts = [float(x) for x in str(stamp).split(":")]
    except ValueError:
        return float("nan")
    return float(sum(v * 60**k for k, v in enumerate(reversed(parts))))


def load_annomi_dialogue(shared: Path) -> pd.DataFrame:
    """AnnoMI client utterances with the whole conversation before each.

    -> DataFrame(text, label, transcript_id, time_s, turns): ``turns`` lists every earlier
    utterance of the session, oldest first, as (is_client, text) — the stance model's context.
    """
    d = _read_annomi(shared, "timestamp")
    rows = []
    for tid, g in d.groupby("transcript_id", sort=True):
        turns: list[tuple[bool, str]] = []
        for r in g.itertuples(index=False):
            me = r.interlocutor == "client"
            if me and r.client_talk_type in STANCE_CLASSES:
                rows.append((str(r.utterance_text), r.client_talk_type, tid, _clock_s(r.timestamp), list(turns),
                             getattr(r, "mi_quality", ""), getattr(r, "topic", "")))
            turns.append((me, str(r.utterance_text)))
    return pd.DataFrame(rows, columns=["text", "label", "transcript_id", "time_s", "turns", "mi_quality", "topic"])


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


@dataclass(frozen=True)
class StanceConfig:
    context: bool
    hidden: int  # 0: multinomial logistic regression; >0: one hidden ReLU layer
    c: float = 1.0  # inverse L2 strength (logistic) / weight decay scale (MLP)

    @property
    def name(self) -> str:
        kind = "logistic" if self.hidden == 0 else f"mlp{self.hidden}"
        return f"{kind}{'+context' if self.context else ''}"


def class_weights(y: np.ndarray, k: int = 3) -> np.ndarray:
    """'balanced' weights: n / (k * n_class) — each class weighs the same in the loss."""
    counts = np.bincount(y, minlength=k).astype(float)
    return len(y) / (k * np.maximum(counts, 1.0))


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float, seed: int) -> Head:
    """Multinomial logistic regression, class-weighted, L2 penalty ``1 / (2 c n)`` per weight.

    Full-batch L-BFGS in torch, capped at 150 iterations (convex, so the seed does not matter;
    sklearn's solver took 40 s per fit on the shared cores, this takes about one).
    """
    import torch

    torch.manual_seed(seed)
    xt = torch.as_tensor(x, dtype=torch.float64)
    yt = torch.as_tensor(np.array(y), dtype=torch.long)
    sw = torch.as_tensor(class_weights(y)[y], dtype=torch.float64)
    w = torch.zeros(3, x.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=150, tolerance_grad=1e-6,
                            tolerance_change=1e-10, history_size=20, line_search_fn="strong_wolfe")
    n = float(len(y))

    def closure():
        opt.zero_grad()
        nll = torch.nn.functional.cross_entropy(xt @ w.T + b, yt, reduction="none")
        loss = (sw * nll).sum() / n + (w**2).sum() / (2.0 * c * n)
        loss.backward()
        return loss

    opt.step(closure)
    return Head((w.detach().numpy().astype(np.float32),), (b.detach().numpy().astype(np.float32),))


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: int, c: float, seed: int, epochs: int = 60) -> Head:
    """One hidden layer, class-weighted cross-entropy, AdamW, full-batch-ish; deterministic."""
    import torch

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    xt = torch.as_tensor(x, dtype=torch.float32)
    yt = torch.as_tensor(np.array(y), dtype=torch.long)
    net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                              torch.nn.Linear(hidden, 3))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-2 / c)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.as_tensor(class_weights(y), dtype=torch.float32))
    n = len(y)
    for _ in range(epochs):
        net.train()
        for idx in torch.randperm(n, generator=g).split(128):
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
    net.eval()
    l1, l2 = net[0], net[3]
    return Head(
        (l1.weight.detach().numpy().copy(), l2.weight.detach().numpy().copy()),
        (l1.bias.detach().numpy().copy(), l2.bias.detach().numpy().copy()),
    )


def macro_f1(y: np.ndarray, pred: np.ndarray, k: int = 3) -> float:
    """Mean per-class F1 over ``k`` classes (0 for a class never predicted nor present)."""
    cm = np.bincount(np.asarray(y) * k + np.asarray(pred), minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)
    return float(np.mean(np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)))


def tune_offsets(logits: np.ndarray, y: np.ndarray, grid: np.ndarray | None = None) -> np.ndarray:
    """Additive logit offsets for change and sustain (neutral fixed at 0) maximising macro-F1."""
    grid = np.linspace(-1.5, 1.5, 31) if grid is None else grid
    best = (-1.0, np.zeros(3))
    for a in grid:
        for b in grid:
            off = np.array([a, 0.0, b])
            f = macro_f1(y, np.argmax(logits + off, axis=1))
            if f > best[0] + 1e-9:
                best = (f, off)
    return best[1]


def grouped_folds(y: np.ndarray, groups: np.ndarray, seed: int, n: int = N_FOLDS):
    from sklearn.model_selection import StratifiedGroupKFold

    return list(StratifiedGroupKFold(n, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, groups))


def fit_stance(x: np.ndarray, y: np.ndarray, groups: np.ndarray, cfg: StanceConfig, seed: int,
               tune: bool = True) -> Head:
    """Fit on all rows given; offsets from an inner grouped CV over the same rows."""
    fit: Callable[[np.ndarray, np.ndarray], Head]
    if cfg.hidden == 0:
        fit = lambda a, b: fit_logistic(a, b, cfg.c, seed)  # noqa: E731
    else:
        fit = lambda a, b: fit_mlp(a, b, cfg.hidden, cfg.c, seed)  # noqa: E731
    head = fit(x, y)
    if not tune:
        return head
    oof = np.zeros((len(y), 3))
    for tr, te in grouped_folds(y, groups, seed + 1, n=3):
        oof[te] = fit(x[tr], y[tr]).forward(x[te])
    return Head(head.weights, head.biases, tune_offsets(oof, y).astype(np.float32))


def evaluate_stance(x: np.ndarray, y: np.ndarray, groups: np.ndarray, cfg: StanceConfig, seed: int) -> dict:
    from sklearn.metrics import confusion_matrix, f1_score

    raw, tuned = [], []
    pred_all = np.zeros(len(y), dtype=int)
    oof = np.zeros((len(y), 3))
    c0 = time.process_time()
    for tr, te in grouped_folds(y, groups, seed):
        head = fit_stance(x[tr], y[tr], groups[tr], cfg, seed)
        logits = head.forward(x[te])
        oof[te] = logits
        pred_all[te] = np.argmax(logits, axis=1)
        tuned.append(macro_f1(y[te], pred_all[te]))
        raw.append(macro_f1(y[te], np.argmax(logits - head.offset, axis=1)))
    per_class = f1_score(y, pred_all, average=None, labels=[0, 1, 2], zero_division=0)
    return {
        "variant": cfg.name,
        "macro_f1_per_fold": _r(tuned),
        "macro_f1_mean": _r(np.mean(tuned)),
        "macro_f1_mean_without_offsets": _r(np.mean(raw)),
        "per_class_f1_pooled": {c: _r(f) for c, f in zip(STANCE_CLASSES, per_class)},
        "confusion_pooled": confusion_matrix(y, pred_all, labels=[0, 1, 2]).tolist(),
        "cpu_s": round(time.process_time() - c0, 1),
        "oof_logits": oof,  # out-of-fold logits with offsets (not for the card)
    }


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


def _r(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [round(float(a), 4) for a in v]
    return round(float(v), 4)


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

    The key hashes the encoder package version, its window length and every text, so a cached
    file can only stand for what encoding would give again.
    """
    from levelone.language.textaffect import encoder_version

    if cache_dir is None:
        return enc.encode(texts, batch_size), False
    h = hashlib.sha256(f"{encoder_version()}|{enc.max_length}|".encode())
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


def validate_talk_ambivalence(mi: pd.DataFrame, probs: np.ndarray,
                              windows_s: tuple[float, ...] = (10.0, 30.0, 60.0)) -> dict:
    """How well :func:`levelone.language.cues.talk_ambivalence` on out-of-fold stance probabilities
    separates AnnoMI talk that holds both change and sustain talk from talk that holds one.

    - window level: at every client utterance, is there expert-labelled change AND sustain talk
      of the client within ``W / 2`` s? (pooled ROC AUC, one per window length);
    - conversation level: does the session hold both at all? score = the session's maximum
      (ROC AUC at ``TALK_WINDOW_S``; sessions with no change or sustain talk at all count as one-sided).
    """
    from sklearn.metrics import roc_auc_score

    from levelone.language.cues import TALK_WINDOW_S, talk_ambivalence

    gold = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    t = mi["time_s"].to_numpy(float)
    out: dict = {"window_level": {}, "probabilities": "out-of-fold, with context, offsets applied"}
    conv_y, conv_s = [], []
    per_w: dict[float, tuple[list, list]] = {w: ([], []) for w in windows_s}
    for _, idx in mi.groupby("transcript_id").indices.items():
        ti, gi, pi = t[idx], gold[idx], probs[idx]
        for w in windows_s:
            near = np.abs(ti[:, None] - ti[None, :]) <= w / 2
            both = (near & (gi == 0)[None, :]).any(1) & (near & (gi == 2)[None, :]).any(1)
            per_w[w][0].extend(both.astype(int))
            per_w[w][1].extend(talk_ambivalence(ti, ti, pi, w))
        conv_y.append(int((gi == 0).any() and (gi == 2).any()))
        conv_s.append(float(talk_ambivalence(ti, ti, pi, TALK_WINDOW_S).max()))
    for w, (yy, ss) in per_w.items():
        yy = np.array(yy)
        out["window_level"][f"{w:g}s"] = {"auc": _r(roc_auc_score(yy, ss)), "positives": int(yy.sum()),
                                         "n": int(len(yy))}
    cy = np.array(conv_y)
    out["conversation_level"] = {"auc": _r(roc_auc_score(cy, conv_s)) if 0 < cy.sum() < len(cy) else None,
                                 "sessions_with_both": int(cy.sum()),
                                 "sessions_with_one_or_none": int(len(cy) - cy.sum()),
                                 "window_s": TALK_WINDOW_S}
    return out


def train_stance_heads(shared: Path, enc, seed: int, batch_size: int, log: Callable[[str], None],
                       cache_dir: Path | None) -> tuple[Head, Head, dict]:
    """Frozen-vector stance heads: the class-weighted logistic head with offsets on the utterance
    vector (``stance``) and on [utterance, mean vector of what the other person said, of what the
    person said, in the last :data:`STANCE_CONTEXT_TURNS` turns] (``stance_ctx``, used when the
    conversation is known). Both cross-validated on the same grouped folds; -> (stance, stance_ctx,
    the card's stance section)."""
    from levelone.language.textaffect import STANCE_CONTEXT_TURNS, context_vectors

    mi = load_annomi_dialogue(shared)
    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    groups = mi["transcript_id"].to_numpy()
    t0, c0 = time.perf_counter(), time.process_time()
    x, _ = embed(enc, list(mi["text"]), batch_size, cache_dir)
    ctx = context_vectors(lambda t: embed(enc, list(t), batch_size, cache_dir)[0], mi["turns"], enc.dim)
    encode = {"wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - c0, 1)}
    xc = np.hstack([x, ctx])
    plain_cfg, ctx_cfg = StanceConfig(context=False, hidden=0), StanceConfig(context=True, hidden=0)
    plain = evaluate_stance(x, y, groups, plain_cfg, seed)
    with_ctx = evaluate_stance(xc, y, groups, ctx_cfg, seed)
    with_ctx["variant"] = f"logistic+context{STANCE_CONTEXT_TURNS}"
    log(f"stance: macro-F1 {plain['macro_f1_mean']} alone, {with_ctx['macro_f1_mean']} with context")
    amb = validate_talk_ambivalence(mi, softmax(with_ctx["oof_logits"]))
    variants = [{k: v for k, v in r.items() if k != "oof_logits"} for r in (plain, with_ctx)]
    c1 = time.process_time()
    heads = fit_stance(x, y, groups, plain_cfg, seed), fit_stance(xc, y, groups, ctx_cfg, seed)
    section = {
        "split": f"{N_FOLDS}-fold StratifiedGroupKFold by transcript_id (seed {seed}); offsets tuned inside each "
                 "training part only",
        "variants": variants,
        "shipped_variant": f"logistic (the utterance alone) and {with_ctx['variant']} (when the conversation is known)",
        "context": f"the mean unit vector of what the other person said and of what the person said in the last "
                   f"{STANCE_CONTEXT_TURNS} turns before the utterance (zeros where nothing), beside the utterance's",
        "context_helps": bool(with_ctx["macro_f1_mean"] > plain["macro_f1_mean"]),
        "macro_f1_mean": with_ctx["macro_f1_mean"],
        "macro_f1_mean_utterance_only": plain["macro_f1_mean"],
        "per_class_f1": with_ctx["per_class_f1_pooled"],
        "per_class_f1_utterance_only": plain["per_class_f1_pooled"],
        "encoding": encode,
        "final_fit_cpu_s": round(time.process_time() - c1, 1),
        "target_macro_f1": 0.60,
        "talk_ambivalence": {**amb, "probabilities": "out-of-fold, with context, offsets applied (the context head)"},
    }
    return heads[0], heads[1], section


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
    groups = mi["transcript_id"].to_numpy()
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
        "split": f"{N_FOLDS}-fold StratifiedGroupKFold by transcript_id (seed {seed}), the same folds as "
                 "before; early stopping and logit offsets on a grouped inner split (~15% of the "
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
        val_from = f"carried over from the run of {old['created_utc']} (--keep-valence)"
    else:
        valence_head, alpha, val_data, valence_metrics, encoding = train_valence(shared, enc, seed, batch_size,
                                                                                 log, cache_dir)
        val_from = "this run"

    mi = load_annomi_dialogue(shared)
    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    if stance_model == "frozen":
        s_head, c_head, stance = train_stance_heads(shared, enc, seed, batch_size, log, cache_dir)
        stance.update({k: old_stance[k] for k in ("fine_tuned", "ablations") if k in old_stance})
        heads, model = TextHeads(valence_head, s_head, c_head), None
        stance_heads = {"model": "logistic", "offsets": _r(s_head.offset),
                        "stance_ctx": {"model": "logistic", "inputs": 3 * enc.dim, "offsets": _r(c_head.offset)}}
        context = (f"the last {STANCE_CONTEXT_TURNS} turns of the session before the client's utterance, as the mean "
                   "sentence vector per speaker")
    else:
        res = train_stance(shared, seed, log, cache_dir)
        stance = stance_card(res, seed)
        stance.update(carried_stance_records(old_stance))
        heads, model = TextHeads(valence_head), res["model"]
        stance_heads = {"file": "text_stance.safetensors", "offsets_context": _r(model.offset),
                        "offsets_utterance_only": _r(model.offset_plain),
                        "stored": "tuned layer + head in float16 (loaded on the packaged encoder's lower layers)"}
        context = "the preceding turns of the session, both speakers, tagged 'other:'/'self:', truncated from the left"
    log(f"stance: macro-F1 {stance['macro_f1_mean']} with context, {stance['macro_f1_mean_utterance_only']} alone")
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
        },
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
