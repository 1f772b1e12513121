"""The session summary line of the report: what a recording of any length shows (issue 24).

Why its own module: ``reports/html.py`` is shared; this fragment is placed there by one call.
"""
from __future__ import annotations

import html

from leveltwo.predict import Prediction


def _clock(t: float) -> str:
    return f"{int(t // 60)}:{t % 60:04.1f}"


def render_session_summary(prediction: Prediction) -> str:
    """An escaped ``<p>`` with the share of time in A/H, segments per 10 minutes and the strongest
    moments, each a ``data-seek-s`` link to its time; empty for a prediction without a summary."""
    s = prediction.summary
    if s is None:
        return ""
    moments = "".join(f' <span class="moment" data-seek-s="{float(m["start_s"]):.3f}">'
                      f'{html.escape(_clock(float(m["start_s"])))} ({float(m["probability"]):.2f})</span>'
                      for m in s.strongest)
    head = html.escape(f"Whole recording: A/H in {s.ah_time_share:.0%} of the time, "
                       f"{s.segments_per_10_min:.1f} segments per 10 minutes ({s.segments} in all).")
    tail = f" Strongest moments:{moments}" if moments else ""
    return f'<p class="session-summary">{head}{tail}</p>'
