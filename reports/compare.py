"""Explanations versus annotators: does the model name the cues the annotators saw?

For every annotated A/H segment that carries cues, the model's explanation is scored against the
annotator's cues in two modes:

- ``segment``: the explanation of the predicted segment(s) overlapping the annotated one (their
  shares combined, weighted by overlap). A missed segment has no explanation and scores 0, so this
  mode mixes detection with explanation quality.
- ``span``: the model's term contributions summed over exactly the annotated frames. This isolates
  explanation quality from detection.

Metrics per segment: modality precision/recall/F1 (a modality counts as named by the model when its
evidence share reaches ``min_share``); cue hit@k (k = 1, 3, 5) and the reciprocal rank of the first
annotator cue in the model's ranked cue list, over annotator cues that level one can measure
(a cue the vocabulary marks unmeasurable can never be named; segments with none are left out of
the cue metrics, NaN); within each annotated modality, whether the model's strongest cue of that
modality is one the annotator named (``modality_cue_hit@1``: tells "shake" from "nod" when every
segment has body cues); inconsistency-pair agreement (Jaccard of the annotator's pairs and the
model's pairs with share >= ``min_share``, and whether the model's top pair is one of them); and
the temporal IoU of the annotated segment with the predicted segments that overlap it.

Beside the model, three baselines explain the same frames (in ``segment`` mode the frames of the
overlapping predicted segments, so a missed segment has no baseline explanation either; in
``span`` mode the annotated frames):

- ``shuffled``: the model's explanations permuted across segments with a fixed seed
  (derangements, so no segment keeps its own; averaged over 20 of them). It needs two segments
  whose explanations differ; otherwise (one annotated segment, or one predicted segment covering
  all of them) it would equal the model and is omitted, with a note in the summary.
- ``activation``: cues ranked by their raw level-one mean activation over the frames, modalities by
  their cues' summed activation; it names no pairs.
- ``frequency``: cues, modalities and pairs ranked by how often BAH's annotators use them (the
  published codebook statistics), whatever the video shows.

An explanation that carries information about its segment must score clearly above all three.
hit@k and MRR carry 95% percentile bootstrap intervals over segments (``ci`` in the summary).
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from codebook.atomic import check_writable, write_bytes, write_text
from codebook.vocabulary import MODALITIES, PAIRS, Vocabulary, load_vocabulary

KS = (1, 3, 5)
METRICS = ("modality_precision", "modality_recall", "modality_f1", *(f"cue_hit@{k}" for k in KS),
           "cue_mrr", "modality_cue_hit@1", "pair_jaccard", "pair_hit@1")
MODES = ("segment", "span")
SOURCES = ("model", "shuffled", "activation", "frequency")
CI_METRICS = (*(f"cue_hit@{k}" for k in KS), "cue_mrr")
CI_MIN_SEGMENTS = 10  # fewer segments than this: the summary says its intervals say little


@dataclass
class Explanation:
    """A ranked explanation: cue ids by share (desc), modality and pair shares."""

    cues: list[tuple[str, float]] = field(default_factory=list)
    modalities: dict[str, float] = field(default_factory=dict)
    pairs: dict[str, float] = field(default_factory=dict)

    @property
    def ranked_cues(self) -> list[str]:
        return [c for c, s in self.cues if s > 0]

    @classmethod
    def from_segment(cls, seg) -> "Explanation":
        """The explanation a predicted :class:`leveltwo.predict.Segment` carries."""
        cues = sorted(((c.id, float(c.share)) for c in seg.cues), key=lambda x: -x[1])
        return cls(cues, {m.id: float(m.share) for m in seg.modalities}, {p.id: float(p.share) for p in seg.pairs})

    @classmethod
    def from_explain(cls, ex: dict) -> "Explanation":
        """From :func:`leveltwo.explain.explain_segment`'s dict."""
        cues = sorted(((c["id"], float(c["share"])) for c in ex["cues"]), key=lambda x: -x[1])
        return cls(cues, {m["id"]: float(m["share"]) for m in ex["modalities"]},
                   {p["id"]: float(p["share"]) for p in ex["pairs"]})


def combine(explanations: Sequence[Explanation], weights: Sequence[float]) -> Explanation:
    """Weighted mean of explanations (e.g. the predicted segments overlapping one annotated span)."""
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / max(len(w), 1))
    cues: dict[str, float] = {}
    mods: dict[str, float] = {}
    pairs: dict[str, float] = {}
    for e, wi in zip(explanations, w):
        for c, s in e.cues:
            cues[c] = cues.get(c, 0.0) + wi * s
        for m, s in e.modalities.items():
            mods[m] = mods.get(m, 0.0) + wi * s
        for p, s in e.pairs.items():
            pairs[p] = pairs.get(p, 0.0) + wi * s
    return Explanation(sorted(cues.items(), key=lambda kv: (-kv[1], kv[0])), mods, pairs)


def explain_span(contributions, start_frame: int, end_frame: int) -> Explanation:
    """``span`` mode: the model's explanation of exactly frames ``start_frame..end_frame``.

    ``contributions`` is a detector's ``explain(table)`` frame; shares are computed by
    :func:`leveltwo.explain.explain_segment`, the same definition the predicted segments use, with
    every cue kept so the ranking is complete.
    """
    from leveltwo.explain import explain_segment

    seg = explain_segment(contributions, int(start_frame), int(end_frame))
    return Explanation.from_explain(seg)


def activation_explanation(activations, frames: Sequence[tuple[int, int]]) -> Explanation | None:
    """The ``activation`` baseline over the union of inclusive frame ranges (None: no frames).

    ``activations`` is a FrameTable's data; cues of a missing modality (NaN) count as 0.
    """
    if activations is None or not frames:
        return None
    rows = np.concatenate([np.arange(int(a), int(b) + 1) for a, b in frames])
    rows = rows[(rows >= 0) & (rows < len(activations))]
    cols = [c for c in activations.columns if c.startswith("cue.")]
    means = {c[4:]: float(np.nan_to_num(activations[c].to_numpy(np.float64)[rows], nan=0.0).mean()) if rows.size
             else 0.0 for c in cols}
    total = sum(means.values())
    mods = {m: sum(v for c, v in means.items() if c.split(".")[0] == m) / total if total > 0 else 0.0
            for m in MODALITIES}
    return Explanation(sorted(means.items(), key=lambda kv: (-kv[1], kv[0])), mods, {})


def frequency_explanation(vocabulary: Vocabulary | None = None, stats=None) -> Explanation:
    """The ``frequency`` baseline: measurable cues by how often annotators name them overall
    (modality share x the cue's share within its modality), modalities and pairs by their shares.

    ``stats`` defaults to the published BAH statistics, which give only each modality's most named
    cue: those rank first (by modality share), the other cues after them in vocabulary order.
    """
    from codebook.stats import CueStatistics

    voc = vocabulary or load_vocabulary()
    stats = stats or CueStatistics.published()
    top = dict(getattr(stats, "top_cues", None) or {})
    cues = []
    for order, c in enumerate(voc.measurable):
        within = (stats.cue_shares.get(c.modality) or {}).get(c.id)
        if within is None:
            within = 1.0 if top.get(c.modality) == c.id else 0.0
        cues.append((c.id, stats.modality_shares.get(c.modality, 0.0) * within, order))
    ranked = sorted(cues, key=lambda t: (-t[1], t[2]))
    # shares only order the list: unranked cues keep a tiny positive share so they are still named
    return Explanation([(c, max(v, 1e-6 * (len(ranked) - i) / len(ranked))) for i, (c, v, _) in enumerate(ranked)],
                       dict(stats.modality_shares), dict(stats.pair_shares))


def annotated_from_annotation(annotation) -> list:
    """A ``codebook.annotations.VideoAnnotation``'s A/H segments as prediction records."""
    from leveltwo.predict import AnnotatedSegment

    return [AnnotatedSegment.from_annotation(seg) for seg in annotation.segments if seg.label]


def has_cues(annotated) -> bool:
    return any(annotated.cues.get(m) for m in MODALITIES) or bool(annotated.pairs)


def _frames(a: int, b: int) -> set[int]:
    return set(range(int(a), int(b) + 1))


def temporal_iou(annotated, predicted: Iterable) -> float:
    """Frame IoU of one annotated segment with the union of the predicted segments overlapping it."""
    ann = _frames(annotated.start_frame, annotated.end_frame)
    pred: set[int] = set()
    for p in predicted:
        frames = _frames(p.start_frame, p.end_frame)
        if frames & ann:
            pred |= frames
    union = ann | pred
    return len(ann & pred) / len(union) if union else 0.0


def frame_overlap(prediction, annotated: Sequence) -> tuple[int, int]:
    """(intersection, union) in frames of all predicted and all annotated A/H segments of a video."""
    n = int(prediction.n_frames)
    pred = np.zeros(n, dtype=bool)
    ann = np.zeros(n, dtype=bool)
    for seg, mask in [(s, pred) for s in prediction.segments] + [(s, ann) for s in annotated]:
        mask[max(0, int(seg.start_frame)):min(n, int(seg.end_frame) + 1)] = True
    return int((pred & ann).sum()), int((pred | ann).sum())


def overlapping(annotated, predicted: Sequence) -> list[tuple[object, int]]:
    """Predicted segments overlapping an annotated one, with the overlap in frames."""
    out = []
    for p in predicted:
        ov = (min(int(p.end_frame), int(annotated.end_frame))
              - max(int(p.start_frame), int(annotated.start_frame)) + 1)
        if ov > 0:
            out.append((p, ov))
    return out


def segment_explanation(annotated, predicted: Sequence) -> Explanation | None:
    """``segment`` mode: the overlapping predicted segments' explanations, or None when missed."""
    hits = overlapping(annotated, predicted)
    if not hits:
        return None
    return combine([Explanation.from_segment(p) for p, _ in hits], [ov for _, ov in hits])


def score(explanation: Explanation | None, annotated, vocabulary: Vocabulary | None = None,
          min_share: float = 0.1) -> dict[str, float]:
    """The per-segment metrics (see the module docstring); None scores as an empty explanation."""
    voc = vocabulary or load_vocabulary()
    e = explanation or Explanation()
    cues = dict(annotated.cues or {})
    ann_mods = {m for m in MODALITIES if cues.get(m)}
    pred_mods = {m for m, s in e.modalities.items() if s >= min_share}
    out: dict[str, float] = {}
    if ann_mods:
        tp = len(ann_mods & pred_mods)
        prec = tp / len(pred_mods) if pred_mods else 0.0
        rec = tp / len(ann_mods)
        out.update(modality_precision=prec, modality_recall=rec,
                   modality_f1=2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0)
    else:
        out.update(modality_precision=math.nan, modality_recall=math.nan, modality_f1=math.nan)
    targets = {c for m in MODALITIES for c in cues.get(m, ()) if c in voc and voc[c].measurable}
    ranked = e.ranked_cues
    if targets:
        rank = next((i + 1 for i, c in enumerate(ranked) if c in targets), None)
        for k in KS:
            out[f"cue_hit@{k}"] = float(rank is not None and rank <= k)
        out["cue_mrr"] = 1.0 / rank if rank else 0.0
    else:
        out.update({f"cue_hit@{k}": math.nan for k in KS}, cue_mrr=math.nan)
    # Within each annotated modality: is the model's strongest cue of that modality an annotator's?
    # Unlike the pooled ranking, this separates "shake" from "nod" when every segment has body cues.
    per_modality = []
    for m in sorted(ann_mods):
        wanted = {c for c in cues.get(m, ()) if c in voc and voc[c].measurable}
        if wanted:
            own = [c for c in ranked if c.split(".")[0] == m]
            per_modality.append(float(bool(own) and own[0] in wanted))
    out["modality_cue_hit@1"] = float(np.mean(per_modality)) if per_modality else math.nan
    ann_pairs = {p for p in annotated.pairs if p in PAIRS}
    if ann_pairs:
        model_pairs = {p for p, s in e.pairs.items() if s >= min_share}
        union = ann_pairs | model_pairs
        out["pair_jaccard"] = len(ann_pairs & model_pairs) / len(union)
        top = max(e.pairs.items(), key=lambda kv: kv[1], default=(None, 0.0))
        out["pair_hit@1"] = float(top[0] in ann_pairs and top[1] > 0)
    else:
        out["pair_jaccard"] = out["pair_hit@1"] = math.nan
    return out


def derangement(n: int, seed: int = 0) -> np.ndarray:
    """A seeded permutation with no fixed point (n >= 2): index i takes the explanation of out[i]."""
    if n < 2:
        return np.arange(n)
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.roll(order, -1)  # each position takes the next one in a random cycle
    return out


@dataclass
class SegmentCase:
    """One annotated segment with cues and the explanations to score against it.

    ``explanations[mode]`` is the model's; ``baselines[mode][name]`` the ``activation`` and
    ``frequency`` baselines' over the same frames (absent when the inputs for them are missing).
    """

    video_id: str
    index: int
    annotated: object
    predicted: list
    explanations: dict[str, Explanation | None]
    baselines: dict[str, dict[str, Explanation | None]] = field(default_factory=dict)


def cases_for_video(prediction, annotated: Sequence | None = None, contributions=None,
                    activations=None, frequency: Explanation | None = None) -> list[SegmentCase]:
    """Cases for every annotated A/H segment with cues in one video (a ``Prediction``).

    ``annotated`` defaults to the prediction's ``annotated_segments``; ``contributions`` (the
    detector's ``explain`` frame) enables ``span`` mode; ``activations`` (the FrameTable data)
    enables the ``activation`` baseline; ``frequency`` defaults to :func:`frequency_explanation`.
    """
    annotated = list(annotated if annotated is not None else prediction.annotated_segments or ())
    predicted = list(prediction.segments)
    freq = frequency or frequency_explanation()
    out = []
    for i, ann in enumerate(annotated):
        if not has_cues(ann):
            continue
        hits = overlapping(ann, predicted)
        expl: dict[str, Explanation | None] = {"segment": segment_explanation(ann, predicted)}
        base: dict[str, dict[str, Explanation | None]] = {"segment": {"frequency": freq if hits else None}}
        if activations is not None:
            base["segment"]["activation"] = activation_explanation(
                activations, [(p.start_frame, p.end_frame) for p, _ in hits])
        if contributions is not None:
            expl["span"] = explain_span(contributions, ann.start_frame, ann.end_frame)
            base["span"] = {"frequency": freq}
            if activations is not None:
                base["span"]["activation"] = activation_explanation(activations, [(ann.start_frame, ann.end_frame)])
        out.append(SegmentCase(str(prediction.video_id), i, ann, predicted, expl, base))
    return out


def _mean(values: list[float]) -> float:
    v = np.asarray([x for x in values if not (isinstance(x, float) and math.isnan(x))], dtype=np.float64)
    return float(v.mean()) if v.size else math.nan


def bootstrap_ci(values: Sequence[float], seed: int = 0, n_boot: int = 2000, level: float = 0.95) -> list[float]:
    """Percentile bootstrap interval of the mean over segments (NaN entries left out)."""
    v = np.asarray([x for x in values if not (isinstance(x, float) and math.isnan(x))], dtype=np.float64)
    if v.size == 0:
        return [math.nan, math.nan]
    if v.size == 1:
        return [float(v[0]), float(v[0])]
    idx = np.random.default_rng(seed).integers(0, v.size, size=(n_boot, v.size))
    means = v[idx].mean(axis=1)
    tail = (1.0 - level) / 2
    return [float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))]


def _shuffle_note(cases: Sequence[SegmentCase], mode: str) -> str | None:
    """Why the shuffled control would be meaningless in ``mode`` (None when it is meaningful)."""
    if len(cases) < 2:
        return "shuffled control omitted: it needs at least two annotated segments with cues"
    distinct = {repr(c.explanations[mode]) for c in cases}
    if len(distinct) < 2:
        return ("shuffled control omitted: every annotated segment has the same explanation "
                "(one predicted segment covers them all, or none is detected)")
    return None


def _uninformative_notes(results: dict, n_segments: int) -> list[str]:
    """What the numbers cannot tell: a shuffled control that scores exactly as the model (the
    comparison cannot tell the explanations from chance), and bootstrap intervals from fewer than
    ``CI_MIN_SEGMENTS`` segments (an interval such as 1.00-1.00 from 2 segments says nothing)."""
    notes = []
    for mode, res in results.items():
        model, control = res.get("model", {}), res.get("shuffled", {})
        pairs = [(m, c) for m, c in ((model.get(k), control.get(k)) for k in METRICS)
                 if isinstance(m, float) and isinstance(c, float) and not math.isnan(m) and not math.isnan(c)]
        if pairs and all(math.isclose(m, c, abs_tol=1e-9) for m, c in pairs):
            notes.append(f"{mode} mode: the shuffled control scores the same as the model on every metric: "
                         "this comparison cannot tell the explanations from chance")
    if 0 < n_segments < CI_MIN_SEGMENTS:
        notes.append(f"the 95% intervals come from only {n_segments} segment(s) (fewer than {CI_MIN_SEGMENTS}): "
                     "too few to say how far the numbers would move on other segments")
    return notes


def evaluate(cases: Sequence[SegmentCase], seed: int = 0, vocabulary: Vocabulary | None = None,
             min_share: float = 0.1, overlaps: Sequence[tuple[int, int]] = (),
             n_shuffles: int = 20) -> tuple[list[dict], dict]:
    """Score every case in every mode, beside the baselines; (rows, summary).

    The shuffled control averages ``n_shuffles`` derangements (seeds ``seed .. seed + n_shuffles - 1``),
    so its value does not hinge on one lucky permutation of a few segments; where it would be
    meaningless it is NaN and ``summary["notes"]`` says why. ``summary["modes"][mode]["ci"]`` holds
    95% bootstrap intervals of hit@k and MRR for the model and every baseline.

    ``overlaps``: per-video :func:`frame_overlap` results, pooled into the summary's frame IoU of
    predicted vs annotated A/H (all annotated segments, with or without cues).
    """
    voc = vocabulary or load_vocabulary()
    modes = [m for m in MODES if cases and all(m in c.explanations for c in cases)]
    perms = [derangement(len(cases), seed + j) for j in range(max(1, n_shuffles))]
    notes = {m: _shuffle_note(cases, m) for m in modes}
    baselines = {m: [b for b in ("activation", "frequency") if all(b in c.baselines.get(m, {}) for c in cases)]
                 for m in modes}
    nan_scores = {k: math.nan for k in METRICS}
    rows = []
    for i, case in enumerate(cases):
        ann = case.annotated
        row = {"video_id": case.video_id, "segment": case.index, "start_s": round(float(ann.start_s), 3),
               "end_s": round(float(ann.end_s), 3), "start_frame": int(ann.start_frame),
               "end_frame": int(ann.end_frame),
               "annotated_cues": ";".join(c for m in MODALITIES for c in ann.cues.get(m, ())),
               "annotated_pairs": ";".join(ann.pairs),
               "detected": bool(overlapping(ann, case.predicted)),
               "temporal_iou": temporal_iou(ann, case.predicted)}
        for mode in modes:
            e = case.explanations[mode]
            row[f"{mode}.top_cues"] = ";".join((e or Explanation()).ranked_cues[:5])
            for k, v in score(e, ann, voc, min_share).items():
                row[f"{mode}.{k}"] = v
            if notes[mode] is None:
                shuffled = [score(cases[p[i]].explanations[mode], ann, voc, min_share) for p in perms]
                for k in METRICS:
                    row[f"{mode}.shuffled.{k}"] = _mean([sc[k] for sc in shuffled])
            else:
                for k in METRICS:
                    row[f"{mode}.shuffled.{k}"] = nan_scores[k]
            for b in baselines[mode]:
                for k, v in score(case.baselines[mode][b], ann, voc, min_share).items():
                    row[f"{mode}.{b}.{k}"] = v
        rows.append(row)

    def column(mode: str, source: str, k: str) -> str:
        return f"{mode}.{k}" if source == "model" else f"{mode}.{source}.{k}"

    results = {}
    for mode in modes:
        sources = ["model", "shuffled", *baselines[mode]]
        res = {src: {k: _mean([r[column(mode, src, k)] for r in rows]) for k in METRICS} for src in sources}
        res["ci"] = {src: {k: bootstrap_ci([r[column(mode, src, k)] for r in rows], seed=seed) for k in CI_METRICS}
                     for src in sources}
        results[mode] = res
    summary = {
        "n_segments": len(cases),
        "n_videos": len({c.video_id for c in cases}),
        "n_with_measurable_cues": (sum(not math.isnan(r.get(f"{modes[0]}.cue_mrr", math.nan)) for r in rows)
                                   if modes else 0),
        "detected": _mean([float(r["detected"]) for r in rows]),
        "temporal_iou": _mean([r["temporal_iou"] for r in rows]),
        "frame_iou": (sum(i for i, _ in overlaps) / max(1, sum(u for _, u in overlaps))) if overlaps else math.nan,
        "seed": seed, "n_shuffles": max(1, n_shuffles), "min_share": min_share,
        "notes": [f"{m} mode: {n}" for m, n in notes.items() if n] + _uninformative_notes(results, len(cases)),
        "modes": results,
    }
    return rows, summary


def rows_to_csv(rows: Sequence[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0].keys())
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def _cell(v) -> str:
    """CSV text: floats to 4 decimals, NaN (metric not defined for the segment) empty."""
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def json_safe(obj):
    if isinstance(obj, float):
        return None if math.isnan(obj) else round(obj, 4)
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def summary_table(summary: dict) -> str:
    """A plain-text table of the summary for the terminal: the model beside every baseline."""
    lines = [f"{summary['n_segments']} annotated A/H segments with cues in {summary['n_videos']} video(s); "
             f"{summary['n_with_measurable_cues']} with measurable cues; detected {_fmt(summary['detected'])}, "
             f"temporal IoU {_fmt(summary['temporal_iou'])}, pooled frame IoU {_fmt(summary.get('frame_iou'))}"]
    for note in [summary.get("warning")] + list(summary.get("notes") or []):
        if note:
            lines.append(f"note: {note}")
    for mode, res in summary.get("modes", {}).items():
        sources = [s for s in SOURCES if s in res]
        lines.append("")
        lines.append(f"{mode} mode" + (" (explains exactly the annotated frames)" if mode == "span" else
                                       " (explanations of the overlapping predicted segments)"))
        lines.append(f"  {'metric':<20}" + "".join(f"{s:>12}" for s in sources))
        for k in METRICS:
            lines.append(f"  {k:<20}" + "".join(f"{_fmt(res[s][k]):>12}" for s in sources))
        ci = res.get("ci", {})
        for k in CI_METRICS:
            cells = "".join(f"{_fmt_ci(ci.get(s, {}).get(k)):>12}" for s in sources)
            lines.append(f"  {k + ' 95% CI':<20}{cells}")
    return "\n".join(lines)


def _fmt_ci(ci) -> str:
    if not ci or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in ci):
        return "n/a"
    return f"{ci[0]:.2f}-{ci[1]:.2f}"


def _fmt(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def write_outputs(out_dir: str | Path, rows: Sequence[dict], summary: dict, force: bool = False,
                  extra: dict | None = None) -> list[Path]:
    """comparison.csv, comparison.json and comparison.png in ``out_dir`` (refused if present)."""
    from reports.figures import comparison_png

    out_dir = Path(out_dir)
    paths = [out_dir / "comparison.csv", out_dir / "comparison.json", out_dir / "comparison.png"]
    for p in paths:
        check_writable(p, force)
    doc = {**(extra or {}), **summary}
    write_text(paths[0], rows_to_csv(rows))
    write_text(paths[1], json.dumps(json_safe(doc), indent=2) + "\n")
    write_bytes(paths[2], comparison_png(summary))
    return paths


# ------------------------------------------------------------------------------ pipelines
def compare_dataset(model: str | Path | None, root: str | Path, split: str = "test", seed: int = 0,
                    workers: int = 1, cache_dir: str | Path | None = None, asr: bool = True,
                    progress: bool = True, kind: str | None = None) -> tuple[list[dict], dict]:
    """Both modes over every annotated segment with cues of a BAH split (``all``: every split).

    A trained model scored on its own training splits (``train``, ``val`` or ``all``) is named in
    ``summary["warning"]``: explanations on videos the model learned from are optimistic.
    """
    from codebook.bah import BAHDataset
    from codebook.errors import InputError
    from levelone.pipeline.extract import Plan, plan, run
    from levelone.frametable import read
    from leveltwo.predict import predict_video
    from leveltwo.models import load_model

    if model is not None and str(model) in ("default", "prior"):
        model = None  # the old spelling of "the shipped codebook prior"
    ds = BAHDataset(root)
    videos = ds.videos(None if split == "all" else split)
    if not videos:
        raise InputError(root, f"split {split!r} lists no videos")
    detector = load_model(model, kind)
    wanted = {str(Path(v.path)) for v in videos}
    full = plan(root)
    result = run(Plan(full.kind, full.root, [j for j in full.jobs if str(Path(j.path)) in wanted]),
                 workers=workers, cache_dir=cache_dir, asr=asr, progress=progress)
    cases: list[SegmentCase] = []
    overlaps: list[tuple[int, int]] = []
    model_id = None
    failed = [str(f) for f in result.failures]
    freq = frequency_explanation(stats=_train_statistics(ds))
    for v in videos:
        path = result.tables.get(Path(v.path).stem)
        if path is None:
            continue
        table = read(path)
        ann = ds.annotation(v.key, fps=table.meta.fps)
        if ann is None:
            continue
        pred = predict_video(detector, table, annotation=ann).replace(video_id=v.key)
        model_id = pred.model.id
        annotated = annotated_from_annotation(ann)
        overlaps.append(frame_overlap(pred, annotated))
        cases += cases_for_video(pred, annotated, detector.explain(table), table.data, freq)
    rows, summary = evaluate(cases, seed=seed, overlaps=overlaps)
    summary["split"] = split
    summary["model"] = model_id
    summary["failed_videos"] = failed
    card = getattr(detector, "card_", None) or detector.card()
    note_explanation(summary, card)
    if card.get("trained", True) and split in ("all", "train", "val"):
        summary["warning"] = (f"split {split!r} includes the train/val videos model {model_id} was trained and "
                              "selected on: explanation scores there are optimistic; use --split test for "
                              "held-out numbers")
    return rows, summary


def _train_statistics(ds):
    """Cue statistics of the dataset's train split when it has enough segments with cues, else the
    published ones (the codebook frequency the ``frequency`` baseline ranks by)."""
    from codebook.stats import CueStatistics, prior_or_published

    anns = [v.annotation for v in ds.videos("train") if v.annotation is not None] if "train" in ds.splits else []
    return prior_or_published(CueStatistics.from_annotations(anns, source="train split") if anns else None)


def compare_prediction(prediction_path: str | Path, annotations: str | Path, model: str | Path | None = None,
                       seed: int = 0, kind: str | None = None) -> tuple[list[dict], dict]:
    """One analysed video: ``segment`` mode from prediction.json; ``span`` mode and the activation
    baseline too when its features.parquet lies beside it (``span`` also needs the model: ``model``,
    or the default prior when the prediction was made by it). Annotations naming another video, or
    running past its end, are refused."""
    from levelone.frametable import read
    from leveltwo.models import load_model
    from reports.analyze import load_annotation
    from reports.html import read_prediction

    prediction_path = Path(prediction_path)
    pred = read_prediction(prediction_path)
    features = prediction_path.parent / "features.parquet"
    table = read(features) if features.exists() else None
    ann = load_annotation(annotations, pred.fps, pred.n_frames, pred.source or pred.video_id, pred.video_id)
    contributions = None
    notes = []
    if table is not None and (model is not None or pred.model.kind == "codebook-prior"):
        contributions = load_model(model, kind).explain(table)
    else:
        notes.append("span mode needs features.parquet beside prediction.json and the model (pass --model)")
    if table is None:
        notes.append("activation baseline needs features.parquet beside prediction.json")
    annotated = annotated_from_annotation(ann)
    cases = cases_for_video(pred, annotated, contributions, table.data if table is not None else None)
    rows, summary = evaluate(cases, seed=seed, overlaps=[frame_overlap(pred, annotated)])
    summary["model"] = pred.model.id
    summary["notes"] = notes + summary["notes"]
    note_explanation(summary, pred.model.card or {"explanation": pred.model.explanation})
    return rows, summary


def note_explanation(summary: dict, card: dict) -> None:
    """Record what kind of explanation was scored; a language model's named cues are said to be its own words."""
    summary["explanation"] = card.get("explanation", "exact")
    if summary["explanation"] == "model-stated":
        summary["notes"] = ["explanations are the cues the language model named for each window (its own words, "
                            "not a measured share of evidence), scored with the same hit@k / MRR"] + summary["notes"]
