"""`ahcue evaluate`: BAH's exact metrics for a model on a split, with per-frame predictions and figures."""
from __future__ import annotations

import argparse

NAME = "evaluate"
HELP = "score a model on a BAH split with BAH's exact metrics"
EXAMPLES = """examples:
  ahcue evaluate /data/BAH --model models/conflict --split test -o eval/conflict
  ahcue evaluate /data/BAH --split test -o eval/prior        the shipped codebook prior"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset_root", metavar="DATASET_ROOT", help="a BAH-format dataset root")
    parser.add_argument("--model", metavar="DIR",
                        help="a model folder written by `ahcue train` (default: the shipped codebook prior)")
    parser.add_argument("--kind", metavar="KIND", help="require the model to be of this kind")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"),
                        help="split to score (default: test)")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                        help="folder for metrics.json, predictions.csv and figures")
    parser.add_argument("--adapt", choices=("none", "tta"), default="none",
                        help="tta: per-participant test-time adaptation, online over each participant's videos "
                             "in split order (default none)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="level-one worker processes")
    parser.add_argument("--cache-dir", default=None, metavar="DIR", help="level-one cache folder")
    parser.add_argument("--no-asr", action="store_true", help="do not transcribe videos without a transcript")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs in OUTDIR")
    parser.add_argument("--json", action="store_true", help="print metrics.json instead of the summary")
    parser.add_argument("--quiet", action="store_true", help="no progress display and no summary")


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from codebook.atomic import check_writable
    from leveltwo.dataset import extract_tables, load_split
    from leveltwo.evaluate import OUTPUTS, evaluate_split, summary, write_evaluation
    from leveltwo.models import load_model
    from reports.terminal import interactive

    for name in OUTPUTS:
        check_writable(Path(args.output) / name, args.force)
    from leveltwo.tta import adapt

    model = adapt(load_model(args.model, args.kind), args.adapt)
    tables = extract_tables(args.dataset_root, cache_dir=args.cache_dir, workers=args.workers,
                            asr=not args.no_asr, progress=not (args.quiet or args.json) and interactive())
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
