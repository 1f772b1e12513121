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


def raster_cues(prediction: dict, table, threshold: float = 0.5, min_frames: int = 3,
                max_cues: int = 14) -> list[str]:
    """The cue ids worth a raster row: the segments' top cues first, then the most often active.

    A cue qualifies when its activation reaches ``threshold`` on at least ``min_frames`` frames.
    """
    if table is None:
        return []
    df = table.data
    counts = {}
    for col in table.cue_columns():
        v = np.nan_to_num(df[col].to_numpy(np.float64), nan=0.0)
        n = int((v >= threshold).sum())
        if n >= min_frames:
            counts[col[len("cue."):]] = n
    ordered: list[str] = []
    for seg in prediction.get("segments", []):
        for cue in seg.get("cues", []):
            if cue["id"] in counts and cue["id"] not in ordered:
                ordered.append(cue["id"])
    ordered += [c for c, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c not in ordered]
    ordered = ordered[:max_cues]
    # Group rows by modality so the raster reads as four bands.
    return sorted(ordered, key=lambda c: (MODALITIES.index(c.split(".")[0]), ordered.index(c)))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs, end inclusive, of the True runs of a boolean array."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    d = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def _shade_segments(ax, prediction: dict) -> None:
    for seg in prediction.get("segments", []):
        ax.axvspan(seg["start_s"], seg["end_s"], color=SEGMENT_COLOUR, alpha=0.18, lw=0, zorder=0)


def timeline_png(prediction: dict, table=None, vocabulary: Vocabulary | None = None,
                 cue_threshold: float = 0.5, dpi: int = 144, width_in: float = 10.0) -> bytes:
    """The report's timeline: modality valence, a raster of active cues, A/H probability.

    Predicted segments are shaded (amber) on every panel; annotated segments, when the prediction
    carries them, are drawn as blue bars under the probability curve.
    """
    from matplotlib.figure import Figure

    voc = vocabulary or load_vocabulary()
    fps = float(prediction["fps"]) or 1.0
    n = int(prediction["n_frames"])
    t = np.arange(n) / fps
    duration = max(float(prediction.get("duration_s", n / fps)), 1.0 / fps)
    cues = raster_cues(prediction, table, threshold=cue_threshold)
    heights = [1.3, max(0.9, 0.17 * len(cues) + 0.3), 1.4]
    fig = Figure(figsize=(width_in, sum(heights) + 0.9))
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": heights, "hspace": 0.18})
    fig.subplots_adjust(left=0.17, right=0.98, top=0.94, bottom=0.14)

    # 1. per-modality valence against the person's baseline
    ax = axes[0]
    _shade_segments(ax, prediction)
    drawn = False
    for m in MODALITIES:
        v, label, style = np.full(n, np.nan), m, "-"
        for dim in ("valence", "arousal"):  # the voice has arousal only: draw it dashed
            col = f"affect.{m}.{dim}"
            if table is not None and col in table.data and np.isfinite(table.data[col].to_numpy(np.float64)).any():
                v = table.data[col].to_numpy(np.float64)
                label, style = (m, "-") if dim == "valence" else (f"{m} arousal", "--")
                break
        if np.isfinite(v).any():
            ax.plot(t[:len(v)], v[:n], color=MODALITY_COLOURS[m], lw=1.2, ls=style, label=label)
            drawn = True
    ax.axhline(0, color="#bbbbbb", lw=0.6, zorder=0)
    ax.set_ylim(-1.05, 1.05)
    ax.set_yticks([-1, 0, 1])
    ax.set_ylabel("valence\n(vs. own baseline)", fontsize=8)
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
    p = np.asarray(prediction.get("frame_probability", []), dtype=np.float64)
    ax.plot(t[:len(p)], p[:n], color=INK, lw=1.3, label="A/H probability")
    thr = float(prediction.get("threshold", 0.5))
    ax.axhline(thr, color="#777777", lw=0.9, ls="--", label=f"threshold {thr:.2f}")
    for i, seg in enumerate(prediction.get("annotated_segments") or []):
        ax.axvspan(seg["start_s"], seg["end_s"], ymin=0.0, ymax=0.07, color=ANNOTATED_COLOUR, lw=0,
                   label="annotated A/H" if i == 0 else None)
    for i, seg in enumerate(prediction.get("segments", []), start=1):
        ax.text((seg["start_s"] + seg["end_s"]) / 2, 0.97, str(i), ha="center", va="top",
                fontsize=8, color="#8a5a00", fontweight="bold", transform=ax.get_xaxis_transform())
    ax.set_ylim(-0.02, 1.02)
    ax.set_yticks([0, 0.5, 1])
    ax.set_ylabel("A/H probability", fontsize=8)
    ax.set_xlabel("time (s)", fontsize=8, color=INK)
    ax.set_xlim(0, duration)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.32), fontsize=7, frameon=False, ncol=3)
    _style(ax)
    return _png(fig, dpi)


def comparison_png(summary: dict, dpi: int = 144) -> bytes:
    """Bars of the comparison metrics: the model's explanations beside the shuffled control."""
    from matplotlib.figure import Figure

    metrics = ["modality_f1", "cue_hit@1", "cue_hit@3", "cue_hit@5", "cue_mrr", "modality_cue_hit@1",
               "pair_jaccard"]
    modes = [m for m in ("segment", "span") if m in summary.get("modes", {})]
    fig = Figure(figsize=(8.5, 3.2))
    axes = fig.subplots(1, max(len(modes), 1), sharey=True, squeeze=False)[0]
    fig.subplots_adjust(left=0.08, right=0.98, top=0.8, bottom=0.3, wspace=0.08)
    x = np.arange(len(metrics))
    for ax, mode in zip(axes, modes or ["segment"]):
        res = summary.get("modes", {}).get(mode, {})
        model = [res.get("model", {}).get(k, np.nan) for k in metrics]
        ctrl = [res.get("shuffled", {}).get(k, np.nan) for k in metrics]
        ax.bar(x - 0.2, np.nan_to_num(model), 0.4, color="#0072B2", label="model explanation")
        ax.bar(x + 0.2, np.nan_to_num(ctrl), 0.4, color="#BBBBBB", label="shuffled control")
        ax.set_xticks(x)
        ax.set_xticklabels(metrics, rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{mode} mode", fontsize=9, color=INK)
        _style(ax)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper left", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.07, 1.0))
    return _png(fig, dpi)
