"""Stance ablations on honest folds: every row of the text model card's ablation table.

Cross-validates each input recipe of :data:`levelone.training.stance_ablations.ROWS` (MiniLM /
all-mpnet-base-v2 sentence vectors, context vectors, readable cue counts, the kind of the
preceding interviewer turn) with the class-weighted logistic head and in-fold offsets, on AnnoMI
folds grouped by conversation, and the learning curve of the shipped row. Sentence vectors are
cached in ``--cache-dir`` (cold, one thread: MiniLM on the 4,817 utterances and 7,253 context
texts, and with ``--mpnet`` all-mpnet-base-v2 on the utterances, 162 CPU s; the JSON's
``encoding`` records each); each row then costs 5-30 CPU s. Use ``--threads 1`` on a loaded machine.

    python benchmarks/stance_ablations.py --cache-dir /tmp/tt --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--cache-dir", default=None, help="keep/reuse sentence vectors here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2, help="torch threads while encoding")
    ap.add_argument("--rows", default=None, help="comma-separated row names (default: all)")
    ap.add_argument("--mpnet", action="store_true", help="add the rows on all-mpnet-base-v2 vectors (MPNET_ROWS)")
    ap.add_argument("--multilingual", action="store_true",
                    help="add the rows on the multilingual encoder's vectors (MULTILINGUAL_ROWS)")
    args = ap.parse_args(argv)

    import torch

    from levelone.training.stance_ablations import MPNET_ROWS, MULTILINGUAL_ROWS, ROWS, run_ablations
    from levelone.training.text import SHIPPED_ROW

    torch.set_num_threads(args.threads)
    shared = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
    every = ROWS + (MPNET_ROWS if args.mpnet else ()) + (MULTILINGUAL_ROWS if args.multilingual else ())
    rows = every if not args.rows else tuple(r for r in every if r.name in args.rows.split(","))
    c0, t0 = time.process_time(), time.perf_counter()
    res = run_ablations(shared, Path(args.cache_dir) if args.cache_dir else None, args.seed, rows,
                        curve_row=SHIPPED_ROW if any(r.name == SHIPPED_ROW for r in rows) else None,
                        log=lambda m: print(m, file=sys.stderr, flush=True))
    res.update({"benchmark": "stance ablations (honest folds)", "cpu_s_total": round(time.process_time() - c0, 1),
                "wall_s_total": round(time.perf_counter() - t0, 1), "machine": platform.processor() or
                platform.machine(), "cpu_count": os.cpu_count(), "torch": torch.__version__})
    print(f"{'row':<36} {'macro-F1':>8} {'change':>7} {'neutral':>7} {'sustain':>7} {'sess.AUC':>8} {'CPU s':>6}")
    for r in res["rows"]:
        pc = r["per_class_f1_pooled"]
        print(f"{r['row']:<36} {r['macro_f1_mean']:>8.4f} {pc['change']:>7.4f} {pc['neutral']:>7.4f} "
              f"{pc['sustain']:>7.4f} {r['session_auc']:>8.4f} {r['cpu_s']:>6.1f}")
    if "learning_curve" in res:
        lc = res["learning_curve"]["shares_of_training_conversations"]
        print("learning curve (" + res["learning_curve"]["row"] + "): " +
              ", ".join(f"{k}: {v['macro_f1_mean']}" for k, v in lc.items()))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
