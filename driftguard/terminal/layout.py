"""Tables that fit the terminal, 80 columns included, without cutting an identifier in two.

The widest identifiers are rule ids (56 characters) and remediation names (55): no layout with them in
one of four side-by-side columns fits 80 columns. Every table here has a narrow left column (severity,
outcome, status) and one wide column in which each identifier has a line of its own; prose (messages,
reasons) wraps at spaces. Paths are written with spaced separators (`sub / rg / name`) so that a narrow
terminal wraps between names, never inside one.

A name longer than that wide column can be (a resource group may have 90 characters, an account 64) is
shortened in the middle to 56 characters, `head...tail`, in tables only: split across two lines it could
be read as two names, or copied as one with a line break in it; its beginning and end are what tell
names apart, and the whole id is in JSON, CSV, SARIF and HTML.

The width is the terminal's, else COLUMNS, else 80 (rich's own choice when the output is not a
terminal): a report piped to a file is as wide as the terminal that asked for it, or 80.
"""

from __future__ import annotations

from typing import IO

from rich import box
from rich.console import Console
from rich.table import Table

# Rule ids and remediation names need this much; a narrower terminal than 80 folds them as a last resort.
IDENTIFIER = 56


def console(out: IO[str]) -> Console:
    return Console(file=out, highlight=False, soft_wrap=False)


def table(title: str | None, left: str, right: str) -> Table:
    """A two-column table: a narrow label column, then one column of stacked lines."""
    t = Table(title=title, box=box.SQUARE, show_lines=True, expand=False, title_justify="left")
    t.add_column(left, no_wrap=True, max_width=12)
    t.add_column(right, overflow="fold", min_width=IDENTIFIER)
    return t


ELLIPSIS = "..."


def shorten(name: str, limit: int = IDENTIFIER) -> str:
    """`name` whole when it has at most `limit` characters, else its head and tail around `...`."""
    if len(name) <= limit:
        return name
    keep = limit - len(ELLIPSIS)
    return f"{name[: keep // 2]}{ELLIPSIS}{name[len(name) - (keep - keep // 2) :]}"


def fit(text: str) -> str:
    """Prose for a table's wide column: each word (a name in a message, an e-mail address) `shorten`ed,
    so that the column wraps at spaces and never inside a word."""
    return " ".join(shorten(word) for word in text.split(" "))


def where(resource_id: str) -> str:
    """`/subscriptions/S/resourceGroups/RG/providers/Ns/type/name[/child/name]` -> `S / RG / name[ / name]`,
    the subscription beside the resource group, a child resource after its parent (`oai-contoso-prod /
    relaxed-debug`), each name `shorten`ed to fit a table's wide column; the whole id is in JSON, CSV
    and SARIF. The one naming of a resource for people: the console's lists and pages use it too."""
    parts = resource_id.strip("/").split("/")
    low = [p.lower() for p in parts]
    if len(parts) < 2 or low[0] != "subscriptions":
        return shorten(resource_id)
    out = [parts[1]]
    if "resourcegroups" in low:
        out.append(parts[low.index("resourcegroups") + 1])
    out.extend(names(resource_id))
    return " / ".join(shorten(name) for name in out)


def names(resource_id: str) -> list[str]:
    """The names of a resource after its provider, parent first: `[oai-contoso-prod, relaxed-debug]` for
    an account's RAI policy. An extension resource (a role assignment on an account) hangs on its
    parent's names; its own `providers/Namespace` pair is no name."""
    parts = resource_id.strip("/").split("/")
    low = [p.lower() for p in parts]
    if "providers" not in low:
        return []
    out: list[str] = []
    i = low.index("providers")
    while i + 1 < len(parts):
        if low[i] == "providers":
            i += 2  # `providers/Namespace`, then type/name pairs
            continue
        out.append(parts[i + 1])
        i += 2
    return out
