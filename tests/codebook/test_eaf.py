"""ELAN: every shared .eaf reads, the speach file matches its expected parse, our files round-trip."""
from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codebook.annotations import Segment, frame_labels_from_segments
from codebook.eaf import read_eaf, read_eaf_document, read_eaf_tiers, tier_roles, write_eaf
from codebook.errors import InputError

FPS = 24.0


def _eaf_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "eaf").glob("*/*.eaf"))
    assert len(files) == 10, files
    return files


def test_every_shared_eaf_reads_with_children_inside_parents(shared_data):
    totals = {}
    for path in _eaf_files(shared_data):
        tiers = read_eaf_document(path)
        by_id = {t.id: t for t in tiers}
        for tier in tiers:
            for s, e, _ in tier.annotations:
                assert 0 <= s <= e, (path.name, tier.id, s, e)
            if tier.parent:  # subdivisions and associations lie inside a parent annotation
                parents = by_id[tier.parent].annotations
                for s, e, _ in tier.annotations:
                    assert any(ps - 1e-6 <= s and e <= pe + 1e-6 for ps, pe, _ in parents), (path.name, tier.id, s)
        totals[f"{path.parent.name}/{path.name}"] = sum(len(t.annotations) for t in tiers)
        read_eaf(path, FPS)  # the cue mapping never fails on foreign layouts
    # pympi's samples (2.7 and 3.0, 1,572 time slots without values, symbolic subdivisions)
    assert totals["pympi/sample_2.7.eaf"] == totals["pympi/sample_3.0.eaf"] == 8778
    assert totals["speach/test.eaf"] == 43


def test_time_and_symbolic_subdivisions_get_times(shared_data):
    tiers = read_eaf_tiers(shared_data / "eaf" / "pympi" / "sample_2.7.eaf")
    words = tiers["words-timesub"]  # time subdivision of 'text': contiguous, increasing
    starts = np.array([s for s, _, _ in words])
    assert np.all(np.diff(starts) >= 0)
    assert len(words) == 1995 and words[:2] == [(2.0, 2.47, "The"), (2.47, 3.52, "quick")]
    # symbolic subdivision: the parent's interval divided equally along the PREVIOUS_ANNOTATION chain
    sym = tiers["words-symsub"]
    assert [(round(s, 3), round(e, 3), v) for s, e, v in sym[:3]] == [
        (2.0, 2.6, "The"), (2.6, 3.2, "quick"), (3.2, 3.8, "brown")]


def test_speach_file_matches_its_expected_tsv(shared_data):
    folder = shared_data / "eaf" / "speach"
    with open(folder / "test.eaf.tsv", encoding="utf-8", newline="") as fh:
        expected = sorted((r[0], r[2], r[3], r[5]) for r in csv.reader(fh, delimiter="\t"))
    got = sorted((tier, f"{s:.3f}", f"{e:.3f}", v)
                 for tier, anns in read_eaf_tiers(folder / "test.eaf").items() for s, e, v in anns)
    assert len(expected) == 43
    assert got == expected


def test_tier_names_are_guessed_or_mapped():
    names = ["A/H", "AH (coder 2)", "Ambivalence", "Facial cues", "face", "Language", "audio cues",
             "Body", "Cross-modal inconsistency", "certainty", "words", "W-Spch"]
    roles = tier_roles(names)
    assert roles == {"A/H": "ah", "AH (coder 2)": "ah", "Ambivalence": "ah", "Facial cues": "face",
                     "face": "face", "Language": "language", "audio cues": "audio", "Body": "body",
                     "Cross-modal inconsistency": "pairs", "certainty": "certainty"}
    assert tier_roles(names, {"W-Spch": "transcript", r"fac.*": "face"}) == {
        "W-Spch": "transcript", "Facial cues": "face", "face": "face"}
    with pytest.raises(InputError, match="unknown role"):
        tier_roles(["x"], {"x": "elbow"})
    with pytest.raises(InputError, match="bad regular expression"):
        tier_roles(["x"], {"(": "face"})


def _segments() -> list[Segment]:
    return [
        Segment.from_frames(5, 28, FPS, cues={"face": ("face.gaze", "face.smile"), "language": ("language.hedging",)},
                            pairs=("FL",), certainty=4, annotator="AB", unresolved=("body:wobbling knee",)),
        Segment.from_frames(40, 40, FPS, cues={"audio": ("audio.pause",)}),  # one frame
        Segment.from_frames(100, 171, FPS, cues={"body": ("body.shake", "body.nod")}, pairs=("LB", "AB"),
                            certainty=2, annotator="CD"),
    ]


def test_write_then_read_round_trips(tmp_path):
    path = tmp_path / "segments.eaf"
    segs = _segments()
    write_eaf(path, segs, media_path=tmp_path / "video.mp4",
              extra_tiers={"transcript": [(0.2, 1.1, "well I mean")]})
    ann = read_eaf(path, FPS, tier_map=None)
    # ELAN stores milliseconds: frames come back exactly, seconds to the millisecond
    assert [replace(s, start_s=round(s.start_s, 3), end_s=round(s.end_s, 3)) for s in ann.segments] == [
        replace(s, start_s=round(s.start_s, 3), end_s=round(s.end_s, 3)) for s in segs]
    assert ann.label == 1 and ann.unassigned_cues == ()
    assert np.array_equal(frame_labels_from_segments(ann.segments, 200), frame_labels_from_segments(segs, 200))
    assert read_eaf_tiers(path)["transcript"] == [(0.2, 1.1, "well I mean")]
    assert ann.transcript == "well I mean"
    with pytest.raises(InputError, match="already exists"):
        write_eaf(path, segs)
    write_eaf(path, segs[:1], force=True)
    assert len(read_eaf(path, FPS).segments) == 1


def test_cue_tiers_with_other_names_join_the_overlapping_segment(tmp_path):
    path = tmp_path / "other.eaf"
    write_eaf(path, [], extra_tiers={
        "Hesitancy": [(1.0, 3.0, "yes"), (5.0, 6.0, "no")],
        "Face": [(1.5, 2.0, "Gaze"), (8.0, 9.0, "Smile")],  # the second overlaps no segment
        "Spoken": [(1.0, 2.5, "Filler sound")],
    })
    ann = read_eaf(path, FPS, tier_map={"Hesitancy": "ah", "Face": "face", "Spoken": "language"})
    assert [(s.start_frame, s.end_frame, s.label) for s in ann.segments] == [(24, 71, 1), (120, 143, 0)]
    assert ann.segments[0].cues == {"face": ("face.gaze",), "language": ("language.filler_sound",)}
    assert [(u.start_s, u.cues) for u in ann.unassigned_cues] == [(8.0, {"face": ("face.smile",)})]


@pytest.mark.parametrize("content, problem", [
    ("<ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT", "bad XML"),
    ("<NOT_ELAN/>", "not an ELAN file"),
    ('<ANNOTATION_DOCUMENT><TIME_ORDER><TIME_SLOT TIME_SLOT_ID="ts1" TIME_VALUE="0"/></TIME_ORDER>'
     '<TIER TIER_ID="A/H"><ANNOTATION><ALIGNABLE_ANNOTATION ANNOTATION_ID="a1" TIME_SLOT_REF1="ts1" '
     'TIME_SLOT_REF2="ts9"><ANNOTATION_VALUE>1</ANNOTATION_VALUE></ALIGNABLE_ANNOTATION></ANNOTATION>'
     '</TIER></ANNOTATION_DOCUMENT>', "missing time slot 'ts9'"),
])
def test_malformed_eaf_is_an_input_error_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "broken.eaf"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        read_eaf(path, FPS)
    assert str(err.value).startswith(str(path)) and problem in str(err.value)
