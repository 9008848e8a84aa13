"""Turns the per-account Defender for AI setting back on (a PUT of the small setting resource)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftguard.azure import api_versions
from driftguard.model import Plan
from remediations.base import PlanContext, Remediation, put_setting_plan

ID = "cognitiveservices_account_enable_defender_for_ai"


def plan(resource: Mapping[str, Any], context: PlanContext) -> Plan | None:
    return put_setting_plan(
        ID, resource, {"properties.state": "Enabled"}, api_version=api_versions.COGNITIVE_SERVICES, summary="enable Defender for AI"
    )


REMEDIATION = Remediation(
    ID,
    "Enable Defender for AI on an account",
    ("Microsoft.CognitiveServices/accounts/defenderForAISettings",),
    ("Microsoft.CognitiveServices/accounts/defenderForAISettings/read", "Microsoft.CognitiveServices/accounts/defenderForAISettings/write"),
    plan,
    touches="Turns on Defender for AI threat protection for this account: prompts and responses are scanned and alerts raised; it is billed per token scanned and nothing is blocked.",
)
