"""One nesting limit for all structured input: events, snapshots, the policy file, settings, approval
API bodies and the Easy Auth principal header.

Deeply nested JSON or TOML would otherwise end in a RecursionError somewhere recursive (a parser,
pydantic, orjson's encoder, which stops at 255 levels, the report writers). Each input is held to
`MAX_DEPTH` right after parsing, before anything else touches it, and refused with one line naming it;
its reader turns that into its own refusal (an event acknowledged as poison, a 400, a 401, exit 2,
a start-up error).

64 levels: what .NET's JSON readers (System.Text.Json, Json.NET 13) accept by default, so nothing
ARM or the Functions host writes goes deeper. The deepest real payloads are far below it: ARM
resources and list answers in the corpus reach 9 levels, events 7, Azure Policy definitions with
an embedded deployment template 19; the simulator's resources 6.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

MAX_DEPTH = 64

T = TypeVar("T")
S = TypeVar("S")


class TooDeep(ValueError):
    """The input is nested deeper than MAX_DEPTH; the message names the input and the limit."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is nested deeper than {MAX_DEPTH} levels")


def check_depth(value: T, what: str, *, envelope: int = 0) -> T:
    """`value` itself, or TooDeep when it holds more than MAX_DEPTH levels of objects and arrays (plus
    `envelope` levels of wrapping around the documents the limit is for, such as a batch array).

    Iterative, so that any depth is safe to measure; it stops at the first container too deep.
    """
    limit = MAX_DEPTH + envelope
    kind = type(value)
    if kind is not dict and kind is not list:
        return value
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        container, depth = stack.pop()
        # Exact types, not isinstance: these are the containers the parsers build, and a scan walks
        # every resource of a snapshot, where the cheapest test counts.
        for child in container.values() if type(container) is dict else container:
            kind = type(child)
            if kind is dict or kind is list:
                if depth >= limit:
                    raise TooDeep(what)
                stack.append((child, depth + 1))
    return value


def parse(loads: Callable[[S], Any], text: S, what: str, *, envelope: int = 0) -> Any:
    """`loads(text)` held to the limit. The standard library's parsers recurse (json's scanner, tomllib)
    and give up with a RecursionError far past the limit: that is the same refusal."""
    try:
        value = loads(text)
    except RecursionError:
        raise TooDeep(what) from None
    return check_depth(value, what, envelope=envelope)
