"""Per-participant test-time adaptation (TTA): gradient-free, online, one cache per participant.

The BAH papers find A/H highly person-specific and adapt to each participant at test time
(TTA-CaP: a per-subject cache of confident frames and their class prototypes; T3A and TDA do the
same with prototype classifiers and caches). This module does that for any level-two detector
without touching its weights:

1. For every frame, the detector's explanation row (each named term's contribution; the
   context term and bias left out) is the frame's *embedding*: what the model saw, in its own units.
2. Frames go through in time order, per participant (videos in the order given). A frame whose
   *source* logit stayed at least ``margin_sd`` standard deviations (of this participant's logits
   so far) above (below) the model's threshold over the past ``consistency_s`` is confident and
   temporally consistent: it enters the participant's
   positive (negative) cache -- a reservoir of at most ``cache_per_class`` frames, sampled with a
   generator seeded by ``seed`` and the participant id, so the result is deterministic.
3. Each frame gets an *adaptation* term, computed before the frame itself can enter a cache
   (online, causal)::

       adaptation_t = strength * (cos(e_t - m, mu_pos - m) - cos(e_t - m, mu_neg - m)) / 2

   where ``e_t`` is the frame's embedding, ``mu_pos``/``mu_neg`` the means of the participant's two
   caches and ``m`` the mean embedding of all the participant's frames so far (centring on the
   person, as level one's baseline does for signals). It moves the decision toward the
   participant's own prototypes, within ``±strength`` logits. It is 0 until both caches hold
   ``min_cache`` frames: with an empty cache TTA is a no-op.

The adaptation is its own column, ``adaptation``, in :meth:`TestTimeAdapter.explain`, so a
ConflictDetector's explanation still sums exactly to the (adapted) logit and the report can say
which share of a segment's evidence came from adapting to the person. Confidence is judged on the
source model's logit, not the adapted one, so the cache cannot feed on its own adjustments
(confirmation drift). State lives in ``caches_``, keyed by participant; nothing crosses between
participants, and :meth:`TestTimeAdapter.reset` forgets one participant or all.

Simpler than TTA-CaP: no source-prototype cache and no separate cache of low-confidence
negatives; the two gates are confidence and temporal stability. Whether it helps is measured in
``benchmarks/README.md`` (on a generated corpus: mixed), so ``--adapt none`` is the default.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

NOT_EMBEDDED = ("context", "bias", "adaptation", "residual")
ADAPT_CHOICES = ("none", "tta")


@dataclass(frozen=True)
class TTAParams:
    """Tunables of the per-participant adaptation (units in the names)."""

    margin_sd: float = 0.5         # distance from the threshold's logit, in the participant's logit sd,
    #                                that makes a frame confident (scale-free: models differ in calibration)
    consistency_s: float = 0.5     # ... held over this much of the past (temporal consistency)
    cache_per_class: int = 240     # frames kept per class and participant (10 s at 24 fps)
    min_cache: int = 24            # frames per class before the term acts (1 s at 24 fps)
    strength_logit: float = 1.5    # the adaptation term's bound, in logits


class ParticipantCache:
    """One participant's confident frames (reservoir per class) and running mean embedding."""

    def __init__(self, dim: int, size: int, rng: np.random.Generator):
        self.size = size
        self.rng = rng
        self.items = {1: np.zeros((size, dim)), 0: np.zeros((size, dim))}
        self.count = {1: 0, 0: 0}      # frames held
        self.seen = {1: 0, 0: 0}       # confident frames offered
        self.sums = {1: np.zeros(dim), 0: np.zeros(dim)}
        self.total = np.zeros(dim)
        self.n = 0
        self.logit_sum = 0.0
        self.logit_sq = 0.0

    def observe(self, e: np.ndarray, logit: float) -> None:
        """Every frame updates the participant's mean embedding and logit spread."""
        self.total += e
        self.n += 1
        self.logit_sum += logit
        self.logit_sq += logit * logit

    def logit_sd(self) -> float:
        mean = self.logit_sum / max(self.n, 1)
        return float(np.sqrt(max(self.logit_sq / max(self.n, 1) - mean * mean, 0.0)))

    def add(self, e: np.ndarray, cls: int) -> None:
        """Offer a confident frame to class ``cls``'s reservoir."""
        self.seen[cls] += 1
        if self.count[cls] < self.size:
            self.items[cls][self.count[cls]] = e
            self.count[cls] += 1
            self.sums[cls] += e
            return
        j = int(self.rng.integers(0, self.seen[cls]))
        if j < self.size:
            self.sums[cls] += e - self.items[cls][j]
            self.items[cls][j] = e

    def prototypes(self, min_count: int) -> tuple[np.ndarray, np.ndarray] | None:
        if min(self.count.values()) < max(min_count, 1):
            return None
        return self.sums[1] / self.count[1], self.sums[0] / self.count[0]

    def summary(self) -> dict:
        return {"frames": self.n, "positive": self.count[1], "negative": self.count[0]}


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return float(a @ b) / (na * nb) if na > 1e-12 and nb > 1e-12 else 0.0


def participant_of(table) -> str:
    """The table's participant id; a table without one is its own participant (its video id)."""
    pid = str(getattr(table.meta, "participant_id", "") or "")
    return pid or f"video:{table.meta.video_id}"


class TestTimeAdapter:
    """Wraps a fitted detector; ``predict_proba`` / ``explain`` adapt online per participant.

    Stateful by design: every call feeds the participant's cache, so call it on a participant's
    videos in the order they should be seen.
    """

    __test__ = False  # not a pytest class

    def __init__(self, model, params: TTAParams = TTAParams(), seed: int = 0):
        self.model = model
        self.params = params
        self.seed = seed
        self.caches_: dict[str, ParticipantCache] = {}

    # -- what callers read from a detector ---------------------------------------------------
    @property
    def threshold_(self) -> float:
        return float(getattr(self.model, "threshold_", 0.5))

    @property
    def kind(self) -> str:
        return getattr(self.model, "kind_", getattr(self.model, "kind", "unknown"))

    @property
    def card_(self) -> dict:
        card = dict(getattr(self.model, "card_", None) or self.model.card())
        card["adaptation"] = {"method": "tta", "params": asdict(self.params), "seed": self.seed,
                              "description": "per-participant test-time adaptation (gradient-free cache of "
                                             "confident frames; its own 'adaptation' term)"}
        return card

    def card(self) -> dict:
        return self.card_

    @property
    def segment_durations_(self) -> dict:
        """The wrapped model's training segment durations (AttributeError when it has none)."""
        return self.model.segment_durations_

    def reset(self, participant: str | None = None) -> None:
        """Forget one participant's cache, or every participant's."""
        if participant is None:
            self.caches_.clear()
        else:
            self.caches_.pop(participant, None)

    def _cache(self, participant: str, dim: int) -> ParticipantCache:
        if participant not in self.caches_:
            rng = np.random.default_rng([int(self.seed), zlib.crc32(participant.encode("utf-8"))])
            self.caches_[participant] = ParticipantCache(dim, int(self.params.cache_per_class), rng)
        return self.caches_[participant]

    # -- inference ---------------------------------------------------------------------------
    def adaptation(self, contrib: pd.DataFrame, participant: str, fps: float) -> np.ndarray:
        """The adaptation term of every frame of one video (and the participant's cache update)."""
        p = self.params
        cols = [c for c in contrib.columns if c not in NOT_EMBEDDED]
        emb = contrib[cols].to_numpy(np.float64)
        logit = contrib.to_numpy(np.float64).sum(axis=1)
        thr = min(max(self.threshold_, 1e-6), 1 - 1e-6)
        side = logit - np.log(thr / (1 - thr))
        k = max(1, int(round(p.consistency_s * fps)))
        cache = self._cache(participant, emb.shape[1])
        out = np.zeros(len(emb))
        for t in range(len(emb)):
            e = emb[t]
            cache.observe(e, float(logit[t]))
            protos = cache.prototypes(p.min_cache)
            if protos is not None:
                m = cache.total / cache.n
                out[t] = p.strength_logit * (_cos(e - m, protos[0] - m) - _cos(e - m, protos[1] - m)) / 2
            if t + 1 >= k and cache.n >= p.min_cache:
                past = side[t + 1 - k:t + 1]
                margin = p.margin_sd * cache.logit_sd()
                if margin <= 0:
                    continue
                if np.all(past >= margin):
                    cache.add(e, 1)
                elif np.all(past <= -margin):
                    cache.add(e, 0)
        return out

    def explain(self, table) -> pd.DataFrame:
        """The detector's explanation plus an ``adaptation`` column; rows sum to the adapted logit."""
        contrib = self.model.explain(table)
        fps = table.fps  # an error when the metadata has none, never an assumed 24 fps
        out = contrib.copy()
        out.insert(len(out.columns) - 1 if "bias" in out.columns else len(out.columns), "adaptation",
                   self.adaptation(contrib, participant_of(table), fps))
        return out

    def predict_proba(self, table) -> np.ndarray:
        from leveltwo.additive import sigmoid

        return sigmoid(self.explain(table).to_numpy(np.float64).sum(axis=1))


def adapt(model, method: str = "none", seed: int = 0, params: TTAParams = TTAParams()):
    """``model`` itself for ``'none'``, a :class:`TestTimeAdapter` around it for ``'tta'``."""
    if method == "none":
        return model
    if method == "tta":
        return TestTimeAdapter(model, params, seed)
    raise ValueError(f"adapt must be one of {ADAPT_CHOICES}, not {method!r}")
