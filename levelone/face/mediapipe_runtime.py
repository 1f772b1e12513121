"""MediaPipe's one known harmless warning, filtered at its source.

mediapipe 0.10.14 calls ``SymbolDatabase.GetPrototype()``, which protobuf 4 deprecates with a
``UserWarning`` on every new result type: it is about mediapipe's code, not the user's input, and
it reached users of ``ahcue demo-corpus``. :func:`ignore_protobuf_deprecation` ignores exactly that
warning, raised from ``google.protobuf.symbol_database`` (every other warning still shows). Call it
before the first MediaPipe graph runs.
"""
from __future__ import annotations

import warnings

PROTOBUF_DEPRECATION = r"SymbolDatabase\.GetPrototype\(\) is deprecated"
PROTOBUF_MODULE = r"google\.protobuf\.symbol_database"


def ignore_protobuf_deprecation() -> None:
    """Ignore protobuf's GetPrototype deprecation warning, and nothing else (idempotent)."""
    warnings.filterwarnings("ignore", message=PROTOBUF_DEPRECATION, category=UserWarning, module=PROTOBUF_MODULE)
