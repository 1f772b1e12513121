"""The report's whole-recording summary line (issue 24): length-free figures, strongest moments seekable."""
from __future__ import annotations

from html.parser import HTMLParser

from leveltwo.predict import SessionSummary
from reports.html import render_report
from reports.session_summary import render_session_summary
from report_fixtures import make_frametable, make_prediction, segment

FPS = 24.0


class _Seeks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.seeks: list[float] = []

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if "data-seek-s" in d:
            self.seeks.append(float(d["data-seek-s"]))


def test_summary_line_in_the_report_seeks_to_each_strongest_moment():
    table = make_frametable(n_frames=1440, fps=FPS, bursts={"body.shake": (100, 150)})
    pred = make_prediction(table, [segment(96, 156, FPS, 0.78, [("body.shake", 0.5)])])
    summ = SessionSummary(duration_s=60.0, ah_time_share=0.0424, frames_over_threshold_share=0.04, segments=1,
                          segments_per_10_min=10.0, strongest=({"start_s": 4.0, "end_s": 6.542, "probability": 0.78},))
    pred = pred.replace(summary=summ)
    frag = render_session_summary(pred)
    assert "A/H in 4% of the time, 10.0 segments per 10 minutes (1 in all)" in frag
    parser = _Seeks()
    parser.feed(render_report(pred, table))
    assert 4.0 in parser.seeks and "session-summary" in render_report(pred, table)
    assert render_session_summary(pred.replace(summary=None)) == ""
    assert summ.describe() == ("A/H in 4% of the time, 10.0 segments per 10 min (1 in 1:00.0); "
                               "strongest at 0:04.0 (0.78)")
