"""The same video gives the same answer every time (issue 22): three fresh processes, each with an
empty cache, transcribe a real clip of natural talk and write identical prediction.json files."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_three_fresh_processes_give_identical_prediction_json(shared_data, tmp_path):
    clip = shared_data / "video/natural/marlin_video03.mp4"  # 8 s of natural English talk, speech recognised
    outs = []
    for run in range(3):
        env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
               "AHCUE_CACHE": str(tmp_path / f"home{run}")}
        out = tmp_path / f"prediction{run}.json"
        res = subprocess.run([sys.executable, "-m", "reports.cli", "predict", str(clip), "--cache-dir",
                              str(tmp_path / f"cache{run}"), "-o", str(out)],
                             capture_output=True, text=True, env=env, timeout=900)
        assert res.returncode == 0, res.stderr[-2000:]
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] == outs[2]
    assert b'"transcript"' in outs[0] and b'"words"' in outs[0]  # speech was recognised, not skipped
