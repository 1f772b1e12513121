"""The report's transcript panel: what was heard, its language and uncertainty, escaped."""
from __future__ import annotations

from html.parser import HTMLParser

from leveltwo.predict import TranscriptInfo, TranscriptWord
from reports.html import render_report
from reports.transcript_view import render_transcript
from tests.reports.fixtures import make_frametable, make_prediction

HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script></style>'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(text)
    return p.tags


def _transcript(**changes) -> TranscriptInfo:
    words = (TranscriptWord("I", 0.5, 0.7), TranscriptWord("think", 0.7, 1.0),
             TranscriptWord("thanks", 3.0, 3.3, True, "known hallucination phrase"),
             TranscriptWord("so", 5.0, 5.2))
    base = dict(source="asr", model="whisper-tiny.en", language="en", language_probability=0.97, words=words,
                uncertain_share=0.25, note="")
    return TranscriptInfo(**{**base, **changes})


def _prediction(transcript):
    table = make_frametable()
    return make_prediction(table, []).replace(transcript=transcript), table


def test_words_times_language_and_uncertain_words():
    pred, _ = _prediction(_transcript())
    out = render_transcript(pred)
    tags = _tags(out)
    details = [a for t, a in tags if t == "details"]
    assert details and "open" not in details[0]  # collapsed by default
    words = [a for t, a in tags if t == "span" and "w" in a.get("class", "").split()]
    assert [a["data-seek-s"] for a in words] == ["0.50", "0.70", "3.00", "5.00"]
    assert [("uncertain" in a["class"]) for a in words] == [False, False, True, False]
    assert words[2]["title"] == "uncertain transcription: known hallucination phrase"
    phrase_times = [a["data-seek-s"] for t, a in tags if t == "span" and a.get("class") == "t"]
    assert phrase_times == ["0.50", "3.00", "5.00"]  # a new line after each pause >= 0.6 s
    assert "English (probability 0.97)" in out and "whisper-tiny.en" in out and "1 uncertain (25%)" in out


def test_french_speech_is_said_out_loud_and_no_transcript_is_said_too():
    pred, _ = _prediction(_transcript(language="fr", model="whisper-base",
                                      language_cues="language cues not measured: French speech"))
    out = render_transcript(pred)
    assert "French (probability 0.97)" in out and "Language cues not measured: French speech." in out
    none, _ = _prediction(None)
    assert "No transcript" in render_transcript(none)


def test_hostile_strings_are_escaped_and_the_report_shows_the_panel_without_segments():
    words = (TranscriptWord(HOSTILE, 0.0, 0.5, True, HOSTILE), TranscriptWord(HOSTILE, 1.0, 1.5))
    pred, table = _prediction(_transcript(model=HOSTILE, words=words, note=HOSTILE, language=HOSTILE,
                                          language_cues=HOSTILE))
    out = render_transcript(pred)
    assert not [t for t, _ in _tags(out) if t in ("img", "script")]
    page = render_report(pred, table)
    assert not pred.segments and 'id="transcript"' in page
    assert not [a for t, a in _tags(page) if t == "img" and "onerror" in a]
    assert [t for t, _ in _tags(page)].count("script") == 1  # the report's own player script, nothing injected


def test_transcript_section_round_trips_through_prediction_json():
    from leveltwo.predict import Prediction

    pred, _ = _prediction(_transcript())
    back = Prediction.from_json(pred.to_json())
    assert back.transcript == pred.transcript and back.transcript.words[2].reason == "known hallucination phrase"
    old = pred.to_dict()
    del old["transcript"]  # a prediction.json from before the section still reads
    assert Prediction.from_json(old).transcript is None


def test_missing_language_says_why_when_speech_was_heard_but_not_measured():
    """French speech is heard and shown, not absent: "What was missing" names the reason, never
    "no transcript"."""
    import html as htmllib

    table = make_frametable(absent=("text",))
    french = _transcript(language="fr", model="whisper-base", language_cues="language cues not measured: French speech")
    page = htmllib.unescape(render_report(make_prediction(table, [], missing=["language"]).replace(transcript=french),
                                          table))
    missing = page[page.index("<h2>What was missing</h2>"):]
    missing = missing[:missing.index("</div>")]
    assert "language cues not measured: French speech" in missing and "no transcript" not in missing
