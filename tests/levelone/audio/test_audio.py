"""Prosody on real speech: jfk.flac pauses, voicing against GRID's word alignment, silence."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.signal import butter, lfilter

from codebook.vocabulary import load_vocabulary
from levelone.audio import prosody as A
from levelone.baseline import Baseline


def _load(path, sr=A.SR) -> np.ndarray:
    import librosa
    y, _ = librosa.load(str(path), sr=sr, mono=True)
    return y


VADS = ["energy", pytest.param("silero", marks=pytest.mark.skipif(not A.silero_available(),
                                                                    reason="faster-whisper not installed"))]


def _speech(y: np.ndarray, vad: str = "energy") -> tuple[np.ndarray, np.ndarray]:
    level = A.rms_db(y)
    f0, aper = A.yin(y)
    voiced = A.voicing(f0, aper, level)
    speech = A.speech_mask(voiced, level) if vad == "energy" else A.speech_mask_silero(y)
    return voiced, speech


def held_vowel(dur_s: float = 0.6, f0: float = 120.0, sr: int = A.SR, seed: int = 0) -> np.ndarray:
    """A held "uhh": a slightly jittered glottal pulse train through three formant resonators."""
    rng = np.random.default_rng(seed)
    n = int(dur_s * sr)
    x = np.zeros(n)
    t = 0.0
    while t < n:
        x[int(t)] = 1.0
        t += sr / (f0 * (1 + 0.005 * rng.standard_normal()))
    for f, bw in ((600, 80), (1200, 100), (2500, 150)):
        r, th = np.exp(-np.pi * bw / sr), 2 * np.pi * f / sr
        x = lfilter([1 - r], [1, -2 * r * np.cos(th), r * r], x)
    ramp = np.minimum(1, np.minimum(np.arange(n), n - np.arange(n)) / (0.03 * sr))
    return (0.3 * x * ramp / np.abs(x).max()).astype(np.float32)


def test_yin_finds_a_known_pitch_and_calls_noise_aperiodic():
    sr = A.SR
    t = np.arange(sr) / sr
    tone = 0.3 * np.sign(np.sin(2 * np.pi * 150 * t)).astype(np.float32)  # harmonic-rich 150 Hz
    f0, aper = A.yin(tone)
    assert abs(np.median(f0[10:-10]) - 150.0) < 1.0
    assert np.median(aper[10:-10]) < 0.05
    noise = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 0.1
    _, aper_n = A.yin(noise)
    assert np.median(aper_n) > 0.4


@pytest.mark.parametrize("vad", VADS)
def test_jfk_pauses_are_found_where_the_speaker_pauses(shared_data, vad):
    y = _load(shared_data / "audio/jfk_whisper/jfk.flac")
    _, speech = _speech(y, vad)
    long = [(a, b) for a, b in A.pauses(speech) if b - a >= 0.4]
    # "...my fellow Americans, | ask not | what your country can do for you, | ask what ..."
    # (Whisper puts "Americans" at 1.76-2.26 s, "not" ends 4.56, "you" ends 7.58, "ask" at 8.06)
    expected = [(2.1, 3.3), (4.3, 5.4), (7.6, 8.15)]
    assert len(long) == 3, long
    for (a, b), (ea, eb) in zip(long, expected):
        assert abs(a - ea) < 0.25 and abs(b - eb) < 0.25, (a, b)


def test_jfk_signals_on_the_frame_axis(shared_data):
    import librosa
    y, sr = librosa.load(str(shared_data / "audio/jfk_whisper/jfk.flac"), sr=None, mono=True)
    fps, n = 24.0, 270  # 11.25 s of video for 11.0 s of audio: trailing frames have no audio
    df = A.audio_signals(y, sr, fps, n)
    assert len(df) == n and df["audio.present"].dtype == bool
    assert all(df[c].dtype == np.float32 for c in df.columns if c != "audio.present")
    assert df["audio.rms_db"].iloc[-3:].isna().all()  # past the end of the audio
    t = np.arange(n) / fps
    in_pause = (t > 2.4) & (t < 3.1)
    assert not df["audio.present"][in_pause].any()
    assert df["audio.gap_s"][in_pause].min() > 1.0
    assert 0.5 < df["audio.present"].mean() < 0.8
    # a male public speaker: f0 between 100 and 250 Hz (4-16 semitones re 100 Hz) most of the time
    st = df["audio.f0_st"].dropna()
    assert 0.0 < st.median() < 16.0
    assert df["audio.rate"].dropna().between(1.0, 7.0).all()
    assert (df["audio.filler"].fillna(0) == 0).all()  # JFK uses no fillers


@pytest.mark.parametrize("vad", VADS)
def test_speech_tracks_grid_words(shared_data, vad):
    from levelone.media.video import read_audio
    y = read_audio(shared_data / "video/grid/id2_vcd_swwp2s.mpg", sr=A.SR)
    rows = [line.split() for line in (shared_data / "video/grid/swwp2s.align").read_text().splitlines() if line.strip()]
    words = [(int(a) / 25000, int(b) / 25000) for a, b, w in rows if w != "sil"]
    voiced, speech = _speech(y, vad)
    t = np.arange(speech.size) * A.HOP_S
    inside = np.zeros_like(speech)
    for a, b in words:
        inside |= (t >= a) & (t < b)
    lead, trail = t < words[0][0] - 0.05, t > words[-1][1] + 0.05
    assert speech[inside].mean() > 0.8
    assert speech[lead].mean() < 0.2 and speech[trail].mean() < 0.2
    assert voiced[lead].mean() < 0.05 and voiced[trail].mean() < 0.05 and voiced[inside].mean() > 0.4


def test_librispeech_is_mostly_speech(shared_data):
    y = _load(shared_data / "audio/librispeech_librosa/198-209-0000.ogg")
    voiced, speech = _speech(y)
    assert 0.75 < speech.mean() < 0.95
    assert 0.4 < voiced.mean() < 0.7


@pytest.mark.parametrize("vad", VADS)
def test_silence_and_missing_audio_give_no_speech(vad):
    for y in (np.zeros(16000 * 2, np.float32), np.zeros(0, np.float32),
              1e-4 * np.random.default_rng(0).standard_normal(32000).astype(np.float32)):
        df = A.audio_signals(y, 16000, 25.0, 50, vad=vad)
        assert len(df) == 50 and not df["audio.present"].any()
        assert df["audio.f0_st"].isna().all() and df["audio.rate"].isna().all()
        cues = A.audio_cues(df, None, 25.0)
        assert cues.filter(like="cue.").isna().all().all()
        assert (cues["affect.audio.confidence"] == 0).all()


def test_filler_and_breath_detectors_find_planted_events(shared_data):
    """A held vowel and a band-limited breath noise placed between real LibriSpeech phrases."""
    sp = _load(shared_data / "audio/librispeech_librosa/198-209-0000.ogg")[:5 * A.SR]
    rng = np.random.default_rng(0)
    b, a = butter(2, [300 / 8000, 4000 / 8000], "band")
    breath = lfilter(b, a, rng.standard_normal(int(0.6 * A.SR))).astype(np.float32)
    breath *= 0.02 / breath.std() * np.hanning(breath.size).astype(np.float32) ** 0.5
    gap = np.zeros(int(0.5 * A.SR), np.float32)
    # phrases cut at LibriSpeech's own pauses (2.61 s and 5.0 s)
    y = np.concatenate([sp[:int(2.6 * A.SR)], gap, held_vowel(), gap, sp[int(2.9 * A.SR):], gap, breath, gap,
                        sp[:int(2.6 * A.SR)]])
    fps = 25.0
    df = A.audio_signals(y, A.SR, fps, int(y.size / A.SR * fps))
    t = np.arange(len(df)) / fps
    fill_t = t[df["audio.filler"] > 0]
    assert fill_t.size and abs(fill_t.min() - 3.1) < 0.1 and abs(fill_t.max() - 3.7) < 0.1
    start = 2.6 + 0.5 + 0.6 + 0.5 + 2.1 + 0.5
    br_t = t[df["audio.breath"] > 0]
    assert br_t.size and abs(br_t.min() - start) < 0.15 and abs(br_t.max() - (start + 0.6)) < 0.15
    assert not df["audio.filler"][t < 3.0].any() and not df["audio.breath"][t < start - 0.2].any()


PAUSE_ON_NATURAL_TALK = pytest.mark.xfail(
    strict=True, reason="issue 24: calibrated on natural talk (jfk pauses in 23% of its held-out frames, "
                        "natural-marlin_video03 in 13%), the pause operating point rose: a 1.2 s gap reads "
                        "0.69 (was > 0.9) and a lone 0.7 s gap 0.60 (was > 0.8). Chosen from both sides, the "
                        "point stays: inserted 2 s pauses in real speech are caught (hit 0.98, false 0.053; "
                        "benchmarks/README.md, controlled edits), so the rule does not lower it for these "
                        "shorter gaps.")


@PAUSE_ON_NATURAL_TALK
def test_cues_cover_the_vocabulary_and_follow_the_baseline(shared_data):
    y = _load(shared_data / "audio/jfk_whisper/jfk.flac")
    fps = 25.0
    sig = A.audio_signals(y, A.SR, fps, 275)
    cues = A.audio_cues(sig, Baseline.fit([sig]), fps)
    audio_ids = {c.column for c in load_vocabulary().by_modality("audio") if c.measurable}
    assert audio_ids <= set(cues.columns)
    for c in audio_ids | {"affect.audio.confidence"}:
        v = cues[c].dropna()
        assert v.between(0, 1).all(), c
    assert cues["affect.audio.valence"].isna().all()  # prosody gives arousal, not valence
    v = cues["affect.audio.arousal"].dropna()
    assert v.size > 100 and v.between(-1, 1).all()
    assert cues["affect.audio.confidence"].max() <= A.AROUSAL_MAX_CONFIDENCE
    t = np.arange(275) / fps
    assert cues["cue.audio.pause"][(t > 2.4) & (t < 3.1)].min() > 0.9  # 1.2 s gap: over any baseline
    assert cues["cue.audio.pause"][(t > 0.5) & (t < 1.9)].max() == 0.0  # in speech
    # the same speech against a louder person's baseline reads as a change of volume
    loud = Baseline({"audio.speech_db": float(sig["audio.speech_db"].median()) + 12.0}, {"audio.speech_db": 3.0})
    vol = A.audio_cues(sig, loud, fps)["cue.audio.volume"].dropna()
    own = cues["cue.audio.volume"].dropna()
    assert vol.mean() > 0.6 > 0.3 > own.mean()


@PAUSE_ON_NATURAL_TALK
def test_pause_threshold_follows_the_persons_gaps():
    fps, n = 10.0, 200
    sig = pd.DataFrame({"audio.present": np.ones(n, bool)})
    for c in A.SIGNAL_COLUMNS:
        sig[c] = np.full(n, np.nan, np.float32)
    sig["audio.gap_s"] = np.float32(0.0)
    sig.loc[50:56, ["audio.present", "audio.gap_s"]] = [False, 0.7]  # one 0.7 s gap among speech
    sig.loc[53, "audio.gap_len_s"] = 0.7
    for k in (100, 130, 160):  # and the person's ordinary short gaps
        sig.loc[k:k + 2, ["audio.present", "audio.gap_s", "audio.gap_len_s"]] = [False, 0.3, np.nan]
        sig.loc[k + 1, "audio.gap_len_s"] = 0.3
    alone = A.audio_cues(sig, None, fps)["cue.audio.pause"][50]
    # a person who usually leaves 1.5 s gaps (over their other videos): 0.7 s is ordinary for them
    usual = pd.DataFrame({"audio.gap_len_s": np.full(6, 1.5, np.float32)})
    relative = A.audio_cues(sig, Baseline.fit([usual]), fps)["cue.audio.pause"][50]
    assert alone > 0.8 and relative < 0.01
    assert A.pause_threshold_s(Baseline.fit([usual])) == 1.5


@pytest.mark.parametrize("clip", ["3436-172162-0000", "198-209-0000", "5703-47212-0000"])
def test_speech_rate_follows_playback_speed(shared_data, clip):
    """The same reader played 0.7x and 1.3x as fast (resampling: pitch moves too) against their
    own normal-speed baseline: rate and the slow/fast cues move the right way."""
    import librosa
    y = _load(shared_data / f"audio/librispeech_librosa/{clip}.ogg")
    fps = 25.0
    sig = {}
    for speed in (0.7, 1.0, 1.3):
        ys = y if speed == 1.0 else librosa.resample(y, orig_sr=A.SR, target_sr=int(A.SR / speed))
        sig[speed] = A.audio_signals(ys, A.SR, fps, int(ys.size / A.SR * fps))
    base = Baseline.fit([sig[1.0]])
    rate = {k: float(v["audio.rate"].median()) for k, v in sig.items()}
    cues = {k: A.audio_cues(v, base, fps) for k, v in sig.items()}
    slow = {k: float(c["cue.audio.slow"].mean()) for k, c in cues.items()}
    fast = {k: float(c["cue.audio.fast"].mean()) for k, c in cues.items()}
    assert rate[0.7] < rate[1.0] < rate[1.3]
    assert slow[0.7] > slow[1.0] + 0.05 and slow[1.3] < slow[1.0]
    assert fast[1.3] > fast[1.0] + 0.05


def test_vibrato_reads_as_shaky_voice():
    """A held vowel with a 6 Hz, +-1 semitone tremor against the same vowel held steady."""
    sr, dur = A.SR, 1.0
    n = int(dur * sr)
    t = np.arange(n) / sr

    def vowel(depth_st: float) -> np.ndarray:
        f = 130.0 * 2 ** (depth_st * np.sin(2 * np.pi * 6 * t) / 12)
        phase = 2 * np.pi * np.cumsum(f) / sr
        x = sum(np.sin(k * phase) / k for k in range(1, 12))
        return (0.2 * x / np.abs(x).max()).astype(np.float32)

    steady, shaky = A.pitch_jitter(*_f0_voiced(vowel(0.0))), A.pitch_jitter(*_f0_voiced(vowel(1.0)))
    assert np.nanmean(steady) < 0.05 < 0.2 < np.nanmean(shaky)


def _f0_voiced(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.concatenate([np.zeros(4000, np.float32), y, np.zeros(4000, np.float32)])
    level = A.rms_db(y)
    f0, aper = A.yin(y)
    return f0, A.voicing(f0, aper, level)
