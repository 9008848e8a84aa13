"""Where a command's answer goes: standard output, or a file written only when the command succeeds.

A file is written beside its destination and renamed over it at the end (atomic on one filesystem): a
scan that fails halfway leaves yesterday's report whole rather than truncated, and a reader never sees
half a file. The format follows the file's extension unless `--format` names one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from driftguard.terminal.context import Context

# Extension -> format name, for the formats each command writes.
EXTENSIONS: Mapping[str, str] = {
    ".json": "json",
    ".sarif": "sarif",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".txt": "table",
    ".log": "table",
}


def choose_format(given: str | None, output: str | None, allowed: tuple[str, ...], *, command: str, default: str = "table") -> str:
    """`--format` when given; else the output file's extension; else the default. An extension the
    command cannot write is an error naming the formats it does write, rather than a table in a file
    named .csv. A `--format` that contradicts a known extension (JSON into a .sarif file) is an error
    naming both; with an extension that names no format, `--format` decides."""
    if output is None or output == "-":
        return given or default
    suffix = Path(output).suffix.lower()
    if given is not None:
        known = EXTENSIONS.get(suffix)
        if known is not None and known != given:
            raise ValueError(f"--output {output}: the extension {suffix} means {known}, but --format is {given}; make them agree")
        return given
    if suffix == ".gz":
        raise ValueError(f"--output {output}: compressed output is not written; {_formats(command, allowed)}")
    fmt = EXTENSIONS.get(suffix)
    if fmt is None:
        return default
    if fmt not in allowed:
        raise ValueError(f"--output {output}: {fmt.upper()} is not a {command} format; {_formats(command, allowed)}")
    return fmt


def _formats(command: str, allowed: tuple[str, ...]) -> str:
    """`scan writes table, json, sarif or html (name the file .txt, .json, .sarif or .html, or pass --format)`."""
    suffixes = [next(ext for ext, f in EXTENSIONS.items() if f == fmt) for fmt in allowed]
    return f"{command} writes {_either(allowed)} (name the file {_either(suffixes)}, or pass --format)"


def _either(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + f" or {items[-1]}" if len(items) > 1 else "".join(items)


def wrote(ctx: Context, path: str | None, fmt: str, counts: str) -> None:
    """One line on stderr once a file is in place (standard output speaks for itself): which file, in
    which format, and what it holds; none under --quiet."""
    if path is not None and path != "-" and not ctx.quiet:
        ctx.err.write(f"driftguard: wrote {path} ({fmt}): {counts}\n")


@contextlib.contextmanager
def destination(path: str | None, default: IO[str]) -> Iterator[IO[str]]:
    """Standard output for None or `-`; else a temporary file beside `path`, renamed over it only when
    the block ends without an exception (an error, Ctrl-C) and removed otherwise."""
    if path is None or path == "-":
        yield default
        return
    target = Path(path)
    # The directory is checked first so that its absence is the error, not the temporary file's.
    if not target.parent.is_dir():
        raise FileNotFoundError(2, "No such file or directory", str(target.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        # mkstemp makes the file private (0600); a report is an ordinary file, as open() would make it.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def writing(ctx: Context, path: str | None, fmt: str) -> Iterator[None]:
    """A progress line while an answer is written (a SARIF of 100,000 resources takes seconds), except
    when the answer goes to the very terminal the line would be drawn on."""
    to_stdout = path is None or path == "-"
    if to_stdout and ctx.out.isatty():
        yield
        return
    with ctx.steps.step(f"writing the {fmt} output to {'standard output' if to_stdout else path}"):
        yield
