"""report.html in headless Chromium: it renders, prints to PDF, and works as a page.

The page is driven through the Chrome DevTools Protocol (a small client below over the pinned
``websocket-client``, talking to ``chromium --remote-debugging-port``; nothing is downloaded): real
mouse clicks and key presses, the video's ``currentTime``, the playhead, console errors and every
request the page makes. The slow test analyses the bundled sample (what ``make demo`` runs) and a
clip with no person in it end to end. Set ``AHCUE_KEEP_SCREENSHOTS=DIR`` to keep the screenshots;
``make screenshot`` runs it so and copies the sample's to README's docs/report.png.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from report_fixtures import HOSTILE, make_frametable, make_prediction, segment
from reports.html import print_pdf, render_report, write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
SAMPLE = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample"
WIDTH = 1280  # the laptop width the issue asks the page to fit




class Browser:
    """Headless Chromium with a remote-debugging port and one page; ``events`` keeps every CDP event."""

    def __init__(self, exe: str, profile: Path, width: int = 1280, height: int = 900, timeout_s: float = 30.0):
        import websocket

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--autoplay-policy=no-user-gesture-required", "--mute-audio", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout_s
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its debugging port")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        while True:
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5))
                page = next(t for t in targets if t.get("type") == "page")
                break
            except (OSError, StopIteration):
                if time.monotonic() > deadline:
                    self.close()
                    raise
                time.sleep(0.05)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout_s,
                                              suppress_origin=True)
        self.events: list[dict] = []
        self._id = 0
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def send(self, method: str, **params) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout_s: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout_s
        seen = len(self.events)
        while time.monotonic() < deadline:
            for e in self.events[seen:]:
                if e.get("method") == method:
                    return e
            seen = len(self.events)
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                self.events.append(json.loads(self.ws.recv()))
            except Exception:
                break
        raise TimeoutError(method)

    def js(self, expression: str, await_promise: bool = False):
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        if "exceptionDetails" in res:
            raise RuntimeError(f"{expression}: {res['exceptionDetails']}")
        return res["result"].get("value")

    def until(self, expression: str, timeout_s: float = 10.0, poll_s: float = 0.05):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(poll_s)
        raise TimeoutError(expression)

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def key(self, key: str, code: str, text: str = "", key_code: int = 0) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=code, text=text if kind == "keyDown" else "",
                      windowsVirtualKeyCode=key_code)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params = {"format": "png"}
        if full_page:
            h = self.js("document.documentElement.scrollHeight")
            params.update(clip={"x": 0, "y": 0, "width": 1280, "height": h, "scale": 1}, captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", **params)["data"]))
        return path

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value")) for a in p.get("args", [])))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", ""))
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


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


def _folder_report(tmp_path: Path, card: dict | None = None) -> Path:
    """A report folder (prediction.json, features.parquet, report.html) whose video is the bundled
    sample, linked by a relative path as ``ahcue analyze`` links it."""
    table = make_frametable(n_frames=240, bursts={"body.shake": (100, 150), "face.gaze": (180, 220)})
    pred = make_prediction(table, [segment(96, 156, 24.0, 0.78, [("body.shake", 0.6)], [("FB", 0.2)],
                                           transcript=HOSTILE),
                                   segment(180, 220, 24.0, 0.7, [("face.gaze", 0.5)])],
                           kind="conflict", trained=True, card=card, source=str(SAMPLE / "sample.mp4"))
    out = tmp_path / "out"
    out.mkdir()
    table.write(out / "features.parquet")
    (out / "prediction.json").write_text(pred.to_json())
    write_report(out)
    return out / "report.html"


def _open(browser: Browser, html: Path) -> None:
    browser.open(html.as_uri())
    browser.until("document.getElementById('video').readyState >= 1", timeout_s=20)


def _centre(browser: Browser, selector: str) -> tuple[float, float]:
    """Scroll an element into view; its centre in viewport pixels."""
    return tuple(browser.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                            "return [r.left + r.width / 2, r.top + r.height / 2]; })()"))


def _seeked(browser: Browser) -> float:
    browser.until("!document.getElementById('video').seeking")
    return browser.js("document.getElementById('video').currentTime")


def _playhead(browser: Browser) -> float:
    return float(browser.js("document.getElementById('playhead').getAttribute('x1')"))


def _page_only_loads(browser: Browser, html: Path, video: Path) -> None:
    """No console error; no request but the report itself, its video and Chromium's own inline
    ``data:`` icons for the video controls (nothing from the network)."""
    assert browser.console_errors() == []
    allowed = {html.resolve().as_uri(), video.resolve().as_uri()}
    loads = [u for u in browser.requests() if not u.startswith("data:")]
    assert set(loads) <= allowed and html.resolve().as_uri() in loads, loads
    assert video.resolve().as_uri() in loads  # the video came from the local file


@pytest.fixture()
def browser(tmp_path):
    b = Browser(CHROMIUM, tmp_path / "profile")
    yield b
    b.close()


def test_report_page_seeks_follows_playback_and_fits_1280(tmp_path, browser):
    """The issue's browser checks on a fixture report: clicking segment 1 seeks the video to its start
    (within 0.1 s); playing moves the playhead and highlights the current card; a click on the
    timeline seeks to that point; lanes show their definition on focus; Enter, space and the arrows
    work; a long model-card rule stays inside a 1280 px viewport; no console error, no network."""
    rule = "selected where " + " and ".join(f"validation_ap_fold_{i} >= 0.25" for i in range(30))
    html = _folder_report(tmp_path, card={"metrics": {"test": {"AP": 0.2519, "selection_rule": rule}}})
    _open(browser, html)
    video = "document.getElementById('video')"
    # 1. a real click on segment 1's card
    browser.click(*_centre(browser, "#segment-1 .when"))
    assert abs(_seeked(browser) - 4.0) < 0.1
    # 2. playing moves the playhead and marks the current card
    x_before = _playhead(browser)
    assert browser.js(f"{video}.muted = true; {video}.play().then(() => true)", await_promise=True)
    browser.until(f"{video}.currentTime > 4.6", timeout_s=10)
    browser.js(f"{video}.pause()")
    assert _playhead(browser) > x_before + 5  # viewBox units: a visible move
    assert browser.js("document.getElementById('segment-1').classList.contains('current')")
    assert not browser.js("document.getElementById('segment-2').classList.contains('current')")
    # 3. a click at 7.0 s on the timeline (a cue lane's row, not a marker) seeks there
    x, y = browser.js("""(() => { const s = document.querySelector('svg.timeline');
        s.scrollIntoView({block: 'center'}); const r = s.getBoundingClientRect(), vb = s.viewBox.baseVal;
        const x0 = +s.dataset.x0, x1 = +s.dataset.x1, lanes = s.dataset.lanes.split(' ').map(Number);
        const ux = x0 + (x1 - x0) * 7.0 / +s.dataset.duration;
        return [r.left + ux * r.width / vb.width, r.top + (lanes[0] + 4) * r.height / vb.height]; })()""")
    browser.click(x, y)
    assert abs(_seeked(browser) - 7.0) < 0.1
    # 4. a cue lane shows its name and definition on focus
    browser.js("document.querySelector('svg.timeline .lane[data-cue=\"body.shake\"]').focus()")
    tip = browser.js("(() => { const t = document.getElementById('cue-tip'); return [t.hidden, t.textContent]; })()")
    assert tip[0] is False and "Head shake" in tip[1] and "The head turns from side to side" in tip[1]
    browser.js("document.activeElement.blur()")
    lx, ly = _centre(browser, 'svg.timeline .lane[data-cue="face.gaze"] .lane-bg')
    browser.send("Input.dispatchMouseEvent", type="mouseMoved", x=lx, y=ly)  # hover, no click
    tip = browser.js("(() => { const t = document.getElementById('cue-tip'); return [t.hidden, t.textContent]; })()")
    assert tip[0] is False and "Gaze shift" in tip[1] and "The eyes, not the head, move" in tip[1]
    # 5. keys: Enter on a focused card seeks; right arrow steps 5 s; space plays
    browser.js("document.getElementById('segment-2').focus()")
    browser.key("Enter", "Enter", "\r", 13)
    assert abs(_seeked(browser) - 7.5) < 0.1
    browser.js("document.activeElement.blur()")
    browser.key("ArrowRight", "ArrowRight", "", 39)
    assert abs(_seeked(browser) - 12.5) < 0.1
    browser.key(" ", "Space", " ", 32)
    browser.until(f"!{video}.paused", timeout_s=5)
    browser.js(f"{video}.pause()")
    # 6. the model card's metrics table fits 1280 px: every cell inside the viewport, no sideways scroll
    cells = browser.js("""Array.from(document.querySelectorAll('table.metrics td')).map(td => {
        td.scrollIntoView({block: 'center'}); const r = td.getBoundingClientRect(); return [r.left, r.right]; })""")
    assert len(cells) == 4 and all(0 <= a and b <= WIDTH for a, b in cells), cells
    assert browser.js("document.documentElement.scrollWidth") <= WIDTH
    # 7. printed (--pdf), the page is static: no video, no playhead, one column
    browser.send("Emulation.setEmulatedMedia", media="print")
    assert browser.js("getComputedStyle(document.querySelector('.player .screen')).display") == "none"
    assert browser.js("getComputedStyle(document.getElementById('playhead')).display") == "none"
    browser.send("Emulation.setEmulatedMedia", media="")
    _page_only_loads(browser, html, SAMPLE / "sample.mp4")


def test_any_data_seek_s_element_seeks(tmp_path, browser):
    """The shared rule other sections rely on: an element another module adds with data-seek-s seeks."""
    html = _folder_report(tmp_path)
    _open(browser, html)
    browser.js("""(() => { const b = document.createElement('span'); b.id = 'probe'; b.textContent = 'at 2.5 s';
        b.setAttribute('data-seek-s', '2.5'); document.querySelector('main').prepend(b); })()""")
    browser.click(*_centre(browser, "#probe"))
    assert abs(_seeked(browser) - 2.5) < 0.1


@pytest.mark.slow
def test_sample_and_no_person_reports_in_chromium(shared_data, tmp_path):
    """``make demo``'s report (the bundled sample, analysed end to end) works in the browser: segment 1
    seeks, playback moves the playhead, nothing is loaded from the network, no console error; its
    screenshot is README's docs/report.png. A clip with no person reads 'cannot assess'."""
    from reports.cli import main

    keep = os.environ.get("AHCUE_KEEP_SCREENSHOTS")
    runs = {"sample": [str(SAMPLE / "sample.mp4"), "--transcript", str(SAMPLE / "sample.yml"),
                       "--annotations", str(SAMPLE / "sample_annotations.csv")],
            "no_person": [str(shared_data / "video" / "pyfeat" / "no_face.mp4"), "--no-asr"]}
    for name, args in runs.items():
        assert main(["analyze", *args, "-o", str(tmp_path / name), "--quiet"]) == 0

    html = tmp_path / "sample" / "report.html"
    text = html.read_text()
    assert 'class="card"' in text and "A/H score" in text and "Glossary" in text
    assert "&ldquo;I think, I think, uh, no.&rdquo;" in text  # quoted exactly, repetition kept
    pred = json.loads((tmp_path / "sample" / "prediction.json").read_text())
    start = pred["segments"][0]["start_s"]
    b = Browser(CHROMIUM, tmp_path / "profile", height=1400)
    try:
        _open(b, html)
        png = b.screenshot(tmp_path / "sample.png")  # before any click: the page as it opens
        b.click(*_centre(b, "#segment-1 h3"))
        assert abs(_seeked(b) - start) < 0.1
        x_before = _playhead(b)
        assert b.js("const v = document.getElementById('video'); v.muted = true; v.play().then(() => true)",
                    await_promise=True)
        b.until(f"document.getElementById('video').currentTime > {start + 0.5}", timeout_s=10)
        b.js("document.getElementById('video').pause()")
        assert _playhead(b) > x_before
        _page_only_loads(b, html, SAMPLE / "sample.mp4")
    finally:
        b.close()
    from matplotlib.image import imread

    img = imread(png)[..., :3]
    assert img.shape[:2] == (1400, WIDTH)
    amber = _rows_with(img, (253, 246, 231)) if "headline likely" in text else _rows_with(img, (241, 242, 244))
    assert amber.size > 40  # the headline box is drawn in its state's colour
    # face-blue cue lanes: their runs are drawn at opacity 0.85 over white
    bar = tuple(round(0.85 * c + 0.15 * 255) for c in (0x00, 0x72, 0xB2))
    assert _rows_with(img, bar, tol=0.05, min_pixels=5).size > 20
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "report.png")

    text = (tmp_path / "no_person" / "report.html").read_text()
    img = screenshot(tmp_path / "no_person" / "report.html", tmp_path / "no_person.png", 1100, 1900)
    assert "Cannot assess A/H: no person was found" in text and 'class="headline cannot"' in text
    assert "A/H likely" not in text and "A/H not likely" not in text
    assert _rows_with(img, (241, 242, 244)).size > 40  # the grey "cannot assess" box
    assert _rows_with(img, (0x00, 0x72, 0xB2), tol=0.05, min_pixels=5).size == 0  # no face curve or cue lane
    assert _rows_with(img, (253, 246, 231)).size == 0  # no amber (likely) box
