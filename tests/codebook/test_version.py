"""The version is written once (pyproject.toml) and read from the installed metadata everywhere."""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from codebook.version import __version__, major

REPO = Path(__file__).resolve().parents[2]


def test_version_comes_from_the_installed_metadata():
    assert __version__ == metadata.version("ahcue")
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.M).group(1) == __version__


def test_major():
    assert major("0.1.0") == 0 and major("2.10.3rc1") == 2 and major("v3") == 3 and major("0+unknown") == 0
    assert major("") is None and major("unknown") is None


def test_no_version_literal_in_the_packages():
    """No module types the version number: they import it (a test that fails on a copy)."""
    literal = re.compile(r"""['"]%s['"]""" % re.escape(__version__))
    hits = [str(p.relative_to(REPO)) for pkg in ("codebook", "levelone", "leveltwo", "reports")
            for p in (REPO / pkg).rglob("*.py") if literal.search(p.read_text())]
    assert hits == []
