"""What reaches the terminal: native libraries' start-up chatter is filtered out, and progress bars
are drawn only on a terminal.

MediaPipe and TensorFlow Lite print start-up lines (``W0000 00:00:... inference_feedback_manager``,
``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``) from C++ straight to file descriptor 2,
where Python cannot intercept them, sometimes lazily on the first frame. :func:`native_noise_filtered`
points descriptor 2 at a pipe for the duration of a command and forwards every line that is not
such chatter, so errors and progress still arrive, in order.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

NOISE = re.compile(
    rb"^(?:[WIEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\]"   # absl/glog: W0000 00:00:1700 123 file.cc:12] ...
    rb"|INFO: Created TensorFlow Lite"                               # TFLite delegate
    rb"|WARNING: All log messages before absl::InitializeLog"        # absl's first line
    rb"|INFO: Initialized TensorFlow Lite runtime"
    rb"|gl_context(?:_egl)?\.cc|GL version:)")


def is_noise(line: bytes) -> bool:
    """Whether one line of stderr is native start-up chatter."""
    return bool(NOISE.search(line.lstrip(b"\r")))


def interactive(stream=None) -> bool:
    """Whether ``stream`` (stderr by default) is a terminal, where a redrawn progress bar belongs."""
    stream = stream or sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def native_noise_filtered(fd: int = 2):
    """Within the block, lines written to ``fd`` that :func:`is_noise` matches are dropped."""
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (embedded interpreters): nothing to filter
        yield
        return
    read_end, write_end = os.pipe()

    def forward() -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                # progress bars end in \r, lines in \n: forward whole pieces, keep the unfinished one
                pieces = re.split(rb"(?<=[\r\n])", pending)
                pending = pieces.pop()
                out = b"".join(p for p in pieces if not is_noise(p))
                if out:
                    os.write(saved, out)
        if pending and not is_noise(pending):
            os.write(saved, pending)

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    thread = threading.Thread(target=forward, name="ahcue-stderr-filter", daemon=True)
    thread.start()
    os.dup2(write_end, fd)
    os.close(write_end)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, fd)  # closes the pipe's last write end: the reader sees EOF
        thread.join(timeout=5)
        os.close(saved)
