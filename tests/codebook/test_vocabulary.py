"""The packaged vocabulary is the whole BAH codebook (appendix H, tables 10-14) and resolves the
spellings annotators actually write."""
from __future__ import annotations

import pytest

from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, PAIRS, load_vocabulary

# Table 10 (15 facial), table 11 (5 language + 11 COM-B), table 12 (10 audio), table 13 (11 body).
TABLE_COUNTS = {"face": 15, "language": 16, "audio": 10, "body": 11}


def test_vocabulary_holds_all_52_codebook_cues_with_unique_ids():
    vocab = load_vocabulary()
    ids = [c.id for c in vocab.cues]
    assert len(ids) == 52 and len(set(ids)) == 52
    assert {m: len(vocab.by_modality(m)) for m in MODALITIES} == TABLE_COUNTS
    assert all(c.id.startswith(c.modality + ".") for c in vocab.cues)
    assert sorted(i.id for i in vocab.inconsistencies) == sorted(PAIRS) and len(PAIRS) == 6
    assert all(c.definition and (c.measurement if c.measurable else c.reason) for c in vocab.cues)
    assert vocab["audio.pause"].column == "cue.audio.pause"


@pytest.mark.parametrize("text, modality, expected", [
    ("Filler sound", "language", "language.filler_sound"),
    ("umm", "language", "language.filler_sound"),
    ("close 2", "face", "face.close2"),
    ("Close1", "face", "face.close1"),
    ("Eye roll", "face", "face.eye_roll"),
    ("Lip press", "face", "face.lip_press"),
    ("Wrinkle Chin", "face", "face.wrinkle_chin"),
    ("No cap", "language", "language.no_cap"),
    ("No mot", "language", "language.no_mot"),
    ("Cut words", "audio", "audio.cut_words"),
    ("Shaky voice", "audio", "audio.shaky_voice"),
    ("Look away", "body", "body.look_away"),
    ("head shake", "body", "body.shake"),
    ("audio.pause", None, "audio.pause"),
    ("Pause", None, "audio.pause"),
])
def test_resolve_annotator_spellings(text, modality, expected):
    cue = load_vocabulary().resolve(text, modality)
    assert cue is not None and cue.id == expected


def test_resolve_stays_inside_the_modality_and_rejects_unknown():
    vocab = load_vocabulary()
    assert vocab.resolve("pause", "face") is None
    assert vocab.resolve("juggling", None) is None


@pytest.mark.parametrize("text, expected", [("FL", "FL"), ("lf", "FL"), ("face-language", "FL"),
                                            ("AB", "AB"), ("body-audio", "AB"), ("LA", "LA")])
def test_inconsistency_pairs_resolve(text, expected):
    assert load_vocabulary().inconsistency(text).id == expected


def test_every_cue_id_name_and_alias_resolves_to_its_cue():
    vocab = load_vocabulary()
    for cue in vocab.cues:
        for spelling in (cue.id, cue.name, *cue.aliases):
            assert vocab.resolve(spelling, cue.modality).id == cue.id, spelling


def test_malformed_vocabulary_file_is_an_input_error(tmp_path):
    bad = tmp_path / "vocab.yaml"
    bad.write_text("cues:\n- id: nose\n  region: x\n")
    with pytest.raises(InputError, match="vocab.yaml"):
        load_vocabulary(bad)
