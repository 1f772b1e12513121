"""One video's A/H prediction: frame probabilities, segments with their cue explanations, and the
video decision; serialised as ``prediction.json``.

The prediction is typed end to end: :class:`Prediction` holds :class:`Segment` records whose cue
explanations are :class:`CueShare` records (all frozen). Reports take a ``Prediction``;
``prediction.json`` is its :meth:`Prediction.to_dict`, read back by :meth:`Prediction.from_json`,
which keeps keys it does not know (a newer writer's) in ``extra`` and writes them back unchanged.

``prediction.json``::

    {"ahcue_version", "video_id", "source", "fps", "n_frames", "duration_s",
     "model": {"id", "kind": "conflict"|"xgboost"|"fusion"|"codebook-prior", "trained", "card",
               "explanation": "exact"|"approximate"|"model-stated", "adaptation": "none"|"tta"},
     "probability",            # video-level A/H score in [0, 1] by `aggregation` (not a p-value)
     "aggregation",            # "sliding_max_24" | "mean_probability" | "majority"
     "threshold",              # frame threshold for segments and the video label
     "label",                  # 0 | 1
     "missing_modalities",     # codebook modalities with no evidence in the video
     "frame_probability",      # n_frames floats, 4 decimals
     "modality_evidence": {"face"|"language"|"audio"|"body": [n_frames floats]},
     "pair_evidence": {"FL"|"FA"|"FB"|"LA"|"LB"|"AB": [n_frames floats]},
     "context_evidence": [n_frames floats],   # the temporal-context term (may be negative)
     "segments": [{"start_s", "end_s", "start_frame", "end_frame" (inclusive), "probability",
                   "cues": [{"id", "modality", "name", "share", "activation", "active_fraction"}],
                   "modalities": [{"id", "share"}],
                   "pairs": [{"id", "share", "modalities", "sides": {modality: direction},
                              "description": "face positive, words negative",
                              "incongruent": [{"id", "share", "description"}]}],
                   "context_share", "other_share",   # with the modalities' and pairs' shares: 1
                   "adaptation_share" (only under test-time adaptation), "transcript"}],
     "annotated_segments": [{"start_s", "end_s", "start_frame", "end_frame", "cues", "pairs"}],
                               # only when annotations were given
     "has_audio",              # whether the video file has an audio track; only when probed
     "baseline": {source: {"kind": "personal"|"blended"|"population", "personal_s", "stable_s",
                           "personal_weight"}},  # what each cue was measured against (short recordings)
     "extractors": {name: version},  # every level-one module, model file and package version used
     "people": {"faces": [{"index", "seen_s", "first_s", "last_s", "box", "still_s"}],
                "analysed", "rule", "face_share", "speech": {"participant", "others", "unsure"},
                "other_turns": [{"start_s", "end_s"}]}}  # who was in the recording (when tracked)

A segment's ``cues`` lists every cue with a positive share of its evidence or active in it, by
share; ``activation`` is the cue's mean activation over the segment and ``active_fraction`` the
part of its frames where the cue is active (>= 0.5). The video label is ``probability >= threshold``
(for 'majority' the vote fraction >= 0.5). ``modality_evidence`` is each modality's summed term
contributions per frame (its cues and its within-modality term, plus half of each pair and
incongruent term it belongs to); ``pair_evidence`` each pair's (its disagreement term and its
incongruent cue pairs); ``context_evidence`` the temporal-context term's. ``transcript`` quotes
the words of the phrases the segment touches exactly as transcribed (a phrase ends at a pause of ``phrase_gap_s``).
"""
from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

import numpy as np

from codebook.version import __version__
from codebook.vocabulary import MODALITIES, PAIRS
from leveltwo.additive import sigmoid
from leveltwo.explain import explain_segment, modality_evidence, pair_evidence
from leveltwo.features import missing_modalities
from leveltwo.metrics import aggregate
from leveltwo.segments import decode_segments, model_prior, session_summary

AHCUE_VERSION = __version__  # recorded in every prediction.json


def _take(cls, d: Mapping[str, Any], where: str) -> tuple[dict, dict]:
    """(known fields, unknown keys) of a JSON object for dataclass ``cls``; missing required fields fail."""
    if not isinstance(d, Mapping):
        raise ValueError(f"prediction.json: {where} is not an object")
    names = {f.name for f in fields(cls)} - {"extra"}
    required = {f.name for f in fields(cls) if f.name != "extra" and f.default is f.default_factory is
                MISSING}
    missing = required - set(d)
    if missing:
        raise ValueError(f"prediction.json: {where} lacks {sorted(missing)}")
    return {k: v for k, v in d.items() if k in names}, {k: v for k, v in d.items() if k not in names}


def _plain(value):
    """JSON-ready copy: tuples to lists, records to dicts (``extra`` merged back in)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


class _Record:
    """to_dict / from_dict shared by the prediction records: declared fields, then ``extra``."""

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            v = getattr(self, f.name)
            if v is None and f.metadata.get("omit_none"):
                continue
            out[f.name] = _plain(v)
        out.update(_plain(dict(getattr(self, "extra", {}) or {})))
        return out


@dataclass(frozen=True)
class CueShare(_Record):
    """One codebook cue in a segment's explanation."""

    id: str
    modality: str
    name: str
    share: float                 # part of the segment's positive evidence, 0..1
    activation: float            # mean activation over the segment's frames, 0..1
    active_fraction: float = 0.0  # part of the segment's frames where the cue is active (>= 0.5)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CueShare":
        known, extra = _take(cls, d, "a segment cue")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class ModalityShare(_Record):
    id: str
    share: float
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ModalityShare":
        known, extra = _take(cls, d, "a segment modality")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class PairShare(_Record):
    """One modality-pair conflict term (BAH's inconsistency pairs, e.g. ``FL``)."""

    id: str
    share: float
    modalities: tuple[str, ...]
    sides: Mapping[str, str] = field(default_factory=dict)  # modality -> direction ("positive", ...)
    description: str = ""  # the two sides in words: "face positive, words negative"
    incongruent: tuple[Mapping[str, Any], ...] = ()  # the codebook's incongruent cue pairs that count for it
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PairShare":
        known, extra = _take(cls, d, "a segment pair")
        known["modalities"] = tuple(known["modalities"])
        known["sides"] = dict(known.get("sides", {}))
        known["incongruent"] = tuple(dict(i) for i in known.get("incongruent", ()))
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class Segment(_Record):
    """A predicted A/H segment (frames inclusive) with its explanation."""

    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    probability: float
    cues: tuple[CueShare, ...] = ()
    modalities: tuple[ModalityShare, ...] = ()
    pairs: tuple[PairShare, ...] = ()
    context_share: float = 0.0
    other_share: float = 0.0
    adaptation_share: float | None = field(default=None, metadata={"omit_none": True})  # only under TTA
    # within-modality conflict terms with a share: {"id", "share", "name", "definition"[, "activation"]}
    within: tuple[Mapping[str, Any], ...] = ()
    transcript: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def duration_s(self) -> float:
        return float(self.end_s) - float(self.start_s)

    def modality_share(self, modality: str) -> float:
        return next((m.share for m in self.modalities if m.id == modality), 0.0)

    @property
    def pair_share(self) -> float:
        return float(sum(p.share for p in self.pairs))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Segment":
        known, extra = _take(cls, d, "a segment")
        known["cues"] = tuple(CueShare.from_dict(c) for c in known.get("cues", ()))
        known["modalities"] = tuple(ModalityShare.from_dict(m) for m in known.get("modalities", ()))
        known["pairs"] = tuple(PairShare.from_dict(p) for p in known.get("pairs", ()))
        known["within"] = tuple(dict(w) for w in known.get("within", ()))
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class AnnotatedSegment(_Record):
    """An annotators' A/H segment and the cues and pairs they named (modality -> cue ids)."""

    start_s: float
    end_s: float
    start_frame: int
    end_frame: int
    cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pairs: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AnnotatedSegment":
        known, extra = _take(cls, d, "an annotated segment")
        known["cues"] = {m: tuple(v) for m, v in (known.get("cues") or {}).items()}
        known["pairs"] = tuple(known.get("pairs") or ())
        return cls(**known, extra=extra)

    @classmethod
    def from_annotation(cls, seg) -> "AnnotatedSegment":
        """From a ``codebook.annotations.Segment``."""
        return cls(float(seg.start_s), float(seg.end_s), int(seg.start_frame), int(seg.end_frame),
                   {m: tuple(v) for m, v in (seg.cues or {}).items() if v}, tuple(seg.pairs or ()))


@dataclass(frozen=True)
class ModelInfo(_Record):
    """Which detector made the prediction; ``card`` is its model card."""

    id: str
    kind: str
    trained: bool
    card: Mapping[str, Any] = field(default_factory=dict)
    explanation: str = "exact"  # "approximate" for attributions estimated after the fact (fusion)
    adaptation: str = "none"  # "tta": adapted to the person at test time (its own explanation term)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ModelInfo":
        known, extra = _take(cls, d, "model")
        known["trained"] = bool(known["trained"])
        return cls(**known, extra=extra)

    def describe(self) -> str:
        """'codebook-prior model, untrained (weights from the published BAH cue statistics)' and the like."""
        if not self.trained:
            return f"{self.kind} model, untrained codebook prior (not trained on A/H data)"
        if self.explanation == "model-stated":
            return (f"{self.kind} model, zero-shot language model (threshold tuned on A/H-annotated videos; "
                    "its explanations are the cues it named)")
        return f"{self.kind} model, trained on A/H-annotated videos"


@dataclass(frozen=True)
class TranscriptWord(_Record):
    """One heard word: ``uncertain`` words (``reason`` says why) are shown, never used as evidence."""

    text: str
    start_s: float
    end_s: float
    uncertain: bool = False
    reason: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TranscriptWord":
        known, extra = _take(cls, d, "a transcript word")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class PersonSeen(_Record):
    """One person whose face was seen (:class:`levelone.face.people.Person`)."""

    index: int                               # 1-based, left to right; what ``--person N`` names
    seen_s: float                            # seconds in which the face was detected
    first_s: float
    last_s: float
    box: tuple[float, float, float, float]   # median face box (x0, y0, x1, y1), fractions of the frame
    still_s: float                           # a time at which the face was seen
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PersonSeen":
        known, extra = _take(cls, d, "a person")
        known["box"] = tuple(float(v) for v in known["box"])
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class OtherTurn(_Record):
    """A stretch of speech attributed to someone other than the participant."""

    start_s: float
    end_s: float
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "OtherTurn":
        known, extra = _take(cls, d, "an other speaker's turn")
        return cls(**known, extra=extra)


@dataclass(frozen=True)
class TranscriptInfo(_Record):
    """What was heard (``prediction.json``'s ``transcript``): where the words came from (``file``
    or ``asr``), the ASR model, the language and its probability, every word with its
    uncertainty, and what the user must know (``note``; ``language_cues``: ``measured``, what measured
    them for speech in another language, or why not)."""

    source: str
    model: str
    language: str | None
    language_probability: float
    words: tuple[TranscriptWord, ...]
    uncertain_share: float
    note: str = ""
    language_cues: str = "measured"
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TranscriptInfo":
        known, extra = _take(cls, d, "the transcript")
        known["words"] = tuple(TranscriptWord.from_dict(w) for w in known["words"])
        return cls(**known, extra=extra)

    @classmethod
    def from_transcription(cls, t) -> "TranscriptInfo":
        """From level one's :class:`levelone.media.transcript.Transcription`."""
        return cls(source=t.source, model=t.model, language=t.language,
                   language_probability=round(float(t.language_probability), 4),
                   words=tuple(TranscriptWord(w.text, round(w.start_s, 3), round(w.end_s, 3), w.uncertain, w.reason)
                               for w in t.words),
                   uncertain_share=round(float(t.uncertain_share), 4), note=t.note,
                   language_cues=t.language_cues())


@dataclass(frozen=True)
class People(_Record):
    """Who was in the recording, who was analysed, and whose speech was whose.

    ``speech`` is the share of the speech frames attributed to the participant, to others and
    unsure (``audio.self``, :mod:`levelone.audio.voices`); empty without speech or attribution.
    ``face_share`` is the part of the video in which the analysed person's face was measured.
    ``someone_else`` are the stretches where the camera showed another person in the analysed
    person's place (a cut to someone else, :mod:`levelone.face.identity`): left out of their evidence.
    """

    faces: tuple[PersonSeen, ...]
    analysed: int | None          # index of the analysed person; None when no face was seen
    rule: str                     # how they were chosen
    face_share: float
    speech: Mapping[str, float]
    other_turns: tuple[OtherTurn, ...]
    someone_else: tuple[OtherTurn, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def alone(self) -> bool:
        """One face, no one else shown in their place, and no speech attributed to anyone else."""
        return len(self.faces) <= 1 and not self.other_turns and not self.someone_else

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "People":
        known, extra = _take(cls, d, "people")
        known["faces"] = tuple(PersonSeen.from_dict(f) for f in known["faces"])
        known["other_turns"] = tuple(OtherTurn.from_dict(t) for t in known["other_turns"])
        known["someone_else"] = tuple(OtherTurn.from_dict(t) for t in known.get("someone_else", ()))
        known["speech"] = {k: float(v) for k, v in dict(known["speech"]).items()}
        return cls(**known, extra=extra)

    @classmethod
    def from_table(cls, table) -> "People | None":
        """From a FrameTable's ``meta.people`` and its ``audio.self`` column; None for tables
        made before people were tracked."""
        from levelone.audio.voices import other_turns, speech_shares

        info = getattr(table.meta, "people", None) or {}
        if "people" not in info:
            return None
        fps = table.fps
        face = table.data["face.present"].to_numpy(bool) if "face.present" in table.data else np.zeros(0, bool)
        if "audio.self" in table.data:
            own = table.data["audio.self"].to_numpy(np.float64)
            speech = speech_shares(own) if np.isfinite(own).any() else {}
            turns = tuple(OtherTurn(a, b) for a, b in other_turns(own, fps))
        else:
            speech, turns = {}, ()
        shown = tuple(OtherTurn(float(a), float(b)) for a, b in (info.get("identity") or {}).get("someone_else_s", ()))
        return cls(faces=tuple(PersonSeen.from_dict(p) for p in info["people"]), analysed=info.get("analysed"),
                   rule=str(info.get("rule", "")), face_share=round(float(face.mean()) if face.size else 0.0, 4),
                   speech=speech, other_turns=turns, someone_else=shown)


@dataclass(frozen=True)
class SessionSummary(_Record):
    """What the whole recording shows, in figures that mean the same at 1 and at 60 minutes
    (:func:`leveltwo.segments.session_summary`): share of time in A/H segments, segments per
    10 minutes, and the strongest moments (``start_s``, ``end_s``, ``probability``)."""

    duration_s: float
    ah_time_share: float
    frames_over_threshold_share: float
    segments: int
    segments_per_10_min: float
    strongest: tuple[Mapping[str, float], ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SessionSummary":
        known, _ = _take(cls, d, "the summary")
        known["strongest"] = tuple(dict(m) for m in known.get("strongest", ()))
        return cls(**known)

    def describe(self) -> str:
        """One line, e.g. ``A/H in 4% of the time, 1.2 segments per 10 min; strongest at 1:23 (0.81)``."""
        def clock(t: float) -> str:
            return f"{int(t // 60)}:{t % 60:04.1f}"
        text = (f"A/H in {self.ah_time_share:.0%} of the time, {self.segments_per_10_min:.1f} segments "
                f"per 10 min ({self.segments} in {clock(self.duration_s)})")
        if self.strongest:
            text += "; strongest at " + ", ".join(f"{clock(float(m['start_s']))} ({float(m['probability']):.2f})"
                                                  for m in self.strongest[:3])
        return text


@dataclass(frozen=True)
class Prediction(_Record):
    video_id: str
    source: str
    fps: float
    n_frames: int
    duration_s: float
    model: ModelInfo
    probability: float
    aggregation: str
    threshold: float
    label: int
    missing_modalities: tuple[str, ...]
    frame_probability: tuple[float, ...]
    modality_evidence: Mapping[str, tuple[float, ...]]
    segments: tuple[Segment, ...]
    annotated_segments: tuple[AnnotatedSegment, ...] | None = field(default=None, metadata={"omit_none": True})
    has_audio: bool | None = field(default=None, metadata={"omit_none": True})  # the file has an audio track
    pair_evidence: Mapping[str, tuple[float, ...]] | None = field(default=None, metadata={"omit_none": True})
    context_evidence: tuple[float, ...] | None = field(default=None, metadata={"omit_none": True})
    ahcue_version: str = AHCUE_VERSION
    baseline: Mapping[str, Any] | None = field(default=None, metadata={"omit_none": True})
    extractors: Mapping[str, str] | None = field(default=None, metadata={"omit_none": True})
    transcript: TranscriptInfo | None = field(default=None, metadata={"omit_none": True})
    people: People | None = field(default=None, metadata={"omit_none": True})
    summary: SessionSummary | None = field(default=None, metadata={"omit_none": True})
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        late = {k: d.pop(k) for k in ("pair_evidence", "context_evidence") if k in d}
        out = {"ahcue_version": d.pop("ahcue_version")}
        for k, v in d.items():
            out[k] = v
            if k == "modality_evidence":  # the pair and context evidence sit beside it
                out.update(late)
        return out

    def to_json(self, indent: int | None = None) -> str:
        """The ``prediction.json`` text."""
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_json(cls, data: str | bytes | Mapping) -> "Prediction":
        """Read ``prediction.json`` text (or its parsed dict); unknown keys are kept in ``extra``.

        Raises ``ValueError`` naming what is missing or malformed.
        """
        d = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
        known, extra = _take(cls, d, "the file")
        try:
            known["model"] = ModelInfo.from_dict(known["model"])
            known["missing_modalities"] = tuple(known["missing_modalities"])
            known["frame_probability"] = tuple(float(v) for v in known["frame_probability"])
            known["modality_evidence"] = {m: tuple(float(x) for x in v)
                                          for m, v in dict(known["modality_evidence"]).items()}
            known["segments"] = tuple(Segment.from_dict(s) for s in known["segments"])
            if known.get("pair_evidence") is not None:
                known["pair_evidence"] = {k: tuple(float(x) for x in v)
                                          for k, v in dict(known["pair_evidence"]).items()}
            if known.get("context_evidence") is not None:
                known["context_evidence"] = tuple(float(x) for x in known["context_evidence"])
            if known.get("transcript") is not None:
                known["transcript"] = TranscriptInfo.from_dict(known["transcript"])
            if known.get("people") is not None:
                known["people"] = People.from_dict(known["people"])
            if known.get("summary") is not None:
                known["summary"] = SessionSummary.from_dict(known["summary"])
            if known.get("annotated_segments") is not None:
                known["annotated_segments"] = tuple(AnnotatedSegment.from_dict(s)
                                                    for s in known["annotated_segments"])
        except (TypeError, KeyError, AttributeError) as err:
            raise ValueError(f"prediction.json: malformed ({err})") from None
        return cls(**known, extra=extra)

    def replace(self, **changes) -> "Prediction":
        return replace(self, **changes)

    @property
    def is_annotated(self) -> bool:
        return self.annotated_segments is not None


def model_info(model) -> ModelInfo:
    card = getattr(model, "card_", None) or model.card()
    return ModelInfo(id=card.get("id", f"{card['kind']}-unsaved"), kind=card["kind"],
                     trained=bool(card.get("trained", True)), card=card,
                     explanation=card.get("explanation", "exact"),
                     adaptation=(card.get("adaptation") or {}).get("method", "none"))


def quote_words(words: Sequence | None, start_s: float, end_s: float, phrase_gap_s: float = 0.25) -> str:
    """The words of every phrase that overlaps [start_s, end_s), exactly as transcribed.

    A phrase is a run of words separated by pauses shorter than ``phrase_gap_s``; quoting whole
    phrases keeps a repetition that straddles the segment's start ("I think, I think") intact.
    """
    if not words:
        return ""
    words = list(words)
    inside = [i for i, w in enumerate(words) if w.start_s < end_s and w.end_s > start_s]
    if not inside:
        return ""
    lo, hi = inside[0], inside[-1]
    while lo > 0 and words[lo].start_s - words[lo - 1].end_s < phrase_gap_s:
        lo -= 1
    while hi + 1 < len(words) and words[hi + 1].start_s - words[hi].end_s < phrase_gap_s:
        hi += 1
    return " ".join(w.text for w in words[lo:hi + 1])


def predict_video(model, table, annotation=None, threshold: float | None = None, *,
                  aggregation: str = "sliding_max_24", words: Sequence | None = None,
                  top_k: int | None = None, source: str | None = None, has_audio: bool | None = None,
                  **segment_options) -> Prediction:
    """Predict one FrameTable with ``model``; ``threshold`` defaults to the model's tuned one.

    ``words`` (``levelone.media.transcript.Word`` list) fills each segment's transcript (less the
    words the FrameTable's ``audio.self`` gives to someone else); by default the certain words of
    the transcript level one recorded (``table.meta.transcript``), which also becomes the
    prediction's ``transcript`` section; ``annotation``
    (``codebook.annotations.VideoAnnotation``) adds the annotated A/H segments for comparison;
    ``source`` overrides the video path the FrameTable records; ``has_audio`` records whether the
    file has an audio track (so a report can tell "no audio track" from "no speech").
    """
    fps = table.fps
    heard = _heard(table)
    if words is None and heard is not None:
        words = [w for w in heard.words if not w.uncertain]
    if words and "audio.self" in table.data:  # someone else's words are never quoted as the person's
        from levelone.audio.voices import split_words
        words = split_words(list(words), table.data["audio.self"].to_numpy(np.float64), fps)[0]
    thr = float(getattr(model, "threshold_", 0.5) if threshold is None else threshold)
    # a detector that reads the person's words (the LLM comparator) gets them; others read only the table
    contrib = model.explain(table, words=words) if words is not None and getattr(model, "reads_words", False) \
        else model.explain(table)
    logit = contrib.to_numpy(np.float64).sum(axis=1)
    p = sigmoid(logit)
    video_p = aggregate(p, aggregation, thr)
    label = int(video_p >= (0.5 if aggregation == "majority" else thr))
    segments = []
    frame_segments = []
    # segment durations from the model's training annotations (else BAH's published ones)
    options = {**model_prior(model).decoding(), **segment_options}
    for seg in decode_segments(p, fps, threshold=thr, **options):
        frame_segments.append(seg)
        start_s, end_s = seg.seconds(fps)
        ex = explain_segment(contrib, seg.start_frame, seg.end_frame, table.data, top_k=top_k)
        segments.append(Segment(
            start_s=round(start_s, 3), end_s=round(end_s, 3), start_frame=seg.start_frame, end_frame=seg.end_frame,
            probability=round(float(p[seg.start_frame:seg.end_frame + 1].mean()), 4),
            cues=tuple(CueShare(**c) for c in ex["cues"]),
            modalities=tuple(ModalityShare(**m) for m in ex["modalities"]),
            pairs=tuple(PairShare.from_dict(p_) for p_ in ex["pairs"]),
            context_share=ex["context_share"], other_share=ex["other_share"],
            adaptation_share=ex["adaptation_share"] if "adaptation" in contrib.columns else None,
            within=tuple(dict(w) for w in ex.get("within", ())),
            transcript=quote_words(words, start_s, end_s)))
    evidence = modality_evidence(contrib)
    by_pair = pair_evidence(contrib)
    context = contrib["context"].to_numpy(np.float64) if "context" in contrib else np.zeros(len(p))
    annotated = None
    if annotation is not None:
        annotated = tuple(AnnotatedSegment.from_annotation(s) for s in annotation.segments
                          if getattr(s, "label", 1))
    return Prediction(
        video_id=table.meta.video_id, source=source if source is not None else table.meta.source, fps=fps,
        n_frames=int(len(p)), duration_s=round(len(p) / fps, 3), model=model_info(model),
        probability=round(float(video_p), 4), aggregation=aggregation, threshold=thr, label=label,
        missing_modalities=tuple(missing_modalities(table)),
        frame_probability=tuple(round(float(v), 4) for v in p),
        modality_evidence={m: tuple(round(float(v), 4) for v in evidence[m]) for m in MODALITIES},
        segments=tuple(segments), annotated_segments=annotated, has_audio=has_audio,
        baseline=dict(getattr(table.meta, "baseline", {}) or {}),
        extractors=dict(sorted((getattr(table.meta, "versions", {}) or {}).items())),
        pair_evidence={k: tuple(round(float(v), 4) for v in by_pair[k]) for k in PAIRS},
        context_evidence=tuple(round(float(v), 4) for v in context),
        transcript=None if heard is None else TranscriptInfo.from_transcription(heard),
        people=People.from_table(table),
        summary=SessionSummary.from_dict(session_summary(p, fps, frame_segments, thr)))


def _heard(table):
    """The FrameTable's transcript record (levelone.media.transcript.Transcription), or None."""
    record = getattr(table.meta, "transcript", None)
    if not record:
        return None
    from levelone.media.transcript import Transcription
    return Transcription.from_dict(record)
