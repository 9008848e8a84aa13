"""A generic JSON webhook: the ticket as JSON, signed with HMAC-SHA256 over the exact body when a
secret is configured (header `X-DriftGuard-Signature: sha256=<hex>`), so the receiver can tell
DriftGuard's posts from anyone else's."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json

from driftguard.cases.sinks import Ticket
from driftguard.cases.sinks._http import SinkHttp

SENT = "sent"


class WebhookSink:
    def __init__(self, name: str, *, url: str, secret: str | None, http: SinkHttp) -> None:
        self.name = name
        self._url = url  # a secret too: a receiver may put its token in it
        self._secret = secret.encode() if secret else None
        self._http = http

    def create(self, ticket: Ticket) -> str:
        self._post("created", ticket)
        return SENT

    def update(self, ref: str, ticket: Ticket) -> None:
        self._post("updated", ticket)

    def close(self, ref: str, ticket: Ticket) -> None:
        self._post("closed", ticket)

    def _post(self, action: str, ticket: Ticket) -> None:
        body = json.dumps({"source": "driftguard", "action": action, "ticket": dataclasses.asdict(ticket)}, sort_keys=True).encode()
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            headers["X-DriftGuard-Signature"] = "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        # Any receiver's success status will do: a generic webhook promises no body.
        self._http.send("POST", self._url, data=body, headers=headers)
