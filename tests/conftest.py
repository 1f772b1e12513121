"""Shared fixtures: the real public data in ../shared/data and the generated BAH-format corpus."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
# pytest puts tests/ first on sys.path (rootdir conftest); tests/codebook/ would then shadow the
# real `codebook` package as a namespace package. Put the repository itself first.
if sys.path[:1] != [str(REPO)]:
    sys.path.insert(0, str(REPO))
SHARED_DATA = Path(os.environ.get("AHCUE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real public data not found at {SHARED_DATA} (set AHCUE_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> Path:
    """The generated BAH-format demo corpus (4 participants so train/val/test each get one, seed 0),
    built once per test session. A test fixture, not evidence of accuracy on people."""
    import shutil

    if not (SHARED_DATA / "video" / "grid").is_dir():
        pytest.skip(f"GRID clips not found under {SHARED_DATA} (the demo corpus uses their faces)")
    if shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        pytest.skip("espeak-ng and ffmpeg are needed to generate the demo corpus")
    from levelone.democorpus.build import generate

    return generate(tmp_path_factory.mktemp("demo") / "bah", participants=4, seed=0)


@pytest.fixture(scope="session")
def demo_tables(demo_corpus) -> dict[str, Path]:
    """Level one over the whole demo corpus, once per session: video key -> FrameTable path.

    Uses the corpus's default cache (``<root>/.ahcue-cache``) and no ASR (the corpus ships BAH
    transcripts), so every test that extracts the corpus the same way reuses these tables.
    """
    from levelone.pipeline.extract import plan, run

    p = plan(demo_corpus)
    result = run(p, workers=1, asr=False, progress=False)
    assert not result.failures, result.failures
    keys = {j.video_id: j for j in p.jobs}
    assert set(result.tables) == set(keys)
    return dict(result.tables)
