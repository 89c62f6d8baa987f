"""keep_freed_memory: freed blocks are reused instead of faulting in fresh pages."""

import platform
import resource

import pytest
import torch

from synthgen.memory import _LIBC, keep_freed_memory

pytestmark = pytest.mark.skipif(_LIBC is None, reason=f"glibc only (this is {platform.system()})")
BLOCK = 24 << 20  # bytes: above glibc's default mmap threshold, below the 32 MiB it accepts at most


def _faults_of_second_allocation() -> int:
    torch.ones(BLOCK // 4)  # freed at once
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(BLOCK // 4)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_freed_blocks_are_reused_inside_and_given_back_after():
    pages = BLOCK // resource.getpagesize()
    with keep_freed_memory():
        pass  # afterwards glibc's fixed defaults hold, whatever earlier allocations did to them
    assert _faults_of_second_allocation() > pages // 2  # a fresh mapping each time
    with keep_freed_memory():
        with keep_freed_memory():  # nested use (a series model samples its entities inside)
            _faults_of_second_allocation()
        assert _faults_of_second_allocation() < pages // 10  # still kept after the inner block
    assert _faults_of_second_allocation() > pages // 2  # defaults are back
