"""One module per `ahcue` sub-command.

Each module defines ``NAME`` (the sub-command), ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their command runs, so `ahcue --help` stays
fast and no model loads at import time.
"""

import argparse


def add_person_arguments(parser: argparse.ArgumentParser) -> None:
    """``--person``, ``--speaker`` and ``--neutral``: who the person in the video is, shared by the
    commands that extract level one from a video (analyze, extract, predict)."""
    parser.add_argument("--person", default=None, metavar="WHO",
                        help="which face is the person, where several are seen: left, right, largest or their "
                             "number as the report lists them (1 = leftmost); default: the face on screen "
                             "longest, then the largest. Other people's faces, bodies, voices and words are "
                             "never taken as the person's")
    parser.add_argument("--speaker", default=None, metavar="NAME",
                        help="the person in the video, where the transcript holds several speakers: their JSON "
                             "'speaker' label or their ELAN tier; the other speakers' turns become the stance "
                             "model's context")
    parser.add_argument("--neutral", default=None, metavar="VIDEO",
                        help="a recording of the same person declared neutral (a calm answer, a calibration "
                             "question): it joins their baseline and their neutral face becomes the reference of "
                             "facial affect")


# (module, command name, one-line help). Order is the order `ahcue --help` lists them.
COMMANDS: list[tuple[str, str, str]] = [
    ("analyze", "analyze", "everything for one video: features, prediction, ELAN file, report"),
    ("extract", "extract", "level one: a video, a folder of videos or a BAH root to FrameTables"),
    ("train", "train", "train a conflict detector (or the xgboost baseline) on a BAH root"),
    ("evaluate", "evaluate", "score a model on a BAH split with BAH's exact metrics"),
    ("predict", "predict", "A/H prediction for one video with a trained or the default model"),
    ("report", "report", "re-render report.html from an existing analyze output folder"),
    ("compare", "compare", "compare the model's explanations with the annotators' cues"),
    ("codebook", "codebook", "the cue vocabulary (list, show) and cue statistics (stats)"),
    ("text_affect", "text-affect", "score a table of texts with the text valence and stance models"),
    ("train_text", "train-text", "train the text valence and stance heads on the shared public data"),
    ("calibrate", "calibrate", "calibrate cue thresholds and the default model on real reference speech"),
    ("demo_corpus", "demo-corpus", "generate a small BAH-format corpus from real media (test fixture)"),
]
