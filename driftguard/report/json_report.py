"""JSON output: `{"findings": [...], "summary": {...}}`, streamed so that large scans stay small in memory."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import IO

import orjson

from driftguard.model import JSON, Finding

SCHEMA_VERSION = "1"


def _encode(value: JSON) -> str:
    # orjson: a large scan writes tens of thousands of findings, and the stdlib encoder was a sixth of
    # the whole scan's time.
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def write(findings: Iterable[Finding], summary: Callable[[], JSON], out: IO[str]) -> None:
    """`summary` is called after the findings are written: counts are only final then."""
    out.write('{"schema_version":"' + SCHEMA_VERSION + '","findings":[')
    first = True
    for finding in findings:
        out.write("\n  " if first else ",\n  ")
        out.write(_encode(finding.to_json()))
        first = False
    out.write("\n],\n" if not first else "],\n")
    out.write('"summary":' + json.dumps(summary(), sort_keys=True) + "}\n")
