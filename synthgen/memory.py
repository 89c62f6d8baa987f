"""Keep freed memory in the process heap during long loops of same-sized tensors.

glibc's malloc hands every large block (above a threshold that tops out at 32 MB) back to the
kernel when it is freed, so the next batch's tensors of the same size are fresh pages that
fault in one 4 KiB page at a time. Generation allocates and frees the same few tensors for
every column of every batch; with the thresholds raised, freed blocks are reused and page
faults stop (about 40,000 per 10,000 adult rows before, 10-20 % of the sampling time).
Elsewhere than glibc this does nothing."""

from __future__ import annotations

import ctypes
import platform
from collections.abc import Iterator
from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
_GLIBC_DEFAULT = 128 * 1024  # both thresholds' documented defaults
_KEEP = 1 << 30  # 1 GiB: blocks below it come from the heap, and up to this much free heap is kept
_KEEP_FALLBACK = 32 << 20  # newer glibc may refuse mmap thresholds above 32 MiB


def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _libc()
_depth = 0  # nested uses (a series model samples its entity table inside its own sampling)


@contextmanager
def keep_freed_memory() -> Iterator[None]:
    """Within the block, freed blocks stay in the heap for reuse; afterwards the defaults are
    set back and what the heap kept is given back to the kernel."""
    global _depth
    if _LIBC is None:
        yield
        return
    if _depth == 0:
        if not _LIBC.mallopt(_M_MMAP_THRESHOLD, _KEEP):
            _LIBC.mallopt(_M_MMAP_THRESHOLD, _KEEP_FALLBACK)
        _LIBC.mallopt(_M_TRIM_THRESHOLD, _KEEP)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            _LIBC.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
            _LIBC.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
            _LIBC.malloc_trim(0)
