"""Training and evaluation of the text heads of :mod:`levelone.language.textaffect` on real public data.

Data (read-only, from the shared data folder; never copied into the package):

- valence: VADER's ground truth (Hutto & Gilbert, ICWSM 2014; MIT): 23.7k tweets, movie-review,
  Amazon-review and NYT-editorial snippets, each with the mean of ~20 human ratings on -4..+4,
  scaled here to [-1, 1].
- stance: AnnoMI (Wu et al., ICASSP 2022; public domain): 4,817 client utterances of 133 real
  motivational-interviewing sessions, labelled by MI experts as change / neutral / sustain talk;
  the optional context is the therapist's utterance just before the client's.

Protocol (all folds from one seed):

- valence: ridge regression on frozen encoder vectors. 5-fold CV stratified by source file (each
  fold holds 20% of every corpus); Spearman rho per fold, beside VADER's compound score on the
  same held-out rows. The ridge strength is picked by efficient leave-one-out inside each
  training fold. Leave-one-corpus-out rho is reported too (how it transfers to an unseen genre).
- stance: 5-fold CV grouped by ``transcript_id`` (a session never straddles train and test),
  stratified on the label as far as groups allow. Imbalance (sustain is 11% of client talk) is
  handled with balanced class weights in the loss AND decision offsets on the logits tuned for
  macro-F1 on out-of-fold predictions of an inner grouped CV of the training part only. Variants
  compared on the same folds: with/without therapist context (logistic; a one-hidden-layer MLP
  is available as a variant).
  The variant with the best mean macro-F1 ships; the context head ships only if context helped.

Embeddings are computed once per run and kept in memory.
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


def load_annomi(shared: Path) -> pd.DataFrame:
    """AnnoMI client utterances -> DataFrame(text, context, label, transcript_id, topic).

    ``context`` is the latest therapist utterance before the client's in the same session
    ("" at a session's start).
    """
    path = Path(shared) / ANNOMI_FILE
    try:
        d = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as err:
        raise InputError(path, f"cannot read AnnoMI ({err})") from err
    need = {"transcript_id", "utterance_id", "interlocutor", "utterance_text", "client_talk_type", "topic"}
    if missing := need - set(d.columns):
        raise InputError(path, f"missing columns {sorted(missing)}")
    d = d.sort_values(["transcript_id", "utterance_id"]).reset_index(drop=True)
    therapist = d["utterance_text"].where(d["interlocutor"] == "therapist")
    d["context"] = therapist.groupby(d["transcript_id"]).shift(1)
    d["context"] = d["context"].groupby(d["transcript_id"]).ffill().fillna("")
    # shift(1) then ffill: the latest therapist text strictly before each row
    c = d[(d["interlocutor"] == "client") & d["client_talk_type"].isin(STANCE_CLASSES)]
    c = c.rename(columns={"utterance_text": "text", "client_talk_type": "label"})
    return c[["text", "context", "label", "transcript_id", "topic"]].reset_index(drop=True)


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
    for tr, te in grouped_folds(y, groups, seed):
        head = fit_stance(x[tr], y[tr], groups[tr], cfg, seed)
        logits = head.forward(x[te])
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
    }


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


def train(shared: Path, seed: int = 0, batch_size: int = 64, log: Callable[[str], None] = print,
          variants: tuple[StanceConfig, ...] = STANCE_VARIANTS,
          cache_dir: Path | None = None) -> tuple[TextHeads, dict]:
    """Encode the data once, cross-validate, fit the shipped heads on all data; return heads + card."""
    from levelone.language.textaffect import ENCODER_NAME, ENCODER_PACKAGE, encoder_version, get_encoder
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    shared = Path(shared)
    np.random.seed(seed)
    val = load_vader(shared)
    mi = load_annomi(shared)
    log(f"data: {len(val)} valence sentences, {len(mi)} client utterances")
    enc = get_encoder("cpu")
    t0 = time.perf_counter()
    xv, cv = embed(enc, val["text"].tolist(), batch_size, cache_dir)
    xs, cs = embed(enc, mi["text"].tolist(), batch_size, cache_dir)
    ctx_texts = mi["context"].tolist()
    xc, cc = embed(enc, ctx_texts, batch_size, cache_dir)
    from_cache = cv or cs or cc
    xc = np.nan_to_num(xc, nan=0.0)  # no preceding therapist turn: a zero context vector
    n_encoded = len(val) + len(mi) + sum(bool(t.strip()) for t in ctx_texts)
    t_enc = time.perf_counter() - t0
    log(f"encoded {n_encoded} texts in {t_enc:.0f} s ({n_encoded / t_enc:.0f}/s)"
        + (" (some from the cache)" if from_cache else ""))

    vader = SentimentIntensityAnalyzer()
    lex = np.array([vader.polarity_scores(t)["compound"] for t in val["text"]])
    valence_metrics = evaluate_valence(xv, val, lex, seed)
    log(f"valence: spearman {valence_metrics['spearman_mean']} vs VADER {valence_metrics['vader_spearman_mean']}")

    y = mi["label"].map({c: i for i, c in enumerate(STANCE_CLASSES)}).to_numpy()
    groups = mi["transcript_id"].to_numpy()
    xsc = np.hstack([xs, xc])
    results = []
    for cfg in variants:
        t1 = time.perf_counter()
        m = evaluate_stance(xsc if cfg.context else xs, y, groups, cfg, seed)
        m["seconds"] = round(time.perf_counter() - t1, 1)
        results.append((cfg, m))
        log(f"stance {cfg.name}: macro-F1 {m['macro_f1_mean']} (no offsets {m['macro_f1_mean_without_offsets']})")

    plain = max((r for r in results if not r[0].context), key=lambda r: r[1]["macro_f1_mean"])
    ctx = [r for r in results if r[0].context]
    best_ctx = max(ctx, key=lambda r: r[1]["macro_f1_mean"]) if ctx else None
    context_helps = best_ctx is not None and best_ctx[1]["macro_f1_mean"] > plain[1]["macro_f1_mean"]
    valence_head, alpha = fit_ridge(xv, val["valence"].to_numpy())
    stance_head = fit_stance(xs, y, groups, plain[0], seed)
    ctx_head = fit_stance(xsc, y, groups, best_ctx[0], seed) if context_helps else None
    heads = TextHeads(valence_head, stance_head, ctx_head)
    shipped = best_ctx if context_helps else plain

    card = {
        "name": "ahcue text heads",
        "created_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": seed,
        "command": f"ahcue train-text --seed {seed} --update-shipped",
        "encoder": {
            "name": ENCODER_NAME,
            "package": ENCODER_PACKAGE,
            "package_version": encoder_version(),
            "pooling": "mean over tokens, L2-normalised (the model's sentence-transformers config)",
            "max_seq_length": enc.max_length,
            "dim": enc.dim,
        },
        "data": {
            "valence": {
                "files": [file_facts(shared / VADER_DIR / "hutto_ICWSM_2014" / f) for f in VADER_FILES.values()],
                "n": len(val),
                "target": "mean human rating (-4..+4) / 4",
                "licence": "MIT",
                "citation": "Hutto & Gilbert, VADER: A Parsimonious Rule-based Model for Sentiment "
                            "Analysis of Social Media Text, ICWSM 2014",
            },
            "stance": {
                "files": [file_facts(shared / ANNOMI_FILE)],
                "n": len(mi),
                "class_counts": {c: int((y == i).sum()) for i, c in enumerate(STANCE_CLASSES)},
                "sessions": int(mi["transcript_id"].nunique()),
                "context": "latest therapist utterance before the client's, same session",
                "licence": "public domain (stated by the dataset's authors)",
                "citation": "Wu et al., AnnoMI: A Dataset of Expert-Annotated Counselling "
                            "Dialogues, ICASSP 2022",
            },
        },
        "heads": {
            "valence": {"model": "ridge regression on the unit vector", "alpha": alpha,
                        "output": "clipped to [-1, 1]"},
            "stance": {"model": plain[0].name, "offsets": _r(stance_head.offset)},
            "stance_ctx": None if ctx_head is None else {"model": best_ctx[0].name,
                                                          "offsets": _r(ctx_head.offset)},
            "imbalance": "balanced class weights in the loss (n / (3 n_class)) plus additive logit "
                         "offsets for change and sustain tuned for macro-F1 on inner grouped "
                         "out-of-fold predictions of the training part",
        },
        "metrics": {
            "valence": valence_metrics,
            "stance": {
                "split": f"{N_FOLDS}-fold StratifiedGroupKFold by transcript_id (seed {seed}); "
                         "offsets tuned inside each training part only",
                "variants": [m for _, m in results],
                "shipped_variant": shipped[0].name,
                "context_helps": bool(context_helps),
                "macro_f1_mean": shipped[1]["macro_f1_mean"],
                "per_class_f1": shipped[1]["per_class_f1_pooled"],
                "target_macro_f1": 0.60,
            },
            "encoding": {"texts": n_encoded, "seconds": round(t_enc, 1), "batch_size": batch_size,
                         "from_cache": bool(from_cache),
                         "texts_per_s": None if from_cache else round(n_encoded / t_enc, 1)},
        },
        "caveat": "Metrics are on text corpora (reviews, tweets, MI transcripts), not on A/H-labelled "
                  "video; they measure the text heads, not A/H recognition.",
    }
    return heads, card


def write_outputs(heads: TextHeads, card: dict, out_dir: Path, force: bool = False) -> tuple[Path, Path]:
    from codebook.atomic import check_writable, write_text

    out_dir = Path(out_dir)
    h = check_writable(out_dir / "text_heads.safetensors", force)
    c = check_writable(out_dir / "text_heads.json", force)
    heads.save(h, {"card": "text_heads.json"})
    write_text(c, json.dumps(card, indent=2) + "\n")
    return h, c
