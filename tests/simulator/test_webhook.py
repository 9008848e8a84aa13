"""The simulator's Event Grid webhook delivery: validation handshake, then notifications."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from simulator import Simulator
from simulator.webhook import VALIDATION, ValidationFailed

ACCOUNT = "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts/oai-contoso-prod"


class Receiver:
    def __init__(self, *, echo: bool = True, fail_first: int = 0) -> None:
        self.received: list[tuple[str, list[dict[str, Any]]]] = []
        self.echo = echo
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                kind = self.headers.get("aeg-event-type", "")
                receiver.received.append((kind, body))
                if kind == "SubscriptionValidation" and body[0]["eventType"] == VALIDATION:
                    code = body[0]["data"]["validationCode"] if receiver.echo else "wrong"
                    payload = json.dumps({"validationResponse": code}).encode()
                    self.send_response(200)
                elif receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    payload = b"{}"
                    self.send_response(503)
                else:
                    payload = b"{}"
                    self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    yield r
    r.close()


def test_validation_then_notifications_with_a_retry(sim: Simulator, receiver: Receiver) -> None:
    subscription = sim.writes.subscribe_webhook(receiver.url)
    assert receiver.received[0][0] == "SubscriptionValidation"
    answer = sim.handle(
        "PATCH", ACCOUNT, "api-version=2025-09-01", {"Authorization": "Bearer sim:abc", "Host": "h"}, b'{"tags": {"a": "b"}}'
    )
    assert answer.status == 202
    kinds = [k for k, _ in receiver.received]
    assert kinds == ["SubscriptionValidation", "Notification", "Notification"]  # the first delivery got a 503 and was retried
    event = receiver.received[-1][1][0]
    assert event["eventType"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert event["data"]["resourceUri"] == ACCOUNT
    assert subscription.delivered == 1
    assert subscription.dead_lettered == []


def test_an_endpoint_that_does_not_echo_the_code_is_not_subscribed(sim: Simulator) -> None:
    bad = Receiver(echo=False)
    try:
        with pytest.raises(ValidationFailed):
            sim.writes.subscribe_webhook(bad.url)
        assert sim.writes.sinks == []
    finally:
        bad.close()
