"""What every level-two detector shares, in scikit-learn's estimator style (see ``RidgeClassifier``).

- ``__init__`` only stores its keyword arguments, the hyper-parameters; :meth:`Detector.get_params`
  and :meth:`Detector.set_params` read their names from the ``__init__`` signature, so a new
  hyper-parameter cannot be forgotten in either (or in the saved card).
- ``fit(tables, labels, val_tables=None, val_labels=None)`` validates the hyper-parameters against
  the class's ``_parameter_constraints`` (scikit-learn's style: a name -> accepted values, checked
  at ``fit``, not deep inside a helper), computes the windowed features and calls the subclass's
  ``fit_features``; it returns ``self``. Learned state ends in ``_`` and never
  overwrites a hyper-parameter (the ConflictDetector's fitted constraint targets are ``targets_``).
- :meth:`Detector.check_is_fitted` guards ``predict_proba``, ``explain``, ``card`` and ``save``
  (:class:`NotFittedError`, a ``ValueError`` and ``AttributeError`` like scikit-learn's).
- One :meth:`Detector.card` (kind, id, ahcue and library versions, hyper-parameters, feature names,
  threshold, metrics, training data) and one ``save``/``load`` pair over :mod:`leveltwo.modeldir`.
  Loading a model saved by another major version of ahcue warns (:class:`ModelVersionWarning`).

A new detector subclasses :class:`Detector`, sets ``kind``, ``weights_file`` and
``fitted_attributes``, and implements ``fit_features``, ``predict_proba_features``,
``explain_features``, ``_weights_bytes`` and ``_set_weights``; ``_card_extra``, ``_load_extra``
and the hyper-parameter (de)serialisers are optional hooks. ``tests/leveltwo/test_l2_detectors.py``
is the conformance suite every detector must pass: add the new one to its ``DETECTORS``.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np
import pandas as pd

from codebook.errors import InputError
from codebook.version import __version__, major
from leveltwo.features import Features, context_names, frame_features, term_names
from leveltwo.modeldir import library_versions, read_card, read_weights, short_hash, write_model_dir


@dataclass(frozen=True)
class Interval:
    """Accepted numbers: of ``kind`` (int or float; an int is accepted for float), between ``low``
    and ``high`` (None: unbounded), ``closed`` on "both", "left", "right" or "neither" side."""
    kind: type
    low: float | None
    high: float | None
    closed: str = "both"

    def accepts(self, v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        if self.kind is int and not isinstance(v, (int, np.integer)):
            return False
        if not np.isfinite(v):
            return False
        lo_ok = self.low is None or (v >= self.low if self.closed in ("both", "left") else v > self.low)
        hi_ok = self.high is None or (v <= self.high if self.closed in ("both", "right") else v < self.high)
        return bool(lo_ok and hi_ok)

    def __str__(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        lo = "-inf" if self.low is None else self.low
        hi = "inf" if self.high is None else self.high
        return f"{'an int' if self.kind is int else 'a number'} in {left}{lo}, {hi}{right}"


def _accepts(rule: Any, v: Any) -> bool:
    if isinstance(rule, Interval):
        return rule.accepts(v)
    if rule is None:
        return v is None
    if isinstance(rule, type):
        return isinstance(v, rule)
    if isinstance(rule, (set, frozenset, tuple)):
        return isinstance(v, (str, bool, int)) and v in rule
    raise TypeError(f"unknown parameter constraint {rule!r}")


def _describe(rule: Any) -> str:
    if rule is None:
        return "None"
    if isinstance(rule, type):
        return f"a {rule.__name__}"
    if isinstance(rule, (set, frozenset, tuple)):
        return "one of " + ", ".join(repr(x) for x in sorted(rule, key=str))
    return str(rule)


def validate_params(estimator: "Detector") -> None:
    """ValueError naming the hyper-parameter, the accepted values and the value given, for every
    hyper-parameter ``_parameter_constraints`` declares (each a list of accepted rules)."""
    for name, rules in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        if not any(_accepts(rule, value) for rule in rules):
            raise ValueError(f"{type(estimator).__name__}: {name} must be "
                             f"{' or '.join(_describe(r) for r in rules)}, got {value!r}")


COMMON_CONSTRAINTS: dict[str, list] = {
    "window_s": [Interval(float, 0, None, "neither")],
    "epochs": [Interval(int, 1, None)],
    "patience": [Interval(int, 1, None)],
    "seed": [Interval(int, 0, None)],
    "device": [{"auto", "cpu", "cuda"}],
    "verbose": [bool],
}


class NotFittedError(ValueError, AttributeError):
    """A detector was used for prediction, explanation or saving before ``fit`` or ``load``."""


class ModelVersionWarning(UserWarning):
    """The model was saved by another major version of ahcue: its numbers may mean something else."""


class Detector:
    """Base class of the level-two detectors (see the module docstring for the contract)."""

    kind: ClassVar[str] = ""  # the card's kind
    card_kinds: ClassVar[tuple[str, ...]] = ()  # the card kinds load accepts (default: (kind,))
    weights_file: ClassVar[str] = ""  # the weights file inside a model directory
    fitted_attributes: ClassVar[tuple[str, ...]] = ("term_names_", "context_names_")
    # hyper-parameter -> accepted values (any of the rules: an Interval, a set of options, a type,
    # None); checked by fit (validate_params). A subclass lists every hyper-parameter it has.
    _parameter_constraints: ClassVar[dict[str, list]] = {}

    # -- hyper-parameters ------------------------------------------------------------------
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The hyper-parameter names: the keyword arguments of ``__init__``, in signature order."""
        names = []
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must name every hyper-parameter (no *args/**kwargs)")
            names.append(p.name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Every hyper-parameter by name (``deep`` is accepted for scikit-learn compatibility)."""
        return {k: getattr(self, k) for k in self._get_param_names()}

    def set_params(self, **params) -> "Detector":
        """Set hyper-parameters by name; an unknown name is a ValueError. Returns ``self``."""
        valid = self._get_param_names()
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"{k!r} is not a hyper-parameter of {type(self).__name__} (valid: {valid})")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not _same(v, defaults.get(k))]
        return f"{type(self).__name__}({', '.join(changed)})"

    # -- fitted state ------------------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        return all(hasattr(self, a) for a in self.fitted_attributes)

    def check_is_fitted(self) -> None:
        """Raise :class:`NotFittedError` unless the detector was fitted or loaded."""
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call fit or load first")

    # -- fit, predict, explain -------------------------------------------------------------
    def features(self, table) -> Features:
        """The windowed term and context features of a FrameTable at this detector's windows."""
        return frame_features(table, self.window_s, self.context_s, self.mode)

    def fit(self, tables: Sequence, labels: Sequence[np.ndarray], val_tables: Sequence | None = None,
            val_labels: Sequence[np.ndarray] | None = None) -> "Detector":
        """Fit on FrameTables and their per-frame 0/1 labels (validation for early stopping). Returns self."""
        validate_params(self)
        feats = [self.features(t) for t in tables]
        vfeats = [self.features(t) for t in val_tables] if val_tables else None
        return self.fit_features(feats, labels, vfeats, val_labels)

    def fit_features(self, feats: Sequence[Features], labels: Sequence[np.ndarray],
                     val_feats: Sequence[Features] | None = None,
                     val_labels: Sequence[np.ndarray] | None = None) -> "Detector":
        raise NotImplementedError

    def predict_proba_features(self, feats: Features) -> np.ndarray:
        raise NotImplementedError

    def explain_features(self, feats: Features) -> pd.DataFrame:
        raise NotImplementedError

    def predict_proba(self, table) -> np.ndarray:
        """P(A/H) for every frame of a FrameTable, shape (n_frames,)."""
        self.check_is_fitted()
        return self.predict_proba_features(self.features(table))

    def explain(self, table) -> pd.DataFrame:
        """Per-frame contribution of every named term, plus 'context' and 'bias'; a row sums to the
        logit (margin) of the frame."""
        self.check_is_fitted()
        return self.explain_features(self.features(table))

    def _check_feature_names(self, feats: Features) -> None:
        if list(feats.term_names) != self.term_names_ or list(feats.context_names) != self.context_names_:
            raise ValueError("features do not match the model's term/context names")

    # -- persistence -----------------------------------------------------------------------
    def _weights_bytes(self) -> bytes:
        raise NotImplementedError

    def _set_weights(self, data: bytes, card: dict, directory: Path) -> None:
        """Restore the learned weights from the weights file's bytes (raise InputError if invalid)."""
        raise NotImplementedError

    def _card_extra(self) -> dict[str, Any]:
        """Detector-specific card fields."""
        return {}

    def _card_features(self) -> dict[str, Any]:
        """What the model reads, as card fields (default: the windowed features' term and context names)."""
        return {"term_names": list(self.term_names_), "context_names": list(self.context_names_)}

    def _restore_features(self, card: dict, directory: Path) -> None:
        """Restore (and check) what the model reads from its card; InputError when this ahcue differs."""
        names, ctx = list(card.get("term_names", [])), list(card.get("context_names", []))
        if names != term_names() or ctx != context_names(self.mode):
            raise InputError(directory / "card.json", "the model's feature names differ from this ahcue's vocabulary "
                                                      "(trained with another version)")
        self.term_names_, self.context_names_ = names, ctx

    def _tune_threshold(self, val_probs: Sequence[np.ndarray] | None,
                        val_labels: Sequence[np.ndarray] | None) -> None:
        """``threshold_``: AVGF1-tuned on validation when it holds both classes (its report goes to
        ``metrics_['val']``), else 0.5. Shared by every detector's ``fit``."""
        self.threshold_ = 0.5
        if val_probs is None or val_labels is None:
            return
        from leveltwo.metrics import report, tune_threshold

        y = np.concatenate(val_labels)
        if 0 < y.sum() < y.size:
            self.threshold_ = tune_threshold(y, np.concatenate(val_probs))
            self.metrics_["val"] = report(val_labels, val_probs, [int(np.max(v)) for v in val_labels],
                                          self.threshold_)

    def _load_extra(self, card: dict) -> None:
        """Restore detector-specific fitted state from the card."""

    def _params_to_card(self) -> dict[str, Any]:
        """The hyper-parameters as JSON values (objects with ``to_json`` are written through it)."""
        return {k: (v.to_json() if hasattr(v, "to_json") else v) for k, v in self.get_params().items()}

    @classmethod
    def _params_from_card(cls, saved: dict[str, Any]) -> dict[str, Any]:
        """Constructor arguments from a card's hyper-parameters (unknown names are ignored)."""
        names = cls._get_param_names()
        return {k: v for k, v in saved.items() if k in names}

    def card(self) -> dict[str, Any]:
        """The model card saved as ``card.json``: what the model is, how it was made, with which versions."""
        self.check_is_fitted()
        return self._card(self._weights_bytes())

    def _card(self, weights: bytes) -> dict[str, Any]:
        kind = getattr(self, "kind_", self.kind)
        card = {"kind": kind, "id": f"{kind}-{short_hash(weights)}", "trained": bool(getattr(self, "trained_", True)),
                "ahcue_version": __version__, "versions": library_versions(),
                "hyper_parameters": self._params_to_card(), **self._card_features(),
                "threshold": float(getattr(self, "threshold_", 0.5)),
                "metrics": getattr(self, "metrics_", {}), "training_data": getattr(self, "training_data_", ""),
                "description": getattr(self, "description_", "")}
        if hasattr(self, "segment_durations_"):  # A/H segment durations of the training annotations
            card["segment_durations"] = self.segment_durations_
        card.update(self._card_extra())
        return card

    def save(self, directory: str | Path, force: bool = False) -> Path:
        """Write the weights file and ``card.json`` (with the weights' SHA-256); refuse to overwrite
        unless ``force``."""
        self.check_is_fitted()
        data = self._weights_bytes()
        return write_model_dir(directory, self.weights_file, data, self._card(data), force=force)

    @classmethod
    def load(cls, directory: str | Path) -> "Detector":
        """Load a directory written by :meth:`save`: checks kind, weights hash, feature names and version."""
        d = Path(directory)
        card = read_card(d)
        if card["kind"] not in (cls.card_kinds or (cls.kind,)):
            raise InputError(d, f"model kind {card['kind']!r} is not a {cls.__name__} model")
        check_version(card, d)
        data = read_weights(d, card)
        model = cls(**cls._params_from_card(dict(card.get("hyper_parameters", {}))))
        model._restore_features(card, d)
        model._set_weights(data, card, d)
        model.threshold_ = float(card.get("threshold", 0.5))
        model.metrics_ = card.get("metrics", {})
        model.trained_ = bool(card.get("trained", True))
        model.kind_ = card["kind"]
        model.training_data_ = card.get("training_data", "")
        model.description_ = card.get("description", "")
        if card.get("segment_durations"):
            model.segment_durations_ = card["segment_durations"]
        model._load_extra(card)
        model.card_ = card
        return model


def check_version(card: dict, directory: Path) -> None:
    """Warn when a model card was written by another major version of ahcue (or names none)."""
    saved = str(card.get("ahcue_version", ""))
    if major(saved) != major(__version__):
        warnings.warn(f"{directory}: model saved by ahcue {saved or '(unknown version)'}, this is ahcue {__version__}; "
                      "a different major version may compute its features differently", ModelVersionWarning,
                      stacklevel=3)


def _same(a, b) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except (TypeError, ValueError):
        return a is b
