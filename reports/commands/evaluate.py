"""`ahcue evaluate`: BAH's exact metrics for a model on a split, with per-frame predictions and figures."""
from __future__ import annotations

import argparse

NAME = "evaluate"
HELP = "score a model on a BAH split with BAH's exact metrics"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model directory (from `ahcue train`), or 'default' for the codebook prior")
    parser.add_argument("dataset_root", help="BAH root")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"))
    parser.add_argument("-o", "--output", required=True, help="folder for metrics.json, predictions.csv, figures")
    parser.add_argument("--adapt", choices=("none", "tta"), default="none",
                        help="tta: per-participant test-time adaptation, online over each participant's videos "
                             "in split order (default none)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--no-asr", action="store_true")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--json", action="store_true", help="print metrics.json instead of the summary")
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from codebook.atomic import check_writable
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.evaluate import OUTPUTS, evaluate_split, summary, write_evaluation
    from leveltwo.models import load_model

    for name in OUTPUTS:
        check_writable(Path(args.output) / name, args.force)
    from leveltwo.tta import adapt

    model = adapt(load_model(None if args.model == "default" else args.model), args.adapt)
    tables = extract_tables(args.dataset_root, cache_dir=args.cache_dir, workers=args.workers,
                            asr=not args.no_asr, progress=not (args.quiet or args.json))
    split = load_split(args.dataset_root, args.split, tables)
    result, preds = evaluate_split(model, split)
    write_evaluation(args.output, result, preds, force=args.force)
    if args.json:
        print(json.dumps(result, indent=2))
    elif not args.quiet:
        print(summary(result))
        print("(scores on this split; on a generated corpus they test the pipeline, not accuracy on people)")
        print(f"wrote {args.output}")
    return 0
