"""Jira Cloud issues (REST API v3). Descriptions are Atlassian Document Format: text nodes, so
nothing typed by the tenant or a person is ever markup. Closing takes the workflow transition
that leads to a "done" status."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from driftguard import policy as config
from driftguard.cases.sinks import SinkError, Ticket
from driftguard.cases.sinks._http import call


class JiraSink:
    def __init__(self, settings: config.JiraSink, *, token: str, session: requests.Session) -> None:
        self.name = settings.name
        self._api = f"{settings.base_url}/rest/api/3/issue"
        self._project, self._type = settings.project_key, settings.issue_type
        self._auth = (settings.email, token)
        self._session = session

    def create(self, ticket: Ticket) -> str:
        fields = {
            "project": {"key": self._project},
            "issuetype": {"name": self._type},
            "summary": ticket.title[:255],
            "description": document(ticket),
            "labels": ["driftguard"],
        }
        answer = self._call("POST", self._api, json={"fields": fields}).json()
        key = answer.get("key") if isinstance(answer, dict) else None
        if not isinstance(key, str) or not key:
            raise SinkError(f"jira {self.name}: the answer names no issue key", transient=False)
        return key

    def update(self, ref: str, ticket: Ticket) -> None:
        self._call("PUT", self._issue(ref), json={"fields": {"summary": ticket.title[:255], "description": document(ticket)}})
        if ticket.event == "opened":
            self._transition(ref, "new")

    def close(self, ref: str, ticket: Ticket) -> None:
        self._call("PUT", self._issue(ref), json={"fields": {"summary": ticket.title[:255], "description": document(ticket)}})
        issue = self._call("GET", self._issue(ref), params={"fields": "status"}).json()
        category = (
            (((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}).get("key") if isinstance(issue, dict) else None
        )
        if category != "done":  # closing twice is a no-op, as in the other sinks
            self._transition(ref, "done")

    def _transition(self, ref: str, category: str) -> None:
        """Moves the issue to a status of the category ("new", "done") through the workflow."""
        answer = self._call("GET", f"{self._issue(ref)}/transitions").json()
        transitions = answer.get("transitions") if isinstance(answer, dict) else None
        for t in transitions or ():
            if ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category:
                self._call("POST", f"{self._issue(ref)}/transitions", json={"transition": {"id": str(t["id"])}})
                return
        if category == "done":
            raise SinkError(f"jira {self.name}: issue {ref} has no transition to a done status", transient=False)

    def _issue(self, ref: str) -> str:
        if not ref.replace("-", "").isalnum():
            raise SinkError(f"jira {self.name}: stored issue key {ref!r} is malformed", transient=False)
        return f"{self._api}/{quote(ref)}"

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        return call(self._session, method, url, what=f"jira {self.name}", auth=self._auth, headers={"Accept": "application/json"}, **kwargs)


def document(ticket: Ticket) -> dict[str, Any]:
    content: list[dict[str, Any]] = [
        {"type": "paragraph", "content": [{"type": "text", "text": f"{k}: ", "marks": [{"type": "strong"}]}, {"type": "text", "text": v}]}
        for k, v in ticket.lines
    ]
    if ticket.link:
        text = {
            "type": "text",
            "text": "Open the case in the DriftGuard console",
            "marks": [{"type": "link", "attrs": {"href": ticket.link}}],
        }
        content.append({"type": "paragraph", "content": [text]})
    return {"type": "doc", "version": 1, "content": content}
