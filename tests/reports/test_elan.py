"""segments.eaf: written with pympi, read back with pympi (as ELAN would) and checked."""
from __future__ import annotations

import numpy as np
import pytest
from pympi.Elan import Eaf

from codebook.errors import InputError
from report_fixtures import make_frametable, make_prediction, segment
from reports.elan import AH_TIER, CUES_TIER, cue_intervals, modality_tier, write_segments_eaf

FPS = 25.0


@pytest.fixture()
def written(tmp_path):
    table = make_frametable(n_frames=250, fps=FPS, bursts={"body.shake": (100, 149), "body.nod": (120, 129),
                                                           "face.gaze": (200, 224)}, absent=("text",))
    seg = segment(100, 149, FPS, 0.81, [("body.shake", 0.5), ("face.gaze", 0.1)], [("LB", 0.3)])
    pred = make_prediction(table, [seg])
    video = tmp_path / "media" / "clip 1.mp4"
    video.parent.mkdir()
    video.write_bytes(b"\0")
    path = write_segments_eaf(tmp_path / "out" / "segments.eaf", pred, table, media=video)
    return path, table, pred


def test_tiers_and_times_read_back(written):
    path, _, _ = written
    eaf = Eaf(str(path))
    modality_tiers = {modality_tier(m) for m in ("face", "language", "audio", "body")}
    assert set(eaf.get_tier_names()) == {AH_TIER, CUES_TIER, *modality_tiers}
    assert eaf.get_annotation_data_for_tier(AH_TIER) == [(4000, 6000, "A/H score 0.81")]
    assert eaf.get_annotation_data_for_tier(CUES_TIER) == [(4000, 6000, "Shake (body) 50%; Gaze (face) 10%")]
    # shake 100-149 with nod 120-129 inside: three non-overlapping annotations, merged frames
    assert eaf.get_annotation_data_for_tier(modality_tier("body")) == [
        (4000, 4800, "Shake"), (4800, 5200, "Shake, Nod"), (5200, 6000, "Shake")]
    assert eaf.get_annotation_data_for_tier(modality_tier("face")) == [(8000, 9000, "Gaze")]
    assert eaf.get_annotation_data_for_tier(modality_tier("language")) == []  # no transcript: no cues


def test_media_is_linked_relatively(written):
    path, _, _ = written
    [media] = Eaf(str(path)).media_descriptors
    assert media["RELATIVE_MEDIA_URL"] == "../media/clip 1.mp4"
    assert media["MEDIA_URL"].startswith("file:///") and media["MEDIA_URL"].endswith("clip%201.mp4")
    assert media["MIME_TYPE"] == "video/mp4"


def test_refuses_overwrite_and_leaves_no_temp_files(written):
    path, table, pred = written
    with pytest.raises(InputError, match="already exists"):
        write_segments_eaf(path, pred, table)
    write_segments_eaf(path, pred, table, force=True)
    assert sorted(p.name for p in path.parent.iterdir()) == ["segments.eaf"]


def test_short_flicker_is_not_a_cue_interval():
    table = make_frametable(n_frames=100, fps=FPS, bursts={"audio.pause": (10, 10), "audio.slow": (40, 59)})
    assert cue_intervals(table, "audio", FPS) == [(1600, 2400, "Slow")]
    # the read-back times are frame-exact: 20 frames at 25 fps = 800 ms
    assert np.isclose((2400 - 1600) / 1000 * FPS, 20)
