"""GitHub Issues (REST API): one issue per dedupe key, reopened when the key opens a new case."""

from __future__ import annotations

from typing import Any

from driftguard import policy as config
from driftguard.cases.sinks import SinkError, Ticket, markdown_text
from driftguard.cases.sinks._http import SinkHttp


class GitHubSink:
    def __init__(self, settings: config.GitHubSink, *, token: str, http: SinkHttp) -> None:
        self.name = settings.name
        self._issues = f"{settings.api_url}/repos/{settings.repository}/issues"
        self._labels = list(settings.labels)
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

    def create(self, ticket: Ticket) -> str:
        body = {"title": ticket.title, "body": issue_body(ticket), "labels": self._labels}
        number = self._http.send("POST", self._issues, json_body=body, headers=self._headers).json_object().get("number")
        if not isinstance(number, int):
            raise SinkError(f"github {self.name}: the answer names no issue number", transient=False)
        return str(number)

    def update(self, ref: str, ticket: Ticket) -> None:
        self._patch(ref, {"title": ticket.title, "body": issue_body(ticket), "state": "open"})

    def close(self, ref: str, ticket: Ticket) -> None:
        reason = "completed" if ticket.status in {"applied", "superseded"} else "not_planned"
        self._patch(ref, {"title": ticket.title, "body": issue_body(ticket), "state": "closed", "state_reason": reason})

    def _patch(self, ref: str, body: dict[str, Any]) -> None:
        if not ref.isdigit():
            raise SinkError(f"github {self.name}: stored issue reference {ref!r} is not a number", transient=False)
        self._http.send("PATCH", f"{self._issues}/{ref}", json_body=body, headers=self._headers).json_object()


def issue_body(ticket: Ticket) -> str:
    rows = [f"**{markdown_text(k)}**: {markdown_text(v)}" for k, v in ticket.lines]
    if ticket.link:
        rows.append(f"[Open the case in the DriftGuard console]({ticket.link})")
    rows.append(f"\n<!-- driftguard:{ticket.case_id} -->")
    return "\n\n".join(rows)
