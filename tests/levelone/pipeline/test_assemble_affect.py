"""Assembly wiring of affect: audio-only evidence still reaches the language filler cue, and the
arousal columns are part of every FrameTable."""
from __future__ import annotations

import numpy as np
import pandas as pd

from levelone.audio.prosody import SIGNAL_COLUMNS
from levelone.frametable import AROUSAL_MODALITIES, FrameMeta
from levelone.pipeline.assemble import assemble
from levelone.baseline import Baseline


def _audio_only(n: int = 100) -> pd.DataFrame:
    raw = pd.DataFrame({c: np.full(n, np.nan, np.float32) for c in SIGNAL_COLUMNS})
    raw["audio.present"] = np.ones(n, bool)
    raw["audio.speech"] = np.float32(1.0)
    raw["audio.gap_s"] = np.float32(0.0)
    raw["audio.filler"] = np.float32(0.0)
    raw.loc[40:49, "audio.filler"] = 1.0
    return raw


def test_audio_filler_reaches_the_language_cue_without_a_transcript():
    raw = _audio_only()
    t = assemble(raw, Baseline.fit([raw]), FrameMeta("v", "p", 25.0, len(raw)))
    assert "text" in t.meta.missing and not t.data["text.present"].any()
    filler = t.data["cue.language.filler_sound"].to_numpy()
    assert filler[40:50].min() == 1.0 and np.nanmax(np.r_[filler[:40], filler[50:]]) == 0.0
    assert t.data["cue.language.hedging"].isna().all()  # no words: the lexical cues stay unknown
    assert (t.data["affect.language.confidence"] == 0).all()


def test_arousal_columns_are_always_there():
    raw = _audio_only()
    t = assemble(raw, Baseline.fit([raw]), FrameMeta("v", "p", 25.0, len(raw)))
    for m in AROUSAL_MODALITIES:
        assert f"affect.{m}.arousal" in t.data
    assert t.data["affect.face.arousal"].isna().all()  # no face: unknown, never a fake 0
    assert t.data["affect.audio.valence"].isna().all()
