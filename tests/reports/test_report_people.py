"""The report's "People in the recording" section, prediction.json's ``people`` and ``--person`` errors."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from leveltwo.predict import OtherTurn, People, PersonSeen, Prediction
from reports.people import render_people
from report_fixtures import make_frametable, make_prediction


def _two_people(source: str = "") -> Prediction:
    table = make_frametable(n_frames=240, fps=24.0)
    people = People(faces=(PersonSeen(1, 9.0, 0.0, 9.9, (0.1, 0.3, 0.3, 0.7), 2.0),
                           PersonSeen(2, 9.5, 0.0, 9.9, (0.6, 0.3, 0.8, 0.7), 2.0, extra={"note": "<b>x</b>"})),
                    analysed=2, rule="--person <right>", face_share=0.4,
                    speech={"participant": 0.6, "others": 0.3, "unsure": 0.1},
                    other_turns=(OtherTurn(1.0, 2.5), OtherTurn(6.0, 7.25)))
    return make_prediction(table, []).replace(people=people, source=source)


def test_people_round_trip_through_prediction_json():
    pred = _two_people()
    back = Prediction.from_json(pred.to_json())
    assert back.people == pred.people
    assert back.to_dict()["people"]["other_turns"] == [{"start_s": 1.0, "end_s": 2.5}, {"start_s": 6.0, "end_s": 7.25}]
    assert "people" not in make_prediction(make_frametable(), []).to_dict()  # optional: old files still read


def test_two_people_section_says_who_was_analysed_and_whose_speech_was_set_aside():
    html = render_people(_two_people(source="/nonexistent/video.mp4"))
    assert "2 people were seen" in html and "Analysed: person 2" in html
    assert "--person &lt;right&gt;" in html and "<right>" not in html  # escaped
    assert "30% of the speech was someone else" in html and "10% could not be attributed" in html
    assert html.count('class="other-turn"') == 2
    assert 'data-seek-s="1.000"' in html and 'data-seek-s="6.000"' in html
    assert "only 40% of the video" in html  # the analysed face was found in under half of it
    assert "person 2 (analysed)" in html and "stroke-dasharray" in html  # the other is marked apart


def test_one_person_alone_is_one_line():
    pred = _two_people()
    alone = pred.replace(people=People(faces=(pred.people.faces[0],), analysed=1,
                                       rule="on screen longest, then largest",
                                       face_share=1.0, speech={"participant": 1.0, "others": 0.0, "unsure": 0.0},
                                       other_turns=()))
    html = render_people(alone)
    assert "One person in the recording." in html
    assert "<svg" not in html and "someone else" not in html
    assert render_people(make_prediction(make_frametable(), [])) == ""


def test_still_frame_is_embedded_from_the_video(shared_data):
    clip = shared_data / "video" / "grid" / "bbaf2n.mpg"
    html = render_people(_two_people(source=str(clip)))
    assert "data:image/jpeg;base64," in html and 'viewBox="0 0 360 288"' in html


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_person_that_names_no_one_is_one_line_exit_2_and_nothing_written(shared_data, tmp_path):
    grid = shared_data / "video" / "grid"
    two = tmp_path / "two.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(grid / "bbaf2n.mpg"), "-i", str(grid / "lbax4n.mpg"),
                    "-t", "1.5", "-filter_complex", "[0:v][1:v]hstack=inputs=2[v]", "-map", "[v]", "-map", "0:a",
                    "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(two)], check=True)
    env_cache = tmp_path / "cache"
    for video, who, says in ((grid / "bbaf2n.mpg", "right", "only one person"), (two, "3", "shows 2 people"),
                             (two, "middle", "not left, right")):
        out = tmp_path / f"{who}.json"
        res = subprocess.run([sys.executable, "-m", "reports.cli", "predict", str(video), "--no-asr", "--person", who,
                              "-o", str(out), "--cache-dir", str(env_cache)], capture_output=True, text=True)
        assert res.returncode == 2, res.stderr
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and says in lines[0], res.stderr
        assert not out.exists()


def test_a_cut_to_someone_else_is_listed_and_round_trips():
    pred = _two_people()
    cut = pred.replace(people=People(faces=(pred.people.faces[0],), analysed=1, rule="on screen longest, then largest",
                                     face_share=0.7, speech={}, other_turns=(),
                                     someone_else=tuple(OtherTurn(10.0 * k, 10.0 * k + 4.5) for k in range(7))))
    assert not cut.people.alone
    back = Prediction.from_json(cut.to_json())
    assert back.people == cut.people
    html = render_people(cut)
    assert "cut to someone else in this person's place 7 times (31.5 s in all" in html
    assert "0:00.0\u20130:04.5" in html and "0:40.0\u20130:44.5" in html
    assert "and 2 more" in html and "0:50.0" not in html
    assert "heard (off screen)" not in html and "One person in the recording" not in html
    old = cut.to_dict()["people"]
    del old["someone_else"]  # predictions made before cuts were checked still read
    assert People.from_dict(old).someone_else == ()
