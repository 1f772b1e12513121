"""Whose voice, on arrays: the decision rules, the participant's audio kept, words split into turns."""
from __future__ import annotations

import numpy as np
import pandas as pd

from levelone.audio.voices import attribute, keep_participant, other_turns, speech_shares, split_words
from levelone.media.transcript import Word

FPS = 25.0


def _syllables(n: int, seed: int) -> np.ndarray:
    """A mouth opening that opens and closes at a syllable rate with a random rhythm."""
    rng = np.random.default_rng(seed)
    return np.clip(np.convolve(rng.random(n) > 0.7, np.hanning(5), mode="same") * 0.2, 0, None)


def test_the_mouth_in_step_with_the_voice_is_the_speakers():
    n = 100
    mouth_a, mouth_b = _syllables(n, 0), _syllables(n, 1)
    level_db = 20 * np.log10(0.01 + mouth_a) * 2  # the voice follows mouth a
    speech = np.r_[np.zeros(10), np.ones(80), np.zeros(10)]
    a_analysed = attribute(speech, level_db, np.array([mouth_a, mouth_b]), FPS)
    b_analysed = attribute(speech, level_db, np.array([mouth_b, mouth_a]), FPS)
    sp = speech > 0
    assert np.isnan(a_analysed[~sp]).all()
    assert np.mean(a_analysed[sp] == 1) >= 0.9
    assert np.mean(b_analysed[sp] == 0) >= 0.9


def test_a_still_mouth_while_someone_talks_is_someone_else_and_no_face_is_unsure():
    n = 100
    level_db = 20 * np.log10(0.01 + _syllables(n, 2))
    speech = np.ones(n)
    still = attribute(speech, level_db, np.full((1, n), 0.05), FPS)
    assert np.mean(still == 0) >= 0.6  # all but the edges, where less than a window shows the mouth
    assert set(np.unique(still)) <= {0.0, 0.5}
    unseen = attribute(speech, level_db, np.full((1, n), np.nan), FPS)
    assert (unseen == 0.5).all()


def test_someone_elses_speech_and_the_pauses_before_it_leave_the_participants_audio():
    own = np.array([1, 1, np.nan, np.nan, 0, 0, np.nan, 1, 1], np.float64)  # me, gap, them, gap, me
    audio = pd.DataFrame({"audio.present": own == own, "audio.f0_st": np.arange(9.0),
                          "audio.gap_s": [0, 0, 2, 2, 0, 0, 1, 0, 0.0], "audio.self": own})
    out = keep_participant(audio)
    assert out["audio.present"].tolist() == [True, True, False, False, False, False, False, True, True]
    assert np.isnan(out["audio.f0_st"].to_numpy()[4:6]).all() and out["audio.f0_st"].iloc[7] == 7
    # the gap before their speech is not my pause; the gap before my answer (response latency) is
    assert np.isnan(out["audio.gap_s"].to_numpy()[2:4]).all()
    assert out["audio.gap_s"].iloc[6] == 1.0


def test_words_split_into_mine_and_their_turns():
    own = np.r_[np.zeros(50), np.full(25, np.nan), np.ones(50)]  # 0-2 s them, 3-5 s me
    words = [Word("how", 0.1, 0.5), Word("are", 0.6, 0.9), Word("you", 1.0, 1.8),
             Word("fine", 3.1, 3.6), Word("thanks", 3.7, 4.5)]
    mine, theirs = split_words(words, own, FPS)
    assert [w.text for w in mine] == ["fine", "thanks"]
    assert len(theirs) == 1 and theirs[0].text == "how are you"
    assert (theirs[0].start_s, theirs[0].end_s) == (0.1, 1.8)
    assert speech_shares(own) == {"participant": 0.5, "others": 0.5, "unsure": 0.0}
    assert other_turns(own, FPS) == [(0.0, 2.0)]


def test_a_given_transcript_outranks_the_mouth():
    """A still mouth while someone speaks reads as someone else (audio-visual synchrony); a
    transcript the user gives says whose words are whose, and wins: the person's words are theirs,
    another speaker's turn someone else's, silence stays NaN and the rest keeps its attribution."""
    from levelone.audio.voices import declare_speakers
    from levelone.media.transcript import Turn, Word

    fps = 10.0
    own = np.full(40, np.nan)
    own[5:35] = 0.0  # speech throughout, attributed to someone else (the mouth stayed still)
    got = declare_speakers(own, fps, mine=[Word("yes", 0.5, 1.5)], theirs=[Turn("interviewer", 2.0, 2.5, "why")])
    assert np.all(got[5:15] == 1.0)                                   # the person's declared word
    assert np.all(got[20:25] == 0.0) and np.all(got[15:20] == 0.0)    # the declared turn, and the rest as it was
    assert np.isnan(got[:5]).all() and np.isnan(got[35:]).all()       # no speech: no attribution
    assert np.all(own[5:15] == 0.0)                                   # the input is not modified
