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
from leveltwo.features import Features, check_labels, context_names, frame_features, term_names
from leveltwo.modeldir import library_versions, read_card, read_weights, short_hash, write_model_dir

WEIGHTS = "model.safetensors"
PARAM_NAMES = ("raw_w", "bias", "ctx_w1", "ctx_b1", "ctx_w2", "ctx_b2", "ctx_mu", "ctx_sd", "ctx_scale")


class ConflictDetector:
    """Additive conflict detector with a scikit-learn style interface.

    Hyper-parameters are set in ``__init__`` only; learned state ends in ``_``.
    """

    kind = "conflict"

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

    # -- hyper-parameters and features ------------------------------------------------------
    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("window_s", "context_s", "mode", "hidden", "context_scale", "epochs",
                                              "batch_size", "lr", "constraint_weight", "patience", "seed")}

    def features(self, table) -> Features:
        return frame_features(table, self.window_s, self.context_s, self.mode)

    # -- training --------------------------------------------------------------------------
    def fit(self, tables: Sequence, labels: Sequence[np.ndarray], val_tables: Sequence | None = None,
            val_labels: Sequence[np.ndarray] | None = None) -> "ConflictDetector":
        """Fit on FrameTables and their per-frame 0/1 labels; select the epoch on validation AP."""
        feats = [self.features(t) for t in tables]
        vfeats = [self.features(t) for t in val_tables] if val_tables else None
        return self.fit_features(feats, labels, vfeats, val_labels)

    def fit_features(self, feats: Sequence[Features], labels: Sequence[np.ndarray],
                     val_feats: Sequence[Features] | None = None,
                     val_labels: Sequence[np.ndarray] | None = None, progress=None) -> "ConflictDetector":
        """Fit on precomputed :class:`Features` (what :meth:`fit` does after computing them).

        ``progress`` (optional) is called with each epoch's history row.
        """
        from leveltwo.additive import fit_additive

        check_labels(feats, labels)
        if val_feats is not None:
            check_labels(val_feats, val_labels)
        self.term_names_ = list(feats[0].term_names)
        self.context_names_ = list(feats[0].context_names)
        result = fit_additive(self, feats, labels, val_feats, val_labels, progress)
        self.params_ = result.params
        self.history_ = result.history
        self.device_ = result.device
        self.trained_ = True
        self.metrics_ = {"best_epoch": result.best_epoch, "seconds_per_epoch": result.seconds_per_epoch}
        self.threshold_ = 0.5
        if val_feats is not None:
            from leveltwo.metrics import report, tune_threshold
            vp = [self.predict_proba_features(f) for f in val_feats]
            y = np.concatenate(val_labels)
            if 0 < y.sum() < y.size:
                self.threshold_ = tune_threshold(y, np.concatenate(vp))
                self.metrics_["val"] = report(val_labels, vp, [int(np.max(v)) for v in val_labels],
                                              self.threshold_)
        return self

    # -- inference -------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise RuntimeError("ConflictDetector is not fitted")

    def contributions(self, feats: Features) -> np.ndarray:
        """(n_frames, T + 2): each term's contribution, then 'context' and 'bias' (float64)."""
        self._check_fitted()
        if list(feats.term_names) != self.term_names_ or list(feats.context_names) != self.context_names_:
            raise ValueError("features do not match the model's term/context names")
        p = self.params_
        terms = feats.terms.astype(np.float64) * softplus(p["raw_w"].astype(np.float64))
        z = (feats.context.astype(np.float64) - p["ctx_mu"]) / p["ctx_sd"]
        h = np.tanh(z @ p["ctx_w1"].T.astype(np.float64) + p["ctx_b1"])
        ctx = float(p["ctx_scale"][0]) * np.tanh(h @ p["ctx_w2"].T.astype(np.float64) + p["ctx_b2"])[:, 0]
        bias = np.full(len(terms), float(p["bias"][0]))
        return np.concatenate([terms, ctx[:, None], bias[:, None]], axis=1)

    def predict_proba_features(self, feats: Features) -> np.ndarray:
        return sigmoid(self.contributions(feats).sum(axis=1))

    def predict_proba(self, table) -> np.ndarray:
        """P(A/H) for every frame of a FrameTable, shape (n_frames,)."""
        return self.predict_proba_features(self.features(table))

    def explain_features(self, feats: Features) -> pd.DataFrame:
        return pd.DataFrame(self.contributions(feats), columns=self.term_names_ + ["context", "bias"])

    def explain(self, table) -> pd.DataFrame:
        """Per-frame contribution of every named term; each row sums to the frame's logit exactly."""
        return self.explain_features(self.features(table))

    @property
    def cue_weights_(self) -> dict[str, float]:
        self._check_fitted()
        return dict(zip(self.term_names_, map(float, softplus(self.params_["raw_w"].astype(np.float64)))))

    # -- persistence -----------------------------------------------------------------------
    def card(self) -> dict:
        import leveltwo

        self._check_fitted()
        targets = self.targets.to_json() if self.targets is not None and hasattr(self.targets, "to_json") else None
        card = {"kind": getattr(self, "kind_", self.kind), "trained": bool(getattr(self, "trained_", True)),
                "ahcue_version": getattr(leveltwo, "__version__", "0.1.0"),
                "hyper_parameters": self.get_params(), "term_names": self.term_names_,
                "context_names": self.context_names_, "threshold": float(getattr(self, "threshold_", 0.5)),
                "metrics": getattr(self, "metrics_", {}), "constraint_weight": float(self.constraint_weight),
                "constraint_targets": targets, "training_data": getattr(self, "training_data_", ""),
                "versions": library_versions(), "history": getattr(self, "history_", []),
                "description": getattr(self, "description_", "")}
        if hasattr(self, "segment_durations_"):
            card["segment_durations"] = self.segment_durations_
        card["id"] = f"{card['kind']}-{short_hash(self._weights_bytes())}"
        return card

    def _weights_bytes(self) -> bytes:
        from safetensors.numpy import save

        return save({k: np.ascontiguousarray(self.params_[k], dtype=np.float32) for k in PARAM_NAMES})

    def save(self, directory: str | Path, force: bool = False) -> Path:
        """Write ``model.safetensors`` and ``card.json`` (with the weights' SHA-256)."""
        self._check_fitted()
        data = self._weights_bytes()
        card = self.card()
        return write_model_dir(directory, WEIGHTS, data, card, force=force)

    @classmethod
    def load(cls, directory: str | Path) -> "ConflictDetector":
        """Load a directory written by :meth:`save`; verifies hash, names and shapes."""
        from safetensors import SafetensorError
        from safetensors.numpy import load

        d = Path(directory)
        card = read_card(d)
        if card["kind"] not in ("conflict", "codebook-prior"):
            raise InputError(d, f"model kind {card['kind']!r} is not a conflict detector")
        data = read_weights(d, card)
        try:
            params = load(data)
        except (SafetensorError, ValueError) as err:
            raise InputError(d / WEIGHTS, f"not a valid safetensors file ({err})") from None
        hp = dict(card.get("hyper_parameters", {}))
        model = cls(**{k: v for k, v in hp.items() if k in cls().get_params()})
        names, ctx = list(card.get("term_names", [])), list(card.get("context_names", []))
        if names != term_names() or ctx != context_names(model.mode):
            raise InputError(d / "card.json", "the model's feature names differ from this ahcue's vocabulary "
                                              "(trained with another version)")
        if set(params) != set(PARAM_NAMES) or params["raw_w"].shape != (len(names),) \
                or params["ctx_w1"].shape != (model.hidden, len(ctx)):
            raise InputError(d / WEIGHTS, "tensor names or shapes do not match card.json")
        model.params_ = {k: v.astype(np.float64) for k, v in params.items()}
        model.term_names_, model.context_names_ = names, ctx
        model.threshold_ = float(card.get("threshold", 0.5))
        model.metrics_ = card.get("metrics", {})
        model.history_ = card.get("history", [])
        model.trained_ = bool(card.get("trained", True))
        model.kind_ = card["kind"]
        model.training_data_ = card.get("training_data", "")
        model.description_ = card.get("description", "")
        if card.get("segment_durations"):
            model.segment_durations_ = card["segment_durations"]
        model.card_ = card
        return model
