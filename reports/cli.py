"""The `ahcue` command: a thin dispatcher over :mod:`reports.commands`.

User errors (:class:`codebook.errors.InputError`) become one line on stderr and exit code 2;
anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from codebook.errors import InputError
from reports.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ahcue",
        description="Recognise ambivalence/hesitancy (A/H) in videos and explain it in codebook cues.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module, name, help_ in COMMANDS:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(_module=module)
        _command_module(module).add_arguments(p)
    return parser


def _command_module(module: str):
    return importlib.import_module(f"reports.commands.{module}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    try:
        return int(_command_module(args._module).run(args) or 0)
    except InputError as err:
        print(f"ahcue {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ahcue {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
