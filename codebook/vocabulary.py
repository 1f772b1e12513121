"""The cue vocabulary: every cue of the BAH codebook, loaded and validated from ``data/vocabulary.yaml``.

Ids are ``<modality>.<cue>`` (``audio.pause``); FrameTable columns are ``cue.<id>``. Free-text cue
names as annotators write them ("Filler sound", "close 2", "FL") resolve to ids with
:meth:`Vocabulary.resolve`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


from codebook.errors import InputError
from codebook.yamlfile import read_yaml, safe_load

MODALITIES: tuple[str, ...] = ("face", "language", "audio", "body")
PAIRS: tuple[str, ...] = ("FL", "FA", "FB", "LA", "LB", "AB")
VERSION = "1"  # 1: declared (level one's cache key read 0 before); the vocabulary file is keyed by its content
LETTER = {"face": "F", "language": "L", "audio": "A", "body": "B"}
MODALITY_OF_LETTER = {v: k for k, v in LETTER.items()}
# BAH's `all_cues` keys and the modality each names.
BAH_KEYS = {"facial": "face", "language": "language", "audio": "audio", "body": "body"}


@dataclass(frozen=True)
class Cue:
    id: str  # "<modality>.<cue>"
    modality: str
    region: str
    name: str
    definition: str
    measurable: bool
    measurement: str | None = None  # how level one detects it (when measurable)
    reason: str | None = None  # why it cannot be measured (when not)
    aliases: tuple[str, ...] = ()

    @property
    def column(self) -> str:
        """The FrameTable column holding this cue's activation."""
        return f"cue.{self.id}"

    @property
    def short(self) -> str:
        return self.id.split(".", 1)[1]


@dataclass(frozen=True)
class Inconsistency:
    id: str  # "FL", ...
    modalities: tuple[str, str]
    name: str
    definition: str


def _normalise_spelling(text: str) -> str:
    """Normalise a cue spelling: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class Vocabulary:
    version: int
    cues: tuple[Cue, ...]
    inconsistencies: tuple[Inconsistency, ...]

    def __post_init__(self) -> None:
        index = {}
        for cue in self.cues:
            for spelling in (cue.id, cue.short, cue.name, *cue.aliases):
                index.setdefault((cue.modality, _normalise_spelling(spelling)), cue)
        object.__setattr__(self, "_by_id", {c.id: c for c in self.cues})
        object.__setattr__(self, "_index", index)

    def __getitem__(self, cue_id: str) -> Cue:
        try:
            return self._by_id[cue_id]
        except KeyError:
            raise KeyError(f"unknown cue id {cue_id!r}") from None

    def __contains__(self, cue_id: str) -> bool:
        return cue_id in self._by_id

    def by_modality(self, modality: str) -> list[Cue]:
        return [c for c in self.cues if c.modality == modality]

    @property
    def measurable(self) -> list[Cue]:
        return [c for c in self.cues if c.measurable]

    def resolve(self, text: str, modality: str | None = None) -> Cue | None:
        """The cue an annotator's spelling names, or None.

        With ``modality`` the lookup stays inside it (BAH stores cues under a modality key); a
        ``<modality>.<cue>`` id resolves anywhere.
        """
        text = text.strip()
        if text in self._by_id:
            return self._by_id[text]
        mods = [modality] if modality else list(MODALITIES)
        for m in mods:
            cue = self._index.get((m, _normalise_spelling(text)))
            if cue is not None:
                return cue
        return None

    def inconsistency(self, pair: str) -> Inconsistency | None:
        """The inconsistency pair for 'FL', 'lf', 'face-language', ... or None."""
        key = _normalise_spelling(pair)
        for inc in self.inconsistencies:
            names = {_normalise_spelling(inc.id), _normalise_spelling(inc.id[::-1]), _normalise_spelling(inc.name),
                     _normalise_spelling("".join(reversed(inc.name.split("-"))))}
            if key in names:
                return inc
        return None


def _parse(data: dict, path: str) -> Vocabulary:
    if not isinstance(data, dict) or "cues" not in data:
        raise InputError(path, "not a cue vocabulary (no 'cues' list)")
    cues = []
    for i, raw in enumerate(data["cues"]):
        try:
            cid = raw["id"]
            modality, _, short = cid.partition(".")
            if modality not in MODALITIES or not short:
                raise InputError(path, f"cue {cid!r}: id must be '<modality>.<cue>' with modality in {MODALITIES}")
            measurable = bool(raw["measurable"])
            if measurable and not raw.get("measurement"):
                raise InputError(path, f"cue {cid!r} is measurable but says no measurement")
            if not measurable and not raw.get("reason"):
                raise InputError(path, f"cue {cid!r} is not measurable but gives no reason")
            cues.append(Cue(id=cid, modality=modality, region=raw["region"], name=raw["name"],
                            definition=" ".join(raw["definition"].split()), measurable=measurable,
                            measurement=raw.get("measurement"), reason=raw.get("reason"),
                            aliases=tuple(raw.get("aliases") or ())))
        except (KeyError, TypeError, AttributeError) as err:
            raise InputError(path, f"cue #{i + 1} is malformed ({err!r})") from None
    ids = [c.id for c in cues]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(path, f"duplicate cue ids: {', '.join(dupes)}")
    incs = []
    for raw in data.get("inconsistencies", []):
        mods = tuple(raw["modalities"])
        if raw["id"] not in PAIRS or len(mods) != 2 or any(m not in MODALITIES for m in mods):
            raise InputError(path, f"inconsistency {raw.get('id')!r} is malformed")
        incs.append(Inconsistency(id=raw["id"], modalities=mods, name=raw["name"],
                                  definition=" ".join(raw["definition"].split())))
    if sorted(i.id for i in incs) != sorted(PAIRS):
        raise InputError(path, f"inconsistencies must be exactly {PAIRS}")
    return Vocabulary(version=int(data.get("version", 0)), cues=tuple(cues), inconsistencies=tuple(incs))


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Load and validate a vocabulary file (default: the packaged BAH codebook)."""
    if path is None:
        return _packaged()
    return _parse(read_yaml(path, "vocabulary"), str(path))


@lru_cache(maxsize=1)
def _packaged() -> Vocabulary:
    ref = resources.files("codebook") / "data" / "vocabulary.yaml"
    return _parse(safe_load(ref.read_text(encoding="utf-8")), str(ref))
