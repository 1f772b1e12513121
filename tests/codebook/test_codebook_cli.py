"""`ahcue codebook` through reports.cli.main: output, and bad inputs as one line + exit code 2.

The registry is narrowed to this command so these tests do not depend on other commands'
modules (tests/reports/test_cli.py checks the full registry)."""
from __future__ import annotations

import json

import pytest

import reports.cli
from bah_fixture import V1, V2
from codebook.stats import CueStatistics


@pytest.fixture
def ahcue(monkeypatch, capsys):
    monkeypatch.setattr(reports.cli, "COMMANDS", [c for c in reports.cli.COMMANDS if c == "codebook"])

    def run(*args):
        code = reports.cli.main(["codebook", *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_list_and_json(ahcue):
    code, out, _ = ahcue("list")
    assert code == 0 and "audio.pause" in out and "52 cues" in out
    code, out, _ = ahcue("list", "--modality", "body", "--json")
    data = json.loads(out)
    assert code == 0 and len(data) == 11 and {d["modality"] for d in data} == {"body"}
    assert data[1]["id"] == "body.shake" and data[1]["column"] == "cue.body.shake"


def test_show_cue_spelling_and_pair(ahcue):
    code, out, _ = ahcue("show", "Filler sound")
    assert code == 0 and out.startswith("language.filler_sound") and "cue.language.filler_sound" in out
    code, out, _ = ahcue("show", "lb", "--json")
    assert code == 0 and json.loads(out)["modalities"] == ["language", "body"]


def test_show_unknown_lists_close_matches(ahcue):
    code, _, err = ahcue("show", "face.gazee")
    line = _one_error_line(err)
    assert code == 2 and "unknown cue or pair 'face.gazee'" in line and "face.gaze" in line


def test_stats_table_json_and_output(ahcue, bah_root, tmp_path):
    code, out, _ = ahcue("stats", bah_root, "--split", "train")
    assert code == 0 and "A/H segments 2, with cues 2, with an inconsistency 2" in out
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines() if line.strip()}
    # train only: mentions face 3, language 3, audio 2, body 1 of 9; pairs FL, FA, LB
    assert rows["face"] == ["33.3%", "28.4%"] and rows["body"] == ["11.1%", "23.7%"]
    assert rows["FA"] == ["33.3%", "2.7%"] and rows["all"] == ["four", "50.0%"]
    out_file = tmp_path / "stats.json"
    code, out, _ = ahcue("stats", bah_root, "-o", out_file, "--json")
    assert code == 0 and json.loads(out)["n_segments"] == 3
    assert CueStatistics.load(out_file).modality_shares["face"] == pytest.approx(0.3)
    code, _, err = ahcue("stats", bah_root, "-o", out_file)
    assert code == 2 and "already exists" in _one_error_line(err)
    assert ahcue("stats", bah_root, "-o", out_file, "--force")[0] == 0


def test_bad_roots_are_one_line_naming_the_file(ahcue, bah_root, tmp_path):
    code, _, err = ahcue("stats", tmp_path / "missing root")
    assert code == 2 and "missing root" in _one_error_line(err)

    split = bah_root / "split" / "train.txt"
    split.write_text(f"{V1},1,fine, really\n{V2},0\n")
    code, _, err = ahcue("stats", bah_root)
    assert code == 2 and f"{split}:2:" in _one_error_line(err)

    split.write_text("Videos/../../outside.mp4,1,hello\n")
    code, _, err = ahcue("stats", bah_root)
    assert code == 2 and "escapes the dataset root" in _one_error_line(err) and "train.txt:1" in err


def test_truncated_and_hostile_annotation_yaml(ahcue, bah_root):
    path = bah_root / "video_annotation_transcript.yaml"
    text = path.read_text()
    path.write_text(text[: len(text) // 3] + "\n    - [frame-1.jpg, 1\n")
    code, _, err = ahcue("stats", bah_root)
    line = _one_error_line(err)
    assert code == 2 and line.startswith(f"ahcue codebook: error: {path}:") and "bad YAML" in line

    marker = bah_root / "PWNED"
    path.write_text(f"{V1}:\n  global_ah: !!python/object/apply:os.system ['touch {marker}']\n")
    code, _, err = ahcue("stats", bah_root)
    line = _one_error_line(err)
    assert code == 2 and f"{path}:2:" in line and "unsafe or unknown YAML tag" in line
    assert not marker.exists()
