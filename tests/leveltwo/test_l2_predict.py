"""The shipped default (codebook-prior) model and prediction.json's schema, through the API and the CLI."""
import json

import numpy as np
import pytest

from codebook.annotations import Segment, VideoAnnotation
from leveltwo.models import codebook_prior, default_model_dir, load_model
from leveltwo.predict import Prediction, predict_video
from reports.cli import main
from synthetic import make_video

TOP = {"ahcue_version", "video_id", "source", "fps", "n_frames", "duration_s", "model", "probability",
       "aggregation", "threshold", "label", "missing_modalities", "frame_probability", "modality_evidence",
       "segments", "baseline", "extractors", "pair_evidence", "context_evidence", "summary"}


@pytest.fixture(scope="module")
def video():
    table, labels, planted = make_video(np.random.default_rng(4), 720, "p1_v1", missing=("language",),
                                        plant=("cue.body.shake",), n_segments=2)
    return table, labels, planted


def test_default_model_is_the_codebook_prior():
    m = load_model(None)
    assert m.kind_ == "codebook-prior" and m.trained_ is False
    card = json.loads((default_model_dir() / "card.json").read_text())
    assert card["trained"] is False and card["kind"] == "codebook-prior"
    w = m.cue_weights_
    assert w["pair.FL"] > w["pair.LB"] > w["pair.LA"] > w["pair.AB"]  # published pair order
    assert w["cue.face.gaze"] > w["cue.face.frown"]  # the most frequent face cue counts double


def test_default_model_regenerates_identically(tmp_path):
    codebook_prior().save(tmp_path / "d")
    shipped = json.loads((default_model_dir() / "card.json").read_text())
    again = json.loads((tmp_path / "d" / "card.json").read_text())
    assert again["weights_sha256"] == shipped["weights_sha256"]


def test_quiet_shift_lowers_the_prior_bias_by_exactly_the_shift():
    """The calibrated quiet shift is what the shipped prior applies (a local once shadowed it)."""
    from leveltwo.models import prior_calibration

    base = codebook_prior(quiet=0.0).params_["bias"][0]
    assert base - codebook_prior(quiet=0.4).params_["bias"][0] == pytest.approx(0.4)
    shipped = prior_calibration()["quiet_shift_logit"]
    assert base - codebook_prior().params_["bias"][0] == pytest.approx(shipped)
    assert base - load_model(None).params_["bias"][0] == pytest.approx(shipped, abs=1e-6)  # stored as float32


def test_missing_prior_calibration_is_an_error_naming_the_file(tmp_path, monkeypatch):
    """Without prior_calibration.json the default model would silently lose its quiet shift
    (issue 20, defect 5): building it is an error that names the file."""
    from codebook.errors import InputError
    import leveltwo.models as models

    monkeypatch.setattr(models, "default_model_dir", lambda: tmp_path)
    with pytest.raises(InputError, match="quiet-shift calibration is missing") as err:
        codebook_prior()
    assert err.value.path == str(tmp_path / models.PRIOR_CALIBRATION)
    assert codebook_prior(quiet=0.0).params_["bias"].shape == (1,)  # an explicit shift needs no file


def test_prediction_schema(video):
    table, labels, planted = video
    seg = Segment.from_frames(planted[0].start_frame, planted[0].end_frame, 24.0, cues={"body": ("body.shake",)})
    ann = VideoAnnotation("p1_v1", 24.0, 720, 1, labels, [seg])
    pred = predict_video(load_model(None), table, annotation=ann, threshold=0.3)
    d = json.loads(pred.to_json())
    assert set(d) == TOP | {"annotated_segments"}
    assert d["model"]["kind"] == "codebook-prior" and d["model"]["trained"] is False
    assert len(d["frame_probability"]) == 720 == d["n_frames"]
    assert set(d["modality_evidence"]) == {"face", "language", "audio", "body"}
    assert d["missing_modalities"] == ["language"]
    assert d["annotated_segments"][0]["cues"] == {"body": ["body.shake"]}
    assert d["threshold"] == 0.3 and d["label"] in (0, 1)
    for s in d["segments"]:
        assert set(s) == {"start_s", "end_s", "start_frame", "end_frame", "probability", "cues", "modalities",
                          "pairs", "context_share", "other_share", "transcript", "within"}
        shares = [c["share"] for c in s["cues"]]
        assert shares == sorted(shares, reverse=True)
        assert all(set(c) == {"id", "modality", "name", "share", "activation", "active_fraction"} for c in s["cues"])
        total = (sum(m["share"] for m in s["modalities"]) + sum(p["share"] for p in s["pairs"])
                 + s["context_share"] + s["other_share"])
        assert total == pytest.approx(1.0, abs=2e-3)
    back = Prediction.from_json(pred.to_json())
    assert back == pred and back.to_dict() == d
    summ = d["summary"]  # the length-free summary agrees with the segments it summarises
    assert summ["segments"] == len(d["segments"])
    assert summ["ah_time_share"] == pytest.approx(
        sum(s["end_frame"] - s["start_frame"] + 1 for s in d["segments"]) / 720, abs=1e-4)
    assert summ["segments_per_10_min"] == pytest.approx(len(d["segments"]) * 600 / 30.0, abs=1e-3)
    old = {k: v for k, v in d.items() if k != "summary"}  # files written before the summary still read
    assert Prediction.from_json(old).summary is None
    # typed end to end: frozen records, attribute access
    assert isinstance(back.segments, tuple) and back.model.kind == "codebook-prior"
    if back.segments:
        with pytest.raises(Exception):
            back.segments[0].probability = 1.0


def test_prediction_json_keeps_keys_it_does_not_know(video):
    """A newer writer's fields survive a read and a write."""
    d = predict_video(load_model(None), video[0]).to_dict()
    d["written_by_a_newer_ahcue"] = {"kind": "population"}
    if d["segments"]:
        d["segments"][0]["newer_segment_field"] = [0.1, 0.2]
    back = Prediction.from_json(d)
    assert back.extra == {"written_by_a_newer_ahcue": {"kind": "population"}}
    assert back.to_dict() == d
    with pytest.raises(ValueError, match="lacks"):
        Prediction.from_json({k: v for k, v in d.items() if k != "segments"})


def test_quote_keeps_the_words_exactly():
    from levelone.media.transcript import Word
    from leveltwo.predict import quote_words

    words = [Word("energy.", 9.9, 10.5), Word("I", 10.85, 11.11), Word("think,", 11.11, 12.0),
             Word("I", 12.0, 12.26), Word("think,", 12.26, 13.16), Word("uh,", 14.11, 14.58),
             Word("no.", 14.58, 15.06), Word("Last", 15.41, 15.8)]
    # the segment starts inside the first "think,": the repetition is quoted whole
    assert quote_words(words, 11.667, 15.083) == "I think, I think, uh, no."
    assert quote_words(words, 20.0, 21.0) == "" and quote_words(None, 0, 1) == ""


def test_prediction_without_annotation_has_no_annotated_segments(video):
    d = predict_video(load_model(None), video[0]).to_dict()
    assert set(d) == TOP


def test_cli_predict(video, tmp_path, capsys):
    path = tmp_path / "ft.parquet"
    video[0].write(path)
    out = tmp_path / "prediction.json"
    assert main(["predict", str(path), "-o", str(out)]) == 0
    d = json.loads(out.read_text())
    assert d["video_id"] == "p1_v1"
    assert main(["predict", str(path), "-o", str(out)]) == 2  # exists, no --force
    assert "already exists" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.parquet")]) == 2


def test_someone_elses_words_are_not_quoted_as_the_persons(video):
    """Words the FrameTable's ``audio.self`` gives to someone else leave the segments' quotes."""
    from dataclasses import replace as dc_replace

    from levelone.frametable import FrameTable
    from levelone.media.transcript import Word

    table, _, planted = video
    seg = planted[0]
    t0 = seg.start_frame / 24.0
    words = [Word("mine", t0 + 0.1, t0 + 0.4), Word("theirs", t0 + 1.0, t0 + 1.4)]
    plain = predict_video(load_model(None), table, threshold=1e-6, words=words)  # one segment: the whole video
    assert any("theirs" in s.transcript for s in plain.segments)
    own = np.full(len(table.data), np.nan, np.float32)
    own[int(round((t0 + 0.1) * 24)):int(round((t0 + 0.4) * 24)) + 1] = 1.0
    own[int(round((t0 + 1.0) * 24)):int(round((t0 + 1.4) * 24)) + 1] = 0.0
    data = table.data.copy()
    data["audio.self"] = own
    split = predict_video(load_model(None), FrameTable(data, dc_replace(table.meta)), threshold=1e-6, words=words)
    quoted = " ".join(s.transcript for s in split.segments)
    assert "mine" in quoted and "theirs" not in quoted
