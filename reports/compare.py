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

The control: the same explanations permuted across segments with a fixed seed (derangements, so
no segment keeps its own; averaged over 20 of them) and scored again. An explanation that carries information about its
segment must score clearly above its shuffled control.
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
    def from_segment(cls, seg: dict) -> "Explanation":
        """The explanation a prediction.json segment carries."""
        cues = sorted(((c["id"], float(c.get("share", 0.0))) for c in seg.get("cues", [])), key=lambda x: -x[1])
        return cls(cues, {m["id"]: float(m.get("share", 0.0)) for m in seg.get("modalities", [])},
                   {p["id"]: float(p.get("share", 0.0)) for p in seg.get("pairs", [])})


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

    seg = explain_segment(contributions, int(start_frame), int(end_frame), top_k=contributions.shape[1])
    return Explanation.from_segment(seg)


def annotated_from_annotation(annotation) -> list[dict]:
    """A ``codebook.annotations.VideoAnnotation``'s A/H segments in prediction.json's form."""
    out = []
    for seg in annotation.segments:
        if not seg.label:
            continue
        out.append({"start_s": float(seg.start_s), "end_s": float(seg.end_s),
                    "start_frame": int(seg.start_frame), "end_frame": int(seg.end_frame),
                    "cues": {m: list(seg.cues.get(m, ())) for m in MODALITIES if seg.cues.get(m)},
                    "pairs": list(seg.pairs)})
    return out


def has_cues(annotated: dict) -> bool:
    return any(annotated.get("cues", {}).get(m) for m in MODALITIES) or bool(annotated.get("pairs"))


def _frames(a: int, b: int) -> set[int]:
    return set(range(int(a), int(b) + 1))


def temporal_iou(annotated: dict, predicted: Iterable[dict]) -> float:
    """Frame IoU of one annotated segment with the union of the predicted segments overlapping it."""
    ann = _frames(annotated["start_frame"], annotated["end_frame"])
    pred: set[int] = set()
    for p in predicted:
        frames = _frames(p["start_frame"], p["end_frame"])
        if frames & ann:
            pred |= frames
    union = ann | pred
    return len(ann & pred) / len(union) if union else 0.0


def frame_overlap(prediction: dict, annotated: Sequence[dict]) -> tuple[int, int]:
    """(intersection, union) in frames of all predicted and all annotated A/H segments of a video."""
    n = int(prediction["n_frames"])
    pred = np.zeros(n, dtype=bool)
    ann = np.zeros(n, dtype=bool)
    for seg, mask in [(s, pred) for s in prediction.get("segments", [])] + [(s, ann) for s in annotated]:
        mask[max(0, int(seg["start_frame"])):min(n, int(seg["end_frame"]) + 1)] = True
    return int((pred & ann).sum()), int((pred | ann).sum())


def overlapping(annotated: dict, predicted: Sequence[dict]) -> list[tuple[dict, int]]:
    """Predicted segments overlapping an annotated one, with the overlap in frames."""
    out = []
    for p in predicted:
        ov = (min(int(p["end_frame"]), int(annotated["end_frame"]))
              - max(int(p["start_frame"]), int(annotated["start_frame"])) + 1)
        if ov > 0:
            out.append((p, ov))
    return out


def segment_explanation(annotated: dict, predicted: Sequence[dict]) -> Explanation | None:
    """``segment`` mode: the overlapping predicted segments' explanations, or None when missed."""
    hits = overlapping(annotated, predicted)
    if not hits:
        return None
    return combine([Explanation.from_segment(p) for p, _ in hits], [ov for _, ov in hits])


def score(explanation: Explanation | None, annotated: dict, vocabulary: Vocabulary | None = None,
          min_share: float = 0.1) -> dict[str, float]:
    """The per-segment metrics (see the module docstring); None scores as an empty explanation."""
    voc = vocabulary or load_vocabulary()
    e = explanation or Explanation()
    cues = annotated.get("cues", {}) or {}
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
    ann_pairs = {p for p in annotated.get("pairs", ()) if p in PAIRS}
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
    """One annotated segment with cues and the explanations to score against it."""

    video_id: str
    index: int
    annotated: dict
    predicted: list[dict]
    explanations: dict[str, Explanation | None]  # mode -> explanation


def cases_for_video(prediction: dict, annotated: Sequence[dict] | None = None,
                    contributions=None) -> list[SegmentCase]:
    """Cases for every annotated A/H segment with cues in one video.

    ``annotated`` defaults to the prediction's ``annotated_segments``; ``contributions`` (the
    detector's ``explain`` frame) enables ``span`` mode.
    """
    annotated = list(annotated if annotated is not None else prediction.get("annotated_segments") or [])
    predicted = list(prediction.get("segments", []))
    out = []
    for i, ann in enumerate(annotated):
        if not has_cues(ann):
            continue
        expl: dict[str, Explanation | None] = {"segment": segment_explanation(ann, predicted)}
        if contributions is not None:
            expl["span"] = explain_span(contributions, ann["start_frame"], ann["end_frame"])
        out.append(SegmentCase(str(prediction.get("video_id", "")), i, ann, predicted, expl))
    return out


def _mean(values: list[float]) -> float:
    v = np.asarray([x for x in values if not (isinstance(x, float) and math.isnan(x))], dtype=np.float64)
    return float(v.mean()) if v.size else math.nan


def evaluate(cases: Sequence[SegmentCase], seed: int = 0, vocabulary: Vocabulary | None = None,
             min_share: float = 0.1, overlaps: Sequence[tuple[int, int]] = (),
             n_shuffles: int = 20) -> tuple[list[dict], dict]:
    """Score every case in every mode, with the shuffled control; (rows, summary).

    The control averages ``n_shuffles`` derangements (seeds ``seed .. seed + n_shuffles - 1``), so
    its value does not hinge on one lucky permutation of a few segments.

    ``overlaps``: per-video :func:`frame_overlap` results, pooled into the summary's frame IoU of
    predicted vs annotated A/H (all annotated segments, with or without cues).
    """
    voc = vocabulary or load_vocabulary()
    modes = [m for m in MODES if cases and all(m in c.explanations for c in cases)]
    perms = [derangement(len(cases), seed + j) for j in range(max(1, n_shuffles))]
    rows = []
    for i, case in enumerate(cases):
        ann = case.annotated
        row = {"video_id": case.video_id, "segment": case.index, "start_s": round(float(ann["start_s"]), 3),
               "end_s": round(float(ann["end_s"]), 3), "start_frame": int(ann["start_frame"]),
               "end_frame": int(ann["end_frame"]),
               "annotated_cues": ";".join(c for m in MODALITIES for c in ann.get("cues", {}).get(m, ())),
               "annotated_pairs": ";".join(ann.get("pairs", ())),
               "detected": bool(overlapping(ann, case.predicted)),
               "temporal_iou": temporal_iou(ann, case.predicted)}
        for mode in modes:
            e = case.explanations[mode]
            row[f"{mode}.top_cues"] = ";".join((e or Explanation()).ranked_cues[:5])
            for k, v in score(e, ann, voc, min_share).items():
                row[f"{mode}.{k}"] = v
            shuffled = [score(cases[p[i]].explanations[mode], ann, voc, min_share) for p in perms]
            for k in shuffled[0]:
                row[f"{mode}.shuffled.{k}"] = _mean([sc[k] for sc in shuffled])
        rows.append(row)
    summary = {
        "n_segments": len(cases),
        "n_videos": len({c.video_id for c in cases}),
        "n_with_measurable_cues": (sum(not math.isnan(r.get(f"{modes[0]}.cue_mrr", math.nan)) for r in rows)
                                   if modes else 0),
        "detected": _mean([float(r["detected"]) for r in rows]),
        "temporal_iou": _mean([r["temporal_iou"] for r in rows]),
        "frame_iou": (sum(i for i, _ in overlaps) / max(1, sum(u for _, u in overlaps))) if overlaps else math.nan,
        "seed": seed, "n_shuffles": max(1, n_shuffles), "min_share": min_share,
        "modes": {mode: {"model": {k: _mean([r[f"{mode}.{k}"] for r in rows]) for k in METRICS},
                         "shuffled": {k: _mean([r[f"{mode}.shuffled.{k}"] for r in rows]) for k in METRICS}}
                  for mode in modes},
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
    """A plain-text table of the summary for the terminal."""
    lines = [f"{summary['n_segments']} annotated A/H segments with cues in {summary['n_videos']} video(s); "
             f"{summary['n_with_measurable_cues']} with measurable cues; detected {_fmt(summary['detected'])}, "
             f"temporal IoU {_fmt(summary['temporal_iou'])}, pooled frame IoU {_fmt(summary.get('frame_iou'))}"]
    for mode, res in summary.get("modes", {}).items():
        lines.append("")
        lines.append(f"{mode} mode" + (" (explains exactly the annotated frames)" if mode == "span" else
                                       " (explanations of the overlapping predicted segments)"))
        lines.append(f"  {'metric':<20}{'model':>8}{'shuffled':>10}")
        for k in METRICS:
            lines.append(f"  {k:<20}{_fmt(res['model'][k]):>8}{_fmt(res['shuffled'][k]):>10}")
    return "\n".join(lines)


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
def _model(model: str | Path | None):
    """``None`` or ``"default"``: the shipped codebook prior; else a model folder."""
    from leveltwo.models import load_model

    if model is None or str(model) in ("default", "prior"):
        return load_model(None)
    if not Path(model).is_dir():
        from codebook.errors import InputError
        raise InputError(model, "model folder not found (or say 'default' for the codebook prior)")
    return load_model(model)


def _as_dict(prediction) -> dict:
    doc = prediction.to_json() if hasattr(prediction, "to_json") else prediction
    return json.loads(doc) if isinstance(doc, str) else doc


def compare_dataset(model: str | Path | None, root: str | Path, split: str = "test", seed: int = 0,
                    workers: int = 1, cache_dir: str | Path | None = None, asr: bool = True,
                    progress: bool = True) -> tuple[list[dict], dict]:
    """Both modes over every annotated segment with cues of a BAH split (``all``: every split)."""
    from codebook.bah import BAHDataset
    from codebook.errors import InputError
    from levelone.pipeline.extract import Plan, plan, run
    from levelone.frametable import read
    from leveltwo.predict import predict_video

    ds = BAHDataset(root)
    videos = ds.videos(None if split == "all" else split)
    if not videos:
        raise InputError(root, f"split {split!r} lists no videos")
    wanted = {str(Path(v.path)) for v in videos}
    full = plan(root)
    result = run(Plan(full.kind, full.root, [j for j in full.jobs if str(Path(j.path)) in wanted]),
                 workers=workers, cache_dir=cache_dir, asr=asr, progress=progress)
    detector = _model(model)
    cases: list[SegmentCase] = []
    overlaps: list[tuple[int, int]] = []
    model_id = None
    failed = [str(f) for f in result.failures]
    for v in videos:
        path = result.tables.get(Path(v.path).stem)
        if path is None:
            continue
        table = read(path)
        ann = ds.annotation(v.key, fps=table.meta.fps)
        if ann is None:
            continue
        pred = _as_dict(predict_video(detector, table, annotation=ann))
        pred["video_id"] = v.key
        model_id = (pred.get("model") or {}).get("id")
        annotated = annotated_from_annotation(ann)
        overlaps.append(frame_overlap(pred, annotated))
        cases += cases_for_video(pred, annotated, detector.explain(table))
    rows, summary = evaluate(cases, seed=seed, overlaps=overlaps)
    summary["split"] = split
    summary["model"] = model_id
    summary["failed_videos"] = failed
    return rows, summary


def compare_prediction(prediction_path: str | Path, annotations: str | Path, model: str | Path | None = None,
                       seed: int = 0) -> tuple[list[dict], dict]:
    """One analysed video: ``segment`` mode from prediction.json; ``span`` mode too when its
    features.parquet lies beside it and the model is available (``model``, or the default prior
    when the prediction was made by it)."""
    from levelone.frametable import read
    from reports.analyze import load_annotation
    from reports.html import read_prediction

    prediction_path = Path(prediction_path)
    pred = read_prediction(prediction_path)
    features = prediction_path.parent / "features.parquet"
    table = read(features) if features.exists() else None
    ann = load_annotation(annotations, float(pred["fps"]), int(pred["n_frames"]),
                          pred.get("source") or pred.get("video_id", ""), pred.get("video_id"))
    contributions = None
    notes = []
    kind = (pred.get("model") or {}).get("kind")
    if table is not None and (model is not None or kind == "codebook-prior"):
        contributions = _model(model).explain(table)
    else:
        notes.append("span mode needs features.parquet beside prediction.json and the model (pass MODEL)")
    annotated = annotated_from_annotation(ann)
    cases = cases_for_video(pred, annotated, contributions)
    rows, summary = evaluate(cases, seed=seed, overlaps=[frame_overlap(pred, annotated)])
    summary["model"] = (pred.get("model") or {}).get("id")
    summary["notes"] = notes
    return rows, summary
