"""Publishing DriftGuard's own events (CloudEvents 1.0) to a custom Event Grid topic, through
azure-eventgrid's publisher, authenticated as the app (Entra ID; the topic's access keys stay off)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.messaging import CloudEvent
from azure.core.pipeline.transport import HttpTransport
from azure.eventgrid import EventGridPublisherClient

SOURCE = "/driftguard"
# Event Grid accepts batches up to 1 MB; DriftGuard's events are small, this many stay well under.
BATCH = 100


class PublishFailed(Exception):
    """The topic did not take the batch; `transient` says whether trying later can help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def cloud_event(event: Mapping[str, Any]) -> CloudEvent[Any]:
    """The CloudEvent an outbox item recorded (id kept, so a redelivery is recognisable)."""
    return CloudEvent(
        source=str(event["source"]),
        type=str(event["type"]),
        data=event.get("data"),
        subject=event.get("subject"),
        id=str(event["id"]),
        time=None,
        extensions=None,
    )


class EventPublisher:
    def __init__(
        self, endpoint: str, credential: TokenCredential, *, verify: str | bool = True, transport: HttpTransport[Any, Any] | None = None
    ) -> None:
        """`endpoint` is the topic's endpoint as Azure shows it: https://<topic>.<region>-1.eventgrid.azure.net/api/events."""
        if not endpoint.startswith("https://"):
            raise ValueError("the topic endpoint must be an https:// URL")
        options: dict[str, Any] = {} if transport is None else {"transport": transport}
        self._client = EventGridPublisherClient(endpoint, credential, **options)
        # The publisher ignores connection_verify given to its constructor (or its transport): it goes
        # with each send(), only when it is not the default (the SDK logs it as an unknown event field).
        self._send_options: dict[str, Any] = {} if verify is True else {"connection_verify": verify}

    def publish(self, events: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(events), BATCH):
            batch = [cloud_event(e) for e in events[start : start + BATCH]]
            try:
                self._client.send(batch, **self._send_options)
            except ClientAuthenticationError as e:
                raise PublishFailed(f"the topic refused DriftGuard's identity: {e.message}", transient=False) from e
            except HttpResponseError as e:
                status = e.status_code or 0
                raise PublishFailed(f"the topic answered HTTP {status}", transient=status >= 500 or status in (408, 429)) from e
            except AzureError as e:
                raise PublishFailed(f"the topic could not be reached: {e.message or e}", transient=True) from e

    def close(self) -> None:
        self._client.close()
