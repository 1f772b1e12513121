"""Real FrameTables and prediction dicts built directly, in the documented schemas.

Reports render from ``prediction.json`` + ``features.parquet`` alone, so the unit tests build both
here: a FrameTable with every contract column and a few planted cue bursts, and a prediction dict
in the schema ``leveltwo.predict.Prediction.to_json`` writes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES, load_vocabulary
from levelone.frametable import AROUSAL_MODALITIES, SOURCES, FrameMeta, FrameTable, required_columns

HOSTILE = "<script>alert(1)</script>"


def make_frametable(n_frames: int = 240, fps: float = 24.0, seed: int = 0,
                    bursts: dict[str, tuple[int, int]] | None = None,
                    absent: tuple[str, ...] = (), video_id: str = "p01_q3") -> FrameTable:
    """A FrameTable with low random cue activity and activations of 0.9 inside ``bursts``.

    ``bursts`` maps cue ids to (start_frame, end_frame) inclusive; ``absent`` names sources
    (``face``, ``body``, ``audio``, ``text``) with no evidence: NaN signals, present False.
    """
    rng = np.random.default_rng(seed)
    voc = load_vocabulary()
    data: dict[str, np.ndarray] = {"frame": np.arange(n_frames, dtype=np.int64),
                                   "time_s": (np.arange(n_frames) / fps).astype(np.float32)}
    for s in SOURCES:
        data[f"{s}.present"] = np.full(n_frames, s not in absent)
    modality_source = {"face": "face", "body": "body", "audio": "audio", "language": "text"}
    t = np.arange(n_frames) / fps
    for i, m in enumerate(MODALITIES):
        gone = modality_source[m] in absent
        val = np.clip(0.6 * np.sin(2 * np.pi * t / (4.0 + i) + i), -1, 1).astype(np.float32)
        data[f"affect.{m}.valence"] = np.full(n_frames, np.nan, np.float32) if gone else val
        data[f"affect.{m}.confidence"] = np.zeros(n_frames, np.float32) if gone else np.full(n_frames, 0.8, np.float32)
    for m in AROUSAL_MODALITIES:
        gone = modality_source[m] in absent
        data[f"affect.{m}.arousal"] = np.full(n_frames, np.nan, np.float32) if gone else \
            np.clip(0.5 * np.cos(2 * np.pi * t / 5.0), -1, 1).astype(np.float32)
    for cue in voc.measurable:
        gone = modality_source[cue.modality] in absent
        act = np.full(n_frames, np.nan, np.float32) if gone else (rng.random(n_frames) * 0.2).astype(np.float32)
        data[cue.column] = act
    for cue_id, (a, b) in (bursts or {}).items():
        data[f"cue.{cue_id}"][a:b + 1] = 0.9
    df = pd.DataFrame(data)
    assert set(required_columns()) <= set(df.columns)
    meta = FrameMeta(video_id=video_id, participant_id="p01", fps=fps, n_frames=n_frames,
                     source=f"{video_id}.mp4", missing=list(absent))
    return FrameTable(df, meta)


def segment(start_frame: int, end_frame: int, fps: float, probability: float,
            cues: list[tuple[str, float]], pairs: list[tuple[str, float]] = (),
            transcript: str = "") -> dict:
    """One predicted segment in the prediction.json schema."""
    voc = load_vocabulary()
    cue_rows = [{"id": c, "modality": c.split(".")[0], "name": voc[c].name, "share": s, "activation": 0.9}
                for c, s in cues]
    mods: dict[str, float] = {}
    for c, s in cues:
        mods[c.split(".")[0]] = mods.get(c.split(".")[0], 0.0) + s
    pair_rows = [{"id": p, "share": s, "modalities": list(voc.inconsistency(p).modalities)} for p, s in pairs]
    return {"start_s": start_frame / fps, "end_s": (end_frame + 1) / fps, "start_frame": start_frame,
            "end_frame": end_frame, "probability": probability, "cues": cue_rows,
            "modalities": [{"id": m, "share": s} for m, s in sorted(mods.items(), key=lambda kv: -kv[1])],
            "pairs": pair_rows, "transcript": transcript}


def make_prediction(table: FrameTable, segments: list[dict], threshold: float = 0.5,
                    missing: list[str] = (), kind: str = "codebook-prior", trained: bool = False,
                    card: dict | None = None, annotated: list[dict] | None = None,
                    source: str | None = None) -> dict:
    """A prediction dict whose frame probabilities rise above ``threshold`` inside ``segments``."""
    n, fps = table.meta.n_frames, table.meta.fps
    prob = np.full(n, 0.2)
    for s in segments:
        prob[s["start_frame"]:s["end_frame"] + 1] = s["probability"]
    evidence = {m: [round(float(v), 4) for v in np.nan_to_num(table.data[f"affect.{m}.confidence"].to_numpy()) * 0.1]
                for m in MODALITIES}
    pred = {
        "ahcue_version": "0.1.0", "video_id": table.meta.video_id,
        "source": source if source is not None else table.meta.source,
        "fps": fps, "n_frames": n, "duration_s": n / fps,
        "model": {"id": "codebook-prior-v1" if kind == "codebook-prior" else f"{kind}-test",
                  "kind": kind, "trained": trained, "card": card or {}},
        "probability": float(prob.max()), "aggregation": "sliding_max_24", "threshold": threshold,
        "label": int(prob.max() >= threshold), "missing_modalities": list(missing),
        "frame_probability": [round(float(p), 4) for p in prob],
        "modality_evidence": evidence, "segments": segments,
    }
    if annotated is not None:
        pred["annotated_segments"] = annotated
    return pred
