"""Azure DevOps Boards work items (REST API 7.1, JSON Patch documents)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from driftguard import policy as config
from driftguard.cases.sinks import SinkError, Ticket
from driftguard.cases.sinks._http import SinkHttp

API = "api-version=7.1"
PATCH_TYPE = {"Content-Type": "application/json-patch+json"}


class AzureDevOpsSink:
    def __init__(self, settings: config.AzureDevOpsSink, *, token: str, http: SinkHttp) -> None:
        self.name = settings.name
        self._base = f"{settings.organization_url}/{quote(settings.project, safe='')}/_apis/wit/workitems"
        self._type = settings.work_item_type
        self._open, self._closed = settings.open_state, settings.closed_state
        self._http = http
        self._auth = ("", token)  # a PAT goes as the password of HTTP Basic, with an empty user name

    def create(self, ticket: Ticket) -> str:
        ops = [*self._fields(ticket, "add"), {"op": "add", "path": "/fields/System.Tags", "value": f"DriftGuard; {ticket.rule}"}]
        url = f"{self._base}/${quote(self._type, safe='')}?{API}"
        number = self._http.send("POST", url, json_body=ops, headers=PATCH_TYPE, basic=self._auth).json_object().get("id")
        if not isinstance(number, int):
            raise SinkError(f"azure devops {self.name}: the answer names no work item id", transient=False)
        return str(number)

    def update(self, ref: str, ticket: Ticket) -> None:
        ops = self._fields(ticket, "replace")
        if ticket.event == "opened":  # a new case for the same key: the work item is active again
            ops.append({"op": "replace", "path": "/fields/System.State", "value": self._open})
        self._patch(ref, ops)

    def close(self, ref: str, ticket: Ticket) -> None:
        ops = [*self._fields(ticket, "replace"), {"op": "replace", "path": "/fields/System.State", "value": self._closed}]
        ops.append({"op": "add", "path": "/fields/System.History", "value": html.escape(f"DriftGuard: case {ticket.status}")})
        self._patch(ref, ops)

    def _fields(self, ticket: Ticket, op: str) -> list[dict[str, Any]]:
        return [
            {"op": op, "path": "/fields/System.Title", "value": ticket.title[:255]},
            {"op": op, "path": "/fields/System.Description", "value": description(ticket)},
        ]

    def _patch(self, ref: str, ops: list[dict[str, Any]]) -> None:
        if not ref.isdigit():
            raise SinkError(f"azure devops {self.name}: stored work item reference {ref!r} is not a number", transient=False)
        self._http.send("PATCH", f"{self._base}/{ref}?{API}", json_body=ops, headers=PATCH_TYPE, basic=self._auth).json_object()


def description(ticket: Ticket) -> str:
    """System.Description is HTML: every value escaped."""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in ticket.lines)
    link = f'<p><a href="{html.escape(ticket.link, quote=True)}">Open the case in the DriftGuard console</a></p>' if ticket.link else ""
    return f"<table>{rows}</table>{link}"
