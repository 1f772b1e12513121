"""The ahcue version, read once from the installed distribution's metadata.

``pyproject.toml``'s ``version`` is the one place the number is written; everything that records a
version (model cards, ``prediction.json``, reports) imports :data:`__version__` from here.
"""
from __future__ import annotations

import re
from importlib import metadata

DISTRIBUTION = "ahcue"
UNKNOWN = "0+unknown"  # a source tree that was never installed (pip install -e .) has no metadata


def _installed_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN


__version__: str = _installed_version()


def major(version: str) -> int | None:
    """The major release number of a version string ('2.1.0' -> 2); None when it has none."""
    m = re.match(r"\s*v?(\d+)", str(version))
    return int(m.group(1)) if m else None
