"""The simulator's write side: long-running operations that complete after a delay (a second write
meanwhile gets 409), the keys behind key actions, and the Event Grid event a real subscription would
send for every successful write or action, carrying the writer's claims. Which operations exist and
how each answers comes from `simulator.spec`; `simulator.core` applies it.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.directory import Directory
from simulator.spec import as_read
from simulator.state import JSON, Estate, split_id
from simulator.webhook import WebhookSubscription

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"

EventSink = Callable[[JSON], None]


def principal_of(token: str) -> tuple[str, str]:
    """(object id, app id) of a simulated bearer token `sim:<object id>[:<app id>]`; other tokens are an
    anonymous caller. The real service reads them from the signed token; the simulator trusts the text."""
    if token.startswith("sim:"):
        parts = token.split(":")
        oid = parts[1] if len(parts) > 1 else ""
        return oid, parts[2] if len(parts) > 2 and parts[2] else oid
    return "00000000-0000-0000-0000-0000000000aa", "00000000-0000-0000-0000-0000000000aa"


def merge_patch(target: Any, patch: Any) -> Any:
    """ARM PATCH: objects merge key by key, arrays and scalars replace, null removes (callers strip the
    nulls a provider ignores first: see `without_nulls`)."""
    if not isinstance(patch, Mapping) or not isinstance(target, Mapping):
        return copy.deepcopy(patch)
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(target.get(key), value) if isinstance(value, Mapping) else copy.deepcopy(value)
    return out


def without_nulls(patch: Any, *, path: tuple[str, ...] = ()) -> Any:
    """A PATCH body as these providers take it: an explicit null means "not sent" (they deserialize
    into their models, where null and absent are one, and the SDK clients never send a null), so it
    changes nothing. The one documented exception is ARM's: a user-assigned identity set to null in
    `identity.userAssignedIdentities` is removed."""
    if not isinstance(patch, Mapping):
        return patch
    keep_nulls = path == ("identity", "userAssignedIdentities")
    return {k: without_nulls(v, path=(*path, k)) for k, v in patch.items() if v is not None or keep_nulls}


def _ones_and_zeros(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Mapping):
        return {k: _ones_and_zeros(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ones_and_zeros(v) for v in value]
    return value


def new_etag() -> str:
    return f'"{uuid.uuid4()}"'


class WriteSide:
    def __init__(self, estate: Estate, *, clock: Callable[[], datetime] | None = None, directory: Directory | None = None) -> None:
        self.estate = estate
        # Names callers in the Activity Log as Azure does (UPN, app id); without it, by object id.
        self.directory = directory
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sinks: list[EventSink] = []
        # Azure Resource Notifications subscribers: `Microsoft.ResourceNotifications.Resources.*` events.
        self.notification_sinks: list[EventSink] = []
        # The api-version Resource Notifications describe a type's properties at (may be older than the
        # caller's): type (lower case) -> version.
        self.notification_versions: dict[str, str] = {}
        self._lock = threading.RLock()
        self._operations: dict[str, _Operation] = {}
        # The Activity Log as Log Analytics would hold it: one record per successful write or action.
        self.activity: list[JSON] = []
        self._keys: dict[str, dict[str, str]] = {}

    # --- events --------------------------------------------------------------------------------------
    def subscribe(self, sink: EventSink) -> None:
        """In-process delivery: `sink` gets every event as Event Grid would send it."""
        self.sinks.append(sink)

    def subscribe_webhook(self, url: str, *, verify: str | bool = True, topic: str = "/subscriptions") -> WebhookSubscription:
        """Webhook delivery, after Event Grid's validation handshake (raises ValidationFailed)."""
        subscription = WebhookSubscription(url, verify=verify)
        subscription.validate(topic)
        self.sinks.append(subscription)
        return subscription

    def emit(self, kind: str, resource_id: str, operation: str, token: str, correlation_id: str) -> None:
        oid, appid = principal_of(token)
        sub, _, _, _ = split_id(resource_id)
        event: JSON = {
            "id": str(uuid.uuid4()),
            "topic": f"/subscriptions/{sub}",
            "subject": resource_id,
            "eventType": f"Microsoft.Resources.Resource{kind}Success",
            "eventTime": self.clock().isoformat().replace("+00:00", "Z"),
            "data": {
                "authorization": {"scope": resource_id, "action": operation, "evidence": {"role": "Simulated"}},
                "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": oid, "appid": appid},
                "correlationId": correlation_id,
                "resourceProvider": operation.split("/", 1)[0],
                "resourceUri": resource_id,
                "operationName": operation,
                "status": "Succeeded",
                "subscriptionId": sub,
                "tenantId": TENANT,
            },
            "dataVersion": "2",
            "metadataVersion": "1",
        }
        self.activity.append(
            {
                "TimeGenerated": self.clock(),
                "Caller": self.directory.caller(oid, appid) if self.directory is not None else oid,
                "_ResourceId": resource_id,
                "OperationNameValue": operation,
                # The client's x-ms-correlation-request-id, as ARM writes it; only what succeeded is emitted.
                "CorrelationId": correlation_id,
                "ActivityStatusValue": "Success",
                "roleAssignmentId": self._authorizing_assignment(oid, resource_id),
            }
        )
        for sink in list(self.sinks):
            sink(event)
        if self.notification_sinks and kind in ("Write", "Delete"):
            self._notify(kind, resource_id)

    def subscribe_notifications(self, sink: EventSink) -> None:
        """In-process delivery of Azure Resource Notifications (`…Resources.CreatedOrUpdated`/`Deleted`)."""
        self.notification_sinks.append(sink)

    def _notify(self, kind: str, resource_id: str) -> None:
        """The documented shape: `resourceInfo` holds id, name, type, location, tags and properties only
        (no identity, sku, kind or etag), properties as of `apiVersion`, booleans written as 1/0 as in
        Microsoft's sample. Child resources that live inside their parent (connections) send none."""
        sub, _, rtype, name = split_id(resource_id)
        now = self.clock().isoformat().replace("+00:00", "Z")
        if kind == "Write":
            resource = self.estate.get(resource_id)
            if resource is None:
                return
            info: JSON = {
                "tags": resource.get("tags") or {},
                "id": resource["id"],
                "name": resource["name"],
                "type": resource["type"],
                "location": resource.get("location", "global"),
                "properties": _ones_and_zeros(as_read(resource).get("properties") or {}),
            }
            data: JSON = {"resourceInfo": info, "operationalInfo": {"resourceEventTime": now}}
            data["apiVersion"] = self.notification_versions.get(str(resource["type"]).lower(), "")
            event_type = "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated"
        else:
            data = {"resourceInfo": {"id": resource_id, "name": name, "type": rtype}, "operationalInfo": {"resourceEventTime": now}}
            event_type = "Microsoft.ResourceNotifications.Resources.Deleted"
        event: JSON = {
            "id": str(uuid.uuid4()),
            "topic": f"/subscriptions/{sub}",
            "subject": resource_id,
            "data": data,
            "eventType": event_type,
            "dataVersion": "1",
            "metadataVersion": "1",
            "eventTime": now,
        }
        for sink in list(self.notification_sinks):
            sink(event)

    def _authorizing_assignment(self, principal: str, resource_id: str) -> str:
        """The assignment Azure would name as evidence: one of the caller's at or above the resource."""
        target = resource_id.lower()
        for r in self.estate.raw_items():
            if str(r["type"]).lower() != "microsoft.authorization/roleassignments":
                continue
            props = r.get("properties") or {}
            scope = str(props.get("scope", "")).lower().rstrip("/")
            if str(props.get("principalId", "")).lower() == principal.lower() and (target == scope or target.startswith(scope + "/")):
                return str(r["name"]).replace("-", "")  # Azure writes it without dashes
        return ""

    # --- keys ----------------------------------------------------------------------------------------
    def keys(self, resource_id: str) -> dict[str, str]:
        with self._lock:
            return self._keys.setdefault(resource_id.lower(), {"key1": secrets.token_hex(16), "key2": secrets.token_hex(16)})

    # --- LROs ----------------------------------------------------------------------------------------
    def start_operation(self, resource_id: str, finish: Callable[[], JSON | None], *, delay_s: float, announce: Callable[[], None]) -> str:
        """A long-running operation on `resource_id`: `finish` makes the change when it completes (after
        `delay_s`), `announce` then emits its event, as Azure emits the write event at completion."""
        operation_id = str(uuid.uuid4())
        with self._lock:
            self._operations[operation_id] = _Operation(resource_id.lower(), time.monotonic() + delay_s, finish, announce)
        if delay_s <= 0:
            self.settle()  # no delay: done before the first answer (which still points at the operation)
        return operation_id

    def settle(self) -> None:
        """Completes every operation that is due. Called before each request is answered."""
        now = time.monotonic()
        with self._lock:
            due = [op for op in self._operations.values() if op.status == "InProgress" and op.due <= now]
            for op in due:
                op.result = op.finish()
                op.status = "Succeeded"
        for op in due:
            op.announce()

    def operation(self, operation_id: str) -> _Operation | None:
        self.settle()
        with self._lock:
            return self._operations.get(operation_id)

    def busy(self, resource_id: str) -> bool:
        self.settle()
        with self._lock:
            return any(op.resource_id == resource_id.lower() and op.status == "InProgress" for op in self._operations.values())


@dataclass
class _Operation:
    resource_id: str
    due: float
    finish: Callable[[], JSON | None]
    announce: Callable[[], None]
    status: str = "InProgress"
    result: JSON | None = None
