"""Running hostile input in the test process without ever hanging CI or
exhausting the machine: a time alarm and an address-space limit around a block.

If a bound of the program fails, the test fails (TimeoutError, MemoryError)
instead of running for an hour or swapping the CI machine to death.
"""
from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Iterator

GIGABYTE = 1 << 30


def _mapped_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as stream:
            return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


@contextmanager
def bounded(seconds: int = 60, memory: int = 2 * GIGABYTE) -> Iterator[None]:
    """At most `seconds` of wall-clock time and `memory` bytes more address
    space than the process maps now (Linux; elsewhere only the alarm)."""
    import resource

    mapped = _mapped_bytes() if sys.platform.startswith("linux") else None
    old_limit = resource.getrlimit(resource.RLIMIT_AS)
    if mapped is not None:
        hard = old_limit[1]
        soft = mapped + memory if hard == resource.RLIM_INFINITY else min(mapped + memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

    def too_slow(signum: int, frame: object) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    old_handler = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old_handler)
        if mapped is not None:
            resource.setrlimit(resource.RLIMIT_AS, old_limit)
