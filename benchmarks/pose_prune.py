"""Pose's landmark model whole and cut down to the outputs ahcue reads (levelone/body/prune.py).

MediaPipe's ``pose_landmark_full`` computes five outputs; :class:`levelone.body.pose.PoseTracker`
reads three (landmarks, pose presence, heatmap). For frames of real clips, each letterboxed to the
model's 256 x 256 input, this runs both models, checks that the three outputs are equal bit for
bit, and times ``invoke`` (one thread, CPU time of the calling thread; the two models alternate, so
the machine's drift falls on both). Also: the operators in each model and the time to cut the
model down (once per process).

    python benchmarks/pose_prune.py --json benchmarks/speed/pose_prune.json [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.levelone import CLIPS  # noqa: E402

FRAME_EVERY = 10  # every 10th frame of each clip


def crops(path: Path) -> list[np.ndarray]:
    from levelone.body import pose
    from levelone.media.video import iter_frames

    out = []
    for i, _t, rgb in iter_frames(path, max_side=640):
        if i % FRAME_EVERY == 0:
            square, _, _ = pose.letterbox(rgb.shape[1], rgb.shape[0])
            out.append(pose.warp(rgb, square, pose.LANDMARK_SIZE_PX, (0.0, 1.0), zero_border=True))
    return out


def invoke_ms(interpreter, inputs: list[np.ndarray]) -> float:
    """Median CPU ms of one ``invoke`` over ``inputs``."""
    it, inp, _ = interpreter
    times = []
    for x in inputs:
        it.set_tensor(inp, x)
        t = time.thread_time()
        it.invoke()
        times.append(time.thread_time() - t)
    return 1000 * statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="*", choices=sorted(CLIPS), default=sorted(CLIPS))
    ap.add_argument("--repeats", type=int, default=5, help="alternating rounds of both models over all frames")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    from levelone.body import pose
    from levelone.body.prune import keep_outputs, operator_count

    model = pose.model_file(pose.LANDMARK_FILE).read_bytes()
    t = time.process_time()
    cut = keep_outputs(model, pose.LANDMARK_OUTPUTS)
    prune_s = time.process_time() - t
    full_it = pose._interpreter(pose.LANDMARK_FILE)
    cut_it = pose._interpreter(pose.LANDMARK_FILE, pose.LANDMARK_OUTPUTS)
    inputs = [x for clip in args.clips for x in crops(CLIPS[clip])]
    identical = True
    for x in inputs:
        for it in (full_it, cut_it):
            it[0].set_tensor(it[1], x)
            it[0].invoke()
        identical &= all(np.array_equal(full_it[0].get_tensor(full_it[2][s]), cut_it[0].get_tensor(cut_it[2][s]))
                         for s in cut_it[2])
    full_ms, cut_ms = [], []
    for _ in range(args.repeats):
        full_ms.append(invoke_ms(full_it, inputs))
        cut_ms.append(invoke_ms(cut_it, inputs))

    result = {"benchmark": "pose_prune", "clips": args.clips, "frames": len(inputs), "repeats": args.repeats,
              "outputs_identical": bool(identical),
              "operators": {"full": operator_count(model), "cut": operator_count(cut)},
              "invoke_cpu_ms": {"full": round(statistics.median(full_ms), 2),
                                "cut": round(statistics.median(cut_ms), 2)},
              "invoke_cpu_ms_rounds": {"full": [round(v, 2) for v in full_ms], "cut": [round(v, 2) for v in cut_ms]},
              "cut_down_cpu_s": round(prune_s, 3)}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
