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

Quiet on ordinary talk: the bias is then lowered by a **quiet shift** measured on real reference
speakers talking normally (``leveltwo/data/prior_calibration.json``, written by ``ahcue calibrate``,
:func:`leveltwo.quiet.quiet_calibration`): the smallest shift that keeps the frame positive rate of
those speakers at or under ``QUIET_FRAME_RATE`` and flags none of their clips, plus the margin that
rule needed on speakers held out of it. Trained models keep their own bias and threshold.

It is a transparent, codebook-shaped starting point, not an accurate detector: its card says
``kind: codebook-prior, trained: false``, and reports must say so. Regenerate it with
``python -m leveltwo.models`` (deterministic, from the shipped prior calibration).
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
QUIET_FRAME_RATE = 0.02  # reference speakers' frames the default model may call A/H (training folds)
QUIET_MARGIN_LOGIT = 0.25  # extra bias shift beyond the measured one, in logits
QUIET_AGGREGATION = "sliding_max_24"  # how a clip is flagged (predict_video's default)
PRIOR_CALIBRATION = "prior_calibration.json"


def default_model_dir() -> Path:
    return Path(str(resources.files("leveltwo") / "data"))


def detector_classes() -> tuple[type, ...]:
    """Every level-two detector class (each a :class:`leveltwo.base.Detector`); add new ones here."""
    from leveltwo.detector import ConflictDetector
    from leveltwo.fusion import FusionDetector
    from leveltwo.llm import LLMDetector
    from leveltwo.xgb import XGBDetector

    return (ConflictDetector, XGBDetector, FusionDetector, LLMDetector)


def load_model(directory: str | Path | None = None, kind: str | None = None):
    """A detector from a model directory (kind from its card); None gives the shipped default.

    ``kind`` (e.g. the CLI's ``--kind``) must match the card's kind. A given directory that is
    missing or not a folder is an :class:`InputError` naming it.
    """
    from leveltwo.modeldir import read_card

    if directory is not None:
        if not Path(directory).exists():
            raise InputError(directory, "model folder not found")
        if not Path(directory).is_dir():
            raise InputError(directory, "not a model folder (expected a directory written by `ahcue train`)")
    d = default_model_dir() if directory is None else Path(directory)
    card = read_card(d)
    if kind is not None and card["kind"] != kind:
        raise InputError(directory or "default model", f"is a {card['kind']!r} model, not {kind!r} (--kind)")
    kinds = {k: cls for cls in detector_classes() for k in (cls.card_kinds or (cls.kind,))}
    if card["kind"] not in kinds:
        raise InputError(d / "card.json", f"unknown model kind {card['kind']!r}")
    return kinds[card["kind"]].load(d)


def prior_calibration() -> dict:
    """The shipped quiet-shift calibration of the default model; a missing file is an
    :class:`InputError` naming it (without it the default model would have no quiet shift)."""
    import json
    path = default_model_dir() / PRIOR_CALIBRATION
    if not path.is_file():
        raise InputError(path, "the default model's quiet-shift calibration is missing from this installation; "
                               "reinstall ahcue (pip install .) or regenerate it with `ahcue calibrate`")
    return json.loads(path.read_text(encoding="utf-8"))


def _clip_shift(logits: np.ndarray, threshold: float, aggregation: str) -> float:
    """Smallest bias shift (logits) under which the clip's video score stays below ``threshold``."""
    from leveltwo.additive import sigmoid
    from leveltwo.metrics import aggregate

    def flagged(d: float) -> bool:
        return aggregate(sigmoid(logits - d), aggregation, threshold) >= threshold

    if not flagged(0.0):
        return 0.0
    lo, hi = 0.0, 1.0
    while flagged(hi) and hi < 64:
        lo, hi = hi, hi * 2
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if flagged(mid) else (lo, mid)
    return hi


def frame_rate_shift(logits: dict[str, list[np.ndarray]], threshold: float = 0.5,
                     frame_rate: float = QUIET_FRAME_RATE) -> float:
    """Bias shift (logits, may be < 0) that brings the speaker-balanced frame positive rate of
    ``logits`` (speaker -> per-clip frame logits) down to ``frame_rate``."""
    from levelone.baseline import weighted_quantile

    per = [(np.concatenate(v), 1.0 / max(sum(len(x) for x in v), 1)) for v in logits.values() if v]
    values = np.concatenate([v for v, _ in per])
    weights = np.concatenate([np.full(v.size, w) for v, w in per])
    q = weighted_quantile(values, weights, 1.0 - frame_rate)
    return q - float(np.log(threshold / (1 - threshold)))


def clip_quiet_shift(logits: np.ndarray, threshold: float = 0.5, aggregation: str = QUIET_AGGREGATION) -> float:
    """Smallest bias shift (>= 0, logits) that keeps one clip's video score under ``threshold``."""
    return _clip_shift(logits, threshold, aggregation)


def quiet_bias_shift(logits: dict[str, list[np.ndarray]], threshold: float = 0.5,
                     frame_rate: float = QUIET_FRAME_RATE, margin: float = QUIET_MARGIN_LOGIT,
                     aggregation: str = QUIET_AGGREGATION) -> float:
    """Bias shift (>= 0, logits) so that ordinary talk stays quiet.

    ``logits``: speaker -> per-clip frame logits of the unshifted model on real reference speech.
    The shift is the largest of: what brings the speaker-balanced frame positive rate down to
    ``frame_rate``, and what keeps every clip's video score under ``threshold``; plus ``margin``.
    """
    frame = frame_rate_shift(logits, threshold, frame_rate)
    clip = max((_clip_shift(x, threshold, aggregation) for v in logits.values() for x in v), default=0.0)
    return float(max(0.0, frame, clip) + margin)


def codebook_prior(stats=None, quiet: dict | float | None = None):
    """The untrained codebook-prior ConflictDetector built from ``stats`` (default: published),
    its bias lowered by the quiet shift of ``quiet`` (a prior calibration dict, or the shift in
    logits; default: the shipped ``prior_calibration.json``, an error without one)."""
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
    from levelone.baseline import squash

    at_baseline = float(squash(np.zeros(1), QUIET_Z_THRESHOLD)[0])  # a cue's activation at the person's baseline
    cue_total = float(sum(w for n, w in zip(names, weights) if n.startswith("cue.")))
    cal = prior_calibration() if quiet is None else dict(quiet) if isinstance(quiet, dict) else \
        {"quiet_shift_logit": float(quiet)}
    shift = float(cal.get("quiet_shift_logit", 0.0))
    bias = np.log(FRAME_PRIOR / (1 - FRAME_PRIOR)) - at_baseline * cue_total - shift
    model.params_ = {"raw_w": inv_softplus(weights), "bias": np.array([bias]),
                     "ctx_w1": np.zeros((model.hidden, len(ctx))), "ctx_b1": np.zeros(model.hidden),
                     "ctx_w2": np.zeros((1, model.hidden)), "ctx_b2": np.zeros(1), "ctx_mu": np.zeros(len(ctx)),
                     "ctx_sd": np.ones(len(ctx)), "ctx_scale": np.array([model.context_scale])}
    model.term_names_, model.context_names_ = names, ctx
    model.targets_ = targets
    model.threshold_ = 0.5
    model.trained_ = False
    model.kind_ = "codebook-prior"
    model.history_ = []
    model.training_data_ = "none: weights set from published codebook statistics (" + targets.source + ")"
    model.description_ = ("Untrained codebook-prior detector: cue weights = 12 x modality share x within-modality "
                          "cue share, pair weights (disagreement and incongruent cue pairs) = 18 x inconsistency-pair "
                          "share, within-modality weights 1, "
                          "bias = logit(0.17) minus the evidence of a frame at the person's baseline "
                          "(BAH frame prior), "
                          f"minus a quiet shift of {shift:.3f} logits ({_shift_words(cal)}; prior_calibration.json, "
                          "ahcue calibrate), "
                          "no context term. A transparent starting point, "
                          "not a detector validated on people.")
    model.metrics_ = {"quiet_calibration": cal} if cal else {}
    return model


def _shift_words(cal: dict) -> str:
    """What the quiet shift is made of, in words (the card must not claim more than was measured)."""
    if "heldout" in cal:
        h = cal["heldout"]
        return (f"measured as the most sensitive shift that keeps {h.get('speakers', '?')} real reference "
                f"speakers talking normally quiet (negative: the bias rises); an unseen speaker is flagged with "
                f"probability at most {h.get('unseen_speaker_flag_bound', '?')}, "
                f"and {h.get('speakers_flagged', '?')} of the {h.get('speakers', '?')} was flagged when held out")
    if not cal:
        return "none: no prior calibration"
    return "as given"


def write_default_model(directory: str | Path | None = None, force: bool = True) -> Path:
    """(Re)generate the shipped default model; deterministic."""
    return codebook_prior().save(default_model_dir() if directory is None else directory, force=force)


if __name__ == "__main__":
    print(write_default_model())
