"""`ahcue predict`: the A/H prediction (prediction.json) for one video or FrameTable.

Prints a short summary (the decision, each segment with its top active cues); ``--json`` prints
prediction.json instead and ``-o`` writes it to a file.
"""
from __future__ import annotations

import argparse

from reports.commands import add_person_arguments

NAME = "predict"
HELP = "A/H prediction for one video with a trained or the default model"
EXAMPLES = """examples:
  ahcue predict clip.mp4                              a summary: decision, segments, their cues
  ahcue predict clip.mp4 --json > prediction.json     prediction.json on stdout
  ahcue predict features.parquet --model models/xgb --kind xgboost -o prediction.json"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", metavar="VIDEO|FEATURES.parquet",
                        help="a video file, or a FrameTable (.parquet) from `ahcue extract`")
    parser.add_argument("--model", metavar="DIR", default=None,
                        help="a model folder written by `ahcue train` (default: the shipped codebook prior)")
    parser.add_argument("--kind", metavar="KIND", default=None,
                        help="require the model to be of this kind (conflict, xgboost, codebook-prior, ...)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None, help="write prediction.json here")
    parser.add_argument("--json", action="store_true", help="print prediction.json on stdout instead of the summary")
    parser.add_argument("--threshold", type=float, default=None,
                        help="frame threshold in (0, 1) (default: the model's own)")
    parser.add_argument("--aggregation", default="sliding_max_24",
                        choices=("sliding_max_24", "mean_probability", "majority"),
                        help="how frame scores become the video score (default: sliding_max_24, as BAH)")
    parser.add_argument("--transcript", metavar="FILE", default=None,
                        help="transcript file (video input only; default: sidecar file or speech recognition)")
    add_person_arguments(parser)
    parser.add_argument("--cache-dir", metavar="DIR", default=None,
                        help="level-one cache folder (default $AHCUE_CACHE, else ~/.cache/ahcue)")
    parser.add_argument("--no-asr", action="store_true", help="do not transcribe when no transcript is given")
    parser.add_argument("--force", action="store_true", help="overwrite the --output file if it exists")


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from codebook.atomic import check_writable, write_text
    from codebook.errors import InputError
    from levelone.frametable import read
    from leveltwo.predict import predict_video
    from leveltwo.models import load_model
    from reports.html import active_cues, headline
    from reports.terminal import interactive

    src = Path(args.input)
    if not src.exists():
        raise InputError(src, "not found")
    if src.is_dir():
        raise InputError(src, "is a directory, not a video or a FrameTable")
    if args.threshold is not None and not 0 < args.threshold < 1:
        raise InputError(None, "--threshold must be between 0 and 1")
    if args.output:
        check_writable(args.output, args.force)
    model = load_model(args.model, args.kind)
    words = None
    has_audio = None
    if src.suffix.lower() == ".parquet":
        table = read(src)
    else:
        from levelone.media.video import probe
        from levelone.pipeline.extract import extract
        has_audio = bool(probe(src).has_audio)
        paths = extract(src, cache_dir=args.cache_dir, transcript=args.transcript, speaker=args.speaker,
                        neutral=args.neutral, person=args.person, asr=not args.no_asr,
                        progress=not args.json and interactive(sys.stderr))
        table = read(paths[0])
    if args.transcript:
        from levelone.media.transcript import load_conversation
        words = load_conversation(args.transcript, speaker=args.speaker)[0]
    pred = predict_video(model, table, threshold=args.threshold, aggregation=args.aggregation, words=words,
                         has_audio=has_audio)
    text = pred.to_json(indent=2)
    if args.output:
        write_text(args.output, text + "\n")
    if args.json:
        print(text)
    else:
        print(f"{pred.video_id}: {headline(pred, table)}")
        print(f"  {pred.model.describe()}; video score by {pred.aggregation}")
        if pred.summary is not None:
            print(f"  {pred.summary.describe()}")
        for s in pred.segments:
            named = active_cues(s, stated=pred.model.explanation == "model-stated")[:3]
            cues = ", ".join(f"{c.name} ({c.share:.0%})" for c in named) or "no single active cue"
            print(f"  {s.start_s:7.2f}-{s.end_s:7.2f} s  score {s.probability:.2f}  {cues}")
        if pred.missing_modalities:
            print(f"  no evidence from: {', '.join(pred.missing_modalities)}")
        heard = pred.transcript
        notes = () if heard is None else (heard.note, "" if heard.language_cues == "measured" else heard.language_cues)
        for line in notes:
            if line:
                print(f"  transcript: {line}")
        if args.output:
            print(f"wrote {args.output}")
    return 0
