"""Outputs of a scan: table, JSON, SARIF 2.1.0 and a self-contained HTML page."""

from __future__ import annotations

from enum import StrEnum


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"
