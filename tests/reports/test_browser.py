"""report.html opened in headless Chromium: it renders (a non-blank page) and prints to PDF.

The slow test analyses the bundled sample and a clip with no person in it end to end and looks at
both screenshots. Set ``AHCUE_KEEP_SCREENSHOTS=DIR`` to keep them (README's docs/report.png is the
sample's, from this test).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from report_fixtures import HOSTILE, make_frametable, make_prediction, segment
from reports.html import print_pdf, render_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
SAMPLE = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample"


def _report(tmp_path):
    table = make_frametable(bursts={"body.shake": (100, 150), "face.gaze": (180, 220)})
    pred = make_prediction(table, [segment(96, 156, 24.0, 0.78, [("body.shake", 0.6)], [("FB", 0.2)],
                                           transcript=HOSTILE)])
    path = tmp_path / "report.html"
    path.write_text(render_report(pred, table), encoding="utf-8")
    return path


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2000) -> np.ndarray:
    """Chromium's screenshot of ``html`` as an RGB float array in [0, 1]."""
    from matplotlib.image import imread

    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={png.parent / 'profile'}", f"--screenshot={png}", f"--window-size={width},{height}",
           html.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=True)
    assert png.is_file()
    img = imread(png)[..., :3]
    assert img.shape[:2] == (height, width)
    return img


def _rows_with(img: np.ndarray, rgb: tuple[int, int, int], tol: float = 0.012, min_pixels: int = 30) -> np.ndarray:
    """Row indices where at least ``min_pixels`` pixels have colour ``rgb`` (0-255): a filled box or a
    drawn line, not the anti-aliased edge of something else."""
    target = np.asarray(rgb, dtype=np.float64) / 255.0
    hit = (np.abs(img - target) < tol).all(axis=2)
    return np.flatnonzero(hit.sum(axis=1) >= min_pixels)


def test_report_renders_in_headless_chromium(tmp_path):
    img = screenshot(_report(tmp_path), tmp_path / "shot.png")
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


@pytest.mark.slow
def test_sample_and_no_person_reports_in_chromium(shared_data, tmp_path):
    """The bundled sample reads as a borderline/likely answer with segment cards and an amber band;
    a clip with no person reads 'cannot assess' in a grey box, with no segment band and no cue rows."""
    from reports.cli import main

    keep = os.environ.get("AHCUE_KEEP_SCREENSHOTS")
    shots = {}
    runs = {"sample": [str(SAMPLE / "sample.mp4"), "--transcript", str(SAMPLE / "sample.yml"),
                       "--annotations", str(SAMPLE / "sample_annotations.csv")],
            "no_person": [str(shared_data / "video" / "pyfeat" / "no_face.mp4"), "--no-asr"]}
    for name, args in runs.items():
        out = tmp_path / name
        assert main(["analyze", *args, "-o", str(out), "--quiet"]) == 0
        html = (out / "report.html").read_text()
        shots[name] = (screenshot(out / "report.html", tmp_path / f"{name}.png", 1100, 1900), html)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(tmp_path / f"{name}.png", Path(keep) / f"{name}.png")

    img, html = shots["sample"]
    assert 'class="card"' in html and "A/H score" in html and "Glossary" in html
    assert "&ldquo;I think, I think, uh, no.&rdquo;" in html  # quoted exactly, repetition kept
    amber = _rows_with(img, (253, 246, 231)) if "headline likely" in html else _rows_with(img, (241, 242, 244))
    assert amber.size > 40  # the headline box is drawn in its state's colour
    # face-blue cue rows: the raster's bars are drawn at alpha 0.85 over white
    bar = tuple(round(0.85 * c + 0.15 * 255) for c in (0x00, 0x72, 0xB2))
    assert _rows_with(img, bar, tol=0.05, min_pixels=5).size > 20

    img, html = shots["no_person"]
    assert "Cannot assess A/H: no person was found" in html and 'class="headline cannot"' in html
    assert "A/H likely" not in html and "A/H not likely" not in html
    assert _rows_with(img, (241, 242, 244)).size > 40  # the grey "cannot assess" box
    assert _rows_with(img, (0x00, 0x72, 0xB2), tol=0.05, min_pixels=5).size == 0  # no face curve or cue row
    assert _rows_with(img, (253, 246, 231)).size == 0  # no amber (likely) box
