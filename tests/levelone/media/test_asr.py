"""Offline ASR with the packaged Whisper tiny.en on real speech."""
from __future__ import annotations

import re

import numpy as np
import pytest

from codebook.errors import InputError


from levelone.media.asr import transcribe  # noqa: E402


def _plain(words) -> str:
    return " ".join(re.sub(r"[^a-z]", "", w.text.lower()) for w in words)


def test_jfk_words_and_times(shared_data):
    words = transcribe(shared_data / "audio/jfk_whisper/jfk.flac")
    text = _plain(words)
    assert "my fellow americans" in text and "ask not what your country can do for you" in text
    am = next(w for w in words if w.text.strip(" ,.").lower() == "americans")
    assert abs(am.start_s - 1.76) < 0.3 and abs(am.end_s - 2.26) < 0.3
    for a, b in zip(words, words[1:]):
        assert a.start_s <= a.end_s <= b.start_s + 1e-6
    assert words[-1].end_s <= 11.1


def test_waveform_input_matches_file_input(shared_data):
    import librosa
    y, sr = librosa.load(str(shared_data / "audio/jfk_whisper/jfk.flac"), sr=22050, mono=True)
    words = transcribe(y, sr=sr)
    assert "ask not what your country can do for you" in _plain(words)


def test_silence_missing_and_undecodable_files(tmp_path):
    assert transcribe(np.zeros(16000 * 3, np.float32)) == []
    with pytest.raises(InputError):
        transcribe("/nonexistent/clip.wav")
    bad = tmp_path / "clip.wav"
    bad.write_text("not audio")
    with pytest.raises(InputError, match="clip.wav: cannot decode audio"):
        transcribe(bad)
