"""Transcripts as timed words, whatever the file format.

Every reader returns ``list[Word]`` on one monotonic timeline (seconds from the start of the
media), sorted by start. Formats, chosen by suffix:

- BAH Whisper ``.yml``/``.yaml``: chunks with ``!!python/tuple`` times that restart every ~30 s,
  read by :func:`codebook.bah.read_transcript` (safe loader; it rebuilds the timeline).
- ``.srt`` and ``.vtt`` subtitles (cue text with tags stripped).
- ELAN ``.eaf``: the named tier, else the tier with most non-empty annotations; read with
  :func:`codebook.eaf.read_eaf_document`, which times reference annotations and value-less time
  slots that pympi leaves untimed.
- ``.json``: a list of ``{word|text, start, end}``, ahcue's own ``transcript.json`` (its uncertain
  words are left out), or faster-whisper/OpenAI-like
  ``{"segments": [{text, start, end, words: [{word, start, end}]}]}``; an optional ``speaker``
  on a segment or a word (diarised output, e.g. WhisperX) labels who said it.
- ``.txt``: plain text without times, spread evenly over ``duration_s`` (or 0.4 s per word).

Conversations: :func:`load_conversation` returns the words of the person in the video and the
other speakers' turns, which level one gives the stance model as context (never as the person's
words). The person is named by ``speaker``: a JSON ``speaker`` label, or an ELAN tier.

Chunks or cues without word times are split into words whose durations are proportional to
their character length: a cheap forced alignment that is right on average and never invents
time outside the chunk.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from codebook.errors import InputError

VERSION = "transcript-4"  # 2: speaker labels (load_conversation); 3: Transcription record; 4: scored_by
WORD_S = 0.4  # seconds per word when nothing else gives times


@dataclass(frozen=True)
class Word:
    """One spoken word (punctuation kept attached, as ASR writes it) and its time span."""

    text: str
    start_s: float
    end_s: float
    speaker: str | None = None  # who said it, where the transcript says (JSON ``speaker``)


@dataclass(frozen=True)
class HeardWord:
    """One recognised word and whether it may be evidence: ``uncertain`` words (``reason`` says
    why) are shown but never count as the person's language."""

    text: str
    start_s: float
    end_s: float
    uncertain: bool = False
    reason: str = ""


LANGUAGE_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
                  "nl": "Dutch", "pt": "Portuguese", "ru": "Russian", "zh": "Chinese", "ja": "Japanese",
                  "ar": "Arabic", "pl": "Polish", "tr": "Turkish", "sv": "Swedish", "ko": "Korean", "th": "Thai"}
EVIDENCE_LANGUAGES = ("en",)  # languages the lexicons and text models were built for


def language_name(code: str | None) -> str:
    """``fr`` -> ``French`` (the code itself for languages not listed; 'unidentified' for None)."""
    return "unidentified" if code is None else LANGUAGE_NAMES.get(code, code)


@dataclass(frozen=True)
class Transcription:
    """What was heard and how far to trust it: the record level one keeps and the report shows.

    ``source``: ``asr`` (recognised here) or ``file`` (a transcript given by the user, taken as
    English and certain). ``voiced``: voice-activity spans in seconds (ASR only). ``windows``:
    language-ID windows (start_s, end_s, language, probability). ``note``: what the user must know
    (e.g. most words uncertain, speech too short to identify, code-switching). ``scored_by``: for
    speech in a language other than English, the text models that read it instead of the English
    ones (:data:`levelone.language.multilingual.SCORED_BY`); "" = none (English, or cues off).
    """

    source: str
    model: str
    language: str | None
    language_probability: float
    words: tuple[HeardWord, ...]
    voiced: tuple[tuple[float, float], ...] = ()
    note: str = ""
    duration_s: float | None = None
    windows: tuple[tuple[float, float, str, float], ...] = ()
    scored_by: str = ""

    @property
    def uncertain_share(self) -> float:
        """Share of words marked uncertain (0 without words)."""
        return sum(w.uncertain for w in self.words) / len(self.words) if self.words else 0.0

    @property
    def evidence_language(self) -> bool:
        """Whether this transcript's language is one the language cues and text models know
        (a given file is taken as English)."""
        return self.source == "file" or self.language in EVIDENCE_LANGUAGES

    def evidence_words(self) -> list[Word]:
        """The words that may be the person's language evidence: certain ones, in a known language
        (English, or another language when the multilingual heads read it: ``scored_by``)."""
        if not self.evidence_language and not self.scored_by:
            return []
        return [Word(w.text, w.start_s, w.end_s) for w in self.words if not w.uncertain]

    def not_measured(self) -> str | None:
        """Why language cues are not measured on this speech, said out loud (None when they are)."""
        if not self.words:
            return None
        if self.source != "file" and self.language is not None and not self.evidence_language and not self.scored_by:
            return f"language cues not measured: {language_name(self.language)} speech"
        if not self.evidence_words():
            return "language cues not measured: every recognised word is uncertain"
        return None

    def language_cues(self) -> str:
        """``measured``, what measured them (speech in another language), or why they were not."""
        missing = self.not_measured()
        if missing is not None:
            return missing
        if self.scored_by:
            return f"language cues from {self.scored_by}: {language_name(self.language)} speech"
        return "measured"

    def to_dict(self) -> dict:
        return {"source": self.source, "model": self.model, "language": self.language,
                "language_probability": self.language_probability,
                "words": [{"text": w.text, "start_s": round(w.start_s, 3), "end_s": round(w.end_s, 3),
                           "uncertain": w.uncertain, "reason": w.reason} for w in self.words],
                "voiced": [[round(s, 3), round(e, 3)] for s, e in self.voiced], "note": self.note,
                "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
                "windows": [[round(s, 3), round(e, 3), lang, p] for s, e, lang, p in self.windows],
                **({"scored_by": self.scored_by} if self.scored_by else {})}

    @classmethod
    def from_dict(cls, d: dict) -> "Transcription":
        return cls(str(d["source"]), str(d["model"]), d.get("language"), float(d.get("language_probability", 0.0)),
                   tuple(HeardWord(str(w["text"]), float(w["start_s"]), float(w["end_s"]), bool(w.get("uncertain")),
                                   str(w.get("reason", ""))) for w in d.get("words", ())),
                   tuple((float(s), float(e)) for s, e in d.get("voiced", ())), str(d.get("note", "")),
                   d.get("duration_s"), tuple((float(s), float(e), str(lang), float(p))
                                              for s, e, lang, p in d.get("windows", ())),
                   str(d.get("scored_by", "")))

    @classmethod
    def from_words(cls, words: Sequence[Word], path: str | Path) -> "Transcription":
        """A given transcript file: every word certain, language not checked."""
        return cls("file", Path(path).name, None, 0.0,
                   tuple(HeardWord(w.text, w.start_s, w.end_s) for w in words),
                   note="transcript given: its language is not checked (read as English)")


@dataclass(frozen=True)
class Turn:
    """What one speaker said without another speaker in between, and when."""

    speaker: str
    start_s: float
    end_s: float
    text: str


def spread_words(text: str, start_s: float, end_s: float, speaker: str | None = None) -> list[Word]:
    """Split ``text`` into words over [start_s, end_s], each lasting in proportion to its length."""
    tokens = text.split()
    if not tokens:
        return []
    end_s = max(end_s, start_s)
    weights = [len(t) + 1 for t in tokens]  # +1: a short word still takes time to say
    total = float(sum(weights))
    out, t, cum = [], start_s, 0
    for k, (tok, w) in enumerate(zip(tokens, weights)):
        cum += w
        end = end_s if k == len(tokens) - 1 else start_s + (end_s - start_s) * cum / total
        out.append(Word(tok, t, end, speaker))
        t = end
    return out


def monotonic(words: Iterable[Word]) -> list[Word]:
    """Words sorted by start with ends clipped so times never decrease."""
    ws = sorted(words, key=lambda w: (w.start_s, w.end_s))
    return [Word(w.text, w.start_s, max(w.end_s, w.start_s), w.speaker) for w in ws]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise InputError(path, f"not UTF-8 text (byte {err.start})") from None


# ----------------------------------------------------------------------------- formats

def _bah_yaml(path: Path) -> list[Word]:
    from codebook.bah import read_transcript
    words: list[Word] = []
    for ch in read_transcript(path):
        words += spread_words(ch.text, ch.start_s, ch.end_s)
    return words


_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")
_ARROW = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")


def _clock(text: str, path: Path, line: int) -> float:
    m = _TIME.match(text.strip())
    if not m:
        raise InputError(path, f"bad subtitle time {text!r}", line=line)
    h, mi, s, ms = m.groups()
    return int(h or 0) * 3600 + int(mi) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000.0


def _subtitles(path: Path) -> list[Word]:
    """SRT and WebVTT: every cue's text spread over its span."""
    lines = _read_text(path).splitlines()
    words: list[Word] = []
    i, n = 0, len(lines)
    if path.suffix.lower() == ".vtt" and (not lines or not lines[0].startswith("WEBVTT")):
        raise InputError(path, "not a WebVTT file (first line must be 'WEBVTT')", line=1)
    found = False
    while i < n:
        m = _ARROW.match(lines[i])
        if not m:
            if lines[i].strip().startswith(("NOTE", "STYLE", "REGION")):  # vtt blocks to skip
                while i < n and lines[i].strip():
                    i += 1
            i += 1
            continue
        found = True
        start, end = _clock(m.group(1), path, i + 1), _clock(m.group(2), path, i + 1)
        if end < start:
            raise InputError(path, f"cue ends before it starts ({m.group(1)} --> {m.group(2)})", line=i + 1)
        i += 1
        text = []
        while i < n and lines[i].strip():
            text.append(_TAG.sub("", lines[i]).strip())
            i += 1
        words += spread_words(" ".join(text), start, end)
    if not found and any(line.strip() for line in lines[1:]):
        raise InputError(path, "no subtitle cues ('start --> end' lines) found")
    return words


def _eaf(path: Path, tier: str | None) -> list[Word]:
    from codebook.eaf import read_eaf_document
    tiers = read_eaf_document(path)
    if not tiers:
        return []
    if tier is not None:
        chosen = [t for t in tiers if t.id == tier]
        if not chosen:
            raise InputError(path, f"no tier {tier!r} (tiers: {', '.join(t.id for t in tiers)})")
        t = chosen[0]
    else:
        t = max(tiers, key=lambda t: sum(1 for a in t.annotations if a[2].strip()))
    words: list[Word] = []
    for s, e, value in t.annotations:
        words += spread_words(value, s, e)
    return words


def _num(v, path: Path, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(path, f"{what} is not a number ({v!r})")
    return float(v)


def _json(path: Path) -> list[Word]:
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"bad JSON: {err.msg}", line=err.lineno) from None
    if isinstance(data, dict):
        data = data.get("segments", data.get("words", data.get("chunks")))
    if not isinstance(data, list):
        raise InputError(path, "expected a list of words or segments, or {'segments': [...]}")
    words: list[Word] = []
    for k, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(path, f"item {k + 1} is not an object")
        speaker = _speaker(item.get("speaker"))
        if isinstance(item.get("words"), list) and item["words"]:
            for w in item["words"]:
                if not isinstance(w, dict):
                    raise InputError(path, f"segment {k + 1} has a word that is not an object")
                text = str(w.get("word", w.get("text", ""))).strip()
                if text:
                    words.append(Word(text, _num(w.get("start"), path, f"segment {k + 1} word start"),
                                      _num(w.get("end"), path, f"segment {k + 1} word end"),
                                      _speaker(w.get("speaker")) or speaker))
            continue
        text = str(item.get("word", item.get("text", ""))).strip()
        if not text or item.get("uncertain") is True:  # ahcue's own transcript.json: uncertain words stay out
            continue
        if "start" not in item and "start_s" in item:  # ahcue's transcript.json (Transcription.to_dict)
            item = {**item, "start": item["start_s"], "end": item.get("end_s")}
        ts = item.get("timestamp")
        if isinstance(ts, list) and len(ts) == 2:
            start = _num(ts[0], path, f"item {k + 1} start")
            end = start + WORD_S * len(text.split()) if ts[1] is None else _num(ts[1], path, f"item {k + 1} end")
        else:
            start = _num(item.get("start"), path, f"item {k + 1} start")
            end = _num(item.get("end"), path, f"item {k + 1} end")
        if end < start:
            raise InputError(path, f"item {k + 1} ends before it starts")
        words += spread_words(text, start, end, speaker)
    return words


def _speaker(value) -> str | None:
    return None if value is None or not str(value).strip() else str(value).strip()


def _txt(path: Path, duration_s: float | None) -> list[Word]:
    text = _read_text(path)
    n = len(text.split())
    if n == 0:
        return []
    total = duration_s if duration_s and duration_s > 0 else WORD_S * n
    # even spread: each word gets the same slot, whatever its length
    tokens = text.split()
    step = total / n
    return [Word(t, k * step, (k + 1) * step) for k, t in enumerate(tokens)]


def load_transcript(path: str | Path, duration_s: float | None = None, tier: str | None = None) -> list[Word]:
    """Timed words from a transcript file (format by suffix; see the module docstring).

    ``duration_s`` spreads a ``.txt`` over the media; ``tier`` picks an ELAN tier by name.
    Unreadable or malformed files raise :class:`InputError`; an empty transcript gives [].
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "transcript not found")
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        words = _bah_yaml(path)
    elif suffix in (".srt", ".vtt"):
        words = _subtitles(path)
    elif suffix == ".eaf":
        words = _eaf(path, tier)
    elif suffix == ".json":
        words = _json(path)
    elif suffix == ".txt":
        words = _txt(path, duration_s)
    else:
        raise InputError(path, f"unknown transcript format {suffix!r} (use .yml, .srt, .vtt, .eaf, .json or .txt)")
    return monotonic(words)


_PUNCT = re.compile(r"[^\w' -]+")


def normalise_text(text: str) -> list[str]:
    """Lower-case words without punctuation (hyphens and apostrophes split/kept as Whisper writes)."""
    return _PUNCT.sub(" ", text.lower().replace("-", " ")).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate (substitutions + deletions + insertions over reference words) after
    :func:`normalise_text`; NaN for an empty reference."""
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return float("nan")
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)


def turns(words: Sequence[Word]) -> list[Turn]:
    """Consecutive words of one speaker joined into turns (a new turn where the speaker changes)."""
    out: list[Turn] = []
    for w in words:
        if out and out[-1].speaker == w.speaker:
            last = out[-1]
            out[-1] = Turn(last.speaker, last.start_s, max(last.end_s, w.end_s), f"{last.text} {w.text}")
        else:
            out.append(Turn(w.speaker or "", w.start_s, w.end_s, w.text))
    return out


def split_speakers(words: Sequence[Word], speaker: str | None, path: str | Path) -> tuple[list[Word], list[Turn]]:
    """The person's words and the other speakers' turns of a speaker-labelled transcript.

    Without labels every word is the person's. With more than one speaker the person must be
    named: the interviewer's words must never count as the person's.
    """
    labels = sorted({w.speaker for w in words if w.speaker is not None})
    if not labels:
        if speaker is not None:
            raise InputError(path, f"no speaker labels, so speaker {speaker!r} cannot be picked "
                                   "(label JSON segments with 'speaker', or name an ELAN tier)")
        return list(words), []
    if speaker is None:
        if len(labels) == 1:
            return list(words), []
        raise InputError(path, f"holds several speakers ({', '.join(labels)}): name the person in the "
                               "video with --speaker")
    if speaker not in labels:
        raise InputError(path, f"no speaker {speaker!r} (speakers: {', '.join(labels)})")
    if any(w.speaker is None for w in words):
        raise InputError(path, "some words have a speaker label and some do not")
    mine = [w for w in words if w.speaker == speaker]
    return mine, [t for t in turns(words) if t.speaker != speaker]


def load_conversation(path: str | Path, duration_s: float | None = None,
                      speaker: str | None = None) -> tuple[list[Word], list[Turn]]:
    """The words of the person in the video and the other speakers' turns (see :func:`split_speakers`).

    ``speaker`` names the person: a JSON ``speaker`` label, or for ELAN the tier holding their
    words (an ELAN file says which tier is speech only by name, so its other tiers are not read
    as other speakers).
    """
    path = Path(path)
    if path.suffix.lower() == ".eaf":
        return load_transcript(path, duration_s, tier=speaker), []
    return split_speakers(load_transcript(path, duration_s), speaker, path)
