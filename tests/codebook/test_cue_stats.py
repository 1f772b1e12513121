"""Cue statistics against numbers computed by hand from the hand-written BAH root."""
from __future__ import annotations

import json

import numpy as np
import pytest

from codebook.annotations import Segment
from codebook.bah import BAHDataset
from codebook.errors import InputError
from codebook.stats import CueStatistics, prior_or_published


def test_statistics_of_the_hand_written_root(bah_root):
    stats = CueStatistics.from_annotations(BAHDataset(bah_root).annotations())
    # segments: (face gaze, smile | language filler, hedging | FL),
    #           (face "wobble" | language "I mean" (both unresolved) | audio pause, slow | body shake | LB, FA),
    #           (body nod)  -> 10 modality mentions: face 3, language 3, audio 2, body 2
    assert stats.modality_shares == pytest.approx({"face": 0.3, "language": 0.3, "audio": 0.2, "body": 0.2})
    assert stats.pair_shares == pytest.approx({"FL": 1 / 3, "FA": 1 / 3, "FB": 0, "LA": 0, "LB": 1 / 3, "AB": 0})
    assert stats.cue_shares["face"] == {"face.gaze": 0.5, "face.smile": 0.5}  # 'wobble' is unresolved
    assert stats.cue_shares["body"] == {"body.nod": 0.5, "body.shake": 0.5}
    assert (stats.n_segments, stats.n_segments_with_cues, stats.n_with_inconsistency) == (3, 3, 2)
    assert stats.all_four_share == pytest.approx(1 / 3)  # only the second segment has all four
    assert stats.cooccurrence["face"] == {"face": 2, "language": 2, "audio": 1, "body": 1}
    assert stats.cooccurrence["body"] == {"face": 1, "language": 1, "audio": 1, "body": 2}
    assert stats.cooccurrence_probability()["face"]["language"] == pytest.approx(2 / 3)
    # durations 0.167, 0.125, 1.0 s; 4, 3, 24 frames
    assert stats.duration_s["mean"] == pytest.approx((0.167 + 0.125 + 1.0) / 3)
    assert (stats.duration_s["min"], stats.duration_s["max"]) == (pytest.approx(0.125), 1.0)
    assert stats.duration_frames["mean"] == pytest.approx(31 / 3)
    assert stats.duration_frames["sd"] == pytest.approx(np.std([4, 3, 24], ddof=1))
    assert stats.top_cues["audio"] == "audio.pause"


def test_label_zero_segments_and_empty_input_are_ignored():
    empty = CueStatistics.from_annotations([])
    assert empty.n_segments == 0 and empty.all_four_share is None and empty.modality_shares["face"] == 0.0
    only_zero = CueStatistics.from_annotations([Segment(0, 1, 0, 23, label=0, cues={"face": ("face.gaze",)})])
    assert only_zero.n_segments == 0


def test_published_statistics_match_bah_format():
    pub = CueStatistics.published()
    assert pub.is_published
    assert pub.modality_shares == {"face": 0.284, "language": 0.252, "audio": 0.227, "body": 0.237}
    assert pub.pair_shares == {"FL": 0.426, "FA": 0.027, "FB": 0.101, "LA": 0.165, "LB": 0.266, "AB": 0.016}
    assert (pub.n_segments, pub.n_segments_with_cues, pub.n_with_inconsistency) == (1504, 568, 215)
    assert pub.all_four_share == 0.541
    assert pub.duration_s["mean"] == 4.29 and pub.duration_frames == {"mean": 103.9, "sd": 58.7, "min": 1, "max": None}
    assert pub.top_cues == {"face": "face.gaze", "language": "language.filler_sound", "audio": "audio.pause",
                            "body": "body.shake"}
    assert pub.modality_vector().sum() == pytest.approx(1.0)
    assert pub.pair_vector().tolist() == [0.426, 0.027, 0.101, 0.165, 0.266, 0.016]


def test_json_round_trip_and_save_refuses_overwrite(tmp_path, bah_root):
    stats = CueStatistics.from_annotations(BAHDataset(bah_root).annotations())
    assert CueStatistics.from_json(stats.to_json()) == stats
    path = stats.save(tmp_path / "stats.json")
    assert CueStatistics.load(path) == stats
    with pytest.raises(InputError, match="already exists"):
        stats.save(path)
    stats.save(path, force=True)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"modality_shares": {"face": 2.0}, "pair_shares": {}}))
    with pytest.raises(InputError, match="bad.json"):
        CueStatistics.load(bad)
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"bad.json:1: bad JSON"):
        CueStatistics.load(bad)


def test_prior_prefers_computed_statistics_only_with_enough_cues(bah_root):
    small = CueStatistics.from_annotations(BAHDataset(bah_root).annotations())
    assert prior_or_published(small).is_published
    assert prior_or_published(None).is_published
    assert prior_or_published(small, min_segments_with_cues=3) is small
