"""The ConflictDetector: an additive, exactly explainable A/H detector over named terms.

For frame i with term vector x_i (see :mod:`leveltwo.features`) and context inputs z_i::

    logit_i = bias + Σ_k softplus(w_k) · x_ik + s · tanh(MLP((z_i - μ) / σ))

The terms are the cue evidences, the six cross-modal pair conflicts and the four within-modality
conflicts; their weights are non-negative (softplus), so each term can only add A/H evidence and
its contribution ``softplus(w_k) · x_ik`` to a frame — and summed, to a segment — is exact. The
last summand is the one temporal-context term: a small MLP over box-filtered term summaries of the
preceding / following seconds (a 1D convolution with fixed kernels; causal variant: past only),
bounded by ``s`` so it modulates rather than replaces the named evidence. ``explain`` returns every
summand as a column, and the columns add up to the logit.

Training (losses, the codebook constraint, batching, early stopping, devices) lives in
:mod:`leveltwo.train`; inference here is plain numpy, so predicting needs no torch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from codebook.errors import InputError
from leveltwo.additive import sigmoid, softplus
from leveltwo.base import COMMON_CONSTRAINTS, Detector, Interval, validate_params
from leveltwo.constraint import Targets
from leveltwo.features import MODES, Features, check_labels

WEIGHTS = "model.safetensors"
PARAM_NAMES = ("raw_w", "bias", "ctx_w1", "ctx_b1", "ctx_w2", "ctx_b2", "ctx_mu", "ctx_sd", "ctx_scale")


class ConflictDetector(Detector):
    """Additive conflict detector with a scikit-learn style interface (:class:`leveltwo.base.Detector`).

    Hyper-parameters are set in ``__init__`` only; ``targets`` (constraint targets, None: from the
    training annotations' statistics or BAH's published ones) stays as given, and the targets the
    fit used are ``targets_``. Learned state: ``params_`` (numpy weights), ``term_names_``,
    ``context_names_``, ``targets_``, ``threshold_``, ``history_``, ``metrics_``, ``device_``.
    """

    kind = "conflict"
    card_kinds = ("conflict", "codebook-prior")
    weights_file = WEIGHTS
    fitted_attributes = ("params_", "term_names_", "context_names_")
    _parameter_constraints = {
        **COMMON_CONSTRAINTS,
        "context_s": [Interval(float, 0, None, "neither")],
        "mode": [set(MODES)],
        "hidden": [Interval(int, 1, None)],
        "context_scale": [Interval(float, 0, None)],
        "batch_size": [Interval(int, 1, None)],
        "lr": [Interval(float, 0, None, "neither")],
        "constraint_weight": [Interval(float, 0, None)],
        "targets": [None, Targets],
    }

    def __init__(self, window_s: float = 2.0, context_s: float = 4.0, mode: str = "centred", hidden: int = 16,
                 context_scale: float = 2.0, epochs: int = 30, batch_size: int = 4096, lr: float = 0.02,
                 constraint_weight: float = 0.1, patience: int = 5, seed: int = 0, device: str = "auto",
                 targets=None, verbose: bool = False):
        self.window_s = window_s
        self.context_s = context_s
        self.mode = mode
        self.hidden = hidden
        self.context_scale = context_scale
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.constraint_weight = constraint_weight
        self.patience = patience
        self.seed = seed
        self.device = device
        self.targets = targets
        self.verbose = verbose

    # -- training --------------------------------------------------------------------------
    def fit_features(self, feats: Sequence[Features], labels: Sequence[np.ndarray],
                     val_feats: Sequence[Features] | None = None,
                     val_labels: Sequence[np.ndarray] | None = None, progress=None) -> "ConflictDetector":
        """Fit on precomputed :class:`Features` (what :meth:`fit` does after computing them).

        ``progress`` (optional) is called with each epoch's history row.
        """
        from leveltwo.additive import fit_additive

        validate_params(self)  # also here: leveltwo.train calls fit_features directly
        check_labels(feats, labels)
        if val_feats is not None:
            check_labels(val_feats, val_labels)
        self.term_names_ = list(feats[0].term_names)
        self.context_names_ = list(feats[0].context_names)
        result = fit_additive(self, feats, labels, val_feats, val_labels, progress)
        self.params_ = result.params
        self.targets_ = result.targets
        self.history_ = result.history
        self.device_ = result.device
        self.trained_ = True
        self.metrics_ = {"best_epoch": result.best_epoch, "seconds_per_epoch": result.seconds_per_epoch}
        self._tune_threshold([self.predict_proba_features(f) for f in val_feats] if val_feats is not None else None,
                             val_labels)
        return self

    # -- inference -------------------------------------------------------------------------
    def contributions(self, feats: Features) -> np.ndarray:
        """(n_frames, T + 2): each term's contribution, then 'context' and 'bias' (float64)."""
        self.check_is_fitted()
        self._check_feature_names(feats)
        p = self.params_
        terms = feats.terms.astype(np.float64) * softplus(p["raw_w"].astype(np.float64))
        z = (feats.context.astype(np.float64) - p["ctx_mu"]) / p["ctx_sd"]
        h = np.tanh(z @ p["ctx_w1"].T.astype(np.float64) + p["ctx_b1"])
        ctx = float(p["ctx_scale"][0]) * np.tanh(h @ p["ctx_w2"].T.astype(np.float64) + p["ctx_b2"])[:, 0]
        bias = np.full(len(terms), float(p["bias"][0]))
        return np.concatenate([terms, ctx[:, None], bias[:, None]], axis=1)

    def predict_proba_features(self, feats: Features) -> np.ndarray:
        return sigmoid(self.contributions(feats).sum(axis=1))

    def explain_features(self, feats: Features) -> pd.DataFrame:
        """Per-frame contribution of every named term; each row sums to the frame's logit exactly."""
        return pd.DataFrame(self.contributions(feats), columns=self.term_names_ + ["context", "bias"])

    @property
    def cue_weights_(self) -> dict[str, float]:
        self.check_is_fitted()
        return dict(zip(self.term_names_, map(float, softplus(self.params_["raw_w"].astype(np.float64)))))

    # -- persistence -----------------------------------------------------------------------
    def _params_to_card(self) -> dict:
        hp = super()._params_to_card()
        hp["targets"] = self.targets.to_json() if self.targets is not None else None
        return hp

    @classmethod
    def _params_from_card(cls, saved: dict) -> dict:
        from leveltwo.constraint import Targets

        hp = super()._params_from_card(saved)
        if hp.get("targets") is not None:
            hp["targets"] = Targets.from_json(hp["targets"])
        return hp

    def _card_extra(self) -> dict:
        targets = getattr(self, "targets_", None)
        return {"constraint_weight": float(self.constraint_weight),
                "constraint_targets": targets.to_json() if targets is not None else None,
                "history": getattr(self, "history_", [])}

    def _weights_bytes(self) -> bytes:
        from safetensors.numpy import save

        return save({k: np.ascontiguousarray(self.params_[k], dtype=np.float32) for k in PARAM_NAMES})

    def _set_weights(self, data: bytes, card: dict, directory: Path) -> None:
        from safetensors import SafetensorError
        from safetensors.numpy import load

        try:
            params = load(data)
        except (SafetensorError, ValueError) as err:
            raise InputError(directory / WEIGHTS, f"not a valid safetensors file ({err})") from None
        if set(params) != set(PARAM_NAMES) or params["raw_w"].shape != (len(self.term_names_),) \
                or params["ctx_w1"].shape != (self.hidden, len(self.context_names_)):
            raise InputError(directory / WEIGHTS, "tensor names or shapes do not match card.json")
        self.params_ = {k: v.astype(np.float64) for k, v in params.items()}

    def _load_extra(self, card: dict) -> None:
        from leveltwo.constraint import Targets

        self.history_ = card.get("history", [])
        saved = card.get("constraint_targets")
        self.targets_ = Targets.from_json(saved) if saved else self.targets
