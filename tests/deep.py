"""Deeply nested input for the nesting-limit tests, built without recursion: nothing recursive may see
it before the limit does."""

from __future__ import annotations

from typing import Any

from driftguard.nesting import MAX_DEPTH

# The depths every input is tried at: far past any recursion limit, just past ours, and at it.
TOO_DEEP = (100_000, MAX_DEPTH + 1)


def nested_text(levels: int, leaf: str = "1") -> str:
    """JSON text of `levels` containers, objects and arrays in turn, around `leaf`."""
    opens = "".join('{"a":' if i % 2 == 0 else "[" for i in range(levels))
    closes = "".join("}" if i % 2 == 0 else "]" for i in reversed(range(levels)))
    return opens + leaf + closes


def nested_value(levels: int, leaf: Any = 1) -> Any:
    """The value `nested_text(levels)` parses to."""
    value = leaf
    for i in reversed(range(levels)):
        value = {"a": value} if i % 2 == 0 else [value]
    return value


def refusal_names_the_limit(message: str, what: str) -> None:
    assert message.strip(), "an empty refusal"
    assert "\n" not in message, message
    assert what in message, message
    assert f"nested deeper than {MAX_DEPTH} levels" in message, message
