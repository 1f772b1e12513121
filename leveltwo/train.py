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

from typing import Callable, Sequence

import numpy as np

from leveltwo.additive import _format_row
from leveltwo.features import Features


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
            "kl_modality": round(kl(model.targets_.modality, ms), 4), "kl_pair": round(kl(model.targets_.pair, ps), 4)}


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
