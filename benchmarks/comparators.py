"""The comparators side by side on the shifted demo corpus: ConflictDetector, xgboost and the fusion
model, each without and with per-participant test-time adaptation (TTA).

**A system test on a generated corpus, not accuracy on people.** ``ahcue demo-corpus --shift``
gives the train and val participants one (reference) way of expressing A/H and each test
participant another (moves the head more, speaks faster, barely moves); the table shows whether
the models find the planted segments on held-out participants, how much the shift costs them
(val = held-out participant in the reference style, test = shifted participants) and what TTA
recovers. Frame AVGF1 and AP are BAH's definitions, pooled over the split's frames, at the
validation-tuned threshold; video macro-F1 is BAH's AVGF1 over videos with the ``sliding_max_24``
aggregation (the one ``prediction.json`` uses). Segment F1 (one-to-one matching at IoU >= 0.5) and
mean IoU of the annotated segments compare decoding with the fixed 0.5 s constants and with the
durations learnt from the training annotations (:class:`leveltwo.segments.SegmentPrior`).

    python benchmarks/comparators.py --root /tmp/bah-shift --generate --json out.json

``--generate`` builds the corpus (7 participants: 4 train, 1 val, 2 test; 9 or more give all three
test styles) and runs level one on it when ``--root`` does not exist yet (tens of minutes on 2
busy cores; cached afterwards). Not among ``python -m benchmarks``'s suites for that reason.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # first: benchmarks/levelone.py would otherwise shadow the package


def _fit(kind: str, train, val, seed: int, device: str):
    """A fitted model of ``kind`` and its training seconds (one fit; no ablation runs)."""
    from leveltwo.detector import ConflictDetector
    from leveltwo.fusion import FusionDetector
    from leveltwo.train import constraint_targets
    from leveltwo.xgb import XGBDetector

    t0 = time.perf_counter()
    if kind == "conflict":
        model = ConflictDetector(constraint_weight=0.1, targets=constraint_targets(train.annotations), seed=seed,
                                 device=device).fit(train.tables, train.labels, val.tables, val.labels)
    elif kind == "xgboost":
        model = XGBDetector(seed=seed, device=device).fit(train.tables, train.labels, val.tables, val.labels)
    else:
        model = FusionDetector(seed=seed, device=device).fit(train.tables, train.labels, val.tables, val.labels)
    return model, time.perf_counter() - t0


def _segments(probs, split, threshold: float, options: dict) -> dict:
    from leveltwo.segments import FrameSegment, decode_segments, segment_f1, segment_scores

    results = []
    for p, ann, table in zip(probs, split.annotations, split.tables):
        fps = float(table.meta.fps) or 24.0
        true = [FrameSegment(int(s.start_frame), int(s.end_frame)) for s in (ann.segments if ann else [])
                if getattr(s, "label", 1)]
        results.append(segment_scores(decode_segments(p, fps, threshold=threshold, **options), true))
    return segment_f1(results)


def score(model, split, threshold: float, prior) -> dict:
    """Frame, video and segment scores of ``model`` (adapted or not) on ``split``."""
    from leveltwo.metrics import average_precision, frame_level, video_level

    t0 = time.perf_counter()
    probs = [model.predict_proba(t) for t in split.tables]
    seconds = time.perf_counter() - t0
    y = np.concatenate(split.labels)
    frame = frame_level(split.labels, probs, threshold)
    try:
        video = video_level(split.video_labels, probs, "sliding_max_24", threshold)["avgf1"]
    except ValueError:
        video = float("nan")
    return {"frame_avgf1": frame["avgf1"], "frame_ap": average_precision(y, np.concatenate(probs)),
            "video_macro_f1": video, "predict_seconds": seconds,
            "segments_fixed": _segments(probs, split, threshold, {}),
            "segments_learnt": _segments(probs, split, threshold, prior.decoding()),
            "per_participant": _per_participant(probs, split, threshold)}


def _per_participant(probs, split, threshold: float) -> dict:
    from leveltwo.metrics import average_precision, frame_level
    from leveltwo.tta import participant_of

    out = {}
    for pid in sorted({participant_of(t) for t in split.tables}):
        idx = [i for i, t in enumerate(split.tables) if participant_of(t) == pid]
        y = np.concatenate([split.labels[i] for i in idx])
        p = np.concatenate([probs[i] for i in idx])
        out[pid] = {"frame_avgf1": frame_level([y], [p], threshold)["avgf1"],
                    "frame_ap": average_precision(y, p) if 0 < y.sum() < y.size else float("nan")}
    return out


def run(root: Path, seed: int = 0, device: str = "cpu", kinds=("conflict", "xgboost", "fusion")) -> dict:
    from levelone.democorpus.build import load_planted
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.segments import SegmentPrior
    from leveltwo.tta import adapt

    tables = extract_tables(root, asr=False, progress=False)
    train, val, test = (load_split(root, s, tables) for s in ("train", "val", "test"))
    styles = {v["participant"]: v.get("style", {}).get("name", "reference")
              for v in load_planted(root)["videos"].values()}
    prior = SegmentPrior.from_annotations(train.annotations)
    out = {"corpus": str(root), "splits": {s.name: s.describe() for s in (train, val, test)},
           "styles": styles, "segment_prior": prior.to_dict(), "models": {}}
    for kind in kinds:
        model, seconds = _fit(kind, train, val, seed, device)
        thr = float(model.threshold_)
        row = {"train_seconds": seconds, "threshold": thr, "val": score(model, val, thr, prior)}
        for how in ("none", "tta"):
            row[f"test_{how}"] = score(adapt(model, how, seed=seed), test, thr, prior)
        out["models"][kind] = row
        print(f"{kind}: trained in {seconds:.1f} s", file=sys.stderr, flush=True)
    return out


def markdown(result: dict) -> str:
    """The comparison table (and the per-participant breakdown) as Markdown."""
    f = lambda v: "n/a" if v != v else f"{v:.3f}"  # noqa: E731
    lines = ["| model | TTA | frame AVGF1 | frame AP | video macro-F1 | segment F1 fixed / learnt | "
             "mean IoU fixed / learnt | train s |", "|---|---|---|---|---|---|---|---|"]
    for kind, row in result["models"].items():
        v = row["val"]
        lines.append(f"| {kind} (val, reference style) | none | {f(v['frame_avgf1'])} | {f(v['frame_ap'])} | "
                     f"{f(v['video_macro_f1'])} | {f(v['segments_fixed']['segment_f1'])} / "
                     f"{f(v['segments_learnt']['segment_f1'])} | {f(v['segments_fixed']['mean_iou'])} / "
                     f"{f(v['segments_learnt']['mean_iou'])} | {row['train_seconds']:.1f} |")
        for how in ("none", "tta"):
            t = row[f"test_{how}"]
            lines.append(f"| {kind} (test, shifted) | {how} | {f(t['frame_avgf1'])} | {f(t['frame_ap'])} | "
                         f"{f(t['video_macro_f1'])} | {f(t['segments_fixed']['segment_f1'])} / "
                         f"{f(t['segments_learnt']['segment_f1'])} | {f(t['segments_fixed']['mean_iou'])} / "
                         f"{f(t['segments_learnt']['mean_iou'])} | |")
    lines += ["", "Per test participant, frame AP without / with TTA:", "",
              "| model | " + " | ".join(f"{p} ({result['styles'].get(p.removeprefix('video:'), '?')})"
                                      for p in next(iter(result["models"].values()))["test_none"]["per_participant"])
              + " |"]
    first = next(iter(result["models"].values()))["test_none"]["per_participant"]
    lines.append("|---|" + "---|" * len(first))
    for kind, row in result["models"].items():
        cells = [f"{f(row['test_none']['per_participant'][p]['frame_ap'])} / "
                 f"{f(row['test_tta']['per_participant'][p]['frame_ap'])}" for p in first]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, required=True, help="a shifted demo corpus (BAH layout)")
    ap.add_argument("--generate", action="store_true", help="generate and extract it first if it does not exist")
    ap.add_argument("--participants", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--models", default="conflict,xgboost,fusion")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.root.exists():
        if not args.generate:
            ap.error(f"{args.root} does not exist (add --generate)")
        from levelone.democorpus.build import generate

        generate(args.root, participants=args.participants, seed=args.seed, long_video_s=None, shift=True)
    result = run(args.root, args.seed, args.device, tuple(args.models.split(",")))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
