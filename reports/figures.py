"""Figures for the report and the comparison, drawn with matplotlib's Agg canvas into PNG bytes.

Figures are built on a bare ``Figure`` (no pyplot, so no global state and no display needed) and
returned as PNG bytes, which the HTML report embeds as base64 and the comparison writes to files.
Everything is drawn from ``prediction.json`` and the FrameTable, never from a model.
"""
from __future__ import annotations

import io

import numpy as np

from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary

# Calm, colour-blind-safe modality colours (Okabe-Ito hues, slightly muted).
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


def centred_valence(values: np.ndarray) -> np.ndarray:
    """Valence minus its median over the video's frames with evidence: 0 is the person's usual level."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    return v - float(np.median(v[finite])) if finite.any() else v


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs, end inclusive, of the True runs of a boolean array."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def _shade_segments(ax, prediction: dict) -> None:
    for seg in prediction.segments:
        ax.axvspan(seg.start_s, seg.end_s, color=SEGMENT_COLOUR, alpha=0.18, lw=0, zorder=0)


def timeline_png(prediction, table=None, vocabulary: Vocabulary | None = None, rows: list[str] | None = None,
                 cue_threshold: float = 0.5, dpi: int = 144, width_in: float = 10.0) -> bytes:
    """The report's timeline: modality valence (centred), a raster of active cues, the A/H score.

    ``rows`` are the cue ids to draw (default: :func:`timeline_cues`). Predicted segments are
    shaded (amber) on every panel; annotated segments, when the prediction carries them, are drawn
    as blue bars under the score curve.
    """
    from matplotlib.figure import Figure

    voc = vocabulary or load_vocabulary()
    fps = float(prediction.fps) or 1.0
    n = int(prediction.n_frames)
    t = np.arange(n) / fps
    duration = max(float(prediction.duration_s or n / fps), 1.0 / fps)
    cues = rows if rows is not None else timeline_cues(prediction, table, threshold=cue_threshold)[0]
    heights = [1.3, max(0.9, 0.17 * len(cues) + 0.3), 1.4]
    fig = Figure(figsize=(width_in, sum(heights) + 0.9))
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": heights, "hspace": 0.18})
    fig.subplots_adjust(left=0.17, right=0.98, top=1 - 0.55 / (sum(heights) + 0.9), bottom=0.6 / (sum(heights) + 0.9))

    # 1. per-modality valence, centred on the person's usual level in this video
    ax = axes[0]
    _shade_segments(ax, prediction)
    drawn = False
    for m in MODALITIES:
        v, label, style = np.full(n, np.nan), m, "-"
        for dim in ("valence", "arousal"):  # the voice has arousal only: draw it dashed
            col = f"affect.{m}.{dim}"
            if table is not None and col in table.data and np.isfinite(table.data[col].to_numpy(np.float64)).any():
                v = centred_valence(table.data[col].to_numpy(np.float64))
                label, style = (m, "-") if dim == "valence" else (f"{m} arousal", "--")
                break
        if np.isfinite(v).any():
            ax.plot(t[:len(v)], v[:n], color=MODALITY_COLOURS[m], lw=1.2, ls=style, label=label)
            drawn = True
    ax.axhline(0, color="#bbbbbb", lw=0.6, zorder=0)
    ax.set_ylim(-1.05, 1.05)
    ax.set_yticks([-1, 0, 1])
    ax.set_ylabel("valence\n(0 = own usual)", fontsize=8)
    if drawn:
        ax.legend(loc="lower left", ncol=4, fontsize=7, frameon=False, bbox_to_anchor=(0, 1.0))
    else:
        ax.text(0.5, 0.5, "no affect evidence", transform=ax.transAxes, ha="center", va="center",
                fontsize=8, color="#777777")
    _style(ax)

    # 2. cue raster
    ax = axes[1]
    _shade_segments(ax, prediction)
    if cues:
        for row, c in enumerate(cues):
            v = np.nan_to_num(table.data[f"cue.{c}"].to_numpy(np.float64), nan=0.0)[:n]
            spans = [(a / fps, (b - a + 1) / fps) for a, b in runs(v >= cue_threshold)]
            ax.broken_barh(spans, (row - 0.35, 0.7), color=MODALITY_COLOURS.get(c.split(".")[0], INK),
                           alpha=0.85, lw=0, zorder=1)
        ax.set_yticks(range(len(cues)))
        ax.set_yticklabels([f"{voc[c].name} ({c.split('.')[0]})" if c in voc else c for c in cues], fontsize=7)
        for i, c in enumerate(cues):
            ax.get_yticklabels()[i].set_color(MODALITY_COLOURS.get(c.split(".")[0], INK))
        ax.set_ylim(len(cues) - 0.5, -0.5)
    else:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "no cue active above threshold", transform=ax.transAxes, ha="center",
                va="center", fontsize=8, color="#777777")
    ax.set_ylabel("active cues", fontsize=8)
    _style(ax)

    # 3. A/H probability
    ax = axes[2]
    _shade_segments(ax, prediction)
    p = np.asarray(prediction.frame_probability, dtype=np.float64)
    ax.plot(t[:len(p)], p[:n], color=INK, lw=1.3, label="A/H score")
    thr = float(prediction.threshold)
    ax.axhline(thr, color="#777777", lw=0.9, ls="--", label=f"threshold {thr:.2f}")
    for i, seg in enumerate(prediction.annotated_segments or ()):
        ax.axvspan(seg.start_s, seg.end_s, ymin=0.0, ymax=0.07, color=ANNOTATED_COLOUR, lw=0,
                   label="annotated A/H" if i == 0 else None)
    for i, seg in enumerate(prediction.segments, start=1):
        ax.text((seg.start_s + seg.end_s) / 2, 0.97, str(i), ha="center", va="top",
                fontsize=8, color="#8a5a00", fontweight="bold", transform=ax.get_xaxis_transform())
    ax.set_ylim(-0.02, 1.02)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("A/H score", fontsize=8)
    ax.set_xlabel("time (s)", fontsize=8, color=INK)
    ax.set_xlim(0, duration)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.3), fontsize=7, frameon=False, ncol=3)
    _style(ax)
    return _png(fig, dpi)


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
