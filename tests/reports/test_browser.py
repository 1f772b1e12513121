"""report.html opened in headless Chromium: it renders (a non-blank page) and prints to PDF."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from report_fixtures import HOSTILE, make_frametable, make_prediction, segment
from reports.html import print_pdf, render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def _report(tmp_path):
    table = make_frametable(bursts={"body.shake": (100, 150), "face.gaze": (180, 220)})
    pred = make_prediction(table, [segment(96, 156, 24.0, 0.78, [("body.shake", 0.6)], [("FB", 0.2)],
                                           transcript=HOSTILE)])
    path = tmp_path / "report.html"
    path.write_text(render_report(pred, table), encoding="utf-8")
    return path


def test_report_renders_in_headless_chromium(tmp_path):
    from matplotlib.image import imread

    path = _report(tmp_path)
    png = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,2000",
           path.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    assert png.is_file()
    img = imread(png)[..., :3]
    assert img.shape[:2] == (2000, 1280)
    grey = img.mean(axis=2)
    assert grey.std() > 0.05  # text, figure and cards, not a blank page
    assert (grey < 0.5).mean() > 0.005  # a real amount of dark ink (text, curves)
    # the embedded figure drew: some rows hold the modality colours (not just grey text)
    saturation = img.max(axis=2) - img.min(axis=2)
    assert (saturation > 0.3).mean() > 0.001


def test_report_prints_to_pdf(tmp_path):
    path = _report(tmp_path)
    pdf = print_pdf(path, tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000
    assert not list(tmp_path.glob(".report.pdf.*"))  # the temporary file was renamed
