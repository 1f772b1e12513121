"""`ahcue extract VIDEO|FOLDER|BAH_ROOT`: level one to FrameTables, cached and resumable.

For one video ``-o`` is the FrameTable path (default ``./<stem>.features.parquet``; an existing
file is kept unless ``--force``). For a folder or a BAH root ``-o`` is a folder of
``<video_id>.parquet`` files (default: inside the cache, printed at the end); outputs already up
to date are kept, others are replaced only with ``--force``. Datasets keep going past a bad video:
each failure is one line on stderr and the exit code is 2 when any video failed. A re-run resumes:
videos whose signals are cached are not decoded again. ``--engine ray`` runs one Ray task per
video on a local Ray instance or, with ``--address``, on a running cluster (README "On a cluster";
:mod:`levelone.pipeline.cluster` says where the cache lives).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reports.commands import add_person_arguments

NAME = "extract"
HELP = "level one: a video, a folder of videos or a BAH root to FrameTables"
EXAMPLES = """examples:
  ahcue extract clip.mp4 -o clip.features.parquet
  ahcue extract /data/BAH --workers 1 --cache-dir /scratch/ahcue-cache
  ahcue extract videos/ -o tables/ --no-asr
  ahcue extract session.mp4 --transcript session.json --speaker client
  ahcue extract answer.mp4 --neutral calm_intro.mp4 -o answer.features.parquet"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="VIDEO|FOLDER|BAH_ROOT", help="a video file, a folder of videos or a BAH root")
    parser.add_argument("-o", "--output", default=None, metavar="PATH",
                        help="one video: the FrameTable path (default ./<stem>.features.parquet); "
                             "a dataset: output folder of <video_id>.parquet (default: in the cache)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="videos extracted in parallel, each process holding its own models "
                             "(default: 1 with --engine pool; with --engine ray half the cores on a local instance, "
                             "every CPU of a cluster)")
    parser.add_argument("--engine", choices=("pool", "ray"), default="pool",
                        help="pool: local worker processes (default); ray: one Ray task per video, on a "
                             "local Ray instance or the cluster at --address (needs: pip install 'ahcue[cluster]')")
    parser.add_argument("--address", default=None, metavar="ADDR",
                        help="with --engine ray: join this running Ray cluster (HOST:6379, or 'auto' for the one "
                             "started on this machine) instead of starting a local instance")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="cache folder (default $AHCUE_CACHE, else <dataset>/.ahcue-cache, else ~/.cache/ahcue)")
    parser.add_argument("--transcript", default=None, metavar="FILE",
                        help="transcript for a single video (.yml BAH Whisper, .srt, .vtt, .eaf, .json)")
    add_person_arguments(parser)
    parser.add_argument("--no-asr", action="store_true",
                        help="never transcribe: without a transcript the text signals are missing")
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from codebook.atomic import check_writable
    from levelone.pipeline.extract import plan, run as run_extract
    from reports.terminal import interactive

    p = plan(args.input, args.transcript, args.speaker, args.neutral, person=args.person)
    out = args.output
    if p.kind == "video":
        out = Path(out) if out is not None else Path.cwd() / f"{p.jobs[0].path.stem}.features.parquet"
        check_writable(out, args.force)
    result = run_extract(p, out=out, workers=args.workers, cache_dir=args.cache_dir, asr=not args.no_asr,
                         force=args.force, progress=not args.quiet and not args.json and interactive(),
                         engine=args.engine, address=args.address)
    for failure in result.failures:
        print(f"ahcue extract: error: {failure}", file=sys.stderr)
    if args.json:
        print(json.dumps({"kind": p.kind, "videos": len(p.jobs), **result.to_json()}, indent=2))
    elif not args.quiet:
        n_ok = len(result.tables)
        print(f"{n_ok} of {len(p.jobs)} FrameTables -> {result.out}  "
              f"(signals: {result.computed} computed, {result.cached} cached; tables: "
              f"{result.assembled} written, {result.up_to_date} up to date; {result.wall_s:.1f} s; "
              f"cache {result.cache_dir})")
        if result.failures:
            print(f"{len(result.failures)} failed (listed above); re-run to retry them", file=sys.stderr)
    return 2 if result.failures else 0
