"""keep_freed_memory: freed blocks are reused instead of faulting in fresh pages."""

import json
import platform
import subprocess
import sys
import textwrap

import pytest

from synthgen.memory import _LIBC

pytestmark = pytest.mark.skipif(_LIBC is None, reason=f"glibc only (this is {platform.system()})")
BLOCK = 24 << 20  # bytes: above glibc's default mmap threshold, below the 32 MiB it accepts at most

# Run in a fresh single-threaded process: inside the test suite, earlier tests leave threads
# that may allocate from the main heap between a free and the next allocation (and split the
# freed block), which made the page counts depend on what ran before.
_PROBE = textwrap.dedent(f"""
    import json, resource, torch
    from synthgen.memory import keep_freed_memory
    torch.set_num_threads(1)

    def faults_of_second_allocation():
        torch.ones({BLOCK} // 4)  # freed at once
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        torch.ones({BLOCK} // 4)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    out = {{}}
    with keep_freed_memory():
        pass  # afterwards glibc's fixed defaults hold, whatever earlier allocations did to them
    out["before"] = faults_of_second_allocation()
    with keep_freed_memory():
        with keep_freed_memory():  # nested use (a series model samples its entities inside)
            # the first large block after the change may still be a fresh mapping where the heap
            # cannot grow in place (the address layout varies per process: 4 processes in 16);
            # what the loops of sampling need is the steady state after it
            faults_of_second_allocation()
            out["inner"] = faults_of_second_allocation()
        out["outer"] = faults_of_second_allocation()  # still kept after the inner block
    out["after"] = faults_of_second_allocation()
    out["page"] = resource.getpagesize()
    print(json.dumps(out))
""")


def test_freed_blocks_are_reused_inside_and_given_back_after():
    run = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    faults = json.loads(run.stdout.strip().splitlines()[-1])
    pages = BLOCK // faults["page"]
    assert faults["before"] > pages // 2  # a fresh mapping each time
    assert faults["inner"] < pages // 10
    assert faults["outer"] < pages // 10
    assert faults["after"] > pages // 2  # defaults are back
