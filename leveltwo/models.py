"""Loading models by directory, and the shipped default: the untrained codebook-prior detector.

BAH is credential-gated, so ahcue cannot ship a model trained on it. The default is a
ConflictDetector whose weights are *set*, not learned, from the codebook's published statistics:

- cue weight = 12 × modality share × within-modality cue share (the cue shares of the statistics
  when known; the published ones name only each modality's most frequent cue, which then counts
  double against its modality's other measurable cues). Each modality's cue weights add up to
  12 × its share (≈ 3), so one modality fully active adds about +3 to the logit.
- pair weight = 18 × inconsistency-pair share (face-language, the most frequent, ≈ 7.7: a full
  disagreement of confident face and language valence is strong evidence); each of the codebook's
  incongruent cue pairs (``incongruent.XY.*``: nod + negative words, ...) weighs as much as the
  disagreement term of the pair it counts for;
- within-modality weight 1.0; no context term;
- bias = logit(0.17) − (quiet activation × the summed cue weights), so a frame where every cue
  sits at the person's baseline gets BAH's frame-level A/H prior p = 0.17. Level one squashes
  baseline units logistically with 0.5 at the cue's threshold (typically 2 units), so a cue at
  baseline reads ``squash(0, 2) ≈ 0.12``, not 0.

It is a transparent, codebook-shaped starting point, not an accurate detector: its card says
``kind: codebook-prior, trained: false``, and reports must say so. Regenerate it with
``python -m leveltwo.models`` (deterministic).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, PAIRS, load_vocabulary
from leveltwo.constraint import targets_from
from leveltwo.features import INCONGRUENT, context_names, term_names

FRAME_PRIOR = 0.17
CUE_BUDGET = 12.0
PAIR_BUDGET = 18.0
WITHIN_WEIGHT = 1.0
QUIET_Z_THRESHOLD = 2.0  # level one's usual cue threshold in baseline units


def default_model_dir() -> Path:
    return Path(str(resources.files("leveltwo") / "data"))


def load_model(directory: str | Path | None = None):
    """A detector from a model directory (kind from its card); None gives the shipped default."""
    from leveltwo.detector import ConflictDetector
    from leveltwo.modeldir import read_card
    from leveltwo.xgb import XGBDetector

    d = default_model_dir() if directory is None else Path(directory)
    card = read_card(d)
    kinds = {"conflict": ConflictDetector, "codebook-prior": ConflictDetector, "xgboost": XGBDetector}
    if card["kind"] not in kinds:
        raise InputError(d / "card.json", f"unknown model kind {card['kind']!r}")
    return kinds[card["kind"]].load(d)


def codebook_prior(stats=None):
    """The untrained codebook-prior ConflictDetector built from ``stats`` (default: published)."""
    from leveltwo.detector import ConflictDetector
    from leveltwo.additive import inv_softplus

    if stats is None:
        from codebook.stats import CueStatistics
        stats = CueStatistics.published()
    targets = targets_from(stats)
    voc = load_vocabulary()
    names = term_names()
    top = dict(getattr(stats, "top_cues", {}) or {})
    weights = np.zeros(len(names))
    for mi, m in enumerate(MODALITIES):
        cues = [c.column for c in voc.measurable if c.modality == m]
        if targets.cue:
            parts = np.array([max(targets.cue.get(c[4:], 0.0), 0.01) for c in cues])
        else:
            parts = np.array([2.0 if c[4:] == top.get(m) else 1.0 for c in cues])
        shares = parts / parts.sum()
        for c, s in zip(cues, shares):
            weights[names.index(c)] = CUE_BUDGET * targets.modality[mi] * s
    for pi, p in enumerate(PAIRS):
        weights[names.index(f"pair.{p}")] = PAIR_BUDGET * targets.pair[pi]
    for inc in INCONGRUENT:
        weights[names.index(inc.term)] = PAIR_BUDGET * targets.pair[PAIRS.index(inc.pair)]
    for m in MODALITIES:
        weights[names.index(f"within.{m}")] = WITHIN_WEIGHT
    model = ConflictDetector(constraint_weight=0.0, targets=targets)
    ctx = context_names(model.mode)
    from levelone.pipeline.baseline import squash

    quiet = float(squash(np.zeros(1), QUIET_Z_THRESHOLD)[0])
    cue_total = float(sum(w for n, w in zip(names, weights) if n.startswith("cue.")))
    bias = np.log(FRAME_PRIOR / (1 - FRAME_PRIOR)) - quiet * cue_total
    model.params_ = {"raw_w": inv_softplus(weights), "bias": np.array([bias]),
                     "ctx_w1": np.zeros((model.hidden, len(ctx))), "ctx_b1": np.zeros(model.hidden),
                     "ctx_w2": np.zeros((1, model.hidden)), "ctx_b2": np.zeros(1), "ctx_mu": np.zeros(len(ctx)),
                     "ctx_sd": np.ones(len(ctx)), "ctx_scale": np.array([model.context_scale])}
    model.term_names_, model.context_names_ = names, ctx
    model.threshold_ = 0.5
    model.trained_ = False
    model.kind_ = "codebook-prior"
    model.metrics_ = {}
    model.history_ = []
    model.training_data_ = "none: weights set from published codebook statistics (" + targets.source + ")"
    model.description_ = ("Untrained codebook-prior detector: cue weights = 12 x modality share x within-modality "
                          "cue share, pair weights (disagreement and incongruent cue pairs) = 18 x inconsistency-pair "
                          "share, within-modality weights 1, "
                          "bias = logit(0.17) minus the evidence of a frame at the person's baseline (BAH frame prior), "
                          "no context term. A transparent starting point, "
                          "not a detector validated on people.")
    return model


def write_default_model(directory: str | Path | None = None, force: bool = True) -> Path:
    """(Re)generate the shipped default model; deterministic."""
    return codebook_prior().save(default_model_dir() if directory is None else directory, force=force)


if __name__ == "__main__":
    print(write_default_model())
