"""Fixtures of the codebook tests: a hand-written BAH root (see bah_fixture.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bah_fixture import write_bah_root


@pytest.fixture
def bah_root(tmp_path) -> Path:
    return write_bah_root(tmp_path / "BAH root")
