"""The personal baseline of a long session: whole-session robust statistics vs the first minute vs a
rolling window, on the 200 s FG-NET conversation (issue 24).

Why: a baseline fitted on the first minutes lets the rest of the session be judged against how the
person sat down, and a rolling window follows a person who slowly grows restless, so what changed
is absorbed instead of shown. ahcue fits the whole session (median and 1.4826 x MAD, robust to
the minority of frames where cues happen). This script measures, per quarter of the session:

- **drift**: how far the quarter's own baseline is from the whole session's (median over raw columns
  of |log scale ratio| and |median shift| in whole-session scale units);
- **cue rates**: the mean over cues of the share of frames at or above 0.5, with the cues measured
  against the whole-session baseline, the first-``--first-s`` baseline, and a rolling
  ``--window-s`` baseline centred on each block.

    python benchmarks/long_baseline.py --json /tmp/long_baseline.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before this folder, whose levelone.py would shadow the package

from levelone.baseline import Baseline  # noqa: E402 (after the sys.path line above)
from levelone.frametable import FrameMeta  # noqa: E402
from levelone.params import shipped_calibration  # noqa: E402
from levelone.pipeline.assemble import assemble, signal_columns  # noqa: E402
from levelone.training import calibrate as C  # noqa: E402

CLIP = "video/natural/fgnet_talking_face_franck.mp4"
QUARTERS = 4
BLOCK_S = 10.0  # the rolling baseline is refitted for each block of this length


def _cue_rates(table) -> pd.Series:
    cues = table.data[table.cue_columns()]
    ok = cues.notna().any()
    return (cues.loc[:, ok] >= 0.5).mean()


def _table(raw: pd.DataFrame, base: Baseline, fps: float, cal: dict, funcs):
    meta = FrameMeta(video_id="session", participant_id="p", fps=fps, n_frames=len(raw), source=CLIP)
    return assemble(raw, base, meta, funcs, cal.get("population", {}))


def _drift(part: Baseline, whole: Baseline) -> dict:
    cols = [c for c in whole.scale if c in part.scale and whole.scale[c] > 1e-6 and part.scale[c] > 1e-6]
    log_ratio = [abs(np.log(part.scale[c] / whole.scale[c])) for c in cols]
    shift = [abs(part.median[c] - whole.median[c]) / whole.scale[c] for c in cols]
    return {"columns": len(cols), "median_abs_log_scale_ratio": round(float(np.median(log_ratio)), 3),
            "median_abs_median_shift_sd": round(float(np.median(shift)), 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True, metavar="PATH")
    ap.add_argument("--data", default=os.environ.get("AHCUE_SHARED_DATA", str(ROOT.parent / "shared" / "data")))
    ap.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "ahcue" / "calibration"))
    ap.add_argument("--first-s", type=float, default=60.0, help="the early-baseline alternative (seconds)")
    ap.add_argument("--window-s", type=float, default=60.0, help="the rolling-baseline alternative (seconds)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    path = Path(args.data) / CLIP
    clip = C.RefClip(path.stem, "natural-" + path.stem, path)
    # as `ahcue calibrate` caches it (no audio track: no ASR runs)
    raw, fps = C.clip_signals(clip, args.cache_dir, asr=True)
    raw = signal_columns(raw).reset_index(drop=True)
    cal = shipped_calibration()
    funcs = C._cue_functions(cal)
    n = len(raw)
    whole = Baseline.fit([raw])
    first = Baseline.fit([raw.iloc[:int(args.first_s * fps)]])
    t_whole = _table(raw, whole, fps, cal, funcs)
    t_first = _table(raw, first, fps, cal, funcs)
    block, half = int(BLOCK_S * fps), int(args.window_s * fps / 2)
    rolling_rows = []
    for start in range(0, n, block):
        centre = start + block // 2
        lo, hi = max(0, centre - half), min(n, centre + half)
        t = _table(raw, Baseline.fit([raw.iloc[lo:hi]]), fps, cal, funcs)
        rolling_rows.append(t.data.iloc[start:start + block])
    rolling = pd.concat(rolling_rows)

    edges = np.linspace(0, n, QUARTERS + 1).astype(int)
    quarters = []
    for q in range(QUARTERS):
        a, b = edges[q], edges[q + 1]
        part = Baseline.fit([raw.iloc[a:b]])
        row = {"quarter": q + 1, "from_s": round(a / fps, 1), "to_s": round(b / fps, 1),
               "drift_from_whole": _drift(part, whole)}
        for name, data in (("whole_session", t_whole.data), ("first_minute", t_first.data), ("rolling", rolling)):
            cues = data.iloc[a:b][[c for c in t_whole.cue_columns()]]
            ok = cues.notna().any()
            rates = (cues.loc[:, ok] >= 0.5).mean()
            row[f"mean_cue_rate_{name}"] = round(float(rates.mean()), 4)
            row[f"max_cue_{name}"] = [str(rates.idxmax()), round(float(rates.max()), 4)]
        quarters.append(row)
    out = {"clip": CLIP, "seconds": round(n / fps, 1), "fps": fps, "first_s": args.first_s,
           "window_s": args.window_s, "block_s": BLOCK_S,
           "first_minute_vs_whole": _drift(first, whole), "quarters": quarters,
           "wall_s": round(time.perf_counter() - t0, 1)}
    Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    for q in quarters:
        print(f"Q{q['quarter']} {q['from_s']:5.0f}-{q['to_s']:5.0f} s  drift |log scale| "
              f"{q['drift_from_whole']['median_abs_log_scale_ratio']:.3f} shift "
              f"{q['drift_from_whole']['median_abs_median_shift_sd']:.3f} sd  mean cue rate: whole "
              f"{q['mean_cue_rate_whole_session']:.4f}  first-minute {q['mean_cue_rate_first_minute']:.4f}  "
              f"rolling {q['mean_cue_rate_rolling']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
