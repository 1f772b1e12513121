"""ELAN ``.eaf`` files: read any tier layout, map A/H and cue tiers to segments, write our own.

Reading is a small ElementTree parser rather than pympi's, because real files break pympi's in
ways that are not the user's fault (no schema attribute, empty annotation values, unnumbered
ids): it resolves time slots without values (interpolated in document order, as ELAN orders
them), reference annotations (symbolic association takes the parent's interval, symbolic
subdivision divides it equally along the ``PREVIOUS_ANNOTATION`` chain) and both 2.x and 3.0
formats. Writing goes through pympi-ling, so files open in ELAN.

Which tier means what is given by ``tier_map`` (tier name or regular expression -> role: ``ah``
for the A/H label tier, a modality ``face|language|audio|body``, ``pairs``, ``certainty``,
``annotator``, ``transcript``) or guessed from tier names.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from codebook import atomic
from codebook.annotations import Segment, VideoAnnotation, parse_cues
from codebook.errors import InputError
from codebook.vocabulary import MODALITIES, Vocabulary, load_vocabulary

ROLES = ("ah", *MODALITIES, "pairs", "certainty", "annotator", "transcript")
# Tier names that `write_eaf` uses; `read_eaf` guesses these and common variants.
TIER_NAMES = {"ah": "A/H", "face": "face cues", "language": "language cues", "audio": "audio cues",
              "body": "body cues", "pairs": "inconsistency", "certainty": "certainty",
              "annotator": "annotator"}
_GUESSES: tuple[tuple[str, str], ...] = (
    ("pairs", r"inconsisten|cross[\s_-]*modal|\bpairs?\b"),
    ("certainty", r"certaint|confidence"),
    ("ah", r"(^|[^a-z])a\s*/?\s*h([^a-z]|$)|ambivalen|hesitan"),
    ("annotator", r"\bannotators?\b|\bcoder\b"),
    ("face", r"\bfac(e|ial)\b"),
    ("language", r"\blanguage\b|\bverbal\b"),
    ("audio", r"\baudio\b|\bvoice\b|\bprosod"),
    ("body", r"\bbody\b"),
    ("transcript", r"\btranscript(ion)?\b"),
)
_NEGATIVE = {"0", "no", "none", "no a/h", "no-ah", "false", "negative"}
_UNIT_FPS = {"pal-frames": 25.0, "ntsc-frames": 30000 / 1001}

Interval = tuple[float, float, str]


@dataclass(frozen=True)
class Tier:
    """One tier, its metadata, and its annotations as (start_s, end_s, value) sorted by start."""

    id: str
    linguistic_type: str | None
    parent: str | None
    participant: str | None
    annotations: tuple[Interval, ...]


# ----------------------------------------------------------------------------- reading
def _units_per_second(root: ET.Element) -> float:
    """Time-slot units per second (milliseconds unless the header says frames)."""
    header = root.find("HEADER")
    units = (header.get("TIME_UNITS") if header is not None else None) or "milliseconds"
    return _UNIT_FPS.get(units.lower(), 1000.0)


def _time_slots(root: ET.Element, path: Path, per_s: float) -> dict[str, float]:
    """Slot id -> seconds; slots without a value are interpolated between their valued
    neighbours in document order (ELAN writes TIME_ORDER sorted by time)."""
    ids, values = [], []
    for el in root.iter("TIME_SLOT"):
        sid = el.get("TIME_SLOT_ID")
        if sid is None:
            raise InputError(path, "a TIME_SLOT has no TIME_SLOT_ID")
        raw = el.get("TIME_VALUE")
        try:
            values.append(None if raw in (None, "") else float(raw) / per_s)
        except ValueError:
            raise InputError(path, f"time slot {sid} has a non-numeric value {raw!r}") from None
        ids.append(sid)
    known = [i for i, v in enumerate(values) if v is not None]
    if not known:
        return dict.fromkeys(ids, 0.0)
    nxt = 0  # index into `known` of the first valued slot after i
    for i, v in enumerate(values):
        while nxt < len(known) and known[nxt] <= i:
            nxt += 1
        if v is None:
            a = known[nxt - 1] if nxt > 0 else None
            b = known[nxt] if nxt < len(known) else None
            if a is not None and b is not None:
                values[i] = values[a] + (values[b] - values[a]) * (i - a) / (b - a)
            else:
                values[i] = values[a if a is not None else b]
    return dict(zip(ids, values))


def read_eaf_document(path: str | Path) -> list[Tier]:
    """Every tier of an ELAN file with every annotation timed, in document order."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise InputError(path, f"not a readable ELAN file: bad XML ({err})", line=err.position[0]) from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    if root.tag != "ANNOTATION_DOCUMENT":
        raise InputError(path, f"not an ELAN file (root element <{root.tag}>, expected <ANNOTATION_DOCUMENT>)")
    slots = _time_slots(root, path, _units_per_second(root))
    times: dict[str, tuple[float, float]] = {}
    refs: dict[str, tuple[str, str, str | None, str]] = {}  # id -> (tier, parent id, previous, value)
    raw_tiers: list[tuple[ET.Element, list[tuple[str, str]]]] = []  # (tier element, [(id, value)])
    for tier_el in root.iter("TIER"):
        tid = tier_el.get("TIER_ID") or ""
        items = []
        for ann in tier_el.iter("ALIGNABLE_ANNOTATION"):
            aid, value = ann.get("ANNOTATION_ID") or "", (ann.findtext("ANNOTATION_VALUE") or "")
            t1, t2 = ann.get("TIME_SLOT_REF1"), ann.get("TIME_SLOT_REF2")
            for ts in (t1, t2):
                if ts not in slots:
                    raise InputError(path, f"annotation {aid} on tier {tid!r} refers to missing time slot {ts!r}")
            times[aid] = (slots[t1], slots[t2])
            items.append((aid, value))
        for ann in tier_el.iter("REF_ANNOTATION"):
            aid, value = ann.get("ANNOTATION_ID") or "", (ann.findtext("ANNOTATION_VALUE") or "")
            refs[aid] = (tid, ann.get("ANNOTATION_REF") or "", ann.get("PREVIOUS_ANNOTATION"), value)
            items.append((aid, value))
        raw_tiers.append((tier_el, items))

    # Symbolic subdivision: children of one parent on one tier share its interval in chain order.
    position: dict[str, tuple[int, int]] = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for aid, (tid, parent, _, _) in refs.items():
        groups.setdefault((tid, parent), []).append(aid)
    for members in groups.values():
        if len(members) > 1:
            prev_of = {a: refs[a][2] for a in members}
            first = [a for a in members if prev_of[a] not in members]
            nxt = {p: a for a, p in prev_of.items() if p in members}
            chain = []
            cur = first[0] if first else members[0]
            while cur is not None and cur not in chain:
                chain.append(cur)
                cur = nxt.get(cur)
            chain += [a for a in members if a not in chain]
            for k, a in enumerate(chain):
                position[a] = (k, len(chain))

    def resolve(aid: str, seen: frozenset = frozenset()) -> tuple[float, float]:
        if aid in times:
            return times[aid]
        if aid not in refs or aid in seen:
            raise InputError(path, f"reference annotation chain at {aid!r} points to no timed annotation")
        start, end = resolve(refs[aid][1], seen | {aid})
        k, n = position.get(aid, (0, 1))
        span = (end - start) / n
        times[aid] = (start + k * span, start + (k + 1) * span)
        return times[aid]

    tiers = []
    for tier_el, items in raw_tiers:
        anns = sorted(((*resolve(aid), value) for aid, value in items), key=lambda a: (a[0], a[1]))
        tiers.append(Tier(id=tier_el.get("TIER_ID") or "", linguistic_type=tier_el.get("LINGUISTIC_TYPE_REF"),
                          parent=tier_el.get("PARENT_REF"), participant=tier_el.get("PARTICIPANT"),
                          annotations=tuple(anns)))
    return tiers


def read_eaf_tiers(path: str | Path) -> dict[str, list[Interval]]:
    """Every tier's annotations as ``{tier: [(start_s, end_s, value), ...]}`` sorted by start."""
    return {t.id: list(t.annotations) for t in read_eaf_document(path)}


def tier_roles(tier_names: Iterable[str], tier_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tier name -> role. With ``tier_map`` only its entries count (exact names first, then the
    keys as case-insensitive regular expressions); without it, roles are guessed from names."""
    roles: dict[str, str] = {}
    for name in tier_names:
        if tier_map is not None:
            role = tier_map.get(name)
            if role is None:
                try:
                    role = next((r for pat, r in tier_map.items()
                                 if re.fullmatch(pat, name, flags=re.IGNORECASE)), None)
                except re.error as err:
                    raise InputError(None, f"tier map: bad regular expression ({err})") from None
        else:
            low = name.lower()
            role = next((r for r, pat in _GUESSES if re.search(pat, low)), None)
        if role is not None:
            if role not in ROLES:
                raise InputError(None, f"tier map: unknown role {role!r} for tier {name!r} "
                                       f"(use one of {', '.join(ROLES)})")
            roles[name] = role
    return roles


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return min(a[1], b[1]) - max(a[0], b[0])


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def read_eaf(path: str | Path, fps: float, tier_map: Mapping[str, str] | None = None,
             vocab: Vocabulary | None = None, video_id: str | None = None,
             n_frames: int | None = None) -> VideoAnnotation:
    """An ELAN file as a :class:`VideoAnnotation`.

    Segments come from the A/H tier (values such as ``0``/``no`` give label 0, anything else 1);
    annotations on cue tiers join the A/H segment they overlap most. Without an A/H tier, the
    merged spans of the cue tiers become the segments (BAH annotates cues only inside A/H).
    Cue annotations overlapping no segment are kept in ``unassigned_cues``. Tiers with no role
    are ignored here; :func:`read_eaf_tiers` returns them all.
    """
    path = Path(path)
    vocab = vocab or load_vocabulary()
    tiers = read_eaf_document(path)
    roles = tier_roles([t.id for t in tiers], tier_map)
    by_role: dict[str, list[Interval]] = {}
    for t in tiers:
        if t.id in roles:
            by_role.setdefault(roles[t.id], []).extend(t.annotations)
    cue_roles = (*MODALITIES, "pairs")
    if "ah" in by_role:
        spans = [(s, e, 0 if v.strip().lower() in _NEGATIVE else 1) for s, e, v in sorted(by_role["ah"])]
    else:
        spans = [(s, e, 1) for s, e in _merge([(s, e) for r in cue_roles for s, e, _ in by_role.get(r, [])])]
    raw: list[dict[str, list[str]]] = [{} for _ in spans]
    extra: dict[tuple[float, float], dict[str, list[str]]] = {}
    for role in (*cue_roles, "certainty", "annotator"):
        key = "inconsistencies" if role == "pairs" else role
        for s, e, value in by_role.get(role, []):
            if not value.strip():
                continue
            best = max(range(len(spans)), key=lambda i: _overlap(spans[i][:2], (s, e)), default=None)
            ov = -1.0 if best is None else _overlap(spans[best][:2], (s, e))
            if ov > 0 or (ov == 0 and e == s):  # a point annotation on a segment's edge still counts
                raw[best].setdefault(key, []).append(value)
            else:
                extra.setdefault((s, e), {}).setdefault(key, []).append(value)
    if "ah" not in by_role and tier_map is None and not any(
            parse_cues({("inconsistencies" if r == "pairs" else r): [v for _, _, v in by_role.get(r, [])]
                        for r in cue_roles}, vocab)[:2]):
        spans, raw, extra = [], [], {}  # guessed "cue" tiers that hold no codebook cue: not annotations
    segments = [_segment(s, e, label, fields, fps, vocab, path) for (s, e, label), fields in zip(spans, raw)]
    unassigned = tuple(_segment(s, e, 1, fields, fps, vocab, path) for (s, e), fields in extra.items())
    transcript = " ".join(v.strip() for _, _, v in sorted(by_role.get("transcript", [])) if v.strip()) or None
    label = int(any(seg.label for seg in segments)) if segments or "ah" in by_role else None
    return VideoAnnotation(video_id=video_id or path.stem, fps=fps, n_frames=n_frames, label=label,
                           segments=segments, transcript=transcript, unassigned_cues=unassigned)


def _segment(s: float, e: float, label: int, fields: dict[str, list[str]], fps: float,
             vocab: Vocabulary, path: Path) -> Segment:
    certainty_texts = fields.pop("certainty", [])
    annotators = fields.pop("annotator", [])
    certainty = None
    if certainty_texts:
        try:
            certainty = int(float(certainty_texts[0]))
        except ValueError:
            raise InputError(path, f"certainty {certainty_texts[0]!r} at {s:.3f} s is not a number") from None
    cues, pairs, unresolved = parse_cues(fields, vocab)
    return Segment.from_seconds(s, e, fps, label=label, cues=cues, pairs=pairs, certainty=certainty,
                                annotator="; ".join(annotators) or None, unresolved=unresolved)


# ----------------------------------------------------------------------------- writing
def write_eaf(path: str | Path, segments: Iterable[Segment], media_path: str | Path | None = None,
              extra_tiers: Mapping[str, Iterable[Interval]] | None = None, force: bool = False,
              author: str = "ahcue") -> Path:
    """Write segments as ELAN tiers (``A/H``, one cue tier per modality, ``inconsistency``,
    ``certainty``, ``annotator``) plus ``extra_tiers`` ({name: [(start_s, end_s, value)]}).

    Cue values are ``;``-separated cue ids (unresolved strings kept as written), which
    :func:`read_eaf` resolves back. Written atomically; an existing file needs ``force``.
    """
    from pympi.Elan import Eaf, to_eaf  # the writer ELAN users trust; imported only to write

    path = atomic.check_writable(path, force)
    eaf = Eaf(author=author)
    eaf.remove_tier("default")
    if media_path is not None:
        media = Path(media_path)
        mime = {".mp4": "video/mp4", ".wav": "audio/x-wav", ".mpg": "video/mpeg", ".ogg": "audio/ogg"}
        eaf.add_linked_file(media.resolve().as_uri(), relpath=media.name,
                            mimetype=mime.get(media.suffix.lower(), "video/*"))
    segments = list(segments)
    tiers: dict[str, list[Interval]] = {name: [] for name in TIER_NAMES.values()}
    for seg in segments:
        span = (seg.start_s, seg.end_s)
        tiers[TIER_NAMES["ah"]].append((*span, str(seg.label)))
        unresolved: dict[str, list[str]] = {}
        for u in seg.unresolved:
            mod, _, text = u.partition(":")
            unresolved.setdefault(mod, []).append(text)
        for m in MODALITIES:
            values = [*seg.cues.get(m, ()), *unresolved.get(m, [])]
            if values:
                tiers[TIER_NAMES[m]].append((*span, "; ".join(values)))
        pairs = [*seg.pairs, *unresolved.get("pairs", [])]
        if pairs:
            tiers[TIER_NAMES["pairs"]].append((*span, "; ".join(pairs)))
        if seg.certainty is not None:
            tiers[TIER_NAMES["certainty"]].append((*span, str(seg.certainty)))
        if seg.annotator:
            tiers[TIER_NAMES["annotator"]].append((*span, seg.annotator))
    for name, items in (extra_tiers or {}).items():
        if name in tiers:
            raise InputError(path, f"extra tier {name!r} clashes with a tier ahcue writes")
        tiers[name] = list(items)
    for name, items in tiers.items():
        eaf.add_tier(name)
        for s, e, value in items:
            start_ms = int(round(s * 1000))
            eaf.add_annotation(name, start_ms, max(start_ms + 1, int(round(e * 1000))), str(value))
    with atomic.atomic_path(path) as tmp:
        to_eaf(str(tmp), eaf)
    return path
