"""Microsoft Teams through a Workflows webhook: an Adaptive Card per change of the case, linking to
the case in the console. A channel post cannot be edited through the webhook, so "update" and
"close" post the new state as a new card."""

from __future__ import annotations

from typing import Any

from driftguard.cases.sinks import Ticket, markdown_text
from driftguard.cases.sinks._http import SinkHttp

POSTED = "posted"


class TeamsSink:
    def __init__(self, name: str, *, url: str, http: SinkHttp) -> None:
        self.name = name
        self._url = url  # a secret: it carries the workflow's signature
        self._http = http

    def create(self, ticket: Ticket) -> str:
        self._post(ticket, "New case")
        return POSTED

    def update(self, ref: str, ticket: Ticket) -> None:
        heading = "Reminder: still waiting for a decision, past its SLA" if ticket.event == "reminder" else "Case updated"
        self._post(ticket, heading)

    def close(self, ref: str, ticket: Ticket) -> None:
        self._post(ticket, f"Case {ticket.status}")

    def _post(self, ticket: Ticket, heading: str) -> None:
        # A workflow answers 202 (accepted) with no body to judge: the status is the answer.
        self._http.send("POST", self._url, json_body=card(ticket, heading))


def card(ticket: Ticket, heading: str) -> dict[str, Any]:
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": markdown_text(heading), "size": "Small", "isSubtle": True, "wrap": True},
            {"type": "TextBlock", "text": markdown_text(ticket.title), "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "FactSet", "facts": [{"title": markdown_text(k), "value": markdown_text(v)} for k, v in ticket.lines]},
        ],
    }
    if ticket.link:
        content["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the DriftGuard console", "url": ticket.link}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}],
    }
