"""Where level one's memory comes from: allocator policy that keeps a long recording's memory flat.

Nothing here changes a result, only which allocator hands out memory and when it goes back:

- :func:`pin_mmap_threshold`: glibc's malloc keeps every block of 4 MiB or more in its own
  mapping, returned to the system when freed (by default the threshold rises after each large
  free, up to 32 MiB, and later blocks fragment the threads' heaps, which keep what they grew).
- :func:`arrow_system_pool`: Arrow allocates through the system allocator (so through the policy
  above) instead of its bundled mimalloc, which keeps the pages of a freed table for reuse: the
  raw signals of a long recording, read once, stayed resident (twice over) after they were gone.
  Stage two's growth with length, in ``tests/levelone/pipeline/test_stream_assembly.py``.
- :func:`trim`: hand the free memory of every malloc heap back to the system
  (``malloc_trim``), called between the stages of a video, so what the vision pass freed is not
  still resident while stage two allocates.

:func:`bound_allocators` sets the first two once per process (stage one's :func:`levelone.pipeline.vision.load_models`
and stage two's :func:`levelone.pipeline.frametables.run_stage2` call it).
"""
from __future__ import annotations

import ctypes
import sys

# Blocks this size or larger get a mapping of their own (see pin_mmap_threshold): above every
# per-frame block (a decoded frame, at most 640 px a side, is 0.7-1.2 MB; a pose tensor 0.8 MB).
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
# Free memory a heap keeps at its top before handing it back, as a multiple of the mmap threshold
# (glibc's own ratio when it moves the threshold itself): fixing the threshold leaves this at
# 128 KiB, and every frame-sized block freed at a heap's top would go back and fault in again.
TRIM_FACTOR = 2


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def pin_mmap_threshold(nbytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Fix glibc's mmap threshold at ``nbytes``: every block of that size or more is its own
    mapping, handed back to the system when freed; smaller ones come from the heaps and are
    reused. True when set (glibc only).

    By default glibc raises its threshold each time a large block is freed (up to 32 MB), after
    which blocks of every size come from the threads' heaps, which fragment and keep what they
    grew: the process grew with the number of frames (0.71 GB against 0.59 GB on 3 minutes of the
    long-recording input, benchmarks/long_phases.py). Fixed at glibc's initial 128 KiB, every
    decoded frame (640 x 360 x 3 = 691 KB), pose tensor and MediaPipe image copy was a fresh
    mapping, its pages faulted in and zeroed each time (368,178 page faults in a fresh
    extract of a 472-frame clip, ~780 a frame). Fixed at 4 MiB
    those same-sized per-frame blocks are reused from the heaps, a fresh ``ahcue extract`` of a 20 s
    clip spends less system CPU (benchmarks/cold_start.py), and memory stays flat: 60 minutes of
    natural talk peak 1.09x the first minute (benchmarks/long_recordings.py). Results are
    unchanged (only where memory comes from).
    """
    libc = _libc()
    if libc is None:
        return False
    try:
        return bool(libc.mallopt(-3, int(nbytes))) and bool(libc.mallopt(-1, TRIM_FACTOR * int(nbytes)))
    except AttributeError:  # not glibc (musl, ...): its allocator's own policy stays
        return False


def arrow_system_pool() -> bool:
    """Make the system allocator Arrow's default memory pool; True when it is."""
    import pyarrow as pa

    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name == "system"


def trim() -> bool:
    """Return the free memory of glibc's heaps to the system; True when some was (glibc only)."""
    libc = _libc()
    if libc is None:
        return False
    try:
        return bool(libc.malloc_trim(0))
    except AttributeError:
        return False


def bound_allocators() -> None:
    """:func:`pin_mmap_threshold` and :func:`arrow_system_pool` (idempotent)."""
    pin_mmap_threshold()
    arrow_system_pool()
