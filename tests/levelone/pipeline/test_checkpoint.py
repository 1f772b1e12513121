"""Resuming an interrupted stage one (levelone/pipeline/checkpoint.py) and its progress bar, on real clips."""
from __future__ import annotations

import functools
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from levelone.media.video import probe
from levelone.pipeline.cache import Cache
from levelone.pipeline.checkpoint import Checkpoints, chunk_frames
from levelone.pipeline.inputs import VideoJob
from levelone.pipeline.signals import compute_entry, raw_signals

pytestmark = pytest.mark.slow  # three passes over each clip

CHUNK_S = 2.0  # seconds of media per checkpoint: a 10 s clip has five chunks
KEY = "c" * 64




def _resume_case(clip, tmp_path, stop_frame: int, chunk_s: float = CHUNK_S):
    """An uninterrupted run, then one interrupted (as Ctrl-C would) when a pass first reaches
    ``stop_frame``, resumed through :func:`compute_entry`: (job, uninterrupted result,
    frames the resumed run reported)."""
    job = VideoJob(clip.stem, "p", clip)
    reference = raw_signals(job, asr=False, checkpoint_s=chunk_s)  # uninterrupted, no checkpoints
    cache = Cache(tmp_path / "cache")
    folder = cache.partial_dir(job.video_id, KEY)
    def interrupt(done: int, total: int) -> None:
        if done == stop_frame:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compute_entry(job, str(cache.root), KEY, False,
                      functools.partial(raw_signals, checkpoint_s=chunk_s, progress=interrupt))
    assert not cache.raw_path(job.video_id, KEY).exists()
    seen: list[int] = []
    status, _ = compute_entry(job, str(cache.root), KEY, False,
                              functools.partial(raw_signals, checkpoint_s=chunk_s,
                                                progress=lambda done, total: seen.append(done)))
    assert status == "computed"
    stored, _ = cache.load_raw(job.video_id, KEY)
    pd.testing.assert_frame_equal(stored, reference.data.reset_index(drop=True), check_exact=True)
    assert not folder.exists()  # checkpoints removed once the entry is cached
    return job, reference, seen


def test_resume_after_interrupt_is_identical_and_starts_at_the_first_unfinished_chunk(shared_data, tmp_path):
    clip = shared_data / "video" / "natural" / "marlin_video01.mp4"  # 10 s, 30 fps, one person
    info = probe(clip)
    per_chunk = chunk_frames(info.fps, CHUNK_S)
    assert (info.n_frames, per_chunk) == (300, 60)
    _, reference, seen = _resume_case(clip, tmp_path, stop_frame=150)
    # frames 0-119 (two whole chunks) were saved before the interruption at frame 150: the rerun
    # reports 120 done at once and then works through frames 121..300 only
    assert seen[0] == 120 and seen[1:] == list(range(121, 301))
    assert reference.data["face.present"].mean() > 0.9  # a real face, tracked through the chunks
    assert reference.data["body.present"].sum() > 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_resume_in_a_multi_person_video_skips_the_scan_and_keeps_the_second_pass(shared_data, tmp_path):
    grid = shared_data / "video" / "grid"
    clip = tmp_path / "side_by_side.mp4"  # two real GRID speakers side by side, 3 s at 25 fps
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(grid / "bbaf2n.mpg"), "-i", str(grid / "pwij3p.mpg"),
                    "-filter_complex", "[0:v][1:v]hstack=inputs=2[v]", "-map", "[v]", "-map", "0:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-c:a", "aac", "-shortest", str(clip)],
                   check=True)
    job, reference, seen = _resume_case(clip, tmp_path, stop_frame=60, chunk_s=1.0)
    assert len(reference.people["people"]) == 2 and reference.people["region"] is not None
    # the first pass stopped when the second face appeared; the interruption came in the second
    # pass (over the participant's half) at frame 60: chunks 0-1 (25 frames each) were saved, and
    # the rerun reads the people found by the scan and starts that pass at frame 50
    assert seen[0] == 50 and seen[-1] == probe(clip).n_frames


def test_checkpoints_hold_the_chunks_atomically(tmp_path):
    ck = Checkpoints(tmp_path / "ck")
    ck.save("whole", 0, {"body": np.arange(6, dtype=np.float32).reshape(2, 3)})
    ck.save("whole", 1, {"body": np.ones((2, 3), np.float32)})
    ck.save("whole", 3, {"body": np.ones((2, 3), np.float32)})  # a gap: chunk 2 missing
    assert ck.finished("whole") == 2 and ck.finished("region-x") == 0
    assert ck.load("whole", 0)["body"][1, 2] == 5.0
    (ck.folder / "whole.000001.npz").write_bytes(b"torn")  # a damaged chunk reads as absent
    assert ck.load("whole", 1) is None
    assert not list(ck.folder.glob("*.tmp"))
    ck.remove()
    assert not ck.folder.exists()


def test_frame_bar_total_is_the_videos_frame_count_and_shows_an_eta(shared_data, capfd):
    clip = shared_data / "video" / "natural" / "marlin_video03.mp4"  # 8.024 s at 30 fps
    raw_signals(VideoJob(clip.stem, "p", clip), asr=False, frame_progress=True)
    err = capfd.readouterr().err
    totals = {int(t) for t in re.findall(r"\d+/(\d+) \[", err)}
    assert totals == {240}  # 8.0 s x 30 fps, known before the first frame
    assert re.search(r"\d+/240 \[\d+:\d+<\d+:\d+", err)  # elapsed<remaining: tqdm's ETA


def _glibc_only() -> None:
    """Skip the calling test where the C library is not glibc (the allocator policy is glibc's)."""
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux") or "libc.so.6" not in (ctypes.util.find_library("c") or ""):
        pytest.skip("glibc only")


def test_mmap_threshold_is_pinned_on_glibc():
    """Large blocks (decoded frames) stay out of the thread heaps on glibc (benchmarks/long_phases.py
    measures the effect: a 3-minute input peaked at 0.71 GB without, 0.59 GB with)."""
    from levelone.pipeline.vision import pin_mmap_threshold

    _glibc_only()
    assert pin_mmap_threshold() is True  # mallopt(M_MMAP_THRESHOLD, 4 MiB) accepted


def test_frame_sized_blocks_are_reused_and_larger_ones_handed_back():
    """With the allocator policy set, a block the size of a decoded frame comes back from the heap
    without new page faults, and a block above the mmap threshold goes back to the system when
    freed (resident memory falls again), in a fresh process."""
    import sys

    _glibc_only()
    code = ("import os, resource, numpy as np\n"
            "from levelone.pipeline.memory import MMAP_THRESHOLD_BYTES, pin_mmap_threshold\n"
            "assert pin_mmap_threshold()\n"
            "def rss():\n"
            "    return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')\n"
            "def faults(nbytes, n=40):\n"
            "    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "    for _ in range(n):\n"
            "        a = np.ones(nbytes, np.uint8)\n"
            "        del a\n"
            "    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n\n"
            "faults(640 * 360 * 3)\n"  # the first one grows the heap
            "frame = faults(640 * 360 * 3)\n"
            "before = rss(); big = np.ones(4 * MMAP_THRESHOLD_BYTES, np.uint8); held = rss(); del big\n"
            "print(frame, (held - before) / 2 ** 20, (rss() - before) / 2 ** 20)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    frame_faults, held_mb, after_mb = (float(v) for v in out)
    assert frame_faults < 10  # 169 pages a frame when every frame was a fresh mapping
    assert held_mb > 15 and after_mb < 1  # 16 MiB resident while held, none once freed
