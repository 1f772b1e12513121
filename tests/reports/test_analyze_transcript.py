"""`ahcue analyze` on French speech: a French transcript, scored by the multilingual heads (no
English lexical cues), said out loud."""
from __future__ import annotations

import json

import numpy as np
import pytest

from levelone.frametable import read
from reports.cli import main


@pytest.mark.slow
def test_french_clip_gets_a_french_transcript_and_multilingual_cues(shared_data, tmp_path, capsys):
    video = shared_data / "video/natural/sppas_demo_fr.mp4"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    said = "language cues from the multilingual encoder, trained on English data: French speech"
    assert f"transcript: {said}" in printed
    pred = json.loads((out / "prediction.json").read_text())
    heard = pred["transcript"]
    assert heard["source"] == "asr" and heard["language"] == "fr" and heard["language_probability"] > 0.9
    assert heard["model"] == "whisper-base" and heard["language_cues"] == said
    assert "démonstration" in " ".join(w["text"] for w in heard["words"])
    assert "language" not in pred["missing_modalities"]
    table = read(out / "features.parquet")
    assert table.meta.transcript["language"] == "fr"  # level one recorded what it heard, and what read it
    assert table.meta.transcript["scored_by"] == "the multilingual encoder, trained on English data"
    spoken = table.data["text.present"].to_numpy()
    assert spoken.mean() > 0.3  # the French words are the person's talk
    # the multilingual heads scored every spoken frame ...
    assert np.isfinite(table.data["text.valence"].to_numpy()[spoken]).all()
    assert np.isfinite(table.data["text.p_change"].to_numpy()[spoken]).all()
    assert (table.data["affect.language.confidence"].to_numpy()[spoken] > 0).any()
    # ... and no English lexicon read the French words: those cues are not measured (NaN), never 0
    lexical = ["hedging", "excuse", "correction", "repetition", "filler_word", "cap", "no_cap", "opp", "no_opp"]
    assert table.data[[f"cue.language.{c}" for c in lexical]].isna().all().all()
    html = (out / "report.html").read_text()
    assert "Language: French" in html and "Language cues from the multilingual encoder" in html
    assert sorted(p.name for p in (tmp_path / "cache").iterdir())  # --cache-dir was used


@pytest.mark.slow
def test_french_clip_without_the_multilingual_encoder_says_what_to_install(shared_data, tmp_path, capsys,
                                                                          monkeypatch):
    from levelone.language import multilingual

    monkeypatch.setattr(multilingual, "USE_PACKAGE", "ahcue-no-such-package")
    video = shared_data / "video/natural/sppas_demo_fr.mp4"
    out = tmp_path / "out"
    with pytest.warns(UserWarning, match="ahcue-no-such-package"):
        assert main(["analyze", str(video), "-o", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    assert "transcript: language cues not measured: French speech" in printed
    assert "pip install" in printed and "make setup" in printed  # the note says what to install
    pred = json.loads((out / "prediction.json").read_text())
    assert pred["transcript"]["language_cues"] == "language cues not measured: French speech"
    assert "language" in pred["missing_modalities"]
    table = read(out / "features.parquet")
    assert not table.data["text.present"].any()  # never silently scored by the English heads
    lexical = [c for c in table.data.columns if c.startswith("cue.language.") and c != "cue.language.filler_sound"]
    assert not (np.nan_to_num(table.data[lexical].to_numpy(np.float64)) > 0).any()
