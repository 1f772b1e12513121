"""The thresholds of :mod:`levelone.face.identity`, derived from the reference recordings.

Run ``python -m levelone.training.identity --data ../shared/data --json F [--update-shipped]``.

- **Same person or not** (``same_person_distance``): dlib face descriptors of the analysed face
  (the face mesh's box, frames where the face detector sees one face), every ``every_s`` seconds of
  every reference video (GRID, CREMA-D in all six emotions, the Pexels clip, the natural clips), up
  to ``per_clip`` a clip. A pair of descriptors of one speaker is "same", of two speakers
  "different". The threshold is the distance that makes the fewest errors, each class weighted
  equally; **speaker held out**: for every speaker the threshold is chosen without their
  descriptors and judged on their pairs, as single descriptors and as the tracker decides (a
  segment of ``samples`` consecutive descriptors against the speaker's first segment, single
  linkage). The shipped value is chosen on all speakers.
- **A cut** (``cut_diff``): thumbnail changes between consecutive frames inside each video (none is
  a cut) against the change from the last frame of one video to the first of another (every one
  is); the threshold is the geometric mean of the highest change inside a video and the lowest
  across a cut when they separate. Missing a cut costs little (the tracker re-checks every
  ``recheck_s``); a spurious one costs two descriptors.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from levelone.face import identity as ident

EVERY_S = 1.0
PER_CLIP = 40


def _clips(shared: Path) -> list[tuple[str, str, Path]]:
    """(clip id, speaker, path) of the reference videos, CREMA-D in all its emotions."""
    from levelone.training.calibrate import reference_set

    out = [(c.clip_id, c.speaker, c.path) for c in reference_set(shared) if c.kind == "video"]
    have = {cid for cid, _, _ in out}
    for p in sorted((shared / "video" / "cremad").glob("*.flv")):
        if p.stem not in have:
            out.append((p.stem, f"cremad-{p.stem.split('_')[0]}", p))
    return out


def clip_measures(path: Path, every_s: float = EVERY_S, per_clip: int = PER_CLIP
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(descriptors (k, 128), their times (k,), thumbnail changes between consecutive frames, and
    the first and last thumbnails stacked (2, h, w)) of one video."""
    from levelone.media.video import iter_frames, probe
    from levelone.pipeline.vision import _detector, _models, _restart, face_boxes, face_landmarks

    info = probe(path)
    mesh, pose = _models()
    detector = _detector()
    _restart(mesh, pose)
    duration = info.n_frames / info.fps if info.fps else 0.0
    step = max(every_s, duration / per_clip) if duration else every_s
    descs, times, changes = [], [], []
    first = last = None
    next_t = 0.0
    for i, t_s, rgb in iter_frames(path, max_side=640):
        thumb = ident.thumbnail(rgb)
        if last is not None:
            changes.append(ident.cut_score(last, thumb))
        first = thumb if first is None else first
        last = thumb
        lm = face_landmarks(mesh.process(rgb), rgb.shape[1], rgb.shape[0])
        if lm is None or t_s < next_t or len(descs) >= per_clip:
            continue
        if len(face_boxes(detector.process(rgb))) != 1:
            continue
        descs.append(ident.descriptor(rgb, ident.landmark_box(lm)))
        times.append(t_s)
        next_t = t_s + step
    ends = np.stack([first, last]) if first is not None else np.zeros((0, 0, 0), np.float32)
    return (np.array(descs, np.float32).reshape(-1, ident.DESCRIPTOR_SIZE), np.array(times),
            np.array(changes, np.float64), ends)


def best_threshold(same: np.ndarray, different: np.ndarray) -> float:
    """The distance under which pairs are called the same person with the fewest errors, each
    class weighted equally (the midpoint between the two neighbouring distances)."""
    values = np.unique(np.r_[same, different])
    if values.size < 2:
        return float(values[0]) if values.size else ident.IdentityParams.same_person_distance
    cands = (values[:-1] + values[1:]) / 2
    same_s, diff_s = np.sort(same), np.sort(different)
    miss_same = 1 - np.searchsorted(same_s, cands, side="left") / max(same_s.size, 1)  # same >= t: new person
    miss_diff = np.searchsorted(diff_s, cands, side="left") / max(diff_s.size, 1)  # different < t: same
    err = miss_same + miss_diff
    best = np.flatnonzero(err == err.min())
    return float(cands[best[len(best) // 2]])


def _pairs(desc: dict[str, np.ndarray], speaker: dict[str, str], keep=lambda a, b: True):
    """Distances of descriptor pairs (same speaker, different speakers) between clips passing ``keep``."""
    same, diff = [], []
    ids = sorted(desc)
    for k, a in enumerate(ids):
        for b in ids[k:]:
            if not keep(speaker[a], speaker[b]) or not len(desc[a]) or not len(desc[b]):
                continue
            d = np.linalg.norm(desc[a][:, None] - desc[b][None], axis=-1)
            if a == b:
                d = d[np.triu_indices(len(desc[a]), 1)]
            (same if speaker[a] == speaker[b] else diff).append(d.ravel())
    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0)  # noqa: E731
    return cat(same), cat(diff)


def _segment_new_rate(desc: dict[str, np.ndarray], speaker: dict[str, str], who: str, t: float,
                      samples: int) -> tuple[int, int]:
    """(segments called a new person, segments) for one speaker: consecutive groups of ``samples``
    descriptors against the speaker's first group, single linkage (what the tracker does)."""
    rows = np.concatenate([desc[c] for c in sorted(desc) if speaker[c] == who and len(desc[c])] or
                          [np.zeros((0, ident.DESCRIPTOR_SIZE), np.float32)])
    groups = [rows[i:i + samples] for i in range(0, len(rows) - samples + 1, samples)]
    if len(groups) < 2:
        return 0, 0
    ref = groups[0]
    new = sum(float(np.min(np.linalg.norm(g[:, None] - ref[None], axis=-1))) >= t for g in groups[1:])
    return int(new), len(groups) - 1


def derive(shared: Path) -> dict:
    """Measure the reference videos and return the identity card (params and held-out figures)."""
    from levelone.pipeline.vision import load_models

    load_models()
    desc, speaker, changes, ends = {}, {}, {}, {}
    for cid, who, path in _clips(shared):
        d, _, ch, e = clip_measures(path)
        desc[cid], speaker[cid], changes[cid], ends[cid] = d, who, ch, e
        print(f"{cid:32s} {who:28s} {len(d):3d} descriptors", file=sys.stderr, flush=True)
    params = ident.IdentityParams()
    same, diff = _pairs(desc, speaker)
    threshold = best_threshold(same, diff)
    held = {}
    for who in sorted(set(speaker.values())):
        s_o, d_o = _pairs(desc, speaker, keep=lambda a, b, w=who: w not in (a, b))
        t = best_threshold(s_o, d_o)
        s_h, d_h = _pairs(desc, speaker, keep=lambda a, b, w=who: w in (a, b))
        new, segs = _segment_new_rate(desc, speaker, who, t, params.samples)
        held[who] = {"threshold": round(t, 4), "same_pairs": int(s_h.size), "different_pairs": int(d_h.size),
                     "same_called_new": round(float(np.mean(s_h >= t)), 4) if s_h.size else None,
                     "different_called_same": round(float(np.mean(d_h < t)), 4) if d_h.size else None,
                     "segments_called_new": new, "segments": segs}
    inside = np.concatenate([c for c in changes.values() if c.size] or [np.zeros(0)])
    across = np.array([ident.cut_score(ends[a][1], ends[b][0]) for a in ends for b in ends
                       if a != b and speaker[a] != speaker[b] and ends[a].size and ends[b].size
                       and ends[a].shape == ends[b].shape])
    hi, lo = float(inside.max()), float(across.min()) if across.size else float("inf")
    cut = float(np.sqrt(hi * lo)) if lo > hi else float(np.quantile(across, 0.05))
    rates = [v for v in held.values() if v["same_called_new"] is not None]
    return {
        "params": {**{k: getattr(params, k) for k in ident.IdentityParams.__dataclass_fields__},
                   "same_person_distance": round(threshold, 4), "cut_diff": round(cut, 2)},
        "descriptors": {cid: int(len(d)) for cid, d in desc.items()},
        "speakers": len(held),
        "pairs": {"same": int(same.size), "different": int(diff.size),
                  "same_max": round(float(same.max()), 4), "different_min": round(float(diff.min()), 4),
                  "same_q99": round(float(np.quantile(same, 0.99)), 4),
                  "different_q01": round(float(np.quantile(diff, 0.01)), 4)},
        "held_out": held,
        "held_out_summary": {
            "same_called_new_mean": round(float(np.mean([v["same_called_new"] for v in rates])), 4),
            "different_called_same_mean": round(float(np.mean([v["different_called_same"] for v in rates
                                                               if v["different_called_same"] is not None])), 4),
            "segments_called_new": sum(v["segments_called_new"] for v in held.values()),
            "segments": sum(v["segments"] for v in held.values())},
        "cuts": {"inside_max": round(hi, 2), "inside_q999": round(float(np.quantile(inside, 0.999)), 2),
                 "across_min": round(lo, 2), "across_pairs": int(across.size),
                 "inside_frames": int(inside.size)},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="the shared data folder (../shared/data)")
    ap.add_argument("--json", required=True, metavar="PATH", help="where to write the card")
    ap.add_argument("--update-shipped", action="store_true", help="also write levelone/data/identity.json")
    args = ap.parse_args(argv)
    card = derive(Path(args.data))
    text = json.dumps(card, indent=1, sort_keys=True) + "\n"
    from codebook.atomic import write_text

    write_text(Path(args.json), text)
    if args.update_shipped:
        write_text(ident.params_path(), text)
    print(json.dumps({"params": card["params"], "pairs": card["pairs"], "held_out_summary": card["held_out_summary"],
                      "cuts": card["cuts"]}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
