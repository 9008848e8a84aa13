"""Reading a snapshot file: a JSON array of ARM resources, an ARM list (`{"value": [...]}`) or Resource
Graph output as `az graph query` prints it (`{"data": [...], ...}`).

The file is streamed element by element with the C JSON scanner, so a 100,000-resource export never
sits in memory as one document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

CHUNK = 1 << 20
_decoder = json.JSONDecoder()
_WS = " \t\r\n"


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

    def _fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK:
            self.consumed += self.pos
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
            except json.JSONDecodeError as e:
                # Either the value runs past the buffer (read more) or it is malformed.
                if self._fill():
                    continue
                raise SnapshotError(f"{self.name}: malformed JSON at character {self.consumed + e.pos}: {e.msg}") from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)) and self._fill():
                continue
            self.pos = end
            return obj

    def array(self) -> Iterator[Any]:
        self.expect("[", "'['")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            nxt = self.peek()
            if nxt == ",":
                self.pos += 1
                continue
            self.expect("]", "',' or ']' in the resource array")
            return


def iter_resources(stream: IO[str], *, name: str = "snapshot") -> Iterator[Any]:
    """Yields the resource objects of a snapshot; raises SnapshotError naming what is wrong."""
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
