"""Event Grid, CloudEvents and Azure Resource Notifications in; one `ChangeEvent` out.

Events are pointers, not the truth: the engine re-reads the resource. Resource Notifications carry a
`resourceInfo`, but only part of the resource (no identity, sku, kind or etag) in the shape of the
`data.apiVersion` it names, which may be older than ours, with booleans as 1/0: judging or planning from
it would "fix" what is not broken (an identity it does not show). It is left out. Everything here is
untrusted input. An event that cannot
be understood raises `EventRejected` with a one-line reason: the trigger acknowledges it (a retry
would not make it better) and records the reason. Nothing in an event is ever used as a URL: the
resource id is parsed strictly and requests are built from its parts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from driftguard.ids import InvalidResourceId, ResourceId, fold, normalize_guid, parse_resource_id
from driftguard.nesting import TooDeep, check_depth

# Event Grid refuses events over 1 MB; anything larger did not come from it.
MAX_EVENT_BYTES = 1_048_576

RESOURCE_EVENT_PREFIX = "microsoft.resources.resource"
NOTIFICATION_CHANGED = "microsoft.resourcenotifications.resources.createdorupdated"
NOTIFICATION_DELETED = "microsoft.resourcenotifications.resources.deleted"

OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
APP_ID_CLAIMS = ("appid", "azp")
KEY_ACTIONS = ("/listkeys/action", "/regeneratekey/action", "/listadminkeys/action", "/listquerykeys/action")

# The operations DriftGuard acts on, as Event Grid's `data.operationName` names them: the deployment
# subscribes to exactly these (infra/event-operations.json, kept equal by a test). Event Grid allows
# 25 advanced filter values per event subscription, across all its filters, and ANDs the filters of one
# subscription (a `StringBeginsWith` prefix beside the `StringIn` list would narrow it, not widen it, and
# a prefix alone would deliver every API Management operation: APIs, products, policies, listSecrets), so
# there is one subscription per group, each an exact list.
HANDLED_OPERATIONS: dict[str, tuple[str, ...]] = {
    # Configuration changes of the resources the rules judge (and deletions, which close findings).
    "changes": (
        "Microsoft.CognitiveServices/accounts/write",
        "Microsoft.CognitiveServices/accounts/delete",
        "Microsoft.CognitiveServices/accounts/deployments/write",
        "Microsoft.CognitiveServices/accounts/deployments/delete",
        "Microsoft.CognitiveServices/accounts/raiPolicies/write",
        "Microsoft.CognitiveServices/accounts/raiPolicies/delete",
        "Microsoft.CognitiveServices/accounts/defenderForAISettings/write",
        "Microsoft.CognitiveServices/accounts/privateEndpointConnections/write",
        "Microsoft.MachineLearningServices/workspaces/write",
        "Microsoft.MachineLearningServices/workspaces/delete",
        "Microsoft.MachineLearningServices/workspaces/privateEndpointConnections/write",
        "Microsoft.Search/searchServices/write",
        "Microsoft.Search/searchServices/delete",
        "Microsoft.Search/searchServices/privateEndpointConnections/write",
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Storage/storageAccounts/delete",
        "Microsoft.App/sessionPools/write",
        "Microsoft.App/sessionPools/delete",
        "Microsoft.Insights/diagnosticSettings/write",
        "Microsoft.Insights/diagnosticSettings/delete",
        "Microsoft.Security/pricings/write",
    ),
    # AI gateways: the service (its identity, its network), its backends and named values, and their
    # deletions (which close their findings).
    "gateways": (
        "Microsoft.ApiManagement/service/write",
        "Microsoft.ApiManagement/service/delete",
        "Microsoft.ApiManagement/service/backends/write",
        "Microsoft.ApiManagement/service/backends/delete",
        "Microsoft.ApiManagement/service/namedValues/write",
        "Microsoft.ApiManagement/service/namedValues/delete",
    ),
    # Who gets access: role assignments, and key listings and regenerations.
    "access": (
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Authorization/roleDefinitions/write",
        "Microsoft.CognitiveServices/accounts/listKeys/action",
        "Microsoft.CognitiveServices/accounts/regenerateKey/action",
        "Microsoft.MachineLearningServices/workspaces/listKeys/action",
        "Microsoft.Search/searchServices/listAdminKeys/action",
        "Microsoft.Search/searchServices/listQueryKeys/action",
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "Microsoft.Storage/storageAccounts/regenerateKey/action",
    ),
}


class EventRejected(ValueError):
    """The event cannot be acted on. Acknowledge it (no retry) and record `reason`."""

    def __init__(self, reason: str, *, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


class Schema(StrEnum):
    EVENT_GRID = "eventgrid"
    CLOUD_EVENTS = "cloudevents"


class Operation(StrEnum):
    WRITE = "write"
    DELETE = "delete"
    ACTION = "action"


class Kind(StrEnum):
    """Where the engine routes the event."""

    RESOURCE_CHANGE = "resource_change"
    KEY_ACCESS = "key_access"
    ROLE_ASSIGNMENT = "role_assignment"
    ROLE_DEFINITION = "role_definition"  # a role changed: the assignments that use it are judged again


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    event_id: str
    event_type: str
    schema: Schema
    resource: ResourceId
    operation: Operation
    operation_name: str  # e.g. Microsoft.CognitiveServices/accounts/write ("" for notifications)
    succeeded: bool
    kind: Kind
    time: datetime | None = None
    caller_object_id: str | None = None
    caller_app_id: str | None = None
    correlation_id: str | None = None
    tenant_id: str | None = None
    # The resource as it is, when the change comes with the whole of it: a sweep's Resource Graph row.
    # Never an event's payload (see the module docstring).
    snapshot: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def resource_id(self) -> str:
        return str(self.resource)


def state_event(event_id: str, event_type: str, resource: ResourceId, state: Mapping[str, Any], time: datetime) -> ChangeEvent:
    """A change DriftGuard makes up itself that carries the resource's whole state (a sweep's Resource
    Graph row, the read-back of a verified fix): judged like an event, never read again."""
    return ChangeEvent(
        event_id=event_id,
        event_type=event_type,
        schema=Schema.EVENT_GRID,
        resource=resource,
        operation=Operation.WRITE,
        operation_name="",
        succeeded=True,
        kind=Kind.RESOURCE_CHANGE,
        time=time,
        snapshot=state,
    )


def iter_events(payload: Any) -> Iterator[Mapping[str, Any]]:
    """The events of a delivery: one event object or an array of them (Event Grid batches)."""
    if isinstance(payload, list):
        for item in payload:
            if not isinstance(item, Mapping):
                raise EventRejected(f"a batch item is a {type(item).__name__}, not an event object")
            yield item
    elif isinstance(payload, Mapping):
        yield payload
    else:
        raise EventRejected(f"expected an event object or an array of events, got {type(payload).__name__}")


def parse_event(raw: Mapping[str, Any]) -> ChangeEvent:
    """One event, in either schema, normalised; EventRejected with the reason otherwise."""
    event_id = _text(raw.get("id"))
    try:
        check_depth(raw, f"event {event_id or '(no id)'}")
    except TooDeep as e:
        raise EventRejected(str(e), event_id=event_id or None) from e
    try:
        # orjson, as the state store encodes: what it cannot encode (a number beyond 64 bits, say) is
        # refused here, not in the middle of handling the event.
        size = len(orjson.dumps(raw))
    except (TypeError, ValueError) as e:
        raise EventRejected(f"event is not JSON data: {e}", event_id=event_id) from None
    if size > MAX_EVENT_BYTES:
        raise EventRejected(f"event of {size} bytes exceeds Event Grid's 1 MB limit", event_id=event_id)
    if not event_id:
        raise EventRejected("event has no id", event_id=None)
    schema, event_type, time_text = _envelope(raw)
    env = _Envelope(event_id, schema, event_type, time_text)
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise EventRejected(f"event {event_id}: 'data' is missing or not an object", event_id=event_id)
    lowered = event_type.lower()
    try:
        if lowered.startswith(RESOURCE_EVENT_PREFIX):
            return _resource_event(env, raw, data)
        if lowered in (NOTIFICATION_CHANGED, NOTIFICATION_DELETED):
            return _notification(env, data)
    except InvalidResourceId as e:
        raise EventRejected(f"event {event_id}: {e}", event_id=event_id) from None
    raise EventRejected(f"event {event_id}: unsupported event type {event_type[:100]!r}", event_id=event_id)


@dataclass(frozen=True, slots=True)
class _Envelope:
    event_id: str
    schema: Schema
    event_type: str
    time_text: str


def _envelope(raw: Mapping[str, Any]) -> tuple[Schema, str, str]:
    """(schema, type, time). CloudEvents' `specversion` is accepted in any casing: Microsoft's own
    samples write `specVersion`."""
    keys = {k.lower(): k for k in raw if isinstance(k, str)}
    if "specversion" in keys:
        version = _text(raw.get(keys["specversion"]))
        if version != "1.0":
            raise EventRejected(f"unsupported CloudEvents specversion {version!r}", event_id=_text(raw.get("id")))
        event_type = _text(raw.get("type"))
        if not event_type:
            raise EventRejected("CloudEvent has no type", event_id=_text(raw.get("id")))
        return Schema.CLOUD_EVENTS, event_type, _text(raw.get("time"))
    event_type = _text(raw.get("eventType"))
    if not event_type:
        raise EventRejected("event has neither an Event Grid eventType nor a CloudEvents specversion", event_id=_text(raw.get("id")))
    return Schema.EVENT_GRID, event_type, _text(raw.get("eventTime"))


def _resource_event(env: _Envelope, raw: Mapping[str, Any], data: Mapping[str, Any]) -> ChangeEvent:
    event_id, event_type = env.event_id, env.event_type
    # Microsoft.Resources.Resource{Write,Delete,Action}{Success,Failure,Cancel}
    rest = event_type[len("Microsoft.Resources.Resource") :]
    operation = next((op for op in Operation if rest.lower().startswith(op.value)), None)
    if operation is None:
        raise EventRejected(f"event {event_id}: unsupported event type {event_type!r}", event_id=event_id)
    outcome = rest[len(operation.value) :].lower()
    # The *_failure samples say status "Succeeded": the event type is the authority, the status can
    # only make a "Success" event a failure.
    status = _text(data.get("status")).lower()
    succeeded = outcome == "success" and status not in ("failed", "canceled", "cancelled")
    resource = parse_resource_id(data.get("resourceUri"))
    subject = _text(raw.get("subject"))
    if subject and fold(subject).rstrip("/") != fold(str(data.get("resourceUri"))).rstrip("/"):
        raise EventRejected(f"event {event_id}: subject and data.resourceUri name different resources", event_id=event_id)
    sub = normalize_guid(_text(data.get("subscriptionId")))
    if sub is not None and resource.subscription not in (None, sub):
        raise EventRejected(f"event {event_id}: the resource is not in the event's subscription", event_id=event_id)
    operation_name = _text(data.get("operationName"))
    claims = data.get("claims")
    if not isinstance(claims, Mapping):
        claims = {}
    return ChangeEvent(
        event_id=event_id,
        event_type=event_type,
        schema=env.schema,
        resource=resource,
        operation=operation,
        operation_name=operation_name,
        succeeded=succeeded,
        kind=_kind(operation_name, resource),
        time=_time(env.time_text),
        caller_object_id=_claim_guid(claims, OBJECT_ID_CLAIMS),
        caller_app_id=_claim_guid(claims, APP_ID_CLAIMS),
        correlation_id=_text(data.get("correlationId")) or None,
        tenant_id=normalize_guid(_text(data.get("tenantId"))),
    )


def _notification(env: _Envelope, data: Mapping[str, Any]) -> ChangeEvent:
    event_id, event_type = env.event_id, env.event_type
    info = data.get("resourceInfo")
    if not isinstance(info, Mapping):
        raise EventRejected(f"event {event_id}: resource notification without resourceInfo", event_id=event_id)
    resource = parse_resource_id(info.get("id"))
    deleted = event_type.lower() == NOTIFICATION_DELETED
    operational = data.get("operationalInfo")
    event_time = _text(operational.get("resourceEventTime")) if isinstance(operational, Mapping) else ""
    return ChangeEvent(
        event_id=event_id,
        event_type=event_type,
        schema=env.schema,
        resource=resource,
        operation=Operation.DELETE if deleted else Operation.WRITE,
        operation_name="",
        succeeded=True,
        kind=_kind("", resource),
        time=_time(event_time or env.time_text),
    )


def _kind(operation_name: str, resource: ResourceId) -> Kind:
    op = operation_name.lower()
    if op.endswith(KEY_ACTIONS):
        return Kind.KEY_ACCESS
    if resource.full_type.lower() == "microsoft.authorization/roleassignments" or op.startswith("microsoft.authorization/roleassignments/"):
        return Kind.ROLE_ASSIGNMENT
    if resource.full_type.lower() == "microsoft.authorization/roledefinitions":
        return Kind.ROLE_DEFINITION
    return Kind.RESOURCE_CHANGE


def _claim_guid(claims: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and (guid := normalize_guid(value)):
            return guid
    return None


def _time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
