"""Checks that the demo corpus's planted head movements are visible to a real face tracker.

The generator warps photographs; whether MediaPipe's face mesh still finds the face, and reads
the warp as the intended rotation, has to be measured, not assumed. :func:`check_video` runs the
mesh over one generated video, estimates head pose with :mod:`levelone.face.headpose`, and compares
each planted segment with the frames outside all segments (the person's own baseline):

- shake: yaw standard deviation inside / outside;
- nod: pitch standard deviation inside / outside;
- tilt: |median roll inside - median roll outside| (degrees);
- look_away: |median yaw inside - median yaw outside| (degrees).

Run ``python -m levelone.democorpus.check ROOT`` for a table over a whole corpus.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class MotionCheck:
    key: str
    kind: str
    start_frame: int
    end_frame: int
    inside: float   # the measure inside the segment
    outside: float  # the same measure on the baseline frames
    effect: float   # ratio (shake, nod) or difference in degrees (tilt, look_away)


def head_pose_track(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per decoded frame: face found (bool), yaw, pitch, roll in degrees (NaN without a face)."""
    import av

    from levelone.face.headpose import head_pose
    from levelone.face.mediapipe_runtime import ignore_protobuf_deprecation, import_mediapipe

    ignore_protobuf_deprecation()
    mp = import_mediapipe()

    found, pts = [], []
    with av.open(str(path)) as c, mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=0.5, min_tracking_confidence=0.5) as mesh:
        for frame in c.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            h, w = rgb.shape[:2]
            res = mesh.process(rgb)
            if res.multi_face_landmarks:
                lm = res.multi_face_landmarks[0].landmark
                pts.append(np.array([[p.x * w, p.y * h, p.z * w] for p in lm]))
                found.append(True)
            else:
                pts.append(np.full((478, 3), np.nan))
                found.append(False)
    found_a = np.asarray(found)
    yaw = pitch = roll = np.full(len(found), np.nan)
    if found_a.any():
        yaw, pitch, roll = (np.full(len(found), np.nan) for _ in range(3))
        y, p, r = head_pose(np.stack([pts[i] for i in np.flatnonzero(found_a)]))
        yaw[found_a], pitch[found_a], roll[found_a] = y, p, r
    return found_a, yaw, pitch, roll


def motion_effects(planted_video: dict, key: str, yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray
                   ) -> list[MotionCheck]:
    """Compare each planted segment's head pose with the frames outside every segment."""
    n = len(yaw)
    outside = np.ones(n, bool)
    for s in planted_video["segments"]:
        outside[s["start_frame"]:s["end_frame"] + 1] = False
    out = []
    for s in planted_video["segments"]:
        kind = s["motion"]["kind"]
        sl = slice(s["start_frame"], s["end_frame"] + 1)
        if kind in ("shake", "nod"):
            sig = yaw if kind == "shake" else pitch
            a, b = float(np.nanstd(sig[sl])), float(np.nanstd(sig[outside]))
            effect = a / max(b, 1e-6)
        else:
            sig = roll if kind == "tilt" else yaw
            # the held part of the movement: the middle half of the segment
            k = (s["end_frame"] - s["start_frame"] + 1) // 4
            a = float(np.nanmedian(sig[s["start_frame"] + k:s["end_frame"] + 1 - k]))
            b = float(np.nanmedian(sig[outside]))
            effect = abs(a - b)
        out.append(MotionCheck(key, kind, s["start_frame"], s["end_frame"], a, b, effect))
    return out


def check_video(root: str | Path, key: str) -> tuple[float, list[MotionCheck]]:
    """Share of frames with a face, and the motion checks, of one video of a demo corpus."""
    from levelone.democorpus.build import load_planted

    planted = load_planted(root)["videos"][key]
    found, yaw, pitch, roll = head_pose_track(Path(root) / key)
    return float(found.mean()), motion_effects(planted, key, yaw, pitch, roll)


def main(argv: list[str] | None = None) -> int:
    from levelone.democorpus.build import load_planted

    root = Path((argv or sys.argv[1:])[0])
    for key, v in load_planted(root)["videos"].items():
        share, checks = check_video(root, key)
        print(f"{key}  face found {share:.1%}  label {v['label']}")
        for c in checks:
            unit = "x" if c.kind in ("shake", "nod") else " deg"
            print(f"    {c.kind:9s} frames {c.start_frame}-{c.end_frame}: inside {c.inside:6.2f} "
                  f"outside {c.outside:6.2f} effect {c.effect:5.2f}{unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
