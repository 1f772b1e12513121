"""The vision imports start on their own thread before anything heavy is imported."""
from __future__ import annotations

import subprocess
import sys


def test_the_preload_module_imports_nothing_heavy_and_its_thread_loads_vision():
    """``ahcue extract VIDEO`` starts this thread first: importing the module that starts it must
    not itself cost pandas or MediaPipe (that would delay the thread by their import time)."""
    code = ("import sys; import levelone.pipeline.preload as p; "
            "print([m for m in ('pandas', 'scipy', 'mediapipe', 'cv2', 'pyarrow') if m in sys.modules]); "
            "p.import_models_in_background().join(); "
            "print(all(m in sys.modules for m in ('mediapipe', 'cv2', 'ai_edge_litert.interpreter')), "
            "'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["[]", "True False"]


def test_the_protobuf_filter_is_set_before_the_thread_starts():
    """Set from a second thread, the filter could be lost to another thread's
    ``warnings.catch_warnings()`` (seen once: two GetPrototype warnings from a fresh extract)."""
    code = ("import warnings, levelone.pipeline.preload as p; t = p.import_models_in_background(); "
            "print(any('GetPrototype' in str(f[1]) for f in warnings.filters)); t.join()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True"]
