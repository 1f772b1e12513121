"""Where level one's memory comes from: allocator policy that keeps a long recording's memory flat.

Nothing here changes a result, only which allocator hands out memory and when it goes back:

- :func:`pin_mmap_threshold`: glibc's malloc keeps every block of 128 KiB or more in its own
  mapping, returned to the system when freed (by default the threshold rises after each large
  free and later blocks fragment the threads' heaps, which keep what they grew).
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

MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's initial mmap threshold, kept fixed (see pin_mmap_threshold)


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def pin_mmap_threshold(nbytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Keep glibc's malloc from moving large blocks onto the heap: every block of ``nbytes`` or
    more is its own mapping, handed back to the system when freed. True when set (glibc only).

    By default glibc raises its mmap threshold each time a large block is freed (up to 32 MB),
    after which the decoded frames (640 x 360 x 3 = 691 KB each, made on the decoder's thread and
    freed on the models' thread), crops and model tensors come from the threads' heaps, which
    fragment and keep what they grew: the process grew with the number of frames. Measured
    in-process by phase (benchmarks/long_phases.py) on 3 minutes of the long-recording input:
    0.71 GB with the default, 0.59 GB with the threshold fixed (``MALLOC_MMAP_THRESHOLD_``);
    the cost is a mapping and page faults per large block, small beside the models. Results are
    unchanged (only where memory comes from).
    """
    libc = _libc()
    if libc is None:
        return False
    try:
        return bool(libc.mallopt(-3, int(nbytes)))  # M_MMAP_THRESHOLD
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
