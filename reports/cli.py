"""The `ahcue` command: a thin dispatcher over :mod:`reports.commands`.

User errors (:class:`codebook.errors.InputError`) become one line on stderr and exit code 2;
anything else is a bug and keeps its traceback. Native libraries' start-up chatter never reaches
the terminal (:func:`reports.terminal.native_noise_filtered`).

Examples::

    ahcue analyze interview.mp4 -o out/interview        # report.html, prediction.json, ELAN file
    ahcue report out/interview                          # re-render the report after an upgrade
    ahcue compare /data/BAH --split test -o eval/compare        # the shipped codebook prior
    ahcue codebook show "Filler sound"
"""
from __future__ import annotations

import argparse
import atexit
import importlib
import os
import sys
import threading
from pathlib import Path
from typing import NoReturn

from codebook.errors import InputError
from reports.commands import COMMANDS

EXAMPLES = """examples:
  ahcue analyze interview.mp4 -o out/interview       features, prediction, ELAN file, report.html
  ahcue analyze clip.flv -o out/clip --annotations clip.eaf --pdf
  ahcue report out/interview                         re-render report.html in place
  ahcue train /data/BAH --kind conflict -o models/conflict
  ahcue train /data/BAH --kind fusion -o models/fusion      the comparator (also: --kind xgboost)
  ahcue compare /data/BAH --model models/conflict --split test -o eval/compare
  ahcue codebook show "Filler sound"

'ahcue COMMAND --help' shows each command's options and examples."""


def version() -> str:
    """The installed package's version (from its metadata; one source of truth)."""
    from importlib import metadata

    try:
        return metadata.version("ahcue")
    except metadata.PackageNotFoundError:
        return "0+unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ahcue",
        description="Recognise ambivalence/hesitancy (A/H) in videos and explain it in codebook cues.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ahcue {version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        mod = _command_module(module)
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP, epilog=getattr(mod, "EXAMPLES", None),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(_module=module)
        mod.add_arguments(p)
    return parser


def _command_module(module: str):
    return importlib.import_module(f"reports.commands.{module}")


PRELOAD_COMMANDS = ("extract", "analyze")  # commands whose first argument is usually a video to analyse


def _preload_vision(argv: list[str]) -> threading.Thread | None:
    """For ``ahcue extract|analyze VIDEO``, start importing MediaPipe now, beside the command's own
    imports (:func:`levelone.pipeline.preload.import_models_in_background`).
    None when the first argument is not a file (a folder's videos run in workers, help, a typo)."""
    if len(argv) < 2 or argv[0] not in PRELOAD_COMMANDS or not Path(argv[1]).is_file() \
            or any(a in ("-h", "--help") for a in argv):
        return None
    from levelone.pipeline.preload import import_models_in_background
    return import_models_in_background()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    _preload_vision(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    from reports.terminal import native_noise_filtered

    try:
        with native_noise_filtered():
            return int(_command_module(args._module).run(args) or 0)
    except InputError as err:
        print(f"ahcue {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ahcue {args.command}: interrupted", file=sys.stderr)
        return 130


def _only_thread_left() -> bool:
    """True when every other thread still alive is a daemon (nothing is left to wait for)."""
    return not any(t.is_alive() and not t.daemon for t in threading.enumerate()
                   if t is not threading.main_thread())


def run() -> NoReturn:
    """The ``ahcue`` command: :func:`main`, then end the process without tearing the interpreter down.

    Tearing down a process that has loaded MediaPipe, pandas and the models frees every module
    and object one by one, after the work is done (``benchmarks/cold_start.py --parts`` times it
    both ways). When ``main`` returns every output is already written, closed and renamed into
    place, so the exit handlers run (temporary folders, worker pools), the standard streams are
    flushed and the process ends. Were a non-daemon thread still running, it exits the ordinary
    way, which waits for it.
    """
    code = main()
    if not _only_thread_left():
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (ahcue ... | head) or a closed stream
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
