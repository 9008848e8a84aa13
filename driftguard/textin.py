"""Text input as Windows writes it: Windows PowerShell's `>` and `Out-File` write UTF-16 with a byte
order mark, and Notepad and `Set-Content -Encoding UTF8` put a BOM before UTF-8. Each is read as what
it is; everything else is UTF-8, as JSON's RFC 8259 says."""

from __future__ import annotations

import codecs
import io
from pathlib import Path
from typing import IO

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32's marks first: UTF-32-LE's starts with UTF-16-LE's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class UnreadableText(ValueError):
    """The bytes are not text in any encoding read here; the message names the source."""


def encoding_of(head: bytes) -> str:
    """The encoding the first bytes announce: a BOM, or UTF-16 without one (JSON and TOML start with
    an ASCII character, so a zero byte beside it gives UTF-16 away), else UTF-8."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return "utf-16-le"
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be"
    return "utf-8"


def decode(raw: bytes, name: str) -> str:
    encoding = encoding_of(raw[:4])
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        raise UnreadableText(f"{name}: not {encoding.upper()} text (byte {e.start})") from None


def read_text(path: Path) -> str:
    return decode(path.read_bytes(), str(path))


def wrap(stream: io.BufferedReader) -> IO[str]:
    """A text stream over `stream` in the encoding its first bytes announce, read a buffer at a time
    (a snapshot can be larger than memory wants to hold twice)."""
    encoding = encoding_of(stream.peek(4)[:4])
    return io.TextIOWrapper(stream, encoding=encoding, errors="strict")


def open_text(path: Path) -> IO[str]:
    stream = path.open("rb")
    assert isinstance(stream, io.BufferedReader)  # open(..., "rb") with buffering, as always here
    return wrap(stream)


def stdin_text(stdin: IO[str]) -> IO[str]:
    """Standard input decoded by what it holds when it has bytes underneath (a real stdin); a text
    stream given by a caller (tests, embedding) is already decoded."""
    buffer = getattr(stdin, "buffer", None)
    if isinstance(buffer, io.BufferedReader):
        return wrap(buffer)
    return stdin
