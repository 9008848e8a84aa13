"""What every command is handed: its streams, --quiet, and the progress steps on stderr."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from driftguard.terminal.progress import Steps


class UsageError(Exception):
    """Bad command-line usage: one line on stderr, exit 2."""


@dataclass
class Context:
    stdin: IO[str]
    out: IO[str]
    err: IO[str]
    quiet: bool = False
    steps: Steps = field(init=False)

    def __post_init__(self) -> None:
        self.steps = Steps(self.err, quiet=self.quiet)

    def warn(self, text: str) -> None:
        if not self.quiet:
            self.err.write(f"driftguard: warning: {text}\n")
