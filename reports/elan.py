"""ELAN export: ``segments.eaf`` with the prediction as tiers, opening beside the annotators' own.

Tiers:

- ``ahcue A/H``: one annotation per predicted segment, ``A/H score 0.78``;
- ``ahcue top cues``: the same spans, the segment's active cues (else its top cues) with their evidence shares;
- ``ahcue cues <modality>``: for face, language, audio and body, the spans where cues of that
  modality are active (activation >= threshold), one annotation per run of frames with the same
  set of active cues. ELAN tiers must not overlap, so simultaneous cues share one annotation
  (``Gaze, Frown``) instead of stacking.

The file links the video with a relative path (so the folder can move with the video) and an
absolute URL. It is written with pympi directly: ``codebook.eaf.write_eaf`` serialises annotator
segments (a ``VideoAnnotation``), while these tiers carry model output and per-cue runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from codebook.atomic import atomic_path, check_writable
from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary
from reports.figures import runs

AH_TIER = "ahcue A/H"
CUES_TIER = "ahcue top cues"
MIME = {".mp4": "video/mp4", ".mpg": "video/mpeg", ".mpeg": "video/mpeg", ".mov": "video/quicktime",
        ".avi": "video/x-msvideo", ".wav": "audio/x-wav", ".webm": "video/webm", ".mkv": "video/x-matroska"}


def modality_tier(modality: str) -> str:
    return f"ahcue cues {modality}"


def _ms(seconds: float) -> int:
    return int(round(1000.0 * float(seconds)))


def cue_intervals(table, modality: str, fps: float, threshold: float = 0.5, min_frames: int = 2,
                  vocabulary: Vocabulary | None = None) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, "Cue, Cue") runs of frames with the same non-empty set of active cues.

    Runs of a single cue shorter than ``min_frames`` are dropped first (flicker, not behaviour).
    """
    voc = vocabulary or load_vocabulary()
    cols = [c for c in table.cue_columns() if c.split(".")[1] == modality]
    if not cols:
        return []
    n = len(table.data)
    active = np.zeros((len(cols), n), dtype=bool)
    for i, col in enumerate(cols):
        v = np.nan_to_num(table.data[col].to_numpy(np.float64), nan=0.0) >= threshold
        for a, b in runs(v):
            if b - a + 1 >= min_frames:
                active[i, a:b + 1] = True
    # Encode each frame's active set as a key; runs of one key become one annotation.
    keys = np.array(["|".join(cols[i] for i in np.flatnonzero(active[:, f])) for f in range(n)], dtype=object)
    out = []
    f = 0
    while f < n:
        g = f
        while g + 1 < n and keys[g + 1] == keys[f]:
            g += 1
        if keys[f]:
            names = []
            for col in keys[f].split("|"):
                cid = col[len("cue."):]
                names.append(voc[cid].name if cid in voc else cid)
            out.append((_ms(f / fps), _ms((g + 1) / fps), ", ".join(names)))
        f = g + 1
    return out


def build_eaf(prediction, table=None, media: str | Path | None = None, eaf_dir: str | Path = ".",
              cue_threshold: float = 0.5, top_cues: int = 5, vocabulary: Vocabulary | None = None):
    """A ``pympi.Elan.Eaf`` holding the prediction tiers (not yet written)."""
    from pympi.Elan import Eaf

    voc = vocabulary or load_vocabulary()
    eaf = Eaf(author="ahcue")
    if "default" in eaf.get_tier_names():
        eaf.remove_tier("default")
    if media:
        media = Path(media).resolve()
        rel = os.path.relpath(media, Path(eaf_dir).resolve())
        eaf.add_linked_file(media.as_uri(), relpath=rel, mimetype=MIME.get(media.suffix.lower(), "video/*"))
    eaf.add_tier(AH_TIER)
    eaf.add_tier(CUES_TIER)
    for seg in prediction.segments:
        a, b = _ms(seg.start_s), _ms(seg.end_s)
        if b <= a:
            b = a + 1
        eaf.add_annotation(AH_TIER, a, b, f"A/H score {seg.probability:.2f}")
        active = [c for c in seg.cues if c.active_fraction > 0] or list(seg.cues)
        cues = "; ".join(f"{c.name or c.id} ({c.modality}) {100 * c.share:.0f}%" for c in active[:top_cues])
        eaf.add_annotation(CUES_TIER, a, b, cues or "(no single cue)")
    fps = float(prediction.fps)
    for m in MODALITIES:
        eaf.add_tier(modality_tier(m))
        if table is None:
            continue
        for a, b, value in cue_intervals(table, m, fps, cue_threshold, vocabulary=voc):
            eaf.add_annotation(modality_tier(m), a, b, value)
    return eaf


def write_segments_eaf(path: str | Path, prediction, table=None, media: str | Path | None = None,
                       force: bool = False, cue_threshold: float = 0.5) -> Path:
    """Write ``segments.eaf`` atomically; refuse to overwrite unless ``force``."""
    path = check_writable(path, force)
    eaf = build_eaf(prediction, table, media=media, eaf_dir=path.parent, cue_threshold=cue_threshold)
    from xml.etree import ElementTree

    from pympi.Elan import to_adocument

    # Not Eaf.to_eaf: it renames an existing file (our temp file) to .bak before writing.
    doc = to_adocument(eaf, pretty=True)
    with atomic_path(path) as tmp:
        ElementTree.ElementTree(doc).write(str(tmp), xml_declaration=True, encoding="UTF-8")
    return path
