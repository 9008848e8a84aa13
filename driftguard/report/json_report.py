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


def write(
    findings: Iterable[Finding], summary: Callable[[], JSON], out: IO[str], *, exemption_of: Callable[[Finding], JSON | None] | None = None
) -> None:
    """`summary` is called after the findings are written: counts are only final then. An exempted
    finding carries its exemption under `exempt` (absent on the others: the schema only grows)."""
    out.write('{"schema_version":"' + SCHEMA_VERSION + '","findings":[')
    first = True
    for finding in findings:
        out.write("\n  " if first else ",\n  ")
        value = finding.to_json()
        exempt = exemption_of(finding) if exemption_of is not None else None
        if exempt is not None:
            value["exempt"] = exempt
        out.write(_encode(value))
        first = False
    out.write("\n],\n" if not first else "],\n")
    out.write('"summary":' + json.dumps(summary(), sort_keys=True) + "}\n")
