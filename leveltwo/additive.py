"""The additive model shared by the ConflictDetector and its training loop.

Numpy link functions (softplus, its inverse, sigmoid) used at inference, and the torch network and
fit loop (devices, batches, early stopping on validation AP) used by training. Both
:mod:`leveltwo.detector` and :mod:`leveltwo.train` import from here, so neither imports the other.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from leveltwo.features import Features


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def inv_softplus(y: np.ndarray) -> np.ndarray:
    y = np.maximum(np.asarray(y, np.float64), 1e-6)
    return y + np.log(-np.expm1(-y))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, clipped to +-60 logits (no overflow); level two's one sigmoid."""
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


@dataclass
class FitResult:
    params: dict[str, np.ndarray]
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    seconds_per_epoch: float = 0.0
    device: str = "cpu"
    targets: object = None  # the constraint targets the fit used (the detector's ``targets_``)


class EarlyStopping:
    """Early stopping on validation AP, shared by every torch-trained detector.

    Keeps the state of the epoch with the best validation AP (an improvement is more than
    ``min_delta``) and says stop after ``patience`` epochs without one. Without validation data
    (``has_val`` False) the last epoch's state is kept and training never stops early.
    """

    def __init__(self, patience: int, has_val: bool, min_delta: float = 1e-6):
        self.patience, self.has_val, self.min_delta = patience, has_val, min_delta
        self.best_ap, self.best_epoch, self.best_state, self.stale = -1.0, 0, None, 0

    def update(self, epoch: int, val_ap: float | None, snapshot: Callable[[], object]) -> bool:
        """Record one epoch (``snapshot()`` is called only when its state is kept); True: stop now."""
        if not self.has_val:
            self.best_epoch, self.best_state = epoch, snapshot()
            return False
        if val_ap > self.best_ap + self.min_delta:
            self.best_ap, self.best_epoch, self.best_state, self.stale = val_ap, epoch, snapshot(), 0
        else:
            self.stale += 1
        return self.stale >= self.patience


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
    y = np.concatenate([np.asarray(lab, np.float32) for lab in labels])
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
    stopper = EarlyStopping(model.patience, has_val)
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
        stop = stopper.update(epoch, row.get("val_ap"), lambda: net_params(net))
        history.append(row)
        if progress is not None:
            progress(row)
        elif model.verbose:
            print(_format_row(row), flush=True)
        if stop:
            break
    return FitResult(stopper.best_state, history, stopper.best_epoch, float(np.mean(times)), device, targets)


def _format_row(row: dict) -> str:
    val = f"  val AP {row['val_ap']:.4f}" if "val_ap" in row else ""
    return (f"epoch {row['epoch']:3d}  loss {row['loss']:.4f}  constraint {row['constraint']:.4f}{val}  "
            f"({row['seconds']:.1f} s)")
