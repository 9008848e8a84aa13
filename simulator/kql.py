"""The slice of Kusto that DriftGuard sends to Resource Graph, interpreted over the estate.

Supported: a table (`resources`, `securityresources`, `authorizationresources`), then any of
`where <col> in~ (...)`, `where <col> =~ '...'`, `where <col> == '...'`, `where <col> startswith '...'`,
`where <col> > datetime(...)` (also `>=`, `<`, `<=`) (joined with `and`),
`extend <col> = tostring(<a.b>)` or `todatetime(<a.b>)` (comma-separated), `project a, b, ...`,
`order by <col> [asc|desc]`. Anything else raises KqlError: an unsupported query must get an error,
never a silently wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
TABLES = ("resources", "securityresources", "authorizationresources")


class KqlError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    table: str
    # The stages in query order: a `where` (keep the row?) or an `extend` (the row with a new column).
    stages: tuple[tuple[str, Callable[[JSON], Any]], ...]
    project: tuple[str, ...] | None
    order: tuple[str, bool] | None  # (column, descending)

    def run(self, rows: Iterable[JSON]) -> list[JSON]:
        out = list(rows)
        for kind, fn in self.stages:
            out = [r for r in out if fn(r)] if kind == "where" else [fn(r) for r in out]
        if self.order:
            col, desc = self.order
            out.sort(key=lambda r: str(r.get(col, "")).lower(), reverse=desc)
        if self.project is not None:
            cols = self.project
            out = [{c: r.get(c) for c in cols} for r in out]
        return out


_STR = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def _unquote(token: str) -> str:
    return token[1:-1].replace("\\'", "'").replace('\\"', '"')


def _split_pipes(text: str) -> list[str]:
    parts, buf, quote = [], [], ""
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == "|":
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return parts


def _column(row: JSON, col: str) -> str:
    value = row.get(col)
    return "" if value is None else str(value)


def _datetime(text: str) -> datetime | None:
    """A Kusto datetime as Resource Graph writes it (ISO 8601, up to seven fractional digits)."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?", text.strip())
    if not m:
        return None
    zone = m.group(3) or "Z"
    value = datetime.fromisoformat(f"{m.group(1)}.{(m.group(2) or '0')[:6].ljust(6, '0')}{'+00:00' if zone == 'Z' else zone}")
    return value.astimezone(UTC)


def _path(row: JSON, dotted: str) -> Any:
    value: Any = row
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _extend(clause: str) -> Callable[[JSON], JSON]:
    m = re.fullmatch(rf"({_IDENT})\s*=\s*(tostring|todatetime)\(\s*({_IDENT}(?:\.{_IDENT})*)\s*\)", clause.strip())
    if not m:
        raise KqlError(f"unsupported extend: {clause!r}")
    col, fn, path = m.group(1), m.group(2), m.group(3)

    def add(row: JSON) -> JSON:
        value = _path(row, path)
        if fn == "tostring":
            computed: Any = "" if value is None else str(value)
        else:
            when = _datetime(value) if isinstance(value, str) else None
            computed = None if when is None else when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {**row, col: computed}

    return add


def _predicate(clause: str) -> Callable[[JSON], bool]:
    m = re.fullmatch(rf"({_IDENT})\s*(>=|<=|>|<)\s*datetime\(\s*([^)]+?)\s*\)", clause)
    if m:
        col, op, bound = m.group(1), m.group(2), _datetime(m.group(3))
        if bound is None:
            raise KqlError(f"unsupported datetime literal: {m.group(3)!r}")
        compare: dict[str, Callable[[datetime, datetime], bool]] = {
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }

        def holds(r: JSON) -> bool:
            value = _datetime(_column(r, col))
            return value is not None and compare[op](value, bound)

        return holds
    m = re.fullmatch(rf"({_IDENT})\s+in~\s*\(\s*((?:{_STR})(?:\s*,\s*(?:{_STR}))*)\s*\)", clause)
    if m:
        col, values = m.group(1), {_unquote(v).lower() for v in re.findall(_STR, m.group(2))}
        return lambda r: _column(r, col).lower() in values
    m = re.fullmatch(rf"({_IDENT})\s*(=~|==|!~|!=|startswith)\s*({_STR})", clause)
    if m:
        col, op, value = m.group(1), m.group(2), _unquote(m.group(3))
        if op == "=~":
            return lambda r: _column(r, col).lower() == value.lower()
        if op == "!~":
            return lambda r: _column(r, col).lower() != value.lower()
        if op == "==":
            return lambda r: _column(r, col) == value
        if op == "!=":
            return lambda r: _column(r, col) != value
        return lambda r: _column(r, col).lower().startswith(value.lower())
    raise KqlError(f"unsupported where clause: {clause!r}")


def parse(text: str) -> Query:
    # Comments and line breaks are not meaningful to the subset.
    cleaned = "\n".join(line.split("//", 1)[0] for line in text.splitlines())
    stages = _split_pipes(" ".join(cleaned.split()))
    table = stages[0].lower()
    if table not in TABLES:
        raise KqlError(f"unsupported table {stages[0]!r} (the simulator knows {', '.join(TABLES)})")
    steps: list[tuple[str, Callable[[JSON], Any]]] = []
    project: tuple[str, ...] | None = None
    order: tuple[str, bool] | None = None
    for stage in stages[1:]:
        verb, _, rest = stage.partition(" ")
        verb = verb.lower()
        if verb == "where":
            for clause in re.split(r"\s+and\s+", rest.strip()):
                steps.append(("where", _predicate(clause.strip())))
        elif verb == "extend":
            steps.extend(("extend", _extend(c)) for c in rest.split(","))
        elif verb == "project":
            cols = tuple(c.strip() for c in rest.split(","))
            if not all(re.fullmatch(_IDENT, c) for c in cols):
                raise KqlError(f"unsupported project list: {rest!r}")
            project = cols
        elif verb in ("order", "sort"):
            m = re.fullmatch(rf"by\s+({_IDENT})(?:\s+(asc|desc))?", rest.strip(), flags=re.I)
            if not m:
                raise KqlError(f"unsupported order clause: {stage!r}")
            order = (m.group(1), (m.group(2) or "desc").lower() == "desc")  # Kusto sorts desc by default
        else:
            raise KqlError(f"unsupported operator {verb!r}")
    return Query(table, tuple(steps), project, order)
