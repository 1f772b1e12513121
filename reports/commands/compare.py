"""`ahcue compare`: the model's explanations against the annotators' cues.

Two forms: ``ahcue compare DATASET_ROOT [--model DIR] --split test`` over a BAH split, and
``ahcue compare --prediction OUTDIR/prediction.json --annotations FILE [--model DIR]`` for one
analysed video. Without ``--model`` the shipped codebook prior is used.
"""
from __future__ import annotations

import argparse
import json

NAME = "compare"
HELP = "compare the model's explanations with the annotators' cues"
EXAMPLES = """examples:
  ahcue compare /data/BAH --model models/conflict --split test -o eval/compare
  ahcue compare /data/BAH --split all                  the shipped codebook prior on every split
  ahcue compare --prediction out/clip/prediction.json --annotations clip.eaf

Beside the model, every metric is reported for three baselines: the same explanations shuffled
across segments (on one video with a single segment this control is omitted, with a note), cues
ranked by their raw level-one activation, and cues ranked by how often annotators use them in
the codebook statistics. hit@k and MRR carry 95% bootstrap intervals over segments."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="DATASET_ROOT", nargs="?", help="a BAH-format dataset root")
    parser.add_argument("--model", metavar="DIR",
                        help="a model folder written by `ahcue train` (default: the shipped codebook prior)")
    parser.add_argument("--kind", metavar="KIND", help="require the model to be of this kind")
    parser.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                        help="split to compare on, or 'all' (default: test)")
    parser.add_argument("--prediction", metavar="FILE", help="one video's prediction.json (from `ahcue analyze`)")
    parser.add_argument("--annotations", metavar="FILE",
                        help="with --prediction: the annotators' .eaf, .csv or BAH .yaml (FILE or FILE::KEY)")
    parser.add_argument("-o", "--output", metavar="OUTDIR",
                        help="write comparison.csv, comparison.json and comparison.png here")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the shuffled control and the bootstrap (default 0)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="level-one worker processes (dataset form)")
    parser.add_argument("--cache-dir", metavar="DIR", help="level-one cache folder (dataset form)")
    parser.add_argument("--no-asr", action="store_true", help="do not transcribe videos without a transcript")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def run(args: argparse.Namespace) -> int:
    from codebook.errors import InputError
    from reports import compare
    from reports.terminal import interactive

    if args.prediction:
        if args.root:
            raise InputError(args.root, "give either --prediction or MODEL DATASET_ROOT, not both")
        if not args.annotations:
            raise InputError(args.prediction, "--prediction needs --annotations FILE")
        rows, summary = compare.compare_prediction(args.prediction, args.annotations, args.model, seed=args.seed,
                                                   kind=args.kind)
    else:
        if not args.root:
            raise InputError(None, "usage: ahcue compare DATASET_ROOT [--model DIR] [--split test] "
                                   "or ahcue compare --prediction FILE --annotations FILE")
        rows, summary = compare.compare_dataset(args.model, args.root, split=args.split, seed=args.seed,
                                                workers=args.workers, cache_dir=args.cache_dir,
                                                asr=not args.no_asr, progress=not args.quiet and interactive(),
                                                kind=args.kind)
    if not rows:
        raise InputError(args.annotations or args.root, "no annotated A/H segment carries cues: nothing to compare")
    if args.output:
        for path in compare.write_outputs(args.output, rows, summary, force=args.force):
            if not args.json and not args.quiet:
                print(f"wrote {path}")
    if args.json:
        print(json.dumps(compare.json_safe(summary), indent=2))
    else:
        print(compare.summary_table(summary))
    return 0
