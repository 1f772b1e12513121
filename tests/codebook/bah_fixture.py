"""A small hand-written BAH root with the release's quirks, built fresh in tmp_path.

Every number the tests assert follows from what is written here (24 fps; frame k starts at k/24 s).
"""
from __future__ import annotations

from pathlib import Path

V1 = "Videos/101/Visite_1/101_Question_3_2024-10-02 16-19-36_Video.mp4"  # spaces in the name
V2 = "Videos/101/Visite_1/101_Question_5_20241002_162000_Video-DESKTOP-NQ55E0P.mp4"  # suffix
V3 = "Videos/202/Visite_1/202_Question_1_20241003_100000_Video.mp4"

TRANSCRIPT_YML = """\
text: ' Well, I mean... um, I want to but it''s hard.'
chunks:
- language: english
  text: ' Well, I mean...'
  timestamp: !!python/tuple
  - 0.0
  - 2.5
- language: english
  text: ' um,'
  timestamp: !!python/tuple [27.0, 29.5]
- language: english
  text: ' I want to'
  timestamp: !!python/tuple [0.5, 3.0]
- language: english
  text: ' but it''s hard.'
  timestamp: !!python/tuple [3.2, null]
"""

ANNOTATIONS_YAML = f"""\
{V1}:
  global_ah: 1
  frame_annotation:
{''.join(f"  - - {V1}/frame-{k}.jpg{chr(10)}    - {int(2 <= k <= 5 or 8 <= k <= 10)}{chr(10)}"
         for k in [10, 11] + list(range(10)))}
  fr_detailed_ah:
  - [2, 5]
  - [8, 10]
  time_detailed_ah:
  - ['00:00:00.083', '00:00:00.250']
  - ['00:00:00.333', '00:00:00.458']
  all_cues:
  - facial: Gaze, smile
    language: [Filler sound, hedging]
    audio: ''
    body: null
    inconsistencies: FL
  - facial: wobble
    language: I mean
    audio: pause; slow
    body: head shake
    inconsistencies: [LB, face-audio]
  - audio: laugh
  certainty_ah: [4, 3]
  annotator_id: AB
  transcript: Well, I mean... um, I want to but it's hard.
{V2}:
  global_ah: 0
  frame_annotation:
{''.join(f"  - - {V2}/frame-{k}.jpg{chr(10)}    - 0{chr(10)}" for k in range(6))}
  fr_detailed_ah: []
  time_detailed_ah: []
  all_cues: []
  certainty_ah: []
  annotator_id: AB
  transcript: Yes, I walk every day.
{V3}:
  global_ah: 1
  frame_annotation:
{''.join(f"  - - {V3}/frame-{k}.jpg{chr(10)}    - 1{chr(10)}" for k in range(24))}
  fr_detailed_ah: [[0, 23]]
  time_detailed_ah: [['00:00:00.000', '00:00:01.000']]
  all_cues:
  - {{body: nod}}
  certainty_ah: [5]
  annotator_id: CD
  transcript: I should, I guess.
"""


def write_bah_root(root: Path) -> Path:
    """Write the hand-made root; returns it."""
    (root / "split").mkdir(parents=True)
    (root / "split" / "train.txt").write_text(
        f"{V1},1,Well, I mean... um, I want to but it's hard.\n"
        f"{V2},0,Yes, I walk every day.\n", encoding="utf-8")
    (root / "split" / "val.txt").write_text(f"{V3},1,I should, I guess.\n", encoding="utf-8")
    (root / "split-frames").mkdir()
    (root / "split-frames" / "train.txt").write_text(
        "".join(f"{V1}/frame-{k}.jpg,{int(2 <= k <= 5 or 8 <= k <= 10)}\n" for k in range(12)), encoding="utf-8")
    for key, n in ((V1, 12), (V2, 6), (V3, 24)):
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(b"")  # the index never decodes videos
        crops = root / "cropped-aligned-faces" / key
        crops.mkdir(parents=True)
        for k in range(n):
            (crops / f"frame-{k}.jpg").write_bytes(b"")
    tdir = root / "transcription" / V1
    tdir.mkdir(parents=True)
    (tdir / (Path(V1).stem + ".yml")).write_text(TRANSCRIPT_YML, encoding="utf-8")
    (root / "video_annotation_transcript.yaml").write_text(ANNOTATIONS_YAML, encoding="utf-8")
    (root / "meta_data.yml").write_text(
        "'101':\n  Age: 34\n  Gender: Female\n  Use in challenges: 'Yes'\n"
        "'202':\n  Age: 51\n  Gender: Male\n  Use in challenges: 'Yes'\n", encoding="utf-8")
    (root / "class_id.yaml").write_text("With A-H: 1\nNo A-H: 0\n", encoding="utf-8")
    (root / "bah-video.csv").write_text(f"video-path\n{V1}\n{V2}\n{V3}\n", encoding="utf-8")
    return root
