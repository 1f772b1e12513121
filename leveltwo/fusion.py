"""The papers' supervised multimodal baseline on level-one output: per-modality temporal encoders,
fused by concatenation. A comparator for the ConflictDetector, not ahcue's explained model.

Inputs: every numeric FrameTable column of a modality -- its raw signals (``face.*``, ``body.*``,
``audio.*``, ``text.*``), its affect (``affect.<m>.*``) and its cue activations (``cue.<m>.*``) --
standardised with the training frames' mean and standard deviation. The ``<source>.present`` flags
are not inputs: absence is never evidence of A/H (in BAH, silence or a turned-away face would
otherwise become a cue the network can learn). A missing value (absent modality) becomes the
training mean (0), the same reference the explanation uses for "absent".

Network (one per modality, then fused)::

    x_m (C_m channels x frames) -> Conv1d(k) -> GELU -> Conv1d(k) -> GELU -> h_m (hidden x frames)
    logit_t = MLP([h_face, h_language, h_audio, h_body]_t)

Each encoder sees a centred temporal window of ``window_s`` seconds (two convolutions of
``window_s/2`` each, in frames at the training frame rate), so the model is fully convolutional over
a video. Trained like the ConflictDetector: per-frame binary cross-entropy with
``pos_weight = n_negative / n_positive``, on random crops of training videos, epochs selected on
validation AP (BAH's definition), the validation-tuned threshold kept.

Explanation (approximate, and labelled so: ``card['explanation'] == 'approximate'``): exact Shapley
values over the four modality *blocks*, with "absent" meaning the block set to its training mean
(16 forward passes per video). Per frame, ``signal.<modality>`` columns plus ``bias`` (the
all-blocks-at-mean output) sum to the logit exactly, but what a block's value means depends on
that choice of reference, and nothing is said at cue level; the ConflictDetector's terms, by
contrast, *are* the model.
"""
from __future__ import annotations

import itertools
import math
import time
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from codebook.errors import InputError
from codebook.vocabulary import MODALITIES
from leveltwo.additive import EarlyStopping, resolve_device, sigmoid
from leveltwo.base import COMMON_CONSTRAINTS, Detector, Interval, validate_params

WEIGHTS = "model.safetensors"
PREFIX_MODALITY = {"face": "face", "body": "body", "audio": "audio", "text": "language"}


def column_modality(col: str) -> str | None:
    """The codebook modality of a FrameTable column, None for frame/time and unknown columns."""
    head, _, rest = col.partition(".")
    if head in ("cue", "affect"):
        m = rest.split(".", 1)[0]
        return m if m in MODALITIES else None
    return PREFIX_MODALITY.get(head)


def is_input_column(col: str) -> bool:
    """A modality column the network may read: not a ``<source>.present`` flag (absence is no evidence)."""
    return column_modality(col) is not None and not col.endswith(".present")


def input_columns(tables: Sequence) -> dict[str, list[str]]:
    """Per modality, the numeric columns every training table has (sorted: stable across runs),
    presence flags excluded (:func:`is_input_column`)."""
    common = None
    for t in tables:
        cols = {c for c in t.data.columns if is_input_column(c)
                and (pd.api.types.is_numeric_dtype(t.data[c]) or pd.api.types.is_bool_dtype(t.data[c]))}
        common = cols if common is None else common & cols
    out = {m: sorted(c for c in (common or ()) if column_modality(c) == m) for m in MODALITIES}
    if not any(out.values()):
        raise ValueError("no modality columns in the training tables")
    return out


def _raw(table, cols: list[str]) -> np.ndarray:
    df = table.data
    out = np.full((len(df), len(cols)), np.nan, np.float32)
    for j, c in enumerate(cols):
        if c in df.columns:
            out[:, j] = df[c].to_numpy(np.float32, na_value=np.nan)
    return out


def build_net(channels: dict[str, int], hidden: int, kernel: int, fused: int):
    import torch
    from torch import nn

    class FusionNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.ModuleDict({m: nn.Sequential(
                nn.Conv1d(max(c, 1), hidden, kernel, padding=kernel // 2), nn.GELU(),
                nn.Conv1d(hidden, hidden, kernel, padding=kernel // 2), nn.GELU()) for m, c in channels.items()})
            self.head = nn.Sequential(nn.Conv1d(hidden * len(channels), fused, 1), nn.GELU(), nn.Conv1d(fused, 1, 1))

        def forward(self, xs: dict):  # xs[m]: (batch, C_m, frames) -> (batch, frames)
            return self.head(torch.cat([self.enc[m](xs[m]) for m in self.enc], dim=1))[:, 0]

    return FusionNet()


class FusionDetector(Detector):
    """Per-modality temporal encoders fused by concatenation, on the detectors' shared base
    (:class:`leveltwo.base.Detector`): hyper-parameters from the signature, the shared card,
    ``save``/``load``, early stopping (:class:`leveltwo.additive.EarlyStopping`) and threshold tuning.
    It reads FrameTable columns, not windowed features, so it overrides ``fit``, ``predict_proba``
    and ``explain`` and says what it reads in the card's ``input_columns``."""

    kind = "fusion"
    weights_file = WEIGHTS
    fitted_attributes = ("columns_", "net_")
    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "hidden": [Interval(int, 1, None)],
        "fused": [Interval(int, 1, None)],
        "crop_s": [Interval(float, 0, None, "neither")],
        "batch_videos": [Interval(int, 1, None)],
        "lr": [Interval(float, 0, None, "neither")],
        "weight_decay": [Interval(float, 0, None)],
        "fps": [Interval(float, 0, None, "neither")],
    }
    description = ("Comparator: the BAH papers' supervised multimodal baseline (per-modality temporal "
                   "encoders fused by concatenation) on level-one output.")

    def __init__(self, window_s: float = 2.0, hidden: int = 16, fused: int = 32, epochs: int = 30,
                 crop_s: float = 10.0, batch_videos: int = 16, lr: float = 3e-3, weight_decay: float = 1e-4,
                 patience: int = 5, fps: float = 24.0, seed: int = 0, device: str = "auto", verbose: bool = False):
        self.window_s = window_s
        self.hidden = hidden
        self.fused = fused
        self.epochs = epochs
        self.crop_s = crop_s
        self.batch_videos = batch_videos
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.fps = fps
        self.seed = seed
        self.device = device
        self.verbose = verbose

    @property
    def kernel(self) -> int:
        """Frames per convolution: two of them span ``window_s`` (odd, so the window is centred)."""
        k = max(3, int(round(self.window_s * self.fps / 2)))
        return k if k % 2 else k + 1

    # -- inputs ------------------------------------------------------------------------------
    def _inputs(self, table) -> dict[str, np.ndarray]:
        """Standardised (C_m, n_frames) arrays per modality; missing -> 0 (the training mean)."""
        out = {}
        for m in MODALITIES:
            cols = self.columns_[m]
            if not cols:
                out[m] = np.zeros((1, len(table.data)), np.float32)
                continue
            x = (_raw(table, cols) - self.mu_[m]) / self.sd_[m]
            out[m] = np.clip(np.nan_to_num(x, nan=0.0), -8.0, 8.0).T.astype(np.float32)
        return out

    # -- training ------------------------------------------------------------------------------
    def fit(self, tables: Sequence, labels: Sequence[np.ndarray], val_tables: Sequence | None = None,
            val_labels: Sequence[np.ndarray] | None = None) -> "FusionDetector":
        import torch

        from leveltwo.metrics import average_precision

        validate_params(self)
        if labels is None or len(labels) != len(tables):
            raise ValueError("one label array per table is required")
        for t, y in zip(tables, labels):
            if len(y) != len(t.data):
                raise ValueError(f"labels have {len(y)} frames, the table {len(t.data)}")
        y_all = np.concatenate([np.asarray(y, np.float32) for y in labels])
        n_pos = float(y_all.sum())
        if n_pos == 0 or n_pos == len(y_all):
            raise ValueError("training labels need both A/H and non-A/H frames")
        self.columns_ = input_columns(tables)
        self.mu_, self.sd_ = {}, {}
        for m, cols in self.columns_.items():
            raw = np.concatenate([_raw(t, cols) for t in tables]) if cols else np.zeros((1, 0), np.float32)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: mean 0, sd 1
                mu = np.nan_to_num(np.nanmean(raw, axis=0), nan=0.0) if cols else np.zeros(0)
                sd = np.nan_to_num(np.nanstd(raw, axis=0), nan=1.0) if cols else np.zeros(0)
            self.mu_[m], self.sd_[m] = mu.astype(np.float32), np.maximum(sd, 1e-3).astype(np.float32)
        device = resolve_device(self.device)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        threads = torch.get_num_threads()
        if device == "cpu":
            torch.set_num_threads(1)  # tiny convolutions: one thread is fastest on a shared CPU
        try:
            net = build_net({m: len(c) for m, c in self.columns_.items()}, self.hidden, self.kernel, self.fused)
            net.to(device)
            xs = [self._inputs(t) for t in tables]
            ys = [np.asarray(y, np.float32) for y in labels]
            vxs = [self._inputs(t) for t in val_tables] if val_tables else []
            has_val = bool(vxs) and 0 < np.concatenate(val_labels).sum() < sum(len(v) for v in val_labels)
            opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            pos_weight = torch.tensor((len(y_all) - n_pos) / n_pos, device=device)
            crop = max(self.kernel * 2, int(round(self.crop_s * self.fps)))
            lengths = np.array([len(y) for y in ys])
            steps = max(1, int(math.ceil(lengths.sum() / (crop * self.batch_videos))))
            history, times = [], []
            stopper = EarlyStopping(self.patience, has_val)
            for epoch in range(1, self.epochs + 1):
                t0 = time.perf_counter()
                net.train()
                total = 0.0
                for _ in range(steps):
                    batch = _crops(xs, ys, lengths, crop, self.batch_videos, rng)
                    xb = {m: torch.from_numpy(a).to(device) for m, a in batch[0].items()}
                    yb, mb = (torch.from_numpy(a).to(device) for a in batch[1:])
                    logit = net(xb)
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(
                        logit, yb, pos_weight=pos_weight, reduction="none")
                    loss = (loss * mb).sum() / mb.sum().clamp(min=1.0)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach())
                times.append(time.perf_counter() - t0)
                row = {"epoch": epoch, "loss": total / steps, "seconds": times[-1]}
                self.net_ = net
                if has_val:
                    net.eval()
                    vp = np.concatenate([sigmoid(self._forward(x)) for x in vxs])
                    row["val_ap"] = average_precision(np.concatenate(val_labels), vp)
                stop = stopper.update(epoch, row.get("val_ap"),
                                      lambda: {k: v.detach().cpu().clone() for k, v in net.state_dict().items()})
                history.append(row)
                if self.verbose:
                    val_ap = f"  val AP {row['val_ap']:.4f}" if has_val else ""
                    print(f"epoch {epoch:3d}  loss {row['loss']:.4f}{val_ap}", flush=True)
                if stop:
                    break
            net.load_state_dict(stopper.best_state)
            self.net_ = net.to("cpu").eval()
        finally:
            torch.set_num_threads(threads)
        self.device_ = device
        self.history_ = history
        self.trained_ = True
        self.metrics_ = {"best_epoch": stopper.best_epoch, "seconds_per_epoch": float(np.mean(times)),
                         "train_seconds": float(np.sum(times))}
        self._tune_threshold([self.predict_proba(t) for t in val_tables] if has_val else None, val_labels)
        return self

    # -- inference -----------------------------------------------------------------------------
    def _forward(self, x: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        dev = next(self.net_.parameters()).device
        with torch.no_grad():
            out = self.net_({m: torch.from_numpy(a[None]).to(dev) for m, a in x.items()})
        return out[0].float().cpu().numpy().astype(np.float64)

    def logit(self, table) -> np.ndarray:
        self.check_is_fitted()
        return self._forward(self._inputs(table))

    def predict_proba(self, table) -> np.ndarray:
        """P(A/H) for every frame of a FrameTable, shape (n_frames,)."""
        return sigmoid(self.logit(table))

    def explain(self, table) -> pd.DataFrame:
        """Shapley values of the four modality blocks (reference: training mean) and the reference
        output ``bias``; each row sums to the logit exactly, but the attribution is approximate."""
        self.check_is_fitted()
        x = self._inputs(table)
        zero = {m: np.zeros_like(a) for m, a in x.items()}
        n = len(MODALITIES)
        value = {}
        for mask in itertools.product((0, 1), repeat=n):
            value[mask] = self._forward({m: (x[m] if on else zero[m]) for m, on in zip(MODALITIES, mask)})
        cols = {}
        for i, m in enumerate(MODALITIES):
            phi = np.zeros(len(table.data))
            for mask, v in value.items():
                if mask[i]:
                    continue
                k = sum(mask)
                w = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                with_i = mask[:i] + (1,) + mask[i + 1:]
                phi += w * (value[with_i] - v)
            cols[f"signal.{m}"] = phi
        cols["bias"] = value[(0,) * n]
        return pd.DataFrame(cols)

    # -- persistence (the base's card, save and load; these hooks fill in what is fusion's own) -------
    def _tensors(self) -> dict[str, np.ndarray]:
        out = {f"net.{k}": v.detach().cpu().numpy().astype(np.float32) for k, v in self.net_.state_dict().items()}
        for m in MODALITIES:
            out[f"norm.{m}.mu"] = np.asarray(self.mu_[m], np.float32)
            out[f"norm.{m}.sd"] = np.asarray(self.sd_[m], np.float32)
        return out

    def _weights_bytes(self) -> bytes:
        from safetensors.numpy import save

        return save({k: np.ascontiguousarray(v) for k, v in self._tensors().items()})

    def _card_features(self) -> dict:
        return {"input_columns": self.columns_}

    def _card_extra(self) -> dict:
        return {"history": getattr(self, "history_", []), "explanation": "approximate",
                "explanation_method": "exact Shapley values over the four modality blocks, reference = training "
                                      "mean; the attribution depends on that reference (approximate)",
                "description": self.description}

    def _restore_features(self, card: dict, directory: Path) -> None:
        cols = card.get("input_columns") or {}
        if set(cols) != set(MODALITIES):
            raise InputError(directory / "card.json", "input_columns must list every modality")
        self.columns_ = {m: list(cols[m]) for m in MODALITIES}

    def _set_weights(self, data: bytes, card: dict, directory: Path) -> None:
        import torch
        from safetensors import SafetensorError
        from safetensors.numpy import load

        try:
            tensors = load(data)
        except (SafetensorError, ValueError) as err:
            raise InputError(directory / WEIGHTS, f"not a valid safetensors file ({err})") from None
        try:
            self.mu_ = {m: tensors[f"norm.{m}.mu"] for m in MODALITIES}
            self.sd_ = {m: tensors[f"norm.{m}.sd"] for m in MODALITIES}
            net = build_net({m: len(c) for m, c in self.columns_.items()}, self.hidden, self.kernel, self.fused)
            net.load_state_dict({k[4:]: torch.from_numpy(v.copy()) for k, v in tensors.items() if k.startswith("net.")})
        except (KeyError, RuntimeError) as err:
            raise InputError(directory / WEIGHTS,
                             f"tensor names or shapes do not match card.json ({str(err)[:120]})") from None
        self.net_ = net.eval()

    def _load_extra(self, card: dict) -> None:
        self.history_ = card.get("history", [])


def _crops(xs, ys, lengths, crop: int, n: int, rng: np.random.Generator):
    """``n`` random crops of ``crop`` frames (videos drawn by length; short ones padded, masked)."""
    idx = rng.choice(len(xs), size=n, p=lengths / lengths.sum())
    out_x = {m: np.zeros((n, xs[0][m].shape[0], crop), np.float32) for m in MODALITIES}
    out_y = np.zeros((n, crop), np.float32)
    mask = np.zeros((n, crop), np.float32)
    for b, i in enumerate(idx):
        L = int(lengths[i])
        s = int(rng.integers(0, max(1, L - crop + 1)))
        e = min(L, s + crop)
        for m in MODALITIES:
            out_x[m][b, :, :e - s] = xs[i][m][:, s:e]
        out_y[b, :e - s] = ys[i][s:e]
        mask[b, :e - s] = 1.0
    return out_x, out_y, mask


def train_fusion(train, val, *, seed: int = 0, device: str = "auto", epochs: int = 30, progress=print, **hp):
    """Fit the fusion comparator on a train :class:`leveltwo.dataset.Split`, epochs selected on val."""
    (progress or (lambda s: None))("training the fusion comparator (per-modality encoders, concatenated)")
    model = FusionDetector(seed=seed, device=device, epochs=epochs, **hp).fit(
        train.tables, train.labels, val.tables, val.labels)
    model.training_data_ = f"{train.describe()}; {val.describe()}"
    return model
