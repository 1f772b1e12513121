"""`ahcue predict`: the A/H prediction (prediction.json) for one video or FrameTable."""
from __future__ import annotations

import argparse

NAME = "predict"
HELP = "A/H prediction for one video with a trained or the default model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="a video file, or a FrameTable (.parquet) from `ahcue extract`")
    parser.add_argument("--model", default=None, help="model directory (default: the shipped codebook prior)")
    parser.add_argument("-o", "--output", default=None, help="write prediction.json here")
    parser.add_argument("--json", action="store_true", help="print prediction.json to stdout")
    parser.add_argument("--threshold", type=float, default=None, help="frame threshold (default: the model's)")
    parser.add_argument("--aggregation", default="sliding_max_24",
                        choices=("sliding_max_24", "mean_probability", "majority"))
    parser.add_argument("--transcript", default=None, help="transcript file (video input only)")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--no-asr", action="store_true")
    parser.add_argument("--force", action="store_true")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from codebook.atomic import check_writable, write_text
    from codebook.errors import InputError
    from levelone.frametable import read
    from leveltwo.models import load_model
    from leveltwo.predict import predict_video

    src = Path(args.input)
    if not src.exists():
        raise InputError(src, "not found")
    if args.threshold is not None and not 0 < args.threshold < 1:
        raise InputError(None, "--threshold must be between 0 and 1")
    if args.output:
        check_writable(args.output, args.force)
    model = load_model(args.model)
    words = None
    if src.suffix.lower() == ".parquet":
        table = read(src)
    else:
        from levelone.pipeline.extract import extract
        paths = extract(src, cache_dir=args.cache_dir, transcript=args.transcript, asr=not args.no_asr,
                        progress=not args.json)
        table = read(paths[0])
    if args.transcript:
        from levelone.media.transcript import load_transcript
        words = load_transcript(args.transcript)
    pred = predict_video(model, table, threshold=args.threshold, aggregation=args.aggregation, words=words)
    text = pred.to_json(indent=2)
    if args.output:
        write_text(args.output, text + "\n")
    if args.json:
        print(text)
    else:
        kind = pred.model["kind"] + ("" if pred.model["trained"] else ", untrained codebook prior")
        print(f"{pred.video_id}: A/H {'likely' if pred.label else 'not likely'} "
              f"(p = {pred.probability:.2f} by {pred.aggregation}, threshold {pred.threshold:.2f}; model {kind})")
        for s in pred.segments:
            cues = ", ".join(f"{c['name']} ({c['share']:.0%})" for c in s["cues"][:3])
            print(f"  {s['start_s']:7.2f}-{s['end_s']:7.2f} s  p {s['probability']:.2f}  {cues}")
        if pred.missing_modalities:
            print(f"  no evidence from: {', '.join(pred.missing_modalities)}")
        if args.output:
            print(f"wrote {args.output}")
    return 0
