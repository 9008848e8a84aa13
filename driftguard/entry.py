"""The `driftguard` command's entry point, light enough to catch Ctrl-C before the heavy imports.

Importing the command (rich, pydantic, the Azure SDK, the rules) takes about half a second; a Ctrl-C in
that time would otherwise print a traceback of whichever import it landed in. Only the standard
library's `sys` is imported here: from the moment `main` runs, an interrupt anywhere (imports included)
exits 130 with nothing on stderr, as it does once the command runs (`driftguard.cli.main`).
`python -m driftguard.cli`, `python -m driftguard` and the console script all come through here.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import NoReturn

EXIT_INTERRUPTED = 130


def _leave(signum: int, frame: FrameType | None) -> None:
    # While the command is imported nothing has been written and nothing needs cleaning up; an
    # interrupt raised as KeyboardInterrupt there can land in one of importlib's lock callbacks, where
    # Python prints "Exception ignored" and carries on. So leave at once, silently.
    os._exit(EXIT_INTERRUPTED)


def main() -> NoReturn:
    signal.signal(signal.SIGINT, _leave)
    try:
        from driftguard import cli

        # From here the command's own handling runs (it removes a half-written output file).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = cli.main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    sys.exit(code)
