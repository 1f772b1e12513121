"""Scoring a model on a split: BAH's metrics, the per-frame predictions, and two figures.

``predictions.csv`` holds ``video,frame,label,p1`` for every frame, so anyone can recompute the
metrics with their own code; ``metrics.json`` has frame and video level (every aggregation) at the
fixed 0.5 and the model's validation-tuned threshold; ``pr_curve.png`` is BAH's precision-recall
curve (the 1000 thresholds), ``confusion.png`` the frame-level confusion matrices.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

from codebook.atomic import check_writable, write_bytes, write_text
from leveltwo import metrics as M

OUTPUTS = ("metrics.json", "predictions.csv", "pr_curve.png", "confusion.png")


def evaluate_split(model, split) -> tuple[dict, pd.DataFrame]:
    """(metrics, predictions) of ``model`` on a :class:`leveltwo.dataset.Split`."""
    probs = [model.predict_proba(t) for t in split.tables]
    tuned = float(getattr(model, "threshold_", 0.5))
    result = M.report(split.labels, probs, split.video_labels, tuned)
    card = getattr(model, "card_", None) or model.card()
    result["model"] = {"id": card.get("id"), "kind": card["kind"], "trained": card.get("trained", True),
                       "adaptation": (card.get("adaptation") or {}).get("method", "none"),
                       "threshold_tuned_on": card.get("threshold_tuned_on", "validation")}
    result["split"] = {"name": split.name, "videos": len(split.tables), "frames": split.n_frames,
                       "labels_adjusted": split.adjusted, "description": split.describe()}
    preds = pd.DataFrame({
        "video": np.concatenate([[k] * len(y) for k, y in zip(split.keys, split.labels)]),
        "frame": np.concatenate([np.arange(len(y)) for y in split.labels]),
        "label": np.concatenate(split.labels).astype(np.int64),
        "p1": np.round(np.concatenate(probs), 6)})
    return result, preds


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return buf.getvalue()


def figures(result: dict, preds: pd.DataFrame) -> dict[str, bytes]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, prec, rec = M.pr_curve(preds["label"].to_numpy(), preds["p1"].to_numpy())
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(rec, prec, lw=1.5)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"frame level, AP {result['fixed_0.5']['frame']['ap']:.3f} (BAH definition)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    out = {"pr_curve.png": _png(fig)}
    plt.close(fig)
    names = [k for k in ("fixed_0.5", "tuned") if k in result]
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        cm = np.array(result[name]["frame"]["confusion"])
        ax.imshow(cm, cmap="Blues")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v > cm.max() / 2 else "black")
        ax.set_xticks([0, 1], ["no A/H", "A/H"])
        ax.set_yticks([0, 1], ["no A/H", "A/H"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("annotated")
        ax.set_title(f"threshold {result[name]['frame']['threshold']:.2f}")
    fig.tight_layout()
    out["confusion.png"] = _png(fig)
    plt.close(fig)
    return out


def write_evaluation(outdir: str | Path, result: dict, preds: pd.DataFrame, force: bool = False) -> Path:
    d = Path(outdir)
    for name in OUTPUTS:
        check_writable(d / name, force)
    write_text(d / "metrics.json", json.dumps(result, indent=2) + "\n")
    write_text(d / "predictions.csv", preds.to_csv(index=False))
    for name, data in figures(result, preds).items():
        write_bytes(d / name, data)
    return d


# What each video-level aggregation means, for the terminal (leveltwo.metrics.aggregate computes them).
AGGREGATION_MEANING = {
    "majority": "share of frames at or over the threshold, video positive when most are",
    "mean_logits": "sigmoid of the mean frame logit",
    "mean_probability": "mean frame probability",
    "sliding_max_24": "highest mean over any 24 consecutive frames (BAH's, prediction.json's)",
}


def summary(result: dict) -> str:
    """A few lines for the terminal: frame-level scores (every frame of the split pooled), then
    video-level ones (one score per video), each aggregation's line saying what it is."""
    n_videos = result["split"].get("videos")
    lines = [f"{result['split']['description']}", f"model {result['model']['id']} ({result['model']['kind']})",
             "frame level: every frame of the split pooled; video level: one A/H probability per video "
             f"({n_videos} videos) from its frames, by each aggregation below, scored against the video labels"]
    for name in ("fixed_0.5", "tuned"):
        if name not in result:
            continue
        f = result[name]["frame"]
        tuned_on = result["model"].get("threshold_tuned_on", "validation")
        what = "threshold 0.5" if name == "fixed_0.5" else f"the model's threshold, tuned on {tuned_on}"
        lines.append(f"[{name} thr {f['threshold']:.2f}: {what}] frame AVGF1 {f['avgf1']:.4f}  AP {f['ap']:.4f}  "
                     f"WAR {f['war']:.4f}")
        for how, v in result[name]["video"].items():
            meaning = AGGREGATION_MEANING.get(how, how)
            if "error" in v:
                lines.append(f"    video-level {how:17s} n/a ({v['error']})  [{meaning}]")
            else:
                lines.append(f"    video-level {how:17s} AVGF1 {v['avgf1']:.4f}  AP {v['ap']:.4f}  "
                             f"WAR {v['war']:.4f}  [{meaning}]")
    return "\n".join(lines)
