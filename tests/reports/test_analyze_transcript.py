"""`ahcue analyze` on French speech: a French transcript, no English language cues, said out loud."""
from __future__ import annotations

import json

import numpy as np
import pytest

from levelone.frametable import read
from reports.cli import main


@pytest.mark.slow
def test_french_clip_gets_a_french_transcript_and_no_english_cues(shared_data, tmp_path, capsys):
    video = shared_data / "video/natural/sppas_demo_fr.mp4"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--cache-dir", str(tmp_path / "cache")]) == 0
    printed = capsys.readouterr().out
    assert "transcript: language cues not measured: French speech" in printed
    pred = json.loads((out / "prediction.json").read_text())
    heard = pred["transcript"]
    assert heard["source"] == "asr" and heard["language"] == "fr" and heard["language_probability"] > 0.9
    assert heard["model"] == "whisper-base" and heard["language_cues"] == "language cues not measured: French speech"
    assert "démonstration" in " ".join(w["text"] for w in heard["words"])
    assert "language" in pred["missing_modalities"]
    table = read(out / "features.parquet")
    assert table.meta.transcript["language"] == "fr"  # level one recorded what it heard
    # no cue from English words anywhere (filler sounds may still come from the audio: "euh" is a filler)
    lexical = [c for c in table.data.columns if c.startswith("cue.language.") and c != "cue.language.filler_sound"]
    assert len(lexical) >= 10
    assert not (np.nan_to_num(table.data[lexical].to_numpy(np.float64)) > 0).any()
    assert not table.data["text.present"].any()
    html = (out / "report.html").read_text()
    assert "Language: French" in html and "Language cues not measured: French speech." in html
    assert sorted(p.name for p in (tmp_path / "cache").iterdir())  # --cache-dir was used
