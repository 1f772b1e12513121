"""`ahcue analyze`, `ahcue report` and `ahcue compare` through the real pipeline (slow)."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pympi.Elan import Eaf

from reports.cli import main

pytestmark = pytest.mark.slow
FOUR = ["features.parquet", "prediction.json", "report.html", "segments.eaf"]


def test_analyze_grid_clip_with_asr(shared_data, tmp_path, capsys):
    video = shared_data / "video" / "grid" / "id2_vcd_swwp2s.mpg"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--json", "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == sorted(FOUR + ["transcript.json"])
    pred = json.loads((out / "prediction.json").read_text())
    assert printed == pred
    assert pred["n_frames"] == 75 and pred["fps"] == pytest.approx(25.0)
    assert len(pred["frame_probability"]) == 75 and 0.0 <= pred["probability"] <= 1.0
    assert "face" not in pred["missing_modalities"]  # a real face, found in every frame
    words = json.loads((out / "transcript.json").read_text())["words"]
    assert len(words) >= 4  # GRID sentences have six words; tiny.en drops few
    html = (out / "report.html").read_text()
    assert ("A/H likely" in html) ^ ("A/H not likely" in html)
    assert len(re.findall(r'<section class="card"', html)) == len(pred["segments"])
    eaf = Eaf(str(out / "segments.eaf"))
    assert "ahcue A/H" in eaf.get_tier_names()
    assert eaf.media_descriptors[0]["RELATIVE_MEDIA_URL"].endswith("id2_vcd_swwp2s.mpg")
    # outputs are refused without --force; `ahcue report` re-renders the same report
    assert main(["analyze", str(video), "-o", str(out), "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err
    (out / "report.html").write_text("stale")
    assert main(["report", str(out)]) == 0  # re-rendering in place is the command's job: no --force
    assert (out / "report.html").read_text() == html


def test_analyze_no_face_names_the_missing_modalities(shared_data, tmp_path):
    video = shared_data / "video" / "pyfeat" / "no_face.mp4"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--no-asr", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == FOUR
    pred = json.loads((out / "prediction.json").read_text())
    assert {"face", "language"} <= set(pred["missing_modalities"])
    html = (out / "report.html").read_text()
    missing = html.split("<h2>What was missing</h2>", 1)[1].split("<h2>", 1)[0]
    assert "no face was found" in missing and "no transcript" in missing


def test_compare_on_demo_corpus_beats_shuffled_control(demo_corpus, tmp_path, capsys):
    """Planted cues on the generated corpus (a test fixture, not evidence about people)."""
    out = tmp_path / "cmp"
    assert main(["compare", str(demo_corpus), "--split", "all", "-o", str(out), "--json", "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.json", "comparison.png"]
    assert summary["n_segments"] >= 5
    span = summary["modes"]["span"]
    # the planted cues are found in the explanation of the planted span ...
    assert span["model"]["cue_hit@5"] >= 0.6 and span["model"]["modality_recall"] >= 0.6
    # ... and a shuffled explanation names them clearly less often
    assert span["model"]["cue_mrr"] >= span["shuffled"]["cue_mrr"] + 0.1
    assert span["model"]["modality_cue_hit@1"] > span["shuffled"]["modality_cue_hit@1"]
    # ... and than the two rankings that ignore the model: raw activation and codebook frequency
    assert span["model"]["cue_mrr"] >= span["activation"]["cue_mrr"]
    assert span["model"]["cue_mrr"] >= span["frequency"]["cue_mrr"] + 0.1
    for source in ("model", "shuffled", "activation", "frequency"):
        lo, hi = span["ci"][source]["cue_mrr"]
        assert lo <= span[source]["cue_mrr"] <= hi
    assert "warning" not in summary  # the untrained prior never saw these videos
    rows = (out / "comparison.csv").read_text().splitlines()
    assert len(rows) == summary["n_segments"] + 1


def test_compare_one_analysed_video(shared_data, tmp_path, capsys):
    """`ahcue compare --prediction ... --annotations ...` on an analysed GRID clip with an ELAN file."""
    from codebook.annotations import Segment
    from codebook.eaf import write_eaf

    video = shared_data / "video" / "grid" / "bbaf2n.mpg"
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--no-asr", "--quiet"]) == 0
    eaf = tmp_path / "annot.eaf"
    write_eaf(eaf, [Segment.from_seconds(0.5, 2.0, 25.0, cues={"body": ("body.nod",), "face": ("face.gaze",)},
                                         pairs=("FB",))], media_path=video)
    assert main(["compare", "--prediction", str(out / "prediction.json"), "--annotations", str(eaf),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_segments"] == 1 and set(summary["modes"]) == {"segment", "span"}
    assert 0.0 <= summary["modes"]["span"]["model"]["modality_f1"] <= 1.0
    # one annotated segment: the shuffled control would equal the model, so it is left out, with a note
    assert summary["modes"]["span"]["shuffled"]["cue_mrr"] is None
    assert any("shuffled control omitted" in n for n in summary["notes"])
    assert {"activation", "frequency"} <= set(summary["modes"]["span"])
    # annotations for another video (they run past this 3 s clip) are refused with exit 2
    sample = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample" / "sample_annotations.csv"
    other = tmp_path / "bbaf2n.csv"
    other.write_text(sample.read_text().replace("sample,", "bbaf2n,"))
    assert main(["compare", "--prediction", str(out / "prediction.json"), "--annotations", str(other)]) == 2
    assert "runs past the end" in capsys.readouterr().err
    assert main(["compare", "--prediction", str(out / "prediction.json"), "--annotations", str(sample)]) == 2
    assert "no rows for video id 'bbaf2n'" in capsys.readouterr().err


def test_progress_off_a_terminal_is_one_line_per_stage(tmp_path):
    """stderr to a file: stage lines and a total, no progress-bar redraws, no MediaPipe start-up lines."""
    import subprocess
    import sys

    video = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample" / "sample.mp4"
    cache = tmp_path / "cache"  # an empty cache: MediaPipe really starts
    env = dict(os.environ, AHCUE_CACHE=str(cache), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    res = subprocess.run([sys.executable, "-m", "reports.cli", "analyze", str(video), "-o", str(tmp_path / "o"),
                          "--no-asr"], capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    # the sample's sidecar transcript is named once (it is read as the transcript), then one line per stage
    assert lines[0].startswith("ahcue: transcript: ") and lines[0].split()[2].endswith("sample.yml")
    assert [line.split("]")[0] for line in lines[1:-1]] == [f"[{i}/5" for i in range(1, 6)]
    assert lines[-1].startswith("done in ")
    assert "\r" not in res.stderr and "frame/s" not in res.stderr
    assert "W0000" not in res.stderr and "TensorFlow Lite" not in res.stderr
