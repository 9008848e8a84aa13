"""What a judgement or a fix needs besides the resource it is about, read through the engine's reader.

A Machine Learning project inherits its network settings from its hub: judging the project needs the
hub, and fixing it PATCHes the hub, so both read it (the fix right before it writes). The event path and
the approval desk plan through `plan_context`, so that they plan alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.ids import InvalidResourceId, parse_resource_id
from driftguard.model import Reader
from driftguard.policy import Policy
from driftguard.rules.machinelearning_workspace_public_network_access_disabled import hub_id
from remediations.base import PlanContext


def read_hub(resource: Mapping[str, Any], read: Reader) -> Mapping[str, Any] | None:
    """The hub a project names, as ARM has it now; None for other workspaces, a hub that is gone or an
    id that is not one."""
    named = hub_id(resource)
    if named is None:
        return None
    try:
        parsed = parse_resource_id(named)
    except InvalidResourceId:
        return None
    return read(str(parsed), api_versions.MACHINE_LEARNING)


def read_gateway(resource: Mapping[str, Any], read: Reader, *, policy: Policy) -> Mapping[str, Any] | None:
    """The gateway (API Management service) the policy puts in front of an AI account, as ARM has it
    now; None for accounts no gateway fronts, a gateway that is gone or an id that is not one."""
    if str(resource.get("type", "")).lower() != "microsoft.cognitiveservices/accounts":
        return None
    named = policy.gateways.gateway_of(str(resource.get("id", "")))
    if named is None:
        return None
    try:
        parsed = parse_resource_id(named)
    except InvalidResourceId:
        return None
    return read(str(parsed), api_versions.API_MANAGEMENT)


def plan_context(
    resource: Mapping[str, Any], read: Reader, *, policy: Policy, baseline: Mapping[str, Any] | None, evidence: Mapping[str, Any]
) -> PlanContext:
    """The context a remediation plans `resource` with: the rule's evidence, and the hub for a project."""
    extra = dict(evidence)
    if hub_id(resource) is not None:
        extra["hub"] = read_hub(resource, read)
    return PlanContext(policy=policy, baseline=baseline, extra=extra)
