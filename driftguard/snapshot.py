"""Reading a snapshot file: a JSON array of ARM resources, an ARM list (`{"value": [...]}`) or Resource
Graph output as `az graph query` prints it (`{"data": [...], ...}`).

The file is streamed a buffer at a time, its elements parsed in batches (orjson) or one by one (the
stdlib scanner, which also names the position of malformed input), so a 100,000-resource export never
sits in memory as one document.

Each resource is held to the nesting limit (`driftguard.nesting`), and a resource listed twice (its ids
equal as ARM compares them) is refused, naming the id: a scan streams, so it cannot let the last copy
win without holding the file, and judging the first copy while another says otherwise would let a CI
gate pass on the state it did not check. Two copies mean the export is broken (concatenated, or paged
while the estate changed): the one to fix it is the person running the scan.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import IO, Any

import orjson

from driftguard.ids import fold
from driftguard.nesting import MAX_DEPTH, TooDeep, check_depth

CHUNK = 1 << 20


class _NumberOutOfRange(ValueError):
    pass


def _bounded_int(text: str) -> int:
    """ARM numbers fit in 64 bits; a larger one is not ARM JSON (and would break the JSON encoder)."""
    value = int(text)
    if not -(2**63) <= value < 2**64:
        raise _NumberOutOfRange(text[:30])
    return value


_decoder = json.JSONDecoder(parse_int=_bounded_int)
_WS = " \t\r\n"
# `,` then the start of an object whose first key is "id" (compact or indented).
_STARTS_OBJECT_WITH_ID = re.compile(r'\s*\{\s*"id"')
# orjson refuses input nested deeper than 1,024 levels (a test holds it to that). A batch parsed inside
# as many extra arrays as leave its elements MAX_DEPTH levels makes that refusal the nesting limit, at
# C speed: walking every element in Python instead would cost a large scan a tenth of its time.
ORJSON_MAX_DEPTH = 1024
_PAD = ORJSON_MAX_DEPTH - 1 - MAX_DEPTH  # the batch's own array takes one level
_OPEN, _CLOSE = "[" * (_PAD + 1), "]" * (_PAD + 1)


class SnapshotError(ValueError):
    """The snapshot is not one of the accepted shapes; the message says where."""


class _Reader:
    def __init__(self, stream: IO[str], name: str) -> None:
        self.stream = stream
        self.name = name
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.consumed = 0  # characters dropped from the front of buf, for error positions
        self.no_batch_until = 0  # a cut at or before this position did not parse

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK:
            self.consumed += self.pos
            self.no_batch_until -= self.pos
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += chunk
        return True

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        got = self.peek()
        if got != char:
            found = repr(got) if got else "end of file"
            raise SnapshotError(f"{self.name}: expected {what} at character {self.consumed + self.pos}, found {found}")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        while True:
            try:
                obj, end = _decoder.raw_decode(self.buf, self.pos)
            except _NumberOutOfRange as e:
                where = self.consumed + self.pos
                raise SnapshotError(
                    f"{self.name}: the value at character {where} holds the number {e}, beyond 64 bits (not ARM JSON)"
                ) from None
            except json.JSONDecodeError as e:
                # Either the value runs past the buffer (read more) or it is malformed.
                if self._fill():
                    continue
                raise SnapshotError(f"{self.name}: malformed JSON at character {self.consumed + e.pos}: {e.msg}") from None
            except RecursionError:
                # The scanner recurses per level: nested this deep, the value is far past the limit.
                raise TooDeep(f"{self.name}: the value at character {self.consumed + self.pos}") from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)) and self._fill():
                continue
            check_depth(obj, f"{self.name}: the value at character {self.consumed + self.pos}")
            self.pos = end
            return obj

    def batch(self) -> list[Any]:
        """Every whole element up to the last `},` in the buffer, parsed in one orjson call, with the
        separating comma consumed; [] when there is no such cut or it does not parse.

        The cut is sound: `[` + text + `]` parses only when the text is a run of complete top-level
        elements (a cut inside a string or a nested object leaves it unbalanced), so a success is
        exactly the elements the element-by-element path would have read. Padded (see `_PAD`), it
        parses only when none of them is nested deeper than the limit.
        """
        if self.pos < self.no_batch_until:
            return []
        cut, end = -1, len(self.buf)
        for _ in range(64):
            # The buffer's tail is usually a partial element full of nested `},`: look for a cut that
            # starts a new ARM object (`{"id"`, how ARM and Resource Graph write them), else give up.
            found = self.buf.rfind("},", self.pos, end)
            if found < 0:
                return []
            if _STARTS_OBJECT_WITH_ID.match(self.buf, found + 2):
                cut = found
                break
            end = found
        if cut < 0:
            return []
        try:
            items = orjson.loads(_OPEN + self.buf[self.pos : cut + 1] + _CLOSE)
        except orjson.JSONDecodeError:
            # Not a top-level boundary after all, or an element nested too deep: read one element at a
            # time until past it (the element reader names what is wrong).
            self.no_batch_until = cut + 2
            return []
        for _ in range(_PAD):
            items = items[0]
        self.pos = cut + 2
        return items if isinstance(items, list) else []

    def array(self) -> Iterator[Any]:
        self.expect("[", "'['")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            batch = self.batch()
            if batch:
                yield from batch
                continue
            yield self.value()
            nxt = self.peek()
            if nxt == ",":
                self.pos += 1
                continue
            self.expect("]", "',' or ']' in the resource array")
            return


def iter_resources(stream: IO[str], *, name: str = "snapshot") -> Iterator[Any]:
    """Yields the resource objects of a snapshot; raises SnapshotError naming what is wrong (malformed
    JSON, a resource nested too deep, a resource listed twice)."""
    # What is kept of each resource to find a second copy: a digest of its folded id, never the resource.
    seen: set[bytes] = set()
    try:
        for number, item in enumerate(_elements(stream, name), start=1):
            rid = item.get("id") if type(item) is dict else None
            if isinstance(rid, str):
                digest = hashlib.blake2b(fold(rid).encode(), digest_size=16).digest()
                if digest in seen:
                    raise SnapshotError(
                        f"{name}: resource #{number} repeats the id {rid[:300]!r} of an earlier resource (ARM ids ignore case);"
                        " a snapshot lists each resource once"
                    )
                seen.add(digest)
            yield item
    except TooDeep as e:
        raise SnapshotError(str(e)) from None


def _elements(stream: IO[str], name: str) -> Iterator[Any]:
    reader = _Reader(stream, name)
    first = reader.peek()
    if first == "[":
        yield from reader.array()
    elif first == "{":
        reader.pos += 1
        found = False
        while True:
            if reader.peek() == "}":
                reader.pos += 1
                break
            key = reader.value()
            if not isinstance(key, str):
                raise SnapshotError(f"{name}: malformed JSON object")
            reader.expect(":", "':'")
            if key in ("value", "data") and reader.peek() == "[" and not found:
                found = True
                yield from reader.array()
            else:
                reader.value()
            if reader.peek() == ",":
                reader.pos += 1
        if not found:
            raise SnapshotError(
                f'{name}: expected a JSON array of resources, an object with a "value" array (ARM list) '
                'or a "data" array (az graph query output)'
            )
    elif first == "":
        raise SnapshotError(f"{name}: the file is empty")
    else:
        raise SnapshotError(f"{name}: expected a JSON array or object, found {first!r}")
    if reader.peek() != "":
        raise SnapshotError(f"{name}: unexpected content after the resource list at character {reader.consumed + reader.pos}")
