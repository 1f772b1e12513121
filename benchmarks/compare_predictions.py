"""Two folders of ``prediction.json`` files (one per clip, same names) compared: how far a change
moved the predictions (issue 21's "unchanged when alone").

Per clip: the video probability before and after, the largest per-frame probability change, the
label and the number of segments, and whether the cue explanation of each segment is the same.
Make the folders with the same command on two checkouts, e.g. for every single-person clip::

    for c in ../shared/data/video/{grid,grid_more}/*.mpg ../shared/data/video/cremad/*.flv \\
             ../shared/data/video/pyfeat/WolfgangLanger_Pexels.mp4 ../shared/data/video/natural/*.mp4; do
        python -m reports.cli predict "$c" --no-asr --json > DIR/$(basename "$c").json; done
    python benchmarks/compare_predictions.py BEFORE_DIR AFTER_DIR --json out.json
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def compare(before: dict, after: dict) -> dict:
    pb, pa = np.array(before["frame_probability"]), np.array(after["frame_probability"])
    n = min(len(pb), len(pa))
    cues = lambda d: [[c["id"] for c in s["cues"]] for s in d["segments"]]  # noqa: E731
    return {"probability_before": before["probability"], "probability_after": after["probability"],
            "max_frame_change": round(float(np.max(np.abs(pb[:n] - pa[:n]))) if n else 0.0, 4),
            "same_frames": len(pb) == len(pa), "same_label": before["label"] == after["label"],
            "segments": [len(before["segments"]), len(after["segments"])],
            "same_segment_cues": cues(before) == cues(after),
            "people_after": len((after.get("people") or {}).get("faces", [])),
            "speech_after": (after.get("people") or {}).get("speech")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    rows = {}
    for f in sorted(args.before.glob("*.json")):
        g = args.after / f.name
        try:
            rows[f.stem] = compare(json.loads(f.read_text()), json.loads(g.read_text()))
        except (OSError, ValueError, KeyError) as err:
            rows[f.stem] = {"error": str(err)}
    ok = [r for r in rows.values() if "error" not in r]
    summary = {"clips": len(rows), "compared": len(ok),
               "max_probability_change": max((abs(r["probability_after"] - r["probability_before"]) for r in ok),
                                             default=0),
               "max_frame_change": max((r["max_frame_change"] for r in ok), default=0),
               "labels_changed": sum(not r["same_label"] for r in ok),
               "segment_cues_changed": sum(not r["same_segment_cues"] for r in ok)}
    for name, r in rows.items():
        print(name, json.dumps(r))
    print(json.dumps(summary))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "clips": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
