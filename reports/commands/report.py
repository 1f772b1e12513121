"""`ahcue report OUTDIR`: re-render report.html from prediction.json + features.parquet."""
from __future__ import annotations

import argparse

NAME = "report"
HELP = "re-render report.html from an existing analyze output folder"
EXAMPLES = """examples:
  ahcue report out/interview                 rewrite out/interview/report.html in place
  ahcue report out/interview --video copy    copy the video next to the report (mail the folder)
  ahcue report out/interview --pdf           and print report.pdf (static: no video)

The report plays the analysed video beside its timeline. --video link (the default) points to the
file by a relative path; copy puts a copy next to report.html; embed puts it inside the HTML (up to
25 MB); none leaves it out. Re-rendering is this command's job, so it replaces report.html (and
report.pdf) without --force."""

VIDEO_HELP = ("how report.html gets the video: link (default; a relative path to the analysed file), copy "
              "(a copy next to the report), embed (inside the HTML, up to 25 MB), none")


def add_video_argument(parser: argparse.ArgumentParser) -> None:
    """``--video {link,copy,embed,none}``, shared by analyze and report."""
    from reports.video import VIDEO_MODES

    parser.add_argument("--video", dest="video_mode", choices=VIDEO_MODES, default="link", help=VIDEO_HELP)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUTDIR", help="a folder written by `ahcue analyze`")
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium")
    add_video_argument(parser)
    parser.add_argument("--force", action="store_true", help=argparse.SUPPRESS)  # accepted, no longer needed


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from codebook.errors import InputError
    from reports.html import write_report

    if not Path(args.out).is_dir():
        raise InputError(args.out, "not a folder (expected the output folder of `ahcue analyze`)")
    for path in write_report(args.out, pdf=args.pdf, video=args.video_mode):
        print(path)
    return 0
