"""The one exception type for problems with a user's input.

Anything a user can fix (a missing file, a malformed YAML, a split line with too few fields)
raises :class:`InputError`; the CLI prints it as one line on stderr and exits with code 2.
Every other exception is a bug in ahcue and may show a traceback.
"""
from __future__ import annotations

from os import PathLike


class InputError(Exception):
    """A user-fixable problem with an input file, folder or argument.

    ``str(err)`` is one line: ``<path>[:<line>]: <problem>``.
    """

    def __init__(self, path: str | PathLike | None, problem: str, line: int | None = None):
        self.path = None if path is None else str(path)
        self.problem = " ".join(str(problem).split())  # always one line
        self.line = line
        super().__init__(str(self))

    def __reduce__(self):
        """Pickle by fields: the error crosses process boundaries (worker pools, Ray tasks)."""
        return type(self), (self.path, self.problem, self.line)

    def __str__(self) -> str:
        if self.path is None:
            return self.problem
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.problem}"
