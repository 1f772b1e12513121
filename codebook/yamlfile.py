"""Reading a user's YAML data file safely, with one-line errors.

Only plain YAML (:func:`safe_load`): no tags that construct Python objects. BAH's own files need
the ``!!python/tuple`` tag; :mod:`codebook.bah` has the loader that allows exactly that one.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codebook.errors import InputError

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through libyaml's parser when PyYAML was built with it: the same safe
    constructor and resolver, ~15x faster (the codebook's vocabulary: 0.13 s in pure Python, read
    at every start of the ``ahcue`` command)."""
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader


def read_yaml(path: str | Path, what: str) -> Any:
    """Parse ``path``; unreadable or malformed files raise InputError naming ``what`` it should be."""
    path = Path(path)
    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(path, f"cannot read {what}: {str(err).splitlines()[0]}") from None
