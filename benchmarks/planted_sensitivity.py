"""The sensitivity side of the default model's operating point: planted A/H in generated demo corpora
(issue 24). A system test, not accuracy on people and not a target the calibration is fitted to.

For each seed: ``ahcue demo-corpus`` with ``--participants`` people, level one (no ASR: the corpus
ships its transcripts) over the videos of the test split's participants only (baselines are per
participant, so the other participants change nothing), then the shipped default model's frame
AVGF1 at its threshold and frame AP on the test split, and the same AVGF1 for a sweep of quiet
shifts (what a more or less conservative operating point would have given).

    python benchmarks/planted_sensitivity.py --json /tmp/planted.json --seeds 11 12 --participants 6
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before this folder, whose levelone.py would shadow the package

SHIFTS = (-1.0, -0.5, -0.297, 0.0, 0.25, 0.5, 1.0)  # quiet shifts (logits) of the sweep


def seed_result(root: Path, cache: Path) -> dict:
    from codebook.bah import BAHDataset
    from levelone.pipeline.extract import plan, run
    from leveltwo import metrics as M
    from leveltwo.dataset import load_split
    from leveltwo.models import codebook_prior, load_model, prior_calibration

    test_pids = {v.participant_id for v in BAHDataset(root).videos("test")}
    p = plan(root)
    p = replace(p, jobs=[j for j in p.jobs if j.participant_id in test_pids])
    result = run(p, workers=1, cache_dir=cache, asr=False, progress=False)
    if result.failures:
        raise SystemExit(f"level one failed: {result.failures[:1]}")
    split = load_split(root, "test", dict(result.tables))
    y = np.concatenate(split.labels)

    def frame_scores(model) -> dict:
        p1 = np.concatenate([model.predict_proba(t) for t in split.tables])
        thr = float(getattr(model, "threshold_", 0.5))
        return {"avgf1": round(M.avg_f1(y, (p1 >= thr).astype(int)), 4),
                "ap": round(M.average_precision(y, p1), 4), "predicted_positive": int((p1 >= thr).sum()),
                "true_positive": int(((p1 >= thr) & (y == 1)).sum())}

    shipped = frame_scores(load_model(None))
    sweep = {f"{s:g}": frame_scores(codebook_prior(quiet=s))["avgf1"] for s in SHIFTS}
    return {"participants_test": sorted(test_pids), "videos": len(split.tables), "frames": int(y.size),
            "positive_frames": int(y.sum()), "shipped": shipped,
            "shipped_quiet_shift_logit": prior_calibration().get("quiet_shift_logit"),
            "avgf1_by_quiet_shift": sweep}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, metavar="PATH")
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    ap.add_argument("--participants", type=int, default=6)
    ap.add_argument("--work", default=str(Path.home() / ".cache" / "ahcue" / "planted"),
                    help="corpora and their level-one cache (reused between runs)")
    args = ap.parse_args(argv)
    from levelone.democorpus.build import generate

    work = Path(args.work)
    out = {"participants": args.participants, "split": "test", "runs": {}}
    for seed in args.seeds:
        t0 = time.perf_counter()
        root = work / f"p{args.participants}-s{seed}"
        if not (root / "split").is_dir():
            generate(root, participants=args.participants, seed=seed)
        r = seed_result(root, work / "cache")
        r["wall_s"] = round(time.perf_counter() - t0, 1)
        out["runs"][str(seed)] = r
        print(f"seed {seed}: {r['videos']} test videos, {r['positive_frames']}/{r['frames']} A/H frames; shipped "
              f"default AVGF1 {r['shipped']['avgf1']} AP {r['shipped']['ap']} (quiet shift "
              f"{r['shipped_quiet_shift_logit']}); AVGF1 by shift {r['avgf1_by_quiet_shift']}", flush=True)
        out["load_average"] = os.getloadavg()
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
