"""The bounded-memory Silero VAD (levelone/media/vad.py) gives faster-whisper's own result on real speech."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from levelone.media.video import read_audio

faster_whisper_vad = pytest.importorskip("faster_whisper.vad")


@pytest.fixture(scope="module")
def speech(shared_data) -> np.ndarray:
    """Real speech with pauses: JFK (11 s), then a natural clip's speaker (19 s), then JFK again."""
    jfk = read_audio(shared_data / "audio" / "jfk_whisper" / "jfk.flac", sr=16000)
    other = read_audio(shared_data / "video" / "natural" / "marlin_video04.mp4", sr=16000)
    return np.concatenate([jfk, other, jfk])


@pytest.mark.parametrize("length", [512 * 40, 512 * 40 + 77, None])  # a whole number of windows, a tail, all
@pytest.mark.parametrize("options", [dict(threshold=0.5, min_speech_duration_ms=100, min_silence_duration_ms=150,
                                          speech_pad_ms=30),
                                     dict(threshold=0.3, min_silence_duration_ms=500, speech_pad_ms=200,
                                          max_speech_duration_s=4.0)])
def test_same_segments_as_faster_whisper(speech, length, options, monkeypatch):
    from levelone.media import vad

    y = speech[:length]
    opts = faster_whisper_vad.VadOptions(**options)
    expected = faster_whisper_vad.get_speech_timestamps(y.copy(), opts)  # it writes into its padded copy
    monkeypatch.setattr(vad, "BATCH_WINDOWS", 300)  # several model calls on 41 s: the LSTM state carries
    got = vad.speech_timestamps(y, opts)
    assert len(expected) >= (3 if length is None else 1)  # real speech found: the comparison means something
    assert got == expected


def test_probabilities_equal_and_memory_bounded(speech, monkeypatch):
    from levelone.media import vad

    y = np.tile(speech, 4)  # 2.8 minutes
    model = faster_whisper_vad.get_vad_model()
    padded = np.pad(y, (0, vad.WINDOW - y.size % vad.WINDOW))
    expected = model(padded)
    monkeypatch.setattr(vad, "BATCH_WINDOWS", 1000)  # 32 s a call: memory is one batch, whatever the length
    tracemalloc.start()
    got = vad.speech_probabilities(y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(got, expected)
    # faster-whisper's own call holds the padded copy and the stacked windows: over 2x the waveform;
    # here one batch (1000 windows of 576 samples: 2.3 MB, twice while it is made contiguous)
    assert peak < 0.6 * y.nbytes and peak < 6e6


def test_model_working_memory_is_one_small_batch(speech, tmp_path):
    """The ONNX session's own working memory (outside Python's allocator, so measured as resident
    memory in a fresh process) is one batch's: a call on 10,000 windows, as faster-whisper batches
    them, took 130 MB above the loaded model on 10 minutes of speech; the shipped batch 16 MB."""
    import subprocess
    import sys

    wave = tmp_path / "speech.f32"
    np.tile(speech, 8).astype(np.float32).tofile(wave)  # 5.5 minutes: over 10,000 windows
    code = (
        "import sys, threading, time, numpy as np\n"
        "from levelone.pipeline.memory import bound_allocators; bound_allocators()\n"
        "from levelone.media import vad\n"
        "def rss():\n"
        "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024\n"
        f"y = np.fromfile({str(wave)!r}, np.float32)\n"
        "vad.session()\n"
        "vad.speech_probabilities(y[:16000])  # the session's first-call set-up, outside the measurement\n"
        "peak, done = [0.0], []\n"
        "def watch():\n"
        "    while not done:\n"
        "        peak[0] = max(peak[0], rss()); time.sleep(0.005)\n"
        "base = rss(); t = threading.Thread(target=watch); t.start()\n"
        "vad.speech_probabilities(y); done.append(1); t.join()\n"
        "print(peak[0] - base)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip()) < 50, out.stdout


def test_options_default_as_faster_whispers():
    """:class:`levelone.media.vad.VadOptions` stands in for faster-whisper's: same fields, same defaults."""
    import dataclasses

    from levelone.media import vad

    ours = [(f.name, f.default) for f in dataclasses.fields(vad.VadOptions)]
    theirs = [(f.name, f.default) for f in dataclasses.fields(faster_whisper_vad.VadOptions)]
    assert ours == theirs


def test_voice_activity_without_the_transcription_stack(shared_data):
    """The VAD runs faster-whisper's model without importing faster-whisper (whose ``__init__`` loads
    CTranslate2, tokenizers and the Hugging Face Hub), and marks the speech faster-whisper marks."""
    import subprocess
    import sys

    from levelone.audio.prosody import speech_mask_silero

    jfk = shared_data / "audio" / "jfk_whisper" / "jfk.flac"
    code = ("import sys\n"
            "from levelone.media.video import read_audio\n"
            "from levelone.audio.prosody import speech_mask_silero\n"
            f"mask = speech_mask_silero(read_audio({str(jfk)!r}, sr=16000))\n"
            "print(''.join('1' if m else '0' for m in mask))\n"
            "print(*(m in sys.modules for m in ('faster_whisper', 'ctranslate2', 'onnxruntime')))\n")
    mask, *loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   check=True).stdout.split()
    assert loaded == ["False", "False", "True"]
    y = read_audio(jfk, sr=16000)
    opts = faster_whisper_vad.VadOptions(threshold=0.5, min_speech_duration_ms=100, min_silence_duration_ms=150,
                                         speech_pad_ms=30)  # speech_mask_silero's defaults
    hop = 160  # 10 ms at 16 kHz
    expected = np.zeros(1 + y.size // hop, bool)
    for seg in faster_whisper_vad.get_speech_timestamps(y.copy(), opts):
        expected[seg["start"] // hop:-(-seg["end"] // hop)] = True
    assert 0 < expected.sum() < expected.size  # speech and pauses: the comparison means something
    assert mask == "".join("1" if m else "0" for m in expected)
    assert np.array_equal(speech_mask_silero(y), expected)
