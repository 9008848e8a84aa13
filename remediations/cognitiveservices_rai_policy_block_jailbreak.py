"""Turns a RAI policy's jailbreak filter (Prompt Shields on the prompt) to enabled and blocking: the
playbook of a Defender for AI alert that a jailbreak was detected but not blocked.

RAI policies take only a full PUT (cognitiveservices 2025-09-01): the body is the policy as read,
minus what the model marks read-only (`type`), with only the `Jailbreak` prompt filter changed (added
when the policy has none). Microsoft's own policies (`type: SystemManaged`, e.g. Microsoft.DefaultV2)
cannot be written: the deployment must be pointed at a policy of its own, which a person decides.
The rollback PUTs the filters back as they were read before the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.azure.schema import writable
from driftguard.model import Plan, Step
from remediations.base import CannotPlan, PlanContext, Remediation, canonical_id, get_path

ID = "cognitiveservices_rai_policy_block_jailbreak"
FILTERS = "properties.contentFilters"


def _is_jailbreak(f: Any) -> bool:
    return isinstance(f, Mapping) and str(f.get("name", "")).lower() == "jailbreak" and str(f.get("source", "prompt")).lower() == "prompt"


def _blocking(filters: list[Any]) -> list[Any]:
    out, found = [], False
    for f in filters:
        if _is_jailbreak(f):
            found = True
            out.append({**f, "enabled": True, "blocking": True})
        else:
            out.append(f)
    if not found:
        out.append({"name": "Jailbreak", "source": "Prompt", "enabled": True, "blocking": True})
    return out


def _put(resource: Mapping[str, Any], filters: list[Any], before: list[Any], summary: str) -> Plan:
    # The SDK's models load only when a RAI policy is written (they take a while to import).
    from azure.mgmt.cognitiveservices import models

    if str(get_path(resource, "properties.type") or "").lower() == "systemmanaged":
        raise CannotPlan(
            f"the deployment uses the built-in policy {resource.get('name')}, which cannot be changed: "
            "create a custom policy with the jailbreak filter blocking and assign it"
        )
    body: dict[str, Any] = {"properties": {**(get_path(resource, "properties") or {}), "contentFilters": filters}}
    if isinstance(resource.get("tags"), Mapping):
        body["tags"] = resource["tags"]
    body = writable(body, models.RaiPolicy)
    etag = resource.get("etag")
    rid = canonical_id(resource)
    step = Step("PUT", rid, api_versions.COGNITIVE_SERVICES, body, etag if isinstance(etag, str) else None)
    return Plan(ID, rid, (step,), {FILTERS: before}, {FILTERS: filters}, summary)


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    current = list(get_path(resource, FILTERS) or [])
    wanted = _blocking(current)
    if wanted == current:
        return None
    return _put(resource, wanted, current, f"turn the jailbreak filter of RAI policy {resource.get('name')!r} to blocking")


def undo(applied: Plan, current: Mapping[str, Any] | None) -> Plan | None:
    """PUTs the filters back as they were before the fix; None when they already are."""
    if current is None:
        raise CannotPlan("the RAI policy is gone: there is nothing to roll back onto")
    before = applied.before.get(FILTERS)
    if not isinstance(before, list):
        raise CannotPlan("the fix recorded no filters to put back")
    now = list(get_path(current, FILTERS) or [])
    if now == before:
        return None
    return _put(
        current,
        before,
        now,
        f"put the content filters of RAI policy {current.get('name')!r} back as they were, the jailbreak filter included (roll back of: {applied.summary})",
    )


REMEDIATION = Remediation(
    ID,
    "Turn a RAI policy's jailbreak filter to blocking",
    ("Microsoft.CognitiveServices/accounts/raiPolicies",),
    ("Microsoft.CognitiveServices/accounts/raiPolicies/read", "Microsoft.CognitiveServices/accounts/raiPolicies/write"),
    plan,
    undoer=undo,
    touches=(
        "Turns the jailbreak (Prompt Shields) filter on and blocking in this RAI policy: every deployment using the "
        "policy answers prompts it flags with HTTP 400 content_filter, including legitimate prompts it misjudges."
    ),
)
