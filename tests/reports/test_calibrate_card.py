"""The calibration card's sensitivity rows for face and body cues (issue 24): each cue either cites a
controlled edit of real video with its rates, or says why no honest edit exists, in its own words."""
from __future__ import annotations

from codebook.vocabulary import load_vocabulary
from reports.commands.calibrate import UNTESTED, VIDEO_UNTESTED, sensitivity_row


def _video_tested() -> set[str]:
    from benchmarks.controlled_edits import FRAME_EDIT_CUES, SPLICES
    return {*FRAME_EDIT_CUES, *(c for cues in SPLICES.values() for c in cues)}


def test_every_face_and_body_cue_has_an_edit_or_its_own_reason():
    tested = _video_tested()
    cues = [c.id for c in load_vocabulary().measurable if c.id.split(".")[0] in ("face", "body")]
    assert len(cues) == 25
    for cue in cues:
        if cue in tested:
            assert cue not in VIDEO_UNTESTED, cue  # a tested cue must not also carry a reason for none
            continue
        row = sensitivity_row(cue, {})
        assert row["tested_with"] == VIDEO_UNTESTED[cue] and row["tested_with"].startswith("not tested: "), cue
    reasons = [VIDEO_UNTESTED[c] for c in cues if c not in tested]
    assert len(set(reasons)) == len(reasons)  # no blanket reason shared by several cues
    assert not any(k.split(".")[0] in ("face", "body") for k in UNTESTED)  # no modality-wide fallback left
    assert tested == {"body.tilt", "face.close2", "face.smile", "face.frown", "face.nose", "face.eyebrow", "face.open"}


def test_sensitivity_row_carries_rates_and_what_absence_did():
    edits = {"body.tilt": {"edit": "frames rotated", "hit": 0.7, "false": 0.06}}
    absence = {"freeze": {"body.tilt": {"active_inside": 0.0, "active_interior": 0.0, "active_inside_unedited": 0.16,
                                        "x": 1}},
               "cut_away": {"body.tilt": {"active_inside": None, "nan_share_inside": 1.0}}}
    row = sensitivity_row("body.tilt", edits, absence)
    assert (row["tested_with"], row["hit"], row["false"]) == ("frames rotated", 0.7, 0.06)
    assert row["freeze"] == {"active_inside": 0.0, "active_interior": 0.0, "active_inside_unedited": 0.16}
    assert row["cut_away"] == {"active_inside": None, "nan_share_inside": 1.0}
    untested = sensitivity_row("body.nod", edits, absence)
    assert "hit" not in untested and "2-D warp" in untested["tested_with"] and "freeze" not in untested
