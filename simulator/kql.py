"""The slice of Kusto that DriftGuard sends to Resource Graph, interpreted over the estate.

Supported: a table (`resources`, `securityresources`, `authorizationresources`), then any of
`where <col> in~ (...)`, `where <col> =~ '...'`, `where <col> == '...'`, `where <col> startswith '...'`
(joined with `and`), `project a, b, ...`, `order by <col> [asc|desc]`. Anything else raises
KqlError: an unsupported query must get an error, never a silently wrong answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]
TABLES = ("resources", "securityresources", "authorizationresources")


class KqlError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    table: str
    predicates: tuple[Callable[[JSON], bool], ...]
    project: tuple[str, ...] | None
    order: tuple[str, bool] | None  # (column, descending)

    def run(self, rows: Iterable[JSON]) -> list[JSON]:
        out = [r for r in rows if all(p(r) for p in self.predicates)]
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


def _predicate(clause: str) -> Callable[[JSON], bool]:
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
    predicates: list[Callable[[JSON], bool]] = []
    project: tuple[str, ...] | None = None
    order: tuple[str, bool] | None = None
    for stage in stages[1:]:
        verb, _, rest = stage.partition(" ")
        verb = verb.lower()
        if verb == "where":
            for clause in re.split(r"\s+and\s+", rest.strip()):
                predicates.append(_predicate(clause.strip()))
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
    return Query(table, tuple(predicates), project, order)
