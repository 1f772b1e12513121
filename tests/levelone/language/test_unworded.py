"""What the recogniser erased: voiced time no word accounts for (levelone.language.cues)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from levelone.baseline import Baseline
from levelone.language.cues import LanguageCueParams, erased_speech, text_signals, unworded_speech
from levelone.media import asr
from levelone.media.transcript import Word

SR = asr.SAMPLE_RATE


def test_reversed_speech_inserted_into_jfk_is_found_where_it_was_put(shared_data):
    """0.8 s of JFK's own voice played backwards (speech sound, no words) inserted between "your"
    and "country": Whisper drops it and stretches the next words over it; the erased time is found
    there, and nowhere in the original."""
    y = asr.load_audio(shared_data / "audio/jfk_whisper/jfk.flac")
    at_s, insert = 6.06, y[int(1.76 * SR):int(2.56 * SR)][::-1].copy()
    edited = np.concatenate([y[:int(at_s * SR)], insert, y[int(at_s * SR):]])
    original, changed = asr.recognise(y), asr.recognise(edited)
    assert unworded_speech(original.evidence_words(), original.voiced) == []
    found = unworded_speech(changed.evidence_words(), changed.voiced)
    assert found and all(at_s - 0.5 < a and b < at_s + 0.8 + 1.5 for a, b in found)
    assert sum(b - a for a, b in found) >= 0.3
    # on the frame axis, and as filler evidence against this recording's usual rate
    fps, n = 25.0, int(len(edited) / SR * 25)
    sig = text_signals(changed.evidence_words(), fps, n, voiced=changed.voiced)
    frames = np.flatnonzero(sig["text.unworded"].to_numpy() > 0)
    assert frames.size and at_s * fps - 15 <= frames.min() and frames.max() <= (at_s + 2.3) * fps
    act = erased_speech(sig, None, LanguageCueParams())
    assert act[frames].max() > 0.5 and act[sig["text.unworded"].to_numpy() == 0].max() == 0


def test_gaps_inside_voiced_speech_count_and_silences_between_spans_do_not():
    words = [Word("so", 0.0, 0.2), Word("we", 0.2, 0.4), Word("go", 1.0, 1.2), Word("now", 3.0, 3.3)]
    voiced = [(0.0, 1.3), (2.9, 3.4)]
    assert unworded_speech(words, voiced) == [(0.4, 1.0)]  # 2.0 s silence between spans: a pause, not erased
    assert unworded_speech(words, []) == []


def test_no_voice_activity_is_not_evidence_and_the_usual_rate_is_not_either():
    sig = text_signals([Word("yes", 0.0, 0.3)], 25.0, 50)  # a given transcript: nothing measured
    assert sig["text.unworded"].isna().all()
    assert erased_speech(sig, None, LanguageCueParams()).max() == 0
    steady = pd.DataFrame({"text.unworded": np.ones(100, np.float32),
                           "text.unworded_rate": np.full(100, 0.2, np.float32)})
    usual = Baseline({"text.unworded_rate": 0.2}, {"text.unworded_rate": 0.05}, 100)
    assert erased_speech(steady, usual, LanguageCueParams()).max() < 0.5  # at the person's usual rate
    high = Baseline({"text.unworded_rate": 0.0}, {"text.unworded_rate": 0.05}, 100)
    assert erased_speech(steady, high, LanguageCueParams()).min() > 0.9
