"""Judging: the rules over a fresh read of the resource, with what they are judged with.

A resource is judged as ARM has it now (only a sweep hands in its own Resource Graph rows), with the data
some rules join: its diagnostic settings (read when an event is about them, or on a deep sweep), a
project's hub, a deployment's RAI policy, the storage an AI resource names, the last-known-good
baselines. The state judged is hashed, joined data included, so that the same state is judged once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from driftguard import joins
from driftguard.azure import api_versions
from driftguard.azure.role_definitions import RoleDefinitions
from driftguard.events import ChangeEvent, Kind
from driftguard.ids import fold
from driftguard.model import Finding, Reader, ResourceSnapshot
from driftguard.pipeline import ACCOUNT, STORAGE, WORKSPACE, linked_storage
from driftguard.policy import Policy
from driftguard.rules import cognitiveservices_deployment_content_filter_enforced as content_filter
from driftguard.rules.base import Evaluate, NotEvaluable, RuleContext, RuleMeta, parent_id, prop
from driftguard.rules.cognitiveservices_account_keys_not_exposed import KEY_EVENTS
from driftguard.rules.gateway import (
    GATEWAY,
    GATEWAY_ROLE_ASSIGNMENTS,
    GATEWAY_ROLE_DEFINITIONS,
    PRIVATE_ENDPOINTS,
    approved_private_endpoints,
)
from driftguard.rules.gateway import SERVICE as GATEWAY_SERVICE
from driftguard.rules.machinelearning_workspace_public_network_access_disabled import HUB, hub_id
from driftguard.rules.monitor_ai_resource_diagnostic_logs_enabled import DIAGNOSTIC_SETTINGS
from driftguard.store.base import Baseline, StateStore

# Fields that change without any configuration change: left out of the state hash.
VOLATILE = ("etag", "systemData")
VOLATILE_PROPERTIES = ("provisioningState", "dateCreated", "internalId", "serviceUpgradedAt")
# A marker kept with the baselines: "an AI resource named this storage account as its data store".
AI_DATA_LINK = "ai-data-link"

Joined = Mapping[str, tuple[Mapping[str, Any], ...]]


def stable(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource without the fields that change when its configuration does not."""
    trimmed = {k: v for k, v in resource.items() if k not in VOLATILE}
    props = trimmed.get("properties")
    if isinstance(props, Mapping):
        trimmed["properties"] = {k: v for k, v in props.items() if k not in VOLATILE_PROPERTIES}
    return trimmed


def state_hash(resource: Mapping[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(stable(resource), option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def judged_state(resource: Mapping[str, Any], joined: Joined) -> str:
    """What the resource is judged with is part of its state: a hub opened up is news for its projects."""
    return state_hash({**resource, **{kind: [stable(r) for r in found] for kind, found in joined.items()}})


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's judgement of one resource: findings, a pass (no findings), or not evaluable."""

    meta: RuleMeta
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    not_evaluable: str | None = None


class Judge:
    def __init__(
        self,
        *,
        policy: Policy,
        store: StateStore,
        read: Reader,
        rules: Mapping[str, tuple[RuleMeta, Evaluate]],
        clock: Callable[[], datetime],
        role_definitions: RoleDefinitions | None = None,
    ) -> None:
        self.policy = policy
        self.store = store
        self.read = read
        self.rules = rules
        self.clock = clock
        # The caller's cache of role definitions (the responder's, which a role change refreshes).
        self.role_definitions = role_definitions or RoleDefinitions(read)

    def current(self, event: ChangeEvent) -> Mapping[str, Any] | None:
        """The resource as ARM has it now: a sweep's own row, else a read."""
        if event.snapshot is not None:
            return event.snapshot
        return self.read(event.resource_id, api_versions.for_type(event.resource.full_type))

    def joined(self, rid: str, resource: Mapping[str, Any], *, settings: bool, rows: Mapping[str, Mapping[str, Any]]) -> Joined:
        """The data read with the resource for its rules: its diagnostic settings (one call) only when
        they can have changed (an event about them) or a deep sweep asks, since they are not part of the
        resource; a project's hub (the sweep's row for it, else one read)."""
        joined: dict[str, tuple[Mapping[str, Any], ...]] = {}
        if settings and (found := self._diagnostic_settings(rid, resource)) is not None:
            joined[DIAGNOSTIC_SETTINGS] = found
        if (hub := hub_id(resource)) is not None:
            row = rows.get(fold(hub))
            read = row if row is not None else joins.read_hub(resource, self.read)
            joined[HUB] = () if read is None else (read,)
        # An account behind a gateway is judged with the gateway (the addresses its calls come from).
        if (gateway := self.policy.gateways.gateway_of(rid)) is not None and str(resource.get("type", "")).lower() == ACCOUNT:
            gateway_row = rows.get(fold(gateway))
            front = gateway_row if gateway_row is not None else joins.read_gateway(resource, self.read, policy=self.policy)
            joined[GATEWAY] = () if front is None else (front,)
            # Its approved private endpoints, read: the subnet each is in (not on the connection).
            if approved_private_endpoints(resource):
                joined[PRIVATE_ENDPOINTS] = joins.read_private_endpoints(resource, self.read)
        # A gateway the policy names is judged with its identity's role assignments (gateways are few:
        # one list per identity each time it is judged).
        if str(resource.get("type", "")).lower() == GATEWAY_SERVICE and self.policy.gateways.fronted_by(rid):
            roles = joins.read_gateway_roles(resource, self.read, policy=self.policy)
            if roles is not None:
                joined[GATEWAY_ROLE_ASSIGNMENTS] = roles
                joined[GATEWAY_ROLE_DEFINITIONS] = joins.read_role_definitions(roles, self.role_definitions)
        return joined

    def verdicts(
        self,
        event: ChangeEvent,
        resource: Mapping[str, Any],
        joined: Joined,
        key_events: tuple[Mapping[str, Any], ...],
        *,
        only: frozenset[str] | None = None,
    ) -> list[Verdict]:
        """Every rule that applies and has its data, over the resource (or those of `only`). On a key
        listing, only the key rule judges (a listing changes no configuration); `key_events` are the
        exposures it judges."""
        rid = event.resource_id
        related = dict(joined)
        if key_events:
            related[KEY_EVENTS] = key_events
        snapshot = ResourceSnapshot(resource, related)
        rtype = snapshot.type.lower()
        if rtype in (ACCOUNT, WORKSPACE):
            for storage in linked_storage(rtype, resource):
                self.store.save_baseline(Baseline(storage, AI_DATA_LINK, {"linked_by": rid}, self.clock()))
        context = self._context(snapshot)
        out: list[Verdict] = []
        for meta, evaluate in self.rules.values():
            if not meta.applies_to(snapshot.type) or any(k not in related for k in meta.requires):
                continue
            if only is not None and meta.id not in only:
                continue
            if event.kind is Kind.KEY_ACCESS and KEY_EVENTS not in meta.requires:
                continue
            try:
                out.append(Verdict(meta, tuple(evaluate(snapshot, context))))
            except NotEvaluable as e:
                out.append(Verdict(meta, not_evaluable=e.reason))
        return out

    def _diagnostic_settings(self, rid: str, resource: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...] | None:
        rtype = str(resource.get("type", ""))
        if not any(DIAGNOSTIC_SETTINGS in meta.requires and meta.applies_to(rtype) for meta, _ in self.rules.values()):
            return None
        found = self.read(f"{rid}/providers/Microsoft.Insights/diagnosticSettings", api_versions.DIAGNOSTIC_SETTINGS)
        return tuple((found or {}).get("value") or [])

    def context(self, resource: Mapping[str, Any]) -> RuleContext:
        """What the rules are given beside the resource (the AI-data links, baselines...), as judged."""
        return self._context(ResourceSnapshot(resource))

    def _context(self, snapshot: ResourceSnapshot) -> RuleContext:
        rai: dict[str, dict[str, Any]] = {}
        loaded = False
        if snapshot.type.lower() == "microsoft.cognitiveservices/accounts/deployments":
            name = str(prop(snapshot.properties, "raiPolicyName") or "")
            if name and name.lower() not in content_filter.BUILT_IN:
                account = parent_id(snapshot.id)
                policy = self.read(f"{account}/raiPolicies/{name}", api_versions.COGNITIVE_SERVICES)
                rai = {fold(account): {fold(name): content_filter.index_policy(policy)}} if policy else {}
                loaded = True
        linked: frozenset[str] = frozenset()
        if snapshot.type.lower() == STORAGE and self.store.baseline(snapshot.id, AI_DATA_LINK) is not None:
            linked = frozenset({fold(snapshot.id)})  # an AI resource names it as its data store
        baselines = {}
        for meta, _ in self.rules.values():
            if meta.applies_to(snapshot.type) and (b := self.store.baseline(snapshot.id, meta.id)) is not None:
                baselines[fold(snapshot.id)] = b.resource
        return RuleContext(
            policy=self.policy,
            now=self.clock(),
            rai_policies=rai,
            rai_policies_loaded=loaded,
            ai_linked_storage=linked,
            baselines=baselines,
        )
