"""Progress on stderr, for a person watching a terminal: one transient line per long step (what is
being done, a count where there is one, the time so far), erased when the step ends.

Nothing is drawn when stderr is not a terminal (CI logs, pipes, files) or under --quiet. A step must
end before anything is written to the same terminal: rich erases its line by moving the cursor, and
output printed under a live line would be erased instead (the leftover spinner line of old).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import IO

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

Tick = Callable[[int], None]


def _ignore(_: int) -> None:
    return None


class Steps:
    def __init__(self, err: IO[str], *, quiet: bool = False) -> None:
        self.enabled = not quiet and err.isatty()
        self._err = err

    @contextlib.contextmanager
    def step(self, description: str, *, unit: str = "") -> Iterator[Tick]:
        """A step shown while the block runs; the callback it yields reports a count of `unit`."""
        if not self.enabled:
            yield _ignore
            return
        console = Console(file=self._err, stderr=True)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task(description, total=None)

            def tick(n: int) -> None:
                bar.update(task, description=f"{description}: {n:,} {unit}".rstrip())

            yield tick
