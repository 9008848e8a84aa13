"""Turns the per-account Defender for AI setting back on (a PUT of the small setting resource)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan, Step
from remediations.base import PlanContext, Remediation, canonical_id, get_path

ID = "cognitiveservices_account_enable_defender_for_ai"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    if str(get_path(resource, "properties.state") or "").lower() == "enabled":
        return None
    rid = canonical_id(resource)
    etag = resource.get("etag")
    step = Step("PUT", rid, api_versions.COGNITIVE_SERVICES, {"properties": {"state": "Enabled"}}, etag if isinstance(etag, str) else None)
    return Plan(
        ID,
        rid,
        (step,),
        {"properties.state": get_path(resource, "properties.state")},
        {"properties.state": "Enabled"},
        "enable Defender for AI",
    )


REMEDIATION = Remediation(
    ID,
    "Enable Defender for AI on an account",
    ("Microsoft.CognitiveServices/accounts/defenderForAISettings",),
    ("Microsoft.CognitiveServices/accounts/defenderForAISettings/read", "Microsoft.CognitiveServices/accounts/defenderForAISettings/write"),
    plan,
)
