"""Intake: what a change event is about, and whether it is DriftGuard's to judge, before any ARM call.

The cheap rejections, in order: a subscription not watched, a type outside the catalog, a failed
operation, an event already handled. A change to a diagnostic setting or a private endpoint connection
is about the resource it belongs to, which is judged instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from driftguard.events import ChangeEvent, Kind, Operation
from driftguard.ids import ResourceId
from driftguard.store.base import StateStore

DIAGNOSTIC_TYPE = "microsoft.insights/diagnosticsettings"
PRIVATE_ENDPOINT_CONNECTIONS = "privateendpointconnections"
# The event type a sweep gives each resource it hands to the same path as Event Grid's events.
SWEEP_EVENT = "DriftGuard.Sweep"
# The event type of an assignment judged again because the role it uses changed.
REJUDGE_EVENT = "DriftGuard.Rejudge"


@dataclass(frozen=True, slots=True)
class Admitted:
    event: ChangeEvent  # about the resource to judge (an owner, for a setting or a connection)
    settings_changed: bool  # a diagnostic setting changed: read the resource's settings with it
    delivered: bool  # an Event Grid delivery (marked handled once done), not a sweep's item

    @property
    def callers(self) -> tuple[str, ...]:
        return tuple(c for c in (self.event.caller_object_id, self.event.caller_app_id) if c)


@dataclass(frozen=True, slots=True)
class Rejected:
    why: str
    duplicate: bool = False
    out_of_scope: bool = False


def owner_of(resource: ResourceId) -> ResourceId | None:
    """The resource whose judgement a change to `resource` is about, when that is another one: the scope
    of a diagnostic setting (an extension resource), the parent of a private endpoint connection (whose
    state is part of the parent's properties). None when the resource is judged itself."""
    if resource.full_type.lower() == DIAGNOSTIC_TYPE:
        return resource.parent
    if resource.types[-1].lower() == PRIVATE_ENDPOINT_CONNECTIONS:
        return resource.up()
    return None


class Intake:
    def __init__(self, *, store: StateStore, subscriptions: frozenset[str], types: frozenset[str]) -> None:
        self.store = store
        self.subscriptions = subscriptions  # lower case; empty: every subscription
        self.types = types  # lower case: the types some rule judges

    def admit(self, event: ChangeEvent) -> Admitted | Rejected:
        above_subscriptions = event.resource.subscription is None and event.resource.management_group is not None
        if self.subscriptions and not above_subscriptions and (event.resource.subscription or "") not in self.subscriptions:
            # A management group holds the watched subscriptions: its role assignments reach them.
            return Rejected("subscription not watched", out_of_scope=True)
        owner = owner_of(event.resource)
        settings_changed = owner is not None and event.resource.full_type.lower() == DIAGNOSTIC_TYPE
        if owner is not None:
            # A diagnostic setting or a private endpoint connection changed (or was deleted): what is
            # judged is the resource it belongs to, read with it.
            event = replace(event, resource=owner, snapshot=None, operation=Operation.WRITE)
        role_assignment = event.kind is Kind.ROLE_ASSIGNMENT
        if event.kind is Kind.ROLE_DEFINITION:
            return Admitted(event, False, self._delivered(event)) if event.succeeded else Rejected("the operation failed: nothing changed")
        if role_assignment and not self.at_ai_scope(event):
            return Rejected("role assignment below a scope that is not an AI resource")
        if not role_assignment and event.resource.full_type.lower() not in self.types:
            return Rejected(f"type {event.resource.full_type} is outside the catalog")
        if not event.succeeded:
            return Rejected("the operation failed: nothing changed")
        delivered = self._delivered(event)
        if delivered and self.store.event_seen(event.event_id):
            return Rejected("event already handled", duplicate=True)
        return Admitted(event, settings_changed, delivered)

    @staticmethod
    def _delivered(event: ChangeEvent) -> bool:
        """Whether Event Grid delivered it (and may again): a sweep's items and assignments judged again
        are never redelivered, so only deliveries need the event marks."""
        return event.event_type not in (SWEEP_EVENT, REJUDGE_EVENT)

    def at_ai_scope(self, event: ChangeEvent) -> bool:
        """At or above an AI scope: on an AI resource, or on a resource group, subscription or management
        group (which hold the AI resources below them)."""
        scope = event.resource.parent
        return scope is None or scope.full_type.lower() in self.types
