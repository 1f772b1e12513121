import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
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
            data[c] = (np.arange(n) / fps).astype(np.float32)
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


# ------------------------------------------------------------------ the schema
def _producer_outputs(n=96, fps=24.0) -> dict[str, pd.DataFrame]:
    """What each producer module writes, from small synthetic inputs through the real functions."""
    from levelone.audio.prosody import audio_cues, audio_signals
    from levelone.body.cues import body_cues, pose_signals
    from levelone.face.cues import face_cues, face_signals
    from levelone.language.cues import language_cues, text_signals
    from levelone.media.transcript import Word

    rng = np.random.default_rng(1)
    face = face_signals(rng.uniform(100, 300, (n, 478, 3)), (640, 480))
    pose = rng.uniform(100, 300, (n, 33, 4))
    pose[..., 3] = 0.9
    body = pose_signals(pose, (640, 480))
    sr = 16000
    t = np.arange(int(n / fps * sr)) / sr
    y = (0.3 * np.sin(2 * np.pi * 140 * t) * (np.sin(2 * np.pi * 0.7 * t) > -0.3)).astype(np.float32)
    audio = audio_signals(y, sr, fps, n, vad="energy")
    words = [Word("well", 0.2, 0.5), Word("I", 0.6, 0.7), Word("can't", 0.7, 1.0), Word("really", 1.1, 1.5)]
    text = text_signals(words, fps, n)
    present = pd.DataFrame({"face.present": np.ones(n, bool), "body.present": np.ones(n, bool)})
    signals = pd.concat([present, face, body, audio, text], axis=1)
    return {"levelone.face.cues": pd.concat([face, face_cues(signals, None, fps)], axis=1),
            "levelone.body.cues": pd.concat([body, body_cues(signals, None, fps)], axis=1),
            "levelone.audio.prosody": pd.concat([audio, audio_cues(signals, None, fps)], axis=1),
            "levelone.language.cues": pd.concat([text, language_cues(signals, None, fps)], axis=1)}


def test_producers_write_exactly_the_columns_they_declare():
    schema = ftm.schema()
    for producer, out in _producer_outputs().items():
        declared = {name for name, spec in schema.items() if spec.producer == producer}
        assert set(out.columns) == declared, producer
        for c in out.columns:
            spec = schema[c]
            values = out[c].to_numpy()
            if spec.dtype == "float32":  # assembly casts the cue modules' float64 to the schema's dtype
                values = values.astype(np.float32)
            assert spec.check(values) is None, spec.check(values)


def test_schema_is_collected_from_the_producer_modules():
    import importlib

    schema = ftm.schema()
    for name, spec in schema.items():
        if spec.producer == "levelone.pipeline.assemble":
            assert spec in ftm.AXIS_COLUMNS
        else:
            assert spec in importlib.import_module(spec.producer).COLUMNS, name
    assert set(ftm.required_columns()) == {n for n, s in schema.items() if s.required}
    p = schema["text.p_change"]
    assert (p.producer, p.required, p.low, p.high, p.unit) == ("levelone.language.cues", False, 0.0, 1.0, "probability")
    assert schema["face.present"].producer == "levelone.pipeline.vision" and schema["face.present"].dtype == "bool"
    assert schema["frame"].dtype == "int64" and schema["face.yaw"].unit == "deg"


@pytest.mark.parametrize("column, value, problem", [
    ("audio.speech", 1.5, "audio.speech above 1.0"),
    ("affect.face.valence", -1.2, "affect.face.valence below -1.0"),
    ("text.p_sustain", -0.1, "text.p_sustain below 0.0"),
])
def test_validate_checks_declared_ranges(column, value, problem):
    ft = make_table()
    ft.data[column] = np.full(len(ft.data), 0.5, np.float32)
    ftm.validate(ft)
    ft.data.loc[5, column] = value
    with pytest.raises(ValueError, match=problem):
        ftm.validate(ft)


def test_validate_checks_dtypes_and_declarations():
    ft = make_table()
    ft.data["time_s"] = ft.data["time_s"].astype(np.float64)
    with pytest.raises(ValueError, match="time_s has dtype float64, the schema says float32"):
        ftm.validate(ft)
    ft = make_table()
    ft.data["face.present"] = ft.data["face.present"].astype(np.float32)
    with pytest.raises(ValueError, match="face.present has dtype float32"):
        ftm.validate(ft)
    ft = make_table()
    ft.data["text.p_chnage"] = np.zeros(len(ft.data), np.float32)
    with pytest.raises(ValueError, match=r"does not declare: \['text.p_chnage'\]"):
        ftm.validate(ft)


def test_validate_and_read_require_a_frame_rate(tmp_path):
    ft = make_table()
    path = ft.write(tmp_path / "ok.parquet")
    ft.meta.fps = 0.0
    with pytest.raises(ValueError, match="no valid fps"):
        ftm.validate(ft)
    with pytest.raises(ValueError, match="no valid fps"):
        ft.fps
    # a file whose metadata lost its frame rate is a user's bad input, not a default of 24
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[ftm.META_KEY])
    meta["fps"] = 0
    pq.write_table(table.replace_schema_metadata({ftm.META_KEY: json.dumps(meta).encode()}), tmp_path / "bad.parquet")
    with pytest.raises(InputError, match="no valid fps"):
        ftm.read(tmp_path / "bad.parquet")


def test_column_accessor_refuses_what_the_schema_does_not_declare():
    ft = make_table()
    np.testing.assert_array_equal(ft.column("cue.audio.pause"), ft.data["cue.audio.pause"].to_numpy(np.float64))
    assert ft.column("face.present").tolist() == [1.0] * 48
    with pytest.raises(KeyError, match="not declared"):
        ft.column("text.p_chnage")
    # a declared optional column that is absent: the caller must say what absence means
    with pytest.raises(KeyError, match="lacks the optional column 'text.p_change'"):
        ft.column("text.p_change")
    assert np.isnan(ft.column("text.p_change", absent=np.nan)).all()
    # a required column is never replaced by a default
    del ft.data["cue.audio.pause"]
    with pytest.raises(KeyError, match="lacks the required column 'cue.audio.pause'"):
        ft.column("cue.audio.pause", absent=np.nan)
