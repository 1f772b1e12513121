"""Text encoder + heads throughput: sentences per second for batch sizes 1, 8, 32, 64.

Runs :class:`levelone.language.textaffect.TextAffect` (encoding, heads, confidence) over real client
utterances from AnnoMI (the shared data folder) with ``torch.set_num_threads(--threads)``; with
``--multilingual`` the multilingual heads level one uses for non-English speech
(:class:`levelone.language.multilingual.MultilingualAffect`, numpy with ``--threads`` BLAS threads).

    python benchmarks/text.py --json out.json
    python benchmarks/text.py --multilingual --json out.json
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


def sentences(n: int) -> list[str]:
    shared = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
    path = shared / "annomi" / "AnnoMI-simple.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: not found (set AHCUE_SHARED_DATA)")
    import pandas as pd

    d = pd.read_csv(path)
    texts = d.loc[d["interlocutor"] == "client", "utterance_text"].astype(str).tolist()
    return texts[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=256, help="sentences per batch size")
    ap.add_argument("--batch-sizes", default="1,8,32,64")
    ap.add_argument("--multilingual", action="store_true",
                    help="the multilingual heads (USE multilingual v3) instead of the English ones")
    args = ap.parse_args(argv)

    import torch

    from levelone.language.textaffect import TextAffect

    torch.set_num_threads(args.threads)
    texts = sentences(args.n)
    words = sum(len(t.split()) for t in texts) / len(texts)
    if args.multilingual:
        from levelone.language.multilingual import MultilingualAffect

        model = MultilingualAffect(threads=args.threads)
    else:
        model = TextAffect()
    model.score(texts[:8])  # load the encoder and heads outside the timing
    rows = []
    for bs in [int(b) for b in args.batch_sizes.split(",")]:
        model.batch_size = bs
        t0 = time.perf_counter()
        model.score(texts)
        dt = time.perf_counter() - t0
        rows.append({"batch_size": bs, "sentences": len(texts), "seconds": round(dt, 3),
                     "sentences_per_s": round(len(texts) / dt, 1)})
    which = "multilingual heads (USE)" if args.multilingual else "English heads"
    print(f"{which}: {len(texts)} AnnoMI client utterances (mean {words:.1f} words), threads {args.threads}")
    print(f"{'batch':>6} {'sent/s':>9} {'seconds':>9}")
    for r in rows:
        print(f"{r['batch_size']:>6} {r['sentences_per_s']:>9.1f} {r['seconds']:>9.2f}")
    if args.json:
        result = {"benchmark": "text affect throughput", "heads": which, "threads": args.threads,
                  "mean_words": round(words, 1), "machine": platform.processor() or platform.machine(),
                  "cpu_count": os.cpu_count(), "torch": torch.__version__, "results": rows}
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
