"""One module per `ahcue` sub-command.

Each module defines ``NAME`` (the sub-command), ``HELP`` (one line), ``EXAMPLES``,
``add_arguments(parser)`` and ``run(args) -> int``; :data:`COMMANDS` lists the modules in help
order. Modules are imported only when their command runs, so `ahcue --help` stays fast and no
model loads at import time.
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


# The command modules, in the order `ahcue --help` lists them. Each module's ``NAME`` and ``HELP``
# are the one source of the sub-command's name and one-line help (reports/cli.py reads them).
COMMANDS: tuple[str, ...] = ("analyze", "extract", "train", "evaluate", "predict", "report", "compare", "codebook",
                             "text_affect", "train_text", "calibrate", "demo_corpus")
