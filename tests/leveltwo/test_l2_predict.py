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
       "pair_evidence", "context_evidence",
       "segments"}


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
                          "pairs", "transcript"}
        shares = [c["share"] for c in s["cues"]]
        assert shares == sorted(shares, reverse=True)
    assert Prediction.from_json(pred.to_json()).to_dict() == d


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
