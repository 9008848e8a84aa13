"""The `driftguard` command's entry point, light enough to catch Ctrl-C before the heavy imports.

Importing the command (rich, pydantic, the Azure SDK, the rules) takes about half a second; a Ctrl-C in
that time would otherwise print a traceback of whichever import it landed in. Only the standard
library's `sys` is imported here: from the moment `main` runs, an interrupt anywhere (imports included)
exits 130 with nothing on stderr, as it does once the command runs (`driftguard.cli.main`).
`python -m driftguard.cli`, `python -m driftguard` and the console script all come through here.
"""

from __future__ import annotations

import sys
from typing import NoReturn

EXIT_INTERRUPTED = 130


def main() -> NoReturn:
    try:
        from driftguard import cli

        code = cli.main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    sys.exit(code)
