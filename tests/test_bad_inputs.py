"""The bad-input corpus (generated here, never committed): every broken file gets one line on
stderr naming the file, exit code 2, no traceback, nothing half-written and nothing executed; odd
but valid media (no audio, one frame, HEVC 120 fps, 8K) is processed without exhausting memory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def ahcue(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "reports.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def assert_user_error(res: subprocess.CompletedProcess, names: str) -> None:
    assert res.returncode == 2, (res.returncode, res.stderr[-2000:])
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr[-2000:]
    assert "Traceback" not in res.stderr
    assert names in lines[0], lines[0]


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=24", "-f", "lavfi", "-i", "sine=f=220:r=16000",
           "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(d / "good.mp4"))
    data = (d / "good.mp4").read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (d / "empty.mp4").write_bytes(b"")
    (d / "text.mp4").write_text("this is not a video\n")
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:r=16000", "-t", "2", "-c:a", "aac", str(d / "audio_only.m4a"))
    (d / "bad_utf8.srt").write_bytes(b"1\n00:00:00,000 --> 00:00:01,000\n\xff\xfe caf\xe9\n")
    (d / "hostile.yml").write_text(
        f"text: hi\nchunks:\n- !!python/object/apply:os.system ['touch {d / 'PWNED'}']\n")
    (d / "broken.eaf").write_text("<ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT")
    return d


@pytest.mark.parametrize("name", ["truncated.mp4", "empty.mp4", "text.mp4", "audio_only.m4a", "missing.mp4"])
def test_broken_video_is_one_line_exit_2_and_writes_nothing(bad, tmp_path, name):
    out = tmp_path / "features.parquet"
    res = ahcue("extract", bad / name, "-o", out, "--no-asr", "--quiet")
    assert_user_error(res, name)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no half-written temp file either


@pytest.mark.parametrize("name", ["bad_utf8.srt", "hostile.yml", "broken.eaf"])
def test_broken_transcript_is_rejected_and_never_executed(bad, tmp_path, name):
    out = tmp_path / "features.parquet"
    res = ahcue("extract", bad / "good.mp4", "--transcript", bad / name, "-o", out, "--quiet")
    assert_user_error(res, name)
    assert not out.exists()
    assert not (bad / "PWNED").exists()


@pytest.mark.parametrize("speaker", [None, "patient"])
def test_a_conversation_needs_its_person_named(bad, tmp_path, speaker):
    """Two labelled speakers and no (or a wrong) --speaker: refused before any video work, since
    the interviewer's words must never count as the person's."""
    doc = [{"speaker": "counsellor", "text": "How are you?", "start": 0.0, "end": 0.8},
           {"speaker": "client", "text": "Fine, I think.", "start": 1.0, "end": 1.9}]
    (tmp_path / "talk.json").write_text(json.dumps(doc))
    out = tmp_path / "features.parquet"
    res = ahcue("extract", bad / "good.mp4", "--transcript", tmp_path / "talk.json", "-o", out, "--quiet",
                *(["--speaker", speaker] if speaker else []))
    assert_user_error(res, "talk.json")
    assert ("several speakers" if speaker is None else "no speaker 'patient'") in res.stderr
    assert not out.exists()


def test_model_directory_with_pickle_is_rejected(bad, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.pkl").write_bytes(b"\x80\x04cos\nsystem\n.")
    (model / "card.json").write_text("{}")
    res = ahcue("predict", "--model", model, bad / "good.mp4", "-o", tmp_path / "p.json", "--no-asr")
    assert_user_error(res, "model")
    assert not (tmp_path / "p.json").exists()


def test_existing_output_is_not_overwritten_without_force(bad, tmp_path):
    out = tmp_path / "features.parquet"
    out.write_text("precious")
    res = ahcue("extract", bad / "good.mp4", "-o", out, "--no-asr", "--quiet")
    assert_user_error(res, "features.parquet")
    assert out.read_text() == "precious"


@pytest.mark.slow
@pytest.mark.parametrize("make,label", [
    (lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=24", "-t", "1.5", "-c:v", "libx264",
                      "-pix_fmt", "yuv420p", str(p)), "no audio"),
    (lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=24", "-frames:v", "1", "-c:v", "libx264",
                      "-pix_fmt", "yuv420p", str(p)), "one frame"),
    (lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc=size=640x360:rate=120", "-t", "0.5", "-c:v", "libx265",
                      "-tag:v", "hvc1", "-pix_fmt", "yuv420p", str(p)), "HEVC 120 fps"),
    (lambda p: ffmpeg("-f", "lavfi", "-i", "testsrc=size=7680x4320:rate=24", "-frames:v", "3", "-c:v", "libx264",
                      "-pix_fmt", "yuv420p", "-preset", "ultrafast", str(p)), "8K"),
])
def test_odd_but_valid_media_is_processed(tmp_path, make, label):
    video = tmp_path / ("clip.mov" if "HEVC" in label else "clip.mp4")
    make(video)
    out = tmp_path / "features.parquet"
    res = ahcue("extract", video, "-o", out, "--no-asr", "--quiet")
    assert res.returncode == 0, (label, res.stderr[-2000:])
    from levelone.frametable import read
    ft = read(out)
    assert ft.meta.n_frames >= 1
    assert len(ft.data) == ft.meta.n_frames
    if label == "no audio":
        assert not ft.data["audio.present"].any()
