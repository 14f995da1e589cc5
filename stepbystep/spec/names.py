"""Value names: built and taken apart in one place (SPEC.md §2)."""
from __future__ import annotations


def split_prefix(name: str) -> tuple[str, str]:
    """`step1.sample2.out_o1` -> ("step1.sample2.", "out_o1")."""
    # the bare part never contains a dot; prefixes always end with one
    head, dot, tail = name.rpartition(".")
    return (head + dot, tail) if dot else ("", name)
