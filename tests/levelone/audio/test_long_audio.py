"""Long recordings: the audio analysis works in blocks, so memory stays flat with length and the
result is exactly the one-matrix computation's (issue 24)."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from levelone.audio import prosody as P
from levelone.media.video import read_audio


@pytest.fixture(scope="module")
def long_speech(shared_data) -> np.ndarray:
    y = read_audio(shared_data / "audio" / "jfk_whisper" / "jfk.flac", sr=P.SR)
    return np.tile(y, 17)[: P.SR * 180 + 77]  # 3 minutes of real speech, an uneven tail


def test_blocks_give_the_whole_matrix_result(long_speech, monkeypatch):
    y = long_speech[: P.SR * 40 + 77]
    hop = int(P.SR * P.HOP_S)
    fr = P._frames(y, P.FRAME_LENGTH, hop)  # the whole frame matrix, as before blocks
    min_p, max_p = int(np.floor(P.SR / P.FMAX)), min(int(np.ceil(P.SR / P.FMIN)), P.FRAME_LENGTH - 1)
    f0_whole, aper_whole = P._yin_block(fr, P.SR, P.FRAME_LENGTH, min_p, max_p, 0.1)
    monkeypatch.setattr(P, "BLOCK_HOPS", 700)  # 6 blocks and a tail
    f0, aper = P.yin(y)
    assert f0.shape == (fr.shape[1],)
    np.testing.assert_array_equal(f0, f0_whole.astype(np.float32))
    np.testing.assert_array_equal(aper, aper_whole.astype(np.float32))
    level = P.rms_db(y)
    assert level.shape == f0.shape


@pytest.mark.slow
def test_memory_of_the_audio_analysis_does_not_grow_with_length(long_speech):
    def peak_mb(y: np.ndarray) -> float:
        tracemalloc.start()
        P.yin(y)
        P.spectral_pass(y, [(100, 180)])
        P.rms_db(y)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        return peak

    one = peak_mb(long_speech[: P.SR * 60])
    three = peak_mb(long_speech)
    # one whole (1024, n_hop) float64 matrix of 3 minutes is 147 MB; YIN held ~7 of them at once
    assert three < 1.5 * one and three < 150


def test_frame_blocks_are_the_whole_padded_matrix_cut_in_blocks():
    """Blocks are cut from the signal with the centring zeros at its ends only (no padded copy of
    the whole recording), and give exactly the columns of one padded frame matrix."""
    rng = np.random.default_rng(3)
    for n in (0, 1, 159, 1023, 5000, 16077):
        y = rng.standard_normal(n).astype(np.float32)
        for frame_length, hop in ((P.FRAME_LENGTH, 160), (513, 160), (7, 3)):
            whole = P._frames(y, frame_length, hop)
            blocks = np.concatenate(list(P._frame_blocks(y, frame_length, hop, block_hops=11)), axis=1)
            np.testing.assert_array_equal(blocks, whole)


@pytest.mark.slow
def test_read_audio_holds_the_waveform_once(shared_data):
    """Decoding 19 s of speech peaks at about the waveform's own size (a list of pieces joined at
    the end held it twice)."""
    clip = shared_data / "video" / "natural" / "marlin_video04.mp4"  # 19 s of speech
    tracemalloc.start()
    y = read_audio(clip, sr=P.SR)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert y.size == 304274  # 19.02 s at 16 kHz
    assert peak < 1.3 * y.nbytes + 200_000


def test_waveform_on_disk_gives_the_in_memory_result(shared_data, tmp_path):
    """The waveform kept in a file (levelone.media.audio.SignalFile) and read a block at a time
    gives exactly the analysis of the whole array."""
    from levelone.media.video import audio_to_file

    clip = shared_data / "video" / "natural" / "marlin_video04.mp4"  # 19 s of speech
    y = read_audio(clip, sr=P.SR)
    on_disk = audio_to_file(clip, tmp_path / "a.f32", sr=P.SR)
    assert on_disk.size == y.size == 304274
    np.testing.assert_array_equal(on_disk[1000:5000], y[1000:5000])
    assert on_disk.peak == float(np.abs(y).max())
    n_frames = 570  # 19 s at 30 fps
    expected = P.audio_signals(y, P.SR, 30.0, n_frames)
    got = P.audio_signals(on_disk, P.SR, 30.0, n_frames)
    assert expected["audio.speech"].mean() > 0.5  # speech: every step of the analysis ran
    import pandas as pd
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.slow
def test_audio_step_memory_does_not_grow_with_length(long_speech, tmp_path):
    """Stage one's audio step (decode + analysis) peaks the same on 1 and 3 minutes: the waveform
    waits on disk (in memory it would add 3.84 MB per minute)."""
    import soundfile

    from levelone.pipeline.signals import _audio_part

    def peak_mb(seconds: int) -> float:
        path = tmp_path / f"speech_{seconds}.wav"
        soundfile.write(path, long_speech[: P.SR * seconds], P.SR, subtype="FLOAT")
        _audio_part(path, 25.0, seconds * 25, True)  # imports and model loading, outside the measurement
        tracemalloc.start()
        _audio_part(path, 25.0, seconds * 25, True)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        return peak

    one, three = peak_mb(60), peak_mb(180)
    assert three < one + 2.0, (one, three)


def test_spectral_change_in_blocks_is_the_whole_matrix_result():
    """Blocks read the columns either side that smoothing and differencing need: the same change
    per hop as one (n_mels, n_hop) float64 matrix, for any block size and smoothing."""
    from scipy.ndimage import uniform_filter1d

    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 701, 2100):
        logmel = rng.normal(0.0, 6.0, (24, n)).astype(np.float32)
        for k in (1, 2, 3, 5):
            whole = uniform_filter1d(logmel.astype(np.float64), k, axis=1)
            expected = np.r_[0.0, np.abs(np.diff(whole, axis=1)).mean(axis=0)][:n]
            for block in (1, 3, 700, 3000):
                np.testing.assert_allclose(P.spectral_change(logmel, k, block), expected, rtol=1e-12, atol=1e-12)


def test_spectral_change_is_the_same_whatever_blocks_the_bands_come_in():
    """The audio step feeds the bands as the FFT blocks make them: any widths, the same change."""
    rng = np.random.default_rng(7)
    logmel = rng.normal(0.0, 6.0, (24, 2345)).astype(np.float32)
    whole = P.spectral_change(logmel, 3, 700)
    for widths in ((2345,), (1, 2344), (700, 700, 700, 245), (3,) * 781 + (2,), (1000, 1, 1, 1343)):
        cuts = np.cumsum((0,) + widths)
        blocks = [logmel[:, a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        np.testing.assert_array_equal(P.spectral_change_of_blocks(blocks, 3, 700), whole)
    assert P.spectral_change_of_blocks([], 3).shape == (0,)


def test_spectral_pass_is_the_whole_matrix_analysis(long_speech, monkeypatch):
    """One streamed pass gives the whole matrix's flatness, vowel level and change, and the
    log-mel columns of runs that cross block edges."""
    monkeypatch.setattr(P, "BLOCK_HOPS", 500)
    y = long_speech[: P.SR * 20 + 77]
    flat, logmel, vowel = P.spectral_shape(y)
    runs = [(0, 3), (480, 520), (999, 1001), (1200, 2600), (logmel.shape[1] - 5, logmel.shape[1])]
    got_flat, change, got_vowel, bands = P.spectral_pass(y, runs)
    np.testing.assert_array_equal(got_flat, flat)
    np.testing.assert_array_equal(got_vowel, vowel)
    np.testing.assert_array_equal(change, P.spectral_change(logmel, 3) / P.HOP_S)
    assert len(bands) == len(runs)
    for (a, b), cols in zip(runs, bands):
        np.testing.assert_array_equal(cols, logmel[:, a:b])


def test_spectral_pass_memory_does_not_grow_with_length(long_speech):
    """An hour is 360,000 hops: the pass must not hold the log-mel bands (24 float32 a hop:
    spectral_shape's peak grows 104 B a hop, 37 MB an hour) nor their float64 copies (four were
    277 MB an hour)."""
    def peak_bytes(y: np.ndarray) -> int:
        tracemalloc.start()
        P.spectral_pass(y, [(100, 180)])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak_bytes(long_speech[: P.SR * 5])  # librosa's filters and first-call allocations, outside the measurement
    # from 90 s (three blocks) the pass holds its steady working set: what grows after is per hop
    short, long = peak_bytes(long_speech[: P.SR * 90]), peak_bytes(long_speech)
    extra_hops = (long_speech.size - P.SR * 90) / P.HOP
    # flatness, change and vowel level (16 B a hop) and their blocks before they are joined: tens
    # of bytes a hop (16 measured); the whole matrix was 104
    assert (long - short) / extra_hops < 48, (short, long)


def test_mel_filters_are_librosas():
    """The filterbank written here is librosa's default ``filters.mel``, value for value."""
    import librosa

    for sr, n_fft, n_mels, fmin, fmax in ((16000, 512, 24, 100.0, 6000.0), (16000, 512, 40, 0.0, 8000.0),
                                          (22050, 2048, 128, 0.0, 11025.0), (8000, 256, 20, 50.0, 4000.0)):
        np.testing.assert_array_equal(P.mel_filters(sr, n_fft, n_mels, fmin, fmax),
                                      librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax))


def test_the_audio_analysis_does_not_load_numba(shared_data):
    """librosa builds its filterbank through numba: 111 MB and 0.65 CPU s the audio step does not
    need (a recording at 16 kHz, as level one decodes it, is never resampled)."""
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from levelone.audio import prosody as P\n"
            "from levelone.media.video import read_audio\n"
            f"y = read_audio({str(shared_data / 'audio' / 'jfk_whisper' / 'jfk.flac')!r}, sr=P.SR)\n"
            "df = P.audio_signals(y, P.SR, 25.0, int(y.size / P.SR * 25))\n"
            "assert df['audio.speech'].mean() > 0.5\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout[:300]
