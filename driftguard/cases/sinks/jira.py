"""Jira Cloud issues (REST API v3). Descriptions are Atlassian Document Format: text nodes, so
nothing typed by the tenant or a person is ever markup. Closing takes the workflow transition
that leads to a "done" status."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from driftguard import policy as config
from driftguard.cases.sinks import SinkError, Ticket
from driftguard.cases.sinks._http import Answer, SinkHttp


class JiraSink:
    def __init__(self, settings: config.JiraSink, *, token: str, http: SinkHttp) -> None:
        self.name = settings.name
        self._api = f"{settings.base_url}/rest/api/3/issue"
        self._project, self._type = settings.project_key, settings.issue_type
        self._auth = (settings.email, token)
        self._http = http

    def create(self, ticket: Ticket) -> str:
        fields = {
            "project": {"key": self._project},
            "issuetype": {"name": self._type},
            "summary": ticket.title[:255],
            "description": document(ticket),
            "labels": ["driftguard"],
        }
        key = self._call("POST", self._api, json_body={"fields": fields}).json_object().get("key")
        if not isinstance(key, str) or not key:
            raise SinkError(f"jira {self.name}: the answer names no issue key", transient=False)
        return key

    def update(self, ref: str, ticket: Ticket) -> None:
        self._edit(ref, ticket)
        if ticket.event == "opened":
            self._transition(ref, "new")

    def close(self, ref: str, ticket: Ticket) -> None:
        self._edit(ref, ticket)
        issue = self._call("GET", self._issue(ref), params={"fields": "status"}).json_object()
        category = (((issue.get("fields") or {}).get("status") or {}).get("statusCategory") or {}).get("key")
        if category != "done":  # closing twice is a no-op, as in the other sinks
            self._transition(ref, "done")

    def _transition(self, ref: str, category: str) -> None:
        """Moves the issue to a status of the category ("new", "done") through the workflow."""
        transitions = self._call("GET", f"{self._issue(ref)}/transitions").json_object().get("transitions")
        if not isinstance(transitions, list):
            raise SinkError(f"jira {self.name}: issue {ref}: the answer lists no transitions", transient=False)
        for t in transitions:
            if isinstance(t, dict) and ((t.get("to") or {}).get("statusCategory") or {}).get("key") == category:
                self._call("POST", f"{self._issue(ref)}/transitions", json_body={"transition": {"id": str(t["id"])}}).no_content()
                return
        if category == "done":
            raise SinkError(f"jira {self.name}: issue {ref} has no transition to a done status", transient=False)

    def _edit(self, ref: str, ticket: Ticket) -> None:
        fields = {"summary": ticket.title[:255], "description": document(ticket)}
        self._call("PUT", self._issue(ref), json_body={"fields": fields}).no_content()

    def _issue(self, ref: str) -> str:
        if not ref.replace("-", "").isalnum():
            raise SinkError(f"jira {self.name}: stored issue key {ref!r} is malformed", transient=False)
        return f"{self._api}/{quote(ref)}"

    def _call(self, method: str, url: str, **kwargs: Any) -> Answer:
        return self._http.send(method, url, basic=self._auth, **kwargs)


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
