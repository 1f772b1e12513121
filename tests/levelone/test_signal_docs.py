"""librosa's habit (issue 20): every public signal function of temporal.py, audio/prosody.py and
face/cues.py documents each parameter and what it returns, numpydoc style, with shapes and units."""
from __future__ import annotations

import importlib
import inspect
import re

import pytest

MODULES = ("levelone.temporal", "levelone.audio.prosody", "levelone.face.cues")
UNIT_WORDS = ("seconds", "Hz", "dB", "frames", "degrees", "IOD", "semitones", "[0, 1]", "[-1, 1]", "unit",
              "dimensionless", "per second", "shape", "hops", "samples", "bool", "Baseline", "DataFrame",
              "calibration", "Params", "callable", "quantile", "eye widths", "str", "landmarks")


def public_functions():
    for name in MODULES:
        mod = importlib.import_module(name)
        for fname, fn in inspect.getmembers(mod, inspect.isfunction):
            if not fname.startswith("_") and fn.__module__ == name:
                yield name, fname, fn


def sections(doc: str) -> dict[str, list[str]]:
    """numpydoc sections: title -> its lines (a title is a line underlined with dashes)."""
    lines = inspect.cleandoc(doc).splitlines()
    out, title = {}, None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and re.fullmatch(r"-{3,}", lines[i + 1].strip()) and line.strip():
            title = line.strip()
            out[title] = []
        elif title and not re.fullmatch(r"-{3,}", line.strip()):
            out[title].append(line)
    return out


@pytest.mark.parametrize("module,name,fn", list(public_functions()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_signal_function_has_numpydoc(module, name, fn):
    doc = sections(fn.__doc__ or "")
    assert "Returns" in doc and any(line.strip() for line in doc["Returns"]), f"{module}.{name}: no Returns"
    params = [p for p in inspect.signature(fn).parameters]
    documented = [line.split(" : ")[0] for line in doc.get("Parameters", [])
                  if " : " in line and not line.startswith(" ")]
    assert documented == params, f"{module}.{name}: Parameters {documented} != signature {params}"
    entries = [line for line in doc.get("Parameters", []) + doc["Returns"] if not line.startswith(" ") and line.strip()]
    described = " ".join(doc.get("Parameters", []) + doc["Returns"])
    assert not params or any(w in described for w in UNIT_WORDS), f"{module}.{name}: no unit or shape named"
    assert entries
