import numpy as np
import pandas as pd
import pytest

from codebook.errors import InputError
from codebook.vocabulary import load_vocabulary
from levelone import frametable as ftm


def make_table(n=48, fps=24.0) -> ftm.FrameTable:
    cols = ftm.required_columns()
    rng = np.random.default_rng(0)
    data = {}
    for c in cols:
        if c == "frame":
            data[c] = np.arange(n)
        elif c == "time_s":
            data[c] = np.arange(n) / fps
        elif c.endswith(".present"):
            data[c] = np.ones(n, bool)
        elif c.endswith(".valence"):
            data[c] = rng.uniform(-1, 1, n).astype(np.float32)
        else:
            data[c] = rng.uniform(0, 1, n).astype(np.float32)
    meta = ftm.FrameMeta(video_id="v1", participant_id="p1", fps=fps, n_frames=n,
                         versions={"face": "1"})
    return ftm.FrameTable(pd.DataFrame(data), meta)


def test_required_columns_cover_every_measurable_cue():
    cols = ftm.required_columns()
    voc = load_vocabulary()
    assert all(c.column in cols for c in voc.measurable)
    assert "cue.face.wrinkle_chin" not in cols  # not measurable
    assert {"affect.language.valence", "text.present", "face.present"} <= set(cols)


def test_round_trip_keeps_data_and_meta(tmp_path):
    ft = make_table()
    path = ft.write(tmp_path / "f.parquet")
    back = ftm.read(path)
    assert back.meta == ft.meta
    assert back.meta.duration_s == pytest.approx(2.0)
    pd.testing.assert_frame_equal(back.data, ft.data)


def test_validate_rejects_out_of_range_cues():
    ft = make_table()
    ft.data.loc[3, "cue.audio.pause"] = 1.5
    with pytest.raises(ValueError, match="cue.audio.pause"):
        ftm.validate(ft)


def test_read_rejects_non_frametable(tmp_path):
    p = tmp_path / "plain.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(p)
    with pytest.raises(InputError, match="no ahcue metadata"):
        ftm.read(p)
    bad = tmp_path / "junk.parquet"
    bad.write_text("not parquet")
    with pytest.raises(InputError, match="junk.parquet"):
        ftm.read(bad)
