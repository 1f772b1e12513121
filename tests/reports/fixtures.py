"""Real FrameTables and prediction dicts built directly, in the documented schemas.

Reports render from ``prediction.json`` + ``features.parquet`` alone, so the unit tests build both
here: a FrameTable with every contract column and a few planted cue bursts, and a typed
``leveltwo.predict.Prediction``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from codebook.vocabulary import MODALITIES, load_vocabulary
from levelone.frametable import AROUSAL_MODALITIES, SOURCES, FrameMeta, FrameTable, required_columns
from leveltwo.predict import AnnotatedSegment, CueShare, ModalityShare, ModelInfo, PairShare, Prediction, Segment

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
            transcript: str = "", activation: float = 0.9, active_fraction: float = 1.0,
            context_share: float | None = None) -> Segment:
    """One predicted segment; the context term takes whatever share the cues and pairs leave."""
    voc = load_vocabulary()
    cue_rows = tuple(CueShare(c, c.split(".")[0], voc[c].name, s, activation, active_fraction) for c, s in cues)
    mods: dict[str, float] = {}
    for c, s in cues:
        mods[c.split(".")[0]] = mods.get(c.split(".")[0], 0.0) + s
    pair_rows = tuple(PairShare(p, s, tuple(voc.inconsistency(p).modalities)) for p, s in pairs)
    rest = 1.0 - sum(s for _, s in cues) - sum(s for _, s in pairs)
    return Segment(start_s=start_frame / fps, end_s=(end_frame + 1) / fps, start_frame=start_frame,
                   end_frame=end_frame, probability=probability, cues=cue_rows,
                   modalities=tuple(ModalityShare(m, s) for m, s in sorted(mods.items(), key=lambda kv: -kv[1])),
                   pairs=pair_rows, context_share=max(0.0, rest) if context_share is None else context_share,
                   transcript=transcript)


def annotated(start_s: float, end_s: float, fps: float, cues: dict[str, tuple[str, ...]] | None = None,
              pairs: tuple[str, ...] = ()) -> AnnotatedSegment:
    return AnnotatedSegment(start_s, end_s, int(round(start_s * fps)), int(round(end_s * fps)) - 1,
                            dict(cues or {}), tuple(pairs))


def make_prediction(table: FrameTable, segments: list[Segment], threshold: float = 0.5,
                    missing: list[str] = (), kind: str = "codebook-prior", trained: bool = False,
                    card: dict | None = None, annotated: list[AnnotatedSegment] | None = None,
                    source: str | None = None, probability: float | None = None,
                    has_audio: bool | None = None) -> Prediction:
    """A prediction whose frame scores rise above ``threshold`` inside ``segments``."""
    n, fps = table.meta.n_frames, table.meta.fps
    prob = np.full(n, 0.2)
    for s in segments:
        prob[s.start_frame:s.end_frame + 1] = s.probability
    evidence = {m: tuple(round(float(v), 4)
                         for v in np.nan_to_num(table.data[f"affect.{m}.confidence"].to_numpy()) * 0.1)
                for m in MODALITIES}
    p = float(prob.max()) if probability is None else probability
    return Prediction(
        video_id=table.meta.video_id, source=source if source is not None else table.meta.source,
        fps=fps, n_frames=n, duration_s=n / fps,
        model=ModelInfo("codebook-prior-v1" if kind == "codebook-prior" else f"{kind}-test", kind, trained, card or {}),
        probability=p, aggregation="sliding_max_24", threshold=threshold, label=int(p >= threshold),
        missing_modalities=tuple(missing), frame_probability=tuple(round(float(v), 4) for v in prob),
        modality_evidence=evidence, segments=tuple(segments),
        annotated_segments=None if annotated is None else tuple(annotated), has_audio=has_audio)
