"""Level one on the generated BAH-format corpus: every cue the corpus plants is more active inside
its planted A/H segments than outside them (issue 3's acceptance test, asserted per cue).

A system test of the pipeline on synthetic speech and warped real faces — not accuracy on people.
"""
from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from levelone.frametable import read

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def activations(demo_corpus, demo_tables):
    """cue id -> (mean activation inside its planted segments, mean activation everywhere else)."""
    planted = json.loads((demo_corpus / "ahcue_planted.json").read_text())["videos"]
    tables = {read(p).meta.source: read(p) for p in demo_tables.values()}
    inside, outside = defaultdict(list), defaultdict(list)
    planted_ids: set[str] = set()
    for key, video in planted.items():
        ft = next(t for src, t in tables.items() if src.endswith(key))
        in_seg: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(ft.meta.n_frames, bool))
        for seg in video["segments"]:
            for ids in seg["cues"].values():
                for cue in ids:
                    planted_ids.add(cue)
                    in_seg[cue][seg["start_frame"]:seg["end_frame"] + 1] = True
        for cue in planted_ids | set(in_seg):
            col = f"cue.{cue}"
            if col not in ft.data:
                continue
            values = ft.data[col].to_numpy(np.float64)
            mask = in_seg[cue]
            inside[cue].append(values[mask])
            outside[cue].append(values[~mask])
    return {c: (np.nanmean(np.concatenate(inside[c])), np.nanmean(np.concatenate(outside[c])))
            for c in planted_ids if inside.get(c) and np.concatenate(inside[c]).size}


def test_corpus_plants_cues_of_three_modalities(activations):
    assert {c.split(".")[0] for c in activations} >= {"language", "audio", "body"}


def test_each_planted_cue_is_higher_inside_its_segments(activations):
    report = {c: (round(i, 3), round(o, 3)) for c, (i, o) in sorted(activations.items())}
    print("planted cue: (inside, outside)", report)
    failing = {c: v for c, v in report.items() if not v[0] > v[1]}
    assert not failing, f"planted cues not higher inside their segments: {failing} (all: {report})"
