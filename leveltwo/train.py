"""Training: the loss, the codebook constraint, the batch loop, devices; and training from a BAH root.

The additive detector is trained on *frames*, not sequences: every frame's term and context
vectors are computed once (:mod:`leveltwo.features`), so an epoch is a shuffled pass over frame
batches (4096 by default; smaller for small corpora, so an epoch has at least ~16 steps) — fast
on a 2-core CPU and trivially parallel on a GPU.

- Loss: binary cross-entropy with ``pos_weight = n_negative / n_positive`` (BAH is ~17% A/H at
  frame level; its baselines weighted the classes likewise) plus ``constraint_weight`` times the
  codebook constraint (:mod:`leveltwo.constraint`) on the batch's A/H frames.
- Early stopping: validation AP (BAH's definition) after every epoch, patience ``patience``; the
  best epoch's weights are kept.
- Devices: ``auto`` picks CUDA when ``torch.cuda.is_available()``. On CUDA the forward pass runs
  under ``torch.autocast`` (bf16 where supported, else fp16 with a gradient scaler). On CPU the
  run is deterministic given the seed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from leveltwo.features import Features


@dataclass
class FitResult:
    params: dict[str, np.ndarray]
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    seconds_per_epoch: float = 0.0
    device: str = "cpu"


def resolve_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when available, else 'cpu'. Asking for CUDA without it is a user error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        from codebook.errors import InputError
        raise InputError(None, "--device cuda asked for, but torch sees no CUDA device")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, not {device!r}")
    return device


def _stack(feats: Sequence[Features], labels: Sequence[np.ndarray]):
    x = np.concatenate([f.terms for f in feats]).astype(np.float32)
    z = np.concatenate([f.context for f in feats]).astype(np.float32)
    y = np.concatenate([np.asarray(l, np.float32) for l in labels])
    return x, z, y


def build_net(n_terms: int, n_context: int, hidden: int, context_scale: float, init_bias: float):
    """The torch module mirroring :class:`leveltwo.detector.ConflictDetector`'s numpy inference."""
    import torch
    from torch import nn

    class AdditiveNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.raw_w = nn.Parameter(torch.full((n_terms,), -1.0))  # softplus(-1) = 0.31
            self.bias = nn.Parameter(torch.tensor([init_bias]))
            self.ctx1 = nn.Linear(n_context, hidden)
            self.ctx2 = nn.Linear(hidden, 1)
            nn.init.zeros_(self.ctx2.weight)  # the context term starts at 0: named terms lead
            nn.init.zeros_(self.ctx2.bias)
            self.register_buffer("mu", torch.zeros(n_context))
            self.register_buffer("sd", torch.ones(n_context))
            self.scale = float(context_scale)

        def forward(self, x, z):
            contrib = x * nn.functional.softplus(self.raw_w)
            ctx = self.scale * torch.tanh(self.ctx2(torch.tanh(self.ctx1((z - self.mu) / self.sd))))[:, 0]
            return self.bias + contrib.sum(dim=1) + ctx, contrib

    return AdditiveNet()


def net_params(net) -> dict[str, np.ndarray]:
    """The torch module's weights in the detector's numpy layout."""
    f = lambda t: t.detach().float().cpu().numpy().astype(np.float64)  # noqa: E731
    return {"raw_w": f(net.raw_w), "bias": f(net.bias), "ctx_w1": f(net.ctx1.weight), "ctx_b1": f(net.ctx1.bias),
            "ctx_w2": f(net.ctx2.weight), "ctx_b2": f(net.ctx2.bias), "ctx_mu": f(net.mu), "ctx_sd": f(net.sd),
            "ctx_scale": np.array([net.scale])}


def fit_additive(model, feats: Sequence[Features], labels: Sequence[np.ndarray],
                 val_feats: Sequence[Features] | None, val_labels: Sequence[np.ndarray] | None,
                 progress: Callable[[dict], None] | None = None) -> FitResult:
    """Train ``model``'s additive network; returns its weights and the per-epoch history."""
    import torch

    from leveltwo.constraint import group_matrices, targets_from, constraint_loss
    from leveltwo.metrics import average_precision

    device = resolve_device(model.device)
    threads = torch.get_num_threads()
    if device == "cpu":
        # The batched ops are tiny: one thread is fastest, and extra threads spin badly on a shared CPU
        # (measured: 0.1 s vs 4.8 s per epoch on 30k frames with the machine loaded).
        torch.set_num_threads(max(1, int(getattr(model, "cpu_threads", 1) or 1)))
    try:
        return _fit(model, feats, labels, val_feats, val_labels, progress, device)
    finally:
        torch.set_num_threads(threads)


def _fit(model, feats, labels, val_feats, val_labels, progress, device) -> FitResult:
    import torch

    from leveltwo.constraint import group_matrices, targets_from, constraint_loss
    from leveltwo.metrics import average_precision

    torch.manual_seed(model.seed)
    rng = np.random.default_rng(model.seed)
    x, z, y = _stack(feats, labels)
    n_pos = float(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise ValueError("training labels need both A/H and non-A/H frames")
    prior = n_pos / len(y)
    net = build_net(x.shape[1], z.shape[1], model.hidden, model.context_scale, float(np.log(prior / (1 - prior))))
    net.mu.copy_(torch.from_numpy(z.mean(axis=0)))
    net.sd.copy_(torch.from_numpy(np.maximum(z.std(axis=0), 1e-3)))
    net.to(device)
    targets = model.targets if model.targets is not None else targets_from()
    model.targets = targets
    gm, gp = (torch.from_numpy(g).to(device) for g in group_matrices(feats[0].term_names))
    tm = torch.tensor(targets.modality, dtype=torch.float32, device=device)
    tp = torch.tensor(targets.pair, dtype=torch.float32, device=device)
    pos_weight = torch.tensor((len(y) - n_pos) / n_pos, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=model.lr)
    X, Z, Y = (torch.from_numpy(a).to(device) for a in (x, z, y))
    if val_feats is not None:
        vx, vz, vy = _stack(val_feats, val_labels)
        VX, VZ = torch.from_numpy(vx).to(device), torch.from_numpy(vz).to(device)
        has_val = 0 < vy.sum() < len(vy)
    else:
        has_val = False
    use_amp = device == "cuda"  # CUDA only: mixed precision
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)

    history: list[dict] = []
    best_ap, best_epoch, best_state, stale = -1.0, 0, None, 0
    times = []
    n = len(y)
    # Small corpora still get ~16 optimiser steps per epoch (one 4096 batch would be one step).
    batch = int(min(model.batch_size, max(128, -(-n // 16))))
    for epoch in range(1, model.epochs + 1):
        t0 = time.perf_counter()
        net.train()
        perm = torch.from_numpy(rng.permutation(n)).to(device)
        total, total_c, steps = 0.0, 0.0, 0
        for s in range(0, n, batch):
            idx = perm[s:s + batch]
            xb, zb, yb = X[idx], Z[idx], Y[idx]
            with torch.autocast(device_type="cuda", dtype=amp_dtype, enabled=use_amp):
                logit, contrib = net(xb, zb)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logit.float(), yb, pos_weight=pos_weight)
            closs = constraint_loss(contrib.float(), yb, gm, gp, tm, tp) if model.constraint_weight > 0 else None
            if closs is not None:
                loss = loss + model.constraint_weight * closs
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total += float(loss.detach())
            total_c += float(closs.detach()) if closs is not None else 0.0
            steps += 1
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
        row = {"epoch": epoch, "loss": total / steps, "constraint": total_c / steps, "seconds": times[-1]}
        if has_val:
            net.eval()
            with torch.no_grad():
                vp = torch.sigmoid(net(VX, VZ)[0].float()).cpu().numpy()
            row["val_ap"] = average_precision(vy, vp)
            if row["val_ap"] > best_ap + 1e-6:
                best_ap, best_epoch, best_state, stale = row["val_ap"], epoch, net_params(net), 0
            else:
                stale += 1
        else:
            best_epoch, best_state = epoch, net_params(net)
        history.append(row)
        if progress is not None:
            progress(row)
        elif model.verbose:
            print(_format_row(row), flush=True)
        if has_val and stale >= model.patience:
            break
    return FitResult(best_state, history, best_epoch, float(np.mean(times)), device)


def _format_row(row: dict) -> str:
    val = f"  val AP {row['val_ap']:.4f}" if "val_ap" in row else ""
    return f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  constraint {row['constraint']:.4f}{val}  ({row['seconds']:.1f} s)"


# ------------------------------------------------------------------ training a model from splits
def constraint_targets(annotations) -> "object":
    """Targets from the training annotations when they carry enough cues, else BAH's published ones."""
    from codebook.stats import CueStatistics, prior_or_published
    from leveltwo.constraint import targets_from

    anns = [a for a in annotations if a is not None]
    stats = CueStatistics.from_annotations(anns, source="training annotations") if anns else None
    return targets_from(prior_or_published(stats))


def share_report(model, feats: Sequence[Features], labels: Sequence[np.ndarray]) -> dict:
    """Evidence shares on A/H frames and their KL divergence from the model's targets."""
    from codebook.vocabulary import MODALITIES, PAIRS
    from leveltwo.constraint import evidence_shares, kl

    contrib = np.concatenate([model.contributions(f)[:, :len(model.term_names_)] for f in feats])
    y = np.concatenate(labels).astype(bool)
    ms, ps = evidence_shares(contrib, model.term_names_, y)
    return {"modality_shares": dict(zip(MODALITIES, ms.round(4).tolist())),
            "pair_shares": dict(zip(PAIRS, ps.round(4).tolist())),
            "kl_modality": round(kl(model.targets.modality, ms), 4), "kl_pair": round(kl(model.targets.pair, ps), 4)}


def train_conflict(train, val, *, epochs: int = 30, constraint_weight: float = 0.1, seed: int = 0,
                   device: str = "auto", progress: Callable[[str], None] | None = print, **hp):
    """Fit the ConflictDetector at ``constraint_weight`` and the weight-0 ablation; both reported.

    ``train``/``val`` are :class:`leveltwo.dataset.Split`. Returns the main model with
    ``metrics_['constraint']`` and ``metrics_['ablation_constraint_0']`` filled in.
    """
    from leveltwo.detector import ConflictDetector

    say = progress or (lambda s: None)
    targets = constraint_targets(train.annotations)
    feats = None
    runs = {}
    for w in ([constraint_weight, 0.0] if constraint_weight > 0 else [0.0]):
        say(f"training conflict detector, constraint weight {w} ({targets.source})")
        model = ConflictDetector(epochs=epochs, constraint_weight=w, seed=seed, device=device, targets=targets, **hp)
        if feats is None:
            feats = [model.features(t) for t in train.tables]
            vfeats = [model.features(t) for t in val.tables]
        model.fit_features(feats, train.labels, vfeats, val.labels,
                           progress=lambda row: say(_format_row(row)))
        model.metrics_["evidence_val"] = share_report(model, vfeats, val.labels)
        runs[w] = model
    main = runs[constraint_weight if constraint_weight > 0 else 0.0]
    ablation = runs[0.0]
    main.metrics_["constraint"] = {"weight": constraint_weight, "targets": targets.to_json()}
    main.metrics_["ablation_constraint_0"] = {
        "same_as_main": constraint_weight == 0, "val": ablation.metrics_.get("val"),
        "evidence_val": ablation.metrics_.get("evidence_val"), "best_epoch": ablation.metrics_.get("best_epoch")}
    main.training_data_ = f"{train.describe()}; {val.describe()}"
    return main


def train_xgboost(train, val, *, seed: int = 0, device: str = "auto", progress=print, **hp):
    from leveltwo.xgb import XGBDetector

    (progress or (lambda s: None))("training xgboost baseline")
    model = XGBDetector(seed=seed, device=device, **hp).fit(train.tables, train.labels, val.tables, val.labels)
    model.training_data_ = f"{train.describe()}; {val.describe()}"
    return model
