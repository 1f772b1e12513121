"""One video's A/H prediction: frame probabilities, segments with their cue explanations, and the
video decision; serialised as ``prediction.json``.

``prediction.json`` (what :meth:`Prediction.to_json` writes and reports read)::

    {"ahcue_version", "video_id", "source", "fps", "n_frames", "duration_s",
     "model": {"id", "kind": "conflict"|"xgboost"|"codebook-prior", "trained", "card"},
     "probability",            # video-level P(A/H) by `aggregation`
     "aggregation",            # "sliding_max_24" | "mean_probability" | "majority"
     "threshold",              # frame threshold for segments and the video label
     "label",                  # 0 | 1
     "missing_modalities",     # codebook modalities with no evidence in the video
     "frame_probability",      # n_frames floats, 4 decimals
     "modality_evidence": {"face"|"language"|"audio"|"body": [n_frames floats]},
     "segments": [{"start_s", "end_s", "start_frame", "end_frame" (inclusive), "probability",
                   "cues": [{"id", "modality", "name", "share", "activation"}],
                   "modalities": [{"id", "share"}], "pairs": [{"id", "share", "modalities"}],
                   "transcript"}],
     "annotated_segments": [{"start_s", "end_s", "start_frame", "end_frame", "cues", "pairs"}]}
                               # only when annotations were given

The video label is ``probability >= threshold`` (for 'majority' the vote fraction >= 0.5).
``modality_evidence`` is each modality's summed term contributions per frame (its cues and its
within-modality term, plus half of each pair term it belongs to).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any, Sequence

import numpy as np

from codebook.vocabulary import MODALITIES
from leveltwo.explain import explain_segment, modality_evidence
from leveltwo.features import missing_modalities
from leveltwo.metrics import aggregate
from leveltwo.segments import decode_segments

AHCUE_VERSION = "0.1.0"


@dataclass
class Prediction:
    video_id: str
    source: str
    fps: float
    n_frames: int
    duration_s: float
    model: dict[str, Any]
    probability: float
    aggregation: str
    threshold: float
    label: int
    missing_modalities: list[str]
    frame_probability: list[float]
    modality_evidence: dict[str, list[float]]
    segments: list[dict[str, Any]]
    annotated_segments: list[dict[str, Any]] | None = None
    ahcue_version: str = AHCUE_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        out = {"ahcue_version": d.pop("ahcue_version")}
        out.update(d)
        if out["annotated_segments"] is None:
            del out["annotated_segments"]
        return out

    def to_json(self, indent: int | None = None) -> str:
        """The ``prediction.json`` text."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, data: str | bytes | dict) -> "Prediction":
        """Read ``prediction.json`` text (or its parsed dict)."""
        d = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
        names = {f.name for f in fields(cls)}
        missing = names - set(d) - {"annotated_segments", "ahcue_version"}
        if missing:
            raise ValueError(f"prediction.json lacks {sorted(missing)}")
        return cls(**{k: v for k, v in d.items() if k in names})


def model_info(model) -> dict[str, Any]:
    card = getattr(model, "card_", None) or model.card()
    return {"id": card.get("id", f"{card['kind']}-unsaved"), "kind": card["kind"],
            "trained": bool(card.get("trained", True)), "card": card}


def _words_in(words, start_s: float, end_s: float) -> str:
    if not words:
        return ""
    return " ".join(w.text for w in words if start_s <= (w.start_s + w.end_s) / 2 < end_s)


def predict_video(model, table, annotation=None, threshold: float | None = None, *,
                  aggregation: str = "sliding_max_24", words: Sequence | None = None, top_k: int = 5,
                  **segment_options) -> Prediction:
    """Predict one FrameTable with ``model``; ``threshold`` defaults to the model's tuned one.

    ``words`` (``levelone.media.transcript.Word`` list) fills each segment's transcript; ``annotation``
    (``codebook.annotations.VideoAnnotation``) adds the annotated A/H segments for comparison.
    """
    fps = float(table.meta.fps) or 24.0
    thr = float(getattr(model, "threshold_", 0.5) if threshold is None else threshold)
    contrib = model.explain(table)
    logit = contrib.to_numpy(np.float64).sum(axis=1)
    p = 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))
    video_p = aggregate(p, aggregation, thr)
    label = int(video_p >= (0.5 if aggregation == "majority" else thr))
    segments = []
    for seg in decode_segments(p, fps, threshold=thr, **segment_options):
        start_s, end_s = seg.seconds(fps)
        ex = explain_segment(contrib, seg.start_frame, seg.end_frame, table.data, top_k=top_k)
        segments.append({"start_s": round(start_s, 3), "end_s": round(end_s, 3), "start_frame": seg.start_frame,
                         "end_frame": seg.end_frame,
                         "probability": round(float(p[seg.start_frame:seg.end_frame + 1].mean()), 4),
                         "cues": ex["cues"], "modalities": ex["modalities"], "pairs": ex["pairs"],
                         "within": ex["within"],
                         "transcript": _words_in(words, start_s, end_s)})
    evidence = modality_evidence(contrib)
    annotated = None
    if annotation is not None:
        annotated = [{"start_s": float(s.start_s), "end_s": float(s.end_s), "start_frame": int(s.start_frame),
                      "end_frame": int(s.end_frame), "cues": {m: list(v) for m, v in (s.cues or {}).items()},
                      "pairs": list(s.pairs or ())}
                     for s in annotation.segments if getattr(s, "label", 1)]
    return Prediction(
        video_id=table.meta.video_id, source=table.meta.source, fps=fps, n_frames=int(len(p)),
        duration_s=round(len(p) / fps, 3), model=model_info(model), probability=round(float(video_p), 4),
        aggregation=aggregation, threshold=thr, label=label, missing_modalities=missing_modalities(table),
        frame_probability=[round(float(v), 4) for v in p],
        modality_evidence={m: [round(float(v), 4) for v in evidence[m]] for m in MODALITIES},
        segments=segments, annotated_segments=annotated)
