"""Event Grid's webhook delivery, as the simulator does it: the subscription is validated first (a
`SubscriptionValidationEvent` whose code the endpoint must echo as `validationResponse`), then each
event is POSTed as a one-element array with `aeg-event-type: Notification`. A delivery that fails
(not 2xx, or no answer) is retried a few times, then counted as dead-lettered."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent"


class ValidationFailed(Exception):
    pass


@dataclass
class WebhookSubscription:
    url: str
    verify: str | bool = True
    attempts: int = 3
    backoff_s: float = 0.05
    delivered: int = 0
    dead_lettered: list[str] = field(default_factory=list)
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    def validate(self, topic: str) -> None:
        """The handshake Event Grid performs before the first delivery."""
        code = str(uuid.uuid4())
        event = {
            "id": str(uuid.uuid4()),
            "topic": topic,
            "subject": "",
            "eventType": VALIDATION,
            "eventTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "data": {"validationCode": code, "validationUrl": ""},
            "dataVersion": "2",
            "metadataVersion": "1",
        }
        try:
            answer = self._session.post(
                self.url, json=[event], headers={"aeg-event-type": "SubscriptionValidation"}, verify=self.verify, timeout=10
            )
        except requests.RequestException as e:
            raise ValidationFailed(f"{self.url}: {e}") from e
        body: Any = answer.json() if answer.ok and answer.content else {}
        if not answer.ok or not isinstance(body, Mapping) or body.get("validationResponse") != code:
            raise ValidationFailed(f"{self.url} did not echo the validation code (HTTP {answer.status_code})")

    def __call__(self, event: dict[str, Any]) -> None:
        """An event sink for `WriteSide.subscribe`."""
        for attempt in range(self.attempts):
            try:
                answer = self._session.post(
                    self.url, json=[event], headers={"aeg-event-type": "Notification"}, verify=self.verify, timeout=30
                )
                if 200 <= answer.status_code < 300:
                    self.delivered += 1
                    return
            except requests.RequestException:
                pass
            time.sleep(self.backoff_s * (2**attempt))
        self.dead_lettered.append(str(event.get("id")))
