"""`ahcue demo-corpus OUT`: generate the small BAH-format corpus used as test fixture and demo.

The corpus is built from real faces and synthetic speech with planted A/H moments; it exercises
the pipeline end to end but says nothing about accuracy on people.
"""
from __future__ import annotations

import argparse

NAME = "demo-corpus"
HELP = "generate a small BAH-format corpus from real media (test fixture)"
EXAMPLES = """examples:
  ahcue demo-corpus /tmp/demo --participants 3 --seed 0
  ahcue demo-corpus /tmp/demo --participants 1 --questions 1,4 --no-long-video --force"""


def _questions(text: str) -> list[int]:
    try:
        qs = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected question numbers like 1,4,7, got {text!r}") from None
    if not qs or any(q < 1 or q > 7 for q in qs):
        raise argparse.ArgumentTypeError(f"question numbers must be 1-7, got {text!r}")
    return qs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="folder to create (the corpus root)")
    parser.add_argument("--participants", type=int, default=3, help="number of people (1-12, default 3)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--questions", type=_questions, default=None,
                        help="comma-separated question numbers every participant answers (default: 3 drawn per person)")
    parser.add_argument("--no-long-video", action="store_true",
                        help="skip the one ~32 s answer whose transcript times restart like Whisper's")
    parser.add_argument("--shift", action="store_true",
                        help="held-out (test) participants get their own style: one moves the head more, one speaks "
                             "faster, one barely moves (a test of adaptation, not a claim about people)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it is an existing demo corpus")


def run(args: argparse.Namespace) -> int:
    from levelone.democorpus.build import generate, load_planted

    root = generate(args.out, participants=args.participants, seed=args.seed, questions=args.questions,
                    long_video_s=None if args.no_long_video else 32.0, force=args.force, shift=args.shift)
    planted = load_planted(root)["videos"]
    n_ah = sum(v["label"] for v in planted.values())
    n_seg = sum(len(v["segments"]) for v in planted.values())
    n_frames = sum(v["n_frames"] for v in planted.values())
    print(f"{root}: {len(planted)} videos ({n_ah} with A/H, {n_seg} planted segments), {n_frames} frames; "
          f"ground truth in {root / 'ahcue_planted.json'}")
    return 0
