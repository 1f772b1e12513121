"""What the vision pass keeps as a recording grows: Python-heap growth against resident growth.

Runs :func:`levelone.pipeline.vision.vision_people` over INPUT in this process with ``tracemalloc``
on (numpy's buffers are traced too) and takes a snapshot at 20 % of the frames and at the last
frame, with the resident size (``VmRSS``) at the same moments. Their difference per 1,000 frames
tells what the vision pass holds per frame in Python and numpy objects (the growth sites are
listed) and what grows outside them (native libraries, allocator retention). The models are loaded
before the measurement.

    python benchmarks/vision_growth.py /tmp/long-work/natural_10min.mp4 --json benchmarks/vision_growth.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
EARLY_SHARE = 0.2  # the first snapshot, as a share of the frames (the models and first buffers are in use by then)
TOP_SITES = 10


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("video")
    ap.add_argument("--json", required=True, metavar="PATH")
    args = ap.parse_args(argv)
    from levelone.media.video import probe
    from levelone.pipeline import vision

    vision.load_models()
    info = probe(args.video)
    marks: list[tuple[int, float, tracemalloc.Snapshot]] = []

    def progress(done: int, total: int) -> None:
        if done in (int(total * EARLY_SHARE), total - 1):
            marks.append((done, _rss_mb(), tracemalloc.take_snapshot()))

    tracemalloc.start(1)
    started = time.time()
    vision.vision_people(args.video, info, progress)
    wall = time.time() - started
    tracemalloc.stop()
    (f0, rss0, snap0), (f1, rss1, snap1) = marks[0], marks[-1]
    diff = snap1.compare_to(snap0, "lineno")
    traced = sum(d.size_diff for d in diff) / 1e6
    per_k = 1000 / (f1 - f0)
    result = {
        "video": str(args.video), "fps": info.fps, "frames": [f0, f1], "wall_s": round(wall, 1),
        "python_heap_growth_mb": round(traced, 2), "rss_growth_mb": round(rss1 - rss0, 1),
        "python_heap_mb_per_1000_frames": round(traced * per_k, 3),
        "rss_mb_per_1000_frames": round((rss1 - rss0) * per_k, 3),
        "top_sites": [{"site": str(d.traceback[0]), "growth_kb": round(d.size_diff / 1024, 1), "count": d.count_diff}
                      for d in diff[:TOP_SITES]],
    }
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
