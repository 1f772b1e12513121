"""`ahcue analyze VIDEO -o OUTDIR`: features, prediction, ELAN file and report for one video."""
from __future__ import annotations

import argparse
import json
import sys

NAME = "analyze"
HELP = "everything for one video: features, prediction, ELAN file, report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="the video file")
    parser.add_argument("-o", "--out", required=True, metavar="OUTDIR",
                        help="output folder (features.parquet, prediction.json, segments.eaf, report.html)")
    parser.add_argument("--transcript", metavar="FILE",
                        help="transcript with word times (.srt .vtt .eaf .json, BAH .yml)")
    parser.add_argument("--annotations", metavar="FILE",
                        help="annotators' segments: .eaf, .csv, or BAH's annotation .yaml (FILE or FILE::KEY)")
    parser.add_argument("--model", metavar="DIR", help="trained model folder (default: the shipped codebook prior)")
    parser.add_argument("--adapt", choices=("none", "tta"), default="none",
                        help="tta: adapt to this person at test time (online, per participant; its own "
                             "explanation term); default none")
    parser.add_argument("--no-asr", action="store_true", help="do not transcribe when no transcript is given")
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs")
    parser.add_argument("--json", action="store_true", help="print prediction.json on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress display")


def run(args: argparse.Namespace) -> int:
    from reports.analyze import analyze, stage_printer
    from reports.html import headline

    result = analyze(args.video, args.out, transcript=args.transcript, model_dir=args.model,
                     annotation=args.annotations, asr=not args.no_asr, force=args.force,
                     progress=not args.quiet, pdf=args.pdf,
                     on_stage=None if args.quiet else stage_printer(sys.stderr), adapt=args.adapt)
    if args.json:
        print(json.dumps(result["prediction"], indent=1))
    elif not args.quiet:
        print(headline(result["prediction"]))
        for name, path in result["files"].items():
            print(f"  {name:<17} {path}")
    return 0
