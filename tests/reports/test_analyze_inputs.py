"""`ahcue analyze`/`report`/`compare` refuse bad input with one line, before any heavy work."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from codebook.errors import InputError
from reports.analyze import analyze, load_annotation


def test_missing_video(tmp_path):
    with pytest.raises(InputError, match="video not found"):
        analyze(tmp_path / "nope.mp4", tmp_path / "out")


def test_directory_and_undecodable_file_say_so(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        analyze(tmp_path, tmp_path / "out")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video at all")
    with pytest.raises(InputError) as err:
        analyze(bad, tmp_path / "out")
    assert "not a video ahcue can decode" in str(err.value)
    assert "Errno" not in str(err.value) and "1094995529" not in str(err.value)


def test_containers_are_probed_not_judged_by_extension(shared_data, tmp_path):
    """A CREMA-D .flv (VP6 video, MP3 audio) is planned; a decodable .mp4 renamed .dat is too."""
    import shutil

    from levelone.pipeline.extract import plan

    flv = shared_data / "video" / "cremad" / "1001_DFA_ANG_XX.flv"
    assert plan(flv).jobs[0].path == flv
    odd = tmp_path / "clip.dat"
    shutil.copy(shared_data / "video" / "grid" / "bbaf2n.mpg", odd)
    assert plan(odd).kind == "video"


def test_annotations_for_another_video_are_refused(shared_data, tmp_path):
    """The sample's 0:10-0:16 segment on a 3 s GRID clip: refused before any extraction."""
    sample = Path(__file__).resolve().parents[2] / "levelone" / "data" / "sample" / "sample_annotations.csv"
    video = shared_data / "video" / "grid" / "bbaf2n.mpg"
    t = time.perf_counter()
    with pytest.raises(InputError, match="no rows for video id 'bbaf2n'"):
        analyze(video, tmp_path / "out", annotation=sample, asr=False)
    assert time.perf_counter() - t < 5.0
    # the same rows relabelled for this video: they run past its end
    renamed = tmp_path / "bbaf2n.csv"
    renamed.write_text(sample.read_text().replace("sample,", "bbaf2n,"))
    with pytest.raises(InputError, match="runs past the end of bbaf2n.mpg"):
        analyze(video, tmp_path / "out", annotation=renamed, asr=False)
    assert not (tmp_path / "out" / "features.parquet").exists()


def test_existing_outputs_are_refused_up_front(shared_data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("earlier work")
    t = time.perf_counter()
    with pytest.raises(InputError, match="report.html: already exists"):
        analyze(shared_data / "video" / "pyfeat" / "no_face.mp4", out, asr=False)
    assert time.perf_counter() - t < 2.0  # refused before extraction started
    assert (out / "report.html").read_text() == "earlier work"


def test_out_is_a_file(shared_data, tmp_path):
    (tmp_path / "out").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        analyze(shared_data / "video" / "pyfeat" / "no_face.mp4", tmp_path / "out")


def test_annotation_formats(tmp_path):
    csv = tmp_path / "a.csv"
    csv.write_text("video_id,start_s,end_s,body,pairs\nclip,1.0,2.5,shake,LB\nother,0,1,nod,\n")
    ann = load_annotation(csv, 25.0, 100, tmp_path / "clip.mp4")
    assert [(s.start_frame, s.end_frame, s.cues.get("body"), s.pairs) for s in ann.segments] == \
        [(25, 62, ("body.shake",), ("LB",))]
    with pytest.raises(InputError, match="no rows for video id"):
        load_annotation(csv, 25.0, 100, tmp_path / "third.mp4")
    one = tmp_path / "one.csv"
    one.write_text("video_id,start_s,end_s\nsample,1.0,2.0\n")
    with pytest.raises(InputError, match="no rows for video id 'clip'"):  # one video, but another one
        load_annotation(one, 25.0, 100, tmp_path / "clip.mp4")
    with pytest.raises(InputError, match="runs past the end"):
        load_annotation(csv, 25.0, 50, tmp_path / "clip.mp4")  # 2.5 s into a 2 s video
    with pytest.raises(InputError, match=r"\.eaf, \.csv or BAH"):
        load_annotation(_touch(tmp_path / "a.txt"), 25.0, 100, tmp_path / "clip.mp4")
    with pytest.raises(InputError, match="annotation file not found"):
        load_annotation(tmp_path / "missing.eaf", 25.0, 100, tmp_path / "clip.mp4")


def test_bah_yaml_entry_found_by_file_name(tmp_path):
    yml = tmp_path / "video_annotation_transcript.yaml"
    yml.write_text("Videos/p1/Visite_1/p1_Question_2_x_Video.mp4:\n"
                   "  global_ah: 1\n  fr_detailed_ah: [[24, 71]]\n"
                   "  time_detailed_ah: [['00:00:01.000', '00:00:03.000']]\n"
                   "  all_cues: [{audio: pause, body: '', facial: gaze, inconsistencies: FL, language: ''}]\n"
                   "Videos/p2/Visite_1/p2_Question_1_y_Video.mp4:\n  global_ah: 0\n")
    ann = load_annotation(yml, 24.0, 120, tmp_path / "p1_Question_2_x_Video.mp4")
    [seg] = ann.segments
    assert (seg.start_frame, seg.end_frame, seg.cues["audio"], seg.cues["face"], seg.pairs) == \
        (24, 71, ("audio.pause",), ("face.gaze",), ("FL",))
    key = "Videos/p2/Visite_1/p2_Question_1_y_Video.mp4"
    assert load_annotation(f"{yml}::{key}", 24.0, 120, tmp_path / "other.mp4").segments == []
    with pytest.raises(InputError, match="no entry for"):
        load_annotation(yml, 24.0, 120, tmp_path / "unknown.mp4")


def test_eaf_linking_another_video_is_refused(tmp_path):
    from codebook.annotations import Segment
    from codebook.eaf import write_eaf

    eaf = tmp_path / "a.eaf"
    write_eaf(eaf, [Segment.from_seconds(0.5, 1.0, 25.0)], media_path=tmp_path / "other.mp4")
    with pytest.raises(InputError, match="links 'other.mp4', not 'clip.mp4'"):
        load_annotation(eaf, 25.0, 100, tmp_path / "clip.mp4")
    assert len(load_annotation(eaf, 25.0, 100, tmp_path / "other.mp4").segments) == 1


def _touch(path):
    path.write_text("")
    return path


def test_cli_errors_are_one_line(tmp_path, capsys):
    from reports.cli import main

    assert main(["report", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    assert main(["compare"]) == 2
    assert main(["compare", "--prediction", str(tmp_path / "prediction.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("ahcue ") for line in err)
    assert "not a folder" in err[0] and "prediction.json: not found" in err[1]
    assert "usage: ahcue compare DATASET_ROOT" in err[2] and "needs --annotations" in err[3]


def test_stage_lines_come_after_what_stdout_printed_before_them(monkeypatch):
    """``ahcue analyze ... 2>&1 | tee log``: stdout is block-buffered into the pipe, the stage lines
    go to stderr at once; each stage line first flushes stdout, so the summary printed before
    ``done in`` is not split by it (it was: "... (0 in 0:13.0)done in 3.6 s")."""
    from reports.analyze import StageLog

    merged: list[str] = []

    class Buffered:  # stdout into a pipe: nothing reaches the pipe until flushed
        def __init__(self):
            self.pending = ""

        def write(self, text):
            self.pending += text

        def flush(self):
            merged.append(self.pending)
            self.pending = ""

    class Direct:  # stderr: every write reaches the pipe at once
        def write(self, text):
            merged.append(text)

        def flush(self):
            pass

    monkeypatch.setattr("sys.stdout", Buffered())
    log = StageLog(stream=Direct(), stages=("one",))
    print("  summary line")
    log.done()
    assert "".join(merged).startswith("  summary line\ndone in ")
