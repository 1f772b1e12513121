"""Transcript readers: every format onto one monotonic word timeline; bad files are InputErrors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from codebook.errors import InputError
from levelone.media.transcript import Word, load_conversation, load_transcript, spread_words

BAH_YML = """\
text: ' I guess I could walk more. But honestly I do not have time. Um, maybe on weekends.'
chunks:
- language: english
  text: ' I guess I could walk more.'
  timestamp: !!python/tuple
  - 0.0
  - 2.5
- language: english
  text: ' But honestly I do not have time.'
  timestamp: !!python/tuple
  - 27.0
  - 29.8
- language: english
  text: ' Um, maybe on weekends.'
  timestamp: !!python/tuple
  - 0.4
  - null
"""


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def _check_monotonic(words: list[Word]) -> None:
    for a, b in zip(words, words[1:]):
        assert a.start_s <= a.end_s <= b.start_s + 1e-9


def test_spread_words_is_proportional_to_length():
    ws = spread_words("a bbbbbbb", 1.0, 2.0)
    assert [w.text for w in ws] == ["a", "bbbbbbb"]
    assert ws[0].start_s == 1.0 and abs(ws[1].end_s - 2.0) < 1e-9
    assert abs((ws[1].end_s - ws[1].start_s) / (ws[0].end_s - ws[0].start_s) - 4.0) < 1e-9


def test_bah_yaml_with_restarting_chunk_times_becomes_monotonic(tmp_path):
    words = load_transcript(_write(tmp_path, "v.yml", BAH_YML))
    assert [w.text for w in words][:3] == ["I", "guess", "I"]
    assert len(words) == 6 + 7 + 4
    _check_monotonic(words)
    # the third chunk restarted at 0.4 s; it now follows the second (which ends at 29.8 s)
    um = words[13]
    assert um.text == "Um," and um.start_s >= 29.8
    assert words[-1].end_s > um.start_s  # a null last end still gets a duration
    assert abs(words[6].start_s - 27.0) < 1e-9


def test_hostile_yaml_is_refused_and_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    evil = f"text: x\nchunks: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(InputError) as err:
        load_transcript(_write(tmp_path, "evil.yml", evil))
    assert not marker.exists()
    assert "evil.yml" in str(err.value) and err.value.line == 2


def test_bad_files_are_input_errors(tmp_path):
    bad = {"latin1.srt": "1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n".encode("latin-1"),
           "broken.json": '[{"word": "hi", "start": 0.1, "end": }]',
           "notimes.json": '[{"word": "hi", "start": "soon", "end": 1.0}]',
           "broken.srt": "1\n00:00:01,000 --> 99:xx\nhello\n",
           "novtt.vtt": "1\n00:01.000 --> 00:02.000\nhello\n",
           "bad.yml": "text: [unclosed\n",
           "words.docx": "x"}
    for name, text in bad.items():
        with pytest.raises(InputError) as err:
            load_transcript(_write(tmp_path, name, text))
        assert name in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError):
        load_transcript(tmp_path / "missing.srt")


def test_srt_and_vtt(tmp_path):
    srt = ("1\n00:00:01,000 --> 00:00:02,000\nI think\n\n"
           "2\n00:00:03,500 --> 00:00:05,000\n<i>maybe not</i> today\n")
    words = load_transcript(_write(tmp_path, "a.srt", srt))
    assert [w.text for w in words] == ["I", "think", "maybe", "not", "today"]
    assert words[0].start_s == 1.0 and words[1].end_s == 2.0 and words[2].start_s == 3.5
    vtt = ("WEBVTT\n\nNOTE a comment\n\ncue-1\n00:01.000 --> 00:02.000 align:start\nhello there\n\n"
           "01:00:00.000 --> 01:00:01.000\n<v Bob>late</v>\n")
    words = load_transcript(_write(tmp_path, "a.vtt", vtt))
    assert [w.text for w in words] == ["hello", "there", "late"]
    assert words[-1].start_s == 3600.0


def test_json_words_and_segments(tmp_path):
    flat = [{"word": "hello", "start": 0.5, "end": 0.9}, {"text": "world", "start": 1.0, "end": 1.4}]
    words = load_transcript(_write(tmp_path, "w.json", json.dumps(flat)))
    assert words == [Word("hello", 0.5, 0.9), Word("world", 1.0, 1.4)]
    segs = {"segments": [{"text": " I can't.", "start": 2.0, "end": 3.0,
                          "words": [{"word": " I", "start": 2.0, "end": 2.2},
                                    {"word": " can't.", "start": 2.2, "end": 2.8}]},
                         {"text": "no words here", "start": 0.0, "end": 1.5}]}
    words = load_transcript(_write(tmp_path, "s.json", json.dumps(segs)))
    assert [w.text for w in words] == ["no", "words", "here", "I", "can't."]
    assert words[3] == Word("I", 2.0, 2.2)


def test_txt_spread_over_duration(tmp_path):
    words = load_transcript(_write(tmp_path, "t.txt", "one two three four"), duration_s=8.0)
    assert [(w.start_s, w.end_s) for w in words] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 8.0)]
    assert load_transcript(_write(tmp_path, "e.txt", "  \n")) == []


def test_empty_transcripts_give_no_words(tmp_path):
    assert load_transcript(_write(tmp_path, "e.yml", "text: ''\nchunks: []\n")) == []
    assert load_transcript(_write(tmp_path, "e.json", "[]")) == []
    assert load_transcript(_write(tmp_path, "e.srt", "")) == []


def test_eaf_picks_the_busiest_tier_and_matches_elan(shared_data):
    path = shared_data / "eaf/speach/test.eaf"
    words = load_transcript(path)
    _check_monotonic(words)
    # test.eaf.tsv (from the speach project) lists the utterance tier: first one 1.040-2.330 s
    first = [w for w in words if 1.0 <= w.start_s < 2.4]
    assert " ".join(w.text for w in first).startswith("How do you read this?")
    assert abs(first[0].start_s - 1.04) < 1e-6 and abs(first[-1].end_s - 2.33) < 1e-6


def test_eaf_named_tier(shared_data):
    path = shared_data / "eaf/speach/test.eaf"
    from codebook.eaf import read_eaf_document
    tiers = {t.id: t for t in read_eaf_document(path)}
    name = next(iter(tiers))
    words = load_transcript(path, tier=name)
    n_tokens = sum(len(v.split()) for _, _, v in tiers[name].annotations)
    assert len(words) == n_tokens
    with pytest.raises(InputError):
        load_transcript(path, tier="no such tier")


def _session(tmp_path: Path) -> Path:
    """A diarised transcript (WhisperX-like): a counsellor and a client, segment and word labels."""
    doc = {"segments": [
        {"speaker": "counsellor", "start": 0.0, "end": 2.0, "text": "How do you feel about smoking?"},
        {"speaker": "client", "start": 2.5, "end": 5.0, "text": "I really want to quit."},
        {"speaker": "counsellor", "start": 5.5, "end": 6.5, "text": "Tell me more."},
        {"speaker": "counsellor", "start": 6.6, "end": 7.0, "text": "Anything?"},
        {"start": 7.5, "end": 9.0, "words": [{"word": "It", "start": 7.5, "end": 7.8, "speaker": "client"},
                                             {"word": "relaxes", "start": 7.8, "end": 8.4, "speaker": "client"},
                                             {"word": "me.", "start": 8.4, "end": 9.0, "speaker": "client"}]}]}
    path = tmp_path / "session.json"
    path.write_text(json.dumps(doc))
    return path


def test_speakers_split_into_the_person_and_the_context(tmp_path):
    path = _session(tmp_path)
    mine, others = load_conversation(path, speaker="client")
    assert " ".join(w.text for w in mine) == "I really want to quit. It relaxes me."
    assert {w.speaker for w in mine} == {"client"}
    # the counsellor's two segments in a row are one turn; nothing of theirs is the client's
    assert [(t.speaker, t.text, t.start_s, t.end_s) for t in others] == [
        ("counsellor", "How do you feel about smoking?", 0.0, 2.0),
        ("counsellor", "Tell me more. Anything?", 5.5, 7.0)]
    counsellor, client_turns = load_conversation(path, speaker="counsellor")
    assert counsellor[0].text == "How" and [t.speaker for t in client_turns] == ["client", "client"]


def test_several_speakers_need_the_person_named(tmp_path):
    path = _session(tmp_path)
    with pytest.raises(InputError, match="several speakers .*client, counsellor.*--speaker"):
        load_conversation(path)
    with pytest.raises(InputError, match="no speaker 'patient'"):
        load_conversation(path, speaker="patient")
    srt = tmp_path / "plain.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nhello there\n")
    with pytest.raises(InputError, match="no speaker labels"):
        load_conversation(srt, speaker="client")
    assert [w.text for w in load_conversation(srt)[0]] == ["hello", "there"]  # unlabelled: all the person's
    one = tmp_path / "one.json"
    one.write_text(json.dumps([{"speaker": "A", "text": "just me", "start": 0, "end": 1}]))
    assert len(load_conversation(one)[0]) == 2  # one speaker needs no name


def test_eaf_speaker_is_a_tier(shared_data):
    path = shared_data / "eaf/speach/test.eaf"
    from codebook.eaf import read_eaf_document
    name = read_eaf_document(path)[0].id
    words, others = load_conversation(path, speaker=name)
    assert words == load_transcript(path, tier=name) and others == []


def test_ahcue_transcript_json_reads_back_without_its_uncertain_words(tmp_path):
    from levelone.media.transcript import HeardWord, Transcription, load_transcript

    t = Transcription("asr", "whisper-tiny.en", "en", 0.97,
                      (HeardWord("I", 0.5, 0.7), HeardWord("think", 0.7, 1.0),
                       HeardWord("thanks", 3.0, 3.3, True, "known hallucination phrase")), ((0.4, 1.1),))
    path = tmp_path / "transcript.json"
    path.write_text(json.dumps(t.to_dict()))
    words = load_transcript(path)
    assert [(w.text, w.start_s, w.end_s) for w in words] == [("I", 0.5, 0.7), ("think", 0.7, 1.0)]
    assert Transcription.from_dict(t.to_dict()) == t
    assert t.uncertain_share == pytest.approx(1 / 3) and [w.text for w in t.evidence_words()] == ["I", "think"]
    french = Transcription("asr", "whisper-base", "fr", 0.99, t.words)
    assert french.evidence_words() == [] and french.not_measured() == "language cues not measured: French speech"
