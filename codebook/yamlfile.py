"""Reading a user's YAML data file safely, with one-line errors.

Only plain YAML (``yaml.safe_load``): no tags that construct Python objects. BAH's own files need
the ``!!python/tuple`` tag; :mod:`codebook.bah` has the loader that allows exactly that one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codebook.errors import InputError


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse ``path``; unreadable or malformed files raise InputError naming ``what`` it should be."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(path, f"cannot read {what}: {str(err).splitlines()[0]}") from None
