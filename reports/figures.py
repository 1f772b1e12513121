"""Figures for the report (inline SVG, sharp at any zoom and in print) and the comparison (PNG).

The report's timeline is SVG text built here from ``prediction.json`` and the FrameTable, never
from a model; the page's own script makes it interactive (seeking, playhead, lane tooltips). The
comparison's bar chart is drawn on a bare matplotlib ``Figure`` (no pyplot, so no global state).
"""
from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass

import numpy as np

from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary

# Colour-blind-safe: the Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), exact hues.
MODALITY_COLOURS = {"face": "#0072B2", "language": "#CC79A7", "audio": "#009E73", "body": "#D55E00"}
SEGMENT_COLOUR = "#E69F00"
ANNOTATED_COLOUR = "#56B4E9"
INK = "#333333"


def _png(fig, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.tick_params(colors=INK, labelsize=8)
    ax.yaxis.label.set_color(INK)


def timeline_cues(prediction, table, threshold: float = 0.5, min_frames: int = 3,
                  max_rows: int = 40) -> tuple[list[str], list[str]]:
    """(cue ids drawn, cue ids active but left out): every cue whose activation reaches
    ``threshold`` on at least ``min_frames`` frames, the segments' cues first, then by how often
    active, grouped by modality; beyond ``max_rows`` the least active are left out (and named)."""
    if table is None:
        return [], []
    df = table.data
    counts = {}
    for col in table.cue_columns():
        v = np.nan_to_num(df[col].to_numpy(np.float64), nan=0.0)
        n = int((v >= threshold).sum())
        if n >= min_frames:
            counts[col[len("cue."):]] = n
    ordered: list[str] = []
    for seg in prediction.segments:
        for cue in seg.cues:
            if cue.id in counts and cue.id not in ordered and cue.active_fraction > 0:
                ordered.append(cue.id)
    ordered += [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c not in ordered]
    shown, left_out = ordered[:max_rows], ordered[max_rows:]

    def band(c: str) -> int:
        m = c.split(".")[0]
        return MODALITIES.index(m) if m in MODALITIES else len(MODALITIES)
    # Group rows by modality so the raster reads as four bands.
    return sorted(shown, key=lambda c: (band(c), ordered.index(c))), left_out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs, end inclusive, of the True runs of a boolean array."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


# Cue names spelled out for the timeline and the cards, where the codebook's own name is an
# abbreviation or a single word that needs the glossary ("Mot", "No opp", "Close 2", "Throw").
SPELLED_NAMES: dict[str, str] = {
    "face.close2": "Eyes close (both)", "face.close1": "One eye closes", "face.open": "Eyes widen",
    "face.eyebrow": "Eyebrow raise or drop", "face.gaze": "Gaze shift", "face.mouth": "Other mouth movement",
    "face.hanging": "Mouth hangs open", "face.nose": "Nose movement",
    "language.mot": "Motivation to change", "language.no_mot": "No motivation to change",
    "language.cap": "Able to change", "language.no_cap": "Not able to change",
    "language.opp": "Opportunity to change", "language.no_opp": "No opportunity to change",
    "language.positive": "Positive about it", "language.negative": "Negative about it",
    "language.success": "Says they succeeded", "language.fail": "Says they failed",
    "audio.pause": "Long pauses", "audio.slow": "Slower speech", "audio.fast": "Faster speech",
    "audio.volume": "Volume change", "body.look_away": "Looks away", "body.shake": "Head shake",
    "body.tilt": "Head tilt", "body.throw": "Head throw", "body.nod": "Head nod", "body.hands": "Hand movement",
    "body.posture": "Posture change", "body.restless": "Restless movement",
}


def cue_label(cue_id: str, vocabulary: Vocabulary) -> str:
    """The cue's name as the report prints it: spelled out where the codebook abbreviates."""
    if cue_id in SPELLED_NAMES:
        return SPELLED_NAMES[cue_id]
    return vocabulary[cue_id].name if cue_id in vocabulary else cue_id


@dataclass(frozen=True)
class TimelineLayout:
    """Geometry of the inline SVG timeline, in viewBox units (the page scales it to its width)."""

    width: float = 820.0
    label_w: float = 150.0       # left gutter for lane names
    right: float = 10.0
    affect_h: float = 90.0
    lane_h: float = 20.0
    score_h: float = 100.0
    gap: float = 16.0
    axis_h: float = 26.0
    max_points: int = 1500       # curves are reduced to at most this many points (10 min at 25 fps: 15000 frames)


def _reduce(t: np.ndarray, v: np.ndarray, max_points: int, how: str = "mean") -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` (time, value) points: bucket means (or maxima, so a peak is never lost)."""
    n = len(v)
    if n <= max_points:
        return t, v
    edges = np.linspace(0, n, max_points + 1).astype(int)
    tt = np.array([t[a:b].mean() for a, b in zip(edges[:-1], edges[1:])])
    f = np.max if how == "max" else np.mean
    vv = np.full(max_points, np.nan)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        chunk = v[a:b][np.isfinite(v[a:b])]
        if chunk.size:
            vv[i] = f(chunk)
    return tt, vv


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    """SVG path data through the finite points; NaN breaks the line."""
    out, pen = [], False
    for x, y in zip(xs, ys):
        if not np.isfinite(y):
            pen = False
            continue
        out.append(f"{'L' if pen else 'M'}{x:.1f} {y:.1f}")
        pen = True
    return "".join(out)


def _tick_step(duration_s: float, max_ticks: int = 12) -> float:
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration_s / step <= max_ticks:
            return float(step)
    return 3600.0 * math.ceil(duration_s / 3600.0 / max_ticks)


def _clock(seconds: float) -> str:
    m, s = divmod(float(seconds), 60.0)
    return f"{int(m)}:{s:04.1f}" if s != int(s) else f"{int(m)}:{int(s):02d}"


def valence_trace(table, modality: str) -> tuple[np.ndarray, str] | None:
    """(values, dimension) of a modality's affect as level one measured it: 0 is the person's own
    neutral (their baseline, or a declared neutral recording), the reference the segment cards use
    when they call a side positive or negative. Valence when measured, else arousal (the voice)."""
    if table is None:
        return None
    for dim in ("valence", "arousal"):
        col = f"affect.{modality}.{dim}"
        if col in table.data:
            v = table.data[col].to_numpy(np.float64)
            if np.isfinite(v).any():
                return v, dim
    return None


def timeline_svg(prediction, table=None, vocabulary: Vocabulary | None = None, rows: list[str] | None = None,
                 cue_threshold: float = 0.5, definitions: dict[str, str] | None = None,
                 layout: TimelineLayout = TimelineLayout()) -> str:
    """The report's timeline as inline SVG: affect per modality, one lane per active cue, the A/H score.

    Everything is escaped text or numbers. Predicted segments are amber bands with their number
    (``data-seek-s``: a click seeks the video to the segment's start); annotated segments are blue
    bars under the score (also seeking); each cue lane is focusable and carries its name and
    definition (``data-name``/``data-definition``, and an SVG ``<title>``). The page's script maps a
    click anywhere else on the plot to a time through ``data-x0``/``data-x1``/``data-duration``.
    """
    L = layout
    voc = vocabulary or load_vocabulary()
    definitions = definitions or {}
    fps = float(prediction.fps) or 1.0
    n = int(prediction.n_frames)
    duration = max(float(prediction.duration_s or n / fps), 1.0 / fps)
    x0, x1 = L.label_w, L.width - L.right
    cues = rows if rows is not None else timeline_cues(prediction, table, threshold=cue_threshold)[0]

    def x(t):
        return x0 + (x1 - x0) * np.clip(np.asarray(t, dtype=np.float64), 0, duration) / duration

    t = np.arange(n) / fps
    parts: list[str] = []
    y = 22.0
    # 1. affect per modality (0 = the person's own neutral)
    a_top, a_bot = y, y + L.affect_h
    mid = (a_top + a_bot) / 2
    parts.append(f'<text class="panel" x="{x0 - 22}" y="{a_top + 14:.1f}" text-anchor="end">affect</text>'
                 f'<text class="sub" x="{x0 - 22}" y="{a_top + 28:.1f}" text-anchor="end">0 = own neutral</text>'
                 f'<line class="zero" x1="{x0}" x2="{x1}" y1="{mid:.1f}" y2="{mid:.1f}"/>'
                 f'<text class="tick" x="{x0 - 4}" y="{a_top + 4:.1f}" text-anchor="end">+1</text>'
                 f'<text class="tick" x="{x0 - 4}" y="{a_bot:.1f}" text-anchor="end">&#8722;1</text>')
    legend_x = x0 + 4
    drawn = False
    for m in MODALITIES:
        trace = valence_trace(table, m)
        if trace is None:
            continue
        v, dim = trace
        tt, vv = _reduce(t[:len(v)], np.clip(v[:n], -1, 1), L.max_points)
        ys = mid - vv * (L.affect_h / 2 - 2)
        dash = ' stroke-dasharray="5 3"' if dim == "arousal" else ""
        name = m if dim == "valence" else f"{m} arousal"
        parts.append(f'<path class="affect" d="{_path(x(tt), ys)}" stroke="{MODALITY_COLOURS[m]}"{dash}>'
                     f'<title>{html.escape(name)}</title></path>')
        parts.append(f'<text class="legend" x="{legend_x:.0f}" y="{a_top - 8:.1f}" fill="{MODALITY_COLOURS[m]}">'
                     f'&#9644; {html.escape(name)}</text>')
        legend_x += 8 + 7 * len(name) + 14
        drawn = True
    if not drawn:
        parts.append(f'<text class="sub" x="{(x0 + x1) / 2:.0f}" y="{mid + 4:.1f}" text-anchor="middle">'
                     'no affect evidence</text>')
    y = a_bot + L.gap
    # 2. one lane per active cue
    lanes_top = y
    if cues:
        for c in cues:
            colour = MODALITY_COLOURS.get(c.split(".")[0], INK)
            label = cue_label(c, voc)
            definition = definitions.get(c) or (voc[c].definition if c in voc else "")
            modality = c.split(".")[0]
            v = np.nan_to_num(table.data[f"cue.{c}"].to_numpy(np.float64), nan=0.0)[:n]
            rects = "".join(f'<rect class="run" x="{x(a / fps):.1f}" y="{y + 3:.1f}" '
                            f'width="{max(0.8, x((b + 1) / fps) - x(a / fps)):.1f}" height="{L.lane_h - 6:.1f}" '
                            f'fill="{colour}"/>' for a, b in runs(v >= cue_threshold))
            parts.append(
                f'<g class="lane" tabindex="0" data-cue="{html.escape(c)}" data-name="{html.escape(label)}" '
                f'data-modality="{html.escape(modality)}" data-definition="{html.escape(definition)}">'
                f'<title>{html.escape(label)} ({html.escape(modality)}): {html.escape(definition)}</title>'
                f'<rect class="lane-bg" x="0" y="{y:.1f}" width="{L.width}" height="{L.lane_h}"/>'
                f'<text class="lane-name" x="{x0 - 8}" y="{y + L.lane_h * 0.68:.1f}" text-anchor="end" '
                f'fill="{colour}">{html.escape(label)}</text>{rects}</g>')
            y += L.lane_h
    else:
        parts.append(f'<text class="sub" x="{(x0 + x1) / 2:.0f}" y="{y + 14:.1f}" text-anchor="middle">'
                     'no cue active above threshold</text>')
        y += L.lane_h
    lanes_bot = y
    y += L.gap
    # 3. A/H score and threshold; annotated segments under it
    s_top, s_bot = y, y + L.score_h

    def sy(p):
        return s_bot - 8 - (L.score_h - 14) * np.asarray(p, dtype=np.float64)

    p = np.asarray(prediction.frame_probability, dtype=np.float64)[:n]
    tt, pp = _reduce(t[:len(p)], p, L.max_points, how="max")
    thr = float(prediction.threshold)
    parts.append(f'<text class="panel" x="{x0 - 22}" y="{s_top + 10:.1f}" text-anchor="end">A/H score</text>'
                 f'<text class="tick" x="{x0 - 4}" y="{sy(1) + 4:.1f}" text-anchor="end">1</text>'
                 f'<text class="tick" x="{x0 - 4}" y="{sy(0) + 4:.1f}" text-anchor="end">0</text>'
                 f'<line class="threshold" x1="{x0}" x2="{x1}" y1="{sy(thr):.1f}" y2="{sy(thr):.1f}"/>'
                 f'<text class="sub" x="{x0 - 22}" y="{sy(thr) + 4:.1f}" text-anchor="end">threshold {thr:.2f}</text>'
                 f'<path class="score" d="{_path(x(tt), sy(pp))}"/>')
    for i, seg in enumerate(prediction.annotated_segments or (), start=1):
        parts.append(f'<rect class="annot" x="{x(seg.start_s):.1f}" y="{s_bot - 5:.1f}" '
                     f'width="{max(1.5, x(seg.end_s) - x(seg.start_s)):.1f}" height="6" tabindex="0" '
                     f'data-seek-s="{float(seg.start_s):.3f}"><title>annotated A/H segment {i}: '
                     f'{_clock(seg.start_s)}&#8211;{_clock(seg.end_s)}</title></rect>')
    y = s_bot
    # segment bands across every panel, numbered at the top (the number seeks)
    bands = []
    for i, seg in enumerate(prediction.segments, start=1):
        a, b = x(seg.start_s), x(seg.end_s)
        bands.append(f'<rect class="band" data-segment="{i}" x="{a:.1f}" y="0" width="{max(1.5, b - a):.1f}" '
                     f'height="{y:.1f}"/>')
        parts.append(f'<g class="segmark" tabindex="0" data-segment="{i}" data-seek-s="{float(seg.start_s):.3f}">'
                     f'<title>segment {i}: {_clock(seg.start_s)}&#8211;{_clock(seg.end_s)}</title>'
                     f'<rect x="{(a + b) / 2 - 8:.1f}" y="{s_top:.1f}" width="16" height="14" rx="3"/>'
                     f'<text x="{(a + b) / 2:.1f}" y="{s_top + 11:.1f}" text-anchor="middle">{i}</text></g>')
    # time axis
    step = _tick_step(duration)
    ticks = "".join(f'<line class="grid" x1="{x(s):.1f}" x2="{x(s):.1f}" y1="0" y2="{y:.1f}"/>'
                    f'<text class="tick" x="{x(s):.1f}" y="{y + 16:.1f}" text-anchor="middle">{_clock(s)}</text>'
                    for s in np.arange(0.0, duration + 1e-9, step))
    height = y + L.axis_h
    return (f'<svg class="timeline" viewBox="0 0 {L.width:.0f} {height:.0f}" width="100%" role="img" '
            f'aria-label="Timeline: affect per modality, active cues and the A/H score over time" '
            f'data-x0="{x0:.1f}" data-x1="{x1:.1f}" data-duration="{duration:.3f}" '
            f'data-lanes="{lanes_top:.1f} {lanes_bot:.1f}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(bands) + ticks + "".join(parts)
            + f'<line id="playhead" class="playhead" x1="{x0}" x2="{x0}" y1="0" y2="{y:.1f}"/></svg>')


SOURCE_COLOURS = {"model": "#0072B2", "shuffled": "#BBBBBB", "activation": "#E69F00", "frequency": "#999999"}
SOURCE_LABELS = {"model": "model explanation", "shuffled": "shuffled control",
                 "activation": "raw activation ranking", "frequency": "codebook frequency ranking"}


def comparison_png(summary: dict, dpi: int = 144) -> bytes:
    """Bars of the comparison metrics: the model's explanations beside every baseline, with the
    bootstrap intervals of hit@k and MRR as error bars."""
    from matplotlib.figure import Figure

    metrics = ["modality_f1", "cue_hit@1", "cue_hit@3", "cue_hit@5", "cue_mrr", "modality_cue_hit@1",
               "pair_jaccard"]
    modes = [m for m in ("segment", "span") if m in summary.get("modes", {})]
    fig = Figure(figsize=(9.5, 3.4))
    axes = fig.subplots(1, max(len(modes), 1), sharey=True, squeeze=False)[0]
    fig.subplots_adjust(left=0.07, right=0.99, top=0.78, bottom=0.3, wspace=0.08)
    x = np.arange(len(metrics))
    for ax, mode in zip(axes, modes or ["segment"]):
        res = summary.get("modes", {}).get(mode, {})
        sources = [s for s in SOURCE_COLOURS if s in res]
        width = 0.8 / max(len(sources), 1)
        for j, src in enumerate(sources):
            vals = np.array([res[src].get(k, np.nan) for k in metrics], dtype=np.float64)
            ci = res.get("ci", {}).get(src, {})
            err = np.zeros((2, len(metrics)))
            for i, k in enumerate(metrics):
                lo_hi = ci.get(k)
                if lo_hi and np.isfinite(vals[i]) and all(v is not None and np.isfinite(v) for v in lo_hi):
                    err[:, i] = [max(0.0, vals[i] - lo_hi[0]), max(0.0, lo_hi[1] - vals[i])]
            xs = x - 0.4 + width * (j + 0.5)
            ax.bar(xs, np.nan_to_num(vals), width, color=SOURCE_COLOURS[src], label=SOURCE_LABELS[src])
            has = [i for i, k in enumerate(metrics) if ci.get(k) and err[:, i].any()]
            if has:
                ax.errorbar(xs[has], np.nan_to_num(vals)[has], yerr=err[:, has], fmt="none", lw=0.7, capsize=1.5,
                            ecolor="#444444")
        ax.set_xticks(x)
        ax.set_xticklabels(metrics, rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{mode} mode", fontsize=9, color=INK)
        _style(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper left", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(0.06, 1.0))
    return _png(fig, dpi)
