"""The package as a user gets it: a wheel built from the tracked files, installed into a fresh
virtual environment, runs `ahcue analyze` on the sample clip the wheel carries and writes the same
prediction.json, byte for byte, as the source tree (slow).

No download: the wheel is built without build isolation (setuptools from the running interpreter)
and installed with ``--no-deps --no-index``; the new environment sees the dependencies already
installed beside the running interpreter through a ``.pth`` line, which adds that folder to
``sys.path`` after the environment's own site-packages (and does not run its ``.pth`` files, so a
development install there cannot shadow the wheel).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NESTED_DATA = ("levelone/data/sample/sample.mp4", "levelone/data/sample/sample.yml",
               "levelone/data/sample/sample_annotations.csv", "leveltwo/data/model.safetensors",
               "codebook/data/vocabulary.yaml", "reports/data/report.css", "reports/data/report.js")


def _tracked_tree(dest: Path) -> Path:
    """A copy of the files git tracks (the build must not write into the working tree)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    src = _tracked_tree(work / "src")
    res = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "--no-index", "-w", str(work / "dist"), str(src)],
                         capture_output=True, text=True, env=_clean_env(), timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    log = res.stdout + res.stderr
    assert "SetuptoolsDeprecationWarning" not in log and "License classifiers are deprecated" not in log
    [whl] = (work / "dist").glob("ahcue-*.whl")
    return whl


def test_wheel_carries_nested_data_and_an_spdx_license(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        missing = [n for n in NESTED_DATA if n not in names]
        assert not missing, f"not in the wheel: {missing}"
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    assert "License-Expression: MIT" in text


@pytest.mark.slow
def test_installed_wheel_analyzes_its_sample(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "shared-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = _clean_env(AHCUE_CACHE=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                    "--quiet", str(wheel)], check=True, env=env, timeout=600)
    where = subprocess.run([str(py), "-c", "import reports, levelone; print(reports.__file__); "
                            "print(levelone.__file__)"], capture_output=True, text=True, check=True, env=env,
                           cwd=tmp_path).stdout.split()
    assert all(p.startswith(site) for p in where), where  # the wheel's copy, not the source tree
    sample = Path(where[1]).parent / "data" / "sample"
    ahcue = env_dir / "bin" / "ahcue"
    version = subprocess.run([str(ahcue), "--version"], capture_output=True, text=True, check=True, env=env)
    assert version.stdout.startswith("ahcue 0.1.0")
    out = tmp_path / "out"
    res = subprocess.run([str(ahcue), "analyze", str(sample / "sample.mp4"), "--transcript",
                          str(sample / "sample.yml"), "-o", str(out), "--quiet"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == ["features.parquet", "prediction.json", "report.html",
                                                     "segments.eaf"]
    assert "A/H score" in (out / "report.html").read_text()
    # One install, one behaviour: the source tree (make setup's editable install) gives a
    # byte-identical prediction.json for the same input, models and versions included.
    src_out = tmp_path / "out-source"
    res = subprocess.run([sys.executable, "-m", "reports.cli", "analyze", str(sample / "sample.mp4"), "--transcript",
                          str(sample / "sample.yml"), "-o", str(src_out), "--quiet"], capture_output=True, text=True,
                         env=_clean_env(AHCUE_CACHE=str(tmp_path / "cache-source"), PYTHONPATH=str(ROOT)),
                         cwd=tmp_path, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert (src_out / "prediction.json").read_bytes() == (out / "prediction.json").read_bytes()
