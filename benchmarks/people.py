"""What finding other people costs, and how well voices are attributed (issue 21).

**Cost.** Level one's vision stage with and without the people machinery, on a single-person
clip and on two-person composites (built here with ffmpeg from GRID clips, in a temp dir):

- ``without``: :func:`levelone.pipeline.vision.run_models` alone, today's pass (face mesh,
  expression, pose; on a two-person clip it analyses whichever face the mesh finds);
- ``with``: :func:`levelone.pipeline.vision.vision_people`: the same pass plus the face
  detector every 0.2 s; with a second person, a detection-only scan and the pass again on the
  participant's region, plus a face mesh per other person for their mouth.

Each is run ``--repeats`` times, alternating, and the median CPU seconds (process time, all
threads) and wall seconds are reported, with the ratio with/without. The machine is shared with
other work: compare numbers of one run only.

**Attribution.** Every ordered pair (A, B) of the GRID clips of different speakers: A's voice with
A's mouth as the participant and B's mouth as the other person (should be "participant"), and with
the two swapped (should be "someone else"); and A's mouth alone (a person talking alone: nothing
should be taken from them). Mouths are measured once per clip.

    python benchmarks/people.py --json out.json [--repeats 3] [--skip-voices]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))
SINGLE = ["video/pyfeat/WolfgangLanger_Pexels.mp4", "video/grid/lbax4n.mpg"]
# GRID clips of the same speaker (../shared/data/README.md): not a pair of different people
SAME_SPEAKER = [{"bbaf2n.mpg", "spk_s1_b.mpg"}, {"id2_vcd_swwp2s.mpg", "pwij3p.mpg"}]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def composites(tmp: Path) -> dict[str, Path]:
    grid, more = SHARED / "video" / "grid", SHARED / "video" / "grid_more"
    enc = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-c:a", "aac"]
    side = tmp / "side_by_side_3s.mp4"
    _ffmpeg("-i", str(grid / "bbaf2n.mpg"), "-i", str(grid / "pwij3p.mpg"), "-filter_complex",
            "[0:v][1:v]hstack=inputs=2[v]", "-map", "[v]", "-map", "0:a", *enc, "-shortest", str(side))
    turns = tmp / "turn_taking_12s.mp4"
    pad = ";".join(f"[{i}:a]apad=whole_dur=3,atrim=0:3,asetpts=N/SR/TB[a{k}]" for k, i in enumerate((0, 3, 0, 2)))
    _ffmpeg("-i", str(grid / "bbaf2n.mpg"), "-i", str(more / "spk_s1_b.mpg"), "-i", str(grid / "pwij3p.mpg"),
            "-i", str(grid / "id2_vcd_swwp2s.mpg"), "-filter_complex",
            "[0:v][1:v][0:v][1:v]concat=n=4:v=1:a=0[l];[2:v][3:v][3:v][2:v]concat=n=4:v=1:a=0[r];"
            f"[l][r]hstack=inputs=2[v];{pad};[a0][a1][a2][a3]concat=n=4:v=0:a=1[a]",
            "-map", "[v]", "-map", "[a]", *enc, str(turns))
    return {"two: side by side 3 s (720x288)": side, "two: turn taking 12 s (720x288)": turns}


def _timed(fn) -> tuple[float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def cost(clips: dict[str, Path], repeats: int) -> list[dict]:
    from levelone.media.video import probe
    from levelone.pipeline import vision

    vision.load_models()
    rows = []
    for name, path in clips.items():
        info = probe(path)
        vision.run_models(path, info)  # warm the decoder and the graphs on this size
        runs: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
        for _ in range(repeats):
            runs["without"].append(_timed(lambda: vision.run_models(path, info)))
            runs["with"].append(_timed(lambda: vision.vision_people(path, info)))
        med = {k: (float(np.median([c for c, _ in v])), float(np.median([w for _, w in v]))) for k, v in runs.items()}
        rows.append({"clip": name, "frames": info.n_frames, "fps": info.fps,
                     "without_cpu_s": round(med["without"][0], 2), "with_cpu_s": round(med["with"][0], 2),
                     "without_wall_s": round(med["without"][1], 2), "with_wall_s": round(med["with"][1], 2),
                     "cpu_ratio": round(med["with"][0] / med["without"][0], 3),
                     "wall_ratio": round(med["with"][1] / med["without"][1], 3)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def voices() -> dict:
    from levelone.audio.prosody import audio_signals
    from levelone.audio.voices import attribute
    from levelone.media.video import probe, read_audio
    from levelone.pipeline.vision import vision_people

    clips = sorted([*(SHARED / "video" / "grid").glob("*.mpg"), *(SHARED / "video" / "grid_more").glob("*.mpg")])
    data = {}
    for c in clips:
        info = probe(c)
        _, people = vision_people(c, info)
        a = audio_signals(read_audio(c, sr=16000), 16000, info.fps, info.n_frames)
        data[c.name] = (people.mouths[0], a["audio.speech"].to_numpy(np.float64),
                        a["audio.rms_db"].to_numpy(np.float64),
                        info.fps)
    speaker, listener = [], []
    for a, b in itertools.permutations(data, 2):
        if {a, b} in SAME_SPEAKER:
            continue
        (ma, sp, db, fps), mb = data[a], data[b][0]
        n = min(len(ma), len(mb))
        right = attribute(sp[:n], db[:n], np.array([ma[:n], mb[:n]]), fps)
        wrong = attribute(sp[:n], db[:n], np.array([mb[:n], ma[:n]]), fps)
        s = np.isfinite(right)
        speaker.append([np.mean(right[s] == 1), np.mean(right[s] == 0), np.mean(right[s] == 0.5)])
        listener.append([np.mean(wrong[s] == 0), np.mean(wrong[s] == 1), np.mean(wrong[s] == 0.5)])
    alone = []
    for m, sp, db, fps in data.values():
        r = attribute(sp, db, m[None], fps)
        s = np.isfinite(r)
        alone.append(np.mean(r[s] == 0))
    sp_, li_ = np.array(speaker), np.array(listener)
    return {"clips": len(data), "pairs": len(speaker),
            "speaker_analysed": {"participant": round(float(sp_[:, 0].mean()), 3),
                                 "someone_else": round(float(sp_[:, 1].mean()), 3),
                                 "unsure": round(float(sp_[:, 2].mean()), 3),
                                 "pairs_at_least_90pct_right": round(float(np.mean(sp_[:, 0] >= 0.9)), 3)},
            "listener_analysed": {"someone_else": round(float(li_[:, 0].mean()), 3),
                                  "participant": round(float(li_[:, 1].mean()), 3),
                                  "unsure": round(float(li_[:, 2].mean()), 3)},
            "alone_taken_away_max": round(float(np.max(alone)), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="write the results here")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-voices", action="store_true")
    args = ap.parse_args(argv)
    import warnings
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory(prefix="ahcue-people-") as tmp:
        clips = {f"one: {Path(c).name}": SHARED / c for c in SINGLE}
        clips.update(composites(Path(tmp)))
        out = {"loaded_machine": True, "repeats": args.repeats, "cost": cost(clips, args.repeats)}
    if not args.skip_voices:
        out["voices"] = voices()
        print(json.dumps(out["voices"]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
