"""`ahcue report OUTDIR`: re-render report.html from prediction.json + features.parquet."""
from __future__ import annotations

import argparse

NAME = "report"
HELP = "re-render report.html from an existing analyze output folder"
EXAMPLES = """examples:
  ahcue report out/interview           rewrite out/interview/report.html in place
  ahcue report out/interview --pdf     and print report.pdf

Re-rendering is this command's job, so it replaces report.html (and report.pdf) without --force."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUTDIR", help="a folder written by `ahcue analyze`")
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium")
    parser.add_argument("--force", action="store_true", help=argparse.SUPPRESS)  # accepted, no longer needed


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from codebook.errors import InputError
    from reports.html import write_report

    if not Path(args.out).is_dir():
        raise InputError(args.out, "not a folder (expected the output folder of `ahcue analyze`)")
    for path in write_report(args.out, pdf=args.pdf):
        print(path)
    return 0
