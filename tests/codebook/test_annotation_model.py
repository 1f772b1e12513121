"""Segments, frame labels, cue parsing and the plain CSV form."""
from __future__ import annotations

import numpy as np
import pytest

from codebook.annotations import (Segment, VideoAnnotation, end_seconds_to_frame, frame_labels_from_segments,
                                  parse_cues, read_csv, seconds_to_frame, segments_from_frame_labels,
                                  split_cue_value, write_csv)
from codebook.errors import InputError


def test_seconds_and_frames_round_trip_at_millisecond_precision():
    for fps in (24.0, 25.0, 29.97, 30.0):
        for f in range(0, 500, 7):
            assert seconds_to_frame(round(f / fps, 3), fps) == f
            assert end_seconds_to_frame(round((f + 1) / fps, 3), fps) == f
    seg = Segment.from_seconds(1.0, 2.0, 24.0)
    assert (seg.start_frame, seg.end_frame, seg.n_frames) == (24, 47, 24)


def test_frame_labels_and_segments_are_inverse():
    segs = [Segment.from_frames(2, 4, 24.0), Segment.from_frames(7, 7, 24.0), Segment.from_frames(9, 30, 24.0),
            Segment.from_frames(0, 1, 24.0, label=0)]
    labels = frame_labels_from_segments(segs, 12)
    assert labels.tolist() == [0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1]  # clipped at 12, label 0 ignored
    back = segments_from_frame_labels(labels, 24.0)
    assert [(s.start_frame, s.end_frame) for s in back] == [(2, 4), (7, 7), (9, 11)]
    ann = VideoAnnotation("v", 24.0, 12, 1, segments=segs)
    assert np.array_equal(ann.labels(), labels)


@pytest.mark.parametrize("value, expected", [
    (None, []), ("", []), ("Gaze", ["Gaze"]), ("gaze, smile;frown", ["gaze", "smile", "frown"]),
    (["gaze", "smile; pout"], ["gaze", "smile", "pout"]), ([], []),
])
def test_split_cue_value_accepts_every_shape(value, expected):
    assert split_cue_value(value) == expected


def test_parse_cues_resolves_keeps_unknown_and_orders_pairs():
    cues, pairs, unresolved = parse_cues({
        "facial": "Gaze, smile (half), gaze", "language": ["Filler sound"], "audio": None, "body": "",
        "inconsistencies": "LB; face and language, Face-Audio (tone), nonsense", "mood": "sad"})
    assert cues == {"face": ("face.gaze", "face.smile"), "language": ("language.filler_sound",)}
    assert pairs == ("FL", "FA", "LB")  # codebook order
    assert unresolved == ("pairs:nonsense", "mood:sad")


def test_csv_round_trip(tmp_path):
    segs = [Segment.from_frames(24, 71, 24.0, cues={"face": ("face.gaze",), "body": ("body.shake", "body.nod")},
                                pairs=("FB",), certainty=3, annotator="AB", unresolved=("audio:humming",)),
            Segment.from_frames(100, 100, 24.0)]
    anns = [VideoAnnotation("Videos/1/Visite_1/a b.mp4", 24.0, None, 1, segments=segs),
            VideoAnnotation("v2", 24.0, None, 1, segments=[Segment.from_frames(0, 9, 24.0, pairs=("AB",))])]
    path = write_csv(tmp_path / "ann.csv", anns)
    assert path.read_text().splitlines()[0] == \
        "video_id,start_s,end_s,label,face,language,audio,body,pairs,certainty,annotator"
    assert path.read_text().splitlines()[1] == "Videos/1/Visite_1/a b.mp4,1.0,3.0,1,gaze,,humming,shake;nod,FB,3,AB"
    back = read_csv(path, 24.0)
    assert [a.video_id for a in back] == ["Videos/1/Visite_1/a b.mp4", "v2"]
    assert back[0].segments == segs and back[1].segments[0].pairs == ("AB",)
    with pytest.raises(InputError, match="already exists"):
        write_csv(path, anns)


def test_bad_csv_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("video_id,start_s,end_s\nv,1.0,2.0\nv,three,4\n")
    with pytest.raises(InputError, match=r"bad.csv:3: bad number"):
        read_csv(path, 24.0)
    path.write_text("video,start\n")
    with pytest.raises(InputError, match=r"bad.csv:1: missing column"):
        read_csv(path, 24.0)
