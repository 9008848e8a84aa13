"""ServiceNow incidents (Table API). The incident's `correlation_id` identifies the dedupe key, so an
incident is found again even if DriftGuard's own record of it was lost. The field holds 100
characters, which a dedupe key (rule, resource id, principal) can exceed: it holds the key's digest,
and the description the key itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from driftguard import policy as config
from driftguard.cases.sinks import SinkError, Ticket
from driftguard.cases.sinks._http import SinkHttp
from driftguard.store.base import dedupe_hash

URGENCY = {"critical": "1", "high": "1", "medium": "2", "low": "3", "info": "3"}


def correlation_id(dedupe_key: str) -> str:
    return f"driftguard-{dedupe_hash(dedupe_key)}"


class ServiceNowSink:
    def __init__(self, settings: config.ServiceNowSink, *, password: str, http: SinkHttp) -> None:
        self.name = settings.name
        self._table = f"{settings.instance_url}/api/now/table/incident"
        self._auth = (settings.username, password)
        self._close_code, self._resolved, self._open = settings.close_code, settings.resolved_state, settings.open_state
        self._http = http

    def create(self, ticket: Ticket) -> str:
        found = self._find(ticket)
        if found is not None:
            self.update(found, ticket)
            return found
        body = {
            **self._fields(ticket),
            "correlation_id": correlation_id(ticket.dedupe_key),
            "correlation_display": "DriftGuard",
            "urgency": URGENCY.get(ticket.severity, "2"),
            "impact": "2",
            "category": "security",
        }
        result = self._call("POST", self._table, json_body=body).get("result")
        sys_id = result.get("sys_id") if isinstance(result, dict) else None
        if not isinstance(sys_id, str) or not sys_id:
            raise SinkError(f"servicenow {self.name}: the answer names no sys_id", transient=False)
        return sys_id

    def update(self, ref: str, ticket: Ticket) -> None:
        body = self._fields(ticket)
        if ticket.event == "opened":
            body["state"] = self._open
        body["work_notes"] = f"DriftGuard: case {ticket.case_id} is {ticket.status}"
        self._call("PATCH", self._row(ref), json_body=body)

    def close(self, ref: str, ticket: Ticket) -> None:
        body = {
            **self._fields(ticket),
            "state": self._resolved,
            "close_code": self._close_code,
            "close_notes": f"DriftGuard case {ticket.case_id} {ticket.status}: {ticket.reason}"[:4000],
        }
        self._call("PATCH", self._row(ref), json_body=body)

    def _find(self, ticket: Ticket) -> str | None:
        query = f"correlation_id={correlation_id(ticket.dedupe_key)}^ORDERBYDESCsys_created_on"
        rows = self._call("GET", self._table, params={"sysparm_query": query, "sysparm_fields": "sys_id", "sysparm_limit": "1"}).get(
            "result"
        )
        if not isinstance(rows, list):  # not an empty search: an answer we do not understand
            raise SinkError(f"servicenow {self.name}: the incident search answered no result list", transient=False)
        first = rows[0] if rows else None
        return str(first["sys_id"]) if isinstance(first, dict) and first.get("sys_id") else None

    @staticmethod
    def _fields(ticket: Ticket) -> dict[str, Any]:
        # Plain-text fields: ServiceNow shows them as typed.
        text = "\n".join(f"{k}: {v}" for k, v in ticket.lines)
        key = f"\nDedupe key: {ticket.dedupe_key}"
        link = f"\nConsole: {ticket.link}" if ticket.link else ""
        return {"short_description": ticket.title[:160], "description": text + key + link}

    def _row(self, ref: str) -> str:
        if not ref.isalnum():
            raise SinkError(f"servicenow {self.name}: stored sys_id {ref!r} is malformed", transient=False)
        return f"{self._table}/{quote(ref)}"

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """Every Table API call answers a JSON object."""
        return self._http.send(method, url, basic=self._auth, **kwargs).json_object()
