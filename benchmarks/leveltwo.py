"""Level-two training speed on a synthetic FrameTable set of BAH's size (917k frames by default).

Measures, per device (CPU always, CUDA when available or asked for): feature computation, seconds
per training epoch of the ConflictDetector (frame batches of 4096, the constraint on), and the
BAH-style AP on a held-out synthetic set as a sanity check that the run learned. The synthetic
tables are a fixture (tests/leveltwo/synthetic.py): the numbers are about speed, not accuracy on
people. Target: <= 30 s per epoch on a 2-core CPU.

    python benchmarks/leveltwo.py                       # CPU (+ CUDA if present), 917k frames, 2 epochs
    python benchmarks/leveltwo.py --device cuda --frames 917000 --epochs 2
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "leveltwo"))


def _corpus(frames: int, seed: int, mean_frames: int = 643):
    """Synthetic videos totalling about ``frames`` frames (BAH's mean video is ~643 frames)."""
    from synthetic import make_corpus

    n_videos = max(2, round(frames / mean_frames))
    return make_corpus(n_videos, seed=seed, frames=(int(mean_frames * 0.5), int(mean_frames * 1.5)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                    help="auto: CPU, plus CUDA when torch sees a GPU")
    ap.add_argument("--frames", type=int, default=917_000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=4096)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--xgboost", action="store_true", help="also time the xgboost baseline")
    ap.add_argument("-o", "--output", "--json", dest="output", default="leveltwo-benchmark.json",
                    help="JSON results file (`--json` is what `python -m benchmarks` passes)")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    from codebook.atomic import check_writable, write_text
    from leveltwo.detector import ConflictDetector
    from leveltwo.metrics import average_precision

    check_writable(args.output, args.force)
    t0 = time.perf_counter()
    tables, labels, _ = _corpus(args.frames, args.seed)
    vt, vl, _ = _corpus(max(args.frames // 10, 5000), args.seed + 1)
    gen_s = time.perf_counter() - t0
    n_frames = sum(len(y) for y in labels)
    probe = ConflictDetector()
    t0 = time.perf_counter()
    feats = [probe.features(t) for t in tables]
    vfeats = [probe.features(t) for t in vt]
    feat_s = time.perf_counter() - t0

    if args.device == "auto":
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    else:
        devices = [args.device]
    rows = []
    for device in devices:
        model = ConflictDetector(epochs=args.epochs, patience=args.epochs, batch_size=args.batch_size,
                                 device=device, seed=args.seed)
        t0 = time.perf_counter()
        model.fit_features(feats, labels, vfeats, vl)
        total = time.perf_counter() - t0
        vp = np.concatenate([model.predict_proba_features(f) for f in vfeats])
        row = {"model": "conflict", "device": model.device_, "frames": n_frames, "epochs": len(model.history_),
               "seconds_per_epoch": round(float(np.mean([h["seconds"] for h in model.history_])), 3),
               "fit_seconds": round(total, 2), "val_ap_bah": round(average_precision(np.concatenate(vl), vp), 4)}
        if device == "cuda":
            row["gpu"] = torch.cuda.get_device_name(0)
        rows.append(row)
    if args.xgboost:
        from leveltwo.xgb import XGBDetector
        for device in devices:
            model = XGBDetector(n_estimators=100, device=device, seed=args.seed)
            t0 = time.perf_counter()
            model.fit_features(feats, labels, vfeats, vl)
            total = time.perf_counter() - t0
            vp = np.concatenate([model.predict_proba_features(f) for f in vfeats])
            rows.append({"model": "xgboost", "device": device, "frames": n_frames, "epochs": None,
                         "seconds_per_epoch": None, "fit_seconds": round(total, 2),
                         "trees": model.metrics_["n_trees"],
                         "val_ap_bah": round(average_precision(np.concatenate(vl), vp), 4)})

    print(f"synthetic corpus: {len(tables)} videos, {n_frames} frames (generated in {gen_s:.1f} s); "
          f"features {feat_s:.1f} s ({1e6 * feat_s / n_frames:.1f} us/frame)")
    print(f"{'model':9s} {'device':7s} {'frames':>8s} {'epochs':>6s} {'s/epoch':>8s} {'fit s':>7s} {'val AP':>7s}")
    for r in rows:
        spe = "-" if r["seconds_per_epoch"] is None else f"{r['seconds_per_epoch']:.2f}"
        ep = "-" if r["epochs"] is None else str(r["epochs"])
        print(f"{r['model']:9s} {r['device']:7s} {r['frames']:8d} {ep:>6s} {spe:>8s} {r['fit_seconds']:7.1f} "
              f"{r['val_ap_bah']:7.4f}")
    print("(synthetic FrameTables: a speed benchmark, not accuracy on people)")
    result = {"benchmark": "leveltwo", "frames": n_frames, "videos": len(tables), "generate_seconds": round(gen_s, 2),
              "feature_seconds": round(feat_s, 2), "rows": rows, "torch": torch.__version__,
              "cpu_threads_used": 1, "machine": platform.platform(), "python": platform.python_version()}
    write_text(args.output, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    from codebook.errors import InputError

    try:
        sys.exit(main())
    except InputError as err:  # e.g. --device cuda without a GPU, or an existing output
        print(f"benchmarks/leveltwo.py: error: {err}", file=sys.stderr)
        sys.exit(2)
