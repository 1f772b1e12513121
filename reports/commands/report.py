"""`ahcue report OUTDIR`: re-render report.html from prediction.json + features.parquet."""
from __future__ import annotations

import argparse

NAME = "report"
HELP = "re-render report.html from an existing analyze output folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUTDIR", help="a folder written by `ahcue analyze`")
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium")
    parser.add_argument("--force", action="store_true", help="overwrite report.html / report.pdf")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from codebook.errors import InputError
    from reports.html import write_report

    if not Path(args.out).is_dir():
        raise InputError(args.out, "not a folder (expected the output folder of `ahcue analyze`)")
    for path in write_report(args.out, force=args.force, pdf=args.pdf):
        print(path)
    return 0
