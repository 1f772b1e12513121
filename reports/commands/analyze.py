"""`ahcue analyze VIDEO -o OUTDIR`: features, prediction, ELAN file and report for one video."""
from __future__ import annotations

import argparse
import sys

from reports.commands import add_person_arguments
from reports.commands.report import add_video_argument

NAME = "analyze"
HELP = "everything for one video: features, prediction, ELAN file, report"
EXAMPLES = """examples:
  ahcue analyze interview.mp4 -o out/interview
  ahcue analyze clip.flv -o out/clip --transcript clip.srt --annotations clip.eaf --pdf
  ahcue analyze clip.mp4 -o out/clip --model models/conflict --kind conflict --force
  ahcue analyze clip.mp4 -o out/clip --video copy    report.html plays a copy kept beside it
  ahcue analyze zoom_call.mp4 -o out/call --person right # two faces: analyse the one on the right

Any container ffmpeg decodes works (.mp4 .mov .mkv .webm .avi .mpg .flv .m4v .wmv .3gp .ts .ogv ...).
Annotation CSV columns: video_id, start_s, end_s (required); label (1 = A/H, default 1); face,
language, audio, body (cue names, ';'-separated, as `ahcue codebook list` spells them or as
annotators wrote them); pairs (e.g. FL;LB); certainty; annotator. Annotations for another video,
or running past its end, are refused. report.html plays the video beside its timeline: --video
link (default) points to it by a relative path, copy, embed (up to 25 MB) or none; browsers play
MP4 (H.264) and WebM, so convert other containers to watch them in the report."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", metavar="VIDEO", help="the video file (any container ffmpeg can decode)")
    parser.add_argument("-o", "--output", required=True, metavar="OUTDIR",
                        help="output folder (features.parquet, prediction.json, segments.eaf, report.html)")
    parser.add_argument("--transcript", metavar="FILE",
                        help="transcript with word times (.srt .vtt .eaf .json, BAH .yml); default: a sidecar "
                             "file beside the video, else offline speech recognition")
    add_person_arguments(parser)
    parser.add_argument("--annotations", metavar="FILE",
                        help="annotators' segments for this video: .eaf, .csv (columns below), or BAH's "
                             "annotation .yaml (FILE or FILE::KEY)")
    parser.add_argument("--model", metavar="DIR",
                        help="a model folder written by `ahcue train` (default: the shipped, untrained codebook prior)")
    parser.add_argument("--kind", metavar="KIND",
                        help="require the model to be of this kind (conflict, xgboost, codebook-prior, ...)")
    parser.add_argument("--adapt", choices=("none", "tta"), default="none",
                        help="tta: adapt to this person at test time (online, per participant; its own "
                             "explanation term); default none")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="level one's cache (default: $AHCUE_CACHE, else ~/.cache/ahcue)")
    parser.add_argument("--no-asr", action="store_true", help="do not transcribe when no transcript is given")
    parser.add_argument("--pdf", action="store_true", help="also print report.pdf with headless Chromium")
    add_video_argument(parser)
    parser.add_argument("--force", action="store_true", help="overwrite existing outputs in OUTDIR")
    parser.add_argument("--json", action="store_true", help="print prediction.json on stdout instead of the summary")
    parser.add_argument("--quiet", action="store_true", help="no progress display and no summary")


def run(args: argparse.Namespace) -> int:
    from reports.analyze import StageLog, analyze
    from reports.html import headline
    from reports.terminal import interactive

    log = None if args.quiet else StageLog(sys.stderr)
    result = analyze(args.video, args.output, transcript=args.transcript, speaker=args.speaker, neutral=args.neutral,
                     person=args.person,
                     model_dir=args.model,
                     annotation=args.annotations, asr=not args.no_asr, force=args.force,
                     progress=not args.quiet and interactive(sys.stderr), pdf=args.pdf, on_stage=log,
                     kind=args.kind, adapt=args.adapt, video_mode=args.video_mode, cache_dir=args.cache_dir)
    if log is not None:
        log.done()
    if args.json:
        print(result.prediction.to_json(indent=1))
    elif not args.quiet:
        print(headline(result.prediction))
        heard = result.prediction.transcript
        if heard is not None:
            for line in (heard.note, "" if heard.language_cues == "measured" else heard.language_cues):
                if line:
                    print(f"  transcript: {line}")
        if result.prediction.summary is not None:
            print(f"  {result.prediction.summary.describe()}")
        for name, path in result.files.items():
            print(f"  {name:<17} {path}")
    return 0
