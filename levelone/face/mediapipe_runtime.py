"""MediaPipe's two known costs that are not ahcue's: a harmless warning and imports ahcue never uses.

- mediapipe 0.10.14 calls ``SymbolDatabase.GetPrototype()``, which protobuf 4 deprecates with a
  ``UserWarning`` on every new result type: it is about mediapipe's code, not the user's input,
  and it reached users of ``ahcue demo-corpus``. :func:`ignore_protobuf_deprecation` ignores
  exactly that warning, raised from ``google.protobuf.symbol_database`` (every other warning still
  shows). Call it before the first MediaPipe graph runs.
- ``import mediapipe`` imports more than ahcue uses: its drawing utilities import
  ``matplotlib.pyplot`` for one plotting helper (``plot_landmarks``), its Tasks API imports the
  audio tasks (with ``sounddevice``) and the vision tasks, and the pose solution imports
  ``urllib.request`` to download models ahcue never asks for. Without them MediaPipe's import
  takes 0.20 CPU s instead of 0.64 (``benchmarks/cold_start.py --parts`` times it both ways).
  :func:`import_mediapipe` imports MediaPipe with those imports deferred (:data:`DEFERRED`): each
  gets a stand-in module that imports the real one the first time anything of it is used, so
  nothing stops working, and no stand-in is left where any other code would import it.
"""
from __future__ import annotations

import importlib
import sys
import threading
import types
import warnings

PROTOBUF_DEPRECATION = r"SymbolDatabase\.GetPrototype\(\) is deprecated"
PROTOBUF_MODULE = r"google\.protobuf\.symbol_database"
# What MediaPipe's import brings in and ahcue never uses, parents before their children
# (``import matplotlib.pyplot`` reads both).
DEFERRED = (
    "matplotlib", "matplotlib.pyplot",  # drawing_utils.plot_landmarks
    "mediapipe.tasks.python.audio",  # the Tasks audio API, which imports sounddevice
    "mediapipe.tasks.python.vision",  # the Tasks vision API (ahcue runs the legacy solutions)
    "mediapipe.python.solutions.download_utils",  # urllib.request, for pose models ahcue never downloads
)

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
    """``import mediapipe``, with the imports in :data:`DEFERRED` deferred.

    While MediaPipe imports, ``sys.modules`` holds stand-ins (:class:`DeferredModule`) for them;
    they are taken out again before this returns, so only the names MediaPipe bound keep one
    (the drawing utilities' ``plt``, ``mp.tasks.audio``, ...), and the first use of any of them
    imports the real module. Where matplotlib is already imported it is not deferred.
    """
    with _LOCK:
        if "mediapipe" in sys.modules:
            return importlib.import_module("mediapipe")
        stand_ins = {name: DeferredModule(name) for name in DEFERRED
                     if name.startswith("mediapipe.") or name.split(".")[0] not in sys.modules}
        for name, module in stand_ins.items():
            parent, _, child = name.rpartition(".")
            if parent in stand_ins:  # ``import a.b`` reads b from a
                setattr(stand_ins[parent], child, module)
        sys.modules.update(stand_ins)
        try:
            return importlib.import_module("mediapipe")
        finally:
            for name, module in stand_ins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
