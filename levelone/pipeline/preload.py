"""Start importing vision's libraries on a thread of its own, first thing in a fresh process.

``ahcue extract|analyze VIDEO`` spends its first second importing: MediaPipe (without the
matplotlib its drawing utilities import, :func:`levelone.face.mediapipe_runtime.import_mediapipe`),
OpenCV and LiteRT for the vision pass, pandas, pyarrow and the cue modules for everything else.
:func:`import_models_in_background` starts the vision imports beside the command's own. This
module imports nothing heavy itself, so the thread starts at once (importing
:mod:`levelone.pipeline.vision` first would import pandas and scipy before the thread even began).
"""
from __future__ import annotations

import threading


def _import_models() -> None:
    import cv2  # noqa: F401
    from ai_edge_litert import interpreter  # noqa: F401
    from scipy import ndimage  # noqa: F401

    from levelone.body import pose  # noqa: F401
    from levelone.face import affect  # noqa: F401
    from levelone.face.mediapipe_runtime import import_mediapipe

    import_mediapipe()


def import_models_in_background() -> threading.Thread:
    """Start importing vision's libraries (MediaPipe, LiteRT, OpenCV) on a thread of its own.

    Imports only: they print nothing, and the graphs (whose native start-up chatter is filtered)
    are created by :func:`levelone.pipeline.vision.load_models`, which Python's import locks make
    wait for imports in flight. Not a daemon: an interpreter must not exit in the middle of a
    native import.
    """
    import numpy  # noqa: F401 - shared by both threads' imports: imported once, here, first

    from levelone.face.mediapipe_runtime import ignore_protobuf_deprecation

    # before any thread starts: a warnings filter added while another thread is inside
    # ``warnings.catch_warnings()`` (scipy's and pandas' code use it) is lost when that thread leaves it
    ignore_protobuf_deprecation()
    thread = threading.Thread(target=_import_models, name="ahcue-import-vision")
    thread.start()
    return thread
