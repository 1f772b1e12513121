"""A model directory on disk: one weights file (safetensors or xgboost JSON) plus ``card.json``.

The card records the weights' SHA-256; loading refuses a directory whose weights do not match it
(tampered or mixed-up files) and any directory holding a pickle-based file (``.pkl``, ``.pt``, ...),
which is never opened: unpickling runs arbitrary code.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from codebook.atomic import check_writable, write_bytes, write_text
from codebook.errors import InputError

CARD = "card.json"
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pt", ".pth", ".joblib", ".ckpt", ".bin", ".npy", ".npz")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_model_dir(directory: str | Path, weights_name: str, weights: bytes, card: dict,
                    force: bool = False) -> Path:
    """Write weights then card (atomically each); refuse an existing card unless ``force``."""
    d = Path(directory)
    check_writable(d / CARD, force)
    check_writable(d / weights_name, force)
    card = dict(card, weights_file=weights_name, weights_sha256=sha256(weights))
    write_bytes(d / weights_name, weights)
    write_text(d / CARD, json.dumps(card, indent=2, sort_keys=True, default=_json_default) + "\n")
    return d


def _json_default(o):
    try:
        import numpy as np
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def read_card(directory: str | Path) -> dict:
    """The card of a model directory, after the pickle check."""
    d = Path(directory)
    if not d.is_dir():
        raise InputError(d, "model directory not found")
    bad = sorted(p.name for p in d.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if bad:
        raise InputError(d, f"holds pickle-based file(s) {', '.join(bad)}; ahcue loads only safetensors/JSON models "
                            "and never unpickles")
    try:
        card = json.loads((d / CARD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(d, f"no {CARD}: not an ahcue model directory") from None
    except json.JSONDecodeError as err:
        raise InputError(d / CARD, f"not valid JSON ({err.msg})") from None
    if not isinstance(card, dict) or "kind" not in card:
        raise InputError(d / CARD, "model card lacks 'kind'")
    return card


def read_weights(directory: str | Path, card: dict) -> bytes:
    """The weights bytes, verified against the card's hash."""
    d = Path(directory)
    name = card.get("weights_file")
    if not name or "/" in name or "\\" in name:
        raise InputError(d / CARD, "model card names no valid weights_file")
    try:
        data = (d / name).read_bytes()
    except FileNotFoundError:
        raise InputError(d / name, "weights file missing") from None
    if sha256(data) != card.get("weights_sha256"):
        raise InputError(d / name, "weights do not match the hash in card.json (tampered or mismatched model)")
    return data


def short_hash(data: bytes) -> str:
    """12 hex digits of the SHA-256: a model id that changes whenever the weights do."""
    return sha256(data)[:12]


def library_versions() -> dict[str, str]:
    """Installed versions of the packages a model's numbers depend on (for its card)."""
    import importlib.metadata as md

    from codebook.version import __version__

    out = {"ahcue": __version__}
    for pkg in ("numpy", "torch", "xgboost", "shap", "safetensors"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out
