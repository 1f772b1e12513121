"""The xgboost baseline on the same windowed features, explained with SHAP.

Gradient-boosted trees (``tree_method='hist'``, ``scale_pos_weight = n_negative / n_positive``,
early stopping on validation AUC-PR) over the detector's terms and context inputs. Explanations
are exact TreeSHAP values from ``shap.TreeExplainer`` in margin (log-odds) space, mapped to the
same named terms as the ConflictDetector: a term feature keeps its name, all context inputs are
summed into ``'context'`` and the expected value is ``'bias'``, so a row sums to the margin.
Unlike the ConflictDetector's, these contributions can be negative. ``n_jobs`` defaults to 1:
on a shared 2-core machine two xgboost threads were 6x slower than one (22 s vs 3.8 s for 80
trees on 31k frames); raise it on a dedicated machine. Saved as xgboost's own JSON
(never pickle) plus ``card.json``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from codebook.errors import InputError
from leveltwo.additive import sigmoid
from leveltwo.base import COMMON_CONSTRAINTS, Detector, Interval, validate_params
from leveltwo.features import MODES, Features, check_labels

WEIGHTS = "model.json"


class XGBDetector(Detector):
    """xgboost baseline with the detectors' shared interface (:class:`leveltwo.base.Detector`).

    Learned state: ``booster_`` (CPU inference), ``term_names_``, ``context_names_``, ``threshold_``,
    ``metrics_``.
    """

    kind = "xgboost"
    weights_file = WEIGHTS
    fitted_attributes = ("booster_", "term_names_", "context_names_")
    _parameter_constraints = {
        **{k: v for k, v in COMMON_CONSTRAINTS.items() if k not in ("epochs", "patience")},
        "context_s": [Interval(float, 0, None, "neither")],
        "mode": [set(MODES)],
        "n_estimators": [Interval(int, 1, None)],
        "max_depth": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, "neither")],
        "subsample": [Interval(float, 0, 1, "right")],
        "early_stopping_rounds": [Interval(int, 1, None)],
        "n_jobs": [Interval(int, 1, None)],
    }

    def __init__(self, window_s: float = 2.0, context_s: float = 4.0, mode: str = "centred",
                 n_estimators: int = 400, max_depth: int = 4, learning_rate: float = 0.1,
                 subsample: float = 0.8, early_stopping_rounds: int = 30, seed: int = 0, device: str = "auto",
                 n_jobs: int = 1, verbose: bool = False):
        self.window_s = window_s
        self.context_s = context_s
        self.mode = mode
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.subsample = subsample
        self.early_stopping_rounds = early_stopping_rounds
        self.seed = seed
        self.device = device
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit_features(self, feats: Sequence[Features], labels, val_feats=None, val_labels=None) -> "XGBDetector":
        import time

        import xgboost as xgb

        validate_params(self)  # also here: leveltwo.train calls fit_features directly
        check_labels(feats, labels)
        self.term_names_ = list(feats[0].term_names)
        self.context_names_ = list(feats[0].context_names)
        x = np.concatenate([f.matrix() for f in feats])
        y = np.concatenate([np.asarray(lab, np.float32) for lab in labels])
        n_pos = float(y.sum())
        if n_pos == 0 or n_pos == len(y):
            raise ValueError("training labels need both A/H and non-A/H frames")
        device = _xgb_device(self.device)
        params = {"objective": "binary:logistic", "eval_metric": "aucpr", "tree_method": "hist",
                  "max_depth": self.max_depth, "eta": self.learning_rate, "subsample": self.subsample,
                  "scale_pos_weight": (len(y) - n_pos) / n_pos, "seed": self.seed, "nthread": self.n_jobs,
                  "device": device}
        names = self.term_names_ + self.context_names_
        dtrain = xgb.DMatrix(x, label=y, feature_names=names)
        evals, kwargs = [], {}
        if val_feats is not None:
            check_labels(val_feats, val_labels)
            dval = xgb.DMatrix(np.concatenate([f.matrix() for f in val_feats]),
                               label=np.concatenate(val_labels).astype(np.float32), feature_names=names)
            evals = [(dval, "val")]
            kwargs["early_stopping_rounds"] = self.early_stopping_rounds
        t0 = time.perf_counter()
        booster = xgb.train(params, dtrain, num_boost_round=self.n_estimators, evals=evals,
                            verbose_eval=self.verbose, **kwargs)
        seconds = time.perf_counter() - t0
        if evals:
            booster = booster[: booster.best_iteration + 1]  # keep the early-stopped trees only
        booster.set_param({"device": "cpu"})  # inference and SHAP on CPU
        self.booster_ = booster
        self.trained_ = True
        self.metrics_ = {"n_trees": booster.num_boosted_rounds(), "train_seconds": seconds}
        self._tune_threshold([self.predict_proba_features(f) for f in val_feats] if val_feats is not None else None,
                             val_labels)
        return self

    def _dmatrix(self, feats: Features):
        import xgboost as xgb

        self._check_feature_names(feats)
        return xgb.DMatrix(feats.matrix(), feature_names=self.term_names_ + self.context_names_)

    def margin(self, feats: Features) -> np.ndarray:
        self.check_is_fitted()
        return self.booster_.predict(self._dmatrix(feats), output_margin=True).astype(np.float64)

    def predict_proba_features(self, feats: Features) -> np.ndarray:
        return sigmoid(self.margin(feats))

    def explain_features(self, feats: Features) -> pd.DataFrame:
        """Per-frame SHAP values by named term; each row sums to the margin (log-odds)."""
        import shap

        self.check_is_fitted()
        explainer = shap.TreeExplainer(self.booster_)
        sv = np.asarray(explainer.shap_values(feats.matrix()), dtype=np.float64)
        t = len(self.term_names_)
        out = np.concatenate([sv[:, :t], sv[:, t:].sum(axis=1, keepdims=True),
                              np.full((len(sv), 1), float(np.ravel(explainer.expected_value)[0]))], axis=1)
        return pd.DataFrame(out, columns=self.term_names_ + ["context", "bias"])

    def _weights_bytes(self) -> bytes:
        return bytes(self.booster_.save_raw("json"))

    def _set_weights(self, data: bytes, card: dict, directory: Path) -> None:
        import xgboost as xgb

        booster = xgb.Booster()
        try:
            booster.load_model(bytearray(data))
        except xgb.core.XGBoostError as err:
            raise InputError(directory / WEIGHTS, f"not a valid xgboost model ({str(err).splitlines()[0]})") from None
        if booster.num_features() != len(self.term_names_) + len(self.context_names_):
            raise InputError(directory / WEIGHTS, "feature count does not match card.json")
        self.booster_ = booster


def _xgb_device(device: str) -> str:
    """xgboost device string: CUDA when asked for (or auto and torch sees a GPU)."""
    if device in ("cpu", "cuda"):
        return device
    try:
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:  # pragma: no cover
        return "cpu"
