"""AnnoMI loaders and the cross-validation of frozen-vector stance heads (class-weighted logistic
or MLP heads, macro-F1 logit offsets tuned inside the training part, grouped folds), and the
validation of ambivalence in talk on out-of-fold probabilities.

Why its own module: :mod:`levelone.training.text` (the whole ``train-text`` run) and
:mod:`levelone.training.stance_ablations` (every ablation row) both build on it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from codebook.errors import InputError
from levelone.language.textaffect import STANCE_CLASSES, Head

ANNOMI_FILE = Path("annomi") / "AnnoMI-simple.csv"
N_FOLDS = 5


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

    -> DataFrame(text, label, transcript_id, time_s, turns, mi_quality, topic, conversation):
    ``turns`` lists every earlier utterance of the session, oldest first, as (is_client, text) — the
    stance model's context; ``conversation`` is the cross-validation group
    (:func:`levelone.training.conversations.conversation_groups`: the video, or its series).
    """
    from levelone.training.conversations import conversation_groups

    d = _read_annomi(shared, "timestamp", "video_url", "video_title")
    d["conversation"] = conversation_groups(d)
    rows = []
    for tid, g in d.groupby("transcript_id", sort=True):
        turns: list[tuple[bool, str]] = []
        for r in g.itertuples(index=False):
            me = r.interlocutor == "client"
            if me and r.client_talk_type in STANCE_CLASSES:
                rows.append((str(r.utterance_text), r.client_talk_type, tid, _clock_s(r.timestamp), list(turns),
                             getattr(r, "mi_quality", ""), getattr(r, "topic", ""), r.conversation))
            turns.append((me, str(r.utterance_text)))
    return pd.DataFrame(rows, columns=["text", "label", "transcript_id", "time_s", "turns", "mi_quality", "topic",
                                       "conversation"])


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


def _r(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [round(float(a), 4) for a in v]
    return round(float(v), 4)




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
