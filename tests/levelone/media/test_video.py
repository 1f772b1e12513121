"""Decoding: frame counts, rates, odd codecs, audio, huge frames, and one-line errors for bad files."""
from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codebook.errors import InputError
from levelone.media.video import iter_frames, probe, read_audio, scaled_size


def _video(shared_data: Path, rel: str) -> Path:
    p = shared_data / "video" / rel
    if not p.exists():
        pytest.skip(f"{p} not present")
    return p


def test_grid_mpeg1_probe_and_decode(shared_data):
    p = _video(shared_data, "grid/bbaf2n.mpg")
    info = probe(p)
    assert info.codec == "mpeg1video"
    assert info.fps == pytest.approx(25.0)
    assert (info.width, info.height) == (360, 288)
    assert info.n_frames == 75  # MPEG-PS lists no frame count: counted by demuxing
    assert info.duration_s == pytest.approx(3.0, abs=0.01)
    assert info.has_audio and info.has_video
    frames = list(iter_frames(p))
    assert len(frames) == info.n_frames
    i, t, rgb = frames[-1]
    assert i == 74 and t == pytest.approx(2.96, abs=1e-6)
    assert rgb.shape == (288, 360, 3) and rgb.dtype == np.uint8 and rgb.flags.c_contiguous
    assert 40 < rgb.mean() < 220  # a real picture, not a blank buffer


def test_hevc_mov_variable_rate(shared_data):
    """HEVC .mov tagged 120 fps whose frames alternate 1/24 s and 1/30 s gaps."""
    p = _video(shared_data, "pyfeat/noface_face.mov")
    info = probe(p)
    assert info.codec == "hevc"
    assert info.n_frames == 169
    assert 26.0 < info.fps < 27.0  # the average rate, not the 120 fps timestamp tag
    assert info.duration_s == pytest.approx(info.n_frames / info.fps, rel=1e-6)
    frames = [(i, t) for i, t, _ in iter_frames(p, max_side=160)]
    assert len(frames) == 169
    times = np.array([t for _, t in frames])
    assert np.all(np.diff(times) > 0)
    gaps = np.round(np.diff(times), 3)
    assert set(np.unique(gaps)) >= {0.033, 0.042}


def test_mp4_edit_list_discarded_packets(shared_data):
    """no_face.mp4 has 98 packets of which an edit list discards 3: the decoder yields 95."""
    p = _video(shared_data, "pyfeat/no_face.mp4")
    info = probe(p)
    assert info.n_frames == 95 == sum(1 for _ in iter_frames(p, max_side=64))
    assert info.fps == pytest.approx(24.0)


def test_pexels_rate_exact(shared_data):
    info = probe(_video(shared_data, "pyfeat/WolfgangLanger_Pexels.mp4"))
    assert info.fps == pytest.approx(24000 / 1001, rel=1e-9)
    assert info.n_frames == 472


def test_max_side_downscales(shared_data):
    p = _video(shared_data, "pyfeat/face_noface.mov")
    _, _, rgb = next(iter_frames(p, max_side=320))
    assert rgb.shape == (180, 320, 3)
    assert scaled_size(960, 540, 320) == (320, 180)
    assert scaled_size(360, 288, 640) == (360, 288)  # never enlarged


def test_read_audio(shared_data):
    y = read_audio(_video(shared_data, "grid/bbaf2n.mpg"), sr=16000)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) / 16000 == pytest.approx(2.95, abs=0.05)
    assert 0.05 < np.abs(y).max() <= 1.5


def test_no_audio_stream_gives_empty(tmp_path):
    out = tmp_path / "silent.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=0.5", "-pix_fmt", "yuv420p", str(out))
    info = probe(out)
    assert not info.has_audio and info.n_frames == 5
    assert read_audio(out).shape == (0,)


@pytest.mark.parametrize("ext,args", [
    ("webm", ["-c:v", "libvpx-vp9", "-b:v", "200k"]),
    ("avi", ["-c:v", "mjpeg"]),
    ("mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "120"]),
])
def test_generated_containers(tmp_path, ext, args):
    out = tmp_path / f"clip.{ext}"
    rate = 120 if "120" in args else 25
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=size=96x64:rate={rate}:duration=0.4", *args, str(out))
    info = probe(out)
    n = sum(1 for _ in iter_frames(out))
    assert info.n_frames == n == round(0.4 * rate)
    assert info.fps == pytest.approx(rate)


def test_huge_frames_stream_in_bounded_memory(tmp_path):
    """7680x4320, 3 frames: with max_side the peak memory stays far below holding RGB frames."""
    out = tmp_path / "8k.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=7680x4320:rate=5:duration=0.6", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out))
    info = probe(out)
    assert (info.width, info.height, info.n_frames) == (7680, 4320, 3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    shapes = [rgb.shape for _, _, rgb in iter_frames(out, max_side=640)]
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert shapes == [(360, 640, 3)] * 3
    # one full-size RGB frame is 95 MiB; the decoder's own YUV reference frames are ~50 MiB each
    assert grown_mib < 400


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        probe(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.mp4: empty file"):
        probe(empty)
    with pytest.raises(InputError):
        list(iter_frames(empty))


def test_text_named_mp4(tmp_path):
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are meeting notes, not a video\n" * 20)
    with pytest.raises(InputError) as err:
        probe(fake)
    assert str(err.value).startswith(str(fake)) and "\n" not in str(err.value)
    with pytest.raises(InputError):
        read_audio(fake)


def test_audio_only_file_has_no_video(tmp_path):
    wav = tmp_path / "tone.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=0.3", str(wav))
    with pytest.raises(InputError, match="no video stream"):
        probe(wav)
    assert len(read_audio(wav, sr=8000)) == pytest.approx(2400, abs=50)


def test_truncated_mp4(shared_data, tmp_path):
    src = _video(shared_data, "pyfeat/WolfgangLanger_Pexels.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src[: len(src) // 2])
    with pytest.raises(InputError, match="truncated"):
        probe(cut)
    with pytest.raises(InputError, match="corrupt or truncated"):
        for _ in iter_frames(cut, max_side=64):
            pass


def _ffmpeg(*args: str) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def test_rotated_phone_video_is_turned_like_ffmpeg_shows_it(tmp_path):
    """A frame stored sideways with a rotation tag decodes upright, exactly as ffmpeg displays it."""
    from skimage import data, io

    img = data.astronaut()[::4, 8:120:1][:, :96]  # 128 x 96, portrait
    stored = tmp_path / "stored.png"
    io.imsave(stored, np.ascontiguousarray(np.rot90(img, 1)), check_contrast=False)
    plain, tagged = tmp_path / "plain.mp4", tmp_path / "tagged.mp4"
    _ffmpeg("-loop", "1", "-i", str(stored), "-t", "0.3", "-r", "10", "-c:v", "libx264", "-crf", "0",
            "-pix_fmt", "yuv444p", str(plain))
    _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(tagged))
    shown = tmp_path / "shown.png"
    _ffmpeg("-i", str(tagged), "-frames:v", "1", str(shown))  # ffmpeg applies the rotation itself
    reference = io.imread(shown)[..., :3].astype(int)
    info = probe(tagged)
    _, _, rgb = next(iter_frames(tagged))
    assert (info.width, info.height) == (reference.shape[1], reference.shape[0])
    assert rgb.shape == reference.shape
    assert np.abs(rgb.astype(int) - reference).mean() < 2


def test_probe_is_remembered_only_while_the_file_is_unchanged(shared_data, tmp_path):
    """A run probes a video twice (planning, then before its frames): the second answer is the
    first one kept, but a file replaced under the same name is probed afresh."""
    p = tmp_path / "clip.mpg"
    shutil.copy(_video(shared_data, "grid/bbaf2n.mpg"), p)
    first = probe(p)
    assert probe(p) is first and probe(str(p)) == first
    shutil.copy(_video(shared_data, "grid/bbaf2n.mpg"), tmp_path / "longer.mpg")
    with open(p, "ab") as f:  # a different file now: larger, newer
        f.write((tmp_path / "longer.mpg").read_bytes())
    again = probe(p)
    assert again is not first and again.n_frames == 2 * first.n_frames
    p.unlink()
    with pytest.raises(InputError):
        probe(p)
