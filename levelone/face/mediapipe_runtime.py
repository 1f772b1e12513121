"""MediaPipe's two known costs that are not ahcue's: a harmless warning and a plotting import.

- mediapipe 0.10.14 calls ``SymbolDatabase.GetPrototype()``, which protobuf 4 deprecates with a
  ``UserWarning`` on every new result type: it is about mediapipe's code, not the user's input,
  and it reached users of ``ahcue demo-corpus``. :func:`ignore_protobuf_deprecation` ignores
  exactly that warning, raised from ``google.protobuf.symbol_database`` (every other warning still
  shows). Call it before the first MediaPipe graph runs.
- ``import mediapipe`` imports its drawing utilities, which import ``matplotlib.pyplot`` for one
  plotting helper (``plot_landmarks``) that ahcue never calls: about half of MediaPipe's import
  (``benchmarks/cold_start.py --parts`` times it both ways).
  :func:`import_mediapipe` imports MediaPipe with that import deferred: the drawing utilities
  get a stand-in module that imports the real pyplot the first time anything of it is used, so
  nothing stops working, and no stand-in is left where any other code would import matplotlib.
"""
from __future__ import annotations

import importlib
import sys
import threading
import types
import warnings

PROTOBUF_DEPRECATION = r"SymbolDatabase\.GetPrototype\(\) is deprecated"
PROTOBUF_MODULE = r"google\.protobuf\.symbol_database"
DEFERRED = ("matplotlib", "matplotlib.pyplot")  # parent first: ``import matplotlib.pyplot`` reads both

_LOCK = threading.Lock()


def ignore_protobuf_deprecation() -> None:
    """Ignore protobuf's GetPrototype deprecation warning, and nothing else (idempotent)."""
    warnings.filterwarnings("ignore", message=PROTOBUF_DEPRECATION, category=UserWarning, module=PROTOBUF_MODULE)


class DeferredModule(types.ModuleType):
    """Stands in for a module not imported yet: the first attribute read imports the real one."""

    def __getattr__(self, attr: str):
        if attr.startswith("__"):  # the import system's own probes (__path__, __file__, ...)
            raise AttributeError(attr)
        real = importlib.import_module(self.__name__)
        if real is self:  # still inside import_mediapipe (another thread): nothing to defer to yet
            raise AttributeError(f"{self.__name__} is being imported; try again")
        return getattr(real, attr)


def import_mediapipe() -> types.ModuleType:
    """``import mediapipe``, with its drawing utilities' ``import matplotlib.pyplot`` deferred.

    While MediaPipe imports, ``sys.modules`` holds stand-ins (:class:`DeferredModule`) for
    matplotlib and its pyplot; they are taken out again before this returns, so only the drawing
    utilities' ``plt`` keeps one. Where matplotlib is already imported nothing is deferred.
    """
    with _LOCK:
        if "mediapipe" in sys.modules or "matplotlib" in sys.modules:
            return importlib.import_module("mediapipe")
        parent, pyplot = (DeferredModule(name) for name in DEFERRED)
        parent.pyplot = pyplot
        stand_ins = dict(zip(DEFERRED, (parent, pyplot)))
        sys.modules.update(stand_ins)
        try:
            return importlib.import_module("mediapipe")
        finally:
            for name, module in stand_ins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
